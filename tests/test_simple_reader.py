"""The simple-form reader gives exactly what bibtexparser's splitter gives, or nothing.

bib2table reads blocks in their common simple form with a few regular expressions
(:mod:`bib2table.bibtex.simple`) instead of bibtexparser's splitter, which stays the reader of
record: whatever the simple reader gives must be what the splitter gives for the same text.
Checked on generated blocks full of the characters that decide how the splitter reads (escaped
and unbalanced braces, quotes in braces and braces in quotes, ``{"}``, ``@`` at a line's start,
``#``, ``%``, commas and equals signs in values, white space Python alone calls white space),
and on every block of the real bibliographies at hand; and so for the page's BibTeX of each
entry, which the same regular expressions cut up without reading each field again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from bibtexparser import model
from bibtexparser.splitter import Splitter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bib2table.bibtex import excerpt, parse, simple
from bib2table.bibtex.blocks import scan
from bib2table.bibtex.private import PRIVATE
from paths import REPO

EXAMPLES = int(os.environ.get("BIB2TABLE_FUZZ_EXAMPLES", "200"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CORPUS = os.environ.get("BIB2TABLE_CORPUS", "")

# What decides how the splitter reads a value, and plain text around it.
TRICKY = [
    *"ab z09 \n\t\\{}\",=@#%()'",
    "\\{",
    "\\}",
    '\\"',
    '{"}',
    "\\\\",
    "\\\\{",
    "@b{",
    "@c (",
    "\n@d{",
    "\n  @e{x,",
    "\xa0",
    "\x1c",
    "\u2003",
    "é",
    "\\'e",
    '{\\"o}',
]
TEXT = st.lists(st.sampled_from(TRICKY), max_size=10).map("".join)
PLAIN = st.text(alphabet="abcxyz AZ09-.:/", min_size=1, max_size=10)
BRACED = st.recursive(
    st.one_of(TEXT, PLAIN).map(lambda text: "{" + text + "}"),
    lambda inner: st.lists(st.one_of(inner, TEXT, PLAIN), max_size=4).map(
        lambda parts: "{" + "".join(parts) + "}"
    ),
    max_leaves=6,
)
QUOTED = st.lists(st.one_of(TEXT, PLAIN, BRACED), max_size=3).map(
    lambda parts: '"' + "".join(parts) + '"'
)
BARE = st.sampled_from(["jan", "j-TUGboat", "ack-nhfb", "1995", "x=y", "a#b", "\\x", "a{"])
PIECE = st.one_of(BRACED, QUOTED, BARE, PLAIN)
VALUE = st.lists(PIECE, min_size=1, max_size=3).flatmap(
    lambda pieces: st.lists(
        st.sampled_from([" # ", "#", " ", "", "\n  # ", " , "]),
        min_size=len(pieces) - 1,
        max_size=len(pieces) - 1,
    ).map(lambda joins: pieces[0] + "".join(j + p for j, p in zip(joins, pieces[1:], strict=True)))
)
NAME = st.sampled_from(["title", "Title", "author", "year", "ISSN-L", "x(y)", "%c", "a b", "n\\m"])
SPACE = st.sampled_from(["", " ", "  ", "\n  ", "\t", "\xa0", " \n% note\n  "])
HEAD = st.sampled_from(
    ["@article{", "@Article {", "@misc\t{", "@comment{", "@stringx{", "@{", "@a(", "@in-proc{"]
)
KEY = st.sampled_from(["k", "Knuth:1984", "", " k ", "k\\,x", "k{", "a b", 'k"'])
END = st.sampled_from(["}", ",}", "\n}", " , \n}", ")", "}\n", "} trailing", "}}", ""])


@st.composite
def entries(draw: st.DrawFn, clean: bool = False) -> str:
    """An entry block: when ``clean``, one in the simple form; otherwise anything near it."""
    fields = []
    for _ in range(draw(st.integers(0, 5))):
        if clean:
            name = draw(st.sampled_from(["title", "author", "year", "Title", "journal-URL"]))
            value = draw(st.one_of(PLAIN.map(lambda t: "{" + t + "}"), BARE.filter(str.isalnum)))
            fields.append(f"{draw(SPACE.filter(str.isspace))}{name} = {value}")
        else:
            fields.append(draw(SPACE) + draw(NAME) + draw(SPACE) + "=" + draw(SPACE) + draw(VALUE))
    if clean:
        end = draw(st.sampled_from(["}", ",\n}"])) if fields else "}"
        return "@article{key," + ",".join(fields) + end
    separator = draw(st.sampled_from([",", ",\n  ", " , ", ",,"]))
    return draw(HEAD) + draw(KEY) + "," + separator.join(fields) + draw(SPACE) + draw(END)


def splitter_entry(text: str) -> tuple[Any, ...] | None:
    """What bibtexparser's splitter reads from ``text``: its one entry (type, key, field names,
    values, the names given twice), or ``None``."""
    blocks = Splitter(text).split().blocks
    found = [b for b in blocks if isinstance(b, model.Entry)]
    twice: list[str] = []
    for block in blocks:
        if isinstance(block, model.DuplicateFieldKeyBlock) and isinstance(
            block.ignore_error_block, model.Entry
        ):
            found.append(block.ignore_error_block)
            twice = sorted(block.duplicate_keys)
    if len(found) != 1:
        return None
    entry = found[0]
    names = [f.key for f in entry.fields]
    return entry.entry_type, entry.key, names, [f.value for f in entry.fields], twice


def splitter_first(text: str, kind: type[model.Block]) -> model.Block | None:
    return next((b for b in Splitter(text).split().blocks if isinstance(b, kind)), None)


def test_the_installed_bibtexparser_is_the_one_checked() -> None:
    # With another release the simple reader stays off (every block goes to the splitter, as
    # before): correct, but slower. Run these tests against the new release, then add its
    # digest to simple.CHECKED.
    assert simple.matches_splitter(), "bibtexparser changed: see tests/test_simple_reader.py"


@PROPERTY
@given(entries())
def test_an_entry_is_read_as_the_splitter_reads_it_or_left_to_it(text: str) -> None:
    read = simple.read_entry(text)
    if read is not None:
        assert read[:5] == splitter_entry(text)


@PROPERTY
@given(entries(clean=True))
def test_a_simple_entry_is_read_by_the_simple_reader(text: str) -> None:
    read = simple.read_entry(text)
    assert read is not None
    assert read[:5] == splitter_entry(text)


@PROPERTY
@given(
    st.sampled_from(["@string{", "@STRING {", "@String\t{", "@stringx{"]),
    st.sampled_from(["j", " j-TUG ", "", "a b", "j\\x", "j,k"]),
    st.sampled_from(["=", " = ", "", "=="]),
    VALUE,
    END,
)
def test_a_string_is_read_as_the_splitter_reads_it_or_left_to_it(
    head: str, name: str, equals: str, value: str, end: str
) -> None:
    text = head + name + equals + value + end
    read = simple.read_string(text)
    if read is not None:
        found = splitter_first(text, model.String)
        assert isinstance(found, model.String)
        assert read == (found.key, found.value)


@PROPERTY
@given(st.sampled_from(["@preamble{", "@PREAMBLE {", "@preamble("]), VALUE, END)
def test_a_preamble_is_read_as_the_splitter_reads_it_or_left_to_it(
    head: str, value: str, end: str
) -> None:
    text = head + value + end
    read = simple.read_preamble(text)
    if read is not None:
        found = splitter_first(text, model.Preamble)
        assert isinstance(found, model.Preamble)
        assert read == found.value


HIDDEN = PRIVATE.adding(["abstract", "keywords", "title"])


def _excerpts(text: str) -> list[tuple[excerpt.Cited, ...]]:
    """Each entry's BibTeX as the page shows it: cut up by the layout the parse stage found,
    by the simple form's regular expressions, and by the excerpt's own reader field by
    field."""
    entries = parse.parse_text(text).entries
    by_layout = [excerpt.bibtex(entry, HIDDEN) for entry in entries]
    with mock.patch.object(excerpt, "_as_read", lambda *_: None):
        by_form = [excerpt.bibtex(entry, HIDDEN) for entry in entries]
        with mock.patch.object(excerpt, "_simple", lambda *_: None):
            by_field = [excerpt.bibtex(entry, HIDDEN) for entry in entries]
    return list(zip(by_layout, by_form, by_field, strict=True))


@PROPERTY
@given(st.lists(st.one_of(entries(), entries(clean=True)), min_size=1, max_size=3))
def test_the_pages_bibtex_is_cut_up_as_the_excerpt_reader_cuts_it(texts: list[str]) -> None:
    for by_layout, by_form, by_field in _excerpts("\n".join(texts)):
        assert by_layout == by_form == by_field


def _bib_files() -> list[Path]:
    files = sorted((REPO / "tests" / "data").rglob("*.bib"))
    return files + (sorted(Path(CORPUS).rglob("*.bib")) if CORPUS else [])


def test_every_real_block_is_read_as_the_splitter_reads_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = _bib_files()
    assert files
    compared = simple_ones = 0
    for path in files:
        text, _ = parse.read_text(path)
        blocks = [b for b in scan(text) if b.text and b.kind != "comment"]
        monkeypatch.setattr(parse, "matches_splitter", lambda: False)
        by_splitter = [parse._split_block(b) for b in blocks]
        monkeypatch.undo()
        simple_ones += sum(parse._split_simple(b) is not None for b in blocks)
        for block, expected in zip(blocks, by_splitter, strict=True):
            # (what the splitter read, and how the simple form lays it out)
            assert parse._split_block(block)[:6] == expected, f"{path}:{block.line}"
            compared += 1
    assert simple_ones > 0.9 * compared


def test_every_real_entrys_bibtex_is_cut_up_as_before() -> None:
    for path in _bib_files():
        text, _ = parse.read_text(path)
        for by_layout, by_form, by_field in _excerpts(text):
            assert by_layout == by_form == by_field, path


def test_a_block_that_is_not_simple_is_left_to_the_splitter() -> None:
    samples = {
        "@article{k, title = {a}, note = {\n@misc{x, y = z}}}": "another block's head",
        "@article(k, title = {a})": "parentheses",
        '@article{k, title = "a {"} b"}': 'the {"} rule',
        "@article{k, title = {a \\} b}": "an escaped brace leaves it open",
        "@comments{k, title = {a}}": "read as a comment",
        "@article{k, title = \\x}": "a backslash outside braces",
    }
    for text, why in samples.items():
        assert simple.read_entry(text) is None, why
