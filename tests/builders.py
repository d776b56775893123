"""Decisions as the secretariat would send them, with sensible defaults from the letter."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from domain.decisions import Decision, RecordedDecision, decode_decision
from domain.invariants import check
from domain.knowledge import Knowledge

SOURCE = "Kamerstuk 25124-109"


def decision(kind: str, **fields: Any) -> Decision:
    """Build a decision of `kind`; fields default to the SMB deciding on 3 February 2022."""
    data: dict[str, Any] = {
        "kind": kind,
        "decided_by": ["smb"],
        "effective_on": "2022-02-03",
        "source": SOURCE,
    }
    data.update(fields)
    return decode_decision(data)


def party(slug: str, kind: str = "board", on: str = "2020-07-01", **extra: Any) -> Decision:
    return decision(
        "party.registered",
        party=slug,
        name=extra.pop("name", slug.upper()),
        party_kind=kind,
        decided_by=extra.pop("decided_by", [slug]),
        effective_on=on,
        **extra,
    )


def subject(slug: str, kind: str = "system", on: str = "2020-07-01", **extra: Any) -> Decision:
    return decision(
        "subject.registered",
        subject=slug,
        name=extra.pop("name", slug.upper()),
        subject_kind=kind,
        effective_on=on,
        **extra,
    )


def assign(party_: str, subject_: str, role: str, on: str, **extra: Any) -> Decision:
    return _role("responsibility.assigned", party_, subject_, role, on, **extra)


def relieve(party_: str, subject_: str, role: str, on: str, **extra: Any) -> Decision:
    return _role("responsibility.relieved", party_, subject_, role, on, **extra)


def _role(kind: str, party_: str, subject_: str, role: str, on: str, **extra: Any) -> Decision:
    return decision(kind, party=party_, subject=subject_, role=role, effective_on=on, **extra)


def risk(slug: str, system: str, on: str, **extra: Any) -> Decision:
    return decision(
        "risk.identified", risk=slug, system=system, title=slug, effective_on=on, **extra
    )


def accept(risk_: str, by: list[str], on: str, **extra: Any) -> Decision:
    """The residual risk accepted by `by`, at level medium, to be reviewed in 2030."""
    return decision(
        "risk.residual_accepted",
        risk=risk_,
        accepted_level=extra.pop("accepted_level", "medium"),
        review_by=extra.pop("review_by", "2030-01-01"),
        decided_by=by,
        effective_on=on,
        **extra,
    )


def basics() -> list[Decision]:
    """The SMB, the korpschef, the minister, and the system C2000, from 1 July 2020."""
    return [
        party("smb"),
        party("korpschef", kind="korpschef"),
        party("minister-jenv", kind="minister"),
        subject("c2000"),
        subject("informatiebeveiliging", kind="domain"),
    ]


def remember(knowledge: Knowledge, decision_: Decision) -> RecordedDecision:
    """Check a decision and add it to an in-memory knowledge, as the ledger does (fast tests)."""
    check(decision_, knowledge)
    item = RecordedDecision(
        id=uuid.uuid4(),
        position=knowledge.head + 1,
        recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
        recorded_by="test",
        decision=decision_,
    )
    knowledge.add(item)
    return item


def known(decisions: Sequence[Decision]) -> Knowledge:
    knowledge = Knowledge()
    for decision_ in decisions:
        remember(knowledge, decision_)
    return knowledge
