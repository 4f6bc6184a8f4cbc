"""Stage 1: read a ``.bib`` file into entries whose field values are plain strings.

The file is first cut into blocks the way BibTeX reads it (:mod:`bib2table.bibtex.blocks`), so
that no block can vanish unnoticed; each block is then read by bibtexparser's splitter, and a
block the splitter cannot take but BibTeX would is read by a small fallback reader.
bibtexparser's default middlewares are not used: they leave ``#`` concatenation, ``@string``
chains and month macros unresolved. Every value is evaluated here as BibTeX does it (quoted or
braced pieces, numbers and macros joined by ``#``), and crossref parents lend their fields to
their children. Values keep their LaTeX; decoding is the model's job, and only for what is
shown.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bibtexparser import model as bp
from bibtexparser.splitter import Splitter

from bib2table.bibtex.blocks import (
    Block,
    FallbackError,
    closing_quote,
    matching_brace,
    read_entry,
    scan,
)
from bib2table.cache import Cache, digest
from bib2table.errors import InputError
from bib2table.files import read_bytes, text_encoding
from bib2table.problems import Problem, Severity
from bib2table.workers import map_in_halves

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
#: All ``@string`` values together may not exceed this: strings built from strings can double
#: at each step, and a file of a few lines could otherwise ask for gigabytes.
MAX_STRINGS_LENGTH = 8_000_000
WARNING = Severity.WARNING

#: Entry types whose ``title`` a crossref child takes as its ``booktitle`` (BibLaTeX's rule).
_CONTAINERS = {"proceedings", "book", "collection", "mvbook", "mvproceedings", "mvcollection"}


class Fields(Mapping[str, str]):
    """An entry's fields by lower-case name, each evaluated (``#``, ``@string``) when first read.

    Most fields of a real bibliography are never shown, so evaluating only what is read keeps
    the run near the splitter's own speed. What evaluation finds wrong (an undefined ``@string``,
    a value cut for length) collects in :attr:`warnings`, for the model to report with the entry.
    """

    __slots__ = ("_macros", "_raw", "_values", "warnings")

    def __init__(self, raw: dict[str, str], macros: dict[str, str]) -> None:
        self._raw = raw
        self._macros = macros
        self._values: dict[str, str] = {}
        self.warnings: list[str] = []

    def __getitem__(self, name: str) -> str:
        value = self._values.get(name)
        if value is None:
            value = evaluate(self._raw[name], self._macros, self.warnings)
            self._values[name] = value
        return value

    def get(self, name: str, default: str = "") -> str:  # type: ignore[override]
        """The field's value, or ``default`` (the empty string) when the entry lacks it."""
        return self[name] if name in self._raw else default

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def __repr__(self) -> str:
        return f"Fields({dict(self)!r})"

    def inherit(self, parent: Fields, skip: Iterable[str]) -> None:
        """Take, unevaluated, the parent's fields this entry lacks (crossref)."""
        for name, raw in parent._raw.items():
            if name not in self._raw and name not in skip:
                self._raw[name] = raw

    def set(self, name: str, value: str) -> None:
        """Give a field an already evaluated value."""
        self._raw[name] = "{" + value + "}"
        self._values[name] = value


@dataclass
class ParsedEntry:
    """One entry: its fields (LaTeX still in them), where it is, and what it was read from."""

    key: str
    entry_type: str
    line: int
    fields: Fields
    raw: str = ""
    #: Content keys of the entry's block and of the blocks it inherits from (for the cache).
    sources: tuple[str, ...] = ()
    #: Each field as written in ``raw``: its name and its value (slices of ``raw``), in order.
    written: tuple[tuple[str, str], ...] = ()


@dataclass
class ParsedBib:
    """What the parse stage hands on: entries in file order and the problems met."""

    file: str
    entries: list[ParsedEntry] = field(default_factory=list)
    strings: dict[str, str] = field(default_factory=dict)
    preambles: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def read_text(path: Path, encoding: str | None = None) -> tuple[str, Problem | None]:
    """Read the file as text; with no ``encoding``, UTF-8, else Windows-1252 with a warning.

    Only a regular file is read (see :func:`bib2table.files.read_bytes`), and only with an
    encoding text files are written in.
    """
    if encoding is not None:
        text_encoding(encoding)
    data = read_bytes(path, "input")
    if encoding is None and data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"  # as some Windows tools save; its byte-order mark says so
    elif encoding is None and b"\0" in data[:65536]:
        raise InputError(
            f"{path} looks like a binary file, not BibTeX (it holds NUL bytes); "
            "give the .bib file your reference manager exports"
        )
    chosen = encoding or "utf-8"
    if codecs.lookup(chosen).name == "utf-8":
        chosen = "utf-8-sig"  # a byte-order mark is fine
    try:
        return data.decode(chosen), None
    except UnicodeDecodeError as exc:
        start = exc.start + (len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0)
        start = min(start, len(data) - 1)
        line = data.count(b"\n", 0, start) + 1
        if encoding is not None:
            raise InputError(
                f"{path}:{line}: not valid {encoding} (byte 0x{data[start]:02x}); "
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
            f"not UTF-8 (byte 0x{data[start]:02x}); read as {fallback}. "
            f"If names look wrong, give the encoding with --encoding",
            Severity.WARNING,
        )
        return text, warning
    except (UnicodeError, ValueError) as exc:  # a codec's own complaint about the bytes
        raise InputError(f"{path}: cannot be read as {encoding}: {exc}") from None


def parse_file(
    path: Path,
    encoding: str | None = None,
    name: str | None = None,
    cache: Cache | None = None,
) -> ParsedBib:
    """Parse a ``.bib`` file; ``name`` is how problems refer to it (defaults to the path)."""
    text, warning = read_text(path, encoding)
    parsed = parse_text(text, name or str(path), cache)
    if warning is not None:
        parsed.problems.insert(0, warning)
    return parsed


def parse_text(text: str, name: str = "<string>", cache: Cache | None = None) -> ParsedBib:
    """Parse BibTeX source into resolved entries, collecting problems instead of raising."""
    result = ParsedBib(file=name)
    reader = _Reader(result, cache is not None)
    blocks = [b for b in scan(text) if b.problem or (b.text and b.kind != "comment")]
    sources = [digest(b.text) if cache is not None and b.text else "" for b in blocks]
    reads: list[tuple[Any, ...] | None] = [None] * len(blocks)
    if cache is not None:
        reads = [cache.get("block:" + s) if s else None for s in sources]
    missing = [i for i, read in enumerate(reads) if read is None and blocks[i].text]
    split = map_in_halves(_split_block, [blocks[i] for i in missing])
    for i, new in zip(missing, split, strict=True):
        reads[i] = new
        if cache is not None:
            cache.put("block:" + sources[i], new)
    for block, read, source in zip(blocks, reads, sources, strict=True):
        reader.read(block, read, source)
    reader.finish()
    if not result.entries and not any(p.severity is Severity.ERROR for p in result.problems):
        result.problems.append(
            Problem(name, 0, "", "no entries found; is this a BibTeX file?", Severity.WARNING)
        )
    return result


class _Reader:
    """Reads blocks in file order, keeping the ``@string`` table as BibTeX does."""

    def __init__(self, result: ParsedBib, cached: bool) -> None:
        self.result = result
        self.cached = cached
        self.macros: dict[str, str] = dict(MONTHS)
        self.strings_length = 0
        self.seen: dict[str, int] = {}

    def problem(self, line: int, key: str, message: str, severity: Severity) -> None:
        self.result.problems.append(Problem(self.result.file, line, key, message, severity))

    def read(self, block: Block, read: Sequence[Any] | None, source: str) -> None:
        """Take in one block as split: entries, strings and preambles."""
        if block.problem:
            self.problem(block.line, block.key, block.problem, block.severity)
        if read is None:
            return
        kind = read[0]
        if kind == "string":
            _, key, raw = read
            value = self.evaluate(raw, block.line, f"@string {key}")
            room = MAX_STRINGS_LENGTH - self.strings_length
            if len(value) > room:
                message = f"@string values longer than {MAX_STRINGS_LENGTH:,} characters in all"
                self.problem(block.line, f"@string {key}", message + "; this one is cut", WARNING)
                value = value[: max(room, 0)]
            self.strings_length += len(value)
            self.macros[key.lower()] = value
            self.result.strings[key] = value
        elif kind == "preamble":
            self.result.preambles.append(self.evaluate(read[1], block.line, ""))
        elif kind == "entry":
            _, entry_type, key, raw_fields, duplicated = read
            self.add(block, entry_type, key, [(n, v) for n, v, _ in raw_fields], duplicated, source)
        else:
            self.problem(block.line, block.key, read[1], Severity.ERROR)

    def add(
        self,
        block: Block,
        entry_type: str,
        key: str,
        raw_fields: list[tuple[str, str]],
        duplicated: list[str],
        source: str,
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
        for name, value in raw_fields:
            name = name.strip().lower()
            if name in fields:
                repeated.add(name)
                continue
            fields[name] = value
        for name in sorted(repeated):
            self.problem(
                line, key, f"field {name!r} is given twice; the first one is used", Severity.WARNING
            )
        self.result.entries.append(
            ParsedEntry(
                key,
                entry_type.strip().lower(),
                line,
                Fields(fields, self.macros),
                block.text,
                (source,) if source else (),
                tuple(raw_fields),
            )
        )

    def evaluate(self, raw: str, line: int, key: str) -> str:
        """Evaluate a ``@string`` or ``@preamble`` value now, reporting what is wrong."""
        warnings: list[str] = []
        value = evaluate(raw, self.macros, warnings)
        for warning in warnings:
            self.problem(line, key, warning, Severity.WARNING)
        return value

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
            if (
                parent.entry_type in _CONTAINERS
                and "booktitle" not in entry.fields
                and "title" in parent.fields
            ):
                entry.fields.set("booktitle", parent.fields["title"])
            entry.fields.inherit(parent.fields, ("crossref", "key", "ids"))
            entry.sources += parent.sources[:1]
            current = parent


def _split_block(block: Block) -> tuple[Any, ...]:
    """Read one block with bibtexparser's splitter, falling back to BibTeX's own grammar.

    The result is plain data (for the cache): ``("entry", type, key, fields, duplicated)``,
    ``("string", key, raw)``, ``("preamble", raw)`` or ``("failed", reason)``.
    """
    parsed = Splitter(block.text).split().blocks
    if block.kind == "string":
        for item in parsed:
            if isinstance(item, bp.String):
                return ("string", item.key, str(item.value))
        return ("failed", "cannot read this @string")
    if block.kind == "preamble":
        for item in parsed:
            if isinstance(item, bp.Preamble):
                return ("preamble", str(item.value))
        return ("failed", "cannot read this @preamble")
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
        fields = [(f.key, str(f.value), f.start_line or 0) for f in entry.fields]
        if _whole(block.text, fields):
            return ("entry", entry.entry_type, entry.key.strip(), fields, duplicated)
    try:
        entry_type, key, raw_fields = read_entry(block.text)
    except FallbackError as exc:
        return ("failed", f"{exc}; this entry is left out")
    return ("entry", entry_type, key, raw_fields, [])


def evaluate(raw: str, macros: Mapping[str, str], warnings: list[str]) -> str:
    """Evaluate a raw value: ``{..}``, ``".."``, numbers and macros joined by ``#``."""
    value = _single_piece(raw)
    if value is None:
        value = "".join(_piece(p, macros, warnings) for p in split_concatenation(raw))
    if len(value) > MAX_VALUE_LENGTH:
        warnings.append(f"value longer than {MAX_VALUE_LENGTH:,} characters is cut")
        value = value[:MAX_VALUE_LENGTH]
    return value


def _piece(piece: str, macros: Mapping[str, str], warnings: list[str]) -> str:
    """The value of one piece of a concatenation; an undefined macro is kept as written."""
    if piece[:1] in '{"' and len(piece) >= 2:
        return piece[1:-1]
    if piece.isdigit():
        return piece
    macro = macros.get(piece.lower())
    if macro is not None:
        return macro
    warnings.append(f"undefined string {piece!r} is kept as written")
    return piece


def _whole(text: str, fields: list[tuple[str, str, int]]) -> bool:
    """Whether the splitter read the entry to its end with sound values.

    On a ``"`` inside braces inside a quoted value the splitter can stop early, without a
    failure: the value it returns then has unbalanced braces, or text is left after it.
    """
    if not fields:
        return True
    if any(value.count("{") != value.count("}") for _, value, _ in fields):
        return False
    last = fields[-1][1]
    end = text.rfind(last) + len(last)
    return text[end:].strip(" \t\r\n,") in ("}", ")")


def _single_piece(text: str) -> str | None:
    """Fast path for the common value that is one braced or quoted piece, or a number."""
    if "#" in text:
        return None
    stripped = text.strip()
    if _BARE_WORD.fullmatch(stripped) and not stripped.isdigit():
        return None  # a macro: looked up by the caller
    if len(stripped) >= 2 and (
        (stripped[0] == "{" and stripped[-1] == "}") or (stripped[0] == '"' and stripped[-1] == '"')
    ):
        return stripped[1:-1]
    if stripped.isdigit():
        return stripped
    return None


_BARE_WORD = re.compile(r"[^\s#{}\"]+")
_FLAT_PIECES = re.compile(r"\s*(\{[^{}]*\}|\"[^\"{}]*\"|[^\s#{}\"]+)\s*(?:#|$)")


def split_concatenation(text: str) -> list[str]:
    """Split a value at top-level ``#``, keeping braced and quoted pieces whole."""
    flat = _flat_pieces(text)
    if flat is not None:
        return flat
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


def _flat_pieces(text: str) -> list[str] | None:
    """The pieces of a value whose pieces hold no nested braces (most do), by one regex."""
    pieces = []
    pos = 0
    while pos < len(text):
        match = _FLAT_PIECES.match(text, pos)
        if match is None:
            return None
        pieces.append(match.group(1))
        pos = match.end()
    return pieces


def _piece_end(text: str, start: int) -> int:
    """Index of the delimiter closing the piece at ``start`` (``{`` or ``"``), or the last
    index when the piece is not closed."""
    close = closing_quote(text, start) if text[start] == '"' else matching_brace(text, start)
    return close if close >= 0 else len(text) - 1
