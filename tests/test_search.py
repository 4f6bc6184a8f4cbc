"""The search rules, as ``--search`` follows them: the shared examples, and properties.

tests/data/search/vectors.json holds queries on search.bib and the keys each finds; the page's
search box is checked against the same file in tests/browser/test_search_rules.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bib2table import build
from bib2table.catalogue.model import Catalogue
from bib2table.catalogue.search import Folded, SearchText, fold, fold_second, matches, parse
from bib2table.catalogue.selection import Selection, select
from toolkit import csv_records, run

DATA = Path(__file__).parent / "data" / "search"
VECTORS: dict[str, Any] = json.loads((DATA / "vectors.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    built, _ = build(DATA / "search.bib", ["csv"])
    assert built.problems == []
    return built


@pytest.mark.parametrize(
    "case", VECTORS["queries"], ids=[f"{c['query']!r}: {c['why']}" for c in VECTORS["queries"]]
)
def test_each_query_finds_its_papers(catalogue: Catalogue, case: dict[str, Any]) -> None:
    found = select(catalogue, Selection(search=case["query"])).entries
    assert [e.key for e in found] == case["keys"]


@pytest.mark.parametrize("text, first, second", VECTORS["fold"])
def test_folding(text: str, first: str, second: str) -> None:
    assert fold(text) == first
    assert fold_second(text) == second


def test_the_command_line_takes_the_same_queries(tmp_path: Path) -> None:
    for name in ("search.bib", "bib2table.toml"):
        (tmp_path / name).write_bytes((DATA / name).read_bytes())
    query = 'title:"knowledge distillation" -author:knuth'
    result = run(tmp_path / "search.bib", "--csv", "--search", query)
    assert result.exit_code == 0, result.stderr
    assert [r["Key"] for r in csv_records(result.stdout)] == ["kierkegaard2020"]


LETTERS = st.text(
    alphabet=st.sampled_from("abcxyzäöüåøßłæœéñçıİΣσςΑΩωがか字 -\"'\u2013\u201c\u201d:.0129"),
    max_size=30,
)


@given(LETTERS)
@settings(max_examples=200, deadline=None)
def test_folding_twice_changes_nothing(text: str) -> None:
    assert fold(fold(text)) == fold(text)
    assert fold(fold_second(text)) == fold_second(text)


WORD = st.text(alphabet=st.sampled_from("abcxyzäöüåøßłæéñΣσςがか字129"), min_size=1, max_size=8)


@given(st.lists(WORD, min_size=1, max_size=5))
@settings(max_examples=200, deadline=None)
def test_a_text_is_found_by_its_own_words_and_not_without_them(words: list[str]) -> None:
    text = " ".join(words)
    entry = SearchText(Folded.of(text), Folded.of(""), Folded.of(""), Folded.of(""), None)
    assert matches(parse(text), entry)
    assert matches(parse(f'"{text}"'), entry)
    assert not matches(parse(f"-{words[0]}"), entry)
    assert matches(parse(f"{text} -zzqq"), entry)


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_any_query_parses(query: str) -> None:
    for term in parse(query):
        assert term.text.first == term.text.first.strip(" ") != ""
        assert term.field in ("", "author", "title", "venue", "year")
