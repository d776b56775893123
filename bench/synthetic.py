"""Realistic synthetic ledger histories: ten years of control-room governance, every decision kind.

`generate(n)` yields batches (one a simulated working day) of decisions: about 60 parties and
200 subjects (a tree three levels deep) registered first, then responsibilities assigned,
relieved and transferred (at most `HOLDINGS` held at once), frameworks, acceptance criteria,
risks (identified, assessed, treated, accepted, withdrawn), findings and recommendations
(responded, owned, progressed, closed), evaluations, commitments (made, kept), decisions that
need consent and the consents, about 5% backdated (up to four months) and about 2% corrected
later (moved in time, or given another level). A few parties are dissolved along the way.

`record(ledger, n, ...)` records them through `Ledger.record`, one batch a day, with the
ledger clock set to the simulated day; a decision the invariants refuse is dropped and its
batch retried, so every recorded history is valid.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any

from domain import decisions as d
from domain.errors import RuleViolation
from ledger.service import Ledger

START = date(2014, 1, 1)
YEARS = 10
PARTIES = 60
SUBJECTS = 200
ROLES = ("accountable", "responsible", "consulted", "informed", "oversight")
LEVELS = ("low", "medium", "high", "critical")
HOLDINGS = 25_000
"""At most this many responsibilities held at once: past it (beyond about 100k decisions), an
assignment becomes a transfer, so a longer history changes hands rather than giving every party
every role on every subject (the 100k history reaches it only in its last thousand decisions)."""


def parent_of(subject: int) -> str | None:
    """The subject tree: subjects 0-9 at the top, each with ten below it (10-19 under 1, ...),
    and so on down (subject 150 under 15 under 1): three levels."""
    return None if subject < 10 else f"subject-{subject // 10}"


@dataclass
class _World:
    """What the generator believes holds now, to propose decisions that mostly fit."""

    rnd: random.Random
    parties: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    holdings: dict[tuple[str, str, str], None] = field(default_factory=dict)
    """(party, subject, role) held, in the order assigned (a dict: the same seed, the same
    history, whatever the process's string hashes)."""
    risks: dict[str, bool] = field(default_factory=dict)  # risk -> an acceptance in force
    criteria: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    evaluations: list[str] = field(default_factory=list)
    commitments: list[str] = field(default_factory=list)
    correctable: list[d.RecordedDecision] = field(default_factory=list)
    waiting: list[tuple[d.RecordedDecision, str]] = field(default_factory=list)
    counter: int = 0

    def new_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"


def _make(kind: str, on: date, by: str, **fields: Any) -> d.Decision:
    return d.parse_decision(
        {
            "kind": kind,
            "decided_by": [by],
            "effective_on": on.isoformat(),
            "source": "Kamerstuk 25124-109",
            **fields,
        }
    )


def _kinds() -> list[tuple[str, float]]:
    return [
        ("assign", 30),
        ("relieve", 7),
        ("transfer", 9),
        ("framework", 2),
        ("criteria", 1),
        ("risk", 6),
        ("assess", 7),
        ("treat", 6),
        ("accept", 3),
        ("withdraw", 1),
        ("finding", 1.5),
        ("rec", 2),
        ("respond", 1.5),
        ("owner", 1.5),
        ("progress", 3),
        ("close", 1),
        ("evaluation", 0.4),
        ("report", 0.3),
        ("commit", 3),
        ("keep", 2),
        ("party", 0.3),
        ("dissolve", 0.1),
        ("needs-consent", 1),
        ("consent", 1),
        ("correct", 2),
        ("retract", 0.3),
    ]


def _propose(w: _World, kind: str, on: date) -> d.Decision | None:
    r = w.rnd
    by = r.choice(w.parties[:12])  # the ministers, boards and agencies decide
    if kind in ("assign", "needs-consent") and len(w.holdings) >= HOLDINGS:
        kind = "transfer"
    if kind in ("assign", "needs-consent"):
        party, subject, role = r.choice(w.parties), r.choice(w.subjects), r.choice(ROLES)
        if (party, subject, role) in w.holdings:
            return None
        w.holdings[(party, subject, role)] = None
        extra: dict[str, Any] = {}
        if kind == "needs-consent":
            extra["requires_consent_of"] = [party]
        return _make(
            "responsibility.assigned", on, by, party=party, subject=subject, role=role, **extra
        )
    if kind in ("relieve", "transfer"):
        if not w.holdings:
            return None
        party, subject, role = next(
            islice(iter(w.holdings), r.randrange(min(len(w.holdings), 200)), None)
        )
        w.holdings.pop((party, subject, role), None)
        if kind == "relieve":
            return _make("responsibility.relieved", on, by, party=party, subject=subject, role=role)
        to = r.choice(w.parties)
        if to == party or (to, subject, role) in w.holdings:
            return None
        w.holdings[(to, subject, role)] = None
        return _make(
            "responsibility.transferred",
            on,
            by,
            from_party=party,
            to_party=to,
            subject=subject,
            role=role,
        )
    if kind == "framework":
        return _make(
            "framework.adopted",
            on,
            by,
            framework=f"fw-{r.randint(1, 30)}",
            name="BIO",
            scope=r.sample(w.subjects, 3),
            level=r.choice(["BBN1", "BBN2", "BBN2+"]),
        )
    if kind == "criteria":
        w.criteria.append(w.new_id("crit"))
        return _make(
            "risk.acceptance_criteria_established",
            on,
            by,
            criteria=w.criteria[-1],
            description="criteria",
            scope=r.sample(w.subjects, 2),
            max_acceptable_level=r.choice(LEVELS),
        )
    if kind == "risk":
        risk = w.new_id("risk")
        w.risks[risk] = False
        return _make("risk.identified", on, by, risk=risk, system=r.choice(w.subjects), title="R")
    if kind in ("assess", "treat", "accept", "withdraw"):
        if not w.risks:
            return None
        risk = r.choice(list(w.risks)[-300:])
        if kind == "assess":
            return _make("risk.assessed", on, by, risk=risk, level=r.choice(LEVELS))
        if kind == "treat":
            return _make(
                "risk.treatment_decided",
                on,
                by,
                risk=risk,
                measure="patch",
                status=r.choice(["planned", "implemented"]),
            )
        if kind == "accept":
            if not w.criteria:
                return None
            w.risks[risk] = True
            return _make(
                "risk.residual_accepted",
                on,
                by,
                risk=risk,
                criteria=r.choice(w.criteria),
                accepted_level="low",
                review_by=(on + timedelta(days=365)).isoformat(),
            )
        if not w.risks[risk]:
            return None
        w.risks[risk] = False
        return _make("risk.acceptance_withdrawn", on, by, risk=risk)
    if kind == "finding":
        w.findings.append(w.new_id("finding"))
        return _make("finding.recorded", on, by, finding=w.findings[-1], text="finding")
    if kind == "rec":
        w.recommendations.append(w.new_id("rec"))
        return _make(
            "recommendation.issued",
            on,
            by,
            recommendation=w.recommendations[-1],
            text="do it",
            due_on=(on + timedelta(days=180)).isoformat(),
        )
    if kind in ("respond", "owner", "progress", "close"):
        if not w.recommendations:
            return None
        rec = r.choice(w.recommendations[-40:])
        if kind == "respond":
            return _make(
                "recommendation.responded",
                on,
                by,
                recommendation=rec,
                response=r.choice(["endorsed", "partly", "rejected"]),
            )
        if kind == "owner":
            return _make(
                "recommendation.owner_assigned",
                on,
                by,
                recommendation=rec,
                owner=r.choice(w.parties),
            )
        if kind == "progress":
            return _make(
                "recommendation.progress_reported", on, by, recommendation=rec, progress="on track"
            )
        w.recommendations.remove(rec)
        return _make("recommendation.closed", on, by, recommendation=rec)
    if kind == "evaluation":
        w.evaluations.append(w.new_id("eval"))
        return _make(
            "evaluation.commissioned",
            on,
            by,
            evaluation=w.evaluations[-1],
            title="E",
            evaluator=r.choice(w.parties),
        )
    if kind == "report":
        if not w.evaluations:
            return None
        return _make("evaluation.reported", on, by, evaluation=w.evaluations.pop(0), summary="S")
    if kind == "commit":
        w.commitments.append(w.new_id("commitment"))
        return _make(
            "commitment.made",
            on,
            by,
            commitment=w.commitments[-1],
            promise="inform",
            due_on=(on + timedelta(days=r.randint(30, 400))).isoformat(),
        )
    if kind == "keep":
        if not w.commitments:
            return None
        return _make("commitment.kept", on, by, commitment=w.commitments.pop(0))
    if kind == "party":
        party = w.new_id("party")
        w.parties.append(party)
        return _make(
            "party.registered", on, party, party=party, name=party.upper(), party_kind="agency"
        )
    if kind == "dissolve":
        if len(w.parties) <= 40:
            return None
        party = w.parties.pop()
        w.holdings = {h: None for h in w.holdings if h[0] != party}
        return _make("party.dissolved", on, by, party=party)
    if kind == "consent":
        if not w.waiting:
            return None
        target, party = w.waiting.pop(0)
        if party not in w.parties:
            return None
        return _make("consent.given", on, party, decision=str(target.id))
    if kind in ("correct", "retract"):
        if not w.correctable:
            return None
        target = w.correctable.pop(r.randrange(len(w.correctable)))
        if kind == "retract":
            return _make("decision.retracted", on, by, retracts=str(target.id), reason="mistake")
        content = target.decision.model_dump(mode="json")
        if content["kind"] == "risk.assessed":
            content["level"] = r.choice(LEVELS)
        else:
            moved = target.decision.effective_on + timedelta(days=r.randint(-20, 20))
            content["effective_on"] = moved.isoformat()
        return _make("decision.corrected", on, by, corrects=str(target.id), replacement=content)
    return None


def generate(
    n: int, seed: int = 2022, world: _World | None = None
) -> Iterator[tuple[date, list[d.Decision]]]:
    """Yield (simulated day, that day's decisions), about `n` decisions in all.

    Give a `world` to feed it what was recorded (decisions to correct or consent to).
    """
    w = world if world is not None else _World(random.Random(seed))
    days = YEARS * 365
    registrations = [
        _make(
            "party.registered",
            START,
            f"party-{i}",
            party=f"party-{i}",
            name=f"Partij {i}",
            party_kind="board",
        )
        for i in range(PARTIES)
    ]
    w.parties = [f"party-{i}" for i in range(PARTIES)]
    registrations += [
        _make(
            "subject.registered",
            START,
            "party-0",
            subject=f"subject-{i}",
            name=f"Systeem {i}",
            subject_kind="system",
            parent=parent_of(i),
        )
        for i in range(SUBJECTS)
    ]
    w.subjects = [f"subject-{i}" for i in range(SUBJECTS)]
    yield START, registrations
    kinds, weights = zip(*_kinds(), strict=True)
    per_day = max(1.0, (n - len(registrations)) / days)
    made, day = len(registrations), 1
    while made < n:
        today = START + timedelta(days=day)
        count = min(n - made, int(per_day) + (w.rnd.random() < per_day % 1))
        batch: list[d.Decision] = []
        for kind in w.rnd.choices(kinds, weights, k=count):
            on = today
            if w.rnd.random() < 0.05 and kind not in ("consent", "correct", "retract", "party"):
                on = today - timedelta(days=w.rnd.randint(1, 120))
            decision = _propose(w, kind, on)
            if decision is not None:
                batch.append(decision)
        made += len(batch)
        day += 1
        if batch:
            yield today, batch


def record(
    ledger: Ledger, n: int, seed: int = 2022, progress: Callable[[int], None] | None = None
) -> int:
    """Record a synthetic history of about `n` decisions; return how many were recorded."""
    clock_day = [START]

    def clock() -> datetime:
        return datetime.combine(clock_day[0], time(12), tzinfo=UTC)

    ledger._clock = clock
    world_rnd = random.Random(seed + 1)
    world = _World(random.Random(seed))
    total = 0
    for day, batch in generate(n, seed, world):
        clock_day[0] = day
        recorded: list[d.RecordedDecision] = []
        while batch:
            try:
                recorded += ledger.record(batch, recorded_by="synthetic")
                break
            except RuleViolation as violation:
                # what came before the refused decision fits: record it, skip the refused one
                index = violation.decision_index if violation.decision_index is not None else 0
                if index:
                    recorded += ledger.record(batch[:index], recorded_by="synthetic")
                del batch[: index + 1]
        if not recorded:
            continue
        total += len(recorded)
        for item in recorded:  # what the generator may later consent to or correct
            decision = item.decision
            if decision.requires_consent_of:
                world.waiting.append((item, decision.requires_consent_of[0]))
            correctable = d.ResponsibilityAssignment | d.RiskAssessment | d.Commitment
            if isinstance(decision, correctable) and world_rnd.random() < 0.1:
                world.correctable.append(item)
        world.correctable = world.correctable[-500:]
        if progress is not None:
            progress(total)
    return total
