"""The whole run without the writing: parse -> model -> select -> render -> clean.

Kept apart from :mod:`bib2table.cli` so that the importable API and the command do the same.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bib2table.bibtex.bibwrite import bib_text
from bib2table.bibtex.parse import ParsedBib, parse_file
from bib2table.cache import Cache
from bib2table.catalogue.csvread import read_csv
from bib2table.catalogue.model import Catalogue, build_catalogue
from bib2table.catalogue.selection import Selection, select
from bib2table.catalogue.settings import Settings, candidates, load_settings
from bib2table.errors import Bib2TableError, TemplateError
from bib2table.outputs.clean import check_page
from bib2table.outputs.render import FORMATS, render, template_files
from bib2table.workers import MINIMUM, map_in_halves

#: Told, now and then, what a long run is doing.
Progress = Callable[[str], None]

#: Every output format and its file extension; ``bib`` is written without a template.
EXTENSIONS = {name: fmt.extension for name, fmt in FORMATS.items()} | {"bib": ".bib"}


@dataclass(frozen=True)
class Output:
    """One rendered output, not yet written."""

    format: str
    text: str


@dataclass(frozen=True)
class Loaded:
    """An input read and modelled, before any selection: what ``--check`` looks at."""

    settings: Settings
    parsed: ParsedBib
    catalogue: Catalogue


def is_spreadsheet(source: Path) -> bool:
    """A ``.csv`` input is a spreadsheet in the catalogue's CSV shape, not BibTeX."""
    return source.suffix.lower() == ".csv"


def files_read(
    source: Path, config: Path | None = None, template: Path | None = None
) -> dict[Path, str]:
    """Every file a run on ``source`` reads, or may read once it appears, and what it is.

    The input; the settings file given, or every place one is looked for; the intro file;
    the template and the files of its folder it includes. This one list is what ``--watch``
    watches and what no output may ever be (see :func:`bib2table.outputs.write.check_targets`).
    """
    found = {source: "the input"}
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
        found.setdefault(template, "the template")
        for path in template_files(template)[1:]:
            found.setdefault(path, "a file the template includes")
    return found


def load(
    source: Path,
    config: Path | None = None,
    encoding: str | None = None,
    cache: bool = True,
    progress: Progress | None = None,
) -> Loaded:
    """Read ``source`` (a ``.bib``, or a ``.csv`` spreadsheet) and build its whole catalogue."""
    settings = load_settings(source, config)
    store = Cache(source) if cache else None
    say = progress or (lambda _: None)
    say(f"reading {source.name}")
    if is_spreadsheet(source):
        parsed = read_csv(source, settings, encoding, str(source), store)
    else:
        parsed = parse_file(source, encoding, str(source), store)
    say(f"decoding {len(parsed.entries):,} entries")
    catalogue = build_catalogue(parsed, settings, source.stem, store)
    if store is not None:
        store.save()
    return Loaded(settings, parsed, catalogue)


def build(
    source: Path,
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
    loaded = load(source, config, encoding, cache, progress)
    catalogue = choose(loaded, selection)
    return catalogue, render_all(loaded, catalogue, formats, template, progress)


def choose(loaded: Loaded, selection: Selection | None) -> Catalogue:
    """The catalogue with only the selected entries; with them, the selection's own problems
    (a ``--category`` that names nothing)."""
    if not selection:
        return loaded.catalogue
    return select(loaded.catalogue, selection, loaded.settings.keyword_hierarchy)


def render_all(
    loaded: Loaded,
    catalogue: Catalogue,
    formats: list[str],
    template: Path | None = None,
    progress: Progress | None = None,
) -> list[Output]:
    """Render ``catalogue`` (``loaded``'s, or a selection of it) in each of ``formats``."""
    (progress or (lambda _: None))("writing " + ", ".join(formats))

    def output(name: str) -> Output:
        if name == "bib":
            bib = bib_text(loaded.catalogue, catalogue.entries, loaded.parsed.preambles)
            return Output(name, bib)
        text = render(catalogue, FORMATS[name], template)
        if name == "html":
            faults = check_page(text)
            if faults:
                raise TemplateError("the rendered page is unsafe: " + "; ".join(faults[:3]))
        return Output(name, text)

    large = len(catalogue.entries) >= MINIMUM
    return map_in_halves(output, formats, minimum=2 if large else len(formats) + 1)
