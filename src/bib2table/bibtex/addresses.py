"""Where an entry points: its web address, DOI and arXiv id, read once for every output.

Only what is known to be safe becomes a link: ``http``/``https`` URLs, DOIs (on doi.org) and
arXiv identifiers (on arxiv.org). URLs, DOIs and eprints are never LaTeX-decoded; only the
escaping BibTeX needs for ``_ % & # $ ~`` and exporters add (DBLP writes every ``_`` of a DOI
as ``\\_``, Mendeley ``{\\_}``) is undone, as are ``\\url{…}`` and ``\\href{…}{…}`` around an
address. What still holds a backslash after that is not an address.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

_SAFE_URL = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_ARXIV = re.compile(r"(?:arxiv:)?([\w.-]+(?:/\d+)?(?:v\d+)?)", re.IGNORECASE)
# An escaped character (``\\_``, ``{\\_}``, ``\\~{}``, ``{\\~}``, ``\\textunderscore``, …); the
# group that matched says which character it stands for.
_URL_ESCAPE = re.compile(
    r"\{\\([_%&#$~])(?:\{\})?\}"  # {\_}  {\~{}}  {\~}
    r"|\\([_%&#$])"  # \_  \%
    r"|\\~(?:\{\})?"  # \~{}  \~
    r"|\{?\\(textunderscore|textasciitilde|textdollar|textpercent|textampersand|texthash)"
    r"(?:\{\}|\s+|(?![A-Za-z]))\}?"  # \textunderscore{}  {\textasciitilde}
    r"|\$\\sim\$|\\-|\\/"  # $\sim$ (a tilde), hyphenation and ligature breaks
)
_NAMED = {
    "textunderscore": "_",
    "textasciitilde": "~",
    "textdollar": "$",
    "textpercent": "%",
    "textampersand": "&",
    "texthash": "#",
}
_WRAPPED = re.compile(r"\s*\\(?:url|href)\s*\{(.*?)\}(?:\s*\{.*\})?\s*", re.DOTALL)


def unescape_url(url: str) -> str:
    """Undo the BibTeX escaping of ``_ % & # $ ~`` in an address (``{\\_}`` -> ``_``).

    Not LaTeX decoding: only escaped URL characters are touched, so ``%20``, ``~`` and ``&``
    written plainly stay exactly as they are.
    """
    if "\\" not in url:
        return url
    return _URL_ESCAPE.sub(_unescaped, url)


def _unescaped(match: re.Match[str]) -> str:
    text = match.group()
    if match.group(1) or match.group(2):
        return match.group(1) or match.group(2)
    if match.group(3):
        return _NAMED[match.group(3)]
    return "" if text in ("\\-", "\\/") else "~"


def address(value: str) -> str:
    """A field holding an address (``url``, ``doi``, ``eprint``) as the address:
    ``\\url{…}`` or ``\\href{…}{…}`` unwrapped, BibTeX's escapes undone."""
    raw = value.strip()
    wrapped = _WRAPPED.fullmatch(raw) if raw.startswith("\\") else None
    if wrapped is not None:
        raw = wrapped.group(1).strip()
    return unescape_url(raw)


def url_field(fields: Mapping[str, str]) -> str:
    """The ``url`` field as an address: ``\\url{…}`` unwrapped, exporters' escaping undone."""
    return address(fields.get("url", ""))


def is_safe_url(url: str) -> bool:
    """Whether ``url`` may be a link: an ``http``/``https`` address, nothing else (and nothing
    left of LaTeX in it)."""
    return bool(_SAFE_URL.match(url)) and "\\" not in url


def web_address(fields: Mapping[str, str]) -> tuple[str, str]:
    """The ``url`` field as a link, and, if it cannot be one, a warning saying why.

    A field holding several addresses (``https://a;\\n https://b``,
    as Beebe's files have them) links the first.
    """
    raw = url_field(fields)
    if raw and is_safe_url(raw):
        return raw, ""
    first = re.split(r"[;\s]+", raw, maxsplit=1)[0]
    if ";" in raw and is_safe_url(first):
        return first, ""
    if "\\" in raw:
        return "", f"url {raw[:60]!r} holds a LaTeX command; it is not linked"
    return "", f"url {raw[:60]!r} is not an http(s) address; it is not linked" if raw else ""


def doi_of(value: str) -> str:
    """A bare DOI (``10.…``) from the forms people write (escapes undone), or ``""``."""
    doi = _DOI_PREFIX.sub("", address(value))
    return doi if _DOI.fullmatch(doi) and not any(c in doi for c in '"\\{}') else ""


def doi_url(doi: str) -> str:
    """The doi.org address of a bare DOI."""
    return "https://doi.org/" + quote(doi, safe="/:;()[]._-")


def arxiv_of(fields: Mapping[str, str]) -> str:
    """The arXiv identifier of an ``eprint`` marked as arXiv (``archiveprefix`` or
    ``eprinttype``), without any ``arXiv:`` prefix; or ``""``."""
    kind = (fields.get("archiveprefix") or fields.get("eprinttype") or "").strip().lower()
    found = _ARXIV.fullmatch(address(fields.get("eprint", "")))
    return found.group(1) if kind == "arxiv" and found else ""


def arxiv_url(identifier: str) -> str:
    return "https://arxiv.org/abs/" + identifier


def entry_links(fields: Mapping[str, str]) -> tuple[tuple[str, str, str], ...]:
    """The entry's DOI, arXiv and web links as (kind, text, address), each only once and only
    if it is safe."""
    return links_of(doi_of(fields.get("doi", "")), arxiv_of(fields), web_address(fields)[0])


def links_of(doi: str, arxiv: str, url: str) -> tuple[tuple[str, str, str], ...]:
    """:func:`entry_links` of an entry whose DOI, arXiv identifier and web address (as
    :func:`web_address` gives it) are these."""
    found: list[tuple[str, str, str]] = []
    if doi:
        found.append(("DOI", doi, doi_url(doi)))
    if arxiv:
        found.append(("arXiv", arxiv, arxiv_url(arxiv)))
    if url and all(url.rstrip("/") != href for _, _, href in found):
        found.append(("URL", url, url))
    return tuple(found)
