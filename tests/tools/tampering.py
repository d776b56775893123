"""An attacker with database access: direct SQL on the stored events and the chain table.

Used by the tamper-evidence tests on both backends. Positions are notification ids
(SQLite rowid, PostgreSQL notification_id).
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

import psycopg

from ledger.chain import GENESIS, canonical_bytes
from ledger.settings import Settings
from tests.conftest import POSTGRES_URL


class Attacker:
    """Rewrites the store behind the ledger's back."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sqlite = settings.database_url is None
        if self.sqlite:
            self.events, self.chain, self.id = "stored_events", "stored_events_chain", "rowid"
        else:
            self.events, self.chain, self.id = (
                "governance_events",
                "governance_events_chain",
                "notification_id",
            )

    def _run(self, statements: list[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        """Run statements in one transaction; return the last one's rows."""
        rows: list[Any] = []
        if self.sqlite:
            conn = sqlite3.connect(self.settings.sqlite_path(), isolation_level=None, timeout=30)
            try:
                conn.execute("BEGIN IMMEDIATE")
                for sql, params in statements:
                    rows = conn.execute(sql, params).fetchall()
                conn.execute("COMMIT")
            finally:
                conn.close()
            return rows
        with psycopg.connect(POSTGRES_URL) as pg:
            pg.execute(f'SET search_path TO "{self.settings.postgres_schema}"')
            for sql, params in statements:
                cur = pg.execute(sql.replace("?", "%s"), params)
                rows = cur.fetchall() if cur.description else []
        return rows

    def positions(self) -> list[int]:
        return [r[0] for r in self._run([(f"SELECT {self.id} FROM {self.events} ORDER BY 1", ())])]

    def state(self, position: int) -> bytes:
        rows = self._run([(f"SELECT state FROM {self.events} WHERE {self.id} = ?", (position,))])
        return bytes(rows[0][0])

    def flip_byte(self, position: int, offset: int = 10) -> None:
        """Change one byte of the stored state of the event at `position`."""
        state = bytearray(self.state(position))
        state[offset] ^= 0x01
        self._run(
            [(f"UPDATE {self.events} SET state = ? WHERE {self.id} = ?", (bytes(state), position))]
        )

    def delete_event(self, position: int) -> None:
        self._run([(f"DELETE FROM {self.events} WHERE {self.id} = ?", (position,))])

    def cut_tail(self, first: int) -> None:
        """Delete every event from `first` on, and their chain records."""
        self._run(
            [
                (f"DELETE FROM {self.events} WHERE {self.id} >= ?", (first,)),
                (f"DELETE FROM {self.chain} WHERE notification_id >= ?", (first,)),
            ]
        )

    def insert_forged(self, position: int, copy_of: int) -> None:
        """Insert an event at `position` (no chain record), made from a copy of another."""
        self._run(
            [
                (
                    f"INSERT INTO {self.events} ({self.id}, originator_id, originator_version, "
                    f"topic, state) SELECT ?, originator_id, originator_version + 100000, topic, "
                    f"state FROM {self.events} WHERE {self.id} = ?",
                    (position, copy_of),
                )
            ]
        )

    def swap(self, a: int, b: int) -> None:
        """Swap the positions of two events."""
        parking = -1
        self._run(
            [
                (f"UPDATE {self.events} SET {self.id} = ? WHERE {self.id} = ?", (parking, a)),
                (f"UPDATE {self.events} SET {self.id} = ? WHERE {self.id} = ?", (a, b)),
                (f"UPDATE {self.events} SET {self.id} = ? WHERE {self.id} = ?", (b, parking)),
            ]
        )

    def recompute_chain(self) -> None:
        """Rebuild the whole chain table from the events as they now are."""
        rows = self._run(
            [
                (
                    f"SELECT {self.id}, originator_id, originator_version, topic, state "
                    f"FROM {self.events} ORDER BY 1",
                    (),
                )
            ]
        )
        previous = GENESIS
        new_chain = []
        for position, originator_id, version, topic, state in rows:
            oid = str(originator_id)
            if self.sqlite and len(oid) == 32:  # SQLite keeps UUIDs as bare hex
                oid = f"{oid[:8]}-{oid[8:12]}-{oid[12:16]}-{oid[16:20]}-{oid[20:]}"
            canonical = canonical_bytes(position, oid, version, topic, bytes(state))
            previous = hashlib.sha256(previous + canonical).digest()
            new_chain.append((position, previous))
        self._run(
            [(f"DELETE FROM {self.chain}", ())]
            + [
                (f"INSERT INTO {self.chain} (notification_id, hash) VALUES (?, ?)", row)
                for row in new_chain
            ]
        )
