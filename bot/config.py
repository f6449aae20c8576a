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
        return cls(
            discord_token=Secret(token) if token else None,
            database=Path(database).expanduser(),
            spacy_model=model,
            log_level=level,
            discord_api_base=_url(environ, "DISCORD_API_BASE", ("http", "https")),
            discord_gateway_url=_url(environ, "DISCORD_GATEWAY_URL", ("ws", "wss")),
            fetch_allow_private=_flag(environ, "DIPLOBRIEF_FETCH_ALLOW_PRIVATE"),
            analysis_workers=_positive_int(environ, "DIPLOBRIEF_ANALYSIS_WORKERS", 2, 16),
        )

    def log_level_number(self, default: str = "INFO") -> int:
        """The configured level, or the front end's default when none was set."""
        return logging.getLevelNamesMapping()[self.log_level or default]


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


def load_environment(environ: Mapping[str, str], env_file: Path = Path(".env")) -> dict[str, str]:
    """The process environment over the values of a `.env` file (the environment wins)."""
    merged: dict[str, str] = {}
    if env_file.is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(environ)
    return merged
