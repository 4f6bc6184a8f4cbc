"""The fields that never leave the keeper's machine: one list for every output.

Reference managers write into the ``.bib`` where the keeper's own files are and what the keeper
thinks of a paper. None of that belongs on a published page, in a ``--bib`` slice, a CSV or a
Markdown table, or in what a template sees of an entry. The list covers what these tools write:

- attached files and where they are on disk: ``file`` (Zotero, JabRef, Mendeley, Papers),
  ``pdf`` and ``ps`` (older JabRef), ``local-url`` (BibDesk, Papers), ``bdsk-file-1``, … (BibDesk,
  an alias of the file's path);
- personal notes: ``annote`` (Zotero's and Mendeley's notes; BibTeX's own field for an
  annotated bibliography, which is why a catalogue that wants to show notes should keep them in
  ``note``), ``annotation`` (its biblatex name, where Better BibTeX puts Zotero's notes),
  JabRef's ``comment`` and its per-user ``comment-<user>``;
- the keeper's marks and filing: JabRef's ``owner``, ``groups``, ``ranking``, ``readstatus``,
  ``printed``, ``priority``, ``qualityassured``, ``relevance`` and ``__markedentry``;
  Mendeley's ``mendeley-tags`` and ``mendeley-groups``; BibDesk's and Papers' ``read`` and
  ``rating``.

Not in it: ``bdsk-url-1`` … (BibDesk's web addresses of the paper, public by nature) and the
dates a tool records (JabRef's ``timestamp``, BibDesk's ``date-added``): they say nothing about
the keeper beyond when an entry was filed. The settings' ``private-fields`` add to the list.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

#: Fields private by name (lower case).
PRIVATE_NAMES = frozenset(
    {
        "file",
        "pdf",
        "ps",
        "local-url",
        "annote",
        "annotation",
        "comment",
        "owner",
        "groups",
        "ranking",
        "readstatus",
        "printed",
        "priority",
        "qualityassured",
        "relevance",
        "__markedentry",
        "mendeley-tags",
        "mendeley-groups",
        "read",
        "rating",
    }
)
#: Fields private by the start of their name: BibDesk's numbered files, JabRef's per-user notes.
PRIVATE_PREFIXES = ("bdsk-file-", "comment-")


@dataclass(frozen=True)
class Private:
    """A set of private field names, with the prefixes that make a name private too."""

    names: frozenset[str] = PRIVATE_NAMES
    prefixes: tuple[str, ...] = PRIVATE_PREFIXES

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _is_private(self.names, self.prefixes, name)

    def adding(self, names: Iterable[str]) -> Private:
        """These fields and ``names`` too."""
        return Private(self.names | {n.lower() for n in names}, self.prefixes)

    def removing(self, names: Iterable[str]) -> Private:
        """These fields but ``names`` (by exact name; a prefix still applies)."""
        return Private(self.names - {n.lower() for n in names}, self.prefixes)

    def key(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """A stable value for cache keys."""
        return tuple(sorted(self.names)), self.prefixes


@functools.lru_cache(maxsize=4096)
def _is_private(names: frozenset[str], prefixes: tuple[str, ...], name: str) -> bool:
    """Whether ``name`` is among ``names`` or starts with one of ``prefixes``, ignoring case
    (remembered: the same few field names are asked about for every entry)."""
    folded = name.lower()
    return folded in names or folded.startswith(prefixes)


#: The built-in list.
PRIVATE = Private()


class PublicFields(Mapping[str, str]):
    """An entry's fields without the private ones: what templates and outputs see.

    A private field is not there at all: not listed, not readable, ``get`` gives the default.
    """

    __slots__ = ("_fields", "_private")

    def __init__(self, fields: Mapping[str, str], private: Private = PRIVATE) -> None:
        self._fields = fields
        self._private = private

    def __getitem__(self, name: str) -> str:
        if name in self._private:
            raise KeyError(name)
        return self._fields[name]

    def get(self, name: str, default: str = "") -> str:  # type: ignore[override]
        """The field's value, or ``default`` (the empty string) when absent or private."""
        if name not in self._fields or name in self._private:
            return default
        return self._fields[name]

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._fields if name not in self._private)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, name: object) -> bool:
        return name in self._fields and name not in self._private

    def __repr__(self) -> str:
        return f"PublicFields({dict(self)!r})"
