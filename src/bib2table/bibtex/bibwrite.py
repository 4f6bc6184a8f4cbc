"""Write catalogue entries back as BibTeX, to cite a slice of the list from a paper.

Each entry keeps its fields exactly as written in the input (macros, ``#`` concatenation,
quotes, braces and all) except the private ones (:mod:`bib2table.bibtex.private`: local files,
personal notes); bibtexparser's writer lays them out. The ``@string`` definitions the
chosen entries use come first (with their values resolved, so no chain of strings is needed),
then the ``@preamble`` blocks, then the entries; entries that others ``crossref`` go last, as
BibTeX wants them, and are added when only their children were chosen. Each macro has the
value its entry saw in the input (BibTeX reads ``@string`` in file order): when a later entry
saw another value, the ``@string`` is written again before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from bib2table.bibtex.excerpt import Citable
from bib2table.bibtex.parse import split_concatenation
from bib2table.bibtex.private import PRIVATE, Private

if TYPE_CHECKING:
    # Imported where BibTeX is written: a page's citation data needs only seen_strings.
    from bibtexparser import model as bp


class Catalogue(Protocol):
    """What :func:`bib_text` needs of a catalogue: every entry, and the ``@string`` values."""

    @property
    def entries(self) -> Sequence[Citable]: ...
    @property
    def strings(self) -> Mapping[str, str]: ...


def bib_text(
    catalogue: Catalogue, chosen: Iterable[Citable] | None = None, preambles: Iterable[str] = ()
) -> str:
    """BibTeX for ``chosen`` (default: the catalogue's entries) and what they need to compile.

    ``catalogue`` supplies the ``@string`` values and every entry a crossref may point to,
    and, as ``private`` when it has one, the fields left out.
    """
    from bibtexparser import model as bp
    from bibtexparser.entrypoint import write_string
    from bibtexparser.library import Library
    from bibtexparser.writer import BibtexFormat

    private: Private = getattr(catalogue, "private", PRIVATE)
    entries = list(catalogue.entries if chosen is None else chosen)
    everything = {e.key.lower(): e for e in catalogue.entries}
    entries = _with_parents(entries, everything)
    names = {name.lower(): name for name in catalogue.strings}
    # One library per run of entries that agree on their macros' values: a library holds
    # each @string once, before its entries, so a macro that gets a value after an entry of
    # the run used it (with another value, or undefined) starts the next run.
    parts: list[tuple[dict[str, bp.String], list[bp.Block]]] = [({}, [])]
    used: set[str] = set()  # the macros the entries of the current run use
    current: dict[str, str] = {}
    for entry in entries:
        block = _entry_block(entry, private)
        seen = seen_strings(entry, catalogue)
        macros = _macros(block)
        changed: dict[str, bp.String] = {}
        for macro in macros:
            value = seen.get(macro) if macro in names else None  # not jan…dec: every style has them
            if value is None or current.get(macro) == value:
                continue  # undefined where the entry is, as in the input: BibTeX says so
            current[macro] = value
            changed[macro] = bp.String(names.get(macro, macro), "{" + value + "}")
        strings, blocks = parts[-1]
        if any(macro in used for macro in changed):
            parts.append(({}, []))
            strings, blocks = parts[-1]
            used = set()
        strings.update(changed)
        used.update(macros)
        blocks.append(block)
    layout = BibtexFormat()  # type: ignore[no-untyped-call]
    layout.indent = "  "
    layout.block_separator = "\n"
    texts = []
    for number, (strings, blocks) in enumerate(parts):
        library = Library()
        library.add(list[bp.Block](strings.values()))
        if number == 0:
            library.add([bp.Preamble("{" + p + "}") for p in preambles])
        library.add(blocks, fail_on_duplicate_key=False)
        text: str = write_string(library, unparse_stack=[], bibtex_format=layout)
        texts.append(text if text.endswith("\n") or not text else text + "\n")
    return "\n".join(t for t in texts if t)


def seen_strings(entry: Citable, catalogue: Catalogue) -> Mapping[str, str]:
    """The ``@string`` values ``entry`` saw (a catalogue row's ``strings``); the catalogue's
    when it does not say (an entry made by hand)."""
    strings: Mapping[str, str] | None = getattr(entry, "strings", None)
    if strings is None or (isinstance(strings, dict) and not strings):
        return catalogue.strings
    return strings


def _with_parents(entries: list[Citable], everything: Mapping[str, Citable]) -> list[Citable]:
    """The entries with their crossref chains, every referenced entry after its children."""
    seen = {e.key.lower() for e in entries}
    parents: dict[str, Citable] = {}
    queue = list(entries)
    for entry in queue:  # grows as parents are found
        target = _crossref(entry).lower()
        parent = everything.get(target) if target else None
        if parent is None:
            continue
        parents.pop(target, None)  # it moves after this child
        parents[target] = parent
        if target not in seen:
            seen.add(target)
            queue.append(parent)
    return [e for e in entries if e.key.lower() not in parents] + list(parents.values())


def _crossref(entry: Citable) -> str:
    """The key the entry's ``crossref`` field names, as written in the entry itself."""
    block = _split(entry.raw)
    if block is not None:
        for item in block.fields:
            if item.key.lower() == "crossref":
                return _plain(str(item.value))
        return ""
    return entry.fields.get("crossref", "").strip()


def _plain(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] + value[-1] in ("{}", '""'):
        value = value[1:-1]
    return value.strip()


def _entry_block(entry: Citable, private: Private) -> bp.Entry:
    """The entry as bibtexparser holds it, with each field's value as written.

    An entry that only the fallback reader could read is rebuilt from its evaluated values.
    """
    from bibtexparser import model as bp

    block = _split(entry.raw)
    if block is None:
        fields = [bp.Field(name, "{" + value + "}") for name, value in entry.fields.items()]
        block = bp.Entry(entry.entry_type, entry.key, fields)
    kept = [f for f in block.fields if f.key not in private]
    if len(kept) != len(block.fields):
        block = bp.Entry(block.entry_type, block.key, kept)
    return block


def _split(raw: str) -> bp.Entry | None:
    """One entry block re-read by bibtexparser without middlewares (values stay raw)."""
    from bibtexparser.entrypoint import parse_string

    if not raw:
        return None
    library = parse_string(raw, parse_stack=[])
    if library.failed_blocks or len(library.entries) != 1:
        return None
    block: bp.Entry = library.entries[0]
    return block


def _macros(block: bp.Entry) -> list[str]:
    """The ``@string`` names (lower case) the entry's values use, in order of use."""
    found: list[str] = []
    for item in block.fields:
        for piece in split_concatenation(str(item.value)):
            word = piece.lower()
            if piece[:1] not in '{"' and not piece.isdigit() and word not in found:
                found.append(word)
    return found
