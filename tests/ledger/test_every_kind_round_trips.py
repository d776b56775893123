"""Every decision kind can be recorded and read back, unchanged, from a fresh process."""

from __future__ import annotations

from domain.decisions import DECISION_CLASSES
from ledger.service import Ledger
from ledger.settings import Settings
from tests.builders import assign, basics, decision, party


def test_every_kind_is_recorded_and_read_back_unchanged(settings: Settings) -> None:
    ledger = Ledger(settings)
    # The cast and the world: parties, subjects, and the minister who needs the others' consent.
    first = ledger.record(
        [
            *basics(),
            party("minister-mz", kind="minister"),
            party("wodc", kind="evaluator"),
            party("inspectie", kind="inspectorate"),
            party("rav", kind="discipline", discipline="ambulance"),
            party("oud-beraad"),
            decision("party.dissolved", party="oud-beraad", decided_by=["minister-jenv"]),
            assign("smb", "c2000", "oversight", "2021-01-01"),
            assign("korpschef", "c2000", "responsible", "2021-01-01"),
            decision(
                "responsibility.relieved",
                party="smb",
                subject="c2000",
                role="oversight",
                effective_on="2021-06-01",
            ),
            decision(
                "responsibility.transferred",
                from_party="korpschef",
                to_party="smb",
                subject="c2000",
                role="responsible",
                effective_on="2021-09-01",
            ),
            decision(
                "framework.adopted",
                framework="bio",
                name="Baseline Informatiebeveiliging Overheid",
                scope=["c2000"],
                level="BBN2+",
                effective_on="2022-01-15",
            ),
            decision(
                "risk.acceptance_criteria_established",
                criteria="criteria-2022",
                description="Residual risk up to medium may be accepted by the SMB",
                scope=["c2000"],
                max_acceptable_level="medium",
            ),
            decision(
                "risk.identified", risk="c2000-afluisteren", system="c2000", title="Afluisteren"
            ),
            decision(
                "risk.assessed", risk="c2000-afluisteren", level="high", criteria="criteria-2022"
            ),
            decision(
                "risk.treatment_decided",
                risk="c2000-afluisteren",
                measure="Encryptie",
                status="implemented",
            ),
            decision(
                "risk.residual_accepted",
                risk="c2000-afluisteren",
                criteria="criteria-2022",
                accepted_level="medium",
                review_by="2023-02-03",
            ),
            decision(
                "risk.acceptance_withdrawn", risk="c2000-afluisteren", effective_on="2022-06-01"
            ),
            decision(
                "finding.recorded",
                finding="f1",
                number=1,
                text="Niet gestuurd op risicomanagement",
                decided_by=["inspectie"],
                effective_on="2021-12-16",
            ),
            decision(
                "recommendation.issued",
                recommendation="r1",
                text="Borg het commitment",
                findings=["f1"],
                decided_by=["inspectie"],
                effective_on="2021-12-16",
            ),
            decision(
                "recommendation.responded",
                recommendation="r1",
                response="endorsed",
                decided_by=["minister-jenv"],
            ),
            decision(
                "recommendation.owner_assigned",
                recommendation="r1",
                owner="smb",
                decided_by=["minister-jenv"],
            ),
            decision(
                "recommendation.progress_reported",
                recommendation="r1",
                progress="Kaders vastgesteld",
                effective_on="2022-03-01",
            ),
            decision("recommendation.closed", recommendation="r1", effective_on="2022-12-01"),
            decision(
                "evaluation.commissioned",
                evaluation="wodc-governance",
                title="Evaluatie governance",
                evaluator="wodc",
                decided_by=["minister-jenv"],
                effective_on="2021-07-01",
            ),
            decision(
                "evaluation.reported",
                evaluation="wodc-governance",
                summary="Lacunes gevonden",
                decided_by=["wodc"],
                effective_on="2022-07-01",
            ),
            decision(
                "commitment.made",
                commitment="verkenning-c2000",
                promise="Verkenning af in Q1 2022",
                due_on="2022-03-31",
                decided_by=["minister-jenv"],
            ),
            decision(
                "commitment.kept",
                commitment="verkenning-c2000",
                decided_by=["minister-jenv"],
                effective_on="2022-03-30",
            ),
            decision(
                "framework.adopted",
                framework="hoofdlijnen",
                name="Hoofdlijnen beleid",
                scope=["c2000"],
                decided_by=["minister-jenv"],
                requires_consent_of=["minister-mz"],
            ),
        ],
        recorded_by="secretariaat",
    )
    policy = first[-1]
    second = ledger.record(
        [
            decision("consent.given", decision=str(policy.id), decided_by=["minister-mz"]),
            decision(
                "decision.corrected",
                corrects=str(first[-2].id),
                replacement=first[-2].decision.model_dump(mode="json")
                | {"effective_on": "2022-03-29"},
            ),
            decision("decision.retracted", retracts=str(first[-3].id), reason="Dubbel geboekt"),
        ],
        recorded_by="secretariaat",
    )
    written = first + second
    assert {item.kind for item in written} == set(DECISION_CLASSES)
    ledger.close()

    # A fresh process reads back exactly what was written, in the same order.
    reopened = Ledger(settings)
    try:
        assert reopened.log(limit=1000) == written
        assert [r.position for r in written] == list(range(1, len(written) + 1))
        for item in written:
            assert reopened.get(item.id).recorded == item
    finally:
        reopened.close()


def test_recorded_at_comes_from_the_ledger_clock_and_never_runs_backwards(
    settings: Settings,
) -> None:
    from datetime import UTC, datetime

    ticks = iter([datetime(2030, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC)])
    ledger = Ledger(settings, clock=lambda: next(ticks))
    try:
        first = ledger.record([party("smb")], recorded_by="a")[0]
        second = ledger.record([party("lms", kind="agency")], recorded_by="a")[0]
        assert first.recorded_at == datetime(2030, 1, 1, tzinfo=UTC)
        assert second.recorded_at == first.recorded_at  # the clock went back; the ledger did not
    finally:
        ledger.close()
