"""Pages and what a reader sees of them, for the page tests: build, read rows, fold, time."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from playwright.sync_api import Page

from bib2table import build
from bib2table.outputs.write import write_outputs

#: The rows a reader sees (a row's BibTeX, shown below it, is not a paper).
PAPER_ROWS = "#catalogue tbody tr:not(.cite)"

#: Runs in the page: do one action, then wait until the frame after it has been drawn; ms.
TIMED = """async (action) => {
  const start = performance.now();
  if (action.click) document.querySelector(action.click).click();
  if (action.type !== undefined) {
    const input = document.querySelector(action.input);
    input.value = action.type;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }
  await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
  return performance.now() - start;
}"""

_LETTERS = str.maketrans({"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "ß": "ss"})


def make_page(folder: Path, bib: str, settings: str | None = None, name: str = "refs") -> Path:
    """Write ``bib`` (and a bib2table.toml) into ``folder`` and build its page there."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"{name}.bib"
    source.write_text(bib, encoding="utf-8")
    if settings is not None:
        (folder / "bib2table.toml").write_text(settings, encoding="utf-8")
    _, outputs = build(source, ["html"])
    page = folder / f"{name}.html"
    write_outputs({page: outputs[0].text})
    return page


def column(page: Page, index: int) -> list[str]:
    """The text of one column, top to bottom, as shown."""
    return page.eval_on_selector_all(
        PAPER_ROWS, f"rows => rows.map(r => r.cells[{index}].innerText.trim())"
    )


def shown_count(page: Page) -> int:
    return page.locator(PAPER_ROWS).count()


def summary(page: Page) -> str:
    return " ".join(page.locator("#summary").inner_text().split())


def facet(page: Page, label: str) -> int:
    """A category's count as its facet shows it."""
    count = page.locator(f'.facets li:has(input[value="{label}"]) .count').inner_text()
    return int(count.replace(",", ""))


def fold(text: str) -> str:
    """What the page's search ignores: accents, case, letters such as ł."""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def after_frame(page: Page) -> None:
    """Wait until the page has drawn what the last action changed."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)))")
