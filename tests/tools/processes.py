"""What a test needs to run the ledger in another process."""

from __future__ import annotations

import os
import socket
from pathlib import Path

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
