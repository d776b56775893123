"""Scenarios from the letter, answered by the read model (and checked against the oracle)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.knowledge import Knowledge
from ledger.service import Ledger
from ledger.settings import Settings
from projections import oracle
from projections.answers import Moment, gaps_of
from projections.oracle import find_gaps
from tests import builders as b
from tests import reads
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
        state = reads.state(ledger, date(2022, 2, 3), NOW)
        assert state.frameworks["bio"].level == "BBN2+"
        assert "bio" not in reads.state(ledger, date(2022, 2, 2), NOW).frameworks
        # before it was recorded, nobody knew it, whatever the date asked about
        before = clock.now - timedelta(seconds=1)
        assert "bio" not in reads.state(ledger, date(2023, 1, 1), before).frameworks
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
        then = reads.holdings(ledger, day, known_before)
        assert [(h.party, h.since) for h in then] == [("korpschef", date(2021, 7, 1))]
        assert reads.holdings(ledger, day, NOW) == []
        now = reads.holdings(ledger, date(2022, 6, 1), NOW)
        assert [(h.party, h.since) for h in now] == [("smb", date(2022, 1, 1))]
        recorded = ledger.recorded()
        for moment in (known_before, NOW):
            for as_of in (day, date(2022, 6, 1)):
                assert reads.state(ledger, as_of, moment) == oracle.state(recorded, as_of, moment)
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
        [on_time] = reads.commitments(ledger, date(2022, 3, 31), NOW)
        [late] = reads.commitments(ledger, date(2022, 4, 1), NOW)
        assert (on_time.overdue, late.overdue) == (False, True)
        assert reads.commitments(ledger, date(2022, 4, 1), NOW, overdue=False) == []
        assert reads.recommendations(ledger, date(2022, 4, 1), NOW, status="open") == []
    finally:
        ledger.close()


def test_an_acceptance_by_parties_who_later_lost_the_accountable_role_is_a_gap_since_then(
    settings: Settings,
) -> None:
    """The read model answers "since when" of acceptance_without_authority from the
    accountable holdings' intervals it keeps: for one acceptor, from the end of its last
    accountable stretch; for several, from the end of the last stretch in which all of them
    were accountable (never earlier than the acceptance itself); as the definition does."""
    ledger = Ledger(settings)
    try:
        ledger.record(
            [
                *b.basics(),
                b.party("veiligheidsberaad"),
                b.assign("minister-jenv", "c2000", "accountable", "2021-01-01"),
                b.assign("korpschef", "c2000", "accountable", "2021-01-01"),
                b.relieve("korpschef", "c2000", "accountable", "2021-09-01"),
                *(
                    b.risk(risk, "c2000", "2021-06-01")
                    for risk in ("afluisteren", "storing", "uitval")
                ),
                # the minister alone, while accountable; the minister and the korpschef
                # together, while both were; the Veiligheidsberaad, never accountable
                *(
                    b.accept(risk, by, on)
                    for risk, by, on in [
                        ("afluisteren", ["minister-jenv"], "2022-01-15"),
                        ("storing", ["minister-jenv", "korpschef"], "2021-06-15"),
                        ("uitval", ["veiligheidsberaad"], "2021-07-01"),
                    ]
                ),
                # the minister's role ends (relieved, then briefly held again: two stretches)
                b.relieve("minister-jenv", "c2000", "accountable", "2022-02-01"),
                b.assign("minister-jenv", "c2000", "accountable", "2022-02-10"),
                b.relieve("minister-jenv", "c2000", "accountable", "2022-03-01"),
                b.assign("smb", "c2000", "accountable", "2022-03-01"),
            ],
            recorded_by="test",
        )
        as_of = date(2022, 6, 1)
        found = {
            gap.id: gap.since
            for gap in gaps_of(ledger, Moment(as_of, NOW))
            if gap.rule == "acceptance_without_authority"
        }
        assert found == {
            "afluisteren": date(2022, 3, 1),  # the end of the minister's last stretch
            "storing": date(2021, 9, 1),  # the korpschef left: no longer both accountable
            "uitval": date(2021, 7, 1),  # never accountable: since the acceptance
        }
        recorded = ledger.recorded()
        knowledge = Knowledge.of(recorded)
        assert gaps_of(ledger, Moment(as_of, NOW)) == find_gaps(
            oracle.state(recorded, as_of, NOW), knowledge, as_of
        )
    finally:
        ledger.close()


def test_an_accountable_role_ended_after_a_question_is_seen_by_the_next(settings: Settings) -> None:
    """The accountable holdings' intervals the read model keeps in memory follow the rows it
    closes: the korpschef accepted a risk while accountable (no gap); a question is asked (the
    intervals are loaded); then the korpschef is relieved, backdated (its open row closed, a
    shorter one written), or the assignment is retracted (its row closed, none written): the
    next question finds the gap, since the relief, or since the acceptance."""
    ledger = Ledger(settings)
    try:
        ledger.record(b.basics(), recorded_by="test")
        (assigned,) = ledger.record(
            [b.assign("korpschef", "c2000", "accountable", "2021-01-01")], recorded_by="test"
        )
        ledger.record(
            [
                b.risk("uitval", "c2000", "2021-06-01"),
                b.accept("uitval", ["korpschef"], "2021-07-01"),
            ],
            recorded_by="test",
        )
        as_of = date(2022, 6, 1)

        def since() -> list[date | None]:
            return [
                gap.since
                for gap in gaps_of(ledger, Moment(as_of, NOW))
                if gap.rule == "acceptance_without_authority"
            ]

        assert since() == []
        ledger.record(
            [b.relieve("korpschef", "c2000", "accountable", "2022-01-01")],
            recorded_by="test",
        )
        assert since() == [date(2022, 1, 1)]
        ledger.record(
            [b.decision("decision.retracted", retracts=str(assigned.id), reason="mistake")],
            recorded_by="test",
        )
        assert since() == [date(2021, 7, 1)]
        recorded = ledger.recorded()
        assert gaps_of(ledger, Moment(as_of, NOW)) == find_gaps(
            oracle.state(recorded, as_of, NOW), Knowledge.of(recorded), as_of
        )
    finally:
        ledger.close()


def test_an_inherited_acceptance_loses_its_authority_when_the_system_gets_its_own_holder(
    settings: Settings,
) -> None:
    """The minister, accountable for the domain above C2000, accepts a risk of C2000 (no gap:
    accountable by inheritance). Recorded later: the korpschef becomes accountable for C2000
    itself (the minister's inherited role ends there: a gap since then), then is relieved (the
    role is inherited again: no gap). Each is a change to who holds the role for C2000 alone,
    not to anything about the minister, and the next question still sees it."""
    ledger = Ledger(settings)
    try:
        ledger.record(
            [
                *b.basics()[:3],
                b.subject("informatiebeveiliging", kind="domain"),
                b.subject("c2000", parent="informatiebeveiliging"),
                b.assign("minister-jenv", "informatiebeveiliging", "accountable", "2021-01-01"),
                b.risk("uitval", "c2000", "2021-06-01"),
                b.accept("uitval", ["minister-jenv"], "2021-07-01"),
            ],
            recorded_by="test",
        )
        as_of = date(2022, 6, 1)

        def since() -> list[date | None]:
            found = gaps_of(ledger, Moment(as_of, NOW))
            recorded = ledger.recorded()
            assert found == find_gaps(
                oracle.state(recorded, as_of, NOW), Knowledge.of(recorded), as_of
            )
            return [gap.since for gap in found if gap.rule == "acceptance_without_authority"]

        assert since() == []
        ledger.record(
            [b.assign("korpschef", "c2000", "accountable", "2022-01-01")], recorded_by="test"
        )
        assert since() == [date(2022, 1, 1)]
        ledger.record(
            [b.relieve("korpschef", "c2000", "accountable", "2022-03-01")],
            recorded_by="test",
        )
        assert since() == []
    finally:
        ledger.close()
