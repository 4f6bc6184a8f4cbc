"""Small holes, each closed for its whole class: GitHub log injection, look-alike keys, ids
that collide, codecs that are not text encodings, templates that include themselves, and
addresses that GitHub's Markdown would turn into links."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import lxml.html
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bib2table.bibtex.latex import decode
from bib2table.check import key_skeleton
from bib2table.outputs.render import WORD_JOINER, anchor, md_escape
from toolkit import run, write

# --------------------------------------------------------------------------------------------
# --format github: nothing printed can start a workflow command

#: A workflow command GitHub would act on: ``::name`` at the start of a line.
COMMAND = re.compile(r"^::([a-z-]+)( [^:]*)?::", re.MULTILINE)
NAMES = [
    pytest.param("x\n::error::injected.bib", id="newline"),
    pytest.param("x\r::warning::injected.bib", id="carriage-return"),
    pytest.param("::stop-commands::token.bib", id="leading-colons"),
    pytest.param("a%0A::error::b.bib", id="percent"),
    pytest.param("c,d:e.bib", id="property-separators"),
]


def _unescape(text: str) -> str:
    return (
        text.replace("%0A", "\n")
        .replace("%0D", "\r")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("content", ["ok", "broken", "missing-end"])
def test_github_format_escapes_every_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: str
) -> None:
    text = {
        "ok": "@misc{a, title={T}, year=2001}\n",
        "broken": "@misc{a, title={T}, year=2001}\n@misc{b, title={U}\n",
        "missing-end": "@misc{a, title=",
    }[content]
    (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run(name, "--check", "--format", "github")
    out = result.stdout + result.stderr
    commands = COMMAND.findall(out)
    assert all(kind in ("error", "warning") for kind, _ in commands), out
    for line in result.stdout.splitlines():
        assert line.startswith(("::error ", "::warning ")), line
        file = re.match(r"::\w+ file=([^,]*)", line)
        assert file is not None and _unescape(file.group(1)) == name
    for line in result.stderr.splitlines():
        assert not line.startswith("::"), line
    assert len(result.stderr.splitlines()) == 1, "one summary line, whatever the name"


# --------------------------------------------------------------------------------------------
# --check: look-alike keys


LOOKALIKES = [
    pytest.param("m\u00fcller2020", "mu\u0308ller2020", id="nfc-nfd"),
    pytest.param("smith2020", "smith\u200b2020", id="zero-width-space"),
    pytest.param("smith2020", "smith2020\u202e", id="right-to-left-override"),
    pytest.param("smith2020", "\ufeffsmith2020", id="byte-order-mark"),
    pytest.param("smith2020", "smi\u00adth2020", id="soft-hyphen"),
    pytest.param("smith2020", "\uff53mith2020", id="fullwidth"),
    pytest.param("smith2020", "smith2020\u2066", id="bidi-isolate"),
    pytest.param("smith2020", "smith\u034f2020", id="grapheme-joiner"),
]


@pytest.mark.parametrize(("first", "second"), LOOKALIKES)
def test_check_warns_on_lookalike_keys(tmp_path: Path, first: str, second: str) -> None:
    entries = [f"@misc{{{key}, title={{T}}, year=2001}}\n" for key in (first, second)]
    bib = write(tmp_path / "refs.bib", "".join(entries))
    result = run(bib, "--check")
    assert f"refs.bib:2: {second}: warning: key {second!a} looks the same as {first!a}" in (
        result.stdout
    )


def test_distinct_keys_are_not_lookalikes(tmp_path: Path) -> None:
    bib = write(
        tmp_path / "refs.bib",
        "@misc{smith2020, title={One}, year=2001}\n@misc{smith2020a, title={Two}, year=2002}\n",
    )
    assert "looks the same" not in run(bib, "--check").stdout


@settings(max_examples=100, deadline=None)
@given(
    key=st.text(min_size=1, max_size=12),
    invisible=st.sampled_from(["\u200b", "\u202e", "\u2060", "\u00ad", "\ufe0f"]),
    at=st.integers(0, 12),
)
def test_an_invisible_character_never_makes_a_new_looking_key(
    key: str, invisible: str, at: int
) -> None:
    spliced = key[:at] + invisible + key[at:]
    assert key_skeleton(spliced) == key_skeleton(key)
    nfd = unicodedata.normalize("NFD", key)
    assert key_skeleton(nfd) == key_skeleton(key)


# --------------------------------------------------------------------------------------------
# HTML ids


@settings(max_examples=200, deadline=None)
@given(a=st.text(max_size=8), b=st.text(max_size=8))
@example(a="a b", b="a-b")
@example(a="a\tb", b="a b")
@example(a="", b="entry")
def test_different_keys_get_different_ids(a: str, b: str) -> None:
    if a != b:
        assert anchor(a) != anchor(b)
    assert anchor(a) and not re.search(r"[\t\n\f\r ]", anchor(a))


def test_page_ids_are_unique(tmp_path: Path) -> None:
    keys = ["a b", "a-b", "a~b", "a~20~b", "a\tb"]
    bib = write(
        tmp_path / "refs.bib",
        "".join(f"@misc{{{k}, title={{T{n}}}, year=2001}}\n" for n, k in enumerate(keys)),
    )
    page = run(bib, "--html").stdout
    rows = lxml.html.document_fromstring(page).xpath("//table[@id='catalogue-static']/tbody/tr")
    ids = [str(tr.get("id")) for tr in rows]
    assert len(ids) == len(keys) == len(set(ids))
    assert "a-b" in ids, "an ordinary key is its own id"


# --------------------------------------------------------------------------------------------
# templates that include themselves


SELF_REFERENCES = [
    pytest.param({"t.md.jinja2": '{% include "t.md.jinja2" %}'}, id="include-itself"),
    pytest.param({"t.md.jinja2": '{% extends "t.md.jinja2" %}'}, id="extend-itself"),
    pytest.param({"t.md.jinja2": '{% import "t.md.jinja2" as me %}x'}, id="import-itself"),
    pytest.param(
        {
            "t.md.jinja2": '{% include "u.md.jinja2" %}',
            "u.md.jinja2": '{% include "t.md.jinja2" %}',
        },
        id="include-cycle",
    ),
    pytest.param(
        {"t.md.jinja2": "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}"}, id="macro-calls-itself"
    ),
]


@pytest.mark.parametrize("files", SELF_REFERENCES)
def test_a_template_that_includes_itself_is_a_template_error(
    tmp_path: Path, files: dict[str, str]
) -> None:
    for name, text in files.items():
        write(tmp_path / name, text)
    bib = write(tmp_path / "refs.bib", "@misc{a, title={T}, year=2001}\n")
    out = tmp_path / "out.md"
    result = run(bib, "--md", "--template", tmp_path / "t.md.jinja2", "-o", out)
    assert result.exit_code == 1
    assert "t.md.jinja2: the template includes, extends or imports itself" in result.stderr
    assert not out.exists()


# --------------------------------------------------------------------------------------------
# GitHub's Markdown makes no link from a field

CMARK = shutil.which("cmark-gfm")
needs_cmark = pytest.mark.skipif(
    CMARK is None, reason="cmark-gfm (Debian package cmark-gfm) is not installed"
)
FRAGMENTS = [
    "https://evil.example/x",
    "http://",
    "HTTPS://",
    "ftp://files.example",
    "www.evil.example",
    "WWW.x.org",
    "me@evil.example",
    "mailto:me@evil.example",
    "xmpp:me@evil.example",
    "a.b+c_d-e@f.g.h",
    "@",
    ".",
    ":",
    "/",
    " ",
    "(",
    ")",
    "*",
    "_",
    "x",
    "é",
    "\\",
    "%",
    "+",
    "-",
    "~",
    "#",
    "<",
    ">",
    "[",
    "]",
]


def gfm_cells(markdown: str) -> list[lxml.html.HtmlElement]:
    """The table cells of ``markdown`` as GitHub renders it (cmark-gfm with GitHub's
    extensions)."""
    assert CMARK is not None
    html = subprocess.run(
        [CMARK, "-e", "table", "-e", "autolink", "-e", "strikethrough", "-e", "tagfilter"],
        input=markdown,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return list(lxml.html.fragment_fromstring(html, create_parent="div").iter("td"))


@needs_cmark
@settings(max_examples=int(os.environ.get("BIB2TABLE_FUZZ_EXAMPLES", "40")), deadline=None)
@given(text=st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=8).map("".join))
def test_no_field_becomes_a_link_on_github(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    folder = tmp_path_factory.mktemp("gfm")
    title = text.replace("{", "").replace("}", "")
    bib = write(
        folder / "refs.bib",
        f"@misc{{a, author={{{title}}}, title={{{title}}}, howpublished={{{title}}}, year=2001}}\n",
    )
    markdown = run(bib, "--md").stdout
    cells = gfm_cells(markdown)
    assert cells
    for cell in cells:
        assert cell.xpath(".//a") == [], lxml.html.tostring(cell)
    shown = " ".join(decode(title).text.split())
    venue = cells[3].text_content().replace(WORD_JOINER, "")
    assert venue == shown


@needs_cmark
def test_the_title_link_is_the_only_link(tmp_path: Path) -> None:
    bib = write(
        tmp_path / "refs.bib",
        "@misc{a, author={See www.evil.example}, title={Mail me@evil.example or https://x.y},"
        " url={https://paper.example/1}, year=2001}\n",
    )
    cells = gfm_cells(run(bib, "--md").stdout)
    links = [a.get("href") for cell in cells for a in cell.xpath(".//a")]
    assert links == ["https://paper.example/1"]


def test_md_escape_keeps_text_as_it_reads() -> None:
    assert md_escape("see https://a.b") == "see https\\://a.b"
    assert md_escape("www.a.b") == "www\\.a.b"
    assert md_escape("me@a.b") == f"me{WORD_JOINER}@a.b"
