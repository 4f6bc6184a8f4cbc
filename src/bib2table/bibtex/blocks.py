"""Cut a ``.bib`` file into blocks the way BibTeX reads it, so that no block is lost silently.

BibTeX skips all text outside ``@type{…}`` / ``@type(…)`` blocks. bibtexparser's splitter, given
a whole file, drops some valid blocks without a trace (``@type`` and its delimiter on different
lines, for one); cut first, each block is read on its own and a block nobody can read is
reported with its line. :func:`read_entry` is the fallback reader for entries that BibTeX
accepts but the splitter does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from bib2table.problems import Severity

_START = re.compile(r"@[ \t\r\n]*([A-Za-z][^\s{}(),=\"#%@']*)[ \t\r\n]*([{(])?")
_PAREN_MARKS = re.compile(r"[{}()\"]")
_NEXT_LINE_AT = re.compile(r"\n[ \t]*@")
# A line inside an entry that looks like the head of another entry: "@type{key,".
_INNER_ENTRY = re.compile(r"\n[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(][ \t]*[^\s,{}()=\"]+[ \t]*,")
# A line that starts another block of any kind: "@string{", "@comment{", "@misc(".
_INNER_BLOCK = re.compile(r"\n[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(]")
_KEY_GUESS = re.compile(r"\s*([^,\s{}()=\"]*)")
_SPECIAL = {"comment": "comment", "string": "string", "preamble": "preamble"}


@dataclass(frozen=True)
class Block:
    """One ``@…`` block: its kind, its text from ``@`` to the closing delimiter, where it starts."""

    kind: str
    type: str
    text: str
    line: int
    key: str = ""
    problem: str = ""
    severity: Severity = Severity.ERROR
    #: the block reaches the end of the text scanned without closing
    unclosed: bool = False
    #: where ``text`` starts in the text scanned
    start: int = 0


class FallbackError(ValueError):
    """An entry that even BibTeX's own grammar cannot read; the message says why."""


def scan(text: str) -> Iterator[Block]:
    """Yield the file's blocks in order; unterminated ones carry a problem instead of text."""
    pos = 0
    line = 1
    counted = 0
    long_comment = True  # one @comment may be read past other blocks' heads (see below)
    while True:
        match = _START.search(text, pos)
        if match is None:
            return
        start = match.start()
        line += text.count("\n", counted, start)
        counted = start
        name = match.group(1)
        kind = _SPECIAL.get(name.lower(), "entry")
        if match.group(2) is None:
            pos = match.end()
            if _at_line_start(text, start) and kind != "comment":
                yield Block(
                    kind,
                    name,
                    "",
                    line,
                    problem=f"@{name} is not followed by {{ or (; the text after it is skipped",
                    severity=Severity.WARNING if kind != "entry" else Severity.ERROR,
                )
            continue
        opener = match.end() - 1
        # A block ends before the next line that starts another one (else a } is missing):
        # looking no further keeps the scan linear when many blocks are not closed.
        inner = (_INNER_ENTRY if kind == "entry" else _INNER_BLOCK).search(text, opener)
        end = _block_end(text, opener, inner.start() if inner is not None else len(text))
        if end < 0 and kind == "comment" and inner is not None and long_comment:
            # @comment{…} may hold commented-out entries: it ends where its braces balance,
            # as biber reads it. Once one never does, later ones stop at the next block.
            end = _block_end(text, opener, len(text))
            long_comment = end >= 0
        key = _guess_key(text, opener + 1) if kind == "entry" else ""
        if end < 0 and inner is not None and kind == "entry":
            inner_line = line + text.count("\n", start, inner.start() + 1)
            pos = inner.start() + 1
            yield _lost(
                kind,
                name,
                line,
                key,
                f"entry runs on into the next one at line {inner_line} (a }} is missing?)",
            )
            continue
        if end < 0:
            resume = _NEXT_LINE_AT.search(text, opener)
            pos = resume.start() + 1 if resume else len(text)
            closer = "}" if text[opener] == "{" else ")"
            why = f"@{name} block is not closed (a {closer} is missing or braces do not balance)"
            yield _lost(kind, name, line, key, why, unclosed=True)
            continue
        pos = end + 1
        yield Block(kind, name, text[start : end + 1], line, key, start=start)


def _lost(kind: str, name: str, line: int, key: str, why: str, unclosed: bool = False) -> Block:
    """A block that cannot be read: no text, only the reason it is left out."""
    return Block(kind, name, "", line, key, problem=f"{why}; it is left out", unclosed=unclosed)


def stretches(text: str) -> list[str]:
    """The text cut before every ``@`` that starts a line: pieces that, joined, give it back.

    Scanned alone, a stretch gives the same blocks as it does within the whole text, unless a
    block in it is not closed by its end (see :func:`scan_alone`): a block always starts at an
    ``@`` and is matched within itself.
    """
    parts = text.split("\n@")  # at C speed: a large file has a hundred thousand of them
    if len(parts) == 1:
        return parts
    last = len(parts) - 1
    return [("@" if n else "") + part + ("\n" if n < last else "") for n, part in enumerate(parts)]


def scan_alone(text: str) -> list[Block] | None:
    """The blocks :func:`scan` finds in ``text``, or ``None`` when one of them is not closed
    within it (then only the whole file says where it ends)."""
    blocks = list(scan(text))
    return None if any(b.unclosed for b in blocks) else blocks


def _at_line_start(text: str, index: int) -> bool:
    line_start = text.rfind("\n", 0, index) + 1
    return not text[line_start:index].strip()


def _guess_key(text: str, index: int) -> str:
    match = _KEY_GUESS.match(text, index)
    return match.group(1) if match else ""


def matching_brace(text: str, opener: int, end: int | None = None) -> int:
    """Index of the ``}`` closing the ``{`` at ``opener`` (before ``end``), or -1 if none.

    BibTeX counts every brace, escaped or not. This jumps from one closing brace to the next
    and counts the opening ones between with ``str.count``: a few C-level scans per value
    rather than a Python step per character.
    """
    limit = len(text) if end is None else end
    depth, pos = 1, opener + 1
    while True:
        close = text.find("}", pos, limit)
        if close < 0:
            return -1
        depth += text.count("{", pos, close) - 1
        if depth == 0:
            return close
        pos = close + 1


def closing_quote(text: str, opener: int, end: int | None = None) -> int:
    """Index of the ``"`` closing the quoted value opened at ``opener``, or -1 if none.

    Inside a quoted value a ``"`` only closes it outside braces: ``"a {"b"} c"`` is one value.
    """
    limit = len(text) if end is None else end
    pos = opener + 1
    while True:
        quote = text.find('"', pos, limit)
        if quote < 0:
            return -1
        if text.count("{", opener + 1, quote) == text.count("}", opener + 1, quote):
            return quote
        pos = quote + 1


def _block_end(text: str, opener: int, limit: int) -> int:
    """Index of the delimiter closing the block opened at ``opener`` before ``limit``, or -1."""
    if text[opener] == "{":
        return matching_brace(text, opener, limit)
    depth = 0
    quoted = False
    for mark in _PAREN_MARKS.finditer(text, opener + 1, limit):
        ch = mark.group()
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 and ch == '"':
            quoted = not quoted
        elif depth == 0 and not quoted and ch == ")":
            return mark.start()
    return -1


_ENTRY_HEAD = re.compile(r"@\s*([^\s{(]+)\s*[{(]\s*")
_NAME = re.compile(r"[^\s=,{}\"#()]+")
_BARE = re.compile(r"[^\s,#{}\"()]+")
_KEY = re.compile(r"[^,\s]*")


def read_entry(text: str) -> tuple[str, str, list[tuple[str, str, int]]]:
    """Read an entry by BibTeX's grammar: ``(type, key, [(field, raw value, line offset)])``."""
    head = _ENTRY_HEAD.match(text)
    if head is None:
        raise FallbackError("cannot read the entry's type")
    end = len(text) - 1  # the closing delimiter
    pos = head.end()
    key_match = _KEY.match(text, pos, end)
    key = key_match.group() if key_match else ""
    pos = _skip(text, key_match.end() if key_match else pos, end, " \t\r\n")
    if not key or (pos < end and text[pos] == "=") or (key.endswith("=") and pos < end):
        raise FallbackError("the entry has no key")
    if pos < end and text[pos] != ",":
        raise FallbackError(f"expected a comma after the key {key!r}")
    fields: list[tuple[str, str, int]] = []
    while True:
        pos = _skip(text, pos, end, " \t\r\n,")
        if pos >= end:
            return head.group(1), key, fields
        name = _NAME.match(text, pos, end)
        if name is None:
            raise FallbackError(f"unexpected {text[pos]!r} where a field name should be")
        offset = text.count("\n", 0, pos)
        pos = _skip(text, name.end(), end, " \t\r\n")
        if pos >= end or text[pos] != "=":
            raise FallbackError(f"expected = after field name {name.group()!r}")
        value_start = pos = _skip(text, pos + 1, end, " \t\r\n")
        value_end = pos = _read_value(text, pos, end, name.group())
        fields.append((name.group(), text[value_start:value_end].strip(), offset))


def _skip(text: str, pos: int, end: int, chars: str) -> int:
    while pos < end and text[pos] in chars:
        pos += 1
    return pos


def _read_value(text: str, pos: int, end: int, name: str) -> int:
    """Read ``piece # piece …`` from ``pos``; return where the value ends."""
    while True:
        if pos >= end:
            raise FallbackError(f"field {name!r} has no value")
        ch = text[pos]
        if ch == "{":
            pos = _close(text, pos, end, name) + 1
        elif ch == '"':
            pos = _close_quote(text, pos, end, name) + 1
        else:
            bare = _BARE.match(text, pos, end)
            if bare is None:
                raise FallbackError(f"field {name!r} has an unreadable value")
            pos = bare.end()
        after = _skip(text, pos, end, " \t\r\n")
        if after < end and text[after] == "#":
            pos = _skip(text, after + 1, end, " \t\r\n")
            continue
        return pos


def _close(text: str, pos: int, end: int, name: str) -> int:
    close = matching_brace(text, pos, end)
    if close < 0:
        raise FallbackError(f"the braces in field {name!r} do not balance")
    return close


def _close_quote(text: str, pos: int, end: int, name: str) -> int:
    close = closing_quote(text, pos, end)
    if close < 0:
        raise FallbackError(f"the quoted value of field {name!r} is not closed")
    return close
