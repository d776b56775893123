"""Every kind of decision the secretariat can record, as immutable value objects: the registry.

A decision is the content of one ledger event: the envelope every decision carries
(`decided_by`, `effective_on`, `source`, `rationale`, `requires_consent_of`) plus the fields
of its kind. The ledger adds `id`, `position`, `recorded_at` and `recorded_by` (see
`RecordedDecision`); a client never sets those.

A kind is declared once, here, as a class: its `kind` literal, its fields (a field typed
`PartyId` or `SubjectId` names a registered party or subject, and is checked as such), the
group of the state it changes (`group`, and the field naming the group's `key`), the name of
its stored event (`event`) and a realistic `example`. Everything else is derived from these
classes: the stored event classes (`domain.events`), the HTTP API's body schema and examples,
the objects a decision touches. Adding a kind: its class here (and in `SubstantiveDecision`),
its fold (`domain.governance`), its rules (`domain.invariants`), its labels
(`projections/words.toml`), and a test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from domain.vocabulary import (
    NEW_INPUT,
    Basis,
    Discipline,
    LedgerDate,
    Name,
    Names,
    PartyId,
    PartyKind,
    Response,
    RiskLevel,
    Role,
    Slug,
    SourceRef,
    SubjectId,
    SubjectKind,
    Text,
    TreatmentStatus,
)

EntityKey = tuple[str, str]
"""A group of the state a decision changes, e.g. ("party", "smb") or ("responsibilities",
"c2000"): the group's kind (see `domain.governance.GROUPS`) and its key."""

_SOURCE = "Kamerstuk 25124-109"
_LETTER = "2022-02-03"


def _kind_is_required(schema: dict[str, Any]) -> None:
    """A decision's `kind` has its class's literal as default (so the classes can be built
    without it), but a body must name it: the schema says so, as the server enforces."""
    kind = schema.get("properties", {}).get("kind")
    if kind is not None:
        kind.pop("default", None)
        schema["required"] = ["kind", *(f for f in schema.get("required", []) if f != "kind")]


class SourceDocument(BaseModel):
    """The document a decision rests on, so that anyone can find it and check it is the one:
    its official identifier (e.g. `kst-25124-109`, `stb-2020-140`), where it is published, and
    the SHA-256 of the file as published (`ledger sources check FILE` compares)."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra={"minProperties": 1})

    id: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$",
        max_length=80,
        description="The official identifier, lower case: `kst-25124-109`, `stb-2020-140`.",
    )
    url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s<>\"\x00-\x1f\x7f-\x9f]+$",
        max_length=500,
        description="Where the document is published.",
    )
    sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="The SHA-256 of the file as published (64 lower-case hex digits).",
    )

    @model_validator(mode="after")
    def _says_something(self) -> SourceDocument:
        if self.id is None and self.url is None and self.sha256 is None:
            raise ValueError("give at least one of id, url and sha256")
        return self


ADDED_TO_THE_ENVELOPE: dict[str, object] = {"basis": "stated", "document": None}
"""Envelope fields added after decisions were first stored, with the value a decision stored
before them reads as (a stored decision without the field means that)."""


class Decision(BaseModel):
    """The envelope every decision carries."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", use_enum_values=False, json_schema_extra=_kind_is_required
    )

    group: ClassVar[str | None] = None
    """The kind of group of the state this kind of decision changes (None: none)."""
    key: ClassVar[str] = ""
    """The field whose value is the key of that group (e.g. `subject`)."""
    event: ClassVar[str] = ""
    """The name of the stored event class (past tense), e.g. `PartyRegistered`."""
    example: ClassVar[dict[str, Any]] = {}
    """A realistic decision of this kind, drawn from the letter (the API's examples)."""

    kind: str
    decided_by: list[Slug] = Field(
        min_length=1,
        max_length=60,
        description="The registered party or parties that took the decision.",
        json_schema_extra={"uniqueItems": True},
    )
    effective_on: LedgerDate = Field(description="The date the decision takes effect.")
    source: SourceRef
    basis: Basis = Field(
        default=Basis.STATED,
        description="`stated`: the source says this; `inferred`: an assumption drawn from the "
        "source, which does not say it literally (answers built on it are marked as such).",
    )
    document: SourceDocument | None = Field(
        default=None,
        description="The source as a document one can find and check: its official "
        "identifier, its address, its SHA-256.",
    )
    rationale: Text | None = None
    requires_consent_of: list[Slug] = Field(
        default_factory=list,
        max_length=60,
        description="Parties whose agreement the decision needs before it is in force.",
        json_schema_extra={"uniqueItems": True},
    )

    @field_validator("decided_by", "requires_consent_of")
    @classmethod
    def _no_repeats(cls, parties: list[str]) -> list[str]:
        if len(set(parties)) != len(parties):
            raise ValueError("names a party more than once")
        return parties

    def parties(self) -> Iterator[tuple[str, str]]:
        """Yield (field, party id) for every registered party the decision's fields name."""
        return self._named("party")

    def subjects(self) -> Iterator[tuple[str, str]]:
        """Yield (field, subject id) for every registered subject the decision's fields name."""
        return self._named("subject")

    def _named(self, what: str) -> Iterator[tuple[str, str]]:
        for field, many in _naming_fields(type(self)).get(what, ()):
            value = getattr(self, field)
            if value is None:
                continue
            if many:
                for i, item in enumerate(value):
                    yield f"{field}[{i}]", item
            else:
                yield field, value

    def entity_keys(self) -> set[EntityKey]:
        """Name the groups of the state this decision can change."""
        if self.group is None:
            return set()
        return {(self.group, str(getattr(self, self.key)))}


@cache
def _naming_fields(cls: type[Decision]) -> dict[str, tuple[tuple[str, bool], ...]]:
    """'party' / 'subject' -> the fields of `cls` typed `PartyId` / `SubjectId` (and whether
    each holds a list of them), from the `Names` marks in the field types."""
    found: dict[str, list[tuple[str, bool]]] = {}
    for name, info in cls.model_fields.items():
        marks = [m for m in info.metadata if isinstance(m, Names)]
        many = False
        if not marks:
            for arg in get_args(info.annotation):  # list[SubjectId] (or SubjectId | None)
                if get_origin(arg) is Annotated:
                    marks = [m for m in arg.__metadata__ if isinstance(m, Names)]
                    many = get_origin(info.annotation) is list
        for mark in marks:
            found.setdefault(mark.what, []).append((name, many))
    return {what: tuple(fields) for what, fields in found.items()}


# --- parties and subjects -----------------------------------------------------------------


class PartyRegistration(Decision):
    group, key, event = "party", "party", "PartyRegistered"
    example = {
        "kind": "party.registered",
        "party": "smb",
        "name": "Strategisch Meldkamer Beraad",
        "party_kind": "board",
        "decided_by": ["minister-jenv"],
        "effective_on": "2020-07-01",
        "source": "Wijzigingswet meldkamers",
        "rationale": "Stelt kaders; stuurt het beheer van ICT",
    }

    kind: Literal["party.registered"] = "party.registered"
    party: Slug = Field(description="The new party's id.")
    name: Name
    party_kind: PartyKind
    discipline: Discipline | None = None

    @model_validator(mode="after")
    def _discipline_matches_kind(self) -> PartyRegistration:
        if self.party_kind is PartyKind.DISCIPLINE and self.discipline is None:
            raise ValueError("discipline is required when party_kind is 'discipline'")
        return self


class PartyDissolution(Decision):
    group, key, event = "party", "party", "PartyDissolved"
    example = {
        "kind": "party.dissolved",
        "party": "landelijk-meldkamer-beraad",
        "decided_by": ["minister-jenv"],
        "effective_on": "2020-07-01",
        "source": "Wijzigingswet meldkamers",
    }

    kind: Literal["party.dissolved"] = "party.dissolved"
    party: PartyId


class SubjectRegistration(Decision):
    group, key, event = "subject", "subject", "SubjectRegistered"
    example = {
        "kind": "subject.registered",
        "subject": "c2000",
        "name": "C2000 missiekritisch communicatiesysteem",
        "subject_kind": "system",
        "decided_by": ["smb"],
        "effective_on": "2020-07-01",
        "source": "Wijzigingswet meldkamers",
    }

    kind: Literal["subject.registered"] = "subject.registered"
    subject: Slug = Field(description="The new subject's id.")
    name: Name
    subject_kind: SubjectKind
    parent: SubjectId | None = None

    @model_validator(mode="after")
    def _not_its_own_parent(self) -> SubjectRegistration:
        if self.parent == self.subject:
            raise ValueError("a subject cannot be its own parent")
        return self


# --- responsibilities ---------------------------------------------------------------------


class ResponsibilityAssignment(Decision):
    group, key, event = "responsibilities", "subject", "ResponsibilityAssigned"
    example = {
        "kind": "responsibility.assigned",
        "party": "korpschef",
        "subject": "informatiebeveiliging-meldkamers",
        "role": "responsible",
        "decided_by": ["minister-jenv"],
        "effective_on": "2020-07-01",
        "source": _SOURCE,
        "rationale": "De korpschef is verantwoordelijk vanuit zijn verantwoordelijkheid voor het "
        "beheer",
    }

    kind: Literal["responsibility.assigned"] = "responsibility.assigned"
    party: PartyId
    subject: SubjectId
    role: Role


class ResponsibilityRelief(Decision):
    group, key, event = "responsibilities", "subject", "ResponsibilityRelieved"
    example = {
        "kind": "responsibility.relieved",
        "party": "lms",
        "subject": "c2000",
        "role": "consulted",
        "decided_by": ["smb"],
        "effective_on": _LETTER,
        "source": _SOURCE,
    }

    kind: Literal["responsibility.relieved"] = "responsibility.relieved"
    party: PartyId
    subject: SubjectId
    role: Role


class ResponsibilityTransfer(Decision):
    group, key, event = "responsibilities", "subject", "ResponsibilityTransferred"
    example = {
        "kind": "responsibility.transferred",
        "from_party": "programma-vernieuwing-c2000",
        "to_party": "lms",
        "subject": "c2000",
        "role": "responsible",
        "decided_by": ["smb"],
        "effective_on": "2022-07-01",
        "source": "Besluitenlijst SMB",
    }

    kind: Literal["responsibility.transferred"] = "responsibility.transferred"
    from_party: PartyId
    to_party: PartyId
    subject: SubjectId
    role: Role

    @model_validator(mode="after")
    def _two_parties(self) -> ResponsibilityTransfer:
        if self.from_party == self.to_party:
            raise ValueError("from_party and to_party must differ")
        return self


# --- frameworks ---------------------------------------------------------------------------


class FrameworkAdoption(Decision):
    group, key, event = "framework", "framework", "FrameworkAdopted"
    example = {
        "kind": "framework.adopted",
        "framework": "bio",
        "name": "Baseline Informatiebeveiliging Overheid",
        "scope": ["meldkamersystemen"],
        "level": "BBN2+",
        "decided_by": ["smb"],
        "effective_on": "2022-01-20",
        "source": _SOURCE,
        "rationale": "De disciplines hebben de BIO gezamenlijk als kader vastgesteld",
    }

    kind: Literal["framework.adopted"] = "framework.adopted"
    framework: Slug
    name: Name
    scope: list[SubjectId] = Field(min_length=1, max_length=200, description="Subjects it covers.")
    level: Name | None = Field(default=None, examples=["BBN2+"])


# --- risk management ----------------------------------------------------------------------


class RiskIdentification(Decision):
    group, key, event = "risk", "risk", "RiskIdentified"
    example = {
        "kind": "risk.identified",
        "risk": "c2000-keten-onbeveiligd",
        "system": "c2000",
        "title": "Randapparatuur en centralisten buiten de beveiligde keten",
        "decided_by": ["smb"],
        "effective_on": _LETTER,
        "source": _SOURCE,
    }

    kind: Literal["risk.identified"] = "risk.identified"
    risk: Slug
    system: SubjectId = Field(description="The subject (usually a system) the risk threatens.")
    title: Name
    description: Text | None = None


class RiskAssessment(Decision):
    group, key, event = "risk", "risk", "RiskAssessed"
    example = {
        "kind": "risk.assessed",
        "risk": "c2000-keten-onbeveiligd",
        "level": "high",
        "criteria": "acceptatiecriteria-2022",
        "summary": "Beoordeeld tegen de criteria",
        "decided_by": ["lms"],
        "effective_on": "2022-03-31",
        "source": "Risicoanalyse LMS",
    }

    kind: Literal["risk.assessed"] = "risk.assessed"
    risk: Slug
    level: RiskLevel
    criteria: Slug | None = Field(default=None, description="Acceptance criteria used.")
    summary: Text | None = None


class RiskTreatment(Decision):
    group, key, event = "risk", "risk", "RiskTreatmentDecided"
    example = {
        "kind": "risk.treatment_decided",
        "risk": "c2000-keten-onbeveiligd",
        "measure": "Verkenning naar een programma voor de beveiliging van de gehele C2000-keten",
        "status": "planned",
        "decided_by": ["smb"],
        "effective_on": _LETTER,
        "source": _SOURCE,
    }

    kind: Literal["risk.treatment_decided"] = "risk.treatment_decided"
    risk: Slug
    measure: Text
    status: TreatmentStatus


class AcceptanceCriteriaEstablishment(Decision):
    group, key, event = "criteria", "criteria", "RiskAcceptanceCriteriaEstablished"
    example = {
        "kind": "risk.acceptance_criteria_established",
        "criteria": "acceptatiecriteria-2022",
        "description": "Criteria voor het accepteren van rest-risico's (bevinding 5)",
        "scope": ["c2000"],
        "max_acceptable_level": "medium",
        "decided_by": ["smb"],
        "effective_on": "2022-06-01",
        "source": "Besluitenlijst SMB",
    }

    kind: Literal["risk.acceptance_criteria_established"] = "risk.acceptance_criteria_established"
    criteria: Slug
    description: Text
    scope: list[SubjectId] = Field(min_length=1, max_length=200, description="Subjects covered.")
    max_acceptable_level: RiskLevel


class ResidualRiskAcceptance(Decision):
    group, key, event = "risk", "risk", "ResidualRiskAccepted"
    example = {
        "kind": "risk.residual_accepted",
        "risk": "c2000-keten-onbeveiligd",
        "criteria": "acceptatiecriteria-2022",
        "accepted_level": "medium",
        "review_by": "2023-06-01",
        "decided_by": ["smb"],
        "effective_on": "2022-06-01",
        "source": "Besluitenlijst SMB",
    }

    kind: Literal["risk.residual_accepted"] = "risk.residual_accepted"
    risk: Slug
    criteria: Slug | None = Field(
        default=None, description="The acceptance criteria it was judged by (none is a gap)."
    )
    accepted_level: RiskLevel
    review_by: LedgerDate

    @model_validator(mode="after")
    def _review_after_acceptance(self) -> ResidualRiskAcceptance:
        if self.review_by <= self.effective_on:
            raise ValueError("review_by must come after effective_on")
        return self


class AcceptanceWithdrawal(Decision):
    group, key, event = "risk", "risk", "RiskAcceptanceWithdrawn"
    example = {
        "kind": "risk.acceptance_withdrawn",
        "risk": "c2000-keten-onbeveiligd",
        "decided_by": ["smb"],
        "effective_on": "2022-12-01",
        "source": "Besluitenlijst SMB",
    }

    kind: Literal["risk.acceptance_withdrawn"] = "risk.acceptance_withdrawn"
    risk: Slug


# --- oversight and evaluation -------------------------------------------------------------


class FindingRecord(Decision):
    group, key, event = "finding", "finding", "FindingRecorded"
    example = {
        "kind": "finding.recorded",
        "finding": "ijenv-2021-b1",
        "number": 1,
        "text": "Er wordt niet gestuurd op basis van risicomanagement",
        "subjects_concerned": ["meldkamersystemen"],
        "decided_by": ["inspectie-jenv"],
        "effective_on": "2021-12-16",
        "source": "Informatiebeveiliging van meldkamersystemen",
    }

    kind: Literal["finding.recorded"] = "finding.recorded"
    finding: Slug
    text: Text
    number: int | None = Field(default=None, ge=1, le=999, description="Number in the report.")
    subjects_concerned: list[SubjectId] = Field(default_factory=list, max_length=200)


class RecommendationIssue(Decision):
    group, key, event = "recommendation", "recommendation", "RecommendationIssued"
    example = {
        "kind": "recommendation.issued",
        "recommendation": "ijenv-2021-a1",
        "text": "Borg het commitment voor informatiebeveiliging en geef prioriteit aan het "
        "versneld ontwikkelen en toepassen van risicomanagementsystematiek",
        "findings": ["ijenv-2021-b1", "ijenv-2021-b5"],
        "decided_by": ["inspectie-jenv"],
        "effective_on": "2021-12-16",
        "source": "Informatiebeveiliging van meldkamersystemen",
    }

    kind: Literal["recommendation.issued"] = "recommendation.issued"
    recommendation: Slug
    text: Text
    findings: list[Slug] = Field(default_factory=list, max_length=100)
    evaluation: Slug | None = Field(default=None, description="The evaluation it comes from.")
    due_on: LedgerDate | None = None


class RecommendationResponse(Decision):
    group, key, event = "recommendation", "recommendation", "RecommendationResponded"
    example = {
        "kind": "recommendation.responded",
        "recommendation": "ijenv-2021-a1",
        "response": "endorsed",
        "decided_by": ["minister-jenv"],
        "effective_on": _LETTER,
        "source": _SOURCE,
        "rationale": "Ik onderschrijf de conclusies van de Inspectie",
    }

    kind: Literal["recommendation.responded"] = "recommendation.responded"
    recommendation: Slug
    response: Response


class RecommendationOwnerAssignment(Decision):
    group, key, event = "recommendation", "recommendation", "RecommendationOwnerAssigned"
    example = {
        "kind": "recommendation.owner_assigned",
        "recommendation": "ijenv-2021-a1",
        "owner": "smb",
        "decided_by": ["minister-jenv"],
        "effective_on": _LETTER,
        "source": _SOURCE,
    }

    kind: Literal["recommendation.owner_assigned"] = "recommendation.owner_assigned"
    recommendation: Slug
    owner: PartyId


class RecommendationProgress(Decision):
    group, key, event = "recommendation", "recommendation", "RecommendationProgressReported"
    example = {
        "kind": "recommendation.progress_reported",
        "recommendation": "ijenv-2021-a1",
        "progress": "Kaders voor informatiebeveiliging en basisbeveiligingsniveau BBN2+ "
        "vastgesteld",
        "decided_by": ["minister-jenv"],
        "effective_on": _LETTER,
        "source": _SOURCE,
    }

    kind: Literal["recommendation.progress_reported"] = "recommendation.progress_reported"
    recommendation: Slug
    progress: Text


class RecommendationClosure(Decision):
    group, key, event = "recommendation", "recommendation", "RecommendationClosed"
    example = {
        "kind": "recommendation.closed",
        "recommendation": "ijenv-2021-a1",
        "resolution": "Risico's per meldkamersysteem systematisch geïnventariseerd",
        "decided_by": ["minister-jenv"],
        "effective_on": "2023-02-01",
        "source": "Voortgangsbrief meldkamers",
    }

    kind: Literal["recommendation.closed"] = "recommendation.closed"
    recommendation: Slug
    resolution: Text | None = None


class EvaluationCommission(Decision):
    group, key, event = "evaluation", "evaluation", "EvaluationCommissioned"
    example = {
        "kind": "evaluation.commissioned",
        "evaluation": "wodc-governance-meldkamers",
        "title": "Evaluatie governance beheer meldkamers",
        "evaluator": "wodc",
        "expected_by": "2022-07-01",
        "decided_by": ["minister-jenv"],
        "effective_on": "2021-07-01",
        "source": "Wijzigingswet meldkamers",
    }

    kind: Literal["evaluation.commissioned"] = "evaluation.commissioned"
    evaluation: Slug
    title: Name
    evaluator: PartyId
    expected_by: LedgerDate | None = None


class EvaluationReport(Decision):
    group, key, event = "evaluation", "evaluation", "EvaluationReported"
    example = {
        "kind": "evaluation.reported",
        "evaluation": "wodc-governance-meldkamers",
        "summary": "Lacunes in de borging van verantwoordelijkheden",
        "decided_by": ["wodc"],
        "effective_on": "2022-07-01",
        "source": "WODC-rapport",
    }

    kind: Literal["evaluation.reported"] = "evaluation.reported"
    evaluation: Slug
    summary: Text


# --- commitments to parliament ------------------------------------------------------------


class Commitment(Decision):
    group, key, event = "commitment", "commitment", "CommitmentMade"
    example = {
        "kind": "commitment.made",
        "commitment": "verkenning-c2000-keten-q1",
        "promise": "Ik verwacht dat deze verkenning het eerste kwartaal van 2022 is afgerond",
        "due_on": "2022-03-31",
        "decided_by": ["minister-jenv"],
        "effective_on": _LETTER,
        "source": _SOURCE,
    }

    kind: Literal["commitment.made"] = "commitment.made"
    commitment: Slug
    promise: Text
    due_on: LedgerDate


class CommitmentFulfilment(Decision):
    group, key, event = "commitment", "commitment", "CommitmentKept"
    example = {
        "kind": "commitment.kept",
        "commitment": "verkenning-c2000-keten-q1",
        "how": "Verkenning afgerond en besproken in het SMB",
        "decided_by": ["minister-jenv"],
        "effective_on": "2022-03-30",
        "source": "Voortgangsbrief meldkamers",
    }

    kind: Literal["commitment.kept"] = "commitment.kept"
    commitment: Slug
    how: Text | None = None


# --- consent and corrections --------------------------------------------------------------


class Consent(Decision):
    group, key, event = "consent", "decision", "ConsentGiven"
    example = {
        "kind": "consent.given",
        "decision": "0b0e6f9c-6a43-4c52-9a52-3f1b8c1d2e3f",
        "decided_by": ["minister-mz"],
        "effective_on": _LETTER,
        "source": _SOURCE,
    }

    kind: Literal["consent.given"] = "consent.given"
    decision: UUID = Field(description="The decision the deciding parties agree to.")


SubstantiveDecision = Annotated[
    Union[  # noqa: UP007 - a discriminated union reads better spelled out
        PartyRegistration,
        PartyDissolution,
        SubjectRegistration,
        ResponsibilityAssignment,
        ResponsibilityRelief,
        ResponsibilityTransfer,
        FrameworkAdoption,
        RiskIdentification,
        RiskAssessment,
        RiskTreatment,
        AcceptanceCriteriaEstablishment,
        ResidualRiskAcceptance,
        AcceptanceWithdrawal,
        FindingRecord,
        RecommendationIssue,
        RecommendationResponse,
        RecommendationOwnerAssignment,
        RecommendationProgress,
        RecommendationClosure,
        EvaluationCommission,
        EvaluationReport,
        Commitment,
        CommitmentFulfilment,
        Consent,
    ],
    Field(discriminator="kind"),
]
"""Every decision about the world (everything but corrections and retractions)."""


class DecisionCorrection(Decision):
    event = "DecisionCorrected"
    example = {
        "kind": "decision.corrected",
        "corrects": "0b0e6f9c-6a43-4c52-9a52-3f1b8c1d2e3f",
        "replacement": Commitment.example,
        "decided_by": ["minister-jenv"],
        "effective_on": _LETTER,
        "source": _SOURCE,
        "rationale": "Vervaldatum verkeerd overgenomen",
    }

    kind: Literal["decision.corrected"] = "decision.corrected"
    corrects: UUID = Field(description="The decision this one corrects.")
    replacement: SubstantiveDecision = Field(
        description="The full corrected content; it must be of the same kind."
    )

    def entity_keys(self) -> set[EntityKey]:
        return self.replacement.entity_keys()


class DecisionRetraction(Decision):
    event = "DecisionRetracted"
    example = {
        "kind": "decision.retracted",
        "retracts": "0b0e6f9c-6a43-4c52-9a52-3f1b8c1d2e3f",
        "reason": "Dubbel ingevoerd",
        "decided_by": ["smb"],
        "effective_on": _LETTER,
        "source": _SOURCE,
    }

    kind: Literal["decision.retracted"] = "decision.retracted"
    retracts: UUID = Field(description="The decision this one retracts.")
    reason: Text


AnyDecision = Annotated[
    Union[SubstantiveDecision, DecisionCorrection, DecisionRetraction],  # noqa: UP007
    Field(discriminator="kind"),
]

DECISION_ADAPTER: TypeAdapter[AnyDecision] = TypeAdapter(AnyDecision)

DECISION_CLASSES: dict[str, type[Decision]] = {
    cls.model_fields["kind"].default: cls
    for cls in (*get_args(get_args(SubstantiveDecision)[0]), DecisionCorrection, DecisionRetraction)
}
"""Kind name -> decision class, e.g. "party.registered" -> PartyRegistration: the registry."""


def target_of(decision: Decision) -> UUID | None:
    """The decision a correction, retraction or consent names (None for any other)."""
    if isinstance(decision, DecisionCorrection):
        return decision.corrects
    if isinstance(decision, DecisionRetraction):
        return decision.retracts
    if isinstance(decision, Consent):
        return decision.decision
    return None


def parse_decision(data: Any, *, new: bool = True) -> Decision:
    """Validate raw data (a dict from JSON) into a decision; raise pydantic's ValidationError.

    `new`: the decision enters the ledger now, so the checks for new input run too (see
    `vocabulary.NEW_INPUT`); False for a decision the ledger already held (a restore)."""
    context = {NEW_INPUT: True} if new else None
    decision: Decision = DECISION_ADAPTER.validate_python(data, context=context)
    return decision


class RecordedDecision(BaseModel):
    """A decision as the ledger holds it: the content plus what the ledger added."""

    model_config = ConfigDict(frozen=True)

    id: UUID
    position: int = Field(ge=1, description="Commit order in the ledger, starting at 1.")
    recorded_at: datetime = Field(description="UTC, the ledger's clock.")
    recorded_by: str
    decision: AnyDecision

    @property
    def kind(self) -> str:
        return self.decision.kind

    @property
    def effective_on(self) -> date:
        return self.decision.effective_on


def decode_decision(data: Any, where: str = "", *, new: bool = True) -> Decision:
    """Validate raw data into a decision; raise InvalidDecision naming each bad field (`new`: as
    in `parse_decision`)."""
    from pydantic import ValidationError

    from domain.errors import FieldProblem, InvalidDecision

    try:
        return parse_decision(data, new=new)
    except ValidationError as error:
        raise InvalidDecision(
            [
                FieldProblem(
                    field=where + _field_path(problem["loc"], problem["type"]),
                    rule=problem["type"],
                    message=_CLEAR_MESSAGES.get(problem["type"], problem["msg"]),
                    value=_given(problem),
                )
                for problem in error.errors(include_url=False)
            ]
        ) from None


_CLEAR_MESSAGES = {
    "string_pattern_mismatch": "must be a short id: lower-case letters, digits and inner "
    "hyphens, at most 64 characters (e.g. 'smb', 'c2000')",
    "union_tag_invalid": "is not a known decision kind; known kinds: "
    + ", ".join(sorted(DECISION_CLASSES)),
    "union_tag_not_found": "is required: the kind of decision, e.g. 'responsibility.assigned'",
    "extra_forbidden": "is not a field of this kind of decision",
    "missing": "is required",
}


def _given(problem: Any) -> Any:
    if problem["type"] in ("missing", "union_tag_not_found"):
        return None
    if problem["type"] == "union_tag_invalid":
        return problem.get("ctx", {}).get("tag")
    return problem.get("input")


def _field_path(loc: tuple[int | str, ...], error_type: str = "") -> str:
    if error_type in ("union_tag_invalid", "union_tag_not_found"):
        loc = (*loc, "kind")
    # pydantic puts the union tag ("party.registered") in the location; a clerk does not need it
    parts = [p for p in loc if not (isinstance(p, str) and p in DECISION_CLASSES)]
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(decision)"
