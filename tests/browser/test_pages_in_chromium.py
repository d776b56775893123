"""The evaluator pages in a real browser: Debian's Chromium driven by Playwright, against a real
`ledger serve --demo` process on the embedded store.

No browser is downloaded: Playwright launches /usr/bin/chromium (`apt-get install chromium`).
On CI (CI set) a missing Chromium or Playwright fails the tests; elsewhere they are skipped.
Screenshots go to a temporary directory; with LEDGER_UPDATE_SCREENSHOTS=1 the matrix and the
overview are also written to docs/screenshot-matrix.png and docs/screenshot-overview.png.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ledger.settings import Settings
from tests.tools.processes import Server, serving

CHROMIUM = Path("/usr/bin/chromium")
DOCS = Path(__file__).resolve().parents[2] / "docs"
BEFORE, AFTER = "2021-01-01", "2022-02-03"  # the matrix grows between these dates


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required on CI)")
    pytest.skip(reason)


try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - reported per test below
    sync_playwright = None  # type: ignore[assignment]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`ledger serve --demo` on a free port over a fresh embedded store."""
    settings = Settings(database_url=None, data_dir=tmp_path_factory.mktemp("ledger"))
    with serving(settings, 1, "--demo") as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        _missing("playwright is not installed (pip install playwright)")
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser, served: Server) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1440, "height": 1100}, base_url=served.url, locale="nl-NL"
    )
    context.set_default_timeout(10_000)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


def _save(page: Page, shots: Path, name: str, **options: Any) -> None:
    target = shots / f"{name}.png"
    page.screenshot(path=str(target), **options)
    assert target.stat().st_size > 10_000
    if os.environ.get("LEDGER_UPDATE_SCREENSHOTS") == "1" and name in ("matrix", "overview"):
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(target, DOCS / f"screenshot-{name}.png")


def _filled_cells(page: Page) -> int:
    return page.locator("td.cell[data-letters]").count()


def test_changing_the_as_of_date_changes_the_matrix(page: Page, shots: Path) -> None:
    # Loopback demo mode: no sign-in.
    page.goto(f"/matrix?as_of={BEFORE}")
    expect(page.get_by_test_id("as-of")).to_have_text(BEFORE)
    before = _filled_cells(page)
    # Choose a later date in the header's picker and apply it.
    page.get_by_label("Peildatum", exact=True).fill(AFTER)
    page.get_by_role("button", name="Toon").click()
    page.wait_for_url(re.compile(f"as_of={AFTER}"))
    expect(page.get_by_test_id("as-of")).to_have_text(AFTER)
    after = _filled_cells(page)
    assert after > before > 0
    _save(page, shots, "matrix-after-date-change", full_page=True)


def test_a_cell_opens_with_its_decisions_and_sources(page: Page, shots: Path) -> None:
    page.goto(f"/matrix?as_of={AFTER}")
    cell = page.locator('td.cell[data-cell="smb--continuiteitsmonitor"] summary')
    cell.focus()
    page.keyboard.press("Enter")  # the cell is a real control: the keyboard opens it
    popover = page.locator("details.cell-details[open] .popover")
    expect(popover).to_be_visible()
    expect(popover.locator(".sources li").first).to_be_visible()
    expect(popover.locator(".source-ref").first).not_to_be_empty()
    link = popover.locator(".sources a").first
    href = link.get_attribute("href") or ""
    assert href.startswith("/decisions/")
    _save(page, shots, "matrix")
    # Escape closes it again; following a source opens the decision with its chain hash.
    page.keyboard.press("Escape")
    expect(popover).to_have_count(0)
    page.goto(href)
    expect(page.get_by_test_id("chain-hash")).to_have_text(re.compile("^[0-9a-f]{64}$"))
    _save(page, shots, "decision", full_page=True)


def test_the_compare_mode_marks_changed_cells(page: Page, shots: Path) -> None:
    page.goto(f"/matrix?as_of={AFTER}")
    page.get_by_label("Vergelijk met peildatum").fill(BEFORE)
    page.get_by_role("button", name="Vergelijk", exact=True).click()
    expect(page.get_by_test_id("compare-summary")).to_contain_text(BEFORE)
    assert page.locator("td.cell.change-added").count() > 0
    _save(page, shots, "matrix-compare", full_page=True)


def test_the_language_switch_keeps_the_question(page: Page, shots: Path) -> None:
    page.goto(f"/matrix?as_of={AFTER}")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    page.get_by_role("link", name="Switch to English").click()
    page.wait_for_url(re.compile("lang=en"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Responsibility matrix")
    assert f"as_of={AFTER}" in page.url
    # Links carry the language on.
    page.get_by_role("link", name="Timeline").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Timeline")
    _save(page, shots, "timeline-en")


def test_the_overview_slider_moves_the_as_of_date(page: Page, shots: Path) -> None:
    page.goto(f"/?as_of={AFTER}")
    _save(page, shots, "overview")
    slider = page.locator("#as-of-slider")
    slider.focus()
    page.keyboard.press("Home")  # the first day of the ledger ...
    page.keyboard.press("ArrowRight")  # ... and one after: shown, the page stays
    expect(page.locator("#slider-value")).to_have_text("2018-01-01")
    page.wait_for_timeout(500)  # (time enough for a navigation to begin)
    assert f"as_of={AFTER}" in page.url
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Enter")  # go there
    page.wait_for_url(re.compile("as_of=2017-12-31"))
    expect(page.get_by_test_id("as-of")).to_have_text("2017-12-31")
    for path in ("/timeline", "/risks", "/recommendations", "/commitments", "/downloads"):
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        _save(page, shots, path.strip("/"), full_page=True)


def test_the_decision_log_is_filtered_to_the_smbs_decisions_of_2022(
    page: Page, shots: Path
) -> None:
    page.goto(f"/?as_of={AFTER}")
    page.get_by_role("link", name="Besluiten", exact=True).click()
    page.wait_for_url(re.compile("/besluiten"))
    everything = int((page.get_by_test_id("log-count").text_content() or "0").split()[0])
    page.get_by_label("Partij").select_option("smb")
    page.get_by_label("Ingang vanaf").fill("2022-01-01")
    page.get_by_label("Ingang tot en met").fill("2022-12-31")
    page.get_by_role("button", name="Toon").last.click()
    page.wait_for_url(re.compile("party=smb"))
    count = int((page.get_by_test_id("log-count").text_content() or "0").split()[0])
    assert 0 < count < everything
    dates = page.locator('table[data-testid="log"] tbody tr td:first-child').all_text_contents()
    assert len(dates) == count and all(d.startswith("2022-") for d in dates)
    _save(page, shots, "log", full_page=True)
    page.locator('table[data-testid="log"] tbody tr a[href^="/decisions/"]').first.click()
    expect(page.get_by_test_id("chain-hash")).to_have_text(re.compile("^[0-9a-f]{64}$"))


def test_on_a_phone_the_answer_starts_in_the_first_half_of_the_screen(
    browser: Browser, served: Server, shots: Path
) -> None:
    """At 390 x 844 px (a phone) the header, the menu (one line, scrolled sideways) and the two
    dates leave most of the screen to the answer, and no page is wider than the screen."""
    with _window(browser, served, 390, 844) as phone:
        for path in ("/", "/matrix", "/besluiten", "/voortgang", "/commitments"):
            phone.goto(f"{path}?as_of={AFTER}")
            heading = phone.locator("main h1").bounding_box()
            menu = phone.locator("nav.main-nav ul").bounding_box()
            assert heading is not None and menu is not None
            assert heading["y"] < 844 * 0.5, (path, heading)
            assert menu["height"] < 50, (path, menu)  # one line
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 391, (path, width)  # wide tables scroll inside their own box
        _save(phone, shots, "matrix-phone")


def test_at_1280_pixels_the_registers_tables_fit_without_scrolling(
    browser: Browser, served: Server
) -> None:
    """The registers' tables (not the matrix, which scrolls by design) wrap their long cells
    and fit a 1,280-px window."""
    with _window(browser, served, 1280, 900) as wide:
        for path in ("/commitments", "/recommendations", "/risks", "/besluiten", "/voortgang"):
            wide.goto(f"{path}?as_of=2022-04-15")
            overflowing = wide.evaluate(
                """() => [...document.querySelectorAll('main table')].map(t => [
                    t.parentElement.clientWidth, t.getBoundingClientRect().width
                  ]).filter(([room, width]) => width > room + 1)"""
            )
            assert overflowing == [], (path, overflowing)


@contextmanager
def _window(browser: Browser, served: Server, width: int, height: int) -> Iterator[Page]:
    """A page in a window of this size (Dutch, on the served demo)."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, base_url=served.url, locale="nl-NL"
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def test_an_evaluator_finds_the_overdue_commitment_and_reads_the_packs_cover(
    page: Page, shots: Path, tmp_path: Path
) -> None:
    """On 15 April 2022 the Q1-2022 commitment (the C2000 chain's exploration) is overdue; the
    evaluation pack, downloaded as PDF from the downloads page, says on its cover what it is."""
    import pypdf

    page.goto("/?as_of=2022-04-15")
    page.get_by_role("link", name="Toezeggingen", exact=True).click()
    overdue = page.locator("tr.overdue")
    expect(overdue).to_have_count(1)
    expect(overdue).to_contain_text("eerste kwartaal van 2022")
    expect(overdue.get_by_test_id("overdue")).to_have_text("over tijd")
    _save(page, shots, "commitments-overdue")
    page.get_by_role("link", name="Downloads", exact=True).click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Evaluatiepakket (PDF)").click()
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    assert target.name == "evaluatiepakket-2022-04-15.pdf"
    cover = " ".join(pypdf.PdfReader(target).pages[0].extract_text().split())
    assert cover.startswith("Evaluatiepakket governance meldkamers Peildatum 15 april 2022")
    assert "Ledger-positie 114" in cover


def test_who_was_accountable_for_c2000_on_1_march_2021_as_known_then_and_now(
    page: Page, shots: Path
) -> None:
    """As known then, nobody was accountable for C2000 (the matrix flags the column and the gap
    says why); as known now, the minister is, by inheritance from the control-room systems, on
    a decision recorded after the letter of 3 February 2022 (an inference, and marked so)."""
    minister_c2000 = page.locator('td.cell[data-cell="minister-jenv--c2000"]')
    page.goto("/matrix?as_of=2021-03-01&known_at=2021-03-01")
    expect(page.get_by_test_id("known-at")).to_contain_text("2021")
    expect(minister_c2000).not_to_have_attribute("data-letters", re.compile("."))
    expect(minister_c2000).to_have_class(re.compile("in-gap"))
    page.goto("/?as_of=2021-03-01&known_at=2021-03-01")
    expect(page.locator("body")).to_contain_text(
        "niemand is eindverantwoordelijk voor C2000 (missiekritisch communicatiesysteem)"
    )
    # Known now: the same date, the minister, inherited from the subject above.
    page.goto("/matrix?as_of=2021-03-01")
    expect(minister_c2000).to_have_attribute("data-letters", "(A)")
    minister_c2000.locator("summary").click()
    popover = page.locator("details.cell-details[open] .popover")
    inherited = popover.locator(".badge-inherited")
    expect(inherited).to_have_text("geërfd van Meldkamersystemen")
    expect(popover.locator(".badge-inferred").first).to_be_visible()
    expect(popover.locator(".sources li").first).to_contain_text("Kamerstuk 25124-109")
    _save(page, shots, "matrix-inherited")
    # Compare mode shows what became known since, for the same date.
    page.keyboard.press("Escape")
    page.get_by_label("zoals bekend op").fill("2021-03-01")
    page.get_by_role("button", name="Vergelijk", exact=True).click()
    expect(page.get_by_test_id("compare-summary")).to_contain_text(
        "Wijzigingen van 2021-03-01 (zoals bekend op 2021-03-01) naar 2021-03-01: 6 toegevoegd"
    )
    expect(minister_c2000).to_have_class(re.compile("change-added"))
    minister_c2000.locator("summary").click()
    popover.locator(".sources a").first.click()
    expect(page.locator("main")).to_contain_text("Meldkamersystemen")
    expect(page.locator("main")).to_contain_text("2022-02-03")  # recorded after the letter


def test_the_matrix_turns_subjects_into_rows_under_their_parents(page: Page, shots: Path) -> None:
    page.goto(f"/matrix?as_of={AFTER}")
    page.get_by_test_id("turn").click()
    page.wait_for_url(re.compile("turned=1"))
    rows = page.locator("table.matrix.turned tbody th.subject-row")
    names = [" ".join(text.split()) for text in rows.all_inner_texts()]
    top = next(i for i, n in enumerate(names) if n.startswith("Meldkamersystemen"))
    assert "valt onder Meldkamersystemen: C2000" in names[top + 1]  # right under its parent
    expect(rows.nth(top + 1)).to_have_class(re.compile("depth-1"))
    cell = page.locator('td.cell[data-cell="minister-jenv--c2000"]')
    expect(cell).to_have_attribute("data-letters", "(A)")
    expect(cell).to_have_class(re.compile("inherited"))
    _save(page, shots, "matrix-turned", full_page=True)
    # The date form keeps the layout; the switch turns it back.
    page.get_by_label("Peildatum", exact=True).fill(BEFORE)
    page.get_by_role("button", name="Toon").click()
    page.wait_for_url(re.compile(f"as_of={BEFORE}"))
    expect(page.locator("table.matrix.turned")).to_have_count(1)
    page.get_by_test_id("turn").click()
    expect(page.locator("table.matrix.turned")).to_have_count(0)


PAGES = (
    "/",
    "/matrix",
    "/matrix?turned=1",
    "/matrix?compare=2021-01-01",
    "/timeline",
    "/besluiten",
    "/monitor",
    "/voortgang",
    "/risks",
    "/recommendations",
    "/commitments",
    "/downloads",
)


def test_every_page_passes_axe_in_both_languages(page: Page) -> None:
    """axe-core (WCAG 2.1 A and AA rules) over every page, Dutch and English, on the demo's day:
    no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found: list[str] = []
    for lang in ("nl", "en"):
        for path in (*PAGES, f"/decisions/{_first_decision(page)}"):
            join = "&" if "?" in path else "?"
            page.goto(f"{path}{join}as_of=2022-02-03&lang={lang}")
            results = axe.run(
                page,
                options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}},
            )
            for violation in results.response["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    where = [n["target"] for n in violation["nodes"][:3]]
                    found.append(f"{lang} {path}: {violation['id']} {where}")
    assert found == [], "\n".join(found)


def _first_decision(page: Page) -> str:
    page.goto("/besluiten?as_of=2022-02-03")
    href = page.locator("a[href^='/decisions/']").first.get_attribute("href") or ""
    return href.split("/decisions/", 1)[1].split("?", 1)[0]
