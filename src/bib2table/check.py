"""``--check``: everything wrong with a bibliography that a list's keeper wants CI to catch.

Nothing is written. Besides what every run reports (entries that cannot be read, undefined
``@string`` macros, …) the check looks for what makes a catalogue wrong without making it
unreadable: keys and papers given twice, keywords outside the category vocabulary, entries
without a category, empty displayed fields, URLs and DOIs that are not ones, and braces that
put text outside the entry it belongs to. Each finding is a
:class:`~bib2table.problems.Problem`; any error fails the check.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bib2table.bibtex.addresses import doi_of, url_field
from bib2table.bibtex.blocks import scan
from bib2table.bibtex.latex import decode
from bib2table.bibtex.parse import read_text
from bib2table.catalogue.model import Entry, Vocabulary
from bib2table.errors import Bib2TableError
from bib2table.pipeline import Loaded, is_spreadsheet, load
from bib2table.problems import Problem, Severity

FORMATS = ("text", "github", "json")

_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/([\w.-]+?(?:/\d+)?)(?:v\d+)?(?:\.pdf)?/?$", re.I)
_ARXIV_ID = re.compile(r"^(?:arxiv:)?([a-z.-]*/?\d{4}\.?\d{3,5})(?:v\d+)?$", re.IGNORECASE)
_URL = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<host>[^/\s?#]+)", re.IGNORECASE)
_BRACE = re.compile(r"[{}]")
_ENTRY_INSIDE = re.compile(r"\n[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(]")


@dataclass(frozen=True)
class _Paper:
    """What identifies an entry's paper, whatever its key."""

    doi: str
    arxiv: str
    title: str


def check_file(
    source: Path, config: Path | None = None, encoding: str | None = None, cache: bool = True
) -> tuple[Loaded | None, list[Problem]]:
    """Check one input (``.bib`` or ``.csv``); what stops reading it is a finding too."""
    return check_sources((source,), config, encoding, cache)


def check_sources(
    sources: Sequence[Path],
    config: Path | None = None,
    encoding: str | None = None,
    cache: bool = True,
) -> tuple[Loaded | None, list[Problem]]:
    """Check inputs that make one bibliography (or one ``.csv``); what stops reading them is
    a finding too."""
    try:
        loaded = load(sources, config, encoding, cache)
        texts = None
        if not is_spreadsheet(sources[0]):
            texts = [(read_text(s, encoding)[0], str(s)) for s in sources]
    except Bib2TableError as exc:
        named = next((s for s in sources if str(s) in str(exc)), sources[0])
        return None, [Problem(str(named), 0, "", str(exc))]
    return loaded, check(loaded, texts)


def check(loaded: Loaded, text: str | Sequence[tuple[str, str]] | None = None) -> list[Problem]:
    """Every problem of ``loaded`` (and of its BibTeX source: a ``text``, or several
    ``(text, file name)``), sorted."""
    catalogue = loaded.catalogue
    name = catalogue.source
    texts = [(text, name)] if isinstance(text, str) else list(text or ())
    order = {file: n for n, (_, file) in enumerate(texts)}
    entries = sorted(catalogue.entries, key=lambda e: (order.get(e.file, 0), e.line))
    found: list[Problem] = []
    duplicates = _duplicate_keys(texts)
    found += duplicates
    found += _lookalike_keys(entries, name)
    for source, file in texts:
        found += _text_braces(source, file)
    found += _duplicate_papers(entries, name)
    found += _vocabulary(entries, loaded, name)
    found += _displayed(entries, loaded, name)
    malformed = _links(entries, name)
    found += malformed
    found += _entry_braces(entries, name)
    # What every run reports about these, the check reports more fully: both lines, an error.
    replaced = {(p.file, p.line, p.key.lower(), "duplicate key") for p in duplicates}
    replaced |= {(p.file, p.line, p.key.lower(), "url ") for p in malformed if "url" in p.message}
    for problem in catalogue.problems:
        topic = next((t for t in ("duplicate key", "url ") if problem.message.startswith(t)), "")
        if (problem.file, problem.line, problem.key.lower(), topic) not in replaced:
            found.append(problem)
    files = {file: n for n, file in enumerate(dict.fromkeys([*order, name]))}
    return sorted(
        dict.fromkeys(found),
        key=lambda p: (files.get(p.file, len(files)), p.file, p.line, p.key, p.message),
    )


def _duplicate_keys(texts: Sequence[tuple[str, str]]) -> list[Problem]:
    """Both (all) places a key is used, in one file or across files; BibTeX itself keeps
    only the first."""
    places_of: dict[str, list[tuple[str, int, str]]] = {}
    for text, file in texts:
        for block in scan(text):
            if block.kind == "entry" and block.text and block.key:
                places_of.setdefault(block.key.lower(), []).append((file, block.line, block.key))
    problems = []
    for places in places_of.values():
        if len(places) < 2:
            continue
        for file, line, key in places:
            others = ", ".join(
                f"line {at}" if there == file else f"{there}:{at}"
                for there, at, _ in places
                if (there, at) != (file, line)
            )
            message = f"duplicate key: also used at {others}"
            if (file, line) != places[0][:2]:
                message += "; BibTeX and bib2table keep only the first"
            problems.append(Problem(file, line, key, message))
    return problems


#: Characters that show nothing, or only change the direction text runs in, outside the
#: "format" category (Cf) that :func:`_invisible` takes whole: the combining grapheme joiner,
#: Hangul fillers, variation selectors.
_INVISIBLE = frozenset("\u034f\u115f\u1160\u3164\uffa0") | frozenset(
    chr(c) for c in [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]
)


def _invisible(char: str) -> bool:
    return unicodedata.category(char) == "Cf" or char in _INVISIBLE


def key_skeleton(key: str) -> str:
    """What a key looks like: NFKC-normalised, invisible and bidi characters removed, case
    folded; two keys with the same skeleton cannot be told apart on screen."""
    folded = unicodedata.normalize("NFKC", key)
    visible = "".join(c for c in folded if not _invisible(c))
    return unicodedata.normalize("NFKC", visible.casefold())


def _lookalike_keys(entries: list[Entry], name: str) -> list[Problem]:
    """Keys that hold invisible or direction-changing characters, and keys that differ from
    an earlier one only in such characters or in how their accents are composed (NFC/NFD):
    a citation typed from what the page shows may reach the other entry, or none."""
    problems = []
    first: dict[str, Entry] = {}
    for entry in entries:
        hidden = sorted({f"U+{ord(c):04X}" for c in entry.key if _invisible(c)})
        if hidden:
            message = (
                f"the key holds invisible or direction-changing characters ({', '.join(hidden)})"
            )
            problems.append(
                Problem(entry.file or name, entry.line, entry.key, message, Severity.WARNING)
            )
        earlier = first.setdefault(key_skeleton(entry.key), entry)
        if earlier is not entry and earlier.key.lower() != entry.key.lower():
            problems.append(
                Problem(
                    entry.file or name,
                    entry.line,
                    entry.key,
                    f"key {entry.key!a} looks the same as {earlier.key!a} "
                    f"({_place(earlier, entry)}) but is another key: they differ in invisible "
                    "characters or in how accents are composed",
                    Severity.WARNING,
                )
            )
    return problems


def _text_braces(text: str, name: str) -> list[Problem]:
    """A ``}`` outside every entry: the entry before it closed early (a brace too many), and
    what followed the early close is lost."""
    problems = []
    pos = 0
    line = 1  # the line ``pos`` is on
    previous: tuple[str, int] | None = None
    for block in scan(text):
        if not block.text:
            continue
        start = text.find(block.text, pos)
        if start < 0:
            continue
        stray = _stray_closer(text, pos, start)
        if stray >= 0:
            problems.append(_stray(name, line + text.count("\n", pos, stray), previous))
        end = start + len(block.text)
        line += text.count("\n", pos, end)
        pos = end
        previous = (block.key, line)
    stray = _stray_closer(text, pos, len(text))
    if stray >= 0:
        problems.append(_stray(name, line + text.count("\n", pos, stray), previous))
    return problems


def _stray_closer(text: str, start: int, end: int) -> int:
    """Where, between ``start`` and ``end``, a ``}`` closes nothing; -1 if none does."""
    depth = 0
    for mark in _BRACE.finditer(text, start, end):
        depth += 1 if mark.group() == "{" else -1
        if depth < 0:
            return mark.start()
    return -1


def _stray(name: str, line: int, previous: tuple[str, int] | None) -> Problem:
    key, closed = previous or ("", 0)
    message = "unbalanced braces: a } outside any entry"
    if previous is not None:
        message += (
            f"; the entry before it ends early, at line {closed} (a }} too many?), "
            "and what follows up to here is left out of it"
        )
    return Problem(name, line, key, message)


def _entry_braces(entries: Iterable[Entry], name: str) -> list[Problem]:
    """Entries that swallowed the next ones (a ``}`` missing) or whose braces do not balance."""
    problems = []
    for entry in entries:
        raw = entry.raw
        inside = _ENTRY_INSIDE.search(raw)
        if inside is not None:
            line = entry.line + raw.count("\n", 0, inside.start() + 1)
            problems.append(
                Problem(
                    entry.file or name,
                    entry.line,
                    entry.key,
                    f"unbalanced braces: the entry runs on into another one at line {line} "
                    "(a } missing?)",
                )
            )
        elif raw.count("{") != raw.count("}"):
            problems.append(Problem(entry.file or name, entry.line, entry.key, "unbalanced braces"))
    return problems


def _duplicate_papers(entries: list[Entry], name: str) -> list[Problem]:
    """Entries for a paper listed before: same DOI, same arXiv id or same title."""
    first: dict[tuple[str, str], Entry] = {}
    problems = []
    for entry in entries:
        paper = _paper(entry)
        for kind, value in (("DOI", paper.doi), ("arXiv id", paper.arxiv), ("title", paper.title)):
            if not value:
                continue
            earlier = first.setdefault((kind, value), entry)
            if earlier is not entry:
                problems.append(
                    Problem(
                        entry.file or name,
                        entry.line,
                        entry.key,
                        f"duplicate paper: same {kind} as {earlier.key} ({_place(earlier, entry)})",
                    )
                )
                break
    return problems


def _place(earlier: Entry, entry: Entry) -> str:
    """Where ``earlier`` is, seen from ``entry``: its line, or its file and line."""
    if earlier.file == entry.file:
        return f"line {earlier.line}"
    return f"{earlier.file}:{earlier.line}"


def _paper(entry: Entry) -> _Paper:
    fields = entry.fields
    doi = doi_of(fields.get("doi", "")).lower()
    arxiv = ""
    kind = (fields.get("archiveprefix") or fields.get("eprinttype") or "").strip().lower()
    if kind == "arxiv":
        arxiv = fields.get("eprint", "").strip()
    if not arxiv and (match := _ARXIV_DOI.match(doi)):
        arxiv = match.group(1)
    url = url_field(fields)
    if not arxiv and (match := _ARXIV_URL.search(url)):
        arxiv = match.group(1)
    id_match = _ARXIV_ID.match(arxiv)
    arxiv = id_match.group(1).lower() if id_match else arxiv.lower()
    title = decode(fields.get("title", "")).text
    bare = unicodedata.normalize("NFKD", title.casefold())
    title = "".join(c for c in bare if c.isalnum())
    return _Paper(doi, arxiv, title)


def _vocabulary(entries: Iterable[Entry], loaded: Loaded, name: str) -> list[Problem]:
    """Keywords outside ``[categories]`` (with the nearest one), entries without a category."""
    settings = loaded.settings
    problems = []
    lookup = Vocabulary(settings.categories or {}, settings.keyword_hierarchy)
    known = sorted(settings.categories or {})
    fields = "/".join(settings.keyword_fields) or "keywords"
    for entry in entries:
        if settings.categories is not None:
            for keyword in entry.keywords:
                if lookup.label(keyword) is None:
                    problems.append(
                        Problem(
                            entry.file or name,
                            entry.line,
                            entry.key,
                            f"keyword {keyword!r} is not a category{_suggest(keyword, known)}",
                            Severity.WARNING,
                        )
                    )
        if settings.require_category and not entry.categories:
            listed = ", ".join(known[:8]) + (", …" if len(known) > 8 else "")
            wanted = f" ({listed})" if known else ""
            problems.append(
                Problem(
                    entry.file or name,
                    entry.line,
                    entry.key,
                    f"no category: give it one in its {fields} field{wanted}",
                )
            )
    return problems


def _suggest(keyword: str, known: list[str]) -> str:
    """``; did you mean 'pruning'?`` for the known keyword nearest to a typo, if any."""
    folded = keyword.lower()
    leaf = re.split(r"[/>]", folded)[-1].strip()
    for candidate in dict.fromkeys((folded, leaf)):
        close = difflib.get_close_matches(candidate, known, n=1, cutoff=0.75)
        if close:
            return f"; did you mean {close[0]!r}?"
    return ""


def _displayed(entries: Iterable[Entry], loaded: Loaded, name: str) -> list[Problem]:
    """Empty cells the catalogue would show: an error without a title, else a warning."""
    columns = loaded.settings.columns
    linked = any(c.link for c in columns)
    problems = []
    for entry in entries:
        for column, cell in zip(columns, entry.cells, strict=True):
            if cell.strip():
                continue
            is_title = "title" in column.fields
            severity = Severity.ERROR if is_title else Severity.WARNING
            fields = ", ".join(column.fields)
            message = f"no {column.label.lower()}: none of {fields} is given"
            if len(column.fields) == 1:
                message = f"no {column.label.lower()}: {fields} is missing or empty"
            problems.append(Problem(entry.file or name, entry.line, entry.key, message, severity))
        if linked and not entry.url:
            problems.append(
                Problem(
                    entry.file or name,
                    entry.line,
                    entry.key,
                    "no link: give a url, a doi or an arXiv eprint",
                    Severity.WARNING,
                )
            )
    return problems


def _links(entries: Iterable[Entry], name: str) -> list[Problem]:
    """URLs and DOIs that are not ones (an ``ftp://`` URL is fine, just not linked)."""
    problems = []
    for entry in entries:
        url = url_field(entry.fields)
        if url and _malformed(url):
            problems.append(
                Problem(entry.file or name, entry.line, entry.key, f"malformed url {_short(url)!r}")
            )
        raw_doi = entry.fields.get("doi", "").strip()
        if raw_doi and not doi_of(raw_doi):
            problems.append(
                Problem(
                    entry.file or name,
                    entry.line,
                    entry.key,
                    f"malformed doi {_short(raw_doi)!r}: a DOI looks like 10.1234/name",
                )
            )
    return problems


def _malformed(url: str) -> bool:
    """Not a URL at all: no ``scheme://host``, spaces or characters a URL cannot hold, or a
    web address without a dot in its host name."""
    match = _URL.match(url)
    if match is None or re.search(r"[\s<>\"{}\\]", url):
        return True
    host = match["host"].rsplit("@", 1)[-1].split(":")[0].lower()
    web = match["scheme"].lower() in ("http", "https")
    return web and "." not in host and host != "localhost"


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity is Severity.ERROR for p in problems)


def format_problems(problems: list[Problem], fmt: str) -> str:
    """The findings for people (``text``), GitHub Actions (``github``) or tools (``json``)."""
    if fmt == "json":
        records = [
            {
                "file": p.file,
                "line": p.line,
                "key": p.key,
                "severity": str(p.severity),
                "message": p.message,
            }
            for p in problems
        ]
        return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    if fmt == "github":
        return "".join(_annotation(p) + "\n" for p in problems)
    return "".join(_text(p) + "\n" for p in problems)


def _text(problem: Problem) -> str:
    """``file:line: key: error: message`` — the severity always said, for people reading CI."""
    where = f"{problem.file}:{problem.line}" if problem.line else problem.file
    key = f" {problem.key}:" if problem.key else ""
    return f"{where}:{key} {problem.severity}: {problem.message}"


def _annotation(problem: Problem) -> str:
    """A GitHub Actions workflow command, which shows the finding on the pull request's diff."""
    properties = [f"file={_escape_property(problem.file)}"]
    if problem.line:
        properties.append(f"line={problem.line}")
    properties.append("title=" + _escape_property(f"bib2table: {problem.key or problem.file}"))
    message = f"{problem.key}: {problem.message}" if problem.key else problem.message
    return f"::{problem.severity} {','.join(properties)}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_line(line: str) -> str:
    """A line that is not an annotation, for a GitHub Actions log: no line break in it can
    start a workflow command, and it does not start with ``::`` itself."""
    escaped = _escape_data(line)
    return " " + escaped if escaped.startswith("::") else escaped


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def summary(name: str, entries: int, problems: list[Problem]) -> str:
    """One line saying how the check went."""
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = len(problems) - errors
    verdict = "failed" if errors else "passed"
    return (
        f"bib2table: {name}: check {verdict}: {_count(entries, 'entry', 'entries')}, "
        f"{_count(errors, 'error')}, "
        f"{_count(warnings, 'warning')}"
    )


def _count(n: int, noun: str, plural: str = "") -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
