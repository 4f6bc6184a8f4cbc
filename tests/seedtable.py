"""Parser for the seed literature table in ``tests/data/seed_compression.md``.

The seed page holds one pandoc "simple table": a header line, a line of dash
runs, then one line per paper, ending at the first blank line (or at the end of
the file).  Each run of dashes gives the extent of one column; row text is
aligned to those extents (numbers right-aligned, text left-aligned) and a cell
may be empty or missing altogether at the end of a short line.

Because a header such as ``Quantization, low-rank, etc.`` contains spaces, the
columns are located from the dashes line, never by splitting on whitespace.

The expected columns are ``Year``, ``Author``, ``Title`` (written as
``[Title](url)``), ``Venue`` and then the category mark columns, whose cells
hold ``x`` when the paper belongs to that category.

Only the standard library is used.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re

__all__ = ["CATEGORY_COLUMNS", "FIXED_COLUMNS", "SeedRow", "load_seed"]

#: The leading, non-category columns, in table order.
FIXED_COLUMNS: tuple[str, ...] = ("Year", "Author", "Title", "Venue")

#: The category mark columns, in table order, exactly as the header spells them.
CATEGORY_COLUMNS: tuple[str, ...] = (
    "Pruning",
    "Distillation",
    "Architecture",
    "Quantization, low-rank, etc.",
    "Other",
)

_DASHES_LINE = re.compile(r"^\s*-+(?:\s+-+)+\s*$")
_DASH_RUN = re.compile(r"-+")
_LINK = re.compile(r"^\[(?P<text>.*)\]\((?P<url>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)$")


@dataclasses.dataclass(frozen=True)
class SeedRow:
    """One data row of the seed table.

    Attributes:
        year: The Year cell, as written (e.g. ``"2017"``).
        author: The Author cell, as written (names joined by ``", "``).
        title: The link text of the Title cell.
        url: The link target of the Title cell, byte for byte.
        venue: The Venue cell, as written.
        marks: For each label in :data:`CATEGORY_COLUMNS`, whether the row's
            cell in that column holds a mark.
    """

    year: str
    author: str
    title: str
    url: str
    venue: str
    marks: dict[str, bool]


def _column_extents(dashes: str) -> list[tuple[int, int]]:
    """Return the ``(start, end)`` character offsets of each run of dashes."""
    return [(m.start(), m.end()) for m in _DASH_RUN.finditer(dashes)]


def _split_cells(line: str, extents: list[tuple[int, int]]) -> list[str]:
    """Cut ``line`` into stripped cells, one per column extent.

    Column ``i`` is taken from the start of its dash run up to the start of the
    next run (the last column runs to the end of the line), so text that is
    aligned to a run, or spills into the gap after it, lands in that column.
    """
    cells = []
    for i, (start, _end) in enumerate(extents):
        stop = extents[i + 1][0] if i + 1 < len(extents) else None
        cells.append(line[start:stop].strip())
    return cells


def _find_table(lines: list[str]) -> int:
    """Return the index of the table's dashes line.

    The dashes line is the first line made only of two or more runs of
    dashes that follows a non-blank (header) line.
    """
    for i, line in enumerate(lines):
        if i > 0 and lines[i - 1].strip() and _DASHES_LINE.match(line):
            return i
    raise ValueError("no pandoc simple table (header + dashes line) found")


def load_seed(path: pathlib.Path) -> list[SeedRow]:
    """Parse the simple table in the Markdown file at ``path``.

    Args:
        path: The seed Markdown page.

    Returns:
        The table's data rows, in the order they appear in the file.

    Raises:
        ValueError: If no table is found, its header does not have the
            expected columns, a Title cell is not a ``[text](url)`` link, or
            a category cell holds something other than ``x`` or nothing.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    dash_index = _find_table(lines)
    extents = _column_extents(lines[dash_index])
    header = _split_cells(lines[dash_index - 1], extents)
    expected = list(FIXED_COLUMNS + CATEGORY_COLUMNS)
    if header != expected:
        raise ValueError(f"unexpected table header {header!r}, wanted {expected!r}")

    rows: list[SeedRow] = []
    for lineno, line in enumerate(lines[dash_index + 1 :], start=dash_index + 2):
        if not line.strip():
            break
        cells = dict(zip(header, _split_cells(line, extents), strict=True))
        link = _LINK.match(cells["Title"])
        if link is None:
            raise ValueError(f"line {lineno}: Title cell is not a [text](url) link")
        for label in CATEGORY_COLUMNS:
            if cells[label] not in ("", "x"):
                raise ValueError(f"line {lineno}: unexpected mark {cells[label]!r} in {label!r}")
        rows.append(
            SeedRow(
                year=cells["Year"],
                author=cells["Author"],
                title=link.group("text"),
                url=link.group("url"),
                venue=cells["Venue"],
                marks={label: bool(cells[label]) for label in CATEGORY_COLUMNS},
            )
        )
    return rows
