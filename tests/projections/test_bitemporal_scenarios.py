"""Scenarios from the letter, answered by the read model (and checked against the oracle)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ledger.service import Ledger
from ledger.settings import Settings
from projections import oracle, queries
from tests import builders as b
from tests.projections.histories import StepClock

NOW = datetime(2100, 1, 1, tzinfo=UTC)


def test_the_smb_baseline_bbn2_plus_is_in_force_from_its_effective_date(settings: Settings) -> None:
    clock = StepClock()
    ledger = Ledger(settings, clock=clock)
    try:
        # 2020: the parties and the system are registered
        ledger.record(b.basics(), recorded_by="test")
        # recorded in 2024, backdated: the SMB set the baseline at BBN2+ on 3 February 2022
        clock.now += timedelta(days=1)
        ledger.record(
            [
                b.decision(
                    "framework.adopted",
                    framework="bio",
                    name="BIO",
                    scope=["c2000"],
                    level="BBN2+",
                    effective_on="2022-02-03",
                )
            ],
            recorded_by="test",
        )
        state = queries.governance_state(ledger, date(2022, 2, 3), NOW)
        assert state.frameworks["bio"].level == "BBN2+"
        assert "bio" not in queries.governance_state(ledger, date(2022, 2, 2), NOW).frameworks
        # before it was recorded, nobody knew it, whatever the date asked about
        before = clock.now - timedelta(seconds=1)
        assert "bio" not in queries.governance_state(ledger, date(2023, 1, 1), before).frameworks
    finally:
        ledger.close()


def test_a_correction_recorded_later_leaves_the_earlier_known_state_unchanged(
    settings: Settings,
) -> None:
    clock = StepClock()
    ledger = Ledger(settings, clock=clock)
    try:
        ledger.record(b.basics(), recorded_by="test")
        # the korpschef is recorded as accountable for C2000 from 1 July 2021...
        clock.now += timedelta(days=1)
        [assigned] = ledger.record(
            [b.assign("korpschef", "c2000", "accountable", "2021-07-01")], recorded_by="test"
        )
        known_before = clock.now
        # ...and a year later corrected: it was the SMB, from 1 January 2022
        clock.now += timedelta(days=365)
        ledger.record(
            [
                b.decision(
                    "decision.corrected",
                    corrects=str(assigned.id),
                    replacement=b.assign("smb", "c2000", "accountable", "2022-01-01").model_dump(
                        mode="json"
                    ),
                )
            ],
            recorded_by="test",
        )
        day = date(2021, 9, 1)
        then = queries.responsibilities(ledger, day, known_before)
        assert [(h.party, h.since) for h in then] == [("korpschef", date(2021, 7, 1))]
        assert queries.responsibilities(ledger, day, NOW) == []
        now = queries.responsibilities(ledger, date(2022, 6, 1), NOW)
        assert [(h.party, h.since) for h in now] == [("smb", date(2022, 1, 1))]
        recorded = ledger.recorded()
        for moment in (known_before, NOW):
            for as_of in (day, date(2022, 6, 1)):
                assert queries.governance_state(ledger, as_of, moment) == oracle.state(
                    recorded, as_of, moment
                )
    finally:
        ledger.close()


def test_commitments_are_overdue_after_their_due_date_until_kept(settings: Settings) -> None:
    ledger = Ledger(settings)
    try:
        ledger.record(
            [
                *b.basics(),
                b.decision(
                    "commitment.made",
                    decided_by=["minister-jenv"],
                    commitment="verkenning",
                    promise="exploration finished in Q1 2022",
                    due_on="2022-03-31",
                ),
            ],
            recorded_by="test",
        )
        [on_time] = queries.commitments(ledger, date(2022, 3, 31), NOW)
        [late] = queries.commitments(ledger, date(2022, 4, 1), NOW)
        assert (on_time.overdue, late.overdue) == (False, True)
        assert queries.commitments(ledger, date(2022, 4, 1), NOW, overdue=False) == []
        assert queries.recommendations(ledger, date(2022, 4, 1), NOW, status="open") == []
    finally:
        ledger.close()
