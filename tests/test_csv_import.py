"""A spreadsheet in the catalogue's CSV shape becomes BibTeX: CSV -> bib -> CSV keeps every cell.

The seed's own rows are the main case: written as the seed's Google Sheet would export them,
converted with ``--bib``, the result must pass real BibTeX silently and show every cell again.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest
from bibtexparser.entrypoint import parse_string
from hypothesis import given, settings
from hypothesis import strategies as st

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


# --------------------------------------------------------------------------------------------
# nothing is lost or changed silently


def _plain_sheet(titles: list[str]) -> str:
    lines = ["Year,Author,Title,URL,Venue"]
    lines += [f"20{n:02d},Ann Smith,{t},https://a.org/{n},ICML" for n, t in enumerate(titles)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("bad", "stray_line"),
    [
        pytest.param('"Unclosed title', 3, id="opening-quote-never-closed"),
        pytest.param('"Opened here', 3, id="closed-by-a-later-quoted-cell"),
        pytest.param('Title with "quoted" words', 0, id="quote-inside-a-cell-is-text"),
    ],
)
def test_a_stray_quote_costs_one_row_and_says_so(folder: Path, bad: str, stray_line: int) -> None:
    titles = ["First", bad, "Third", "Fourth", "Fifth"]
    text = _plain_sheet(titles)
    if "later" in bad:
        text = text.replace("Fifth", '"Fifth, quoted"')
    sheet = write(folder / "sheet.csv", text)
    result = run(sheet, "--csv")
    shown = [r["Title"] for r in csv_records(result.stdout)]
    if stray_line:
        assert result.exit_code == 1
        assert f"{sheet}:{stray_line}: this row is not CSV" in result.stderr
        assert shown == [t for t in ["First", "Third", "Fourth", "Fifth"]] or shown == [
            "First",
            "Third",
            "Fourth",
            "Fifth, quoted",
        ]
    else:
        assert result.exit_code == 0, result.stderr
        assert shown == titles


def test_two_stray_quotes_that_pair_up_are_reported(folder: Path) -> None:
    text = _plain_sheet(["First", '"Opened', "Third", 'Closed"', "Fifth"])
    sheet = write(folder / "sheet.csv", text)
    result = run(sheet, "--csv")
    assert result.exit_code == 1
    assert f"{sheet}:3: lines 3-5 are read as one row" in result.stderr
    assert "Fifth" in result.stdout


def test_a_cell_longer_than_the_csv_modules_limit(folder: Path) -> None:
    long_title = "word " * 40_000  # 200,000 characters
    sheet = write(folder / "sheet.csv", _plain_sheet(["First", f'"{long_title.strip()}"']))
    result = run(sheet, "--csv")
    assert result.exit_code == 0, result.stderr
    limit = csv.field_size_limit(1 << 24)  # the test's own reader needs the room too
    try:
        lengths = [len(r["Title"]) for r in csv_records(result.stdout)]
    finally:
        csv.field_size_limit(limit)
    assert lengths == [5, len(long_title.strip())]


@pytest.mark.parametrize(
    "title",
    ["Left { only", "Right } only", "Both }{ reversed", "{balanced} and } extra", "{{ two open"],
)
def test_an_unbalanced_brace_reads_back_the_same(folder: Path, title: str) -> None:
    sheet = write(folder / "sheet.csv", _plain_sheet([f'"{title}"', "Second"]))
    bib = convert(sheet)
    said, items = bibtex(bib)
    assert said == ""
    assert items == 2, "real BibTeX keeps every entry"
    assert [r["Title"] for r in csv_records(run(bib, "--csv").stdout)] == [title, "Second"]


def test_key_suffixes_never_run_out(folder: Path) -> None:
    rows = "\n".join("2020,Ann Smith,Deep Nets,,ICML" for _ in range(800))
    sheet = write(folder / "sheet.csv", "Year,Author,Title,URL,Venue\n" + rows + "\n")
    bib = convert(sheet)
    keys = [e.key for e in parse_string(bib.read_text(encoding="utf-8")).entries]
    assert len(keys) == 800 == len({k.lower() for k in keys})
    assert keys[:3] == ["smith2020deep", "smith2020deepa", "smith2020deepb"]
    assert keys[27] == "smith2020deepaa" and keys[703] == "smith2020deepaaa"


@pytest.mark.parametrize(
    "title",
    ["'=' versus '==' in C", "''=double", "'+1", "'plain apostrophe", "=SUM(A1)", "-minus", "'"],
)
def test_a_leading_apostrophe_survives_the_round_trip(folder: Path, title: str) -> None:
    source = write(
        folder / "refs.bib",
        f"@misc{{a, author = {{Smith, Ann}}, title = {{{title}}}, year = 2020}}\n",
    )
    exported = run(source, "--csv").stdout
    sheet = write(folder / "sheet.csv", exported)
    again = run(convert(sheet), "--csv").stdout
    assert csv_records(again)[0]["Title"] == csv_records(exported)[0]["Title"]
    assert run(convert(sheet), "--md").stdout == run(source, "--md").stdout


CELL_TEXT = st.text(
    alphabet=st.sampled_from([*list("'=+-@\"{}\\ab ,;\n\t%$&#_~^"), "é", "ß"]),
    max_size=20,
)


@settings(max_examples=60, deadline=None)
@given(cells=st.lists(CELL_TEXT, min_size=1, max_size=5))
def test_our_csv_cells_read_back_exactly(cells: list[str]) -> None:
    """A cell of the CSV output comes back from the import as it was, whatever it holds."""
    from bib2table.catalogue.csvread import _records
    from bib2table.outputs.render import csv_row

    header = ["Year", "Author", "Title", "URL", "Venue"]
    text = csv_row(header) + csv_row(cells)
    problems: list[object] = []
    records = _records(text, "sheet.csv", problems)  # type: ignore[arg-type]
    assert problems == []
    assert [r[2] for r in records] == [header, cells]


@settings(max_examples=40, deadline=None)
@given(
    quotes=st.lists(
        st.tuples(st.integers(0, 11), st.integers(0, 40)), min_size=1, max_size=4, unique=True
    )
)
def test_every_row_is_imported_or_reported(quotes: list[tuple[int, int]]) -> None:
    """Quotes put anywhere: each row's text reaches an entry, or its line is an error."""
    from bib2table.catalogue.csvread import parse_csv
    from bib2table.catalogue.settings import Settings

    lines = ["Year,Author,Title,URL,Venue"]
    lines += [f"20{n:02d},Ann Smith,Row T{n + 2}X title,https://a.org/{n},ICML" for n in range(12)]
    for row, at in quotes:
        line = lines[row + 1]
        lines[row + 1] = line[: at % (len(line) + 1)] + '"' + line[at % (len(line) + 1) :]
    parsed = parse_csv("\n".join(lines) + "\n", Settings(), "sheet.csv")
    shown = re.sub(r'[{}"]', "", " ".join(v for e in parsed.entries for v in e.fields.values()))
    errors = {p.line for p in parsed.problems if p.severity == "error"}
    for number in range(2, 14):
        assert f"T{number}X" in shown or number in errors, (number, lines, parsed.problems)
