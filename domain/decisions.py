"""Every kind of decision the secretariat can record, as immutable value objects.

A decision is the content of one ledger event: the envelope every decision carries
(`decided_by`, `effective_on`, `source`, `rationale`, `requires_consent_of`) plus the fields
of its kind. The ledger adds `id`, `position`, `recorded_at` and `recorded_by` (see
`RecordedDecision`); a client never sets those.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union, get_args
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from domain.vocabulary import (
    Discipline,
    LedgerDate,
    Name,
    PartyKind,
    Response,
    RiskLevel,
    Role,
    Slug,
    SourceRef,
    SubjectKind,
    Text,
    TreatmentStatus,
)

EntityKey = tuple[str, str]
"""What a decision is about, e.g. ("party", "smb") or ("responsibilities", "c2000")."""


class Decision(BaseModel):
    """The envelope every decision carries."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)

    kind: str
    decided_by: list[Slug] = Field(
        min_length=1,
        max_length=60,
        description="The registered party or parties that took the decision.",
    )
    effective_on: LedgerDate = Field(description="The date the decision takes effect.")
    source: SourceRef
    rationale: Text | None = None
    requires_consent_of: list[Slug] = Field(
        default_factory=list,
        max_length=60,
        description="Parties whose agreement the decision needs before it is in force.",
    )

    @field_validator("decided_by", "requires_consent_of")
    @classmethod
    def _no_repeats(cls, parties: list[str]) -> list[str]:
        if len(set(parties)) != len(parties):
            raise ValueError("names a party more than once")
        return parties

    def parties(self) -> Iterator[tuple[str, str]]:
        """Yield (field, party id) for every party the decision's own fields name."""
        return iter(())

    def subjects(self) -> Iterator[tuple[str, str]]:
        """Yield (field, subject id) for every subject the decision's own fields name."""
        return iter(())

    def entity_keys(self) -> set[EntityKey]:
        """Name the things whose state this decision can change."""
        return set()


# --- parties and subjects -----------------------------------------------------------------


class PartyRegistration(Decision):
    kind: Literal["party.registered"] = "party.registered"
    party: Slug
    name: Name
    party_kind: PartyKind
    discipline: Discipline | None = None

    @model_validator(mode="after")
    def _discipline_matches_kind(self) -> PartyRegistration:
        if self.party_kind is PartyKind.DISCIPLINE and self.discipline is None:
            raise ValueError("discipline is required when party_kind is 'discipline'")
        return self

    def parties(self) -> Iterator[tuple[str, str]]:
        yield "party", self.party

    def entity_keys(self) -> set[EntityKey]:
        return {("party", self.party)}


class PartyDissolution(Decision):
    kind: Literal["party.dissolved"] = "party.dissolved"
    party: Slug

    def parties(self) -> Iterator[tuple[str, str]]:
        yield "party", self.party

    def entity_keys(self) -> set[EntityKey]:
        return {("party", self.party)}


class SubjectRegistration(Decision):
    kind: Literal["subject.registered"] = "subject.registered"
    subject: Slug
    name: Name
    subject_kind: SubjectKind
    parent: Slug | None = None

    @model_validator(mode="after")
    def _not_its_own_parent(self) -> SubjectRegistration:
        if self.parent == self.subject:
            raise ValueError("a subject cannot be its own parent")
        return self

    def subjects(self) -> Iterator[tuple[str, str]]:
        if self.parent is not None:
            yield "parent", self.parent

    def entity_keys(self) -> set[EntityKey]:
        return {("subject", self.subject)}


# --- responsibilities ---------------------------------------------------------------------


class ResponsibilityAssignment(Decision):
    kind: Literal["responsibility.assigned"] = "responsibility.assigned"
    party: Slug
    subject: Slug
    role: Role

    def parties(self) -> Iterator[tuple[str, str]]:
        yield "party", self.party

    def subjects(self) -> Iterator[tuple[str, str]]:
        yield "subject", self.subject

    def entity_keys(self) -> set[EntityKey]:
        return {("responsibilities", self.subject)}


class ResponsibilityRelief(Decision):
    kind: Literal["responsibility.relieved"] = "responsibility.relieved"
    party: Slug
    subject: Slug
    role: Role

    def parties(self) -> Iterator[tuple[str, str]]:
        yield "party", self.party

    def subjects(self) -> Iterator[tuple[str, str]]:
        yield "subject", self.subject

    def entity_keys(self) -> set[EntityKey]:
        return {("responsibilities", self.subject)}


class ResponsibilityTransfer(Decision):
    kind: Literal["responsibility.transferred"] = "responsibility.transferred"
    from_party: Slug
    to_party: Slug
    subject: Slug
    role: Role

    @model_validator(mode="after")
    def _two_parties(self) -> ResponsibilityTransfer:
        if self.from_party == self.to_party:
            raise ValueError("from_party and to_party must differ")
        return self

    def parties(self) -> Iterator[tuple[str, str]]:
        yield "from_party", self.from_party
        yield "to_party", self.to_party

    def subjects(self) -> Iterator[tuple[str, str]]:
        yield "subject", self.subject

    def entity_keys(self) -> set[EntityKey]:
        return {("responsibilities", self.subject)}


# --- frameworks ---------------------------------------------------------------------------


class FrameworkAdoption(Decision):
    kind: Literal["framework.adopted"] = "framework.adopted"
    framework: Slug
    name: Name
    scope: list[Slug] = Field(min_length=1, max_length=200, description="Subjects it covers.")
    level: Name | None = Field(default=None, examples=["BBN2+"])

    def subjects(self) -> Iterator[tuple[str, str]]:
        for i, subject in enumerate(self.scope):
            yield f"scope[{i}]", subject

    def entity_keys(self) -> set[EntityKey]:
        return {("framework", self.framework)}


# --- risk management ----------------------------------------------------------------------


class RiskIdentification(Decision):
    kind: Literal["risk.identified"] = "risk.identified"
    risk: Slug
    system: Slug = Field(description="The subject (usually a system) the risk threatens.")
    title: Name
    description: Text | None = None

    def subjects(self) -> Iterator[tuple[str, str]]:
        yield "system", self.system

    def entity_keys(self) -> set[EntityKey]:
        return {("risk", self.risk)}


class RiskAssessment(Decision):
    kind: Literal["risk.assessed"] = "risk.assessed"
    risk: Slug
    level: RiskLevel
    criteria: Slug | None = Field(default=None, description="Acceptance criteria used.")
    summary: Text | None = None

    def entity_keys(self) -> set[EntityKey]:
        return {("risk", self.risk)}


class RiskTreatment(Decision):
    kind: Literal["risk.treatment_decided"] = "risk.treatment_decided"
    risk: Slug
    measure: Text
    status: TreatmentStatus

    def entity_keys(self) -> set[EntityKey]:
        return {("risk", self.risk)}


class AcceptanceCriteriaEstablishment(Decision):
    kind: Literal["risk.acceptance_criteria_established"] = "risk.acceptance_criteria_established"
    criteria: Slug
    description: Text
    scope: list[Slug] = Field(min_length=1, max_length=200, description="Subjects covered.")
    max_acceptable_level: RiskLevel

    def subjects(self) -> Iterator[tuple[str, str]]:
        for i, subject in enumerate(self.scope):
            yield f"scope[{i}]", subject

    def entity_keys(self) -> set[EntityKey]:
        return {("criteria", self.criteria)}


class ResidualRiskAcceptance(Decision):
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

    def entity_keys(self) -> set[EntityKey]:
        return {("risk", self.risk)}


class AcceptanceWithdrawal(Decision):
    kind: Literal["risk.acceptance_withdrawn"] = "risk.acceptance_withdrawn"
    risk: Slug

    def entity_keys(self) -> set[EntityKey]:
        return {("risk", self.risk)}


# --- oversight and evaluation -------------------------------------------------------------


class FindingRecord(Decision):
    kind: Literal["finding.recorded"] = "finding.recorded"
    finding: Slug
    text: Text
    number: int | None = Field(default=None, ge=1, le=999, description="Number in the report.")
    subjects_concerned: list[Slug] = Field(default_factory=list, max_length=200)

    def subjects(self) -> Iterator[tuple[str, str]]:
        for i, subject in enumerate(self.subjects_concerned):
            yield f"subjects_concerned[{i}]", subject

    def entity_keys(self) -> set[EntityKey]:
        return {("finding", self.finding)}


class RecommendationIssue(Decision):
    kind: Literal["recommendation.issued"] = "recommendation.issued"
    recommendation: Slug
    text: Text
    findings: list[Slug] = Field(default_factory=list, max_length=100)
    evaluation: Slug | None = Field(default=None, description="The evaluation it comes from.")
    due_on: LedgerDate | None = None

    def entity_keys(self) -> set[EntityKey]:
        return {("recommendation", self.recommendation)}


class RecommendationResponse(Decision):
    kind: Literal["recommendation.responded"] = "recommendation.responded"
    recommendation: Slug
    response: Response

    def entity_keys(self) -> set[EntityKey]:
        return {("recommendation", self.recommendation)}


class RecommendationOwnerAssignment(Decision):
    kind: Literal["recommendation.owner_assigned"] = "recommendation.owner_assigned"
    recommendation: Slug
    owner: Slug

    def parties(self) -> Iterator[tuple[str, str]]:
        yield "owner", self.owner

    def entity_keys(self) -> set[EntityKey]:
        return {("recommendation", self.recommendation)}


class RecommendationProgress(Decision):
    kind: Literal["recommendation.progress_reported"] = "recommendation.progress_reported"
    recommendation: Slug
    progress: Text

    def entity_keys(self) -> set[EntityKey]:
        return {("recommendation", self.recommendation)}


class RecommendationClosure(Decision):
    kind: Literal["recommendation.closed"] = "recommendation.closed"
    recommendation: Slug
    resolution: Text | None = None

    def entity_keys(self) -> set[EntityKey]:
        return {("recommendation", self.recommendation)}


class EvaluationCommission(Decision):
    kind: Literal["evaluation.commissioned"] = "evaluation.commissioned"
    evaluation: Slug
    title: Name
    evaluator: Slug
    expected_by: LedgerDate | None = None

    def parties(self) -> Iterator[tuple[str, str]]:
        yield "evaluator", self.evaluator

    def entity_keys(self) -> set[EntityKey]:
        return {("evaluation", self.evaluation)}


class EvaluationReport(Decision):
    kind: Literal["evaluation.reported"] = "evaluation.reported"
    evaluation: Slug
    summary: Text

    def entity_keys(self) -> set[EntityKey]:
        return {("evaluation", self.evaluation)}


# --- commitments to parliament ------------------------------------------------------------


class Commitment(Decision):
    kind: Literal["commitment.made"] = "commitment.made"
    commitment: Slug
    promise: Text
    due_on: LedgerDate

    def entity_keys(self) -> set[EntityKey]:
        return {("commitment", self.commitment)}


class CommitmentFulfilment(Decision):
    kind: Literal["commitment.kept"] = "commitment.kept"
    commitment: Slug
    how: Text | None = None

    def entity_keys(self) -> set[EntityKey]:
        return {("commitment", self.commitment)}


# --- consent and corrections --------------------------------------------------------------


class Consent(Decision):
    kind: Literal["consent.given"] = "consent.given"
    decision: UUID = Field(description="The decision the deciding parties agree to.")

    def entity_keys(self) -> set[EntityKey]:
        return {("consent", str(self.decision))}


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
    kind: Literal["decision.corrected"] = "decision.corrected"
    corrects: UUID = Field(description="The decision this one corrects.")
    replacement: SubstantiveDecision = Field(
        description="The full corrected content; it must be of the same kind."
    )

    def entity_keys(self) -> set[EntityKey]:
        return self.replacement.entity_keys()


class DecisionRetraction(Decision):
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
"""Kind name -> decision class, e.g. "party.registered" -> PartyRegistration."""


def parse_decision(data: Any) -> Decision:
    """Validate raw data (a dict from JSON) into a decision; raise pydantic's ValidationError."""
    decision: Decision = DECISION_ADAPTER.validate_python(data)
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


def decode_decision(data: Any, where: str = "") -> Decision:
    """Validate raw data into a decision; raise InvalidDecision naming each bad field."""
    from pydantic import ValidationError

    from domain.errors import FieldProblem, InvalidDecision

    try:
        return parse_decision(data)
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
