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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import jinja2
import jinja2.meta
from jinja2.loaders import split_template_path
from markupsafe import Markup

from bib2table.catalogue import cite, pagedata
from bib2table.catalogue.model import Catalogue
from bib2table.errors import TemplateError
from bib2table.files import MAX_SMALL_BYTES, confined, read_utf8
from bib2table.outputs.clean import markdown_to_html
from bib2table.outputs.csljson import csl_items, csl_json
from bib2table.outputs.listing import sections


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
    "json": Format("json", "catalogue.json.jinja2", ".json"),
}

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#!])")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")
#: What GitHub's Markdown turns into a link by itself (its "extended autolinks"): a ``scheme://``
#: address and ``www.``, whose ``:`` and ``.`` a backslash keeps text, and an e-mail address
#: (also after ``mailto:`` or ``xmpp:``), which no escape stops: an invisible word joiner
#: before its ``@`` does.
_MD_SCHEME = re.compile(r":(?=//)")
_MD_WWW = re.compile(r"(www)\.", re.IGNORECASE)
_MD_EMAIL_AT = re.compile(r"(?<=[\w.+-])@")
WORD_JOINER = "\u2060"
_MD_URL_UNSAFE = re.compile(r"[\s()<>|\\`\"']")
#: A cell a spreadsheet would run as a formula; also one whose ``'`` (any number of them) comes
#: before such a start, so that the ``'`` put in front reads back unambiguously.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")


def builtin_templates() -> Path:
    """The built-in templates: inside the installed package, or the checkout's ``templates/``."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "templates", package.parents[1] / "templates"):
        if (candidate / FORMATS["html"].template).is_file():
            return candidate
    raise TemplateError("the built-in templates are missing; reinstall bib2table")


class FolderLoader(jinja2.BaseLoader):
    """Templates from one folder, read as every file bib2table reads: regular files of bounded
    size only, and only inside the folder (no ``..``, no symbolic link out of it), so that a
    template from a pull request cannot include ``/proc/self/environ`` into the page."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, name: str) -> Path:
        """Where the template ``name`` is; an error if that is outside the folder."""
        pieces = split_template_path(name)  # refuses ".." itself
        return confined(self.folder, "/".join(pieces), "template", TemplateError)

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = self.path(template)
        if not path.exists():
            raise jinja2.TemplateNotFound(template)
        mtime = path.stat().st_mtime_ns
        source = read_utf8(path, "template", MAX_SMALL_BYTES, TemplateError)
        return source, str(path), lambda: path.exists() and path.stat().st_mtime_ns == mtime


def make_environment(fmt: Format, user_folder: Path | None = None) -> jinja2.Environment:
    """A fresh environment for one format, with its filters; nothing global to reset."""
    builtin = FolderLoader(builtin_templates())
    loaders: list[jinja2.BaseLoader] = []
    if user_folder is not None:
        loaders.append(FolderLoader(user_folder))
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
        csl_json=csl_json,
        csl_items=csl_items,
        sections=sections,
    )
    env.globals.update(year_chart=cite.year_chart)
    return env


def render(catalogue: Catalogue, fmt: Format, template: Path | None = None) -> str:
    """Render ``catalogue`` with the format's built-in template, or with ``template``."""
    real = template.resolve() if template else None
    env = make_environment(fmt, real.parent if real else None)
    name = real.name if real else fmt.template
    try:
        compiled = env.get_template(name)
        return compiled.render(catalogue=catalogue, format=fmt.name)
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template {exc.name!r} not found") from None
    except RecursionError:
        raise TemplateError(
            f"{name}: the template includes, extends or imports itself (directly or through "
            "other templates), or a macro calls itself without end"
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or exc.name}:{exc.lineno}: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"{_template_line(exc, name)}: {exc.message}") from None
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError) as exc:
        raise TemplateError(f"{_template_line(exc, name)}: {exc}") from None


def template_files(template: Path) -> list[Path]:
    """The template and the files of its folder it names in ``include``, ``extends``,
    ``import`` and ``from`` (and they in turn), where the name is written out: the files a
    run with ``--template`` reads besides the built-in ones."""
    real = template.resolve()
    loader = FolderLoader(real.parent)
    env = jinja2.Environment()
    found = [template]
    queue = [real]
    while queue:
        path = queue.pop()
        try:
            source = read_utf8(path, "template", MAX_SMALL_BYTES, TemplateError)
            names = jinja2.meta.find_referenced_templates(env.parse(source))
        except (TemplateError, jinja2.TemplateError):
            continue
        for name in names:
            if name is None or name.startswith("default/"):
                continue
            try:
                included = loader.path(name)
            except (TemplateError, jinja2.TemplateNotFound):
                continue
            if included.is_file() and included not in found and included != real:
                found.append(included)
                queue.append(included)
    return found


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
    value = _MD_ENTITY.sub(r"\\&", value)
    if "://" in value:
        value = _MD_SCHEME.sub(r"\\:", value)
    if "." in value:
        value = _MD_WWW.sub(r"\1\\.", value)
    if "@" in value:
        value = _MD_EMAIL_AT.sub(WORD_JOINER + "@", value)
    return value


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
    return "'" + cell if _FORMULA.match(cell) else cell


def csp_hash(source: object) -> str:
    """The ``'sha256-…'`` source for a Content-Security-Policy allowing exactly this code."""
    digest = hashlib.sha256(str(source).encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def anchor(key: object) -> str:
    """An element id / URL fragment from an entry key: the key itself, with each white-space
    character (not allowed in ids) and each ``~`` written ``~<hex code>~``, so that different
    keys (``a b``, ``a-b``, ``a~20~b``) always get different ids; ``~`` for an empty key."""
    return re.sub(r"[\s~]", lambda m: f"~{ord(m.group()):x}~", str(key)) or "~"


__all__ = ["FORMATS", "Format", "Markup", "make_environment", "render"]
