"""Search, category facets, the year range, the address that keeps them, and history.

Which papers a search should find is worked out by bib2table's own --search (the same rules,
in Python), and counts from the catalogue itself, so the tests say what a reader should see;
the rules themselves are checked on their own examples in test_search_rules.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from chromium import Watched
from pages import address, after_frame, column, facet, keys, rows, summary
from playwright.sync_api import Page

from bib2table import build
from bib2table.catalogue.model import Catalogue, Entry
from bib2table.catalogue.selection import Selection, select
from catalogue_views import CATEGORIES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    built, _ = build(ROOT / "compression.bib", ["csv"])
    return built


def found(catalogue: Catalogue, query: str) -> list[str]:
    """The keys --search finds, in the file's order."""
    return [e.key for e in select(catalogue, Selection(search=query)).entries]


def papers_in(catalogue: Catalogue, label: str) -> list[Entry]:
    return [e for e in catalogue.entries if label in e.categories]


def search_for(page: Page, text: str) -> None:
    page.get_by_role("searchbox", name="Search").fill(text)


def test_search_filters_as_you_type(
    watched: Watched, page_file: Path, catalogue: Catalogue
) -> None:
    page = watched.open(page_file)
    search = page.get_by_role("searchbox", name="Search")
    search.press_sequentially("prun")
    assert keys(page) == found(catalogue, "prun")
    assert summary(page) == f"Showing {len(found(catalogue, 'prun'))} of 57 papers"
    search.press_sequentially("ing filter")
    assert keys(page) == found(catalogue, "pruning filter")
    assert 0 < len(found(catalogue, "pruning filter")) < len(found(catalogue, "prun"))
    for _ in "ing filter":
        search.press("Backspace")
    assert keys(page) == found(catalogue, "prun")


@pytest.mark.parametrize("query", ["Lukasz", "LUKASZ", "łukasz", "dudziak lukasz", "Dudziak"])
def test_search_ignores_accents_and_case(watched: Watched, page_file: Path, query: str) -> None:
    page = watched.open(page_file)
    search_for(page, query)
    assert summary(page) == "Showing 1 of 57 papers"
    assert "Łukasz Dudziak" in rows(page)[0][1][1]


def test_search_finds_category_names_like_the_facet(
    watched: Watched, page_file: Path, catalogue: Catalogue
) -> None:
    page = watched.open(page_file)
    search_for(page, "pruning")
    pruning = {e.key for e in papers_in(catalogue, "Pruning")}
    shown = keys(page)
    assert pruning <= set(shown)  # every paper of the category, as its facet counts them
    assert shown == found(catalogue, "pruning")
    assert facet(page, "Pruning") == 25


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Neural Information Processing", "the full booktitle behind NIPS"),
        ("frankle2019lottery", "a key"),
        ("1704.04861", "an arXiv id"),
        ("bmvc", "a venue as shown"),
    ],
)
def test_search_looks_beyond_what_the_row_shows(
    watched: Watched, page_file: Path, catalogue: Catalogue, query: str, expected: str
) -> None:
    page = watched.open(page_file)
    search_for(page, query)
    want = found(catalogue, query)
    assert want, expected
    assert keys(page) == want


def test_phrases_exclusions_and_fields(
    watched: Watched, page_file: Path, catalogue: Catalogue
) -> None:
    page = watched.open(page_file)
    for query in (
        '"knowledge distillation"',
        "distillation -knowledge",
        "author:han",
        'title:"neural network"',
        "venue:iclr year:2016..2017",
        "year:..1995",
    ):
        search_for(page, query)
        assert keys(page) == found(catalogue, query), query
    search_for(page, '"knowledge distillation')  # a phrase being typed, not yet closed
    assert keys(page) == found(catalogue, '"knowledge distillation"')


def test_the_search_tips_explain_the_rules(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    tips = page.get_by_text("Search tips")
    tips.click()
    text = page.locator(".tips-text").inner_text()
    for part in ('"knowledge distillation"', "-survey", "author:hinton", "year:2016..2019"):
        assert part in text
    assert page.locator(".tips-text").is_visible()


def test_nothing_found_says_so_and_resets(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    search_for(page, "no such paper anywhere")
    assert summary(page) == "Showing 0 of 57 papers"
    assert page.get_by_text("No paper matches.").is_visible()
    assert [facet(page, c) for c in CATEGORIES] == [0, 0, 0, 0, 0]
    page.locator("#empty").get_by_role("button", name="Reset").click()
    assert len(rows(page)) == 57
    assert not page.get_by_text("No paper matches.").is_visible()


def test_facets_show_counts_and_filter(
    watched: Watched, page_file: Path, catalogue: Catalogue
) -> None:
    page = watched.open(page_file)
    assert {c: facet(page, c) for c in CATEGORIES} == {
        c: len(papers_in(catalogue, c)) for c in CATEGORIES
    }
    assert page.get_by_role("checkbox", name="Pruning 25", exact=True).count() == 1
    page.get_by_role("checkbox", name="Pruning").check()
    assert summary(page) == "Showing 25 of 57 papers"
    assert set(column(page, 4)) == {"x"}
    assert keys(page) == [e.key for e in papers_in(catalogue, "Pruning")]


def test_any_means_union_and_all_means_intersection(
    watched: Watched, page_file: Path, catalogue: Catalogue
) -> None:
    page = watched.open(page_file)
    assert semantics(page) == "Show papers in any of the checked categories."
    page.get_by_role("checkbox", name="Pruning").check()
    page.get_by_role("checkbox", name="Distillation").check()
    either = [e.key for e in catalogue.entries if {"Pruning", "Distillation"} & set(e.categories)]
    assert keys(page) == either
    assert facet(page, "Distillation") == 17
    page.get_by_label("Show papers in").select_option("all")
    assert semantics(page) == "Show papers in all of the checked categories."
    both = [e for e in catalogue.entries if {"Pruning", "Distillation"} <= set(e.categories)]
    assert keys(page) == [e.key for e in both]
    for category in CATEGORIES:
        assert facet(page, category) == sum(category in e.categories for e in both), category


def test_counts_follow_search_and_years(
    watched: Watched, page_file: Path, catalogue: Catalogue
) -> None:
    page = watched.open(page_file)
    search_for(page, "network")
    page.locator("#from").fill("2016")
    page.locator("#to").fill("2017")
    chosen = [e for e in catalogue.entries if e.key in found(catalogue, "network")]
    chosen = [e for e in chosen if e.year is not None and 2016 <= e.year <= 2017]
    assert keys(page) == [e.key for e in chosen]
    for category in CATEGORIES:
        assert facet(page, category) == sum(category in e.categories for e in chosen), category
    assert page.locator(".facets li.none").count() == sum(
        1 for c in CATEGORIES if not any(c in e.categories for e in chosen)
    )


def test_year_range(watched: Watched, page_file: Path, catalogue: Catalogue) -> None:
    page = watched.open(page_file)
    page.locator("#from").fill("2018")
    assert keys(page) == [e.key for e in catalogue.entries if (e.year or 0) >= 2018]
    page.locator("#from").fill("")
    page.locator("#to").fill("1995")
    assert column(page, 0) == ["1990", "1993"]


def test_a_year_being_typed_is_not_applied(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    to = page.locator("#to")
    to.press_sequentially("201")
    assert summary(page) == "Showing 57 of 57 papers"  # not "up to the year 201"
    to.press("Tab")
    assert summary(page) == "Showing 57 of 57 papers"
    assert to.get_attribute("aria-invalid") == "true"
    to.focus()
    page.keyboard.press("End")
    page.keyboard.type("5")
    assert to.get_attribute("aria-invalid") == "false"
    assert {int(y) for y in column(page, 0)} <= set(range(1990, 2016))


def test_from_after_to_is_read_the_other_way_and_said(
    watched: Watched, page_file: Path, catalogue: Catalogue
) -> None:
    page = watched.open(page_file)
    page.locator("#from").fill("2018")
    page.locator("#to").fill("2016")
    expected = [e.key for e in catalogue.entries if e.year is not None and 2016 <= e.year <= 2018]
    assert keys(page) == expected
    note = page.locator("#years-note")
    assert note.is_visible()
    assert note.inner_text() == "From 2018 to 2016: showing 2016 to 2018."


def test_reset_clears_everything(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    original = keys(page)
    search_for(page, "deep")
    page.get_by_role("checkbox", name="Architecture").check()
    page.locator("#from").fill("2017")
    page.locator("#catalogue thead").get_by_role("button", name="Year").click()
    page.locator(".bar").get_by_role("button", name="Reset").click()
    assert keys(page) == original
    assert page.locator("#search").input_value() == ""
    assert page.locator("#from").input_value() == ""
    assert not page.get_by_role("checkbox", name="Architecture").is_checked()
    assert page.locator("th[aria-sort]").count() == 0
    assert facet(page, "Pruning") == 25
    page.wait_for_function("() => location.search === ''")


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
    search_for(page, "a")
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


def view_of(page: Page) -> tuple[list[str], str, list[int]]:
    return keys(page), summary(page), [facet(page, c) for c in CATEGORIES]


def test_the_address_keeps_the_view_and_restores_it(
    watched: Watched, page_file: Path, browser_page: Page
) -> None:
    page = watched.open(page_file)
    search_for(page, "Network")
    page.get_by_role("checkbox", name="Pruning").check()
    page.get_by_role("checkbox", name="Quantization").check()
    page.get_by_label("Show papers in").select_option("all")
    page.locator("#from").fill("2015")
    page.locator("#to").fill("2019")
    page.locator("#catalogue thead").get_by_role("button", name="Title").click()
    page.locator("#catalogue thead").get_by_role("button", name="Title").click()
    wait_for_address(page, "q=Network", "match=all", "from=2015", "to=2019", "sort=-Title")
    query = parse_qs(urlsplit(address(page)).query)
    assert query["category"] == ["Pruning", "Quantization, low-rank, etc."]
    view = view_of(page)

    browser_page.goto(address(page))  # a reader opens the shared link
    assert view_of(browser_page) == view
    assert browser_page.locator("#search").input_value() == "Network"
    assert browser_page.get_by_role("checkbox", name="Pruning").is_checked()
    assert browser_page.get_by_role("checkbox", name="Quantization").is_checked()
    assert not browser_page.get_by_role("checkbox", name="Other").is_checked()
    assert browser_page.get_by_label("Show papers in").input_value() == "all"
    assert browser_page.locator("#from").input_value() == "2015"
    title = browser_page.locator("#catalogue thead th", has_text="Title")
    assert title.get_attribute("aria-sort") == "descending"


def test_each_filter_is_a_step_that_back_undoes(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    start = (address(page), view_of(page))
    page.get_by_role("checkbox", name="Pruning").check()
    pruning = (address(page), view_of(page))
    page.locator("#catalogue thead").get_by_role("button", name="Year").click()
    by_year = (address(page), view_of(page))
    search = page.get_by_role("searchbox", name="Search")
    search.press_sequentially("network", delay=40)  # typing: one step, not seven
    page.wait_for_function("() => location.search.includes('q=network')")
    typed = (address(page), view_of(page))
    assert len({start[0], pruning[0], by_year[0], typed[0]}) == 4
    for expected in (by_year, pruning, start):
        page.go_back()
        assert (address(page), view_of(page)) == expected
    assert search.input_value() == ""
    assert not page.get_by_role("checkbox", name="Pruning").is_checked()
    for expected in (pruning, by_year, typed):
        page.go_forward()
        assert (address(page), view_of(page)) == expected
    assert search.input_value() == "network"


def test_back_after_a_link_to_an_entry_and_a_filter(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    page.get_by_role("link", name="Skip to the papers").click()
    page.locator("#hinton2014distilling").get_by_role("button", name="BibTeX").click()
    page.get_by_role("link", name="Link to this entry").click()
    assert address(page).endswith("#hinton2014distilling")
    linked = view_of(page)
    page.get_by_role("checkbox", name="Architecture").check()
    assert "hinton2014distilling" not in keys(page)
    page.go_back()
    assert address(page).endswith("compression.html#hinton2014distilling")
    assert view_of(page) == linked
    row = page.locator("#hinton2014distilling")
    assert row.is_visible()
    assert not page.get_by_role("checkbox", name="Architecture").is_checked()


def test_back_brings_back_the_place_in_the_list(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    page.get_by_role("link", name="Skip to the papers").click()
    page.mouse.wheel(0, 1500)
    after_frame(page)
    page.wait_for_timeout(500)
    top = page.evaluate(
        "document.elementFromPoint(innerWidth / 2, innerHeight / 2).closest('tr').id"
    )
    title = page.locator("#catalogue thead").get_by_role("button", name="Title").bounding_box()
    assert title is not None
    page.mouse.click(title["x"] + 5, title["y"] + 5)  # where it is: the header row is in view
    page.wait_for_url("**/compression.html?sort=Title")
    page.go_back()
    after_frame(page)
    assert (
        page.evaluate("document.elementFromPoint(innerWidth / 2, innerHeight / 2).closest('tr').id")
        == top
    )


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
    page.goto(page_file.resolve().as_uri() + "?category=Nope&sort=Nope&from=x&to=201&match=<b>")
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
