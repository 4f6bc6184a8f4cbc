"""Pages and what a reader sees of them, for the page tests: build, read rows, fold, time.

The page keeps only the rows near the screen in its table, so "the rows a reader sees" are read
the way a reader meets them: scrolling through the list from its top to its end.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from bib2table import build
from bib2table.outputs.write import write_outputs

#: The paper rows in the table now (a row's BibTeX, shown below it, is not a paper).
PAPER_ROWS = "#catalogue tbody tr[id]"

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

#: Runs in the page: what each paper row drawn now shows, by its place in the list.
_DRAWN = """() => Array.from(document.querySelectorAll('#catalogue tbody tr[id]')).map((tr) => {
  const cells = Array.from(tr.cells).map((td) => {
    if (td.querySelector('.label')) return 'x';
    const copy = td.cloneNode(true);
    copy.querySelectorAll('.links, .cite-toggle').forEach((e) => e.remove());
    return copy.textContent.replace(/\\s+/g, ' ').trim();
  });
  return [Number(tr.getAttribute('aria-rowindex')), tr.id, cells];
})"""

#: Runs in the page: scroll through the whole list, a screen at a time, collecting every row
#: drawn on the way; then back to where the reader was.
_SCROLL_THROUGH = (
    """async (limit) => {
  const drawn = """
    + _DRAWN
    + """;
  const frame = () => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
  const table = document.getElementById('catalogue');
  const count = Number(table.getAttribute('aria-rowcount')) - 1;
  const was = scrollY;
  const seen = new Map();
  const top = table.getBoundingClientRect().top + scrollY;
  window.scrollTo(0, Math.max(0, top - 200));
  await frame();
  for (let step = 0; step < 100000; step++) {
    for (const [index, key, cells] of drawn()) seen.set(index, [key, cells]);
    if (seen.size >= Math.min(count, limit)) break;
    const before = scrollY;
    window.scrollBy(0, innerHeight * 0.8);
    await frame();
    if (scrollY === before) { for (const [i, k, c] of drawn()) seen.set(i, [k, c]); break; }
  }
  window.scrollTo(0, was);
  await frame();
  return Array.from(seen.entries()).sort((a, b) => a[0] - b[0]).slice(0, limit)
    .map(([index, [key, cells]]) => [index, key, cells]);
}"""
)


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


def rows(page: Page, limit: int = 1_000_000) -> list[tuple[str, list[str]]]:
    """Every paper of the view (up to ``limit``), in order: its key and its cells' text as
    shown (a title without its small links, a category cell "x" when marked), read by
    scrolling through the list. Each row must come once, in its place: none is skipped."""
    found: list[Any] = page.evaluate(_SCROLL_THROUGH, limit)
    indexes = [index for index, _, _ in found]
    assert indexes == list(range(2, 2 + len(found))), f"rows missing or out of place: {indexes}"
    return [(key, cells) for _, key, cells in found]


def keys(page: Page, limit: int = 1_000_000) -> list[str]:
    return [key for key, _ in rows(page, limit)]


def column(page: Page, index: int, limit: int = 1_000_000) -> list[str]:
    """The text of one column, top to bottom, as shown."""
    return [cells[index] for _, cells in rows(page, limit)]


def drawn(page: Page) -> list[tuple[str, list[str]]]:
    """The paper rows in the table now, without scrolling."""
    return [(key, cells) for _, key, cells in page.evaluate(_DRAWN)]


def shown_count(page: Page) -> int:
    """How many papers the list has, counted by scrolling through it."""
    return len(rows(page))


def address(page: Page) -> str:
    """The page's address as the page itself has it now (page.url follows a moment later)."""
    return str(page.evaluate("location.href"))


def summary(page: Page) -> str:
    return " ".join(page.locator("#summary").inner_text().split())


def facet(page: Page, label: str) -> int:
    """A category's count as its facet shows it."""
    count = page.locator(f".facets li:has(input[value={json.dumps(label)}]) .count").inner_text()
    return int(count.replace(",", ""))


def after_frame(page: Page) -> None:
    """Wait until the page has drawn what the last action changed."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)))")


def no_page_scroll(page: Page) -> int:
    """How far the page scrolls sideways (0: it does not)."""
    return int(page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth"))
