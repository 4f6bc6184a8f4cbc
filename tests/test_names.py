"""BibTeX names shown as "First von Last, Jr"."""

from __future__ import annotations

import pytest

from bib2table.bibtex.names import parse_name, split_names


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        pytest.param("Yann Le Cun", "Yann Le Cun", id="first_last"),
        pytest.param("Le Cun, Yann", "Yann Le Cun", id="last_comma_first"),
        pytest.param("van der Maaten, Laurens", "Laurens van der Maaten", id="von_last_first"),
        pytest.param("Ludwig van Beethoven", "Ludwig van Beethoven", id="first_von_last"),
        pytest.param("Ford, Jr., Henry", "Henry Ford, Jr.", id="last_jr_first"),
        pytest.param("{Barnes and Noble}", "{Barnes and Noble}", id="corporate_braced"),
        pytest.param("Stork, David.G.", "David.G. Stork", id="initials_without_space"),
    ],
)
def test_display(source: str, shown: str) -> None:
    assert parse_name(source).display() == shown


def test_von_part_is_found() -> None:
    name = parse_name("Jean de la Fontaine")
    assert (name.first, name.von, name.last) == ("Jean", "de la", "Fontaine")


def test_list_split_at_top_level_and_only() -> None:
    names, others = split_names("{Barnes and Noble} and Smith, J. AND Doe, Jane and others")
    assert [n.display() for n in names] == ["{Barnes and Noble}", "J. Smith", "Jane Doe"]
    assert others
