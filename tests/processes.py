"""Diplobrief subprocesses for end-to-end tests and benchmarks, their output kept in files."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO


class Processes:
    """Diplobrief subprocesses with their logs in files (shown when a test fails)."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str, **extra_env: str) -> None:
        with (self.folder / f"{name}.log").open("wb") as log:
            self.running[name] = subprocess.Popen(
                [sys.executable, "-m", "bot", *args],
                cwd=REPO,
                env={**self.env, **extra_env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)[-3000:]}" for name in self.running)

    async def wait_exited(self, name: str, timeout_s: float = 30) -> bool:
        """Whether the process ended within the time (polled: the double must keep serving)."""
        deadline = time.monotonic() + timeout_s
        while self.running[name].poll() is None:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.1)
        return True

    async def kill(self, name: str) -> None:
        self.running[name].send_signal(signal.SIGKILL)
        await self.wait_exited(name)

    async def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in self.running.items():
            if not await self.wait_exited(name):
                process.kill()
                await self.wait_exited(name)
