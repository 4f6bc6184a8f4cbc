"""Search: one set of rules for the page's search box and for ``--search``.

A query is words and ``"quoted phrases"``, each of which must be found; ``-word`` and
``-"a phrase"`` must not be. ``author:``, ``title:`` and ``venue:`` in front of a word or phrase
look in that part of an entry only; ``year:2016..2019`` keeps a range of years (``2016..`` and
``..2019`` leave one end open, ``2016-2019`` works too) and ``year:2016`` one year. Any other
``name:`` is part of the word (keys such as ``Knuth:TB1-1-1`` are found as typed).

Everything an entry's row shows is searched, with its category labels, the full journal or
book title, its DOI, its arXiv id and its key. Case, accents and typographic quotes and dashes
do not matter, and letters written two ways match both: ``Höppner`` is found by ``hoppner`` and
by ``hoeppner``, ``Straße`` by ``strasse``, ``Łukasz`` by ``lukasz``.

The page's script (``templates/html/search.js``) follows the same rules, step by step; both are
checked against the same examples (``tests/data/search/``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bib2table.bibtex.addresses import arxiv_of
from bib2table.catalogue.model import Entry, venues_of
from bib2table.catalogue.settings import DEFAULT_COLUMNS, Column

#: The prefixes that limit a word to one part of an entry.
FIELDS = ("author", "title", "venue", "year")
#: Fields a column may show that hold a venue (what ``venue:`` looks in): those of the default
#: Venue column, and a few more a catalogue's own columns may use.
VENUE_FIELDS = frozenset(
    {f for column in DEFAULT_COLUMNS if column.label == "Venue" for f in column.fields}
    | {"organization", "series", "eventtitle"}
)

#: White space, as the page's script counts it too (Python's and JavaScript's own differ).
WHITESPACE = " \t\n\r\f\v\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
WHITESPACE += "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_SPACES = re.compile(f"[{WHITESPACE}]+")
_QUOTES = re.compile("[\u201c\u201d\u201e\u201f\u2033]")
_RANGE = re.compile(r"^([0-9]*)(?:\.\.|-)([0-9]*)$")
_YEAR = re.compile(r"^[0-9]{4}$")
#: Combining accents (the block U+0300-U+036F only: other scripts' marks, such as Japanese
#: voicing marks, change the letter and stay).
_ACCENTS = re.compile("[\u0300-\u036f]")
#: Letters that decompose into a vowel and a mark written as a following "e" (or "a") in the
#: other spelling: ä ö ü -> ae oe ue, å -> aa.
_SECOND_SPELLING = re.compile("([aou])\u0308|(a)\u030a")
_NEEDS_SECOND = re.compile("[aou]\u0308|a\u030a|\u00f8")

#: Letters that Unicode does not decompose into a base letter and an accent, and typographic
#: punctuation; applied after lower-casing.
_LETTERS = {
    "\u0142": "l",  # ł
    "\u00f8": "o",  # ø
    "\u00e6": "ae",  # æ
    "\u0153": "oe",  # œ
    "\u00df": "ss",  # ß
    "\u0111": "d",  # đ
    "\u00f0": "d",  # ð
    "\u00fe": "th",  # þ
    "\u0131": "i",  # dotless i
    "\u0127": "h",  # ħ
    "\u03c2": "\u03c3",  # final sigma
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
}
_FIRST = str.maketrans(_LETTERS)
_SECOND = str.maketrans(_LETTERS | {"\u00f8": "oe"})


def fold(text: str) -> str:
    """Text as search compares it: compatibility forms, case and accents gone, white space
    single (``Müller`` -> ``muller``, ``ﬁ`` -> ``fi``)."""
    if text.isascii():
        return _SPACES.sub(" ", text.lower())
    return _fold(_prepare(text), second=False)


def fold_second(text: str) -> str:
    """:func:`fold` with the other spelling of ä, ö, ü, å and ø (``Müller`` -> ``mueller``)."""
    return _fold(_prepare(text), second=True)


def _prepare(text: str) -> str:
    return unicodedata.normalize("NFKD", text).lower()


def _fold(prepared: str, second: bool) -> str:
    if second:
        prepared = _SECOND_SPELLING.sub(_second_spelling, prepared).translate(_SECOND)
    else:
        prepared = prepared.translate(_FIRST)
    return _SPACES.sub(" ", _ACCENTS.sub("", prepared))


def _second_spelling(match: re.Match[str]) -> str:
    return match.group(1) + "e" if match.group(1) else "aa"


@dataclass(frozen=True)
class Folded:
    """A text folded both ways (the second is the first when no letter has two spellings)."""

    first: str
    second: str

    @classmethod
    def of(cls, text: str) -> Folded:
        if text.isascii():
            plain = _SPACES.sub(" ", text.lower())
            return cls(plain, plain)
        prepared = _prepare(text)
        first = _fold(prepared, second=False)
        if not _NEEDS_SECOND.search(prepared):
            return cls(first, first)
        return cls(first, _fold(prepared, second=True))

    def __contains__(self, term: object) -> bool:
        return isinstance(term, Folded) and (term.first in self.first or term.second in self.second)


@dataclass(frozen=True)
class Term:
    """One part of a query: a word or phrase (or a year range) that must, or must not, match."""

    field: str
    text: Folded
    negative: bool = False
    years: tuple[int | None, int | None] | None = None


@dataclass(frozen=True)
class SearchText:
    """What a query looks in, for one entry: all of it, and the parts a prefix names."""

    all: Folded
    author: Folded
    title: Folded
    venue: Folded
    year: int | None


def parse(query: str) -> tuple[Term, ...]:
    """The terms of a query; terms with nothing to look for (``-``, ``""``, ``author:``) are
    left out, so that a query being typed does not empty the list on its own."""
    text = _QUOTES.sub('"', query).replace("\0", "")
    terms = []
    at, end = 0, len(text)
    while at < end:
        while at < end and text[at] in WHITESPACE:
            at += 1
        if at >= end:
            break
        if text[at] == "-" and (at + 1 == end or text[at + 1] in WHITESPACE):
            at += 1  # a dash alone leaves nothing out
            continue
        negative = text[at] == "-"
        if negative:
            at += 1
        field = next((f for f in FIELDS if text[at : at + len(f) + 1].lower() == f + ":"), "")
        at += len(field) + 1 if field else 0
        if at < end and text[at] == '"':
            close = text.find('"', at + 1)
            close = end if close < 0 else close
            value, at = text[at + 1 : close], close + 1
        else:
            start = at
            while at < end and text[at] not in WHITESPACE:
                at += 1
            value = text[start:at]
        term = _term(field, value, negative)
        if term is not None:
            terms.append(term)
    return tuple(terms)


def _term(field: str, value: str, negative: bool) -> Term | None:
    folded = Folded.of(value)
    folded = Folded(folded.first.strip(" "), folded.second.strip(" "))
    if not folded.first:
        return None
    if field == "year":
        bounds = _RANGE.match(folded.first)
        if bounds:
            low, high = (int(b) if _YEAR.match(b) else None for b in bounds.groups())
            return Term(field, folded, negative, (low, high))
    return Term(field, folded, negative)


def matches(terms: Sequence[Term], text: SearchText) -> bool:
    """Whether an entry passes every term of a query."""
    return all(_found(term, text) != term.negative for term in terms)


def _found(term: Term, text: SearchText) -> bool:
    if term.field == "year":
        if text.year is None:
            return False
        if term.years is not None:
            low, high = term.years
            return (low is None or text.year >= low) and (high is None or text.year <= high)
        return term.text.first in str(text.year)
    place = text.all if not term.field else getattr(text, term.field)
    return term.text in place


def roles(column: Column) -> frozenset[str]:
    """What ``author:``, ``title:`` and ``venue:`` find in a column."""
    fields = {f.lower() for f in column.fields}
    found = set()
    if column.format == "names" or fields & {"author", "editor"}:
        found.add("author")
    if "title" in fields:
        found.add("title")
    if fields & VENUE_FIELDS:
        found.add("venue")
    return frozenset(found)


def full_venues(entry: Entry) -> tuple[str, ...]:
    """The entry's journal or book title as written in full, decoded, whatever a column shows."""
    return entry.venues if entry.venues is not None else venues_of(entry.fields)


def hidden_parts(entry: Entry) -> tuple[str, ...]:
    """What is searched besides the cells and category labels: the key, DOI and arXiv id."""
    return (entry.key, entry.doi, arxiv_id(entry))


def arxiv_id(entry: Entry) -> str:
    """The entry's arXiv identifier, or ``""``."""
    if entry.arxiv is not None:
        return entry.arxiv
    return arxiv_of(entry.fields) if "eprint" in entry.fields else ""


def search_text(entry: Entry, columns: Sequence[Column]) -> SearchText:
    """Everything a query looks in for ``entry`` (as the page's script puts it together)."""
    venues = full_venues(entry)
    cells = entry.cells

    def part(role: str, extra: Iterable[str] = ()) -> Folded:
        shown = [
            cell for cell, column in zip(cells, columns, strict=False) if role in roles(column)
        ]
        return Folded.of(SEPARATOR.join([*shown, *extra]))

    everything = [*cells, *entry.categories, *hidden_parts(entry), *venues]
    return SearchText(
        all=Folded.of(SEPARATOR.join(everything)),
        author=part("author"),
        title=part("title"),
        venue=part("venue", venues),
        year=entry.year,
    )


#: Between the parts of an entry's text, so that a phrase never runs from one into the next.
SEPARATOR = "\0"
