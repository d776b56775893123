"""The evaluator pages over the demo scenario, through the app factory, on both backends.

Every page renders, answers for the as-of date asked, traces a matrix cell to its sources,
speaks Dutch or English, and is only shown to a signed-in reader (or, in `serve --demo` mode,
to a browser on the same machine).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from api.http import create_app
from api.pages import COOKIE, OPEN_ON_LOOPBACK_ENV
from ledger.access import Role
from ledger.demo import load_demo
from ledger.integrity import verify_report
from ledger.settings import Settings

BEFORE, AFTER = "2021-01-01", "2022-02-03"
OWN_ORIGIN = {"Origin": "http://testserver"}
"""What a browser sends with a form posted from this site's own page (see api.csrf)."""
PAGES = (
    "/",
    "/matrix",
    "/timeline",
    "/besluiten",
    "/monitor",
    "/risks",
    "/recommendations",
    "/commitments",
    "/downloads",
)
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class _WellFormed(HTMLParser):
    """Every element closed in order, every id unique, nothing loaded from another host."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.ids: set[str] = set()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if (ident := found.get("id")) is not None:
            if ident in self.ids:
                self.problems.append(f"duplicate id {ident!r}")
            self.ids.add(ident)
        if tag in ("script", "link", "img") and re.match(
            r"^(https?:)?//", found.get("src") or found.get("href") or ""
        ):
            self.problems.append(f"<{tag}> loads from another host")


def assert_well_formed(html: str) -> None:
    assert html.startswith("<!doctype html>")
    parser = _WellFormed()
    parser.feed(html)
    parser.close()
    assert parser.problems == []
    assert parser.stack == []


@dataclass
class Pages:
    client: TestClient
    token: str
    settings: Settings

    def get(self, path: str, **params: str) -> str:
        response = self.client.get(path, params=params)
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
        return response.text


@pytest.fixture
def pages(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pages]:
    """The app over the demo scenario, with a signed-in evaluator's cookie."""
    monkeypatch.delenv(OPEN_ON_LOOPBACK_ENV, raising=False)
    app = create_app(settings)
    load_demo(app.state.ledger)
    token = app.state.access.issue("evaluator-1", Role.EVALUATOR, by="test")
    with TestClient(app, follow_redirects=False) as client:
        client.cookies.set(COOKIE, token)
        yield Pages(client, token, settings)


def _filled_cells(html: str) -> set[str]:
    return set(re.findall(r'data-cell="([^"]+)" data-letters="[A-Z]+"', html))


def test_every_page_renders_well_formed_with_the_demo_loaded(pages: Pages) -> None:
    for path in PAGES:
        for lang in ("nl", "en"):
            html = pages.get(path, as_of=AFTER, lang=lang)
            assert_well_formed(html)
            assert f'<html lang="{lang}">' in html
            assert AFTER in html  # the as-of date is in view in the header
    assert "Kamerstuk 25124-109" in pages.get("/timeline")


def test_the_matrix_answers_for_the_as_of_date(pages: Pages) -> None:
    early = _filled_cells(pages.get("/matrix", as_of=BEFORE))
    late = _filled_cells(pages.get("/matrix", as_of=AFTER))
    assert early and late
    assert early < late
    # the Inspectorate's oversight of information security arrives with its report of 2021-12-16
    assert "inspectie--informatiebeveiliging" in late - early


def test_a_matrix_cell_lists_the_decisions_and_sources_behind_it(pages: Pages) -> None:
    html = pages.get("/matrix", as_of=AFTER)
    # the first role the SMB holds
    start = re.search(r'data-cell="smb--[^"]+" data-letters=', html)
    assert start is not None
    cell = html[start.start() :].split("</td>", 1)[0]
    assert "<details" in cell and "<summary" in cell
    decision_links = re.findall(r'href="/decisions/([0-9a-f-]{36})', cell)
    assert decision_links
    assert 'class="source-ref"' in cell
    decision = pages.get(f"/decisions/{decision_links[0]}")
    source = re.search(r'<dd class="source-ref">(?:<a [^>]+>)?([^<]+)', decision)
    assert source is not None and source.group(1) in cell


def test_the_gap_columns_are_marked(pages: Pages) -> None:
    html = pages.get("/matrix", as_of=AFTER)
    header = re.search(
        r'<th scope="col" class="subject[^"]* gap" id="col-c2000">(.*?)</th>', html, re.S
    )
    assert header is not None and "gap-flag" in header.group(1)


def test_compare_mode_shows_added_cells_and_their_causes(pages: Pages) -> None:
    html = pages.get("/matrix", as_of=AFTER, compare=BEFORE)
    assert 'data-testid="compare-summary"' in html
    assert "change-added" in html
    changes = html.split('data-testid="changes"', 1)[1]
    assert "toegevoegd" in changes and "/decisions/" in changes
    assert_well_formed(html)


def test_the_timeline_filters_by_party_subject_and_kind(pages: Pages) -> None:
    every = pages.get("/timeline")
    assert "<svg" in every
    count = lambda html: int(re.search(r'timeline-count">(\d+)', html).group(1))  # type: ignore[union-attr]  # noqa: E731
    assert count(every) == 114
    smb = pages.get("/timeline", party="smb")
    roles = pages.get("/timeline", party="smb", kind="responsibility")
    assigned = pages.get("/timeline", party="smb", kind="responsibility.assigned")
    c2000 = pages.get("/timeline", subject="c2000")
    assert 0 < count(roles) == count(assigned) < count(smb) < count(every)
    assert 0 < count(c2000) < count(every)


def test_commitments_past_due_are_marked_overdue(pages: Pages) -> None:
    assert 'data-testid="overdue"' not in pages.get("/commitments", as_of="2022-02-03")
    assert 'data-testid="overdue"' in pages.get("/commitments", as_of="2023-01-01")


def test_a_decisions_page_shows_its_envelope_chain_hash_and_proof_link(pages: Pages) -> None:
    ledger = pages.client.app.state.ledger  # type: ignore[attr-defined]
    last = ledger.log(after=ledger.head - 1, limit=1)[0]
    html = pages.get(f"/decisions/{last.id}")
    assert_well_formed(html)
    chain = re.search(r'data-testid="chain-hash">([0-9a-f]{64})<', html)
    assert chain is not None
    assert chain.group(1) == verify_report(ledger)["head_hash"]  # the last event heads the chain
    assert last.recorded_by in html and last.decision.source in html
    assert f'href="/decisions/{last.id}/proof.json"' in html
    proof = pages.client.get(f"/decisions/{last.id}/proof.json")
    assert proof.status_code == 404  # no checkpoint has been signed in this ledger
    assert "checkpoint" in proof.json()["detail"]
    missing = pages.client.get("/decisions/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404


def test_the_downloads_are_the_matrix_and_the_evaluation_pack(pages: Pages) -> None:
    # CSV as Excel reads it in the page's language: Dutch `;` with a BOM, English `,`
    csv = pages.client.get("/downloads/matrix.csv", params={"as_of": AFTER})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.content.startswith("\ufeffparty;".encode())
    english = pages.client.get("/downloads/matrix.csv", params={"as_of": AFTER, "lang": "en"})
    assert english.text.startswith("party,")
    asked = pages.client.get("/downloads/matrix.csv", params={"as_of": AFTER, "sep": ","})
    assert asked.text.startswith("party,")
    assert pages.client.get("/downloads/matrix.csv", params={"sep": "|"}).status_code == 422
    for path in ("/downloads/matrix.xlsx", "/downloads/evaluation-pack.xlsx"):
        xlsx = pages.client.get(path, params={"as_of": AFTER})
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        assert "attachment" in xlsx.headers["content-disposition"]
    html = pages.client.get("/downloads/evaluation-pack.html", params={"as_of": AFTER})
    assert html.status_code == 200 and "text/html" in html.headers["content-type"]
    assert pages.client.get("/downloads/matrix.pdf").status_code == 404


def test_dutch_is_the_default_and_the_switch_keeps_the_other_parameters(pages: Pages) -> None:
    dutch = pages.get("/matrix", as_of=AFTER, compare=BEFORE)
    assert "Verantwoordelijkhedenmatrix" in dutch
    switch = re.search(r'class="lang-switch" href="([^"]+)"', dutch)
    assert switch is not None
    target = urlsplit(switch.group(1).replace("&amp;", "&"))
    assert target.path == "/matrix"
    assert parse_qs(target.query) == {"as_of": [AFTER], "compare": [BEFORE], "lang": ["en"]}
    english = pages.get("/matrix", as_of=AFTER, compare=BEFORE, lang="en")
    assert "Responsibility matrix" in english and "Verantwoordelijkhedenmatrix" not in english
    assert 'href="/timeline?as_of=2022-02-03&amp;lang=en"' in english  # links keep the language


def test_a_bad_date_is_answered_with_a_422_page(pages: Pages) -> None:
    response = pages.client.get("/matrix", params={"as_of": "3 februari"})
    assert response.status_code == 422
    assert "Ongeldige waarde voor as_of: &#39;3 februari&#39; is geen datum (JJJJ-MM-DD)" in (
        response.text
    )


def test_a_pages_errors_speak_its_language_wholly(pages: Pages) -> None:
    """Each refusal names the parameter and says why, all of it in the page's language."""
    cases = {
        ("/matrix", "known_at", "gisteren"): (
            "is geen datum (JJJJ-MM-DD) of moment",
            "is not a date (YYYY-MM-DD) or a moment",
        ),
        ("/monitor", "step", "week"): ("kies uit month, quarter, year", "choose one of month"),
        ("/besluiten", "page", "twee"): ("een paginanummer", "a page number"),
        ("/voortgang", "from", "2030-01-01"): ("2030-01-01 ligt na", "2030-01-01 lies after"),
        ("/downloads/matrix.csv", "sep", "|"): ("kies uit , ;", "choose one of , ;"),
        ("/matrix", "compare_known_at", "toen"): (
            "is geen datum (JJJJ-MM-DD) of moment",
            "is not a date (YYYY-MM-DD) or a moment",
        ),
    }
    for (path, name, value), (dutch, english) in cases.items():
        for lang, said, title in (
            ("nl", dutch, "Ongeldige waarde voor"),
            ("en", english, "Invalid value for"),
        ):
            answer = pages.client.get(path, params={name: value, "lang": lang, "as_of": AFTER})
            assert answer.status_code == 422, (path, lang)
            assert f"{title} {name}: " in answer.text and said in answer.text, (path, lang)


def test_without_a_token_a_page_redirects_to_the_sign_in(pages: Pages) -> None:
    pages.client.cookies.clear()
    response = pages.client.get("/matrix", params={"as_of": AFTER, "lang": "en"})
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/sign-in"
    assert parse_qs(location.query) == {"next": [f"/matrix?as_of={AFTER}&lang=en"], "lang": ["en"]}
    pages.client.cookies.set(COOKIE, "not-a-token")
    assert pages.client.get("/").status_code == 303
    sign_in = pages.get("/sign-in")
    assert_well_formed(sign_in)
    assert '<label for="token">' in sign_in


def test_signing_in_sets_a_strict_http_only_cookie_and_signing_out_clears_it(
    pages: Pages,
) -> None:
    pages.client.cookies.clear()
    response = pages.client.post(
        "/sign-in",
        data={"token": pages.token, "next": f"/matrix?as_of={AFTER}"},
        headers=OWN_ORIGIN,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/matrix?as_of={AFTER}"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower() and "Path=/" in cookie
    assert pages.client.get("/matrix").status_code == 200
    assert "evaluator-1" in pages.get("/")  # who is signed in is shown
    out = pages.client.post("/sign-out", headers=OWN_ORIGIN)
    assert out.status_code == 303 and out.headers["location"].startswith("/sign-in")
    assert pages.client.get("/").status_code == 303


def test_a_wrong_token_is_refused_and_sign_in_never_leaves_the_site(pages: Pages) -> None:
    pages.client.cookies.clear()
    refused = pages.client.post(
        "/sign-in", data={"token": "wrong", "next": "/"}, headers=OWN_ORIGIN
    )
    assert refused.status_code == 401 and COOKIE not in refused.cookies
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = pages.client.post(
            "/sign-in", data={"token": pages.token, "next": target}, headers=OWN_ORIGIN
        )
        assert response.headers["location"] == "/"


def test_pages_are_not_in_the_openapi_schema(pages: Pages) -> None:
    paths = pages.client.get("/openapi.json").json()["paths"]
    assert all(path.startswith("/v1/") for path in paths)


@pytest.mark.parametrize(
    ("open_env", "host", "status"),
    [
        ("1", "127.0.0.1", 200),
        ("1", "::1", 200),
        ("1", "192.0.2.7", 303),
        (None, "127.0.0.1", 303),
    ],
)
def test_the_demo_opens_the_pages_to_loopback_only(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    open_env: str | None,
    host: str,
    status: int,
) -> None:
    if open_env is None:
        monkeypatch.delenv(OPEN_ON_LOOPBACK_ENV, raising=False)
    else:
        monkeypatch.setenv(OPEN_ON_LOOPBACK_ENV, open_env)
    app = create_app(settings)
    with TestClient(app, follow_redirects=False, client=(host, 50000)) as client:
        response = client.get("/matrix")
        assert response.status_code == status
        if status == 200:
            assert "Demomodus" in response.text
        # the API itself stays closed without a token
        assert client.get("/v1/state").status_code == 401


@pytest.mark.parametrize("value", ["\x00", "Minister JenV", "x" * 300])
def test_a_filter_that_names_no_party_or_subject_shows_nothing_and_never_fails(
    pages: Pages, value: str
) -> None:
    """Hand-edited links (a NUL, spaces, an overlong id): the timeline shows no decisions, not
    an error (PostgreSQL refuses NUL in text; the id is checked first)."""
    for name in ("party", "subject", "kind"):
        response = pages.client.get("/timeline", params={name: value})
        assert response.status_code in (200, 422), (name, response.status_code)


def test_an_unknown_address_gets_the_sites_own_404_page(pages: Pages) -> None:
    html_accept = {"Accept": "text/html,application/xhtml+xml"}
    page = pages.client.get("/besluitenn", headers=html_accept)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "/besluitenn" in page.text and 'aria-current="page"' not in page.text
    assert_well_formed(page.text)
    english = pages.client.get("/nope", params={"lang": "en"}, headers=html_accept)
    assert "There is no page at /nope" in english.text
    pages.client.cookies.clear()  # signed out: still the site's page, without navigation
    signed_out = pages.client.get("/nope", headers=html_accept)
    assert signed_out.status_code == 404 and "main-nav" not in signed_out.text
    # the API and clients that ask for JSON keep the problem answer
    api = pages.client.get("/v1/nope", headers=html_accept)
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    plain = pages.client.get("/nope")
    assert plain.status_code == 404 and plain.headers["content-type"] == "application/problem+json"


def test_a_date_beyond_the_last_decision_or_a_moment_before_the_first_is_said(
    pages: Pages,
) -> None:
    last = max(
        i.decision.effective_on
        for i in pages.client.app.state.ledger.recorded()  # type: ignore[attr-defined]
    )
    within = pages.get("/matrix", as_of=last.isoformat())
    assert 'data-testid="beyond"' not in within
    beyond = pages.get("/matrix", as_of="2026-12-07")
    notice = beyond.split('data-testid="beyond">', 1)[1].split("</p>", 1)[0]
    assert f"Na {last.isoformat()} gaat geen vastgelegd besluit meer in" in notice
    assert f"as_of={last.isoformat()}" in notice  # one click back to the last date
    before = pages.get("/", as_of=AFTER, known_at="2000-01-01")
    assert "was nog niets vastgelegd" in before and "niet &#34;zonder lacunes&#34;" in before
    english = pages.get("/risks", as_of="2026-12-07", lang="en")
    assert f"No recorded decision takes effect after {last.isoformat()}" in english


def test_an_empty_ledger_says_so_instead_of_showing_no_gaps(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(OPEN_ON_LOOPBACK_ENV, raising=False)
    app = create_app(settings)
    token = app.state.access.issue("evaluator-1", Role.EVALUATOR, by="test")
    with TestClient(app, follow_redirects=False) as client:
        client.cookies.set(COOKIE, token)
        page = client.get("/")
        assert page.status_code == 200
        assert "Er is nog geen besluit vastgelegd." in page.text


def test_a_decision_reads_in_words_not_codes(pages: Pages) -> None:
    ledger = pages.client.app.state.ledger  # type: ignore[attr-defined]
    assigned = next(
        i for i in ledger.recorded()
        if i.kind == "responsibility.assigned" and i.decision.party == "minister-jenv"
    )  # fmt: skip
    html = pages.get(f"/decisions/{assigned.id}")
    assert 'title="party">partij</dt><dd>Minister van Justitie en Veiligheid' in html
    assert 'title="role">rol</dt>' in html and "<code>role</code>" not in html
    english = pages.get(f"/decisions/{assigned.id}", lang="en")
    assert 'title="party">party</dt><dd>Minister' in english
