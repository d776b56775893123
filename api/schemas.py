"""Request and response schemas of the HTTP API (separate from the stored events).

A decision body is validated by the domain's own `AnyDecision` union (discriminated by `kind`);
these models describe envelopes, pages and views around it, and carry the OpenAPI examples,
drawn from the minister's letter of 3 February 2022 (Kamerstuk 25124-109).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.decisions import AnyDecision, RecordedDecision

MAX_BATCH = 10_000

_ENVELOPE = {"source": "Kamerstuk 25124-109"}
_LETTER = "2022-02-03"

EXAMPLES: dict[str, dict[str, Any]] = {
    "party.registered": {
        "kind": "party.registered",
        "party": "smb",
        "name": "Strategisch Meldkamer Beraad",
        "party_kind": "board",
        "decided_by": ["minister-jenv"],
        "effective_on": "2020-07-01",
        "source": "Wijzigingswet meldkamers",
        "rationale": "Stelt kaders; stuurt het beheer van ICT",
    },
    "party.dissolved": {
        "kind": "party.dissolved",
        "party": "landelijk-meldkamer-beraad",
        "decided_by": ["minister-jenv"],
        "effective_on": "2020-07-01",
        "source": "Wijzigingswet meldkamers",
    },
    "subject.registered": {
        "kind": "subject.registered",
        "subject": "c2000",
        "name": "C2000 missiekritisch communicatiesysteem",
        "subject_kind": "system",
        "decided_by": ["smb"],
        "effective_on": "2020-07-01",
        "source": "Wijzigingswet meldkamers",
    },
    "responsibility.assigned": {
        "kind": "responsibility.assigned",
        "party": "korpschef",
        "subject": "informatiebeveiliging-meldkamers",
        "role": "responsible",
        "decided_by": ["minister-jenv"],
        "effective_on": "2020-07-01",
        **_ENVELOPE,
        "rationale": "De korpschef is verantwoordelijk vanuit zijn verantwoordelijkheid voor het "
        "beheer",
    },
    "responsibility.relieved": {
        "kind": "responsibility.relieved",
        "party": "lms",
        "subject": "c2000",
        "role": "consulted",
        "decided_by": ["smb"],
        "effective_on": _LETTER,
        **_ENVELOPE,
    },
    "responsibility.transferred": {
        "kind": "responsibility.transferred",
        "from_party": "programma-vernieuwing-c2000",
        "to_party": "lms",
        "subject": "c2000",
        "role": "responsible",
        "decided_by": ["smb"],
        "effective_on": "2022-07-01",
        "source": "Besluitenlijst SMB",
    },
    "framework.adopted": {
        "kind": "framework.adopted",
        "framework": "bio",
        "name": "Baseline Informatiebeveiliging Overheid",
        "scope": ["meldkamersystemen"],
        "level": "BBN2+",
        "decided_by": ["smb"],
        "effective_on": "2022-01-20",
        **_ENVELOPE,
        "rationale": "De disciplines hebben de BIO gezamenlijk als kader vastgesteld",
    },
    "risk.identified": {
        "kind": "risk.identified",
        "risk": "c2000-keten-onbeveiligd",
        "system": "c2000",
        "title": "Randapparatuur en centralisten buiten de beveiligde keten",
        "decided_by": ["smb"],
        "effective_on": _LETTER,
        **_ENVELOPE,
    },
    "risk.assessed": {
        "kind": "risk.assessed",
        "risk": "c2000-keten-onbeveiligd",
        "level": "high",
        "criteria": "acceptatiecriteria-2022",
        "summary": "Beoordeeld tegen de criteria",
        "decided_by": ["lms"],
        "effective_on": "2022-03-31",
        "source": "Risicoanalyse LMS",
    },
    "risk.treatment_decided": {
        "kind": "risk.treatment_decided",
        "risk": "c2000-keten-onbeveiligd",
        "measure": "Verkenning naar een programma voor de beveiliging van de gehele C2000-keten",
        "status": "planned",
        "decided_by": ["smb"],
        "effective_on": _LETTER,
        **_ENVELOPE,
    },
    "risk.acceptance_criteria_established": {
        "kind": "risk.acceptance_criteria_established",
        "criteria": "acceptatiecriteria-2022",
        "description": "Criteria voor het accepteren van rest-risico's (bevinding 5)",
        "scope": ["c2000"],
        "max_acceptable_level": "medium",
        "decided_by": ["smb"],
        "effective_on": "2022-06-01",
        "source": "Besluitenlijst SMB",
    },
    "risk.residual_accepted": {
        "kind": "risk.residual_accepted",
        "risk": "c2000-keten-onbeveiligd",
        "criteria": "acceptatiecriteria-2022",
        "accepted_level": "medium",
        "review_by": "2023-06-01",
        "decided_by": ["smb"],
        "effective_on": "2022-06-01",
        "source": "Besluitenlijst SMB",
    },
    "risk.acceptance_withdrawn": {
        "kind": "risk.acceptance_withdrawn",
        "risk": "c2000-keten-onbeveiligd",
        "decided_by": ["smb"],
        "effective_on": "2022-12-01",
        "source": "Besluitenlijst SMB",
    },
    "finding.recorded": {
        "kind": "finding.recorded",
        "finding": "ijenv-2021-b1",
        "number": 1,
        "text": "Er wordt niet gestuurd op basis van risicomanagement",
        "subjects_concerned": ["meldkamersystemen"],
        "decided_by": ["inspectie-jenv"],
        "effective_on": "2021-12-16",
        "source": "Informatiebeveiliging van meldkamersystemen",
    },
    "recommendation.issued": {
        "kind": "recommendation.issued",
        "recommendation": "ijenv-2021-a1",
        "text": "Borg het commitment voor informatiebeveiliging en geef prioriteit aan het "
        "versneld ontwikkelen en toepassen van risicomanagementsystematiek",
        "findings": ["ijenv-2021-b1", "ijenv-2021-b5"],
        "decided_by": ["inspectie-jenv"],
        "effective_on": "2021-12-16",
        "source": "Informatiebeveiliging van meldkamersystemen",
    },
    "recommendation.responded": {
        "kind": "recommendation.responded",
        "recommendation": "ijenv-2021-a1",
        "response": "endorsed",
        "decided_by": ["minister-jenv"],
        "effective_on": _LETTER,
        **_ENVELOPE,
        "rationale": "Ik onderschrijf de conclusies van de Inspectie",
    },
    "recommendation.owner_assigned": {
        "kind": "recommendation.owner_assigned",
        "recommendation": "ijenv-2021-a1",
        "owner": "smb",
        "decided_by": ["minister-jenv"],
        "effective_on": _LETTER,
        **_ENVELOPE,
    },
    "recommendation.progress_reported": {
        "kind": "recommendation.progress_reported",
        "recommendation": "ijenv-2021-a1",
        "progress": "Kaders voor informatiebeveiliging en basisbeveiligingsniveau BBN2+ "
        "vastgesteld",
        "decided_by": ["minister-jenv"],
        "effective_on": _LETTER,
        **_ENVELOPE,
    },
    "recommendation.closed": {
        "kind": "recommendation.closed",
        "recommendation": "ijenv-2021-a1",
        "resolution": "Risico's per meldkamersysteem systematisch geïnventariseerd",
        "decided_by": ["minister-jenv"],
        "effective_on": "2023-02-01",
        "source": "Voortgangsbrief meldkamers",
    },
    "evaluation.commissioned": {
        "kind": "evaluation.commissioned",
        "evaluation": "wodc-governance-meldkamers",
        "title": "Evaluatie governance beheer meldkamers",
        "evaluator": "wodc",
        "expected_by": "2022-07-01",
        "decided_by": ["minister-jenv"],
        "effective_on": "2021-07-01",
        "source": "Wijzigingswet meldkamers",
    },
    "evaluation.reported": {
        "kind": "evaluation.reported",
        "evaluation": "wodc-governance-meldkamers",
        "summary": "Lacunes in de borging van verantwoordelijkheden",
        "decided_by": ["wodc"],
        "effective_on": "2022-07-01",
        "source": "WODC-rapport",
    },
    "commitment.made": {
        "kind": "commitment.made",
        "commitment": "verkenning-c2000-keten-q1",
        "promise": "Ik verwacht dat deze verkenning het eerste kwartaal van 2022 is afgerond",
        "due_on": "2022-03-31",
        "decided_by": ["minister-jenv"],
        "effective_on": _LETTER,
        **_ENVELOPE,
    },
    "commitment.kept": {
        "kind": "commitment.kept",
        "commitment": "verkenning-c2000-keten-q1",
        "how": "Verkenning afgerond en besproken in het SMB",
        "decided_by": ["minister-jenv"],
        "effective_on": "2022-03-30",
        "source": "Voortgangsbrief meldkamers",
    },
    "consent.given": {
        "kind": "consent.given",
        "decision": "0b0e6f9c-6a43-4c52-9a52-3f1b8c1d2e3f",
        "decided_by": ["minister-mz"],
        "effective_on": _LETTER,
        **_ENVELOPE,
    },
    "decision.corrected": {
        "kind": "decision.corrected",
        "corrects": "0b0e6f9c-6a43-4c52-9a52-3f1b8c1d2e3f",
        "replacement": {
            "kind": "commitment.made",
            "commitment": "verkenning-c2000-keten-q1",
            "promise": "Ik verwacht dat deze verkenning het eerste kwartaal van 2022 is afgerond",
            "due_on": "2022-03-31",
            "decided_by": ["minister-jenv"],
            "effective_on": _LETTER,
            **_ENVELOPE,
        },
        "decided_by": ["minister-jenv"],
        "effective_on": _LETTER,
        **_ENVELOPE,
        "rationale": "Vervaldatum verkeerd overgenomen",
    },
    "decision.retracted": {
        "kind": "decision.retracted",
        "retracts": "0b0e6f9c-6a43-4c52-9a52-3f1b8c1d2e3f",
        "reason": "Dubbel ingevoerd",
        "decided_by": ["smb"],
        "effective_on": _LETTER,
        **_ENVELOPE,
    },
}
"""One realistic decision of every kind (OpenAPI examples)."""


class DecisionOut(BaseModel):
    """A recorded decision: what the secretariat sent plus what the ledger added."""

    model_config = ConfigDict(frozen=True)

    id: UUID
    position: int = Field(ge=1, description="Commit order in the ledger, starting at 1.")
    recorded_at: datetime = Field(description="When the ledger recorded it (UTC).")
    recorded_by: str = Field(description="The name of the token that recorded it.")
    kind: str
    decision: AnyDecision


class BatchIn(BaseModel):
    """Many decisions, recorded atomically in this order: all or none."""

    decisions: list[AnyDecision] = Field(min_length=1, max_length=MAX_BATCH)


class BatchOut(BaseModel):
    decisions: list[DecisionOut]


class DecisionDetail(BaseModel):
    """One decision with everything recorded about it since."""

    decision: DecisionOut
    current: AnyDecision | None = Field(
        description="Its content now (after corrections); null if retracted or a correction."
    )
    corrections: list[DecisionOut]
    retraction: DecisionOut | None
    consents: list[DecisionOut]
    version: int = Field(description="The position of the last decision about this one (ETag).")


class DecisionPage(BaseModel):
    """One page of decisions in ledger order; pass `next_after` as `after` for the next."""

    items: list[DecisionOut]
    next_after: int | None = Field(description="Cursor of the next page; null on the last.")
    head: int = Field(description="The ledger's last position when the page was read.")


class StateView(BaseModel):
    """The governance on `as_of`, as the ledger knew it at `known_at`."""

    model_config = ConfigDict(extra="allow")

    as_of: str
    known_at: str
    ledger_head: int


class ItemsView(BaseModel):
    """One part of the governance on `as_of`, as known at `known_at`."""

    as_of: str
    known_at: str
    ledger_head: int
    items: list[dict[str, Any]]


class ObjectVersion(BaseModel):
    """The version of one object (an entity group): the last position that touched it."""

    group: str
    key: str
    version: int
    decisions: list[UUID]


class Health(BaseModel):
    status: str
    backend: str
    store: bool
    projections: bool
    head: int | None = None


class TokenOut(BaseModel):
    name: str
    role: str
    issued_at: datetime
    issued_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    active: bool


class ProblemField(BaseModel):
    field: str = Field(description="Path of the bad field, e.g. `decisions[2].party`.")
    rule: str = Field(description="The rule it breaks, e.g. `missing`, `string_pattern_mismatch`.")
    message: str


class Problem(BaseModel):
    """An error (RFC 9457, `application/problem+json`)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemField] | None = None
    rule: str | None = None
    field: str | None = None
    value: Any = None
    explanation: str | None = None
    decision_index: int | None = None


def out(item: RecordedDecision) -> dict[str, Any]:
    """A recorded decision as JSON-ready data."""
    data = item.model_dump(mode="json")
    data["kind"] = item.kind
    return data
