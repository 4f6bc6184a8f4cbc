"""The compression.bib page in real Chromium: what a reader sees and can do.

Sorting, the page's header, anchors, and how it looks on a phone, in print and in dark mode.
Search, facets and the address are in test_filters.py; citing in test_citing.py; a catalogue
of thousands of papers in test_large.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from chromium import Watched
from pages import PAPER_ROWS, after_frame, column, shown_count, summary
from playwright.sync_api import Page

from bib2table import build
from bib2table.outputs.write import write_outputs

ROOT = Path(__file__).resolve().parents[2]
CATEGORY_TOTALS = {
    "Pruning": 25,
    "Distillation": 17,
    "Architecture": 8,
    "Quantization, low-rank, etc.": 1,
    "Other": 8,
}


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _, outputs = build(ROOT / "compression.bib", ["html"])
    path = tmp_path_factory.mktemp("page") / "compression.html"
    write_outputs({path: outputs[0].text})
    return path


def header(page: Page, label: str) -> str | None:
    return page.locator("#catalogue thead th", has_text=label).first.get_attribute("aria-sort")


def assert_quiet(watched: Watched) -> None:
    assert watched.requests == []
    assert watched.errors == []
    assert watched.dialogs == []


def test_page_opens_offline_without_errors(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    assert page.title() == "Model Compression"
    assert shown_count(page) == 57
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
    # one bar per year with papers, its tooltip saying how many
    years = column(page, 0)
    per_year = {y: years.count(y) for y in set(years)}
    peak = max(per_year.values())
    busiest = min(y for y, n in per_year.items() if n == peak)
    label = f"All papers: 57 papers, most in {busiest} ({peak})"
    assert charts.first.get_attribute("aria-label") == label
    bars = page.eval_on_selector_all(
        "figure.chart svg.chart-all rect title", "ts => ts.map(t => t.textContent)"
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


def test_year_sorts_numerically_both_ways(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    original = column(page, 0)
    assert original != sorted(original)  # the file's own order is not by year
    page.get_by_role("button", name="Year").click()
    ascending = column(page, 0)
    assert ascending == sorted(original, key=int)
    assert header(page, "Year") == "ascending"
    page.get_by_role("button", name="Year").click()
    assert column(page, 0) == sorted(original, key=int, reverse=True)
    assert header(page, "Year") == "descending"


def test_sorting_by_year_keeps_file_order_within_a_year(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    titles = column(page, 2)
    years = column(page, 0)
    page.get_by_role("button", name="Year").click()
    expected = [t for _, t in sorted(zip(map(int, years), titles, strict=True), key=lambda p: p[0])]
    assert column(page, 2) == expected


def test_text_column_sorts_and_only_one_header_is_marked(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    page.get_by_role("button", name="Year").click()
    page.get_by_role("button", name="Title").click()
    titles = column(page, 2)
    assert titles == sorted(titles, key=str.casefold)
    assert header(page, "Title") == "ascending"
    assert header(page, "Year") is None
    page.get_by_role("button", name="Title").click()
    assert column(page, 2) == sorted(titles, key=str.casefold, reverse=True)
    assert header(page, "Title") == "descending"


def test_authors_sort_ignoring_accents(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    page.get_by_role("button", name="Venue").click()
    page.get_by_role("button", name="Author").click()
    authors = column(page, 1)
    assert authors == sorted(authors, key=lambda a: a.casefold().replace("ł", "l"))


def test_category_column_sorts_marked_rows_first(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    page.get_by_role("button", name="Pruning").click()
    marks = column(page, 4)
    assert marks[:25] == ["x"] * 25
    assert "x" not in marks[25:]


def test_headers_sort_from_the_keyboard(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    page.get_by_role("button", name="Year").focus()
    page.keyboard.press("Enter")
    assert header(page, "Year") == "ascending"
    page.keyboard.press("Space")
    assert header(page, "Year") == "descending"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert header(page, "Author") == "ascending"
    assert header(page, "Year") is None


def test_header_text_is_the_label_alone(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    page.get_by_role("button", name="Year").click()
    labels = page.eval_on_selector_all("#catalogue thead th", "ths => ths.map(t => t.textContent)")
    assert labels == ["Year", "Author", "Title", "Venue", *CATEGORY_TOTALS]


def test_cells_and_links_as_a_reader_sees_them(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    first = page.locator(PAPER_ROWS).first
    assert first.locator("td").nth(1).inner_text() == "Yann Le Cun, John S. Denker, Sara A. Solla"
    assert first.locator("td").nth(2).inner_text() == "Optimal Brain Damage"
    link = first.get_by_role("link", name="Optimal Brain Damage")
    assert link.get_attribute("href") == "http://yann.lecun.com/exdb/publis/pdf/lecun-90b.pdf"
    assert page.locator("#catalogue").get_by_text("Łukasz Dudziak", exact=False).count() == 1


def test_entries_have_permalink_anchors(watched: Watched, page_file: Path) -> None:
    page = watched.page
    page.goto(page_file.resolve().as_uri() + "#frankle2019lottery")
    row = page.locator("#frankle2019lottery")
    assert "Lottery Ticket" in row.inner_text()
    assert row.is_visible()
    assert row.evaluate("r => r.getBoundingClientRect().top") < 200  # scrolled to it
    assert "target" in (row.get_attribute("class") or "")


def test_phone_width_scrolls_the_table_not_the_page(watched: Watched, page_file: Path) -> None:
    page = watched.page
    page.set_viewport_size({"width": 390, "height": 844})
    watched.open(page_file)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert page.get_by_role("heading", name="Model Compression").is_visible()
    for part in ("#search", ".facets", "figure.chart", "#summary"):
        box = page.locator(part).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, part
    page.locator("#search").fill("pruning")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_print_hides_the_filters_and_shows_every_row(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    page.locator("#search").fill("network")
    page.get_by_role("checkbox", name="Pruning").check()
    assert shown_count(page) < 57
    page.locator(PAPER_ROWS).first.get_by_role("button", name="BibTeX").click()
    page.emulate_media(media="print")
    after_frame(page)  # media queries are evaluated as the next frame is made
    assert shown_count(page) == 57
    for hidden in (".filters", ".bar", "#search", "tr.cite", ".cite-toggle"):
        assert not page.locator(hidden).first.is_visible(), hidden
    assert page.locator("#catalogue").is_visible()
    page.emulate_media(media="screen")
    after_frame(page)
    assert shown_count(page) < 57  # the view is back as it was
    assert page.locator("#search").is_visible()


def test_dark_mode_follows_the_system(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    light = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.emulate_media(color_scheme="dark")
    dark = page.evaluate("getComputedStyle(document.body).backgroundColor")
    text = page.evaluate("getComputedStyle(document.body).color")
    assert light == "rgb(255, 255, 255)"
    assert brightness(dark) < 0.2 < 0.8 < brightness(text)
    link = page.locator(PAPER_ROWS).first.get_by_role("link")
    assert brightness(link.evaluate("a => getComputedStyle(a).color")) > 0.5


def brightness(css_color: str) -> float:
    red, green, blue = (int(n) for n in re.findall(r"\d+", css_color)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def test_the_page_is_one_file_with_a_strict_policy(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    policy = page.locator("meta[http-equiv=Content-Security-Policy]").get_attribute("content")
    assert policy is not None and policy.startswith("default-src 'none'; img-src data:;")
    assert "unsafe-inline" not in policy
    assert page.locator("script[src], link[rel=stylesheet], img[src], iframe").count() == 0
    page.get_by_role("button", name="Title").click()
    page.locator("#search").fill("network")
    assert_quiet(watched)  # no style or script was blocked, nothing was fetched
