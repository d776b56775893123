"""The gap report: where responsibility is not anchored ("lacunes in de borging van
verantwoordelijkheden"), and findings 3 and 5 of the Inspectorate in data form.

Each rule is one small function from a `GapContext` to the gaps it finds. `RULES` lists them;
`find_gaps` runs them all. A gap names its rule, the thing it is about, since when it holds,
and the decisions behind it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from uuid import UUID

from domain import decisions as d
from domain.governance import GovernanceState, Risk
from domain.knowledge import Known
from domain.vocabulary import EARLIEST_DATE, Role


@dataclass(frozen=True)
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

    def run_start(self, holds: Callable[[frozenset[str], int], bool]) -> date:
        """The first day of the unbroken run, up to now, in which `holds(accountable,
        responsible)` is true; EARLIEST_DATE if it held from before the first decision."""
        start = EARLIEST_DATE
        for on, accountable, responsible in reversed(self.days):
            if not holds(accountable, responsible):
                return start
            start = on
        return start if not holds(frozenset(), 0) else EARLIEST_DATE


@dataclass
class GapContext:
    state: GovernanceState
    knowledge: Known
    as_of: date
    _holders: dict[tuple[str, Role], list[str]] | None = field(default=None, repr=False)
    _decisions: dict[str, list[UUID]] | None = field(default=None, repr=False)
    _histories: dict[str, RoleHistory] = field(default_factory=dict, repr=False)

    def holders(self, subject: str, role: Role) -> list[str]:
        """Who holds `role` for `subject` on as_of (indexed once per report)."""
        if self._holders is None:
            index: dict[tuple[str, Role], list[str]] = {}
            for h in self.state.holdings.values():
                index.setdefault((h.subject, h.role), []).append(h.party)
            self._holders = {key: sorted(parties) for key, parties in index.items()}
        return self._holders.get((subject, role), [])

    def holding_decisions(self, subject: str) -> tuple[UUID, ...]:
        """The decisions behind every role held for `subject` on as_of."""
        if self._decisions is None:
            self._decisions = {}
            for h in self.state.holdings.values():
                self._decisions.setdefault(h.subject, []).extend(h.decisions)
        return tuple(self._decisions.get(subject, ()))

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


def _nobody(accountable: frozenset[str], responsible: int) -> bool:
    return not accountable


def _several(accountable: frozenset[str], responsible: int) -> bool:
    return len(accountable) > 1


def _alone(accountable: frozenset[str], responsible: int) -> bool:
    return bool(accountable) and responsible == 0


def _without(parties: tuple[str, ...], accountable: frozenset[str], responsible: int) -> bool:
    return any(p not in accountable for p in parties)


# --- responsibilities -------------------------------------------------------------------------


def subject_without_accountable(c: GapContext) -> list[Gap]:
    """A subject nobody is accountable for."""
    return [
        Gap(
            "no_accountable",
            "subject",
            subject.id,
            max(subject.registered_on, c.history(subject.id).run_start(_nobody)),
            f"nobody is accountable for {subject.name}",
            tuple(subject.decisions),
            f"niemand is eindverantwoordelijk voor {subject.name}",
        )
        for subject in c.state.subjects.values()
        if not c.holders(subject.id, Role.ACCOUNTABLE)
    ]


def subject_with_several_accountable(c: GapContext) -> list[Gap]:
    """More than one party accountable for one subject."""
    return [
        Gap(
            "several_accountable",
            "subject",
            subject.id,
            c.history(subject.id).run_start(_several),
            f"{len(accountable)} parties are accountable for {subject.name}: "
            + ", ".join(accountable),
            c.holding_decisions(subject.id),
            f"{len(accountable)} partijen zijn eindverantwoordelijk voor {subject.name}: "
            + ", ".join(accountable),
        )
        for subject in c.state.subjects.values()
        if len(accountable := c.holders(subject.id, Role.ACCOUNTABLE)) > 1
    ]


def accountable_without_responsible(c: GapContext) -> list[Gap]:
    """A subject with an accountable party but nobody responsible for carrying it out."""
    return [
        Gap(
            "no_responsible",
            "subject",
            subject.id,
            c.history(subject.id).run_start(_alone),
            f"{subject.name} has an accountable party but nobody responsible",
            c.holding_decisions(subject.id),
            f"{subject.name} heeft een eindverantwoordelijke, maar niemand die het uitvoert",
        )
        for subject in c.state.subjects.values()
        if c.holders(subject.id, Role.ACCOUNTABLE) and not c.holders(subject.id, Role.RESPONSIBLE)
    ]


def role_held_by_dissolved_party(c: GapContext) -> list[Gap]:
    """A role still held by a party that has been dissolved."""
    gaps = []
    for holding in c.state.holdings.values():
        party = c.state.parties.get(holding.party)
        if party is None or party.active():
            continue
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


def _criteria_in_force(c: GapContext, risk: Risk, criteria: str | None) -> bool:
    found = c.state.criteria.get(criteria) if criteria else None
    return found is not None and risk.system in found.scope


def acceptance_without_criteria(c: GapContext) -> list[Gap]:
    """A residual risk accepted without acceptance criteria in force for its system."""
    gaps = []
    for risk in c.state.risks.values():
        acceptance = risk.acceptance_in_force()
        if acceptance is None or _criteria_in_force(c, risk, acceptance.criteria):
            continue
        if acceptance.criteria is None:
            why, waarom = "names no criteria", "noemt geen criteria"
        else:
            why = (
                f"names criteria {acceptance.criteria!r}, which are not in force for {risk.system}"
            )
            waarom = f"noemt criteria {acceptance.criteria!r}, die niet gelden voor {risk.system}"
        gaps.append(
            Gap(
                "acceptance_without_criteria",
                "risk",
                risk.id,
                acceptance.on,
                f"the residual risk of {risk.title} was accepted, but the acceptance {why}",
                (acceptance.decision,),
                f"het rest-risico van {risk.title} is aanvaard, maar de aanvaarding {waarom}",
            )
        )
    return gaps


def acceptance_by_party_not_accountable(c: GapContext) -> list[Gap]:
    """A residual risk accepted by a party not accountable for the system it threatens."""
    gaps = []
    for risk in c.state.risks.values():
        acceptance = risk.acceptance_in_force()
        if acceptance is None:
            continue
        accountable = set(c.holders(risk.system, Role.ACCOUNTABLE))
        outsiders = sorted(set(acceptance.accepted_by) - accountable)
        if not outsiders:
            continue
        not_accountable = c.history(risk.system).run_start(partial(_without, tuple(outsiders)))
        since = max(acceptance.on, not_accountable)
        gaps.append(
            Gap(
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
        )
    return gaps


def system_without_acceptance_criteria(c: GapContext) -> list[Gap]:
    """A system with identified risks but no criteria in force for accepting residual risk
    (the Inspectorate's finding 5)."""
    covered = {subject for criteria in c.state.criteria.values() for subject in criteria.scope}
    at_risk: dict[str, list[Risk]] = {}
    for risk in c.state.risks.values():
        at_risk.setdefault(risk.system, []).append(risk)
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
    gaps = []
    for risk in c.state.risks.values():
        if not risk.assessments:
            continue
        latest = risk.assessments[-1]
        if _criteria_in_force(c, risk, latest.criteria):
            continue
        gaps.append(
            Gap(
                "assessment_without_criteria",
                "risk",
                risk.id,
                latest.on,
                f"{risk.title} was assessed on {latest.on} without acceptance criteria in force",
                (latest.decision,),
                f"{risk.title} is beoordeeld op {latest.on} zonder geldende acceptatiecriteria",
            )
        )
    return gaps


def acceptance_past_review(c: GapContext) -> list[Gap]:
    """An acceptance in force past its review-by date."""
    return [
        Gap(
            "acceptance_past_review",
            "risk",
            risk.id,
            acceptance.review_by + timedelta(days=1),
            f"the acceptance of {risk.title} was due for review on {acceptance.review_by}",
            (acceptance.decision,),
            f"de aanvaarding van {risk.title} had herzien moeten worden op {acceptance.review_by}",
        )
        for risk in c.state.risks.values()
        if (acceptance := risk.acceptance_in_force()) is not None and acceptance.review_by < c.as_of
    ]


def risk_never_assessed(c: GapContext) -> list[Gap]:
    """A risk identified but never assessed."""
    return [
        Gap(
            "risk_not_assessed",
            "risk",
            risk.id,
            risk.identified_on,
            f"{risk.title} was identified on {risk.identified_on} but never assessed",
            tuple(risk.decisions),
            f"{risk.title} is geïdentificeerd op {risk.identified_on}, maar nooit beoordeeld",
        )
        for risk in c.state.risks.values()
        if not risk.assessments
    ]


# --- recommendations and commitments ----------------------------------------------------------


def recommendation_without_owner(c: GapContext) -> list[Gap]:
    """An open recommendation nobody owns."""
    return [
        Gap(
            "recommendation_without_owner",
            "recommendation",
            rec.id,
            rec.issued_on,
            f"recommendation {rec.id} has no owner",
            tuple(rec.decisions),
            f"aanbeveling {rec.id} heeft geen eigenaar",
        )
        for rec in c.state.recommendations.values()
        if rec.status == "open" and rec.owner is None and (rec.response != "rejected")
    ]


def recommendation_overdue(c: GapContext) -> list[Gap]:
    """An open recommendation past its due date."""
    return [
        Gap(
            "recommendation_overdue",
            "recommendation",
            rec.id,
            rec.due_on + timedelta(days=1),
            f"recommendation {rec.id} was due on {rec.due_on} and is still open",
            tuple(rec.decisions),
            f"aanbeveling {rec.id} moest uiterlijk {rec.due_on} zijn afgehandeld en staat nog open",
        )
        for rec in c.state.recommendations.values()
        if rec.status == "open" and rec.due_on is not None and rec.due_on < c.as_of
    ]


def commitment_past_due(c: GapContext) -> list[Gap]:
    """A commitment to parliament past its due date and not kept."""
    return [
        Gap(
            "commitment_overdue",
            "commitment",
            com.id,
            com.due_on + timedelta(days=1),
            f"the promise '{com.promise}' was due on {com.due_on} and is not kept",
            tuple(com.decisions),
            f"de toezegging '{com.promise}' moest uiterlijk {com.due_on} zijn nagekomen en is "
            "dat niet",
        )
        for com in c.state.commitments.values()
        if com.kept_on is None and com.due_on < c.as_of
    ]


def consent_missing(c: GapContext) -> list[Gap]:
    """A decision that needs other parties' agreement and still lacks some of it."""
    gaps = []
    for root in c.knowledge.roots(c.knowledge.needs_consent):
        content = c.knowledge.current(root)
        if content is None or not content.requires_consent_of or content.effective_on > c.as_of:
            continue
        given = {party for party, on in c.knowledge.consent_dates(root).items() if on <= c.as_of}
        missing = [p for p in content.requires_consent_of if p not in given]
        if missing:
            gaps.append(
                Gap(
                    "consent_missing",
                    "decision",
                    str(root),
                    content.effective_on,
                    f"{content.kind} of {content.effective_on} still needs the consent of "
                    f"{', '.join(missing)}",
                    (root, *c.knowledge.consents.get(root, [])),
                    f"{content.kind} van {content.effective_on} wacht nog op instemming van "
                    f"{', '.join(missing)}",
                )
            )
    return gaps


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


def find_gaps(state: GovernanceState, knowledge: Known, as_of: date) -> list[Gap]:
    """Run every rule on a state (and the knowledge it was folded from)."""
    context = GapContext(state, knowledge, as_of)
    return [gap for rule in RULES for gap in rule(context)]
