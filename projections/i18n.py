"""Every label of the evaluator pages, in Dutch (the default) and English, kept in one place.

The words live in `projections/words.toml`, a catalog a translator edits without touching
Python; it is read once, when this module is imported, into `TEXT` and `LABELS`.

`translator(lang)` gives the function templates call as `t("key")`; `label(lang, group, value)`
names a vocabulary value (a role, a kind, a gap rule). A missing key shows the key itself, so a
forgotten translation is visible rather than fatal.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from datetime import date, datetime
from importlib import resources

from markupsafe import Markup

from domain import decisions as d
from domain.governance import GovernanceState
from domain.vocabulary import AMSTERDAM

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"

_WORDS = "words.toml"
"""The catalog of every word, beside this module: `[text]` key = ["Nederlands", "English"],
`[labels.<group>]` value = ["Nederlands", "English"]."""


def _table(where: str, value: object) -> dict[str, object]:
    if isinstance(value, dict):
        return value
    raise ValueError(f"{_WORDS}: {where} should be a table, not {value!r}")


def _pair(where: str, value: object) -> tuple[str, str]:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return (value[0], value[1])
    raise ValueError(f'{_WORDS}: {where} should be ["Nederlands", "English"], not {value!r}')


def _catalog() -> tuple[dict[str, tuple[str, str]], dict[str, dict[str, tuple[str, str]]]]:
    """TEXT and LABELS as the catalog has them, in its order."""
    catalog = resources.files("projections").joinpath(_WORDS)
    words = tomllib.loads(catalog.read_text(encoding="utf-8"))
    texts = {
        key: _pair(f"[text] {key}", pair)
        for key, pair in _table("[text]", words.get("text")).items()
    }
    labels = {
        group: {
            value: _pair(f"[labels.{group}] {value}", pair)
            for value, pair in _table(f"[labels.{group}]", values).items()
        }
        for group, values in _table("[labels]", words.get("labels")).items()
    }
    return texts, labels


TEXT: dict[str, tuple[str, str]]
"""The pages' words by key: (Dutch, English)."""
LABELS: dict[str, dict[str, tuple[str, str]]]
"""The names of vocabulary values by group, then value: (Dutch, English)."""
TEXT, LABELS = _catalog()


def language(value: str | None) -> str:
    """The language asked for, or the default."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def text(lang: str, key: str, **values: object) -> str:
    """The label `key` in `lang`, with `{name}` placeholders filled in."""
    pair = TEXT.get(key)
    found = key if pair is None else pair[1 if lang == "en" else 0]
    return found.format(**values) if values else found


def label(lang: str, group: str, value: str) -> str:
    """The name of a vocabulary value (a role, a kind, a rule) in `lang`; else the value."""
    pair = LABELS.get(group, {}).get(value)
    return value if pair is None else pair[1 if lang == "en" else 0]


def translator(lang: str) -> Callable[..., str]:
    """`t("key", name=value)` for templates."""

    def t(key: str, **values: object) -> str:
        return text(lang, key, **values)

    return t


# --- decisions in words -------------------------------------------------------------------

_OBJECT_FIELDS = (
    "party",
    "from_party",
    "subject",
    "risk",
    "framework",
    "criteria",
    "finding",
    "recommendation",
    "evaluation",
    "commitment",
    "corrects",
    "retracts",
    "decision",
)


def summary(decision: d.Decision, names: dict[str, str], lang: str) -> str:
    """A short line naming what a decision is about (`names`: as `names_of` gives them)."""
    if isinstance(decision, d.ResponsibilityAssignment | d.ResponsibilityRelief):
        role = label(lang, "role", decision.role.value)
        return (
            f"{names.get(decision.party, decision.party)} · {role} · "
            f"{names.get(decision.subject, decision.subject)}"
        )
    if isinstance(decision, d.ResponsibilityTransfer):
        role = label(lang, "role", decision.role.value)
        return (
            f"{names.get(decision.from_party, decision.from_party)} → "
            f"{names.get(decision.to_party, decision.to_party)} · {role} · "
            f"{names.get(decision.subject, decision.subject)}"
        )
    if isinstance(decision, d.RecommendationResponse):
        said = label(lang, "response", decision.response.value)
        return _short(f"{said}: {_named(names, 'recommendation', decision.recommendation)}")
    if isinstance(decision, d.RecommendationOwnerAssignment):
        owner = names.get(decision.owner, decision.owner)
        return _short(f"{owner}: {_named(names, 'recommendation', decision.recommendation)}")
    for name in ("name", "title", "promise", "text", "progress", "measure", "description"):
        value = getattr(decision, name, None)
        if isinstance(value, str):
            return _short(value)
    for name in _OBJECT_FIELDS:
        value = getattr(decision, name, None)
        if value is not None:
            return _short(f"{label(lang, 'field', name)}: {_named(names, name, str(value))}")
    return label(lang, "kind", decision.kind)


def _short(text: str) -> str:
    return text if len(text) <= 120 else text[:117] + "…"


def _named(names: dict[str, str], field: str, value: str) -> str:
    if field in ("party", "from_party", "owner", "subject"):
        return names.get(value, value)
    return names.get(f"{field}:{value}", value)


TITLED = (
    ("framework", "frameworks", "name"),
    ("criteria", "criteria", "description"),
    ("risk", "risks", "title"),
    ("finding", "findings", "text"),
    ("recommendation", "recommendations", "text"),
    ("evaluation", "evaluations", "title"),
    ("commitment", "commitments", "promise"),
)
"""The registers' entries by name: (kind, the state's attribute, the field that names one)."""


def names_of(*states: GovernanceState) -> dict[str, str]:
    """Display names by id: of parties and subjects under their ids, of the registers' entries
    under '<field>:<id>' (e.g. 'risk:r1' -> its title); the later state's name wins."""
    found: dict[str, str] = {}
    for state in states:
        found.update({p.id: p.name for p in state.parties.values()})
        found.update({s.id: s.name for s in state.subjects.values()})
        for kind, register, title in TITLED:
            for key, entry in getattr(state, register).items():
                found[f"{kind}:{key}"] = getattr(entry, title)
    return found


_PUBLICATIONS = (
    # Kamerstuk 25124-109, Kamerstuk 25124/29517-108 (the first dossier names it)
    (
        re.compile(r"Kamerstuk(?:ken)?\s+(\d{4,6})(?:/\d{4,6})*[- ]+(?:nr\.?\s*)?(\d{1,4})\b"),
        "kst-{}-{}",
    ),
    # Stb. 2020, 140 / Stcrt. 2021, 12345
    (re.compile(r"\bStb\.?\s+(\d{4}),?\s+(?:nr\.?\s*)?(\d{1,6})\b"), "stb-{}-{}"),
    (re.compile(r"\bStcrt\.?\s+(\d{4}),?\s+(?:nr\.?\s*)?(\d{1,6})\b"), "stcrt-{}-{}"),
)
OFFICIAL = "https://zoek.officielebekendmakingen.nl/{}.html"
"""Where the official publications (Kamerstukken, Staatsblad, Staatscourant) are found."""


def publication_url(source: str) -> str | None:
    """The address of the official publication a source names, if it names one."""
    for pattern, identifier in _PUBLICATIONS:
        found = pattern.search(source)
        if found:
            return OFFICIAL.format(identifier.format(*found.groups()))
    return None


def source_url(source: str, document: d.SourceDocument | None = None) -> str | None:
    """Where a source's document is published: its address, else its official identifier's
    page, else that of a publication its text names (None: nowhere known)."""
    url = None
    if document is not None:
        url = document.url or (OFFICIAL.format(document.id) if document.id else None)
    return url or publication_url(source)


def source_ref(source: str, document: d.SourceDocument | None = None) -> Markup:
    """A source as shown: its text, a link to where the document is published, if known."""
    url = source_url(source, document)
    if url is None:
        return Markup("{}").format(source)
    return Markup('<a href="{}" rel="external noopener" class="publication">{}</a>').format(
        url, source
    )


_MONTHS = {
    "nl": (
        "januari", "februari", "maart", "april", "mei", "juni",
        "juli", "augustus", "september", "oktober", "november", "december",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip


def long_date(day: date, lang: str) -> str:
    """A date in words: 3 februari 2022 / 3 February 2022."""
    return f"{day.day} {_MONTHS['en' if lang == 'en' else 'nl'][day.month - 1]} {day.year}"


def long_moment(moment: datetime, lang: str) -> str:
    """A moment in words, in Amsterdam's time: 3 februari 2022, 17:00."""
    local = moment.astimezone(AMSTERDAM)
    return f"{long_date(local.date(), lang)}, {local:%H:%M}"
