"""The fold: what an ordered sequence of decisions means for the governance of the control rooms.

`GovernanceState.apply` takes decisions in order of (in force on, position). It is total: a
decision that does not fit the state it meets (relieving a role nobody holds, closing a
recommendation twice) changes nothing and is recorded as an `Anomaly`. This happens only when
a correction recorded later moved or changed another decision; new decisions that do not fit
are refused at the door (see `domain.invariants`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from domain import decisions as d
from domain.vocabulary import Discipline, PartyKind, RiskLevel, Role, SubjectKind


@dataclass(frozen=True)
class InForce:
    """A decision as it applies: its current content, and the date it is in force from."""

    id: UUID
    position: int
    decision: d.Decision
    in_force_on: date


@dataclass(slots=True)
class Anomaly:
    decision: UUID
    rule: str
    explanation: str


@dataclass(slots=True)
class Party:
    id: str
    name: str
    kind: PartyKind
    discipline: Discipline | None
    registered_on: date
    dissolved_on: date | None = None
    decisions: list[UUID] = field(default_factory=list)

    def active(self) -> bool:
        return self.dissolved_on is None


@dataclass(slots=True)
class Subject:
    id: str
    name: str
    kind: SubjectKind
    parent: str | None
    registered_on: date
    decisions: list[UUID] = field(default_factory=list)


@dataclass(slots=True)
class Holding:
    """A role a party holds for a subject, since a date, by virtue of decisions."""

    party: str
    subject: str
    role: Role
    since: date
    decisions: list[UUID] = field(default_factory=list)


@dataclass(slots=True)
class Framework:
    id: str
    name: str
    scope: list[str]
    level: str | None
    adopted_on: date
    adopted_by: list[str]
    decisions: list[UUID] = field(default_factory=list)


@dataclass(slots=True)
class Criteria:
    id: str
    description: str
    scope: list[str]
    max_acceptable_level: RiskLevel
    established_on: date
    established_by: list[str]
    decisions: list[UUID] = field(default_factory=list)


@dataclass(slots=True)
class Assessment:
    on: date
    level: RiskLevel
    criteria: str | None
    summary: str | None
    decision: UUID


@dataclass(slots=True)
class Treatment:
    on: date
    measure: str
    status: str
    decision: UUID


@dataclass(slots=True)
class Acceptance:
    on: date
    accepted_by: list[str]
    criteria: str | None
    accepted_level: RiskLevel
    review_by: date
    decision: UUID
    withdrawn_on: date | None = None
    withdrawn_by: UUID | None = None


@dataclass(slots=True)
class Risk:
    id: str
    system: str
    title: str
    identified_on: date
    identified_by: list[str]
    assessments: list[Assessment] = field(default_factory=list)
    treatments: list[Treatment] = field(default_factory=list)
    acceptances: list[Acceptance] = field(default_factory=list)
    decisions: list[UUID] = field(default_factory=list)

    def acceptance_in_force(self) -> Acceptance | None:
        last = self.acceptances[-1] if self.acceptances else None
        return last if last is not None and last.withdrawn_on is None else None


@dataclass(slots=True)
class Finding:
    id: str
    text: str
    number: int | None
    subjects: list[str]
    recorded_on: date
    recorded_by: list[str]
    decisions: list[UUID] = field(default_factory=list)


@dataclass(slots=True)
class Progress:
    on: date
    text: str
    decision: UUID


@dataclass(slots=True)
class Recommendation:
    id: str
    text: str
    findings: list[str]
    evaluation: str | None
    due_on: date | None
    issued_on: date
    issued_by: list[str]
    response: str | None = None
    responded_on: date | None = None
    owner: str | None = None
    progress: list[Progress] = field(default_factory=list)
    closed_on: date | None = None
    resolution: str | None = None
    decisions: list[UUID] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "closed" if self.closed_on is not None else "open"

    def overdue(self, on: date) -> bool:
        """Whether it is still open on `on` after the date it was due."""
        return self.closed_on is None and self.due_on is not None and self.due_on < on


@dataclass(slots=True)
class Evaluation:
    id: str
    title: str
    evaluator: str
    commissioned_on: date
    expected_by: date | None
    reported_on: date | None = None
    summary: str | None = None
    decisions: list[UUID] = field(default_factory=list)


@dataclass(slots=True)
class CommitmentState:
    id: str
    promise: str
    due_on: date
    made_on: date
    made_by: list[str]
    kept_on: date | None = None
    how: str | None = None
    decisions: list[UUID] = field(default_factory=list)

    def overdue(self, on: date) -> bool:
        """Whether it is not kept on `on`, after the date it was due."""
        return self.kept_on is None and self.due_on < on


@dataclass
class GovernanceState:
    """The governance as a sequence of decisions leaves it."""

    parties: dict[str, Party] = field(default_factory=dict)
    subjects: dict[str, Subject] = field(default_factory=dict)
    holdings: dict[tuple[str, str, Role], Holding] = field(default_factory=dict)
    frameworks: dict[str, Framework] = field(default_factory=dict)
    criteria: dict[str, Criteria] = field(default_factory=dict)
    risks: dict[str, Risk] = field(default_factory=dict)
    findings: dict[str, Finding] = field(default_factory=dict)
    recommendations: dict[str, Recommendation] = field(default_factory=dict)
    evaluations: dict[str, Evaluation] = field(default_factory=dict)
    commitments: dict[str, CommitmentState] = field(default_factory=dict)
    consents: dict[UUID, dict[str, date]] = field(default_factory=dict)
    anomalies: list[Anomaly] = field(default_factory=list)

    def holds(self, party: str, subject: str, role: Role) -> bool:
        """Whether the party holds the role for the subject."""
        return (party, subject, role) in self.holdings

    def apply(self, item: InForce) -> None:
        """Apply one decision in force; record an anomaly if it does not fit."""
        handler = _HANDLERS.get(type(item.decision))
        if handler is None:
            return
        problem = handler(self, item.decision, item)
        if problem is not None:
            self.anomalies.append(Anomaly(item.id, problem[0], problem[1]))


@dataclass(frozen=True)
class Group:
    """A kind of group of the state: the decisions about one party, one subject's
    responsibilities, one risk, ... (a decision's `entity_keys`). Each group keeps its entries
    in one dictionary of the state; no decision about one group touches another."""

    kind: str
    """The group's kind, as decisions name it (`Decision.group`), e.g. "responsibilities"."""
    attribute: str
    """The state's dictionary its entries live in, e.g. "holdings"."""
    entry: str
    """The kind of entry, e.g. "holding"."""
    value: Any
    """The entries' type (to decode them)."""


GROUPS: dict[str, Group] = {
    group.kind: group
    for group in (
        Group("party", "parties", "party", Party),
        Group("subject", "subjects", "subject", Subject),
        Group("responsibilities", "holdings", "holding", Holding),
        Group("framework", "frameworks", "framework", Framework),
        Group("criteria", "criteria", "criteria", Criteria),
        Group("risk", "risks", "risk", Risk),
        Group("finding", "findings", "finding", Finding),
        Group("recommendation", "recommendations", "recommendation", Recommendation),
        Group("evaluation", "evaluations", "evaluation", Evaluation),
        Group("commitment", "commitments", "commitment", CommitmentState),
        Group("consent", "consents", "consent", dict[str, date]),
    )
}
"""The kinds of groups: the registry the read model's tables and the HTTP object names use."""

ENTRIES: dict[str, Group] = {group.entry: group for group in GROUPS.values()}
"""Entry kind -> its group."""

HoldingKey = tuple[str, str, Role]


def entity_of(entry: str, key: Any) -> str:
    """The stable name of an entry's key, e.g. a holding's 'c2000/smb/accountable'."""
    if entry == "holding":
        party, subject, role = key
        return f"{subject}/{party}/{role.value}"
    return str(key)


def key_of(entry: str, entity: str) -> Any:
    """The key in the state's dictionary of an entry named `entity` (see `entity_of`)."""
    if entry == "holding":
        subject, party, role = entity.split("/")
        return (party, subject, Role(role))
    if entry == "consent":
        return UUID(entity)
    return entity


Problem = tuple[str, str] | None
Handler = Callable[[GovernanceState, Any, InForce], Problem]

_HANDLERS: dict[type[d.Decision], Handler] = {}


def folds(kind: type[d.Decision]) -> Callable[[Handler], Handler]:
    """Register how decisions of a kind change the state (one handler a kind)."""

    def register(handler: Handler) -> Handler:
        _HANDLERS[kind] = handler
        return handler

    return register


@folds(d.PartyRegistration)
def _party_registered(s: GovernanceState, c: Any, i: InForce) -> Problem:
    if c.party in s.parties:
        return "party_already_registered", f"party {c.party!r} is already registered"
    s.parties[c.party] = Party(c.party, c.name, c.party_kind, c.discipline, i.in_force_on)
    s.parties[c.party].decisions.append(i.id)
    return None


@folds(d.PartyDissolution)
def _party_dissolved(s: GovernanceState, c: Any, i: InForce) -> Problem:
    party = s.parties.get(c.party)
    if party is None or not party.active():
        return "party_not_active", f"party {c.party!r} is not registered or already dissolved"
    party.dissolved_on = i.in_force_on
    party.decisions.append(i.id)
    return None


@folds(d.SubjectRegistration)
def _subject_registered(s: GovernanceState, c: Any, i: InForce) -> Problem:
    if c.subject in s.subjects:
        return "subject_already_registered", f"subject {c.subject!r} is already registered"
    s.subjects[c.subject] = Subject(c.subject, c.name, c.subject_kind, c.parent, i.in_force_on)
    s.subjects[c.subject].decisions.append(i.id)
    return None


@folds(d.ResponsibilityAssignment)
def _assigned(s: GovernanceState, c: Any, i: InForce) -> Problem:
    key = (c.party, c.subject, c.role)
    if key in s.holdings:
        return "role_already_held", f"{c.party!r} already holds {c.role} for {c.subject!r}"
    s.holdings[key] = Holding(c.party, c.subject, c.role, i.in_force_on, [i.id])
    return None


@folds(d.ResponsibilityRelief)
def _relieved(s: GovernanceState, c: Any, i: InForce) -> Problem:
    if s.holdings.pop((c.party, c.subject, c.role), None) is None:
        return "role_not_held", f"{c.party!r} does not hold {c.role} for {c.subject!r}"
    return None


@folds(d.ResponsibilityTransfer)
def _transferred(s: GovernanceState, c: Any, i: InForce) -> Problem:
    if s.holdings.pop((c.from_party, c.subject, c.role), None) is None:
        return "role_not_held", f"{c.from_party!r} does not hold {c.role} for {c.subject!r}"
    key = (c.to_party, c.subject, c.role)
    if key not in s.holdings:
        s.holdings[key] = Holding(c.to_party, c.subject, c.role, i.in_force_on, [i.id])
    return None


@folds(d.FrameworkAdoption)
def _framework_adopted(s: GovernanceState, c: Any, i: InForce) -> Problem:
    earlier = s.frameworks.get(c.framework)
    history = [*earlier.decisions, i.id] if earlier else [i.id]
    s.frameworks[c.framework] = Framework(
        c.framework, c.name, list(c.scope), c.level, i.in_force_on, list(c.decided_by), history
    )
    return None


@folds(d.AcceptanceCriteriaEstablishment)
def _criteria_established(s: GovernanceState, c: Any, i: InForce) -> Problem:
    earlier = s.criteria.get(c.criteria)
    history = [*earlier.decisions, i.id] if earlier else [i.id]
    s.criteria[c.criteria] = Criteria(
        c.criteria,
        c.description,
        list(c.scope),
        c.max_acceptable_level,
        i.in_force_on,
        list(c.decided_by),
        history,
    )
    return None


@folds(d.RiskIdentification)
def _risk_identified(s: GovernanceState, c: Any, i: InForce) -> Problem:
    if c.risk in s.risks:
        return "risk_already_identified", f"risk {c.risk!r} is already identified"
    s.risks[c.risk] = Risk(
        c.risk, c.system, c.title, i.in_force_on, list(c.decided_by), [], [], [], [i.id]
    )
    return None


def _known_risk(s: GovernanceState, c: Any, i: InForce) -> Risk | None:
    risk = s.risks.get(c.risk)
    if risk is not None:
        risk.decisions.append(i.id)
    return risk


@folds(d.RiskAssessment)
def _risk_assessed(s: GovernanceState, c: Any, i: InForce) -> Problem:
    risk = _known_risk(s, c, i)
    if risk is None:
        return "unknown_risk", f"risk {c.risk!r} is not identified"
    risk.assessments.append(Assessment(i.in_force_on, c.level, c.criteria, c.summary, i.id))
    return None


@folds(d.RiskTreatment)
def _risk_treated(s: GovernanceState, c: Any, i: InForce) -> Problem:
    risk = _known_risk(s, c, i)
    if risk is None:
        return "unknown_risk", f"risk {c.risk!r} is not identified"
    risk.treatments.append(Treatment(i.in_force_on, c.measure, str(c.status), i.id))
    return None


@folds(d.ResidualRiskAcceptance)
def _residual_accepted(s: GovernanceState, c: Any, i: InForce) -> Problem:
    risk = _known_risk(s, c, i)
    if risk is None:
        return "unknown_risk", f"risk {c.risk!r} is not identified"
    current = risk.acceptance_in_force()
    if current is not None:  # a new acceptance supersedes the one in force
        current.withdrawn_on, current.withdrawn_by = i.in_force_on, i.id
    risk.acceptances.append(
        Acceptance(
            i.in_force_on, list(c.decided_by), c.criteria, c.accepted_level, c.review_by, i.id
        )
    )
    return None


@folds(d.AcceptanceWithdrawal)
def _acceptance_withdrawn(s: GovernanceState, c: Any, i: InForce) -> Problem:
    risk = _known_risk(s, c, i)
    if risk is None:
        return "unknown_risk", f"risk {c.risk!r} is not identified"
    current = risk.acceptance_in_force()
    if current is None:
        return "no_acceptance_in_force", f"risk {c.risk!r} has no residual-risk acceptance in force"
    current.withdrawn_on, current.withdrawn_by = i.in_force_on, i.id
    return None


@folds(d.FindingRecord)
def _finding_recorded(s: GovernanceState, c: Any, i: InForce) -> Problem:
    if c.finding in s.findings:
        return "finding_already_recorded", f"finding {c.finding!r} is already recorded"
    s.findings[c.finding] = Finding(
        c.finding,
        c.text,
        c.number,
        list(c.subjects_concerned),
        i.in_force_on,
        list(c.decided_by),
        [i.id],
    )
    return None


@folds(d.RecommendationIssue)
def _recommendation_issued(s: GovernanceState, c: Any, i: InForce) -> Problem:
    if c.recommendation in s.recommendations:
        return (
            "recommendation_already_issued",
            f"recommendation {c.recommendation!r} already exists",
        )
    s.recommendations[c.recommendation] = Recommendation(
        c.recommendation,
        c.text,
        list(c.findings),
        c.evaluation,
        c.due_on,
        i.in_force_on,
        list(c.decided_by),
        decisions=[i.id],
    )
    return None


def _open_recommendation(
    s: GovernanceState, c: Any, i: InForce
) -> tuple[Recommendation | None, Problem]:
    rec = s.recommendations.get(c.recommendation)
    if rec is None:
        return None, (
            "unknown_recommendation",
            f"recommendation {c.recommendation!r} is not issued",
        )
    if rec.closed_on is not None:
        return None, ("recommendation_closed", f"recommendation {c.recommendation!r} is closed")
    rec.decisions.append(i.id)
    return rec, None


@folds(d.RecommendationResponse)
def _recommendation_responded(s: GovernanceState, c: Any, i: InForce) -> Problem:
    rec, problem = _open_recommendation(s, c, i)
    if rec is not None:
        rec.response, rec.responded_on = str(c.response), i.in_force_on
    return problem


@folds(d.RecommendationOwnerAssignment)
def _owner_assigned(s: GovernanceState, c: Any, i: InForce) -> Problem:
    rec, problem = _open_recommendation(s, c, i)
    if rec is not None:
        rec.owner = c.owner
    return problem


@folds(d.RecommendationProgress)
def _progress_reported(s: GovernanceState, c: Any, i: InForce) -> Problem:
    rec, problem = _open_recommendation(s, c, i)
    if rec is not None:
        rec.progress.append(Progress(i.in_force_on, c.progress, i.id))
    return problem


@folds(d.RecommendationClosure)
def _recommendation_closed(s: GovernanceState, c: Any, i: InForce) -> Problem:
    rec, problem = _open_recommendation(s, c, i)
    if rec is not None:
        rec.closed_on, rec.resolution = i.in_force_on, c.resolution
    return problem


@folds(d.EvaluationCommission)
def _evaluation_commissioned(s: GovernanceState, c: Any, i: InForce) -> Problem:
    if c.evaluation in s.evaluations:
        return "evaluation_already_commissioned", f"evaluation {c.evaluation!r} already exists"
    s.evaluations[c.evaluation] = Evaluation(
        c.evaluation, c.title, c.evaluator, i.in_force_on, c.expected_by, decisions=[i.id]
    )
    return None


@folds(d.EvaluationReport)
def _evaluation_reported(s: GovernanceState, c: Any, i: InForce) -> Problem:
    evaluation = s.evaluations.get(c.evaluation)
    if evaluation is None:
        return "unknown_evaluation", f"evaluation {c.evaluation!r} is not commissioned"
    if evaluation.reported_on is not None:
        return "evaluation_already_reported", f"evaluation {c.evaluation!r} already reported"
    evaluation.reported_on, evaluation.summary = i.in_force_on, c.summary
    evaluation.decisions.append(i.id)
    return None


@folds(d.Commitment)
def _commitment_made(s: GovernanceState, c: Any, i: InForce) -> Problem:
    if c.commitment in s.commitments:
        return "commitment_already_made", f"commitment {c.commitment!r} already exists"
    s.commitments[c.commitment] = CommitmentState(
        c.commitment, c.promise, c.due_on, i.in_force_on, list(c.decided_by), decisions=[i.id]
    )
    return None


@folds(d.CommitmentFulfilment)
def _commitment_kept(s: GovernanceState, c: Any, i: InForce) -> Problem:
    commitment = s.commitments.get(c.commitment)
    if commitment is None:
        return "unknown_commitment", f"commitment {c.commitment!r} was never made"
    if commitment.kept_on is not None:
        return "commitment_already_kept", f"commitment {c.commitment!r} is already kept"
    commitment.kept_on, commitment.how = i.in_force_on, c.how
    commitment.decisions.append(i.id)
    return None


@folds(d.Consent)
def _consent_given(s: GovernanceState, c: Any, i: InForce) -> Problem:
    given = s.consents.setdefault(c.decision, {})
    for party in c.decided_by:
        given.setdefault(party, i.in_force_on)
    return None


def fold(items: list[InForce]) -> GovernanceState:
    """Fold decisions in force, in order of (in force on, position), into a state."""
    state = GovernanceState()
    for item in sorted(items, key=lambda i: (i.in_force_on, i.position)):
        state.apply(item)
    return state
