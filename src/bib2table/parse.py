"""Stage 1: read a ``.bib`` file into entries whose field values are plain strings.

The file is first cut into blocks the way BibTeX reads it (:mod:`bib2table.blocks`), so that no
block can vanish unnoticed; each block is then read by bibtexparser's splitter, and a block the
splitter cannot take but BibTeX would is read by a small fallback reader. bibtexparser's default
middlewares are not used: they leave ``#`` concatenation, ``@string`` chains and month macros
unresolved. Every value is evaluated here as BibTeX does it (quoted or braced pieces, numbers and
macros joined by ``#``), and crossref parents lend their fields to their children. Values keep
their LaTeX; decoding is the model's job, and only for what is shown.
"""

from __future__ import annotations

import codecs
import logging
from dataclasses import dataclass, field
from pathlib import Path

from bibtexparser import model as bp
from bibtexparser.splitter import Splitter

from bib2table.blocks import Block, FallbackError, read_entry, scan
from bib2table.errors import InputError
from bib2table.problems import Problem, Severity

# The splitter logs its own recoveries; each lost block is reported by us instead, with its line.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())
logging.getLogger("bibtexparser").propagate = False

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

#: Entry types whose ``title`` a crossref child takes as its ``booktitle`` (BibLaTeX's rule).
_CONTAINERS = {"proceedings", "book", "collection", "mvbook", "mvproceedings", "mvcollection"}


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


def read_text(path: Path, encoding: str | None = None) -> tuple[str, Problem | None]:
    """Read the file as text; with no ``encoding``, UTF-8, else Windows-1252 with a warning."""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(
                f"unknown encoding {encoding!r}; try utf-8, latin-1 or cp1252"
            ) from None
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise InputError(f"{path} is a directory; give the .bib file inside it") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    chosen = encoding or "utf-8"
    if codecs.lookup(chosen).name == "utf-8":
        chosen = "utf-8-sig"  # a byte-order mark is fine
    try:
        return data.decode(chosen), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        if encoding is not None:
            raise InputError(
                f"{path}:{line}: not valid {encoding} (byte 0x{data[exc.start]:02x}); "
                "give the file's encoding with --encoding, e.g. --encoding cp1252"
            ) from None
        fallback = "cp1252"
        try:
            text = data.decode(fallback)
        except UnicodeDecodeError:
            fallback = "latin-1"
            text = data.decode(fallback)
        warning = Problem(
            str(path),
            line,
            "",
            f"not UTF-8 (byte 0x{data[exc.start]:02x}); read as {fallback}. "
            f"If names look wrong, give the encoding with --encoding",
            Severity.WARNING,
        )
        return text, warning


def parse_file(path: Path, encoding: str | None = None, name: str | None = None) -> ParsedBib:
    """Parse a ``.bib`` file; ``name`` is how problems refer to it (defaults to the path)."""
    text, warning = read_text(path, encoding)
    parsed = parse_text(text, name or str(path))
    if warning is not None:
        parsed.problems.insert(0, warning)
    return parsed


def parse_text(text: str, name: str = "<string>") -> ParsedBib:
    """Parse BibTeX source into resolved entries, collecting problems instead of raising."""
    result = ParsedBib(file=name)
    reader = _Reader(result)
    for block in scan(text):
        reader.read(block)
    reader.finish()
    return result


class _Reader:
    """Reads blocks in file order, keeping the ``@string`` table as BibTeX does."""

    def __init__(self, result: ParsedBib) -> None:
        self.result = result
        self.macros: dict[str, str] = dict(MONTHS)
        self.seen: dict[str, int] = {}

    def problem(self, line: int, key: str, message: str, severity: Severity) -> None:
        self.result.problems.append(Problem(self.result.file, line, key, message, severity))

    def read(self, block: Block) -> None:
        """Dispatch one block: entries, strings and preambles; comments are skipped."""
        if block.problem:
            self.problem(block.line, block.key, block.problem, block.severity)
        if block.kind == "comment" or not block.text:
            return
        parsed = Splitter(block.text).split().blocks
        if block.kind == "string":
            for item in parsed:
                if isinstance(item, bp.String):
                    value = self.evaluate(item.value, block.line, f"@string {item.key}")
                    self.macros[item.key.lower()] = value
                    self.result.strings[item.key] = value
                    return
            self.problem(block.line, "", "cannot read this @string", Severity.ERROR)
        elif block.kind == "preamble":
            for item in parsed:
                if isinstance(item, bp.Preamble):
                    self.result.preambles.append(self.evaluate(item.value, block.line, ""))
                    return
            self.problem(block.line, "", "cannot read this @preamble", Severity.WARNING)
        else:
            self.entry(block, parsed)

    def entry(self, block: Block, parsed: list[bp.Block]) -> None:
        """Take the splitter's entry, or read the block with the fallback reader."""
        entries = [b for b in parsed if isinstance(b, bp.Entry)]
        duplicated: list[str] = []
        for item in parsed:
            if isinstance(item, bp.DuplicateFieldKeyBlock) and isinstance(
                item.ignore_error_block, bp.Entry
            ):
                entries.append(item.ignore_error_block)
                duplicated = sorted(item.duplicate_keys)
        if len(entries) == 1 and entries[0].key.strip():
            entry = entries[0]
            fields = [(f.key, f.value, block.line + (f.start_line or 0)) for f in entry.fields]
            self.add(block, entry.entry_type, entry.key.strip(), fields, duplicated)
            return
        try:
            entry_type, key, raw_fields = read_entry(block.text)
        except FallbackError as exc:
            self.problem(block.line, block.key, f"{exc}; this entry is left out", Severity.ERROR)
            return
        self.add(block, entry_type, key, [(n, v, block.line + o) for n, v, o in raw_fields], [])

    def add(
        self,
        block: Block,
        entry_type: str,
        key: str,
        raw_fields: list[tuple[str, str, int]],
        duplicated: list[str],
    ) -> None:
        """Resolve one entry's fields; like BibTeX, the first of repeated fields wins."""
        line = block.line
        if not key:
            self.problem(line, "", f"@{entry_type} entry has no key; add one", Severity.ERROR)
            return
        folded = key.lower()
        if folded in self.seen:
            self.problem(
                line,
                key,
                f"duplicate key (first at line {self.seen[folded]}); this entry is left out",
                Severity.ERROR,
            )
            return
        self.seen[folded] = line
        fields: dict[str, str] = {}
        repeated = set(duplicated)
        for name, value, where in raw_fields:
            name = name.strip().lower()
            if name in fields:
                repeated.add(name)
                continue
            fields[name] = self.evaluate(value, where, key)
        for name in sorted(repeated):
            self.problem(
                line, key, f"field {name!r} is given twice; the first one is used", Severity.WARNING
            )
        self.result.entries.append(
            ParsedEntry(key, entry_type.strip().lower(), line, fields, block.text)
        )

    def evaluate(self, raw: object, line: int, key: str) -> str:
        """Evaluate a raw value: ``{..}``, ``".."``, numbers and macros joined by ``#``."""
        text = raw if isinstance(raw, str) else str(raw)
        value = _single_piece(text)
        if value is None:
            value = "".join(self.piece(p, line, key) for p in split_concatenation(text))
        if len(value) > MAX_VALUE_LENGTH:
            self.problem(
                line,
                key,
                f"value longer than {MAX_VALUE_LENGTH:,} characters is cut",
                Severity.WARNING,
            )
            value = value[:MAX_VALUE_LENGTH]
        return value

    def piece(self, piece: str, line: int, key: str) -> str:
        """The value of one piece of a concatenation."""
        if piece[:1] in '{"' and len(piece) >= 2:
            return piece[1:-1]
        if piece.isdigit():
            return piece
        macro = self.macros.get(piece.lower())
        if macro is not None:
            return macro
        self.problem(line, key, f"undefined string {piece!r} is kept as written", Severity.WARNING)
        return piece

    def finish(self) -> None:
        """Apply crossref inheritance once every entry is known."""
        by_key = {e.key.lower(): e for e in self.result.entries}
        for entry in self.result.entries:
            if "crossref" in entry.fields:
                self.inherit(entry, by_key)

    def inherit(self, entry: ParsedEntry, by_key: dict[str, ParsedEntry]) -> None:
        """Copy the fields a child lacks from its crossref chain, stopping at a cycle."""
        chain = [entry.key]
        current = entry
        while "crossref" in current.fields:
            target = current.fields["crossref"].strip()
            parent = by_key.get(target.lower())
            if parent is None:
                self.problem(
                    current.line,
                    current.key,
                    f"crossref target {target!r} not found",
                    Severity.WARNING,
                )
                return
            if parent.key in chain:
                cycle = " -> ".join([*chain, parent.key])
                self.problem(entry.line, entry.key, f"crossref cycle: {cycle}", Severity.WARNING)
                return
            chain.append(parent.key)
            for name, value in parent.fields.items():
                if name not in entry.fields and name not in ("crossref", "key", "ids"):
                    entry.fields[name] = value
            if (
                parent.entry_type in _CONTAINERS
                and "booktitle" not in entry.fields
                and "title" in parent.fields
            ):
                entry.fields["booktitle"] = parent.fields["title"]
            current = parent


def _single_piece(text: str) -> str | None:
    """Fast path for the common value that is one braced or quoted piece, or a number."""
    if "#" in text:
        return None
    stripped = text.strip()
    if len(stripped) >= 2 and (
        (stripped[0] == "{" and stripped[-1] == "}") or (stripped[0] == '"' and stripped[-1] == '"')
    ):
        return stripped[1:-1]
    if stripped.isdigit():
        return stripped
    return None


def split_concatenation(text: str) -> list[str]:
    """Split a value at top-level ``#``, keeping braced and quoted pieces whole."""
    pieces: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace() or ch == "#":
            i += 1
        elif ch in '{"':
            end = _piece_end(text, i)
            pieces.append(text[i : end + 1])
            i = end + 1
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] != "#":
                i += 1
            pieces.append(text[start:i])
    return pieces


def _piece_end(text: str, start: int) -> int:
    """Index of the delimiter closing the piece at ``start`` (``{`` or ``"``)."""
    depth = 0
    quoted = text[start] == '"'
    for i in range(start + 1 if quoted else start, len(text)):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0 and not quoted:
                return i
        elif ch == '"' and quoted and depth == 0:
            return i
    return len(text) - 1
