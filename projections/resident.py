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
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from domain.timeline import ROW_KINDS
from domain.vocabulary import Role
from projections.tables import KIND_CODES, Reader, Stored

OPEN_END = np.iinfo(np.int64).max
"""The end of an interval still open (valid, or known, until further notice)."""

ALL_KINDS = frozenset(ROW_KINDS)

Ints = npt.NDArray[np.int64]

HOLDING = KIND_CODES["holding"]
ROLE_CODES = {role: code for code, role in enumerate(Role)}
"""A role's code in `HoldingColumns.role`: its place in `Role` (A, R, C, I, O)."""
NO_CODE = -1
_PARTY_SHIFT = 32
"""A cell code is (party code << 32) | subject code."""


@dataclass(frozen=True)
class HoldingColumns:
    """The holdings in force, in the order of the rows handed out with them, as codes: for
    the answers that group or count holdings (the matrix's cells, who is accountable for
    what) without touching each holding's objects (which lie all over the heap: touching
    them is most of what such a loop costs)."""

    party: npt.NDArray[np.int32]
    """A code per holding: its party is `parties[code]`."""
    subject: npt.NDArray[np.int32]
    """A code per holding: its subject is `subjects[code]`."""
    role: npt.NDArray[np.int8]
    """A code per holding (`ROLE_CODES`)."""
    cell_keys: npt.NDArray[np.object_]
    """A holding's (party, subject): the same tuple for every row of that cell."""
    parties: Sequence[str]
    subjects: Sequence[str]
    values: Sequence[Any]
    """The holdings themselves (read one by one, on demand)."""
    at: Ints
    """Their rows' indexes among the resident rows (where `memo` keeps what is derived)."""
    memo: Callable[..., Memo]
    """The resident rows' memo of a name, for a token, of a dtype (`Resident.memo`)."""
    groups: Callable[[object], dict[tuple[int, ...], Any]]
    """What is derived from several rows together, by name (`Resident.groups`)."""


def cell_codes(party: npt.NDArray[np.int32], subject: npt.NDArray[np.int32]) -> Ints:
    """The cell code of each (party code, subject code): one int per (party, subject)."""
    codes: Ints = (party.astype(np.int64) << _PARTY_SHIFT) | subject.astype(np.int64)
    return codes


class Memo:
    """What an answer derives from one row alone and one token (such as the whole knowledge a
    matrix cell is traced in), kept beside the rows: `values[i]` for row i, if `made[i]`.

    Kept in arrays rather than on the decoded rows, so that gathering what the rows in force
    contribute touches only those values, not the rows they came from. Values are written
    whole and never changed; two questions that make the same one at once both make it right,
    and either is kept."""

    def __init__(self, token: object, size: int, dtype: npt.DTypeLike = object) -> None:
        self.token = token
        self.values: npt.NDArray[Any] = np.full(size, None if dtype is object else 0, dtype)
        self.made = np.zeros(size, np.bool_)
        self.together: dict[tuple[int, ...], Any] = {}
        """What is derived from several rows together, by their indexes (such as the cell
        of a party holding several roles for a subject)."""

    def at(self, rows: Ints, make: Callable[[int], Any]) -> npt.NDArray[np.object_]:
        """The values of the rows at the indexes `rows`, making each one not made yet with
        `make(i)`, `i` its place in `rows`."""
        self.make(rows, make)
        found: npt.NDArray[np.object_] = self.values[rows]
        return found

    def make(self, rows: Ints, make: Callable[[int], Any]) -> None:
        """Make the values of the rows at `rows` not made yet, as `at` does, without reading
        the others (gathering a value touches it)."""
        missing = np.flatnonzero(~self.made[rows])
        if len(missing):
            made = [make(i) for i in missing.tolist()]
            self.values[rows[missing]] = np.fromiter(made, self.values.dtype, len(made))
            self.made[rows[missing]] = True

    def grown(self, size: int) -> Memo:
        """The same values, with room for rows loaded since (and as many again: rows come a
        few at a time, after each write, and copying the arrays each time would cost more
        than the question)."""
        memo = Memo(self.token, max(size, 2 * len(self.values)), self.values.dtype)
        memo.values[: len(self.values)] = self.values
        memo.made[: len(self.made)] = self.made
        memo.together = self.together
        return memo


class _Names:
    """Ids as small ints, in the order first seen (append-only: a code never changes)."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.names: list[str] = []

    def code(self, name: str) -> int:
        found = self.codes.get(name)
        if found is None:
            found = self.codes[name] = len(self.names)
            self.names.append(name)
        return found


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
        self.party = np.empty(0, np.int32)
        self.subject = np.empty(0, np.int32)
        self.role = np.empty(0, np.int8)
        self.cell_keys: npt.NDArray[np.object_] = np.empty(0, object)
        """A holding's codes (from its entity, when its box is loaded) and cell key (when it is
        first decoded): `HoldingColumns`; NO_CODE and None for the other kinds."""
        self.accountable: Ints = np.empty(0, np.int64)
        """The indexes of the accountable holdings' rows, by cell code (then row id)."""
        self._intervals = np.empty((5, 0), np.int64)
        """The accountable holdings' cell codes and boxes (valid from, valid to, recorded
        from, recorded to), in the order of `accountable`, side by side: what
        `accountable_intervals` filters, without gathering them from the rows' arrays."""
        self._interval_at = np.empty(0, np.int64)
        """A row's place in `accountable` (-1: not an accountable holding)."""
        self._parties, self._subjects = _Names(), _Names()
        self._cells: dict[tuple[str, str], tuple[str, str]] = {}
        self._memos: dict[object, Memo] = {}
        self._groups: dict[object, dict[tuple[int, ...], Any]] = {}

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
            places = self._interval_at[where]
            among = places >= 0
            self._intervals[4, places[among]] = self.recorded_to[where[among]]
        if written:
            columns = list(zip(*written, strict=True))
            start = len(self.ids)
            self.ids = np.concatenate((self.ids, np.array(columns[0], np.int64)))
            kinds = np.array([KIND_CODES[k] for k in columns[1]], np.int8)
            self.kinds = np.concatenate((self.kinds, kinds))
            self.valid_from = np.concatenate((self.valid_from, np.array(columns[3], np.int64)))
            self.valid_to = np.concatenate((self.valid_to, _ends(columns[4])))
            self.recorded_from = np.concatenate(
                (self.recorded_from, np.array(columns[5], np.int64))
            )
            self.recorded_to = np.concatenate((self.recorded_to, _ends(columns[6])))
            self.rows = np.concatenate((self.rows, np.full(len(written), None, object)))
            self.is_decoded = np.concatenate((self.is_decoded, np.zeros(len(written), np.bool_)))
            self._code_holdings(start, kinds, columns[2])
        self.position = position

    def _code_holdings(
        self, start: int, kinds: npt.NDArray[np.int8], entities: Sequence[str | None]
    ) -> None:
        """The codes of the rows from `start` on (their `kinds`, and the holdings' `entities`:
        '<subject>/<party>/<role>', ids being slugs, with no '/' in them)."""
        count = len(kinds)
        party = np.full(count, NO_CODE, np.int32)
        subject = np.full(count, NO_CODE, np.int32)
        role = np.full(count, NO_CODE, np.int8)
        held = np.flatnonzero(kinds == HOLDING).tolist()
        if held:
            parts = [str(entities[i]).split("/") for i in held]
            assert all(len(p) == 3 for p in parts), "a holding's entity is not subject/party/role"
            party_code, subject_code = self._parties.code, self._subjects.code
            party[held] = [party_code(p[1]) for p in parts]
            subject[held] = [subject_code(p[0]) for p in parts]
            role[held] = [ROLE_CODES[Role(p[2])] for p in parts]
        self.party = np.concatenate((self.party, party))
        self.subject = np.concatenate((self.subject, subject))
        self.role = np.concatenate((self.role, role))
        self.cell_keys = np.concatenate((self.cell_keys, np.full(count, None, object)))
        accountable = np.flatnonzero(role == ROLE_CODES[Role.ACCOUNTABLE]) + start
        if len(accountable):
            everyone = np.concatenate((self.accountable, accountable))
            codes = cell_codes(self.party[everyone], self.subject[everyone])
            order = np.argsort(codes, kind="stable")
            self.accountable = rows = everyone[order]
            self._intervals = np.stack(
                (
                    codes[order],
                    self.valid_from[rows],
                    self.valid_to[rows],
                    self.recorded_from[rows],
                    self.recorded_to[rows],
                )
            )
            self._interval_at = np.full(len(self.ids), -1, np.int64)
            self._interval_at[rows] = np.arange(len(rows))
        else:
            self._interval_at = np.concatenate((self._interval_at, np.full(count, -1, np.int64)))

    def _key_cells(self, decoded: Ints) -> None:
        """The cell keys of the holdings among the rows just decoded, the first time: made of
        the decoded holdings' own ids (which the answers touch anyway)."""
        held = decoded[self.kinds[decoded] == HOLDING]
        new = held[np.fromiter((key is None for key in self.cell_keys[held]), np.bool_, len(held))]
        if len(new):
            cells = self._cells
            keys = [(row.value.party, row.value.subject) for row in self.rows[new].tolist()]
            self.cell_keys[new] = np.fromiter(
                (cells.setdefault(key, key) for key in keys), object, len(keys)
            )

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
            self._key_cells(missing)
        result: npt.NDArray[np.object_] = self.rows[found]
        return result

    def accountable_intervals(self, as_of: int, position: int) -> tuple[Ints, Ints, Ints]:
        """(cell code, valid from, valid to) of every accountable holding valid from day `as_of`
        or earlier, as known at `position`, sorted by cell code (`cell_codes`;
        an open end is `OPEN_END`)."""
        codes, valid_from, valid_to, recorded_from, recorded_to = self._intervals
        held = (valid_from <= as_of) & (recorded_from <= position) & (recorded_to > position)
        return codes[held], valid_from[held], valid_to[held]

    def cell_code(self, party: str, subject: str) -> int:
        """The cell code of (party, subject); NO_CODE if no holding ever named either."""
        p, s = self._parties.codes.get(party), self._subjects.codes.get(subject)
        return NO_CODE if p is None or s is None else (p << _PARTY_SHIFT) | s

    def holding_columns(self, found: Ints, values: Sequence[Any]) -> HoldingColumns:
        """The codes of the holdings among the rows at `found` (all decoded), in row-id order;
        `values` are those holdings, in the same order."""
        held = self.of_kind(found, "holding")
        return HoldingColumns(
            self.party[held],
            self.subject[held],
            self.role[held],
            self.cell_keys[held],
            tuple(self._parties.names),
            tuple(self._subjects.names),
            values,
            held,
            self.memo,
            self.groups,
        )

    def memo(self, name: object, token: object = None, dtype: npt.DTypeLike = object) -> Memo:
        """The rows' memo `name` for `token`: the one kept, if it is for the same token (grown
        to the rows loaded since), else a new one, kept in its place (one token per name: the
        matrix's token is the decisions' `Known.readings`, which a correction or retraction
        replaces; what depends on a row's content alone needs none)."""
        memo = self._memos.get(name)
        if memo is None or memo.token is not token:
            memo = Memo(token, len(self.ids), dtype)
        elif len(memo.values) < len(self.ids):
            memo = memo.grown(len(self.ids))
        self._memos[name] = memo
        return memo

    def groups(self, name: object) -> dict[tuple[int, ...], Any]:
        """What is derived from several rows together and from nothing else, kept by the
        tuple of their indexes, under `name` (such as who is accountable for a subject,
        `gaps.Accountable`): rows never change within a generation, so neither does it."""
        found = self._groups.get(name)
        if found is None:
            found = self._groups[name] = {}
        return found

    def of_kind(self, found: Ints, kind: str) -> Ints:
        """The indexes among `found` of the rows of `kind` (in the same order)."""
        at: Ints = found[self.kinds[found] == KIND_CODES[kind]]
        return at

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
