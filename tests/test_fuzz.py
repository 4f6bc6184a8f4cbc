"""Property tests over generated BibTeX, valid and broken, through the whole pipeline.

The budget is small by default; a longer search:

    BIB2TABLE_FUZZ_EXAMPLES=2000 python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

import lxml.html
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from bib2table import build
from bib2table.problems import Severity

EXAMPLES = int(os.environ.get("BIB2TABLE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Text that exercises every special character of BibTeX, LaTeX, HTML, Markdown and CSV.
SPECIAL = ["\\'e", '\\"{o}', "{\\L}", "\\emph{", "\\foo", "--", "``", "javascript:", "é", "Ł", "😀"]
NASTY = st.sampled_from([*"ab xyz09\\{}\"'#@%&~$^_|`*[]()<>=,;:\t\n\r-", *SPECIAL])
TEXT = st.lists(NASTY, max_size=30).map("".join)
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)


def balanced(text: str) -> str:
    """Make braces balance, as a valid BibTeX value needs."""
    out, depth = [], 0
    for ch in text.replace('"', "'"):
        if ch == "}":
            if depth == 0:
                continue
            depth -= 1
        elif ch == "{":
            depth += 1
        out.append(ch)
    return "".join(out) + "}" * depth


@st.composite
def valid_entry(draw: st.DrawFn, index: int) -> str:
    kind = draw(st.sampled_from(["article", "book", "misc", "inproceedings", "ARTICLE"]))
    names = draw(
        st.lists(
            st.sampled_from(
                [
                    "title",
                    "author",
                    "year",
                    "journal",
                    "keywords",
                    "url",
                    "doi",
                    "booktitle",
                    "note",
                ]
            ),
            unique=True,
            max_size=6,
        )
    )
    fields = []
    for name in names:
        value = balanced(draw(TEXT))
        fields.append(f"  {name} = {{{value}}}")
    return f"@{kind}{{key{index},\n" + ",\n".join(fields) + "\n}\n"


@st.composite
def valid_bib(draw: st.DrawFn) -> tuple[str, int]:
    count = draw(st.integers(min_value=0, max_value=6))
    entries = [draw(valid_entry(i)) for i in range(count)]
    junk = draw(st.lists(st.sampled_from(["% comment\n", "\n", "free text\n"]), max_size=3))
    return "".join(junk) + "".join(entries), count


@st.composite
def broken_bib(draw: st.DrawFn) -> str:
    text, _ = draw(valid_bib())
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        cut = draw(st.integers(min_value=0, max_value=len(text)))
        text = (
            text[:cut]
            + draw(TEXT | st.sampled_from(["@misc{", "}", "{", '"', "@string{a=", "#"]))
            + text[cut:]
        )
    return text


def run(text: str) -> tuple[int, int, dict[str, str]]:
    """Entries rendered, entries reported lost, and the three outputs."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.bib"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        catalogue, outputs = build(path, ["html", "markdown", "csv"], cache=False)
    lost = sum(1 for p in catalogue.problems if p.severity is Severity.ERROR)
    return len(catalogue.entries), lost, {o.format: o.text for o in outputs}


def check_outputs(rendered: int, outputs: dict[str, str]) -> None:
    page = lxml.html.document_fromstring(outputs["html"])
    assert len(page.xpath("//table[@id='catalogue-static']/tbody/tr[@id]")) == rendered
    assert len(list(csv.reader(io.StringIO(outputs["csv"], newline="")))) == rendered + 1
    html = MarkdownIt("commonmark").enable("table").render(outputs["markdown"])
    table = lxml.html.fragment_fromstring(html, create_parent="div").find(".//table")
    assert table is not None
    rows = list(table.iter("tr"))
    assert len(rows) == rendered + 1
    assert {len(row) for row in rows} == {len(rows[0])}


@FUZZ
@given(valid_bib())
def test_valid_bibliographies(bib: tuple[str, int]) -> None:
    text, count = bib
    rendered, lost, outputs = run(text)
    assert rendered + lost == count
    check_outputs(rendered, outputs)


@FUZZ
@given(broken_bib())
def test_broken_bibliographies(text: str) -> None:
    rendered, _, outputs = run(text)
    check_outputs(rendered, outputs)
