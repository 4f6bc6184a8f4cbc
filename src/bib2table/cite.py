"""What the catalogue page shows of an entry beyond its row: how to cite it, and the chart.

Readers copy an entry's BibTeX into their own ``.bib``, so it is shown as written in the
catalogue's ``.bib`` (the author's layout, macros and all) minus the fields that are the
catalogue keeper's own bookkeeping: attached files, JabRef groups, Mendeley tags, the category
keywords when ``[categories]`` chose them, and abstracts unless asked for. The ``@string`` macros
an entry uses travel once per page, not once per entry, so that a bibliography of thousands of
entries that all use ``ack-nhfb`` stays small; the page puts them in front of the entry it shows.

Links are built only for what is known to be safe: ``http``/``https`` URLs, DOIs (on doi.org)
and arXiv identifiers (on arxiv.org).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from markupsafe import Markup

from bib2table.addresses import arxiv_of, arxiv_url, doi_of, doi_url, web_address
from bib2table.blocks import closing_quote, matching_brace
from bib2table.parse import split_concatenation

if TYPE_CHECKING:
    from bib2table.model import Catalogue, Entry

#: Fields that are never shown: attached files, JabRef groups, Mendeley's tags and folders.
PRIVATE_FIELDS = frozenset({"file", "groups", "mendeley-tags", "mendeley-groups"})
#: BibTeX's predefined month macros; every style knows them, so they need no ``@string``.
MONTH_MACROS = frozenset(
    {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
)

_HEAD = re.compile(r"\s*@\s*[A-Za-z][^\s{}(),=\"#%@']*\s*([{(])")
_NAME = re.compile(r"([^\s=,{}()\"#%]+)\s*=\s*")
_BARE = re.compile(r"[^\s#,{}()\"%]+")
#: ``<``, ``>`` and ``&`` never appear literally in the page's JSON, so ``</script>`` cannot
#: end its block early; U+2028/2029 are escaped for older JSON readers.
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028"}
_JSON_ESCAPES["\u2029"] = "\\u2029"
_JSON_UNSAFE = re.compile("[<>&\u2028\u2029]")


@dataclass(frozen=True)
class Link:
    """A link the page offers for an entry: what it is (DOI, arXiv, URL), its text, its target."""

    kind: str
    text: str
    href: str


@dataclass(frozen=True)
class Cited:
    """An entry's BibTeX as shown, and the ``@string`` macros (lower case) it needs."""

    text: str
    macros: tuple[str, ...]


@dataclass(frozen=True)
class _Field:
    """One field of a raw entry: its name, its text as written, and where its line starts."""

    name: str
    text: str
    indent: str
    macros: tuple[str, ...]


class Citable(Protocol):
    """What :func:`bibtex` needs of an entry (the parse stage's and the model's both have it)."""

    @property
    def key(self) -> str: ...
    @property
    def entry_type(self) -> str: ...
    @property
    def raw(self) -> str: ...
    @property
    def fields(self) -> Mapping[str, str]: ...


def hidden_fields(
    categories_configured: bool, keyword_fields: Iterable[str], abstract: bool = False
) -> frozenset[str]:
    """The fields left out of the page's BibTeX: private ones, the abstract unless asked for,
    and the category keywords when the settings chose the categories."""
    hidden = set(PRIVATE_FIELDS)
    if not abstract:
        hidden.add("abstract")
    if categories_configured:
        hidden.update(f.lower() for f in keyword_fields)
    return frozenset(hidden)


def catalogue_hidden_fields(catalogue: Catalogue, abstract: bool = False) -> frozenset[str]:
    """:func:`hidden_fields` for a catalogue."""
    return hidden_fields(catalogue.categories_configured, catalogue.keyword_fields, abstract)


def bibtex(entry: Citable, hidden: Collection[str] = PRIVATE_FIELDS) -> Cited:
    """The entry as written in the ``.bib``, without the ``hidden`` fields (lower-case names).

    A field given twice keeps its first value, as BibTeX does. When the raw text cannot be
    read field by field, the entry is written out afresh from its values instead.
    """
    parsed = _split(entry.raw, getattr(entry, "written", ())) if entry.raw else None
    if parsed is None:
        return _rewritten(entry, hidden)
    head, fields, trailing_comma, closer = parsed
    if not fields and not head.endswith(","):
        return Cited(head + closer, ())  # only a key: @index{mineral}
    seen: set[str] = set()
    kept = []
    for item in fields:
        name = item.name.lower()
        if name not in seen and name not in hidden:
            kept.append(item)
        seen.add(name)
    lines = [head]
    for number, item in enumerate(kept, 1):
        comma = "," if number < len(kept) or trailing_comma else ""
        lines.append(f"{item.indent}{item.text}{comma}")
    macros = dict.fromkeys(m for item in kept for m in item.macros)
    return Cited("\n".join(lines) + "\n" + closer, tuple(macros))


def bibtex_text(entry: Entry, catalogue: Catalogue | None = None, abstract: bool = False) -> str:
    """The entry's BibTeX ready to paste: the ``@string`` macros it uses, then the entry.

    Without ``catalogue`` only the always-private fields are left out and no macro is added.
    """
    if catalogue is None:
        return bibtex(entry, PRIVATE_FIELDS if abstract else PRIVATE_FIELDS | {"abstract"}).text
    cited = bibtex(entry, catalogue_hidden_fields(catalogue, abstract))
    strings = {name.lower(): (name, value) for name, value in catalogue.strings.items()}
    lines = [_string_line(*strings[m]) for m in cited.macros if m in strings]
    if not lines:
        return cited.text
    return "\n".join(lines) + "\n\n" + cited.text


def links(entry: Entry) -> tuple[Link, ...]:
    """The entry's DOI, arXiv and web links, each only once and only if it is safe."""
    found: list[Link] = []
    doi = doi_of(entry.fields.get("doi", ""))
    if doi:
        found.append(Link("DOI", doi, doi_url(doi)))
    arxiv = arxiv_of(entry.fields)
    if arxiv:
        found.append(Link("arXiv", arxiv, arxiv_url(arxiv)))
    url, _ = web_address(entry.fields)
    if url and all(url.rstrip("/") != link.href for link in found):
        found.append(Link("URL", url, url))
    return tuple(found)


def cite_data(catalogue: Catalogue, abstract: bool = False) -> Markup:
    """The page's citation data as JSON, safe inside ``<script type="application/json">``.

    ``{"strings": {macro: "@string{…}"}, "entries": [[bibtex, [macro, …], [[kind, href], …]],
    …]}``, entries in the table's order. Only macros that some entry uses are kept.
    """
    hidden = catalogue_hidden_fields(catalogue, abstract)
    strings = {name.lower(): (name, value) for name, value in catalogue.strings.items()}
    used: dict[str, str] = {}
    rows = []
    for entry in catalogue.entries:
        # The model already made the usual form (cached between runs); with the abstract
        # asked for, or for a catalogue made by hand, it is made here.
        if entry.bibtex and not abstract:
            cited = Cited(entry.bibtex, entry.bibtex_macros)
        else:
            cited = bibtex(entry, hidden)
        macros = [m for m in cited.macros if m in strings]
        for macro in macros:
            if macro not in used:
                used[macro] = _string_line(*strings[macro])
        rows.append([cited.text, macros, [[link.kind, link.href] for link in links(entry)]])
    text = json.dumps({"strings": used, "entries": rows}, ensure_ascii=False)
    return Markup(_JSON_UNSAFE.sub(lambda m: _JSON_ESCAPES[m.group()], text))


def _string_line(name: str, value: str) -> str:
    return f"@string{{{name} = {{{value}}}}}"


@dataclass(frozen=True)
class Series:
    """Papers per year of one category (or of all papers), for one row of the chart."""

    label: str
    counts: tuple[int, ...]
    total: int
    peak_year: int | None

    @property
    def peak(self) -> int:
        return max(self.counts, default=0)


@dataclass(frozen=True)
class YearChart:
    """Papers per year from the first year to the last, in all and split by category."""

    years: tuple[int, ...]
    all: Series
    categories: tuple[Series, ...]
    #: papers without a year (or with a year too far from the rest to draw)
    undated: int

    @property
    def category_peak(self) -> int:
        """One scale for all category rows, so that their bars compare."""
        return max((s.peak for s in self.categories), default=0)


def year_chart(catalogue: Catalogue, max_categories: int = 12, max_years: int = 150) -> YearChart:
    """Count papers per year for the page's chart; with more than ``max_categories``
    categories only the total is drawn (a hundred thin rows would say nothing)."""
    dated = [e for e in catalogue.entries if e.year is not None]
    last = max((e.year for e in dated if e.year is not None), default=0)
    first = min((e.year for e in dated if e.year is not None), default=0)
    first = max(first, last - max_years + 1)
    years = tuple(range(first, last + 1)) if dated else ()
    shown = [e for e in dated if e.year is not None and e.year >= first]
    series = [_series("All papers", years, (e.year for e in shown))]
    labels = [c.label for c in catalogue.categories]
    if len(labels) > max_categories:
        labels = []
    for label in labels:
        series.append(_series(label, years, (e.year for e in shown if label in e.categories)))
    return YearChart(years, series[0], tuple(series[1:]), len(catalogue.entries) - len(shown))


def _series(label: str, years: tuple[int, ...], entry_years: Iterable[int | None]) -> Series:
    counted = Counter(entry_years)
    counts = tuple(counted.get(y, 0) for y in years)
    peak = max(counts, default=0)
    peak_year = years[counts.index(peak)] if peak else None
    return Series(label, counts, sum(counts), peak_year)


def _rewritten(entry: Citable, hidden: Collection[str]) -> Cited:
    """The entry written out from its values, for when its raw text is missing or unreadable."""
    lines = [f"@{entry.entry_type}{{{entry.key},"]
    names = [n for n in entry.fields if n.lower() not in hidden]
    for number, name in enumerate(names, 1):
        comma = "," if number < len(names) else ""
        lines.append(f"  {name} = {{{entry.fields[name]}}}{comma}")
    return Cited("\n".join(lines) + "\n}", ())


_GAP = re.compile(r"[\s,]*")
_SPACE = re.compile(r"\s*")


def _split(
    raw: str, written: Sequence[tuple[str, str]] = ()
) -> tuple[str, list[_Field], bool, str] | None:
    """Cut a raw entry into its head (``@type{key,``), fields as written, whether the last
    field has a comma, and the closing delimiter; None if it does not read as an entry.

    ``written``, the fields as the parse stage found them (name, value as written), lets each
    value be taken whole instead of read again piece by piece.
    """
    known = iter(written)
    head = _HEAD.match(raw)
    if head is None:
        return None
    closer = "}" if head.group(1) == "{" else ")"
    comma = raw.find(",", head.end())
    end = raw.find(closer, head.end())
    if comma < 0 or 0 <= end < comma:
        return (raw[:end].rstrip(), [], False, closer) if end >= 0 else None
    fields: list[_Field] = []
    pos, trailing_comma, n = comma + 1, True, len(raw)
    while True:
        start = pos
        pos = _GAP.match(raw, pos).end()  # type: ignore[union-attr]
        if pos < n and raw[pos] == "%":  # a comment line inside the entry: dropped
            end = raw.find("\n", pos)
            pos = n if end < 0 else end
            continue
        if pos >= n or raw[pos] == closer:
            return raw[: comma + 1], fields, trailing_comma, closer
        name = _NAME.match(raw, pos)
        if name is None:
            return None
        gap = raw[start:pos]
        indent = gap[gap.rfind("\n") + 1 :] if "\n" in gap else "  "
        expected = next(known, None)
        if (
            expected is not None
            and expected[0] == name.group(1)
            and raw.startswith(expected[1], name.end())
        ):
            end, macros = name.end() + len(expected[1]), _macros(expected[1])
        else:
            known = iter(())  # out of step: read the rest piece by piece
            end, macros = _value_end(raw, name.end(), closer)
        if end < 0:
            return None
        fields.append(_Field(name.group(1), raw[pos:end], indent, macros))
        pos = end
        while pos < n and raw[pos].isspace():
            pos += 1
        trailing_comma = pos < n and raw[pos] == ","


def _macros(value: str) -> tuple[str, ...]:
    """The ``@string`` macros (lower case) a value as written names."""
    if value[:1] in ("{", '"') and "#" not in value:
        return ()
    found = []
    for piece in split_concatenation(value):
        word = piece.lower()
        if piece[:1] not in ("{", '"') and not word.isdigit() and word not in MONTH_MACROS:
            found.append(word)
    return tuple(found)


def _value_end(raw: str, pos: int, closer: str) -> tuple[int, tuple[str, ...]]:
    """Where a field's value (pieces joined by ``#``) ends, and the macros it names."""
    macros: list[str] = []
    n = len(raw)
    while True:
        while pos < n and raw[pos].isspace():
            pos += 1
        if pos >= n:
            return -1, ()
        if raw[pos] == "{":
            pos = _after_braces(raw, pos)
        elif raw[pos] == '"':
            pos = _after_quote(raw, pos)
        else:
            bare = _BARE.match(raw, pos)
            if bare is None:
                return -1, ()
            word = bare.group().lower()
            if not word.isdigit() and word not in MONTH_MACROS:
                macros.append(word)
            pos = bare.end()
        if pos < 0:
            return -1, ()
        end = pos
        pos = _SPACE.match(raw, pos).end()  # type: ignore[union-attr]
        if pos < n and raw[pos] == "#":
            pos += 1
            continue
        if pos >= n or raw[pos] not in (",", closer):
            return -1, ()
        return end, tuple(macros)


def _after_braces(raw: str, pos: int) -> int:
    """The index after the brace matching the one at ``pos``, or -1."""
    close = matching_brace(raw, pos)
    return close + 1 if close >= 0 else -1


def _after_quote(raw: str, pos: int) -> int:
    """The index after the ``"`` closing a quoted value (outside braces), or -1."""
    close = closing_quote(raw, pos)
    return close + 1 if close >= 0 else -1
