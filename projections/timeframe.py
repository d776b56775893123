"""The two times of the ledger: `as_of` (valid time, a date) and `known_at` (transaction time)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from domain.vocabulary import AMSTERDAM

__all__ = ["AMSTERDAM", "end_of_day", "parse_as_of", "parse_known_at", "start_of_day", "today"]


def start_of_day(day: date) -> datetime:
    """The first instant of a day in Europe/Amsterdam, in UTC."""
    return datetime.combine(day, time.min, tzinfo=AMSTERDAM).astimezone(UTC)


def end_of_day(day: date) -> datetime:
    """The last instant of a day in Europe/Amsterdam, in UTC."""
    next_midnight = datetime.combine(day + timedelta(days=1), time.min, tzinfo=AMSTERDAM)
    return (next_midnight - timedelta(microseconds=1)).astimezone(UTC)


def parse_known_at(text: str) -> datetime:
    """Read a moment: a date means the end of that day in Amsterdam; a naive time is Amsterdam's."""
    text = text.strip()
    try:
        if len(text) == 10:
            return end_of_day(date.fromisoformat(text))
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date (YYYY-MM-DD) or a moment (YYYY-MM-DDTHH:MM[:SS][+01:00])"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=AMSTERDAM)
    return moment.astimezone(UTC)


def parse_as_of(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def today() -> date:
    return datetime.now(AMSTERDAM).date()
