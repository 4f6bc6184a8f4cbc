"""An entry as its ``.bib`` wrote it, minus the fields a reader should not get.

Readers copy an entry's BibTeX into their own ``.bib``, so it is given as written (the author's
layout, ``@string`` macros and all) without the hidden fields: attached files, reference
managers' bookkeeping, and whatever the caller adds (abstracts, the category keywords). The
``@string`` macros each entry uses are named, so that a page can add their definitions once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, compress, repeat
from typing import Protocol

from bib2table.bibtex.blocks import closing_quote, matching_brace
from bib2table.bibtex.parse import split_concatenation
from bib2table.bibtex.private import PRIVATE, Private
from bib2table.bibtex.simple import BODY, FIELD_LAYOUT, Layout

#: Fields that are never shown: the one list of :mod:`bib2table.bibtex.private`.
PRIVATE_FIELDS = PRIVATE
#: BibTeX's predefined month macros; every style knows them, so they need no ``@string``.
MONTH_MACROS = frozenset(
    {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
)

_HEAD = re.compile(r"\s*@\s*[A-Za-z][^\s{}(),=\"#%@']*\s*([{(])")
_NAME = re.compile(r"([^\s=,{}()\"#%]+)\s*=\s*")
_BARE = re.compile(r"[^\s#,{}()\"%]+")


@dataclass(frozen=True)
class Cited:
    """An entry's BibTeX as shown, and the ``@string`` macros (lower case) it needs."""

    text: str
    macros: tuple[str, ...]


@dataclass(frozen=True)
class _Field:
    """One field of a raw entry: its name, its text as written, and where its line starts."""

    name: str
    text: str
    indent: str
    macros: tuple[str, ...]


class Citable(Protocol):
    """What :func:`bibtex` needs of an entry (the parse stage's and the model's both have it)."""

    @property
    def key(self) -> str: ...
    @property
    def entry_type(self) -> str: ...
    @property
    def raw(self) -> str: ...
    @property
    def fields(self) -> Mapping[str, str]: ...


def hidden_fields(
    categories_configured: bool,
    keyword_fields: Iterable[str],
    abstract: bool = False,
    private: Private = PRIVATE,
) -> Private:
    """The fields left out of the page's BibTeX: the ``private`` ones, the abstract unless
    asked for, and the category keywords when the settings chose the categories."""
    hidden = private if abstract else private.adding(["abstract"])
    if categories_configured:
        hidden = hidden.adding(keyword_fields)
    return hidden


def bibtex(entry: Citable, hidden: Container[str] = PRIVATE_FIELDS) -> Cited:
    """The entry as written in the ``.bib``, without the ``hidden`` fields (lower-case names).

    A field given twice keeps its first value, as BibTeX does. When the raw text cannot be
    read field by field, the entry is written out afresh from its values instead.
    """
    raw = entry.raw
    laid_out = _as_read(entry, hidden)
    if laid_out is not None:
        return laid_out
    written = getattr(entry, "written", ())
    if raw and written:
        simple = _simple(raw, written, hidden)
        if simple is not None:
            return simple
    parsed = _split(raw, written) if raw else None
    if parsed is None:
        return _rewritten(entry, hidden)
    head, fields, trailing_comma, closer = parsed
    if not fields and not head.endswith(","):
        return Cited(head + closer, ())  # only a key: @index{mineral}
    seen: set[str] = set()
    kept = []
    for item in fields:
        name = item.name.lower()
        if name not in seen and name not in hidden:
            kept.append(item)
        seen.add(name)
    lines = [head]
    for number, item in enumerate(kept, 1):
        comma = "," if number < len(kept) or trailing_comma else ""
        lines.append(f"{item.indent}{item.text}{comma}")
    macros = dict.fromkeys(m for item in kept for m in item.macros)
    return Cited("\n".join(lines) + "\n" + closer, tuple(macros))


def _as_read(entry: Citable, hidden: Container[str]) -> Cited | None:
    """:func:`bibtex` by the layout the parse stage found, if it found one."""
    layout = getattr(entry, "layout", None)
    if layout is None or not entry.raw:
        return None
    names, values = entry.fields.body()  # type: ignore[attr-defined]
    return _laid_out(entry.raw, names, values, layout, hidden)


def _simple(raw: str, written: Sequence[tuple[str, str]], hidden: Container[str]) -> Cited | None:
    """What :func:`bibtex` gives through :func:`_split`, for an entry whose fields are in the
    simple form of :mod:`~bib2table.bibtex.simple` and are ``written`` (each field then reads
    as the parse stage read it): found by two regular expressions instead of field by field.
    ``None`` for any other entry."""
    head = _HEAD.match(raw)
    if head is None or head.group(1) != "{":
        return None
    comma = raw.find(",", head.end())
    end = raw.find("}", head.end())
    if comma < 0 or 0 <= end < comma:
        return None
    body = BODY.match(raw, comma + 1)
    if body is None:
        return None
    parts = FIELD_LAYOUT.findall(raw, comma + 1, body.end())
    if [(name, value) for _, name, _, value in parts] != list(written):
        return None
    names = [name for _, name, _, _ in parts]
    values = [value for _, _, _, value in parts]
    layout = ([gap for gap, _, _, _ in parts], [b for _, _, b, _ in parts], body.group(1) is None)
    return _laid_out(raw, names, values, layout, hidden)


def _laid_out(
    raw: str, names: list[str], values: list[str], layout: Layout, hidden: Container[str]
) -> Cited | None:
    """What :func:`bibtex` gives through :func:`_split`, for an entry in the simple form whose
    fields, as the parse stage read them, are laid out as ``layout`` says; ``None`` when its
    head does not read as :func:`_split` reads one."""
    head = _HEAD.match(raw)
    if head is None or head.group(1) != "{":
        return None
    comma = raw.find(",", head.end())
    gaps, between, trailing_comma = layout
    folded = list(map(str.lower, names))
    if len(set(folded)) < len(folded):  # a field given twice: the first is kept
        seen: set[str] = set()
        shown = []
        for name in folded:
            shown.append(name not in seen and name not in hidden)
            seen.add(name)
    else:
        shown = list(map(_shown(hidden).__getitem__, folded))
    starts = map(_LINE_STARTS.__getitem__, gaps)
    fields = zip(starts, names, between, values, repeat(","))
    kept = list(compress(fields, shown) if False in shown else fields)
    if not kept:
        return Cited(raw[: comma + 1] + "\n}", ())
    text = "".join(chain.from_iterable(kept))
    if not trailing_comma:  # no comma after the last field
        text = text[:-1]
    macros = dict.fromkeys(
        macro
        for _, _, _, value, _ in kept
        if value[0] not in '{"' or "#" in value
        for macro in _macros(value)
    )
    return Cited(raw[: comma + 1] + text + "\n}", tuple(macros))


class _LineStarts(dict[str, str]):
    """What starts the line of a field that the white space ``gap`` comes before, as the page
    writes it: a line break and the field's indentation (two spaces when it is on the line
    of the field before); the same few recur."""

    def __missing__(self, gap: str) -> str:
        cut = gap.rfind("\n")
        start = "\n" + (gap[cut + 1 :] if cut >= 0 else "  ")
        if len(self) < 10_000:
            self[gap] = start
        return start


_LINE_STARTS = _LineStarts()


class _Shown(dict[str, bool]):
    """Whether a field (lower-case name) is shown, by name, remembered."""

    def __init__(self, hidden: Container[str]) -> None:
        super().__init__()
        self.hidden = hidden

    def __missing__(self, name: str) -> bool:
        shown = name not in self.hidden
        if len(self) < 10_000:
            self[name] = shown
        return shown


_SHOWN: dict[int, _Shown] = {}


def _shown(hidden: Container[str]) -> _Shown:
    """The names ``hidden`` hides or not, remembered for the same ``hidden``."""
    found = _SHOWN.get(id(hidden))
    if found is None or found.hidden is not hidden:
        if len(_SHOWN) > 16:
            _SHOWN.clear()
        found = _SHOWN[id(hidden)] = _Shown(hidden)
    return found


def _rewritten(entry: Citable, hidden: Container[str]) -> Cited:
    """The entry written out from its values, for when its raw text is missing or unreadable."""
    lines = [f"@{entry.entry_type}{{{entry.key},"]
    names = [n for n in entry.fields if n.lower() not in hidden]
    for number, name in enumerate(names, 1):
        comma = "," if number < len(names) else ""
        lines.append(f"  {name} = {{{entry.fields[name]}}}{comma}")
    return Cited("\n".join(lines) + "\n}", ())


_GAP = re.compile(r"[\s,]*")
_SPACE = re.compile(r"\s*")


def _split(
    raw: str, written: Sequence[tuple[str, str]] = ()
) -> tuple[str, list[_Field], bool, str] | None:
    """Cut a raw entry into its head (``@type{key,``), fields as written, whether the last
    field has a comma, and the closing delimiter; None if it does not read as an entry.

    ``written``, the fields as the parse stage found them (name, value as written), lets each
    value be taken whole instead of read again piece by piece.
    """
    known = iter(written)
    head = _HEAD.match(raw)
    if head is None:
        return None
    closer = "}" if head.group(1) == "{" else ")"
    comma = raw.find(",", head.end())
    end = raw.find(closer, head.end())
    if comma < 0 or 0 <= end < comma:
        return (raw[:end].rstrip(), [], False, closer) if end >= 0 else None
    fields: list[_Field] = []
    pos, trailing_comma, n = comma + 1, True, len(raw)
    while True:
        start = pos
        pos = _GAP.match(raw, pos).end()  # type: ignore[union-attr]
        if pos < n and raw[pos] == "%":  # a comment line inside the entry: dropped
            end = raw.find("\n", pos)
            pos = n if end < 0 else end
            continue
        if pos >= n or raw[pos] == closer:
            return raw[: comma + 1], fields, trailing_comma, closer
        name = _NAME.match(raw, pos)
        if name is None:
            return None
        gap = raw[start:pos]
        indent = gap[gap.rfind("\n") + 1 :] if "\n" in gap else "  "
        expected = next(known, None)
        if (
            expected is not None
            and expected[0] == name.group(1)
            and raw.startswith(expected[1], name.end())
        ):
            end, macros = name.end() + len(expected[1]), _macros(expected[1])
        else:
            known = iter(())  # out of step: read the rest piece by piece
            end, macros = _value_end(raw, name.end(), closer)
        if end < 0:
            return None
        fields.append(_Field(name.group(1), raw[pos:end], indent, macros))
        pos = end
        while pos < n and raw[pos].isspace():
            pos += 1
        trailing_comma = pos < n and raw[pos] == ","


@functools.lru_cache(maxsize=4096)
def _macros(value: str) -> tuple[str, ...]:
    """The ``@string`` macros (lower case) a value as written names (remembered: the same
    few values, such as a journal's or a month's macro, recur in entry after entry)."""
    if value[:1] in ("{", '"') and "#" not in value:
        return ()
    found = []
    for piece in split_concatenation(value):
        word = piece.lower()
        if piece[:1] not in ("{", '"') and not word.isdigit() and word not in MONTH_MACROS:
            found.append(word)
    return tuple(found)


def _value_end(raw: str, pos: int, closer: str) -> tuple[int, tuple[str, ...]]:
    """Where a field's value (pieces joined by ``#``) ends, and the macros it names."""
    macros: list[str] = []
    n = len(raw)
    while True:
        while pos < n and raw[pos].isspace():
            pos += 1
        if pos >= n:
            return -1, ()
        if raw[pos] == "{":
            pos = _after_braces(raw, pos)
        elif raw[pos] == '"':
            pos = _after_quote(raw, pos)
        else:
            bare = _BARE.match(raw, pos)
            if bare is None:
                return -1, ()
            word = bare.group().lower()
            if not word.isdigit() and word not in MONTH_MACROS:
                macros.append(word)
            pos = bare.end()
        if pos < 0:
            return -1, ()
        end = pos
        pos = _SPACE.match(raw, pos).end()  # type: ignore[union-attr]
        if pos < n and raw[pos] == "#":
            pos += 1
            continue
        if pos >= n or raw[pos] not in (",", closer):
            return -1, ()
        return end, tuple(macros)


def _after_braces(raw: str, pos: int) -> int:
    """The index after the brace matching the one at ``pos``, or -1."""
    close = matching_brace(raw, pos)
    return close + 1 if close >= 0 else -1


def _after_quote(raw: str, pos: int) -> int:
    """The index after the ``"`` closing a quoted value (outside braces), or -1."""
    close = closing_quote(raw, pos)
    return close + 1 if close >= 0 else -1
