"""Analysis throughput with 1 and 2 worker processes: the same real articles, all at once.

Each worker loads the model once (spawned), then takes requests from the pool's shared queue;
on this 2-core machine two workers should analyse ≥ 1.6× as many articles per second as one.
Run: `python -m bench.workers [N]` (N real BBC articles, default 80; needs ../shared).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

from bench.common import bbc_articles
from bot.analysis import AnalysisRequest, ProcessPoolAnalyzer


async def throughput(texts: list[str], workers: int) -> float:
    """Articles per second through a started pool of `workers` processes."""
    pool = ProcessPoolAnalyzer(None, workers=workers)
    await pool.start()
    try:
        started = time.perf_counter()
        await asyncio.gather(
            *(
                pool.analyze(AnalysisRequest(data=text, name=f"bbc {i}"))
                for i, text in enumerate(texts)
            )
        )
        return len(texts) / (time.perf_counter() - started)
    finally:
        await pool.close()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.workers", description=__doc__)
    parser.add_argument("count", nargs="?", type=int, default=80)
    args = parser.parse_args(argv)
    texts = [record["text"] for record in bbc_articles(args.count, category=None)]
    one = asyncio.run(throughput(texts, 1))
    two = asyncio.run(throughput(texts, 2))
    print(f"analysis workers: {len(texts)} real articles, load average {os.getloadavg()[0]:.1f}")
    print(f"  1 worker    {one:6.1f} articles/s")
    print(
        f"  2 workers   {two:6.1f} articles/s   ratio {two / one:.2f}× (expect ≥ 1.6× on 2 cores)"
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
