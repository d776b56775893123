"""Plain-data views of a governance state, for JSON output."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from domain.governance import GovernanceState


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {
            str(_plain(k)) if not isinstance(k, tuple) else "/".join(map(str, k)): _plain(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def state_view(
    state: GovernanceState, as_of: date, known_at: datetime, head: int
) -> dict[str, Any]:
    """The whole state as plain JSON-ready data, with the question it answers."""
    return {
        "as_of": as_of.isoformat(),
        "known_at": known_at.isoformat(),
        "ledger_head": head,
        "parties": _plain(list(state.parties.values())),
        "subjects": _plain(list(state.subjects.values())),
        "responsibilities": _plain(
            sorted(state.holdings.values(), key=lambda h: (h.subject, h.party, h.role.value))
        ),
        "frameworks": _plain(list(state.frameworks.values())),
        "acceptance_criteria": _plain(list(state.criteria.values())),
        "risks": _plain(list(state.risks.values())),
        "findings": _plain(list(state.findings.values())),
        "recommendations": [
            {**_plain(r), "status": r.status} for r in state.recommendations.values()
        ],
        "evaluations": _plain(list(state.evaluations.values())),
        "commitments": [
            {**_plain(c), "overdue": c.overdue(as_of)} for c in state.commitments.values()
        ],
        "consents": _plain(state.consents),
        "anomalies": _plain(state.anomalies),
    }
