"""Live channels: one message per story, edited as more outlets report it, never a flood.

- The poller writes a live candidate together with each stored feed article of a server with
  a live channel. `LivePoster.run_once(now)` handles them oldest first: the briefing's story
  clustering (bot.nlp.stories) over the server's last 24 hours decides whether the article
  joins a story already posted in the channel (that message is edited: "N reports", every
  outlet), tells a story the server had seen otherwise (nothing posted), or starts a new one.
- At most `per_hour` new story posts per channel per hour; the rest wait for the digest.
- Exactly once: a post is recorded ("sending") before Discord is asked, with a nonce derived
  from its row; after a crash it is sent again with the same nonce, which Discord dedupes.
  A "sending" post older than Discord's nonce memory is given up rather than risk a double.
- This module holds no Discord objects: a `LiveSender` (the Discord front end's) posts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.analysis import Analyzer
from bot.domain.articles import ArticleLead
from bot.domain.clock import Clock, utc_now
from bot.domain.digests import DeliveryRefused, DeliveryRejected
from bot.domain.feeds import (
    DEFAULT_LIVE_PER_HOUR,
    LIVE_MAX_DELAY,
    LIVE_STORY_WINDOW,
    LiveCandidate,
    LiveNotice,
    LivePost,
)
from bot.domain.stories import LoadedArticle, Story, StoryCluster
from bot.domain.window import Window
from bot.nlp.stories import LEAD_CHARS, MAX_NAMES, cluster_stories, story_members
from bot.nlp.story_summary import build_stories
from storage.protocols import Store

log = logging.getLogger(__name__)

# Discord dedupes a nonce "in the past few minutes": past this a send is not repeated.
NONCE_DEDUPE_WINDOW = timedelta(minutes=2)
LIVE_SENTENCES = 3


class LiveSender(Protocol):
    """Posts and edits live story messages (the Discord front end's).

    DeliveryRefused: the channel is gone or closed to the bot; DeliveryRejected: Discord
    refused the message. Anything else: the outcome is unknown, tried again later.
    """

    async def send_story(self, post: LivePost, story: Story) -> int:
        """Post the story with `post.nonce`; the id of the message Discord accepted."""
        ...

    async def edit_story(self, post: LivePost, story: Story) -> None:
        """Show the story's current sources in the post's message."""
        ...

    async def send_notice(self, notice: LiveNotice) -> None:
        """Post a short notice (a feed was paused)."""
        ...


def story_of(
    leads: Sequence[ArticleLead], loaded: dict[int, LoadedArticle], sentences: int
) -> Story:
    """One story told by all these articles (pure: runs in the analysis workers)."""
    clusters = cluster_stories(leads)
    reports = tuple(group for cluster in clusters for group in cluster.reports)
    members = tuple(range(len(leads)))
    cluster = StoryCluster(members=members, reports=reports)
    [story] = build_stories(leads, [(cluster, 1.0)], loaded, sentences)
    return story


class LivePoster:
    """Turns live candidates into story posts and edits; `run_once(now)` is one pass."""

    def __init__(
        self,
        store: Store,
        analyzer: Analyzer,
        sender: LiveSender,
        *,
        now: Clock = utc_now,
        per_hour: int = DEFAULT_LIVE_PER_HOUR,
        nonce_window: timedelta = NONCE_DEDUPE_WINDOW,
    ) -> None:
        self.store = store
        self.analyzer = analyzer
        self.sender = sender
        self.now = now
        self.per_hour = per_hour
        self.nonce_window = nonce_window

    async def run_once(self, now: datetime | None = None) -> dict[str, int]:
        """Finish interrupted posts, handle pending candidates, redo stale edits, send notices."""
        moment = now or self.now()
        counts: dict[str, int] = {}

        def count(outcome: str) -> None:
            counts[outcome] = counts.get(outcome, 0) + 1

        for post in await self.store.feeds.live_posts_to_finish():
            await self._finish(post, moment)
        for candidate in await self.store.feeds.pending_live():
            outcome = await self._candidate_safely(candidate, moment)
            count(outcome)
        for post in await self.store.feeds.live_posts_to_finish():
            await self._finish(post, moment)
        for notice in await self.store.feeds.pending_notices():
            try:
                await self.sender.send_notice(notice)
            except (DeliveryRefused, DeliveryRejected) as error:
                log.warning("live notice %d not delivered: %s", notice.id, error)
            except Exception:
                log.exception("live notice %d: outcome unknown, tried again later", notice.id)
                continue
            await self.store.feeds.notice_sent(notice.id, now=moment)
        if counts:
            log.info("live pass: %s", counts)
        return counts

    async def _candidate_safely(self, candidate: LiveCandidate, now: datetime) -> str:
        try:
            return await self._candidate(candidate, now)
        except Exception:
            log.exception("live candidate %d failed; tried again later", candidate.id)
            return "failed"

    async def _candidate(self, candidate: LiveCandidate, now: datetime) -> str:
        store = self.store
        if now - candidate.created_at > LIVE_MAX_DELAY:
            await store.feeds.finish_live_candidate(candidate.id, "expired", now=now)
            return "expired"
        window = Window(now - LIVE_STORY_WINDOW, now + timedelta(seconds=1))
        leads = await store.articles.leads(
            candidate.scope, window, lead_chars=LEAD_CHARS, max_names=MAX_NAMES
        )
        if all(lead.id != candidate.article_id for lead in leads):
            await store.feeds.finish_live_candidate(candidate.id, "expired", now=now)
            return "expired"
        members = set(await self.analyzer.run(story_members, leads, candidate.article_id))
        others = members - {candidate.article_id}
        posts = [
            post
            for post in await store.feeds.live_posts(
                candidate.scope, candidate.channel_id, now - LIVE_STORY_WINDOW
            )
            if post.status != "abandoned"
        ]
        told = [post for post in posts if others & set(post.article_ids)]
        if told:
            await store.feeds.extend_live_post(candidate, told[-1].id, now=now)
            return "edited"
        waiting = {
            c.article_id
            for c in await store.feeds.pending_live()
            if c.scope == candidate.scope and c.channel_id == candidate.channel_id
        }
        if others - waiting:
            # The server has this story already (stored before, or deferred): not new.
            await store.feeds.finish_live_candidate(candidate.id, "seen", now=now)
            return "seen"
        made = await store.feeds.live_posts_made(
            candidate.scope, candidate.channel_id, now - timedelta(hours=1)
        )
        if made >= self.per_hour:
            await store.feeds.finish_live_candidate(candidate.id, "deferred", now=now)
            return "deferred"
        await store.feeds.create_live_post(candidate, now=now)
        return "posted"

    async def _finish(self, post: LivePost, now: datetime) -> None:
        """Send a recorded post, or edit one whose sources changed."""
        try:
            if post.status == "sending":
                if now - post.created_at > self.nonce_window:
                    log.warning(
                        "live post %d began %s ago and may have been posted; not repeated",
                        post.id,
                        now - post.created_at,
                    )
                    await self.store.feeds.abandon_live_post(post.scope, post.id)
                    return
                story = await self._story(post)
                if story is None:
                    await self.store.feeds.abandon_live_post(post.scope, post.id)
                    return
                message_id = await self.sender.send_story(post, story)
                await self.store.feeds.mark_live_rendered(
                    post.scope, post.id, message_id=message_id, rendered=post.updated_at
                )
            elif post.needs_edit and post.message_id is not None:
                story = await self._story(post)
                if story is not None:
                    await self.sender.edit_story(post, story)
                await self.store.feeds.mark_live_rendered(
                    post.scope, post.id, message_id=post.message_id, rendered=post.updated_at
                )
        except (DeliveryRefused, DeliveryRejected) as error:
            log.warning("live post %d in channel %d refused: %s", post.id, post.channel_id, error)
            await self.store.feeds.abandon_live_post(post.scope, post.id)
        except Exception:
            log.exception("live post %d: outcome unknown; tried again with its nonce", post.id)

    async def _story(self, post: LivePost) -> Story | None:
        """The post's story as it stands: every article added to it, summarised across them."""
        articles = await self.store.articles.get_many(post.scope, post.article_ids)
        analyses = await self.store.articles.analyses(post.scope, [a.id for a in articles])
        loaded = {a.id: LoadedArticle(a, analyses[a.id]) for a in articles if a.id in analyses}
        if not loaded:
            return None
        leads = [_lead(item) for item in loaded.values()]
        return await self.analyzer.run(story_of, leads, loaded, LIVE_SENTENCES)


def _lead(item: LoadedArticle) -> ArticleLead:
    """A stored article as clustering sees it (what the Store's leads() would give)."""
    article, analysis = item.article, item.analysis
    names = tuple(e.name for e in analysis.entities if e.label in ("PERSON", "ORG"))
    return ArticleLead(
        id=article.id,
        title=article.title,
        url=article.url,
        site_name=article.site_name,
        added_at=article.added_at,
        lead=article.text[:LEAD_CHARS],
        text_length=len(article.text),
        countries=analysis.countries,
        names=names[:MAX_NAMES],
        source_path=article.source_path,
    )
