"""The read model's answers as Python objects, for tests (the API answers the same as JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.governance import CommitmentState, GovernanceState, Holding, Recommendation, Subject
from domain.vocabulary import Role
from ledger.service import Ledger
from projections.answers import Moment, state_of


def state(ledger: Ledger, as_of: date, known_at: datetime) -> GovernanceState:
    return state_of(ledger, Moment(as_of, known_at))


def holdings(
    ledger: Ledger,
    as_of: date,
    known_at: datetime,
    *,
    party: str | None = None,
    subject: str | None = None,
    role: Role | None = None,
) -> list[Holding]:
    """The roles held, by subject, party and role (optionally filtered)."""
    found = [
        h
        for h in state(ledger, as_of, known_at).holdings.values()
        if (party is None or h.party == party)
        and (subject is None or h.subject == subject)
        and (role is None or h.role == role)
    ]
    return sorted(found, key=lambda h: (h.subject, h.party, h.role.value))


def subjects(ledger: Ledger, as_of: date, known_at: datetime) -> list[Subject]:
    return list(state(ledger, as_of, known_at).subjects.values())


@dataclass(frozen=True)
class CommitmentView:
    commitment: CommitmentState
    overdue: bool


def commitments(
    ledger: Ledger, as_of: date, known_at: datetime, *, overdue: bool | None = None
) -> list[CommitmentView]:
    found = [
        CommitmentView(c, c.kept_on is None and c.due_on < as_of)
        for c in state(ledger, as_of, known_at).commitments.values()
    ]
    return [c for c in found if overdue is None or c.overdue == overdue]


def recommendations(
    ledger: Ledger, as_of: date, known_at: datetime, *, status: str | None = None
) -> list[Recommendation]:
    found = state(ledger, as_of, known_at).recommendations.values()
    return [r for r in found if status is None or r.status == status]


def rows_known_now(ledger: Ledger) -> list[tuple[object, ...]]:
    """The read model's rows as known now (not superseded), in order, with all they hold."""
    return _rows(ledger, "WHERE recorded_to = 2147483647")


def every_row(ledger: Ledger) -> list[tuple[object, ...]]:
    """Every row of the read model, superseded or not, with its recorded interval."""
    return _rows(ledger, "")


def _rows(ledger: Ledger, where: str) -> list[tuple[object, ...]]:
    with ledger.reading() as tables:
        return sorted(
            tuple(row)
            for row in tables.all(
                "SELECT grp, kind, entity, payload, extra, ord_date, ord_pos, subject, party, tag,"
                f" valid_from, valid_to, recorded_from, recorded_to FROM {{p}}ledger_rows {where}"
            )
        )
