"""The catalogue as CSL-JSON, the interchange format of Zotero, pandoc and citeproc.

One object per entry with CSL variables (https://citeproc-js.readthedocs.io/en/latest/csl-json/
markup.html), in the catalogue's order. What CSL has no variable for — the catalogue's own
categories and the links it shows — goes under ``custom.bib2table``, the place CSL 1.0.2 keeps
for such data. With ``json-shape = "catalogue"`` the items are wrapped in an object with the
catalogue's title and its category list, ready for a site generator's ``data/`` folder.

Text is LaTeX decoded as everywhere else; DOIs are bare, URLs only ``http(s)``. The output is
deterministic: same input, same bytes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bib2table.bibtex.addresses import arxiv_of, arxiv_url, doi_of, web_address
from bib2table.bibtex.names import Name
from bib2table.catalogue.model import Catalogue, Entry
from bib2table.outputs.fields import entry_links, first_text, people, text

#: BibTeX and BibLaTeX entry types -> CSL types; anything else is a "document".
TYPES = {
    "article": "article-journal",
    "suppperiodical": "article-journal",
    "periodical": "periodical",
    "book": "book",
    "mvbook": "book",
    "collection": "book",
    "mvcollection": "book",
    "proceedings": "book",
    "mvproceedings": "book",
    "reference": "book",
    "mvreference": "book",
    "manual": "book",
    "booklet": "pamphlet",
    "inbook": "chapter",
    "bookinbook": "chapter",
    "incollection": "chapter",
    "suppbook": "chapter",
    "suppcollection": "chapter",
    "inreference": "entry-encyclopedia",
    "inproceedings": "paper-conference",
    "conference": "paper-conference",
    "thesis": "thesis",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "report": "report",
    "techreport": "report",
    "unpublished": "manuscript",
    "online": "webpage",
    "electronic": "webpage",
    "www": "webpage",
    "patent": "patent",
    "dataset": "dataset",
    "software": "software",
    "standard": "standard",
    "review": "review",
    "artwork": "graphic",
    "image": "graphic",
    "letter": "personal_communication",
    "legislation": "legislation",
    "jurisdiction": "legal_case",
    "movie": "motion_picture",
    "video": "motion_picture",
    "audio": "song",
    "music": "song",
    "performance": "performance",
    "misc": "document",
}

#: CSL's ``genre`` for BibTeX's thesis types, and for BibLaTeX's ``type`` keys (``type =
#: {phdthesis}``); any other ``type`` of a thesis or report is its genre as written.
_GENRES = {
    "phdthesis": "PhD thesis",
    "mastersthesis": "Master's thesis",
    "mathesis": "Master's thesis",
    "candthesis": "Candidate thesis",
    "techreport": "Technical report",
    "resreport": "Research report",
}
#: Simple fields: CSL variable <- the BibTeX/BibLaTeX fields that can fill it, first wins.
_PLAIN = (
    ("title-short", ("shorttitle",)),
    ("collection-title", ("series",)),
    ("volume", ("volume",)),
    ("page", ("pages",)),
    ("number-of-pages", ("pagetotal",)),
    ("chapter-number", ("chapter",)),
    ("edition", ("edition",)),
    ("version", ("version",)),
    ("publisher-place", ("address", "location")),
    ("event-title", ("eventtitle",)),
    ("ISBN", ("isbn",)),
    ("ISSN", ("issn",)),
    ("language", ("langid", "language")),
    ("note", ("note",)),
)
_PUBLISHERS = ("publisher", "school", "institution", "organization")
_CONTAINERS = ("journal", "journaltitle", "booktitle")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        1,
    )
    for name in names
}
_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_YEAR = re.compile(r"\d{1,4}")
_YEAR_RANGE = re.compile(r"(\d{4})\s*(?:-+|\u2013|\u2014|/)\s*(\d{4})")


def csl_json(catalogue: Catalogue) -> str:
    """The catalogue as JSON text in the shape its settings ask for (``json-shape``)."""
    items = csl_items(catalogue)
    data: Any = items
    if catalogue.layout.json == "catalogue":
        data = {
            "title": catalogue.title,
            "categories": [
                {"label": c.label, "keywords": list(c.keywords), "count": c.count}
                for c in catalogue.categories
            ],
            "items": items,
        }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def csl_items(catalogue: Catalogue) -> list[dict[str, Any]]:
    """One CSL item per entry, in the catalogue's order."""
    return [csl_item(catalogue, entry) for entry in catalogue.entries]


def csl_item(catalogue: Catalogue, entry: Entry) -> dict[str, Any]:
    """One entry as a CSL item: its CSL variables, then ``custom.bib2table``."""
    kind = entry.entry_type.lower()
    arxiv = arxiv_of(entry.fields)
    item: dict[str, Any] = {"id": entry.key, "citation-key": entry.key, "type": _type(kind, arxiv)}
    for role in ("author", "editor", "translator"):
        found, _ = people(catalogue, entry, role)
        if found:
            item[role] = [_name(name) for name in found]
    date = _issued(catalogue, entry)
    if date:
        item["issued"] = date
    title = text(catalogue, entry, "title")
    if title:
        item["title"] = title
    venue = text(catalogue, entry, "venue")
    container = first_text(catalogue, entry, _CONTAINERS) or venue
    if container:
        item["container-title"] = container
        if venue and venue != container:
            item["container-title-short"] = venue
    number = text(catalogue, entry, "number")
    if number:
        item["issue" if kind in ("article", "periodical") else "number"] = number
    for variable, names in _PLAIN:
        value = first_text(catalogue, entry, names)
        if value:
            item[variable] = value
    publisher = first_text(catalogue, entry, _PUBLISHERS)
    if publisher:
        item["publisher"] = publisher
    genre = _GENRES.get(kind, "")
    if kind in ("thesis", "phdthesis", "mastersthesis", "report", "techreport"):
        written = text(catalogue, entry, "type")
        genre = _GENRES.get(written.lower(), written) or genre
    if genre:
        item["genre"] = genre
    doi = doi_of(entry.fields.get("doi", ""))
    if doi:
        item["DOI"] = doi
    url = web_address(entry.fields)[0] or (arxiv_url(arxiv) if arxiv else "")
    if url:
        item["URL"] = url
    links = [
        {"kind": link.kind, "href": link.href}
        for link in entry_links(entry, catalogue.layout.code_fields)
    ]
    item["custom"] = {"bib2table": {"categories": list(entry.categories), "links": links}}
    return item


def _type(kind: str, arxiv: str) -> str:
    """The CSL type; a ``misc`` that is an arXiv paper is a preprint ("article" in CSL)."""
    if kind == "misc" and arxiv:
        return "article"
    return TYPES.get(kind, "document")


def _name(name: Name) -> dict[str, str]:
    """A CSL name: family, given, non-dropping particle (BibTeX's "von"), suffix ("Jr"); a
    name shown as written is a literal."""
    if name.odd:
        return {"literal": name.last}
    parts = {
        "family": name.last,
        "given": name.first,
        "non-dropping-particle": name.von,
        "suffix": name.jr,
    }
    return {key: value for key, value in parts.items() if value}


def _issued(catalogue: Catalogue, entry: Entry) -> dict[str, Any]:
    """CSL's ``issued``: ``date-parts`` from BibLaTeX's ``date`` or from ``year``, ``month``
    and ``day``; a year that is no number (``in press``) as a ``literal``."""
    date = entry.fields.get("date", "").strip()
    if date:
        parts = [_iso(piece.strip()) for piece in date.split("/", 1)]
        if all(parts):
            return {"date-parts": parts}
    year = text(catalogue, entry, "year")
    if not year:
        return {"literal": text(catalogue, entry, "date")} if date else {}
    if not _YEAR.fullmatch(year):
        span = _YEAR_RANGE.fullmatch(year)
        if span:
            return {"date-parts": [[int(span[1])], [int(span[2])]]}
        return {"literal": year}
    found = [int(year)]
    month = _month(text(catalogue, entry, "month"))
    if month:
        found.append(month)
        day = text(catalogue, entry, "day")
        if day.isdigit() and 1 <= int(day) <= 31:
            found.append(int(day))
    return {"date-parts": [found]}


def _iso(value: str) -> list[int]:
    """``2019``, ``2019-05`` or ``2019-05-03`` as date parts; ``[]`` for anything else."""
    match = _ISO_DATE.fullmatch(value)
    if not match:
        return []
    parts = [int(p) for p in match.groups() if p]
    if len(parts) > 1 and not 1 <= parts[1] <= 12:
        return []
    if len(parts) > 2 and not 1 <= parts[2] <= 31:
        return []
    return parts


def _month(value: str) -> int | None:
    """A month as a number, from ``5``, ``May``, ``may``, ``Sept.``."""
    value = value.strip().rstrip(".").lower()
    if value.isdigit():
        return int(value) if 1 <= int(value) <= 12 else None
    return _MONTHS.get(value)
