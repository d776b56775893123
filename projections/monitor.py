"""The monitor: how the anchoring of responsibilities developed over time. For each date of a
range (month ends by default): the gaps per rule, subjects without an accountable party, open
and overdue recommendations and commitments, and per system its risks identified, assessed,
treated, accepted and past their review date — each date one question of the read model, all
from one consistent snapshot, as known at one moment.

A point is what the gap report and the registers answer on that date: overdue recommendations
and commitments are the gap report's `recommendation_overdue` and `commitment_overdue`.
"""

from __future__ import annotations

import calendar
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from domain.gaps import RULE_ORDER
from ledger.tables import Tables
from projections.answers import GapFilter, Moment, Question

Step = Literal["month", "quarter", "year"]
_MONTHS = {"month": 1, "quarter": 3, "year": 12}
MAX_POINTS = 400
"""At most this many dates in one monitor (a month a point: over 33 years)."""


def two_years_before(day: date) -> date:
    """The default start of a monitor that ends on `day` (no earlier than the first date)."""
    return date(max(1, day.year - 2), day.month, min(day.day, 28))


def period_ends(first: date, last: date, step: Step = "month") -> list[date]:
    """The last day of every month (quarter, year) from the one holding `first` to the one
    holding `last`; `last` itself if it falls before its period's end."""
    months = _MONTHS[step]
    month = first.month - 1
    month -= month % months  # the start of `first`'s period
    year = first.year
    found: list[date] = []
    while True:
        month += months
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
        end = date(year, month, calendar.monthrange(year, month)[1])
        found.append(min(end, last))
        if end >= last:
            return found
        if len(found) >= MAX_POINTS:
            raise ValueError(f"a monitor has at most {MAX_POINTS} dates; use a larger step")


@dataclass
class SystemRisks:
    identified: int = 0
    assessed: int = 0
    treated: int = 0
    accepted: int = 0
    past_review: int = 0


@dataclass
class Point:
    as_of: date
    gaps: dict[str, int]
    unaccountable_subjects: int
    recommendations_open: int
    recommendations_overdue: int
    commitments_open: int
    commitments_overdue: int
    risks: dict[str, SystemRisks] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "gaps": self.gaps,
            "gaps_total": sum(self.gaps.values()),
            "unaccountable_subjects": self.unaccountable_subjects,
            "recommendations": {
                "open": self.recommendations_open,
                "overdue": self.recommendations_overdue,
            },
            "commitments": {"open": self.commitments_open, "overdue": self.commitments_overdue},
            "risks": {system: vars(counts) for system, counts in sorted(self.risks.items())},
        }


def point(tables: Tables, moment: Moment) -> Point:
    """The monitor's figures on `moment.as_of`, as known at `moment.known_at`."""
    question = Question(tables, moment)
    counts = question.gap_page(GapFilter(), None, 1).counts
    gaps = {rule: counts.get(rule, 0) for rule in RULE_ORDER}
    state = question.state(("risk", "recommendation", "commitment"))
    risks: dict[str, SystemRisks] = {}
    for risk in state.risks.values():
        found = risks.setdefault(risk.system, SystemRisks())
        found.identified += 1
        found.assessed += bool(risk.assessments)
        found.treated += bool(risk.treatments)
        acceptance = risk.acceptance_in_force()
        found.accepted += acceptance is not None
        found.past_review += acceptance is not None and acceptance.review_by < moment.as_of
    return Point(
        moment.as_of,
        gaps,
        gaps["no_accountable"],
        sum(1 for r in state.recommendations.values() if r.closed_on is None),
        gaps["recommendation_overdue"],
        sum(1 for c in state.commitments.values() if c.kept_on is None),
        gaps["commitment_overdue"],
        risks,
    )


def monitor_csv(points: list[Point]) -> Iterator[str]:
    """One line a date: the counts, then the gaps per rule."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "as_of",
            "gaps_total",
            "unaccountable_subjects",
            "recommendations_open",
            "recommendations_overdue",
            "commitments_open",
            "commitments_overdue",
            "risks_identified",
            "risks_assessed",
            "risks_treated",
            "risks_accepted",
            "risks_past_review",
            *RULE_ORDER,
        ]
    )
    for p in points:
        systems = p.risks.values()
        writer.writerow(
            [
                p.as_of.isoformat(),
                sum(p.gaps.values()),
                p.unaccountable_subjects,
                p.recommendations_open,
                p.recommendations_overdue,
                p.commitments_open,
                p.commitments_overdue,
                *(
                    sum(getattr(s, name) for s in systems)
                    for name in ("identified", "assessed", "treated", "accepted", "past_review")
                ),
                *(p.gaps[rule] for rule in RULE_ORDER),
            ]
        )
    yield out.getvalue()
