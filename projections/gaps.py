"""The gap report: where responsibility is not anchored ("lacunes in de borging van
verantwoordelijkheden"), and findings 3 and 5 of the Inspectorate in data form.

Each rule is one small function from a `GapContext` to the gaps it finds. `RULES` lists them;
`find_gaps` runs them all. A gap names its rule, the thing it is about, since when it holds,
and the decisions behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from uuid import UUID

from domain import decisions as d
from domain.governance import GovernanceState, InForce, Risk
from domain.knowledge import Knowledge
from domain.vocabulary import Role


@dataclass(frozen=True)
class Gap:
    rule: str
    about: str
    """What it is about: subject, party, risk, recommendation, commitment or decision."""
    id: str
    since: date | None
    message: str
    decisions: tuple[UUID, ...] = ()


@dataclass
class GapContext:
    state: GovernanceState
    knowledge: Knowledge
    as_of: date
    _holders: dict[tuple[str, Role], list[str]] | None = field(default=None, repr=False)

    def since(
        self, keys: Iterable[d.EntityKey], holds: Callable[[GovernanceState], bool]
    ) -> date | None:
        """The first day of the last unbroken run, up to as_of, in which `holds` is true of the
        things named by `keys` (their state changes only when their decisions take effect)."""
        start: date | None = None
        for on, state in self._history(tuple(sorted(keys))):
            start = (start or on) if holds(state) else None
        return start

    def _history(self, keys: tuple[d.EntityKey, ...]) -> Iterator[tuple[date, GovernanceState]]:
        """The state of the things named by `keys` at the end of each day it changed (one
        state, folded on as the days go by: read it before asking for the next day)."""
        ids = (i for key in keys for i in self.knowledge.about.get(key, []))
        items: list[InForce] = sorted(
            (
                item
                for root in self.knowledge.roots(ids)
                if (item := self.knowledge.in_force(root)) is not None
                and item.in_force_on <= self.as_of
            ),
            key=lambda i: (i.in_force_on, i.position),
        )
        state = GovernanceState()
        for index, item in enumerate(items):
            state.apply(item)
            if index + 1 == len(items) or items[index + 1].in_force_on != item.in_force_on:
                yield item.in_force_on, state

    def holders(self, subject: str, role: Role) -> list[str]:
        """Who holds `role` for `subject` in the state (indexed once per report)."""
        if self._holders is None:
            index: dict[tuple[str, Role], list[str]] = {}
            for h in self.state.holdings.values():
                index.setdefault((h.subject, h.role), []).append(h.party)
            self._holders = {key: sorted(parties) for key, parties in index.items()}
        return self._holders.get((subject, role), [])


def _holders(state: GovernanceState, subject: str, role: Role) -> list[str]:
    return sorted(
        h.party for h in state.holdings.values() if h.subject == subject and h.role is role
    )


def _holding_decisions(state: GovernanceState, subject: str) -> tuple[UUID, ...]:
    return tuple(i for h in state.holdings.values() if h.subject == subject for i in h.decisions)


def _lacks_accountable(subject: str, s: GovernanceState) -> bool:
    return subject in s.subjects and not _holders(s, subject, Role.ACCOUNTABLE)


def _several_accountable(subject: str, s: GovernanceState) -> bool:
    return len(_holders(s, subject, Role.ACCOUNTABLE)) > 1


def _accountable_alone(subject: str, s: GovernanceState) -> bool:
    return bool(_holders(s, subject, Role.ACCOUNTABLE)) and not _holders(
        s, subject, Role.RESPONSIBLE
    )


def _accepted_by_outsiders(
    risk: str, system: str, who: tuple[str, ...], s: GovernanceState
) -> bool:
    found = s.risks.get(risk)
    accountable = _holders(s, system, Role.ACCOUNTABLE)
    return (
        found is not None
        and found.acceptance_in_force() is not None
        and any(p not in accountable for p in who)
    )


# --- responsibilities -------------------------------------------------------------------------


def subject_without_accountable(c: GapContext) -> list[Gap]:
    """A subject nobody is accountable for."""
    gaps = []
    for subject in c.state.subjects.values():
        if c.holders(subject.id, Role.ACCOUNTABLE):
            continue
        keys = [("subject", subject.id), ("responsibilities", subject.id)]
        since = c.since(
            keys,
            partial(_lacks_accountable, subject.id),
        )
        gaps.append(
            Gap(
                "no_accountable",
                "subject",
                subject.id,
                since,
                f"nobody is accountable for {subject.name}",
                tuple(subject.decisions),
            )
        )
    return gaps


def subject_with_several_accountable(c: GapContext) -> list[Gap]:
    """More than one party accountable for one subject."""
    gaps = []
    for subject in c.state.subjects.values():
        accountable = c.holders(subject.id, Role.ACCOUNTABLE)
        if len(accountable) < 2:
            continue
        since = c.since(
            [("responsibilities", subject.id)],
            partial(_several_accountable, subject.id),
        )
        gaps.append(
            Gap(
                "several_accountable",
                "subject",
                subject.id,
                since,
                f"{len(accountable)} parties are accountable for {subject.name}: "
                + ", ".join(accountable),
                _holding_decisions(c.state, subject.id),
            )
        )
    return gaps


def accountable_without_responsible(c: GapContext) -> list[Gap]:
    """A subject with an accountable party but nobody responsible for carrying it out."""
    gaps = []
    for subject in c.state.subjects.values():
        if not c.holders(subject.id, Role.ACCOUNTABLE) or _holders(
            c.state, subject.id, Role.RESPONSIBLE
        ):
            continue
        since = c.since(
            [("responsibilities", subject.id)],
            partial(_accountable_alone, subject.id),
        )
        gaps.append(
            Gap(
                "no_responsible",
                "subject",
                subject.id,
                since,
                f"{subject.name} has an accountable party but nobody responsible",
                _holding_decisions(c.state, subject.id),
            )
        )
    return gaps


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
        why = (
            "names no criteria"
            if acceptance.criteria is None
            else (
                f"names criteria {acceptance.criteria!r}, which are not in force for {risk.system}"
            )
        )
        gaps.append(
            Gap(
                "acceptance_without_criteria",
                "risk",
                risk.id,
                acceptance.on,
                f"the residual risk of {risk.title} was accepted, but the acceptance {why}",
                (acceptance.decision,),
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
        since = c.since(
            [("risk", risk.id), ("responsibilities", risk.system)],
            partial(_accepted_by_outsiders, risk.id, risk.system, tuple(outsiders)),
        )
        gaps.append(
            Gap(
                "acceptance_without_authority",
                "risk",
                risk.id,
                since or acceptance.on,
                f"the residual risk of {risk.title} was accepted by {', '.join(outsiders)}, "
                f"not accountable for {risk.system}",
                (acceptance.decision,),
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


def find_gaps(state: GovernanceState, knowledge: Knowledge, as_of: date) -> list[Gap]:
    """Run every rule on a state (and the knowledge it was folded from)."""
    context = GapContext(state, knowledge, as_of)
    return [gap for rule in RULES for gap in rule(context)]
