"""Several input files as one bibliography, as BibTeX reads ``\\bibliography{strings,refs}``.

Journal abbreviations in one file, entries in the next; crossref parents in a third. Every
output, ``--check``, ``--watch`` and the cache take them the same way, and each problem names
the file and line it is about. The real-shaped pair is biblatex-archaeologie's: its examples
use the publishers and places its abbreviation files define.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from bib2table import build
from test_watch import Watcher, rows, wait_for, watcher  # noqa: F401  (a fixture)
from toolkit import csv_records, run, write

WILD = Path(__file__).parent / "data" / "wild"
DEFAULTS = WILD / "defaults.toml"  # the built-in settings
STRINGS = WILD / "archaeologie-strings.bib"
REFS = WILD / "archaeologie-refs.bib"
CORPUS = os.environ.get("BIB2TABLE_CORPUS", "")


def empty_settings(folder: Path) -> Path:
    return write(folder / "settings.toml", "")


def test_strings_in_one_file_entries_in_the_next(tmp_path: Path) -> None:
    config = empty_settings(tmp_path)
    columns = '[[columns]]\nlabel = "Publisher"\nfield = "publisher"\n'
    write(config, columns)
    alone = run(REFS, "--csv", "--config", config)
    assert alone.exit_code == 0
    assert "undefined @string 'yup'" in alone.stderr
    together = run(STRINGS, REFS, "--csv", "--config", config)
    assert together.exit_code == 0, together.stderr
    assert together.stderr == ""
    publishers = [r["Publisher"] for r in csv_records(together.stdout)]
    assert publishers == ["Yale University Press", "Oxford University Press"]


def test_every_format_names_the_catalogue_after_the_file_with_entries(tmp_path: Path) -> None:
    out = tmp_path / "site"
    config = empty_settings(tmp_path)
    result = run(
        STRINGS, REFS, "--html", "--md", "--csv", "--bib", "--out-dir", out, "--config", config
    )
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"archaeologie-refs{ext}" for ext in (".bib", ".csv", ".html", ".md")]
    assert "<title>archaeologie-refs</title>" in (out / "archaeologie-refs.html").read_text()
    cited = (out / "archaeologie-refs.bib").read_text(encoding="utf-8")
    assert "@string{YUP = {Yale University Press}}" in cited  # the slice compiles on its own


def test_check_takes_several_files_as_one_bibliography(tmp_path: Path) -> None:
    config = empty_settings(tmp_path)
    result = run(STRINGS, REFS, "--check", "--format", "json", "--config", config)
    found = json.loads(result.stdout)
    assert not [f for f in found if "undefined" in f["message"]]
    assert f"bib2table: {STRINGS} {REFS}: check" in result.stderr
    each = run(STRINGS, REFS, "--check", "--each", "--format", "json", "--config", config)
    undefined = [f for f in json.loads(each.stdout) if "undefined @string" in f["message"]]
    assert {f["file"] for f in undefined} == {str(REFS)}


def test_problems_name_their_file_and_line(tmp_path: Path) -> None:
    first = write(tmp_path / "a.bib", "@misc{one, title = {One}}\n\n@misc{broken, title = {x}\n")
    second = write(
        tmp_path / "b.bib",
        "@misc{two, title = {Two}, url = {javascript:alert(1)}}\n@misc{one, title = {Again}}\n",
    )
    result = run(first, second, "--csv", "--config", empty_settings(tmp_path))
    assert result.exit_code == 1
    said = result.stderr.splitlines()
    assert f"{first}:3: broken: @misc block is not closed" in "\n".join(said)
    assert any(line.startswith(f"{second}:1: two: warning: url 'javascript") for line in said)
    assert f"{second}:2: one: duplicate key (first at {first}:1)" in "\n".join(said)


def test_check_reports_a_key_used_in_two_files_with_both_places(tmp_path: Path) -> None:
    first = write(tmp_path / "a.bib", "@misc{same, title = {One}}\n")
    second = write(tmp_path / "b.bib", "\n@misc{same, title = {Two}}\n")
    result = run(first, second, "--check", "--format", "json")
    found = [f for f in json.loads(result.stdout) if f["message"].startswith("duplicate key")]
    assert found == [
        {
            "file": str(first),
            "line": 1,
            "key": "same",
            "severity": "error",
            "message": f"duplicate key: also used at {second}:2",
        },
        {
            "file": str(second),
            "line": 2,
            "key": "same",
            "severity": "error",
            "message": f"duplicate key: also used at {first}:1; BibTeX and bib2table keep only "
            "the first",
        },
    ]


def test_the_cache_gives_what_a_fresh_read_gives(tmp_path: Path) -> None:
    os.environ["BIB2TABLE_CACHE_DIR"] = str(tmp_path / "cache")
    try:
        strings = write(tmp_path / "strings.bib", STRINGS.read_text(encoding="utf-8"))
        refs = write(tmp_path / "refs.bib", REFS.read_text(encoding="utf-8"))
        _, (first,) = build([strings, refs], ["csv"])
        _, (again,) = build([strings, refs], ["csv"])
        strings.write_text(
            strings.read_text(encoding="utf-8").replace("Yale", "New Haven"), encoding="utf-8"
        )
        _, (edited,) = build([strings, refs], ["csv"])
        _, (fresh,) = build([strings, refs], ["csv"], cache=False)
    finally:
        del os.environ["BIB2TABLE_CACHE_DIR"]
    assert first.text == again.text
    assert "New Haven University Press" not in first.text
    assert edited.text == fresh.text
    assert "New Haven University Press" in edited.text


def test_watch_rebuilds_when_any_input_changes(
    tmp_path: Path,
    watcher: Callable[..., Watcher],  # noqa: F811
) -> None:
    write(tmp_path / "strings.bib", '@string{j = "Old Journal"}\n')
    write(tmp_path / "refs.bib", "@article{a, title = {A}, journal = j, year = 2000}\n")
    out = tmp_path / "out.csv"
    running = watcher("strings.bib", "refs.bib", "--csv", "-o", "out.csv")
    assert wait_for(lambda: rows(out) == 1), running.said
    assert "Old Journal" in out.read_text(encoding="utf-8")
    write(tmp_path / "strings.bib", '@string{j = "New Journal"}\n')
    assert wait_for(lambda: "New Journal" in out.read_text(encoding="utf-8")), running.said
    assert running.interrupt() == 0
    assert "watching strings.bib, refs.bib" in running.said


def test_a_spreadsheet_is_read_on_its_own(tmp_path: Path) -> None:
    sheet = write(tmp_path / "sheet.csv", "Year,Author,Title,URL,Venue\n2020,A B,T,,V\n")
    result = run(sheet, REFS, "--csv")
    assert result.exit_code == 1
    assert "a spreadsheet (.csv) is read on its own" in result.stderr


def test_the_texlive_archaeologie_files_read_together() -> None:
    """In TeX Live, biblatex-archaeologie's examples use 26 abbreviations its other files
    define: given in order, none is undefined."""
    if not CORPUS:
        return
    folder = next(Path(CORPUS).rglob("bibtex/bib/archaeologie"), None)
    assert folder is not None
    names = ["lstabbrv", "lstlocations", "lstpublishers", "examples"]
    files = [folder / f"archaeologie-{n}.bib" for n in names]
    alone, _ = build(files[-1], ["csv"], config=DEFAULTS, cache=False)
    together, _ = build(files, ["csv"], config=DEFAULTS, cache=False)
    assert sum("undefined @string" in p.message for p in alone.problems) == 26
    assert not [p for p in together.problems if "undefined @string" in p.message]
    assert len(together.entries) == len(alone.entries)


# --- the same catalogue as the concatenated file -----------------------------------------------

_KEYS = st.sampled_from(["a", "b", "c", "d"])
_ENTRY = st.builds(
    lambda kind, key, title, macro, parent: (
        f"@string{{{key}m = {{{title} journal}}}}\n"
        if kind == "string"
        else f"@misc{{{key}, title = {{{title}}}, journal = {macro}m"
        + (f", crossref = {{{parent}}}" if parent else "")
        + "}\n"
    ),
    st.sampled_from(["string", "entry", "entry"]),
    _KEYS,
    st.text(alphabet="abcXYZ ", min_size=1, max_size=8).map(str.strip).filter(bool),
    _KEYS,
    st.one_of(st.none(), _KEYS),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(st.lists(_ENTRY, max_size=4), min_size=2, max_size=3))
def test_several_files_are_the_concatenated_file(tmp_path: Path, parts: list[list[str]]) -> None:
    """Whatever is in which file: the catalogue of the files is the one of their
    concatenation, but for the file each entry and problem names."""
    folder = tmp_path / str(len(list(tmp_path.iterdir())))
    files = [write(folder / f"part{n}.bib", "".join(p)) for n, p in enumerate(parts)]
    whole = write(folder / "whole.bib", "".join("".join(p) for p in parts))
    offsets = {}
    line = 0
    for file, part in zip(files, parts, strict=True):
        offsets[str(file)] = line
        line += "".join(part).count("\n")

    def where(file: str, number: int) -> tuple[str, int]:
        return (str(whole), number + offsets[file]) if file in offsets else (file, number)

    several, _ = build(files, ["csv"], config=DEFAULTS, cache=False)
    one, _ = build(whole, ["csv"], config=DEFAULTS, cache=False)
    assert [(e.key, e.cells, where(e.file, e.line)) for e in several.entries] == [
        (e.key, e.cells, (e.file, e.line)) for e in one.entries
    ]
    problems = {(*where(p.file, p.line), p.key, _unplaced(p.message)) for p in several.problems}
    expected = {(p.file, p.line, p.key, _unplaced(p.message)) for p in one.problems}
    # An undefined @string is reported once per file, where it is first used: in each file
    # that uses it, not only in the first.
    assert {p for p in expected if "undefined" not in p[3] and "no entries" not in p[3]} == {
        p for p in problems if "undefined" not in p[3] and "no entries" not in p[3]
    }
    assert {p[3] for p in expected if "undefined" in p[3]} == {
        p[3] for p in problems if "undefined" in p[3]
    }


def _unplaced(message: str) -> str:
    """A message without the places it names (which differ in file and line)."""
    message = re.sub(r" \(\d+ entries use it\)", "", message)
    return re.sub(r"(?:at |first at )?(?:\S+\.bib:|line )\d+", "<place>", message)
