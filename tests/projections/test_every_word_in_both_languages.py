"""Every word of the pages lives in the catalog `projections/words.toml`: it parses, each of its
entries has its Dutch and its English, the two fill in the same `{placeholders}`, and
`projections.i18n` reads all of it as (Dutch, English) pairs."""

from __future__ import annotations

import string
import tomllib
from importlib import resources
from typing import Any


def _catalog() -> dict[str, Any]:
    catalog = resources.files("projections").joinpath("words.toml")
    return tomllib.loads(catalog.read_text(encoding="utf-8"))  # a syntax error fails here


def _entries() -> list[tuple[str, Any]]:
    words = _catalog()
    assert set(words) == {"text", "labels"}, "the catalog has [text] and [labels.<group>] only"
    found: list[tuple[str, Any]] = [(f"[text] {k}", v) for k, v in words["text"].items()]
    for group, values in words["labels"].items():
        assert isinstance(values, dict), f"[labels] {group} is not a table"
        found += [(f"[labels.{group}] {k}", v) for k, v in values.items()]
    return found


def _placeholders(words: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(words) if name is not None}


def test_every_entry_has_its_dutch_and_its_english() -> None:
    entries = _entries()
    assert len(entries) > 400
    wrong = [
        f"{where} = {value!r}"
        for where, value in entries
        if not (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, str) and v and v == v.strip() for v in value)
        )
    ]
    assert not wrong, 'not ["Nederlands", "English"]:\n' + "\n".join(wrong)


def test_both_languages_fill_in_the_same_placeholders() -> None:
    differ = [
        f"{where}: {sorted(_placeholders(nl))} / {sorted(_placeholders(en))}"
        for where, (nl, en) in _entries()
        if _placeholders(nl) != _placeholders(en)
    ]
    assert not differ, "\n".join(differ)


def test_the_module_reads_the_whole_catalog_as_pairs() -> None:
    from projections import i18n  # here: a broken catalog fails the tests above by name

    words = _catalog()
    assert {key: tuple(pair) for key, pair in words["text"].items()} == i18n.TEXT
    assert {
        group: {value: tuple(pair) for value, pair in values.items()}
        for group, values in words["labels"].items()
    } == i18n.LABELS
    pairs = [*i18n.TEXT.values(), *(p for g in i18n.LABELS.values() for p in g.values())]
    assert all(type(pair) is tuple and len(pair) == 2 for pair in pairs)

    assert i18n.text("nl", "app.name") == "Governanceregister meldkamers"
    assert i18n.text("en", "app.name") == "Control-room governance ledger"
    assert i18n.text("en", "log.page", n=2, of=5) == "page 2 of 5"
    assert i18n.label("nl", "role", "informed") == "geïnformeerd"
    assert i18n.label("en", "kind", "party.registered") == "party registered"
    assert i18n.translator("nl")("nav.risks") == "Risico's"
    # a missing key or value shows itself
    assert i18n.text("en", "no.such.key") == "no.such.key"
    assert i18n.label("en", "role", "no_such_role") == "no_such_role"
