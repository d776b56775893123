"""The words of the domain: identifiers, roles, kinds, and limits on free text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, StringConstraints, ValidationInfo
from pydantic_core import PydanticCustomError

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"

Slug = Annotated[
    str,
    StringConstraints(pattern=SLUG_PATTERN, min_length=1, max_length=64),
    Field(
        description="Short identifier chosen by the secretariat: lower-case letters, digits "
        "and inner hyphens, at most 64 characters (e.g. `smb`, `korpschef`, `c2000`).",
        examples=["smb"],
    ),
]


@dataclass(frozen=True)
class Names:
    """Marks a field whose value names a registered party or subject (see `PartyId`)."""

    what: str
    """'party' or 'subject'."""


PartyId = Annotated[Slug, Names("party")]
"""The id of a registered party, e.g. `smb` (checked: active on the decision's date)."""
SubjectId = Annotated[Slug, Names("subject")]
"""The id of a registered subject, e.g. `c2000` (checked: registered on the decision's date)."""


NEW_INPUT = "new_input"
"""Key of the validation context of a decision entering the ledger (`{NEW_INPUT: True}`): only
then do the checks against display spoofing run. Stored events are validated without it, so a
ledger that stored such a character before the checks existed still loads."""

_SPOOFING = "\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
SPOOFING = re.compile(f"[{_SPOOFING}]")
"""Characters that make text display as something it is not: DEL, the C1 controls, and the
bidirectional marks, embeddings, overrides and isolates (Unicode's Bidi_Control)."""

_UNNAMED = {"\x7f": "DELETE"}  # unicodedata names no control character

_C0_CONTROLS = "\x00-\x08\x0b-\x1f"  # (the C0 controls but tab and line feed)
_REFUSED = _C0_CONTROLS + _SPOOFING
TEXT_PATTERN = f"^[^{_REFUSED}]*[^{_REFUSED}\\s][^{_REFUSED}]*$"
"""New text in the schema: something besides white space, and no control character but tab and
line feed, nor any of SPOOFING (what `_no_control_characters` and the stripping enforce)."""


def _character(c: str) -> str:
    return f"U+{ord(c):04X} ({unicodedata.name(c, '') or _UNNAMED.get(c, 'a C1 control')})"


_C0 = re.compile(f"[{_C0_CONTROLS}]")
"""Refused in text, old or new (SPOOFING only in new text)."""


def _no_control_characters(value: str, info: ValidationInfo) -> str:
    if _C0.search(value):
        raise ValueError("must not contain control characters")
    if info.context and info.context.get(NEW_INPUT) and (found := SPOOFING.search(value)):
        raise PydanticCustomError(
            "control_character",
            "must not contain the control character {character}",
            {"character": _character(found.group())},
        )
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_control_characters),
    Field(json_schema_extra={"pattern": TEXT_PATTERN}),
]
SourceRef = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=300),
    AfterValidator(_no_control_characters),
    Field(
        description="The document the decision rests on.",
        examples=["Kamerstuk 25124-109"],
        json_schema_extra={"pattern": TEXT_PATTERN},
    ),
]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000),
    AfterValidator(_no_control_characters),
    Field(json_schema_extra={"pattern": TEXT_PATTERN}),
]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
"""The ledger's days are the Netherlands' (a date as a moment is the end of that day there)."""

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2200, 12, 31)


def _plausible_date(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"must lie between {EARLIEST_DATE} and {LATEST_DATE}")
    return value


LedgerDate = Annotated[
    date,
    AfterValidator(_plausible_date),
    Field(json_schema_extra={"pattern": r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-[0-9]{2}-[0-9]{2}$"}),
]
"""A date from EARLIEST_DATE to LATEST_DATE (the schema's pattern says which years)."""


class Basis(StrEnum):
    """How a decision rests on its source: the source states it (`stated`), or the one who
    recorded it inferred it from the source, which does not say it in so many words
    (`inferred`). An inferred decision is an assumption, and every answer built on it says so."""

    STATED = "stated"
    INFERRED = "inferred"


class Role(StrEnum):
    """A role a party holds for a subject (RACI plus oversight)."""

    ACCOUNTABLE = "accountable"
    RESPONSIBLE = "responsible"
    CONSULTED = "consulted"
    INFORMED = "informed"
    OVERSIGHT = "oversight"

    @property
    def letter(self) -> str:
        return "O" if self is Role.OVERSIGHT else self.value[0].upper()


class PartyKind(StrEnum):
    MINISTER = "minister"
    DISCIPLINE = "discipline"
    KORPSCHEF = "korpschef"
    BOARD = "board"
    AGENCY = "agency"
    PROGRAMME = "programme"
    INSPECTORATE = "inspectorate"
    EVALUATOR = "evaluator"
    AUDITOR = "auditor"
    PARLIAMENT = "parliament"
    SUPPLIER = "supplier"
    OTHER = "other"


class Discipline(StrEnum):
    POLICE = "police"
    FIRE = "fire"
    AMBULANCE = "ambulance"
    KMAR = "kmar"


class SubjectKind(StrEnum):
    SYSTEM = "system"
    DOMAIN = "domain"
    MELDKAMER = "meldkamer"
    PROCESS = "process"


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(RiskLevel).index(self)


class TreatmentStatus(StrEnum):
    PLANNED = "planned"
    IMPLEMENTED = "implemented"


class Response(StrEnum):
    ENDORSED = "endorsed"
    PARTLY = "partly"
    REJECTED = "rejected"
