"""The ``@string`` table as BibTeX keeps it: each entry sees the values defined before it.

BibTeX reads a bibliography once, in order (several files one after the other). A ``@string``
defined after an entry is undefined for that entry; one defined twice has its first value
before the second definition and its second value after it. Values are evaluated lazily in
bib2table, so each entry keeps a :class:`StringView`: the table as it stood when the entry was
read, whatever is defined later.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Mapping

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


class StringTable:
    """Every ``@string`` definition in reading order, lower-case names, the month macros first.

    ``keep_undefined``: an undefined macro stands for its own name instead of for nothing.
    """

    def __init__(self, keep_undefined: bool = False) -> None:
        self.keep_undefined = keep_undefined
        #: name -> [(number of the definition, value), …] in reading order
        self._values: dict[str, list[tuple[int, str]]] = {k: [(0, v)] for k, v in MONTHS.items()}
        self._places: dict[str, list[tuple[int, str, int]]] = {}
        self.count = 0
        #: (name as written, value) of every definition, in order: what shapes every value
        self.history: list[tuple[str, str]] = []

    def define(self, name: str, value: str, file: str = "", line: int = 0) -> None:
        """A ``@string`` definition, read now: it holds for everything read after it."""
        self.count += 1
        folded = name.lower()
        self._values.setdefault(folded, []).append((self.count, value))
        self._places.setdefault(folded, []).append((self.count, file, line))
        self.history.append((name, value))

    def view(self) -> StringView:
        """The table as it stands now, for an entry read now."""
        return StringView(self, self.count)

    def value(self, folded: str, seen: int) -> str | None:
        """The value of ``folded`` after the first ``seen`` definitions, or None."""
        values = self._values.get(folded)
        if values is None:
            return None
        if values[-1][0] <= seen:  # the common case: defined once, before
            return values[-1][1]
        index = bisect_right(values, seen, key=lambda item: item[0])
        return values[index - 1][1] if index else None

    def defined_later(self, folded: str, seen: int) -> tuple[str, int] | None:
        """Where ``folded`` is first defined after the first ``seen`` definitions: (file, line)."""
        for number, file, line in self._places.get(folded, ()):
            if number > seen:
                return file, line
        return None

    def final(self) -> dict[str, str]:
        """Each macro's last value, by its name as first written (month macros left out)."""
        names: dict[str, str] = {}
        for name, _ in self.history:
            names.setdefault(name.lower(), name)
        return {names[k]: v[-1][1] for k, v in self._values.items() if k in names}


class StringView(Mapping[str, str]):
    """The ``@string`` table as one entry sees it: the definitions read before it."""

    __slots__ = ("seen", "table")

    def __init__(self, table: StringTable, seen: int) -> None:
        self.table = table
        self.seen = seen

    @property
    def keep_undefined(self) -> bool:
        return self.table.keep_undefined

    # Names are looked up in lower case, as BibTeX ignores the case of macro names: callers
    # fold them first (as they would for a dict of folded names).

    def __getitem__(self, name: str) -> str:
        value = self.table.value(name, self.seen)
        if value is None:
            raise KeyError(name)
        return value

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        value = self.table.value(name, self.seen)
        return default if value is None else value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.table.value(name, self.seen) is not None

    def __iter__(self) -> Iterator[str]:
        return (k for k in list(self.table._values) if k in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def defined_later(self, name: str) -> tuple[str, int] | None:
        """Where ``name``, undefined here, is defined later: (file, line), or None."""
        return self.table.defined_later(name.lower(), self.seen)

    def __repr__(self) -> str:
        return f"StringView(after {self.seen} definitions)"
