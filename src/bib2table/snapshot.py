"""The last run's outputs for an input, kept whole, so that a fresh run after a small edit
splices the changed entries into them instead of reading and assembling every entry again.

After a run with the cache, bib2table keeps one snapshot per input and options (in the cache's
``snapshots`` table): a digest of each stretch of the ``.bib`` (see
:func:`~bib2table.bibtex.blocks.stretches`), the entry keys each holds, the outputs as written
and where each entry's row is in them (and, on the page, its items of ``#page-data`` and
``#cite-data``), the problems reported and what the totals count. The next run cuts its text
the same way and compares the stretches (:func:`~bib2table.catalogue.edits.diff`): it reads
only the entries of the stretches that are new, in their context (every ``@string`` and
``@preamble`` of the file, at their lines), and the page's first rows; renders the outputs
around the rows again from those (so the totals, the chart and the first rows are the new
ones), with the kept rows and items of the other entries in their place and the new ones where
they go. Entries may be edited, added, removed or moved, lines added or removed (the problems
of later entries move with them). The result is byte for byte what a run without the cache
writes; whatever could make it differ makes the run read everything:

- another input name, option, settings or intro file, or code (the snapshot's key);
- what :mod:`bib2table.catalogue.edits` does not take as local: a ``@string`` or
  ``@preamble`` that comes, changes, goes or moves, a block that does not close within its
  stretch or is reported, a key that another entry has too, a linking field (``crossref``,
  ``xdata``, sets, ``related``, ``ids``) anywhere in the file, keywords that make other
  categories; more than :data:`MOST_CHANGED` new stretches;
- a ``sort`` order, the Markdown sections layout, a ``--template``, a selection, a
  spreadsheet, a file that is not UTF-8, several inputs;
- problems that several entries share (undefined ``@string`` macros, runaway macros), or an
  entry that goes or comes with LaTeX macros bib2table does not know (one warning names all);
- a snapshot whose rows are not in their format's strict form or not one after another,
  whose page fails the page check, or whose page data holds markup or does not begin as this
  code writes it.

The page numbers its venues and ``@string`` lines in the order entries first use them: when
an edit changes that order (an entry added before all the others with a journal used further
down, the first with a venue removed), they are numbered anew and each kept item whose numbers
change is written again (an item ends with its numbers, so that they are found without reading
it).
"""

from __future__ import annotations

import bisect
import codecs
import dataclasses
import hashlib
import itertools
import json
import operator
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bib2table.bibtex.biblatex import links_entries
from bib2table.bibtex.encoding import declared
from bib2table.bibtex.parse import MAX_INPUT_BYTES, parse_texts, read_text
from bib2table.cache import Cache, Kept
from bib2table.catalogue.cite import CiteItems
from bib2table.catalogue.edits import (
    Diff,
    clash,
    crossed,
    diff,
    local_entries,
    moved,
    same_vocabulary,
)
from bib2table.catalogue.model import Catalogue, Entry, Tally, build_catalogue
from bib2table.catalogue.pagedata import PageItems
from bib2table.catalogue.settings import Settings, load_settings
from bib2table.errors import Bib2TableError
from bib2table.files import MAX_SMALL_BYTES, read_bytes
from bib2table.pipeline import Loaded, Output, Placed, files_read, is_spreadsheet
from bib2table.problems import Problem, Severity
from bib2table.workers import map_in_halves

#: The formats a snapshot keeps.
KEPT = ("html", "markdown", "csv")
#: The page shows its first rows before its script runs (``catalogue.entries[:25]`` in the
#: page's template): they are read again for the page around the rows.
PREVIEW = 25
#: More new stretches than this are read in full.
MOST_CHANGED = 16
#: Stretches whose digests are compared as one first.
GROUP = 256
#: How many stretches unlike the snapshot's make a run keep its outputs as the new snapshot.
RESAVE = 3
#: The layout of a snapshot's description; another one is not used.
VERSION = 3
#: Kept rows checked together, on either core.
_CHUNK = 10_000
_SCRIPTS = ("page", "cite")
_OPENING = {
    "page": b'<script type="application/json" id="page-data">',
    "cite": b'<script type="application/json" id="cite-data">',
}


#: Where a stretch starts: after a line break, an "@".
_AT = re.compile(rb"\n@")


@dataclass
class _Made:
    """An output as the snapshot holds it: its UTF-8 bytes, and where its rows and its
    scripts of entries' data are in them (offsets in bytes)."""

    format: str
    data: bytes
    rows: list[int]
    scripts: dict[str, Placed]


@dataclass(frozen=True)
class Spliced:
    """A run made from the snapshot: the outputs, the problems, how many entries; and how many
    entries it read (the changed ones and the page's first rows)."""

    outputs: list[Output]
    problems: list[Problem]
    entries: int
    read: int = 0


def eligible(
    sources: Sequence[Path],
    formats: Sequence[str],
    template: Path | None,
    encoding: str | None,
    selected: bool,
) -> bool:
    """Whether a run of these options may keep and use a snapshot."""
    return (
        len(sources) == 1
        and not is_spreadsheet(sources[0])
        and template is None
        and encoding is None
        and not selected
        and bool(formats)
        and all(f in KEPT for f in formats)
        and len(set(formats)) == len(formats)
    )


def _key(cache: Cache, source: Path, config: Path | None, formats: Sequence[str]) -> bytes:
    """The snapshot's key: the input as named and where it is, the formats, and the content
    of every other file the run reads (settings, intro)."""
    parts = [str(source), str(source.resolve()), ",".join(formats), str(config)]
    for path in files_read(source, config):
        if path == source:
            continue
        if not path.exists():
            content = "-"
        else:
            try:  # only a regular file of bounded size: never a pipe or a device
                data = read_bytes(path, "settings file", MAX_SMALL_BYTES)
            except Bib2TableError:
                raise _Miss from None  # the run reads everything, and says what is wrong
            content = hashlib.blake2b(data, digest_size=16).hexdigest()
        parts += [str(path), content]
    return cache.key("snapshot", *parts)


class _Cut:
    """A text's bytes cut into stretches (the cuts of :func:`stretches`), without copying
    them: part ``n`` is stretch ``n`` without the ``\\n@`` around it."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.view = memoryview(data)
        self.starts = [0, *(found.end() for found in _AT.finditer(data))]

    def __len__(self) -> int:
        return len(self.starts)

    def _end(self, number: int) -> int:
        last = number + 1 >= len(self.starts)
        return len(self.data) if last else self.starts[number + 1] - 2

    def part(self, number: int) -> memoryview:
        return self.view[self.starts[number] : self._end(number)]

    def parts(self, first: int, end: int) -> memoryview:
        """Parts ``first`` to ``end`` joined by ``\\n@``, as in the text."""
        return self.view[self.starts[first] : self._end(end - 1)]

    def _bounds(self, number: int) -> tuple[int, int]:
        start = self.starts[number] - 1 if number else 0
        last = number + 1 >= len(self.starts)
        return start, len(self.data) if last else self.starts[number + 1] - 1

    def piece(self, number: int) -> str:
        """The stretch ``number`` as text, as :func:`stretches` gives it."""
        start, end = self._bounds(number)
        return str(self.view[start:end], "utf-8")  # strictly: not UTF-8 is a ValueError

    def lines(self, number: int) -> int:
        """How many lines end in stretch ``number``."""
        return self.data.count(b"\n", *self._bounds(number))


def _digest(part: bytes | memoryview) -> str:
    return hashlib.sha256(part).hexdigest()[:24]


def _groups(cut: _Cut, backward: bool = False) -> Iterator[str]:
    """A digest of each group of :data:`GROUP` stretches, counted from the start (or, with
    ``backward``, from the end)."""
    count = len(cut)
    for at in range(0, count, GROUP):
        if backward:
            yield _digest(cut.parts(max(count - at - GROUP, 0), count - at))
        else:
            yield _digest(cut.parts(at, min(at + GROUP, count)))


def _digests(cut: _Cut, meta: dict[str, Any] | None = None) -> list[str]:
    """A digest of each stretch. Given an earlier text's (``meta``), the groups of stretches
    that are the same from its start, and from its end, keep their stretches' digests: only
    the stretches between are digested one by one."""
    count = len(cut)
    if meta is None:
        return [_digest(cut.part(n)) for n in range(count)]
    known: list[str] = meta["pieces"]
    start = 0
    for old, new in zip(meta["groups"], _groups(cut), strict=False):
        if old != new or start + GROUP > min(count, len(known)):
            break
        start += GROUP
    end = 0
    for old, new in zip(meta["back"], _groups(cut, True), strict=False):
        if old != new or end + GROUP > min(count, len(known)) - start:
            break
        end += GROUP
    middle = [_digest(cut.part(n)) for n in range(start, count - end)]
    return known[:start] + middle + (known[len(known) - end :] if end else [])


def _local(settings: Settings) -> bool:
    """Whether the settings keep the rows in the file's order, one table row per entry."""
    return not settings.sort and settings.layout.markdown == "table"


def read_input(source: Path) -> str | None:
    """The input's text as a run reads it, or ``None`` when it is not plain UTF-8."""
    try:
        text, warning = read_text(source, None)
    except Bib2TableError:
        return None
    return text if warning is None else None


def _input_bytes(source: Path) -> bytes | None:
    """The input as UTF-8 whose decoding is the text a run reads, or ``None`` when it is not
    plain UTF-8. Read as it is when it has no byte-order mark and names no other encoding
    (then its stretches are decoded only as they are needed: the rest are the bytes the
    snapshot was made of, by their digests); else through :func:`read_input`."""
    try:
        data = read_bytes(source, "input", MAX_INPUT_BYTES)
    except Bib2TableError:
        return None
    plain = (
        not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        and b"\0" not in data[:65536]
        and declared(data) in (None, "utf-8")
    )
    if plain:
        return data
    text = read_input(source)
    return None if text is None else text.encode("utf-8", "surrogatepass")


def save(
    cache: Cache,
    source: Path,
    config: Path | None,
    text: str,
    loaded: Loaded,
    outputs: Sequence[Output],
) -> None:
    """Keep the outputs of a full run on ``text`` for the next run (when they can be spliced)."""
    formats = [o.format for o in outputs]
    catalogue = loaded.catalogue
    settings = loaded.settings
    found = loaded.parsed.stretches
    if found is None or not _local(settings) or catalogue.shared_problems:
        return
    entries = catalogue.entries
    if not entries or any(kind == "x" for kind, _ in found):
        return
    if [key for _, keys in found for key in keys] != [e.key for e in entries]:
        return  # an entry left out (a duplicate, one that cannot be read)
    if any(len(o.rows) != 2 * len(entries) for o in outputs) or links_entries(text):
        return
    if "html" in formats and any(n not in outputs[formats.index("html")].scripts for n in _SCRIPTS):
        return
    made = [_encoded(o) for o in outputs]
    cut = _Cut(text.encode("utf-8", "surrogatepass"))
    if len(cut) != len(found):
        return
    digests = _digests(cut)
    meta: dict[str, Any] = {
        "version": VERSION,
        "pieces": digests,
        "groups": list(_groups(cut)),
        "back": list(_groups(cut, True)),
        "kinds": "".join(kind for kind, _ in found),
        "keys": [keys for _, keys in found],
        "lines": [cut.lines(number) for number in range(len(cut))],
        "keywords": [list(e.keywords) for e in entries],
        "unknown": {e.key: list(e.unknown) for e in entries if e.unknown},
        "categories": [[c.label, list(c.keywords)] for c in catalogue.categories],
        "problems": [
            [p.file, p.line, p.key, p.message, str(p.severity)] for p in catalogue.problems
        ],
        "formats": formats,
        "lengths": [len(m.data) for m in made],
        "rows": [m.rows for m in made],
    }
    if "html" in formats:
        page = made[formats.index("html")]
        meta["scripts"] = {name: _placed_meta(page.scripts[name]) for name in _SCRIPTS}
        meta["tally"] = _tally_meta(Tally.of(entries))
        meta["counts"] = [c.count for c in catalogue.categories]
        meta["skeleton"] = _checked_skeleton(page)
    body = b"".join(m.data for m in made)
    try:
        key = _key(cache, source, config, formats)
    except _Miss:
        return
    cache.keep_snapshot(key, json.dumps(meta), body)


def _encoded(output: Output) -> _Made:
    """``output`` as UTF-8, with where its rows and scripts are in the bytes."""
    text = output.text
    if text.isascii():  # (offsets in characters are offsets in bytes)
        return _Made(output.format, text.encode("ascii"), list(output.rows), output.scripts)
    marks = set(output.rows)
    for placed in output.scripts.values():
        marks.update((placed.start, placed.end))
        marks.update(placed.start + offset for offset in placed.items)
    chunks: list[bytes] = []
    where: dict[int, int] = {}
    at = size = 0
    for mark in sorted(marks):
        chunk = text[at:mark].encode("utf-8", "surrogatepass")
        chunks.append(chunk)
        size += len(chunk)
        where[mark] = size
        at = mark
    chunks.append(text[at:].encode("utf-8", "surrogatepass"))
    scripts = {}
    for name, placed in output.scripts.items():
        start = where[placed.start]
        items = tuple(where[placed.start + offset] - start for offset in placed.items)
        scripts[name] = Placed(start, where[placed.end], items, placed.firsts)
    return _Made(output.format, b"".join(chunks), [where[r] for r in output.rows], scripts)


def _checked_skeleton(page: _Made) -> str | None:
    """The digest of the page's skeleton (see :func:`_skeleton`) when it passes the page
    check, for the next runs not to check it again while it stays the same."""
    try:
        skeleton = _skeleton(page.data, page.rows, page.scripts)
    except _Miss:
        return None
    if _skeleton_faults(skeleton):
        return None
    return hashlib.sha256(skeleton).hexdigest()


def _skeleton_faults(skeleton: bytes) -> bool:
    """Whether the page check finds anything wrong in a page's skeleton (or cannot tell)."""
    from bib2table.outputs.clean import skeleton_faults

    return skeleton_faults(skeleton.decode("utf-8", "surrogatepass")) != []


def _placed_meta(placed: Placed) -> dict[str, Any]:
    return {
        "start": placed.start,
        "end": placed.end,
        "items": list(placed.items),
        "firsts": list(placed.firsts),
    }


def _tally_meta(tally: Tally) -> dict[str, Any]:
    return {
        "total": tally.total,
        "years": sorted(tally.years.items()),
        "by": {label: sorted(counts.items()) for label, counts in tally.by_category.items()},
    }


def _tally(data: dict[str, Any]) -> Tally:
    return Tally(
        int(data["total"]),
        {int(y): int(n) for y, n in data["years"]},
        {str(label): {int(y): int(n) for y, n in counts} for label, counts in data["by"].items()},
    )


class _Miss(Exception):
    """The snapshot cannot make this run: read everything."""


def splice(
    cache: Cache, source: Path, config: Path | None, formats: Sequence[str]
) -> Spliced | None:
    """This run's outputs made from the snapshot of the last one, or ``None``."""
    try:
        return _splice(cache, source, config, list(formats))
    except (_Miss, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


@dataclass
class _Stretches:
    """What the snapshot knows of each stretch, old or new: its digest, its kind (``s``: it
    holds a ``@string`` or ``@preamble``), its entries' keys, its lines; and where its first
    entry and its first line are."""

    digests: list[str]
    kinds: str
    keys: list[list[str]]
    lines: list[int]

    def __post_init__(self) -> None:
        self.rows = list(itertools.accumulate((len(k) for k in self.keys), initial=0))
        self.starts = list(itertools.accumulate(self.lines, initial=1))

    def entries(self, first: int, end: int) -> range:
        """The rows of the entries of stretches ``first`` to ``end``."""
        return range(self.rows[first], self.rows[end])


def _splice(cache: Cache, source: Path, config: Path | None, formats: list[str]) -> Spliced:
    key = _key(cache, source, config, formats)
    found = cache.snapshot(key)
    if found is None:
        raise _Miss
    try:
        return _splice_found(cache, source, config, formats, key, found)
    finally:
        found.done()


def _splice_found(
    cache: Cache, source: Path, config: Path | None, formats: list[str], key: bytes, found: Kept
) -> Spliced:
    meta = json.loads(found.meta)
    if not isinstance(meta, dict) or meta["version"] != VERSION or meta["formats"] != formats:
        raise _Miss
    data = _input_bytes(source)
    if data is None:
        raise _Miss
    old = _Stretches(meta["pieces"], meta["kinds"], meta["keys"], meta["lines"])
    if not len(old.digests) == len(old.kinds) == len(old.keys) == len(old.lines):
        raise _Miss
    cut = _Cut(data)
    digests = _digests(cut, meta)
    change = diff(old.digests, digests, MOST_CHANGED)
    if change is None:
        raise _Miss
    new = _new_stretches(old, change, cut, digests)
    settings = load_settings(source, config)
    if not _local(settings):
        raise _Miss
    splicer = _Splicer(cache, source, meta, settings, old, new, change, cut)
    kept = found.body()
    if kept is None:
        raise _Miss
    body, sealed = kept
    del kept
    lengths = meta["lengths"]
    if sum(lengths) != len(body) or len(lengths) != len(formats):
        raise _Miss
    outputs: list[_Made] = []
    at = 0
    for name, length, rows_of in zip(formats, lengths, meta["rows"], strict=True):
        whole = at == 0 and length == len(body)
        outputs.append(splicer.output(name, body if whole else body[at : at + length], rows_of))
        at += length
    del body
    rows = [o.rows for o in outputs]
    scripts = outputs[formats.index("html")].scripts if "html" in formats else {}
    checked = _check(outputs, splicer.total, sealed, meta.get("skeleton"))
    meta.update(
        pieces=digests,
        kinds=new.kinds,
        keys=new.keys,
        lines=new.lines,
        keywords=splicer.keywords,
        unknown=splicer.unknown,
        problems=[[p.file, p.line, p.key, p.message, str(p.severity)] for p in splicer.problems],
        lengths=[len(o.data) for o in outputs],
        rows=rows,
    )
    if scripts:
        meta.update(
            scripts={name: _placed_meta(placed) for name, placed in scripts.items()},
            tally=_tally_meta(splicer.tally),
            counts=splicer.counts,
            skeleton=checked,
        )
    # Kept anew only after a few changes: until then, splicing them all into the snapshot as it
    # is costs less than writing the outputs into the cache again.
    if len(change.fresh) + len(change.gone) + len(moved(change)) > RESAVE:
        meta.update(groups=list(_groups(cut)), back=list(_groups(cut, True)))
        cache.keep_snapshot(key, json.dumps(meta), b"".join(o.data for o in outputs))
    written = [Output(o.format, data=o.data) for o in outputs]
    return Spliced(written, splicer.problems, splicer.total, len(splicer.made.entries))


def _new_stretches(old: _Stretches, change: Diff, cut: _Cut, digests: list[str]) -> _Stretches:
    """What is known of the new text's stretches: the old ones' kinds, keys and lines, and the
    new ones' read from their blocks (each must be local: see
    :func:`~bib2table.catalogue.edits.local_entries`). A stretch's lines count the line break
    before the next stretch, which the last one lacks: the lines of the stretches among the
    changed ones, moved ones too, and of the one just before them, are counted anew."""
    for hunk in change.hunks():
        if any(old.kinds[n] != "e" for n in hunk.old):
            raise _Miss  # a @string or @preamble goes or moves
    if crossed(change, lambda n: old.kinds[n] == "s"):
        raise _Miss  # entries moved past a @string or @preamble
    kinds: list[str] = []
    keys: list[list[str]] = []
    lines: list[int] = []
    first, old_end = change.first, change.old_end
    for number in range(first, change.new_end):
        was = change.reused[number - first]
        lines.append(cut.lines(number))
        if was is not None:
            kinds.append(old.kinds[was])
            keys.append(old.keys[was])
            continue
        blocks = local_entries(cut.piece(number))
        if blocks is None:
            raise _Miss
        kinds.append("e")
        keys.append([b.key for b in blocks])
    before = old.lines[:first]
    if before:  # (it was the last stretch, or is now)
        before[-1] = cut.lines(first - 1)
    return _Stretches(
        digests,
        old.kinds[:first] + "".join(kinds) + old.kinds[old_end:],
        old.keys[:first] + keys + old.keys[old_end:],
        before + lines + old.lines[old_end:],
    )


class _Splicer:
    """The new entries read, and how the old outputs' rows and items make the new ones."""

    def __init__(
        self,
        cache: Cache,
        source: Path,
        meta: dict[str, Any],
        settings: Settings,
        old: _Stretches,
        new: _Stretches,
        change: Diff,
        cut: _Cut,
    ) -> None:
        self.cache, self.meta = cache, meta
        self.old, self.new, self.change = old, new, change
        self.total = new.rows[-1]
        if not self.total or old.rows[-1] != len(meta["keywords"]):
            raise _Miss
        first = change.first
        hunks = change.hunks()
        #: per hunk, its old rows and its new rows
        self.hunks = [
            (old.entries(h.old.start, h.old.stop), new.entries(h.new.start, h.new.stop))
            for h in hunks
        ]
        moved_from = {was for n in moved(change) if (was := change.reused[n - first]) is not None}
        gone = change.gone
        #: the old rows of the entries that went
        self.gone = [row for n in gone for row in old.entries(n, n + 1)]
        gone_keys = [key for n in gone for key in old.keys[n]]
        # The stretches to read: the new ones, and those of the page's first rows.
        fresh = change.fresh
        wanted = set(fresh)
        wanted.update(n for n in range(len(new.keys)) if new.rows[n] < PREVIEW and new.keys[n])
        self.made = self._read(source, settings, cut, sorted(wanted))
        by_key = {e.key: e for e in self.made.entries}
        #: the new entries by their new row; the moved ones by their new row: their old row
        self.fresh: dict[int, Entry] = {}
        self.moved: dict[int, int] = {}
        for hunk in hunks:
            for n in hunk.new:
                was = change.reused[n - first]
                for i, key in enumerate(new.keys[n]):
                    if was is None:
                        self.fresh[new.rows[n] + i] = by_key[key]
                    else:
                        self.moved[new.rows[n] + i] = old.rows[was] + i
        added = Counter(k.lower() for k in self.added)
        if added - Counter(k.lower() for k in gone_keys):  # not only the keys that went
            counted = Counter(k.lower() for keys in old.keys for k in keys)
            if clash(counted, gone_keys, self.added):
                raise _Miss
        unknown: dict[str, list[str]] = meta["unknown"]
        touched = gone_keys + [k for n in moved_from for k in old.keys[n]]
        if any(k in unknown for k in touched) or any(e.unknown for e in self.fresh.values()):
            raise _Miss  # the one warning that names every unknown macro would change
        gone_set = set(gone_keys)
        self.unknown = {k: v for k, v in unknown.items() if k not in gone_set}
        self.plan = self._plan()
        self.keywords = self._keywords(settings)
        self.problems = self._problems(source)
        shown = {e.key for e in self.made.entries[:PREVIEW]} | set(self.added)
        self.frame_entries = [e for e in self.made.entries if e.key in shown]
        self.tally = Tally(self.total, {}, {})
        self.counts: list[int] = []
        self.hunk_starts = [old_rows.start for old_rows, _ in self.hunks]

    @property
    def added(self) -> list[str]:
        return [entry.key for entry in self.fresh.values()]

    # -- which rows go where

    def _plan(self) -> list[tuple[int, int] | int]:
        """The new rows in order: runs of old rows ``(start, end)``, and new rows (by row)."""
        old, new, change = self.old, self.new, self.change
        plan: list[tuple[int, int] | int] = []

        def run(start: int, end: int) -> None:
            if start == end:
                return
            last = plan[-1] if plan else None
            if isinstance(last, tuple) and last[1] == start:
                plan[-1] = (last[0], end)
            else:
                plan.append((start, end))

        run(0, old.rows[change.first])
        for number in range(change.first, change.new_end):
            was = change.reused[number - change.first]
            if was is not None:
                run(old.rows[was], old.rows[was + 1])
            else:
                plan.extend(range(new.rows[number], new.rows[number + 1]))
        run(old.rows[change.old_end], old.rows[-1])
        return plan

    def old_to_new(self, row: int) -> int:
        """Where the old row ``row`` (of an entry that stays in place) is in the new order."""
        shift = 0
        for old_rows, new_rows in self.hunks:
            if row < old_rows.start:
                break
            shift = new_rows.stop - old_rows.stop
        return row + shift

    # -- reading

    def _read(self, source: Path, settings: Settings, cut: _Cut, wanted: list[int]) -> Catalogue:
        """The entries of the stretches ``wanted``, read in the file with its ``@string`` and
        ``@preamble`` blocks and every other stretch blank."""
        new = self.new
        chosen = set(wanted)
        pieces: list[str] = []
        blank = 0
        for number, kind in enumerate(new.kinds):
            if kind == "s" or number in chosen:
                pieces += ("\n" * blank, cut.piece(number))
                blank = 0
            else:
                blank += new.lines[number]
        mini = "".join(pieces) + "\n" * blank
        categories = self.meta["categories"]
        vocabulary = {k: label for label, words in categories for k in words}
        parsed = parse_texts([(mini, str(source))], None, settings.keep_undefined)
        made = build_catalogue(parsed, settings, source.stem, None, vocabulary)
        if made.shared_problems:
            raise _Miss
        if [e.key for e in made.entries] != [k for n in wanted for k in new.keys[n]]:
            raise _Miss
        if [[c.label, list(c.keywords)] for c in made.categories] != categories:
            raise _Miss
        return made

    def _keywords(self, settings: Settings) -> list[list[str]]:
        """Each new entry's keywords, in order; the categories they make must be the old."""
        old_keywords: list[list[str]] = self.meta["keywords"]
        keywords: list[list[str]] = []
        for part in self.plan:
            if isinstance(part, tuple):
                keywords += old_keywords[part[0] : part[1]]
            else:
                keywords.append(list(self.fresh[part].keywords))
        if len(keywords) != self.total:
            raise _Miss
        # The same keywords in the same places make the same categories.
        same = not self.moved and all(
            [w for r in old_rows for w in old_keywords[r]]
            == [w for r in new_rows for w in keywords[r]]
            for old_rows, new_rows in self.hunks
        )
        if not same:
            vocabulary = {k: label for label, words in self.meta["categories"] for k in words}
            if not same_vocabulary(settings, vocabulary, (tuple(k) for k in keywords)):
                raise _Miss
        return keywords

    def _problems(self, source: Path) -> list[Problem]:
        """The old problems at their new lines (those of entries that went left out), and the
        new entries' own."""
        old, new, change = self.old, self.new, self.change
        name = str(source)
        where = {was: n for n, was in enumerate(change.reused, change.first) if was is not None}
        problems = []
        for file, line, key, message, severity in self.meta["problems"]:
            problem = Problem(file, line, key, message, Severity(severity))
            if file != name or line < 1:
                problems.append(problem)
                continue
            stretch = bisect.bisect_right(old.starts, line) - 1
            if stretch < change.first:
                now: int | None = stretch
            elif stretch >= change.old_end:
                now = stretch + change.shift
            else:
                now = where.get(stretch)
            if now is None:
                continue  # an entry that went
            problems.append(
                dataclasses.replace(problem, line=line + new.starts[now] - old.starts[stretch])
            )
        spans = [(new.starts[n], new.starts[n + 1]) for n in change.fresh]
        for problem in self.made.problems:
            if problem.file == name and any(a <= problem.line < b for a, b in spans):
                problems.append(problem)
        return problems

    # -- the outputs

    def output(self, name: str, old_text: bytes, old_rows: list[int]) -> _Made:
        """The output ``name``: rendered around the page's first rows and the new entries,
        with the old rows (and, on the page, items) in their places; ``old_text`` and where
        its rows are, in bytes."""
        from bib2table.outputs.clean import all_fit
        from bib2table.outputs.render import FORMATS, Renderer, Rows

        if len(old_rows) != 2 * self.old.rows[-1]:
            raise _Miss
        frame = self._frame(old_text if name == "html" else None)
        ids = {id(e): id(e).to_bytes(8, "little") for e in frame.entries}
        renderer = Renderer(FORMATS[name], cache=self.cache)
        rendered = renderer.render(frame, Rows(lambda e: ids.get(id(e))))
        pieces = rendered.pieces
        starts = list(itertools.accumulate((len(p) for p in pieces), initial=0))
        row_pieces = [n for n, is_row in enumerate(rendered.rows) if is_row]
        if len(row_pieces) != len(frame.entries):
            raise _Miss
        start, end = starts[row_pieces[0]], starts[row_pieces[-1] + 1]
        if sum(len(pieces[n]) for n in row_pieces) != end - start:
            raise _Miss  # rows one after another, nothing between
        index = {id(e): n for n, e in enumerate(frame.entries)}
        made = {row: pieces[row_pieces[index[id(e)]]] for row, e in self.fresh.items()}
        if not all_fit(list(made.values()), name):
            raise _Miss
        text = rendered.text
        out = _Text()
        out.add(text[:start].encode())
        spans = out.runs(
            old_text, old_rows, self.plan, {r: row.encode() for r, row in made.items()}, b""
        )
        at = end
        scripts: dict[str, Placed] = {}
        for script in _SCRIPTS if name == "html" else ():
            number, _ = rendered.scripts[script]
            if starts[number] < at:
                raise _Miss
            out.add(text[at : starts[number]].encode())
            scripts[script] = self._script(script, old_text, frame, out)
            at = starts[number + 1]
        out.add(text[at:].encode())
        return _Made(name, b"".join(out.parts), spans, scripts)

    def _frame(self, page: bytes | None) -> Catalogue:
        """What the outputs around the rows are rendered from: the page's first rows and the
        new entries, with what every entry adds up to (counted on the old ``page``)."""
        made = self.made
        if page is None:
            return dataclasses.replace(
                made, entries=self.frame_entries, tally=Tally(self.total, {}, {})
            )
        labels = [c.label for c in made.categories]
        counts = list(self.meta["counts"])
        if len(counts) != len(labels):
            raise _Miss
        gone = [(item[2], [labels[n] for n in item[3]]) for item in self._items(page, self.gone)]
        added = [(e.year, list(e.categories)) for e in self.fresh.values()]
        for step, entries in ((-1, gone), (1, added)):
            for _, marked in entries:
                for label in marked:
                    counts[labels.index(label)] += step
        self.tally = _tally(self.meta["tally"]).changed(gone, added)
        self.counts = counts
        if self.tally.total != self.total or min(counts, default=0) < 0:
            raise _Miss
        categories = tuple(
            dataclasses.replace(c, count=n) for c, n in zip(made.categories, counts, strict=True)
        )
        return dataclasses.replace(
            made, entries=self.frame_entries, categories=categories, tally=self.tally
        )

    def _items(self, page: bytes, rows: Sequence[int], script: str = "page") -> list[Any]:
        """The old items of these rows in the page's script ``script``."""
        placed = self.meta["scripts"][script]
        spans, start = placed["items"], placed["start"]
        return [json.loads(page[start + spans[2 * r] : start + spans[2 * r + 1]]) for r in rows]

    def _script(self, script: str, page: bytes, frame: Catalogue, out: _Text) -> Placed:
        """The page's script ``script`` with the new entries' items in it, added to ``out``,
        and where it is. Its names (the venues, or the ``@string`` lines) are numbered as a
        run without the snapshot numbers them: in the order the entries first use them; an
        edit that changes that order (an entry added before all the others with a journal
        used further down, the first with a venue removed) numbers them anew, and each kept
        item whose numbers change is written again."""
        placed = self.meta["scripts"][script]
        origin, spans = placed["start"], placed["items"]
        firsts: list[int] = placed["firsts"]
        head = page[origin : origin + spans[0]]
        names = _Names(script, frame, json.loads(head + b"]}"), page, origin, spans)
        if names.head(names.old).encode() != head:
            raise _Miss  # not what this code writes
        if len(firsts) != len(names.old):
            raise _Miss
        items = {row: names.item(self.fresh[row]) for row in sorted(self.fresh)}
        used: dict[int, list[Any]] = {row: names.of(item) for row, item in items.items()}
        used.update((row, names.at(old)[2]) for row, old in self.moved.items())
        first: dict[Any, int] = {}  # where each name is first used now
        for row in sorted(used):
            for name in used[row]:
                first.setdefault(name, row)
        found_at: dict[int, int] = {}  # for a first use in a kept row: its old row
        lost = {}
        for number, name in enumerate(names.old):
            if self._in_hunk(firsts[number]):
                lost[name] = firsts[number]  # its first use went or moved: where is it now?
            else:
                self._first(first, found_at, name, firsts[number])
        if lost:
            for old in range(min(lost.values()) + 1, self.old.rows[-1]):
                if not lost:
                    break
                if self._in_hunk(old):
                    continue
                for name in names.at(old)[2]:
                    if name in lost and lost[name] < old:
                        del lost[name]
                        self._first(first, found_at, name, old)
        order: list[Any] = []
        by_row: dict[int, list[Any]] = {}
        for name, row in first.items():
            by_row.setdefault(row, []).append(name)
        for row in sorted(by_row):
            together = by_row[row]
            if len(together) > 1:  # in the order the item lists them
                listed = used[row] if row in used else names.at(found_at[row])[2]
                together.sort(key=listed.index)
            order += together
        numbers = names.numbers(order)
        start = out.at
        out.add(names.head(order).encode())
        made = {
            row: names.written(names.numbered(item, numbers)).encode()
            for row, item in items.items()
        }
        if all(numbers.get(name, was) == was for name, was in names.were.items()):
            where = out.runs(page, spans, self.plan, made, b",", origin, start)
        else:  # numbered anew: each kept item written again where its numbers change
            where = []
            for part in self.plan:
                rows = range(*part) if isinstance(part, tuple) else [-1 - part]
                for row in rows:
                    if where:
                        out.add(b",")
                    at = out.at - start
                    if row < 0:  # a new entry's
                        out.add(made[-1 - row])
                    else:
                        begin, end = origin + spans[2 * row], origin + spans[2 * row + 1]
                        numbered, stop, listed = names.at(row)
                        now = names.numbers_text(listed, numbers).encode()
                        if page[numbered:stop] == now:
                            out.add(page[begin:end])
                        else:
                            out.add(page[begin:numbered] + now + page[stop:end])
                    where += (at, out.at - start)
        out.add(b"]}")
        return Placed(start, out.at, tuple(where), tuple(first[name] for name in order))

    def _in_hunk(self, row: int) -> bool:
        """Whether the old row ``row`` went or moved."""
        at = bisect.bisect_right(self.hunk_starts, row) - 1
        return at >= 0 and row < self.hunks[at][0].stop

    def _first(self, first: dict[Any, int], found_at: dict[int, int], name: Any, old: int) -> None:
        """The kept old row ``old`` uses ``name``: the first use, unless a new one comes first."""
        row = self.old_to_new(old)
        if name not in first or row < first[name]:
            first[name] = row
            found_at[row] = old


class _Names:
    """The names a page's script numbers (``page``: venues; ``cite``: ``@string`` lines, each
    a macro and a value), and where an item has their numbers: at its end."""

    def __init__(
        self,
        script: str,
        catalogue: Catalogue,
        data: dict[str, Any],
        page: bytes,
        origin: int,
        spans: list[int],
    ) -> None:
        self.page, self.origin, self.spans = page, origin, spans
        self.venues = script == "page"
        self.state: PageItems | CiteItems
        if self.venues:
            self.state = PageItems(catalogue, data["venues"])
            self.old: list[Any] = list(data["venues"])
        else:
            self.state = CiteItems(catalogue, used=data["strings"])
            self.keys = {key: pair for pair, key in self.state.values.items()}
            self.old = [self.keys[key] for key in data["strings"]]
        #: each old name's number
        self.were: dict[Any, Any] = {
            name: (number if self.venues else key)
            for number, (name, key) in enumerate(zip(self.old, data[self._table()], strict=True))
        }

    def _table(self) -> str:
        return "venues" if self.venues else "strings"

    def item(self, entry: Entry) -> list[Any]:
        """A new entry's item, numbered as after the old ones."""
        item = self.state.item(entry)
        if not self.venues:
            assert isinstance(self.state, CiteItems)
            self.keys = {key: pair for pair, key in self.state.values.items()}
        return item

    def of(self, item: list[Any]) -> list[Any]:
        """The names a new entry's item uses."""
        if self.venues:
            return [] if item[7] is None else [list(self.state.venues)[item[7]]]  # type: ignore[union-attr]
        return [self.keys[key] for key in item[1]]

    def at(self, row: int) -> tuple[int, int, list[Any]]:
        """Where the numbers of the old item ``row`` are, and the names they are."""
        page = self.page
        start = self.origin + self.spans[2 * row]
        end = self.origin + self.spans[2 * row + 1]
        if self.venues:
            at = page.rfind(b",", start, end) + 1
            text = page[at : end - 1]
            if text == b"null":
                return at, end - 1, []
            if not text.isdigit() or page[end - 1 : end] != b"]":
                raise _Miss
            return at, end - 1, [self.old[int(text)]]
        at = page.rfind(b'",[', start, end) + 2
        if at < start + 2 or page[end - 2 : end] != b"]]":
            raise _Miss
        return at, end - 1, [self.keys[key] for key in json.loads(page[at : end - 1])]

    def numbers(self, order: list[Any]) -> dict[Any, Any]:
        """Each name's number when they are first used in ``order``."""
        if self.venues:
            return {name: number for number, name in enumerate(order)}
        keys: dict[Any, Any] = {}
        taken: set[str] = set()
        for macro, value in order:  # as cite._macro_keys names them
            key = macro if macro not in taken else f"{macro} {len(keys) + 1}"
            keys[(macro, value)] = key
            taken.add(key)
        return keys

    def numbers_text(self, names: list[Any], numbers: dict[Any, Any]) -> str:
        """How an item writes the numbers of ``names``."""
        if self.venues:
            return str(numbers[names[0]]) if names else "null"
        return self.written([numbers[name] for name in names])

    def numbered(self, item: list[Any], numbers: dict[Any, Any]) -> list[Any]:
        """A new entry's item with its names numbered by ``numbers``."""
        names = self.of(item)
        item = list(item)
        if self.venues:
            item[7] = numbers[names[0]] if names else None
        else:
            item[1] = [numbers[name] for name in names]
        return item

    def head(self, order: list[Any]) -> str:
        """What the script writes before its items, its names first used in ``order``."""
        from bib2table.catalogue.cite import entries_head

        state = self.state
        if isinstance(state, PageItems):
            kept = state.venues
            state.venues = {name: number for number, name in enumerate(order)}
            try:
                return entries_head(state.head())
            finally:
                state.venues = kept
        numbers = self.numbers(order)
        lines = {numbers[pair]: state.used[state.values[pair]] for pair in order}
        return entries_head({"strings": lines})

    @staticmethod
    def written(value: Any) -> str:
        from bib2table.catalogue.cite import script_json

        text = str(script_json(value))
        if "<" in text:
            raise _Miss  # the page's data never holds markup (see script_json)
        return text


class _Text:
    """An output made of parts, joined once at the end."""

    def __init__(self) -> None:
        self.parts: list[bytes | memoryview] = []
        #: how long it is so far
        self.at = 0

    def add(self, text: bytes | memoryview) -> None:
        self.parts.append(text)
        self.at += len(text)

    def runs(
        self,
        old: bytes,
        spans: list[int],
        plan: list[tuple[int, int] | int],
        made: dict[int, bytes],
        separator: bytes,
        origin: int = 0,
        relative: int = 0,
    ) -> list[int]:
        """Add rows (or a script's items) one after another, ``separator`` between two: each
        run of old ones ``(start, end)`` copied from ``old`` (where ``spans``, from
        ``origin``, say they are), and new ones (``made``, by their new row). Where each one is
        now, from ``relative``."""
        where: list[int] = []
        first = True
        view = memoryview(old)  # (runs copied once, as the output is joined)
        for part in plan:
            if not first:
                self.add(separator)
            first = False
            if isinstance(part, tuple):
                start, stop = spans[2 * part[0]], spans[2 * part[1] - 1]
                shift = self.at - relative - start
                where += [offset + shift for offset in spans[2 * part[0] : 2 * part[1]]]
                self.add(view[origin + start : origin + stop])
            else:
                text = made[part]
                at = self.at - relative
                where += (at, at + len(text))
                self.add(text)
        return where


def _script(page: bytes, name: str) -> tuple[int, int] | None:
    """Where the JSON of the page's script ``name`` is."""
    opening = _OPENING[name]
    start = page.find(opening)
    if start < 0 or page.find(opening, start + 1) >= 0:
        return None
    start += len(opening)
    end = page.find(b"</script>", start)
    return (start, end) if end >= 0 else None


def _check(outputs: list[_Made], count: int, sealed: bool, known: str | None = None) -> str | None:
    """The snapshot's outputs follow the rules a fresh run's do: rows in their format's strict
    form, one after another, the page's skeleton passes the page check, its links the link
    rules, its data holds no markup. A ``sealed`` snapshot was checked so by this user's run
    when it was kept, and the rows and items put in it now were checked as they were made: its
    kept rows and data are not checked again (the page around the rows, rendered now, is,
    unless it is the very skeleton ``known`` names). The digest of the page's skeleton, once
    checked."""
    from bib2table.outputs.clean import all_fit

    for output in outputs:
        spans = output.rows
        if len(spans) != 2 * count or not spans or spans[0] < 0 or spans[-1] > len(output.data):
            raise _Miss
        if spans[1:-1:2] != spans[2::2] or not all(map(operator.le, spans[::2], spans[1::2])):
            raise _Miss  # not one after another

    def fits(chunk: tuple[int, int, int]) -> bool:
        number, start, end = chunk
        data, spans = outputs[number].data, outputs[number].rows
        ends = spans[2 * start + 1 : 2 * end : 2]
        found = [
            str(data[a:b], "utf-8")
            for a, b in zip(spans[2 * start : 2 * end : 2], ends, strict=True)
        ]
        return all_fit(found, outputs[number].format)

    chunks = [
        (number, start, min(start + _CHUNK, count))
        for number in range(len(outputs))
        for start in range(0, count, _CHUNK)
    ]
    # Many rows: checked on two cores.
    if not sealed and not all(map_in_halves(fits, chunks, minimum=8)):
        raise _Miss
    checked = None
    for output in outputs:
        if output.format != "html":
            continue
        scripts = output.scripts
        if any(len(placed.items) != 2 * count for placed in scripts.values()):
            raise _Miss
        skeleton = _skeleton(output.data, output.rows, scripts if sealed else None)
        checked = hashlib.sha256(skeleton).hexdigest()
        # A skeleton this user's run has checked before passes again (the check looks at
        # nothing else): the page's parser is not even loaded.
        if sealed and checked == known:
            continue
        if _skeleton_faults(skeleton):
            raise _Miss
    return checked


def _skeleton(data: bytes, spans: Sequence[int], scripts: dict[str, Placed] | None) -> bytes:
    """The page ``data`` as the page check is given it: its rows (``spans``) as one mark and
    its data left out (the data never holds markup: see script_json, so what the parser sees
    is the same). ``scripts``: where the data is, when that is known; else it is looked for,
    and must hold no "<"."""
    from bib2table.outputs.clean import STAND_IN

    cuts = [(spans[0], spans[-1], STAND_IN.encode())]
    for script in _SCRIPTS:
        if scripts is not None:
            placed = scripts[script]
            where = (placed.start, placed.end)
            before = data[placed.start - len(_OPENING[script]) : placed.start]
            if before != _OPENING[script] or not data.startswith(b"</script>", placed.end):
                raise _Miss
        else:
            found = _script(data, script)
            if found is None or data.find(b"<", *found) >= 0:
                raise _Miss
            where = found
        cuts.append((*where, b""))
    cuts.sort()
    skeleton: list[bytes] = []
    at = 0
    for start, end, mark in cuts:
        if start < at:
            raise _Miss
        skeleton += (data[at:start], mark)
        at = end
    skeleton.append(data[at:])
    return b"".join(skeleton)
