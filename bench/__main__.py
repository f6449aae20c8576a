"""`make bench`: every benchmark in turn, each printing its own figures."""

from __future__ import annotations

from bench import briefing, digest, limits, loop_lag, pipeline


def main() -> None:
    print("== analysis pipeline (full analysis vs bare spaCy)")
    pipeline.main([])
    print("\n== event-loop lag while 20 articles are summarized at once")
    loop_lag.main([])
    print("\n== a briefing over 10,000 stored articles (30-day window)")
    briefing.main([])
    print("\n== 5,000 digests due in the same minute against Discord's rate limits")
    digest.main([])
    print("\n== a 150,000-word page, and a small /summarize queued behind it")
    limits.main([])


if __name__ == "__main__":
    main()
