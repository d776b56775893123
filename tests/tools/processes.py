"""What a test needs to run the ledger in another process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from ledger.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
"""The repository (the working directory and import path of a child process)."""


def ledger_env(settings: Settings) -> dict[str, str]:
    """This environment, pointed at the ledger of `settings` (and at this checkout's code)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LEDGER_DATA_DIR": str(settings.data_dir)}
    env.pop("LEDGER_DATABASE_URL", None)
    if settings.database_url is not None:
        env["LEDGER_DATABASE_URL"] = settings.database_url
    return env


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def ledger_command(*args: str) -> list[str]:
    """The `ledger` command line of this checkout, with `args`."""
    return [sys.executable, "-c", "from api.cli import main; main()", *args]


STARTUP_SECONDS = 60


@dataclass
class Server:
    url: str
    settings: Settings
    process: subprocess.Popen[bytes]
    stderr: IO[bytes]
    """What the server writes to its stderr (a file: a pipe nobody reads would stop it)."""

    def log(self) -> str:
        """What the server wrote to its stderr so far."""
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL to the server and its workers at once (a crash, an OOM kill, a power cut
        of the process group): nothing gets to clean up."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)


@contextmanager
def serving(settings: Settings, workers: int = 2, *options: str) -> Iterator[Server]:
    """`ledger serve` on a free port (in a process group of its own), until the block ends;
    `options` such as `--demo` are passed on."""
    with tempfile.TemporaryFile() as log:
        port = free_port()
        process = subprocess.Popen(
            ledger_command(
                "serve",
                *("--port", str(port), "--workers", str(workers), "--log-level", "warning"),
                *options,
            ),
            env=ledger_env(settings),
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        server = Server(f"http://127.0.0.1:{port}", settings, process, log)
        url = server.url
        deadline = time.monotonic() + STARTUP_SECONDS
        try:
            while True:
                if process.poll() is not None:
                    raise AssertionError(server.log())
                try:
                    # up once it answers at all (503 would name a failing store)
                    if httpx.get(f"{url}/v1/health", timeout=2).status_code in (200, 503):
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError("ledger serve did not answer in time")
                time.sleep(0.2)
            yield server
        finally:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
