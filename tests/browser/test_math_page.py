"""Math in titles, drawn by Chromium from the page's MathML Core."""

from __future__ import annotations

from pathlib import Path

import pytest
from chromium import Watched
from pages import make_page
from test_access import SIZES, axe

BIB = r"""@article{sparse,
  title = {Sparse $\ell_1$ recovery of $x^2$ in $\mathbb{R}^n$ in $O(n \log n)$ time},
  author = {Doe, Jane},
  year = 2020,
  url = {https://example.org/sparse}
}
@article{plain,
  title = {No math here},
  author = {Roe, Richard},
  year = 2021
}
"""


def test_math_is_drawn_as_math(watched: Watched, tmp_path: Path) -> None:
    page = watched.open(make_page(tmp_path, BIB))
    cell = page.locator("#sparse td a")
    assert cell.locator("math").count() == 4
    base = cell.locator("msup mi").first.bounding_box()
    power = cell.locator("msup mn").first.bounding_box()
    assert base is not None and power is not None
    assert power["y"] < base["y"], "the exponent is raised above its base"
    size = "e => parseFloat(getComputedStyle(e).fontSize)"
    smaller = cell.locator("msup mn").first.evaluate(size)
    assert smaller < cell.locator("msup mi").first.evaluate(size), "and set smaller"
    below = cell.locator("msub mn").first.bounding_box()
    letter = cell.locator("msub mi").first.bounding_box()
    assert below is not None and letter is not None
    assert below["y"] + below["height"] > letter["y"] + letter["height"], "the index is lowered"
    assert cell.locator("math mi").filter(has_text="ℝ").count() == 1
    assert watched.errors == [] and watched.requests == []


def test_a_page_with_math_still_links_and_lists_every_paper(
    watched: Watched, tmp_path: Path
) -> None:
    page = watched.open(make_page(tmp_path, BIB))
    assert page.locator("#catalogue tbody tr[id]").count() == 2
    title = page.locator("#sparse td a").first
    assert title.get_attribute("href") == "https://example.org/sparse"
    # Read out whole: the math is part of the link's name, as text.
    named = "Sparse ℓ₁ recovery of x² in ℝⁿ in O(n log n) time"
    assert page.get_by_role("link", name=named, exact=True).count() == 1
    assert page.locator("#plain td").nth(2).inner_text().startswith("No math here")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
def test_a_page_with_math_has_no_violations(
    watched: Watched, tmp_path: Path, axe_source: str, size: str, scheme: str
) -> None:
    """axe-core on a page whose titles hold math, on a phone and a desktop, light and dark."""
    width, height = SIZES[size]
    watched.page.set_viewport_size({"width": width, "height": height})
    watched.page.emulate_media(color_scheme=scheme)
    page = watched.open(make_page(tmp_path, BIB))
    assert axe(page, axe_source) == []
    assert watched.errors == []
