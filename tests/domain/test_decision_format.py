"""Malformed decisions are refused with the field, the value and the reason named."""

from __future__ import annotations

from typing import Any

import pytest

from domain.decisions import decode_decision
from domain.errors import InvalidDecision

VALID: dict[str, Any] = {
    "kind": "responsibility.assigned",
    "party": "korpschef",
    "subject": "c2000",
    "role": "responsible",
    "decided_by": ["smb"],
    "effective_on": "2022-02-03",
    "source": "Kamerstuk 25124-109",
}


def problems(**changes: Any) -> dict[str, str]:
    with pytest.raises(InvalidDecision) as caught:
        decode_decision({**VALID, **changes})
    return {p.field: p.message for p in caught.value.problems}


def test_a_valid_decision_is_accepted() -> None:
    assert decode_decision(VALID).kind == "responsibility.assigned"


def test_dates_must_be_real_dates() -> None:
    assert "effective_on" in problems(effective_on="2022-02-30")
    assert "effective_on" in problems(effective_on="3 februari 2022")
    assert "effective_on" in problems(effective_on="0200-01-01")


def test_ids_must_be_slugs() -> None:
    found = problems(party="De Korpschef")
    assert "short id" in found["party"]
    assert "decided_by[0]" in problems(decided_by=["SMB"])
    assert "subject" in problems(subject="x" * 65)


def test_text_fields_have_length_limits() -> None:
    assert "source" in problems(source="")
    assert "source" in problems(source="x" * 301)
    assert "rationale" in problems(rationale="x" * 4001)
    assert "source" in problems(source="bad\x00byte")


def test_every_decision_names_who_decided_once_each() -> None:
    assert "decided_by" in problems(decided_by=[])
    assert "decided_by" in problems(decided_by=["smb", "smb"])


def test_unknown_kinds_and_fields_are_named() -> None:
    assert "kind" in problems(kind="responsibility.given")
    assert problems(colour="red") == {"colour": "is not a field of this kind of decision"}


def test_the_ledger_fields_cannot_be_set_by_the_client() -> None:
    assert "recorded_at" in problems(recorded_at="2020-01-01T00:00:00Z")
    assert "position" in problems(position=1)


def test_kind_specific_rules_are_explained() -> None:
    registration = {
        "kind": "party.registered",
        "party": "rav",
        "name": "RAV",
        "party_kind": "discipline",
        "decided_by": ["rav"],
        "effective_on": "2020-07-01",
        "source": "Wet",
    }
    with pytest.raises(InvalidDecision, match="discipline is required"):
        decode_decision(registration)
    acceptance = {
        "kind": "risk.residual_accepted",
        "risk": "r",
        "accepted_level": "low",
        "review_by": "2022-01-01",
        "decided_by": ["smb"],
        "effective_on": "2022-02-03",
        "source": "s",
    }
    with pytest.raises(InvalidDecision, match="review_by must come after effective_on"):
        decode_decision(acceptance)


def test_a_correction_names_the_bad_fields_inside_its_replacement() -> None:
    correction = {
        "kind": "decision.corrected",
        "corrects": "not-a-uuid",
        "replacement": {**VALID, "role": "boss"},
        "decided_by": ["smb"],
        "effective_on": "2022-02-03",
        "source": "s",
    }
    with pytest.raises(InvalidDecision) as caught:
        decode_decision(correction)
    fields = {p.field for p in caught.value.problems}
    assert fields == {"corrects", "replacement.role"}
