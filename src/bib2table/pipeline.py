"""The whole run without the writing: parse -> model -> render -> clean.

Kept apart from :mod:`bib2table.cli` so that the importable API and the command do the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bib2table.clean import check_page
from bib2table.errors import TemplateError
from bib2table.model import Catalogue, build_catalogue
from bib2table.parse import parse_file
from bib2table.render import FORMATS, render
from bib2table.settings import load_settings


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
) -> tuple[Catalogue, list[Output]]:
    """Parse ``source`` and render it in each of ``formats`` ("html", "markdown", "csv").

    ``encoding`` None reads UTF-8, or Windows-1252 with a warning when the file is not UTF-8.
    Problems with single entries are in ``catalogue.problems``; fatal errors raise
    :class:`~bib2table.errors.Bib2TableError`.
    """
    settings = load_settings(source, config)
    parsed = parse_file(source, encoding, name=str(source))
    catalogue = build_catalogue(parsed, settings, default_title=source.stem)
    outputs = []
    for name in formats:
        fmt = FORMATS[name]
        text = render(catalogue, fmt, template)
        if name == "html":
            faults = check_page(text)
            if faults:
                raise TemplateError("the rendered page is unsafe: " + "; ".join(faults[:3]))
        outputs.append(Output(name, text))
    return catalogue, outputs
