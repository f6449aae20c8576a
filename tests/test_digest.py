"""Daily digests: local-time occurrences across DST, the scheduler on a fake clock, and the real
bot posting digests to the Discord double (restarts, refusals, rate limits, quiet days)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from spacy.language import Language

from bot.analysis import AnalysisRequest, ThreadAnalyzer, run_request
from bot.app import App
from bot.config import Settings
from bot.domain.digests import DeliveryRefused, Digest
from bot.domain.errors import InvalidScheduleError
from bot.domain.schedule import (
    digest_nonce,
    first_due,
    latest_occurrence,
    next_occurrence,
    parse_local_time,
    parse_timezone,
)
from bot.services.briefings import BriefingService
from bot.services.digests import check_subscription
from bot.services.scheduler import DigestScheduler
from commands.client import DiplobriefBot
from commands.digest import DigestCog, DiscordDigestSender
from storage import SqliteStore, Store
from tests.conftest import SEED
from tests.discord_double import payloads as p
from tests.discord_double.fixtures import RunningBot, bot_runner, discord_double  # noqa: F401
from tests.discord_double.server import DiscordDouble, SentMessage

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
GUILD = 4242


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def local(zone: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=zone, fold=fold)  # type: ignore[misc]


# --- occurrences ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "after", "expected"),
    [
        # Summer: Berlin is UTC+2, New York UTC-4, Kolkata always UTC+5:30.
        (BERLIN, utc(2024, 6, 3, 5, 0), utc(2024, 6, 3, 6, 0)),
        (BERLIN, utc(2024, 6, 3, 6, 0), utc(2024, 6, 4, 6, 0)),  # strictly after
        (NEW_YORK, utc(2024, 6, 3, 6, 0), utc(2024, 6, 3, 12, 0)),
        (KOLKATA, utc(2024, 6, 3, 0, 0), utc(2024, 6, 3, 2, 30)),
        (KOLKATA, utc(2024, 6, 3, 2, 31), utc(2024, 6, 4, 2, 30)),
        # Winter: Berlin UTC+1, New York UTC-5.
        (BERLIN, utc(2024, 1, 15, 12, 0), utc(2024, 1, 16, 7, 0)),
        (NEW_YORK, utc(2024, 1, 15, 12, 0), utc(2024, 1, 15, 13, 0)),
    ],
)
def test_eight_oclock_local_in_three_timezones(
    zone: ZoneInfo, after: datetime, expected: datetime
) -> None:
    found = next_occurrence(time(8, 0), zone, after)
    assert found == expected
    assert found.tzinfo is not None and found.utcoffset() == timedelta(0)
    assert found.astimezone(zone).time() == time(8, 0)


def occurrences(local_time: time, zone: ZoneInfo, start: datetime, count: int) -> list[datetime]:
    found, moment = [], start
    for _ in range(count):
        moment = next_occurrence(local_time, zone, moment)
        found.append(moment)
    return found


def test_spring_forward_time_inside_the_gap_is_due_once_at_the_end_of_the_gap() -> None:
    # 31 March 2024: Berlin clocks jump from 02:00 to 03:00; 02:30 does not exist that day.
    days = occurrences(time(2, 30), BERLIN, local(BERLIN, 2024, 3, 29, 12, 0), 4)
    assert [d.astimezone(BERLIN).replace(tzinfo=None) for d in days] == [
        datetime(2024, 3, 30, 2, 30),
        datetime(2024, 3, 31, 3, 0),
        datetime(2024, 4, 1, 2, 30),
        datetime(2024, 4, 2, 2, 30),
    ]
    assert days[1] == utc(2024, 3, 31, 1, 0)
    # New York, 10 March 2024: 02:00 → 03:00.
    [new_york] = occurrences(time(2, 30), NEW_YORK, local(NEW_YORK, 2024, 3, 10, 0, 0), 1)
    assert new_york == local(NEW_YORK, 2024, 3, 10, 3, 0)


def test_fall_back_repeated_time_is_due_once_at_its_first_occurrence() -> None:
    # 3 November 2024: New York clocks go from 02:00 back to 01:00; 01:30 happens twice.
    days = occurrences(time(1, 30), NEW_YORK, local(NEW_YORK, 2024, 11, 2, 12, 0), 3)
    # (Ambiguous local times never compare equal across zones, so compare in UTC.)
    assert days == [utc(2024, 11, 3, 5, 30), utc(2024, 11, 4, 6, 30), utc(2024, 11, 5, 6, 30)]
    assert days[0].astimezone(NEW_YORK).utcoffset() == timedelta(hours=-4)  # EDT, the first
    # From inside the repeated hour, the next one is the following day.
    second_pass = utc(2024, 11, 3, 6, 15)  # 01:15 EST, the repeated hour
    assert next_occurrence(time(1, 30), NEW_YORK, second_pass) == days[1]
    # Berlin, 27 October 2024: 03:00 → 02:00; 02:30 counts once.
    [berlin] = occurrences(time(2, 30), BERLIN, local(BERLIN, 2024, 10, 26, 12, 0), 1)
    assert berlin == utc(2024, 10, 27, 0, 30)
    assert next_occurrence(time(2, 30), BERLIN, berlin) == local(BERLIN, 2024, 10, 28, 2, 30)


def test_latest_occurrence_is_the_last_one_not_after_the_moment() -> None:
    assert latest_occurrence(time(8, 0), KOLKATA, utc(2024, 6, 3, 2, 30)) == utc(2024, 6, 3, 2, 30)
    assert latest_occurrence(time(8, 0), KOLKATA, utc(2024, 6, 3, 2, 29)) == utc(2024, 6, 2, 2, 30)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        next_occurrence(time(8, 0), BERLIN, datetime(2024, 6, 3, 8, 0))


@pytest.mark.parametrize("text", ["25:00", "8", "08:60", "eight", "", "08:00pm"])
def test_bad_times_are_refused_with_a_clear_message(text: str) -> None:
    with pytest.raises(InvalidScheduleError, match="HH:MM"):
        parse_local_time(text)


def test_timezones_by_iana_name_any_case_and_nothing_else() -> None:
    assert parse_timezone("europe/berlin").key == "Europe/Berlin"
    assert parse_timezone("UTC").key == "UTC"
    for bad in ("Mars/Olympus", "CEST+2", "../etc/passwd", ""):
        with pytest.raises(InvalidScheduleError, match="IANA"):
            parse_timezone(bad)


def test_subscription_options_are_normalised() -> None:
    checked = check_subscription("8:05", "asia/kolkata", "  sea   lanes ", "china", quiet=True)
    assert (checked.local_time, checked.timezone, checked.topic, checked.country) == (
        "08:05",
        "Asia/Kolkata",
        "sea lanes",
        "CN",
    )
    assert checked.quiet


def test_nonce_is_per_subscription_and_local_day_and_fits_discord() -> None:
    nonce = digest_nonce(123456789012, date(2024, 6, 3))
    assert nonce == "dg123456789012-20240603" and len(nonce) <= 25
    assert digest_nonce(1, date(2024, 6, 3)) != digest_nonce(1, date(2024, 6, 4))


# --- the scheduler on a fake clock, with a recording sender ----------------------------------


@dataclass
class RecordingSender:
    """Stands in for Discord: keeps what would be posted; refuses listed channels."""

    posted: list[Digest] = field(default_factory=list)
    refused_channels: set[int] = field(default_factory=set)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def send_digest(self, digest: Digest) -> int:
        if digest.subscription.channel_id in self.refused_channels:
            raise DeliveryRefused("Unknown Channel")
        self.posted.append(digest)
        self.changed.set()
        return 1000 + len(self.posted)

    async def wait_for_posts(self, count: int) -> None:
        """Until `count` digests were posted (an event per post; no sleeping)."""
        while True:
            self.changed.clear()
            if len(self.posted) >= count:
                return
            await asyncio.wait_for(self.changed.wait(), 30)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await SqliteStore.open(tmp_path / "digest.sqlite") as opened:
        yield opened


async def subscribe(
    store: Store,
    channel_id: int,
    local_time: str,
    timezone: str,
    now: datetime,
    *,
    quiet: bool = False,
    topic: str | None = None,
) -> int:
    subscription = await store.digests.subscribe(
        GUILD,
        channel_id,
        local_time=local_time,
        timezone=timezone,
        topic=topic,
        country=None,
        quiet=quiet,
        created_by=None,
        next_due_at=first_due(local_time, timezone, now),
        now=now,
    )
    return subscription.id


ANALYZER = ThreadAnalyzer(None)


def scheduler_for(store: Store, sender: Any, clock: list[datetime]) -> DigestScheduler:
    now = lambda: clock[0]  # noqa: E731
    return DigestScheduler(store, BriefingService(store, ANALYZER, now), sender, now=now)


async def run_every(
    scheduler: DigestScheduler, start: datetime, end: datetime, step: timedelta
) -> list[Any]:
    """The loop's passes, as a clock ticking from start to end would make them."""
    results = []
    moment = start
    while moment <= end:
        results += await scheduler.run_once(moment)
        moment += step
    return results


async def test_spring_forward_night_sends_once_at_three(store: Store) -> None:
    start = local(BERLIN, 2024, 3, 30, 12, 0)
    await subscribe(store, 1, "02:30", "Europe/Berlin", start)
    sender = RecordingSender()
    scheduler = scheduler_for(store, sender, [start])
    results = await run_every(
        scheduler, utc(2024, 3, 30, 23, 0), utc(2024, 3, 31, 6, 0), timedelta(minutes=15)
    )
    assert [r.outcome for r in results] == ["sent"]
    [digest] = sender.posted
    assert digest.until == utc(2024, 3, 31, 1, 0)  # 03:00 CEST, the first valid time
    assert digest.local_date == date(2024, 3, 31)


async def test_fall_back_night_sends_once_not_twice(store: Store) -> None:
    start = local(NEW_YORK, 2024, 11, 2, 12, 0)
    await subscribe(store, 1, "01:30", "America/New_York", start)
    sender = RecordingSender()
    scheduler = scheduler_for(store, sender, [start])
    results = await run_every(
        scheduler, utc(2024, 11, 3, 4, 0), utc(2024, 11, 3, 9, 0), timedelta(minutes=15)
    )
    assert [r.outcome for r in results] == ["sent"]
    assert sender.posted[0].until == utc(2024, 11, 3, 5, 30)


async def test_missed_by_less_than_six_hours_is_sent_once_on_start_older_is_skipped(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    start = utc(2024, 6, 2, 12, 0)
    recent = await subscribe(store, 1, "08:00", "Europe/Berlin", start)  # due 06:00 UTC
    stale = await subscribe(store, 2, "08:00", "Asia/Kolkata", start)  # due 02:30 UTC
    sender = RecordingSender()
    scheduler = scheduler_for(store, sender, [start])
    back_up = utc(2024, 6, 3, 11, 45)  # the bot was down from before 02:30 until 11:45
    with caplog.at_level(logging.WARNING, logger="bot.services.scheduler"):
        results = {r.subscription_id: r for r in await scheduler.run_once(back_up)}
    assert results[recent].outcome == "sent"  # 5 h 45 min late
    assert results[stale].outcome == "skipped"  # 9 h 15 min late
    assert "missed by 9 h 15 min" in caplog.text
    assert [d.subscription.id for d in sender.posted] == [recent]
    assert await scheduler.run_once(back_up + timedelta(minutes=1)) == []
    # Both are due again on their next local morning, once.
    next_day = await run_every(
        scheduler, utc(2024, 6, 4, 0, 0), utc(2024, 6, 4, 12, 0), timedelta(minutes=30)
    )
    assert sorted(r.subscription_id for r in next_day if r.outcome == "sent") == [recent, stale]


async def test_after_days_down_only_a_recent_occurrence_is_sent(store: Store) -> None:
    start = utc(2024, 6, 1, 12, 0)
    await subscribe(store, 1, "08:00", "UTC", start)
    sender = RecordingSender()
    scheduler = scheduler_for(store, sender, [start])
    results = await scheduler.run_once(utc(2024, 6, 5, 10, 0))  # down since 1 June
    assert [(r.outcome, r.local_date) for r in results] == [("sent", date(2024, 6, 5))]
    assert sender.posted[0].since == start  # a first digest covers everything since subscribing
    back_up = await scheduler.run_once(utc(2024, 6, 16, 7, 0))  # down again for ten days
    assert [(r.outcome, r.local_date) for r in back_up] == [("skipped", date(2024, 6, 15))]
    [on_time] = await scheduler.run_once(utc(2024, 6, 16, 8, 0))
    assert (on_time.outcome, on_time.local_date) == ("sent", date(2024, 6, 16))
    assert sender.posted[1].since == utc(2024, 6, 9, 8, 0)  # at most 7 days back


async def test_refused_channel_is_paused_and_the_rest_still_sent(store: Store) -> None:
    start = utc(2024, 6, 2, 12, 0)
    for channel in range(1, 6):
        await subscribe(store, channel, "08:00", "UTC", start)
    sender = RecordingSender(refused_channels={3})
    scheduler = scheduler_for(store, sender, [start])
    results = await scheduler.run_once(utc(2024, 6, 3, 8, 0))
    outcomes = {r.channel_id: r.outcome for r in results}
    assert outcomes == {1: "sent", 2: "sent", 3: "paused", 4: "sent", 5: "sent"}
    [paused] = [s for s in await store.digests.subscriptions(GUILD) if s.paused]
    assert paused.channel_id == 3 and paused.paused_reason == "Unknown Channel"
    tomorrow = await scheduler.run_once(utc(2024, 6, 4, 8, 0))
    assert sorted(r.channel_id for r in tomorrow) == [1, 2, 4, 5]  # not retried forever


async def test_a_send_begun_long_before_a_restart_is_not_repeated(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    start = utc(2024, 6, 2, 12, 0)
    sub_id = await subscribe(store, 1, "08:00", "UTC", start)
    due = utc(2024, 6, 3, 8, 0)
    # The process began sending at 08:00 and died; it is back after Discord's nonce window.
    await store.digests.begin_delivery(
        GUILD,
        sub_id,
        "2024-06-03",
        nonce=digest_nonce(sub_id, date(2024, 6, 3)),
        due_at=due,
        now=due,
    )
    sender = RecordingSender()
    scheduler = scheduler_for(store, sender, [start])
    with caplog.at_level(logging.WARNING, logger="bot.services.scheduler"):
        [result] = await scheduler.run_once(due + timedelta(minutes=10))
    assert result.outcome == "skipped" and sender.posted == []
    assert "may have been posted" in caplog.text
    [tomorrow] = await scheduler.run_once(due + timedelta(days=1))
    assert tomorrow.outcome == "sent"


async def test_the_loop_sleeps_until_the_next_digest_and_wakes_for_new_subscriptions(
    store: Store,
) -> None:
    clock = [utc(2024, 6, 3, 7, 0)]
    slept: list[float] = []
    parked = asyncio.Event()

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) >= 3:
            parked.set()
            await asyncio.Event().wait()  # stay asleep until woken or cancelled
        clock[0] += timedelta(seconds=seconds)

    sender = RecordingSender()
    briefings = BriefingService(store, ANALYZER, lambda: clock[0])
    scheduler = DigestScheduler(store, briefings, sender, now=lambda: clock[0], sleep=fake_sleep)
    await subscribe(store, 1, "07:04", "UTC", clock[0])
    loop = asyncio.create_task(scheduler.run_forever())
    try:
        await asyncio.wait_for(parked.wait(), 5)
        assert slept[0] == 240  # 07:00 → 07:04
        assert [d.until for d in sender.posted] == [utc(2024, 6, 3, 7, 4)]
        assert slept[1] == 300  # nothing due for a day: look again every 5 minutes at most
        await subscribe(store, 2, "07:20", "UTC", utc(2024, 6, 3, 7, 15))
        clock[0] = utc(2024, 6, 3, 7, 20)
        scheduler.wake()
        await sender.wait_for_posts(2)
        assert [d.subscription.channel_id for d in sender.posted] == [1, 2]
    finally:
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop


# --- articles for the end-to-end tests (written for these tests) ------------------------------

BORDER_TALKS = """\
Poland and Germany agree on joint border patrols
Foreign ministers from Poland and Germany agreed in Warsaw on Monday to run joint patrols along \
their shared border, after months of dispute over migrant crossings.
Polish Foreign Minister Tomasz Nowak and his German counterpart Katrin Weber said the first \
patrols would start in the autumn and would include police from both countries.
"We are neighbours, and neighbours guard the gate together," Mr. Nowak said after the meeting.
Ms. Weber said Berlin would also fund new equipment at three crossings near Frankfurt an der Oder.
The European Commission welcomed the agreement and said it could serve as a model for others.
"""

NILE_TREATY = """\
Egypt and Ethiopia resume talks on the Nile dam
Negotiators from Egypt and Ethiopia met in Nairobi on Tuesday to resume talks on how the great \
dam on the Blue Nile should be filled during years of drought.
The talks, hosted by Kenya, are the first in more than a year and follow a series of warnings \
from Cairo about the river's flow during the summer months.
"Water must unite us, not divide us," said Ethiopian Water Minister Dawit Alemu, who led his \
country's delegation at the talks.
Egyptian officials said they wanted a binding agreement with clear rules for dry years, not \
another statement of principles.
Kenyan President William Otieno said both delegations had agreed to meet again next month.
"""

LITHIUM_DEAL = """\
Chile and Argentina sign a lithium cooperation pact
Chile and Argentina signed an agreement in Santiago on Wednesday to share research on lithium \
mining and to coordinate rules for foreign investors in the salt flats along their border.
Chilean Mining Minister Rosa Fuentes said the pact would help both countries bargain with buyers \
from China and the United States.
"Together we hold more lithium than anyone else, and we should act like it," Ms. Fuentes said.
Argentine officials said the first joint research centre would open in Salta next year.
"""


async def store_article(
    store: Store, nlp: Language, text: str, *, url: str, when: datetime, guild_id: int
) -> None:
    """Analyse with the real pipeline and store, as the article service does."""
    result = run_request(nlp, AnalysisRequest(data=text, name=url, url=url))
    await store.articles.add(guild_id, result.article, result.analysis, now=when)


# --- the real bot against the Discord double -----------------------------------------------


@dataclass
class FakeClock:
    moment: datetime

    def now(self) -> datetime:
        return self.moment


@dataclass
class DigestBot:
    running: RunningBot
    cog: DigestCog
    clock: FakeClock
    double: DiscordDouble

    @property
    def store(self) -> Store:
        return self.running.bot.app.store  # type: ignore[attr-defined, no-any-return]

    @property
    def guild_id(self) -> int:
        return self.double.world.guild.id

    async def subscribe(self, channel: p.FakeChannel, **options: Any) -> Any:
        record = await self.running.slash(
            "digest subscribe", options, member="olivia_owner", channel=channel
        )
        [message] = record.visible_messages
        return message

    async def run_once(self, moment: datetime) -> list[Any]:
        self.clock.moment = moment
        return await self.cog.scheduler.run_once(moment)


START = utc(2024, 6, 3, 4, 0)  # Monday 3 June 2024, 06:00 in Berlin, 00:00 in New York


async def start_digest_bot(
    double: DiscordDouble,
    apps: Callable[..., Awaitable[App]],
    runner: Callable[..., Awaitable[RunningBot]],
    database: Path,
    clock: FakeClock,
    *,
    sender_class: type[DiscordDigestSender] = DiscordDigestSender,
    expect_logged_errors: bool = False,
) -> DigestBot:
    settings = Settings.from_env({"DIPLOBRIEF_DATABASE": str(database)})
    app = await apps(settings, analyzer=ANALYZER, clock=clock.now)
    bot = DiplobriefBot(app)
    running = await runner(bot, expect_logged_errors=expect_logged_errors)
    if bot.get_cog("DigestCog") is not None:  # once wired into COGS, with its own loop
        await bot.remove_cog("DigestCog")
    cog = DigestCog(bot, run_scheduler=False)
    cog.scheduler.sender = sender_class(bot)
    await bot.add_cog(cog)
    await running.sync_commands()
    return DigestBot(running, cog, clock, double)


def add_channels(double: DiscordDouble, count: int) -> list[p.FakeChannel]:
    guild = double.world.guild
    made = [
        p.FakeChannel(p.new_snowflake(), f"desk-{index}", guild.id, 10 + index)
        for index in range(count)
    ]
    guild.channels.extend(made)
    return made


@pytest.fixture
async def digest_bot(
    tmp_path: Path,
    apps: Callable[..., Awaitable[App]],
    discord_double: DiscordDouble,  # noqa: F811
    bot_runner: Callable[..., Awaitable[RunningBot]],  # noqa: F811
) -> DigestBot:
    add_channels(discord_double, 6)
    return await start_digest_bot(
        discord_double, apps, bot_runner, tmp_path / "bot.db", FakeClock(START)
    )


def digest_posts(double: DiscordDouble, channel: p.FakeChannel) -> list[SentMessage]:
    return [m for m in double.channel_messages(channel) if not m.deleted]


def story_titles(message: SentMessage) -> list[str]:
    return [e["title"] for e in message.embeds[1:]]


async def test_subscribe_command_is_for_channel_managers_and_checks_input_first(
    digest_bot: DigestBot,
) -> None:
    running, double = digest_bot.running, digest_bot.double
    synced = {c["name"]: c for c in double.global_commands}
    assert synced["digest"]["default_member_permissions"] == str(p.MANAGE_CHANNELS)
    assert {o["name"] for o in synced["digest"]["options"]} == {
        "subscribe",
        "unsubscribe",
        "list",
        "preview",
    }
    news = double.channel("news")
    for options, expected in [
        ({"time": "25:00"}, "HH:MM"),
        ({"timezone": "Mars/Olympus"}, "IANA"),
        ({"country": "Atlantis"}, "Atlantis"),
    ]:
        record = await running.slash(
            "digest subscribe", options, channel=news, member="olivia_owner"
        )
        [error] = record.visible_messages
        assert error.ephemeral and expected in error.embeds[0]["description"]
    refused = await running.slash(
        "digest subscribe",
        {},
        member="pat_member",
        channel=news,
        permissions=p.EVERYDAY_PERMISSIONS,
    )
    assert "Manage Channels" in refused.visible_messages[0].embeds[0]["description"]
    assert await digest_bot.store.digests.subscriptions(digest_bot.guild_id) == []

    choices = await running.autocomplete("digest subscribe", {"timezone": "berl"}, "timezone")
    assert [c["value"] for c in choices] == ["Europe/Berlin"]
    confirmation = await digest_bot.subscribe(news, time="7:30", timezone="europe/berlin")
    assert confirmation.ephemeral
    assert "07:30 (Europe/Berlin)" in confirmation.content
    [stored] = await digest_bot.store.digests.subscriptions(digest_bot.guild_id)
    assert stored.channel_id == news.id
    assert stored.next_due_at == utc(2024, 6, 3, 5, 30)
    removed = await running.slash("digest unsubscribe", channel=news, member="olivia_owner")
    assert "no longer" in removed.visible_messages[0].content
    assert await digest_bot.store.digests.subscriptions(digest_bot.guild_id) == []


async def test_digests_arrive_at_local_time_in_two_timezones_with_only_new_stories(
    digest_bot: DigestBot, nlp: Language
) -> None:
    store, double, guild = digest_bot.store, digest_bot.double, digest_bot.guild_id
    berlin, new_york = double.channel("news"), double.channel("general")
    await digest_bot.subscribe(berlin, time="08:00", timezone="Europe/Berlin")  # 06:00 UTC
    await digest_bot.subscribe(new_york, time="08:00", timezone="America/New_York")  # 12:00 UTC
    seed = SEED.read_text(encoding="utf-8")
    await store_article(
        store, nlp, seed, url="https://example.org/kerry", when=utc(2024, 6, 2, 20), guild_id=guild
    )
    await store_article(
        store,
        nlp,
        BORDER_TALKS,
        url="https://example.org/b",
        when=utc(2024, 6, 3, 3),
        guild_id=guild,
    )

    assert await digest_bot.run_once(utc(2024, 6, 3, 5, 59)) == []
    [berlin_result] = await digest_bot.run_once(utc(2024, 6, 3, 6, 0))
    assert (berlin_result.channel_id, berlin_result.outcome) == (berlin.id, "sent")
    [berlin_digest] = digest_posts(double, berlin)
    assert berlin_digest.embeds[0]["title"] == "Daily digest · Monday 3 June 2024"
    titles = " ".join(story_titles(berlin_digest))
    assert "Poland and Germany agree on joint border patrols" in titles
    assert "Kerry" in titles or "North Korea" in titles or "Chinese" in titles
    assert berlin_digest.nonce == digest_nonce(berlin_result.subscription_id, date(2024, 6, 3))
    assert berlin_digest.allowed_mentions == {"parse": []}
    assert digest_posts(double, new_york) == []

    # A story arriving between the two digests is in New York's, which covers the last day.
    await store_article(
        store,
        nlp,
        NILE_TREATY,
        url="https://example.org/n",
        when=utc(2024, 6, 3, 9),
        guild_id=guild,
    )
    assert await digest_bot.run_once(utc(2024, 6, 3, 11, 59)) == []
    [ny_result] = await digest_bot.run_once(utc(2024, 6, 3, 12, 0))
    assert ny_result.channel_id == new_york.id
    ny_titles = " ".join(story_titles(digest_posts(double, new_york)[0]))
    assert "Nile" in ny_titles and "border patrols" in ny_titles

    # Next morning in Berlin: only what arrived since Berlin's previous digest.
    await store_article(
        store,
        nlp,
        LITHIUM_DEAL,
        url="https://example.org/l",
        when=utc(2024, 6, 4, 1),
        guild_id=guild,
    )
    [again] = await digest_bot.run_once(utc(2024, 6, 4, 6, 0))
    assert again.channel_id == berlin.id
    second = digest_posts(double, berlin)[1]
    second_titles = " ".join(story_titles(second))
    assert "lithium" in second_titles and "Nile" in second_titles
    assert "border patrols" not in second_titles


async def test_quiet_day_posts_one_line_or_nothing_if_asked(digest_bot: DigestBot) -> None:
    double = digest_bot.double
    talkative, silent = double.channel("news"), double.channel("general")
    await digest_bot.subscribe(talkative, time="08:00", timezone="UTC")
    await digest_bot.subscribe(silent, time="08:00", timezone="UTC", quiet=True)
    results = await digest_bot.run_once(utc(2024, 6, 3, 8, 0))
    assert sorted(r.outcome for r in results) == ["quiet", "sent"]
    [note] = digest_posts(double, talkative)
    assert note.content.startswith("Quiet day: nothing new since <t:")
    assert "\n" not in note.content and note.embeds == []
    assert digest_posts(double, silent) == []
    assert await digest_bot.run_once(utc(2024, 6, 3, 9, 0)) == []


class ProcessKilled(BaseException):
    """Stands for the process dying: nothing after it runs, no handler catches it."""


class CrashAfterDiscordAccepted(DiscordDigestSender):
    async def send_digest(self, digest: Digest) -> int:
        await super().send_digest(digest)
        raise ProcessKilled


class CrashBeforeSending(DiscordDigestSender):
    async def send_digest(self, digest: Digest) -> int:
        raise ProcessKilled


@pytest.mark.parametrize("sender_class", [CrashAfterDiscordAccepted, CrashBeforeSending])
async def test_restart_mid_send_neither_duplicates_nor_loses_the_digest(
    tmp_path: Path,
    apps: Callable[..., Awaitable[App]],
    discord_double: DiscordDouble,  # noqa: F811
    bot_runner: Callable[..., Awaitable[RunningBot]],  # noqa: F811
    nlp: Language,
    sender_class: type[DiscordDigestSender],
) -> None:
    database = tmp_path / "bot.db"
    clock = FakeClock(START)
    first = await start_digest_bot(
        discord_double, apps, bot_runner, database, clock, sender_class=sender_class
    )
    news = discord_double.channel("news")
    await first.subscribe(news, time="08:00", timezone="Europe/Berlin")
    await store_article(
        first.store,
        nlp,
        BORDER_TALKS,
        url="https://example.org/b",
        when=utc(2024, 6, 3, 3),
        guild_id=first.guild_id,
    )
    with pytest.raises(ProcessKilled):
        await first.run_once(utc(2024, 6, 3, 6, 0))
    accepted = len(digest_posts(discord_double, news))
    assert accepted == (1 if sender_class is CrashAfterDiscordAccepted else 0)
    await first.running.stop()

    second = await start_digest_bot(discord_double, apps, bot_runner, database, clock)
    [result] = await second.run_once(utc(2024, 6, 3, 6, 1))  # restarted a minute later
    assert result.outcome == "sent"
    [digest] = digest_posts(discord_double, news)
    assert result.message_id == digest.id
    posts = discord_double.requests_to("POST", f"/channels/{news.id}/messages")
    assert len(posts) == accepted + 1  # sent again with the same nonce; Discord kept one
    assert {r.json["nonce"] for r in posts} == {digest.nonce}
    assert all(r.json["enforce_nonce"] is True for r in posts)
    assert await second.run_once(utc(2024, 6, 3, 6, 2)) == []


async def test_deleted_channel_and_lost_permission_pause_and_show_in_list(
    digest_bot: DigestBot,
) -> None:
    double, running = digest_bot.double, digest_bot.running
    gone, forbidden, fine = double.world.guild.channels[2:5]
    for channel in (gone, forbidden, fine):
        await digest_bot.subscribe(channel, time="08:00", timezone="UTC")
    double.world.guild.channels.remove(gone)  # deleted: Discord answers 404 Unknown Channel
    double.inject_fault("POST", f"/channels/{forbidden.id}/messages", 403, times=1)
    results = {r.channel_id: r.outcome for r in await digest_bot.run_once(utc(2024, 6, 3, 8))}
    assert results == {gone.id: "paused", forbidden.id: "paused", fine.id: "sent"}

    listing = await running.slash("digest list", member="olivia_owner")
    [message] = listing.visible_messages
    assert message.ephemeral
    lines = {line.split(" · ")[0]: line for line in message.embeds[0]["description"].splitlines()}
    assert "**paused**" in lines[f"<#{gone.id}>"] and "deleted" in lines[f"<#{gone.id}>"]
    assert "Missing Permissions" in lines[f"<#{forbidden.id}>"]
    assert "paused" not in lines[f"<#{fine.id}>"]
    assert "2 paused" in message.embeds[0]["footer"]["text"]

    posts_before = len(double.requests_to("POST", "/channels/{id}/messages"))
    next_day = await digest_bot.run_once(utc(2024, 6, 4, 8))
    assert [r.channel_id for r in next_day] == [fine.id]  # paused ones are not retried
    assert len(double.requests_to("POST", "/channels/{id}/messages")) == posts_before + 1

    await digest_bot.subscribe(forbidden, time="09:00", timezone="UTC")  # permission restored
    [resumed] = await digest_bot.run_once(utc(2024, 6, 4, 9))
    assert (resumed.channel_id, resumed.outcome) == (forbidden.id, "sent")


async def test_burst_with_429s_is_retried_delivered_once_and_slow_channel_delays_no_one(
    digest_bot: DigestBot,
) -> None:
    double = digest_bot.double
    channels = double.world.guild.channels
    for channel in channels:
        await digest_bot.subscribe(channel, time="08:00", timezone="UTC")
    slow, limited = channels[0], channels[3]
    double.inject_fault("POST", f"/channels/{slow.id}/messages", 429, retry_after=1.0, times=1)
    double.inject_fault("POST", f"/channels/{limited.id}/messages", 429, retry_after=0.05, times=2)
    results = await digest_bot.run_once(utc(2024, 6, 3, 8))
    assert sorted(r.outcome for r in results) == ["sent"] * len(channels)
    for channel in channels:
        assert len(digest_posts(double, channel)) == 1
    assert len(double.requests_to("POST", f"/channels/{limited.id}/messages")) == 3

    def accepted_at(channel: p.FakeChannel) -> float:
        path = f"/channels/{channel.id}/messages"
        return max(r.at for r in double.requests_to("POST", path) if r.status == 200)

    assert all(accepted_at(c) < accepted_at(slow) for c in channels if c is not slow)


async def test_preview_is_private_and_changes_nothing(digest_bot: DigestBot, nlp: Language) -> None:
    double, running = digest_bot.double, digest_bot.running
    news = double.channel("news")
    await store_article(
        digest_bot.store,
        nlp,
        BORDER_TALKS,
        url="https://example.org/b",
        when=utc(2024, 6, 3, 3),
        guild_id=digest_bot.guild_id,
    )
    refused = await running.slash("digest preview", channel=news, member="pat_member")
    assert "Manage Channels" in refused.visible_messages[0].embeds[0]["description"]
    record = await running.slash(
        "digest preview", channel=news, member="olivia_owner", timeout_s=30
    )
    [message] = record.visible_messages
    assert message.ephemeral
    assert "no digest yet" in message.content
    assert "border patrols" in " ".join(story_titles(message))
    assert digest_posts(double, news) == []
    assert await digest_bot.store.digests.subscriptions(digest_bot.guild_id) == []


async def test_cog_runs_the_scheduler_in_the_background_and_stops_it_on_unload(
    tmp_path: Path,
    apps: Callable[..., Awaitable[App]],
    discord_double: DiscordDouble,  # noqa: F811
    bot_runner: Callable[..., Awaitable[RunningBot]],  # noqa: F811
) -> None:
    clock = FakeClock(utc(2024, 6, 3, 7, 59))
    settings = Settings.from_env({"DIPLOBRIEF_DATABASE": str(tmp_path / "bot.db")})
    bot = DiplobriefBot(await apps(settings, analyzer=ANALYZER, clock=clock.now))
    running = await bot_runner(bot)
    if bot.get_cog("DigestCog") is not None:
        await bot.remove_cog("DigestCog")
    news = discord_double.channel("news")

    async def fake_sleep(seconds: float) -> None:
        if clock.moment >= utc(2024, 6, 3, 8, 0):
            await asyncio.Event().wait()  # after the digest: sleep until cancelled
        clock.moment += timedelta(seconds=seconds)

    cog = DigestCog(bot, sleep=fake_sleep)
    await bot.add_cog(cog)
    await running.sync_commands()
    await running.slash("digest subscribe", {"time": "08:00"}, member="olivia_owner", channel=news)
    [digest] = await running.wait_for_channel_messages(1, channel=news, timeout_s=10)
    assert digest.content.startswith("Quiet day")
    [task] = list(cog.tasks._tasks)
    await bot.remove_cog("DigestCog")
    assert task.cancelled()


async def test_a_late_digest_ranks_only_what_arrived_in_its_window(
    store: Store, nlp: Language
) -> None:
    """A digest 90 minutes late covers 25.5 hours, not two whole days: the stories told before
    the previous digest are not ranked with the new one, so they cannot push it out."""
    start = utc(2024, 6, 2, 7, 0)
    await subscribe(store, 1, "08:00", "UTC", start)
    sender = RecordingSender()
    scheduler = scheduler_for(store, sender, [start])
    for minutes, (text, url) in enumerate(
        [(BORDER_TALKS, "https://a.example/border"), (LITHIUM_DEAL, "https://b.example/lithium")]
    ):
        await store_article(
            store, nlp, text, url=url, when=utc(2024, 6, 2, 6, minutes), guild_id=GUILD
        )
    [first] = await scheduler.run_once(utc(2024, 6, 2, 8, 0))
    assert first.outcome == "sent"
    await store_article(
        store,
        nlp,
        NILE_TREATY,
        url="https://c.example/nile",
        when=utc(2024, 6, 3, 7),
        guild_id=GUILD,
    )
    [late] = await scheduler.run_once(utc(2024, 6, 3, 9, 30))
    assert late.outcome == "sent"
    digest = sender.posted[-1]
    assert (digest.since, digest.until) == (utc(2024, 6, 2, 8, 0), utc(2024, 6, 3, 9, 30))
    assert digest.briefing.articles_considered == 1  # the older two were never ranked
    assert [s.title for s in digest.briefing.stories] == [
        "Egypt and Ethiopia resume talks on the Nile dam"
    ]
