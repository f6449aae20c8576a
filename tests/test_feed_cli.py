"""`diplobrief feed …` as a user (or cron) runs it: real subprocesses against a local publisher,
and a poll killed with SIGKILL in the middle, then run again: nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.feed_server import (
    KOREA_DIALOGUE,
    SUDAN_TALKS,
    FeedServer,
    Item,
    article_html,
    at,
    feed_server,  # noqa: F401
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")


def environment(db: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DIPLOBRIEF_DATABASE": str(db),
        "DIPLOBRIEF_FETCH_ALLOW_PRIVATE": "1",
        "DIPLOBRIEF_FEED_INTERVAL": "5",
        "DIPLOBRIEF_FEED_HOST_INTERVAL": "0",
    }
    env.pop("DISCORD_TOKEN", None)
    env.pop("DIPLOBRIEF_LOG_LEVEL", None)
    return env


async def start_cli(db: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=REPO,
        env=environment(db),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def run_cli(db: Path, *args: str) -> tuple[int, str, str]:
    process = await start_cli(db, *args)
    out, err = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def stored_articles(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT url, title FROM articles ORDER BY id").fetchall()


async def test_feed_commands_and_bad_input(tmp_path: Path, feed_server: FeedServer) -> None:  # noqa: F811
    db = tmp_path / "cli.db"
    served = feed_server.feed("desk", "The Desk")
    link = feed_server.page("korea", article_html(*KOREA_DIALOGUE))
    served.items = [Item("k-1", KOREA_DIALOGUE[0], link, at(-5))]
    code, out, err = await run_cli(db, "feed", "add", feed_server.url("feeds/desk"))
    assert code == 0, err
    assert "Added #1 The Desk" in out
    code, out, err = await run_cli(db, "feed", "poll")
    assert code == 0, err
    assert "1 stored" in out
    code, out, _ = await run_cli(db, "feed", "list")
    assert "The Desk" in out and "status: ok" in out and "1 item stored" in out

    code, _, err = await run_cli(db, "feed", "add", feed_server.page("empty", "<p>nothing</p>"))
    assert code == 1 and err.count("\n") == 1 and "No feed found at" in err
    broken = tmp_path / "broken.opml"
    broken.write_text("<opml><body><outline xmlUrl='a' & /></body></opml>")
    code, _, err = await run_cli(db, "feed", "import", str(broken))
    assert code == 1 and "well-formed" in err and "Traceback" not in err


async def test_a_poll_killed_mid_way_loses_nothing_and_doubles_nothing(
    tmp_path: Path,
    feed_server: FeedServer,  # noqa: F811
) -> None:
    db = tmp_path / "killed.db"
    served = feed_server.feed("busy", "Busy Desk")
    code, _, err = await run_cli(db, "feed", "add", feed_server.url("feeds/busy"))
    assert code == 0, err
    assert (await run_cli(db, "feed", "poll"))[0] == 0  # baseline: an empty feed
    served.items = [
        Item("s-1", SUDAN_TALKS[0], feed_server.page("sudan", article_html(*SUDAN_TALKS)), at(2)),
        Item(
            "k-1",
            KOREA_DIALOGUE[0],
            feed_server.page("korea", article_html(*KOREA_DIALOGUE)),
            at(1),
        ),
    ]
    # The second (newer) item's page hangs: the poll is killed while it waits.
    release = asyncio.Event()
    feed_server.hold["sudan"] = release
    with sqlite3.connect(db) as conn:  # due now, without waiting for its interval
        conn.execute("UPDATE feeds SET next_fetch_at = '2000-01-01T00:00:00.000000+00:00'")
    process = await start_cli(db, "feed", "poll")
    for _ in range(3000):
        if "/pages/sudan" in feed_server.hits:
            break
        await asyncio.sleep(0.05)
    assert "/pages/sudan" in feed_server.hits, "the poll never reached the second item"
    process.send_signal(signal.SIGKILL)
    await process.wait()
    assert [title for _, title in stored_articles(db)] == [KOREA_DIALOGUE[0]]

    release.set()
    del feed_server.hold["sudan"]
    with sqlite3.connect(db) as conn:  # the killed poll's lease: expired, as after 10 minutes
        conn.execute("UPDATE feeds SET claimed_until = NULL")
    code, out, err = await run_cli(db, "feed", "poll")
    assert code == 0, err
    assert "1 stored" in out  # only the item the killed poll did not finish
    titles = [title for _, title in stored_articles(db)]
    assert sorted(titles) == sorted([KOREA_DIALOGUE[0], SUDAN_TALKS[0]])
    assert feed_server.count("/pages/korea") == 1
