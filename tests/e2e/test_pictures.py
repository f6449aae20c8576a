"""Pictures on /relations and /brief, drawn in the worker process, sent as described uploads; a
picture that cannot be drawn never costs the reply its text."""

from __future__ import annotations

import dataclasses
import io
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.analysis import ProcessPoolAnalyzer
from bot.app import App
from bot.config import Settings
from bot.domain.pictures import MAX_PICTURE_BYTES, Picture
from bot.services.pictures import PictureService
from commands.client import DiplobriefBot
from tests.discord_double.fixtures import RunningBot
from tests.discord_double.server import InteractionRecord, RecordedFile
from tests.pages import PageServer


def broken_network(*args: object) -> Picture:
    """A network renderer with a bug (module level: it travels to the worker process)."""
    raise RuntimeError("the network renderer broke")


def only_message(record: InteractionRecord) -> Any:
    visible = record.visible_messages
    assert len(visible) == 1, [m.payload() for m in record.messages]
    return visible[0]


def decoded(file: RecordedFile) -> Image.Image:
    assert file.content_type in ("image/png", "application/octet-stream", "")
    assert len(file.data) < MAX_PICTURE_BYTES
    image = Image.open(io.BytesIO(file.data))
    assert image.format == "PNG"
    return image


async def two_articles(running: RunningBot, pages: PageServer) -> None:
    for path in ("news/ministers-border.html", "news/ceasefire.txt"):
        await running.slash("summarize", {"url": pages.url(path)}, timeout_s=60)


async def test_relations_and_a_long_brief_attach_described_pictures(
    diplobrief: RunningBot, pages: PageServer
) -> None:
    await two_articles(diplobrief, pages)
    related = only_message(
        await diplobrief.slash("relations", {"country": "Armenia"}, timeout_s=30)
    )
    [network] = related.files
    assert network.filename == "relations-am.png"
    assert decoded(network).size == (1200, 900)
    assert network.description.startswith("Network of the countries named with Armenia (AM)")
    assert "Azerbaijan (AZ)" in network.description
    assert any("Azerbaijan" in f["name"] for f in related.embeds[0]["fields"])  # text complete

    week = only_message(await diplobrief.slash("brief", {"days": 7}, timeout_s=30))
    [timeline] = week.files
    assert timeline.filename == "brief-timeline.png"
    assert decoded(timeline).width == 1200
    titles = [embed["title"] for embed in week.embeds[1:]]
    for title in titles:  # numbered like the embeds
        number, story = title.split(". ", 1)
        assert f"{number}. {story[:40]}" in timeline.description

    day = only_message(await diplobrief.slash("brief", {"days": 1}, timeout_s=30))
    assert day.files == ()  # one day: nothing to chart
    nobody = only_message(await diplobrief.slash("relations", {"country": "Peru"}, timeout_s=30))
    assert nobody.files == () and "No other country" in nobody.embeds[0]["description"]


async def test_a_picture_that_cannot_be_drawn_leaves_the_text_reply(
    tmp_path: Path,
    analyzer: ProcessPoolAnalyzer,
    apps: Callable[..., Awaitable[App]],
    bot_runner: Callable[..., Awaitable[RunningBot]],
    pages: PageServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings.from_env(
        {"DIPLOBRIEF_DATABASE": str(tmp_path / "bot.db"), "DIPLOBRIEF_FETCH_ALLOW_PRIVATE": "1"}
    )
    app = await apps(settings, analyzer=analyzer)
    broken = dataclasses.replace(app, pictures=PictureService(analyzer, network=broken_network))
    running = await bot_runner(DiplobriefBot(broken), expect_logged_errors=True)
    await running.sync_commands()
    await two_articles(running, pages)
    with caplog.at_level(logging.ERROR, logger="bot.services.pictures"):
        related = only_message(
            await running.slash("relations", {"country": "Armenia"}, timeout_s=30)
        )
    assert not related.ephemeral and related.files == ()
    assert any("Azerbaijan" in f["name"] for f in related.embeds[0]["fields"])
    [failure] = [r for r in caplog.records if r.name == "bot.services.pictures"]
    assert "could not draw the relations network" in failure.getMessage()
    assert failure.exc_info is not None and "renderer broke" in str(failure.exc_info[1])
