"""Blocks in their common, simple form, read at C speed exactly as bibtexparser's splitter reads
them.

bibtexparser is the reader of record (see :mod:`bib2table.bibtex.parse`), but its splitter
walks a block one mark (brace, quote, comma, equals sign, line end) at a time in Python, which
is most of the time a cold run takes. Nearly every block of a real file has a simple form: an
``@type{key,`` head, then ``name = value`` fields whose values are one braced piece (nested a
few levels), one quoted piece or one bare word, and no ``@`` that could start another block.
This module reads that form with a few regular expressions, following the splitter's own rules
(a brace or quote after a backslash is no mark, braces inside quotes do not count, a quote
inside braces neither) and gives up — ``None`` — on anything else, which the splitter then
reads as before. What it gives is what the splitter gives, or nothing: tests compare the two on
generated blocks and on every block of Debian's texlive-bibtex-extra.

It is used only with the bibtexparser it was checked against (:func:`matches_splitter`): with
another release the splitter reads every block, as it did before.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
from importlib.util import find_spec
from pathlib import Path

#: bibtexparser's splitter, model and library as checked against this module (a digest of
#: their source): another version, or a local change, turns this module off.
CHECKED = frozenset({"ee98dfbd2fd87b367063b9892b88b430"})

#: A block start the splitter would see after the head: then only the splitter says what the
#: block is.
_BLOCK_START = re.compile(r"@\w*[ \t]*[{(]")
#: ``@type{key,`` as the splitter reads it: no mark (and no backslash) in the key.
_ENTRY_HEAD = re.compile(r"@\w*[ \t]*\{([^{}\",=\\]*),")
#: ``@type{key}``: an entry without fields.
_ENTRY_ALONE = re.compile(r"@\w*[ \t]*\{([^{}\",=\\]*)\}")
#: ``@string{name =``, likewise.
_STRING_HEAD = re.compile(r"@\w*[ \t]*\{([^{}\",=\\]*)=")
_OPEN_HEAD = re.compile(r"@\w*[ \t]*\{")


def _braced(depth: int) -> str:
    """A braced piece nested up to ``depth`` levels; a brace after a backslash is no mark."""
    piece = r"(?<!\\)\{(?:[^{}]++|(?<=\\)[{}])*+(?<!\\)\}"
    for _ in range(depth - 1):
        piece = r"(?<!\\)\{(?:[^{}]++|(?<=\\)[{}]|" + piece + r")*+(?<!\\)\}"
    return piece


#: A field name: no mark, no backslash, nothing the excerpt's reader stops at (``(`` ``)``
#: ``#`` ``%``) and no white space.
NAME = r"[^\s{}\",=\\()#%]++"
#: One piece of a value: braced; quoted, its closing quote after neither a backslash nor a
#: ``{`` (the splitter's ``{"}`` rule); or a bare run of what is no mark (``#`` included).
_PIECE = "(?:" + _braced(6) + r'|"(?:[^"]++|(?<=\\)")*+(?<![\\{])"' + r'|[^\s{}",\\]++)'
#: A value: pieces with nothing but white space between them (``jun # "~1"`` is three).
VALUE = _PIECE + r"(?:\s*+" + _PIECE + ")*+"
_FIELD = r"\s*+" + NAME + r"\s*+=\s*+" + VALUE + r"\s*+"
#: An entry's fields after the key's comma, to the closing brace; group 1 is the last field
#: when it has no comma after it.
BODY = re.compile("(?:" + _FIELD + ",)*+(" + _FIELD + r")?\s*+\}")
#: One field of a body :data:`BODY` matched: the white space before it, its name, what is
#: between its name and its value, and its value as written.
FIELD_LAYOUT = re.compile(r"(\s*+)(" + NAME + r")(\s*+=\s*+)(" + VALUE + r")\s*+")

#: Entry types the splitter reads as other kinds of block (it looks at the start only).
_SPECIAL = ("@comment", "@preamble", "@string")


@functools.cache
def matches_splitter() -> bool:
    """Whether the installed bibtexparser is one this module was checked against."""
    spec = find_spec("bibtexparser")
    if spec is None or not spec.submodule_search_locations:
        return False
    root = Path(next(iter(spec.submodule_search_locations)))
    hasher = hashlib.blake2b(digest_size=16)
    try:
        for name in ("splitter.py", "model.py", "library.py"):
            hasher.update((root / name).read_bytes())
    except OSError:
        return False
    return hasher.hexdigest() in CHECKED


def _no_other_block(text: str) -> bool:
    return text.find("@", 1) < 0 or _BLOCK_START.search(text, 1) is None


#: How an entry in the simple form is laid out: the white space before each field, what is
#: between each field's name and its value, and whether a comma follows the last field.
Layout = tuple[list[str], list[str], bool]


def read_entry(
    text: str,
) -> tuple[str, str, list[str], list[str], list[str], Layout | None] | None:
    """An entry block as the splitter reads it: ``(type, key, names, values, the names given
    twice, its layout)``, names and values as written (stripped); ``None`` when it is not in
    the simple form. The layout is what the entry's BibTeX on the page is cut up by (see
    :mod:`~bib2table.bibtex.excerpt`): ``None`` for an entry without fields."""
    head = _ENTRY_HEAD.match(text)
    alone = _ENTRY_ALONE.match(text) if head is None else None
    if (head is None and alone is None) or not _no_other_block(text):
        return None
    mark = text[: text.index("{")].lower()
    if mark.startswith(_SPECIAL):
        return None
    if alone is not None:
        return mark[1:].strip(), alone.group(1).strip(), [], [], [], None
    assert head is not None
    body = BODY.match(text, head.end())
    if body is None:
        return None
    fields = FIELD_LAYOUT.findall(text, head.end(), body.end())
    names: list[str] = [name for _, name, _, _ in fields]
    values: list[str] = [value for _, _, _, value in fields]
    # (The same few spacings recur: kept once.)
    gaps = list(map(sys.intern, [gap for gap, _, _, _ in fields]))
    between = list(map(sys.intern, [equals for _, _, equals, _ in fields]))
    twice: set[str] = set()
    if len(set(names)) < len(names):
        seen: set[str] = set()
        for name in names:
            if name in seen:
                twice.add(name)
            seen.add(name)
    layout = (gaps, between, body.group(1) is None)
    return mark[1:].strip(), head.group(1).strip(), names, values, sorted(twice), layout


def read_string(text: str) -> tuple[str, str] | None:
    """A ``@string`` block as the splitter reads it: ``(name, value as written)``, or ``None``."""
    head = _STRING_HEAD.match(text)
    if head is None or not _no_other_block(text):
        return None
    close = closing_brace(text, text.index("{"))
    if close < 0:
        return None
    return head.group(1).strip(), text[head.end() : close].strip()


def read_preamble(text: str) -> str | None:
    """A ``@preamble`` block's value as the splitter reads it (not stripped), or ``None``."""
    head = _OPEN_HEAD.match(text)
    if head is None or not _no_other_block(text):
        return None
    close = closing_brace(text, head.end() - 1)
    return None if close < 0 else text[head.end() : close]


def closing_brace(text: str, opener: int) -> int:
    """Index of the brace that closes the one at ``opener`` as the splitter counts, or -1: a
    brace right after a backslash is not counted."""
    depth, pos = 1, opener + 1
    while True:
        close = text.find("}", pos)
        if close < 0:
            return -1
        depth += text.count("{", pos, close) - text.count("\\{", pos, close)
        if text[close - 1] != "\\":
            depth -= 1
            if depth == 0:
                return close
        pos = close + 1
