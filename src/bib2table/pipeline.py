"""The whole run without the writing: parse -> model -> select -> render -> clean.

Kept apart from :mod:`bib2table.cli` so that the importable API and the command do the same.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bib2table.bibtex.parse import ParsedBib, parse_files
from bib2table.cache import Cache
from bib2table.catalogue.model import Catalogue, Entry, build_catalogue
from bib2table.catalogue.settings import Settings, candidates, load_settings
from bib2table.errors import Bib2TableError, InputError, TemplateError
from bib2table.workers import MINIMUM, Soon, map_in_halves

if TYPE_CHECKING:
    from bib2table.catalogue.selection import Selection
    from bib2table.outputs.render import Rendered, Renderer, Rows, Waiting

Value = TypeVar("Value")

#: Told, now and then, what a long run is doing.
Progress = Callable[[str], None]

#: Every output format and its file extension; ``bib`` is written without a template.
EXTENSIONS = {"html": ".html", "markdown": ".md", "csv": ".csv", "json": ".json", "bib": ".bib"}


class Output:
    """One rendered output, not yet written: its text, or its UTF-8 encoding (an output made
    from kept outputs is made as bytes); each is made from the other only when asked for."""

    __slots__ = ("_data", "_text", "format", "rows", "scripts")

    def __init__(
        self,
        format: str,
        text: str | None = None,
        rows: tuple[int, ...] = (),
        scripts: dict[str, Placed] | None = None,
        *,
        data: bytes | None = None,
    ) -> None:
        if (text is None) == (data is None):
            raise TypeError("an output is made of its text or of its bytes")
        self.format = format
        self._text, self._data = text, data
        #: where each entry's row is in ``text``, in the catalogue's order: start and end,
        #: flat; empty when the output does not have exactly one kept row per entry
        self.rows = rows
        #: the page's scripts of entries' data, by name (see :class:`Placed`)
        self.scripts = scripts if scripts is not None else {}

    @property
    def text(self) -> str:
        if self._text is None:
            assert self._data is not None
            self._text = self._data.decode("utf-8")
        return self._text

    @property
    def data(self) -> bytes:
        """The text as UTF-8, as it is written."""
        if self._data is None:
            self._data = self.text.encode("utf-8")
        return self._data

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Output):
            return NotImplemented
        return self.format == other.format and self.text == other.text

    def __hash__(self) -> int:
        return hash((self.format, self.text))

    def __repr__(self) -> str:
        return f"Output({self.format!r}, {len(self.text):,} characters)"


@dataclass(frozen=True)
class Placed:
    """Where a script of entries' data (``page``: the page's data, ``cite``: its citations;
    see :class:`~bib2table.catalogue.cite.Script`) is in an output."""

    #: where its JSON starts and ends in the output
    start: int
    end: int
    #: where each entry's item is in the JSON: start and end, flat
    items: tuple[int, ...]
    #: for each name in its table (venues, ``@string`` lines): the entry that first uses it
    firsts: tuple[int, ...]


@dataclass(frozen=True)
class Loaded:
    """An input read and modelled, before any selection: what ``--check`` looks at."""

    settings: Settings
    parsed: ParsedBib
    catalogue: Catalogue
    #: the run's cache, which rendering uses too; ``None`` with ``--no-cache``
    cache: Cache | None = field(default=None, compare=False)


def is_spreadsheet(source: Path) -> bool:
    """A ``.csv`` input is a spreadsheet in the catalogue's CSV shape, not BibTeX."""
    return source.suffix.lower() == ".csv"


def inputs(source: Path | Sequence[Path]) -> tuple[Path, ...]:
    """The input files of a run, in order (one, or several that make one bibliography)."""
    return (source,) if isinstance(source, Path) else tuple(source)


def files_read(
    source: Path | Sequence[Path], config: Path | None = None, template: Path | None = None
) -> dict[Path, str]:
    """Every file a run on ``source`` (one input or several) reads, or may read once it
    appears, and what it is.

    The inputs; the settings file given, or every place one is looked for; the intro file;
    the template and the files of its folder it includes. This one list is what ``--watch``
    watches and what no output may ever be (see :func:`bib2table.outputs.write.check_targets`).
    """
    sources = inputs(source)
    source = sources[0]
    found = dict.fromkeys(sources, "the input")
    if config is not None:
        found.setdefault(config, "the settings file")
    else:
        for place in candidates(source):
            found.setdefault(place, "a possible settings file")
    with contextlib.suppress(Bib2TableError):  # reported by the run itself
        settings = load_settings(source, config)
        for number, path in enumerate(settings.files):
            found[path] = "the settings file" if number == 0 else "the intro file"
    if template is not None:
        from bib2table.outputs.render import template_files  # only with a template of one's own

        found.setdefault(template, "the template")
        for path in template_files(template)[1:]:
            found.setdefault(path, "a file the template includes")
    return found


def _collector_paused(function: Callable[..., Value]) -> Callable[..., Value]:
    """``function`` run with Python's cyclic garbage collector paused.

    A build makes a few hundred thousand objects that live until it ends (and few cycles):
    the collector's passes over them, ever longer as they grow, would take a tenth of the
    run. Afterwards they join the oldest generation at once (frozen and thawed: no pass over
    them), which the collector walks again only when much more has been made."""

    @functools.wraps(function)
    def paused(*args: Any, **kwargs: Any) -> Value:
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.freeze()
            gc.unfreeze()
            gc.enable()

    return paused


@_collector_paused
def load(
    source: Path | Sequence[Path],
    config: Path | None = None,
    encoding: str | None = None,
    cache: bool = True,
    progress: Progress | None = None,
) -> Loaded:
    """Read ``source`` (a ``.bib``, or a ``.csv`` spreadsheet) and build its whole catalogue.

    Several ``.bib`` files are one bibliography, read in order as BibTeX reads
    ``\\bibliography{strings,refs}``; settings are found from the first one, and the
    catalogue is named after the last (the entries usually come after the abbreviations).
    """
    sources = inputs(source)
    first = sources[0]
    settings = load_settings(first, config)
    store = Cache() if cache else None
    _begin_prepared(store)
    say = progress or (lambda _: None)
    say("reading " + ", ".join(s.name for s in sources))
    if is_spreadsheet(first) and len(sources) == 1:
        from bib2table.catalogue.csvread import read_csv

        parsed = read_csv(first, settings, encoding, str(first), store)
    elif any(is_spreadsheet(s) for s in sources):
        raise InputError("a spreadsheet (.csv) is read on its own: give it as the only INPUT")
    else:
        names = [str(s) for s in sources]
        parsed = parse_files(sources, encoding, names, store, settings.keep_undefined)
    say(f"decoding {len(parsed.entries):,} entries")
    catalogue = build_catalogue(parsed, settings, sources[-1].stem, store)
    if store is not None:
        store.save()
    return Loaded(settings, parsed, catalogue, store)


def build(
    source: Path | Sequence[Path],
    formats: list[str],
    config: Path | None = None,
    template: Path | None = None,
    encoding: str | None = None,
    cache: bool = True,
    progress: Progress | None = None,
    selection: Selection | None = None,
) -> tuple[Catalogue, list[Output]]:
    """Parse ``source`` and render it in each of ``formats`` ("html", "markdown", "csv", "bib").

    ``encoding`` None reads UTF-8, or Windows-1252 with a warning when the file is not UTF-8.
    ``cache`` keeps what was read and decoded between runs (see :mod:`bib2table.cache`).
    ``selection`` keeps only some entries, in every format. Problems with single entries are
    in ``catalogue.problems``; fatal errors raise :class:`~bib2table.errors.Bib2TableError`.
    """
    prepare(formats, template)
    loaded = load(source, config, encoding, cache, progress)
    catalogue = choose(loaded, selection)
    return catalogue, render_all(loaded, catalogue, formats, template, progress)


_Wish = tuple[tuple[str, ...], Path | None, Cache | None]

#: What :func:`prepare` asked for (formats and template), until :func:`load` begins it.
_wanted: tuple[tuple[str, ...], Path | None] | None = None
#: The renderers begun: for which formats, template and cache, and them.
_prepared: tuple[_Wish, Soon[dict[str, Renderer]]] | None = None


def prepare(formats: list[str], template: Path | None = None) -> None:
    """Ask for what rendering ``formats`` needs (the templates, compiled) to be made while a
    second core reads the input (see :class:`~bib2table.workers.Soon`): :func:`load` begins it
    once the run's cache is open, and :func:`render_all` takes it."""
    global _wanted
    _wanted = (tuple(formats), template)


def _begin_prepared(store: Cache | None) -> None:
    """Begin to make the renderers :func:`prepare` asked for, with ``store``'s compiled
    templates; forget any begun for an earlier run."""
    global _wanted, _prepared
    wanted, _wanted = _wanted, None
    if _prepared is not None:
        _prepared[1].cancel()
        _prepared = None
    if wanted is not None:
        formats, template = wanted
        made = Soon(lambda: _renderers(list(formats), template, store))
        _prepared = ((formats, template, store), made)


def _renderers(
    formats: list[str], template: Path | None, store: Cache | None
) -> dict[str, Renderer]:
    """A renderer for each of ``formats`` (``bib`` has none)."""
    # Imported here: a run that renders nothing (--check) does without jinja2 and lxml.
    import bib2table.outputs.clean  # noqa: F401  (what checks the outputs, imported here too)
    from bib2table.outputs.render import FORMATS, Renderer

    return {name: Renderer(FORMATS[name], template, store) for name in formats if name != "bib"}


def choose(loaded: Loaded, selection: Selection | None) -> Catalogue:
    """The catalogue with only the selected entries; with them, the selection's own problems
    (a ``--category`` that names nothing)."""
    if not selection:
        return loaded.catalogue
    from bib2table.catalogue.selection import select

    return select(loaded.catalogue, selection, loaded.settings.keyword_hierarchy)


@_collector_paused
def render_all(
    loaded: Loaded,
    catalogue: Catalogue,
    formats: list[str],
    template: Path | None = None,
    progress: Progress | None = None,
) -> list[Output]:
    """Render ``catalogue`` (``loaded``'s, or a selection of it) in each of ``formats``.

    Each format's rows are rendered one by one and, with a cache, kept: a rebuild renders only
    the rows of changed entries and assembles the rest (see :mod:`bib2table.outputs.render`).
    Several formats are rendered on two cores when the catalogue is large.
    """
    global _prepared
    (progress or (lambda _: None))("writing " + ", ".join(formats))
    store = loaded.cache
    prepared, _prepared = _prepared, None
    if prepared is not None and prepared[0] == (tuple(formats), template, store):
        renderers = prepared[1].get()
    else:
        if prepared is not None:
            prepared[1].cancel()
        renderers = _renderers(formats, template, store)
    from bib2table.outputs.clean import STAND_IN, check_assembled, fitting

    rows = {name: _rows(store, renderer, catalogue) for name, renderer in renderers.items()}
    # The rows the cache lacks: many are rendered first, on two cores, while this process
    # renders the pages around them (leaving their places for them); they are put in their
    # places after. Rows made so are in their format's strict form but those in ``unfit``.
    needed = [e for e in catalogue.entries if any(_lacks(rows[n], e) for n in renderers)]
    ahead = len(needed) >= MINIMUM
    pages = {
        name: Soon(functools.partial(_page_ahead, renderer, catalogue, rows[name]))
        for name, renderer in renderers.items()
        if ahead
    }
    try:
        unfit = _make_rows(renderers, rows, catalogue, needed) if ahead else {}
    finally:
        for page in pages.values():
            page.cancel()  # made when asked for, from here on

    def output(name: str) -> tuple[Output, dict[bytes, str]]:
        if name == "bib":
            from bib2table.bibtex.bibwrite import bib_text

            bib = bib_text(loaded.catalogue, catalogue.entries, loaded.parsed.preambles)
            return Output(name, bib), {}
        made_before = set(rows[name].made)
        page = pages[name].get() if name in pages else None
        rendered = page.waiting.filled(rows[name].made) if page is not None else None
        if rendered is None:
            page = None
            rendered = renderers[name].render(catalogue, rows[name])
        # Rows read from the cache were checked as they were read; these are the new ones.
        all_made = rows[name].made
        wrong = unfit.get(name, set())
        made = {k: v for k, v in all_made.items() if k in made_before and k not in wrong}
        made.update(fitting({k: v for k, v in all_made.items() if k not in made_before}, name))
        if name == "html":
            if page is not None and page.skeleton is not None:
                skeleton, checked = page.skeleton, page.checked
            else:
                skeleton, checked = rendered.without_rows(STAND_IN), None
            rows_fit = len(made) == len(all_made)
            faults = check_assembled(rendered.text, skeleton, rows_fit, checked)
            if faults:
                raise TemplateError("the rendered page is unsafe: " + "; ".join(faults[:3]))
        spans = row_spans(rendered, len(catalogue.entries))
        output = Output(name, rendered.text, spans, placed(rendered))
        return output, (made if store else {})

    # The formats are rendered on two cores when some take long: a large catalogue's --bib, or
    # a format whose rows were not rendered ahead (the pages around rows made take little).
    ahead_done = {name for name, kept in rows.items() if kept.made or kept.found}
    slow = [name for name in formats if name not in ahead_done]
    parallel = len(catalogue.entries) >= MINIMUM and bool(slow)
    done = map_in_halves(output, formats, minimum=2 if parallel else len(formats) + 1)
    if store is not None:
        for _, made in done:
            for key, text in made.items():
                store.put("fragments", key, text)
        store.save()
        store.close()
    return [result for result, _ in done]


@dataclass
class _Page:
    """An output rendered before its rows, and, for a page, its skeleton already checked."""

    waiting: Waiting
    skeleton: str | None = None
    checked: tuple[list[str], int] | None = None


def _page_ahead(renderer: Renderer, catalogue: Catalogue, rows: Rows) -> _Page:
    """``renderer``'s output of ``catalogue`` with the places of the rows ``rows`` lacks kept
    for them; for the HTML page, also the page's skeleton (its rows left out), checked."""
    from bib2table.outputs.clean import STAND_IN, check_skeleton

    waiting = renderer.render_waiting(catalogue, rows)
    if renderer.format.name != "html":
        return _Page(waiting)
    skeleton = waiting.without_rows(STAND_IN)
    return _Page(waiting, skeleton, check_skeleton(skeleton))


#: How many pieces the entries of a large catalogue are cut into to render their rows.
ROW_PIECES = 48


def _make_rows(
    renderers: dict[str, Renderer],
    rows: dict[str, Rows],
    catalogue: Catalogue,
    needed: list[Entry],
) -> dict[str, set[bytes]]:
    """Render the rows of ``catalogue`` that ``rows`` lack, in every format whose rows are
    rendered alone, on two cores when there are many, adding them to ``rows``; and, by format,
    the keys of the rows made that are not in their format's strict form."""
    from bib2table.outputs.clean import fitting

    unfit: dict[str, set[bytes]] = {name: set() for name in renderers}
    makers = {name: renderer.row_maker(catalogue) for name, renderer in renderers.items()}
    count = min(ROW_PIECES, len(needed))
    cuts = [len(needed) * n // count for n in range(count + 1)]
    pieces = [needed[cuts[n] : cuts[n + 1]] for n in range(count)]

    def make(piece: list[Entry]) -> dict[str, tuple[dict[bytes, str], list[bytes]]]:
        found = {}
        for name, maker in makers.items():
            if maker is None:
                continue  # rendered with the page
            kept, key_of = rows[name].found, rows[name].key_of
            made: dict[bytes, str] = {}
            for entry in piece:
                key = key_of(entry)
                if key is not None and key not in kept and key not in made:
                    made[key] = maker(entry)
            fit = fitting(made, name)
            found[name] = (made, [key for key in made if key not in fit])
        return found

    for found in map_in_halves(make, pieces, minimum=2, pieces=count):
        for name, (made, unfitting) in found.items():
            rows[name].made.update(made)
            unfit[name].update(unfitting)
    return unfit


def _lacks(rows: Rows, entry: Entry) -> bool:
    key = rows.key_of(entry)
    return key is not None and key not in rows.found


def row_spans(rendered: Rendered, count: int | None = None) -> tuple[int, ...]:
    """Where the rows are in ``rendered`` (see :attr:`Output.rows`); with ``count``, empty
    unless it has that many rows."""
    if count is not None and sum(rendered.rows) != count:
        return ()
    spans: list[int] = []
    at = 0
    for piece, is_row in zip(rendered.pieces, rendered.rows, strict=True):
        if is_row:
            spans += (at, at + len(piece))
        at += len(piece)
    return tuple(spans)


def placed(rendered: Rendered) -> dict[str, Placed]:
    """Where the scripts of entries' data are in ``rendered`` (see :attr:`Output.scripts`)."""
    found = {}
    for name, (number, script) in rendered.scripts.items():
        start = sum(len(piece) for piece in rendered.pieces[:number])
        end = start + len(script.text)
        found[name] = Placed(start, end, script.spans, script.firsts)
    return found


def _rows(store: Cache | None, renderer: Renderer, catalogue: Catalogue) -> Rows:
    """The rows of ``catalogue`` already rendered with ``renderer`` and kept in ``store``
    (only those still in the format's strict form); without a store, none."""
    from bib2table.outputs.clean import fitting
    from bib2table.outputs.render import RowCatalogue, Rows, row_key_parts

    entries = catalogue.entries
    if store is None or not renderer.digest():
        keys = {id(entry): id(entry).to_bytes(8, "little") for entry in entries}
        return Rows(lambda entry: keys.get(id(entry)))
    shape = RowCatalogue.of(catalogue).digest()
    template = renderer.digest()
    keys = {}
    for entry in entries:
        parts = row_key_parts(entry)
        if parts is not None:
            keys[id(entry)] = store.key("row", template, shape, *parts)
    found = fitting(store.get_many("fragments", keys.values()), renderer.format.name)
    return Rows(lambda entry: keys.get(id(entry)), found)
