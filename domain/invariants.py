"""The rules a new decision must obey, checked against what the ledger knows now.

Each rule is a small named check that raises `RuleViolation(rule, field, value, explanation)`.
`check(decision, known)` runs the ones that apply. The rules look at the governance as it
stands on the decision's own `effective_on`, as known now; uniqueness rules (an id is used once,
a recommendation is closed once) look at every date. A kind's rules are registered with
`@rules_for(kind)`.

What is known is anything that answers `Known`: the ledger's tables, inside the recording
transaction (`ledger.known`), or an in-memory `domain.knowledge.Knowledge` (fast tests).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from domain import decisions as d
from domain.errors import RuleViolation
from domain.governance import (
    CommitmentState,
    Criteria,
    Evaluation,
    Finding,
    Holding,
    Party,
    Recommendation,
    Risk,
    Subject,
)
from domain.vocabulary import LATEST_DATE, Role


class Known(Protocol):
    """What the rules read of what is known now."""

    def entry(self, group: str, key: str, entity: Any, on: date) -> Any | None:
        """The entry `entity` of the group (group, key) in the state on `on` (a holding's
        entity is (party, subject, role); any other's, its id)."""
        ...

    def recorded_decision(self, decision_id: UUID) -> d.RecordedDecision | None: ...

    def root(self, decision_id: UUID) -> UUID:
        """The decision a correction stands for (a decision is its own root)."""
        ...

    def is_retracted(self, decision_id: UUID) -> bool: ...

    def current(self, decision_id: UUID) -> d.Decision | None:
        """A substantive decision's content now (None: retracted, or a correction/retraction)."""
        ...


class _Context:
    """The decision under test and what is known about the things it names, on its date."""

    def __init__(self, decision: d.Decision, known: Known) -> None:
        self.decision = decision
        self.known = known
        self.on = decision.effective_on

    def party(self, party: str, on: date | None = None) -> Party | None:
        found: Party | None = self.known.entry("party", party, party, on or self.on)
        return found

    def subject(self, subject: str, on: date | None = None) -> Subject | None:
        found: Subject | None = self.known.entry("subject", subject, subject, on or self.on)
        return found

    def holding(self, party: str, subject: str, role: Role) -> Holding | None:
        found: Holding | None = self.known.entry(
            "responsibilities", subject, (party, subject, role), self.on
        )
        return found

    def risk(self, risk: str, on: date | None = None) -> Risk | None:
        found: Risk | None = self.known.entry("risk", risk, risk, on or self.on)
        return found

    def criteria(self, criteria: str) -> Criteria | None:
        found: Criteria | None = self.known.entry("criteria", criteria, criteria, self.on)
        return found

    def finding(self, finding: str, on: date | None = None) -> Finding | None:
        found: Finding | None = self.known.entry("finding", finding, finding, on or self.on)
        return found

    def recommendation(self, name: str, on: date | None = None) -> Recommendation | None:
        found: Recommendation | None = self.known.entry("recommendation", name, name, on or self.on)
        return found

    def evaluation(self, name: str, on: date | None = None) -> Evaluation | None:
        found: Evaluation | None = self.known.entry("evaluation", name, name, on or self.on)
        return found

    def commitment(self, name: str, on: date | None = None) -> CommitmentState | None:
        found: CommitmentState | None = self.known.entry("commitment", name, name, on or self.on)
        return found


EVER = LATEST_DATE
"""Asked on the last date a decision can take effect: whether a thing was ever there."""


_RULES: dict[type[d.Decision], list[Callable[[_Context], None]]] = {}


def rules_for(
    *kinds: type[d.Decision],
) -> Callable[[Callable[[_Context], None]], Callable[[_Context], None]]:
    """Register a rule for decisions of these kinds (checked after the common rules, in the
    order the rules are registered)."""

    def register(rule: Callable[[_Context], None]) -> Callable[[_Context], None]:
        for kind in kinds:
            _RULES.setdefault(kind, []).append(rule)
        return rule

    return register


def _violation(rule: str, field: str, value: object, explanation: str) -> RuleViolation:
    return RuleViolation(rule=rule, field=field, value=value, explanation=explanation)


# --- parties and subjects -------------------------------------------------------------------


def deciders_are_active(c: _Context) -> None:
    """Every decider is registered and not dissolved on the decision's date."""
    decision = c.decision
    for i, party in enumerate(decision.decided_by):
        if isinstance(decision, d.PartyRegistration) and party == decision.party:
            continue  # a party may register itself
        _party_active(c, f"decided_by[{i}]", party, "decider_not_active")
    for i, party in enumerate(decision.requires_consent_of):
        _party_active(c, f"requires_consent_of[{i}]", party, "consenting_party_not_active")


def _party_active(c: _Context, field: str, party: str, rule: str) -> None:
    found = c.party(party)
    if found is None:
        raise _violation(rule, field, party, f"party {party!r} is not registered on {c.on}")
    if not found.active():
        raise _violation(
            rule, field, party, f"party {party!r} was dissolved on {found.dissolved_on}"
        )


def named_parties_are_active(c: _Context) -> None:
    """Every party the decision names (assignee, owner, evaluator) is active on its date."""
    if isinstance(c.decision, d.PartyRegistration | d.PartyDissolution):
        return
    for field, party in c.decision.parties():
        _party_active(c, field, party, "party_not_active")


def named_subjects_are_registered(c: _Context) -> None:
    """Every subject the decision names is registered on its date."""
    for field, subject in c.decision.subjects():
        if c.subject(subject) is None:
            raise _violation(
                "unknown_subject",
                field,
                subject,
                f"subject {subject!r} is not registered on {c.on}",
            )


@rules_for(d.PartyRegistration)
def party_is_new(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.PartyRegistration)
    if c.party(decision.party, EVER) is not None:
        raise _violation(
            "party_already_registered", "party", decision.party, "this party id is already in use"
        )


@rules_for(d.PartyDissolution)
def party_can_be_dissolved(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.PartyDissolution)
    _party_active(c, "party", decision.party, "party_not_active")


@rules_for(d.SubjectRegistration)
def subject_is_new(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.SubjectRegistration)
    if c.subject(decision.subject, EVER) is not None:
        raise _violation(
            "subject_already_registered",
            "subject",
            decision.subject,
            "this subject id is already in use",
        )


# --- responsibilities -----------------------------------------------------------------------


@rules_for(d.ResponsibilityAssignment)
def role_is_not_yet_held(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.ResponsibilityAssignment)
    if c.holding(decision.party, decision.subject, decision.role) is not None:
        raise _violation(
            "role_already_held",
            "party",
            decision.party,
            f"{decision.party!r} already holds the role {decision.role} for "
            f"{decision.subject!r} on {c.on}",
        )


@rules_for(d.ResponsibilityRelief, d.ResponsibilityTransfer)
def role_is_held(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.ResponsibilityRelief | d.ResponsibilityTransfer)
    party, field = (
        (decision.party, "party")
        if isinstance(decision, d.ResponsibilityRelief)
        else (decision.from_party, "from_party")
    )
    if c.holding(party, decision.subject, decision.role) is None:
        raise _violation(
            "role_not_held",
            field,
            party,
            f"{party!r} does not hold the role {decision.role} for {decision.subject!r} on {c.on}",
        )


# --- risks ----------------------------------------------------------------------------------


@rules_for(d.RiskIdentification)
def risk_is_new(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.RiskIdentification)
    if c.risk(decision.risk, EVER) is not None:
        raise _violation(
            "risk_already_identified", "risk", decision.risk, "this risk id is already in use"
        )


@rules_for(
    d.RiskAssessment,
    d.RiskTreatment,
    d.ResidualRiskAcceptance,
    d.AcceptanceWithdrawal,
)
def risk_is_known(c: _Context) -> None:
    risk = getattr(c.decision, "risk")  # noqa: B009 - every risk decision has one
    if c.risk(risk) is None:
        raise _violation("unknown_risk", "risk", risk, f"risk {risk!r} is not identified on {c.on}")


@rules_for(d.RiskAssessment, d.ResidualRiskAcceptance)
def criteria_are_established(c: _Context) -> None:
    criteria = getattr(c.decision, "criteria", None)
    if criteria is not None and c.criteria(criteria) is None:
        raise _violation(
            "unknown_criteria",
            "criteria",
            criteria,
            f"acceptance criteria {criteria!r} are not established on {c.on}",
        )


@rules_for(d.AcceptanceWithdrawal)
def acceptance_is_in_force(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.AcceptanceWithdrawal)
    risk = c.risk(decision.risk)
    if risk is None or risk.acceptance_in_force() is None:
        raise _violation(
            "no_acceptance_in_force",
            "risk",
            decision.risk,
            f"risk {decision.risk!r} has no residual-risk acceptance in force on {c.on}",
        )


# --- findings, recommendations, evaluations, commitments -------------------------------------


@rules_for(d.FindingRecord)
def finding_is_new(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.FindingRecord)
    if c.finding(decision.finding, EVER) is not None:
        raise _violation(
            "finding_already_recorded",
            "finding",
            decision.finding,
            "this finding id is already in use",
        )


@rules_for(d.RecommendationIssue)
def recommendation_is_new_and_grounded(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.RecommendationIssue)
    if c.recommendation(decision.recommendation, EVER) is not None:
        raise _violation(
            "recommendation_already_issued",
            "recommendation",
            decision.recommendation,
            "this recommendation id is already in use",
        )
    for i, finding in enumerate(decision.findings):
        if c.finding(finding) is None:
            raise _violation(
                "unknown_finding",
                f"findings[{i}]",
                finding,
                f"finding {finding!r} is not recorded on {c.on}",
            )
    if decision.evaluation is not None and c.evaluation(decision.evaluation) is None:
        raise _violation(
            "unknown_evaluation",
            "evaluation",
            decision.evaluation,
            f"evaluation {decision.evaluation!r} is not commissioned on {c.on}",
        )


@rules_for(
    d.RecommendationResponse,
    d.RecommendationOwnerAssignment,
    d.RecommendationProgress,
    d.RecommendationClosure,
)
def recommendation_is_open(c: _Context) -> None:
    name = getattr(c.decision, "recommendation")  # noqa: B009
    if c.recommendation(name) is None:
        raise _violation(
            "unknown_recommendation",
            "recommendation",
            name,
            f"recommendation {name!r} is not issued on {c.on}",
        )
    ever = c.recommendation(name, EVER)
    closed_on = None if ever is None else ever.closed_on
    if closed_on is not None:
        raise _violation(
            "recommendation_closed",
            "recommendation",
            name,
            f"recommendation {name!r} was closed on {closed_on}; a closed recommendation "
            "cannot be closed again or changed",
        )


@rules_for(d.EvaluationCommission)
def evaluation_is_new(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.EvaluationCommission)
    if c.evaluation(decision.evaluation, EVER) is not None:
        raise _violation(
            "evaluation_already_commissioned",
            "evaluation",
            decision.evaluation,
            "this evaluation id is already in use",
        )


@rules_for(d.EvaluationReport)
def evaluation_is_pending(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.EvaluationReport)
    if c.evaluation(decision.evaluation) is None:
        raise _violation(
            "unknown_evaluation",
            "evaluation",
            decision.evaluation,
            f"evaluation {decision.evaluation!r} is not commissioned on {c.on}",
        )
    ever = c.evaluation(decision.evaluation, EVER)
    if ever is not None and ever.reported_on:
        raise _violation(
            "evaluation_already_reported",
            "evaluation",
            decision.evaluation,
            "this evaluation has already reported",
        )


@rules_for(d.Commitment)
def commitment_is_new(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.Commitment)
    if c.commitment(decision.commitment, EVER) is not None:
        raise _violation(
            "commitment_already_made",
            "commitment",
            decision.commitment,
            "this commitment id is already in use",
        )


@rules_for(d.CommitmentFulfilment)
def commitment_is_outstanding(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.CommitmentFulfilment)
    if c.commitment(decision.commitment) is None:
        raise _violation(
            "unknown_commitment",
            "commitment",
            decision.commitment,
            f"commitment {decision.commitment!r} was not made by {c.on}",
        )
    ever = c.commitment(decision.commitment, EVER)
    kept_on = None if ever is None else ever.kept_on
    if kept_on is not None:
        raise _violation(
            "commitment_already_kept",
            "commitment",
            decision.commitment,
            f"this commitment was already kept on {kept_on}",
        )


# --- consent, corrections, retractions --------------------------------------------------------


def _existing(c: _Context, field: str, decision_id: UUID) -> d.RecordedDecision:
    found = c.known.recorded_decision(decision_id)
    if found is None:
        raise _violation(
            "unknown_decision", field, str(decision_id), "no decision with this id is recorded"
        )
    return found


@rules_for(d.Consent)
def consent_is_asked(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.Consent)
    _existing(c, "decision", decision.decision)
    target = c.known.current(decision.decision)
    if target is None:
        raise _violation(
            "decision_retracted",
            "decision",
            str(decision.decision),
            "that decision is retracted or cannot take consent",
        )
    for i, party in enumerate(decision.decided_by):
        if party not in target.requires_consent_of:
            raise _violation(
                "consent_not_required",
                f"decided_by[{i}]",
                party,
                f"that decision does not require the consent of {party!r}",
            )


@rules_for(d.DecisionCorrection)
def correction_fits(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.DecisionCorrection)
    target = _existing(c, "corrects", decision.corrects)
    if isinstance(target.decision, d.DecisionRetraction):
        raise _violation(
            "retraction_not_correctable",
            "corrects",
            str(decision.corrects),
            "a retraction cannot be corrected",
        )
    root_id = c.known.root(target.id)
    for candidate in {target.id, root_id}:
        if c.known.is_retracted(candidate):
            raise _violation(
                "decision_retracted",
                "corrects",
                str(decision.corrects),
                "that decision was retracted; a retracted decision cannot be corrected",
            )
    root = c.known.recorded_decision(root_id)
    assert root is not None
    kind = root.decision.kind
    if decision.replacement.kind != kind:
        raise _violation(
            "correction_changes_kind",
            "replacement.kind",
            decision.replacement.kind,
            f"a correction must keep the kind of what it corrects ({kind})",
        )


@rules_for(d.DecisionRetraction)
def retraction_fits(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.DecisionRetraction)
    target = _existing(c, "retracts", decision.retracts)
    if isinstance(target.decision, d.DecisionRetraction):
        raise _violation(
            "retraction_not_retractable",
            "retracts",
            str(decision.retracts),
            "a retraction cannot be retracted",
        )
    if c.known.is_retracted(target.id):
        raise _violation(
            "decision_retracted",
            "retracts",
            str(decision.retracts),
            "that decision is already retracted",
        )


Rule = Callable[[_Context], None]

COMMON_RULES: tuple[Rule, ...] = (
    deciders_are_active,
    named_parties_are_active,
    named_subjects_are_registered,
)
"""The rules every decision obeys."""


def check(decision: d.Decision, known: Known) -> None:
    """Raise RuleViolation if the decision may not be recorded on top of what is known."""
    context = _Context(decision, known)
    for rule in (*COMMON_RULES, *_RULES.get(type(decision), ())):
        rule(context)
    if isinstance(decision, d.DecisionCorrection):
        # The replacement's own deciders, parties and subjects must exist on its date too.
        replacement = _Context(decision.replacement, known)
        for rule in COMMON_RULES:
            try:
                rule(replacement)
            except RuleViolation as violation:
                raise RuleViolation(
                    violation.rule,
                    f"replacement.{violation.field}",
                    violation.value,
                    violation.explanation,
                ) from None
