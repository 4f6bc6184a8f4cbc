"""What the catalogue page shows of an entry beyond its row: how to cite it, and the chart.

Readers copy an entry's BibTeX into their own ``.bib``, so it is shown as written in the
catalogue's ``.bib`` (the author's layout, macros and all) minus the fields that are the
catalogue keeper's own: the private fields (local files, personal notes, reference managers'
marks; see :mod:`bib2table.bibtex.private`), the category keywords when ``[categories]``
chose them, and abstracts unless asked for. The ``@string`` macros
an entry uses travel once per page, not once per entry, so that a bibliography of thousands of
entries that all use ``ack-nhfb`` stays small; the page puts them in front of the entry it shows.

Links are built only for what is known to be safe: ``http``/``https`` URLs, DOIs (on doi.org)
and arXiv identifiers (on arxiv.org).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence, Sized
from dataclasses import dataclass
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from bib2table.bibtex.addresses import entry_links
from bib2table.bibtex.bibwrite import seen_strings
from bib2table.bibtex.excerpt import Cited, bibtex, hidden_fields
from bib2table.bibtex.private import PRIVATE, Private

if TYPE_CHECKING:
    from bib2table.catalogue.model import Catalogue, Entry

#: ``<``, ``>`` and ``&`` never appear literally in the page's JSON, so ``</script>`` cannot
#: end its block early; U+2028/2029 are escaped for older JSON readers.
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028"}
_JSON_ESCAPES["\u2029"] = "\\u2029"


@dataclass(frozen=True)
class Link:
    """A link the page offers for an entry: what it is (DOI, arXiv, URL), its text, its target."""

    kind: str
    text: str
    href: str


def catalogue_hidden_fields(catalogue: Catalogue, abstract: bool = False) -> Private:
    """:func:`hidden_fields` for a catalogue."""
    return hidden_fields(
        catalogue.categories_configured, catalogue.keyword_fields, abstract, catalogue.private
    )


def bibtex_text(entry: Entry, catalogue: Catalogue | None = None, abstract: bool = False) -> str:
    """The entry's BibTeX ready to paste: the ``@string`` macros it uses, then the entry.

    Without ``catalogue`` only the always-private fields are left out and no macro is added.
    """
    if catalogue is None:
        return bibtex(entry, PRIVATE if abstract else PRIVATE.adding(["abstract"])).text
    cited = bibtex(entry, catalogue_hidden_fields(catalogue, abstract))
    names = _names(catalogue)
    seen = seen_strings(entry, catalogue)
    defined = [(m, seen.get(m)) for m in cited.macros if m in names]
    lines = [_string_line(names[m], v) for m, v in defined if v is not None]
    if not lines:
        return cited.text
    return "\n".join(lines) + "\n\n" + cited.text


def _names(catalogue: Catalogue) -> dict[str, str]:
    """Each ``@string`` macro's name as written, by its lower-case name."""
    return {name.lower(): name for name in catalogue.strings}


@dataclass(frozen=True)
class RowLink:
    """A small labelled link in an entry's row: ``PDF`` or ``Web`` (its url), ``DOI``, ``arXiv``;
    the primary one is printed in full on paper (the DOI, else the url, else the arXiv page)."""

    label: str
    href: str
    primary: bool


_PDF = re.compile(r"\.pdf(?:[?#].*)?$", re.IGNORECASE)


def row_links(entry: Entry) -> tuple[RowLink, ...]:
    """The entry's links as its row shows them: its url first, then its DOI and arXiv page."""
    found = {link.kind: link for link in links(entry)}
    primary = found.get("DOI") or found.get("URL") or found.get("arXiv")
    shown = []
    for kind in ("URL", "DOI", "arXiv"):
        link = found.get(kind)
        if link is not None:
            label = ("PDF" if _PDF.search(link.href) else "Web") if kind == "URL" else kind
            shown.append(RowLink(label, link.href, link is primary))
    return tuple(shown)


def links(entry: Entry) -> tuple[Link, ...]:
    """The entry's DOI, arXiv and web links, each only once and only if it is safe."""
    found = entry.links if entry.links is not None else entry_links(entry.fields)
    return tuple(Link(kind, text, href) for kind, text, href in found)


def cite_data(catalogue: Catalogue, abstract: bool = False) -> Markup:
    """The page's citation data as JSON, safe inside ``<script type="application/json">``.

    ``{"strings": {macro: "@string{…}"}, "entries": [[bibtex, [macro, …]], …]}``, entries in
    the catalogue's order. Only macros that some entry uses are kept; a macro defined twice in
    the ``.bib`` has a key for each value its entries saw (``title``, ``title 2``). (The links
    are in each row, see :func:`row_links`.)
    """
    return cite_script(catalogue, abstract).text


def cite_script(catalogue: Catalogue, abstract: bool = False) -> Script:
    """:func:`cite_data` and where each entry's item is in it (see :class:`Script`)."""
    items = CiteItems(catalogue, abstract)
    rows, firsts = itemised(catalogue.entries, items.item, items.used)
    return script_entries({"strings": items.used}, rows, firsts)


def itemised(
    entries: Sequence[Entry], item: Callable[[Entry], list[Any]], table: Sized
) -> tuple[list[list[Any]], list[int]]:
    """Each entry's ``item``, and, for each name ``table`` gains as they are made (the venues,
    the ``@string`` lines), the entry that first uses it (see :attr:`Script.firsts`)."""
    items = []
    firsts: list[int] = []
    for number, entry in enumerate(entries):
        known = len(table)
        items.append(item(entry))
        firsts += [number] * (len(table) - known)
    return items, firsts


class CiteItems:
    """The page's citation data entry by entry, each ``@string`` line named when an entry first
    needs it; ``used`` (a key for each line, in order) continues from earlier entries' when
    given."""

    def __init__(
        self, catalogue: Catalogue, abstract: bool = False, used: dict[str, str] | None = None
    ) -> None:
        self.catalogue = catalogue
        self.abstract = abstract
        self.hidden = catalogue_hidden_fields(catalogue, abstract)
        self.names = _names(catalogue)
        self.used: dict[str, str] = dict(used or {})
        #: (macro, value) -> its key
        self.values: dict[tuple[str, str], str] = {}
        for key, line in self.used.items():
            pair = _pair(key, line)
            if pair is None:
                raise ValueError(f"not a line of the page's citation data: {line!r}")
            self.values[pair] = key

    def item(self, entry: Entry) -> list[Any]:
        """The entry's item: its BibTeX and the keys of the ``@string`` lines it needs."""
        # The model already made the usual form (cached between runs); with the abstract
        # asked for, or for a catalogue made by hand, it is made here.
        cited = (
            Cited(entry.bibtex, entry.bibtex_macros)
            if entry.bibtex and not self.abstract
            else bibtex(entry, self.hidden)
        )
        macros = _macro_keys(
            entry, cited.macros, self.catalogue, self.names, self.used, self.values
        )
        return [cited.text, macros]


def _pair(key: str, line: str) -> tuple[str, str] | None:
    """The macro (lower case) and value of a line :func:`_string_line` wrote under ``key``."""
    macro = key.split(" ", 1)[0]
    head = "@string{"
    name = line[len(head) : len(head) + len(macro)]
    value = line[len(head) + len(macro) + len(" = {") : -2]
    if name.lower() != macro or _string_line(name, value) != line:
        return None
    return macro, value


def _macro_keys(
    entry: Entry,
    cited: tuple[str, ...],
    catalogue: Catalogue,
    names: dict[str, str],
    used: dict[str, str],
    values: dict[tuple[str, str], str],
) -> list[str]:
    """The keys of the ``@string`` lines ``entry`` needs, each for the value the entry saw;
    a line not yet in ``used`` is added there."""
    keys: list[str] = []
    if not cited:
        return keys
    seen = seen_strings(entry, catalogue)
    for macro in cited:
        value = seen.get(macro) if macro in names else None
        if value is None:
            continue
        key = values.get((macro, value))
        if key is None:
            key = macro if macro not in used else f"{macro} {len(values) + 1}"
            values[(macro, value)] = key
            used[key] = _string_line(names[macro], value)
        keys.append(key)
    return keys


def script_json(value: object) -> Markup:
    """``value`` as JSON that is safe inside ``<script type="application/json">``."""
    return Markup(_safe(_encode(value)))


def _safe(text: str) -> str:
    for unsafe, escaped in _JSON_ESCAPES.items():
        if unsafe in text:
            text = text.replace(unsafe, escaped)
    return text


def _json_encoder() -> Callable[[object], str]:
    """JSON as ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` writes it: with
    the C encoder made once when there is one (one call per entry costs little then)."""
    if c_make_encoder is None:  # pragma: no cover - CPython has it
        encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
        return encoder.encode

    def refuse(value: object) -> None:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")

    made = c_make_encoder(None, refuse, encode_basestring, None, ":", ",", False, False, True)
    return lambda value: "".join(made(value, 0))


_encode = _json_encoder()


@dataclass(frozen=True)
class Script:
    """A page script's JSON (``{…, "entries": [item, …]}``), and where each entry's item is in
    it, so that a later run can put other items in their place (see :mod:`bib2table.snapshot`).
    """

    text: Markup
    #: where each item is in ``text``: start and end, flat
    spans: tuple[int, ...]
    #: for each name in the script's table (the venues, the ``@string`` lines), in order: the
    #: entry whose item first uses it
    firsts: tuple[int, ...]


def script_entries(head: dict[str, Any], items: Sequence[Any], firsts: Sequence[int]) -> Script:
    """``head`` with ``"entries": items`` added last, as :func:`script_json` writes it."""
    text = entries_head(head)
    parts = [text]
    spans: list[int] = []
    at = len(text)
    for number, item in enumerate(items):
        written = _safe(_encode(item))
        if number:
            parts.append(",")
            at += 1
        parts.append(written)
        spans += (at, at + len(written))
        at += len(written)
    parts.append("]}")
    return Script(Markup("".join(parts)), tuple(spans), tuple(firsts))


def entries_head(head: dict[str, Any]) -> str:
    """What :func:`script_entries` writes before the first item."""
    written = _safe(_encode(head))
    return written[:-1] + ("," if head else "") + '"entries":['


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
    tally = catalogue.counted()
    dated = [year for year, count in tally.years.items() if count > 0]
    last = max(dated, default=0)
    first = max(min(dated, default=0), last - max_years + 1)
    years = tuple(range(first, last + 1)) if dated else ()
    series = [_series("All papers", years, tally.years)]
    labels = [c.label for c in catalogue.categories]
    if len(labels) > max_categories:
        labels = []
    for label in labels:
        series.append(_series(label, years, tally.by_category.get(label, {})))
    return YearChart(years, series[0], tuple(series[1:]), tally.total - series[0].total)


def _series(label: str, years: tuple[int, ...], counted: Mapping[int, int]) -> Series:
    counts = tuple(counted.get(y, 0) for y in years)
    peak = max(counts, default=0)
    peak_year = years[counts.index(peak)] if peak else None
    return Series(label, counts, sum(counts), peak_year)
