"""JSON Lines in and out: the import format (one decision a line) and the export format
(one recorded decision a line, with what `--restore` needs to reproduce it exactly)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

import orjson
from pydantic import ValidationError

from domain.decisions import Decision, RecordedDecision, decode_decision
from domain.errors import MAX_LISTED_PROBLEMS, FieldProblem, InvalidDecision
from ledger.service import ExportRecord, Ledger

MAX_PROBLEMS = MAX_LISTED_PROBLEMS
"""Validation of a file stops at this many problems."""


def _lines(stream: Iterable[bytes | str]) -> Iterator[tuple[int, Any]]:
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            yield number, orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            yield (
                number,
                InvalidDecision(
                    [FieldProblem(f"line {number}", "json_invalid", f"is not valid JSON: {error}")]
                ),
            )


def read_decisions(
    stream: Iterable[bytes | str], progress: Callable[[int], None] = lambda _: None
) -> list[Decision]:
    """Validate every line first; raise one InvalidDecision listing every bad line and field."""
    decisions: list[Decision] = []
    problems: list[FieldProblem] = []
    for number, data in _lines(stream):
        progress(number)
        try:
            if isinstance(data, InvalidDecision):
                raise data
            decisions.append(decode_decision(data, where=f"line {number}: "))
        except InvalidDecision as invalid:
            problems.extend(invalid.problems)
            if len(problems) >= MAX_PROBLEMS:
                break
    if problems:
        raise InvalidDecision(problems[:MAX_PROBLEMS], stopped_early=len(problems) >= MAX_PROBLEMS)
    return decisions


def read_export(
    stream: Iterable[bytes | str], progress: Callable[[int], None] = lambda _: None
) -> list[ExportRecord]:
    """Validate a whole export; raise InvalidDecision listing every bad line."""
    records: list[ExportRecord] = []
    problems: list[FieldProblem] = []
    for number, data in _lines(stream):
        progress(number)
        if isinstance(data, InvalidDecision):
            problems.extend(data.problems)
            continue
        try:
            if not isinstance(data, dict):
                raise InvalidDecision([FieldProblem(f"line {number}", "type", "must be an object")])
            key = data.pop("idempotency_key", None)
            fingerprint = data.pop("request_fingerprint", None)
            # a restore reproduces what the ledger held: not checked as new input
            decision = decode_decision(
                data.get("decision"), where=f"line {number}: decision.", new=False
            )
            recorded = RecordedDecision.model_validate({**data, "decision": decision})
            records.append(ExportRecord(recorded, key, fingerprint))
        except InvalidDecision as invalid:
            problems.extend(invalid.problems)
        except ValidationError as error:
            problems.extend(
                FieldProblem(f"line {number}: " + ".".join(map(str, p["loc"])), p["type"], p["msg"])
                for p in error.errors(include_url=False)
            )
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise InvalidDecision(problems[:MAX_PROBLEMS], stopped_early=len(problems) >= MAX_PROBLEMS)
    return records


def write_export(ledger: Ledger, out: IO[bytes], missing: list[int] | None = None) -> int:
    """Write every decision, in ledger order, as JSON Lines; return how many. With `missing`,
    a store with positions missing is written as it is and they are added to it (see
    `Ledger.export`)."""
    count = 0
    for record in ledger.export(missing):
        out.write(orjson.dumps(record.to_json()) + b"\n")
        count += 1
    return count
