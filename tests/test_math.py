"""Math in titles: Unicode text in every text output, MathML Core on the page.

The cell's text (Markdown, CSV, ``--search``, the page's search, sort and copy) is Unicode
where Unicode has the characters; the page draws the same math as MathML built by code, with
every text node escaped; the page check accepts MathML and still refuses what is unsafe.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import hypothesis.strategies as st
import lxml.html
import pytest
from hypothesis import given, settings

from bib2table.bibtex.latex import decode
from bib2table.bibtex.parse import parse_text
from bib2table.catalogue.model import build_catalogue
from bib2table.catalogue.settings import Settings
from bib2table.outputs.clean import check_page, row_fits
from bib2table.outputs.mathml import cell_html
from toolkit import csv_records, run, write


@pytest.mark.parametrize(
    ("source", "text"),
    [
        (r"$O(n \log n)$", "O(n log n)"),
        (r"$\ell_1$", "ℓ₁"),
        (r"$x^2$", "x²"),
        (r"$\mathbb{R}^n$", "ℝⁿ"),
        (r"$\mathcal{O}(n^2)$", "𝒪(n²)"),
        (r"$\frac{1}{2}$", "½"),
        (r"$\frac12$", "½"),
        (r"$\frac{1+\sqrt{5}}{2}$", "(1 + √5)/2"),
        (r"$k$-means", "k-means"),
        (r"$a+b=c$", "a + b = c"),
        (r"$-1$", "−1"),
        (r"$n \log n$", "n log n"),
        (r"$\log_2 n$", "log₂ n"),
        (r"$\sum_{i=1}^n x_i$", "∑ᵢ₌₁ⁿ xᵢ"),
        (r"$e^{-x}$", "e⁻ˣ"),
        (r"$x^{\alpha}$", "xᵅ"),
        (r"$2^{\aleph_0}$", "2^(ℵ₀)"),
        (r"$r_\infty$", "r_∞"),
        (r"$H_2O$", "H₂O"),
        (r"$\hat{x}$", "x̂"),
        (r"$\{0,1\}^n$", "{0, 1}ⁿ"),
        (r"$\text{if } x > 0$", "if x > 0"),
        (r"$\mathbf{x}^\top$", "𝐱ᵀ"),
        (r"\(x^2\)", "x²"),
        (r"\ensuremath{\alpha}-stable", "α-stable"),
        (r"$$E = mc^2$$", "E = mc²"),
        (r"{\$}100 and \$5", "$100 and $5"),
    ],
)
def test_math_as_unicode_text(source: str, text: str) -> None:
    assert decode(source).text == text


def shown(title: str) -> tuple[str, str]:
    """The title's cell text and its HTML on the page."""
    catalogue = build_catalogue(parse_text(f"@misc{{k, title = {{{title}}}}}"), Settings())
    entry = catalogue.entries[0]
    return entry.cells[2], str(cell_html(entry, 2))


def test_the_page_draws_math_as_mathml() -> None:
    text, html = shown(r"An $O(n \log n)$ bound for $\ell_1$ in $\mathbb{R}^n$")
    assert text == "An O(n log n) bound for ℓ₁ in ℝⁿ"
    assert html.startswith(
        'An <math display="inline" aria-label="O(n log n)"><mrow><mi>O</mi><mo lspace="0" '
    )
    assert 'aria-label="ℓ₁"' in html and 'aria-label="ℝⁿ"' in html
    assert "<msub><mi>ℓ</mi><mn>1</mn></msub>" in html
    assert "<msup><mi>ℝ</mi><mi>n</mi></msup>" in html
    assert not check_page(f"<!DOCTYPE html><html><body><p>{html}</p></body></html>")


@pytest.mark.parametrize(
    "title",
    [
        r"$\text{<script>alert(1)</script>}$",
        r"$<img src=x onerror=alert(1)>$",
        r"$\mathrm{</math><script>alert(1)</script>}$",
        r"$\operatorname{\"><svg onload=alert(1)>}$",
        r"<b>$x^{<i>}$</b>",
    ],
)
def test_math_from_a_field_never_becomes_markup(title: str) -> None:
    _, html = shown(title)
    page = lxml.html.document_fromstring(f"<html><body><p>{html}</p></body></html>")
    assert not page.xpath("//script | //img | //svg | //b | //i | //@*[starts-with(name(), 'on')]")
    assert not check_page(f"<!DOCTYPE html><html><body><p>{html}</p></body></html>")


_TOKENS = ["x", "y", "2", "^", "_", "{", "}", "\\alpha", "\\frac", "\\sqrt", "\\mathbb", "+"]
_TOKENS += ["<", ">", "&", '"', "'", "\\text{", "\\log", " ", "\\", "$", "\\left(", "\\right)"]
_TOKENS += ["\\hat", "\\mathcal{", "\\ell", "\\cal", "(", ")", "=", "\\{", "\\}", "%", "#", "-"]
_MATH = st.lists(
    st.sampled_from(_TOKENS),
    max_size=15,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(math=_MATH, before=st.sampled_from(["", "A ", "{"]), after=st.sampled_from(["", " B", "}"]))
def test_any_math_gives_clean_text_and_safe_mathml(math: str, before: str, after: str) -> None:
    """Whatever is between the dollars: no dollar, ^{ or _{ in the text, and MathML that
    the page check accepts and that holds nothing but MathML."""
    title = f"{before}${math}${after}"
    parsed = parse_text(f"@misc{{k, title = {{{title}}}}}")
    if not parsed.entries or parsed.problems:
        return  # its braces do not balance: BibTeX would not read the entry
    text, html = shown(title)
    if "\\$" not in title:
        assert "$" not in text
    if "\\{" not in math and "\\}" not in math:  # literal braces asked for are text
        assert "^{" not in text and "_{" not in text
    assert "\ufffe" not in text and "\uffff" not in text
    page = f"<!DOCTYPE html><html><body><p>{html}</p></body></html>"
    assert check_page(page) == []
    tree = lxml.html.document_fromstring(page)
    allowed = {"html", "head", "body", "p", "math", "mrow", "mi", "mn", "mo", "mtext"}
    allowed |= {"msup", "msub", "msubsup", "mfrac", "msqrt", "mroot", "mover", "mspace"}
    assert {str(e.tag) for e in tree.iter()} <= allowed


@pytest.mark.parametrize(
    ("markup", "fault"),
    [
        ("<math><mi href='javascript:alert(1)'>x</mi></math>", "is not a safe link"),
        ("<math><mi xlink:href='https://x.org'>x</mi></math>", "is not allowed inside <math>"),
        (
            "<math><annotation-xml encoding='text/html'><b>x</b></annotation-xml></math>",
            "annotation-xml",
        ),
        ("<math><maction actiontype='statusline'>x</maction></math>", "maction"),
        ("<math><mtext><img src='x.png'></mtext></math>", "<img> is not allowed"),
        ("<math><mi onclick='alert(1)'>x</mi></math>", "event handler"),
        ("<math><mi style='color:red'>x</mi></math>", "is not allowed inside <math>"),
        ("<math><style>*{}</style></math>", "<style> is not allowed"),
    ],
)
def test_the_page_check_refuses_unsafe_mathml(markup: str, fault: str) -> None:
    faults = check_page(f"<!DOCTYPE html><html><body><p>{markup}</p></body></html>")
    assert any(fault in f for f in faults), faults


def test_text_outputs_carry_unicode_and_the_page_mathml(tmp_path: Path) -> None:
    bib = write(
        tmp_path / "math.bib",
        "@article{k, title = {Sparse $\\ell_1$ recovery in $O(n \\log n)$ time}, year = 2020,"
        " url = {https://example.org/k}}\n",
    )
    config = write(tmp_path / "empty.toml", "")
    csv_out = run(bib, "--csv", "--config", config)
    assert csv_records(csv_out.stdout)[0]["Title"] == "Sparse ℓ₁ recovery in O(n log n) time"
    md = run(bib, "--md", "--config", config).stdout
    assert "Sparse ℓ₁ recovery in O(n log n) time" in md
    html = run(bib, "--html", "--config", config).stdout
    assert '<a href="https://example.org/k">Sparse <math' in html
    found = run(bib, "--csv", "--search", "ℓ₁ recovery", "--config", config).stdout
    assert len(csv_records(found)) == 1


def test_no_raw_math_is_left_in_the_corpus_titles() -> None:
    """Every math span in TeX Live's bibliographies reads without $, ^{ or _{ (the corpus
    sweep checks every cell; this is its math, quickly)."""
    corpus = os.environ.get("BIB2TABLE_CORPUS", "")
    if not corpus:
        return
    spans = 0
    for path in sorted(Path(corpus).rglob("*.bib")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in re.finditer(r"(?<!\\)\$([^$]{1,200}?)(?<!\\)\$", text):
            shown_text = decode(match.group()).text
            assert "^{" not in shown_text and "_{" not in shown_text, match.group()
            spans += 1
    assert spans > 100


def test_rows_with_mathml_keep_the_strict_form() -> None:
    """A row with the MathML bib2table writes is kept between runs like any other row."""
    _, html = shown(r"$\hat{x}^2_1 + \sqrt[3]{y} - \frac12 \log n \text{ if } \{a\}$")
    assert "<math" in html and "<msubsup>" in html and "<mroot>" in html
    assert row_fits(f'<tr id="k"><td>{html}</td></tr>', "html")


@pytest.mark.parametrize(
    "markup",
    [
        "<math><annotation-xml encoding='text/html'><b>x</b></annotation-xml></math>",
        '<math><mi href="javascript:alert(1)">x</mi></math>',
        "<math><maction>x</maction></math>",
        '<math><mi onclick="alert(1)">x</mi></math>',
        "<math><mtext><style>*{}</style></mtext></math>",
        '<math display="inline"><mstyle mathcolor="red">x</mstyle></math>',
        '<math display="inline" aria-label="x"><mstyle mathcolor="red">x</mstyle></math>',
        '<math display="inline" aria-label="x" onfocus="alert(1)"><mi>x</mi></math>',
        '<math display="inline" aria-label=""><mi>x</mi></math><math><mi>y</mi></math>',
        "<svg><mi>x</mi></svg>",
    ],
)
def test_other_mathml_leaves_the_strict_form(markup: str) -> None:
    assert not row_fits(f'<tr id="k"><td>{markup}</td></tr>', "html")


def test_math_is_named_by_its_text_and_the_name_stays_text() -> None:
    """Browsers leave math out of the name of the link around it: each span carries its text
    form as its name, escaped like any text from the .bib."""
    _, html = shown(r"When $a < b$ and $\text{x\"y}$ and $\mathrm{</math><script>}$")
    assert 'aria-label="a &lt; b"' in html
    assert "<script>" not in html and html.count("<math") == 3
    assert row_fits(f'<tr id="k"><td>{html}</td></tr>', "html")
    assert not check_page(f"<!DOCTYPE html><html><body><p>{html}</p></body></html>")
