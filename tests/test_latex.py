"""LaTeX to Unicode for displayed fields: named cases, and text never vanishes."""

from __future__ import annotations

import pytest

from bib2table.bibtex.latex import decode


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        pytest.param(r"{\L}ukasz", "Łukasz", id="special_letter_in_braces"),
        pytest.param(r"{\"o}", "ö", id="umlaut_braced_outside"),
        pytest.param(r"\"{o}", "ö", id="umlaut_braced_inside"),
        pytest.param(r"\"o", "ö", id="umlaut_bare"),
        pytest.param(r"{\'\i}", "í", id="acute_on_dotless_i"),
        pytest.param(r"\v{S}", "Š", id="caron_control_word"),
        pytest.param(r"\c c", "ç", id="cedilla_with_space"),
        pytest.param(r"{\ss}", "ß", id="eszett"),
        pytest.param(r"\H{o}", "ő", id="double_acute"),
        pytest.param(r"{MobileNets}: Efficient", "MobileNets: Efficient", id="case_braces"),
        pytest.param("pages 1--10, a---b", "pages 1–10, a—b", id="dashes"),
        pytest.param("Le~Cun", "Le Cun", id="tie"),
        pytest.param(r"Cats \& Dogs 50\%", "Cats & Dogs 50%", id="escaped_specials"),
        pytest.param(r"The \TeX{}book and \LaTeX", "The TeXbook and LaTeX", id="logos"),
        pytest.param(r"\emph{Deep} \textbf{nets}", "Deep nets", id="font_commands"),
        pytest.param(r"\href{https://x.org/a%20b}{the text}", "the text", id="href_keeps_text"),
        pytest.param(r"\url{https://x.org/~a%20b}", "https://x.org/~a%20b", id="url_verbatim"),
        pytest.param(r"$O(n^2)$ with $\alpha$", "O(n²) with α", id="math_readable"),
        pytest.param("``quoted''", "“quoted”", id="tex_quotes"),
        pytest.param("Cian O'Donnell", "Cian O'Donnell", id="apostrophe_kept"),
        pytest.param("two\n   lines", "two lines", id="whitespace_folded"),
        pytest.param(r"\'{}", "´", id="accent_on_nothing"),
    ],
)
def test_decodes(source: str, shown: str) -> None:
    result = decode(source)
    assert result.text == shown
    assert result.unknown == frozenset()


@pytest.mark.parametrize(
    ("source", "shown", "unknown"),
    [
        pytest.param(r"\foo{kept} text", "kept text", {r"\foo"}, id="argument_kept"),
        pytest.param(r"a \zork b", "a zork b", {r"\zork"}, id="name_kept"),
    ],
)
def test_unknown_macros_keep_their_text_and_are_named(
    source: str, shown: str, unknown: set[str]
) -> None:
    result = decode(source)
    assert result.text == shown
    assert result.unknown == unknown


def test_deep_nesting_finishes() -> None:
    source = r"\emph{" * 500 + "x" + "}" * 500
    assert decode(source).text == "x"
