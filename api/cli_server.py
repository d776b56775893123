"""Commands of `ledger` (registered on api.cli.app)."""

from __future__ import annotations
