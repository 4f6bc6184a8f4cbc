"""The catalogue as an awesome list: a section per category, a list item per paper.

This module only arranges the entries (which section, which year, in which order) and gathers
what each item shows; the Markdown template (``templates/markdown/sections.md.jinja2``) holds
the shape and escapes every text.
"""

from __future__ import annotations

from dataclasses import dataclass

from bib2table.catalogue.cite import Link
from bib2table.catalogue.model import Catalogue, Entry
from bib2table.catalogue.settings import VENUE_FIELDS
from bib2table.outputs.fields import authors_text, entry_links, first_text, text

#: The section for papers without a category (merged with a category of that label).
OTHER = "Other"
#: The year heading of papers without a year.
UNDATED = "Undated"


@dataclass(frozen=True)
class Item:
    """One paper as a list item: its linked title, authors, venue, year and labelled links."""

    entry: Entry
    title: str
    url: str
    authors: str
    venue: str
    year: str
    links: tuple[Link, ...]


@dataclass(frozen=True)
class Group:
    """The papers of one year in a section (``heading`` empty: the section without years)."""

    heading: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Section:
    """A category (or "Other") and its papers."""

    label: str
    groups: tuple[Group, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for group in self.groups for item in group.items)


def sections(catalogue: Catalogue) -> list[Section]:
    """The catalogue's sections: one per category with papers, in the settings' order, then
    "Other" for the papers without a category (those join a category labelled "Other" when
    there is one). A paper is under each of its categories, or with ``markdown-repeat =
    false`` only under its first. Within a section the catalogue's order is kept; with
    ``markdown-year-headings`` the papers are grouped by year, newest first."""
    layout = catalogue.layout
    labels = [c.label for c in catalogue.categories]
    other = next((label for label in labels if label.casefold() == OTHER.casefold()), None)
    items = {id(entry): _item(catalogue, entry) for entry in catalogue.entries}
    found = []
    for label in [*labels, *([] if other else [OTHER])]:
        chosen = [
            entry
            for entry in catalogue.entries
            if (label in entry.categories[: None if layout.repeat else 1])
            or (label in (other, OTHER) and not entry.categories)
        ]
        if chosen:
            papers = [items[id(entry)] for entry in chosen]
            groups = _by_year(papers) if layout.year_headings else [Group("", tuple(papers))]
            found.append(Section(label, tuple(groups)))
    return found


def _by_year(items: list[Item]) -> list[Group]:
    """Items grouped by year, newest first, undated last; each group in the given order."""
    years: dict[str, list[Item]] = {}
    for item in items:
        years.setdefault(str(item.entry.year) if item.entry.year else "", []).append(item)
    ordered = sorted((y for y in years if y), key=int, reverse=True)
    groups = [Group(year, tuple(years[year])) for year in ordered]
    if "" in years:
        groups.append(Group(UNDATED, tuple(years[""])))
    return groups


def _item(catalogue: Catalogue, entry: Entry) -> Item:
    layout = catalogue.layout
    return Item(
        entry=entry,
        title=text(catalogue, entry, "title") or entry.key,
        url=entry.url,
        authors=authors_text(catalogue, entry, layout.max_authors),
        venue=first_text(catalogue, entry, VENUE_FIELDS),
        year=str(entry.year) if entry.year else "",
        links=entry_links(entry, layout.code_fields),
    )
