"""Web pages for evaluators (server-rendered). Mounted on the HTTP app by `mount_pages`."""

from __future__ import annotations

from fastapi import FastAPI


def mount_pages(app: FastAPI) -> None:
    """Add the evaluator pages to the app (none yet)."""
