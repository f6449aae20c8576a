"""A throw-away PostgreSQL server for the tests, from the installed server binaries.

`DIPLOBRIEF_TEST_POSTGRES_URL` (a server the tests may create databases on) wins when set.
Otherwise `initdb` + `pg_ctl` start a cluster in a temporary folder, listening only on a Unix
socket there. `initdb` refuses to run as root (CI runs as root), so the cluster then belongs
to the `postgres` system user. Where no PostgreSQL is installed the tests skip with the reason
— except under CI (CI=true), where skipping would hide that they stopped running: they fail.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BINARY_FOLDERS = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin", "/usr/pgsql-*/bin")


@dataclass(frozen=True)
class PostgresServer:
    """Where the tests create their databases."""

    admin_url: str  # connect here to CREATE DATABASE
    url_template: str  # .format(database=...) gives a database's URL

    def url(self, database: str) -> str:
        return self.url_template.format(database=database)


def _binaries() -> Path | None:
    for pattern in BINARY_FOLDERS:
        for folder in sorted(glob.glob(pattern), reverse=True):
            if (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
                return Path(folder)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("initdb") else None


def unavailable(reason: str) -> None:
    """Skip (on a developer's machine) or fail (in CI) when PostgreSQL cannot be had."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL tests must run in CI: {reason}")
    pytest.skip(f"needs PostgreSQL: {reason}")


def _as_cluster_owner() -> tuple[dict[str, int], str | None]:
    """subprocess options that run a command as the cluster's owner (postgres when root)."""
    if os.geteuid() != 0:
        return {}, None
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        unavailable("running as root and there is no 'postgres' user to own the cluster")
        raise AssertionError("unreachable") from None
    return {"user": owner.pw_uid, "group": owner.pw_gid}, owner.pw_name


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """The server for this test session (started and removed here unless given by URL)."""
    given = os.environ.get("DIPLOBRIEF_TEST_POSTGRES_URL", "").strip()
    if given:
        base = given.rsplit("/", 1)[0] if given.count("/") >= 3 else given
        yield PostgresServer(admin_url=given, url_template=base + "/{database}")
        return
    binaries = _binaries()
    if binaries is None:
        unavailable("no PostgreSQL server binaries (initdb, pg_ctl) are installed")
    assert binaries is not None
    run_as, owner = _as_cluster_owner()
    folder = Path(tempfile.mkdtemp(prefix="diplobrief-pg-"))
    data, sockets = folder / "data", folder / "run"
    sockets.mkdir()
    if owner is not None:
        for path in (folder, sockets):
            shutil.chown(path, owner, owner)
    user = owner or pwd.getpwuid(os.geteuid()).pw_name
    log = folder / "server.log"
    try:
        subprocess.run(
            [
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                user,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
            **run_as,  # type: ignore[arg-type]
        )
        options = (
            f"-k {sockets} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            [
                str(binaries / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=True,
            capture_output=True,
            **run_as,  # type: ignore[arg-type]
        )
    except subprocess.CalledProcessError as error:
        details = (error.stderr or b"").decode(errors="replace")[-2000:]
        if log.exists():
            details += log.read_text(errors="replace")[-2000:]
        shutil.rmtree(folder, ignore_errors=True)
        unavailable(f"could not start a throw-away cluster: {details.strip()}")
    try:
        yield PostgresServer(
            admin_url=f"postgresql://{user}@/postgres?host={sockets}",
            url_template=f"postgresql://{user}@/{{database}}?host={sockets}",
        )
    finally:
        subprocess.run(
            [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            **run_as,  # type: ignore[arg-type]
        )
        shutil.rmtree(folder, ignore_errors=True)


async def new_database(server: PostgresServer) -> str:
    """A fresh, empty database on the server; its URL."""
    import asyncpg

    name = f"t_{uuid.uuid4().hex[:16]}"
    connection = await asyncpg.connect(server.admin_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return server.url(name)
