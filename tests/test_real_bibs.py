"""BibTeX as real bibliographies write it: each rule a named case, with texlive excerpts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bib2table.bibtex.parse import parse_file, parse_text
from bib2table.catalogue.model import build_catalogue
from bib2table.catalogue.settings import Settings
from bib2table.problems import Severity

TEXLIVE = Path(__file__).parent / "data" / "texlive"


def shown(source: str) -> list[tuple[str, ...]]:
    """The cells (Year, Author, Title, Venue) a reader sees for each entry."""
    catalogue = build_catalogue(parse_text(source, "t.bib"), Settings())
    return [entry.cells for entry in catalogue.entries]


def messages(source: str) -> list[str]:
    catalogue = build_catalogue(parse_text(source, "t.bib"), Settings())
    return [str(p) for p in catalogue.problems]


# --- texlive excerpts -------------------------------------------------------------------------


def test_entry_with_delimiter_on_its_own_line_is_read() -> None:
    """bibtopic's articles.bib: `@incollection` / `(` / key on separate lines, as BibTeX allows."""
    parsed = parse_file(TEXLIVE / "articles-excerpt.bib")
    assert [e.key for e in parsed.entries] == ["RouxSmart:95", "Schwind:96"]
    roux = parsed.entries[0]
    assert roux.line == 7
    assert roux.fields["author"] == "M. Roux and J. Smart"
    assert roux.fields["year"] == "1995"
    assert parsed.problems == []


def test_crossref_child_inherits_from_collection() -> None:
    """biblatex-examples.bib: westfahl:space takes date, editor and booktitle from its parent."""
    parsed = parse_file(TEXLIVE / "biblatex-examples-excerpt.bib")
    catalogue = build_catalogue(parsed, Settings())
    child = catalogue.entries[0]
    assert child.key == "westfahl:space"
    assert child.cells == ("2000", "Gary Westfahl", "The True Frontier", "Space and Beyond")
    assert child.fields["publisher"] == "Greenwood"
    assert catalogue.problems == []


def test_tugboat_strings_concatenation_months_and_literal_braces() -> None:
    parsed = parse_file(TEXLIVE / "tugboat-excerpt.bib")
    catalogue = build_catalogue(parsed, Settings())
    (entry,) = catalogue.entries
    assert entry.cells == ("1994", "Alan Hoenig", "{Meta} Font Forum redux", "TUGboat")
    assert entry.fields["month"] == "June"
    assert entry.fields["acknowledgement"].startswith("Barbara N. Beeton,")
    assert " and Nelson H. F. Beebe," in " ".join(entry.fields["acknowledgement"].split())
    assert entry.url == "https://tug.org/TUGboat/tb15-2/tb43hoenig-fonts.pdf"
    assert [p.severity for p in catalogue.problems] == []


def test_quote_in_braces_in_quoted_value_keeps_every_field() -> None:
    """texbook1.bib: the splitter stops at the inner quote; the entry is read whole anyway."""
    parsed = parse_file(TEXLIVE / "texbook1-excerpt.bib")
    assert parsed.problems == []
    (entry,) = parsed.entries
    assert entry.fields["subtitle"] == '{Ein Handbuch f{\\"u}r zeitgem{"a}{\\ss} Schaffende}'
    assert entry.fields["year"] == "1991"
    assert entry.fields["bibdate"] == "Tue Mar 1 12:12:20 1994"
    assert len(entry.fields) == 13


# --- BibTeX semantics --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "cells"),
    [
        pytest.param(
            '@string{acm = "ACM"}@string{tocs = acm # " Trans. Comput. Syst."}'
            "@article{k, journal = tocs, title = {T}}",
            ("", "", "T", "ACM Trans. Comput. Syst."),
            id="string_defined_from_string",
        ),
        pytest.param(
            "@ARTICLE{k, TITLE = {Upper}, Year = 2001}", ("2001", "", "Upper", ""), id="case"
        ),
        pytest.param(
            "@article{k, date = {2019-05-01}, journaltitle = {J. Things}, title = {T}}",
            ("2019", "", "T", "J. Things"),
            id="biblatex_date_and_journaltitle",
        ),
        pytest.param(
            '@article{k, title = "a {"quoted"} b", year = 2000}',
            ("2000", "", 'a "quoted" b', ""),
            id="quote_inside_braces_inside_quotes",
        ),
        pytest.param(
            '@preamble{ "\\newcommand{\\TUBx}{TUGboat}" }@article{k, title = {\\TUBx{} news}}',
            ("", "", "TUGboat news", ""),
            id="macro_defined_in_preamble",
        ),
        pytest.param(
            "@comment{@article{hidden, title={No}}}@article{k, title = {Yes}}",
            ("", "", "Yes", ""),
            id="comment_block_is_skipped",
        ),
    ],
)
def test_semantics(source: str, cells: tuple[str, ...]) -> None:
    assert shown(source) == [cells]


def test_crossref_missing_target_is_reported() -> None:
    assert shown("@inproceedings{a, title={A}, crossref={nowhere}}")[0][2] == "A"
    (message,) = messages("@inproceedings{a, title={A}, crossref={nowhere}}")
    assert message == "t.bib:1: a: warning: crossref target 'nowhere' not found"


def test_crossref_cycle_is_reported_and_ends() -> None:
    source = "@misc{a, crossref={b}, title={A}}\n@misc{b, crossref={a}, year={1999}}\n"
    assert [c[:3] for c in shown(source)] == [("1999", "", "A"), ("1999", "", "A")]
    assert any("crossref cycle: a -> b -> a" in m for m in messages(source))


def test_duplicate_field_keeps_the_entry() -> None:
    source = "@misc{k, title = {One}, title = {Two}, year = 2000}"
    assert shown(source) == [("2000", "", "One", "")]
    assert "field 'title' is given twice" in messages(source)[0]


@pytest.mark.parametrize(
    ("source", "reason", "line"),
    [
        pytest.param("\n@misc{, title={x}}", "has no key", 2, id="missing_key"),
        pytest.param("@misc{a, title={x}}\n@misc{a, title={y}}", "duplicate key", 2, id="dup"),
        pytest.param(
            "@misc{k, title={unclosed}\n\n@misc{ok, title={y}}",
            "runs on into the next one at line 3",
            1,
            id="open",
        ),
        pytest.param("@misc{k, title}", "expected =", 1, id="field_without_value"),
        pytest.param(
            "@misc{g,\n  title = {Open,\n  year = {2005}\n}\n\n@misc{h, title = {In}}\n}\n",
            "runs on into the next one at line 6",
            1,
            id="missing_brace_swallows_next",
        ),
    ],
)
def test_lost_entries_are_reported_with_line(source: str, reason: str, line: int) -> None:
    catalogue = build_catalogue(parse_text(source, "t.bib"), Settings())
    errors = [p for p in catalogue.problems if p.severity is Severity.ERROR]
    assert len(errors) == 1
    assert reason in errors[0].message
    assert errors[0].line == line


def test_unclosed_entry_does_not_swallow_the_next() -> None:
    assert [c[2] for c in shown("@misc{k, title={unclosed}\n\n@misc{ok, title={y}}")] == ["y"]


# --- encodings ----------------------------------------------------------------------------------


def test_windows_1252_file_is_detected_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "old.bib"
    path.write_bytes(
        "@misc{k, author = {M\u00fcller, J\u00fcrgen}, title = {\u201cQ\u201d}}".encode("cp1252")
    )
    parsed = parse_file(path)
    catalogue = build_catalogue(parsed, Settings())
    assert catalogue.entries[0].cells[1:3] == ("Jürgen Müller", "“Q”")
    (warning,) = catalogue.problems
    assert warning.severity is Severity.WARNING
    assert "not UTF-8" in warning.message and "cp1252" in warning.message


def test_latin_1_with_explicit_encoding(tmp_path: Path) -> None:
    path = tmp_path / "old.bib"
    path.write_bytes("@misc{k, author = {S\u00f8rensen, \u00c5se}}".encode("latin-1"))
    parsed = parse_file(path, encoding="latin-1")
    assert parsed.entries[0].fields["author"] == "Sørensen, Åse"
    assert parsed.problems == []


def test_utf8_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "bom.bib"
    path.write_bytes(b"\xef\xbb\xbf@misc{k, title = {T\xc3\xa9}}")
    parsed = parse_file(path)
    assert parsed.entries[0].key == "k"
    assert parsed.problems == []


# --- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authors", "cell"),
    [
        pytest.param("Jean de la Fontaine", "Jean de la Fontaine", id="first_von_last"),
        pytest.param("de la Fontaine, Jean", "Jean de la Fontaine", id="von_last_first"),
        pytest.param("King, Jr, Martin Luther", "Martin Luther King, Jr", id="last_jr_first"),
        pytest.param("{Barnes and Noble, Inc.}", "Barnes and Noble, Inc.", id="corporate"),
        pytest.param("Knuth, Donald E. and others", "Donald E. Knuth et al.", id="and_others"),
        pytest.param(
            "family=Maaten, given=Laurens, prefix=van der, useprefix=true",
            "Laurens van der Maaten",
            id="biblatex_extended",
        ),
        pytest.param('D{\\"u}rst, Martin', "Martin Dürst", id="accent_in_name"),
    ],
)
def test_names(authors: str, cell: str) -> None:
    assert shown(f"@misc{{k, author = {{{authors}}}}}")[0][1] == cell


def test_odd_name_keeps_its_entry_and_is_reported() -> None:
    source = "@misc{k, author = {A, B, C, D}, title = {Kept}}"
    assert shown(source) == [("", "A, B, C, D", "Kept", "")]
    assert "shown as written: it has more than two commas" in messages(source)[0]


# --- LaTeX in displayed fields only ------------------------------------------------------------


def test_unknown_macros_are_reported_once_for_the_file() -> None:
    source = "@misc{a, title = {\\foo{x}}}\n@misc{b, title = {\\foo{y} \\bar z}}\n"
    assert [c[2] for c in shown(source)] == ["x", "y z̄"]
    (message,) = messages(source)
    assert message == "t.bib:1: a: warning: unknown LaTeX macros kept as text: \\foo"


def test_urls_are_never_decoded() -> None:
    catalogue = build_catalogue(
        parse_text("@misc{k, url = {https://x.org/a%20b~c/{d}?e=1&f=\\_g}}"), Settings()
    )
    assert catalogue.entries[0].fields["url"] == "https://x.org/a%20b~c/{d}?e=1&f=\\_g"


def test_too_many_keywords_make_no_columns() -> None:
    source = "".join(
        f"@misc{{k{i}, title = {{T}}, keywords = {{tag{i}, shared}}}}\n" for i in range(30)
    )
    catalogue = build_catalogue(parse_text(source, "t.bib"), Settings())
    assert catalogue.categories == ()
    assert "31 different keywords are too many" in str(catalogue.problems[0])


def test_a_few_keywords_become_columns() -> None:
    source = "@misc{a, keywords = {Beta; alpha}}\n@misc{b, keywords = {beta}}\n"
    catalogue = build_catalogue(parse_text(source, "t.bib"), Settings())
    assert [(c.label, c.count) for c in catalogue.categories] == [("alpha", 1), ("Beta", 2)]


def test_several_urls_in_one_field_link_the_first() -> None:
    source = '@misc{k, url = "https://tug.org/calendar.html;\n   https://tug.org/x.html"}'
    catalogue = build_catalogue(parse_text(source, "t.bib"), Settings())
    assert catalogue.entries[0].url == "https://tug.org/calendar.html"
    assert catalogue.problems == []
