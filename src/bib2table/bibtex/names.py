"""BibTeX person names: split a name list and show each name as "First von Last, Jr".

The rules are BibTeX's own (see Oren Patashnik's *BibTeXing* and Tame the BeaST): names are
separated by ``and`` at brace level 0; a name is "First von Last", "von Last, First" or
"von Last, Jr, First"; the von part is the words that start with a lower-case letter; a braced
group such as ``{Barnes and Noble}`` is one word that is never split.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_OTHERS = "others"


@dataclass(frozen=True)
class Name:
    """One person's name in BibTeX's four parts, each still LaTeX source."""

    first: str = ""
    von: str = ""
    last: str = ""
    jr: str = ""
    #: Why BibTeX could not read this name; it is then shown as written, in ``last``.
    odd: str = ""

    def display(self) -> str:
        """The name as a reader writes it: "First von Last, Jr"."""
        if self.odd:
            return self.last
        core = " ".join(p for p in (self.first, self.von, self.last) if p)
        return f"{core}, {self.jr}" if self.jr else core


def split_names(value: str) -> tuple[list[Name], bool]:
    """Split an author or editor field; the flag says the list ends in ``and others``.

    biblatex's per-list options (``useprefix=false and …``, as biber reads them) are options,
    not names, and are left out.
    """
    names: list[Name] = []
    others = False
    for raw in _split_top_level(value, _AND):
        raw = raw.strip()
        if not raw:
            continue
        if raw.lower() == _OTHERS:
            others = True
            continue
        if _LIST_OPTION.match(raw):
            continue
        names.append(parse_name(raw))
    return names, others


def parse_name(raw: str) -> Name:
    """Parse one name into its parts by BibTeX's rules (or BibLaTeX's ``family=…`` form)."""
    if raw.count("{") != raw.count("}"):
        return Name(last=raw, odd="its braces do not balance")
    parts = [p.strip() for p in _split_top_level(raw, re.compile(r","))]
    if _NAME_PART.search(raw) and all(_KEY_VALUE.match(p) for p in parts if p):
        return _keyed_name(parts)
    if len(parts) > 3:
        return Name(last=raw, odd="it has more than two commas")
    if len(parts) == 1:
        words = _words(parts[0])
        if not words:
            return Name()
        lower = [i for i, w in enumerate(words[:-1]) if _is_lower(w)]
        if not lower:
            return Name(first=" ".join(words[:-1]), last=words[-1])
        start, stop = lower[0], lower[-1] + 1
        return Name(
            first=" ".join(words[:start]),
            von=" ".join(words[start:stop]),
            last=" ".join(words[stop:]),
        )
    von, last = _von_last(_words(parts[0]))
    if len(parts) == 2:
        return Name(first=parts[1], von=von, last=last)
    return Name(first=", ".join(parts[2:]), von=von, last=last, jr=parts[1])


#: biblatex's name parts (biber's default data model), in the extended name format.
_PARTS = ("family", "given", "prefix", "suffix")
_NAME_PART = re.compile(r"\b(?:family|given|prefix|suffix)\s*=", re.IGNORECASE)
_KEY_VALUE = re.compile(r"\s*[A-Za-z][\w-]*\s*=")
#: biblatex's per-name-list options, written as items of the list: ``useprefix=false and …``.
_LIST_OPTION = re.compile(
    r"(?:useprefix|sortingnamekeytemplatename|uniquenametemplatename|"
    r"labelalphanametemplatename|uniquelist|uniquename|nohashothers|nosortothers|"
    r"juniorcomma)\s*=\s*\S*$",
    re.IGNORECASE,
)


def _keyed_name(parts: list[str]) -> Name:
    """BibLaTeX's extended name format: ``family=Maaten, given=Laurens, prefix=van der``.

    As biber reads it: the name parts ``family``, ``given``, ``prefix`` and ``suffix``; any
    other key (``id``, ``useprefix``, ``given-i``, …) is an option or an unknown part, ignored.
    """
    values: dict[str, str] = {}
    for part in parts:
        key, _, value = part.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] + value[-1] in ("{}", '""'):
            value = value[1:-1]
        key = key.strip().lower()
        if key in _PARTS:
            values[key] = " ".join(value.split())
    if "family" not in values:
        return Name(last=", ".join(parts), odd="it has no family= part")
    return Name(
        first=values.get("given", ""),
        von=values.get("prefix", ""),
        last=values["family"],
        jr=values.get("suffix", ""),
    )


def _von_last(words: list[str]) -> tuple[str, str]:
    """Split "von Last" words: the von part is the leading lower-case words, Last keeps one."""
    stop = 0
    for i, word in enumerate(words[:-1]):
        if _is_lower(word):
            stop = i + 1
    return " ".join(words[:stop]), " ".join(words[stop:])


def _is_lower(word: str) -> bool:
    """BibTeX's test: the first letter at brace level 0 (or of a special character) is lower."""
    depth = 0
    i = 0
    while i < len(word):
        ch = word[i]
        if ch == "{":
            if depth == 0 and word.startswith("{\\", i):
                # A "special character" such as {\"o} or {\L}: its letter decides.
                match = re.match(r"\{\\([A-Za-z]+|.)\s*\{?([A-Za-z]?)", word[i:])
                if match:
                    letters = match.group(1)
                    if letters.isalpha() and len(letters) <= 2 and letters not in ("i", "j"):
                        return letters[0].islower()
                    return bool(match.group(2)) and match.group(2).islower()
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 and ch.isalpha():
            return ch.islower()
        i += 1
    return False


_WORD_GAP = re.compile(r"(?:\s|(?<!\\)~)+")


def _words(text: str) -> list[str]:
    """Split at white space (and ``~``, but not the accent ``\\~``) outside braces."""
    return [w for w in _split_top_level(text, _WORD_GAP) if w]


def _split_top_level(text: str, separator: re.Pattern[str]) -> list[str]:
    """Split ``text`` wherever ``separator`` matches at brace depth 0."""
    if "{" not in text:
        return separator.split(text)
    pieces: list[str] = []
    depth = 0
    start = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            match = separator.match(text, i)
            if match and match.end() > i:
                pieces.append(text[start:i])
                start = i = match.end()
                continue
        i += 1
    pieces.append(text[start:])
    return pieces
