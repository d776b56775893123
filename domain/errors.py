"""Domain errors, each with a message a secretariat clerk understands.

DomainError
├── InvalidDecision      the decision is malformed (a field fails its format) -> 422
├── RuleViolation        well formed, but breaks a governance rule            -> 409
├── ConcurrencyConflict  someone else recorded first and the retry budget ran out -> 409
├── IdempotencyConflict  an idempotency key reused for a different request    -> 409
└── NotFound             no decision (or party, subject, ...) with that id    -> 404
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_LISTED_PROBLEMS = 50
"""How many problems a refusal lists; the rest are counted (or, reading a file, not sought)."""


class DomainError(Exception):
    """Base class of every error the domain raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldProblem:
    """One bad field: where it is, what was given, which rule it breaks."""

    field: str
    rule: str
    message: str
    value: Any = None


class InvalidDecision(DomainError):
    """Refuse a decision whose fields do not have the right form."""

    def __init__(self, problems: list[FieldProblem], *, stopped_early: bool = False) -> None:
        self.problems = problems
        self.stopped_early = stopped_early
        """Validation stopped at MAX_LISTED_PROBLEMS problems: there may be more."""
        listed = problems[:MAX_LISTED_PROBLEMS]
        more = len(problems) - len(listed)
        super().__init__(
            "; ".join(f"{p.field}: {p.message}" for p in listed)
            + (f"; and {more} more" if more else "")
        )


@dataclass
class RuleViolation(DomainError):
    """Refuse a well-formed decision that breaks a governance rule."""

    rule: str
    field: str
    value: Any
    explanation: str
    decision_index: int | None = None

    def __post_init__(self) -> None:
        super().__init__(f"{self.field} = {self.value!r}: {self.explanation} (rule: {self.rule})")


class ConcurrencyConflict(DomainError):
    """Give up after other writers kept recording first."""


class IdempotencyConflict(DomainError):
    """Refuse an idempotency key that was already used for a different request."""


class NotFound(DomainError):
    """Report that no such decision or object is known."""
