"""Stage 1: read a ``.bib`` file into entries whose field values are plain strings.

bibtexparser's splitter finds the blocks; its default middlewares are not used, because they
leave ``#`` concatenation, ``@string`` chains and month macros unresolved. Instead every value
is evaluated here the way BibTeX does it: quoted or braced pieces, numbers and macro names,
joined by ``#``. Values keep their LaTeX; decoding is the model's job, and only for what is shown.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bibtexparser import model as bp
from bibtexparser.splitter import Splitter

from bib2table.errors import InputError
from bib2table.problems import Problem, Severity

#: BibTeX's predefined month macros (plain.bst and friends).
MONTHS = {
    "jan": "January",
    "feb": "February",
    "mar": "March",
    "apr": "April",
    "may": "May",
    "jun": "June",
    "jul": "July",
    "aug": "August",
    "sep": "September",
    "oct": "October",
    "nov": "November",
    "dec": "December",
}

#: A value longer than this is cut, so that strings doubling themselves cannot exhaust memory.
MAX_VALUE_LENGTH = 1_000_000


@dataclass
class ParsedEntry:
    """One entry with its values resolved, still in LaTeX, field names in lower case."""

    key: str
    entry_type: str
    line: int
    fields: dict[str, str]
    raw: str = ""


@dataclass
class ParsedBib:
    """What the parse stage hands on: entries in file order and the problems met."""

    file: str
    entries: list[ParsedEntry] = field(default_factory=list)
    strings: dict[str, str] = field(default_factory=dict)
    preambles: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """Read the file as text, refusing to guess: a wrong guess would silently corrupt names."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}; try utf-8, latin-1 or cp1252") from None
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise InputError(f"{path} is a directory; give the .bib file inside it") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = "utf-8-sig"  # a byte-order mark is fine
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{path}:{line}: not valid {encoding} (byte 0x{data[exc.start]:02x}); "
            "if the file is Latin-1 or Windows-1252, run again with --encoding cp1252"
        ) from None


def parse_file(path: Path, encoding: str = "utf-8", name: str | None = None) -> ParsedBib:
    """Parse a ``.bib`` file; ``name`` is how problems refer to it (defaults to the path)."""
    return parse_text(read_text(path, encoding), name or str(path))


def parse_text(text: str, name: str = "<string>") -> ParsedBib:
    """Parse BibTeX source into resolved entries, collecting problems instead of raising."""
    result = ParsedBib(file=name)
    library = Splitter(text).split()
    macros: dict[str, str] = dict(MONTHS)
    seen: dict[str, int] = {}
    for block in library.blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, bp.String):
            value = _evaluate(block.value, macros, result, line, f"@string {block.key}")
            macros[block.key.lower()] = value
            result.strings[block.key] = value
        elif isinstance(block, bp.Preamble):
            result.preambles.append(_evaluate(block.value, macros, result, line, "@preamble"))
        elif isinstance(block, bp.Entry):
            _add_entry(result, block, macros, seen, duplicated=())
        elif isinstance(block, bp.DuplicateFieldKeyBlock) and isinstance(
            block.ignore_error_block, bp.Entry
        ):
            entry = block.ignore_error_block
            _add_entry(result, entry, macros, seen, duplicated=sorted(block.duplicate_keys))
        elif isinstance(block, bp.DuplicateBlockKeyBlock):
            first = seen.get(block.key.lower())
            where = f" (first at line {first})" if first else ""
            result.problems.append(
                Problem(name, line, block.key, f"duplicate key{where}; this entry is left out")
            )
        elif isinstance(block, bp.ParsingFailedBlock):
            result.problems.append(Problem(name, line, "", _failure_reason(block)))
    return result


def _add_entry(
    result: ParsedBib,
    entry: bp.Entry,
    macros: dict[str, str],
    seen: dict[str, int],
    duplicated: Iterable[str],
) -> None:
    """Resolve one entry's fields; like BibTeX, the first of repeated fields wins."""
    line = (entry.start_line or 0) + 1
    key = entry.key.strip()
    if not key:
        result.problems.append(
            Problem(result.file, line, "", f"@{entry.entry_type} entry has no key; add one")
        )
        return
    if key.lower() in seen:
        first = seen[key.lower()]
        result.problems.append(
            Problem(result.file, line, key, f"duplicate key (first at line {first}); left out")
        )
        return
    seen[key.lower()] = line
    fields: dict[str, str] = {}
    for f in entry.fields:
        name = f.key.strip().lower()
        if name in fields:
            continue
        where = (f.start_line or entry.start_line or 0) + 1
        fields[name] = _evaluate(f.value, macros, result, where, key)
    for name in duplicated:
        result.problems.append(
            Problem(
                result.file,
                line,
                key,
                f"field {name!r} is given twice; the first one is used",
                Severity.WARNING,
            )
        )
    result.entries.append(ParsedEntry(key, entry.entry_type.lower(), line, fields, entry.raw or ""))


def _failure_reason(block: bp.ParsingFailedBlock) -> str:
    """A short, user-facing reason for a block the splitter could not read."""
    reason = str(block.error).strip().splitlines()[0] if str(block.error).strip() else ""
    return f"cannot parse this block ({reason})" if reason else "cannot parse this block"


def _evaluate(raw: object, macros: dict[str, str], result: ParsedBib, line: int, key: str) -> str:
    """Evaluate a raw BibTeX value: ``{..}``, ``".."``, numbers and macros joined by ``#``."""
    text = raw if isinstance(raw, str) else str(raw)
    parts: list[str] = []
    for piece in _split_concatenation(text):
        if piece[:1] in '{"' and len(piece) >= 2:
            parts.append(piece[1:-1])
        elif piece.isdigit():
            parts.append(piece)
        elif piece.lower() in macros:
            parts.append(macros[piece.lower()])
        else:
            result.problems.append(
                Problem(
                    result.file,
                    line,
                    key,
                    f"undefined string {piece!r} is kept as written",
                    Severity.WARNING,
                )
            )
            parts.append(piece)
    value = "".join(parts)
    if len(value) > MAX_VALUE_LENGTH:
        result.problems.append(
            Problem(
                result.file,
                line,
                key,
                f"value longer than {MAX_VALUE_LENGTH:,} characters is cut",
                Severity.WARNING,
            )
        )
        value = value[:MAX_VALUE_LENGTH]
    return value


def _split_concatenation(text: str) -> list[str]:
    """Split a value at top-level ``#``, keeping braced and quoted pieces whole."""
    pieces: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace() or ch == "#":
            i += 1
        elif ch == "{":
            end = _matching_brace(text, i)
            pieces.append(text[i : end + 1])
            i = end + 1
        elif ch == '"':
            end = _closing_quote(text, i)
            pieces.append(text[i : end + 1])
            i = end + 1
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] != "#":
                i += 1
            pieces.append(text[start:i])
    return pieces


def _matching_brace(text: str, start: int) -> int:
    """Index of the brace closing the one at ``start`` (or the last index if unbalanced)."""
    depth = 0
    for i in range(start, len(text)):
        ch = text[i]
        if ch == "\\":
            continue
        if ch == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif ch == "}" and text[i - 1] != "\\":
            depth -= 1
            if depth == 0:
                return i
    return len(text) - 1


def _closing_quote(text: str, start: int) -> int:
    """Index of the ``"`` closing a quoted value: the first one outside braces."""
    depth = 0
    for i in range(start + 1, len(text)):
        ch = text[i]
        if ch == "{" and text[i - 1] != "\\":
            depth += 1
        elif ch == "}" and text[i - 1] != "\\":
            depth -= 1
        elif ch == '"' and depth == 0:
            return i
    return len(text) - 1
