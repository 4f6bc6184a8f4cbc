"""The catalogue: what a ``.bib`` becomes once settings shape it.

``settings`` reads ``bib2table.toml``, ``model`` builds the rows, ``selection`` keeps the
entries a command line chooses, ``cite`` gives the page each entry's BibTeX, links and chart,
and ``csvread`` turns a spreadsheet in the catalogue's shape back into BibTeX. This wing imports
from ``bibtex`` and the base modules, never from ``outputs`` or the drivers.
"""
