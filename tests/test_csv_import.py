"""A spreadsheet in the catalogue's CSV shape becomes BibTeX: CSV -> bib -> CSV keeps every cell.

The seed's own rows are the main case: written as the seed's Google Sheet would export them,
converted with ``--bib``, the result must pass real BibTeX silently and show every cell again.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from bibtexparser.entrypoint import parse_string

from catalogue_views import CATEGORIES, Row, rows_from_csv, rows_from_html, rows_from_markdown
from paths import COMPRESSION_BIB, REPO, SEED
from seedtable import load_seed
from toolkit import bibtex, csv_records, entry_count, run, write

HEADER = ["Year", "Author", "Title", "URL", "Venue", *CATEGORIES]


@pytest.fixture(autouse=True)
def _debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIB2TABLE_DEBUG", "1")


def seed_rows() -> list[Row]:
    return [Row(s.year, s.author, s.title, s.url, s.venue, dict(s.marks)) for s in load_seed(SEED)]


def sheet_text(rows: list[Row], delimiter: str = ",") -> str:
    """The rows as the seed's spreadsheet exports them: marks are ``x``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(HEADER)
    for r in rows:
        marks = ["x" if r.marks[c] else "" for c in CATEGORIES]
        writer.writerow([r.year, r.author, r.title, r.url, r.venue, *marks])
    return buffer.getvalue()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with the catalogue's settings, as the seed's repository has them."""
    shutil.copy(REPO / "bib2table.toml", tmp_path / "bib2table.toml")
    return tmp_path


def convert(sheet: Path) -> Path:
    target = sheet.with_name(sheet.stem + "-converted.bib")
    result = run(sheet, "--bib", "-o", target)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"bib2table: wrote {target}")
    return target


@pytest.fixture
def seed_bib(folder: Path) -> Path:
    return convert(write(folder / "seed.csv", sheet_text(seed_rows())))


@pytest.mark.parametrize(
    ("flag", "reader"),
    [
        pytest.param("--csv", rows_from_csv, id="csv"),
        pytest.param("--markdown", rows_from_markdown, id="markdown"),
        pytest.param("--html", rows_from_html, id="html"),
    ],
)
def test_seed_rows_round_trip(seed_bib: Path, flag: str, reader: object) -> None:
    result = run(seed_bib, flag)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    shown = reader(result.stdout)  # type: ignore[operator]
    expected = seed_rows()
    assert len(shown) == len(expected) == 57
    for index, (got, want) in enumerate(zip(shown, expected, strict=True)):
        assert got == want, f"row {index + 1}"


def test_converted_seed_passes_bibtex(seed_bib: Path) -> None:
    said, items = bibtex(seed_bib)
    assert said == ""
    assert items == entry_count(seed_bib.read_text(encoding="utf-8")) == 57


def test_converted_seed_passes_check(seed_bib: Path) -> None:
    result = run(seed_bib, "--check")
    assert result.exit_code == 0, result.stdout
    assert result.stdout == ""


def test_entries_are_proper_bibtex(seed_bib: Path) -> None:
    library = parse_string(seed_bib.read_text(encoding="utf-8"), parse_stack=[])
    entries = {e.key: e for e in library.entries}
    han = entries["han2015learning"]
    assert han.entry_type == "inproceedings"
    assert str(han.fields_dict["author"].value) == (
        "{Han, Song and Pool, Jeff and Tran, John and Dally, William}"
    )
    assert str(han.fields_dict["booktitle"].value) == "{NIPS}"
    assert str(han.fields_dict["keywords"].value) == "{pruning}"
    mobilenets = entries["howard2017mobilenets"]
    assert mobilenets.entry_type == "misc"
    assert str(mobilenets.fields_dict["title"].value).startswith("{{MobileNets}: Efficient")
    assert str(mobilenets.fields_dict["eprint"].value) == "{1704.04861}"
    alvarez = entries["alvarez2017compression"]
    assert str(alvarez.fields_dict["keywords"].value) == "{quantization}"
    maaten = next(e for e in library.entries if "Maaten" in str(e.fields_dict["author"].value))
    assert "Maaten, Laurens van der" in str(maaten.fields_dict["author"].value)


def test_keys_are_made_the_better_bibtex_way(seed_bib: Path) -> None:
    keys = [e.key for e in parse_string(seed_bib.read_text(encoding="utf-8")).entries]
    original = [e.key for e in parse_string(COMPRESSION_BIB.read_text(encoding="utf-8")).entries]
    # the same as the hand-made keys of compression.bib, but where a last name has two words
    differ = [(k, o) for k, o in zip(keys, original, strict=True) if k != o]
    assert differ == [
        ("cun1990optimal", "lecun1990optimal"),
        ("lopes2017data", "gontijolopes2017data"),
    ]
    assert keys[:6] == [
        "cun1990optimal",
        "howard2017mobilenets",
        "hassibi1993optimal",
        "hinton2014distilling",
        "ba2014deep",
        "han2015learning",
    ]
    assert len(set(keys)) == 57
    assert "gao2019dynamic" in keys  # Łukasz Dudziak is second; keys are ASCII


def test_a_key_made_twice_gets_a_letter(folder: Path) -> None:
    rows = [
        Row(
            "2020",
            "Ann Smith",
            "Deep Nets",
            "https://a.org/1",
            "ICML",
            dict.fromkeys(CATEGORIES, False),
        ),
        Row(
            "2020",
            "Ann Smith",
            "The Deep Nets",
            "https://a.org/2",
            "ICML",
            dict.fromkeys(CATEGORIES, False),
        ),
        Row(
            "2020",
            "Bob Smith",
            "Deep Nets, again",
            "https://a.org/3",
            "ICML",
            dict.fromkeys(CATEGORIES, False),
        ),
    ]
    bib = convert(write(folder / "sheet.csv", sheet_text(rows)))
    keys = [e.key for e in parse_string(bib.read_text(encoding="utf-8")).entries]
    assert keys == ["smith2020deep", "smith2020deepa", "smith2020deepb"]


def test_our_own_csv_round_trips_exactly(folder: Path) -> None:
    """compression.bib -> CSV (with Key and DOI) -> bib -> CSV: the same file, keys and all."""
    original = run(COMPRESSION_BIB, "--csv").stdout
    sheet = write(folder / "compression.csv", original)
    bib = convert(sheet)
    assert run(bib, "--csv").stdout == original
    keys = [e.key for e in parse_string(bib.read_text(encoding="utf-8")).entries]
    assert keys == [r["Key"] for r in csv_records(original)]


HARD_CELLS = [
    pytest.param("Title", "Costs & Benefits: 50% of $10 in C# and snake_case", id="specials"),
    pytest.param("Title", "Braces {like} these, ~tilde, ^caret and back\\slash", id="braces"),
    pytest.param("Title", "Pages 1--10 and ``quotes'' and a `tick'", id="ligatures"),
    pytest.param("Title", "Über Größe: naïve Café", id="accents"),
    pytest.param("Title", "CNNs on ImageNet with N2N and AMC", id="capitals"),
    pytest.param(
        "Author", "Laurens van der Maaten, Chun-Fu (Richard) Chen, Cian O'Donnell", id="names"
    ),
    pytest.param("Author", "Ann Smith, Bob Jones et al.", id="et-al"),
    pytest.param("Author", "Łukasz Dudziak, José Álvarez", id="accented-names"),
    pytest.param(
        "Venue", "IEEE Transactions on Pattern Analysis & Machine Intelligence", id="journal"
    ),
    pytest.param("Venue", "", id="no-venue"),
    pytest.param("Year", "in press", id="year-not-a-number"),
    pytest.param("URL", "https://example.org/a_b%20c?x=1&y=~2#frag", id="url-as-is"),
]


@pytest.mark.parametrize(("column", "value"), HARD_CELLS)
def test_hard_cells_round_trip(folder: Path, column: str, value: str) -> None:
    cells = {
        "Year": "2020",
        "Author": "Ann Smith",
        "Title": "A Plain Title",
        "URL": "https://example.org/paper",
        "Venue": "ICML",
    }
    cells[column] = value
    row = Row(
        cells["Year"],
        cells["Author"],
        cells["Title"],
        cells["URL"],
        cells["Venue"],
        {c: c == "Other" for c in CATEGORIES},
    )
    bib = convert(write(folder / "sheet.csv", sheet_text([row])))
    result = run(bib, "--csv")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert rows_from_csv(result.stdout) == [row]
    said, items = bibtex(bib)
    assert said == ""
    assert items == 1


def test_semicolon_separated_sheet(folder: Path) -> None:
    rows = seed_rows()[:3]
    bib = convert(write(folder / "sheet.csv", sheet_text(rows, delimiter=";")))
    assert rows_from_csv(run(bib, "--csv").stdout) == rows


def test_every_format_reads_a_sheet_directly(folder: Path) -> None:
    sheet = write(folder / "seed.csv", sheet_text(seed_rows()))
    result = run(sheet, "--markdown")
    assert result.exit_code == 0, result.stderr
    assert rows_from_markdown(result.stdout) == seed_rows()


def test_problems_name_the_sheets_lines(folder: Path) -> None:
    sheet = write(
        folder / "sheet.csv",
        "Year,Author,Title,URL,Venue,Pruning,Notes\n"
        "2015,Song Han,Learning,https://a.org/1,NIPS,x,\n"
        '2016,"Jane Doe","Two\nLines",https://a.org/2,ICLR,,\n'
        "2017,Bob Roe,,https://a.org/3,ICLR,x,\n",
    )
    result = run(sheet, "--csv")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"{sheet}:1: warning: column 'Notes' is neither a column nor a category label of "
        "the settings; it is left out",
        f"{sheet}:5: warning: the row has no title",
    ]


def test_without_categories_the_labels_are_the_keywords(tmp_path: Path) -> None:
    sheet = write(
        tmp_path / "sheet.csv",
        'Year,Author,Title,URL,Venue,Vision,"Speech, audio"\n'
        "2015,Song Han,Learning,https://a.org/1,NIPS,x,x\n",
    )
    result = run(sheet, "--bib")
    assert result.exit_code == 0
    assert "keywords = {Vision, Speech audio}" in result.stdout
    assert result.stderr == (
        f"{sheet}:1: warning: category 'Speech, audio' holds a keyword separator; its entries "
        "get the keyword 'Speech audio'. Name it in the settings' [categories] to keep the "
        'label, e.g. speech = "Speech, audio"\n'
    )
    marks = csv_records(run(sheet, "--csv").stdout)[0]
    assert (marks["Vision"], marks["Speech audio"]) == ("x", "x")


def test_a_sheet_with_no_known_column_is_an_error(folder: Path) -> None:
    sheet = write(folder / "sheet.csv", "Name,Link\nSomething,https://a.org\n")
    result = run(sheet, "--bib")
    assert result.exit_code == 1
    assert "no column of the settings (Year, Author, Title, Venue) in the header" in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "warning: the spreadsheet is empty", id="empty"),
        pytest.param("Year,Author,Title\n", "warning: the spreadsheet has no rows", id="header"),
        pytest.param(
            'Year,Author,Title,Key\n2020,Ann Smith,Deep Nets,"smith, 2020"\n',
            ":2: warning: key 'smith, 2020' cannot be a BibTeX key; a new one is made",
            id="bad-key",
        ),
    ],
)
def test_what_is_wrong_with_the_sheet_is_said(folder: Path, text: str, message: str) -> None:
    sheet = write(folder / "sheet.csv", text)
    result = run(sheet, "--bib")
    assert result.exit_code == 0
    assert result.stderr == f"{sheet}{'' if message.startswith(':') else ': '}{message}\n"
    assert "is this a BibTeX file" not in result.stderr
    if "key" in message:
        assert "@misc{smith2020deep," in result.stdout
