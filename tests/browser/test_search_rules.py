"""The page's search box follows the same rules as ``--search``, in Chromium.

The shared examples (tests/data/search/vectors.json, also run by tests/test_search.py) are typed
into the page made from search.bib; and the page's own folding and query reading
(templates/html/search.js) are compared with search.py's on every character Unicode assigns in
the Basic Multilingual Plane and on many generated queries.
"""

from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from chromium import Watched
from pages import keys, summary
from playwright.sync_api import Browser, Page

from bib2table import build
from bib2table.catalogue.search import fold, fold_second, parse
from bib2table.catalogue.selection import Selection, select
from bib2table.outputs.render import builtin_templates
from bib2table.outputs.write import write_outputs

DATA = Path(__file__).resolve().parents[1] / "data" / "search"
VECTORS: dict[str, Any] = json.loads((DATA / "vectors.json").read_text(encoding="utf-8"))
SEARCH_JS = (builtin_templates() / "html" / "search.js").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def search_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("search")
    for name in ("search.bib", "bib2table.toml"):
        (folder / name).write_bytes((DATA / name).read_bytes())
    _, outputs = build(folder / "search.bib", ["html"])
    page = folder / "search.html"
    write_outputs({page: outputs[0].text})
    return page


def test_each_query_finds_the_same_papers(watched: Watched, search_page: Path) -> None:
    page = watched.open(search_page)
    search = page.get_by_role("searchbox", name="Search")
    for case in VECTORS["queries"]:
        search.fill(case["query"])
        count = len(case["keys"])
        assert summary(page) == f"Showing {count} of 8 papers", case
        assert keys(page) == case["keys"], case
    assert watched.errors == []


def test_typing_on_and_back_finds_what_each_query_finds(
    watched: Watched, search_page: Path
) -> None:
    """Typing on only narrows the last result when it may (a word that grows, one more word);
    each query typed, key by key, forward and back, finds exactly what --search finds."""
    catalogue, _ = build(search_page.with_suffix(".bib"), ["csv"])
    page = watched.open(search_page)
    search = page.get_by_role("searchbox", name="Search")
    pick = random.Random(11)
    words = [
        "distillation",
        "knowledge",
        "höppner",
        "hoeppner",
        "-survey",
        '"knowledge dist',
        "author:knuth",
        "year:2016..",
        "strasse",
        "-year:2017",
        "venue:neural",
        "title:a",
    ]
    seen = set()
    for _ in range(8):
        search.fill("")
        typed = ""
        for word in pick.sample(words, pick.randint(1, 3)):
            for key in word + " ":
                search.press_sequentially(key)
                typed += key
                if key in ' ":-' or len(typed) % 3 == 0:
                    check(page, catalogue, typed, seen)
            for _ in range(pick.randint(0, 4)):
                search.press("Backspace")
                typed = typed[:-1]
                check(page, catalogue, typed, seen)
        assert search.input_value() == typed
    assert len(seen) > 5  # the queries tried find different papers


def check(page: Page, catalogue: Any, typed: str, seen: set[tuple[str, ...]]) -> None:
    expected = [e.key for e in select(catalogue, Selection(search=typed)).entries]
    assert keys(page) == expected, typed
    seen.add(tuple(expected))


@pytest.fixture(scope="module")
def rules(browser: Browser) -> Page:
    """A blank page with search.js's functions in it, to call directly."""
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<!DOCTYPE html><title>rules</title>")
    page.evaluate(
        "source => { window.rules = new Function(source + "
        "'; return { fold, folded, parseQuery };')(); }",
        SEARCH_JS,
    )
    return page


def test_folding_matches_the_examples(rules: Page) -> None:
    for text, first, second in VECTORS["fold"]:
        got = rules.evaluate(
            "t => { const f = rules.folded(t); return [rules.fold(t), f.second]; }", text
        )
        assert got == [first, second], text


def test_folding_matches_python_on_every_assigned_character(rules: Page) -> None:
    chars = [
        chr(c)
        for c in range(0x20, 0x10000)
        if not 0xD800 <= c <= 0xDFFF and unicodedata.category(chr(c)) not in ("Cn", "Cs", "Co")
    ]
    page_folds = rules.evaluate(
        "cs => cs.map(c => { const f = rules.folded(c); return [f.first, f.second]; })", chars
    )
    differ = [
        (f"U+{ord(c):04X}", (fold(c), fold_second(c)), tuple(got))
        for c, got in zip(chars, page_folds, strict=True)
        if (fold(c), fold_second(c)) != tuple(got)
    ]
    assert differ == []


def terms_of(query: str) -> list[list[Any]]:
    return [
        [t.field, t.text.first, t.text.second, t.negative, list(t.years) if t.years else None]
        for t in parse(query)
    ]


def test_queries_are_read_alike(rules: Page) -> None:
    pick = random.Random(7)
    pieces = [
        "author:",
        "title:",
        "venue:",
        "year:",
        "AUTHOR:",
        "-",
        '"',
        "\u201c",
        "\u201d",
        " ",
        "  ",
        "\t",
        "\u00a0",
        "2016",
        "..",
        "2019",
        "-2019",
        "knuth",
        "Höppner",
        "ß",
        "ø",
        "x",
        ":",
        "foo:bar",
        "\u2013",
        "ΟΔΟΣ",
        "がく",
        "İ",
        "\0",
        "\U0001f600",
    ]
    queries = ["".join(pick.choice(pieces) for _ in range(pick.randint(0, 9))) for _ in range(800)]
    page_terms = rules.evaluate(
        "qs => qs.map(q => rules.parseQuery(q).map(t => "
        "[t.field, t.text.first, t.text.second, t.negative, t.years]))",
        queries,
    )
    for query, got in zip(queries, page_terms, strict=True):
        assert got == terms_of(query), query
