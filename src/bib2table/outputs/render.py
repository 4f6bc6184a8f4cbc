"""Stage 3: render a catalogue through a jinja2 template, one per output format.

The templates hold the output's whole shape; this module only builds the environment and
registers the filters that escape text for each format. Autoescape is on for HTML only.
A ``--template`` file is looked up first, so it can include its own neighbours, and the built-in
templates stay reachable as ``default/<name>`` for ``{% extends %}``.

**Rows rendered once.** A template that defines a ``row`` block (``{% block row scoped %}``
inside its loop over ``catalogue.entries``) has that block rendered on its own for each entry,
and the text kept (see :class:`Rows`): the next run reuses it when the entry, the template and
what a row sees of the catalogue are unchanged, and assembles the output around it. A row sees
``entry`` (all of it but ``line``), ``format``, the macros the template imports or defines, and
``catalogue``'s ``title``, ``intro``, ``columns``, ``categories`` (``label`` and
``keywords``, not counts), ``keyword_fields``, ``categories_configured`` and ``strings``: what
depends on other entries (counts, totals, variables set outside the block) is not there, so
that a kept row is always the row a fresh run would render.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import hashlib
import io
import operator
import re
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import jinja2
import jinja2.bccache
import jinja2.meta
import jinja2.runtime
from jinja2.loaders import split_template_path
from jinja2.utils import missing
from markupsafe import Markup

from bib2table.cache import Cache
from bib2table.catalogue import cite, pagedata
from bib2table.catalogue.cite import Script
from bib2table.catalogue.model import Catalogue, Entry
from bib2table.errors import TemplateError
from bib2table.files import MAX_SMALL_BYTES, confined, read_utf8
from bib2table.outputs.clean import markdown_to_html
from bib2table.outputs.mathml import cell_html


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

#: The block a template renders once per entry, and kept between runs.
ROW_BLOCK = "row"

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


class SealedCode(jinja2.BytecodeCache):
    """Compiled templates kept in the cache (see :meth:`Cache.code`): one is loaded only when
    it carries this user's seal, so that nothing from a cache folder copied from elsewhere is
    ever run; jinja2 itself compiles a template anew when its source or Python changed."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def _key(self, bucket: jinja2.bccache.Bucket) -> bytes:
        return self.cache.key("template", bucket.key)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.cache.code(self._key(bucket))
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.cache.keep_code(self._key(bucket), bucket.bytecode_to_string())


def make_environment(
    fmt: Format, user_folder: Path | None = None, cache: Cache | None = None
) -> jinja2.Environment:
    """A fresh environment for one format, with its filters; nothing global to reset. With
    ``cache``, compiled templates are kept in it (see :class:`SealedCode`)."""
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
        bytecode_cache=SealedCode(cache) if cache is not None else None,
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
        cell_html=cell_html,
        row_links=cite.row_links,
        page_data=pagedata.page_data,
        csl_json=_csl_json,
        csl_items=_csl_items,
        sections=_sections,
    )
    env.globals.update(year_chart=cite.year_chart)
    return env


def _csl_json(*args: Any, **options: Any) -> Any:
    from bib2table.outputs.csljson import csl_json

    return csl_json(*args, **options)


def _csl_items(*args: Any, **options: Any) -> Any:
    from bib2table.outputs.csljson import csl_items

    return csl_items(*args, **options)


def _sections(*args: Any, **options: Any) -> Any:
    from bib2table.outputs.listing import sections

    return sections(*args, **options)


@dataclass
class Rows:
    """Rendered rows of one output: those found (by key) and those this render made.

    ``key_of`` gives an entry's key (``None``: not kept); ``found`` maps keys to row text
    already checked fit for the format.
    """

    key_of: Callable[[Entry], bytes | None]
    found: dict[bytes, str] = field(default_factory=dict)
    made: dict[bytes, str] = field(default_factory=dict)


@dataclass
class Rendered:
    """A rendered output, and where its kept rows are in it (for the safety check)."""

    text: str
    #: the output's pieces in order; ``rows[i]`` says whether ``pieces[i]`` is a whole row
    pieces: list[str]
    rows: list[bool]
    #: the page's scripts of entries' data (``page``: ``page_data``, ``cite``: ``cite_data``),
    #: each written once: the piece it is, and where each entry's item is in it
    scripts: dict[str, tuple[int, Script]] = field(default_factory=dict)

    def without_rows(self, stand_in: str) -> str:
        """The text with each run of rows (and the white space between them) replaced by
        ``stand_in``."""
        out: list[str] = []
        in_run = False
        pending: list[str] = []
        for piece, is_row in zip(self.pieces, self.rows, strict=True):
            if is_row:
                if not in_run:
                    out.append(stand_in)
                in_run = True
                pending.clear()
            elif in_run and not piece.strip():
                pending.append(piece)
            else:
                out += pending
                out.append(piece)
                pending.clear()
                in_run = False
        out += pending
        return "".join(out)


class Renderer:
    """One format's template, loaded once: renders catalogues, reusing kept rows."""

    def __init__(
        self, fmt: Format, template: Path | None = None, cache: Cache | None = None
    ) -> None:
        self.format = fmt
        real = template.resolve() if template else None
        self.env = make_environment(fmt, real.parent if real else None, cache)
        self.name = real.name if real else fmt.template
        self.custom = template is not None
        with _template_errors(self.name):
            self.template = self.env.get_template(self.name)
        self._digest: str | None = None
        #: the scripts of entries' data the render in progress wrote
        self._scripts: list[tuple[str, Script]] = []
        self.env.filters.update(
            page_data=self._noted("page", pagedata.page_script),
            cite_data=self._noted("cite", cite.cite_script),
        )

    def _noted(self, name: str, make: Callable[..., Script]) -> Callable[..., Markup]:
        """A filter writing a script of entries' data, noting where each item is."""

        def write(*args: Any, **options: Any) -> Markup:
            script = make(*args, **options)
            self._scripts.append((name, script))
            return script.text

        return write

    def digest(self) -> str:
        """What the rows depend on in the template: its text and every template it names.

        ``""`` when the template names another by an expression (its rows are then not kept).
        The built-in templates are part of the code stamp the cache already keys by.
        """
        if self._digest is None:
            self._digest = _closure_digest(self.env, self.name) if self.custom else "built-in"
            if self._digest:
                self._digest = f"{self.format.name}:{self._digest}"
        return self._digest

    def render(self, catalogue: Catalogue, rows: Rows | None = None) -> Rendered:
        """Render ``catalogue``; with ``rows``, each row is taken from, or added to, them."""
        hook = _RowHook(self, catalogue, rows) if rows is not None and self.digest() else None
        pieces = self._pieces(catalogue, hook)
        emitted = {id(text) for text in hook.emitted} if hook is not None else set()
        rows_at = [id(p) in emitted for p in pieces]
        return Rendered("".join(pieces), pieces, rows_at, self._written(pieces))

    def render_waiting(self, catalogue: Catalogue, rows: Rows) -> Waiting:
        """Render ``catalogue`` with the rows ``rows`` has; each row it lacks is left for later,
        a stand-in in its place (see :meth:`Waiting.filled`)."""
        hook = _RowHook(self, catalogue, rows) if self.digest() else None
        if hook is not None:
            hook.waiting = {}
        pieces = self._pieces(catalogue, hook)
        emitted = {id(text) for text in hook.emitted} if hook is not None else set()
        stand_ins = hook.waiting if hook is not None and hook.waiting is not None else {}
        places = []
        for number, piece in enumerate(pieces):
            waiting = stand_ins.get(id(piece))
            if waiting is not None and waiting[0] is piece:
                places.append((number, waiting[1]))
        whole = len(places) == len(stand_ins)
        scripts = self._written(pieces)
        taken = {number for number, _ in places}
        scripts = {name: at for name, at in scripts.items() if at[0] not in taken}
        return Waiting(pieces, [id(p) in emitted for p in pieces], places, whole, scripts)

    def row_maker(self, catalogue: Catalogue) -> Callable[[Entry], str] | None:
        """What renders any entry's row of ``catalogue`` as :meth:`render` renders it alone
        (what a row sees of the catalogue is the same for all its entries); ``None`` when the
        template's rows are not rendered alone (it has no ``row`` block, or none in the loop
        over the entries). Found by rendering the template for the first entry only, up to
        its row."""
        if not self.digest() or not catalogue.entries:
            return None
        first = catalogue.entries[0]
        probe = dataclasses.replace(catalogue, entries=[first])
        hook = _RowHook(self, probe, Rows(lambda entry: b"" if entry is first else None))
        self._pieces(probe, hook, 1)
        self._scripts = []
        block = hook.block
        if block is None:
            return None
        return lambda entry: hook.alone(block, None, entry)

    def _pieces(self, catalogue: Catalogue, hook: _RowHook | None, rows: int = -1) -> list[str]:
        """The output's pieces, with ``hook`` in place of the ``row`` block; with ``rows``,
        only up to the moment it has handled that many rows."""
        context = self.template.new_context({"catalogue": catalogue, "format": self.format.name})
        if hook is not None:
            # The row block is looked up in this context when the loop over the entries runs
            # in the template itself or in a block that is not scoped (elsewhere it renders
            # as usual, every time).
            context.blocks = _HookedBlocks(context.blocks, hook)
            context.__class__ = _HookedContext
        self._scripts = []
        pieces: list[str] = []
        with _template_errors(self.name):
            try:
                render = cast(Generator[str, None, None], self.template.root_render_func(context))
                for piece in render:
                    pieces.append(piece)
                    if hook is not None and len(hook.emitted) == rows:
                        render.close()
                        break
            except Exception:
                self.env.handle_exception()
        return pieces

    def _written(self, pieces: list[str]) -> dict[str, tuple[int, Script]]:
        """The scripts of entries' data the last render wrote once each, and which of
        ``pieces`` each is (see :attr:`Rendered.scripts`)."""
        scripts, self._scripts = self._scripts, []
        names = [name for name, _ in scripts]
        found: dict[str, tuple[int, Script]] = {}
        for name, script in scripts:
            if names.count(name) != 1:
                continue
            size = len(script.text)
            places = [n for n, piece in enumerate(pieces) if len(piece) == size]
            places = [n for n in places if pieces[n] == script.text]
            if len(places) == 1:
                found[name] = (places[0], script)
        return found


def render(catalogue: Catalogue, fmt: Format, template: Path | None = None) -> str:
    """Render ``catalogue`` with the format's built-in template, or with ``template``."""
    return Renderer(fmt, template).render(catalogue).text


class _StandIn(str):
    """What stands in a row's place until the row is made (an object of its own)."""

    __slots__ = ()


@dataclass
class Waiting:
    """An output rendered before some of its rows: a stand-in in each one's place."""

    pieces: list[str]
    rows: list[bool]
    #: where a row is to go in ``pieces``, and its key, for each stand-in found among them
    places: list[tuple[int, bytes]]
    #: whether every stand-in is among ``pieces`` (not taken into other text by the template)
    whole: bool
    #: see :attr:`Rendered.scripts` (none of them a row's place)
    scripts: dict[str, tuple[int, Script]] = field(default_factory=dict)

    def filled(self, made: dict[bytes, str]) -> Rendered | None:
        """The output with the rows ``made`` in their places; ``None`` when a row is not
        there, or when the template did something with a row but output it as it is (then
        the output is rendered again with its rows)."""
        if not self.whole:
            return None
        pieces = list(self.pieces)
        for number, key in self.places:
            text = made.get(key)
            if text is None:
                return None
            pieces[number] = text
        return Rendered("".join(pieces), pieces, self.rows, self.scripts)

    def without_rows(self, stand_in: str) -> str:
        """:meth:`Rendered.without_rows` of the output once filled (the same whatever rows)."""
        return Rendered("", self.pieces, self.rows).without_rows(stand_in)


@dataclass(frozen=True)
class RowCategory:
    """A category as a row sees it: no count, which depends on the other entries."""

    label: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class RowCatalogue:
    """What a row sees of the catalogue: nothing that depends on the other entries."""

    title: str
    intro: str
    columns: tuple[Any, ...]
    categories: tuple[RowCategory, ...]
    keyword_fields: tuple[str, ...]
    categories_configured: bool
    strings: dict[str, str]

    @classmethod
    def of(cls, catalogue: Catalogue) -> RowCatalogue:
        return cls(
            catalogue.title,
            catalogue.intro,
            catalogue.columns,
            tuple(RowCategory(c.label, c.keywords) for c in catalogue.categories),
            catalogue.keyword_fields,
            catalogue.categories_configured,
            catalogue.strings,
        )

    def digest(self) -> str:
        """Everything a row may see of the catalogue, as a key."""
        return repr(
            (
                self.title,
                self.intro,
                self.columns,
                self.categories,
                self.keyword_fields,
                self.categories_configured,
                sorted(self.strings.items()),
            )
        )


class RowEntry:
    """An entry as a row sees it: all of it but its line, which moves with edits above it."""

    __slots__ = ("_entry",)

    def __init__(self, entry: Entry) -> None:
        self._entry = entry


for _name in Entry.__dataclass_fields__:
    if _name != "line":
        setattr(RowEntry, _name, property(operator.attrgetter(f"_entry.{_name}")))


def row_key_parts(entry: Entry) -> tuple[str, str] | None:
    """What identifies an entry's row besides the template and the catalogue's shape: its
    content key and its category marks; ``None`` for an entry with no content key."""
    if not entry.digest:
        return None
    return entry.digest, "".join("1" if m else "0" for m in entry.marks)


class _RowHook:
    """Stands in for the template's ``row`` block: a kept row, else the block rendered alone."""

    def __init__(self, renderer: Renderer, catalogue: Catalogue, rows: Rows) -> None:
        self.renderer = renderer
        self.rows = rows
        self.view = RowCatalogue.of(catalogue)
        self.emitted: list[str] = []
        self._wrapped: dict[int, list[Any]] = {}
        #: what every row sees (set at the first row rendered), and the template's blocks
        self._parent: dict[str, Any] | None = None
        self._blocks: dict[str, list[Any]] = {}
        #: the ``row`` block was just looked up: the context derived next is the row's
        self.armed = False
        #: the ``row`` block, once a row was rendered alone with it
        self.block: Any = None
        #: when rows are left for later: each stand-in put in a row's place (by ``id``), with
        #: the row's key
        self.waiting: dict[int, tuple[str, bytes]] | None = None

    def wrap(self, chain: list[Any]) -> list[Any]:
        """The block list with the effective ``row`` block replaced by this hook."""
        wrapped = self._wrapped.get(id(chain[0]))
        if wrapped is None:
            block = chain[0]

            def hooked(context: jinja2.runtime.Context) -> Iterator[str]:
                return self.row(block, context)

            wrapped = self._wrapped[id(block)] = [hooked]
        return wrapped + chain[1:]

    def row(self, block: Any, context: jinja2.runtime.Context) -> Iterator[str]:
        self.armed = False
        entry = (
            context.entry()
            if isinstance(context, _LazyDerived)
            else context.resolve_or_missing("entry")
        )
        key = self.rows.key_of(entry) if isinstance(entry, Entry) else None
        if key is None:
            yield from block(context)
            return
        text = self.rows.found.get(key)
        if text is None:
            text = self.rows.made.get(key)
        if text is None and self.waiting is not None:
            text = _StandIn("\0")
            self.waiting[id(text)] = (text, key)
        elif text is None:
            text = self.alone(block, context, entry)
            self.rows.made[key] = text
            self.block = block
        self.emitted.append(text)
        yield text

    def alone(self, block: Any, outer: jinja2.runtime.Context | None, entry: Entry) -> str:
        """The ``row`` block rendered with only what a row may see (taken from ``outer``, the
        context the first row is rendered from)."""
        if self._parent is None:
            assert outer is not None
            shared = {
                name: value
                for name, value in outer.get_all().items()
                if isinstance(value, jinja2.runtime.Macro | jinja2.environment.TemplateModule)
            }
            renderer = self.renderer
            self._parent = {**renderer.env.globals, **shared, "catalogue": self.view}
            self._parent["format"] = renderer.format.name
            self._blocks = dict(outer.blocks)
        context = jinja2.runtime.Context(self.renderer.env, self._parent, self.renderer.name, {})
        context.vars["entry"] = RowEntry(entry)
        context.blocks = self._blocks
        return "".join(block(context))


class _HookedBlocks(dict[str, list[Any]]):
    """A context's blocks, whose ``row`` block is looked up through the hook."""

    def __init__(self, blocks: dict[str, list[Any]], hook: _RowHook) -> None:
        super().__init__(blocks)
        self.hook = hook

    def __getitem__(self, name: str) -> list[Any]:
        chain = super().__getitem__(name)
        row = name == ROW_BLOCK and bool(chain)
        self.hook.armed = row
        return self.hook.wrap(chain) if row else chain


class _HookedContext(jinja2.runtime.Context):
    """The render's context: the context a scoped ``row`` block is called with (a copy of
    everything the template has set) is made only if the row is rendered in it, which a row
    rendered alone, or kept, never is."""

    def derived(self, locals: dict[str, Any] | None = None) -> jinja2.runtime.Context:
        blocks = self.blocks
        if isinstance(blocks, _HookedBlocks) and blocks.hook.armed:
            blocks.hook.armed = False
            return _LazyDerived(self, locals or {})
        return super().derived(locals)


class _LazyDerived(jinja2.runtime.Context):
    """``origin.derived(locals)``, made when first looked at."""

    def __init__(self, origin: jinja2.runtime.Context, locals: dict[str, Any]) -> None:
        # Context.__init__ is not called: the attributes come from the real derived context.
        self.__dict__["_origin"] = origin
        self.__dict__["_locals"] = locals

    def entry(self) -> Any:
        """What ``entry`` resolves to in this context, without making it."""
        if "_origin" not in self.__dict__:
            return self.resolve_or_missing("entry")
        entry = self._locals.get("entry", missing)
        if entry is missing:
            return self._origin.resolve_or_missing("entry")
        return entry

    def __getattr__(self, name: str) -> Any:
        origin = self.__dict__.pop("_origin", None)
        if origin is None:
            raise AttributeError(name)
        real = jinja2.runtime.Context.derived(origin, self.__dict__.pop("_locals"))
        self.__dict__.update(real.__dict__)
        return getattr(self, name)


def _closure_digest(env: jinja2.Environment, name: str) -> str:
    """A digest of ``name``'s source and of every template it extends, includes or imports,
    as this environment finds them; ``""`` if one is named by an expression."""
    from jinja2 import meta

    sources: dict[str, str] = {}
    todo = [name]
    while todo:
        current = todo.pop()
        if current in sources:
            continue
        assert env.loader is not None
        source, _, _ = env.loader.get_source(env, current)
        sources[current] = source
        for referenced in meta.find_referenced_templates(env.parse(source)):
            if referenced is None:
                return ""
            todo.append(referenced)
    hasher = hashlib.blake2b(digest_size=16)
    for current in sorted(sources):
        hasher.update(current.encode() + b"\0" + sources[current].encode() + b"\0")
    return hasher.hexdigest()


class _template_errors:
    """Turns jinja's errors into :class:`TemplateError` naming the template and line."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        name = self.name
        if exc is None or isinstance(exc, TemplateError):
            return
        if isinstance(exc, jinja2.TemplateNotFound):
            raise TemplateError(f"template {exc.name!r} not found") from None
        if isinstance(exc, RecursionError):
            raise TemplateError(
                f"{name}: the template includes, extends or imports itself (directly or through "
                "other templates), or a macro calls itself without end"
            ) from None
        if isinstance(exc, jinja2.TemplateSyntaxError):
            raise TemplateError(f"{exc.filename or exc.name}:{exc.lineno}: {exc.message}") from None
        if isinstance(exc, jinja2.UndefinedError):
            raise TemplateError(f"{_template_line(exc, name)}: {exc.message}") from None
        if isinstance(exc, jinja2.TemplateError | TypeError | ValueError | AttributeError):
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
    # (Each pattern looked for before anything is replaced: most cells have none of them.)
    if _MD_SPECIAL.search(value):
        value = _MD_SPECIAL.sub(r"\\\1", value)
    if "&" in value:
        value = _MD_ENTITY.sub(r"\\&", value)
    if "://" in value:
        value = _MD_SCHEME.sub(r"\\:", value)
    if "." in value and _MD_WWW.search(value):
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
    if not cell or cell[0] not in "'=+-@\t\r":
        return cell  # (what _FORMULA looks for starts with one of these)
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


__all__ = ["FORMATS", "Format", "Markup", "Renderer", "Rows", "make_environment", "render"]
