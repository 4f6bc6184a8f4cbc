"""An entry's fields as the list and data outputs show them: decoded text, people, links.

The table shows the columns the model made; the awesome-list Markdown and the CSL-JSON data
need more of an entry (each author's name parts, the venue, the code link), read here from
its fields the same way: LaTeX decoded with the ``.bib``'s own ``@preamble`` macros, links
only for ``http``/``https`` addresses, DOIs and arXiv identifiers.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bib2table.bibtex.addresses import is_safe_url, unescape_url
from bib2table.bibtex.latex import decode
from bib2table.bibtex.names import Name, split_names
from bib2table.catalogue.cite import Link, links
from bib2table.catalogue.model import Catalogue, Entry


def text(catalogue: Catalogue, entry: Entry, name: str) -> str:
    """A field's text as a reader sees it: LaTeX decoded, white space folded."""
    value = entry.fields.get(name, "")
    if not value.strip():
        return ""
    return " ".join(decode(value, catalogue.macros).text.split())


def first_text(catalogue: Catalogue, entry: Entry, names: tuple[str, ...]) -> str:
    """The text of the first of ``names`` that is not empty."""
    for name in names:
        found = text(catalogue, entry, name)
        if found:
            return found
    return ""


def people(catalogue: Catalogue, entry: Entry, name: str) -> tuple[list[Name], bool]:
    """The names of an ``author`` or ``editor`` field, each part decoded, and whether the
    list ends in ``and others``. A name to show as it is (``odd`` set, in ``last``) is one
    BibTeX cannot read, or one braced group such as ``{World Health Organization}``."""
    names, others = split_names(entry.fields.get(name, ""))
    return [_decoded(catalogue, n) for n in names], others


def _decoded(catalogue: Catalogue, name: Name) -> Name:
    def shown(part: str) -> str:
        return " ".join(decode(part, catalogue.macros).text.split()) if part else ""

    if name.odd or (not (name.first or name.von or name.jr) and _one_group(name.last)):
        return Name(last=shown(name.last), odd=name.odd or "one braced group")
    return Name(shown(name.first), shown(name.von), shown(name.last), shown(name.jr))


def _one_group(value: str) -> bool:
    """Whether ``value`` is one braced group, ``{…}``, and not a special character ``{\"o}``."""
    if not value.startswith("{") or value.startswith("{\\"):
        return False
    depth = 0
    for index, char in enumerate(value):
        depth += (char == "{") - (char == "}")
        if depth == 0:
            return index == len(value) - 1
    return False


def authors_text(catalogue: Catalogue, entry: Entry, most: int) -> str:
    """The authors (else the editors) as "A, B, C"; more than ``most`` (unless 0) become
    "A et al.", as does a list ending in ``and others``."""
    for name in ("author", "editor"):
        found, others = people(catalogue, entry, name)
        if found:
            break
    shown = [p.display() for p in found]
    if most and len(shown) > most:
        return f"{shown[0]} et al."
    if others:
        return f"{', '.join(shown)} et al." if shown else "et al."
    return ", ".join(shown)


def code_link(entry: Entry, code_fields: tuple[str, ...]) -> str:
    """The first ``http(s)`` address among the ``code_fields`` (``code``, ``github``…)."""
    for name in code_fields:
        url = unescape_url(entry.fields.get(name, "").strip())
        if url.startswith("\\url{") and url.endswith("}"):
            url = url[5:-1].strip()
        if url and is_safe_url(url):
            return url
    return ""


def entry_links(entry: Entry, code_fields: tuple[str, ...]) -> tuple[Link, ...]:
    """Labelled links: the web address (``PDF`` when it is one, else ``URL``), ``DOI``,
    ``arXiv`` and ``Code``, each only once."""
    found = list(links(entry))
    ordered = [
        Link("PDF" if _is_pdf(link.href) else "URL", link.text, link.href)
        for link in found
        if link.kind == "URL"
    ]
    ordered += [link for link in found if link.kind != "URL"]
    code = code_link(entry, code_fields)
    if code and all(code.rstrip("/") != link.href.rstrip("/") for link in ordered):
        ordered.append(Link("Code", code, code))
    return tuple(ordered)


def _is_pdf(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(".pdf")
