"""New decisions refuse the characters that make text display as something it is not: DEL, the
C1 controls and the bidirectional controls, in every name, source and free text; the message
names the character. Newline and tab stay allowed in free text."""

from __future__ import annotations

from typing import Any

import pytest

from domain.decisions import DECISION_CLASSES, decode_decision
from domain.errors import InvalidDecision

PARTY: dict[str, Any] = {
    "kind": "party.registered",
    "party": "smb",
    "name": "Strategisch Meldkamer Beraad",
    "party_kind": "board",
    "decided_by": ["smb"],
    "effective_on": "2020-07-01",
    "source": "Wijzigingswet meldkamers",
    "rationale": "Het SMB stuurt de meldkamers aan.",
}

SPOOFING = {
    "\x7f": "U+007F (DELETE)",
    "\x85": "U+0085",
    "\x9b": "U+009B",
    "\u202e": "U+202E (RIGHT-TO-LEFT OVERRIDE)",
    "\u202a": "U+202A (LEFT-TO-RIGHT EMBEDDING)",
    "\u2066": "U+2066 (LEFT-TO-RIGHT ISOLATE)",
    "\u2069": "U+2069 (POP DIRECTIONAL ISOLATE)",
    "\u200e": "U+200E (LEFT-TO-RIGHT MARK)",
    "\u200f": "U+200F (RIGHT-TO-LEFT MARK)",
    "\u061c": "U+061C (ARABIC LETTER MARK)",
}


def refusal(**changes: Any) -> dict[str, str]:
    with pytest.raises(InvalidDecision) as caught:
        decode_decision({**PARTY, **changes})
    return {p.field: p.message for p in caught.value.problems}


@pytest.mark.parametrize("field", ["name", "source", "rationale"])
@pytest.mark.parametrize("character", sorted(SPOOFING))
def test_a_new_decision_refuses_a_spoofing_character_and_names_it(
    field: str, character: str
) -> None:
    found = refusal(**{field: f"Strategisch{character} Beraad"})
    assert set(found) == {field}
    assert found[field].startswith("must not contain the control character")
    assert SPOOFING[character] in found[field]


def test_a_correction_refuses_them_in_its_replacement_too() -> None:
    correction = {
        "kind": "decision.corrected",
        "corrects": "6f1c4b7e-8d1a-4a53-9e0f-7d1f1f6f0a11",
        "replacement": {**PARTY, "name": "SMB\u202etxt.exe"},
        "decided_by": ["smb"],
        "effective_on": "2020-07-01",
        "source": "Rectificatie",
    }
    with pytest.raises(InvalidDecision) as caught:
        decode_decision(correction)
    assert [p.field for p in caught.value.problems] == ["replacement.name"]


def test_newline_and_tab_stay_allowed_in_free_text() -> None:
    decision = decode_decision({**PARTY, "rationale": "Eerste regel.\nTweede\tregel."})
    assert decision.rationale == "Eerste regel.\nTweede\tregel."


def test_letters_of_every_script_and_typographic_marks_are_welcome() -> None:
    name = "Meldkamer Noord-Nederland — \u2018Geïnformeerd\u2019 € ß 中文 עברית العربية"
    assert decode_decision({**PARTY, "name": name}).name == name  # type: ignore[attr-defined]


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x08", "\x0b", "\r", "\x1b", "\x1f"])
def test_the_other_c0_controls_are_refused_in_new_and_in_stored_text(character: str) -> None:
    found = refusal(rationale=f"Eerste regel.{character}Tweede regel.")
    assert found == {"rationale": "Value error, must not contain control characters"}
    stored = {**PARTY, "rationale": f"Eerste{character}regel."}
    with pytest.raises(ValueError, match="must not contain control characters"):
        DECISION_CLASSES["party.registered"].model_validate(stored)
