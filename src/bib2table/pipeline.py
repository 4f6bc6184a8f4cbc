"""The whole run without the writing: parse -> model -> render -> clean.

Kept apart from :mod:`bib2table.cli` so that the importable API and the command do the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bib2table.cache import Cache
from bib2table.clean import check_page
from bib2table.errors import TemplateError
from bib2table.model import Catalogue, build_catalogue
from bib2table.parse import parse_file
from bib2table.render import FORMATS, render
from bib2table.settings import load_settings
from bib2table.workers import MINIMUM, map_in_halves

#: Told, now and then, what a long run is doing.
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Output:
    """One rendered output, not yet written."""

    format: str
    text: str


def build(
    source: Path,
    formats: list[str],
    config: Path | None = None,
    template: Path | None = None,
    encoding: str | None = None,
    cache: bool = True,
    progress: Progress | None = None,
) -> tuple[Catalogue, list[Output]]:
    """Parse ``source`` and render it in each of ``formats`` ("html", "markdown", "csv").

    ``encoding`` None reads UTF-8, or Windows-1252 with a warning when the file is not UTF-8.
    ``cache`` keeps what was read and decoded between runs (see :mod:`bib2table.cache`).
    Problems with single entries are in ``catalogue.problems``; fatal errors raise
    :class:`~bib2table.errors.Bib2TableError`.
    """
    settings = load_settings(source, config)
    store = Cache(source) if cache else None
    say = progress or (lambda _: None)
    say(f"reading {source.name}")
    parsed = parse_file(source, encoding, str(source), store)
    say(f"decoding {len(parsed.entries):,} entries")
    catalogue = build_catalogue(parsed, settings, source.stem, store)
    say("writing " + ", ".join(formats))

    def output(name: str) -> Output:
        text = render(catalogue, FORMATS[name], template)
        if name == "html":
            faults = check_page(text)
            if faults:
                raise TemplateError("the rendered page is unsafe: " + "; ".join(faults[:3]))
        return Output(name, text)

    large = len(catalogue.entries) >= MINIMUM
    outputs = map_in_halves(output, formats, minimum=2 if large else len(formats) + 1)
    if store is not None:
        store.save()
    return catalogue, outputs
