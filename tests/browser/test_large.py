"""A catalogue of 5,000 papers in Chromium: it stays quick, and nothing is lost on the way.

The bounds here are generous, so that a busy machine does not fail the suite; the page is
meant to do each action in well under 100 ms, which ``scripts/bench-page`` measures.
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass
from pathlib import Path

import pytest
from chromium import Watched
from pages import PAPER_ROWS, TIMED, after_frame, column, facet, make_page, shown_count, summary
from playwright.sync_api import Page

PAPERS = 5000
TOPICS = ("pruning", "distillation", "quantization", "architecture", "hardware", "theory")
BOUND_MS = 400  # per action, median of several; the aim is under 100
WORDS = (
    "sparse efficient neural network learning deep compact fast low-rank mobile training "
    "inference tensor graph attention model compression energy accurate robust"
).split()
NAMES = ("Łukasz Nowak", "Zoë Müller", "Ann Smith", "José García", "Wei Zhang", "Søren Kierkegaard")


@dataclass(frozen=True)
class Paper:
    year: int
    title: str
    authors: list[str]
    topics: list[str]


def synthetic_bib(count: int) -> tuple[str, list[Paper]]:
    """A .bib of ``count`` papers, and what each holds; the same every run."""
    pick = random.Random(20240521)
    entries, papers = [], []
    for n in range(count):
        year = pick.randint(1970, 2024)
        title = " ".join(pick.sample(WORDS, 5)).capitalize() + f" {n}"
        authors = pick.sample(NAMES, pick.randint(1, 3))
        topics = pick.sample(TOPICS, pick.randint(0, 2))
        papers.append(Paper(year, title, authors, topics))
        entries.append(
            f"@inproceedings{{p{n:04d},\n"
            f"  author = {{{' and '.join(authors)}}},\n"
            f"  title = {{{title}}},\n"
            f"  booktitle = {{Proceedings {pick.choice('ABCDEFGH')}}},\n"
            f"  year = {year},\n"
            f"  url = {{https://example.org/p{n}}},\n"
            f"  keywords = {{{', '.join(topics)}}}\n}}\n"
        )
    return "\n".join(entries), papers


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Paper]]:
    bib, papers = synthetic_bib(PAPERS)
    return make_page(tmp_path_factory.mktemp("large"), bib, name="large"), papers


@pytest.fixture
def page(watched: Watched, large: tuple[Path, list[Paper]]) -> Page:
    opened = watched.open(large[0])
    opened.wait_for_load_state("load")
    return opened


def timed(page: Page, *actions: dict[str, object], runs: int = 3) -> float:
    """The median time of doing ``actions`` in turn, ``runs`` times, in ms."""
    times = [page.evaluate(TIMED, action) for _ in range(runs) for action in actions]
    return statistics.median(times)


def test_loads_in_time_and_shows_the_first_rows(watched: Watched, page: Page) -> None:
    load = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    assert load < 8000
    assert summary(page) == f"Showing {PAPERS:,} of {PAPERS:,} papers"
    assert shown_count(page) == 100
    assert page.get_by_role("button", name="Show 100 more").is_visible()
    assert watched.errors == []
    assert watched.requests == []


def test_sorting_is_quick_and_right(page: Page, large: tuple[Path, list[Paper]]) -> None:
    year = "#catalogue thead th:nth-child(1) button"
    assert timed(page, {"click": year}) < BOUND_MS  # three clicks: up, down, up
    assert page.locator("#catalogue thead th").first.get_attribute("aria-sort") == "ascending"
    assert [int(y) for y in column(page, 0)] == sorted(p.year for p in large[1])[:100]
    title = "#catalogue thead th:nth-child(3) button"
    assert timed(page, {"click": title}) < BOUND_MS
    titles = sorted((p.title for p in large[1]), key=str.lower)
    assert column(page, 2) == titles[:100]


def test_search_is_quick_and_right(page: Page, large: tuple[Path, list[Paper]]) -> None:
    keystrokes = [{"input": "#search", "type": t} for t in ("s", "sp", "spa", "sp", "s", "")]
    assert timed(page, *keystrokes) < BOUND_MS
    page.locator("#search").fill("lukasz sparse 4321")
    assert column(page, 2) == [
        p.title
        for p in large[1]
        if p.title.endswith(" 4321") and "sparse" in p.title.lower() and "Łukasz Nowak" in p.authors
    ]
    page.locator("#search").fill("zoe")
    zoe = [p for p in large[1] if "Zoë Müller" in p.authors]
    assert summary(page) == f"Showing {len(zoe):,} of {PAPERS:,} papers"
    assert shown_count(page) == 100


def test_facets_are_quick_and_counted(page: Page, large: tuple[Path, list[Paper]]) -> None:
    papers = large[1]
    for topic in TOPICS:
        assert facet(page, topic) == sum(topic in p.topics for p in papers)
    box = '.facets input[value="pruning"]'
    assert timed(page, {"click": box}, {"click": box}) < BOUND_MS
    page.locator(box).check()
    pruning = [p for p in papers if "pruning" in p.topics]
    assert summary(page) == f"Showing {len(pruning):,} of {PAPERS:,} papers"
    assert facet(page, "theory") == sum("theory" in p.topics for p in papers)


def test_more_rows_come_as_the_reader_scrolls(page: Page) -> None:
    page.get_by_role("button", name="Show 100 more").click()
    assert shown_count(page) >= 200
    shown = shown_count(page)
    page.keyboard.press("End")
    page.wait_for_function(
        "([rows, shown]) => document.querySelectorAll(rows).length > shown", arg=[PAPER_ROWS, shown]
    )
    keys = page.eval_on_selector_all(PAPER_ROWS, "rows => rows.map(r => r.id)")
    assert keys == [f"p{n:04d}" for n in range(len(keys))]  # in order, none skipped


def test_print_has_every_paper(page: Page) -> None:
    page.locator("#search").fill("sparse tensor")
    before = column(page, 2)
    assert 0 < len(before) <= 100
    page.emulate_media(media="print")
    after_frame(page)
    assert shown_count(page) == PAPERS
    page.emulate_media(media="screen")
    after_frame(page)
    assert column(page, 2) == before


def test_permalink_to_a_paper_far_down(watched: Watched, large: tuple[Path, object]) -> None:
    page = watched.page
    page.goto(large[0].resolve().as_uri() + "#p4321")
    row = page.locator("#p4321")
    assert row.is_visible()
    assert 0 <= row.evaluate("r => r.getBoundingClientRect().top") < 300
