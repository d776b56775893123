"""The questions evaluators ask, answered for (as_of, known_at) from the bitemporal read model.

This is the one entry point the API and the CLI use for as-of queries. Each question first
catches the read model up with the ledger (so a query right after a record reflects it, and
other processes' writes appear without a restart), then reads the rows in force. The answers
equal `projections.oracle.state` (the property tests compare them).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import date, datetime

from domain.governance import (
    CommitmentState,
    GovernanceState,
    Holding,
    Party,
    Recommendation,
    Risk,
    Subject,
)
from domain.vocabulary import Role
from ledger.service import Ledger
from projections.bitemporal import GovernanceView

_views: weakref.WeakKeyDictionary[Ledger, GovernanceView] = weakref.WeakKeyDictionary()
_views_lock = threading.Lock()


def view_for(ledger: Ledger) -> GovernanceView:
    """The read model kept for this ledger (opened on first use, closed with the ledger)."""
    with _views_lock:
        view = _views.get(ledger)
        if view is None:
            view = _views[ledger] = GovernanceView(ledger.settings)
            weakref.finalize(ledger, view.close)
        return view


def caught_up(ledger: Ledger, head: int | None = None) -> GovernanceView:
    """The ledger's read model, caught up with the ledger's head (or `head`, a position the
    caller has just read it at)."""
    view = view_for(ledger)
    view.catch_up(ledger, head=head)
    return view


def governance_state(ledger: Ledger, as_of: date, known_at: datetime) -> GovernanceState:
    """The whole governance on `as_of`, as known at `known_at`."""
    return caught_up(ledger).state(as_of, known_at)


def parties(ledger: Ledger, as_of: date, known_at: datetime) -> list[Party]:
    """Parties registered on `as_of` (dissolved ones included, with their date)."""
    return list(caught_up(ledger).state(as_of, known_at, ("party",)).parties.values())


def subjects(ledger: Ledger, as_of: date, known_at: datetime) -> list[Subject]:
    """Subjects registered on `as_of`."""
    return list(caught_up(ledger).state(as_of, known_at, ("subject",)).subjects.values())


def responsibilities(
    ledger: Ledger,
    as_of: date,
    known_at: datetime,
    *,
    party: str | None = None,
    subject: str | None = None,
    role: Role | None = None,
) -> list[Holding]:
    """The roles held on `as_of`, sorted by subject, party and role; optionally filtered."""
    held = caught_up(ledger).holdings(
        as_of, known_at, group=None if subject is None else ("responsibilities", subject)
    )
    if party is None and role is None:
        return held
    return [
        h for h in held if (party is None or h.party == party) and (role is None or h.role == role)
    ]


def risks(
    ledger: Ledger, as_of: date, known_at: datetime, *, system: str | None = None
) -> list[Risk]:
    """Risks identified by `as_of`, with assessments, treatments and acceptances."""
    state = caught_up(ledger).state(as_of, known_at, ("risk",))
    return [r for r in state.risks.values() if system is None or r.system == system]


def recommendations(
    ledger: Ledger, as_of: date, known_at: datetime, *, status: str | None = None
) -> list[Recommendation]:
    """Recommendations issued by `as_of`; `status` 'open' or 'closed' filters them."""
    if status not in (None, "open", "closed"):
        raise ValueError(f"status must be 'open' or 'closed', not {status!r}")
    state = caught_up(ledger).state(as_of, known_at, ("recommendation",))
    return [r for r in state.recommendations.values() if status is None or r.status == status]


@dataclass(frozen=True)
class CommitmentView:
    """A commitment to parliament and whether it is past due on the date asked about."""

    commitment: CommitmentState
    overdue: bool


def commitments(
    ledger: Ledger, as_of: date, known_at: datetime, *, overdue: bool | None = None
) -> list[CommitmentView]:
    """Commitments made by `as_of`, each flagged overdue if unkept past its due date."""
    state = caught_up(ledger).state(as_of, known_at, ("commitment",))
    found = [
        CommitmentView(c, c.kept_on is None and c.due_on < as_of)
        for c in state.commitments.values()
    ]
    return [c for c in found if overdue is None or c.overdue == overdue]
