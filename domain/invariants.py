"""The rules a new decision must obey, checked against what the ledger knows now.

Each rule is a small named check that raises `RuleViolation(rule, field, value, explanation)`.
`check(decision, knowledge)` runs the ones that apply. The rules look at the governance as it
stands on the decision's own `effective_on`, as known now; uniqueness rules (an id is used once,
a recommendation is closed once) look at every date.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

from domain import decisions as d
from domain.errors import RuleViolation
from domain.governance import GovernanceState
from domain.knowledge import Knowledge
from domain.vocabulary import LATEST_DATE


class _Context:
    """The decision under test and lazily folded views of what is known about its things."""

    def __init__(self, decision: d.Decision, knowledge: Knowledge) -> None:
        self.decision = decision
        self.knowledge = knowledge
        self.on = decision.effective_on

    def state(self, about: d.EntityKey, on: date | None = None) -> GovernanceState:
        return self.knowledge.state_of(about, on or self.on)

    def ever(self, about: d.EntityKey) -> GovernanceState:
        return self.knowledge.state_of(about, LATEST_DATE)


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
    state = c.state(("party", party))
    found = state.parties.get(party)
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
        if subject not in c.state(("subject", subject)).subjects:
            raise _violation(
                "unknown_subject",
                field,
                subject,
                f"subject {subject!r} is not registered on {c.on}",
            )


def party_is_new(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.PartyRegistration)
    if decision.party in c.ever(("party", decision.party)).parties:
        raise _violation(
            "party_already_registered", "party", decision.party, "this party id is already in use"
        )


def party_can_be_dissolved(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.PartyDissolution)
    _party_active(c, "party", decision.party, "party_not_active")


def subject_is_new(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.SubjectRegistration)
    if decision.subject in c.ever(("subject", decision.subject)).subjects:
        raise _violation(
            "subject_already_registered",
            "subject",
            decision.subject,
            "this subject id is already in use",
        )


# --- responsibilities -----------------------------------------------------------------------


def role_is_not_yet_held(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.ResponsibilityAssignment)
    if c.state(("responsibilities", decision.subject)).holds(
        decision.party, decision.subject, decision.role
    ):
        raise _violation(
            "role_already_held",
            "party",
            decision.party,
            f"{decision.party!r} already holds the role {decision.role} for "
            f"{decision.subject!r} on {c.on}",
        )


def role_is_held(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.ResponsibilityRelief | d.ResponsibilityTransfer)
    party, field = (
        (decision.party, "party")
        if isinstance(decision, d.ResponsibilityRelief)
        else (decision.from_party, "from_party")
    )
    if not c.state(("responsibilities", decision.subject)).holds(
        party, decision.subject, decision.role
    ):
        raise _violation(
            "role_not_held",
            field,
            party,
            f"{party!r} does not hold the role {decision.role} for {decision.subject!r} on {c.on}",
        )


# --- risks ----------------------------------------------------------------------------------


def risk_is_new(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.RiskIdentification)
    if decision.risk in c.ever(("risk", decision.risk)).risks:
        raise _violation(
            "risk_already_identified", "risk", decision.risk, "this risk id is already in use"
        )


def risk_is_known(c: _Context) -> None:
    risk = getattr(c.decision, "risk")  # noqa: B009 - every risk decision has one
    if risk not in c.state(("risk", risk)).risks:
        raise _violation("unknown_risk", "risk", risk, f"risk {risk!r} is not identified on {c.on}")


def criteria_are_established(c: _Context) -> None:
    criteria = getattr(c.decision, "criteria", None)
    if criteria is not None and criteria not in c.state(("criteria", criteria)).criteria:
        raise _violation(
            "unknown_criteria",
            "criteria",
            criteria,
            f"acceptance criteria {criteria!r} are not established on {c.on}",
        )


def acceptance_is_in_force(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.AcceptanceWithdrawal)
    risk = c.state(("risk", decision.risk)).risks[decision.risk]
    if risk.acceptance_in_force() is None:
        raise _violation(
            "no_acceptance_in_force",
            "risk",
            decision.risk,
            f"risk {decision.risk!r} has no residual-risk acceptance in force on {c.on}",
        )


# --- findings, recommendations, evaluations, commitments -------------------------------------


def finding_is_new(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.FindingRecord)
    if decision.finding in c.ever(("finding", decision.finding)).findings:
        raise _violation(
            "finding_already_recorded",
            "finding",
            decision.finding,
            "this finding id is already in use",
        )


def recommendation_is_new_and_grounded(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.RecommendationIssue)
    if (
        decision.recommendation
        in c.ever(("recommendation", decision.recommendation)).recommendations
    ):
        raise _violation(
            "recommendation_already_issued",
            "recommendation",
            decision.recommendation,
            "this recommendation id is already in use",
        )
    for i, finding in enumerate(decision.findings):
        if finding not in c.state(("finding", finding)).findings:
            raise _violation(
                "unknown_finding",
                f"findings[{i}]",
                finding,
                f"finding {finding!r} is not recorded on {c.on}",
            )
    if (
        decision.evaluation is not None
        and decision.evaluation not in c.state(("evaluation", decision.evaluation)).evaluations
    ):
        raise _violation(
            "unknown_evaluation",
            "evaluation",
            decision.evaluation,
            f"evaluation {decision.evaluation!r} is not commissioned on {c.on}",
        )


def recommendation_is_open(c: _Context) -> None:
    name = getattr(c.decision, "recommendation")  # noqa: B009
    rec = c.state(("recommendation", name)).recommendations.get(name)
    if rec is None:
        raise _violation(
            "unknown_recommendation",
            "recommendation",
            name,
            f"recommendation {name!r} is not issued on {c.on}",
        )
    closed_on = c.ever(("recommendation", name)).recommendations[name].closed_on
    if closed_on is not None:
        raise _violation(
            "recommendation_closed",
            "recommendation",
            name,
            f"recommendation {name!r} was closed on {closed_on}; a closed recommendation "
            "cannot be closed again or changed",
        )


def evaluation_is_new(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.EvaluationCommission)
    if decision.evaluation in c.ever(("evaluation", decision.evaluation)).evaluations:
        raise _violation(
            "evaluation_already_commissioned",
            "evaluation",
            decision.evaluation,
            "this evaluation id is already in use",
        )


def evaluation_is_pending(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.EvaluationReport)
    found = c.state(("evaluation", decision.evaluation)).evaluations.get(decision.evaluation)
    if found is None:
        raise _violation(
            "unknown_evaluation",
            "evaluation",
            decision.evaluation,
            f"evaluation {decision.evaluation!r} is not commissioned on {c.on}",
        )
    if c.ever(("evaluation", decision.evaluation)).evaluations[decision.evaluation].reported_on:
        raise _violation(
            "evaluation_already_reported",
            "evaluation",
            decision.evaluation,
            "this evaluation has already reported",
        )


def commitment_is_new(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.Commitment)
    if decision.commitment in c.ever(("commitment", decision.commitment)).commitments:
        raise _violation(
            "commitment_already_made",
            "commitment",
            decision.commitment,
            "this commitment id is already in use",
        )


def commitment_is_outstanding(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.CommitmentFulfilment)
    if decision.commitment not in c.state(("commitment", decision.commitment)).commitments:
        raise _violation(
            "unknown_commitment",
            "commitment",
            decision.commitment,
            f"commitment {decision.commitment!r} was not made by {c.on}",
        )
    kept_on = c.ever(("commitment", decision.commitment)).commitments[decision.commitment].kept_on
    if kept_on is not None:
        raise _violation(
            "commitment_already_kept",
            "commitment",
            decision.commitment,
            f"this commitment was already kept on {kept_on}",
        )


# --- consent, corrections, retractions --------------------------------------------------------


def _existing(c: _Context, field: str, decision_id: UUID) -> d.RecordedDecision:
    found = c.knowledge.get(decision_id)
    if found is None:
        raise _violation(
            "unknown_decision", field, str(decision_id), "no decision with this id is recorded"
        )
    return found


def consent_is_asked(c: _Context) -> None:
    decision = c.decision
    assert isinstance(decision, d.Consent)
    _existing(c, "decision", decision.decision)
    target = c.knowledge.current(decision.decision)
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
    root_id = c.knowledge.root_of.get(target.id, target.id)
    for candidate in {target.id, root_id}:
        if c.knowledge.is_retracted(candidate):
            raise _violation(
                "decision_retracted",
                "corrects",
                str(decision.corrects),
                "that decision was retracted; a retracted decision cannot be corrected",
            )
    kind = c.knowledge.by_id[root_id].decision.kind
    if decision.replacement.kind != kind:
        raise _violation(
            "correction_changes_kind",
            "replacement.kind",
            decision.replacement.kind,
            f"a correction must keep the kind of what it corrects ({kind})",
        )


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
    if c.knowledge.is_retracted(target.id):
        raise _violation(
            "decision_retracted",
            "retracts",
            str(decision.retracts),
            "that decision is already retracted",
        )


Rule = Callable[[_Context], None]

RULES: dict[type[d.Decision], tuple[Rule, ...]] = {
    d.PartyRegistration: (party_is_new,),
    d.PartyDissolution: (party_can_be_dissolved,),
    d.SubjectRegistration: (subject_is_new,),
    d.ResponsibilityAssignment: (role_is_not_yet_held,),
    d.ResponsibilityRelief: (role_is_held,),
    d.ResponsibilityTransfer: (role_is_held,),
    d.RiskIdentification: (risk_is_new,),
    d.RiskAssessment: (risk_is_known, criteria_are_established),
    d.RiskTreatment: (risk_is_known,),
    d.ResidualRiskAcceptance: (risk_is_known, criteria_are_established),
    d.AcceptanceWithdrawal: (risk_is_known, acceptance_is_in_force),
    d.FindingRecord: (finding_is_new,),
    d.RecommendationIssue: (recommendation_is_new_and_grounded,),
    d.RecommendationResponse: (recommendation_is_open,),
    d.RecommendationOwnerAssignment: (recommendation_is_open,),
    d.RecommendationProgress: (recommendation_is_open,),
    d.RecommendationClosure: (recommendation_is_open,),
    d.EvaluationCommission: (evaluation_is_new,),
    d.EvaluationReport: (evaluation_is_pending,),
    d.Commitment: (commitment_is_new,),
    d.CommitmentFulfilment: (commitment_is_outstanding,),
    d.Consent: (consent_is_asked,),
    d.DecisionCorrection: (correction_fits,),
    d.DecisionRetraction: (retraction_fits,),
}
"""Decision class -> the rules particular to it (after the common ones)."""

COMMON_RULES: tuple[Rule, ...] = (
    deciders_are_active,
    named_parties_are_active,
    named_subjects_are_registered,
)


def check(decision: d.Decision, knowledge: Knowledge) -> None:
    """Raise RuleViolation if the decision may not be recorded on top of `knowledge`."""
    context = _Context(decision, knowledge)
    for rule in (*COMMON_RULES, *RULES.get(type(decision), ())):
        rule(context)
    if isinstance(decision, d.DecisionCorrection):
        # The replacement's own deciders, parties and subjects must exist on its date too.
        replacement = _Context(decision.replacement, knowledge)
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
