"""A process's share of the feed work, looped: live posts left unfinished, due feeds polled,
new stories posted. Every bot process and `diplobrief worker` runs one; the Store's claims
(due feeds, live channels) give each job to one of them, so running several is safe.

The loop sleeps until the earliest feed is due, at most MAX_IDLE_S: schedules live in the
database, so a feed another process added (or a claim a dead process left) is seen within it.
"""

from __future__ import annotations

import asyncio
import logging

from bot.domain.clock import Clock
from bot.services.feed_poller import FeedPoller
from bot.services.live import LivePoster
from bot.services.scheduler import Sleep

log = logging.getLogger(__name__)

MAX_IDLE_S = 60.0  # the loop looks again at least this often
RETRY_S = 30.0  # after a pass that failed as a whole (the database was away)


class FeedLoop:
    """Polls and posts in the background: `run_once()` is one pass, `run_forever()` loops."""

    def __init__(
        self,
        poller: FeedPoller,
        live: LivePoster,
        clock: Clock,
        *,
        sleep: Sleep = asyncio.sleep,
        max_idle_s: float = MAX_IDLE_S,
        retry_s: float = RETRY_S,
    ) -> None:
        self.poller = poller
        self.live = live
        self.clock = clock
        self._sleep = sleep
        self.max_idle_s = max_idle_s
        self.retry_s = retry_s
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look now (a feed was added or resumed in this process)."""
        self._wake.set()

    async def run_once(self) -> None:
        """One pass: posts left unfinished (a restart), due feeds polled, new stories posted.

        Live work comes first too, so a story stored but not posted before a crash is posted
        at once after the restart, not after the next poll."""
        await self.live.run_once()
        await self.poller.poll_due()
        await self.live.run_once()

    async def run_forever(self) -> None:
        while True:
            self._wake.clear()
            delay = self.retry_s
            try:
                await self.run_once()
                due = await self.poller.next_due()
                delay = self.max_idle_s
                if due is not None:
                    seconds = (due - self.clock()).total_seconds()
                    delay = max(0.0, min(seconds, self.max_idle_s))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("feed pass failed; trying again in %.0f s", delay)
            sleeper = asyncio.ensure_future(self._sleep(delay))
            waker = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (sleeper, waker):
                    task.cancel()
                await asyncio.gather(sleeper, waker, return_exceptions=True)
