"""The deadline calendar: the dates the governance has set itself — commitments due, answers to
recommendations due, evaluations expected, residual-risk acceptances to review — as iCalendar
(RFC 5545), for a calendar program to subscribe to.

Each deadline is an all-day event with a stable UID (the same deadline keeps its event across
fetches, so a calendar program updates it instead of adding another), its state in the title
(kept, closed, reported, withdrawn: the event stays, marked), and the decision it rests on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from icalendar import Calendar, Event

from domain.governance import GovernanceState

PRODUCT = "-//Meldkamer governance ledger//deadlines//NL"
UID_DOMAIN = "meldkamer-ledger"


@dataclass(frozen=True)
class Deadline:
    uid: str
    on: date
    kind: str  # commitment, recommendation, evaluation, acceptance_review
    title: str
    done: str | None  # what settled it ("nagekomen op 2022-03-01"), None while it is open
    parties: tuple[str, ...]
    decision: UUID


_KINDS = {
    "commitment": "Toezegging",
    "recommendation": "Aanbeveling",
    "evaluation": "Evaluatie verwacht",
    "acceptance_review": "Herbeoordeling risicoacceptatie",
}


def deadlines(state: GovernanceState, party: str | None = None) -> list[Deadline]:
    """Every deadline in `state` (of `party` only: the party that made the commitment, owns or
    issued the recommendation, evaluates, or accepted the risk), by date."""
    found: list[Deadline] = []
    for c in state.commitments.values():
        done = f"nagekomen op {c.kept_on}" if c.kept_on else None
        found.append(
            Deadline(
                f"commitment-{c.id}", c.due_on, "commitment", c.promise, done,
                tuple(c.made_by), c.decisions[0],
            )
        )  # fmt: skip
    for r in state.recommendations.values():
        if r.due_on is None:
            continue
        done = f"gesloten op {r.closed_on}" if r.closed_on else None
        owners = (r.owner,) if r.owner else ()
        found.append(
            Deadline(
                f"recommendation-{r.id}", r.due_on, "recommendation", r.text, done,
                (*owners, *r.issued_by), r.decisions[0],
            )
        )  # fmt: skip
    for e in state.evaluations.values():
        if e.expected_by is None:
            continue
        done = f"gerapporteerd op {e.reported_on}" if e.reported_on else None
        found.append(
            Deadline(
                f"evaluation-{e.id}", e.expected_by, "evaluation", e.title, done,
                (e.evaluator,), e.decisions[0],
            )
        )  # fmt: skip
    for risk in state.risks.values():
        for a in risk.acceptances:
            done = f"ingetrokken op {a.withdrawn_on}" if a.withdrawn_on else None
            found.append(
                Deadline(
                    f"acceptance-{risk.id}-{a.decision}", a.review_by, "acceptance_review",
                    risk.title, done, tuple(a.accepted_by), a.decision,
                )
            )  # fmt: skip
    if party is not None:
        found = [x for x in found if party in x.parties]
    return sorted(found, key=lambda x: (x.on, x.kind, x.uid))


def calendar_ics(
    found: Iterable[Deadline],
    names: dict[str, str],
    stamp: datetime,
    link: str,
) -> bytes:
    """The deadlines as an iCalendar file; `stamp` is the moment the answer is as known at,
    `link` the address of a decision's page with `{}` for its id."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Meldkamers: termijnen")
    for deadline in found:
        event = Event()
        event.add("uid", f"{deadline.uid}@{UID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("dtstart", deadline.on)
        event.add("dtend", deadline.on + timedelta(days=1))
        state = f" ({deadline.done})" if deadline.done else ""
        event.add("summary", f"{_KINDS[deadline.kind]}: {deadline.title}{state}")
        who = ", ".join(names.get(p, p) for p in deadline.parties)
        event.add("description", f"{deadline.title}\nPartijen: {who}\nBesluit: {deadline.decision}")
        event.add("categories", [deadline.kind])
        event.add("transp", "TRANSPARENT")
        event.add("url", link.format(deadline.decision))
        calendar.add_component(event)
    return bytes(calendar.to_ical())
