"""BibTeX values as BibTeX evaluates them, and problems as data with file and line."""

from __future__ import annotations

import pytest

from bib2table.bibtex.parse import parse_text
from bib2table.problems import Severity


def fields(source: str) -> dict[str, str]:
    parsed = parse_text(source, "t.bib")
    assert len(parsed.entries) == 1, parsed.problems
    return parsed.entries[0].fields


@pytest.mark.parametrize(
    ("source", "field", "value"),
    [
        pytest.param('@misc{k, title = "Quoted"}', "title", "Quoted", id="quoted"),
        pytest.param("@misc{k, title = {Braced {Inner}}}", "title", "Braced {Inner}", id="braced"),
        pytest.param("@misc{k, year = 1990}", "year", "1990", id="number"),
        pytest.param("@misc{k, month = jan}", "month", "January", id="month_macro"),
        pytest.param(
            '@string{me = "Doe, J."}@misc{k, author = me # " and " # {Roe, R.}}',
            "author",
            "Doe, J. and Roe, R.",
            id="concatenation",
        ),
        pytest.param(
            '@string{a = "A"}@string{ab = a # "B"}@misc{k, title = ab # {C}}',
            "title",
            "ABC",
            id="string_chain",
        ),
        pytest.param("@MISC{k, TITLE = {Upper}}", "title", "Upper", id="case_insensitive"),
        pytest.param(
            "@misc{k, url = {https://x.org/a%20b~c&d}}",
            "url",
            "https://x.org/a%20b~c&d",
            id="url_untouched",
        ),
    ],
)
def test_values(source: str, field: str, value: str) -> None:
    assert fields(source)[field] == value


def test_duplicate_key_is_reported_with_both_lines() -> None:
    parsed = parse_text("@misc{k, title={A}}\n\n@misc{k, title={B}}\n", "t.bib")
    assert [e.fields["title"] for e in parsed.entries] == ["A"]
    (problem,) = parsed.problems
    assert (problem.file, problem.line, problem.key) == ("t.bib", 3, "k")
    assert "first at line 1" in problem.message
    assert problem.severity is Severity.ERROR


def test_duplicated_field_keeps_entry_with_first_value() -> None:
    parsed = parse_text("@misc{k, title={First}, title={Second}}", "t.bib")
    assert parsed.entries[0].fields["title"] == "First"
    assert [p.severity for p in parsed.problems] == [Severity.WARNING]


def test_undefined_macro_is_empty_and_noted_when_read() -> None:
    fields = parse_text("@misc{k, journal = jacm}", "t.bib").entries[0].fields
    assert fields["journal"] == ""
    assert fields.undefined == ["jacm"]


def test_undefined_macro_is_kept_when_the_settings_say_so() -> None:
    fields = parse_text("@misc{k, journal = jacm}", "t.bib", keep_undefined=True).entries[0].fields
    assert fields["journal"] == "jacm"
    assert fields.undefined == ["jacm"]


def test_entry_without_key_is_reported() -> None:
    parsed = parse_text("@misc{k1, title={A}}\n@misc{, title={B}}\n", "t.bib")
    assert [e.key for e in parsed.entries] == ["k1"]
    assert parsed.problems[0].line == 2
    assert "no key" in parsed.problems[0].message
