"""bib2table: turn a BibTeX file into a literature catalogue (HTML, Markdown, CSV).

The pipeline is one module per stage::

    parse  -> model  -> render -> clean -> write
    (.bib)   (Catalogue) (text)   (checked HTML) (files)

:func:`build` runs the first four stages and returns the rendered outputs together
with every problem found; nothing is written until the caller decides to.
"""

from bib2table.errors import Bib2TableError
from bib2table.pipeline import Output, build
from bib2table.problems import Problem, Severity
from bib2table.version import __version__

__all__ = ["Bib2TableError", "Output", "Problem", "Severity", "__version__", "build"]
