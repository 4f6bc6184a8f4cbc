"""Stage 4: make sure nothing from the input became markup, and clean the fragments we build.

Data from the ``.bib`` reaches the page only through jinja's autoescape; the few fragments that are
HTML by design (the intro, rendered from Markdown) are cleaned with lxml_html_clean before they
are inserted. After rendering, :func:`check_page` verifies what must hold whatever the template:
every link is http(s), mailto or in-page, and no attribute carries script. The page's own script
and style are left alone: cleaning the whole page with ``Cleaner()`` would strip them.

Rows rendered one by one (and kept between runs) are held to a strict form instead, which a
regular expression checks at C speed: :func:`html_row_fits` (and :func:`markdown_row_fits`,
:func:`csv_row_fits` for the other formats). A row in that form is safe wherever text may stand,
so :func:`check_assembled` parses only the rest of the page, with a stand-in element where the
rows were, and makes sure each stand-in is an element. A row that is not in that form, or a
stand-in that is not where text may stand, sends the whole page to :func:`check_page`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from bib2table.outputs.mathml import ATTRIBUTES, ELEMENTS, ROW_SHAPES

if TYPE_CHECKING:
    from lxml_html_clean import Cleaner
    from markdown_it import MarkdownIt

_SAFE_LINK = re.compile(r"^(?:https?://|mailto:|#|[^:]*$)", re.IGNORECASE)
_DATA_IMAGE = re.compile(r"^data:image/(?:png|gif|jpeg|webp);", re.IGNORECASE)
_LINK_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "srcset", "poster")
# Event handlers and link attributes, found by lxml in C rather than element by element.
_RISKY_ATTRIBUTES = "//@*[starts-with(translate(name(), 'ON', 'on'), 'on') or {}]".format(
    " or ".join(f"name() = '{name}'" for name in _LINK_ATTRIBUTES)
)


@functools.cache
def _cleaner() -> Cleaner:
    from lxml_html_clean import Cleaner

    return Cleaner(
        scripts=True,
        javascript=True,
        comments=True,
        style=True,
        inline_style=True,
        links=True,
        meta=True,
        page_structure=True,
        processing_instructions=True,
        embedded=True,
        frames=True,
        forms=True,
        annoying_tags=True,
        safe_attrs_only=True,
    )


@functools.cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def markdown_to_html(text: str) -> Markup:
    """Render settings Markdown (the intro) to a cleaned HTML fragment."""
    if not text.strip():
        return Markup("")
    return clean_fragment(_markdown().render(text))


def clean_fragment(html: str) -> Markup:
    """Remove script, styles, forms, frames and unsafe links from an HTML fragment."""
    import lxml.html

    wrapper = lxml.html.fragment_fromstring(html, create_parent="div")
    cleaned = _cleaner().clean_html(wrapper)
    for element in cleaned.iter():
        for name in ("href", "src"):
            value = element.get(name)
            if value is not None and not _SAFE_LINK.match(value.strip()):
                del element.attrib[name]
    parts = [lxml.html.tostring(child, encoding="unicode") for child in cleaned]
    text = _escape_text(cleaned.text or "")
    return Markup(text + "".join(parts))


def check_page(html: str) -> list[str]:
    """Parse a rendered page and list what is wrong with it (empty: all is well)."""
    return _check(html)[0]


#: Where rows were: an element no template writes, which the parser must see as an element.
STAND_IN = "<bib2table-rows></bib2table-rows>"


def check_assembled(
    page: str, skeleton: str, rows_fit: bool, checked: tuple[list[str], int] | None = None
) -> list[str]:
    """:func:`check_page` for ``page``, given also as ``skeleton``: ``page`` with its rows (each
    in the strict form, if ``rows_fit``) replaced by :data:`STAND_IN`. Only the skeleton is
    parsed, and each stand-in must be an element there; else the whole page is. ``checked``:
    what :func:`check_skeleton` found in the skeleton, when it was checked before its rows
    were made."""
    if not rows_fit or skeleton == page:
        return check_page(page)
    faults = skeleton_faults(skeleton, checked)
    return check_page(page) if faults is None else faults


def skeleton_faults(
    skeleton: str, checked: tuple[list[str], int] | None = None
) -> list[str] | None:
    """What is wrong with a page's skeleton (see :func:`check_assembled`); ``None`` when the
    parser does not see each stand-in as an element (then only the whole page can tell)."""
    faults, stand_ins = checked if checked is not None else _check(skeleton)
    return faults if stand_ins == skeleton.count(STAND_IN) else None


def check_skeleton(skeleton: str) -> tuple[list[str], int]:
    """The faults of a page's skeleton (see :func:`check_assembled`), and how many stand-ins it
    has."""
    return _check(skeleton)


def _check(html: str) -> tuple[list[str], int]:
    """The faults of a page, and how many :data:`STAND_IN` elements it has."""
    import lxml.html
    from lxml import etree

    try:
        document = lxml.html.document_fromstring(html, parser=_parser())
    except (etree.ParserError, ValueError) as exc:
        return [f"the page does not parse as HTML: {exc}"], 0
    faults = _math_faults(document)
    attributes: Any = document.xpath(_RISKY_ATTRIBUTES)
    for attribute in attributes:
        name, value = str(attribute.attrname), str(attribute).strip()
        tag = attribute.getparent().tag
        if name.lower().startswith("on"):
            faults.append(f"<{tag}> has an event handler attribute {name!r}")
        elif name == "src" and _DATA_IMAGE.match(value):
            continue
        elif not _SAFE_LINK.match(value):
            faults.append(f"<{tag} {name}={value[:60]!r}> is not a safe link")
    stand_ins = sum(1 for _ in document.iter(STAND_IN[1:].split(">")[0]))
    return faults, stand_ins


def _math_faults(document: Any) -> list[str]:
    """MathML may hold only MathML Core's presentation elements and their own attributes:
    no HTML inside it, no links, no ``annotation-xml`` or ``maction``."""
    faults = []
    elements: Any = document.xpath("//math/descendant-or-self::*")
    for element in elements:
        tag = str(element.tag).lower()
        if tag not in ELEMENTS:
            faults.append(f"<{tag}> is not allowed inside <math>")
        for name in element.attrib:
            if str(name).lower() not in ATTRIBUTES:
                faults.append(f"<{tag} {name}=…> is not allowed inside <math>")
    return faults


@functools.cache
def _parser() -> Any:
    """lxml's HTML parser, without the 10 MB limit on one text node (a large page's citation
    data is longer; with the limit, what follows it would go unseen)."""
    import lxml.html

    return lxml.html.HTMLParser(huge_tree=True)


# -- rows in the strict form
#
# HTML rows: every "<" starts a whole tag (no "<" or ">" inside it, attribute values quoted);
# tag names leave out the elements that change how what follows is read (raw text, foreign
# content) or that load or submit something; no attribute name starts with "on"; and link
# attributes hold only safe targets, with no character reference but &amp; (``&colon;`` or
# ``&#58;`` would hide a scheme). Tags are checked by shape (values blanked: a few distinct
# shapes per template) and link values one by one, so a page's rows take a few C-speed passes.

_ANY_TAG = re.compile(r"<[^<>\0]*>")
_QUOTED = re.compile(r'"[^"<>\0]*"')
_LINK_NAMES = (
    "href|src|action|formaction|srcset|poster|background|lowsrc|dynsrc|data|codebase|cite|"
    "longdesc|usemap|manifest|ping|profile|icon|archive|classid"
)
_NAME_END = r"(?=[\s=/>])"
_ATTRIBUTE = (
    rf'\s+(?:(?:{_LINK_NAMES}){_NAME_END}(?:\s*=\s*"")?'
    rf'|(?!on|(?:{_LINK_NAMES}){_NAME_END})[a-z_][a-z0-9_.-]*(?:\s*=\s*"[^"<>\0]*")?)'
)
_SPECIAL = (
    "script|style|textarea|title|xmp|iframe|noembed|noframes|noscript|plaintext|template|"
    "svg|math|object|embed|applet|base|frame|frameset|form|meta|link"
)
_TAG_SHAPE = re.compile(
    rf"<(?!(?:{_SPECIAL})(?=[\s/>]))[a-z][a-z0-9-]*(?:{_ATTRIBUTE})*\s*/?>"
    r"|</[a-z][a-z0-9-]*\s*>"
)
_LINK_IN_SHAPE = re.compile(rf"\s({_LINK_NAMES})(?=[\s=/>])")
_LINKS = frozenset(_LINK_NAMES.split("|"))
_ATTRIBUTE_VALUE = re.compile(r'\s+([a-z_][a-z0-9_.-]*)(?:\s*=\s*"([^"<>\0]*)")?')
# Safe link targets as _SAFE_LINK says: http(s), mailto, in-page, or relative (no colon).
_SAFE_VALUES = re.compile(
    r"(?:(?:\s*(?:(?i:https?://|mailto:)|#)[^\"<>&\0]*(?:&amp;[^\"<>&\0]*)*"
    r"|[^\"<>&:\0]*(?:&amp;[^\"<>&:\0]*)*)\0)*"
)


def _html_rows_fit(rows: Sequence[str]) -> bool:
    text = _without_math("\0".join(rows))
    if text is None:
        return False
    tags = _ANY_TAG.findall(text)
    if len(tags) != text.count("<"):
        return False
    blanked = _QUOTED.sub('""', "\0".join(tags)).split("\0")
    shapes = set(blanked)
    if not all(_TAG_SHAPE.fullmatch(shape) for shape in shapes):
        return False
    linking = {shape for shape in shapes if _LINK_IN_SHAPE.search(shape)}
    if not linking:
        return True
    # The tags of those shapes, read attribute by attribute from the start of each: a value
    # is always taken whole, so what looks like an attribute inside another's value is never
    # read as one.
    chosen = "\0".join([tag for tag, shape in zip(tags, blanked, strict=True) if shape in linking])
    links = [value for name, value in _ATTRIBUTE_VALUE.findall(chosen) if name in _LINKS]
    return _SAFE_VALUES.fullmatch("\0".join(links) + "\0" if links else "") is not None


# The math bib2table writes (see :mod:`bib2table.outputs.mathml`): a <math display="inline">
# element named by escaped text, holding text and only the tags of mathml.ROW_SHAPES. Such spans
# are set aside before the rows' other tags are checked; any other <math> keeps a row out of
# the strict form.
_MATH_SPAN = re.compile(
    r'<math display="inline" aria-label="[^"<>]*">((?:[^<]|<(?!/math>))*)</math>'
)
_INSIDE_MATH = ROW_SHAPES - {'<math display="" aria-label="">', "</math>"}


def _without_math(text: str) -> str | None:
    """``text`` with each math span bib2table writes replaced by a letter; ``None`` when a span
    holds anything else, or when another ``<math`` is left."""
    if "<math" not in text:
        return text
    kept = []
    pos = 0
    for span in _MATH_SPAN.finditer(text):
        inside = span.group(1)
        tags = _ANY_TAG.findall(inside)
        if len(tags) != inside.count("<"):
            return None
        if not all(_QUOTED.sub('""', tag) in _INSIDE_MATH for tag in tags):
            return None
        kept += [text[pos : span.start()], "x"]
        pos = span.end()
    kept.append(text[pos:])
    rest = "".join(kept)
    return None if "<math" in rest else rest


# Markdown: a table row whose cells are escaped text, or [escaped text](http(s) address).
_MD_PLAIN = r"[^\\`*_\[\]<>|~#!&\n\0]"
_MD_ESCAPE = r"(?:\\[\\`*_\[\]<>|~#!&]|&(?!#?\w+;))"
_MD_TEXT = rf"{_MD_PLAIN}*(?:{_MD_ESCAPE}{_MD_PLAIN}*)*"
_MD_URL = r"https?://[^\s()<>|\\`\"'\0]*"
_MD_ROW = rf"(?:\| (?:{_MD_TEXT}|\[{_MD_TEXT}\]\({_MD_URL}\)) )+\|\n"

# CSV: a record by the csv module's rules, no cell starting as a formula (the ' that neutralises
# one is fine) or as a script, data or file address.
_SCHEME = r"(?![\x00-\x20]*(?i:javascript|vbscript|livescript|data|file)\s*:)"
_CSV_CELL = rf'"(?![=+\-@\t\r]){_SCHEME}[^"\0]*(?:""[^"\0]*)*"|(?![=+\-@\t]){_SCHEME}[^",\r\n\0]*'
_CSV_ROW = rf"(?:{_CSV_CELL})(?:,(?:{_CSV_CELL}))*\r\n"

_ROW_FORMS = {"markdown": _MD_ROW, "csv": _CSV_ROW}


@functools.cache
def _rows_form(fmt: str) -> re.Pattern[str] | None:
    """Rows of ``fmt``, each followed by NUL (compiled when first needed)."""
    form = _ROW_FORMS.get(fmt)
    return re.compile(rf"(?:(?:{form})\0)*") if form else None


#: Rows checked together at a time: C-speed passes, with memory bounded whatever the size.
_CHUNK = 20_000


def all_fit(rows: Sequence[str], fmt: str) -> bool:
    """Whether every row is in ``fmt``'s strict form (checked many at a time, at C speed)."""
    if fmt != "html" and _rows_form(fmt) is None:
        return False
    return all(_chunk_fits(rows[i : i + _CHUNK], fmt) for i in range(0, len(rows), _CHUNK))


def _chunk_fits(rows: Sequence[str], fmt: str) -> bool:
    if fmt == "html":
        return _html_rows_fit(rows)
    form = _rows_form(fmt)
    return form is not None and form.fullmatch("\0".join(rows) + "\0") is not None


def row_fits(row: str, fmt: str) -> bool:
    """Whether ``row`` is in the strict form of ``fmt``'s rows (so it can be reused as is)."""
    return all_fit([row], fmt)


def fitting(rows: dict[bytes, Any], fmt: str) -> dict[bytes, str]:
    """The rows (by key) that are strings in ``fmt``'s strict form; the others are dropped."""
    texts = {key: row for key, row in rows.items() if isinstance(row, str) and "\0" not in row}
    if all_fit(list(texts.values()), fmt):
        return texts
    return {key: row for key, row in texts.items() if row_fits(row, fmt)}


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
