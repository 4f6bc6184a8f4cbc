"""Stage 2: turn parsed entries into a catalogue: display text per column, links, categories.

Only what is displayed is LaTeX-decoded; URLs, DOIs and keys are used as written. Links are
made only for ``http``/``https`` URLs (and for DOIs and arXiv ids, whose links we build).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bib2table.bibtex.addresses import (
    arxiv_of,
    arxiv_url,
    doi_of,
    doi_url,
    is_safe_url,
    links_of,
    web_address,
)
from bib2table.bibtex.excerpt import bibtex, hidden_fields
from bib2table.bibtex.formula import is_tree
from bib2table.bibtex.latex import (
    ENTRY_EXPANSION,
    FILE_EXPANSION,
    Budget,
    Definition,
    FileBudget,
    decode,
    definitions,
)
from bib2table.bibtex.names import Name, split_names
from bib2table.bibtex.parse import ParsedBib, ParsedEntry
from bib2table.bibtex.private import PRIVATE, Private, PublicFields
from bib2table.cache import Cache, digest
from bib2table.catalogue.settings import Column, Layout, Settings
from bib2table.problems import Problem, Severity
from bib2table.workers import map_in_halves

_YEAR = re.compile(r"\d{4}")
#: BibTeX escapes some exporters (Mendeley) put into URLs: ``{\_}``, ``\%``, ``{\~{}}``.


@dataclass(frozen=True)
class Category:
    """A category column: its label, the keywords that mark it, and how many entries it has."""

    label: str
    keywords: tuple[str, ...]
    count: int


@dataclass(frozen=True)
class Entry:
    """One catalogue row, ready for any template."""

    key: str
    entry_type: str
    line: int
    cells: tuple[str, ...]
    url: str
    doi: str
    year: int | None
    marks: tuple[bool, ...]
    categories: tuple[str, ...]
    keywords: tuple[str, ...]
    #: the field values as read (LaTeX in them), without the private fields
    fields: Mapping[str, str] = field(compare=False)
    raw: str = field(default="", compare=False)
    #: The entry's BibTeX as a reader may copy it (see :mod:`bib2table.catalogue.cite`), and the
    #: ``@string`` macros (lower case) it uses.
    bibtex: str = field(default="", compare=False)
    bibtex_macros: tuple[str, ...] = field(default=(), compare=False)
    #: Per column, what the page sorts a name list by: BibTeX's sort name ("von Last, First;
    #: ..."); empty for other columns.
    sort_names: tuple[str, ...] = field(default=(), compare=False)
    #: the entry's DOI, arXiv and web links: (kind, text, address), each safe; ``None``: not
    #: known yet (read from ``fields`` when asked for)
    links: tuple[tuple[str, str, str], ...] | None = field(default=None, compare=False)
    #: a key for everything the entry is made of (its text, the strings and settings it is
    #: read with), for keeping what is made from it; empty when not known
    digest: str = field(default="", compare=False)
    #: the file the entry is in, when several files make the bibliography
    file: str = field(default="", compare=False)
    #: the ``@string`` macros as this entry sees them (those defined before it, as in BibTeX)
    strings: Mapping[str, str] = field(default_factory=dict, compare=False)
    #: empty when no cell holds math; else per cell ``None`` or its pieces, text and math trees
    #: (see :mod:`bib2table.bibtex.formula`), for the page to draw the math as MathML
    math: tuple[Any, ...] = field(default=(), compare=False)
    #: the journal or book titles written in full, decoded, and the arXiv identifier (what the
    #: page searches besides the cells); ``None``: not known yet (read from ``fields``)
    venues: tuple[str, ...] | None = field(default=None, compare=False)
    arxiv: str | None = field(default=None, compare=False)
    #: the LaTeX macros of its shown fields that bib2table does not know (kept as text)
    unknown: tuple[str, ...] = field(default=(), compare=False)


#: The start of the warning that lists the unknown LaTeX macros of every entry.
UNKNOWN_MACROS = "unknown LaTeX macros kept as text: "

#: Venue fields searched in full even when a column shows a short name instead.
FULL_VENUE_FIELDS = ("journal", "journaltitle", "booktitle", "howpublished")


def venues_of(fields: Mapping[str, str]) -> tuple[str, ...]:
    """The journal or book titles written in full, decoded (whatever a column shows)."""
    values = (fields.get(name, "").strip() for name in FULL_VENUE_FIELDS)
    return tuple(decode(value).text for value in values if value)


@dataclass
class Catalogue:
    """Everything the templates see: settings-derived shape plus the entries and problems."""

    title: str
    intro: str
    columns: tuple[Column, ...]
    categories: tuple[Category, ...]
    entries: list[Entry]
    problems: list[Problem]
    source: str
    #: the fields holding categories; with ``[categories]`` set they are the catalogue's own
    #: bookkeeping, which the page's BibTeX leaves out
    keyword_fields: tuple[str, ...] = ()
    categories_configured: bool = False
    #: the ``@string`` macros of the ``.bib``, resolved, for the BibTeX the page shows
    strings: dict[str, str] = field(default_factory=dict)
    #: the fields no output shows (see :mod:`bib2table.bibtex.private`)
    private: Private = PRIVATE
    #: how the Markdown list and the JSON data are arranged
    layout: Layout = field(default_factory=Layout)
    #: the LaTeX macros the ``.bib``'s ``@preamble`` defines, to decode more fields by
    macros: Mapping[str, Definition] = field(default_factory=dict, compare=False)
    #: how many of ``problems`` tell of several entries at once (undefined or runaway macros,
    #: too many keywords): what one entry's edit may change without naming it (the unknown
    #: LaTeX macros are told by each entry's ``unknown``)
    shared_problems: int = field(default=0, compare=False)
    #: what the totals and the chart count when ``entries`` holds only some of the entries (the
    #: first rows of a page put around rows kept from the last run); ``None``: ``entries``
    tally: Tally | None = field(default=None, compare=False)

    @property
    def total(self) -> int:
        """How many entries the catalogue has."""
        return self.tally.total if self.tally is not None else len(self.entries)

    def counted(self) -> Tally:
        """What the totals and the chart count (see :class:`Tally`)."""
        return self.tally if self.tally is not None else Tally.of(self.entries)


@dataclass(frozen=True)
class Tally:
    """How many entries there are, and how many have each year: in all, and per category."""

    total: int
    #: year -> entries with that year
    years: dict[int, int]
    #: category label -> year -> entries of the category with that year
    by_category: dict[str, dict[int, int]]

    @classmethod
    def of(cls, entries: Iterable[Entry]) -> Tally:
        total = 0
        years: dict[int, int] = {}
        by_category: dict[str, dict[int, int]] = {}
        for entry in entries:
            total += 1
            year = entry.year
            if year is None:
                continue
            years[year] = years.get(year, 0) + 1
            for label in entry.categories:
                counts = by_category.setdefault(label, {})
                counts[year] = counts.get(year, 0) + 1
        return cls(total, years, by_category)

    def changed(
        self,
        gone: Iterable[tuple[int | None, Iterable[str]]],
        added: Iterable[tuple[int | None, Iterable[str]]],
    ) -> Tally:
        """The tally with entries of these years and categories gone and added."""
        years = dict(self.years)
        by_category = {label: dict(counts) for label, counts in self.by_category.items()}
        total = self.total
        for step, entries in ((-1, gone), (1, added)):
            for year, labels in entries:
                total += step
                if year is None:
                    continue
                years[year] = years.get(year, 0) + step
                for label in labels:
                    counts = by_category.setdefault(label, {})
                    counts[year] = counts.get(year, 0) + step
        return Tally(
            total,
            {y: n for y, n in years.items() if n},
            {
                label: {y: n for y, n in counts.items() if n}
                for label, counts in by_category.items()
            },
        )


#: A cell's text and, when it holds math, its pieces (text and math trees).
Rich = tuple[str, tuple[Any, ...] | None]


class _Collector:
    """Decodes one entry's displayed text, collecting unknown macros and warnings on the way."""

    def __init__(self, defined: Mapping[str, Definition], budget: FileBudget) -> None:
        self.defined = defined
        self.unknown: set[str] = set()
        self.warnings: list[str] = []
        self.budget = Budget(budget)

    def text(self, value: str) -> str:
        return self.rich(value)[0]

    def rich(self, value: str) -> Rich:
        decoded = decode(value, self.defined, self.budget)
        self.unknown |= decoded.unknown
        return decoded.text, decoded.math


@dataclass(frozen=True)
class _Record:
    """What the model makes of one entry on its own: plain data, so it can be cached."""

    cells: tuple[str, ...]
    url: str
    keywords: tuple[str, ...]
    warnings: tuple[str, ...]
    unknown: tuple[str, ...]
    bibtex: str
    bibtex_macros: tuple[str, ...]
    doi: str
    year: int | None
    links: tuple[tuple[str, str, str], ...]
    sort_names: tuple[str, ...]
    #: the undefined ``@string`` macros the shown fields use
    undefined: tuple[str, ...] = ()
    #: per cell, its math pieces (see :attr:`Entry.math`); empty when no cell holds math
    math: tuple[Any, ...] = ()
    #: the file's macros whose expansion was stopped (they grow without end?)
    stopped: tuple[str, ...] = ()
    #: the full journal or book titles and the arXiv identifier (see :class:`Entry`)
    venues: tuple[str, ...] = ()
    arxiv: str = ""

    def dump(self) -> list[Any]:
        return [
            self.cells,
            self.url,
            self.keywords,
            self.warnings,
            self.unknown,
            self.bibtex,
            self.bibtex_macros,
            self.doi,
            self.year,
            self.links,
            self.sort_names,
            self.undefined,
            self.math,
            self.stopped,
            self.venues,
            self.arxiv,
        ]

    @classmethod
    def load(cls, data: Any, width: int) -> _Record | None:
        """A record from the cache, or ``None`` when it does not have the shape of one or its
        links break the link rules (only ``http``/``https``): such a value is not used."""
        if not (isinstance(data, list) and len(data) == 16):
            return None
        cells, url, keywords, warnings, unknown, text, macros, doi, year, links = data[:10]
        sorts, undefined, math, stopped, venues, arxiv = data[10:]
        if not (
            _strings(cells, width)
            and isinstance(url, str)
            and (not url or is_safe_url(url))
            and _strings(keywords)
            and _strings(warnings)
            and _strings(unknown)
            and isinstance(text, str)
            and _strings(macros)
            and isinstance(doi, str)
            and (not doi or doi_of(doi) == doi)
            and (year is None or type(year) is int)
            and type(links) is list
            and all(_strings(link, 3) and is_safe_url(link[2]) for link in links)
            and _strings(sorts, width)
            and _strings(undefined)
            and _strings(stopped)
            and _math_cells(math, width)
            and _strings(venues)
            and isinstance(arxiv, str)
            and (not arxiv or arxiv_of({"archiveprefix": "arXiv", "eprint": arxiv}) == arxiv)
        ):
            return None
        return cls(
            tuple(cells),
            url,
            tuple(keywords),
            tuple(warnings),
            tuple(unknown),
            text,
            tuple(macros),
            doi,
            year,
            tuple((kind, shown, href) for kind, shown, href in links),
            tuple(sorts),
            tuple(undefined),
            tuple(math),
            tuple(stopped),
            tuple(venues),
            arxiv,
        )


def _math_cells(value: Any, width: int) -> bool:
    """Whether a cached record's math is empty, or per cell ``None`` or text and math trees."""
    if type(value) is not list:
        return False
    if not value:
        return True
    return len(value) == width and all(
        cell is None or (type(cell) is list and all(isinstance(p, str) or is_tree(p) for p in cell))
        for cell in value
    )


def _strings(value: Any, length: int | None = None) -> bool:
    """Whether ``value`` is a list of strings (of ``length`` items, when given)."""
    if type(value) is not list or (length is not None and len(value) != length):
        return False
    try:
        "".join(value)  # a TypeError unless every item is a string, at C speed
    except TypeError:
        return False
    return True


def build_catalogue(
    parsed: ParsedBib,
    settings: Settings,
    default_title: str = "",
    cache: Cache | None = None,
    vocabulary: dict[str, str] | None = None,
) -> Catalogue:
    """Make the catalogue for ``parsed`` as ``settings`` shape it.

    ``vocabulary`` (keyword -> label), when the settings leave the categories to the keywords
    found, is the one found in a larger file that ``parsed`` is a part of."""
    defined = definitions(parsed.preambles)
    shape = (
        settings.columns,
        settings.keyword_fields,
        settings.keyword_separators,
        settings.categories is not None,
        settings.private.key(),
    )
    context = digest(shape, sorted(defined.items()), parsed.string_history, settings.keep_undefined)
    records, digests = _records(parsed.entries, settings, defined, cache, context)
    given = vocabulary is not None and settings.categories is None
    if vocabulary is None or settings.categories is not None:
        vocabulary = _vocabulary(settings, (r.keywords for r in records))
    problems = list(parsed.problems)
    if not given and settings.categories is None and len(vocabulary) > MAX_AUTOMATIC_CATEGORIES:
        message = (
            f"{len(vocabulary):,} different keywords are too many to make a column of each; "
            "choose the categories in bib2table.toml ([categories])"
        )
        problems.append(Problem(parsed.file, 0, "", message, Severity.WARNING))
        vocabulary = {}
    shared = len(problems) - len(parsed.problems)
    lookup = Vocabulary(vocabulary, settings.keyword_hierarchy)
    ordered = tuple(dict.fromkeys(vocabulary.values()))
    unknown: dict[str, tuple[int, str]] = {}
    stopped: dict[str, tuple[str, int, str, int]] = {}
    undefined = dict(parsed.undefined)
    uses: dict[tuple[str, str], int] = {}
    entries = []
    for parsed_entry, record, entry_digest in zip(parsed.entries, records, digests, strict=True):
        line, key, file = parsed_entry.line, parsed_entry.key, parsed_entry.file or parsed.file
        problems += [Problem(file, line, key, w, Severity.WARNING) for w in record.warnings]
        for name in record.unknown:
            unknown.setdefault(name, (line, key))
        for name in record.stopped:
            first = stopped.setdefault(name, (file, line, key, 0))
            stopped[name] = (*first[:3], first[3] + 1)
        for name in record.undefined:
            where = (file, name.lower())
            uses[where] = uses.get(where, 0) + 1
            if where not in undefined:
                later = _defined_later(parsed_entry.fields, name)
                undefined[where] = (line, key, later)
        entries.append(_entry(parsed_entry, record, entry_digest, settings, lookup, ordered, file))
    shared -= len(problems)
    problems += _undefined_problems(undefined, uses, settings.keep_undefined)
    for name, (file, line, key, count) in stopped.items():
        message = (
            f"expanding {name} was stopped: the file's macros may expand to "
            f"{ENTRY_EXPANSION:,} characters per entry and {FILE_EXPANSION:,} in all "
            f"(does {name} expand into itself?); {count} "
            f"{'entry shows' if count == 1 else 'entries show'} it cut short"
        )
        problems.append(Problem(file, line, key, message, Severity.WARNING))
    shared += len(problems)
    if unknown:
        line, key = min(unknown.values())
        message = UNKNOWN_MACROS + ", ".join(sorted(unknown))
        problems.append(Problem(parsed.file, line, key, message, Severity.WARNING))
    entries = _sorted(entries, settings)
    categories = tuple(
        Category(
            label,
            tuple(k for k, v in vocabulary.items() if v == label),
            sum(label in e.categories for e in entries),
        )
        for label in ordered
    )
    return Catalogue(
        title=settings.title or default_title,
        intro=settings.intro,
        columns=settings.columns,
        categories=categories,
        entries=entries,
        problems=problems,
        source=parsed.file,
        keyword_fields=settings.keyword_fields,
        categories_configured=settings.categories is not None,
        strings=dict(parsed.strings),
        private=settings.private,
        layout=settings.layout,
        macros=defined,
        shared_problems=shared,
    )


def _entry(
    parsed_entry: ParsedEntry,
    record: _Record,
    entry_digest: str,
    settings: Settings,
    lookup: Vocabulary,
    ordered: tuple[str, ...],
    file: str,
) -> Entry:
    """The catalogue's entry for ``parsed_entry``, marked with the categories in ``ordered``."""
    labels = {label for k in record.keywords if (label := lookup.label(k)) is not None}
    return Entry(
        key=parsed_entry.key,
        entry_type=parsed_entry.entry_type,
        line=parsed_entry.line,
        cells=record.cells,
        url=record.url,
        doi=record.doi,
        year=record.year,
        marks=tuple(label in labels for label in ordered),
        categories=tuple(label for label in ordered if label in labels),
        keywords=record.keywords,
        fields=PublicFields(parsed_entry.fields, settings.private),
        raw=parsed_entry.raw,
        bibtex=record.bibtex,
        bibtex_macros=record.bibtex_macros,
        sort_names=record.sort_names,
        links=record.links,
        digest=entry_digest,
        file=file,
        strings=parsed_entry.fields.strings,
        math=record.math,
        venues=record.venues,
        arxiv=record.arxiv,
        unknown=record.unknown,
    )


def model_entries(
    parsed: list[ParsedEntry],
    settings: Settings,
    defined: Mapping[str, Definition],
    vocabulary: Mapping[str, str],
) -> tuple[list[Entry], list[Problem]] | None:
    """Entries made one by one, as :func:`build_catalogue` makes them within a catalogue whose
    keywords give ``vocabulary`` (see :func:`vocabulary_of`); and their warnings. ``None`` when
    an entry needs what only the whole file says: one of its macros is unknown, an undefined
    ``@string`` or stopped (each reported once per file)."""
    hidden = hidden_fields(
        settings.categories is not None, settings.keyword_fields, private=settings.private
    )
    lookup = Vocabulary(vocabulary, settings.keyword_hierarchy)
    ordered = tuple(dict.fromkeys(vocabulary.values()))
    entries, problems = [], []
    budget = FileBudget()
    for parsed_entry in parsed:
        record = _record(parsed_entry, settings, defined, hidden, budget)
        if record.unknown or record.undefined or record.stopped:
            return None
        line, key = parsed_entry.line, parsed_entry.key
        problems += [Problem("", line, key, w, Severity.WARNING) for w in record.warnings]
        entries.append(
            _entry(parsed_entry, record, "", settings, lookup, ordered, parsed_entry.file)
        )
    return entries, problems


def vocabulary_of(settings: Settings, all_keywords: Iterable[tuple[str, ...]]) -> dict[str, str]:
    """The catalogue's keyword vocabulary (keyword in lower case -> category label) for entries
    with these keywords, in file order; empty when there are too many to make columns of."""
    vocabulary = _vocabulary(settings, all_keywords)
    if settings.categories is None and len(vocabulary) > MAX_AUTOMATIC_CATEGORIES:
        return {}
    return vocabulary


def _defined_later(fields: Any, name: str) -> tuple[str, int] | None:
    """Where an undefined macro is defined after the entry that uses it, if it is."""
    later = getattr(fields.strings, "defined_later", None)
    return later(name) if later is not None else None


def _undefined_problems(
    undefined: Mapping[tuple[str, str], tuple[int, str, tuple[str, int] | None]],
    uses: Mapping[tuple[str, str], int],
    keep: bool,
) -> list[Problem]:
    """One warning per undefined ``@string`` macro and file, at its first use, as BibTeX warns."""
    problems = []
    for (file, name), (line, key, later) in undefined.items():
        shown = "kept as written" if keep else "empty, as BibTeX makes it"
        message = f"undefined @string {name!r} is {shown}"
        if later is not None:
            place = f"line {later[1]}" if later[0] == file else f"{later[0]}:{later[1]}"
            message += f"; it is defined later, at {place}: BibTeX needs it defined before use"
        count = uses.get((file, name), 0)
        if count > 1:
            message += f" ({count} entries use it)"
        problems.append(Problem(file, line, key, message, Severity.WARNING))
    return problems


def _seen(entry: ParsedEntry) -> int:
    """How many ``@string`` definitions the entry comes after (what values it sees)."""
    return int(getattr(entry.fields.strings, "seen", 0))


def _records(
    entries: list[ParsedEntry],
    settings: Settings,
    defined: Mapping[str, Definition],
    cache: Cache | None,
    context: str,
) -> tuple[list[_Record], list[str]]:
    """Each entry's display record: from the cache when its sources and context are unchanged
    (and the stored value fits), else computed (on two cores for a large bibliography); and
    each entry's content key (empty without a cache)."""
    width = len(settings.columns)
    records: list[_Record | None] = [None] * len(entries)
    keys: list[bytes] = []
    if cache is not None:
        keys = [
            cache.key("entry", e.entry_type, e.key, *e.sources, context, str(_seen(e)))
            for e in entries
        ]
        stored = cache.get_many("entries", keys)
        for index, key in enumerate(keys):
            value = stored.get(key)
            if value is not None:
                records[index] = _Record.load(value, width)
    missing = [i for i, record in enumerate(records) if record is None]

    hidden = hidden_fields(
        settings.categories is not None, settings.keyword_fields, private=settings.private
    )
    budget = FileBudget()

    def compute(index: int) -> tuple[_Record, int]:
        """The entry's record, and how much of the file's expansion budget it spent."""
        before = budget.left
        return _record(entries[index], settings, defined, hidden, budget), before - budget.left

    made = map_in_halves(compute, missing)
    # Each core spent from a copy of the file's budget. Up to the entry that would have found
    # it spent, each record is what a plain loop makes; from there on, the entries that spent
    # from it or were stopped are made again, in order, with what a plain loop had left.
    left = FILE_EXPANSION
    for number, (_, spent) in enumerate(made):
        if spent > left:
            budget = FileBudget(left)
            for again in range(number, len(made)):
                record, spent = made[again]
                if spent or record.stopped:
                    made[again] = compute(missing[again])
            break
        left -= spent
    for index, (record, _) in zip(missing, made, strict=True):
        records[index] = record
        if cache is not None:
            cache.put("entries", keys[index], record.dump())
    digests = [key.hex() for key in keys] if keys else [""] * len(entries)
    return [r for r in records if r is not None], digests


def _record(
    entry: ParsedEntry,
    settings: Settings,
    defined: Mapping[str, Definition],
    hidden: Private,
    budget: FileBudget,
) -> _Record:
    """What the model makes of one entry on its own; ``hidden``: what its BibTeX leaves out."""
    collector = _Collector(defined, budget)
    # The entry's link: its url, else its DOI, else its arXiv page (and, if its url could not
    # be used, a warning saying why).
    web, warning = web_address(entry.fields)
    doi = doi_of(entry.fields.get("doi", ""))
    arxiv = arxiv_of(entry.fields)
    url = web or (doi_url(doi) if doi else "") or (arxiv_url(arxiv) if arxiv else "")
    if warning:
        collector.warnings.append(warning)
    cited = bibtex(entry, hidden)
    cells = []
    maths = []
    sorts = []
    for column in settings.columns:
        text, math, sort = _cell(entry, column, collector)
        cells.append(text)
        maths.append(math)
        sorts.append(sort)
    keywords = _keywords(entry, settings, collector)
    stopped = collector.budget.stopped
    public = PublicFields(entry.fields, settings.private)
    return _Record(
        cells=tuple(cells),
        url=url,
        keywords=keywords,
        warnings=(*entry.fields.warnings, *collector.warnings),
        unknown=tuple(sorted(collector.unknown)),
        bibtex=cited.text,
        bibtex_macros=cited.macros,
        doi=doi,
        year=_year(entry.fields),
        links=links_of(doi, arxiv, web),
        sort_names=tuple(sorts),
        undefined=tuple(dict.fromkeys(entry.fields.undefined)) if entry.fields.undefined else (),
        math=tuple(maths) if maths.count(None) < len(maths) else (),
        stopped=tuple(sorted(stopped)) if stopped else (),
        venues=venues_of(public),
        arxiv=arxiv_of(public) if "eprint" in public else "",
    )


def _cell(
    entry: ParsedEntry, column: Column, collector: _Collector
) -> tuple[str, tuple[Any, ...] | None, str]:
    """Display text of one column (its first non-empty field, decoded), its math pieces and,
    for a name list, the text it sorts by."""
    for name in column.fields:
        value = entry.fields.get(name, "").strip()
        if not value:
            continue
        if column.format == "names":
            return _names(value, collector)
        if name == "date":
            match = _YEAR.search(value)
            return (match.group(), None, "") if match else (*collector.rich(value), "")
        return (*collector.rich(value), "")
    return "", None, ""


def _names(value: str, collector: _Collector) -> tuple[str, tuple[Any, ...] | None, str]:
    """A name list as "First Last, First Last", with "et al." for ``and others``, its math
    pieces, and the list as BibTeX sorts it, "von Last, First, Jr; ..." (LaTeX decoded, plain
    text otherwise)."""
    names, others = split_names(value)
    for name in names:
        if name.odd:
            collector.warnings.append(f"name {name.last!r} is shown as written: {name.odd}")
    shown = [collector.rich(n.display()) for n in names]
    sort = "; ".join(_sort_name(n, collector) for n in names)
    text = ", ".join(t for t, _ in shown)
    if others:
        text = f"{text} et al." if text else "et al."
    if not any(m for _, m in shown):
        return text, None, sort
    pieces: list[Any] = []
    for number, (part, math) in enumerate(shown):
        if number:
            pieces.append(", ")
        pieces.extend(math if math else [part])
    if others:
        pieces.append(" et al." if shown else "et al.")
    return text, tuple(pieces), sort


def _sort_name(name: Name, collector: _Collector) -> str:
    """One name as BibTeX's styles sort it: von and last name, then first name, then Jr."""
    if name.odd:
        return collector.text(name.last)
    family = " ".join(p for p in (name.von, name.last) if p)
    return collector.text(", ".join(p for p in (family, name.first, name.jr) if p))


def _keywords(entry: ParsedEntry, settings: Settings, collector: _Collector) -> tuple[str, ...]:
    """All keywords of an entry, decoded, in the order written, without repeats."""
    separators = _separators(settings.keyword_separators)
    found: dict[str, str] = {}
    for name in settings.keyword_fields:
        for word in separators.split(entry.fields.get(name, "")):
            word = collector.text(word) if word.strip() else ""
            if word:
                found.setdefault(word.lower(), word)
    return tuple(found.values())


@functools.lru_cache(maxsize=8)
def _separators(separators: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled pattern for the keyword separators (compiled once, used per entry)."""
    return re.compile("|".join(re.escape(s) for s in separators) or r"\n")


#: Without ``[categories]`` every keyword becomes a column, up to this many; beyond, none.
MAX_AUTOMATIC_CATEGORIES = 24


def _vocabulary(settings: Settings, all_keywords: Iterable[tuple[str, ...]]) -> dict[str, str]:
    """keyword (lower case) -> label: the settings' vocabulary, or every keyword found."""
    if settings.categories is not None:
        return dict(settings.categories)
    seen: dict[str, str] = {}
    for keywords in all_keywords:
        for word in keywords:
            seen.setdefault(word.lower(), word)
    return {k: seen[k] for k in sorted(seen, key=lambda k: (k.casefold(), k))}


class Vocabulary:
    """Finds the category label of a keyword, hierarchical keywords included.

    With hierarchy separators (``/``, ``>``), ``compression/pruning`` and
    ``compression > pruning`` are the same path; a keyword takes the label of the longest end
    of its path that the vocabulary knows: ``compression/pruning``, else ``pruning``.
    """

    def __init__(self, vocabulary: Mapping[str, str], separators: tuple[str, ...] = ()) -> None:
        self.vocabulary = dict(vocabulary)
        self.separators = separators
        self._paths = {self.path(k): v for k, v in vocabulary.items()} if separators else {}

    def path(self, keyword: str) -> str:
        """The keyword in lower case, its levels joined by ``/`` (when there are levels)."""
        folded = " ".join(keyword.lower().split())
        if not self.separators:
            return folded
        levels = _separators(self.separators).split(folded)
        return "/".join(level.strip() for level in levels if level.strip())

    def label(self, keyword: str) -> str | None:
        """The label ``keyword`` marks, or ``None`` when it is outside the vocabulary."""
        folded = " ".join(keyword.lower().split())
        found = self.vocabulary.get(folded)
        if found is not None or not self.separators:
            return found
        levels = self.path(keyword).split("/")
        for start in range(len(levels)):
            found = self._paths.get("/".join(levels[start:]))
            if found is not None:
                return found
        return None


def _year(fields: Mapping[str, str]) -> int | None:
    """The year as a number, for sorting (from ``year`` or a BibLaTeX ``date``)."""
    for name in ("year", "date"):
        match = _YEAR.search(fields.get(name, ""))
        if match:
            return int(match.group())
    return None


def _sorted(
    entries: list[Entry], settings: Settings, known: dict[int, tuple[Any, ...]] | None = None
) -> list[Entry]:
    """Sort by the settings' keys (``-`` for descending); no keys keeps the file's order.
    ``known`` keeps each entry's sort keys (by ``id``) for the next sort of the same entries."""
    result = list(entries)
    specs = list(reversed(settings.sort))
    if known is not None and specs:
        keys = [_sort_key(spec.lstrip("-+").lower()) for spec in specs]
        for entry in result:
            if id(entry) not in known:
                known[id(entry)] = tuple(key(entry) for key in keys)
    for number, spec in enumerate(specs):
        name = spec.lstrip("-+").lower()
        key = _sort_key(name) if known is None else (lambda e, n=number: known[id(e)][n])
        result.sort(key=key, reverse=spec.startswith("-"))
    return result


def sort_entries(
    entries: list[Entry], settings: Settings, known: dict[int, tuple[Any, ...]]
) -> list[Entry]:
    """``entries`` (in file order) in the catalogue's order, as :func:`build_catalogue` sorts
    them; ``known`` keeps each entry's sort keys (by ``id``) between calls."""
    return _sorted(entries, settings, known)


def _sort_key(name: str) -> Callable[[Entry], tuple[int, str]]:
    """Key for one sort field; entries without the field go last either way within a run."""

    def key(entry: Entry) -> tuple[int, str]:
        if name == "year":
            return (entry.year or 0, "")
        value = entry.fields.get(name, "")
        if name in ("author", "editor"):
            names, _ = split_names(value)
            value = " ".join(f"{n.von} {n.last} {n.first}" for n in names)
        return (0, decode(value).text.casefold())

    return key
