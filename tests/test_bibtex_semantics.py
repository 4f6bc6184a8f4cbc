"""BibTeX's own reading of a bibliography, with real ``bibtex`` as the oracle.

A tiny style (``fields.bst``) makes BibTeX write, for every entry, the values it read: so the
tests compare what bib2table reads with what BibTeX reads, for ``@string`` macros defined,
redefined and used before their definition, undefined macros, several files given as
``\\bibliography{a,b}``, and crossrefs across files. BibTeX is installed by ``scripts/test``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from bib2table.bibtex.parse import parse_files
from bib2table.catalogue.cite import bibtex_text, cite_data
from bib2table.catalogue.model import build_catalogue
from bib2table.catalogue.settings import Settings
from toolkit import run, write

FIELDS = ("title", "journal", "booktitle", "year")
# For each entry and each field of FIELDS, a line "@key@field@value" as BibTeX read it (BibTeX
# breaks long lines: a line that does not start with @ goes on the one before).
STYLE = """ENTRY {{ {} }} {{}} {{}}
FUNCTION {{show}} {{ {} }}
READ
ITERATE {{show}}
""".format(
    " ".join(FIELDS),
    " ".join(
        f'"@" cite$ * "@{f}@" * {f} missing$ {{ "" }} {{ {f} }} if$ * write$ newline$'
        for f in FIELDS
    ),
)


def bibtex_reads(folder: Path, files: list[Path]) -> tuple[dict[str, tuple[str, ...]], str]:
    """What real BibTeX reads from ``files`` (in order, as ``\\bibliography{…}``): each entry's
    FIELDS by key, and BibTeX's warnings."""
    program = shutil.which("bibtex")
    assert program is not None, "bibtex is not on PATH; scripts/test installs texlive-binaries"
    (folder / "fields.bst").write_text(STYLE, encoding="ascii")
    data = ",".join(f.stem for f in files)
    (folder / "job.aux").write_text(
        f"\\citation{{*}}\n\\bibdata{{{data}}}\n\\bibstyle{{fields}}\n", encoding="ascii"
    )
    subprocess.run([program, "job"], cwd=folder, capture_output=True, check=False, timeout=60)
    lines: list[str] = []
    for line in (folder / "job.bbl").read_text(encoding="utf-8").splitlines():
        if line.startswith("@") or not lines:
            lines.append(line)
        else:
            lines[-1] += " " + line
    values: dict[str, dict[str, str]] = {}
    for line in lines:
        _, key, name, value = line.split("@", 3)
        values.setdefault(key, {})[name] = " ".join(value.split())
    read = {key: tuple(fields[f] for f in FIELDS) for key, fields in values.items()}
    return read, (folder / "job.blg").read_text(encoding="utf-8")


def bib2table_reads(files: list[Path]) -> dict[str, tuple[str, ...]]:
    parsed = parse_files(files)
    return {
        e.key: tuple(" ".join(e.fields.get(f, "").split()) for f in FIELDS) for e in parsed.entries
    }


REDEFINED = """@string{t = {First title}}
@string{j = "Journal"}
@misc{a, title = t, journal = j # " of Things"}
@string{t = {Second title}}
@misc{b, title = t # { (} # j # {)}}
@misc{c, title = late}
@string{late = {Defined late}}
@misc{d, title = late, journal = nowhere}
"""


def test_each_entry_sees_the_strings_defined_before_it(tmp_path: Path) -> None:
    bib = write(tmp_path / "refs.bib", REDEFINED)
    expected, log = bibtex_reads(tmp_path, [bib])
    assert bib2table_reads([bib]) == expected
    assert expected["a"][0] == "First title" and expected["b"][0] == "Second title (Journal)"
    assert expected["c"][0] == "" and expected["d"][0] == "Defined late"
    assert 'string name "late" is undefined' in log


def test_undefined_strings_warn_once_per_file_as_bibtex_does(tmp_path: Path) -> None:
    bib = write(tmp_path / "refs.bib", REDEFINED + "@misc{e, title = {E}, journal = nowhere}\n")
    result = run(bib, "--csv", "--config", write(tmp_path / "empty.toml", ""))
    assert result.exit_code == 0
    lines = [line for line in result.stderr.splitlines() if "undefined @string" in line]
    assert lines == [
        f"{bib}:6: c: warning: undefined @string 'late' is empty, as BibTeX makes it; it is "
        "defined later, at line 7: BibTeX needs it defined before use",
        f"{bib}:8: d: warning: undefined @string 'nowhere' is empty, as BibTeX makes it "
        "(2 entries use it)",
    ]
    rows = {line.split(",")[-2]: line for line in result.stdout.splitlines()[1:]}
    assert rows["c"].startswith(",,,,") and "nowhere" not in result.stdout


def test_a_setting_keeps_undefined_names(tmp_path: Path) -> None:
    bib = write(tmp_path / "refs.bib", "@article{k, title = {T}, journal = jacm}\n")
    write(tmp_path / "bib2table.toml", "keep-undefined-strings = true\n")
    result = run(bib, "--csv")
    assert result.exit_code == 0
    assert ",jacm," in result.stdout
    assert "undefined @string 'jacm' is kept as written" in result.stderr


def test_the_slice_cites_the_title_each_entry_saw(tmp_path: Path) -> None:
    """``--bib`` writes a @string again where its value changes, so BibTeX reads the slice
    as it read the whole file."""
    bib = write(tmp_path / "refs.bib", REDEFINED)
    result = run(bib, "--bib", "-o", tmp_path / "slice.bib")
    assert result.exit_code == 0, result.stderr
    expected, _ = bibtex_reads(tmp_path, [bib])
    sliced, log = bibtex_reads(tmp_path, [tmp_path / "slice.bib"])
    assert sliced == expected
    assert log.count("is undefined") == 2  # late (before its definition), nowhere: as the input


def test_a_selected_slice_keeps_the_later_value(tmp_path: Path) -> None:
    bib = write(tmp_path / "refs.bib", REDEFINED)
    result = run(bib, "--bib", "--search", "second", "-o", tmp_path / "slice.bib")
    assert result.exit_code == 0, result.stderr
    sliced, _ = bibtex_reads(tmp_path, [tmp_path / "slice.bib"])
    assert sliced == {"b": ("Second title (Journal)", "", "", "")}


def test_check_sees_no_duplicate_in_a_redefined_title(tmp_path: Path) -> None:
    source = "@string{t = {One}}\n@misc{a, title = t}\n@string{t = {Two}}\n@misc{b, title = t}\n"
    bib = write(tmp_path / "refs.bib", source)
    result = run(bib, "--check", "--format", "json")
    assert "duplicate paper" not in result.stdout


def test_the_page_gives_each_entry_the_value_it_saw(tmp_path: Path) -> None:
    bib = write(tmp_path / "refs.bib", REDEFINED)
    built = build_catalogue(parse_files([bib]), Settings())
    a, b = built.entries[0], built.entries[1]
    assert bibtex_text(a, built).startswith("@string{t = {First title}}\n@string{j = {Journal}}")
    assert "@string{t = {Second title}}" in bibtex_text(b, built)
    data = str(cite_data(built))
    assert "First title" in data and "Second title" in data


# --- several files, as \bibliography{strings,refs} ---------------------------------------------

STRINGS = '@string{jacm = "Journal of the ACM"}\n@string{proc = {Proceedings of Things}}\n'
REFS = """@article{knuth, title = {Art}, journal = jacm, year = 1968}
@inproceedings{part, title = {A Part}, crossref = {whole}}
"""
PARENTS = "@proceedings{whole, title = proc, booktitle = proc, year = 2001}\n"


def test_several_files_read_as_bibtex_reads_them(tmp_path: Path) -> None:
    files = [
        write(tmp_path / "strings.bib", STRINGS),
        write(tmp_path / "refs.bib", REFS),
        write(tmp_path / "parents.bib", PARENTS),
    ]
    expected, _ = bibtex_reads(tmp_path, files)
    assert bib2table_reads(files) == expected
    assert expected["knuth"][1] == "Journal of the ACM"
    assert expected["part"][2] == "Proceedings of Things"  # crossref across files


def test_strings_after_their_use_are_undefined_as_in_bibtex(tmp_path: Path) -> None:
    files = [write(tmp_path / "refs.bib", REFS), write(tmp_path / "strings.bib", STRINGS)]
    expected, _log = bibtex_reads(tmp_path, files)
    assert bib2table_reads(files) == expected
    assert expected["knuth"][1] == ""
    result = run(*files, "--csv")
    assert f"{files[0]}:1: knuth: warning: undefined @string 'jacm'" in result.stderr
    assert f"defined later, at {files[1]}:1" in result.stderr
