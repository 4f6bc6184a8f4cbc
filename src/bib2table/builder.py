"""The live preview's builder: the last good build kept in memory, and a small edit turned into
the new catalogue, and into a patch for the open pages, without reading the rest again.

After a full build (:func:`bib2table.pipeline.load`) the builder keeps the input's text cut into
stretches (:func:`~bib2table.bibtex.blocks.stretches`: about one entry each) and the catalogue's
entries made from each stretch. On the next save it cuts the new text the same way, finds the
stretches that differ (:func:`~bib2table.catalogue.edits.diff`, which the kept outputs use
too), reads and models only the entries of the new ones, and puts the catalogue together
again: the same catalogue a full build would make. Anything that is not local to the changed
entries makes it give up (:meth:`Builder.quick` returns ``None``) and the caller builds in
full:

- what :mod:`bib2table.catalogue.edits` does not take as local: a ``@string`` or
  ``@preamble`` that comes, changes, goes or moves (their values reach the entries after
  them), a block that does not close within its stretch or is reported, a field that links
  entries anywhere in the file (a parent lends its fields), a key that another entry has too,
  a new keyword vocabulary (automatic categories: a new or vanished keyword changes the
  columns);
- a changed settings file, intro file or template (the stamp of every other file read);
- an entry that cannot be read (its problem is reported by the full build, which also decides
  whether the save is shown), one with an undefined ``@string`` or an unknown LaTeX macro;
- another range of years in the chart, a catalogue with no entries left;
- a ``--template``, a selection (``--category``, ``--since``, ``--until``, ``--search``), a
  ``.csv`` input, a file that is not UTF-8.

The patch says how the page's list of papers becomes the new one: ``order`` is a list of runs
of the old list (``[start, count]``) and of new papers (an index into ``fresh``); each fresh
paper is given as the page would have it: its item of ``#page-data`` (with its venue as text),
its row (as in ``<noscript id="rows">``) and its item of ``#cite-data``. ``strings`` are the
``@string`` lines the fresh papers' BibTeX uses; ``total`` and ``counts`` the new totals.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bib2table.bibtex.biblatex import links_entries
from bib2table.bibtex.blocks import scan_alone, stretches
from bib2table.bibtex.parse import ParsedBib, parse_piece, read_text
from bib2table.catalogue.cite import cite_data
from bib2table.catalogue.edits import (
    clash,
    diff,
    local_entries,
    same_vocabulary,
    shapes_others,
)
from bib2table.catalogue.model import (
    Catalogue,
    Category,
    Entry,
    model_entries,
    sort_entries,
    vocabulary_of,
)
from bib2table.catalogue.pagedata import page_data
from bib2table.catalogue.selection import Selection
from bib2table.errors import Bib2TableError
from bib2table.pipeline import Loaded, files_read, is_spreadsheet
from bib2table.problems import Problem, Severity
from bib2table.watch import Stamp, stamp

#: More new stretches than this are read again in full (a pasted section, a sorted file).
MOST_PIECES = 64
#: Nor are more stretches between the first change and the last than this.
MOST_WINDOW = 5000


@dataclass
class _State:
    """The last good build, as the builder keeps it."""

    text: str
    pieces: list[str]
    #: the first line of each piece
    starts: list[int]
    #: the catalogue's entries made from each piece, in file order
    entries: list[list[Entry]]
    loaded: Loaded
    vocabulary: dict[str, str]
    #: how many entries have each year
    years: Counter[int]
    keys: Counter[str]
    #: the other files the build read, as they were
    others: Stamp


@dataclass(frozen=True)
class Change:
    """What a quick update made: the new catalogue, its new problems, the pages' patch."""

    loaded: Loaded
    problems: list[Problem]
    patch: dict[str, Any]


class Builder:
    """Keeps the last good build of ``source`` and makes the next one quickly when it can."""

    def __init__(
        self,
        source: Path,
        config: Path | None = None,
        encoding: str | None = None,
        template: Path | None = None,
        selection: Selection | None = None,
    ) -> None:
        self.source = source
        self.config = config
        self.encoding = encoding
        self.enabled = template is None and not selection and not is_spreadsheet(source)
        self._state: _State | None = None
        self._known: dict[int, tuple[Any, ...]] = {}
        self._renderer: Any = None

    def read(self) -> str | None:
        """The input's text as a build reads it; ``None`` if it cannot be read cleanly."""
        if not self.enabled:
            return None
        try:
            text, warning = read_text(self.source, self.encoding)
        except Bib2TableError:
            return None
        return None if warning is not None else text

    def _others(self) -> Stamp:
        return stamp([p for p in files_read(self.source, self.config) if p != self.source])

    def forget(self) -> None:
        self._state = None
        self._known.clear()

    def remember(self, loaded: Loaded, before: str | None) -> None:
        """Keep the full build ``loaded``, made from the text ``before`` (read just before the
        build; the build is kept only if the file still holds that text)."""
        self.forget()
        catalogue = loaded.catalogue
        if before is None or links_entries(before) or not catalogue.entries:
            return
        # Every entry sees every @string (they all come before the entries), so that an entry
        # read on its own sees what it would see in the file.
        defined = len(loaded.parsed.string_history)
        if any(getattr(e.strings, "seen", defined) != defined for e in catalogue.entries):
            return
        if len(loaded.parsed.files) > 1:
            return
        if any(p.severity is Severity.ERROR for p in catalogue.problems):
            return
        others = self._others()
        if self.read() != before:
            return
        pieces = stretches(before)
        starts = _starts(pieces, 1)
        entries: list[list[Entry]] = [[] for _ in pieces]
        for entry in sorted(catalogue.entries, key=lambda e: e.line):
            entries[bisect.bisect_right(starts, entry.line) - 1].append(entry)
        in_order = [e for group in entries for e in group]
        self._state = _State(
            before,
            pieces,
            starts,
            entries,
            loaded,
            vocabulary_of(loaded.settings, (e.keywords for e in in_order)),
            Counter(e.year for e in in_order if e.year is not None),
            Counter(e.key.lower() for e in in_order),
            others,
        )

    def quick(self) -> Change | None:
        """The next build made from the last one, or ``None`` when it must be made in full."""
        state = self._state
        if state is None or self._others() != state.others:
            return None
        text = self.read()
        if text is None:
            return None
        loaded = state.loaded
        old_catalogue = loaded.catalogue
        if text == state.text:
            same = {"order": [[0, len(old_catalogue.entries)]], "fresh": [], "strings": {}}
            return Change(loaded, [], same | _totals(old_catalogue))
        pieces = stretches(text)
        old = state.pieces
        change = diff(old, pieces, MOST_PIECES, MOST_WINDOW)
        if change is None:
            return None
        first, old_end, new_end = change.first, change.old_end, change.new_end
        if first and scan_alone(old[first - 1]) is None:
            return None  # an entry before the change may run on into it
        # Between the first and the last difference, pieces found unchanged (moved, or between
        # two edits) keep what was made of them; the others are read.
        reused = list(change.reused)
        gone_pieces = change.gone
        for hunk in change.hunks():
            for index in hunk.old:  # gone, or moved
                blocks = scan_alone(old[index])
                if blocks is None or shapes_others(blocks):
                    return None
                written = [b.key for b in blocks if b.kind == "entry"]
                if written != [e.key for e in state.entries[index]]:
                    return None
        if any(i is not None and scan_alone(old[i]) is None for i in reused):
            return None
        # Every entry sees every @string (see remember): they all come before the first entry,
        # and no entry may come before one.
        if first < next((n for n, group in enumerate(state.entries) if group), len(old)):
            return None
        line = state.starts[first]
        parsed: list[ParsedBib] = []
        groups: list[list[Entry]] = []
        for piece, was in zip(pieces[first:new_end], reused, strict=True):
            if was is not None:
                groups.append(state.entries[was])
            else:
                if local_entries(piece) is None:
                    return None
                read = parse_piece(
                    piece,
                    old_catalogue.source,
                    line,
                    loaded.parsed.string_history,
                    loaded.settings.keep_undefined,
                )
                if read is None or read.string_history or read.preambles or read.undefined:
                    return None
                if any(p.severity is Severity.ERROR for p in read.problems):
                    return None
                parsed.append(read)
                groups.append([])  # filled in once modelled
            line += piece.count("\n")
        removed = [e for index in gone_pieces for e in state.entries[index]]
        gone = Counter(e.key.lower() for e in removed)
        added = Counter(e.key.lower() for read in parsed for e in read.entries)
        if clash(state.keys, [e.key for e in removed], [e.key for r in parsed for e in r.entries]):
            return None
        settings = loaded.settings
        modelled = model_entries(
            [e for read in parsed for e in read.entries],
            settings,
            old_catalogue.macros,
            state.vocabulary,
        )
        if modelled is None:
            return None
        made, warnings = modelled
        at, reads = 0, iter(parsed)
        for number, was in enumerate(reused):
            if was is None:
                count = len(next(reads).entries)
                groups[number] = made[at : at + count]
                at += count
        entries = state.entries[:first] + groups + state.entries[old_end:]
        in_order = [e for group in entries for e in group]
        if not in_order:
            return None
        # The same keywords in the same place of the file give the same vocabulary.
        in_place = all(was is None for was in reused)
        same_keywords = in_place and _keywords(removed) == _keywords(made)
        if not same_keywords and not same_vocabulary(
            settings, state.vocabulary, (e.keywords for e in in_order)
        ):
            return None
        years = state.years.copy()
        years.subtract(e.year for e in removed if e.year is not None)
        years.update(e.year for e in made if e.year is not None)
        if _span(years) != _span(state.years):
            return None
        for entry in removed:
            self._known.pop(id(entry), None)
        ordered = sort_entries(in_order, settings, self._known)
        counted = Counter({c.label: c.count for c in old_catalogue.categories})
        counted.subtract(label for e in removed for label in e.categories)
        counted.update(label for e in made for label in e.categories)
        categories = tuple(
            dataclasses.replace(c, count=counted[c.label]) for c in old_catalogue.categories
        )
        gone_keys = {e.key for e in removed}
        problems = [p for p in old_catalogue.problems if p.key not in gone_keys]
        new_problems = [
            dataclasses.replace(p, file=old_catalogue.source)
            for read in parsed
            for p in read.problems
        ] + [dataclasses.replace(p, file=old_catalogue.source) for p in warnings]
        catalogue = dataclasses.replace(
            old_catalogue,
            categories=categories,
            entries=ordered,
            problems=problems + new_problems,
        )
        patch = self._patch(old_catalogue, catalogue, made)
        new_loaded = Loaded(settings, loaded.parsed, catalogue, None)
        keys = state.keys
        keys.subtract(gone)
        keys.update(added)
        for key in gone:
            if keys[key] <= 0:
                del keys[key]
        window = _starts(pieces[first:new_end], state.starts[first])
        shift = line - (state.starts[old_end] if old_end < len(old) else line)
        after = state.starts[old_end:]
        self._state = _State(
            text,
            pieces,
            state.starts[:first] + window + ([s + shift for s in after] if shift else after),
            entries,
            new_loaded,
            state.vocabulary,
            years,
            keys,
            state.others,
        )
        return Change(new_loaded, new_problems, patch)

    def _patch(self, old: Catalogue, new: Catalogue, made: list[Entry]) -> dict[str, Any]:
        """How the page of ``old`` becomes the page of ``new`` (see the module's text)."""
        before, after = old.entries, new.entries
        same = 0
        for one, other in zip(before, after, strict=False):
            if one is not other:
                break
            same += 1
        tail = 0
        for one, other in zip(reversed(before), reversed(after), strict=False):
            if one is not other or tail >= min(len(before), len(after)) - same:
                break
            tail += 1
        where = {id(entry): n for n, entry in enumerate(before[same : len(before) - tail], same)}
        order: list[Any] = [[0, same]] if same else []
        fresh: list[Entry] = []
        for entry in after[same : len(after) - tail]:
            at = where.get(id(entry))
            if at is None:
                order.append(len(fresh))
                fresh.append(entry)
            elif order and isinstance(order[-1], list) and sum(order[-1]) == at:
                order[-1][1] += 1
            else:
                order.append([at, 1])
        if tail and order and isinstance(order[-1], list) and sum(order[-1]) == len(before) - tail:
            order[-1][1] += tail
        elif tail:
            order.append([len(before) - tail, tail])
        items, rows, cited = self._fresh(new, fresh)
        together = zip(items, rows, cited["entries"], strict=True)
        fresh_items = [[item, row, entry] for item, row, entry in together]
        return {"order": order, "fresh": fresh_items, "strings": cited["strings"]} | _totals(new)

    def _fresh(
        self, catalogue: Catalogue, entries: list[Entry]
    ) -> tuple[list[Any], list[str], dict[str, Any]]:
        """The page's data, rows and citation data of ``entries`` within ``catalogue``."""
        from bib2table.outputs.render import FORMATS, Renderer, Rows

        alone = dataclasses.replace(catalogue, entries=entries)
        data = json.loads(str(page_data(alone)))
        items = data["entries"]
        for item in items:
            if item[7] is not None:
                item[7] = data["venues"][item[7]]
        if self._renderer is None:
            self._renderer = Renderer(FORMATS["html"])
        keys = {id(entry): id(entry).to_bytes(8, "little") for entry in entries}
        rows = Rows(lambda entry: keys.get(id(entry)))
        self._renderer.render(alone, rows)
        made = [rows.made.get(keys[id(entry)], "") for entry in entries]
        return items, made, json.loads(str(cite_data(alone)))


def _starts(pieces: list[str], first: int) -> list[int]:
    """The first line of each piece, the first one starting at line ``first``."""
    starts, line = [], first
    for piece in pieces:
        starts.append(line)
        line += piece.count("\n")
    return starts


def _span(years: Counter[int]) -> tuple[int, int] | None:
    """The first and last year entries have (what the page's chart spans)."""
    present = [year for year, count in years.items() if count > 0]
    return (min(present), max(present)) if present else None


def _keywords(entries: list[Entry]) -> list[str]:
    """Every keyword of ``entries``, in order."""
    return [keyword for entry in entries for keyword in entry.keywords]


def _totals(catalogue: Catalogue) -> dict[str, Any]:
    return {
        "total": len(catalogue.entries),
        "counts": [category.count for category in catalogue.categories],
    }


__all__ = ["Builder", "Category", "Change"]
