"""Which encoding a ``.bib`` file is in, when nobody said.

UTF-8 (a byte-order mark is fine) is the rule; UTF-16 says so by its byte-order mark. JabRef
writes ``% Encoding: windows-1252`` (or ``UTF-8``, ``ISO8859_1``: Java's names) at the top of
the files it saves, and that line is honoured. Any other file that is not UTF-8 is most often
Windows-1252 (Western European text from Windows tools); when it does not read as such, its
encoding is detected with charset-normalizer (GBK, Shift-JIS, Windows-1251, …). The warning
says which encoding was used, and ``--encoding`` overrides it.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from bib2table.errors import InputError
from bib2table.problems import Problem, Severity

#: JabRef's encoding line, among the comment lines at the top of the file.
_DECLARED = re.compile(
    rb"\A(?:\xef\xbb\xbf)?(?:[ \t]*%[^\n]*\n){0,4}?[ \t]*%[ \t]*Encoding:[ \t]*([\w.:+-]+)",
    re.IGNORECASE,
)
#: How much of a file the detection looks at (it samples within that).
_SAMPLE = 1 << 20
#: Letters a Western European text in Windows-1252 is made of, besides ASCII.
_WESTERN = frozenset("ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿŒœŠšŽžŸƒ")


@dataclass(frozen=True)
class Reading:
    """A file's text, the encoding it was read in, and why (empty when it was UTF-8)."""

    text: str
    encoding: str
    note: str = ""


def decode_file(data: bytes, path: Path, encoding: str | None = None) -> tuple[str, Problem | None]:
    """The text of a file's bytes: in ``encoding`` if given (an error if they are not), else
    as the file says or as detected; a warning when the file was not plain UTF-8."""
    named = declared(data) if encoding is None else None
    if encoding is None and data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"  # as some Windows tools save; its byte-order mark says so
    elif encoding is None and b"\0" in data[:65536]:
        raise InputError(
            f"{path} looks like a binary file, not BibTeX (it holds NUL bytes); "
            "give the .bib file your reference manager exports"
        )
    chosen = encoding or named or "utf-8"
    if codecs.lookup(chosen).name == "utf-8":
        chosen = "utf-8-sig"  # a byte-order mark is fine
    try:
        text = data.decode(chosen)
    except UnicodeDecodeError as exc:
        start = exc.start + (len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0)
        start = min(start, len(data) - 1)
        line = data.count(b"\n", 0, start) + 1
        if encoding is not None:
            raise InputError(
                f"{path}:{line}: not valid {encoding} (byte 0x{data[start]:02x}); "
                "give the file's encoding with --encoding, e.g. --encoding cp1252"
            ) from None
        reading = guess(data)
        said = f"says it is {named} (% Encoding:) but is not" if named else "not UTF-8"
        message = (
            f"{said} (byte 0x{data[start]:02x}); {reading.note}. If names look wrong, give "
            "the encoding with --encoding"
        )
        return reading.text, Problem(str(path), line, "", message, Severity.WARNING)
    except (UnicodeError, ValueError) as exc:  # a codec's own complaint about the bytes
        raise InputError(f"{path}: cannot be read as {encoding}: {exc}") from None
    if named and codecs.lookup(named).name != "utf-8" and not data.isascii():
        try:
            utf8 = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return text, None
        message = (
            f"says it is {named} (% Encoding:) but reads as UTF-8; read as UTF-8. If names "
            f"look wrong, give the encoding with --encoding {named}"
        )
        return utf8, Problem(str(path), 1, "", message, Severity.WARNING)
    return text, None


def declared(data: bytes) -> str | None:
    """The encoding a JabRef ``% Encoding:`` line names, as Python knows it, or None."""
    match = _DECLARED.match(data[:4096])
    if match is None:
        return None
    name = match.group(1).decode("ascii")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def guess(data: bytes) -> Reading:
    """Read bytes that are not UTF-8 (and say nothing of their encoding)."""
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if western is not None and _looks_western(western[:_SAMPLE]):
        return Reading(western, "cp1252", "read as cp1252 (Windows-1252)")
    from charset_normalizer import from_bytes  # only for the rare file that needs it: slow to load

    best = from_bytes(data[:_SAMPLE]).best()
    if best is not None:
        name = codecs.lookup(best.encoding).name
        try:
            return Reading(data.decode(name), name, f"read as {name} (detected)")
        except UnicodeDecodeError:
            pass  # the sample fits the encoding, the rest of the file does not
    if western is not None:
        return Reading(western, "cp1252", "read as cp1252 (Windows-1252)")
    return Reading(data.decode("latin-1"), "latin-1", "read as latin-1")


def _looks_western(text: str) -> bool:
    """Whether ``text`` reads as Western European: its letters are mostly ASCII and the
    others are Latin accented letters (a Cyrillic or Greek file read as Windows-1252 is all
    accented letters)."""
    accented = 0
    for char in _NON_ASCII.findall(text):
        if char.isalpha():
            if char not in _WESTERN:
                return False
            accented += 1
    return accented * 3 <= len(_ASCII_LETTERS.findall(text))


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ASCII_LETTERS = re.compile(r"[A-Za-z]")
