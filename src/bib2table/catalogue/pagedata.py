"""What the catalogue page's script searches and sorts by, as JSON inside the page.

The page shows each row as the template wrote it, but searches, sorts and copies the entries'
plain Unicode text, which is given here (a cell's markup may differ from its text). Search
looks in the same parts as ``--search`` (see :mod:`bib2table.catalogue.search`), put together by
the page's script in the same way.

``{"columns": [{"label", "kind", "roles"}, …], "categories": [label, …], "venues": [text, …],
"entries": [[key, [cell, …], year, [category index, …], doi, arxiv, venue index or null,
[sort name of each names column, …]], …]}``; ``kind`` is ``number``, ``names`` or ``text``;
``roles`` are the prefixes (``author``, ``title``, ``venue``) that look in the column; a venue
is an entry's full journal or book titles joined by ``\\0``, each different one written once.
"""

from __future__ import annotations

from markupsafe import Markup

from bib2table.catalogue.cite import script_json
from bib2table.catalogue.model import Catalogue
from bib2table.catalogue.search import SEPARATOR, arxiv_id, full_venues, roles
from bib2table.catalogue.settings import Column


def column_kind(column: Column) -> str:
    """How a column sorts: as a ``number`` (years), as ``names`` (by family name) or as text."""
    if column.fields and column.fields[0] in ("year", "date"):
        return "number"
    return "names" if column.format == "names" else "text"


def page_data(catalogue: Catalogue) -> Markup:
    """The page's search and sort data, JSON safe inside ``<script type="application/json">``."""
    labels = [c.label for c in catalogue.categories]
    index = {label: n for n, label in enumerate(labels)}
    columns = [
        {"label": c.label, "kind": column_kind(c), "roles": sorted(roles(c))}
        for c in catalogue.columns
    ]
    names = [n for n, c in enumerate(columns) if c["kind"] == "names"]
    venues: dict[str, int] = {}
    entries = []
    for entry in catalogue.entries:
        venue = SEPARATOR.join(full_venues(entry))
        sorts = entry.sort_names or entry.cells
        entries.append(
            [
                entry.key,
                list(entry.cells),
                entry.year,
                [index[label] for label in entry.categories if label in index],
                entry.doi,
                arxiv_id(entry),
                venues.setdefault(venue, len(venues)) if venue else None,
                [sorts[n] or entry.cells[n] for n in names if n < len(sorts)],
            ]
        )
    return script_json(
        {"columns": columns, "categories": labels, "venues": list(venues), "entries": entries}
    )
