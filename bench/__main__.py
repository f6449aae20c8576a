"""`make bench`: every benchmark in turn, each printing its own figures."""

from __future__ import annotations

from bench import loop_lag, pipeline


def main() -> None:
    print("== analysis pipeline (full analysis vs bare spaCy)")
    pipeline.main([])
    print("\n== event-loop lag while 20 articles are summarized at once")
    loop_lag.main([])


if __name__ == "__main__":
    main()
