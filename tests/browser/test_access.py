"""The page for every reader: WCAG 2.2 AA as axe-core checks it, and what axe cannot check.

axe-core (installed by scripts/test, injected here only) runs with the tags wcag2a, wcag2aa,
wcag21aa and wcag22aa on compression.bib's page and on a generated 5,000-paper page, in light
and dark mode, at desktop width and at 390 px, as opened and after a search that leaves some
category with no paper. Beside it: the focus never hides under the sticky bar (2.4.11), small
controls are big enough to hit (2.5.8), marks and buttons say what they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from chromium import Watched
from generated import Paper
from pages import PAPER_ROWS, after_frame
from playwright.sync_api import Page

TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


def axe(page: Page, source: str) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (each with the nodes that fail)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)  # through the debugging protocol: the page's policy is untouched
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, { runOnly: { type: 'tag', values: tags } })", TAGS
    )
    return [
        {
            "id": v["id"],
            "help": v["help"],
            "nodes": [(n["target"], n.get("failureSummary", "")) for n in v["nodes"][:5]],
        }
        for v in result["violations"]
    ]


def leave_a_category_empty(page: Page, query: str) -> None:
    page.locator("#search").fill(query)
    after_frame(page)
    assert page.locator(".facets li.none").count() >= 1


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("which", ["compression", "generated"])
def test_no_violations(
    watched: Watched,
    page_file: Path,
    large: tuple[Path, list[Paper]],
    axe_source: str,
    which: str,
    size: str,
    scheme: str,
) -> None:
    page = watched.page
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    page.emulate_media(color_scheme=scheme)
    watched.open(page_file if which == "compression" else large[0])
    page.get_by_role("link", name="Skip to the papers").click()  # rows drawn on screen
    assert axe(page, axe_source) == []
    query = "prun" if which == "compression" else "4321"
    if size == "phone":
        page.get_by_text("Categories and years").click()
    leave_a_category_empty(page, query)
    page.locator(PAPER_ROWS).first.get_by_role("button", name="BibTeX").click()
    page.get_by_text("Search tips").click()
    assert axe(page, axe_source) == []
    assert watched.errors == []


def covered_by_sticky(page: Page) -> tuple[float, float]:
    """The focused element's top, and the bottom of what sticks to the window's top."""
    found: tuple[float, float] = page.evaluate(
        """() => {
          const bar = document.querySelector('.bar').getBoundingClientRect();
          const head = document.querySelector('#catalogue thead').getBoundingClientRect();
          const covered = Math.abs(head.top - bar.bottom) < 2 ? head.bottom : bar.bottom;
          return [document.activeElement.getBoundingClientRect().top, covered];
        }"""
    )
    return found


@pytest.mark.parametrize("size", list(SIZES))
def test_focus_never_hides_under_the_sticky_bar(
    watched: Watched, page_file: Path, size: str
) -> None:
    page = watched.page
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    watched.open(page_file)
    page.get_by_role("link", name="Skip to the papers").click()
    page.mouse.wheel(0, 1200)
    after_frame(page)
    # focus a link well down the window, then go back up with Shift+Tab
    page.evaluate(
        """() => {
          const links = Array.from(document.querySelectorAll('#catalogue tbody a'));
          const low = links.find((a) => a.getBoundingClientRect().top > innerHeight * 0.6);
          low.focus({ preventScroll: true });
        }"""
    )
    for _ in range(25):
        page.keyboard.press("Shift+Tab")
        after_frame(page)
        after_frame(page)
        top, covered = covered_by_sticky(page)
        inside = page.evaluate(
            "() => !!document.activeElement.closest('.bar, thead, .filters, header, .chart')"
        )
        if not inside:
            assert top >= covered - 1, (top, covered)


def test_small_controls_are_big_enough_to_hit(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    page.get_by_role("link", name="Skip to the papers").click()
    sizes = page.eval_on_selector_all(
        ".cite-toggle, .links a, .facets li label, #reset, #show-all",
        "els => els.filter(e => e.offsetParent).map(e => { const b = e.getBoundingClientRect();"
        " return [e.className || e.id || e.tagName, b.width, b.height]; })",
    )
    assert sizes
    for name, width, height in sizes:
        assert width >= 24 - 0.5 or name == "", (name, width, height)
        assert height >= 24 - 0.5 or name == "", (name, width, height)


def test_marks_and_buttons_say_what_they_are(watched: Watched, page_file: Path) -> None:
    page = watched.page
    page.goto(page_file.resolve().as_uri() + "#frankle2019lottery")
    tree = page.locator("#frankle2019lottery").aria_snapshot()
    assert 'cell "Pruning"' in tree or "cell: Pruning" in tree or '- cell "Pruning"' in tree, tree
    assert " x" not in tree.replace("x ", "")  # the mark's x is drawn, not read
    assert "BibTeX of" in tree
    heads = page.locator("#catalogue thead").aria_snapshot()
    for label in ("Year", "Author", "Title", "Venue", "Pruning"):
        assert f'button "{label}"' in heads
    assert "↕" not in heads and "↑" not in heads and "↓" not in heads


def test_the_search_box_and_its_tips_are_labelled(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    assert page.get_by_role("searchbox", name="Search").is_visible()
    assert page.get_by_role("search").count() == 1
    page.get_by_text("Search tips").click()
    assert page.locator(".tips-text").is_visible()
    page.keyboard.press("Escape")
