"""The systemd units README points to start commands the CLI accepts, with valid settings."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest

from bot.__main__ import build_parser
from bot.config import Settings
from tests.conftest import REPO

UNITS = sorted((REPO / "docs" / "deploy").glob("*.service"))
SHARED_SETTINGS = {
    "DISCORD_TOKEN": "token",
    "DIPLOBRIEF_DATABASE": "postgresql://diplobrief:secret@db.internal/diplobrief",
    "DIPLOBRIEF_SHARD_COUNT": "4",
}


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser


def test_there_are_shard_and_worker_units() -> None:
    assert {path.name for path in UNITS} == {
        "diplobrief-shard@.service",
        "diplobrief-worker@.service",
    }


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_each_unit_starts_a_command_the_cli_knows_with_settings_that_load(path: Path) -> None:
    service = unit(path)["Service"]
    command = shlex.split(service["ExecStart"])
    assert command[0].endswith("/diplobrief")
    args = build_parser().parse_args(command[1:])
    assert args.command in {"run", "worker"}
    assert service["Restart"] == "always"
    environ = dict(SHARED_SETTINGS)
    for line in service.get("Environment", "").splitlines():
        key, _, value = line.strip().partition("=")
        if key:
            environ[key] = value.replace("%i", "2")  # an instance: shard 2
    settings = Settings.from_env(environ)
    if args.command == "run":
        assert settings.shard_ids == (2,) and settings.shard_count == 4
    assert settings.database_label == "postgresql://diplobrief@db.internal/diplobrief"
