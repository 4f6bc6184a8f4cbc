"""Search, category facets, the year range and the address that keeps them, in Chromium.

Expected rows and counts are worked out here from the page's own table (read with lxml, as the
seed comparison reads it), so the tests say what a reader should see, not how the script works.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from chromium import Watched
from pages import PAPER_ROWS, after_frame, column, facet, fold, shown_count, summary
from playwright.sync_api import Page

from bib2table import build
from bib2table.outputs.write import write_outputs
from catalogue_views import CATEGORIES, Row, rows_from_html

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _, outputs = build(ROOT / "compression.bib", ["html"])
    path = tmp_path_factory.mktemp("page") / "compression.html"
    write_outputs({path: outputs[0].text})
    return path


@pytest.fixture(scope="module")
def papers(page_file: Path) -> list[Row]:
    return rows_from_html(page_file.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def keys(page_file: Path) -> dict[str, str]:
    """Each paper's key by its title."""
    document = lxml.html.fromstring(page_file.read_text(encoding="utf-8"))
    rows = document.xpath("//table[@id='catalogue']/tbody/tr")
    return {" ".join(r.xpath("./td[3]")[0].text_content().split()): r.get("id") for r in rows}


def found(papers: list[Row], query: str, keys: dict[str, str] | None = None) -> list[Row]:
    """The papers whose year, authors, title, venue or key hold every word of ``query``."""
    words = fold(query).split()
    return [
        p
        for p in papers
        if all(
            w in fold(f"{p.year} {p.author} {p.title} {p.venue} {(keys or {}).get(p.title, '')}")
            for w in words
        )
    ]


def titles(rows: list[Row]) -> list[str]:
    return [r.title for r in rows]


def test_search_filters_as_you_type(
    watched: Watched, page_file: Path, papers: list[Row], keys: dict[str, str]
) -> None:
    page = watched.open(page_file)
    search = page.get_by_role("searchbox", name="Search")
    search.press_sequentially("prun")
    assert column(page, 2) == titles(found(papers, "prun", keys))
    assert summary(page) == f"Showing {len(found(papers, 'prun', keys))} of 57 papers"
    search.press_sequentially("ing filter")
    assert column(page, 2) == titles(found(papers, "pruning filter", keys))
    assert 0 < shown_count(page) < len(found(papers, "prun", keys))
    for _ in "ing filter":
        search.press("Backspace")
    assert shown_count(page) == len(found(papers, "prun", keys))


@pytest.mark.parametrize("query", ["Lukasz", "LUKASZ", "łukasz", "dudziak lukasz"])
def test_search_ignores_accents_and_case(watched: Watched, page_file: Path, query: str) -> None:
    page = watched.open(page_file)
    page.get_by_role("searchbox", name="Search").fill(query)
    assert summary(page) == "Showing 1 of 57 papers"
    assert "Łukasz Dudziak" in page.locator(PAPER_ROWS).inner_text()


def test_search_looks_in_venue_and_key(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    page.locator("#search").fill("frankle2019lottery")
    assert column(page, 2) == [
        "The Lottery Ticket Hypothesis: Finding Sparse, Trainable Neural Networks"
    ]
    page.locator("#search").fill("bmvc")
    assert set(column(page, 3)) == {"BMVC"}


def test_nothing_found_says_so_and_resets(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    page.locator("#search").fill("no such paper anywhere")
    assert summary(page) == "Showing 0 of 57 papers"
    assert page.get_by_text("No paper matches.").is_visible()
    assert [facet(page, c) for c in CATEGORIES] == [0, 0, 0, 0, 0]
    page.locator("#empty").get_by_role("button", name="Reset").click()
    assert shown_count(page) == 57
    assert not page.get_by_text("No paper matches.").is_visible()


def test_facets_show_counts_and_filter(
    watched: Watched, page_file: Path, papers: list[Row]
) -> None:
    page = watched.open(page_file)
    expected = {c: sum(p.marks[c] for p in papers) for c in CATEGORIES}
    assert {c: facet(page, c) for c in CATEGORIES} == expected
    assert (
        page.get_by_role("checkbox", name="Pruning 25", exact=True).count() == 1
    )  # label and count read together
    page.get_by_role("checkbox", name="Pruning").check()
    assert summary(page) == "Showing 25 of 57 papers"
    assert set(column(page, 4)) == {"x"}
    assert column(page, 2) == titles([p for p in papers if p.marks["Pruning"]])


def test_any_means_union_and_all_means_intersection(
    watched: Watched, page_file: Path, papers: list[Row]
) -> None:
    page = watched.open(page_file)
    assert semantics(page) == "Show papers in any of the checked categories."
    page.get_by_role("checkbox", name="Pruning").check()
    page.get_by_role("checkbox", name="Distillation").check()
    either = [p for p in papers if p.marks["Pruning"] or p.marks["Distillation"]]
    assert column(page, 2) == titles(either)
    # with "any", a count is the papers that category adds: it ignores the other checks
    assert facet(page, "Distillation") == 17
    page.get_by_label("Show papers in").select_option("all")
    assert semantics(page) == "Show papers in all of the checked categories."
    both = [p for p in papers if p.marks["Pruning"] and p.marks["Distillation"]]
    assert column(page, 2) == titles(both)
    assert summary(page) == f"Showing {len(both)} of 57 papers"
    # with "all", a count is what the view would be with that category checked too
    for category in CATEGORIES:
        expected = [p for p in both if p.marks[category]]
        assert facet(page, category) == len(expected), category


def test_counts_follow_search_and_years(
    watched: Watched, page_file: Path, papers: list[Row], keys: dict[str, str]
) -> None:
    page = watched.open(page_file)
    page.locator("#search").fill("network")
    page.locator("#from").fill("2016")
    page.locator("#to").fill("2017")
    page.locator("#to").press("Tab")
    chosen = [p for p in found(papers, "network", keys) if 2016 <= int(p.year) <= 2017]
    assert column(page, 2) == titles(chosen)
    assert {int(y) for y in column(page, 0)} <= {2016, 2017}
    for category in CATEGORIES:
        assert facet(page, category) == sum(p.marks[category] for p in chosen), category
    assert page.locator(".facets li.none").count() == sum(
        1 for c in CATEGORIES if not any(p.marks[c] for p in chosen)
    )


def test_year_range_alone(watched: Watched, page_file: Path, papers: list[Row]) -> None:
    page = watched.open(page_file)
    page.locator("#from").fill("2018")
    assert column(page, 2) == titles([p for p in papers if int(p.year) >= 2018])
    page.locator("#from").fill("")
    page.locator("#to").fill("1995")
    assert column(page, 0) == ["1990", "1993"]


def test_reset_clears_everything(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    original = column(page, 2)
    page.locator("#search").fill("deep")
    page.get_by_role("checkbox", name="Architecture").check()
    page.locator("#from").fill("2017")
    page.get_by_role("button", name="Year").click()
    page.locator(".bar").get_by_role("button", name="Reset").click()
    assert column(page, 2) == original
    assert page.locator("#search").input_value() == ""
    assert page.locator("#from").input_value() == ""
    assert not page.get_by_role("checkbox", name="Architecture").is_checked()
    assert page.locator("th[aria-sort]").count() == 0
    assert facet(page, "Pruning") == 25
    page.wait_for_function("() => location.search === ''")


def test_sorting_keeps_the_filter(watched: Watched, page_file: Path, papers: list[Row]) -> None:
    page = watched.open(page_file)
    page.get_by_role("checkbox", name="Other").check()
    page.get_by_role("button", name="Year").click()
    page.get_by_role("button", name="Year").click()
    others = [p for p in papers if p.marks["Other"]]
    expected = sorted(others, key=lambda p: -int(p.year))
    assert column(page, 0) == [p.year for p in expected]
    assert summary(page) == f"Showing {len(others)} of 57 papers"


def test_filtering_does_not_move_the_controls(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)

    def places() -> list[object]:
        return page.evaluate(
            """() => ['#summary', '#search', '#catalogue thead', '.facets', '#shown']
                .map(s => document.querySelector(s).getBoundingClientRect())
                .map(b => [Math.round(b.x), Math.round(b.y + scrollY), Math.round(b.width)])"""
        )

    before = places()
    widths = page.eval_on_selector_all("#catalogue thead th", "ths => ths.map(t => t.offsetWidth)")
    page.locator("#search").fill("a")  # 57 -> fewer papers: counts change width
    page.get_by_role("checkbox", name="Quantization").check()
    after_frame(page)
    assert places() == before
    assert (
        page.eval_on_selector_all("#catalogue thead th", "ths => ths.map(t => t.offsetWidth)")
        == widths
    )


def semantics(page: Page) -> str:
    """The sentence above the facets, with the option chosen in it."""
    return page.locator(".match").evaluate(
        """p => Array.from(p.childNodes).map(n => n.tagName === 'SELECT'
            ? n.selectedOptions[0].text : n.textContent).join('')"""
    )


def wait_for_address(page: Page, *parts: str) -> None:
    page.wait_for_function(
        "parts => parts.every(p => location.search.includes(p))", arg=list(parts)
    )


def test_the_address_keeps_the_view_and_restores_it(
    watched: Watched, page_file: Path, browser_page: Page
) -> None:
    page = watched.open(page_file)
    page.locator("#search").fill("Network")
    page.get_by_role("checkbox", name="Pruning").check()
    page.get_by_role("checkbox", name="Quantization").check()
    page.get_by_label("Show papers in").select_option("all")
    page.locator("#from").fill("2015")
    page.locator("#to").fill("2019")
    page.get_by_role("button", name="Title").click()
    page.get_by_role("button", name="Title").click()
    wait_for_address(page, "q=Network", "match=all", "from=2015", "to=2019", "sort=-Title")
    query = parse_qs(urlsplit(page.url).query)
    assert query["category"] == ["Pruning", "Quantization, low-rank, etc."]
    view = (column(page, 2), summary(page), [facet(page, c) for c in CATEGORIES])

    browser_page.goto(page.url)  # a reader opens the shared link
    assert (column(browser_page, 2), summary(browser_page)) == view[:2]
    assert [facet(browser_page, c) for c in CATEGORIES] == view[2]
    assert browser_page.locator("#search").input_value() == "Network"
    assert browser_page.get_by_role("checkbox", name="Pruning").is_checked()
    assert browser_page.get_by_role("checkbox", name="Quantization").is_checked()
    assert not browser_page.get_by_role("checkbox", name="Other").is_checked()
    assert browser_page.get_by_label("Show papers in").input_value() == "all"
    assert browser_page.locator("#from").input_value() == "2015"
    title = browser_page.locator("#catalogue thead th", has_text="Title")
    assert title.get_attribute("aria-sort") == "descending"


def test_an_address_with_view_and_anchor(watched: Watched, page_file: Path) -> None:
    page = watched.page
    page.goto(
        page_file.resolve().as_uri() + "?category=Distillation&sort=Year#hinton2014distilling"
    )
    assert summary(page) == "Showing 17 of 57 papers"
    assert column(page, 0) == sorted(column(page, 0))
    row = page.locator("#hinton2014distilling")
    assert row.is_visible() and "target" in (row.get_attribute("class") or "")


def test_unknown_address_parts_are_ignored(watched: Watched, page_file: Path) -> None:
    page = watched.page
    page.goto(page_file.resolve().as_uri() + "?category=Nope&sort=Nope&from=x&match=<b>")
    assert summary(page) == "Showing 57 of 57 papers"
    assert page.locator("th[aria-sort]").count() == 0
    assert watched.errors == []


@pytest.fixture
def browser_page(watched: Watched) -> Iterator[Page]:
    """A second tab in a fresh context, as for someone the link was sent to."""
    browser = watched.page.context.browser
    assert browser is not None
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()
