"""Keep a section of a Markdown file (a README) equal to the catalogue.

The section is the text between two marker lines, which Markdown renders as nothing::

    <!-- bib2table:begin -->
    …replaced on every update…
    <!-- bib2table:end -->

Everything outside the markers is left byte for byte as it was, so the README stays the
maintainer's own file; ``--check`` compares instead of writing, for CI to notice a section
that was not regenerated after the ``.bib`` changed.
"""

from __future__ import annotations

import re
from pathlib import Path

from bib2table.errors import Bib2TableError
from bib2table.problems import Problem

BEGIN = "<!-- bib2table:begin -->"
END = "<!-- bib2table:end -->"

_BEGIN = re.compile(r"^[ \t]*<!--\s*bib2table:begin\s*-->[ \t]*(?=\r?$)", re.MULTILINE)
_END = re.compile(r"^[ \t]*<!--\s*bib2table:end\s*-->[ \t]*(?=\r?$)", re.MULTILINE)
_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})", re.MULTILINE)


class SectionError(Bib2TableError):
    """The file to update has no (or no single, well-ordered) pair of markers."""


def read_document(path: Path) -> str:
    """The Markdown file's text, newlines as they are (a UTF-8 byte-order mark kept)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SectionError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SectionError(f"{path}:{line}: not UTF-8; bib2table updates UTF-8 files") from None
    return text


def replace_section(document: str, content: str, name: str) -> str:
    """``document`` with the text between its markers replaced by ``content``."""
    fenced = _fenced(document)
    begins = [m for m in _BEGIN.finditer(document) if not _inside(m.start(), fenced)]
    ends = [m for m in _END.finditer(document) if not _inside(m.start(), fenced)]
    how = f"put the lines {BEGIN} and {END} where the catalogue should go"
    if not begins and not ends:
        raise SectionError(f"{name} has no bib2table section; {how}")
    if not begins or not ends:
        have, lack = (BEGIN, END) if begins else (END, BEGIN)
        raise SectionError(f"{name} has {have} but no {lack}; {how}")
    if len(begins) > 1 or len(ends) > 1:
        raise SectionError(f"{name} has more than one bib2table section; keep one pair of markers")
    begin, end = begins[0], ends[0]
    if end.start() < begin.end():
        line = document.count("\n", 0, end.start()) + 1
        raise SectionError(f"{name}:{line}: {END} comes before {BEGIN}")
    newline = "\r\n" if "\r\n" in document else "\n"
    body = content.replace("\r\n", "\n").strip("\n")
    inner = newline + (body.replace("\n", newline) + newline if body else "")
    return document[: begin.end()] + inner + document[end.start() :]


def stale(path: Path, content: str, command: str) -> Problem | None:
    """A problem when the section of ``path`` is not ``content``; ``command`` refreshes it."""
    document = read_document(path)
    if replace_section(document, content, str(path)) == document:
        return None
    message = f"the bib2table section is out of date; run: {command}"
    return Problem(str(path), begin_line(document), "", message)


def has_markers(document: str) -> bool:
    """Whether ``document`` has a marker line at all (outside fenced code blocks)."""
    fenced = _fenced(document)
    found = [*_BEGIN.finditer(document), *_END.finditer(document)]
    return any(not _inside(m.start(), fenced) for m in found)


def begin_line(document: str) -> int:
    """The line of the begin marker (1 when there is none), for messages about the section."""
    fenced = _fenced(document)
    for match in _BEGIN.finditer(document):
        if not _inside(match.start(), fenced):
            return document.count("\n", 0, match.start()) + 1
    return 1


def _fenced(document: str) -> list[tuple[int, int]]:
    """Where the fenced code blocks are: markers shown in them as examples are not markers."""
    spans = []
    opened: tuple[int, str] | None = None
    for match in _FENCE.finditer(document):
        fence = match.group(1)
        if opened is None:
            opened = (match.start(), fence)
        elif fence[0] == opened[1][0] and len(fence) >= len(opened[1]):
            spans.append((opened[0], match.end()))
            opened = None
    if opened is not None:
        spans.append((opened[0], len(document)))
    return spans


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)
