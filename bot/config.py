"""Settings from the environment (and a `.env` file), validated once at start-up."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from bot.domain.errors import ConfigError
from bot.domain.feeds import (
    DEFAULT_FEED_INTERVAL_S,
    DEFAULT_FEEDS_PER_SERVER,
    DEFAULT_HOST_CONCURRENCY,
    DEFAULT_HOST_INTERVAL_S,
    DEFAULT_LIVE_PER_HOUR,
    MAX_FEED_INTERVAL,
    MIN_FEED_INTERVAL_S,
)
from bot.nlp.pipeline import default_model_name

DEFAULT_DATABASE = "data/diplobrief.db"
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Secret:
    """A string that never shows itself in logs, reprs or tracebacks."""

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__


@dataclass(frozen=True)
class Settings:
    """Every setting Diplobrief reads; built once by the composition root."""

    discord_token: Secret | None
    database: Path
    spacy_model: str
    log_level: str | None  # None: INFO for the bot, WARNING for one-shot CLI commands
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    fetch_allow_private: bool = False
    analysis_workers: int = 2  # two, so a long page never holds the only worker
    # Set when DIPLOBRIEF_DATABASE is a postgresql:// URL (it may hold a password: a Secret).
    database_url: Secret | None = None
    shard_ids: tuple[int, ...] | None = None  # None: every shard (or no sharding)
    shard_count: int | None = None
    job_lease_s: int = 60  # a claimed background job is a process's for this long

    @property
    def database_target(self) -> str | Path:
        """What storage.open_store opens: the PostgreSQL URL, else the SQLite file."""
        return self.database_url.reveal() if self.database_url else self.database

    @property
    def database_label(self) -> str:
        """The database as it may be shown and logged: a URL without its password."""
        if self.database_url is None:
            return str(self.database)
        parts = urlsplit(self.database_url.reveal())
        host = parts.hostname or "localhost"
        user = f"{parts.username}@" if parts.username else ""
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{user}{host}{port}{parts.path}"

    feed_interval_s: int = DEFAULT_FEED_INTERVAL_S
    feeds_per_server: int = DEFAULT_FEEDS_PER_SERVER
    live_per_hour: int = DEFAULT_LIVE_PER_HOUR
    feed_host_concurrency: int = DEFAULT_HOST_CONCURRENCY
    feed_host_interval_s: float = DEFAULT_HOST_INTERVAL_S

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read and validate settings; any problem raises ConfigError with one clear line."""
        token = environ.get("DISCORD_TOKEN", "").strip()
        database = environ.get("DIPLOBRIEF_DATABASE", "").strip() or DEFAULT_DATABASE
        model = environ.get("DIPLOBRIEF_SPACY_MODEL", "").strip() or default_model_name()
        if importlib.util.find_spec(model) is None:
            raise ConfigError(
                f"DIPLOBRIEF_SPACY_MODEL={model!r}: no such spaCy model package is installed."
            )
        level = environ.get("DIPLOBRIEF_LOG_LEVEL", "").strip().upper() or None
        if level is not None and level not in _LOG_LEVELS:
            raise ConfigError(
                f"DIPLOBRIEF_LOG_LEVEL={level!r}: expected one of {', '.join(_LOG_LEVELS)}."
            )
        database_url = None
        if database.startswith(("postgresql://", "postgres://")):
            database_url = Secret(database)
            database = DEFAULT_DATABASE
        shard_ids, shard_count = _shards(environ)
        return cls(
            discord_token=Secret(token) if token else None,
            database=Path(database).expanduser(),
            database_url=database_url,
            shard_ids=shard_ids,
            shard_count=shard_count,
            job_lease_s=_int_between(environ, "DIPLOBRIEF_JOB_LEASE", 60, 5, 110),
            spacy_model=model,
            log_level=level,
            discord_api_base=_url(environ, "DISCORD_API_BASE", ("http", "https")),
            discord_gateway_url=_url(environ, "DISCORD_GATEWAY_URL", ("ws", "wss")),
            fetch_allow_private=_flag(environ, "DIPLOBRIEF_FETCH_ALLOW_PRIVATE"),
            analysis_workers=_positive_int(environ, "DIPLOBRIEF_ANALYSIS_WORKERS", 2, 16),
            feed_interval_s=_int_between(
                environ,
                "DIPLOBRIEF_FEED_INTERVAL",
                DEFAULT_FEED_INTERVAL_S,
                MIN_FEED_INTERVAL_S,
                int(MAX_FEED_INTERVAL.total_seconds()),
            ),
            feeds_per_server=_positive_int(
                environ, "DIPLOBRIEF_FEEDS_PER_SERVER", DEFAULT_FEEDS_PER_SERVER, 1000
            ),
            live_per_hour=_positive_int(
                environ, "DIPLOBRIEF_LIVE_PER_HOUR", DEFAULT_LIVE_PER_HOUR, 60
            ),
            feed_host_concurrency=_positive_int(
                environ, "DIPLOBRIEF_FEED_HOST_CONCURRENCY", DEFAULT_HOST_CONCURRENCY, 16
            ),
            feed_host_interval_s=_seconds(
                environ, "DIPLOBRIEF_FEED_HOST_INTERVAL", DEFAULT_HOST_INTERVAL_S, 60.0
            ),
        )

    def log_level_number(self, default: str = "INFO") -> int:
        """The configured level, or the front end's default when none was set."""
        return logging.getLevelNamesMapping()[self.log_level or default]


def parse_shard_ids(text: str) -> tuple[int, ...]:
    """ "0,1" or "0-3" as shard ids; ConfigError-free: ValueError for the caller to word."""
    ids: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            first, _, last = part.partition("-")
            ids.extend(range(int(first), int(last) + 1))
        elif part:
            ids.append(int(part))
    if not ids or any(i < 0 for i in ids):
        raise ValueError(text)
    return tuple(sorted(set(ids)))


def _shards(environ: Mapping[str, str]) -> tuple[tuple[int, ...] | None, int | None]:
    """DIPLOBRIEF_SHARD_IDS ("0,1") and DIPLOBRIEF_SHARD_COUNT (4), checked together."""
    ids_text = environ.get("DIPLOBRIEF_SHARD_IDS", "").strip()
    count_text = environ.get("DIPLOBRIEF_SHARD_COUNT", "").strip()
    if not ids_text and not count_text:
        return None, None
    if not count_text.isdigit() or int(count_text) < 1:
        raise ConfigError(
            f"DIPLOBRIEF_SHARD_COUNT={count_text!r}: expected the total number of shards (≥ 1)."
        )
    count = int(count_text)
    if not ids_text:
        return None, count
    try:
        ids = parse_shard_ids(ids_text)
    except ValueError:
        raise ConfigError(
            f"DIPLOBRIEF_SHARD_IDS={ids_text!r}: expected shard numbers such as 0,1 or 0-3."
        ) from None
    if max(ids) >= count:
        raise ConfigError(
            f"DIPLOBRIEF_SHARD_IDS={ids_text!r}: shards are numbered 0 to {count - 1}."
        )
    return ids, count


def _url(environ: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    value = environ.get(name, "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        raise ConfigError(f"{name}={value!r}: expected a {'/'.join(schemes)}:// URL.")
    return value.rstrip("/")


def _flag(environ: Mapping[str, str], name: str) -> bool:
    value = environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={value!r}: expected 1 or 0.")


def _positive_int(environ: Mapping[str, str], name: str, default: int, maximum: int) -> int:
    value = environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise ConfigError(f"{name}={value!r}: expected a whole number from 1 to {maximum}.")
    return int(value)


def _int_between(
    environ: Mapping[str, str], name: str, default: int, minimum: int, maximum: int
) -> int:
    value = environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or not minimum <= int(value) <= maximum:
        raise ConfigError(
            f"{name}={value!r}: expected a whole number of seconds from {minimum} to {maximum}."
        )
    return int(value)


def _seconds(environ: Mapping[str, str], name: str, default: float, maximum: float) -> float:
    value = environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= maximum:
        raise ConfigError(f"{name}={value!r}: expected seconds from 0 to {maximum:g}.")
    return seconds


def load_environment(environ: Mapping[str, str], env_file: Path = Path(".env")) -> dict[str, str]:
    """The process environment over the values of a `.env` file (the environment wins)."""
    merged: dict[str, str] = {}
    if env_file.is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(environ)
    return merged
