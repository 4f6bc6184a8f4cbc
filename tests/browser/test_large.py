"""A catalogue of 5,000 papers in Chromium: it stays quick, the table stays small, nothing is lost.

The page keeps only the rows near the screen in its table; these tests scroll, jump, sort, search,
follow links, go back, reload and print as a reader would, and check that every paper is there
in its place and the table never grows. Nothing here is timed: scripts/bench-page measures the
page against its speed targets.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from chromium import Watched
from generated import PAPERS, TOPICS, Paper
from pages import (
    PAPER_ROWS,
    TIMED,
    address,
    after_frame,
    drawn,
    facet,
    keys,
    no_page_scroll,
    summary,
)
from playwright.sync_api import Page

from bib2table import build
from bib2table.catalogue.search import fold
from bib2table.catalogue.selection import Selection, select

MOST_ROWS = 300  # rows the table may hold at once


@pytest.fixture
def page(watched: Watched, large: tuple[Path, list[Paper]]) -> Page:
    opened = watched.open(large[0])
    opened.wait_for_load_state("load")
    return opened


def act(page: Page, *actions: dict[str, object], runs: int = 3) -> None:
    """Do ``actions`` in turn, ``runs`` times, each until the frame after it is drawn.
    (How long they take is measured by scripts/bench-page, not here.)"""
    for _ in range(runs):
        for action in actions:
            page.evaluate(TIMED, action)


def drawn_in_place(page: Page, order: list[str]) -> list[str]:
    """The rows in the table now: each must be the paper at its place in ``order``."""
    found = page.evaluate(
        "() => Array.from(document.querySelectorAll('#catalogue tbody tr[id]'))"
        ".map(r => [r.id, Number(r.getAttribute('aria-rowindex'))])"
    )
    assert 0 < len(found) <= MOST_ROWS
    places = [index - 2 for _, index in found]
    assert places == list(range(places[0], places[0] + len(places)))  # one run, no gap
    assert [key for key, _ in found] == order[places[0] : places[0] + len(places)]
    return [key for key, _ in found]


def middle_row(page: Page) -> str:
    return str(
        page.evaluate("document.elementFromPoint(innerWidth / 2, innerHeight / 2).closest('tr').id")
    )


def test_loads_and_shows_the_first_rows(watched: Watched, page: Page) -> None:
    assert summary(page) == f"Showing {PAPERS:,} of {PAPERS:,} papers"
    first = page.locator(PAPER_ROWS).first
    assert first.is_visible() and first.get_attribute("id") == "p0000"
    assert page.locator(PAPER_ROWS).count() <= MOST_ROWS
    assert watched.errors == []
    assert watched.requests == []


def test_the_table_stays_small_from_first_row_to_last(
    page: Page, large: tuple[Path, list[Paper]]
) -> None:
    order = [p.key for p in large[1]]
    bottom = page.evaluate("document.scrollingElement.scrollHeight")
    counts = []
    for step in range(12):  # jumps all the way down, as with the scroll bar
        page.evaluate("y => window.scrollTo(0, y)", bottom * step / 11)
        after_frame(page)
        after_frame(page)
        counts.append(len(drawn_in_place(page, order)))
    assert max(counts) <= MOST_ROWS
    for _ in range(15):  # and a wheel, a screen at a time
        page.mouse.wheel(0, -900)
        after_frame(page)
        drawn_in_place(page, order)
    assert page.locator("#catalogue tbody tr").count() <= MOST_ROWS + 2


@pytest.mark.parametrize(
    ("slowdown", "width", "height"), [(1, 1280, 900), (6, 390, 844)], ids=["desktop", "slow-phone"]
)
def test_the_last_paper_is_one_end_key_away(
    page: Page, large: tuple[Path, list[Paper]], slowdown: int, width: int, height: int
) -> None:
    """Also on a slow phone, where the rows drawn during the browser's own smooth scroll to the
    end (cards there) are measured taller than foreseen after it has aimed."""
    page.set_viewport_size({"width": width, "height": height})
    page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": slowdown})
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("End")
    page.wait_for_function(
        "() => { const r = document.getElementById('p4999');"
        " return r && r.getBoundingClientRect().bottom <= innerHeight"
        " && r.getBoundingClientRect().top >= 0; }"
    )
    drawn_in_place(page, [p.key for p in large[1]])
    page.keyboard.press("Home")
    page.wait_for_function("() => scrollY === 0")
    page.get_by_role("link", name="Skip to the papers").click()
    assert page.locator("#p0000").is_visible()


def test_every_row_comes_in_its_place_when_scrolling_on(
    page: Page, large: tuple[Path, list[Paper]]
) -> None:
    page.locator("#search").fill("sparse tensor")
    expected = [p.key for p in large[1] if {"sparse", "tensor"} <= set(p.title.lower().split())]
    assert 50 < len(expected) < 1000
    assert keys(page) == expected  # scrolled through, screen by screen


def test_sorting_is_quick_and_right(page: Page, large: tuple[Path, list[Paper]]) -> None:
    year = "#catalogue thead th:nth-child(1) button"
    act(page, {"click": year})  # three clicks: newest, oldest, newest
    assert page.locator("#catalogue thead th").first.get_attribute("aria-sort") == "descending"
    newest = sorted(large[1], key=lambda p: -p.year)  # stable: ties in the file's order
    assert keys(page, limit=60) == [p.key for p in newest[:60]]
    author = "#catalogue thead th:nth-child(2) button"
    act(page, {"click": author})
    catalogue, _ = build(large[0].with_suffix(".bib"), ["csv"])
    by_year = sorted(catalogue.entries, key=lambda e: -(e.year or 0))
    if page.locator("#catalogue thead th").nth(1).get_attribute("aria-sort") == "descending":
        page.locator(author).click()
    by_family = sorted(by_year, key=lambda e: fold(e.sort_names[1]))  # then by year, newest
    assert keys(page, limit=60) == [e.key for e in by_family[:60]]


def test_search_is_quick_and_right(page: Page, large: tuple[Path, list[Paper]]) -> None:
    keystrokes = [{"input": "#search", "type": t} for t in ("s", "sp", "spa", "sp", "s", "")]
    act(page, *keystrokes)
    page.locator("#search").fill("lukasz sparse 4321")
    assert keys(page) == [
        p.key
        for p in large[1]
        if p.title.endswith(" 4321") and "sparse" in p.title.lower() and "Łukasz Nowak" in p.authors
    ]
    page.locator("#search").fill('author:zoe -author:"wei zhang" year:2000..2009')
    catalogue, _ = build(large[0].with_suffix(".bib"), ["csv"])
    chosen = select(catalogue, Selection(search=page.locator("#search").input_value())).entries
    assert summary(page) == f"Showing {len(chosen):,} of {PAPERS:,} papers"
    assert keys(page, limit=80) == [e.key for e in chosen[:80]]


def test_facets_are_quick_and_counted(page: Page, large: tuple[Path, list[Paper]]) -> None:
    papers = large[1]
    for topic in TOPICS:
        assert facet(page, topic) == sum(topic in p.topics for p in papers)
    box = '.facets input[value="pruning"]'
    act(page, {"click": box}, {"click": box})
    page.locator(box).check()
    pruning = [p for p in papers if "pruning" in p.topics]
    assert summary(page) == f"Showing {len(pruning):,} of {PAPERS:,} papers"
    assert facet(page, "theory") == sum("theory" in p.topics for p in papers)
    page.locator("#search").fill("nothing like this")
    assert facet(page, "pruning") == 0
    assert page.locator(".facets li.none").count() == len(TOPICS)


def test_a_link_to_a_paper_far_down(watched: Watched, large: tuple[Path, list[Paper]]) -> None:
    page = watched.page
    for key in ("p4321", "p4999"):
        page.goto(large[0].resolve().as_uri() + "#" + key)
        row = page.locator("#" + key)
        assert row.is_visible()
        top = row.evaluate("r => r.getBoundingClientRect().top")
        under = page.evaluate(
            "document.querySelector('.bar').getBoundingClientRect().bottom"
            " + document.querySelector('#catalogue thead').getBoundingClientRect().height"
        )
        assert under - 1 <= top <= under + 40 or key == "p4999"
        assert page.locator(PAPER_ROWS).count() <= MOST_ROWS
        shown = page.evaluate("performance.getEntriesByName('bib2table entry shown')[0].startTime")
        load = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
        assert shown < load + 2000


def test_show_all_rows_for_find_in_page(page: Page, large: tuple[Path, list[Paper]]) -> None:
    page.locator("#search").fill("energy robust")
    expected = [p for p in large[1] if {"energy", "robust"} <= set(p.title.lower().split())]
    last = expected[-1].title
    assert not page.evaluate("t => window.find(t)", last)  # not drawn yet: find cannot see it
    page.get_by_role("button", name="Show all rows").click()
    assert page.get_by_role("button", name="Show all rows").get_attribute("aria-pressed") == "true"
    page.wait_for_function(
        "n => document.querySelectorAll('#catalogue tbody tr[id]').length === n", arg=len(expected)
    )
    assert page.evaluate("t => window.find(t)", last)
    assert "show=all" in address(page)
    page.get_by_role("button", name="Show all rows").click()
    assert page.locator(PAPER_ROWS).count() <= MOST_ROWS


def test_print_has_the_whole_view(page: Page, large: tuple[Path, list[Paper]]) -> None:
    page.locator("#search").fill("sparse tensor")
    page.locator("#catalogue thead th:nth-child(1) button").click()
    view = keys(page)
    page.emulate_media(media="print")
    after_frame(page)
    assert [key for key, _ in drawn(page)] == view
    page.emulate_media(media="screen")
    after_frame(page)
    assert page.locator(PAPER_ROWS).count() <= MOST_ROWS
    assert keys(page) == view


def test_back_restores_view_and_place(page: Page, large: tuple[Path, list[Paper]]) -> None:
    page.evaluate("window.scrollTo(0, 60000)")
    after_frame(page)
    page.wait_for_timeout(600)
    before = (address(page), middle_row(page))
    page.locator("#search").fill("tensor")  # the search box is in view: no scrolling to it
    page.wait_for_function("() => location.search.includes('q=tensor')")
    page.go_back()
    after_frame(page)
    assert (address(page), middle_row(page)) == before
    assert summary(page) == f"Showing {PAPERS:,} of {PAPERS:,} papers"


def test_a_reload_shows_the_same_rows_at_the_same_place(
    page: Page, large: tuple[Path, list[Paper]]
) -> None:
    page.evaluate("window.scrollTo(0, 40000)")
    after_frame(page)
    for _ in range(20):  # and on by the wheel, rows measured on the way
        page.mouse.wheel(0, 700)
        after_frame(page)
    page.wait_for_timeout(600)
    y = page.evaluate("scrollY")
    seen = middle_row(page)
    page.reload()
    assert page.evaluate("scrollY") == y
    assert middle_row(page) == seen
    # a position restored from elsewhere right after loading shows the same rows too
    page.evaluate("y => window.scrollTo(0, y)", y)
    after_frame(page)
    assert middle_row(page) == seen
    height = page.evaluate("document.scrollingElement.scrollHeight")
    assert height > 5000 * 30  # the whole list's height is there from the start


@pytest.mark.parametrize("width", [320, 390])
def test_a_phone_never_scrolls_sideways(
    watched: Watched, large: tuple[Path, list[Paper]], width: int
) -> None:
    page = watched.page
    page.set_viewport_size({"width": width, "height": 800})
    watched.open(large[0])
    assert no_page_scroll(page) <= 0
    page.evaluate("window.scrollTo(0, 200000)")
    after_frame(page)
    assert no_page_scroll(page) <= 0
    drawn_in_place(page, [p.key for p in large[1]])


def test_a_narrower_window_keeps_the_place(page: Page, large: tuple[Path, list[Paper]]) -> None:
    order = [p.key for p in large[1]]
    page.evaluate("window.scrollTo(0, 90000)")
    after_frame(page)
    first = drawn_in_place(page, order)
    top = page.evaluate(
        "() => { const bar = document.querySelector('.bar').getBoundingClientRect().bottom;"
        " const rows = Array.from(document.querySelectorAll('#catalogue tbody tr[id]'));"
        " return rows.find(r => r.getBoundingClientRect().bottom > bar + 60).id; }"
    )
    assert top in first
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(300)  # the page lays itself out again a moment after a resize
        after_frame(page)
        assert no_page_scroll(page) <= 0
        now = drawn_in_place(page, order)
        assert top in now
        box = page.locator("#" + top).bounding_box()
        assert box is not None and -box["height"] < box["y"] < 800
