"""The compression.bib page in real Chromium: what a reader sees and can do.

Sorting, the page's header and chart, anchors, and how it looks on a phone, in print, in dark
mode and without scripting. Search, facets, the address and history are in test_filters.py;
citing in test_citing.py; a catalogue of thousands of papers in test_large.py; accessibility
in test_access.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from chromium import Watched
from pages import (
    PAPER_ROWS,
    address,
    after_frame,
    column,
    drawn,
    keys,
    no_page_scroll,
    rows,
    summary,
)
from playwright.sync_api import Browser, Page, expect

from bib2table import build
from bib2table.catalogue.search import fold

ROOT = Path(__file__).resolve().parents[2]
CATEGORY_TOTALS = {
    "Pruning": 25,
    "Distillation": 17,
    "Architecture": 8,
    "Quantization, low-rank, etc.": 1,
    "Other": 8,
}


@pytest.fixture(scope="module")
def entries() -> list[tuple[str, list[str]]]:
    """Each paper's key and cells, in the file's order, from the catalogue itself."""
    catalogue, _ = build(ROOT / "compression.bib", ["csv"])
    return [(e.key, list(e.cells)) for e in catalogue.entries]


def header(page: Page, label: str) -> str | None:
    return page.locator("#catalogue thead th", has_text=label).first.get_attribute("aria-sort")


def sort_by(page: Page, label: str) -> None:
    page.locator("#catalogue thead").get_by_role("button", name=label, exact=True).click()


def assert_quiet(watched: Watched) -> None:
    assert watched.requests == []
    assert watched.errors == []
    assert watched.dialogs == []


def test_page_opens_offline_without_errors(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    assert page.title() == "Model Compression"
    assert len(rows(page)) == 57
    assert summary(page) == "Showing 57 of 57 papers"
    assert page.get_by_role("heading", name="Existing collections").is_visible()
    assert_quiet(watched)


def test_header_counts_papers_per_category(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    totals = " ".join(page.locator("header .totals").inner_text().split())
    assert totals.startswith("57 papers")
    for label, count in CATEGORY_TOTALS.items():
        assert f"{label} {count}" in totals


def test_chart_shows_papers_per_year_by_category(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    chart = page.locator("figure.chart")
    assert chart.is_visible()
    charts = chart.get_by_role("img")
    assert charts.count() == 1 + len(CATEGORY_TOTALS)
    years = column(page, 0)
    per_year = {y: years.count(y) for y in set(years)}
    peak = max(per_year.values())
    busiest = min(y for y, n in per_year.items() if n == peak)
    label = f"All papers: 57 papers, most in {busiest} ({peak})"
    assert charts.first.get_attribute("aria-label") == label
    bars = page.eval_on_selector_all(
        "figure.chart svg.chart-all rect",
        "rs => rs.filter(r => +r.getAttribute('height') > 0)"
        ".map(r => r.querySelector('title').textContent)",
    )
    assert sorted(bars) == sorted(f"{y}: {n}" for y, n in per_year.items())
    pruning = charts.nth(1).get_attribute("aria-label") or ""
    assert pruning.startswith("Pruning: 25 papers")
    assert chart.locator(".chart-axis").inner_text().split() == [
        "1990",
        "1995",
        "2000",
        "2005",
        "2010",
        "2015",
    ]


def test_chart_has_a_table_of_papers_per_year(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    years = column(page, 0)
    page.get_by_text("Papers per year as a table").click()
    table = page.locator(".chart-table table")
    assert table.is_visible()
    heads = table.locator("thead th").all_inner_texts()
    assert heads == ["Year", "All papers", *CATEGORY_TOTALS]
    assert chart_table(page, len(set(years))) == sorted((y, years.count(y)) for y in set(years))


def chart_table(page: Page, years: int | None = None) -> list[tuple[str, int]]:
    """The rows of "Papers per year as a table" shown: each year and its count of all papers;
    with ``years``, once that many are shown (the table follows the view a moment later)."""
    if years is not None:
        shown = page.locator(".chart-table tbody tr:not([hidden])")
        expect(shown).to_have_count(years)
    found: list[tuple[str, int]] = [
        (year, int(count))
        for year, count in page.eval_on_selector_all(
            ".chart-table tbody tr",
            "trs => trs.filter(tr => !tr.hidden).map(tr => [tr.cells[0].textContent,"
            " tr.cells[1].textContent])",
        )
    ]
    return sorted(found)


def test_the_chart_follows_the_view(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    page.get_by_role("checkbox", name="Distillation").check()
    years = column(page, 0)
    assert len(years) == 17
    charts = page.locator("figure.chart").get_by_role("img")
    expect(charts.first).to_have_attribute("aria-label", re.compile("^All papers: 17 papers"))
    assert (charts.nth(1).get_attribute("aria-label") or "").startswith("Pruning: ")
    bars = page.eval_on_selector_all(
        "figure.chart svg.chart-all rect",
        "rs => rs.filter(r => +r.getAttribute('height') > 0)"
        ".map(r => r.querySelector('title').textContent)",
    )
    assert sorted(bars) == sorted(f"{y}: {years.count(y)}" for y in set(years))
    page.get_by_text("Papers per year as a table").click()
    assert chart_table(page, len(set(years))) == sorted((y, years.count(y)) for y in set(years))
    page.locator("#search").fill("no such paper")
    expect(charts.first).to_have_attribute("aria-label", "All papers: 0 papers")
    assert chart_table(page, 0) == []


def test_year_sorts_newest_first_then_oldest(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    original = column(page, 0)
    assert original != sorted(original)  # the file's own order is not by year
    sort_by(page, "Year")
    assert column(page, 0) == sorted(original, key=int, reverse=True)
    assert header(page, "Year") == "descending"
    sort_by(page, "Year")
    assert column(page, 0) == sorted(original, key=int)
    assert header(page, "Year") == "ascending"


def test_ties_keep_the_previous_sort_then_the_file_order(
    watched: Watched, page_file: Path, entries: list[tuple[str, list[str]]]
) -> None:
    page = watched.open(page_file)
    sort_by(page, "Year")
    by_year = [k for k, c in sorted(entries, key=lambda e: -int(e[1][0]))]  # stable
    assert keys(page) == by_year
    sort_by(page, "Venue")
    venue = {k: fold(c[3]) for k, c in entries}
    assert keys(page) == sorted(by_year, key=lambda k: venue[k])  # stable: years within venue
    assert "sort=Venue&sort=-Year" in address(page)


def test_text_column_sorts_and_only_one_header_is_marked(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    sort_by(page, "Year")
    sort_by(page, "Title")
    titles = column(page, 2)
    assert titles == sorted(titles, key=str.casefold)
    assert header(page, "Title") == "ascending"
    assert header(page, "Year") is None
    sort_by(page, "Title")
    assert column(page, 2) == sorted(titles, key=str.casefold, reverse=True)
    assert header(page, "Title") == "descending"


def test_authors_sort_by_family_name(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    sort_by(page, "Author")
    catalogue, _ = build(ROOT / "compression.bib", ["csv"])
    by_family = sorted(catalogue.entries, key=lambda e: fold(e.sort_names[1]))
    assert keys(page) == [e.key for e in by_family]
    authors = column(page, 1)
    howard = next(n for n, a in enumerate(authors) if a.startswith("Andrew G. Howard"))
    romero = next(n for n, a in enumerate(authors) if a.startswith("Adriana Romero"))
    assert howard < romero  # Howard before Romero, whatever their first names
    le_cun = authors.index("Yann Le Cun, John S. Denker, Sara A. Solla")
    family = [e.sort_names[1] for e in by_family]
    assert family[le_cun - 1] < "Le Cun" < family[le_cun + 1]  # "Le Cun", under L


def test_category_column_sorts_marked_rows_first(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    sort_by(page, "Pruning")
    marks = column(page, 4)
    assert marks[:25] == ["x"] * 25
    assert "x" not in marks[25:]


def test_headers_sort_from_the_keyboard(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    page.locator("#catalogue thead").get_by_role("button", name="Year").focus()
    page.keyboard.press("Enter")
    assert header(page, "Year") == "descending"
    page.keyboard.press("Space")
    assert header(page, "Year") == "ascending"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert header(page, "Author") == "ascending"
    assert header(page, "Year") is None


def test_header_names_are_the_labels_alone(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    sort_by(page, "Year")
    buttons = page.locator("#catalogue thead button")
    names = [buttons.nth(n).evaluate("b => b.textContent") for n in range(buttons.count())]
    assert names == ["Year", "Author", "Title", "Venue", *CATEGORY_TOTALS]
    for label in ["Year", "Title", *CATEGORY_TOTALS]:
        assert page.get_by_role("button", name=label, exact=True).count() == 1


def test_the_header_row_stays_in_view(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    page.locator("#papers").scroll_into_view_if_needed()
    page.mouse.wheel(0, 3000)
    after_frame(page)
    head = page.locator("#catalogue thead th", has_text="Pruning")
    bar = page.locator(".bar").bounding_box()
    box = head.bounding_box()
    assert bar is not None and box is not None
    assert 0 <= box["y"] <= bar["y"] + bar["height"] + 1  # under the bar, in view
    assert page.evaluate("scrollY") > 2000


def test_cells_and_links_as_a_reader_sees_them(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    page.get_by_role("link", name="Skip to the papers").click()
    first = page.locator(PAPER_ROWS).first
    assert first.locator("td").nth(1).inner_text() == "Yann Le Cun, John S. Denker, Sara A. Solla"
    link = first.get_by_role("link", name="Optimal Brain Damage")
    assert link.get_attribute("href") == "http://yann.lecun.com/exdb/publis/pdf/lecun-90b.pdf"
    small = first.locator(".links a")
    assert small.all_inner_texts() == ["PDF"]
    mobilenets = page.locator("#howard2017mobilenets .links a")
    assert mobilenets.all_inner_texts() == ["arXiv"]
    assert mobilenets.first.get_attribute("href") == "https://arxiv.org/abs/1704.04861"
    assert any("Łukasz Dudziak" in cells[1] for _, cells in rows(page))


def test_entries_have_permalink_anchors(watched: Watched, page_file: Path) -> None:
    page = watched.page
    page.goto(page_file.resolve().as_uri() + "#frankle2019lottery")
    row = page.locator("#frankle2019lottery")
    assert "Lottery Ticket" in row.inner_text()
    assert row.is_visible()
    assert "target" in (row.get_attribute("class") or "")
    top = row.evaluate("r => r.getBoundingClientRect().top")
    under = page.evaluate(
        "document.querySelector('.bar').getBoundingClientRect().bottom"
        " + document.querySelector('#catalogue thead').getBoundingClientRect().height"
    )
    assert under - 1 <= top <= under + 40  # just under the bar and header row


@pytest.mark.parametrize("width", [320, 390])
def test_a_phone_shows_cards_and_never_scrolls_sideways(
    watched: Watched, page_file: Path, width: int
) -> None:
    page = watched.page
    page.set_viewport_size({"width": width, "height": 844})
    watched.open(page_file)
    assert no_page_scroll(page) <= 0
    assert page.get_by_role("heading", name="Model Compression").is_visible()
    # one tap to the first paper
    page.get_by_role("link", name="Skip to the papers").click()
    first = page.locator(PAPER_ROWS).first
    box = first.bounding_box()
    assert box is not None and 0 < box["y"] < 844 and box["x"] >= 0
    assert box["x"] + box["width"] <= width
    # a card: title first, then authors, venue and year, categories by name
    texts = first.evaluate(
        "tr => Array.from(tr.cells).filter(c => c.offsetHeight)"
        ".sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top"
        " || a.getBoundingClientRect().left - b.getBoundingClientRect().left)"
        ".map(c => c.innerText.replace(/\\s+/g, ' ').trim())"
    )
    assert texts[0].startswith("Optimal Brain Damage")
    assert texts[1] == "Yann Le Cun, John S. Denker, Sara A. Solla"
    assert texts[2:] == ["NIPS", "1990", "Pruning"]
    dot = first.locator("td").first.evaluate("td => getComputedStyle(td, '::before').content")
    assert "\u00b7" in dot  # venue · year
    first.get_by_role("button", name="BibTeX").click()
    page.locator("#search").fill("pruning")
    for _ in range(3):
        page.mouse.wheel(0, 2000)
        after_frame(page)
        assert no_page_scroll(page) <= 0
    for part in ("#search", "#summary", "figure.chart"):
        found = page.locator(part).bounding_box()
        assert found is not None and found["x"] >= 0 and found["x"] + found["width"] <= width


def test_a_phone_folds_the_filters_away(watched: Watched, page_file: Path) -> None:
    page = watched.page
    page.set_viewport_size({"width": 390, "height": 844})
    watched.open(page_file)
    assert not page.get_by_role("checkbox", name="Pruning").is_visible()
    page.get_by_text("Categories and years").click()
    page.get_by_role("checkbox", name="Pruning").check()
    assert summary(page) == "25 of 57 papers"
    page.goto(address(page))  # a shared view with a category opens with its filters shown
    assert page.get_by_role("checkbox", name="Pruning").is_checked()
    assert page.get_by_role("checkbox", name="Pruning").is_visible()


def test_sorting_on_a_phone(watched: Watched, page_file: Path) -> None:
    page = watched.page
    page.set_viewport_size({"width": 390, "height": 844})
    watched.open(page_file)
    sort_by(page, "Year")
    years = [cells[0] for _, cells in rows(page)]
    assert years == sorted(years, reverse=True)


def test_print_shows_the_view_with_addresses(watched: Watched, page_file: Path) -> None:
    page = watched.page
    page.set_viewport_size({"width": 680, "height": 960})  # A4 portrait within its margins
    watched.open(page_file)
    page.locator("#search").fill("network")
    page.get_by_role("checkbox", name="Pruning").check()
    sort_by(page, "Year")
    seen = rows(page)
    view = [key for key, _ in seen]
    assert 0 < len(view) < 57
    marked = [c for n, c in enumerate(CATEGORY_TOTALS) if any(r[4 + n] == "x" for _, r in seen)]
    assert len(marked) < len(CATEGORY_TOTALS)
    page.locator(PAPER_ROWS).first.get_by_role("button", name="BibTeX").click()
    page.emulate_media(media="print")
    after_frame(page)  # media queries are evaluated as the next frame is made
    printed = [key for key, _ in drawn(page)]
    assert printed == view  # all of the view, in its order, and nothing else
    for hidden in (".filters", ".bar", "#search", "tr.cite", ".cite-toggle", ".skip"):
        assert not page.locator(hidden).first.is_visible(), hidden
    assert no_page_scroll(page) <= 0  # fits the page's width
    table = page.locator("#catalogue").bounding_box()
    assert table is not None and table["x"] + table["width"] <= 680
    # the empty category columns are left out
    heads = page.locator("#catalogue thead th:visible").all_inner_texts()
    assert [h.strip() for h in heads] == ["Year", "Author", "Title", "Venue", *marked]
    # each paper's address is printed
    for key in printed:
        text = page.locator(f"#{key} .links").evaluate(
            "s => getComputedStyle(s.querySelector('.primary'), '::after').content"
        )
        assert re.match(r'^" https?://', text), (key, text)
    page.emulate_media(media="screen")
    after_frame(page)
    assert len(drawn(page)) < 57 or keys(page) == view  # the window is back
    assert keys(page) == view
    assert page.locator("#search").is_visible()


def test_dark_mode_follows_the_system(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    light = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.emulate_media(color_scheme="dark")
    dark = page.evaluate("getComputedStyle(document.body).backgroundColor")
    text = page.evaluate("getComputedStyle(document.body).color")
    assert light == "rgb(255, 255, 255)"
    assert brightness(dark) < 0.2 < 0.8 < brightness(text)
    page.get_by_role("link", name="Skip to the papers").click()
    link = page.locator(PAPER_ROWS).first.get_by_role("link").first
    assert brightness(link.evaluate("a => getComputedStyle(a).color")) > 0.5


def brightness(css_color: str) -> float:
    red, green, blue = (int(n) for n in re.findall(r"\d+", css_color)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def test_chart_colours_stand_out_in_both_themes(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        fills = page.eval_on_selector_all(
            "figure.chart svg", "ss => ss.map(s => getComputedStyle(s.querySelector('rect')).fill)"
        )
        assert len(fills) == 6
        for fill in fills:
            assert contrast(fill, background) >= 3, (scheme, fill)


def contrast(first: str, second: str) -> float:
    def luminance(css: str) -> float:
        channels = [int(n) / 255 for n in re.findall(r"\d+", css)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_without_scripting_every_row_is_there_and_no_dead_control(
    browser: Browser, page_file: Path
) -> None:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.goto(page_file.resolve().as_uri())
    table = page.locator("#catalogue-static")
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 57
    assert table.locator("tbody tr").nth(56).is_visible()
    for control in ("#search", ".facets", "#from", "#reset", "#catalogue", ".skip"):
        assert not page.locator(control).first.is_visible() or control == ".skip", control
    assert page.locator("button:visible, input:visible, select:visible").count() == 0
    page.set_viewport_size({"width": 320, "height": 700})
    assert no_page_scroll(page) <= 0
    context.close()


def test_the_page_is_one_file_with_a_strict_policy(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    policy = page.locator("meta[http-equiv=Content-Security-Policy]").get_attribute("content")
    assert policy is not None and policy.startswith("default-src 'none'; img-src data:;")
    assert "unsafe-inline" not in policy
    assert page.locator("script[src], link[rel=stylesheet], img[src], iframe").count() == 0
    sort_by(page, "Title")
    page.locator("#search").fill("network")
    assert_quiet(watched)  # no style or script was blocked, nothing was fetched
