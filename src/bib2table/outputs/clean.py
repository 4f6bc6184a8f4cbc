"""Stage 4: make sure nothing from the input became markup, and clean the fragments we build.

Data from the ``.bib`` reaches the page only through jinja's autoescape; the few fragments that are
HTML by design (the intro, rendered from Markdown) are cleaned with lxml_html_clean before they
are inserted. After rendering, lxml parses the whole page and :func:`check_page` verifies what
must hold whatever the template: every link is http(s), mailto or in-page, and no attribute
carries script. The page's own script and style are left alone: cleaning the whole page with
``Cleaner()`` would strip them.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.html
from lxml import etree
from lxml_html_clean import Cleaner
from markdown_it import MarkdownIt
from markupsafe import Markup

from bib2table.outputs.mathml import ATTRIBUTES, ELEMENTS

_SAFE_LINK = re.compile(r"^(?:https?://|mailto:|#|[^:]*$)", re.IGNORECASE)
_DATA_IMAGE = re.compile(r"^data:image/(?:png|gif|jpeg|webp);", re.IGNORECASE)
_LINK_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "srcset", "poster")
# Event handlers and link attributes, found by lxml in C rather than element by element.
_RISKY_ATTRIBUTES = "//@*[starts-with(translate(name(), 'ON', 'on'), 'on') or {}]".format(
    " or ".join(f"name() = '{name}'" for name in _LINK_ATTRIBUTES)
)

_cleaner = Cleaner(
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
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def markdown_to_html(text: str) -> Markup:
    """Render settings Markdown (the intro) to a cleaned HTML fragment."""
    if not text.strip():
        return Markup("")
    return clean_fragment(_markdown.render(text))


def clean_fragment(html: str) -> Markup:
    """Remove script, styles, forms, frames and unsafe links from an HTML fragment."""
    wrapper = lxml.html.fragment_fromstring(html, create_parent="div")
    cleaned = _cleaner.clean_html(wrapper)
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
    try:
        document = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        return [f"the page does not parse as HTML: {exc}"]
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
    return faults


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


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
