"""The gap report's rules: where responsibility is not anchored ("lacunes in de borging van
verantwoordelijkheden"), and findings 3 and 5 of the Inspectorate in data form.

Each rule is written once, against `Facts`: what the governance holds on one date (a subject,
a risk, who is accountable, since when a run of a condition has lasted, ...). The replay asks
them on the date asked about (`projections.oracle`); the read model asks them over the whole
valid time when a decision changes what they read (`ledger.outputs`), and stores each gap as a
row valid from the day it starts to hold to the day it stops. A condition on the date itself
("past its due date") is asked through `Facts.reached`, so the read model knows on which day
the answer changes.

Rules are grouped into *scopes* by what they are about (`SCOPES`): a subject's anchoring, a
dissolved party's roles, one risk, a system's acceptance criteria, one recommendation, one
commitment, one decision waiting for consent. A gap names its rule, the thing it is about,
since when it holds, the decisions behind it, and (for filters) the subject and the parties
it concerns. The report lists them in `RULE_ORDER`, each rule's gaps by what they are about.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol
from uuid import UUID

from domain.anchoring import (
    NEVER_DECIDED,
    Anchoring,
    Interval,
    inherited_holding,
    last_held_by_all,
)
from domain.governance import (
    CommitmentState,
    Criteria,
    Holding,
    Party,
    Recommendation,
    Risk,
    Subject,
)
from domain.inheritance import climb
from domain.knowledge import Knowledge
from domain.vocabulary import EARLIEST_DATE, Role

RULE_ORDER = (
    "no_accountable",
    "several_accountable",
    "no_responsible",
    "role_held_by_dissolved_party",
    "acceptance_without_criteria",
    "acceptance_without_authority",
    "acceptance_past_review",
    "no_acceptance_criteria",
    "risk_not_assessed",
    "assessment_without_criteria",
    "recommendation_without_owner",
    "recommendation_overdue",
    "commitment_overdue",
    "consent_missing",
)
"""Every rule, in the order the report lists them."""

RULE_RANK = {rule: rank for rank, rule in enumerate(RULE_ORDER)}

RULE_ABOUT = {
    "no_accountable": "subject",
    "several_accountable": "subject",
    "no_responsible": "subject",
    "role_held_by_dissolved_party": "party",
    "acceptance_without_criteria": "risk",
    "acceptance_without_authority": "risk",
    "acceptance_past_review": "risk",
    "no_acceptance_criteria": "subject",
    "risk_not_assessed": "risk",
    "assessment_without_criteria": "risk",
    "recommendation_without_owner": "recommendation",
    "recommendation_overdue": "recommendation",
    "commitment_overdue": "commitment",
    "consent_missing": "decision",
}
"""What each rule's gaps are about."""

DAY = timedelta(days=1)


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
    subject: str | None = None
    """The subject it concerns, if any (a risk's: its system)."""
    parties: tuple[str, ...] = ()
    """The parties it names."""
    order: str = ""
    """Orders the gaps of one rule about one thing (e.g. a dissolved party's roles)."""

    def explained(self, lang: str) -> str:
        return self.message_nl if lang == "nl" and self.message_nl else self.message

    @property
    def sort_key(self) -> tuple[int, str, str]:
        return RULE_RANK[self.rule], self.id, self.order

    def json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "about": self.about,
            "id": self.id,
            "since": None if self.since is None else self.since.isoformat(),
            "message": self.message,
            "message_nl": self.message_nl,
            "decisions": [str(i) for i in self.decisions],
            "subject": self.subject,
            "parties": list(self.parties),
        }


@dataclass(frozen=True, slots=True)
class Identified:
    """What the acceptance-criteria rule of a system reads of each of its risks: which risk,
    since when, and the decision that identified it."""

    risk: str
    system: str
    identified_on: date
    decision: UUID

    @classmethod
    def of(cls, risk: Risk) -> Identified:
        return cls(risk.id, risk.system, risk.identified_on, risk.decisions[0])


@dataclass(frozen=True, slots=True)
class Waiting:
    """A decision that needs other parties' consent, as its content now reads."""

    effective_on: date
    required: tuple[str, ...]
    kind: str
    consents: tuple[UUID, ...]
    """The consents recorded for it (whatever became of them)."""

    @staticmethod
    def of(knowledge: Knowledge, decision: UUID) -> Waiting | None:
        """The decision as `knowledge` reads it now, if it needs consent (None otherwise)."""
        content = knowledge.current(decision)
        if content is None or not content.requires_consent_of:
            return None
        return Waiting(
            content.effective_on,
            tuple(content.requires_consent_of),
            content.kind,
            tuple(knowledge.consents.get(decision, [])),
        )


class Facts(Protocol):
    """What the rules read of the governance on one date, as known at one moment."""

    def reached(self, day: date) -> bool:
        """Whether the date asked about is `day` or later."""
        ...

    @property
    def on(self) -> date:
        """The date asked about, for reading beside a history (`accountable_history`); a
        condition on the date itself is asked through `reached`."""
        ...

    def subject(self, subject: str) -> Subject | None: ...
    def party(self, party: str) -> Party | None: ...
    def risk(self, risk: str) -> Risk | None: ...
    def criteria(self, criteria: str) -> Criteria | None: ...
    def recommendation(self, recommendation: str) -> Recommendation | None: ...
    def commitment(self, commitment: str) -> CommitmentState | None: ...

    def holding(self, party: str, subject: str, role: Role) -> Holding | None:
        """The role the party holds for the subject itself, if it does."""
        ...

    def anchoring(self, subject: str) -> Anchoring | None:
        """How many parties are accountable and responsible for the subject, and since when
        each condition of `domain.anchoring` has held (None: nothing was ever decided)."""
        ...

    def accountable(self, subject: str) -> list[Holding]:
        """The accountable roles for the subject, by party."""
        ...

    def holdings_of(self, party: str) -> list[Holding]:
        """Every role the party holds."""
        ...

    def risks_on(self, system: str) -> list[Identified]:
        """The risks identified for the system."""
        ...

    def covered(self, subject: str) -> bool:
        """Whether acceptance criteria in force apply to the subject."""
        ...

    def anchored(self, subject: str) -> Sequence[Interval]:
        """The intervals of valid time in which anyone was accountable for the subject itself
        (at least up to the date asked about; what lies after it is not read)."""
        ...

    def accountable_intervals(self, party: str, subject: str) -> Sequence[Interval]:
        """The intervals of valid time in which the party was accountable for the subject
        itself (the same bounds)."""
        ...

    def waiting(self, decision: UUID) -> Waiting | None:
        """The decision, if its content (as known) needs consent."""
        ...

    def consents(self, decision: UUID) -> Mapping[str, date]:
        """The parties whose consent to the decision is in force, and since when."""
        ...


# --- a subject's anchoring ----------------------------------------------------------------


def subject_gaps(f: Facts, subject_id: str) -> list[Gap]:
    """Nobody accountable, for the subject nor above it; several accountable; accountable but
    nobody responsible, for the subject nor above it (`domain.inheritance`). The subjects above
    are read only when the subject itself lacks the role."""
    subject = f.subject(subject_id)
    if subject is None:
        return []
    anchoring = f.anchoring(subject_id) or NEVER_DECIDED
    gaps: list[Gap] = []
    if anchoring.accountable == 0:
        above = _above(f, subject_id)
        if any(a.accountable for a in above):
            return gaps  # inherited: the subject above answers for it
        since = max(
            [anchoring.since["no_accountable"], *(a.since["no_accountable"] for a in above)]
        )
        gaps.append(
            Gap(
                "no_accountable",
                "subject",
                subject_id,
                max(subject.registered_on, since),
                f"nobody is accountable for {subject.name}"
                + (", nor for a subject it is part of" if above else ""),
                tuple(subject.decisions),
                f"niemand is eindverantwoordelijk voor {subject.name}"
                + (", noch voor een onderwerp waar het onder valt" if above else ""),
                subject=subject_id,
            )
        )
        return gaps
    if anchoring.accountable == 1 and anchoring.responsible > 0:
        return gaps  # anchored (who holds the roles is not read: a change of holder asks nothing)
    accountable = f.accountable(subject_id)
    parties = tuple(h.party for h in accountable)
    decisions = tuple(i for h in accountable for i in h.decisions)
    if anchoring.accountable > 1:
        gaps.append(
            Gap(
                "several_accountable",
                "subject",
                subject_id,
                anchoring.since["several_accountable"],
                f"{len(parties)} parties are accountable for {subject.name}: " + ", ".join(parties),
                decisions,
                f"{len(parties)} partijen zijn eindverantwoordelijk voor {subject.name}: "
                + ", ".join(parties),
                subject=subject_id,
                parties=parties,
            )
        )
    if anchoring.responsible == 0:
        above = _above(f, subject_id)
        if any(a.responsible for a in above):
            return gaps  # a responsible party inherited
        since = max(
            [anchoring.since["no_responsible"], *(a.since["nobody_responsible"] for a in above)]
        )
        gaps.append(
            Gap(
                "no_responsible",
                "subject",
                subject_id,
                since,
                f"{subject.name} has an accountable party but nobody responsible",
                decisions,
                f"{subject.name} heeft een eindverantwoordelijke, maar niemand die het uitvoert",
                subject=subject_id,
                parties=parties,
            )
        )
    return gaps


def _climb(f: Facts, subject: str) -> Iterator[str]:
    """The subject and the subjects above it, nearest first, read as they are needed."""

    def parent_of(found: str) -> str | None:
        registered = f.subject(found)
        parent = None if registered is None else registered.parent
        return parent if parent is not None and f.subject(parent) is not None else None

    return climb(subject, parent_of)


def _above(f: Facts, subject: str) -> list[Anchoring]:
    """The anchoring of each subject above the subject, nearest first."""
    return [f.anchoring(s) or NEVER_DECIDED for s in list(_climb(f, subject))[1:]]


def _entitled(f: Facts, subject: str, parties: tuple[str, ...]) -> set[str]:
    """Those of the parties accountable for the subject, directly or by inheritance."""
    for found in _climb(f, subject):
        if _holds_on(f.anchored(found), f.on):
            return {p for p in parties if f.holding(p, found, Role.ACCOUNTABLE) is not None}
    return set()


def _holds_on(intervals: Sequence[Interval], day: date) -> bool:
    return any(start <= day and (end is None or day < end) for start, end in intervals)


def _not_accountable_since(f: Facts, subject: str, parties: tuple[str, ...], on: date) -> date:
    """The first day of the unbroken run, up to `on`, in which at least one of the parties was
    not accountable for the subject, directly or by inheritance."""
    line = list(_climb(f, subject))
    own = {p: [f.accountable_intervals(p, s) for s in line] for p in parties}
    if not all(any(intervals) for intervals in own.values()):
        return EARLIEST_DATE  # one of them was never accountable there, directly or not
    reach = max(max(i for i, held in enumerate(found) if held) for found in own.values())
    anyone = [f.anchored(s) for s in line[: reach + 1]]
    held = [inherited_holding(list(zip(own[p], anyone, strict=False)), on) for p in parties]
    return last_held_by_all(held, on)


# --- a dissolved party's roles --------------------------------------------------------------


def party_gaps(f: Facts, party_id: str) -> list[Gap]:
    """Roles still held by a party that has been dissolved."""
    party = f.party(party_id)
    if party is None or party.dissolved_on is None:
        return []
    return [
        Gap(
            "role_held_by_dissolved_party",
            "party",
            party_id,
            max(holding.since, party.dissolved_on),
            f"{party.name} was dissolved on {party.dissolved_on} but still holds "
            f"{holding.role} for {holding.subject}",
            (*holding.decisions, *party.decisions),
            f"{party.name} is opgeheven op {party.dissolved_on}, maar heeft nog de rol "
            f"{holding.role} voor {holding.subject}",
            subject=holding.subject,
            parties=(party_id,),
            order=f"{holding.subject}\x01{holding.role.value}",
        )
        for holding in f.holdings_of(party_id)
    ]


# --- one risk -------------------------------------------------------------------------------


def risk_gaps(f: Facts, risk_id: str) -> list[Gap]:
    """An acceptance without criteria in force, by a party not accountable, or past its review;
    a risk never assessed, or assessed without criteria in force."""
    risk = f.risk(risk_id)
    if risk is None:
        return []
    gaps: list[Gap] = []
    system, title = risk.system, risk.title
    acceptance = risk.acceptance_in_force()
    if acceptance is not None:
        accepted_by = tuple(acceptance.accepted_by)
        if not _criteria_cover(f, system, acceptance.criteria):
            if acceptance.criteria is None:
                why, waarom = "names no criteria", "noemt geen criteria"
            else:
                why = f"names criteria {acceptance.criteria!r}, which are not in force for {system}"
                waarom = f"noemt criteria {acceptance.criteria!r}, die niet gelden voor {system}"
            gaps.append(
                Gap(
                    "acceptance_without_criteria",
                    "risk",
                    risk_id,
                    acceptance.on,
                    f"the residual risk of {title} was accepted, but the acceptance {why}",
                    (acceptance.decision,),
                    f"het rest-risico van {title} is aanvaard, maar de aanvaarding {waarom}",
                    subject=system,
                    parties=accepted_by,
                )
            )
        entitled = _entitled(f, system, accepted_by)
        outsiders = tuple(sorted(p for p in accepted_by if p not in entitled))
        if outsiders:
            since = max(acceptance.on, _not_accountable_since(f, system, outsiders, f.on))
            names = ", ".join(outsiders)
            gaps.append(
                Gap(
                    "acceptance_without_authority",
                    "risk",
                    risk_id,
                    since,
                    f"the residual risk of {title} was accepted by {names}, "
                    f"not accountable for {system}",
                    (acceptance.decision,),
                    f"het rest-risico van {title} is aanvaard door {names}, "
                    f"niet eindverantwoordelijk voor {system}",
                    subject=system,
                    parties=outsiders,
                )
            )
        if f.reached(acceptance.review_by + DAY):
            gaps.append(
                Gap(
                    "acceptance_past_review",
                    "risk",
                    risk_id,
                    acceptance.review_by + DAY,
                    f"the acceptance of {title} was due for review on {acceptance.review_by}",
                    (acceptance.decision,),
                    f"de aanvaarding van {title} had herzien moeten worden op "
                    f"{acceptance.review_by}",
                    subject=system,
                    parties=accepted_by,
                )
            )
    if not risk.assessments:
        gaps.append(
            Gap(
                "risk_not_assessed",
                "risk",
                risk_id,
                risk.identified_on,
                f"{title} was identified on {risk.identified_on} but never assessed",
                tuple(risk.decisions),
                f"{title} is geïdentificeerd op {risk.identified_on}, maar nooit beoordeeld",
                subject=system,
            )
        )
    else:
        latest = risk.assessments[-1]
        if not _criteria_cover(f, system, latest.criteria):
            gaps.append(
                Gap(
                    "assessment_without_criteria",
                    "risk",
                    risk_id,
                    latest.on,
                    f"{title} was assessed on {latest.on} without acceptance criteria in force",
                    (latest.decision,),
                    f"{title} is beoordeeld op {latest.on} zonder geldende acceptatiecriteria",
                    subject=system,
                )
            )
    return gaps


def _criteria_cover(f: Facts, system: str, criteria: str | None) -> bool:
    """Whether `criteria` are in force and apply to `system`."""
    if criteria is None:
        return False
    found = f.criteria(criteria)
    return found is not None and system in found.scope


# --- a system's acceptance criteria ---------------------------------------------------------


def system_gaps(f: Facts, system: str) -> list[Gap]:
    """A system with identified risks but no criteria in force for accepting residual risk
    (the Inspectorate's finding 5)."""
    risks = f.risks_on(system)
    if not risks or f.covered(system):
        return []
    risks.sort(key=lambda r: r.risk)
    return [
        Gap(
            "no_acceptance_criteria",
            "subject",
            system,
            min(r.identified_on for r in risks),
            f"{len(risks)} risk(s) identified for {system}, but no criteria for accepting "
            "residual risk are in force for it",
            tuple(r.decision for r in risks),
            f"{len(risks)} risico('s) geïdentificeerd voor {system}, maar er gelden geen criteria "
            "voor het aanvaarden van rest-risico's",
            subject=system,
        )
    ]


# --- recommendations and commitments ----------------------------------------------------------


def recommendation_gaps(f: Facts, recommendation: str) -> list[Gap]:
    """An open recommendation nobody owns, or past its due date."""
    rec = f.recommendation(recommendation)
    if rec is None or rec.closed_on is not None:
        return []
    gaps: list[Gap] = []
    owners = () if rec.owner is None else (rec.owner,)
    if rec.owner is None and rec.response != "rejected":
        gaps.append(
            Gap(
                "recommendation_without_owner",
                "recommendation",
                rec.id,
                rec.issued_on,
                f"recommendation {rec.id} has no owner",
                tuple(rec.decisions),
                f"aanbeveling {rec.id} heeft geen eigenaar",
            )
        )
    if rec.due_on is not None and f.reached(rec.due_on + DAY):
        gaps.append(
            Gap(
                "recommendation_overdue",
                "recommendation",
                rec.id,
                rec.due_on + DAY,
                f"recommendation {rec.id} was due on {rec.due_on} and is still open",
                tuple(rec.decisions),
                f"aanbeveling {rec.id} moest uiterlijk {rec.due_on} zijn afgehandeld en staat "
                "nog open",
                parties=owners,
            )
        )
    return gaps


def commitment_gaps(f: Facts, commitment: str) -> list[Gap]:
    """A commitment to parliament past its due date and not kept."""
    com = f.commitment(commitment)
    if com is None or com.kept_on is not None or not f.reached(com.due_on + DAY):
        return []
    return [
        Gap(
            "commitment_overdue",
            "commitment",
            com.id,
            com.due_on + DAY,
            f"the promise '{com.promise}' was due on {com.due_on} and is not kept",
            tuple(com.decisions),
            f"de toezegging '{com.promise}' moest uiterlijk {com.due_on} zijn nagekomen en is "
            "dat niet",
            parties=tuple(com.made_by),
        )
    ]


# --- consent --------------------------------------------------------------------------------


def consent_gaps(f: Facts, decision: str) -> list[Gap]:
    """A decision that needs other parties' agreement and still lacks some of it."""
    root = UUID(decision)
    waiting = f.waiting(root)
    if waiting is None or not f.reached(waiting.effective_on):
        return []
    given = f.consents(root)
    missing = tuple(p for p in waiting.required if p not in given)
    if not missing:
        return []
    names = ", ".join(missing)
    return [
        Gap(
            "consent_missing",
            "decision",
            decision,
            waiting.effective_on,
            f"{waiting.kind} of {waiting.effective_on} still needs the consent of {names}",
            (root, *waiting.consents),
            f"{waiting.kind} van {waiting.effective_on} wacht nog op instemming van {names}",
            parties=missing,
        )
    ]


Scope = tuple[str, str]
"""(kind of scope, its key), e.g. ("risk", "c2000-keten-onbeveiligd")."""

SCOPES: dict[str, Callable[[Facts, str], list[Gap]]] = {
    "subject": subject_gaps,
    "party": party_gaps,
    "risk": risk_gaps,
    "system": system_gaps,
    "recommendation": recommendation_gaps,
    "commitment": commitment_gaps,
    "consent": consent_gaps,
}
"""Kind of scope -> its rules, asked for one key."""


def gaps_of(f: Facts, scopes: list[Scope]) -> list[Gap]:
    """Every gap of the scopes, in the report's order."""
    found = [gap for kind, key in scopes for gap in SCOPES[kind](f, key)]
    found.sort(key=lambda gap: gap.sort_key)
    return found
