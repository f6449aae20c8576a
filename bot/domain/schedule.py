"""When a channel's daily digest is due on its own clock: parsing and DST-correct arithmetic.

`next_occurrence(local_time, tz, after)` is the pure heart: the first instant after `after` at
which the channel's clock shows `local_time`. On a spring-forward day a time inside the gap
(02:30) falls on the first valid instant after it (03:00); on a fall-back day a repeated time
(01:30) counts once, at its first occurrence.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.domain.errors import InvalidScheduleError
from bot.domain.window import require_aware

DEFAULT_TIME = "08:00"
DEFAULT_TIMEZONE = "UTC"
NONCE_LIMIT = 25  # Discord's maximum nonce length
POPULAR_TIMEZONES = ("UTC", "Europe/London", "Europe/Berlin", "America/New_York", "Asia/Tokyo")

_LOCAL_TIME = re.compile(r"^\s*([01]?\d|2[0-3])[:.h]([0-5]\d)\s*$")


def parse_local_time(text: str) -> time:
    """ "08:00", "8:00" or "20.30" as a time of day, or InvalidScheduleError."""
    match = _LOCAL_TIME.match(text or "")
    if match is None:
        raise InvalidScheduleError(
            f"{text!r} is not a time of day: use 24-hour HH:MM, for example 08:00 or 18:30."
        )
    return time(int(match.group(1)), int(match.group(2)))


def format_local_time(moment: time) -> str:
    """A time of day as stored and shown: HH:MM."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


@cache
def timezone_names() -> tuple[str, ...]:
    """Every IANA timezone this system knows, sorted."""
    return tuple(sorted(available_timezones()))


@cache
def _timezones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in timezone_names()}


def parse_timezone(name: str) -> ZoneInfo:
    """An IANA timezone by name, any case ("europe/berlin"), or InvalidScheduleError."""
    wanted = (name or "").strip().replace(" ", "_")
    canonical = _timezones_by_folded_name().get(wanted.casefold())
    if canonical is None:
        raise InvalidScheduleError(
            f"{name!r} is not a timezone I know: use an IANA name such as Europe/Berlin, "
            "America/New_York or UTC."
        )
    try:
        return ZoneInfo(canonical)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidScheduleError(f"The timezone {name!r} cannot be loaded.") from error


def matching_timezones(typed: str, limit: int = 25) -> list[str]:
    """Timezones for autocomplete: names starting with the text first, then containing it."""
    key = typed.strip().replace(" ", "_").casefold()
    names = timezone_names()
    if not key:
        return [*POPULAR_TIMEZONES, *(n for n in names if n not in POPULAR_TIMEZONES)][:limit]
    starts = [n for n in names if n.casefold().startswith(key)]
    city_starts = [
        n for n in names if n not in starts and n.casefold().split("/")[-1].startswith(key)
    ]
    contains = [n for n in names if key in n.casefold() and n not in starts + city_starts]
    return (starts + city_starts + contains)[:limit]


def _wall_time(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


def occurrence_on(day: date, local_time: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of `local_time` on `day` in `tz`; inside a DST gap, the gap's end;
    when the time happens twice (fall back), the first time."""
    wall = datetime.combine(day, local_time)
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if _wall_time(first, tz) == wall:
        return first  # exists (fold=0 is the earlier of two when it is repeated)
    # In a gap: fold=1 reads the wall time with the offset after the transition, which puts
    # it before the transition; fold=0 puts it after. The transition lies between the two.
    low = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    high = first
    if low > high:
        low, high = high, low
    # The earliest instant whose wall time is at or past the wanted one (to the second).
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _wall_time(middle, tz) >= wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0) if high.microsecond else high


def next_occurrence(local_time: time, tz: ZoneInfo, after: datetime) -> datetime:
    """The first instant strictly after `after` at which the digest is due (aware, UTC)."""
    require_aware(after)
    start = after.astimezone(tz).date() - timedelta(days=1)
    for offset in range(4):
        candidate = occurrence_on(start + timedelta(days=offset), local_time, tz)
        if candidate > after:
            return candidate
    raise AssertionError(f"no occurrence of {local_time} in {tz} within days of {after}")


def latest_occurrence(local_time: time, tz: ZoneInfo, at_or_before: datetime) -> datetime:
    """The last instant at or before `at_or_before` at which the digest was due (aware, UTC)."""
    require_aware(at_or_before)
    start = at_or_before.astimezone(tz).date() + timedelta(days=1)
    for offset in range(4):
        candidate = occurrence_on(start - timedelta(days=offset), local_time, tz)
        if candidate <= at_or_before:
            return candidate
    raise AssertionError(f"no occurrence of {local_time} in {tz} within days of {at_or_before}")


def occurrence_date(occurrence: datetime, tz: ZoneInfo) -> date:
    """The local date an occurrence belongs to: the key that makes it happen once."""
    return occurrence.astimezone(tz).date()


def digest_nonce(subscription_id: int, local_date: date) -> str:
    """The Discord nonce for one occurrence: the same on every attempt, at most 25 characters."""
    nonce = f"dg{subscription_id}-{local_date:%Y%m%d}"
    if len(nonce) > NONCE_LIMIT:
        raise ValueError(f"subscription id {subscription_id} too large for a Discord nonce")
    return nonce


def first_due(local_time: str, timezone: str, now: datetime) -> datetime:
    """When a new or changed subscription is first due."""
    return next_occurrence(parse_local_time(local_time), parse_timezone(timezone), now)
