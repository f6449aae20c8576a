"""Module-level functions the analysis pool tests run in worker processes (importable there)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bot.domain.errors import UserFacingError


def worker_pid() -> int:
    """The process id of the worker that ran this."""
    return os.getpid()


def echo(value: str) -> str:
    return value


def refuse(message: str) -> None:
    raise UserFacingError(message)


def hold(started: str, release: str, marker: str | None = None) -> int:
    """Say it started (a file), then wait until the test releases it (another file)."""
    if marker:
        Path(marker).touch()
    Path(started).touch()
    while not Path(release).exists():
        time.sleep(0.01)
    return os.getpid()


def mark(path: str) -> str:
    """Leave a file behind, so the test knows this job ran."""
    Path(path).touch()
    return path
