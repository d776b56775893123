"""What a test needs to run the ledger in another process."""

from __future__ import annotations

import os
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
