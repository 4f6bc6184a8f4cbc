"""Keep a section of a Markdown file (a README) equal to the catalogue.

The section is the text between two marker lines, which Markdown renders as nothing::

    <!-- bib2table:begin -->
    …replaced on every update…
    <!-- bib2table:end -->

A marker counts where CommonMark (https://spec.commonmark.org) would read it as an HTML block
of its own: at the start of a line (up to three spaces in), outside fenced and indented code
blocks, those inside list items included; a byte-order mark before the first line is fine.
Markers shown as examples in code do not count.

Everything outside the markers is left byte for byte as it was (newlines included), so the
README stays the maintainer's own file. Before anything is written, the new file is read again:
if the text put between the markers would move them (it holds a marker line, or opens a code
block it does not close, which would hide the end marker), the update is refused, so that no
later update can take the maintainer's text for the section. ``--check`` compares instead of
writing, for CI to notice a section that was not regenerated after the ``.bib`` changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

from bib2table.errors import Bib2TableError
from bib2table.files import MAX_INPUT_BYTES, read_bytes
from bib2table.problems import Problem

BEGIN = "<!-- bib2table:begin -->"
END = "<!-- bib2table:end -->"

_MARKER = re.compile(r"[ ]{0,3}<!--[ \t]*bib2table:(begin|end)[ \t]*-->[ \t]*")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_BOM = "\ufeff"


class SectionError(Bib2TableError):
    """The file to update has no (or no single, well-ordered) pair of markers."""


@dataclass(frozen=True)
class _Marker:
    """A marker line: ``begin`` or ``end``, its line number, where it starts, where its text
    ends (before the line break) and the line break itself."""

    kind: str
    line: int
    start: int
    end: int
    newline: str


def read_document(path: Path) -> str:
    """The Markdown file's text, newlines as they are (a UTF-8 byte-order mark kept)."""
    data = read_bytes(path, "file to update", MAX_INPUT_BYTES, SectionError)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SectionError(f"{path}:{line}: not UTF-8; bib2table updates UTF-8 files") from None
    return text


def replace_section(document: str, content: str, name: str) -> str:
    """``document`` with the text between its markers replaced by ``content``."""
    begin, end = _section(document, name)
    newline = begin.newline or _first_newline(document)
    body = content.replace("\r\n", "\n").strip("\n")
    inner = newline + (body.replace("\n", newline) + newline if body else "")
    updated = document[: begin.end] + inner + document[end.start :]
    again = _markers(updated)
    if [(m.kind, m.start) for m in again] != [
        ("begin", begin.start),
        ("end", begin.end + len(inner)),
    ]:
        raise SectionError(
            f"{name}: the new section would not stay between the markers: its text holds a "
            "bib2table marker line or opens a code block (``` or ~~~) it does not close, "
            "e.g. in the intro. Remove that from the intro or the template; the file is left "
            "as it was"
        )
    return updated


def stale(path: Path, content: str, command: str) -> Problem | None:
    """A problem when the section of ``path`` is not ``content``; ``command`` refreshes it."""
    document = read_document(path)
    if replace_section(document, content, str(path)) == document:
        return None
    message = f"the bib2table section is out of date; run: {command}"
    return Problem(str(path), begin_line(document), "", message)


def has_markers(document: str) -> bool:
    """Whether ``document`` has a marker line at all (outside code blocks)."""
    return bool(_markers(document))


def begin_line(document: str) -> int:
    """The line of the begin marker (1 when there is none), for messages about the section."""
    return next((m.line for m in _markers(document) if m.kind == "begin"), 1)


def _section(document: str, name: str) -> tuple[_Marker, _Marker]:
    """The one begin and one end marker of ``document``, in that order, or a clear error."""
    markers = _markers(document)
    begins = [m for m in markers if m.kind == "begin"]
    ends = [m for m in markers if m.kind == "end"]
    how = f"put the lines {BEGIN} and {END} where the catalogue should go"
    if not begins and not ends:
        raise SectionError(f"{name} has no bib2table section; {how}")
    if not begins or not ends:
        have, lack = (BEGIN, END) if begins else (END, BEGIN)
        raise SectionError(f"{name} has {have} but no {lack}; {how}")
    if len(begins) > 1 or len(ends) > 1:
        raise SectionError(f"{name} has more than one bib2table section; keep one pair of markers")
    begin, end = begins[0], ends[0]
    if end.start < begin.end:
        raise SectionError(f"{name}:{end.line}: {END} comes before {BEGIN}")
    return begin, end


def _markers(document: str) -> list[_Marker]:
    """The marker lines of ``document`` that count, in order."""
    offset = 1 if document.startswith(_BOM) else 0
    text = document[offset:]
    code = _code_lines(text)
    found = []
    for number, match in enumerate(_LINE.finditer(text)):
        line = match.group()
        if not line:
            break
        stripped = line.rstrip("\r\n")
        marker = _MARKER.fullmatch(stripped)
        if marker is None or number in code:
            continue
        start = offset + match.start()
        found.append(
            _Marker(
                marker.group(1),
                number + 1,
                start,
                start + len(stripped),
                line[len(stripped) :],
            )
        )
    return found


def _code_lines(text: str) -> set[int]:
    """The lines (from 0) inside fenced or indented code blocks, as CommonMark reads them."""
    lines: set[int] = set()
    for token in MarkdownIt("commonmark").parse(text):
        if token.type in ("fence", "code_block") and token.map is not None:
            lines.update(range(*token.map))
    return lines


def _first_newline(document: str) -> str:
    match = re.search(r"\r\n|\r|\n", document)
    return match.group() if match else "\n"
