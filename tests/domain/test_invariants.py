"""Each governance rule refuses what breaks it, with the field, the value and the rule named.

These run on the in-memory Knowledge (fast); tests/ledger checks that the ledger applies them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from domain.decisions import Decision
from domain.errors import RuleViolation
from domain.invariants import check
from domain.knowledge import Knowledge
from tests.builders import assign, basics, decision, known, party, remember, subject


def refused(decision_: Decision, knowledge: Knowledge) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        check(decision_, knowledge)
    return caught.value


def test_a_decider_must_be_registered() -> None:
    error = refused(
        assign("smb", "c2000", "oversight", "2021-01-01", decided_by=["lms"]), known(basics())
    )
    assert (error.rule, error.field, error.value) == ("decider_not_active", "decided_by[0]", "lms")
    assert "not registered" in error.explanation


def test_a_decider_must_be_registered_on_the_effective_date() -> None:
    history = [*basics(), party("lms", kind="agency", on="2021-01-01")]
    error = refused(
        assign("smb", "c2000", "informed", "2020-12-31", decided_by=["lms"]), known(history)
    )
    assert error.rule == "decider_not_active"
    check(assign("smb", "c2000", "informed", "2021-01-01", decided_by=["lms"]), known(history))


def test_a_dissolved_party_cannot_decide() -> None:
    history = [*basics(), decision("party.dissolved", party="korpschef", effective_on="2021-01-01")]
    error = refused(
        assign("smb", "c2000", "informed", "2021-06-01", decided_by=["korpschef"]), known(history)
    )
    assert error.rule == "decider_not_active"
    assert "dissolved on 2021-01-01" in error.explanation


def test_a_party_may_register_itself_but_no_other_unregistered_party_may_decide() -> None:
    check(party("lms", kind="agency"), known(basics()))
    error = refused(party("lms", kind="agency", decided_by=["lms", "ghost"]), known(basics()))
    assert (error.field, error.value) == ("decided_by[1]", "ghost")


def test_a_party_id_is_registered_once() -> None:
    assert refused(party("smb"), known(basics())).rule == "party_already_registered"


def test_a_subject_id_is_registered_once() -> None:
    assert refused(subject("c2000"), known(basics())).rule == "subject_already_registered"


def test_an_assignment_needs_a_registered_subject() -> None:
    error = refused(assign("smb", "gms", "accountable", "2021-01-01"), known(basics()))
    assert (error.rule, error.field, error.value) == ("unknown_subject", "subject", "gms")


def test_an_assignment_needs_the_subject_registered_by_its_date() -> None:
    history = [*basics(), subject("gms", on="2021-06-01")]
    assert (
        refused(assign("smb", "gms", "accountable", "2021-01-01"), known(history)).rule
        == "unknown_subject"
    )


def test_an_assignment_needs_an_active_assignee() -> None:
    error = refused(assign("lms", "c2000", "responsible", "2021-01-01"), known(basics()))
    assert (error.rule, error.field) == ("party_not_active", "party")


def test_a_role_already_held_cannot_be_assigned_again() -> None:
    history = [*basics(), assign("smb", "c2000", "oversight", "2021-01-01")]
    assert (
        refused(assign("smb", "c2000", "oversight", "2021-06-01"), known(history)).rule
        == "role_already_held"
    )


def test_relieving_a_role_not_held_on_that_date_is_refused() -> None:
    history = [*basics(), assign("smb", "c2000", "oversight", "2021-01-01")]
    relief = decision(
        "responsibility.relieved",
        party="smb",
        subject="c2000",
        role="oversight",
        effective_on="2020-12-31",
    )
    error = refused(relief, known(history))
    assert (error.rule, error.field, error.value) == ("role_not_held", "party", "smb")
    check(relief.model_copy(update={"effective_on": datetime(2021, 1, 1).date()}), known(history))


def test_transferring_a_role_the_party_does_not_hold_is_refused() -> None:
    transfer = decision(
        "responsibility.transferred",
        from_party="korpschef",
        to_party="smb",
        subject="c2000",
        role="responsible",
        effective_on="2021-06-01",
    )
    error = refused(transfer, known(basics()))
    assert (error.rule, error.field) == ("role_not_held", "from_party")


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("risk.assessed", {"level": "high"}),
        ("risk.treatment_decided", {"measure": "Encryptie", "status": "planned"}),
        ("risk.residual_accepted", {"accepted_level": "low", "review_by": "2023-01-01"}),
        ("risk.acceptance_withdrawn", {}),
    ],
)
def test_operations_on_an_unknown_risk_are_refused(kind: str, fields: dict[str, str]) -> None:
    error = refused(decision(kind, risk="afluisteren", **fields), known(basics()))
    assert (error.rule, error.field, error.value) == ("unknown_risk", "risk", "afluisteren")


def test_withdrawing_without_an_acceptance_in_force_is_refused() -> None:
    history = [*basics(), decision("risk.identified", risk="r", system="c2000", title="Uitval")]
    assert (
        refused(decision("risk.acceptance_withdrawn", risk="r"), known(history)).rule
        == "no_acceptance_in_force"
    )


def test_acceptance_against_unknown_criteria_is_refused() -> None:
    history = [*basics(), decision("risk.identified", risk="r", system="c2000", title="Uitval")]
    acceptance = decision(
        "risk.residual_accepted",
        risk="r",
        criteria="nergens",
        accepted_level="low",
        review_by="2023-01-01",
    )
    assert refused(acceptance, known(history)).rule == "unknown_criteria"


def recommendation_history() -> list[Decision]:
    return [
        *basics(),
        party("inspectie", kind="inspectorate"),
        decision(
            "finding.recorded",
            finding="f1",
            text="Geen sturing",
            decided_by=["inspectie"],
            effective_on="2021-12-16",
        ),
        decision(
            "recommendation.issued",
            recommendation="r1",
            text="Borg",
            findings=["f1"],
            decided_by=["inspectie"],
            effective_on="2021-12-16",
        ),
    ]


def test_a_recommendation_cannot_be_closed_twice() -> None:
    history = [
        *recommendation_history(),
        decision("recommendation.closed", recommendation="r1", effective_on="2022-06-01"),
    ]
    error = refused(
        decision("recommendation.closed", recommendation="r1", effective_on="2022-07-01"),
        known(history),
    )
    assert (error.rule, error.value) == ("recommendation_closed", "r1")
    # nor "closed again" on an earlier date than the first closure
    backdated = decision("recommendation.closed", recommendation="r1", effective_on="2022-03-01")
    assert refused(backdated, known(history)).rule == "recommendation_closed"


def test_a_recommendation_must_rest_on_recorded_findings() -> None:
    history = recommendation_history()
    issue = decision(
        "recommendation.issued",
        recommendation="r2",
        text="x",
        findings=["f9"],
        decided_by=["inspectie"],
    )
    error = refused(issue, known(history))
    assert (error.rule, error.field) == ("unknown_finding", "findings[0]")


def test_a_commitment_cannot_be_kept_twice_or_before_it_is_made() -> None:
    history = [
        *basics(),
        decision("commitment.made", commitment="c", promise="Brief", due_on="2022-06-30"),
    ]
    early = decision("commitment.kept", commitment="c", effective_on="2022-01-01")
    assert refused(early, known(history)).rule == "unknown_commitment"
    kept = [*history, decision("commitment.kept", commitment="c", effective_on="2022-05-01")]
    assert (
        refused(
            decision("commitment.kept", commitment="c", effective_on="2022-06-01"), known(kept)
        ).rule
        == "commitment_already_kept"
    )


def test_an_evaluation_reports_once() -> None:
    history = [
        *basics(),
        party("wodc", kind="evaluator"),
        decision(
            "evaluation.commissioned",
            evaluation="e",
            title="Governance",
            evaluator="wodc",
            effective_on="2021-07-01",
        ),
        decision(
            "evaluation.reported",
            evaluation="e",
            summary="Lacunes",
            decided_by=["wodc"],
            effective_on="2022-07-01",
        ),
    ]
    again = decision(
        "evaluation.reported",
        evaluation="e",
        summary="Nog eens",
        decided_by=["wodc"],
        effective_on="2022-08-01",
    )
    assert refused(again, known(history)).rule == "evaluation_already_reported"


def test_a_correction_must_keep_the_kind_of_what_it_corrects() -> None:
    knowledge = known(basics())
    target = knowledge.recorded[3]  # subject.registered c2000
    correction = decision(
        "decision.corrected",
        corrects=str(target.id),
        replacement=party("c2000").model_dump(mode="json"),
    )
    error = refused(correction, knowledge)
    assert (error.rule, error.field, error.value) == (
        "correction_changes_kind",
        "replacement.kind",
        "party.registered",
    )


def test_a_retracted_decision_cannot_be_corrected_or_retracted_again() -> None:
    history = known(basics())
    target = history.recorded[4]
    remember(history, decision("decision.retracted", retracts=str(target.id), reason="Dubbel"))
    correction = decision(
        "decision.corrected",
        corrects=str(target.id),
        replacement=target.decision.model_dump(mode="json") | {"name": "Anders"},
    )
    assert refused(correction, history).rule == "decision_retracted"
    again = decision("decision.retracted", retracts=str(target.id), reason="Nog eens")
    assert refused(again, history).rule == "decision_retracted"


def test_a_correction_or_retraction_must_name_a_recorded_decision() -> None:
    ghost = str(uuid.uuid4())
    error = refused(decision("decision.retracted", retracts=ghost, reason="?"), known(basics()))
    assert (error.rule, error.field, error.value) == ("unknown_decision", "retracts", ghost)


def test_a_correction_must_name_existing_deciders_in_its_replacement() -> None:
    knowledge = known(basics())
    target = knowledge.recorded[3]
    replacement = target.decision.model_dump(mode="json") | {"decided_by": ["ghost"]}
    error = refused(
        decision("decision.corrected", corrects=str(target.id), replacement=replacement), knowledge
    )
    assert (error.rule, error.field) == ("decider_not_active", "replacement.decided_by[0]")


def test_consent_must_be_asked_of_the_consenting_party() -> None:
    history = known([*basics(), party("minister-mz", kind="minister")])
    policy = remember(
        history,
        decision(
            "framework.adopted",
            framework="hoofdlijnen",
            name="Hoofdlijnen",
            scope=["c2000"],
            decided_by=["minister-jenv"],
            requires_consent_of=["minister-mz"],
        ),
    )
    check(decision("consent.given", decision=str(policy.id), decided_by=["minister-mz"]), history)
    error = refused(decision("consent.given", decision=str(policy.id), decided_by=["smb"]), history)
    assert (error.rule, error.field, error.value) == (
        "consent_not_required",
        "decided_by[0]",
        "smb",
    )
