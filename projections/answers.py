"""The questions evaluators ask, answered for (as_of, known_at) from the ledger's tables.

A `Question` reads, in one consistent snapshot (`Ledger.reading`), the rows in force on as_of
as known at known_at — the position the ledger had reached then — and formats them: the state,
its sections, who holds which role, the matrix, the gap report (in pages), the differences
between two moments. Nothing is derived here that the rows do not hold already; the answers
equal those of the replay (`projections.oracle`, compared by the property tests).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import orjson
from pydantic import TypeAdapter

from domain import decisions as d
from domain.gaps import RULE_ABOUT, RULE_ORDER, Gap
from domain.governance import ENTRIES, Anomaly, GovernanceState, key_of
from domain.inheritance import chain, registered_parent
from domain.vocabulary import Role
from ledger.outputs import gap_kind
from ledger.projector import micros_of
from ledger.service import Ledger
from ledger.tables import GAP_KINDS, STATE_KINDS, Tables
from projections.matrix import CellRow, Matrix, MatrixFilter, assemble, inherit

_DECODE: dict[str, TypeAdapter[Any]] = {
    **{kind: TypeAdapter(list[group.value]) for kind, group in ENTRIES.items()},  # type: ignore[name-defined]
    "anomaly": TypeAdapter(list[Anomaly]),
}


@dataclass(frozen=True)
class Moment:
    """A question's two times: the date the state holds on, and when it was known."""

    as_of: date
    known_at: datetime


@dataclass(frozen=True)
class GapFilter:
    """Which gaps to list (None: any)."""

    rules: frozenset[str] | None = None
    about: str | None = None
    subject: str | None = None
    party: str | None = None


@dataclass
class GapPage:
    """Some gaps of the report, in its order, and how many each rule has."""

    items: list[bytes]
    """Each gap's JSON."""
    counts: dict[str, int]
    """Rule -> how many gaps it has (under the filter's other conditions)."""
    next: str | None
    """The cursor of the next page (None: this is the last)."""
    entities: list[str]
    """Each gap's row entity (which orders it)."""


class Question:
    """One question at (as_of, known_at), answered from one reading of the tables."""

    def __init__(self, tables: Tables, moment: Moment, head: int | None = None) -> None:
        self.tables = tables
        self.moment = moment
        self.head = tables.head() if head is None else head
        known = tables.position_at(micros_of(moment.known_at.astimezone()))
        self.position = min(self.head, known)
        """The ledger position as of known_at."""
        self.day = moment.as_of.toordinal()

    @property
    def ledger_head(self) -> int:
        """The position the answers rest on (what the ledger knew at known_at)."""
        return self.position

    def rows(
        self, kinds: Sequence[str], columns: str, where: str = "", params: Sequence[Any] = ()
    ) -> list[Any]:
        return self.tables.in_force(kinds, self.day, self.position, columns, where, params)

    # --- the state ---

    def entries(self, kinds: Sequence[str]) -> dict[str, list[Any]]:
        """The decoded entries of `kinds` in force, each kind's in the order the fold put them
        into the state (by the date and position of the decision that did)."""
        found = self.rows(kinds, "r.kind, r.entity, r.payload, r.ord_date, r.ord_pos")
        found.sort(key=lambda row: (row[3], row[4], row[0], row[1]))
        by_kind: dict[str, list[Any]] = {kind: [] for kind in kinds}
        for row in found:
            by_kind[row[0]].append(row)
        return {
            kind: list(zip((r[1] for r in rows), _decoded(kind, rows), strict=True))
            for kind, rows in by_kind.items()
        }

    def state(self, kinds: Sequence[str] = STATE_KINDS) -> GovernanceState:
        """The governance on as_of as known at known_at (dictionaries in the fold's order); only
        its entries of `kinds` (e.g. ("risk",): its risks), if given."""
        state = GovernanceState()
        for kind, pairs in self.entries(kinds).items():
            if kind == "anomaly":
                state.anomalies.extend(value for _, value in pairs)
                continue
            target = getattr(state, ENTRIES[kind].attribute)
            for entity, value in pairs:
                target[key_of(kind, entity)] = value
        return state

    def state_json(self) -> dict[str, Any]:
        """`projections.views.state_view` of the state, made of the rows' own JSON."""
        found = self.rows(STATE_KINDS, "r.kind, r.entity, r.payload, r.ord_date, r.ord_pos")
        found.sort(key=lambda row: (row[3], row[4], row[0], row[1]))
        by_kind: dict[str, list[Any]] = {kind: [] for kind in STATE_KINDS}
        for row in found:
            by_kind[row[0]].append(row)
        as_of = self.moment.as_of.isoformat()
        fragments = {kind: [orjson.Fragment(r[2]) for r in rows] for kind, rows in by_kind.items()}
        holdings = sorted(by_kind["holding"], key=lambda r: _holding_order(r[1]))
        return {
            "as_of": as_of,
            "known_at": self.moment.known_at.isoformat(),
            "ledger_head": self.head,
            "parties": fragments["party"],
            "subjects": fragments["subject"],
            "responsibilities": [orjson.Fragment(r[2]) for r in holdings],
            "frameworks": fragments["framework"],
            "acceptance_criteria": fragments["criteria"],
            "risks": fragments["risk"],
            "findings": fragments["finding"],
            "recommendations": [
                _with(
                    r[2], "status", "open" if orjson.loads(r[2])["closed_on"] is None else "closed"
                )
                for r in by_kind["recommendation"]
            ],
            "evaluations": fragments["evaluation"],
            "commitments": [
                _with(r[2], "overdue", _overdue(r[2], as_of)) for r in by_kind["commitment"]
            ],
            "consents": {r[1]: orjson.Fragment(r[2]) for r in by_kind["consent"]},
            "anomalies": fragments["anomaly"],
        }

    # --- who holds what ---

    def cells(self, party: str | None = None, subject: str | None = None) -> list[CellRow]:
        """The matrix cells in force (of one party, or one subject, if given)."""
        columns = "r.party, r.subject, r.tag, r.payload, r.extra"
        if subject is not None:
            found = self.tables.in_group(
                f"responsibilities:{subject}", ("cell",), self.day, self.position, columns
            )
            if party is not None:
                found = [row for row in found if row[0] == party]
        elif party is not None:
            found = self.rows(("cell",), columns, "r.party = ?", (party,))
        else:
            found = self.rows(("cell",), columns)
        return [CellRow(p, s, letters, payload, extra) for p, s, letters, payload, extra in found]

    def held(self, party: str | None = None, subject: str | None = None) -> list[CellRow]:
        """The cells in force, with the roles held by inheritance (of one party, or one
        subject, if given)."""
        subjects = {key: value for key, value in self.entries(("subject",))["subject"]}
        parents = {s.id: s.parent for s in subjects.values()}
        if not any(parent in parents for parent in parents.values()):
            return self.cells(party, subject)  # no subject is below another
        if subject is not None:  # what it inherits comes down its own chain
            line = chain(subject, registered_parent(parents))
            subjects = {s: subjects[s] for s in line if s in subjects}
            found = [row for above in line for row in self.cells(None, above)]
        else:
            found = self.cells()
        return [
            row
            for row in inherit(found, subjects)
            if (party is None or row.party == party) and (subject is None or row.subject == subject)
        ]

    def responsibilities(
        self, party: str | None = None, subject: str | None = None, role: Role | None = None
    ) -> list[dict[str, Any]]:
        """Every role held (inherited ones with the subject they come from), with its since,
        decisions and their sources, by subject, role and party (the version: the last
        position about the subject's responsibilities)."""
        items = []
        for row in self.held(party, subject):
            cell = orjson.loads(row.json)
            sources = orjson.loads("{" + row.sources + "}")
            for held in cell["roles"]:
                if role is not None and held["role"] != role.value:
                    continue
                items.append(
                    {
                        "party": row.party,
                        "subject": row.subject,
                        "role": held["role"],
                        "since": held["since"],
                        **{k: held[k] for k in ("inherited_from",) if k in held},
                        "decisions": held["decisions"],
                        "sources": [{"decision": i, **sources[i]} for i in held["decisions"]],
                    }
                )
        items.sort(key=lambda i: (i["subject"], i["role"], i["party"]))
        versions = self.versions(f"responsibilities:{s}" for s in {i["subject"] for i in items})
        for item in items:
            item["version"] = versions.get(f"responsibilities:{item['subject']}", 0)
        return items

    def versions(self, groups: Iterator[str] | Sequence[str] | set[str]) -> dict[str, int]:
        """Each group's version: the last position about it (as known now)."""
        groups = list(groups)
        found: dict[str, int] = {}
        for start in range(0, len(groups), 500):
            chunk = groups[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                self.tables.all(
                    f"SELECT grp, max(position) FROM {{p}}ledger_about WHERE grp IN ({marks})"  # noqa: S608
                    " GROUP BY grp",
                    chunk,
                )
            )
        return found

    # --- the matrix ---

    def matrix(self, only: MatrixFilter | None = None) -> Matrix:
        """The responsibility matrix, with the subjects the gap report flags marked."""
        entries = self.entries(("party", "subject"))
        return assemble(
            as_of=self.moment.as_of,
            known_at=self.moment.known_at,
            ledger_head=self.position,
            parties=[value for _, value in entries["party"]],
            subjects=[value for _, value in entries["subject"]],
            cells=self.cells(),
            gap_subjects=self.gap_subjects(),
            only=only,
        )

    def gap_subjects(self) -> dict[str, list[str]]:
        """The subjects the gap report flags, each with its rules (in the report's order)."""
        found: dict[str, list[str]] = {}
        rows = self.rows((gap_kind("subject"),), "r.entity, r.subject, r.tag")
        for _, subject, rule in sorted(rows):
            found.setdefault(subject, []).append(rule)
        return found

    # --- the gap report ---

    def gap_page(
        self, only: GapFilter | None = None, after: str | None = None, limit: int | None = None
    ) -> GapPage:
        """The gaps in the report's order, after the cursor `after`, at most `limit`; and how
        many gaps each rule has (under the filter's other conditions)."""
        only = only or GapFilter()
        where, params = [], []
        if only.subject is not None:
            where.append("r.subject = ?")
            params.append(only.subject)
        if only.party is not None:
            where.append("r.party LIKE ?")
            params.append(f"% {only.party} %")
        kinds = GAP_KINDS if only.about is None else (gap_kind(only.about),)
        found = self.rows(kinds, "r.entity, r.tag, r.payload", " AND ".join(where), params)
        if only.about is not None:
            found = [row for row in found if RULE_ABOUT[row[1]] == only.about]
        counts: dict[str, int] = {}
        for _, rule, _ in found:
            counts[rule] = counts.get(rule, 0) + 1
        if only.rules is not None:
            found = [row for row in found if row[1] in only.rules]
        found.sort(key=lambda row: row[0])
        start = _decode_cursor(after)
        if start is not None:
            found = [row for row in found if row[0] > start]
        page = found if limit is None else found[:limit]
        more = limit is not None and len(found) > limit
        return GapPage(
            [payload.encode() for _, _, payload in page],
            {rule: counts[rule] for rule in RULE_ORDER if rule in counts},
            _encode_cursor(page[-1][0]) if more and page else None,
            [entity for entity, _, _ in page],
        )

    def gaps(self, only: GapFilter | None = None) -> list[Gap]:
        """Every gap (that `only` lets through), decoded, in the report's order."""
        page = self.gap_page(only)
        return [
            gap_of(orjson.loads(item), entity)
            for item, entity in zip(page.items, page.entities, strict=True)
        ]

    # --- decisions ---

    def decisions_known(self) -> list[d.RecordedDecision]:
        """Every decision recorded up to the position (the log as known then)."""
        return [
            d.RecordedDecision.model_validate_json(row[0])
            for row in self.tables.all(
                "SELECT payload FROM {p}ledger_decisions WHERE position <= ? ORDER BY position",
                (self.position,),
            )
        ]


def _decoded(kind: str, rows: list[Any]) -> list[Any]:
    found: list[Any] = _DECODE[kind].validate_json("[" + ",".join(r[2] for r in rows) + "]")
    return found


def _holding_order(entity: str) -> tuple[str, str, str]:
    subject, party, role = entity.split("/")
    return subject, party, role


def _with(payload: str, name: str, value: Any) -> orjson.Fragment:
    """An object's JSON with one more field at its end."""
    return orjson.Fragment(payload[:-1] + f',"{name}":' + orjson.dumps(value).decode() + "}")


def _overdue(payload: str, as_of: str) -> bool:
    data = orjson.loads(payload)
    return data["kept_on"] is None and data["due_on"] < as_of


def gap_of(data: dict[str, Any], entity: str) -> Gap:
    """A gap from its stored JSON and the entity of its row."""
    return Gap(
        data["rule"],
        data["about"],
        data["id"],
        None if data["since"] is None else date.fromisoformat(data["since"]),
        data["message"],
        tuple(UUID(i) for i in data["decisions"]),
        data["message_nl"],
        data["subject"],
        tuple(data["parties"]),
        entity.split("\x1f", 2)[2],
    )


def _encode_cursor(entity: str) -> str:
    return base64.urlsafe_b64encode(entity.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> str | None:
    """The row entity a cursor of `_encode_cursor` stands for (ValueError if it is none)."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        entity = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        entity = ""
    if entity.count("\x1f") != 2:
        raise ValueError("is not a cursor this server gave (use `next` of the previous page)")
    return entity


@contextmanager
def asking(ledger: Ledger, moment: Moment) -> Iterator[Question]:
    """A question at the moment, answered from one consistent reading of the tables."""
    with ledger.reading() as tables:
        yield Question(tables, moment)


def matrix_of(ledger: Ledger, moment: Moment, only: MatrixFilter | None = None) -> Matrix:
    with asking(ledger, moment) as question:
        return question.matrix(only)


def gaps_of(ledger: Ledger, moment: Moment) -> list[Gap]:
    with asking(ledger, moment) as question:
        return question.gaps()


def state_of(ledger: Ledger, moment: Moment) -> GovernanceState:
    with asking(ledger, moment) as question:
        return question.state()


__all__ = ["GapFilter", "GapPage", "Moment", "Question", "asking"]
