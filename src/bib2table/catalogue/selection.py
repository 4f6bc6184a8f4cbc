"""Choose a slice of the catalogue: by category, by year, by text.

The same selection applies to every output, so the page, the README table and the ``.bib`` cut
for a paper's own bibliography all show the same entries. A selection that matches nothing is
not an error, but a ``--category`` that names no keyword or label of the catalogue is reported
with the closest one, since it is most likely a typo.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from bib2table.catalogue.model import Catalogue, Category, Entry, Vocabulary
from bib2table.catalogue.search import matches, parse, search_text
from bib2table.problems import Problem, Severity


@dataclass(frozen=True)
class Selection:
    """Which entries to keep; every part given must hold (categories: any one of them)."""

    categories: tuple[str, ...] = ()
    since: int | None = None
    until: int | None = None
    #: a query by the page's search rules (see :mod:`bib2table.catalogue.search`)
    search: str = ""

    def __bool__(self) -> bool:
        """Whether anything is selected at all (else every entry is kept)."""
        chosen = (self.categories, self.since is not None, self.until is not None)
        return any(chosen) or bool(parse(self.search))


def select(
    catalogue: Catalogue, selection: Selection, hierarchy: tuple[str, ...] = ()
) -> Catalogue:
    """A copy of ``catalogue`` with only the selected entries (category counts redone).

    ``hierarchy`` are the settings' keyword hierarchy separators: with them, ``--category
    compression`` also selects entries tagged ``compression/pruning``.
    """
    if not selection:
        return catalogue
    paths = Vocabulary({}, hierarchy)
    wanted = {paths.path(c) for c in selection.categories if c.strip()}
    terms = parse(selection.search)
    entries = [
        e
        for e in catalogue.entries
        if (not wanted or wanted & _names(e, paths))
        and _in_years(e, selection)
        and (not terms or matches(terms, search_text(e, catalogue.columns)))
    ]
    categories = tuple(
        Category(c.label, c.keywords, sum(c.label in e.categories for e in entries))
        for c in catalogue.categories
    )
    problems = list(catalogue.problems)
    problems += _unmatched(catalogue, selection.categories, paths)
    return dataclasses.replace(catalogue, entries=entries, categories=categories, problems=problems)


def _names(entry: Entry, paths: Vocabulary) -> set[str]:
    """Everything ``--category`` may name for this entry: its keywords (and, when they are
    hierarchical, each level of them) and its category labels."""
    names = {paths.path(label) for label in entry.categories}
    for keyword in entry.keywords:
        path = paths.path(keyword)
        names.add(path)
        levels = path.split("/") if paths.separators else [path]
        names.update(levels)
        names.update("/".join(levels[: n + 1]) for n in range(len(levels)))
    return names


def _in_years(entry: Entry, selection: Selection) -> bool:
    if selection.since is None and selection.until is None:
        return True
    if entry.year is None:
        return False
    if selection.since is not None and entry.year < selection.since:
        return False
    return selection.until is None or entry.year <= selection.until


def ascii_letters(text: str) -> str:
    """Latin letters without their accents (``Łukasz Müller`` -> ``Lukasz Muller``); other
    characters as they are."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


#: Letters that Unicode does not decompose into a base letter and an accent.
_LETTERS = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE"}
    | {"ß": "ss", "đ": "d", "Đ": "D", "þ": "th", "Þ": "Th", "\u0131": "i", "ð": "d", "Ð": "D"}
)


def _unmatched(catalogue: Catalogue, categories: Iterable[str], paths: Vocabulary) -> list[Problem]:
    """A warning for each ``--category`` that names nothing in the whole catalogue."""
    known: set[str] = set()
    for entry in catalogue.entries:
        known |= _names(entry, paths)
    for category in catalogue.categories:
        known.add(paths.path(category.label))
        known.update(paths.path(k) for k in category.keywords)
    problems = []
    for name in categories:
        if paths.path(name) in known:
            continue
        import difflib

        close = difflib.get_close_matches(paths.path(name), sorted(known), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        message = f"--category {name!r} is no keyword or category of the catalogue{hint}"
        problems.append(Problem(catalogue.source, 0, "", message, Severity.WARNING))
    return problems
