"""The command line as a user runs it: real subprocesses, real model, real SQLite file."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, SEED
from tests.long_article import long_article_text

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
        assert set(quote) == {
            "text",
            "speaker",
            "speaker_type",
            "title",
            "cue",
            "partial",
            "start",
            "end",
        }
        assert quote["speaker_type"] in {"person", "organisation", "group", None}
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


def test_relations_and_brief_draw_pictures_with_png(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    assert run_cli("ingest", str(SEED), db=db).returncode == 0
    network = tmp_path / "kp.png"
    drawn = run_cli("relations", "North Korea", "--png", str(network), db=db)
    assert drawn.returncode == 0, drawn.stderr
    assert "China" in drawn.stdout
    assert drawn.stderr.strip() == f"diplobrief: picture written to {network}"
    assert network.read_bytes().startswith(b"\x89PNG")
    timeline = tmp_path / "brief.png"
    week = run_cli("brief", "--days", "7", "--png", str(timeline), db=db)
    assert week.returncode == 0, week.stderr
    assert timeline.read_bytes().startswith(b"\x89PNG")
    one_day = run_cli("brief", "--png", str(tmp_path / "day.png"), db=db)
    assert one_day.returncode == 1
    assert one_day.stdout  # the briefing itself is printed
    assert one_day.stderr.strip().endswith(
        "No picture: a briefing of one day has nothing to chart (ask for 2 days or more)."
    )
    nowhere = run_cli("relations", "KP", "--png", str(tmp_path / "no" / "dir.png"), db=db)
    assert nowhere.returncode == 1
    assert nowhere.stderr.count("\n") == 1 and "cannot write the picture" in nowhere.stderr
    assert "Traceback" not in nowhere.stderr


# --- a database that cannot be opened, a disk that fills up ----------------------------------


def test_a_corrupt_database_stops_start_up_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "diplobrief.db"
    db.write_bytes(bytes(range(256)) * 40)
    for command in (("search", "talks"), ("ingest", str(SEED))):
        result = run_cli(*command, db=db)
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [f"diplobrief: {db}: " + NOT_A_DATABASE]
        assert "Traceback" not in result.stderr


NOT_A_DATABASE = "not a database (the file holds something else, or its start is damaged)."


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs, so the disk under the database really fills up (root and mount rights)."""
    folder = tmp_path / "tiny-disk"
    folder.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command here to make a tiny tmpfs for the disk-full test")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tiny tmpfs here ({mounted.stderr.strip()}): needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(disk: Path, leave_bytes: int) -> Path:
    """Fill the disk until only `leave_bytes` are free; the filler file is returned."""
    stats = os.statvfs(disk)
    free = stats.f_bavail * stats.f_frsize
    filler = disk / "filler"
    filler.write_bytes(b"\0" * max(free - leave_bytes, 0))
    return filler


def test_disk_full_during_ingest_one_line_per_input_and_the_database_intact(
    tmp_path: Path, tiny_disk: Path
) -> None:
    db = tiny_disk / "diplobrief.db"
    first = run_cli("ingest", str(SEED), db=db)
    assert first.returncode == 0, first.stderr
    inputs = []
    for number, words in enumerate((6_000, 150, 150)):
        path = tmp_path / f"article-{number}.txt"
        path.write_text(long_article_text(words, seed=number), encoding="utf-8")
        inputs.append(path)
    filler = fill(tiny_disk, leave_bytes=48 * 1024)  # room to open, none for a long article

    result = run_cli("ingest", *map(str, inputs), db=db)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    failed = result.stderr.splitlines()
    added = [line for line in result.stdout.splitlines() if line.startswith("added #")]
    assert failed and all(line.startswith("diplobrief: ") for line in failed), result.stderr
    assert len(failed) + len(added) == len(inputs)  # every input answered, one line each
    assert (
        f"diplobrief: {inputs[0]}: Nothing was saved: the disk holding the database is full"
        in (failed[0])
    )
    filler.unlink()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert articles == 1 + len(added)
        whole = conn.execute(
            "SELECT count(*) FROM articles a WHERE EXISTS"
            " (SELECT 1 FROM summary_sentences s WHERE s.article_id = a.id)"
        ).fetchone()[0]
        assert whole == articles  # no article without its analysis
        indexed = conn.execute("SELECT count(*) FROM articles_fts").fetchone()[0]
        assert indexed == articles
