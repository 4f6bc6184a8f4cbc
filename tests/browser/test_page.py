"""The compression.bib page in real Chromium: what a reader sees and can do."""

from __future__ import annotations

from pathlib import Path

import pytest
from chromium import Watched
from playwright.sync_api import Page

from bib2table import build
from bib2table.write import write_outputs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _, outputs = build(ROOT / "compression.bib", ["html"])
    path = tmp_path_factory.mktemp("page") / "compression.html"
    write_outputs({path: outputs[0].text})
    return path


def column(page: Page, index: int) -> list[str]:
    return page.eval_on_selector_all(
        "#catalogue tbody tr",
        f"rows => rows.map(r => r.cells[{index}].innerText.trim())",
    )


def header(page: Page, label: str) -> str | None:
    return page.locator("#catalogue thead th", has_text=label).first.get_attribute("aria-sort")


def test_page_opens_offline_without_errors(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    assert page.title() == "Model Compression"
    assert page.locator("#catalogue tbody tr").count() == 57
    assert page.get_by_role("heading", name="Existing collections").is_visible()
    assert watched.requests == []
    assert watched.errors == []
    assert watched.dialogs == []


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


def test_category_column_sorts_marked_rows_first(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    page.get_by_role("button", name="Pruning").click()
    marks = column(page, 4)
    count = marks.count("x")
    assert count > 0
    assert marks[:count] == ["x"] * count


def test_headers_sort_from_the_keyboard(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    page.get_by_role("button", name="Year").focus()
    page.keyboard.press("Enter")
    assert header(page, "Year") == "ascending"
    page.keyboard.press("Space")
    assert header(page, "Year") == "descending"


def test_cells_and_links_as_a_reader_sees_them(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    first = page.locator("#catalogue tbody tr").first
    assert first.locator("td").nth(1).inner_text() == "Yann Le Cun, John S. Denker, Sara A. Solla"
    link = first.get_by_role("link", name="Optimal Brain Damage")
    assert link.get_attribute("href") == "http://yann.lecun.com/exdb/publis/pdf/lecun-90b.pdf"
    assert page.locator("#catalogue").get_by_text("Łukasz Dudziak", exact=False).count() == 1


def test_phone_width_scrolls_the_table_not_the_page(watched: Watched, page_file: Path) -> None:
    page = watched.page
    page.set_viewport_size({"width": 390, "height": 844})
    watched.open(page_file)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert page.get_by_role("heading", name="Model Compression").is_visible()


def test_entries_have_permalink_anchors(watched: Watched, page_file: Path) -> None:
    page = watched.page
    page.goto(page_file.resolve().as_uri() + "#frankle2019lottery")
    row = page.locator("#frankle2019lottery")
    assert "Lottery Ticket" in row.inner_text()
    assert row.is_visible()
