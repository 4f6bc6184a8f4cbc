"""The biblatex data model, with biber as the oracle.

The excerpts in ``tests/data/wild/`` come from biber's own test data; ``tests/data/wild/biber/``
holds what biber 2.18 (Debian's ``biber``) makes of each, written with

    biber --tool --output-resolve-xdata --output-resolve-crossrefs EXCERPT.bib \\
          --output-file biber/EXCERPT.bib

so each test compares bib2table's reading of an excerpt with biber's, field by field.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from bibtexparser.entrypoint import parse_string
from hypothesis import given
from hypothesis import strategies as st

from bib2table import build
from bib2table.bibtex.biblatex import date_year, links_entries
from bib2table.bibtex.latex import decode
from bib2table.bibtex.names import split_names
from bib2table.bibtex.parse import parse_file, parse_text
from bib2table.catalogue.model import build_catalogue
from bib2table.catalogue.settings import Settings

WILD = Path(__file__).parent / "data" / "wild"
DEFAULTS = WILD / "defaults.toml"  # the built-in settings
NAME_LISTS = ("author", "editor")
#: biber writes BibTeX's fields by their biblatex names
ALIASES = {"journaltitle": "journal", "location": "address", "institution": "school"}
#: fields biber writes in its own form (dates split and joined, ``16-24`` as ``16--24``) or
#: consumes (ids, xdata, crossref, entryset, options)
SKIPPED = {"date", "ids", "xdata", "month", "crossref", "entryset", "options", "pages"}


def biber_reads(name: str) -> dict[str, dict[str, str]]:
    """biber's output for an excerpt: entry key -> field (lower case) -> value."""
    text = (WILD / "biber" / name).read_text(encoding="utf-8")
    library = parse_string(text, parse_stack=[])
    return {
        entry.key: {f.key.lower(): str(f.value).strip("{}") for f in entry.fields}
        for entry in library.entries
    }


def names(value: str) -> list[str]:
    """A name list as people read it ("Given von Family, Jr"), however it is written."""
    found, _ = split_names(value)
    return [decode(n.display()).text for n in found]


def containers(name: str) -> set[str]:
    """The keys of an excerpt's @xdata and @set entries."""
    library = parse_string((WILD / name).read_text(encoding="utf-8"), parse_stack=[])
    return {e.key for e in library.entries if e.entry_type.lower() in ("xdata", "set")}


@pytest.mark.parametrize("excerpt", ["biber-xdata.bib", "biber-names.bib", "biber-sets.bib"])
def test_fields_are_what_biber_makes_of_them(excerpt: str) -> None:
    ours = {e.key: e for e in parse_file(WILD / excerpt).entries}
    theirs = biber_reads(excerpt)
    assert set(theirs) - set(ours) == containers(excerpt)  # they make no row
    compared = 0
    for key, fields in theirs.items():
        if key not in ours:
            continue
        for name, value in fields.items():
            if name in SKIPPED:
                continue
            mine = ours[key].fields.get(name, "") or ours[key].fields.get(ALIASES.get(name, ""), "")
            if name in NAME_LISTS:
                assert names(mine) == names(value), (key, name)
            else:
                assert " ".join(mine.split()) == " ".join(value.split()), (key, name)
            compared += 1
    assert compared >= 10


def test_xdata_and_set_entries_make_no_row() -> None:
    keys = [e.key for e in parse_file(WILD / "biber-xdata.bib").entries]
    assert keys == ["xd1", "xd2", "gxd1"]
    keys = [e.key for e in parse_file(WILD / "biber-sets.bib").entries]
    assert keys == ["Elias1955a", "Elias1955b", "Static2", "Static3", "Static4"]


def test_what_biber_warns_about_is_reported() -> None:
    said = [p.message for p in parse_file(WILD / "biber-xdata.bib").problems]
    assert "xdata entry 'missingxd' is not found" in said
    assert "'xdata=gxd2' in field 'publisher' names no field; it is kept" in said
    assert "@xdata 'gxd2' has no item 3 in 'author'; 'xdata=gxd2-author-3' is kept" in said
    assert (
        "field 'organization' and field 'author' of @xdata 'gxd2' are not the same type; "
        "'xdata=gxd2-author-3' is kept"
    ) in said
    said = [p.message for p in parse_file(WILD / "biber-sets.bib").problems]
    assert said == ["entryset entry 'missing1' not found"]


def test_an_xdata_loop_is_reported_and_ends() -> None:
    """biber's xdata.bib loop: biber stops with "Circular XDATA inheritance"."""
    source = """@BOOK{xd3, AUTHOR = {Edward Ellington}, DATE = {1923}, XDATA = {loop}}
@XDATA{loop:1, NOTE = {Note}}
@XDATA{loop:2, XDATA = {loop:3}}
@XDATA{loop:3, XDATA = {loop}}
@XDATA{loop, XDATA = {loop:1, loop:2}}
"""
    parsed = parse_text(source, "loop.bib")
    (entry,) = parsed.entries
    assert entry.fields["note"] == "Note"
    assert any("xdata loop through 'loop'" in p.message for p in parsed.problems)


def test_xdata_fields_replace_the_entrys_own_as_biber_does() -> None:
    source = """@xdata{pub, publisher = {Macmillan}, title = {From xdata}}
@book{b, title = {Own}, xdata = {pub}}
"""
    parsed = parse_text(source, "t.bib")
    assert parsed.entries[0].fields["title"] == "From xdata"
    assert [p.message for p in parsed.problems] == [
        "field 'title' is replaced by the one of @xdata 'pub', as biber does"
    ]


def test_ids_are_other_keys_for_crossref_and_xdata() -> None:
    source = """@book{b, title = {Child}, crossref = {alias}}
@proceedings{p, ids = {alias, other}, title = {Whole}, year = 2001}
"""
    (child, _) = parse_text(source, "t.bib").entries
    assert child.fields["booktitle"] == "Whole" and child.fields["year"] == "2001"


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        pytest.param("id=testid, given=Alfred, family=Adler", "Alfred Adler", id="unknown-key"),
        pytest.param("given=Alfred, family=Adler, id=testid", "Alfred Adler", id="key-last"),
        pytest.param(
            "useprefix=false and useprefix=true, given=Richard, prefix=von, family=Rabble",
            "Richard von Rabble",
            id="list-and-name-options",
        ),
        pytest.param(
            "given={Ura Ru}, family={Juan}, suffix={Sr}, prefix={von}",
            "Ura Ru von Juan, Sr",
            id="all-parts-braced",
        ),
        pytest.param('given="Ann Marie", family=Doe', "Ann Marie Doe", id="quoted"),
        pytest.param("family=Doe, given-i=J", "Doe", id="initials-key"),
    ],
)
def test_extended_name_format(written: str, shown: str) -> None:
    assert names(written) == [shown]


# --- dates -------------------------------------------------------------------------------------

# What biber 2.18 (--tool) makes of date and year together: the year it keeps, and whether it
# warns "Overwriting field 'year' with year value from field 'date'".
DATES = [
    ("1995-1-04", "1991", "1991", False),  # not a date biber reads: ignored
    ("1996-13-03", "1991", "1991", False),
    ("2001/2003", "1991", "2001", True),
    ("199X", "1991", "1990", True),
    ("2004-22", "2004", "2004", False),  # a season
    ("2004-02-29T12:00:00", "2003", "2004", True),
    ("/2004", "2003", "2003", False),  # an open start: the year stays
    ("-0044-03-15", "44", "-44", True),
    ("2004?", "2003", "2004", True),
]


@pytest.mark.parametrize(("date", "year", "kept", "warned"), DATES)
def test_date_wins_over_year_as_in_biber(date: str, year: str, kept: str, warned: bool) -> None:
    parsed = parse_text(f"@book{{k, title = {{T}}, date = {{{date}}}, year = {{{year}}}}}", "t")
    assert parsed.entries[0].fields["year"] == kept
    warnings = [p.message for p in parsed.problems]
    assert bool(warnings) == warned
    if warned:
        assert warnings[0].startswith(f"year '{year}' and date '{date}' disagree")


def test_date_year_reads_what_biber_reads() -> None:
    assert [date_year(d) for d in ("2007", "2007-03", "2007-03-01", "19XX", "../2004")] == [
        "2007",
        "2007",
        "2007",
        "1900",
        "",
    ]


def test_the_year_column_and_sorting_follow_the_date() -> None:
    source = (
        "@book{a, title = {A}, date = {2010-05}, year = {2009}}\n"
        "@book{b, title = {B}, year = 2005}\n"
    )
    catalogue = build_catalogue(parse_text(source, "t.bib"), Settings(sort=("year",)))
    assert [(e.key, e.cells[0], e.year) for e in catalogue.entries] == [
        ("b", "2005", 2005),
        ("a", "2010", 2010),
    ]


def test_biblatex_examples_in_texlive_make_no_row_of_a_set() -> None:
    corpus = os.environ.get("BIB2TABLE_CORPUS", "")
    if not corpus:
        return
    path = next(Path(corpus).rglob("biblatex-examples.bib"))
    catalogue, _ = build(path, ["csv"], config=DEFAULTS, cache=False)
    keys = {e.key for e in catalogue.entries}
    assert "set" not in keys and "stdmodel" not in keys
    assert {"knuth:ct:a", "glashow"} <= keys


_LINKING = re.compile(
    r"(?<!\w)(?:crossref|xref|xdata|entryset|related|ids)\s*=|@\s*(?:set|xdata)\s*[{(]",
    re.IGNORECASE,
)
_PIECES = st.sampled_from(
    [
        "crossref",
        "CrossRef",
        "xref",
        "XDATA",
        "entryset",
        "related",
        "ids",
        "IDS",
        "@set",
        "@xdata",
        "@ Set",
        "@article",
        "=",
        " = ",
        "{",
        "(",
        ",",
        " ",
        "\n",
        "_",
        "a",
        "s",
        "1",
        "é",
        "title",
        "words",
    ]
)


@given(st.lists(_PIECES, max_size=12).map("".join))
def test_what_links_entries_is_found_in_any_spelling(text: str) -> None:
    """The quick check for linking fields and containers says what a plain regular
    expression over the whole text says, whatever the case, spacing or neighbours."""
    assert links_entries(text) == (_LINKING.search(text) is not None)


@pytest.mark.parametrize(
    ("text", "linked"),
    [
        ("@article{a,\n  crossref = {b},\n}", True),
        ("@article{a, XData={b}}", True),
        ("@article{a, author = {xdata=common-author-0}}", True),
        ("@set{s, entryset = {a,b}}", True),
        ("@article{a, title = {Related work on ids and sets}}", False),
        ("@article{a, mycrossref = {b}}", False),
        ("@settings{x}", False),
    ],
)
def test_what_links_entries(text: str, linked: bool) -> None:
    assert links_entries(text) is linked
