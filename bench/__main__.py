"""`make bench`: every benchmark in turn, each printing its own figures."""

from __future__ import annotations

from bench import briefing, digest, feeds, limits, loop_lag, pictures, pipeline, workers


def main() -> None:
    print("== analysis pipeline (full analysis vs bare spaCy)")
    pipeline.main([])
    print("\n== event-loop lag while 20 articles are summarized at once")
    loop_lag.main([])
    print("\n== analysis throughput with 1 and 2 worker processes")
    workers.main([])
    print("\n== a briefing over 30,000 stored articles (30-day window), SQLite and PostgreSQL")
    briefing.main(["30000", "--postgres"])
    print("\n== 5,000 digests due in the same minute against Discord's rate limits")
    digest.main([])
    print("\n== the same across 3 worker processes on one PostgreSQL database")
    digest.main(["5000", "--processes", "3"])
    print("\n== feeds: a poll round of 500 feeds (90% 304) and 200 new items ingested")
    feeds.main([])
    print("\n== pictures drawn in an analysis worker (network, timeline, world map)")
    pictures.main([])
    print("\n== a 150,000-word page, and a small /summarize queued behind it")
    limits.main([])


if __name__ == "__main__":
    main()
