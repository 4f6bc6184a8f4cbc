"""Stage 2: turn parsed entries into a catalogue: display text per column, links, categories.

Only what is displayed is LaTeX-decoded; URLs, DOIs and keys are used as written. Links are
made only for ``http``/``https`` URLs (and for DOIs and arXiv ids, whose links we build).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bib2table.latex import decode, definitions
from bib2table.names import split_names
from bib2table.parse import ParsedBib, ParsedEntry
from bib2table.problems import Problem, Severity
from bib2table.settings import Column, Settings

_SAFE_URL = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)
_YEAR = re.compile(r"\d{4}")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", re.IGNORECASE)


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
    fields: dict[str, str] = field(compare=False)
    raw: str = field(default="", compare=False)


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


class _Display:
    """Decodes displayed text with the file's own macros, and collects what it finds wrong.

    Unknown LaTeX macros are reported once, at their first use, not once per entry.
    """

    def __init__(self, parsed: ParsedBib) -> None:
        self.file = parsed.file
        self.defined = definitions(parsed.preambles)
        self.unknown: dict[str, tuple[int, str]] = {}
        self.problems: list[Problem] = []

    def text(self, entry: ParsedEntry, value: str) -> str:
        decoded = decode(value, self.defined)
        for name in decoded.unknown:
            self.unknown.setdefault(name, (entry.line, entry.key))
        return decoded.text

    def warn(self, entry: ParsedEntry, message: str) -> None:
        self.problems.append(Problem(self.file, entry.line, entry.key, message, Severity.WARNING))

    def all_problems(self) -> list[Problem]:
        if not self.unknown:
            return self.problems
        line, key = min(self.unknown.values())
        names = ", ".join(sorted(self.unknown))
        message = f"unknown LaTeX macros kept as text: {names}"
        return [*self.problems, Problem(self.file, line, key, message, Severity.WARNING)]


def build_catalogue(parsed: ParsedBib, settings: Settings, default_title: str = "") -> Catalogue:
    """Make the catalogue for ``parsed`` as ``settings`` shape it."""
    display = _Display(parsed)
    text = display.text
    keywords_of = {e.key: _keywords(e, settings, text) for e in parsed.entries}
    vocabulary = _vocabulary(settings, keywords_of.values())
    entries = []
    for parsed_entry in parsed.entries:
        keywords = keywords_of[parsed_entry.key]
        labels = {vocabulary[k.lower()] for k in keywords if k.lower() in vocabulary}
        ordered = tuple(dict.fromkeys(vocabulary.values()))
        url, warning = _link(parsed_entry)
        if warning:
            display.warn(parsed_entry, warning)
        entries.append(
            Entry(
                key=parsed_entry.key,
                entry_type=parsed_entry.entry_type,
                line=parsed_entry.line,
                cells=tuple(_cell(parsed_entry, c, display) for c in settings.columns),
                url=url,
                doi=_doi(parsed_entry.fields.get("doi", "")),
                year=_year(parsed_entry.fields),
                marks=tuple(label in labels for label in ordered),
                categories=tuple(label for label in ordered if label in labels),
                keywords=keywords,
                fields=parsed_entry.fields,
                raw=parsed_entry.raw,
            )
        )
    entries = _sorted(entries, settings)
    categories = tuple(
        Category(
            label,
            tuple(k for k, v in vocabulary.items() if v == label),
            sum(label in e.categories for e in entries),
        )
        for label in dict.fromkeys(vocabulary.values())
    )
    return Catalogue(
        title=settings.title or default_title,
        intro=settings.intro,
        columns=settings.columns,
        categories=categories,
        entries=entries,
        problems=[*parsed.problems, *display.all_problems()],
        source=parsed.file,
    )


def _cell(entry: ParsedEntry, column: Column, display: _Display) -> str:
    """Display text of one column: its first non-empty field, decoded."""
    for name in column.fields:
        value = entry.fields.get(name, "").strip()
        if not value:
            continue
        if column.format == "names":
            return _names(entry, value, display)
        if name == "date":
            match = _YEAR.search(value)
            return match.group() if match else display.text(entry, value)
        return display.text(entry, value)
    return ""


def _names(entry: ParsedEntry, value: str, display: _Display) -> str:
    """A name list as "First Last, First Last", with "et al." for ``and others``."""
    names, others = split_names(value)
    for name in names:
        if name.odd:
            display.warn(entry, f"name {name.last!r} is shown as written: {name.odd}")
    shown = ", ".join(display.text(entry, n.display()) for n in names)
    if others:
        return f"{shown} et al." if shown else "et al."
    return shown


def _keywords(
    entry: ParsedEntry, settings: Settings, text: Callable[[ParsedEntry, str], str]
) -> tuple[str, ...]:
    """All keywords of an entry, decoded, in the order written, without repeats."""
    pattern = "|".join(re.escape(s) for s in settings.keyword_separators) or r"\n"
    found: dict[str, str] = {}
    for name in settings.keyword_fields:
        for word in re.split(pattern, entry.fields.get(name, "")):
            word = text(entry, word) if word.strip() else ""
            if word:
                found.setdefault(word.lower(), word)
    return tuple(found.values())


def _vocabulary(settings: Settings, all_keywords: Iterable[tuple[str, ...]]) -> dict[str, str]:
    """keyword (lower case) -> label: the settings' vocabulary, or every keyword found."""
    if settings.categories is not None:
        return dict(settings.categories)
    seen: dict[str, str] = {}
    for keywords in all_keywords:
        for word in keywords:
            seen.setdefault(word.lower(), word)
    return {k: seen[k] for k in sorted(seen, key=lambda k: (k.casefold(), k))}


def _link(entry: ParsedEntry) -> tuple[str, str]:
    """The entry's link and, if its ``url`` could not be used, a warning saying why."""
    raw = entry.fields.get("url", "").strip()
    if raw.startswith("\\url{") and raw.endswith("}"):
        raw = raw[5:-1].strip()
    if raw and _SAFE_URL.match(raw):
        return raw, ""
    warning = f"url {raw[:60]!r} is not an http(s) address; it is not linked" if raw else ""
    doi = _doi(entry.fields.get("doi", ""))
    if doi:
        return "https://doi.org/" + doi, warning
    eprint = entry.fields.get("eprint", "").strip()
    kind = (entry.fields.get("archiveprefix") or entry.fields.get("eprinttype") or "").lower()
    if eprint and kind == "arxiv" and re.fullmatch(r"[\w./-]+", eprint):
        return "https://arxiv.org/abs/" + eprint, warning
    return "", warning


def _doi(value: str) -> str:
    """A bare DOI (``10.…``) from the forms people write, or ``""``."""
    doi = _DOI_PREFIX.sub("", value.strip())
    return doi if re.fullmatch(r"10\.\d{4,9}/\S+", doi) and '"' not in doi else ""


def _year(fields: dict[str, str]) -> int | None:
    """The year as a number, for sorting (from ``year`` or a BibLaTeX ``date``)."""
    for name in ("year", "date"):
        match = _YEAR.search(fields.get(name, ""))
        if match:
            return int(match.group())
    return None


def _sorted(entries: list[Entry], settings: Settings) -> list[Entry]:
    """Sort by the settings' keys (``-`` for descending); no keys keeps the file's order."""
    result = list(entries)
    for spec in reversed(settings.sort):
        name = spec.lstrip("-+").lower()
        result.sort(key=_sort_key(name), reverse=spec.startswith("-"))
    return result


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
