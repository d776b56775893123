"""The letter of 3 February 2022 (Kamerstuk 25 124, nr. 109) as a living demo scenario.

Each test loads the scenario into a fresh ledger (on SQLite and on PostgreSQL) and checks a
fact the letter states, by replaying the ledger as it stood on a date.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from domain.errors import InvalidDecision
from domain.governance import GovernanceState
from domain.vocabulary import Basis, Role
from ledger.demo import DEMO_FILE, DEMO_IDEMPOTENCY_KEY, load_demo
from ledger.service import Ledger
from ledger.settings import Settings
from projections import oracle
from projections.timeframe import end_of_day

LETTER = date(2022, 2, 3)
REPORT = date(2021, 12, 16)
DAY = timedelta(days=1)


@pytest.fixture
def demo(settings: Settings) -> Iterator[Ledger]:
    ledger = Ledger(settings)
    try:
        load_demo(ledger)
        yield ledger
    finally:
        ledger.close()


def state_on(ledger: Ledger, as_of: date) -> GovernanceState:
    """The governance on `as_of`, as known now."""
    return oracle.state(ledger.recorded(), as_of, datetime.now(UTC))


def lines_in_demo_file() -> int:
    return sum(1 for line in DEMO_FILE.read_text(encoding="utf-8").splitlines() if line.strip())


def test_loading_the_demo_twice_records_nothing_new(settings: Settings) -> None:
    ledger = Ledger(settings)
    try:
        # A newcomer loads the letter: every line of the scenario becomes one decision.
        assert load_demo(ledger) == lines_in_demo_file()
        assert 60 <= ledger.head <= 120
        # Loading it again, from this process or another, records nothing.
        assert load_demo(ledger) == 0
        again = Ledger(settings)
        try:
            assert load_demo(again) == 0
        finally:
            again.close()
        assert ledger.head == lines_in_demo_file()
        with ledger.reading() as tables:
            assert tables.request("", f"{DEMO_IDEMPOTENCY_KEY}:1") is not None
    finally:
        ledger.close()


def test_every_decision_rests_on_a_document_and_was_entered_by_the_demo(demo: Ledger) -> None:
    recorded = demo.recorded()
    assert {item.recorded_by for item in recorded} == {"demo"}
    sources = {item.decision.source for item in recorded}
    assert "Kamerstuk 25124-109" in sources
    assert "Kamerstuk 25124/29517-108" in sources
    assert "Inspectie JenV, Informatiebeveiliging van meldkamersystemen (16-12-2021)" in sources
    assert "ADR, onderzoek Beveiliging C2000, 2017 (Kamerstuk 25124-96)" in sources
    assert "Wijzigingswet meldkamers (in werking 1-7-2020)" in sources


def test_the_demo_marks_what_the_letter_does_not_say_literally_as_inferred(
    demo: Ledger,
) -> None:
    """Every decision whose rationale calls it an assumption is recorded as inferred, and so
    are most of the roles: the letter names few of them in so many words."""
    recorded = [item.decision for item in demo.recorded()]
    assumed = [x for x in recorded if "aanname" in (x.rationale or "").lower()]
    assert assumed and all(x.basis is Basis.INFERRED for x in assumed)
    roles = [x for x in recorded if x.kind == "responsibility.assigned"]
    inferred = [x for x in roles if x.basis is Basis.INFERRED]
    assert len(roles) // 2 < len(inferred) < len(roles)  # stated ones remain, quoted
    stated = [x for x in roles if x.basis is Basis.STATED]
    assert any("'" in (x.rationale or "") for x in stated)


def test_the_parties_of_the_letter_take_part(demo: Ledger) -> None:
    state = state_on(demo, LETTER)
    for party in (
        "minister-jenv",
        "minister-mz",
        "minister-def",
        "rav",
        "veiligheidsregios",
        "politie",
        "korpschef",
        "smb",
        "lms",
        "programma-c2000",
        "inspectie",
        "wodc",
        "adr",
    ):
        assert party in state.parties, party
    assert state.parties["smb"].name == "Strategisch Meldkamer Beraad (SMB)"
    assert state.parties["rav"].discipline is not None
    assert state.parties["rav"].discipline.value == "ambulance"
    assert state.subjects["c2000-centraal"].parent == "c2000"
    assert state.subjects["c2000"].parent == "meldkamersystemen"


def test_the_korpschef_is_responsible_for_control_room_ict_management(demo: Ledger) -> None:
    # "De korpschef is verantwoordelijk en voert dit uit vanuit zijn verantwoordelijkheid voor
    # het beheer." The SMB oversees and steers the management of the ICT facilities.
    on_letter = state_on(demo, LETTER)
    assert on_letter.holds("korpschef", "ict-beheer", Role.RESPONSIBLE)
    assert on_letter.holds("korpschef", "ict-beheer", Role.ACCOUNTABLE)
    assert on_letter.holds("smb", "ict-beheer", Role.OVERSIGHT)
    # The role came with the amending law of 1 July 2020, not before.
    before_the_law = state_on(demo, date(2020, 7, 1) - DAY)
    assert not before_the_law.holds("korpschef", "ict-beheer", Role.RESPONSIBLE)


def test_the_disciplines_are_responsible_within_their_own_discipline(demo: Ledger) -> None:
    state = state_on(demo, LETTER)
    assert state.holds("politie", "bio-implementatie-politie", Role.ACCOUNTABLE)
    assert state.holds("rav", "bio-implementatie-ambulance", Role.RESPONSIBLE)
    assert state.holds("lms", "ib-beleid-meldkamer", Role.RESPONSIBLE)
    assert state.holds("minister-jenv", "ib-strategische-kaders", Role.RESPONSIBLE)
    assert state.holds("programma-c2000", "risicomanagement-c2000", Role.RESPONSIBLE)
    assert not state.holds("rav", "bio-implementatie-politie", Role.RESPONSIBLE)


def test_the_smb_baseline_bbn2_plus_is_in_force_from_its_date_and_not_the_day_before(
    demo: Ledger,
) -> None:
    adopted = next(
        item.effective_on
        for item in demo.recorded()
        if item.kind == "framework.adopted" and getattr(item.decision, "level", None) == "BBN2+"
    )
    assert adopted < LETTER  # "onlangs", before the letter
    framework = state_on(demo, adopted).frameworks["basisbeveiligingsniveau-bbn2plus"]
    assert framework.level == "BBN2+"
    assert framework.adopted_by == ["smb"]
    assert "basisbeveiligingsniveau-bbn2plus" not in state_on(demo, adopted - DAY).frameworks
    # The disciplines together adopted the BIO as their framework.
    bio = state_on(demo, LETTER).frameworks["bio"]
    assert set(bio.adopted_by) == {"politie", "veiligheidsregios", "rav", "minister-def"}


def test_five_findings_and_one_recommendation_exist_from_the_inspectorate_report(
    demo: Ledger,
) -> None:
    def inspectorate(state: GovernanceState) -> tuple[list[int | None], list[str]]:
        numbers = sorted(
            (f.number for f in state.findings.values() if f.recorded_by == ["inspectie"]),
            key=lambda n: n or 0,
        )
        recommendations = [
            r.id for r in state.recommendations.values() if r.issued_by == ["inspectie"]
        ]
        return numbers, recommendations

    assert inspectorate(state_on(demo, REPORT - DAY)) == ([], [])
    on_report = state_on(demo, REPORT)
    assert inspectorate(on_report) == ([1, 2, 3, 4, 5], ["r1"])
    assert on_report.recommendations["r1"].findings == ["f1", "f2", "f3", "f4", "f5"]
    assert "rest-risico" in on_report.findings["f5"].text


def test_the_minister_endorses_the_recommendation_from_the_letter_and_not_before(
    demo: Ledger,
) -> None:
    before = state_on(demo, LETTER - DAY).recommendations["r1"]
    assert before.response is None
    assert before.owner is None  # between report and letter: a recommendation with no owner
    after = state_on(demo, LETTER).recommendations["r1"]
    assert after.response == "endorsed"
    assert after.responded_on == LETTER
    assert after.owner == "minister-jenv"
    assert after.status == "open"


def test_the_q1_2022_exploration_is_overdue_on_1_april_if_not_kept(demo: Ledger) -> None:
    def overdue(as_of: date) -> bool:
        commitment = state_on(demo, as_of).commitments["verkenning-c2000-keten-q1-2022"]
        return commitment.kept_on is None and commitment.due_on < as_of

    assert state_on(demo, LETTER).commitments["verkenning-c2000-keten-q1-2022"].due_on == date(
        2022, 3, 31
    )
    assert not overdue(date(2022, 3, 31))
    assert overdue(date(2022, 4, 1))
    # The agreement of 1 July 2020 to evaluate after one year was kept: the WODC evaluates.
    state = state_on(demo, LETTER)
    assert state.commitments["evaluatie-governance-na-een-jaar"].kept_on is not None
    evaluation = state.evaluations["wodc-governance-meldkamers"]
    assert evaluation.evaluator == "wodc"
    assert evaluation.reported_on is None  # results expected mid-2022


def test_no_acceptance_criteria_are_in_force_when_the_letter_is_sent(demo: Ledger) -> None:
    # Inspectorate finding 5: no criteria yet for accepting residual risk. Finding 3: the risks
    # are not yet fully assessed against criteria. Both gaps stay visible in the data.
    state = state_on(demo, LETTER)
    assert state.criteria == {}
    assert all(not risk.acceptances for risk in state.risks.values())
    assert all(a.criteria is None for risk in state.risks.values() for a in risk.assessments)
    assert [r.id for r in state.risks.values() if not r.assessments]
    c2000 = state.risks["c2000-ib-centraal"]
    statuses = {t.status for t in c2000.treatments}
    assert statuses == {"implemented", "planned"}


def test_before_the_demo_was_recorded_nothing_was_known(demo: Ledger) -> None:
    first = demo.recorded()[0].recorded_at
    earlier = oracle.state(demo.recorded(), LETTER, first - timedelta(microseconds=1))
    assert earlier.parties == {}
    assert state_on(demo, LETTER).anomalies == []


def test_ledger_demo_command_loads_the_scenario_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.cli import app

    monkeypatch.setenv("LEDGER_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("LEDGER_DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("LEDGER_DATABASE_URL", raising=False)
    runner = CliRunner()
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    assert f"recorded {lines_in_demo_file()} decision(s)" in first.output
    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0, second.output
    assert "recorded 0 decision(s)" in second.output


def test_the_demo_is_recorded_as_the_secretariat_would_have_recorded_it(demo: Ledger) -> None:
    # Each decision is recorded at the end of the day it took effect, so "as known at" matters:
    # the minister's endorsement of 3 February 2022 was not known the day before.
    recorded = demo.recorded()
    times = [item.recorded_at for item in recorded]
    assert times == sorted(times)
    endorsement = next(i for i in recorded if i.kind == "recommendation.responded")
    assert endorsement.recorded_at.date() == date(2022, 2, 3)
    before = oracle.state(recorded, date(2022, 2, 3), end_of_day(date(2022, 2, 2)))
    after = oracle.state(recorded, date(2022, 2, 3), end_of_day(date(2022, 2, 3)))
    assert all(r.response is None for r in before.recommendations.values())
    assert {r.response for r in after.recommendations.values()} == {"endorsed"}


def test_a_demo_line_naming_no_earlier_line_is_refused_and_nothing_recorded(
    settings: Settings, tmp_path: Path
) -> None:
    """A `"line:N"` reference must name an earlier line of the file; the file is checked whole
    before anything is recorded."""
    lines = DEMO_FILE.read_text(encoding="utf-8").splitlines()[:3]
    forward = (
        '{"kind": "decision.retracted", "decided_by": ["minister-jenv"], "effective_on": '
        '"2018-01-01", "source": "test", "retracts": "line:9", "reason": "test"}'
    )
    scenario = tmp_path / "scenario.jsonl"
    scenario.write_text("\n".join([*lines, forward]) + "\n", encoding="utf-8")
    ledger = Ledger(settings)
    try:
        with pytest.raises(InvalidDecision) as refused:
            load_demo(ledger, scenario)
        (problem,) = refused.value.problems
        assert (problem.field, problem.message) == ("line 4: retracts", "names no earlier line")
        assert ledger.head == 0
    finally:
        ledger.close()
