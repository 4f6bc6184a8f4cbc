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

import dataclasses
import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

from bib2table.bibtex.biblatex import Warn, by_key, resolve_xdata, settle
from bib2table.bibtex.blocks import (
    Block,
    FallbackError,
    closing_quote,
    matching_brace,
    read_entry,
    scan,
    scan_alone,
    stretches,
)
from bib2table.bibtex.encoding import decode_file
from bib2table.bibtex.simple import Layout, matches_splitter
from bib2table.bibtex.simple import read_entry as read_simple_entry
from bib2table.bibtex.simple import read_preamble as read_simple_preamble
from bib2table.bibtex.simple import read_string as read_simple_string
from bib2table.bibtex.strings import StringTable
from bib2table.cache import Cache, digest
from bib2table.errors import InputError
from bib2table.files import read_bytes, text_encoding
from bib2table.problems import Problem, Severity
from bib2table.workers import map_in_halves

#: A value longer than this is cut, so that strings doubling themselves cannot exhaust memory.
MAX_VALUE_LENGTH = 1_000_000
#: All ``@string`` values together may not exceed this: strings built from strings can double
#: at each step, and a file of a few lines could otherwise ask for gigabytes.
MAX_STRINGS_LENGTH = 8_000_000
WARNING = Severity.WARNING

#: The largest input read: bib2table builds within about 4 GB of memory up to these sizes (see
#: the README); a larger file is refused before any work, with a message saying so.
MAX_INPUT_BYTES = 256 * 1024 * 1024
MAX_ENTRIES = 500_000

#: Entry types whose ``title`` a crossref child takes as its ``booktitle`` (BibLaTeX's rule).
_CONTAINERS = {"proceedings", "book", "collection", "mvbook", "mvproceedings", "mvcollection"}


#: An entry's fields as written: names (as written) and raw values, in order.
Body = tuple[list[str], list[str]]


class Fields(Mapping[str, str]):
    """An entry's fields by lower-case name, each evaluated (``#``, ``@string``) when first read.

    Most fields of a real bibliography are never shown, so evaluating only what is read keeps
    the run near the splitter's own speed. What evaluation finds wrong (a value cut for length)
    collects in :attr:`warnings`, for the model to report with the entry; the names of undefined
    ``@string`` macros in :attr:`undefined`, reported once per file. The fields themselves may
    come later: from the cache they are decoded when first asked for (an entry whose catalogue
    row is cached never needs them).
    """

    __slots__ = ("_body", "_data", "_load", "_macros", "_values", "undefined", "warnings")

    def __init__(
        self,
        raw: dict[str, str] | None,
        macros: Mapping[str, str],
        load: Callable[[], Body] | None = None,
    ) -> None:
        self._data = raw
        self._load = load
        self._body: Body | None = None
        self._macros = macros
        self._values: dict[str, str] = {}
        self.warnings: list[str] = []
        self.undefined: list[str] = []

    @property
    def _raw(self) -> dict[str, str]:
        if self._data is None:
            self._data = _first_of_each(*self.body())
        return self._data

    def body(self) -> Body:
        """The fields as written (names as written, raw values), in order."""
        if self._body is None:
            if self._load is not None:
                self._body = self._load()
                self._load = None
            else:
                raw = self._data or {}
                self._body = (list(raw), list(raw.values()))
        return self._body

    def __getitem__(self, name: str) -> str:
        value = self._values.get(name)
        if value is None:
            value = evaluate(self._raw[name], self._macros, self.warnings, self.undefined)
            self._values[name] = value
        return value

    @property
    def strings(self) -> Mapping[str, str]:
        """The ``@string`` macros as this entry sees them (those defined before it)."""
        return self._macros

    def get(self, name: str, default: str = "") -> str:  # type: ignore[override]
        """The field's value, or ``default`` (the empty string) when the entry lacks it."""
        value = self._values.get(name)
        if value is not None:
            return value
        raw = self._data if self._data is not None else self._raw
        source = raw.get(name)
        if source is None:
            return default
        value = evaluate(source, self._macros, self.warnings, self.undefined)
        self._values[name] = value
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def __repr__(self) -> str:
        return f"Fields({dict(self)!r})"

    def inherit(self, parent: Fields, skip: Iterable[str], replace: bool = False) -> list[str]:
        """Take the parent's fields this entry lacks (crossref), or all of them (``replace``,
        as biber's ``xdata``), each evaluated as the parent sees it; the names replaced."""
        raw = self._raw
        replaced = []
        for name, value in parent._raw.items():
            if name in skip or (name in raw and not replace):
                continue
            if name in raw:
                if self.get(name) == parent[name]:
                    continue
                replaced.append(name)
            if parent._macros is self._macros:
                raw[name] = value
                self._values.pop(name, None)
            else:  # the parent sees other @string values: take its value, not its source
                self.set(name, parent[name])
        return replaced

    def set(self, name: str, value: str) -> None:
        """Give a field an already evaluated value."""
        self._raw[name] = "{" + value + "}"
        self._values[name] = value


def _folded(names: Iterable[str]) -> list[str]:
    """Field names as compared: stripped, in lower case."""
    return list(map(str.lower, map(str.strip, names)))


def _first_of_each(names: list[str], values: list[str]) -> dict[str, str]:
    """Fields by lower-case name; like BibTeX, the first of repeated fields wins."""
    folded = _folded(names)
    if len(set(folded)) == len(folded):
        return dict(zip(folded, values, strict=True))
    fields: dict[str, str] = {}
    for name, value in zip(folded, values, strict=True):
        fields.setdefault(name, value)
    return fields


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
    #: the file the entry is in (several may be read as one bibliography)
    file: str = ""
    #: how its fields are laid out in ``raw``, when known (see :mod:`~bib2table.bibtex.simple`)
    layout: Layout | None = field(default=None, compare=False, repr=False)

    @property
    def written(self) -> list[tuple[str, str]]:
        """Each field as written in ``raw``: its name and its value, in order."""
        names, values = self.fields.body()
        return list(zip(names, values, strict=True))


@dataclass
class ParsedBib:
    """What the parse stage hands on: entries in file order and the problems met."""

    file: str
    entries: list[ParsedEntry] = field(default_factory=list)
    #: each ``@string`` macro's last value (an entry sees the values defined before it: its
    #: ``fields.strings``)
    strings: dict[str, str] = field(default_factory=dict)
    preambles: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: every file read, in order
    files: list[str] = field(default_factory=list)
    #: every ``@string`` definition in order, (name, value): what shapes the entries' values
    string_history: list[tuple[str, str]] = field(default_factory=list)
    #: undefined ``@string`` macros met while reading, by (file, name): (line, key) of the
    #: first use, and where the macro is defined later, if it is
    undefined: dict[tuple[str, str], tuple[int, str, tuple[str, int] | None]] = field(
        default_factory=dict
    )
    #: one file read stretch by stretch (see :func:`_read_blocks`): each stretch's kind —
    #: ``s`` holds a ``@string`` or ``@preamble``, ``x`` a block that is reported, ``e`` only
    #: entries (and comments) — and the keys of its entries; ``None`` when read otherwise
    stretches: list[tuple[str, list[str]]] | None = None


def read_text(path: Path, encoding: str | None = None) -> tuple[str, Problem | None]:
    """Read the file as text; with no ``encoding``, UTF-8, else as the file says (JabRef's
    ``% Encoding:`` line) or as detected, with a warning (see :mod:`~bib2table.bibtex.encoding`).

    Only a regular file is read (see :func:`bib2table.files.read_bytes`), and only with an
    encoding text files are written in.
    """
    if encoding is not None:
        text_encoding(encoding)
    data = read_bytes(path, "input", MAX_INPUT_BYTES)
    return decode_file(data, path, encoding)


def parse_file(
    path: Path,
    encoding: str | None = None,
    name: str | None = None,
    cache: Cache | None = None,
    keep_undefined: bool = False,
) -> ParsedBib:
    """Parse a ``.bib`` file; ``name`` is how problems refer to it (defaults to the path)."""
    return parse_files([path], encoding, [name or str(path)], cache, keep_undefined)


def parse_files(
    paths: Sequence[Path],
    encoding: str | None = None,
    names: Sequence[str] | None = None,
    cache: Cache | None = None,
    keep_undefined: bool = False,
) -> ParsedBib:
    """Parse several ``.bib`` files as BibTeX reads ``\\bibliography{a,b}``: one after the
    other, ``@string`` macros and crossrefs carrying from one file to the next."""
    names = list(names or [str(p) for p in paths])
    texts = []
    warnings = []
    for path, name in zip(paths, names, strict=True):
        text, warning = read_text(path, encoding)
        texts.append((text, name))
        if warning is not None:
            warnings.append(dataclasses.replace(warning, file=name))
    parsed = parse_texts(texts, cache, keep_undefined)
    parsed.problems[:0] = warnings
    return parsed


def parse_text(
    text: str, name: str = "<string>", cache: Cache | None = None, keep_undefined: bool = False
) -> ParsedBib:
    """Parse BibTeX source into resolved entries, collecting problems instead of raising."""
    return parse_texts([(text, name)], cache, keep_undefined)


def parse_texts(
    texts: Sequence[tuple[str, str]], cache: Cache | None = None, keep_undefined: bool = False
) -> ParsedBib:
    """Parse the BibTeX texts ``(text, name)`` in order, as one bibliography."""
    name = texts[0][1] if texts else "<string>"
    blocks = sum(text.count("\n@") + text.startswith("@") for text, _ in texts)
    if blocks > MAX_ENTRIES:
        raise InputError(
            f"{name} has {blocks:,} entries; bib2table builds up to {MAX_ENTRIES:,} (in about "
            "4 GB of memory): split it into several files"
        )
    result = ParsedBib(file=name, files=[n for _, n in texts])
    reader = _Reader(result, StringTable(keep_undefined))
    for text, file in texts:
        reader.file = file
        for block, read, source in _read_blocks(text, cache, result if len(texts) == 1 else None):
            reader.read(block, read, source)
    reader.finish()
    if not result.entries and not any(p.severity is Severity.ERROR for p in result.problems):
        result.problems.append(
            Problem(name, 0, "", "no entries found; is this a BibTeX file?", Severity.WARNING)
        )
    return result


def parse_piece(
    text: str,
    name: str,
    first_line: int,
    history: Sequence[tuple[str, str]],
    keep_undefined: bool = False,
) -> ParsedBib | None:
    """One stretch of a file (see :func:`~bib2table.bibtex.blocks.stretches`) read on its own,
    as :func:`parse_text` reads it after every ``@string`` definition of ``history`` (name,
    value, in order: a file whose definitions all come before its entries); ``first_line``: the
    stretch's first line in the file. ``None`` when a block in it is not closed within it.
    Crossrefs, ``@xdata`` and sets are not followed (only the whole file says where they lead);
    biblatex's ``date`` is read as in the whole file."""
    blocks = scan_alone(text)
    if blocks is None:
        return None
    result = ParsedBib(file=name)
    table = StringTable(keep_undefined)
    for key, value in history:
        table.define(key, value)
    reader = _Reader(result, table)
    for block in blocks:
        if _worth(block):
            block = dataclasses.replace(block, line=block.line + first_line - 1)
            reader.read(block, _split_block(block) if block.text else None, "")
    result.entries = settle(result.entries, reader.problem_at)
    result.string_history = table.history[len(history) :]  # the piece's own definitions
    return result


#: A block, what the splitter read from it (``None``: nothing to read) and its content key.
_Read = tuple[Block, tuple[Any, ...] | None, str]


def _read_blocks(text: str, cache: Cache | None, result: ParsedBib | None = None) -> list[_Read]:
    """Every block worth reading, in file order, with what the splitter read from it.

    With a cache, the file is cut into stretches that each start at an ``@`` at the start of a
    line (about one entry each), and a stretch's blocks and reads are looked up by its content:
    a run after a small edit scans and splits only the stretches that changed. A stretch with
    a block that does not close within it makes the run scan the whole file at once. Read by
    stretches, what each holds is noted in ``result`` (see :attr:`ParsedBib.stretches`).
    """
    if cache is None:
        return _read_whole(text, None)
    pieces = stretches(text)
    keys = [cache.key("stretch", piece) for piece in pieces]
    stored = cache.get_many("blocks", keys)
    starts = []
    line = 1
    for piece in pieces:
        starts.append(line)
        line += piece.count("\n")
    found: list[list[_Read] | None] = []
    for piece, key, start in zip(pieces, keys, starts, strict=True):
        value = stored.get(key)
        found.append(_unpack(piece, start, key.hex(), value) if value is not None else None)
    missing = [i for i, reads in enumerate(found) if reads is None]
    scanned: dict[int, list[Block]] = {}
    for i in missing:
        alone = scan_alone(pieces[i])
        if alone is None:
            return _read_whole(text, cache)
        scanned[i] = [b for b in alone if _worth(b)]
    todo = [b for i in missing for b in scanned[i] if b.text]
    split = iter(map_in_halves(_split_block, todo))
    for i in missing:
        reads = [(b, next(split) if b.text else None) for b in scanned[i]]
        kept = [[_pack(b) for b, _ in reads], [_kept_read(r) for _, r in reads]]
        cache.put("blocks", keys[i], kept)
        source = keys[i].hex()
        found[i] = [
            (dataclasses.replace(b, line=b.line + starts[i] - 1), r, f"{source}:{n}")
            for n, (b, r) in enumerate(reads)
        ]
    if result is not None:
        result.stretches = [_summary(reads or []) for reads in found]
    return [read for reads in found if reads is not None for read in reads]


def _summary(reads: list[_Read]) -> tuple[str, list[str]]:
    """A stretch's kind and the keys of its entries (see :attr:`ParsedBib.stretches`)."""
    blocks = [block for block, _, _ in reads]
    if any(b.problem for b in blocks):
        kind = "x"
    else:
        kind = "s" if any(b.kind in ("string", "preamble") for b in blocks) else "e"
    return kind, [b.key for b in blocks if b.kind == "entry"]


def _read_whole(text: str, cache: Cache | None) -> list[_Read]:
    """Scan the whole file at once; with a cache, look each block's read up by its text."""
    blocks = [b for b in scan(text) if _worth(b)]
    keys = [cache.key("block", b.text) if b.text else b"" for b in blocks] if cache else []
    stored = cache.get_many("blocks", [k for k in keys if k]) if cache is not None else {}
    reads: list[tuple[Any, ...] | None] = []
    for i, block in enumerate(blocks):
        value = stored.get(keys[i]) if cache is not None and block.text else None
        reads.append(tuple(value) if value is not None and _valid_read(value) else None)
    missing = [i for i, read in enumerate(reads) if read is None and blocks[i].text]
    split = map_in_halves(_split_block, [blocks[i] for i in missing])
    for i, new in zip(missing, split, strict=True):
        reads[i] = new
        if cache is not None:
            cache.put("blocks", keys[i], _kept_read(new))
    sources = [k.hex() for k in keys] if cache is not None else [""] * len(blocks)
    return list(zip(blocks, reads, sources, strict=True))


def _worth(block: Block) -> bool:
    """Blocks that hold something or are reported; comments are skipped."""
    return bool(block.problem or (block.text and block.kind != "comment"))


def _pack(block: Block) -> list[Any]:
    """A block as the cache keeps it, within its stretch (see :func:`_unpack`)."""
    end = block.start + len(block.text)
    return [
        block.kind,
        block.type,
        block.start,
        end,
        block.line,
        block.key,
        block.problem,
        block.severity.value,
    ]


_KINDS = frozenset({"entry", "string", "preamble", "comment"})
_SEVERITIES = {s.value: s for s in Severity}


def _unpack(piece: str, first_line: int, source: str, value: Any) -> list[_Read] | None:
    """A stretch's blocks and reads from the cache, or ``None`` when the value does not fit."""
    if not (isinstance(value, list) and len(value) == 2):
        return None
    kept, reads = value
    if not (isinstance(kept, list) and isinstance(reads, list) and len(kept) == len(reads)):
        return None
    result: list[_Read] = []
    size = len(piece)
    for n, (item, read) in enumerate(zip(kept, reads, strict=True)):
        if not (isinstance(item, list) and len(item) == 8):
            return None
        kind, name, start, end, line, key, problem, severity = item
        if not (
            kind in _KINDS
            and isinstance(name, str)
            and type(start) is int
            and type(end) is int
            and 0 <= start <= end <= size
            and type(line) is int
            and line >= 1
            and isinstance(key, str)
            and isinstance(problem, str)
            and severity in _SEVERITIES
            and (read is None if start == end else _valid_read(read))
        ):
            return None
        block = Block(
            kind,
            name,
            piece[start:end],
            line + first_line - 1,
            key,
            problem,
            _SEVERITIES[severity],
            start=start,
        )
        result.append((block, tuple(read) if read is not None else None, f"{source}:{n}"))
    return result


def _strings(value: Any) -> bool:
    """Whether ``value`` is a list of strings."""
    if type(value) is not list:
        return False
    try:
        "".join(value)  # a TypeError unless every item is a string, at C speed
    except TypeError:
        return False
    return True


def _valid_read(read: Any) -> bool:
    """Whether a cached read has the shape :func:`_kept_read` gives (an entry's fields are
    checked when they are decoded)."""
    if not isinstance(read, list) or not read:
        return False
    kind = read[0]
    if kind == "entry" and len(read) == 6:
        _, entry_type, key, repeated, crossref, body = read
        return (
            isinstance(entry_type, str)
            and isinstance(key, str)
            and _strings(repeated)
            and isinstance(crossref, bool)
            and isinstance(body, str)
        )
    if kind == "string" and len(read) == 3:
        return isinstance(read[1], str) and isinstance(read[2], str)
    if kind in ("preamble", "failed") and len(read) == 2:
        return isinstance(read[1], str)
    return False


def _kept_read(read: tuple[Any, ...] | None) -> Any:
    """A read as the cache keeps it: an entry's fields as one JSON text, decoded when needed."""
    if read is None or read[0] != "entry":
        return read
    body = json.dumps(read[5], ensure_ascii=False, separators=(",", ":"))
    return [*read[:5], body]


class _Reader:
    """Reads blocks in file order, keeping the ``@string`` table as BibTeX does."""

    def __init__(self, result: ParsedBib, strings: StringTable) -> None:
        self.result = result
        self.strings = strings
        self.view = strings.view()
        self.strings_length = 0
        self.seen: dict[str, tuple[str, int]] = {}
        self.file = result.file
        #: the entries with a crossref field
        self.crossrefs: list[ParsedEntry] = []

    def problem(self, line: int, key: str, message: str, severity: Severity) -> None:
        self.result.problems.append(Problem(self.file, line, key, message, severity))

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
            self.strings.define(key, value, self.file, block.line)
            self.view = self.strings.view()
        elif kind == "preamble":
            self.result.preambles.append(self.evaluate(read[1], block.line, ""))
        elif kind == "entry":
            _, entry_type, key, repeated, crossref, body, *layout = read
            self.add(block, entry_type, key, repeated, crossref, body, source, *layout)
        else:
            self.problem(block.line, block.key, read[1], Severity.ERROR)

    def add(
        self,
        block: Block,
        entry_type: str,
        key: str,
        repeated: list[str],
        crossref: bool,
        body: Body | str,
        source: str,
        layout: Layout | None = None,
    ) -> None:
        """Take in one entry; like BibTeX, the first of repeated fields wins. ``body`` is the
        fields as written, or the cache's JSON of them (decoded when first needed); ``layout``
        how they are laid out, when the simple reader read them."""
        line = block.line
        if not key:
            self.problem(line, "", f"@{entry_type} entry has no key; add one", Severity.ERROR)
            return
        folded = key.lower()
        if folded in self.seen:
            file, first = self.seen[folded]
            place = f"line {first}" if file == self.file else f"{file}:{first}"
            self.problem(
                line,
                key,
                f"duplicate key (first at {place}); this entry is left out",
                Severity.ERROR,
            )
            return
        self.seen[folded] = (self.file, line)
        for name in repeated:
            self.problem(
                line, key, f"field {name!r} is given twice; the first one is used", Severity.WARNING
            )
        if isinstance(body, str):
            fields = Fields(None, self.view, functools.partial(_decode_body, body, block))
        else:
            fields = Fields(_first_of_each(*body), self.view)
            fields._body = body
        entry = ParsedEntry(
            key,
            entry_type.strip().lower(),
            line,
            fields,
            block.text,
            (source,) if source else (),
            self.file,
            layout,
        )
        if crossref:
            self.crossrefs.append(entry)
        self.result.entries.append(entry)

    def evaluate(self, raw: str, line: int, key: str) -> str:
        """Evaluate a ``@string`` or ``@preamble`` value now, reporting what is wrong."""
        warnings: list[str] = []
        undefined: list[str] = []
        value = evaluate(raw, self.view, warnings, undefined)
        for warning in warnings:
            self.problem(line, key, warning, Severity.WARNING)
        for name in undefined:
            where = (self.file, name.lower())
            if where not in self.result.undefined:
                later = self.view.defined_later(name)
                self.result.undefined[where] = (line, key, later)
        return value

    def finish(self) -> None:
        """Once every entry is known: ``@xdata``, crossref inheritance, biblatex's dates; the
        rows are the entries that are not containers."""
        self.result.strings = self.strings.final()
        self.result.string_history = self.strings.history
        entries = self.result.entries
        resolve_xdata(entries, self.problem_at)
        inherit_crossrefs(self.crossrefs, entries, self.problem_at)
        self.result.entries = settle(entries, self.problem_at)

    def problem_at(self, file: str, line: int, key: str, message: str) -> None:
        """A warning about the entry ``key`` at ``file:line``."""
        self.result.problems.append(Problem(file, line, key, message, Severity.WARNING))


def inherit_crossrefs(children: list[ParsedEntry], entries: list[ParsedEntry], warn: Warn) -> None:
    """Give each of ``children`` (the entries with a crossref field) the fields it lacks from
    its crossref parent, whose own chain is resolved first; each entry is resolved once, so
    time is linear in the chain's length.

    Cycles and missing targets are reported (``warn(file, line, key, message)``); a parent
    may be named by its key or by one of its ``ids`` (biber's aliases).
    """
    if not children:
        return
    keys = by_key(entries)
    state: dict[int, int] = {}  # id(entry): 1 on the chain being followed, 2 resolved
    for entry in children:
        if id(entry) in state:
            continue
        path: list[ParsedEntry] = []
        current = entry
        parent: ParsedEntry | None = None
        while True:
            state[id(current)] = 1
            path.append(current)
            target = current.fields["crossref"].strip()
            parent = keys.get(target.lower())
            if parent is None:
                message = f"crossref target {target!r} not found"
                warn(current.file, current.line, current.key, message)
                break
            if state.get(id(parent)) == 1:
                # A cycle: the entry that closes it takes its parent's own fields only.
                cycle = " -> ".join([e.key for e in path[path.index(parent) :]] + [parent.key])
                warn(entry.file, entry.line, entry.key, f"crossref cycle: {cycle}")
                break
            if state.get(id(parent)) == 2 or "crossref" not in parent.fields:
                break
            current = parent
        for child in reversed(path):
            if parent is not None:
                _take_from_parent(child, parent)
            state[id(child)] = 2
            parent = child


def _take_from_parent(child: ParsedEntry, parent: ParsedEntry) -> None:
    """One crossref step: the parent's fields the child lacks; a container's title becomes
    the child's ``booktitle`` (BibLaTeX's rule)."""
    if (
        parent.entry_type in _CONTAINERS
        and "booktitle" not in child.fields
        and "title" in parent.fields
    ):
        child.fields.set("booktitle", parent.fields["title"])
    child.fields.inherit(parent.fields, ("crossref", "key", "ids"))
    if parent.sources:  # what the child's display depends on, for the cache: one key
        child.sources = (*child.sources[:1], digest(*parent.sources))


def _split_block(block: Block) -> tuple[Any, ...]:
    """Read one block as bibtexparser's splitter reads it, falling back to BibTeX's own grammar.

    A block in the simple form is read by :mod:`~bib2table.bibtex.simple` (the same result,
    faster), the others by the splitter itself. The result is plain data (for the cache):
    ``("entry", type, key, fields, duplicated)``, ``("string", key, raw)``,
    ``("preamble", raw)`` or ``("failed", reason)``.
    """
    if matches_splitter():
        quick = _split_simple(block)
        if quick is not None:
            return quick
    bp, splitter = _splitter()
    parsed = splitter(block.text).split().blocks
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
        names = [f.key for f in entry.fields]
        values = [str(f.value) for f in entry.fields]
        if _whole(block.text, values):
            return _entry_read(entry.entry_type, entry.key.strip(), names, values, duplicated)
    return _fallback_read(block)


def _split_simple(block: Block) -> tuple[Any, ...] | None:
    """:func:`_split_block`'s result for a block in the simple form; ``None`` for the others."""
    if block.kind == "entry":
        entry = read_simple_entry(block.text)
        if entry is None:
            return None
        entry_type, key, names, values, duplicated, layout = entry
        if key and _whole(block.text, values):
            read = _entry_read(entry_type, key, names, values, duplicated)
            return read if layout is None else (*read, layout)
        return _fallback_read(block)
    if block.kind == "string":
        string = read_simple_string(block.text)
        return None if string is None else ("string", *string)
    if block.kind == "preamble":
        preamble = read_simple_preamble(block.text)
        return None if preamble is None else ("preamble", preamble)
    return None


def _fallback_read(block: Block) -> tuple[Any, ...]:
    """An entry the splitter cannot read whole, read by BibTeX's own grammar."""
    try:
        entry_type, key, raw_fields = read_entry(block.text)
    except FallbackError as exc:
        return ("failed", f"{exc}; this entry is left out")
    names = [name for name, _, _ in raw_fields]
    return _entry_read(entry_type, key, names, [value for _, value, _ in raw_fields], [])


def _entry_read(
    entry_type: str, key: str, names: list[str], values: list[str], duplicated: list[str]
) -> tuple[Any, ...]:
    """``("entry", type, key, repeated field names, has a crossref, (names, values))``."""
    folded = _folded(names)
    repeated = set(duplicated)
    if len(set(folded)) < len(folded):
        seen: set[str] = set()
        for name in folded:
            if name in seen:
                repeated.add(name)
            seen.add(name)
    return ("entry", entry_type, key, sorted(repeated), "crossref" in folded, (names, values))


def _decode_body(text: str, block: Block) -> Body:
    """An entry's fields from the cache's JSON; if they do not have the right shape, read
    again from the block's text."""
    try:
        names, values = json.loads(text)
    except (TypeError, ValueError):
        names = values = None
    if _strings(names) and _strings(values) and len(names) == len(values):
        return names, values
    read = _split_block(block)
    if read[0] == "entry":
        body: Body = read[5]
        return body
    return [], []


@functools.cache
def _splitter() -> tuple[Any, Any]:
    """bibtexparser's model and splitter, imported when a block is first split (a run whose
    blocks are all in the cache never needs them)."""
    import logging

    from bibtexparser import model
    from bibtexparser.splitter import Splitter

    # The splitter logs its own recoveries; each lost block is reported by us instead.
    logging.getLogger("bibtexparser").addHandler(logging.NullHandler())
    logging.getLogger("bibtexparser").propagate = False
    return model, Splitter


def evaluate(
    raw: str,
    macros: Mapping[str, str],
    warnings: list[str],
    undefined: list[str] | None = None,
) -> str:
    """Evaluate a raw value: ``{..}``, ``".."``, numbers and macros joined by ``#``.

    An undefined macro is empty, as in BibTeX (or its own name, when ``macros`` says
    ``keep_undefined``); its name goes to ``undefined``, or a warning to ``warnings``.
    """
    value = _single_piece(raw)
    if value is None:
        value = "".join(_piece(p, macros, warnings, undefined) for p in split_concatenation(raw))
    if len(value) > MAX_VALUE_LENGTH:
        warnings.append(f"value longer than {MAX_VALUE_LENGTH:,} characters is cut")
        value = value[:MAX_VALUE_LENGTH]
    return value


def _piece(
    piece: str, macros: Mapping[str, str], warnings: list[str], undefined: list[str] | None
) -> str:
    """The value of one piece of a concatenation; an undefined macro is empty, as in BibTeX."""
    if piece[:1] in '{"' and len(piece) >= 2:
        return piece[1:-1]
    if piece.isdigit():
        return piece
    macro = macros.get(piece.lower())
    if macro is not None:
        return macro
    keep = getattr(macros, "keep_undefined", False)
    if undefined is not None:
        undefined.append(piece)
    else:
        warnings.append(
            f"undefined @string {piece!r} is " + ("kept as written" if keep else "empty")
        )
    return piece if keep else ""


def _whole(text: str, values: list[str]) -> bool:
    """Whether the splitter read the entry to its end with sound values.

    On a ``"`` inside braces inside a quoted value the splitter can stop early, without a
    failure: the value it returns then has unbalanced braces, or text is left after it.
    """
    if not values:
        return True
    if list(map(str.count, values, repeat("{"))) != list(map(str.count, values, repeat("}"))):
        return False
    last = values[-1]
    end = text.rfind(last) + len(last)
    return text[end:].strip(" \t\r\n,") in ("}", ")")


def _single_piece(text: str) -> str | None:
    """Fast path for the common value that is one braced or quoted piece, or a number."""
    if "#" in text:
        return None
    stripped = text.strip()
    if len(stripped) >= 2 and (
        (stripped[0] == "{" and stripped[-1] == "}") or (stripped[0] == '"' and stripped[-1] == '"')
    ):
        return stripped[1:-1]  # (a macro's name has neither braces nor quotes)
    if stripped.isdigit():
        return stripped
    return None  # a macro (looked up by the caller), or pieces side by side


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
