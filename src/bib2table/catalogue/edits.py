"""What an edit of a ``.bib`` changed, stretch by stretch, and whether reading the changed
stretches alone tells the new catalogue.

Both ways of rebuilding after an edit without reading everything — the live preview's builder
(:mod:`bib2table.builder`, which keeps the last build in memory) and the kept outputs
(:mod:`bib2table.snapshot`, which keep a digest of each stretch) — cut the text into stretches
(:func:`~bib2table.bibtex.blocks.stretches`: the text cut before every ``@`` that starts a
line, about one entry each), compare them with the last build's (:func:`diff`), and read only
the stretches that are new. That is enough when the edit stays local, by these rules:

- a new stretch closes every block within itself, holds only entries (and comments), none of
  them reported, and nothing that links entries (``crossref``, ``xdata``, sets, ``related``,
  ``ids``: :func:`local_entries`);
- a stretch that goes or moves holds no ``@string`` or ``@preamble`` (their values reach every
  entry after them), and none moves past one (:func:`crossed`);
- no added key is another entry's too, in any case (:func:`clash`: only a full read says which
  one a duplicate leaves out);
- the keywords still make the same categories (:func:`same_vocabulary`).

Each user adds its own: the preview also keeps the chart's span of years (the open pages patch
papers, not the chart), the kept outputs the page's numbering of venues and ``@string`` lines.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bib2table.bibtex.biblatex import links_entries
from bib2table.bibtex.blocks import Block, scan_alone
from bib2table.catalogue.model import vocabulary_of
from bib2table.catalogue.settings import Settings

Token = TypeVar("Token", bound=Hashable)

#: The kinds of block that shape the entries after them.
CONTEXT = frozenset({"string", "preamble"})


@dataclass(frozen=True)
class Hunk:
    """Old stretches that went (or moved away) and the new ones in their place."""

    old: range
    new: range


@dataclass(frozen=True)
class Diff:
    """How one list of stretches became another: the same before ``first`` and from
    ``old_end`` (``new_end`` in the new list) on; in between, each new stretch is one of the old
    ones (the same text, perhaps moved: ``reused``) or new."""

    first: int
    old_end: int
    new_end: int
    #: for each new stretch from ``first`` to ``new_end``: the old stretch it is, or ``None``
    reused: tuple[int | None, ...]
    #: the new stretches (from ``first``) that stay where they were relative to each other:
    #: every other stretch between is read, moved or gone
    kept: tuple[int, ...]

    @property
    def fresh(self) -> list[int]:
        """The new stretches no old one is: to be read."""
        return [self.first + n for n, old in enumerate(self.reused) if old is None]

    @property
    def gone(self) -> list[int]:
        """The old stretches no new one is."""
        used = {old for old in self.reused if old is not None}
        return [n for n in range(self.first, self.old_end) if n not in used]

    @property
    def shift(self) -> int:
        """How many stretches more the new list has."""
        return self.new_end - self.old_end

    def hunks(self) -> list[Hunk]:
        """The stretches that changed, as runs between those kept in place: each hunk's old
        stretches went or moved, its new ones are new or moved there."""
        hunks = []
        old_at, new_at = self.first, self.first
        for new in self.kept:
            old = self.reused[new - self.first]
            assert old is not None
            if old > old_at or new > new_at:
                hunks.append(Hunk(range(old_at, old), range(new_at, new)))
            old_at, new_at = old + 1, new + 1
        if self.old_end > old_at or self.new_end > new_at:
            hunks.append(Hunk(range(old_at, self.old_end), range(new_at, self.new_end)))
        return hunks

    def old_of(self, new: int) -> int | None:
        """The old stretch the new stretch ``new`` is (the same text), if any."""
        if new < self.first:
            return new
        if new >= self.new_end:
            return new - self.shift
        return self.reused[new - self.first]


def diff(
    old: Sequence[Token],
    new: Sequence[Token],
    most_fresh: int | None = None,
    most_window: int | None = None,
) -> Diff | None:
    """How ``old`` became ``new`` (stretches, or their digests); ``None`` when more than
    ``most_fresh`` stretches are new, or more than ``most_window`` lie between the first
    difference and the last (a pasted section, a sorted file: read them all)."""
    first, limit = 0, min(len(old), len(new))
    while first < limit and old[first] == new[first]:
        first += 1
    tail = 0
    while tail < limit - first and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    old_end, new_end = len(old) - tail, len(new) - tail
    if most_window is not None and (old_end - first) + (new_end - first) > most_window:
        return None
    # Between the first difference and the last, an old stretch found again (moved, or between
    # two edits) is that stretch; the first of equal ones is taken first.
    unused: dict[Token, list[int]] = {}
    for index in range(old_end - 1, first - 1, -1):
        unused.setdefault(old[index], []).append(index)
    reused: list[int | None] = []
    for token in new[first:new_end]:
        found = unused.get(token)
        reused.append(found.pop() if found else None)
    if most_fresh is not None and reused.count(None) > most_fresh:
        return None
    return Diff(first, old_end, new_end, tuple(reused), _in_order(reused, first))


def _in_order(reused: list[int | None], first: int) -> tuple[int, ...]:
    """The new stretches (indexes from ``first``) of a longest run of reused ones whose old
    stretches are in the same order: those that stay in place."""
    tails: list[int] = []  # the least old index that ends an increasing run of each length
    ends: list[int] = []  # where that run ends (an index into ``reused``)
    before: list[int] = [-1] * len(reused)
    for at, old in enumerate(reused):
        if old is None:
            continue
        length = bisect.bisect_left(tails, old)
        if length == len(tails):
            tails.append(old)
            ends.append(at)
        else:
            tails[length] = old
            ends[length] = at
        before[at] = ends[length - 1] if length else -1
    kept = []
    at = ends[-1] if ends else -1
    while at >= 0:
        kept.append(first + at)
        at = before[at]
    return tuple(reversed(kept))


def moved(change: Diff) -> list[int]:
    """The new stretches that are old ones moved (not kept in place)."""
    kept = set(change.kept)
    return [
        number
        for number, was in enumerate(change.reused, change.first)
        if was is not None and number not in kept
    ]


def crossed(change: Diff, shapes: Callable[[int], bool]) -> bool:
    """Whether a stretch moved past one that shapes the entries after it (``shapes``: of an
    old stretch's index): its entries would now see other ``@string`` values. (Those that
    shape others neither go nor move: see :func:`shapes_others`.)"""
    first = change.first
    where = {change.reused[n - first]: n for n in change.kept}  # old -> new, kept in place
    shaping = [(old, where[old]) for old in range(first, change.old_end) if old in where]
    shaping = [(old, new) for old, new in shaping if shapes(old)]
    if not shaping:
        return False
    olds = [old for old, _ in shaping]
    news = [new for _, new in shaping]
    for number in moved(change):
        was = change.reused[number - first]
        assert was is not None
        if bisect.bisect_left(olds, was) != bisect.bisect_left(news, number):
            return True
    return False


def local_entries(piece: str) -> list[Block] | None:
    """The entry blocks of a new stretch when reading it alone gives what the whole file gives
    of it and changes nothing else (see the rules above); else ``None``."""
    blocks = scan_alone(piece)
    if blocks is None or links_entries(piece):
        return None
    if any(b.problem or b.kind not in ("entry", "comment") for b in blocks):
        return None
    return [b for b in blocks if b.kind == "entry"]


def shapes_others(blocks: Iterable[Block]) -> bool:
    """Whether some of these blocks (of a stretch that goes or moves) shape other entries."""
    return any(b.kind in CONTEXT for b in blocks)


def clash(keys: Counter[str], gone: Iterable[str], added: Iterable[str]) -> bool:
    """Whether an added key is another's too, in any case: ``keys`` counts the last build's
    keys (lower case), ``gone`` are the keys of the entries that went."""
    left = Counter(k.lower() for k in gone)
    new = Counter(k.lower() for k in added)
    return any(count > 1 or keys[key] - left[key] > 0 for key, count in new.items())


def same_vocabulary(
    settings: Settings, vocabulary: dict[str, str], keywords: Iterable[tuple[str, ...]]
) -> bool:
    """Whether the keywords of the new catalogue's entries (in file order) make the categories
    of ``vocabulary`` (keyword -> label) again: always, when the settings choose them."""
    if settings.categories is not None:
        return True
    return vocabulary_of(settings, keywords) == vocabulary
