"""Stage 3: render a catalogue through a jinja2 template, one per output format.

The templates hold the output's whole shape; this module only builds the environment and
registers the filters that escape text for each format. Autoescape is on for HTML only.
A ``--template`` file is looked up first, so it can include its own neighbours, and the built-in
templates stay reachable as ``default/<name>`` for ``{% extends %}``.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from bib2table.catalogue import cite, pagedata
from bib2table.catalogue.model import Catalogue
from bib2table.errors import TemplateError
from bib2table.outputs.clean import markdown_to_html


@dataclass(frozen=True)
class Format:
    """An output format: its template and the file extension of its output."""

    name: str
    template: str
    extension: str


FORMATS = {
    "html": Format("html", "catalogue.html.jinja2", ".html"),
    "markdown": Format("markdown", "catalogue.md.jinja2", ".md"),
    "csv": Format("csv", "catalogue.csv.jinja2", ".csv"),
}

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#!])")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")
_MD_URL_UNSAFE = re.compile(r"[\s()<>|\\`\"']")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def builtin_templates() -> Path:
    """The built-in templates: inside the installed package, or the checkout's ``templates/``."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "templates", package.parents[1] / "templates"):
        if (candidate / FORMATS["html"].template).is_file():
            return candidate
    raise TemplateError("the built-in templates are missing; reinstall bib2table")


def make_environment(fmt: Format, user_folder: Path | None = None) -> jinja2.Environment:
    """A fresh environment for one format, with its filters; nothing global to reset."""
    builtin = jinja2.FileSystemLoader(builtin_templates())
    loaders: list[jinja2.BaseLoader] = []
    if user_folder is not None:
        loaders.append(jinja2.FileSystemLoader(user_folder))
    loaders += [jinja2.PrefixLoader({"default": builtin}), builtin]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=fmt.name == "html",
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        markdown=markdown_to_html,
        md_escape=md_escape,
        md_url=md_url,
        csv_row=csv_row,
        csp_hash=csp_hash,
        anchor=anchor,
        cite_data=cite.cite_data,
        bibtex=cite.bibtex_text,
        links=cite.links,
        row_links=cite.row_links,
        page_data=pagedata.page_data,
    )
    env.globals.update(year_chart=cite.year_chart)
    return env


def render(catalogue: Catalogue, fmt: Format, template: Path | None = None) -> str:
    """Render ``catalogue`` with the format's built-in template, or with ``template``."""
    env = make_environment(fmt, template.parent if template else None)
    name = template.name if template else fmt.template
    try:
        compiled = env.get_template(name)
        return compiled.render(catalogue=catalogue, format=fmt.name)
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template {exc.name!r} not found") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or exc.name}:{exc.lineno}: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"{_template_line(exc, name)}: {exc.message}") from None
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError) as exc:
        raise TemplateError(f"{_template_line(exc, name)}: {exc}") from None


def _template_line(exc: BaseException, name: str) -> str:
    """``template:line`` of the innermost template frame of a render error."""
    tb = exc.__traceback__
    where = name
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".jinja2") or "template" in tb.tb_frame.f_globals.get("__name__", ""):
            where = f"{Path(filename).name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


def md_escape(text: object) -> str:
    """Escape text for a Markdown table cell: it stays literal text and cannot break the row."""
    value = " ".join(str(text).split())
    value = _MD_SPECIAL.sub(r"\\\1", value)
    return _MD_ENTITY.sub(r"\\&", value)


def md_url(url: object) -> str:
    """Percent-encode what would end a Markdown link destination or a table cell."""
    return _MD_URL_UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", str(url))


def csv_row(cells: Iterable[object]) -> str:
    """One CSV record by the csv module's rules; cells that a spreadsheet would run as a
    formula get a leading ``'`` (OWASP's advice) so they stay text."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_neutralise(str(c)) for c in cells])
    return buffer.getvalue()


def _neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def csp_hash(source: object) -> str:
    """The ``'sha256-…'`` source for a Content-Security-Policy allowing exactly this code."""
    digest = hashlib.sha256(str(source).encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def anchor(key: object) -> str:
    """An element id / URL fragment from an entry key (white space is not allowed in ids)."""
    return re.sub(r"\s+", "-", str(key)) or "entry"


__all__ = ["FORMATS", "Format", "Markup", "make_environment", "render"]
