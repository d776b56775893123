"""The gap report: where responsibility is not anchored ("lacunes in de borging van
verantwoordelijkheden"), and findings 3 and 5 of the Inspectorate in data form.

Each rule is one small function from a `GapContext` to the gaps it finds. `RULES` lists them;
`find_gaps` runs them all. A gap names its rule, the thing it is about, since when it holds,
and the decisions behind it.

"Since when" for the responsibility rules needs history, which the state does not hold: an
`Anchoring` answers it — `ReplayedAnchoring` by walking the subject's decisions (the
definition), `projections.evaluation.StoredAnchoring` from the runs the read model keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence, Set
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property, partial
from operator import attrgetter
from typing import Any, Protocol, TypeVar
from uuid import UUID

import numpy as np
import numpy.typing as npt

from domain import decisions as d
from domain.anchoring import CONDITIONS, Condition
from domain.governance import (
    Acceptance,
    CommitmentState,
    GovernanceState,
    Holding,
    Recommendation,
    Risk,
)
from domain.knowledge import Known
from domain.vocabulary import EARLIEST_DATE, Role
from projections.resident import ROLE_CODES, HoldingColumns


@dataclass(frozen=True, slots=True)
class Gap:
    rule: str
    about: str
    """What it is about: subject, party, risk, recommendation, commitment or decision."""
    id: str
    since: date | None
    message: str
    decisions: tuple[UUID, ...] = ()
    message_nl: str = ""
    """The same explanation in Dutch (the pages' and reports' default language)."""

    def explained(self, lang: str) -> str:
        return self.message_nl if lang == "nl" and self.message_nl else self.message


@dataclass
class RoleHistory:
    """Who held the accountable and responsible roles for one subject, day by day."""

    days: list[tuple[date, frozenset[str], int]]
    """(day, accountable parties, number responsible) at the end of each day that changed."""

    def run_start(self, holds: Condition) -> date:
        """The first day of the unbroken run, up to now, in which `holds(accountable,
        responsible)` is true; EARLIEST_DATE if it held from before the first decision."""
        start = EARLIEST_DATE
        for on, accountable, responsible in reversed(self.days):
            if not holds(accountable, responsible):
                return start
            start = on
        return start if not holds(frozenset(), 0) else EARLIEST_DATE


class Anchoring(Protocol):
    """Since when a subject's responsibilities have been unanchored, up to the report's date."""

    def since(self, subject: str, condition: str) -> date:
        """The first day of the run of one of `domain.anchoring.CONDITIONS` (which holds)."""
        ...

    def not_accountable_since(self, asked: Sequence[tuple[str, tuple[str, ...]]]) -> list[date]:
        """For each (subject, parties): the first day of the unbroken run in which at least one
        of the parties was not accountable for the subject (none of them is, now)."""
        ...


@dataclass
class ReplayedAnchoring:
    """`Anchoring` by folding, per subject, the decisions about its responsibilities: the
    definition (the read model answers from stored runs instead, see
    `projections.evaluation`)."""

    knowledge: Known
    as_of: date
    _histories: dict[str, RoleHistory] = field(default_factory=dict, repr=False)

    def since(self, subject: str, condition: str) -> date:
        return self.history(subject).run_start(CONDITIONS[condition])

    def not_accountable_since(self, asked: Sequence[tuple[str, tuple[str, ...]]]) -> list[date]:
        return [
            self.history(subject).run_start(partial(_without, parties))
            for subject, parties in asked
        ]

    def history(self, subject: str) -> RoleHistory:
        """The subject's accountable and responsible holders over time, up to as_of: one walk
        over the decisions about its responsibilities, folded as the ledger folds them."""
        found = self._histories.get(subject)
        if found is not None:
            return found
        ids = self.knowledge.about.get(("responsibilities", subject), [])
        items = sorted(
            self.knowledge.in_force_until(ids, self.as_of),
            key=lambda i: (i.in_force_on, i.position),
        )
        state = GovernanceState()
        accountable: set[str] = set()
        responsible: set[str] = set()
        holders = {Role.ACCOUNTABLE: accountable, Role.RESPONSIBLE: responsible}
        days: list[tuple[date, frozenset[str], int]] = []
        for index, item in enumerate(items):
            content = item.decision
            if getattr(content, "subject", None) == subject:  # (a correction may move it)
                gains, loses = _role_changes(state, content)
                anomalies = len(state.anomalies)
                state.apply(item)
                if len(state.anomalies) == anomalies:  # it fitted
                    for party, role in loses:
                        holders.get(role, set()).discard(party)
                    for party, role in gains:
                        holders.get(role, set()).add(party)
            last_of_day = (
                index + 1 == len(items) or items[index + 1].in_force_on != item.in_force_on
            )
            now = (frozenset(accountable), len(responsible))
            if last_of_day and (not days or days[-1][1:] != now):
                days.append((item.in_force_on, *now))
        self._histories[subject] = history = RoleHistory(days)
        return history


T = TypeVar("T")

K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Accountable:
    """Who is accountable for one subject, as the rules read it: the holdings (by party), their
    parties, and the decisions behind them. The read model makes one per set of accountable
    rows and keeps it (`Holders.of_codes`); the same subject's record is then shared by every
    question at which the same holdings are in force. Read only."""

    holdings: tuple[Holding, ...]
    parties: tuple[str, ...]
    party_set: frozenset[str]
    decisions: tuple[UUID, ...]

    @classmethod
    def of(cls, holdings: Iterable[Holding]) -> Accountable:
        ordered = tuple(sorted(holdings, key=_by_party))
        parties = tuple(h.party for h in ordered)
        return cls(
            ordered, parties, frozenset(parties), tuple(i for h in ordered for i in h.decisions)
        )


@dataclass
class Holders:
    """Who holds what on as_of, as the rules ask it (indexed in one pass over the holdings)."""

    accountable: dict[str, Accountable]
    """Subject -> who is accountable for it (subjects nobody is accountable for are absent)."""
    responsible: set[str]
    """The subjects someone is responsible for."""
    dissolved: list[Holding]
    """The roles held by parties that have been dissolved."""

    @classmethod
    def of(cls, state: GovernanceState) -> Holders:
        inactive = {p.id for p in state.parties.values() if not p.active()}
        accountable: dict[str, list[Holding]] = {}
        responsible: set[str] = set()
        dissolved: list[Holding] = []
        for h in state.holdings.values():
            if h.role is Role.ACCOUNTABLE:
                accountable.setdefault(h.subject, []).append(h)
            elif h.role is Role.RESPONSIBLE:
                responsible.add(h.subject)
            if h.party in inactive:
                dissolved.append(h)
        return cls(
            {subject: Accountable.of(holdings) for subject, holdings in accountable.items()},
            responsible,
            dissolved,
        )

    @classmethod
    def of_codes(cls, state: GovernanceState, codes: HoldingColumns) -> Holders:
        """The same, from the state's holdings' codes (the read model's): the accountable
        holdings are grouped by subject with their codes and each group's `Accountable` is
        kept by its rows, so only a new group's holdings are read; of the others, only the
        holdings of dissolved parties are read."""
        held: Sequence[Holding] = codes.values
        inactive = {p.id for p in state.parties.values() if not p.active()}
        at = np.flatnonzero(codes.role == ROLE_CODES[Role.ACCOUNTABLE])
        subject_codes = codes.subject[at]
        order = np.argsort(subject_codes, kind="stable")  # by subject, each in row order
        at, subject_codes = at[order], subject_codes[order]
        starts = np.flatnonzero(np.diff(subject_codes, prepend=-1)).tolist()
        subjects = [codes.subjects[i] for i in subject_codes[starts].tolist()]
        rows, places = codes.at[at].tolist(), at.tolist()
        kept = codes.groups(Accountable)
        accountable: dict[str, Accountable] = {}
        ends = [*starts[1:], len(rows)] if starts else []
        for subject, start, end in zip(subjects, starts, ends, strict=True):
            group = tuple(rows[start:end])
            found = kept.get(group)
            if found is None:
                found = kept[group] = Accountable.of(held[i] for i in places[start:end])
            accountable[subject] = found
        responsible = codes.role == ROLE_CODES[Role.RESPONSIBLE]
        responsible_subjects = np.unique(codes.subject[responsible]).tolist()
        dissolved_at = np.flatnonzero(
            np.fromiter(map(inactive.__contains__, codes.parties), np.bool_)[codes.party]
        )
        return cls(
            accountable,
            set(map(codes.subjects.__getitem__, responsible_subjects)),
            [held[i] for i in dissolved_at.tolist()],
        )


@dataclass(slots=True)
class RiskFacts:
    """What the risk rules read of one risk: its own content only, so the same for every
    question it is in force for. The read model makes them once per risk row and keeps them
    beside it (`InForceRows.derived`); small and made together, they let the rules' passes over
    every risk touch little memory. `gaps` keeps the gaps made of the risk, per rule."""

    risk: Risk
    system: str
    acceptance: Acceptance | None
    """The acceptance of its residual risk in force, if any."""
    accepted_by: tuple[str, ...]
    acceptance_criteria: str | None
    review_by: date | None
    assessed: bool
    assessed_criteria: str | None
    """The criteria its latest assessment was judged against."""
    gaps: dict[Callable[..., Gap], Any] = field(default_factory=dict)

    @classmethod
    def of(cls, risk: Risk) -> RiskFacts:
        acceptance = risk.acceptance_in_force()
        latest = risk.assessments[-1] if risk.assessments else None
        return cls(
            risk,
            risk.system,
            acceptance,
            tuple(acceptance.accepted_by) if acceptance else (),
            acceptance.criteria if acceptance else None,
            acceptance.review_by if acceptance else None,
            latest is not None,
            latest.criteria if latest else None,
        )

    def gap(self, make: Callable[[Risk], Gap]) -> Gap:
        """`make(risk)`, made once and kept."""
        found: Gap | None = self.gaps.get(make)
        if found is None:
            found = self.gaps[make] = make(self.risk)
        return found

    def gap_with(self, key: K, make: Callable[[Risk, K], Gap]) -> Gap:
        """`make(risk, key)`, kept, and made again when asked with another key."""
        found = self.gaps.get(make)
        if found is None or found[0] != key:
            found = self.gaps[make] = (key, make(self.risk, key))
        gap: Gap = found[1]
        return gap


class Dated(Protocol):
    """`GapContext.dated` from somewhere else (the read model: `InForceRows.dated`)."""

    def __call__(
        self,
        kind: str,
        holds_from: Callable[[Any], date | None],
        gap: Callable[[Any], Gap],
        as_of: date,
    ) -> list[Gap]: ...


@dataclass
class GapContext:
    """What the rules look at: the state on as_of, the knowledge it was folded from, and the
    anchoring history; with indexes made once per report."""

    state: GovernanceState
    knowledge: Known
    as_of: date
    anchoring: Anchoring
    _holders: Holders | None = field(default=None, repr=False)
    _risks: list[RiskFacts] | None = field(default=None, repr=False)
    _recommendations: Sequence[Recommendation] | None = field(default=None, repr=False)
    _commitments: Sequence[CommitmentState] | None = field(default=None, repr=False)
    _scopes: dict[str, frozenset[str]] | None = field(default=None, repr=False)
    _consented: Callable[[NeedsConsent], Sequence[int]] | None = field(default=None, repr=False)
    _dated: Dated | None = field(default=None, repr=False)

    @property
    def holders(self) -> Holders:
        if self._holders is None:
            self._holders = Holders.of(self.state)
        return self._holders

    @property
    def risks(self) -> list[RiskFacts]:
        """The facts of every risk of the state."""
        if self._risks is None:
            self._risks = [RiskFacts.of(risk) for risk in self.state.risks.values()]
        return self._risks

    @property
    def recommendations(self) -> Sequence[Recommendation]:
        """The state's recommendations (in no particular order)."""
        if self._recommendations is None:
            self._recommendations = list(self.state.recommendations.values())
        return self._recommendations

    @property
    def commitments(self) -> Sequence[CommitmentState]:
        """The state's commitments (in no particular order)."""
        if self._commitments is None:
            self._commitments = list(self.state.commitments.values())
        return self._commitments

    def consented(self, needs: NeedsConsent) -> Sequence[int]:
        """The places among `needs` of the plain decisions every consent of which is in force
        on as_of (`NeedsConsent.consented` of each decision's consents in force)."""
        if self._consented is not None:
            return self._consented(needs)
        found = (needs.consented(root, given) for root, given in self.state.consents.items())
        return [at for at in found if at >= 0]

    def accountable(self, subject: str) -> tuple[str, ...]:
        """The parties accountable for `subject` on as_of, in order."""
        found = self.holders.accountable.get(subject)
        return () if found is None else found.parties

    def outsiders(self, subject: str, parties: Sequence[str]) -> tuple[str, ...]:
        """Those of `parties` not accountable for `subject` on as_of, in order."""
        found = self.holders.accountable.get(subject)
        accountable = _NOBODY if found is None else found.party_set
        if len(parties) == 1:
            return () if parties[0] in accountable else tuple(parties)
        return tuple(sorted({party for party in parties if party not in accountable}))

    def accountable_decisions(self, subject: str) -> tuple[UUID, ...]:
        """The decisions behind the accountable roles for `subject` on as_of."""
        found = self.holders.accountable.get(subject)
        return () if found is None else found.decisions

    def dated(
        self, kind: str, holds_from: Callable[[Any], date | None], gap: Callable[[Any], Gap]
    ) -> list[Gap]:
        """`gap(v)` for every `v` of `kind` (`risk`: the risks' facts; `recommendation`;
        `commitment`) whose gap holds on as_of: from the date `holds_from(v)` on (None:
        never). Both depend on `v` alone — a rule about one object, whose only condition on
        the date asked is a threshold (such as "past its due date")."""
        if self._dated is not None:
            return self._dated(kind, holds_from, gap, self.as_of)
        objects: Sequence[Any] = {
            "risk": self.risks,
            "recommendation": self.recommendations,
            "commitment": self.commitments,
        }[kind]
        as_of = self.as_of
        return [gap(v) for v in objects if (day := holds_from(v)) is not None and day <= as_of]

    @cached_property
    def accepted(self) -> list[RiskFacts]:
        """The risks whose residual risk is accepted on as_of (an acceptance is in force)."""
        return [risk for risk in self.risks if risk.acceptance is not None]

    def criteria_cover(self, system: str, criteria: str | None) -> bool:
        """Whether `criteria` are in force and apply to `system`."""
        return criteria is not None and system in self.scope(criteria)

    def scope(self, criteria: str) -> frozenset[str]:
        """The subjects criteria in force apply to (none, if they are not in force)."""
        if self._scopes is None:
            self._scopes = {c.id: frozenset(c.scope) for c in self.state.criteria.values()}
        return self._scopes.get(criteria, frozenset())


def _role_changes(
    state: GovernanceState, content: d.Decision
) -> tuple[list[tuple[str, Role]], list[tuple[str, Role]]]:
    """The (party, role) pairs a responsibility decision adds and removes, if it fits."""
    if isinstance(content, d.ResponsibilityAssignment):
        return [(content.party, content.role)], []
    if isinstance(content, d.ResponsibilityRelief):
        return [], [(content.party, content.role)]
    if isinstance(content, d.ResponsibilityTransfer):
        return [(content.to_party, content.role)], [(content.from_party, content.role)]
    return [], []


def _without(parties: tuple[str, ...], accountable: Set[str], responsible: int) -> bool:
    return any(p not in accountable for p in parties)


# --- responsibilities -------------------------------------------------------------------------


def subject_without_accountable(c: GapContext) -> list[Gap]:
    """A subject nobody is accountable for."""
    return [
        Gap(
            "no_accountable",
            "subject",
            subject.id,
            max(subject.registered_on, c.anchoring.since(subject.id, "no_accountable")),
            f"nobody is accountable for {subject.name}",
            tuple(subject.decisions),
            f"niemand is eindverantwoordelijk voor {subject.name}",
        )
        for subject in c.state.subjects.values()
        if subject.id not in c.holders.accountable
    ]


def subject_with_several_accountable(c: GapContext) -> list[Gap]:
    """More than one party accountable for one subject."""
    return [
        Gap(
            "several_accountable",
            "subject",
            subject.id,
            c.anchoring.since(subject.id, "several_accountable"),
            f"{len(accountable)} parties are accountable for {subject.name}: "
            + ", ".join(accountable),
            c.accountable_decisions(subject.id),
            f"{len(accountable)} partijen zijn eindverantwoordelijk voor {subject.name}: "
            + ", ".join(accountable),
        )
        for subject in c.state.subjects.values()
        if len(accountable := c.accountable(subject.id)) > 1
    ]


def accountable_without_responsible(c: GapContext) -> list[Gap]:
    """A subject with an accountable party but nobody responsible for carrying it out."""
    return [
        Gap(
            "no_responsible",
            "subject",
            subject.id,
            c.anchoring.since(subject.id, "no_responsible"),
            f"{subject.name} has an accountable party but nobody responsible",
            c.accountable_decisions(subject.id),
            f"{subject.name} heeft een eindverantwoordelijke, maar niemand die het uitvoert",
        )
        for subject in c.state.subjects.values()
        if subject.id in c.holders.accountable and subject.id not in c.holders.responsible
    ]


def role_held_by_dissolved_party(c: GapContext) -> list[Gap]:
    """A role still held by a party that has been dissolved."""
    gaps = []
    for holding in sorted(c.holders.dissolved, key=_by_subject_and_role):
        party = c.state.parties[holding.party]
        since = max(holding.since, party.dissolved_on) if party.dissolved_on else holding.since
        gaps.append(
            Gap(
                "role_held_by_dissolved_party",
                "party",
                party.id,
                since,
                f"{party.name} was dissolved on {party.dissolved_on} but still holds "
                f"{holding.role} for {holding.subject}",
                (*holding.decisions, *party.decisions),
                f"{party.name} is opgeheven op {party.dissolved_on}, maar heeft nog de rol "
                f"{holding.role} voor {holding.subject}",
            )
        )
    return gaps


# --- risks ------------------------------------------------------------------------------------


def acceptance_without_criteria(c: GapContext) -> list[Gap]:
    """A residual risk accepted without acceptance criteria in force for its system."""
    return [
        risk.gap(_accepted_without_criteria)
        for risk in c.accepted
        if not c.criteria_cover(risk.system, risk.acceptance_criteria)
    ]


def _accepted_without_criteria(risk: Risk) -> Gap:
    acceptance = risk.acceptance_in_force()
    assert acceptance is not None
    if acceptance.criteria is None:
        why, waarom = "names no criteria", "noemt geen criteria"
    else:
        why = f"names criteria {acceptance.criteria!r}, which are not in force for {risk.system}"
        waarom = f"noemt criteria {acceptance.criteria!r}, die niet gelden voor {risk.system}"
    return Gap(
        "acceptance_without_criteria",
        "risk",
        risk.id,
        acceptance.on,
        f"the residual risk of {risk.title} was accepted, but the acceptance {why}",
        (acceptance.decision,),
        f"het rest-risico van {risk.title} is aanvaard, maar de aanvaarding {waarom}",
    )


def acceptance_by_party_not_accountable(c: GapContext) -> list[Gap]:
    """A residual risk accepted by a party not accountable for the system it threatens."""
    found: list[tuple[RiskFacts, tuple[str, ...]]] = []
    for risk in c.accepted:
        outsiders = c.outsiders(risk.system, risk.accepted_by)
        if outsiders:
            found.append((risk, outsiders))
    runs = c.anchoring.not_accountable_since([(r.system, o) for r, o in found])
    return [
        risk.gap_with((outsiders, max(risk.acceptance.on, run)), _accepted_without_authority)
        for (risk, outsiders), run in zip(found, runs, strict=True)
        if risk.acceptance is not None
    ]


def _accepted_without_authority(risk: Risk, key: tuple[tuple[str, ...], date]) -> Gap:
    outsiders, since = key
    acceptance = risk.acceptance_in_force()
    assert acceptance is not None
    return Gap(
        "acceptance_without_authority",
        "risk",
        risk.id,
        since,
        f"the residual risk of {risk.title} was accepted by {', '.join(outsiders)}, "
        f"not accountable for {risk.system}",
        (acceptance.decision,),
        f"het rest-risico van {risk.title} is aanvaard door {', '.join(outsiders)}, "
        f"niet eindverantwoordelijk voor {risk.system}",
    )


def system_without_acceptance_criteria(c: GapContext) -> list[Gap]:
    """A system with identified risks but no criteria in force for accepting residual risk
    (the Inspectorate's finding 5)."""
    covered = {subject for criteria in c.state.criteria.values() for subject in criteria.scope}
    at_risk: dict[str, list[Risk]] = {}
    for facts in c.risks:
        if facts.system not in covered:
            at_risk.setdefault(facts.system, []).append(facts.risk)
    for risks in at_risk.values():
        risks.sort(key=_by_id)
    return [
        Gap(
            "no_acceptance_criteria",
            "subject",
            system,
            min(r.identified_on for r in risks),
            f"{len(risks)} risk(s) identified for {system}, but no criteria for accepting "
            "residual risk are in force for it",
            tuple(r.decisions[0] for r in risks),
            f"{len(risks)} risico('s) geïdentificeerd voor {system}, maar er gelden geen criteria "
            "voor het aanvaarden van rest-risico's",
        )
        for system, risks in sorted(at_risk.items())
        if system not in covered
    ]


def assessment_without_criteria(c: GapContext) -> list[Gap]:
    """A risk whose latest assessment was not judged against criteria in force (finding 3)."""
    return [
        risk.gap(_assessed_without_criteria)
        for risk in c.risks
        if risk.assessed and not c.criteria_cover(risk.system, risk.assessed_criteria)
    ]


def _assessed_without_criteria(risk: Risk) -> Gap:
    latest = risk.assessments[-1]
    return Gap(
        "assessment_without_criteria",
        "risk",
        risk.id,
        latest.on,
        f"{risk.title} was assessed on {latest.on} without acceptance criteria in force",
        (latest.decision,),
        f"{risk.title} is beoordeeld op {latest.on} zonder geldende acceptatiecriteria",
    )


def acceptance_past_review(c: GapContext) -> list[Gap]:
    """An acceptance in force past its review-by date."""
    return c.dated("risk", _past_review_from, _past_review)


def _past_review_from(risk: RiskFacts) -> date | None:
    if risk.acceptance is None or risk.review_by is None:
        return None
    return risk.review_by + timedelta(days=1)


def _past_review(facts: RiskFacts) -> Gap:
    risk, acceptance = facts.risk, facts.acceptance
    assert acceptance is not None and acceptance.review_by is not None
    return Gap(
        "acceptance_past_review",
        "risk",
        risk.id,
        acceptance.review_by + timedelta(days=1),
        f"the acceptance of {risk.title} was due for review on {acceptance.review_by}",
        (acceptance.decision,),
        f"de aanvaarding van {risk.title} had herzien moeten worden op {acceptance.review_by}",
    )


def risk_never_assessed(c: GapContext) -> list[Gap]:
    """A risk identified but never assessed."""
    return c.dated("risk", _never_assessed_from, _never_assessed)


def _never_assessed_from(risk: RiskFacts) -> date | None:
    return None if risk.assessed else EARLIEST_DATE


def _never_assessed(facts: RiskFacts) -> Gap:
    risk = facts.risk
    return Gap(
        "risk_not_assessed",
        "risk",
        risk.id,
        risk.identified_on,
        f"{risk.title} was identified on {risk.identified_on} but never assessed",
        tuple(risk.decisions),
        f"{risk.title} is geïdentificeerd op {risk.identified_on}, maar nooit beoordeeld",
    )


# --- recommendations and commitments ----------------------------------------------------------


def recommendation_without_owner(c: GapContext) -> list[Gap]:
    """An open recommendation nobody owns."""
    return c.dated("recommendation", _without_owner_from, _without_owner)


def _without_owner_from(rec: Recommendation) -> date | None:
    if rec.status == "open" and rec.owner is None and rec.response != "rejected":
        return EARLIEST_DATE
    return None


def _without_owner(rec: Recommendation) -> Gap:
    return Gap(
        "recommendation_without_owner",
        "recommendation",
        rec.id,
        rec.issued_on,
        f"recommendation {rec.id} has no owner",
        tuple(rec.decisions),
        f"aanbeveling {rec.id} heeft geen eigenaar",
    )


def recommendation_overdue(c: GapContext) -> list[Gap]:
    """An open recommendation past its due date."""
    return c.dated("recommendation", _recommendation_overdue_from, _recommendation_overdue)


def _recommendation_overdue_from(rec: Recommendation) -> date | None:
    if rec.status == "open" and rec.due_on is not None:
        return rec.due_on + timedelta(days=1)
    return None


def _recommendation_overdue(rec: Recommendation) -> Gap:
    assert rec.due_on is not None
    return Gap(
        "recommendation_overdue",
        "recommendation",
        rec.id,
        rec.due_on + timedelta(days=1),
        f"recommendation {rec.id} was due on {rec.due_on} and is still open",
        tuple(rec.decisions),
        f"aanbeveling {rec.id} moest uiterlijk {rec.due_on} zijn afgehandeld en staat nog open",
    )


def commitment_past_due(c: GapContext) -> list[Gap]:
    """A commitment to parliament past its due date and not kept."""
    return c.dated("commitment", _commitment_overdue_from, _commitment_overdue)


def _commitment_overdue_from(com: CommitmentState) -> date | None:
    return com.due_on + timedelta(days=1) if com.kept_on is None else None


def _commitment_overdue(com: CommitmentState) -> Gap:
    return Gap(
        "commitment_overdue",
        "commitment",
        com.id,
        com.due_on + timedelta(days=1),
        f"the promise '{com.promise}' was due on {com.due_on} and is not kept",
        tuple(com.decisions),
        f"de toezegging '{com.promise}' moest uiterlijk {com.due_on} zijn nagekomen en is dat niet",
    )


def consent_missing(c: GapContext) -> list[Gap]:
    """A decision that needs other parties' agreement and still lacks some of it."""
    gaps = []
    position, as_of = c.knowledge.head, c.as_of
    needs = needing_consent(c.knowledge.whole)
    # a decision never corrected nor retracted waits if it is known and in effect, unless every
    # consent it requires is in force (the decisions put right are read as the position knows
    # them, one by one)
    waiting = (needs.known_from <= position) & needs.plain & (needs.effective <= as_of.toordinal())
    waiting[c.consented(needs)] = False
    candidates = [needs.needs[i] for i in np.flatnonzero(waiting).tolist()]
    candidates += [needs.needs[i] for i in needs.put_right if needs.needs[i].known_from <= position]
    knowledge = c.knowledge
    whole = knowledge is knowledge.whole
    for need in candidates:
        if need.plain:
            effective_on, required, kind = need.effective_on, need.required, need.kind
        else:  # corrected or retracted somewhere: as known at the position asked about
            content = needs.now(need.root, knowledge) if whole else knowledge.current(need.root)
            if content is None or content.effective_on > as_of:
                continue
            effective_on, required = content.effective_on, tuple(content.requires_consent_of)
            kind = content.kind
        given = c.state.consents.get(need.root, {})  # the consents in force on as_of
        missing = [p for p in required if p not in given]
        if missing:
            gaps.append(
                Gap(
                    "consent_missing",
                    "decision",
                    str(need.root),
                    effective_on,
                    f"{kind} of {effective_on} still needs the consent of {', '.join(missing)}",
                    (need.root, *c.knowledge.consents.get(need.root, [])),
                    f"{kind} van {effective_on} wacht nog op instemming van {', '.join(missing)}",
                )
            )
    return gaps


@dataclass(frozen=True, slots=True)
class _NeedsConsent:
    """A decision whose content (as recorded, or as corrected) requires consents."""

    known_from: int
    """The first position from which that is known."""
    root: UUID
    """The decision it is about (a correction stands for what it corrects)."""
    plain: bool
    """Never corrected nor retracted: the rest is its content (else it is looked up at the
    position asked about)."""
    effective_on: date = EARLIEST_DATE
    required: tuple[str, ...] = ()
    kind: str = ""


@dataclass(frozen=True, eq=False)
class NeedsConsent:
    """The decisions that need consents, each once, as small records made together (rather than
    the decisions themselves, spread over the ledger), with the columns a question filters
    them by. Read only; `needing_consent` keeps it."""

    readings: object
    walked: int
    """How many of a whole knowledge's `needs_consent` were walked."""
    needs: list[_NeedsConsent]
    """In the order first known (never changed once kept: extended in a copy)."""
    code: dict[UUID, int]
    """A root's place in `needs`."""
    known_from: npt.NDArray[np.int64]
    plain: npt.NDArray[np.bool_]
    effective: npt.NDArray[np.int64]
    """The effective date's ordinal (of a plain one)."""
    put_right: list[int]
    """The places of those corrected or retracted somewhere."""
    _now: dict[UUID, d.Decision | None] = field(default_factory=dict)

    def now(self, root: UUID, whole: Known) -> d.Decision | None:
        """`whole.current(root)`, kept: every whole knowledge with these `readings` reads it
        the same."""
        if root not in self._now:
            self._now[root] = whole.current(root)
        return self._now[root]

    @classmethod
    def of(cls, readings: object, walked: int, needs: list[_NeedsConsent]) -> NeedsConsent:
        return cls(
            readings,
            walked,
            needs,
            {need.root: i for i, need in enumerate(needs)},
            np.array([need.known_from for need in needs], np.int64),
            np.array([need.plain for need in needs], np.bool_),
            np.array([need.effective_on.toordinal() for need in needs], np.int64),
            [i for i, need in enumerate(needs) if not need.plain],
        )

    def consented(self, root: UUID, given: Container[str]) -> int:
        """The place of `root` if it is a plain decision and `given` (the parties whose consent
        is in force) holds every consent it requires; else -1."""
        at = self.code.get(root)
        if at is None or not self.needs[at].plain:
            return -1
        return at if all(p in given for p in self.needs[at].required) else -1


def needing_consent(whole: Known) -> NeedsConsent:
    """The decisions that need consents, each once.

    Kept for the whole knowledge's `readings` and extended with the decisions added since: a
    record changes only when a decision reads otherwise. It may then hold decisions recorded
    after an older whole knowledge's head (with the same readings), which its questions skip
    by `known_from`, as they skip those recorded after a cut's position."""
    global _needs_kept
    kept = _needs_kept
    ids = whole.needs_consent
    if kept is None or kept.readings is not whole.readings:
        kept = NeedsConsent.of(whole.readings, 0, [])
    if kept.walked < len(ids):
        needs, known = list(kept.needs), set(kept.code)
        for decision_id in ids[kept.walked :]:
            item = whole.by_id[decision_id]
            root = whole.root_of.get(decision_id, decision_id)
            if isinstance(item.decision, d.DecisionRetraction) or root in known:
                continue  # (needs_consent is in ledger order: the first one known is kept)
            known.add(root)
            plain = whole.plain(root)
            if plain is None:
                needs.append(_NeedsConsent(item.position, root, False))
            else:
                content = plain.decision
                needs.append(
                    _NeedsConsent(
                        item.position,
                        root,
                        True,
                        content.effective_on,
                        tuple(content.requires_consent_of),
                        content.kind,
                    )
                )
        kept = NeedsConsent.of(whole.readings, len(ids), needs)
    _needs_kept = kept
    return kept


_needs_kept: NeedsConsent | None = None


RULES: tuple[Callable[[GapContext], list[Gap]], ...] = (
    subject_without_accountable,
    subject_with_several_accountable,
    accountable_without_responsible,
    role_held_by_dissolved_party,
    acceptance_without_criteria,
    acceptance_by_party_not_accountable,
    acceptance_past_review,
    system_without_acceptance_criteria,
    risk_never_assessed,
    assessment_without_criteria,
    recommendation_without_owner,
    recommendation_overdue,
    commitment_past_due,
    consent_missing,
)


def find_gaps(
    state: GovernanceState,
    knowledge: Known,
    as_of: date,
    anchoring: Anchoring | None = None,
    holders: Holders | None = None,
    risks: list[RiskFacts] | None = None,
    recommendations: Sequence[Recommendation] | None = None,
    commitments: Sequence[CommitmentState] | None = None,
    consented: Callable[[NeedsConsent], Sequence[int]] | None = None,
    dated: Dated | None = None,
) -> list[Gap]:
    """Run every rule on a state (and the knowledge it was folded from); in each rule's
    order, by what the gap is about. `anchoring` defaults to the definition (a replay);
    `holders`, to `Holders.of(state)`; `risks` (the facts of the state's risks), to
    `RiskFacts.of` each risk; `recommendations` and `commitments`, to the state's;
    `consented`, to `NeedsConsent.consented` of the state's consents; `dated`, to a pass over
    the objects of a kind (`GapContext.dated`)."""
    context = GapContext(
        state,
        knowledge,
        as_of,
        anchoring or ReplayedAnchoring(knowledge, as_of),
        holders,
        risks,
        recommendations,
        commitments,
        _consented=consented,
        _dated=dated,
    )
    found: list[Gap] = []
    for rule in RULES:
        gaps = rule(context)
        gaps.sort(key=_by_id)  # (a rule with several gaps about one thing orders them itself)
        found.extend(gaps)
    return found


_NOBODY: frozenset[str] = frozenset()

_by_id = attrgetter("id")
_by_subject_and_role = attrgetter("subject", "role")
_by_party = attrgetter("party")
