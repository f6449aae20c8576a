"""Digests in forums (a new post a day) and announcement channels (published once), with the
day's world map attached, through the real bot and the Discord double."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
from PIL import Image
from spacy.language import Language

from bot.app import App
from bot.domain.digests import ChannelKind, Digest, DigestSubscription
from bot.domain.stories import Briefing, Story, StorySource
from bot.domain.window import Window
from commands.client import DiplobriefBot
from commands.digest import DiscordDigestSender
from tests.conftest import SEED
from tests.digest_texts import BORDER_TALKS, LITHIUM_DEAL, NILE_TREATY, store_article
from tests.discord_double import payloads as p
from tests.discord_double.fixtures import RunningBot
from tests.discord_double.server import BOT_TOKEN, DiscordDouble, SentMessage
from tests.e2e.test_digests import START, DigestBot, FakeClock, start_digest_bot, utc

DIGEST_TAG = 7001


class MapSender(DiscordDigestSender):
    """The sender as the bot builds it: with the App's pictures."""

    def __init__(self, client: DiplobriefBot) -> None:
        super().__init__(client, client.app.pictures)


class LostAnswerSender(MapSender):
    """Posts, then loses Discord's answer once (a timeout): the outcome is unknown."""

    lost = 0

    async def send_digest(self, digest: Digest) -> int:
        message_id = await super().send_digest(digest)
        if not LostAnswerSender.lost:
            LostAnswerSender.lost += 1
            raise ConnectionResetError("the answer was lost")
        return message_id


def add_digest_channels(double: DiscordDouble) -> tuple[p.FakeChannel, p.FakeChannel]:
    guild = double.world.guild
    forum = p.FakeChannel(
        p.new_snowflake(),
        "briefings",
        guild.id,
        5,
        type=p.CHANNEL_FORUM,
        flags=p.FORUM_REQUIRE_TAG,
        tags=((DIGEST_TAG - 1, "Question"), (DIGEST_TAG, "Daily digest")),
    )
    announcements = p.FakeChannel(
        p.new_snowflake(), "announcements", guild.id, 6, type=p.CHANNEL_ANNOUNCEMENT
    )
    guild.channels.extend([forum, announcements])
    return forum, announcements


async def start(
    tmp_path: Path,
    apps: Callable[..., Awaitable[App]],
    double: DiscordDouble,
    runner: Callable[..., Awaitable[RunningBot]],
    sender: type[DiscordDigestSender] = MapSender,
) -> DigestBot:
    return await start_digest_bot(
        double, apps, runner, tmp_path / "bot.db", FakeClock(START), sender_class=sender
    )


async def a_busy_day(bot: DigestBot, nlp: Language) -> None:
    """Three stories naming North Korea, China, the US, Poland, Germany, Egypt, Ethiopia…"""
    for text, url, hour in (
        (SEED.read_text(encoding="utf-8"), "https://example.org/kerry", 1),
        (BORDER_TALKS, "https://example.org/border", 2),
        (NILE_TREATY, "https://example.org/nile", 3),
    ):
        await store_article(
            bot.store, nlp, text, url=url, when=utc(2024, 6, 3, hour), guild_id=bot.guild_id
        )


def check_map(message: SentMessage) -> None:
    [picture] = message.files
    assert picture.filename == "digest-map.png"
    assert picture.description is not None
    assert picture.description.startswith(
        "World map of the countries named in 3 articles on Monday 3 June 2024"
    )
    assert "North Korea" in picture.description and "China" in picture.description
    image = Image.open(io.BytesIO(picture.data))
    assert image.format == "PNG" and image.width == 1200
    [attachment] = message.payload()["attachments"]
    assert attachment["description"] == picture.description


async def test_a_forum_digest_is_one_new_post_a_day_titled_with_the_date_and_top_story(
    tmp_path: Path,
    apps: Callable[..., Awaitable[App]],
    discord_double: DiscordDouble,
    bot_runner: Callable[..., Awaitable[RunningBot]],
    nlp: Language,
) -> None:
    forum, _ = add_digest_channels(discord_double)
    LostAnswerSender.lost = 0
    bot = await start(tmp_path, apps, discord_double, bot_runner, LostAnswerSender)
    confirmation = await bot.running.slash(
        "digest subscribe",
        {"channel": forum, "time": "08:00", "timezone": "UTC"},
        member="olivia_owner",
        channel=discord_double.channel("general"),
    )
    [note] = confirmation.visible_messages
    assert note.ephemeral
    assert note.content.startswith(f"<#{forum.id}> gets a daily digest at 08:00 (UTC)")
    assert "each one is a new post" in note.content
    [stored] = await bot.store.digests.subscriptions(bot.guild_id)
    assert (stored.channel_id, stored.channel_kind) == (forum.id, "forum")
    await a_busy_day(bot, nlp)

    [lost] = await bot.run_once(utc(2024, 6, 3, 8, 0))
    assert lost.outcome == "retry"  # posted, but the bot never heard back
    [retried] = await bot.run_once(utc(2024, 6, 3, 8, 1))
    assert retried.outcome == "sent"
    guild = discord_double.world.guild
    [post] = [t for t in guild.threads if t.parent_id == forum.id]
    assert retried.message_id == post.id
    assert post.name.startswith("Monday 3 June 2024 · ")
    assert post.applied_tags == (DIGEST_TAG,)  # the forum requires a tag: the digest one
    [first] = discord_double.channel_messages(post.id)
    assert first.id == post.id
    assert first.embeds[0]["title"] == "Daily digest · Monday 3 June 2024"
    top_story = first.embeds[1]["title"].split(". ", 1)[1]
    title_story = post.name.split(" · ", 1)[1]
    assert len(post.name) <= 100 and top_story.startswith(title_story.rstrip(" …"))
    assert first.allowed_mentions == {"parse": []}
    check_map(first)
    assert len(discord_double.requests_to("POST", f"/channels/{forum.id}/threads")) == 1

    await store_article(
        bot.store,
        nlp,
        LITHIUM_DEAL,
        url="https://example.org/lithium",
        when=utc(2024, 6, 4, 2),
        guild_id=bot.guild_id,
    )
    [tomorrow] = await bot.run_once(utc(2024, 6, 4, 8, 0))
    assert tomorrow.outcome == "sent"
    posts = [t for t in guild.threads if t.parent_id == forum.id]
    assert [t.name.split(" · ")[0] for t in posts] == ["Monday 3 June 2024", "Tuesday 4 June 2024"]
    assert "lithium" in posts[1].name.lower()


async def test_an_announcement_digest_is_published_once(
    tmp_path: Path,
    apps: Callable[..., Awaitable[App]],
    discord_double: DiscordDouble,
    bot_runner: Callable[..., Awaitable[RunningBot]],
    nlp: Language,
) -> None:
    _, announcements = add_digest_channels(discord_double)
    LostAnswerSender.lost = 0
    bot = await start(tmp_path, apps, discord_double, bot_runner, LostAnswerSender)
    note = await bot.subscribe(announcements, time="08:00", timezone="UTC")
    assert "each one is published to the servers that follow the channel" in note.content
    [stored] = await bot.store.digests.subscriptions(bot.guild_id)
    assert stored.channel_kind == "announcement"
    await a_busy_day(bot, nlp)
    [lost] = await bot.run_once(utc(2024, 6, 3, 8, 0))
    assert lost.outcome == "retry"
    [sent] = await bot.run_once(utc(2024, 6, 3, 8, 1))
    assert sent.outcome == "sent"
    [digest] = discord_double.channel_messages(announcements)
    assert sent.message_id == digest.id
    assert digest.crossposts == 1 and digest.flags & p.CROSSPOSTED_FLAG
    crossposts = discord_double.requests_to(
        "POST", f"/channels/{announcements.id}/messages/{digest.id}/crosspost"
    )
    assert [r.status for r in crossposts] == [200]  # the retry saw it published: not asked again
    check_map(digest)


async def test_quiet_and_thin_days_attach_no_map_and_a_forum_without_a_digest_tag_pauses(
    tmp_path: Path,
    apps: Callable[..., Awaitable[App]],
    discord_double: DiscordDouble,
    bot_runner: Callable[..., Awaitable[RunningBot]],
    nlp: Language,
) -> None:
    guild = discord_double.world.guild
    strict = p.FakeChannel(
        p.new_snowflake(),
        "questions",
        guild.id,
        7,
        type=p.CHANNEL_FORUM,
        flags=p.FORUM_REQUIRE_TAG,
        tags=((DIGEST_TAG + 1, "Question"),),
    )
    guild.channels.append(strict)
    bot = await start(tmp_path, apps, discord_double, bot_runner)
    news = discord_double.channel("news")
    await bot.subscribe(news, time="08:00", timezone="UTC")
    await bot.running.slash(
        "digest subscribe",
        {"channel": strict, "time": "08:00", "timezone": "UTC"},
        member="olivia_owner",
    )
    results = {r.channel_id: r for r in await bot.run_once(utc(2024, 6, 3, 8, 0))}
    [quiet] = discord_double.channel_messages(news)
    assert quiet.content.startswith("Quiet day") and quiet.files == ()
    assert results[strict.id].outcome == "paused"
    assert "requires a tag" in (results[strict.id].detail or "")

    await store_article(  # two countries only: no map
        bot.store,
        nlp,
        BORDER_TALKS,
        url="https://example.org/border",
        when=utc(2024, 6, 4, 2),
        guild_id=bot.guild_id,
    )
    await bot.run_once(utc(2024, 6, 4, 8, 0))
    thin = discord_double.channel_messages(news)[1]
    assert thin.embeds and thin.files == ()


@pytest.mark.parametrize("kind", ["text", "forum"])
async def test_preview_shows_the_map_privately(
    tmp_path: Path,
    apps: Callable[..., Awaitable[App]],
    discord_double: DiscordDouble,
    bot_runner: Callable[..., Awaitable[RunningBot]],
    nlp: Language,
    kind: str,
) -> None:
    forum, _ = add_digest_channels(discord_double)
    bot = await start(tmp_path, apps, discord_double, bot_runner)
    await a_busy_day(bot, nlp)
    bot.clock.moment = utc(2024, 6, 3, 8, 0)
    options = {"channel": forum} if kind == "forum" else {}
    record = await bot.running.slash(
        "digest preview", options, member="olivia_owner", channel=discord_double.channel("news")
    )
    [preview] = record.visible_messages
    assert preview.ephemeral
    if kind == "forum":
        assert preview.content.startswith(f"<#{forum.id}> has no digest yet")
    check_map(preview)


def one_story_digest(subscription: DigestSubscription) -> Digest:
    story = Story(
        "Egypt and Ethiopia resume talks on the Nile dam",
        ("Negotiators met in Nairobi on Tuesday.",),
        (),
        (),
        None,
        (StorySource(1, "Nile talks", "https://example.org/n", None, "example.org", START),),
        1,
        START,
        START,
        1.0,
    )
    briefing = Briefing(Window(START - timedelta(days=1), START), None, None, (story,), 1, 1)
    return Digest(subscription, briefing, date(2024, 6, 3), f"nonce-{subscription.id}")


async def test_a_worker_without_the_gateway_goes_by_what_the_subscription_learnt(
    discord_double: DiscordDouble,
) -> None:
    forum, announcements = add_digest_channels(discord_double)
    guild = discord_double.world.guild
    client = discord.Client(intents=discord.Intents.none())
    async with client:
        await client.login(BOT_TOKEN)  # no gateway: nothing cached, as `diplobrief worker`
        sender = DiscordDigestSender(client)

        def subscription(number: int, channel: p.FakeChannel, kind: ChannelKind) -> Any:
            return DigestSubscription(
                id=number,
                guild_id=guild.id,
                channel_id=channel.id,
                local_time="08:00",
                timezone="UTC",
                topic=None,
                country=None,
                quiet=False,
                created_by=None,
                created_at=START,
                next_due_at=START,
                last_digest_until=None,
                last_sent_at=None,
                channel_kind=kind,
            )

        in_forum = one_story_digest(subscription(1, forum, "forum"))
        first = await sender.send_digest(in_forum)
        again = await sender.send_digest(in_forum)  # a retry: the post is found, not repeated
        [post] = guild.threads
        assert first == again == post.id
        assert post.name == "Monday 3 June 2024 · Egypt and Ethiopia resume talks on the Nile dam"

        published = one_story_digest(subscription(2, announcements, "announcement"))
        message_id = await sender.send_digest(published)
        assert await sender.send_digest(published) == message_id  # the nonce: one message
        [message] = discord_double.channel_messages(announcements)
        assert message.id == message_id and message.crossposts == 1
