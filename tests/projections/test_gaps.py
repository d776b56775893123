"""Each gap rule fires on the situation it describes, and stays quiet when it is mended."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.decisions import Decision
from domain.gaps import Gap
from domain.knowledge import Knowledge
from ledger.service import Ledger
from ledger.settings import Settings
from projections.answers import Moment, gaps_of
from projections.oracle import find_gaps
from tests.builders import assign, basics, decision, known, party, remember


def gaps(decisions: list[Decision], on: str = "2022-06-01", rule: str | None = None) -> list[Gap]:
    knowledge = known(decisions)
    as_of = date.fromisoformat(on)
    found = find_gaps(knowledge.state(as_of), knowledge, as_of)
    for gap in found:  # every gap explains itself in Dutch too
        assert gap.message_nl and gap.explained("nl") != gap.explained("en")
    return [g for g in found if rule is None or g.rule == rule]


def covered() -> list[Decision]:
    """Every basic subject has one accountable and one responsible party."""
    return [
        *basics(),
        assign("minister-jenv", "c2000", "accountable", "2021-01-01"),
        assign("korpschef", "c2000", "responsible", "2021-01-01"),
        assign("minister-jenv", "informatiebeveiliging", "accountable", "2021-01-01"),
        assign("korpschef", "informatiebeveiliging", "responsible", "2021-01-01"),
    ]


def test_a_well_anchored_governance_has_no_gaps() -> None:
    assert gaps(covered()) == []


def test_a_subject_nobody_is_accountable_for_is_a_gap_since_its_last_accountable_left() -> None:
    history = [
        *covered(),
        decision(
            "responsibility.relieved",
            party="minister-jenv",
            subject="c2000",
            role="accountable",
            effective_on="2022-03-01",
        ),
    ]
    [gap] = gaps(history, rule="no_accountable")
    assert (gap.id, gap.since) == ("c2000", date(2022, 3, 1))
    assert gaps(history, on="2022-02-28", rule="no_accountable") == []


def test_two_accountable_parties_are_a_gap() -> None:
    history = [*covered(), assign("smb", "c2000", "accountable", "2022-01-01")]
    [gap] = gaps(history, rule="several_accountable")
    assert (gap.id, gap.since) == ("c2000", date(2022, 1, 1))
    assert "korpschef" not in gap.message and "smb" in gap.message


def test_accountable_without_responsible_is_a_gap() -> None:
    history = [
        *covered(),
        decision(
            "responsibility.relieved",
            party="korpschef",
            subject="c2000",
            role="responsible",
            effective_on="2022-02-01",
        ),
    ]
    [gap] = gaps(history, rule="no_responsible")
    assert gap.id == "c2000"
    transfer = [
        *covered(),
        decision(
            "responsibility.transferred",
            from_party="korpschef",
            to_party="smb",
            subject="c2000",
            role="responsible",
            effective_on="2022-02-01",
        ),
    ]
    assert gaps(transfer, rule="no_responsible") == []


def test_a_role_held_by_a_dissolved_party_is_a_gap() -> None:
    history = [
        *covered(),
        decision(
            "party.dissolved",
            party="korpschef",
            decided_by=["minister-jenv"],
            effective_on="2022-04-01",
        ),
    ]
    found = gaps(history, rule="role_held_by_dissolved_party")
    assert {(g.id, g.since) for g in found} == {("korpschef", date(2022, 4, 1))}
    assert len(found) == 2  # two roles
    assert gaps(history, on="2022-03-31", rule="role_held_by_dissolved_party") == []


def risky(*extra: Decision) -> list[Decision]:
    return [
        *covered(),
        decision(
            "risk.identified",
            risk="afluisteren",
            system="c2000",
            title="Afluisteren",
            effective_on="2021-06-01",
        ),
        *extra,
    ]


CRITERIA = decision(
    "risk.acceptance_criteria_established",
    criteria="k2022",
    description="Tot midden",
    scope=["c2000"],
    max_acceptable_level="medium",
    effective_on="2022-01-01",
    decided_by=["minister-jenv"],
)
ASSESSED = decision(
    "risk.assessed", risk="afluisteren", level="medium", criteria="k2022", effective_on="2022-01-15"
)


def accepted(
    by: str = "minister-jenv", criteria: str | None = "k2022", review_by: str = "2023-01-15"
) -> Decision:
    return decision(
        "risk.residual_accepted",
        risk="afluisteren",
        criteria=criteria,
        accepted_level="medium",
        review_by=review_by,
        decided_by=[by],
        effective_on="2022-01-15",
    )


def test_an_acceptance_without_criteria_is_a_gap() -> None:
    [gap] = gaps(
        risky(CRITERIA, ASSESSED, accepted(criteria=None)), rule="acceptance_without_criteria"
    )
    assert (gap.id, gap.since) == ("afluisteren", date(2022, 1, 15))
    assert gaps(risky(CRITERIA, ASSESSED, accepted()), rule="acceptance_without_criteria") == []


def test_an_acceptance_by_a_party_not_accountable_for_the_system_is_a_gap() -> None:
    [gap] = gaps(risky(CRITERIA, ASSESSED, accepted(by="smb")), rule="acceptance_without_authority")
    assert "smb" in gap.message
    assert gaps(risky(CRITERIA, ASSESSED, accepted()), rule="acceptance_without_authority") == []


def test_an_acceptance_past_its_review_date_is_a_gap_until_withdrawn() -> None:
    history = risky(CRITERIA, ASSESSED, accepted(review_by="2022-05-01"))
    [gap] = gaps(history, rule="acceptance_past_review")
    assert gap.since == date(2022, 5, 2)
    assert gaps(history, on="2022-05-01", rule="acceptance_past_review") == []
    withdrawn = [
        *history,
        decision(
            "risk.acceptance_withdrawn",
            risk="afluisteren",
            effective_on="2022-05-20",
            decided_by=["minister-jenv"],
        ),
    ]
    assert gaps(withdrawn, rule="acceptance_past_review") == []


def test_risks_on_a_system_without_acceptance_criteria_are_a_gap() -> None:
    [gap] = gaps(risky(), rule="no_acceptance_criteria")
    assert (gap.about, gap.id) == ("subject", "c2000")
    assert gaps(risky(CRITERIA), rule="no_acceptance_criteria") == []


def test_a_risk_identified_but_never_assessed_is_a_gap() -> None:
    [gap] = gaps(risky(), rule="risk_not_assessed")
    assert (gap.id, gap.since) == ("afluisteren", date(2021, 6, 1))
    assert gaps(risky(CRITERIA, ASSESSED), rule="risk_not_assessed") == []


def test_an_assessment_without_criteria_in_force_is_a_gap() -> None:
    unjudged = decision(
        "risk.assessed", risk="afluisteren", level="high", effective_on="2021-07-01"
    )
    assert [g.id for g in gaps(risky(unjudged), rule="assessment_without_criteria")] == [
        "afluisteren"
    ]
    assert gaps(risky(unjudged, CRITERIA, ASSESSED), rule="assessment_without_criteria") == []


def recommended(*extra: Decision, due_on: str | None = None) -> list[Decision]:
    issued = {"due_on": due_on} if due_on else {}
    return [
        *covered(),
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
            **issued,
        ),
        *extra,
    ]


OWNED = decision(
    "recommendation.owner_assigned", recommendation="r1", owner="smb", decided_by=["minister-jenv"]
)


def test_a_recommendation_without_an_owner_is_a_gap() -> None:
    [gap] = gaps(recommended(), rule="recommendation_without_owner")
    assert (gap.id, gap.since) == ("r1", date(2021, 12, 16))
    assert gaps(recommended(OWNED), rule="recommendation_without_owner") == []


def test_an_open_recommendation_past_its_due_date_is_a_gap_until_closed() -> None:
    history = recommended(OWNED, due_on="2022-05-01")
    [gap] = gaps(history, rule="recommendation_overdue")
    assert gap.since == date(2022, 5, 2)
    closed = [
        *history,
        decision("recommendation.closed", recommendation="r1", effective_on="2022-05-15"),
    ]
    assert gaps(closed, rule="recommendation_overdue") == []


def test_a_commitment_past_due_is_a_gap_until_kept() -> None:
    made = decision(
        "commitment.made",
        commitment="verkenning",
        promise="Verkenning in Q1",
        due_on="2022-03-31",
        decided_by=["minister-jenv"],
    )
    [gap] = gaps([*covered(), made], rule="commitment_overdue")
    assert (gap.id, gap.since) == ("verkenning", date(2022, 4, 1))
    assert gaps([*covered(), made], on="2022-03-31", rule="commitment_overdue") == []
    kept = decision(
        "commitment.kept",
        commitment="verkenning",
        effective_on="2022-03-30",
        decided_by=["minister-jenv"],
    )
    assert gaps([*covered(), made, kept], rule="commitment_overdue") == []


def needing_consent(framework: str, *parties: str) -> Decision:
    """A framework the minister adopts on 1 January 2022 in agreement with `parties`."""
    return decision(
        "framework.adopted",
        framework=framework,
        name=framework,
        scope=["c2000"],
        decided_by=["minister-jenv"],
        requires_consent_of=list(parties),
        effective_on="2022-01-01",
    )


def consents_missing(knowledge: Knowledge, as_of: date) -> list[str]:
    found = find_gaps(knowledge.state(as_of), knowledge, as_of)
    return [g.message for g in found if g.rule == "consent_missing"]


def test_a_decision_lacking_a_required_consent_is_a_gap_until_it_is_given() -> None:
    history = [
        *covered(),
        party("minister-mz", kind="minister"),
        needing_consent("hoofdlijnen", "minister-mz"),
    ]
    knowledge = known(history)
    as_of = date(2022, 6, 1)
    [gap] = [
        g
        for g in find_gaps(knowledge.state(as_of), knowledge, as_of)
        if g.rule == "consent_missing"
    ]
    assert "minister-mz" in gap.message and gap.since == date(2022, 1, 1)
    remember(
        knowledge,
        decision(
            "consent.given", decision=gap.id, decided_by=["minister-mz"], effective_on="2022-02-01"
        ),
    )
    assert [
        g
        for g in find_gaps(knowledge.state(as_of), knowledge, as_of)
        if g.rule == "consent_missing"
    ] == []


def test_a_decision_needing_two_consents_is_a_gap_until_the_second_is_given() -> None:
    """(the 2020 law: the main lines of policy in agreement with the ministers for medical care
    and for defence)"""
    history = [
        *covered(),
        party("minister-mz", kind="minister"),
        party("minister-def", kind="minister"),
        needing_consent("hoofdlijnen", "minister-mz", "minister-def"),
    ]
    knowledge = known(history)
    as_of = date(2022, 6, 1)

    def missing() -> list[str]:
        return consents_missing(knowledge, as_of)

    [first] = missing()
    assert "minister-mz, minister-def" in first
    root = str(knowledge.recorded[-1].id)
    for by in ("minister-def", "minister-mz"):
        remember(
            knowledge,
            decision("consent.given", decision=root, decided_by=[by], effective_on="2022-02-01"),
        )
        if by == "minister-def":
            [waiting] = missing()
            assert waiting.endswith("needs the consent of minister-mz")
    assert missing() == []


def test_decisions_needing_consent_recorded_after_a_report_are_found_by_the_next() -> None:
    """A consent given, then a second decision needing it, then the consent retracted: both
    wait again."""
    history = [*covered(), party("minister-mz", kind="minister")]
    knowledge = known(history)
    as_of = date(2022, 6, 1)

    def missing() -> list[str]:
        return consents_missing(knowledge, as_of)

    first = remember(knowledge, needing_consent("hoofdlijnen", "minister-mz"))
    assert len(missing()) == 1
    consent = remember(
        knowledge,
        decision(
            "consent.given",
            decision=str(first.id),
            decided_by=["minister-mz"],
            effective_on="2022-02-01",
        ),
    )
    assert missing() == []
    remember(knowledge, needing_consent("meldkamerstrategie", "minister-mz"))
    assert len(missing()) == 1
    remember(
        knowledge,
        decision("decision.retracted", retracts=str(consent.id), reason="given by mistake"),
    )
    assert len(missing()) == 2


def test_a_gap_past_a_date_begins_the_day_after_in_the_read_model_too(settings: Settings) -> None:
    """The rules whose only condition on the date asked is a threshold (past a review-by or
    due date) are kept by the read model as rows valid from the day after the date: the day
    itself is not yet a gap, the day after is — as in the replay (both backends)."""
    history = [
        *risky(CRITERIA, ASSESSED, accepted(review_by="2022-05-31")),
        *recommended(OWNED, due_on="2022-06-30")[len(covered()) :],
        decision(
            "commitment.made",
            commitment="verkenning",
            promise="Q1 2022",
            due_on="2022-03-31",
            decided_by=["minister-jenv"],
        ),
    ]
    ledger = Ledger(settings)
    try:
        ledger.record(history, recorded_by="clerk")
        now = datetime(2100, 1, 1, tzinfo=UTC)
        recorded = ledger.recorded()
        for rule, last_day in (
            ("acceptance_past_review", date(2022, 5, 31)),
            ("recommendation_overdue", date(2022, 6, 30)),
            ("commitment_overdue", date(2022, 3, 31)),
        ):
            for day, expected in ((last_day, 0), (last_day + timedelta(days=1), 1)):
                found = gaps_of(ledger, Moment(day, now))
                assert sum(g.rule == rule for g in found) == expected, (rule, day)
                knowledge = Knowledge.of(recorded)
                assert found == find_gaps(knowledge.state(day), knowledge, day)
    finally:
        ledger.close()
