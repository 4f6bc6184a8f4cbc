"""bib2table: turn a BibTeX file into a literature catalogue (HTML, Markdown, CSV).

The pipeline is one module per stage::

    parse  -> model  -> render -> clean -> write
    (.bib)   (Catalogue) (text)   (checked HTML) (files)

:func:`build` runs the first four stages and returns the rendered outputs together
with every problem found; nothing is written until the caller decides to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bib2table.errors import Bib2TableError
from bib2table.problems import Problem, Severity
from bib2table.version import __version__

if TYPE_CHECKING:
    from bib2table.pipeline import Output, build

__all__ = ["Bib2TableError", "Output", "Problem", "Severity", "__version__", "build"]


def __getattr__(name: str) -> Any:
    """``build`` and ``Output`` are imported when first asked for: a run that does not need the
    whole pipeline (``--version``, ``--check``) does not pay for importing it."""
    if name in ("build", "Output"):
        from bib2table import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'bib2table' has no attribute {name!r}")
