"""When daily digests are due: local-time occurrences across DST, parsing, nonces."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.errors import InvalidScheduleError
from bot.domain.schedule import (
    digest_nonce,
    latest_occurrence,
    next_occurrence,
    parse_local_time,
    parse_timezone,
)
from bot.services.digests import check_subscription

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
