# ruff: noqa: F811 - pytest fixtures imported from test_pages
"""The decision log page (`/besluiten`, in English `/decisions`): every decision of the demo,
searched in its text, filtered by kind, party, subject and dates, sorted and paged; sources that
name an official publication link to it."""

from __future__ import annotations

import re

from tests.api.test_pages import Pages, pages  # noqa: F401

ROW = re.compile(r"<tr>\s*<td class=\"nowrap\">(\d{4}-\d{2}-\d{2})</td>")


def _count(html: str) -> int:
    found = re.search(r'data-testid="log-count">(\d+)', html)
    assert found, html[:2000]
    return int(found.group(1))


def _dates(html: str) -> list[str]:
    return ROW.findall(html)


def test_the_log_lists_every_decision_a_page_at_a_time(pages: Pages) -> None:
    head = pages.client.get("/v1/health").json()["head"]
    html = pages.get("/besluiten")
    assert _count(html) == head > 50
    assert len(_dates(html)) == 50
    assert _dates(html) == sorted(_dates(html), reverse=True)  # latest effective date first
    assert 'rel="next"' in html and "pagina 1 van" in html
    last = pages.get("/besluiten", page=str(-(-head // 50)))
    assert len(_dates(last)) == head - 50 * (-(-head // 50) - 1)
    assert 'rel="prev"' in last and 'rel="next"' not in last


def test_the_smbs_decisions_of_2022_are_found_and_open(pages: Pages) -> None:
    html = pages.get(
        "/besluiten", party="smb", effective_from="2022-01-01", effective_to="2022-12-31"
    )
    dates = _dates(html)
    assert dates and all(d.startswith("2022-") for d in dates)
    assert _count(html) == len(dates)
    everything = pages.get("/besluiten", party="smb")
    assert _count(everything) > len(dates)
    (first,) = re.findall(r'href="(/decisions/[0-9a-f-]{36})[^"]*"', html)[:1]
    opened = pages.get(first)
    assert "SMB" in opened or "Strategisch" in opened


def test_text_search_ignores_case_and_filters_combine(pages: Pages) -> None:
    upper = _count(pages.get("/besluiten", q="C2000"))
    lower = _count(pages.get("/besluiten", q="c2000"))
    assert upper == lower > 0
    assert _count(pages.get("/besluiten", q="c2000", kind="responsibility")) < upper
    assert _count(pages.get("/besluiten", q="geen-besluit-zegt-dit")) == 0
    # quotes and wildcards are text, not syntax
    assert _count(pages.get("/besluiten", q="100%_\"'")) == 0


def test_sorting_and_moments(pages: Pages) -> None:
    oldest = _dates(pages.get("/besluiten", sort="effective"))
    assert oldest == sorted(oldest) and oldest[0] == "2017-12-31"
    # as known before anything was recorded: nothing
    assert _count(pages.get("/besluiten", known_at="2000-01-01")) == 0
    assert _count(pages.get("/besluiten", recorded_to="2000-01-01")) == 0


def test_sources_that_name_a_publication_link_to_it(pages: Pages) -> None:
    html = pages.get("/besluiten", q="25124-109")
    assert 'href="https://zoek.officielebekendmakingen.nl/kst-25124-109.html"' in html
    unlinked = pages.get("/besluiten", q="Wijzigingswet meldkamers (in werking")
    assert "Wijzigingswet meldkamers" in unlinked
    assert 'class="publication">Wijzigingswet' not in unlinked


def test_the_english_log_and_bad_input(pages: Pages) -> None:
    english = pages.get("/decisions", lang="en")
    assert "Decision log" in english and 'aria-current="page"' in english
    for params in ({"effective_from": "2022-13-01"}, {"sort": "random"}, {"q": "a\u202eb"}):
        answer = pages.client.get("/besluiten", params=params)
        assert answer.status_code == 422, params
        assert next(iter(params)) in answer.text
    assert _count(pages.get("/besluiten", party="not a party")) == 0
