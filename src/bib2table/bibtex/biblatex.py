"""The biblatex data model, as biber applies it, for what a catalogue shows.

BibTeX semantics (``@string``, ``#``, crossref) are the parse stage's; biblatex adds entry
kinds and fields that biber resolves before a style sees them. bib2table follows biber:

- ``@xdata`` entries are data containers: an entry's ``xdata = {a, b}`` takes every field of
  ``a`` then ``b`` (recursively; biber lets them replace the entry's own), and a field written
  ``xdata=KEY-FIELD`` or ``xdata=KEY-FIELD-N`` takes that field (or its N-th name or item)
  from ``@xdata`` entry KEY. ``@xdata`` entries make no row.
- ``@set`` entries group entries that are rows of their own; the set makes no row.
- ``ids`` gives an entry other keys that ``crossref``, ``xdata``, ``entryset`` and
  ``related`` may use.
- When an entry has both ``date`` and ``year``, the date's year is the year (biber overwrites
  ``year`` from ``date``, and warns when they differ).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol, TypeVar

#: Reports a warning about an entry: (file, line, key, message).
Warn = Callable[[str, int, str, str], None]

#: Entry types that are containers for other entries' data, not papers: they make no row.
CONTAINER_TYPES = frozenset({"xdata", "set"})

#: biblatex's name lists, whose names ``xdata=KEY-FIELD-N`` may pick.
NAME_FIELDS = frozenset(
    {
        "author",
        "editor",
        "editora",
        "editorb",
        "editorc",
        "translator",
        "annotator",
        "commentator",
        "introduction",
        "foreword",
        "afterword",
        "bookauthor",
        "holder",
        "shortauthor",
        "shorteditor",
        "sortname",
        "namea",
        "nameb",
        "namec",
    }
)
#: biblatex's literal lists (and name lists), whose items ``xdata=KEY-FIELD-N`` may pick.
LIST_FIELDS = NAME_FIELDS | frozenset(
    {
        "location",
        "address",
        "publisher",
        "institution",
        "organization",
        "school",
        "language",
        "origlocation",
        "origpublisher",
        "lista",
        "listb",
        "listc",
        "listd",
        "liste",
        "listf",
    }
)

_KEYS = re.compile(r"\s*,\s*")
_MENTIONS_XDATA = re.compile("xdata", re.IGNORECASE)
#: The fields by which one entry lends to, or names, another (BibTeX's crossref, biblatex's
#: xref, xdata, sets, related entries and aliases), and the containers biblatex adds.
_LINK_FIELDS = ("crossref", "xref", "xdata", "entryset", "related", "ids")
_LINK_FIELD = re.compile(r"(?:crossref|xref|xdata|entryset|related|ids)\s*=")
_CONTAINER = re.compile(r"@\s*(?:set|xdata)\s*[{(]")


def links_entries(text: str) -> bool:
    """Whether anything in ``text`` makes one entry depend on another: a linking field
    (``crossref = …``, ``xdata = …``, also inside a value as biblatex's granular xdata) or an
    ``@set``/``@xdata`` entry. Found with plain searches for the names first, so that a large
    file without them costs a pass or two over its text."""
    low = text.lower()
    for word in _LINK_FIELDS:
        at = low.find(word)
        while at >= 0:
            if (at == 0 or not (low[at - 1].isalnum() or low[at - 1] == "_")) and (
                _LINK_FIELD.match(low, at)
            ):
                return True
            at = low.find(word, at + 1)
    return _CONTAINER.search(low) is not None


_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_GRANULAR = re.compile(r"\s*xdata\s*=\s*(\S+?)-([A-Za-z]+)(?:-(\d+))?\s*$")
_FIELDLESS = re.compile(r"\s*xdata\s*=\s*\S+\s*$")
# A biblatex date (ISO 8601-2, as biber reads it): a start (year, month or season, day, time,
# qualifiers ? ~ %) and optionally / and an end; the start may be open (/2004, ../2004).
_DATE = re.compile(
    r"\s*(?:(?P<year>-?\d{4}|\d{3}X|\d{2}XX)"
    r"(?:-(?:0[1-9]|1[0-2]|2[1-9]|3\d|4[01]|XX)"
    r"(?:-(?:0[1-9]|[12]\d|3[01]|XX)"
    r"(?:T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?[?~%]?|\.\.)?"
    r"(?:/[-\dX?~%:T+Z.]*)?\s*"
)


class DataFields(Protocol):
    """What this module needs of an entry's fields (the parse stage's ``Fields``)."""

    def __getitem__(self, name: str) -> str: ...
    def __contains__(self, name: object) -> bool: ...
    def __iter__(self) -> Iterator[str]: ...
    def get(self, name: str, default: str = "") -> str: ...
    def set(self, name: str, value: str) -> None: ...
    def inherit(self, parent: Any, skip: Iterable[str], replace: bool = False) -> list[str]: ...


class DataEntry(Protocol):
    """What this module needs of an entry."""

    @property
    def key(self) -> str: ...
    @property
    def entry_type(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def file(self) -> str: ...
    @property
    def raw(self) -> str: ...
    @property
    def fields(self) -> DataFields: ...


Row = TypeVar("Row", bound=DataEntry)


def key_list(value: str) -> list[str]:
    """The keys of a field holding a comma-separated list of entry keys."""
    return [k for k in _KEYS.split(value.strip().strip("{}")) if k]


def by_key(entries: Iterable[Row]) -> dict[str, Row]:
    """Entries by lower-case key and by their ``ids`` aliases (a key wins over an alias)."""
    found: dict[str, Row] = {}
    aliased: list[tuple[str, Row]] = []
    for entry in entries:
        found.setdefault(entry.key.lower(), entry)
        if "ids" in entry.fields:
            aliased += [(alias.lower(), entry) for alias in key_list(entry.fields["ids"])]
    for alias, entry in aliased:
        found.setdefault(alias, entry)
    return found


def resolve_xdata(entries: Iterable[DataEntry], warn: Warn) -> None:
    """Give every entry the data of the ``@xdata`` entries it names, as biber does."""
    entries = list(entries)
    # (One look at all the entries' text first: most files never mention xdata.)
    mentioned = "xdata" in "\0".join(e.raw for e in entries).lower()
    users = [
        e
        for e in entries
        if e.entry_type == "xdata" or (mentioned and _MENTIONS_XDATA.search(e.raw))
    ]
    if not users:
        return
    keys = by_key(entries)
    containers = {k: e for k, e in keys.items() if e.entry_type == "xdata"}
    _Xdata(containers, keys, warn).resolve_all(users)


class _Xdata:
    """Resolves ``xdata`` references depth first, each entry once, stopping at loops."""

    def __init__(
        self, containers: Mapping[str, DataEntry], keys: Mapping[str, DataEntry], warn: Warn
    ) -> None:
        self.containers = containers
        self.keys = keys
        self.warn = warn
        self.state: dict[int, int] = {}  # id(entry): 1 resolving, 2 done

    def resolve_all(self, entries: Iterable[DataEntry]) -> None:
        for entry in entries:
            self.resolve(entry)

    def resolve(self, entry: DataEntry) -> None:
        """Resolve ``entry`` and, first, the ``@xdata`` entries it uses (without recursion in
        Python, so a long chain cannot exhaust the stack)."""
        stack: list[tuple[DataEntry, list[DataEntry]]] = []
        if self.state.get(id(entry)) is None:
            self.state[id(entry)] = 1
            stack.append((entry, self.sources(entry)))
        while stack:
            current, pending = stack[-1]
            if pending:
                source = pending.pop(0)
                state = self.state.get(id(source))
                if state == 1:
                    self.warn(
                        current.file,
                        current.line,
                        current.key,
                        f"xdata loop through {source.key!r}; that reference is not followed",
                    )
                elif state is None:
                    self.state[id(source)] = 1
                    stack.append((source, self.sources(source)))
                continue
            stack.pop()
            self.take(current)
            self.state[id(current)] = 2

    def sources(self, entry: DataEntry) -> list[DataEntry]:
        """The ``@xdata`` entries ``entry`` uses, whole or field by field."""
        found = [e for k in self.whole(entry) if (e := self.containers.get(k.lower()))]
        for name in list(entry.fields):
            value = entry.fields.get(name)
            if "xdata" in value.lower():
                for item in _items(name, value):
                    match = _GRANULAR.match(item)
                    if match and (e := self.containers.get(match[1].lower())):
                        found.append(e)
        return found

    def whole(self, entry: DataEntry) -> list[str]:
        return key_list(entry.fields.get("xdata")) if "xdata" in entry.fields else []

    def take(self, entry: DataEntry) -> None:
        """Copy into ``entry`` what its (already resolved) ``@xdata`` entries hold."""
        for key in self.whole(entry):
            source = self.containers.get(key.lower())
            if source is None:
                known = self.keys.get(key.lower())
                why = "is not an @xdata entry" if known is not None else "is not found"
                self.warn(entry.file, entry.line, entry.key, f"xdata entry {key!r} {why}")
                continue
            if self.state.get(id(source)) != 2:
                continue  # a loop, reported where it was found
            for name in entry.fields.inherit(source.fields, ("ids", "xdata"), replace=True):
                self.warn(
                    entry.file,
                    entry.line,
                    entry.key,
                    f"field {name!r} is replaced by the one of @xdata {source.key!r}, "
                    "as biber does",
                )
        for name in list(entry.fields):
            value = entry.fields.get(name)
            items = _items(name, value) if "xdata" in value.lower() else []
            if any(_GRANULAR.match(i) or _FIELDLESS.match(i) for i in items):
                entry.fields.set(name, self.granular(entry, name, value))

    def granular(self, entry: DataEntry, name: str, value: str) -> str:
        """The field with its ``xdata=KEY-FIELD[-N]`` references replaced by what they name;
        a reference that cannot be followed stays as written, with a warning."""
        items = _items(name, value)
        result: list[str] = []
        for item in items:
            match = _GRANULAR.match(item)
            if match is None:
                if _FIELDLESS.match(item):
                    message = f"{item.strip()!r} in field {name!r} names no field; it is kept"
                    self.warn(entry.file, entry.line, entry.key, message)
                result.append(item)
                continue
            picked = self.pick(entry, name, match)
            result.extend(picked if picked is not None else [item])
        return " and ".join(result) if name in LIST_FIELDS else "".join(result)

    def pick(self, entry: DataEntry, name: str, match: re.Match[str]) -> list[str] | None:
        key, field, position = match[1], match[2].lower(), match[3]
        source = self.containers.get(key.lower())
        problem = ""
        if source is None:
            problem = f"xdata entry {key!r} is not found"
        elif self.state.get(id(source)) != 2:
            problem = f"xdata loop through {key!r}"
        elif field not in source.fields:
            problem = f"@xdata {key!r} has no field {field!r}"
        elif _kind(name) != _kind(field):
            problem = f"field {name!r} and field {field!r} of @xdata {key!r} are not the same type"
        if source is None or problem:
            self.warn(entry.file, entry.line, entry.key, f"{problem}; {match[0].strip()!r} is kept")
            return None
        items = _items(field, source.fields[field])
        if position is None:
            return items
        index = int(position)
        if not 1 <= index <= len(items):
            message = f"@xdata {key!r} has no item {index} in {field!r}"
            self.warn(entry.file, entry.line, entry.key, f"{message}; {match[0].strip()!r} is kept")
            return None
        return [items[index - 1]]


def _kind(name: str) -> str:
    """What a field holds: a name list, a literal list or one value."""
    return "names" if name in NAME_FIELDS else "list" if name in LIST_FIELDS else "value"


def _items(name: str, value: str) -> list[str]:
    """A list field's items (split at ``and`` outside braces); any other field is one item."""
    if name not in LIST_FIELDS:
        return [value]
    items, depth, start = [], 0, 0
    for match in re.finditer(r"[{}]|\s+and\s+", value, re.IGNORECASE):
        text = match.group()
        if text == "{":
            depth += 1
        elif text == "}":
            depth -= 1
        elif depth == 0:
            items.append(value[start : match.start()].strip())
            start = match.end()
    items.append(value[start:].strip())
    return [i for i in items if i]


def settle(entries: list[Row], warn: Warn) -> list[Row]:
    """After inheritance: the year from ``date``, references checked; the entries that are
    rows (``@xdata`` and ``@set`` containers left out)."""
    keys: dict[str, Row] | None = None
    rows = []
    for entry in entries:
        fields = entry.fields
        if "date" in fields and "year" in fields:
            _year_from_date(entry, warn)
        for name in ("entryset", "related"):
            if name in fields:
                keys = keys if keys is not None else by_key(entries)
                for key in key_list(fields[name]):
                    if key.lower() not in keys:
                        warn(entry.file, entry.line, entry.key, f"{name} entry {key!r} not found")
        if entry.entry_type not in CONTAINER_TYPES:
            rows.append(entry)
    return rows


def date_year(date: str) -> str:
    """The year of a biblatex ``date`` (``2007``, ``2007-03-01``, ``1998/2003``, ``199X``,
    ``-0044-03-15``), or ``""`` when it has none or is not a date biber reads."""
    match = _DATE.fullmatch(date)
    if match is None or match["year"] is None:
        return ""
    year = match["year"].replace("X", "0")
    return str(int(year)) if year.startswith("-") else year


def _year_from_date(entry: DataEntry, warn: Warn) -> None:
    """biber's rule: ``date`` overrides ``year``; say so when they differ."""
    year = date_year(entry.fields["date"])
    if not year:
        return
    written = entry.fields["year"].strip().strip("{}").strip()
    if written != year:
        warn(
            entry.file,
            entry.line,
            entry.key,
            f"year {written!r} and date {entry.fields['date'].strip()!r} disagree; the date's "
            "year is used, as biber does",
        )
        entry.fields.set("year", year)
