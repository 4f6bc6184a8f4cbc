"""What the catalogue page's script searches and sorts by, as JSON inside the page.

The page shows each row as the template wrote it, but searches, sorts and copies the entries'
plain Unicode text, which is given here (a cell's markup may differ from its text). Search
looks in the same parts as ``--search`` (see :mod:`bib2table.catalogue.search`), put together by
the page's script in the same way.

``{"columns": [{"label", "kind", "roles"}, …], "categories": [label, …], "venues": [text, …],
"entries": [[key, [cell, …], year, [category index, …], doi, arxiv, [sort name of each names
column, …], venue index or null], …]}``; ``kind`` is ``number``, ``names`` or ``text``;
``roles`` are the prefixes (``author``, ``title``, ``venue``) that look in the column; a venue
is an entry's full journal or book titles joined by ``\\0``, each different one written once,
numbered in the order entries first have them (each item ends with its number, so that the
kept outputs can number them anew: see :mod:`bib2table.snapshot`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

from bib2table.catalogue.cite import Script, itemised, script_entries
from bib2table.catalogue.model import Catalogue, Entry
from bib2table.catalogue.search import SEPARATOR, arxiv_id, full_venues, roles
from bib2table.catalogue.settings import Column


def column_kind(column: Column) -> str:
    """How a column sorts: as a ``number`` (years), as ``names`` (by family name) or as text."""
    if column.fields and column.fields[0] in ("year", "date"):
        return "number"
    return "names" if column.format == "names" else "text"


def page_data(catalogue: Catalogue) -> Markup:
    """The page's search and sort data, JSON safe inside ``<script type="application/json">``."""
    return page_script(catalogue).text


def page_script(catalogue: Catalogue) -> Script:
    """:func:`page_data` and where each entry's item is in it (see :class:`Script`)."""
    items = PageItems(catalogue)
    made, firsts = itemised(catalogue.entries, items.item, items.venues)
    return script_entries(items.head(), made, firsts)


class PageItems:
    """The page's data entry by entry, each venue numbered when an entry first has it;
    ``venues`` (in order) continues from earlier entries' when given."""

    def __init__(self, catalogue: Catalogue, venues: Sequence[str] = ()) -> None:
        labels = [c.label for c in catalogue.categories]
        self.labels = labels
        self.index = {label: n for n, label in enumerate(labels)}
        self.columns = [
            {"label": c.label, "kind": column_kind(c), "roles": sorted(roles(c))}
            for c in catalogue.columns
        ]
        self.names = [n for n, c in enumerate(self.columns) if c["kind"] == "names"]
        self.venues: dict[str, int] = {venue: n for n, venue in enumerate(venues)}

    def item(self, entry: Entry) -> list[Any]:
        """The entry's item (see the module's text)."""
        venue = SEPARATOR.join(full_venues(entry))
        sorts = entry.sort_names or entry.cells
        index, venues = self.index, self.venues
        return [
            entry.key,
            list(entry.cells),
            entry.year,
            [index[label] for label in entry.categories if label in index],
            entry.doi,
            arxiv_id(entry),
            [sorts[n] or entry.cells[n] for n in self.names if n < len(sorts)],
            venues.setdefault(venue, len(venues)) if venue else None,
        ]

    def head(self) -> dict[str, Any]:
        """What comes before the entries: the columns, the categories, the venues."""
        return {"columns": self.columns, "categories": self.labels, "venues": list(self.venues)}
