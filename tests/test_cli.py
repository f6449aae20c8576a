"""The command line as a user runs it: real subprocesses, real model, real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SEED

FRENCH = (
    "Les ministres des Affaires étrangères de la France et de l'Allemagne se sont réunis mardi "
    "à Genève pour discuter d'un cessez-le-feu. Selon les diplomates, les discussions ont duré "
    "plus de six heures et se poursuivront demain dans la matinée avec les délégations.\n"
) * 3

TITLED = (
    "Envoys meet in Oslo\n"
    "Envoys from Norway and Sweden met in Oslo on Monday to discuss fishing rights in the north.\n"
    "• Reporter Name can be reached at reporter@example.com.\n"
    "“We found common ground,” said Anna Berg, Norway’s foreign minister, after the meeting.\n"
    "Ms. Berg added that talks would continue in Stockholm next month.\n"
)


def run_cli(
    *args: str, db: Path, stdin: str | None = None, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DIPLOBRIEF_DATABASE": str(db)}
    env.pop("DISCORD_TOKEN", None)
    env.pop("DIPLOBRIEF_LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_analyze_json_offsets_point_into_the_file(tmp_path: Path) -> None:
    result = run_cli("analyze", "--json", str(SEED), db=tmp_path / "db.sqlite")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert set(record) == {
        "path",
        "title",
        "text",
        "cut_from",
        "summary",
        "entities",
        "countries",
        "quotes",
    }
    assert record["cut_from"] is None
    assert set(record["summary"]) == {"method", "sentences"}
    assert len(record["summary"]["sentences"]) == 3
    source = SEED.read_text(encoding="utf-8")
    assert record["quotes"], "the seed has quotes"
    for quote in record["quotes"]:
        assert set(quote) == {"text", "speaker", "title", "cue", "partial", "start", "end"}
        assert source[quote["start"] : quote["end"]] == quote["text"]
    codes = {c["code"] for c in record["countries"]}
    assert {"CN", "KP", "US", "IR", "JP"} <= codes
    assert "gtaylor@" not in record["text"]


def test_analyze_offsets_survive_title_and_dropped_lines(tmp_path: Path) -> None:
    article = tmp_path / "oslo.txt"
    article.write_text(TITLED, encoding="utf-8")
    result = run_cli(
        "analyze",
        "--json",
        "--sentences",
        "2",
        "--method",
        "lexrank",
        str(article),
        db=tmp_path / "db",
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["title"] == "Envoys meet in Oslo"
    assert record["summary"]["method"] == "lexrank"
    assert len(record["summary"]["sentences"]) == 2
    assert "can be reached at" not in record["text"]
    [quote] = record["quotes"]
    assert TITLED[quote["start"] : quote["end"]] == "We found common ground,"
    assert quote["speaker"] == "Anna Berg"


def test_bad_inputs_one_line_each_and_the_rest_processed(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "image.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes(("Le café de la paix était fermé. " * 20).encode("latin-1"))
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as f:  # 50 MB, sparse: refused before it is read
        f.truncate(50_000_000)
    no_article = tmp_path / "login.html"
    no_article.write_text(
        "<html><head><title>Log in</title></head><body><form><input name=u></form></body></html>"
    )
    french = tmp_path / "french.txt"
    french.write_text(FRENCH, encoding="utf-8")
    db = tmp_path / "db.sqlite"
    bad = [empty, binary, latin1, huge, no_article, french]
    result = run_cli("ingest", *map(str, bad), str(SEED), db=db)
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == len(bad), result.stderr
    assert "Traceback" not in result.stderr
    for path, line in zip(bad, errors, strict=True):
        assert line.startswith(f"diplobrief: {path}:"), line
    assert "empty" in errors[0]
    assert "binary" in errors[1]
    assert "UTF-8" in errors[2]
    assert "too large" in errors[3]
    assert "No article" in errors[4]
    assert "English" in errors[5]
    assert result.stdout.count("added #1") == 1  # the good file in the same call was stored
    listing = run_cli("search", "sanctions", db=db)
    assert "1 article matches" in listing.stdout


def test_ingest_folder_twice_dedupes_and_skips_readme(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    first = run_cli("ingest", "seeds/", db=db)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("added #1")
    assert "README" not in first.stdout + first.stderr
    second = run_cli("ingest", "seeds/", db=db)
    assert second.stdout.startswith("already stored #1")
    quotes = run_cli("quotes", "--speaker", "Wang", db=db)
    assert "Wang Yi" in quotes.stdout
    assert "Kerry" not in quotes.stdout


def test_invalid_setting_stops_with_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DIPLOBRIEF_LOG_LEVEL": "SHOUTY",
        "DIPLOBRIEF_DATABASE": str(tmp_path / "d"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "search", "x"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "DIPLOBRIEF_LOG_LEVEL" in result.stderr


@pytest.mark.parametrize("command", ["run", "console"])
def test_run_without_token_opens_console_with_seed(tmp_path: Path, command: str) -> None:
    db = tmp_path / "fresh" / "db.sqlite"
    result = run_cli(command, db=db, stdin="/quotes speaker:Kerry limit:2\n/search reefs\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "Loaded sample article #1" in result.stdout
    assert "John F. Kerry" in result.stdout
    assert "1 article matches 'reefs'" in result.stdout
    assert db.exists()


def test_brief_json_and_relations(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    assert run_cli("ingest", str(SEED), db=db).returncode == 0
    result = run_cli("brief", "--json", "--days", "3", db=db)
    assert result.returncode == 0, result.stderr
    briefing = json.loads(result.stdout)
    [story] = briefing["stories"]
    assert set(story) == {"title", "summary", "countries", "people", "quote", "reports", "sources"}
    assert story["reports"] == 1
    assert {"code": "KP", "name": "North Korea"} in story["countries"]
    assert "John F. Kerry" in story["people"]
    assert set(story["quote"]) == {"text", "speaker"}
    [source] = story["sources"]
    assert set(source) == {"title", "url", "path"}
    assert source["url"] is None
    assert source["path"].endswith("000_e9df03318483bce7.txt")  # the file as typed
    filtered = json.loads(run_cli("brief", "--json", "--country", "Narnia", db=db).stdout or "{}")
    assert filtered == {}
    relations = run_cli("relations", "KP", db=db)
    assert "China" in relations.stdout
    text = run_cli("brief", "--days", "3", "--stories", "1", db=db)
    assert text.returncode == 0 and "(1 report)" in text.stdout  # never "1 report(s)"
    for stories in ("0", "11"):
        refused = run_cli("brief", "--stories", stories, db=db)
        assert refused.returncode == 1
        assert refused.stderr.strip() == "diplobrief: Stories must be between 1 and 10."
    unknown = run_cli("brief", "--country", "Narnia", db=db)
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "diplobrief: No country called 'Narnia'."
