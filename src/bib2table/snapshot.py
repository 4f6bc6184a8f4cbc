"""The last run's outputs for an input, kept whole, so that a fresh run after a small edit
splices the changed entries into them instead of reading and assembling every entry again.

After a run with the cache, bib2table keeps one snapshot per input and options (in the cache's
``snapshots`` table): a digest of each stretch of the ``.bib`` (see
:func:`~bib2table.bibtex.blocks.stretches`), the entry keys each holds, the outputs as written
and where each entry's row is in them (and, on the page, its items of ``#page-data`` and
``#cite-data``), the problems reported. The next run cuts its text the same way; when only
stretches of entries changed, in place and with the same keys, it reads just those entries in
their context (every ``@string`` and ``@preamble`` of the file, at their lines), renders their
rows and items, and puts them where the old ones were. The result is byte for byte what a
run without the cache writes; whatever could make it differ makes the run read everything:

- another input name, option, settings or intro file, or code (the snapshot's key);
- a changed ``@string``, ``@preamble`` or ``@comment``, a stretch added or removed, a block
  that does not close within its stretch, an entry added, removed or renamed;
- ``crossref``, ``xdata``, sets or ``related`` (one entry lends to others); a ``sort`` order;
  the Markdown sections layout; a ``--template``, a selection, a spreadsheet or a file that
  is not UTF-8; several inputs;
- a changed entry among the page's first rows (shown before its script runs), with a problem
  of its own before or after the edit, or in a file with problems that several entries share
  (undefined macros, unknown LaTeX); one whose year, categories, keywords, full venue or
  ``@string`` macros change (they shape other parts of the outputs);
- a snapshot whose rows are not in their format's strict form, whose page fails the page
  check, or whose Markdown or CSV around the rows is not what this code writes.
"""

from __future__ import annotations

import bisect
import codecs
import hashlib
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bib2table.bibtex.biblatex import links_entries
from bib2table.bibtex.blocks import scan_alone, stretches
from bib2table.bibtex.encoding import declared
from bib2table.bibtex.parse import MAX_INPUT_BYTES, parse_texts, read_text
from bib2table.cache import Cache
from bib2table.catalogue.model import UNKNOWN_MACROS, Catalogue, build_catalogue
from bib2table.catalogue.settings import Settings, load_settings
from bib2table.errors import Bib2TableError
from bib2table.files import MAX_SMALL_BYTES, read_bytes
from bib2table.pipeline import Output, files_read, is_spreadsheet, row_spans
from bib2table.problems import Problem, Severity
from bib2table.workers import map_in_halves

#: The formats a snapshot keeps.
KEPT = ("html", "markdown", "csv")
#: The page shows its first rows before its script runs: an entry among them is not spliced.
PREVIEW = 25
#: More changed stretches than this are read in full.
MOST_CHANGED = 16
#: Stretches whose digests are compared as one first.
GROUP = 256
#: How many changed stretches make a run keep its outputs as the new snapshot.
RESAVE = 3
#: Kept rows checked together, on either core.
_CHUNK = 10_000
_SCRIPT = {
    "page": '<script type="application/json" id="page-data">',
    "cite": '<script type="application/json" id="cite-data">',
}


@dataclass(frozen=True)
class Spliced:
    """A run made from the snapshot: the outputs, the problems, how many entries."""

    outputs: list[Output]
    problems: list[Problem]
    entries: int


def eligible(
    sources: Sequence[Path],
    formats: Sequence[str],
    template: Path | None,
    encoding: str | None,
    selected: bool,
) -> bool:
    """Whether a run of these options may keep and use a snapshot."""
    return (
        len(sources) == 1
        and not is_spreadsheet(sources[0])
        and template is None
        and encoding is None
        and not selected
        and bool(formats)
        and all(f in KEPT for f in formats)
        and len(set(formats)) == len(formats)
    )


def _key(cache: Cache, source: Path, config: Path | None, formats: Sequence[str]) -> bytes:
    """The snapshot's key: the input as named and where it is, the formats, and the content
    of every other file the run reads (settings, intro)."""
    parts = [str(source), str(source.resolve()), ",".join(formats), str(config)]
    for path in files_read(source, config):
        if path == source:
            continue
        if not path.exists():
            content = "-"
        else:
            try:  # only a regular file of bounded size: never a pipe or a device
                data = read_bytes(path, "settings file", MAX_SMALL_BYTES)
            except Bib2TableError:
                raise _Miss from None  # the run reads everything, and says what is wrong
            content = hashlib.blake2b(data, digest_size=16).hexdigest()
        parts += [str(path), content]
    return cache.key("snapshot", *parts)


def _digests(
    parts: list[bytes], known: list[str] | None = None, known_groups: list[str] | None = None
) -> tuple[list[str], list[str]]:
    """A digest of each stretch (``parts``: a text's UTF-8 cut at each ``\\n@``, as
    :func:`stretches` cuts it), and of each group of :data:`GROUP` stretches. Given those of
    an earlier text with as many stretches, a group whose digest is the same keeps its
    stretches' digests."""
    groups = [
        hashlib.sha256(b"\n@".join(parts[at : at + GROUP])).hexdigest()[:24]
        for at in range(0, len(parts), GROUP)
    ]
    same = known is not None and known_groups is not None and len(known) == len(parts)
    digests: list[str] = []
    for number, group in enumerate(groups):
        at = number * GROUP
        if same and known_groups[number] == group:  # type: ignore[index]
            digests += known[at : at + GROUP]  # type: ignore[index]
        else:
            digests += [hashlib.sha256(part).hexdigest()[:24] for part in parts[at : at + GROUP]]
    return digests, groups


def _parts(data: bytes) -> list[bytes]:
    return data.split(b"\n@")


class _Pieces:
    """The stretches of a text (see :func:`stretches`) from its UTF-8 ``parts``, each made
    when asked for (strictly decoded: bytes that are not UTF-8 are a ``ValueError``)."""

    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts

    def __len__(self) -> int:
        return len(self.parts)

    def __getitem__(self, number: int) -> str:
        last = len(self.parts) - 1
        text = self.parts[number].decode("utf-8")
        return ("@" if number else "") + text + ("\n" if number < last else "")


def _local(settings: Settings) -> bool:
    """Whether the settings keep an entry's edit local to its own rows."""
    return not settings.sort and settings.layout.markdown == "table"


def read_input(source: Path) -> str | None:
    """The input's text as a run reads it, or ``None`` when it is not plain UTF-8."""
    try:
        text, warning = read_text(source, None)
    except Bib2TableError:
        return None
    return text if warning is None else None


def _input_bytes(source: Path) -> bytes | None:
    """The input as UTF-8 whose decoding is the text a run reads, or ``None`` when it is not
    plain UTF-8. Read as it is when it has no byte-order mark and names no other encoding
    (then its stretches are decoded only as they are needed: the rest are the bytes the
    snapshot was made of, by their digests); else through :func:`read_input`."""
    try:
        data = read_bytes(source, "input", MAX_INPUT_BYTES)
    except Bib2TableError:
        return None
    plain = (
        not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        and b"\0" not in data[:65536]
        and declared(data) in (None, "utf-8")
    )
    if plain:
        return data
    text = read_input(source)
    return None if text is None else text.encode("utf-8", "surrogatepass")


def save(
    cache: Cache,
    source: Path,
    config: Path | None,
    text: str,
    settings: Settings,
    catalogue: Catalogue,
    outputs: Sequence[Output],
) -> None:
    """Keep the outputs of a full run on ``text`` for the next run (when they can be spliced)."""
    formats = [o.format for o in outputs]
    if not _local(settings) or catalogue.shared_problems or links_entries(text):
        return
    if any(not o.rows for o in outputs):
        return
    pieces = stretches(text)
    kinds = []
    keys: list[list[str]] = []
    for piece in pieces:
        blocks = scan_alone(piece)
        if blocks is None or any(b.problem for b in blocks):
            return
        if all(b.kind == "entry" for b in blocks):
            kinds.append("e")
            keys.append([b.key for b in blocks])
        else:
            kinds.append("s")
            keys.append([])
    digests, groups = _digests(_parts(text.encode("utf-8", "surrogatepass")))
    meta: dict[str, Any] = {
        "pieces": digests,
        "groups": groups,
        "kinds": "".join(kinds),
        "keys": keys,
        "order": [e.key for e in catalogue.entries],
        "keywords": [list(e.keywords) for e in catalogue.entries],
        "unknown": {e.key: list(e.unknown) for e in catalogue.entries if e.unknown},
        "lines": [p.count("\n") for p in pieces],
        "categories": [[c.label, list(c.keywords)] for c in catalogue.categories],
        "problems": [
            [p.file, p.line, p.key, p.message, str(p.severity)] for p in catalogue.problems
        ],
        "formats": formats,
        "lengths": [len(o.text) for o in outputs],
        "rows": [list(o.rows) for o in outputs],
    }
    if "html" in formats:
        page = outputs[formats.index("html")].text
        items = {name: _item_spans(page, name) for name in _SCRIPT}
        if any(spans is None for spans in items.values()):
            return
        meta["items"] = items
        meta["active"] = _active(_skeleton(page, _pairs(list(outputs[formats.index("html")].rows))))
    body = "".join(o.text for o in outputs).encode("utf-8", "surrogatepass")
    try:
        key = _key(cache, source, config, formats)
    except _Miss:
        return
    cache.keep_snapshot(key, json.dumps(meta), body)


def _script(page: str, name: str) -> tuple[int, int] | None:
    """Where the JSON of the page's script ``name`` is."""
    opening = _SCRIPT[name]
    start = page.find(opening)
    if start < 0 or page.find(opening, start + 1) >= 0:
        return None
    start += len(opening)
    end = page.find("</script>", start)
    return (start, end) if end >= 0 else None


def _item_spans(page: str, name: str) -> list[int] | None:
    """Where each item of the ``entries`` list of the page's script ``name`` is: flat."""
    from bib2table.catalogue.cite import script_json

    where = _script(page, name)
    if where is None:
        return None
    start, end = where
    try:
        data = json.loads(page[start:end])
    except ValueError:
        return None
    head = str(script_json({k: v for k, v in data.items() if k != "entries"}))
    at = start + len(head) - 1 + len(',"entries":[')
    if page[start:at] != head[:-1] + ',"entries":[':
        return None
    spans: list[int] = []
    for item in data["entries"]:
        text = str(script_json(item))
        spans += (at, at + len(text))
        at += len(text) + 1
    if page[at - 1 : end] != "]}":
        return None
    return spans


class _Miss(Exception):
    """The snapshot cannot make this run: read everything."""


def splice(
    cache: Cache, source: Path, config: Path | None, formats: Sequence[str]
) -> Spliced | None:
    """This run's outputs made from the snapshot of the last one, or ``None``."""
    try:
        return _splice(cache, source, config, list(formats))
    except (_Miss, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


def _splice(cache: Cache, source: Path, config: Path | None, formats: list[str]) -> Spliced:
    key = _key(cache, source, config, formats)
    found = cache.snapshot(key)
    if found is None:
        raise _Miss
    sealed = found[2]
    meta = json.loads(found[0])
    if not isinstance(meta, dict) or meta["formats"] != formats:
        raise _Miss
    data = _input_bytes(source)
    if data is None:
        raise _Miss
    body = found[1].decode("utf-8", "surrogatepass")
    lengths = meta["lengths"]
    if sum(lengths) != len(body):
        raise _Miss
    texts, at = [], 0
    for length in lengths:
        texts.append(body[at : at + length])
        at += length
    problems = [Problem(f, line, k, m, Severity(s)) for f, line, k, m, s in meta["problems"]]
    order: list[str] = meta["order"]
    rows: list[list[int]] = meta["rows"]
    parts = _parts(data)
    pieces = _Pieces(parts)
    old = meta["pieces"]
    digests, groups = _digests(parts, old, meta["groups"])
    if len(digests) != len(old) or len(pieces) != len(old):
        raise _Miss
    changed = [n for n, (a, b) in enumerate(zip(digests, old, strict=True)) if a != b]
    if len(changed) > MOST_CHANGED:
        raise _Miss
    # At least one entry is made again, unchanged or not: the outputs around the rows are
    # compared with what this code writes around it.
    remade = changed or _last_entry(meta)
    edits: list[list[tuple[int, int, str]]] = [[] for _ in formats]
    _changes(cache, source, config, meta, sealed, pieces, remade, formats, texts, edits)
    outputs = []
    new_rows: list[list[int]] = []
    items: dict[str, list[int]] = dict(meta.get("items", {}))
    for number, name in enumerate(formats):
        spliced, shift = _apply(texts[number], edits[number])
        spans = _shifted(rows[number], shift)
        if name == "html":
            items = {k: _shifted(v, shift) for k, v in items.items()}
        new_rows.append(spans)
        outputs.append(Output(name, spliced, tuple(spans)))
    _check(outputs, new_rows, items, len(order), sealed)
    meta.update(
        pieces=digests,
        groups=groups,
        lengths=[len(o.text) for o in outputs],
        rows=new_rows,
    )
    if items:
        meta["items"] = items
    # Kept anew only after a few changes: until then, splicing them all into the snapshot as it
    # is costs less than writing the outputs into the cache again.
    if len(changed) > RESAVE:
        body_out = "".join(o.text for o in outputs).encode("utf-8", "surrogatepass")
        cache.keep_snapshot(key, json.dumps(meta), body_out)
    return Spliced(outputs, problems, len(order))


def _changes(
    cache: Cache,
    source: Path,
    config: Path | None,
    meta: dict[str, Any],
    sealed: bool,
    pieces: _Pieces,
    changed: list[int],
    formats: list[str],
    texts: list[str],
    edits: list[list[tuple[int, int, str]]],
) -> None:
    """Read the changed stretches' entries in their context and say what replaces what."""
    from bib2table.catalogue.cite import script_json

    kinds: str = meta["kinds"]
    names: list[str] = []
    for number in changed:
        blocks = scan_alone(pieces[number])
        if kinds[number] != "e" or blocks is None or links_entries(pieces[number]):
            raise _Miss
        if any(b.kind != "entry" or b.problem for b in blocks):
            raise _Miss
        if [b.key for b in blocks] != meta["keys"][number]:
            raise _Miss
        if pieces[number].count("\n") != meta["lines"][number]:
            raise _Miss  # the lines of every later entry and problem would move
        names += meta["keys"][number]
    where = {k: n for n, k in enumerate(meta["order"])}
    if any(k not in where or where[k] < PREVIEW for k in names):
        raise _Miss
    if any(p.key in names for p in _problems(meta)):
        raise _Miss
    settings = load_settings(source, config)
    if not _local(settings):
        raise _Miss
    categories = meta["categories"]
    vocabulary = {k: label for label, words in categories for k in words}
    wanted = set(changed)
    lines: list[int] = meta["lines"]
    mini = "".join(
        pieces[n] if kinds[n] == "s" or n in wanted else "\n" * lines[n] for n in range(len(pieces))
    )
    parsed = parse_texts([(mini, str(source))], None, settings.keep_undefined)
    made = build_catalogue(parsed, settings, source.stem, None, vocabulary)
    old_problems = set(_problems(meta))
    told = [p for p in made.problems if not p.message.startswith(UNKNOWN_MACROS)]
    if made.shared_problems or any(p.key in names or p not in old_problems for p in told):
        raise _Miss
    if [e.key for e in made.entries] != names:
        raise _Miss
    if [[c.label, list(c.keywords)] for c in made.categories] != categories:
        raise _Miss
    for entry in made.entries:
        if list(entry.keywords) != meta["keywords"][where[entry.key]]:
            raise _Miss
        if list(entry.unknown) != meta["unknown"].get(entry.key, []):
            raise _Miss
    from bib2table.outputs.clean import STAND_IN, all_fit
    from bib2table.outputs.render import FORMATS, Renderer, Rows

    for number, name in enumerate(formats):
        ids = {id(e): id(e).to_bytes(8, "little") for e in made.entries}
        rows = Rows(lambda entry, ids=ids: ids.get(id(entry)))  # type: ignore[misc]
        rendered = Renderer(FORMATS[name], cache=cache).render(made, rows)
        fresh = [p for p, is_row in zip(rendered.pieces, rendered.rows, strict=True) if is_row]
        if len(fresh) != len(names) or not all_fit(fresh, name):
            raise _Miss
        spans = meta["rows"][number]
        if name != "html" and _skeleton(rendered.text, _pairs(list(row_spans(rendered)))) != (
            _skeleton(texts[number], _pairs(spans))
        ):
            raise _Miss
        for key, row in zip(names, fresh, strict=True):
            at = where[key]
            edits[number].append((spans[2 * at], spans[2 * at + 1], row))
        if name == "html":
            page = texts[number]
            new_page = rendered.text
            # A sealed snapshot's skeleton was counted when it was kept.
            active = meta["active"] if sealed else _active(_skeleton(page, _pairs(spans)))
            if not _same_frame(page, active, rendered.without_rows(STAND_IN)):
                raise _Miss
            for script in _SCRIPT:
                old_spans = meta["items"][script]
                old_data = _head(page, script, old_spans[0] if old_spans else None, sealed)
                new_data = _head(new_page, script)
                for n, key in enumerate(names):
                    at = where[key]
                    start, end = old_spans[2 * at], old_spans[2 * at + 1]
                    was = json.loads(page[start:end])
                    item = new_data["entries"][n]
                    if script == "page":
                        same = was[2] == item[2] and was[3] == item[3]
                        old_venue = None if was[6] is None else old_data["venues"][was[6]]
                        new_venue = None if item[6] is None else new_data["venues"][item[6]]
                        if not same or old_venue != new_venue:
                            raise _Miss
                        item[6] = was[6]
                    else:
                        if was[1] != item[1] or any(
                            old_data["strings"][k] != new_data["strings"][k] for k in item[1]
                        ):
                            raise _Miss
                    text = str(script_json(item))
                    if "<" in text:
                        raise _Miss  # the page's data never holds markup (see script_json)
                    edits[number].append((start, end, text))


def _last_entry(meta: dict[str, Any]) -> list[int]:
    """The last stretch of entries that the page does not show before its script runs."""
    where = {k: n for n, k in enumerate(meta["order"])}
    for number in range(len(meta["keys"]) - 1, -1, -1):
        keys = meta["keys"][number]
        if keys and all(where.get(k, -1) >= PREVIEW for k in keys):
            return [number]
    raise _Miss


#: Elements that could bring script, style, a base address, a redirection or a form.
_ACTIVE = re.compile(
    r"<\s*/?\s*(script|style|meta|base|link|iframe|frame|object|embed|form|template|noscript)\b",
    re.IGNORECASE,
)


def _active(skeleton: str) -> list[str]:
    """The active elements of a page's skeleton (its rows left out), by kind, sorted."""
    return sorted(m.lower() for m in _ACTIVE.findall(skeleton))


def _same_frame(page: str, active: list[str], fresh: str) -> bool:
    """Whether ``page`` (the snapshot's page, whose skeleton has the ``active`` elements) has
    the head ``fresh`` (a page rendered now) has, with its policy, and as many active elements
    of each kind."""
    end, fresh_end = page.find("</head>"), fresh.find("</head>")
    if end < 0 or page[:end] != fresh[:fresh_end]:
        return False
    return active == _active(fresh)


def _problems(meta: dict[str, Any]) -> list[Problem]:
    return [Problem(f, line, k, m, Severity(s)) for f, line, k, m, s in meta["problems"]]


def _head(page: str, name: str, first: int | None = None, sealed: bool = False) -> dict[str, Any]:
    """The JSON of the page's script ``name``; with ``first``, where its first entry starts,
    only what comes before the entries. In a ``sealed`` page (checked whole when it was
    kept) the script is looked for just before ``first``."""
    if sealed and first is not None:
        start = page.rfind(_SCRIPT[name], 0, first)
        if start < 0:
            raise _Miss
        where: tuple[int, int] | None = (start + len(_SCRIPT[name]), first)
    else:
        where = _script(page, name)
    if where is None:
        raise _Miss
    if first is not None and where[0] < first <= where[1]:
        data = json.loads(page[where[0] : first] + "]}")
    else:
        data = json.loads(page[where[0] : where[1]])
    if not isinstance(data, dict):
        raise _Miss
    return data


def _pairs(spans: list[int]) -> list[tuple[int, int]]:
    return list(zip(spans[::2], spans[1::2], strict=True))


def _skeleton(text: str, rows: list[tuple[int, int]]) -> str:
    """``text`` with each run of rows (and the white space between them) as one mark."""
    from bib2table.outputs.clean import STAND_IN

    out: list[str] = []
    at = 0
    for start, end in rows:
        gap = text[at:start]
        if out and out[-1] == STAND_IN and not gap.strip():
            at = end
            continue
        out += (gap, STAND_IN)
        at = end
    out.append(text[at:])
    return "".join(out)


def _apply(text: str, edits: list[tuple[int, int, str]]) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with each span replaced; and, for each edit, where it was and how much later
    what follows it now is."""
    if not edits:
        return text, []
    edits.sort()
    out: list[str] = []
    shift: list[tuple[int, int]] = []
    at = 0
    moved = 0
    for start, end, new in edits:
        if start < at:
            raise _Miss
        out += (text[at:start], new)
        moved += len(new) - (end - start)
        shift.append((end, moved))
        at = end
    out.append(text[at:])
    return "".join(out), shift


def _shifted(spans: list[int], shift: list[tuple[int, int]]) -> list[int]:
    """The offsets ``spans`` (ascending) after the edits that ``shift`` describes: an offset at
    or after an edit's end moves by what the edits up to it moved (the start of an edited span
    stays, its end moves with it)."""
    if not shift:
        return list(spans)
    out: list[int] = []
    at = moved = 0
    for end, total in shift:
        cut = bisect.bisect_left(spans, end, lo=at)
        out += [offset + moved for offset in spans[at:cut]] if moved else spans[at:cut]
        at, moved = cut, total
    out += [offset + moved for offset in spans[at:]]
    return out


def _check(
    outputs: list[Output],
    rows: list[list[int]],
    items: dict[str, list[int]],
    count: int,
    sealed: bool,
) -> None:
    """The snapshot's outputs follow the rules a fresh run's do: rows in their format's strict
    form, the page's skeleton passes the page check, its links the link rules. A ``sealed``
    snapshot was checked so by this user's run when it was kept, and the rows and items put in
    it now were checked as they were made: only where they went is checked again."""
    from bib2table.outputs.clean import all_fit, check_assembled

    every = [_pairs(spans) for spans in rows]
    for output, pairs in zip(outputs, every, strict=True):
        if len(pairs) != count or any(a > b for a, b in pairs):
            raise _Miss
        if any(b > c for (_, b), (c, _) in itertools.pairwise(pairs)):
            raise _Miss
        if pairs and pairs[-1][1] > len(output.text):
            raise _Miss

    def fits(chunk: tuple[int, int, int]) -> bool:
        number, start, end = chunk
        text = outputs[number].text
        return all_fit([text[a:b] for a, b in every[number][start:end]], outputs[number].format)

    chunks = [
        (number, start, min(start + _CHUNK, count))
        for number in range(len(outputs))
        for start in range(0, count, _CHUNK)
    ]
    # Many rows: checked on two cores.
    if not sealed and not all(map_in_halves(fits, chunks, minimum=8)):
        raise _Miss
    for output, pairs in zip(outputs, every, strict=True):
        text = output.text
        if output.format == "html":
            if not sealed and check_assembled(text, _skeleton(text, pairs), True):
                raise _Miss
            for script in () if sealed else _SCRIPT:  # (a sealed page's were checked whole)
                where = _script(text, script)
                if where is None or text.find("<", *where) >= 0:
                    raise _Miss  # the page's data never holds markup (see script_json)
            for spans_of in items.values():
                if len(spans_of) != 2 * count:
                    raise _Miss
