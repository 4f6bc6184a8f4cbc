"""Selection: ``--category`` (any of), ``--since``, ``--until``, ``--search``, in every format.

The seed table is the oracle: which of its rows a selection keeps is worked out from the seed's
own cells and marks, and compared with what bib2table writes for compression.bib.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from catalogue_views import Row, rows_from_csv, rows_from_html, rows_from_markdown
from paths import COMPRESSION_BIB, SEED
from seedtable import load_seed
from toolkit import csv_records, run, write

READERS: dict[str, tuple[str, Callable[[str], list[Row]]]] = {
    "csv": ("--csv", rows_from_csv),
    "markdown": ("--markdown", rows_from_markdown),
    "html": ("--html", rows_from_html),
}
ALL_FORMATS = [pytest.param(name, id=name) for name in READERS]
QUANTIZATION = "Quantization, low-rank, etc."


@pytest.fixture(autouse=True)
def _debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIB2TABLE_DEBUG", "1")


def seed_titles(keep: Callable[[Row], bool]) -> list[str]:
    rows = [Row(s.year, s.author, s.title, s.url, s.venue, dict(s.marks)) for s in load_seed(SEED)]
    return [r.title for r in rows if keep(r)]


def shown(fmt: str, *args: str) -> list[str]:
    flag, reader = READERS[fmt]
    result = run(COMPRESSION_BIB, flag, *args)
    assert result.exit_code == 0, result.stderr
    return [r.title for r in reader(result.stdout)]


SELECTIONS = [
    pytest.param(["--category", "pruning"], lambda r: r.marks["Pruning"], id="keyword"),
    pytest.param(["--category", "PRUNING"], lambda r: r.marks["Pruning"], id="keyword-any-case"),
    pytest.param(
        ["--category", "pruning", "--category", "distillation"],
        lambda r: r.marks["Pruning"] or r.marks["Distillation"],
        id="any-of-two",
    ),
    pytest.param(["--category", QUANTIZATION], lambda r: r.marks[QUANTIZATION], id="label"),
    pytest.param(["--since", "2018"], lambda r: int(r.year) >= 2018, id="since"),
    pytest.param(["--until", "2015"], lambda r: int(r.year) <= 2015, id="until"),
    pytest.param(["--since", "2016", "--until", "2016"], lambda r: r.year == "2016", id="one-year"),
    pytest.param(
        ["--category", "pruning", "--since", "2017"],
        lambda r: r.marks["Pruning"] and int(r.year) >= 2017,
        id="category-and-since",
    ),
    pytest.param(
        ["--search", "ICLR (workshop)"], lambda r: r.venue == "ICLR (workshop)", id="venue"
    ),
    pytest.param(["--search", "song han"], lambda r: "Song Han" in r.author, id="author-any-case"),
    pytest.param(["--search", "lukasz"], lambda r: "Łukasz" in r.author, id="without-accents"),
]


@pytest.mark.parametrize("fmt", ALL_FORMATS)
@pytest.mark.parametrize(("args", "keep"), SELECTIONS)
def test_selection(fmt: str, args: list[str], keep: Callable[[Row], bool]) -> None:
    expected = seed_titles(keep)
    assert expected, "the selection keeps something"
    assert len(expected) < 57, "the selection leaves something out"
    assert shown(fmt, *args) == expected


def test_selection_recounts_categories() -> None:
    result = run(COMPRESSION_BIB, "--markdown", "--category", "distillation", "--until", "2016")
    assert result.exit_code == 0
    rows = rows_from_markdown(result.stdout)
    assert rows and all(r.marks["Distillation"] for r in rows)
    assert all(int(r.year) <= 2016 for r in rows)


def test_a_selection_of_nothing_is_an_empty_table() -> None:
    result = run(COMPRESSION_BIB, "--csv", "--since", "2030")
    assert result.exit_code == 0
    assert rows_from_csv(result.stdout) == []
    assert result.stderr == ""


def test_a_category_that_names_nothing_is_reported_with_the_nearest() -> None:
    result = run(COMPRESSION_BIB, "--csv", "--category", "prunning")
    assert result.exit_code == 0
    assert rows_from_csv(result.stdout) == []
    assert result.stderr == (
        f"{COMPRESSION_BIB}: warning: --category 'prunning' is no keyword or category of the "
        "catalogue; did you mean 'pruning'?\n"
    )


def test_search_finds_decoded_text(tmp_path: Path) -> None:
    bib = write(
        tmp_path / "refs.bib",
        '@article{a, author = {M{\\"u}ller, Anna}, title = {One}, year = 2001}\n'
        "@article{b, author = {Miller, Bob}, title = {Two}, year = 2002}\n",
    )
    result = run(bib, "--csv", "--search", "MULLER")
    assert [r["Title"] for r in csv_records(result.stdout)] == ["One"]


def test_hierarchical_keywords_are_selected_by_any_level(tmp_path: Path) -> None:
    write(tmp_path / "bib2table.toml", 'keyword-hierarchy-separators = ["/", ">"]\n')
    bib = write(
        tmp_path / "refs.bib",
        "@article{a, title = {Pruned}, year = 2001, keywords = {compression/pruning}}\n"
        "@article{b, title = {Distilled}, year = 2002, keywords = {compression > distillation}}\n"
        "@article{c, title = {Other}, year = 2003, keywords = {vision}}\n",
    )
    titles = {
        args: [r["Title"] for r in csv_records(run(bib, "--csv", "--category", args).stdout)]
        for args in ("compression", "pruning", "compression/distillation", "vision")
    }
    assert titles == {
        "compression": ["Pruned", "Distilled"],
        "pruning": ["Pruned"],
        "compression/distillation": ["Distilled"],
        "vision": ["Other"],
    }


def test_since_after_until_is_a_usage_error() -> None:
    result = run(COMPRESSION_BIB, "--csv", "--since", "2019", "--until", "2017")
    assert result.exit_code == 2
    assert "--since 2019 is after --until 2017" in result.stderr


def test_a_year_must_be_a_number() -> None:
    result = run(COMPRESSION_BIB, "--csv", "--since", "last year")
    assert result.exit_code == 2
    assert "'last year' is not a valid integer" in result.stderr
