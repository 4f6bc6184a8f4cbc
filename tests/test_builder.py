"""The live preview's builder: after any sequence of edits, what the preview serves is what a
fresh run writes, byte for byte, and the patch it sends the open pages turns the last page's
papers into the new page's.

Hypothesis edits a small bibliography step by step (the edits of ``test_cache_edits``: titles,
entries added, deleted and moved, ``@string`` values, settings, keywords); after each save the
preview rebuilds (from its last build when only entries changed, else in full) and every
served document is compared with a fresh ``--no-cache`` run's. Each patch is applied the way
the page's script applies it (``templates/html/livepatch.js``), to the papers of the page served
before: their data, rows and citations must be the new page's. ``BIB2TABLE_FUZZ_EXAMPLES`` asks
for a longer search.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from bib2table import build
from bib2table.builder import Builder
from bib2table.outputs.live import split_page
from bib2table.serve import Document, Outcome, Preview, rebuild
from test_cache_edits import KEYWORDS, Bib, apply, edits, over_edit_sequences, save
from toolkit import write

FORMATS = ["html", "markdown", "csv", "bib"]
NAMES = {"html": "/refs.html", "markdown": "/refs.md", "csv": "/refs.csv", "bib": "/refs.bib"}


class Page:
    """What an open page knows of its papers: their data, rows and citations, in its order."""

    def __init__(self, text: str) -> None:
        self.data = _json(text, "page-data")
        self.cite = _json(text, "cite-data")
        rows = text[text.index('<noscript id="rows">') :]
        body = rows[rows.index("<tbody>") + len("<tbody>") : rows.index("</tbody>")]
        self.rows = ["<tr " + part for part in body.split("<tr ")[1:]]
        self.entries = [self.venue_named(item) for item in self.data["entries"]]

    def venue_named(self, item: list[Any]) -> list[Any]:
        """An item with its venue as text (the page's numbering of venues is its own)."""
        venue = item[7]
        return [*item[:7], None if venue is None else self.data["venues"][venue]]

    def patched(self, patch: dict[str, Any]) -> tuple[list[Any], list[str], list[Any]]:
        """The papers after ``patch``, as livepatch.js makes them: data, rows, citations."""
        entries: list[Any] = []
        rows: list[str] = []
        cited: list[Any] = []
        for run in patch["order"]:
            if isinstance(run, int):
                item, row, cite = patch["fresh"][run]
                entries.append(item)
                rows.append(row)
                cited.append(cite)
            else:
                start, count = run
                entries += self.entries[start : start + count]
                rows += self.rows[start : start + count]
                cited += self.cite["entries"][start : start + count]
        return entries, rows, cited


def _json(text: str, name: str) -> Any:
    found = re.search(f'<script type="application/json" id="{name}">(.*?)</script>', text, re.S)
    assert found is not None, name
    return json.loads(found.group(1))


def served(outcome: Outcome) -> dict[str, bytes]:
    """Every document of ``outcome`` as the server sends it (without the preview's state)."""
    documents = outcome.documents() if callable(outcome.documents) else outcome.documents
    assert documents is not None, outcome.notices
    return {path: _joined(document) for path, document in documents.items()}


def _joined(document: Document) -> bytes:
    return document.head + (document.tail or b"")


def fresh(source: Path) -> dict[str, bytes]:
    """What a fresh run writes, as the server would send it."""
    _, outputs = build(source, FORMATS, cache=False)
    found = {}
    for output in outputs:
        if output.format == "html":
            head, tail = split_page(output.text)
            found["/"] = found[NAMES["html"]] = (head + tail).encode()
        else:
            found[NAMES[output.format]] = output.text.encode()
    return found


def page_of(documents: dict[str, bytes]) -> Page:
    return Page(documents["/"].decode())


def check_patch(before: Page, after: Page, patch: dict[str, Any]) -> None:
    entries, rows, cited = before.patched(patch)
    assert entries == after.entries
    assert rows == after.rows
    assert cited == after.cite["entries"]
    strings = before.cite["strings"] | patch["strings"]
    for _, macros in cited:
        for macro in macros:
            assert strings[macro] == after.cite["strings"][macro]
    assert patch["total"] == len(after.entries)


@over_edit_sequences(st.integers(1, 6), edits, 8)
def test_the_preview_serves_what_a_fresh_run_writes_after_any_edits(
    tmp_path_factory: pytest.TempPathFactory, start: int, steps: list[tuple[object, ...]]
) -> None:
    folder = tmp_path_factory.mktemp("live")
    os.environ["BIB2TABLE_CACHE_DIR"] = str(folder / "cache")
    source = folder / "refs.bib"
    preview = Preview(source, FORMATS)
    builder = Builder(source)
    bib = Bib()
    for n in range(start):
        bib.add(n, f"Paper {n}", KEYWORDS[n % len(KEYWORDS)], 2000 + n, n % 2 == 0)
    shown: dict[str, bytes] | None = None
    for edit in [("start",), *steps]:
        apply(bib, edit)
        save(bib, source)
        outcome = rebuild(preview, None, builder)
        if outcome.documents is None:  # every entry deleted: the last catalogue stays
            assert not bib.entries, outcome.notices
            continue
        now = served(outcome)
        assert now == fresh(source), edit
        if outcome.patch is not None:
            assert shown is not None
            check_patch(page_of(shown), page_of(now), outcome.patch)
        shown = now


def _started(
    folder: Path, count: int, strings: bool | None = None
) -> tuple[Bib, Path, Preview, Builder]:
    """A bibliography of ``count`` papers (with its ``@string`` when ``strings``; ``None``:
    every other paper's), served once."""
    bib = Bib()
    for n in range(count):
        journal = n % 2 == 0 if strings is None else strings
        bib.add(n, f"Paper {n}", KEYWORDS[n % len(KEYWORDS)], 2000 + n, journal)
    source = write(folder / "refs.bib", bib.text())
    preview = Preview(source, FORMATS, cache=False)
    builder = Builder(source)
    return bib, source, preview, builder


def test_an_edited_entry_is_patched_and_a_new_string_is_not(tmp_path: Path) -> None:
    """The quick way is taken for entries (edited, added, removed) and only for them."""
    bib, source, preview, builder = _started(tmp_path, 5)
    assert rebuild(preview, None, builder).patch is None  # the first build
    steps: list[tuple[tuple[object, ...], bool]] = [
        (("retitle", 2, "Edited"), True),
        (("add", 3, "Added", "pruning", 2001, True), True),
        (("delete", 3), True),  # (a last keyword or year gone: in full, see below)
        (("move", 0, 3), True),
        (("keyword", 1, "nothing-like-it"), False),  # a new category
        (("string", "Other {J}ournal"), False),
        (("retitle", 1, "Again"), True),
    ]
    shown = fresh(source)
    for edit, quick in steps:
        apply(bib, edit)
        source.write_text(bib.text(), encoding="utf-8")
        outcome = rebuild(preview, None, builder)
        assert (outcome.patch is not None) is quick, edit
        now = served(outcome)
        assert now == fresh(source), edit
        if outcome.patch is not None:
            check_patch(page_of(shown), page_of(now), outcome.patch)
        shown = now


@pytest.mark.parametrize(
    ("change", "quick"),
    [
        ("@preamble{{\\newcommand{\\x}{y}}}\n", False),
        ("@comment{a note}\n", True),  # a comment changes nothing shown
        ("@article{key1,\n  title = {A second key1},\n}\n", False),
        ("@article{child,\n  title = {Child},\n  crossref = {key1},\n}\n", False),
        ("@article{open,\n  title = {Not closed},\n", False),
        ("@xdata{common,\n  journal = {J},\n}\n", False),
        ("@article{user,\n  title = {U},\n  XData = {common},\n}\n", False),
        ("@set{both,\n  entryset = {key1,key2},\n}\n", False),
        ("@article{rel,\n  title = {R},\n  related = {key1},\n}\n", False),
        ("@article{alias,\n  title = {A},\n  ids = {other},\n}\n", False),
        ("@article{undef,\n  title = {U},\n  journal = nowhere,\n}\n", False),
        ("@article{unknown,\n  title = {\\unheardof U},\n}\n", False),
        ("@article{late,\n  title = {L},\n}\n@string{late = {Late}}\n", False),
        ("@article{words,\n  title = {Related sets of ids and xdata},\n}\n", True),
        ("@article{math,\n  title = {$x^2$ and $\\ell_1$},\n  year = 2001,\n}\n", True),
        ("@article{dated,\n  title = {D},\n  year = 2001,\n  date = {2002-03},\n}\n", True),
    ],
    ids=[
        "preamble",
        "comment",
        "duplicate-key",
        "crossref",
        "unclosed",
        "xdata",
        "xdata-user",
        "set",
        "related",
        "ids",
        "undefined-string",
        "unknown-macro",
        "string-after-entry",
        "words-only",
        "math",
        "date-and-year",
    ],
)
def test_what_is_not_local_is_built_in_full(tmp_path: Path, change: str, quick: bool) -> None:
    bib, source, preview, builder = _started(tmp_path, 4, False)
    rebuild(preview, None, builder)
    source.write_text(bib.text() + "\n" + change, encoding="utf-8")
    outcome = rebuild(preview, None, builder)
    assert (outcome.patch is not None) is quick
    if outcome.documents is not None:
        assert served(outcome) == fresh(source)


def test_each_entry_sees_the_string_values_defined_before_it(tmp_path: Path) -> None:
    """BibTeX's order: each entry sees the @string values defined before it; an edit of an
    entry in such a file is built as in a fresh run."""
    text = (
        "@string{j = {First}}\n@article{a,\n  title = {A},\n  journal = j,\n  year = 2000,\n}\n"
        "@string{j = {Second}}\n@article{b,\n  title = {B},\n  journal = j,\n  year = 2001,\n}\n"
    )
    source = write(tmp_path / "refs.bib", text)
    preview = Preview(source, FORMATS, cache=False)
    builder = Builder(source)
    rebuild(preview, None, builder)
    for title in ("A edited", "B edited", "A again"):
        text = re.sub(rf"title = \{{{title[0]}[^}}]*\}}", f"title = {{{title}}}", text)
        source.write_text(text, encoding="utf-8")
        outcome = rebuild(preview, None, builder)
        assert served(outcome) == fresh(source)
        csv = served(outcome)["/refs.csv"]
        assert b"First" in csv and b"Second" in csv and title.encode() in csv


def test_a_string_moved_below_an_entry_that_uses_it_is_built_in_full(tmp_path: Path) -> None:
    """The entry above no longer sees the value: only a full build says so (an undefined
    @string), as a fresh run does."""
    bib, source, preview, builder = _started(tmp_path, 6, True)
    rebuild(preview, None, builder)
    string, *entries = bib.text().split("\n@")
    moved = "@" + "\n@".join([entries[0], string.lstrip("@"), *entries[1:]])
    source.write_text(moved, encoding="utf-8")
    outcome = rebuild(preview, None, builder)
    assert outcome.patch is None
    assert served(outcome) == fresh(source)
    assert b"undefined @string" not in served(outcome)["/refs.csv"]  # (warnings go elsewhere)


def test_an_entry_added_above_the_strings_is_built_in_full(tmp_path: Path) -> None:
    bib, source, preview, builder = _started(tmp_path, 6, True)
    rebuild(preview, None, builder)
    added = "@article{first,\n  title = {Above},\n  journal = jt,\n  year = 2001\n}\n\n"
    source.write_text(added + bib.text(), encoding="utf-8")
    outcome = rebuild(preview, None, builder)
    assert outcome.patch is None
    assert served(outcome) == fresh(source)
