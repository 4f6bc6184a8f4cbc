"""Text from a .bib is data in every output, and hostile input ends in bounded time and memory."""

from __future__ import annotations

import csv
import io
import resource
from pathlib import Path

import lxml.html
import pytest
from markdown_it import MarkdownIt

from bib2table import build
from bib2table.bibtex.latex import decode

HOSTILE_TITLES = [
    pytest.param("<script>alert(1)</script>", id="script_tag"),
    pytest.param('<img src=x onerror="alert(1)">', id="event_handler"),
    pytest.param("\\{\\{ 7*7 \\}\\} and \\{% raw %\\}", id="template_syntax"),
    pytest.param("a | b | c", id="pipes"),
    pytest.param("`code` and ```fence```", id="backticks"),
    pytest.param("[click](javascript:alert(1))", id="markdown_link"),
    pytest.param("<b>bold</b> &amp; &lt;", id="raw_html_and_entities"),
    pytest.param('"quote\' breaks "attributes', id="quotes"),
]

HOSTILE_URLS = [
    pytest.param("javascript:alert(1)", id="javascript"),
    pytest.param("JaVaScRiPt:alert(1)", id="javascript_mixed_case"),
    pytest.param(" java\tscript:alert(1)", id="javascript_whitespace"),
    pytest.param("&#106;avascript:alert(1)", id="javascript_entity"),
    pytest.param("data:text/html,<script>alert(1)</script>", id="data"),
    pytest.param("vbscript:msgbox(1)", id="vbscript"),
    pytest.param('https://x.org/" onmouseover="alert(1)', id="attribute_break"),
]


def outputs_for(tmp_path: Path, entry: str) -> dict[str, str]:
    source = tmp_path / "hostile.bib"
    source.write_text(entry, encoding="utf-8")
    _, outputs = build(source, ["html", "markdown", "csv"], cache=False)
    return {o.format: o.text for o in outputs}


def page_faults(html: str) -> list[str]:
    document = lxml.html.document_fromstring(html)
    runnable = [s for s in document.iter("script") if s.get("type") != "application/json"]
    faults = [f"script: {s.text[:40]!r}" for s in runnable][1:]  # only the page's own
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            if name.startswith("on"):
                faults.append(f"{element.tag} {name}")
            if name in ("href", "src") and not value.startswith(("https://", "http://", "#")):
                faults.append(f"{element.tag} {name}={value}")
    return faults


def markdown_rows(text: str) -> list[list[str]]:
    html = MarkdownIt("commonmark").enable("table").render(text)
    table = lxml.html.fragment_fromstring(html, create_parent="div").find(".//table")
    assert table is not None
    return [[cell.text_content() for cell in row] for row in table.iter("tr")]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_title_stays_text_everywhere(tmp_path: Path, title: str) -> None:
    shown = decode(title).text  # as LaTeX reads it: backticks are quotes, \{ a brace
    out = outputs_for(tmp_path, f"@misc{{k, title = {{{title}}}, url = {{https://ok.org/}}}}")
    assert page_faults(out["html"]) == []
    document = lxml.html.document_fromstring(out["html"])
    assert document.get_element_by_id("k").text_content().count(shown) >= 1
    rows = markdown_rows(out["markdown"])
    assert all(len(row) == len(rows[0]) for row in rows)
    assert shown in rows[1]
    assert next(csv.DictReader(io.StringIO(out["csv"], newline="")))["Title"] == shown


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_url_is_never_a_link(tmp_path: Path, url: str) -> None:
    out = outputs_for(tmp_path, f"@misc{{k, title = {{T}}, url = {{{url}}}}}")
    assert page_faults(out["html"]) == []
    assert "](" not in out["markdown"].split("| ---")[-1]
    assert next(csv.DictReader(io.StringIO(out["csv"], newline="")))["URL"] == ""


def test_hostile_key_is_escaped_in_ids(tmp_path: Path) -> None:
    out = outputs_for(tmp_path, '@misc{a"><b>x, title = {T}}')
    document = lxml.html.document_fromstring(out["html"])
    rows = document.xpath("//table[@id='catalogue-static']/tbody/tr[@id]")
    assert [row.get("id") for row in rows] == ['a"><b>x']
    assert page_faults(out["html"]) == []


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_spreadsheet_formulas_are_neutralised(tmp_path: Path, start: str) -> None:
    formula = f'{start}HYPERLINK(\\"http://evil\\")'
    out = outputs_for(tmp_path, f"@misc{{k, title = {{{formula}}}, author = {{{start}cmd, A}}}}")
    record = list(csv.reader(io.StringIO(out["csv"], newline="")))[1]
    for cell in record:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_local_file_paths_never_appear(tmp_path: Path) -> None:
    out = outputs_for(
        tmp_path,
        "@article{k, title = {T}, file = {:/home/alice/Zotero/storage/ABCD/secret.pdf:"
        "application/pdf}}\n@article{j, title = {U}, file = {C\\:\\\\Users\\\\bob\\\\secret2.pdf}}",
    )
    for text in out.values():
        assert "secret" not in text
        assert "alice" not in text and "bob" not in text


# --- bounded work -------------------------------------------------------------------------------


def _processor_seconds() -> float:
    """Processor time of this process and its finished children (the forked worker)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_bounded(tmp_path: Path, source: str, seconds: float) -> tuple[int, int]:
    """Entries rendered and problems; fails if the run used more than ``seconds`` of processor
    time. A detector of unbounded work (a run that would take hours or forever), not a speed
    test: each bound is many times what the run needs, and processor time does not grow with
    the machine's load. Speed is measured by scripts/bench-run."""
    path = tmp_path / "big.bib"
    path.write_text(source, encoding="utf-8")
    started = _processor_seconds()
    catalogue, _ = build(path, ["html", "markdown", "csv"], cache=False)
    used = _processor_seconds() - started
    assert used < seconds, f"used {used:.1f} s of processor time"
    return len(catalogue.entries), len(catalogue.problems)


def test_exponential_strings_are_cut(tmp_path: Path) -> None:
    lines = ['@string{s0 = "ab"}']
    lines += [f"@string{{s{k} = s{k - 1} # s{k - 1}}}" for k in range(1, 200)]
    lines.append("@misc{k, title = s199, year = 2000}")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    entries, problems = run_bounded(tmp_path, "\n".join(lines), 30)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert entries == 1
    assert problems >= 1
    assert grown < 400_000  # KiB


def test_circular_strings_and_crossrefs_end(tmp_path: Path) -> None:
    source = (
        "@string{a = b}\n@string{b = a}\n@misc{k, title = a # b}\n"
        "@misc{x, crossref = {y}, title = {X}}\n@misc{y, crossref = {x}, title = {Y}}\n"
    )
    assert run_bounded(tmp_path, source, 10)[0] == 3


@pytest.mark.parametrize(
    "title",
    [
        pytest.param("{" * 20_000 + "x" + "}" * 20_000, id="braces_20000_deep"),
        pytest.param("\\emph{" * 5_000 + "x" + "}" * 5_000, id="commands_5000_deep"),
        pytest.param("\\'" * 5_000 + "e", id="accents_5000_stacked"),
        pytest.param("{" * 5_000 + "x", id="unbalanced_braces"),
    ],
)
def test_deep_nesting_finishes(tmp_path: Path, title: str) -> None:
    entries, _ = run_bounded(
        tmp_path, f"@misc{{k, title = {{{title}}}}}\n@misc{{ok, title={{y}}}}", 30
    )
    assert entries >= 1


def test_fifty_megabyte_field(tmp_path: Path) -> None:
    source = "@misc{k, title = {" + "word " * 10_000_000 + "}, year = 2000}\n"
    entries, problems = run_bounded(tmp_path, source, 60)
    assert entries == 1
    assert problems == 1  # the title is cut, and says so


def test_many_tiny_entries(tmp_path: Path) -> None:
    source = "".join(f"@misc{{k{i}, title={{T{i}}}}}\n" for i in range(100_000))
    assert run_bounded(tmp_path, source, 300) == (100_000, 0)
