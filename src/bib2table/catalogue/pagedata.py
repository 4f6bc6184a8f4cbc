"""What the catalogue page's script searches and sorts by, as JSON inside the page.

The page shows each row as the template wrote it, but searches, sorts and copies the entries'
plain Unicode text, which is given here (a cell's markup may differ from its text). Search
looks in the same parts as ``--search`` (see :mod:`bib2table.catalogue.search`), put together by
the page's script in the same way.

``{"columns": [{"label", "kind", "roles"}, …], "categories": [label, …], "entries": [[key,
[cell, …], year, [category index, …], doi, arxiv, full venues, [sort name per column, …]], …]}``;
``kind`` is ``number``, ``names`` or ``text``; ``roles`` are the prefixes (``author``, ``title``,
``venue``) that look in the column; full venues are joined by ``\\0``.
"""

from __future__ import annotations

from markupsafe import Markup

from bib2table.bibtex.addresses import arxiv_of
from bib2table.catalogue.cite import script_json
from bib2table.catalogue.model import Catalogue
from bib2table.catalogue.search import SEPARATOR, full_venues, roles
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
    names = [c["kind"] == "names" for c in columns]
    entries = [
        [
            entry.key,
            list(entry.cells),
            entry.year,
            [index[label] for label in entry.categories if label in index],
            entry.doi,
            arxiv_of(entry.fields) if "eprint" in entry.fields else "",
            SEPARATOR.join(full_venues(entry)),
            [
                (sort if sort else cell) if is_names else ""
                for cell, sort, is_names in zip(
                    entry.cells, entry.sort_names or entry.cells, names, strict=False
                )
            ],
        ]
        for entry in catalogue.entries
    ]
    return script_json({"columns": columns, "categories": labels, "entries": entries})
