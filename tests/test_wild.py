"""Bibliographies from the wild: escapes, accents, journal macros, encodings, runaway macros.

The excerpts in ``tests/data/wild/`` are as DBLP, NASA ADS and JabRef export them (see the
README there); each class is tried on several spellings, and Hypothesis tries more.
"""

from __future__ import annotations

import time
import unicodedata
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from bib2table import build
from bib2table.bibtex.addresses import doi_of, doi_url, web_address
from bib2table.bibtex.latex import decode
from bib2table.bibtex.parse import parse_file, parse_text
from bib2table.catalogue.model import build_catalogue
from bib2table.catalogue.settings import Settings
from toolkit import csv_records, run, write

WILD = Path(__file__).parent / "data" / "wild"
NO_SETTINGS = WILD / "defaults.toml"  # the built-in settings


def catalogue_of(path: Path):  # type: ignore[no-untyped-def]
    catalogue, _ = build(path, ["csv"], config=NO_SETTINGS, cache=False)
    return catalogue


# --- escapes in addresses ----------------------------------------------------------------------


def test_dblp_escapes_are_undone_in_every_address() -> None:
    entries = {e.key: e for e in catalogue_of(WILD / "dblp.bib").entries}
    krings = entries["DBLP:conf/asm/KringsL16"]
    assert krings.doi == "10.1007/978-3-319-33600-8_8"
    assert krings.url == "https://doi.org/10.1007/978-3-319-33600-8_8"
    vldb = entries["DBLP:conf/vldb/Huang0LCHT24"]
    assert vldb.url == "https://vldb.org/workshops/2024/proceedings/ADMS/ADMS24_01.pdf"


def test_dblp_check_finds_nothing_wrong_with_escaped_addresses() -> None:
    result = run(WILD / "dblp.bib", "--check", "--config", NO_SETTINGS)
    assert "malformed" not in result.stdout
    assert result.exit_code == 0, result.stdout


@pytest.mark.parametrize(
    ("written", "address"),
    [
        (r"https://x.org/a\_b", "https://x.org/a_b"),
        (r"https://x.org/a{\_}b", "https://x.org/a_b"),
        (r"https://x.org/\~{}user", "https://x.org/~user"),
        (r"https://x.org/\~user", "https://x.org/~user"),
        (r"https://x.org/{\~{}}user", "https://x.org/~user"),
        (r"https://x.org/$\sim$user", "https://x.org/~user"),
        (r"https://x.org/\textasciitilde{}user", "https://x.org/~user"),
        (r"https://x.org/p?a=1\&b=2", "https://x.org/p?a=1&b=2"),
        (r"https://x.org/50\%25", "https://x.org/50%25"),
        (r"\url{https://x.org/page\#part}", "https://x.org/page#part"),
        (r"\href{https://x.org/a\_b}{the page}", "https://x.org/a_b"),
        ("https://x.org/a%20b~c&d", "https://x.org/a%20b~c&d"),  # as written, untouched
    ],
)
def test_url_escapes(written: str, address: str) -> None:
    assert web_address({"url": written}) == (address, "")


@pytest.mark.parametrize(
    "written",
    [
        r"10.1007/3-540-57182-5\_8",
        r"10.1007/3-540-57182-5{\_}8",
        r"\url{10.1007/3-540-57182-5\_8}",
        r"https://doi.org/10.1007/3-540-57182-5\_8",
        r"doi:10.1007/3-540-57182-5\textunderscore{}8",
    ],
)
def test_doi_escapes(written: str) -> None:
    assert doi_of(written) == "10.1007/3-540-57182-5_8"


def test_url_command_in_a_title_shows_no_backslash() -> None:
    assert decode(r"see \url{https://x.org/a\#b\_c}").text == "see https://x.org/a#b_c"


_PIECES = ["a", "/", "\\_", "{\\_}", "\\%", "\\&", "\\#", "\\$", "\\~", "\\~{}", "{\\~{}}", "~"]
_PIECES += ["\\textasciitilde{}", "\\textunderscore ", "\\-", "\\x", "\\\\", "{", "}", "\\"]
_ESCAPED = st.lists(st.sampled_from(_PIECES), max_size=12).map("".join)


@settings(max_examples=200, deadline=None)
@given(path=_ESCAPED, wrapper=st.sampled_from(["{}", "\\url{{{}}}", "\\href{{{}}}{{text}}"]))
def test_no_backslash_ever_reaches_a_link(path: str, wrapper: str) -> None:
    """Whatever escapes a DOI or URL holds, its link has no backslash: the escape is undone,
    or no link is made."""
    link, _ = web_address({"url": wrapper.format("https://x.org/" + path)})
    assert "\\" not in link
    doi = doi_of(wrapper.format("10.1000/" + path))
    assert "\\" not in doi and "\\" not in (doi_url(doi) if doi else "")


# --- accents -------------------------------------------------------------------------------------

_ACCENTS = ["'", "`", "^", '"', "~", "=", ".", "u", "v", "H", "c", "d", "b", "k", "r"]
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@settings(max_examples=150, deadline=None)
@given(
    accent=st.sampled_from(_ACCENTS),
    letter=st.sampled_from([*list(_LETTERS), "\\i", "\\j"]),
    form=st.sampled_from(["\\{a}{{{l}}}", "{{\\{a}{l}}}", "\\{a}{l}", "{{\\{a}{{{l}}}}}"]),
    where=st.sampled_from(["title", "name-first", "name-last"]),
)
def test_any_accent_on_any_letter_is_one_character_in_nfc(
    accent: str, letter: str, form: str, where: str
) -> None:
    """``Ne\\~{s}et\\~{r}il``: an accent with no precomposed letter is a combining mark, in
    NFC, with no space, in a title and in a name alike."""
    if accent.isalpha() and letter[0] != "\\":
        form = form.replace("\\{a}{l}", "\\{a} {l}")  # \\vs would be another macro
    accented = form.format(a=accent, l=letter)
    word = f"Ne{accented}et{accented}il"
    if where == "title":
        shown = build_catalogue(parse_text(f"@misc{{k, title = {{{word}}}}}"), Settings())
        text = shown.entries[0].cells[2]
    else:
        name = f"{word}, Jaroslav" if where == "name-last" else f"Jaroslav {word}"
        shown = build_catalogue(parse_text(f"@misc{{k, author = {{{name}}}}}"), Settings())
        text = shown.entries[0].cells[1]
    assert text == unicodedata.normalize("NFC", text)
    assert " " not in text.replace("Jaroslav ", "")
    assert "\\" not in text and "{" not in text


def test_the_issue_example_reads_as_biber_reads_it() -> None:
    source = r"@misc{k, author = {Ne\~{s}et\~{r}il, Jaroslav}, title = {Ne\~{s}et\~{r}il}}"
    entry = build_catalogue(parse_text(source), Settings()).entries[0]
    assert entry.cells[1:3] == ("Jaroslav Nes̃etr̃il", "Nes̃etr̃il")


# --- journal macros -------------------------------------------------------------------------------


def test_ads_journal_macros_show_the_abbreviation() -> None:
    catalogue = catalogue_of(WILD / "ads.bib")
    (entry,) = catalogue.entries
    assert entry.cells[3] == "ApJ"
    assert entry.url == "https://doi.org/10.1088/0004-637X/753/1/63"
    assert not [p for p in catalogue.problems if "unknown LaTeX macros" in p.message]


@pytest.mark.parametrize(
    ("macro", "shown"),
    [("aap", "A&A"), ("mnras", "MNRAS"), ("pasp", "PASP"), ("apjl", "ApJL"), ("araa", "ARA&A")],
)
def test_aas_macros(macro: str, shown: str) -> None:
    assert decode(f"\\{macro}").text == shown


def test_a_preamble_definition_comes_before_the_aas_macro() -> None:
    source = '@preamble{"\\def\\apj{Astrophys. J.}"}\n@article{k, journal = {\\apj}, title = {T}}'
    assert build_catalogue(parse_text(source), Settings()).entries[0].cells[3] == "Astrophys. J."


# --- encodings ------------------------------------------------------------------------------------


def test_jabref_encoding_line_is_honoured() -> None:
    parsed = parse_file(WILD / "jabref-cp1252.bib")
    assert parsed.problems == []
    (entry,) = parsed.entries
    assert entry.fields["title"] == "Größenordnung und Kühlung – ein „Vergleich“"
    assert entry.fields["author"].startswith("Müller, Jürgen and Škoda")


@pytest.mark.parametrize(
    ("line", "encoding", "text"),
    [
        ("% Encoding: windows-1252", "cp1252", "Škoda – Müller"),
        ("% Encoding: Cp1252", "cp1252", "Škoda – Müller"),
        ("% Encoding: ISO8859_1", "latin-1", "Sørensen Åse"),
        ("% Encoding: ISO-8859-15", "iso8859-15", "Œuvre 5 €"),
        ("% Encoding: UTF-8", "utf-8", "Škoda – Müller"),
    ],
)
def test_jabref_names_for_encodings(tmp_path: Path, line: str, encoding: str, text: str) -> None:
    path = tmp_path / "jabref.bib"
    path.write_bytes(f"{line}\n\n@misc{{k, title = {{{text}}}}}\n".encode(encoding))
    parsed = parse_file(path)
    assert parsed.entries[0].fields["title"] == text
    assert parsed.problems == []


def test_a_false_encoding_line_is_said(tmp_path: Path) -> None:
    path = tmp_path / "jabref.bib"
    path.write_bytes("% Encoding: UTF-8\n@misc{k, title = {Müller}}\n".encode("cp1252"))
    parsed = parse_file(path)
    assert parsed.entries[0].fields["title"] == "Müller"
    (warning,) = parsed.problems
    assert "says it is utf-8 (% Encoding:) but is not" in warning.message
    assert "read as cp1252" in warning.message


def test_gbk_is_detected_and_named() -> None:
    result = run(WILD / "gbk.bib", "--csv", "--config", NO_SETTINGS)
    assert result.exit_code == 0
    (row,) = csv_records(result.stdout)
    assert row["Title"] == "深度神经网络模型压缩综述"
    assert row["Author"] == "张三, 李四"
    assert "not UTF-8" in result.stderr and "read as gb18030 (detected)" in result.stderr


@pytest.mark.parametrize(
    ("encoding", "text", "named"),
    [
        ("shift_jis", "山田 太郎: 深層学習のモデル圧縮", "cp932"),
        ("cp1251", "Иванов, Иван: Сжатие нейронных сетей", "cp1251"),
        ("cp1252", "Müller, Jürgen: “Quoted” and naïve", "cp1252"),
        ("latin-1", "Sørensen, Åse: Café", "cp1252"),
    ],
)
def test_other_encodings_are_detected(tmp_path: Path, encoding: str, text: str, named: str) -> None:
    path = tmp_path / "old.bib"
    path.write_bytes(f"@misc{{k, title = {{{text}}}}}\n".encode(encoding))
    parsed = parse_file(path)
    assert parsed.entries[0].fields["title"] == text
    (warning,) = parsed.problems
    assert f"read as {named}" in warning.message


# --- runaway macros ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preamble", "use", "count"),
    [
        pytest.param(r"\def\x{\x\x}", r"\x", 300, id="doubling"),
        pytest.param(r"\def\x{\x\x}", r"$\x$", 300, id="doubling-in-math"),
        pytest.param(r"\newcommand{\y}[1]{#1#1}", r"\y{" * 16 + "a" + "}" * 16, 300, id="argument"),
        pytest.param(r"\def\z{}", r"\z" * 7_000, 20, id="empty-many-times"),
    ],
)
def test_a_runaway_macro_is_stopped_reported_and_the_run_goes_on(
    tmp_path: Path, preamble: str, use: str, count: int
) -> None:
    entries = "".join(f"@misc{{e{i}, title = {{A {use} B}}}}\n" for i in range(count))
    source = f'@preamble{{"{preamble}"}}\n{entries}@misc{{fine, title = {{Fine}}}}\n'
    path = write(tmp_path / "bomb.bib", source)
    started = time.perf_counter()
    result = run(path, "--csv", "--config", NO_SETTINGS, "--no-cache")
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0
    rows = csv_records(result.stdout)
    assert len(rows) == count + 1 and rows[-1]["Title"] == "Fine"
    assert all(len(r["Title"]) <= 200_000 for r in rows)
    stopped = [line for line in result.stderr.splitlines() if "was stopped" in line]
    assert len(stopped) == 1, result.stderr
    assert elapsed < 60  # generous: bounded, where it was 2^64 expansions
