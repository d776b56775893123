"""Generated ledger histories: every kind of disturbance the read model must survive.

A history is a list of small integer tuples; `record_history` reads each one as a decision
(backdated or not, a transfer, a dissolution, a correction of anything recorded so far, a
retraction, a consent), records it through `Ledger.record` and skips the ones the invariants
refuse. The ledger clock advances by 0 to 2 seconds a step, so several decisions can share a
recorded_at (as a batch does).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from domain import decisions as d
from domain.errors import DomainError
from domain.knowledge import Knowledge
from domain.vocabulary import LATEST_DATE
from ledger.service import Ledger

START = date(2020, 1, 1)
DAYS = 90
PARTIES = ("p0", "p1", "p2", "p3")
SUBJECTS = ("s0", "s1", "s2")
ROLES = ("accountable", "responsible")
MORE_ROLES = ("consulted", "oversight")
"""The roles a step with c = 3 or 4 names (only `busy_histories` draws those; such a step's
acceptance of residual risk is decided by one or two of the parties, not by the SMB)."""
KINDS = (
    "party",
    "dissolve",
    "subject",
    "assign",
    "assign",
    "relieve",
    "transfer",
    "risk",
    "assess",
    "accept",
    "withdraw",
    "rec",
    "owner",
    "close",
    "commit",
    "keep",
    "framework",
    "needs-consent",
    "consent",
    "correct",
    "correct",
    "retract",
)

Step = tuple[str, int, int, int, int, int]

steps = st.tuples(
    st.sampled_from(KINDS),
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(0, DAYS),
    st.integers(0, 2),
    st.integers(0, 10**6),
)
histories = st.lists(steps, min_size=1, max_size=35)

BUSY_KINDS = (
    *("assign",) * 8,
    *("needs-consent", "consent", "relieve", "transfer", "transfer", "dissolve"),
    *("correct", "correct", "retract", "risk", "risk", "accept", "accept", "framework"),
)


def _spread(history: list[Step]) -> list[Step]:
    """Shift each step's party, subject and role by its place in the history, so that even
    the simplest draws (all zeros, which hypothesis favours) name many different roles."""
    return [
        (kind, (a + i) % 4, (b + i // 4) % 4, day, (c + i) % 5, n)
        for i, (kind, a, b, day, c, n) in enumerate(history)
    ]


busy_histories = st.lists(
    st.tuples(
        st.sampled_from(BUSY_KINDS),
        st.integers(0, 3),
        st.integers(0, 3),
        st.integers(20, DAYS),  # (after the prelude has registered every party and subject)
        st.integers(0, 4),
        st.integers(0, 10**6),
    ),
    min_size=12,
    max_size=30,
).map(_spread)
"""Histories dense in responsibilities: many roles held at once, all five kinds of role, often
several by one party for one subject (what the matrix groups), and accountable parties for
the systems whose risks are accepted (what the acceptance rules compare)."""

TANGLED_KINDS = (
    *("assign",) * 4,
    *("relieve", "relieve", "transfer", "transfer"),
    *("correct", "correct", "retract", "retract"),
    *("needs-consent", "consent", "dissolve", "accept"),
)

tangled_histories = st.lists(
    st.tuples(
        st.sampled_from(TANGLED_KINDS),
        st.integers(0, 3),
        st.integers(0, 1),  # two subjects: the same roles met again and again
        st.sampled_from((20, 21, 40, 60)),  # few dates: many ties, many reorderings
        st.integers(0, 4),
        st.integers(0, 10**6),
    ),
    min_size=10,
    max_size=35,
)
"""Histories on few dates and few subjects, heavy in reliefs, transfers, corrections and
retractions: the same role assigned and relieved on dates before and after one another,
retractions and corrections of later-dated decisions followed by earlier-dated ones,
corrections of corrections, retractions of corrections (what re-folds a group from a day the
rows of which were cut by a later decision since retracted)."""


AUTHORITY_KINDS = (
    *("assign",) * 4,
    *("relieve", "transfer", "accept", "accept", "withdraw"),
    *("correct", "retract"),
)


def _risks_first(history: list[Step]) -> list[Step]:
    """On a tree (one level or a chain, chosen by the history): p0 and p1 accountable for s0,
    the root, and risks r0 on s1 and r1 on s2 identified, all early; then the history."""
    tree = 1 + history[0][5] % 2 if history else 1
    first = [("assign", 0, 0, 10, 0, tree), ("assign", 1, 0, 10, 0, 0)]
    return [*first, ("risk", 0, 1, 10, 0, 0), ("risk", 1, 2, 10, 0, 0), *history]


authority_histories = st.lists(
    st.tuples(
        st.sampled_from(AUTHORITY_KINDS),
        st.integers(0, 3),
        st.integers(0, 2),
        st.sampled_from((20, 30, 45, 60)),
        st.sampled_from((0, 0, 3, 4)),  # assign: accountable (0); accept: by parties (3, 4)
        st.integers(0, 10**6),
    ),
    min_size=10,
    max_size=30,
).map(_risks_first)
"""Histories of accountable roles coming and going on the subjects of a tree while residual
risks are accepted by the parties that hold them (directly or by inheritance from above): what
the acceptance rules read, changed before and after each acceptance, on few dates."""


class StepClock:
    """A ledger clock the history moves forward by hand."""

    def __init__(self) -> None:
        self.now = datetime(2024, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _on(days: int) -> str:
    return (START + timedelta(days=days)).isoformat()


def _decision(kind: str, **fields: Any) -> d.Decision:
    data: dict[str, Any] = {"kind": kind, "decided_by": ["smb"], "source": "test"}
    data.update(fields)
    return d.parse_decision(data)


def build(step: Step, recorded: list[d.RecordedDecision], ledger: Ledger) -> d.Decision | None:
    """Read one step as a decision (None if it names nothing that could be corrected)."""
    kind, a, b, day, c, n = step
    on = _on(day)
    party, other = PARTIES[a], PARTIES[(a + 1 + c % 3) % 4]
    subject, role = SUBJECTS[b % 3], ROLES[c % 2] if c < 3 else MORE_ROLES[c - 3]
    if kind == "party":
        return _decision(
            "party.registered",
            party=party,
            name=party.upper(),
            party_kind="board",
            decided_by=[party],
            effective_on=on,
        )
    if kind == "dissolve":
        return _decision("party.dissolved", party=party, effective_on=on)
    if kind == "subject":
        return _decision(
            "subject.registered",
            subject=subject,
            name=subject.upper(),
            subject_kind="system",
            effective_on=on,
        )
    if kind == "assign":
        return _decision(
            "responsibility.assigned", party=party, subject=subject, role=role, effective_on=on
        )
    if kind == "needs-consent":
        return _decision(
            "responsibility.assigned",
            party=party,
            subject=subject,
            role=role,
            effective_on=on,
            requires_consent_of=[other] if b % 2 else [other, "smb"],
        )
    if kind in ("relieve", "transfer"):
        # mostly relieve or transfer a role someone holds (as now known), on or after its start
        held = sorted(
            Knowledge.of(recorded).state(LATEST_DATE).holdings.values(),
            key=lambda h: (h.subject, h.party, h.role.value),
        )
        if held and n % 4:
            holding = held[n % len(held)]
            party, subject, role = holding.party, holding.subject, holding.role.value
            on = max(on, (holding.since + timedelta(days=c)).isoformat())
            other = next(p for p in PARTIES if p != party and p != other) if c == 2 else other
            if other == party:
                other = PARTIES[(PARTIES.index(party) + 1) % 4]
        if kind == "relieve":
            return _decision(
                "responsibility.relieved", party=party, subject=subject, role=role, effective_on=on
            )
        return _decision(
            "responsibility.transferred",
            from_party=party,
            to_party=other,
            subject=subject,
            role=role,
            effective_on=on,
        )
    risk = f"r{a % 2}"
    if kind == "risk":
        return _decision("risk.identified", risk=risk, system=subject, title="T", effective_on=on)
    if kind == "assess":
        return _decision("risk.assessed", risk=risk, level=("low", "high")[c % 2], effective_on=on)
    if kind == "accept":  # (by parties that hold roles, in busy histories: see MORE_ROLES)
        return _decision(
            "risk.residual_accepted",
            risk=risk,
            accepted_level="low",
            review_by=_on(day + 30 + b),
            effective_on=on,
            decided_by=["smb"] if c < 3 else [party] if c == 3 else [party, other],
        )
    if kind == "withdraw":
        return _decision("risk.acceptance_withdrawn", risk=risk, effective_on=on)
    rec = f"c{a % 2}"
    if kind == "rec":
        return _decision("recommendation.issued", recommendation=rec, text="R", effective_on=on)
    if kind == "owner":
        return _decision(
            "recommendation.owner_assigned", recommendation=rec, owner=party, effective_on=on
        )
    if kind == "close":
        return _decision("recommendation.closed", recommendation=rec, effective_on=on)
    if kind == "commit":
        return _decision(
            "commitment.made",
            commitment=f"m{a % 2}",
            promise="P",
            due_on=_on(day + 10 * b),
            effective_on=on,
        )
    if kind == "keep":
        return _decision("commitment.kept", commitment=f"m{a % 2}", effective_on=on)
    if kind == "framework":
        return _decision(
            "framework.adopted",
            framework=f"f{a % 2}",
            name="BIO",
            scope=[subject],
            level=("BBN1", "BBN2+")[c % 2],
            effective_on=on,
        )
    if len(recorded) < 2:
        return None
    if kind == "consent":
        waiting = [r for r in recorded if r.decision.requires_consent_of]
        if not waiting:
            return None
        target = waiting[n % len(waiting)]
    else:  # anything but the SMB's own registration (moving it refuses most of what follows)
        target = recorded[1 + n % (len(recorded) - 1)]
    if kind == "retract":
        return _decision(
            "decision.retracted", retracts=str(target.id), reason="wrong", effective_on=on
        )
    knowledge = Knowledge.of(recorded)
    # (a correction of a correction corrects the same original: its root's content now)
    content = knowledge.current(knowledge.root(target.id))
    if content is None:
        return None
    if kind == "consent":
        needed = content.requires_consent_of
        if not needed:
            return None
        return _decision(
            "consent.given",
            decision=str(target.id),
            decided_by=[needed[c % len(needed)]],
            effective_on=on,
        )
    # a correction: move the decision in time, and sometimes change who or what it names
    replacement = content.model_dump(mode="json")
    replacement["effective_on"] = on
    if c == 0 and "party" in replacement and replacement["kind"] != "party.registered":
        replacement["party"] = party
    if c == 1 and "subject" in replacement and replacement["kind"] != "subject.registered":
        replacement["subject"] = subject
    if c == 2 and replacement["kind"] == "subject.registered":  # moved in the tree
        replacement["parent"] = subject if subject != replacement["subject"] else None
    if replacement.get("review_by") is not None and replacement["review_by"] <= on:
        replacement["review_by"] = _on(day + 30)
    try:
        return _decision(
            "decision.corrected", corrects=str(target.id), replacement=replacement, effective_on=on
        )
    except Exception:
        return None


def prelude(history: list[Step]) -> list[d.Decision]:
    """The SMB, then the parties and subjects, registered on dates the history chooses."""
    days = [step[3] % 20 for step in history] + [0] * 7
    parents = TREES[history[0][5] % len(TREES)] if history else TREES[0]
    for i, parent in enumerate(parents):  # a parent registered first
        if parent is not None:
            days[4 + i] = max(days[4 + i], days[4 + SUBJECTS.index(parent)])
    return [
        _decision(
            "party.registered",
            party="smb",
            name="SMB",
            party_kind="board",
            decided_by=["smb"],
            effective_on="2019-12-01",
        ),
        *(
            _decision(
                "party.registered",
                party=p,
                name=p.upper(),
                party_kind="board",
                decided_by=[p],
                effective_on=_on(days[i]),
            )
            for i, p in enumerate(PARTIES)
        ),
        *(
            _decision(
                "subject.registered",
                subject=s,
                name=s.upper(),
                subject_kind="system",
                effective_on=_on(days[4 + i]),
                parent=parents[i],
            )
            for i, s in enumerate(SUBJECTS)
        ),
    ]


TREES = ((None, None, None), (None, "s0", "s0"), (None, "s0", "s1"))
"""The subjects' parents in a history's prelude: none; one level; a chain of three. A parent
must be registered on the child's date; corrections and retractions then move a parent's
registration after its child's, take it away, or put a subject under another (a cycle)."""


def record_history(
    ledger: Ledger, clock: StepClock, history: list[Step], *, first: bool = True
) -> list[d.RecordedDecision]:
    """Record the prelude (if `first`) and then each step that the invariants accept."""
    if first:
        ledger.record(prelude(history), recorded_by="test")
    recorded = ledger.recorded()
    for step in history:
        clock.now += timedelta(seconds=step[4])
        decision = build(step, recorded, ledger)
        if decision is None:
            continue
        try:
            recorded.extend(ledger.record([decision], recorded_by="test"))
        except DomainError:
            continue
    return recorded
