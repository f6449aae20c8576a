"""`make bench`: every benchmark in turn, each printing its own figures."""

from __future__ import annotations

import sys

from bench import pipeline


def main() -> None:
    print("== analysis pipeline")
    pipeline.main(sys.argv[1:])


if __name__ == "__main__":
    main()
