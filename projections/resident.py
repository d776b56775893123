"""The read model's rows resident in memory: which rows are in force, found without asking the
database, and the rows themselves decoded once.

A row is in force at (date, position) when its box — valid from/to, recorded from/to — contains
that point. The tables answer that through an index (SQLite's R*Tree, PostgreSQL's GiST): ~7-14
ms for the ~8-18k rows in force at 100k decisions, and each row found is then looked up among
the decoded ones. Here the boxes' edges are kept as arrays (numpy; an id, a kind and four ends
a row, ~7 MB at 140k rows with the slots for the decoded rows), so the same test is a few
vectorised comparisons (well under a millisecond), and the decoded rows sit beside them, in the
same order.

It is a cache of the tables, like everything the view keeps in memory. Rows are only ever
written with a higher id and recorded from a later position than any committed before, and
closed at a later position; so arrays that reflect the tables at position T answer every
position up to T exactly, and are brought up to date by reading the rows written, and those
closed, after T. A rebuild (which reuses ids) raises the generation: the arrays start again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from domain.timeline import ROW_KINDS
from projections.tables import KIND_CODES, Reader, Stored

OPEN_END = np.iinfo(np.int64).max
"""The end of an interval still open (valid, or known, until further notice)."""

ALL_KINDS = frozenset(ROW_KINDS)

Ints = npt.NDArray[np.int64]


class Resident:
    """The boxes of every row of one generation, as of one position of the tables, and the
    rows decoded so far (None where not yet)."""

    def __init__(self, generation: int, limit: int) -> None:
        self.generation = generation
        self.position = -1
        """The tables' position these arrays reflect (-1: nothing loaded yet)."""
        self.limit = limit
        """At most this many rows are kept decoded (all are forgotten when full)."""
        self.ids: Ints = np.empty(0, np.int64)
        self.kinds = np.empty(0, np.int8)
        self.valid_from: Ints = np.empty(0, np.int64)
        self.valid_to: Ints = np.empty(0, np.int64)
        self.recorded_from: Ints = np.empty(0, np.int64)
        self.recorded_to: Ints = np.empty(0, np.int64)
        self.rows: npt.NDArray[np.object_] = np.empty(0, object)
        """The decoded rows (None: not decoded yet)."""
        self.is_decoded = np.empty(0, np.bool_)
        self.count = 0
        """How many rows are decoded."""

    def refresh(self, reader: Reader, position: int) -> None:
        """Take in the rows written and closed since `self.position`; `reader` sees the tables
        at `position` (of this generation)."""
        if position == self.position:
            return
        last_id = int(self.ids[-1]) if len(self.ids) else 0
        written, closed = reader.boxes_since(last_id, max(self.position, 0))
        if closed:
            at = np.array([row_id for row_id, _ in closed], np.int64)
            where = np.searchsorted(self.ids, at)
            assert bool(np.all(self.ids[where] == at)), "a closed row was never loaded"
            self.recorded_to[where] = [recorded_to for _, recorded_to in closed]
        if written:
            columns = list(zip(*written, strict=True))
            self.ids = np.concatenate((self.ids, np.array(columns[0], np.int64)))
            self.kinds = np.concatenate(
                (self.kinds, np.array([KIND_CODES[k] for k in columns[1]], np.int8))
            )
            self.valid_from = np.concatenate((self.valid_from, np.array(columns[2], np.int64)))
            self.valid_to = np.concatenate((self.valid_to, _ends(columns[3])))
            self.recorded_from = np.concatenate(
                (self.recorded_from, np.array(columns[4], np.int64))
            )
            self.recorded_to = np.concatenate((self.recorded_to, _ends(columns[5])))
            self.rows = np.concatenate((self.rows, np.full(len(written), None, object)))
            self.is_decoded = np.concatenate((self.is_decoded, np.zeros(len(written), np.bool_)))
        self.position = position

    def in_force(self, as_of: int, position: int, kinds: Sequence[str] = ROW_KINDS) -> Ints:
        """The indexes (in row-id order) of the rows of `kinds` valid on day `as_of` (an
        ordinal) and known at `position` (at most `self.position`)."""
        assert position <= self.position, "the arrays are behind the position asked about"
        mask = (
            (self.valid_from <= as_of)
            & (self.valid_to > as_of)
            & (self.recorded_from <= position)
            & (self.recorded_to > position)
        )
        if not set(kinds) >= ALL_KINDS:
            mask &= np.isin(self.kinds, [KIND_CODES[k] for k in kinds])
        return np.flatnonzero(mask)

    def at(self, ids: Sequence[int]) -> Ints:
        """The indexes of the rows `ids` (all of them written by `self.position`)."""
        wanted = np.array(ids, np.int64)
        found = np.searchsorted(self.ids, wanted)
        assert bool(np.all(self.ids[found] == wanted)), "a row asked for was never loaded"
        return found

    def decoded(
        self,
        found: Ints,
        reader: Reader,
        decode: Callable[[Sequence[Stored]], dict[int, Any]],
    ) -> npt.NDArray[np.object_]:
        """The decoded rows at the indexes `found` (decoding, through `reader`, those not
        decoded yet)."""
        missing = found[~self.is_decoded[found]]
        if len(missing):
            if self.count + len(missing) > self.limit:
                self.rows[:] = None
                self.is_decoded[:] = False
                self.count = 0
                missing = found
            ids = self.ids[missing].tolist()
            rows = decode(reader.rows(ids))
            self.rows[missing] = [rows[row_id] for row_id in ids]
            self.is_decoded[missing] = True
            self.count += len(missing)
        result: npt.NDArray[np.object_] = self.rows[found]
        return result

    def by_kind(self, found: Ints, rows: npt.NDArray[np.object_]) -> dict[str, list[Any]]:
        """The decoded `rows` at the indexes `found`, by kind, each kind in row-id order."""
        if not len(found):
            return {}
        codes = self.kinds[found]
        order = np.argsort(codes, kind="stable")
        codes, rows = codes[order], rows[order]
        starts = np.flatnonzero(np.diff(codes, prepend=-1)).tolist()
        return {
            ROW_KINDS[int(codes[start])]: rows[start:end].tolist()
            for start, end in zip(starts, [*starts[1:], len(codes)], strict=True)
        }


def _ends(values: Sequence[int | None]) -> Ints:
    """Interval ends, an open one (None) as `OPEN_END`."""
    return np.array([OPEN_END if v is None else v for v in values], np.int64)
