"""The definition of time travel, narrated with scenarios from the letter.

The oracle answers "what held on D, as known at K"; these tests pin down what that means.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.vocabulary import Role
from ledger.service import Ledger
from ledger.settings import Settings
from projections import oracle
from projections.timeframe import end_of_day, parse_known_at
from tests.builders import assign, basics, decision, party


class FakeClock:
    """The ledger's clock, moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: str) -> None:
        self.now = datetime.fromisoformat(moment).replace(tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2022, 1, 1, tzinfo=UTC))


@pytest.fixture
def timed_ledger(settings: Settings, clock: FakeClock) -> Iterator[Ledger]:
    ledger = Ledger(settings, clock=clock)
    yield ledger
    ledger.close()


def holders(ledger: Ledger, subject: str, role: Role, as_of: str, known_at: str) -> set[str]:
    state = oracle.state(ledger.recorded(), date.fromisoformat(as_of), parse_known_at(known_at))
    return {h.party for h in state.holdings.values() if h.subject == subject and h.role is role}


def test_bbn2_plus_is_in_force_from_the_smbs_decision_not_the_day_before(
    timed_ledger: Ledger, clock: FakeClock
) -> None:
    # The SMB set the baseline security level at BBN2+ (recorded February 2022, effective 20 Jan).
    timed_ledger.record(basics(), recorded_by="clerk")
    clock.set("2022-02-03T09:00:00")
    timed_ledger.record(
        [
            decision(
                "framework.adopted",
                framework="bio",
                name="BIO",
                scope=["c2000"],
                level="BBN2+",
                effective_on="2022-01-20",
            )
        ],
        recorded_by="clerk",
    )
    now = datetime(2023, 1, 1, tzinfo=UTC)
    before = oracle.state(timed_ledger.recorded(), date(2022, 1, 19), now)
    on = oracle.state(timed_ledger.recorded(), date(2022, 1, 20), now)
    assert "bio" not in before.frameworks
    assert on.frameworks["bio"].level == "BBN2+"
    # As known on 1 February 2022, the adoption was not yet recorded.
    assert (
        "bio"
        not in oracle.state(
            timed_ledger.recorded(), date(2022, 1, 25), end_of_day(date(2022, 2, 1))
        ).frameworks
    )


def test_a_correction_recorded_later_changes_the_past_but_not_what_was_known_before(
    timed_ledger: Ledger, clock: FakeClock
) -> None:
    # 2021: the secretariat records that the korpschef is accountable for C2000 from 1 January 2021.
    clock.set("2021-01-05T10:00:00")
    recorded = timed_ledger.record(
        [*basics(), assign("korpschef", "c2000", "accountable", "2021-01-01")], recorded_by="clerk"
    )
    # 2023: it turns out the minister was the accountable party; the entry is corrected.
    clock.set("2023-03-01T10:00:00")
    wrong = recorded[-1]
    timed_ledger.record(
        [
            decision(
                "decision.corrected",
                corrects=str(wrong.id),
                replacement=wrong.decision.model_dump(mode="json") | {"party": "minister-jenv"},
            )
        ],
        recorded_by="clerk",
    )
    # Who was accountable for C2000 on 1 March 2021?
    assert holders(timed_ledger, "c2000", Role.ACCOUNTABLE, "2021-03-01", "2022-12-31") == {
        "korpschef"
    }
    assert holders(timed_ledger, "c2000", Role.ACCOUNTABLE, "2021-03-01", "2023-03-01") == {
        "minister-jenv"
    }


def test_a_retraction_removes_a_decision_from_the_time_it_was_recorded(
    timed_ledger: Ledger, clock: FakeClock
) -> None:
    clock.set("2021-01-05T10:00:00")
    recorded = timed_ledger.record(
        [*basics(), assign("smb", "c2000", "oversight", "2021-01-01")], recorded_by="clerk"
    )
    clock.set("2021-06-01T10:00:00")
    timed_ledger.record(
        [decision("decision.retracted", retracts=str(recorded[-1].id), reason="Verkeerd dossier")],
        recorded_by="clerk",
    )
    assert holders(timed_ledger, "c2000", Role.OVERSIGHT, "2021-03-01", "2021-05-31") == {"smb"}
    assert holders(timed_ledger, "c2000", Role.OVERSIGHT, "2021-03-01", "2021-06-01") == set()


def test_retracting_a_correction_restores_the_original(
    timed_ledger: Ledger, clock: FakeClock
) -> None:
    clock.set("2021-01-05T10:00:00")
    wrong = timed_ledger.record(
        [*basics(), assign("korpschef", "c2000", "accountable", "2021-01-01")], recorded_by="c"
    )[-1]
    clock.set("2021-02-01T10:00:00")
    fix = timed_ledger.record(
        [
            decision(
                "decision.corrected",
                corrects=str(wrong.id),
                replacement=wrong.decision.model_dump(mode="json") | {"party": "smb"},
            )
        ],
        recorded_by="c",
    )[0]
    clock.set("2021-03-01T10:00:00")
    timed_ledger.record(
        [decision("decision.retracted", retracts=str(fix.id), reason="Correctie was onjuist")],
        recorded_by="c",
    )
    assert holders(timed_ledger, "c2000", Role.ACCOUNTABLE, "2021-06-01", "2021-02-15") == {"smb"}
    assert holders(timed_ledger, "c2000", Role.ACCOUNTABLE, "2021-06-01", "2021-03-15") == {
        "korpschef"
    }


def test_a_correction_of_a_correction_replaces_the_replacement(
    timed_ledger: Ledger, clock: FakeClock
) -> None:
    wrong = timed_ledger.record(
        [*basics(), assign("korpschef", "c2000", "accountable", "2021-01-01")], recorded_by="c"
    )[-1]
    clock.now += timedelta(days=1)
    first_fix = timed_ledger.record(
        [
            decision(
                "decision.corrected",
                corrects=str(wrong.id),
                replacement=wrong.decision.model_dump(mode="json") | {"party": "smb"},
            )
        ],
        recorded_by="c",
    )[0]
    clock.now += timedelta(days=1)
    timed_ledger.record(
        [
            decision(
                "decision.corrected",
                corrects=str(first_fix.id),
                replacement=wrong.decision.model_dump(mode="json") | {"party": "minister-jenv"},
            )
        ],
        recorded_by="c",
    )
    assert holders(timed_ledger, "c2000", Role.ACCOUNTABLE, "2021-06-01", "2030-01-01") == {
        "minister-jenv"
    }


def test_a_backdated_decision_counts_from_its_effective_date_once_recorded(
    timed_ledger: Ledger, clock: FakeClock
) -> None:
    timed_ledger.record(basics(), recorded_by="c")
    clock.set("2022-02-03T12:00:00")
    timed_ledger.record(
        [assign("korpschef", "c2000", "responsible", "2020-07-01")], recorded_by="c"
    )
    assert holders(timed_ledger, "c2000", Role.RESPONSIBLE, "2021-01-01", "2022-02-02") == set()
    assert holders(timed_ledger, "c2000", Role.RESPONSIBLE, "2021-01-01", "2022-02-03") == {
        "korpschef"
    }


def test_a_decision_needing_consent_is_in_force_from_the_last_consent(timed_ledger: Ledger) -> None:
    # The 2020 law: the minister sets the main lines only in agreement with the other ministers.
    recorded = timed_ledger.record(
        [
            *basics(),
            party("minister-mz", kind="minister"),
            party("minister-def", kind="minister"),
            decision(
                "framework.adopted",
                framework="hoofdlijnen",
                name="Hoofdlijnen",
                scope=["c2000"],
                decided_by=["minister-jenv"],
                requires_consent_of=["minister-mz", "minister-def"],
                effective_on="2021-01-01",
            ),
        ],
        recorded_by="c",
    )
    policy = str(recorded[-1].id)
    timed_ledger.record(
        [
            decision(
                "consent.given",
                decision=policy,
                decided_by=["minister-mz"],
                effective_on="2021-02-01",
            )
        ],
        recorded_by="c",
    )
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert (
        "hoofdlijnen" not in oracle.state(timed_ledger.recorded(), date(2021, 6, 1), now).frameworks
    )
    timed_ledger.record(
        [
            decision(
                "consent.given",
                decision=policy,
                decided_by=["minister-def"],
                effective_on="2021-03-01",
            )
        ],
        recorded_by="c",
    )
    assert (
        "hoofdlijnen"
        not in oracle.state(timed_ledger.recorded(), date(2021, 2, 28), now).frameworks
    )
    assert oracle.state(timed_ledger.recorded(), date(2021, 3, 1), now).frameworks[
        "hoofdlijnen"
    ].adopted_on == date(2021, 3, 1)


def test_a_decision_that_no_longer_fits_after_a_correction_changes_nothing_and_is_reported(
    timed_ledger: Ledger,
) -> None:
    assigned = timed_ledger.record(
        [*basics(), assign("smb", "c2000", "oversight", "2021-01-01")], recorded_by="c"
    )[-1]
    relief = timed_ledger.record(
        [
            decision(
                "responsibility.relieved",
                party="smb",
                subject="c2000",
                role="oversight",
                effective_on="2021-06-01",
            )
        ],
        recorded_by="c",
    )[0]
    # The assignment is corrected to take effect only in 2022: the 2021 relief no longer fits.
    timed_ledger.record(
        [
            decision(
                "decision.corrected",
                corrects=str(assigned.id),
                replacement=assigned.decision.model_dump(mode="json")
                | {"effective_on": "2022-01-01"},
            )
        ],
        recorded_by="c",
    )
    state = oracle.state(
        timed_ledger.recorded(), date(2022, 6, 1), datetime(2030, 1, 1, tzinfo=UTC)
    )
    assert ("smb", "c2000", Role.OVERSIGHT) in state.holdings
    assert [(a.decision, a.rule) for a in state.anomalies] == [(relief.id, "role_not_held")]


def test_known_at_a_date_means_the_end_of_that_day_in_amsterdam() -> None:
    assert end_of_day(date(2022, 2, 3)) == datetime(2022, 2, 3, 22, 59, 59, 999999, tzinfo=UTC)
    assert parse_known_at("2022-07-01") == datetime(2022, 7, 1, 21, 59, 59, 999999, tzinfo=UTC)
    assert parse_known_at("2022-07-01T12:00:00Z") == datetime(2022, 7, 1, 12, tzinfo=UTC)
    with pytest.raises(ValueError, match="not a date"):
        parse_known_at("gisteren")
