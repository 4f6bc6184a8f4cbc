"""Read a spreadsheet in the catalogue's own CSV shape back into BibTeX entries.

A list kept in a spreadsheet (``Year, Author, Title, URL, Venue``, then one column per category
label with a mark in it) moves to BibTeX here: each row becomes an entry whose fields display
exactly the row's cells again, with the marked labels turned back into keywords through the
settings' ``[categories]``. The rows are written out as BibTeX text and read by the ordinary
parse stage, so a spreadsheet is read exactly as a ``.bib`` would be; problems point at the
spreadsheet's own lines.

Keys are made the way Better BibTeX makes them: the first author's last name in lower case,
the year and the first significant word of the title (``han2015learning``); a key made twice
gets ``a``, ``b``, … at its end.
"""

from __future__ import annotations

import bisect
import csv
import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

from bib2table.bibtex.parse import ParsedBib, parse_text, read_text
from bib2table.cache import Cache
from bib2table.catalogue.selection import ascii_letters
from bib2table.catalogue.settings import Column, Settings
from bib2table.problems import Problem, Severity

#: Columns of the catalogue's CSV that are not category labels (besides the settings' columns).
URL, KEY, DOI = "URL", "Key", "DOI"

#: Words Better BibTeX skips when it takes a title's first word for a key.
STOP_WORDS = frozenset(
    "a ab aboard about above across after against al along amid among an and anti around as at "
    "before behind below beneath beside besides between beyond but by d da das de del dell dello "
    "dei degli della delle dem den der des despite die do down du during ein eine einem einen "
    "einer eines el en et except for from gli i il in inside into is l la las le les like lo los "
    "near nor of off on onto or over past per plus round save since so some sur than the through "
    "to toward towards un una unas under underneath une unlike uno unos until up upon versus via "
    "von while with within without yet zu zum".split()
)

_LATEX_SPECIAL = {
    "\\": "\\textbackslash{}",
    "{": "\\{",
    "}": "\\}",
    "$": "\\$",
    "&": "\\&",
    "%": "\\%",
    "#": "\\#",
    "_": "\\_",
    "~": "\\textasciitilde{}",
    "^": "\\textasciicircum{}",
    "`": "\\textasciigrave{}",
}
#: The ``'`` the CSV output puts before a cell a spreadsheet would run as a formula (also
#: before one that starts with ``'`` and then such a character, so ``'=`` comes back too).
_FORMULA_GUARD = re.compile(r"^'(?='*[=+\-@\t\r])")
_ARXIV_URL = re.compile(
    r"^https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/([\w.-]+?(?:/\d+)?)(?:\.pdf)?$"
)
_JOURNAL = re.compile(r"journal|transactions|letters|magazine|review|\btrans\.", re.IGNORECASE)
_KEY = re.compile(r"[^\s,{}()\"#%'=\\~]+")
_WORD = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)
#: The order fields are written in, as reference managers write them; others go after these.
_ORDER = ("author", "editor", "title", "journal", "booktitle", "howpublished", "year")
_VENUE_FIELDS = ("venue", "journal", "journaltitle", "booktitle", "howpublished")


@dataclass
class _Row:
    """One spreadsheet row on its way to BibTeX."""

    line: int
    key: str
    entry_type: str = "misc"
    fields: dict[str, str] = field(default_factory=dict)


def read_csv(
    path: Path,
    settings: Settings,
    encoding: str | None = None,
    name: str | None = None,
    cache: Cache | None = None,
) -> ParsedBib:
    """Read the spreadsheet at ``path`` as the parse stage reads a ``.bib``."""
    text, warning = read_text(path, encoding)
    parsed = parse_csv(text, settings, name or str(path), cache)
    if warning is not None:
        parsed.problems.insert(0, warning)
    return parsed


def parse_csv(
    text: str, settings: Settings, name: str = "<csv>", cache: Cache | None = None
) -> ParsedBib:
    """Entries for each row of ``text``; every line number refers to the spreadsheet."""
    bib, starts, problems = csv_to_bibtex(text, settings, name)
    parsed = parse_text(bib, name, cache)
    generated = sorted(starts)
    rows = [starts[g] for g in generated]

    def row_line(line: int) -> int:
        index = bisect.bisect_right(generated, line) - 1
        return rows[index] if index >= 0 else 0

    for entry in parsed.entries:
        entry.line = row_line(entry.line)
    parsed.problems = problems + [
        dataclasses.replace(p, line=row_line(p.line)) if p.line else p
        for p in parsed.problems
        if p.line or not p.message.startswith("no entries found")  # said of the sheet instead
    ]
    return parsed


def csv_to_bibtex(
    text: str, settings: Settings, name: str = "<csv>"
) -> tuple[str, dict[int, int], list[Problem]]:
    """The rows of ``text`` as BibTeX, where each entry starts (BibTeX line -> spreadsheet line),
    and what was found wrong with the spreadsheet itself."""
    problems: list[Problem] = []
    records = _records(text, name, problems)
    if len(records) < 2:
        message = "the spreadsheet has no rows" if records else "the spreadsheet is empty"
        problems.append(Problem(name, 0, "", message, Severity.WARNING))
        return "", {}, problems
    header_line, _, header = records[0]
    columns = _header(header, settings, name, header_line, problems)
    rows: list[_Row] = []
    for line, end, cells in records[1:]:
        if not any(c.strip() for c in cells):
            continue
        _swallowed_rows(line, end, cells, len(header), text, name, problems)
        rows.append(_row(line, cells, columns, settings, name, problems))
    _unique_keys(rows)
    source = re.sub(r"[{}]", "", Path(name).name)
    out = [f"@comment{{Converted by bib2table from the spreadsheet {source}.}}", ""]
    starts: dict[int, int] = {}
    for row in rows:
        starts[len(out) + 1] = row.line
        out.append(f"@{row.entry_type}{{{row.key},")
        ordered = sorted(row.fields.items(), key=lambda item: _rank(item[0]))
        out += [f"  {n} = {{{v}}}," for n, v in ordered]
        out[-1] = out[-1].rstrip(",") if row.fields else out[-1]
        out += ["}", ""]
    return "\n".join(out), starts, problems


def _rank(name: str) -> int:
    return _ORDER.index(name) if name in _ORDER else len(_ORDER)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


def _lines(text: str) -> list[str]:
    """The physical lines of ``text`` with their line breaks, as the csv module counts them."""
    return [line for line in _LINE.findall(text) if line]


def _records(text: str, name: str, problems: list[Problem]) -> list[tuple[int, int, list[str]]]:
    """Each record with the lines it starts and ends on; the delimiter is the one the header
    uses. A record whose quotes do not close as CSV wants (a stray ``"``: the cell would run
    to the next quote, rows and all) is reported with its line and skipped, and reading goes
    on from the next line, so that one stray quote costs one row, said, not every row after it.
    """
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=lambda d: _known_columns(first, d))
    lines = _lines(text)
    records: list[tuple[int, int, list[str]]] = []
    start = 0  # index of the next line to read
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))  # a cell may be as long as the file
    try:
        while start < len(lines):
            reader = csv.reader(iter(lines[start:]), delimiter=delimiter, strict=True)
            done = 0  # lines of this reader's records read whole
            try:
                for record in reader:
                    guarded = [_FORMULA_GUARD.sub("", cell) for cell in record]
                    records.append((start + done + 1, start + reader.line_num, guarded))
                    done = reader.line_num
                start = len(lines)
            except csv.Error as exc:
                line = start + done + 1
                end = start + reader.line_num
                if end <= line:  # one line, e.g. ``"text" ,``: read it as the csv module can
                    record = next(csv.reader([lines[line - 1]], delimiter=delimiter), [])
                    records.append((line, line, [_FORMULA_GUARD.sub("", c) for c in record]))
                    message = f"not quite CSV ({exc}); the row is read as well as it can be"
                    problems.append(Problem(name, line, "", message, Severity.WARNING))
                else:
                    problems.append(
                        Problem(
                            name,
                            line,
                            "",
                            f"this row is not CSV ({exc}; lines {line}-{end} would be one row): "
                            'a stray or missing " on this line? The row is left out; the '
                            "rows after it are read",
                        )
                    )
                start = line  # go on with the next line
    finally:
        csv.field_size_limit(limit)
    return records


def _swallowed_rows(
    line: int,
    end: int,
    cells: list[str],
    width: int,
    text: str,
    name: str,
    problems: list[Problem],
) -> None:
    """Report a row whose quoted cell holds line breaks followed by what reads as whole rows:
    two stray quotes that happen to pair up merge the rows between them into one cell."""
    if end <= line or width < 3:
        return
    delimiter = max(",;\t", key=lambda d: _known_columns(text.split("\n", 1)[0], d))
    inner = [
        number
        for cell in cells
        for number, part in enumerate(cell.splitlines()[1:], 1)
        if len(next(csv.reader([part], delimiter=delimiter), [])) >= width
    ]
    if inner:
        problems.append(
            Problem(
                name,
                line,
                "",
                f"lines {line}-{end} are read as one row: a quoted cell holds line breaks and "
                f"{len(inner)} line(s) that read as rows of their own; is a quote stray on "
                f"line {line}? They are imported as one row",
            )
        )


def _known_columns(line: str, delimiter: str) -> int:
    cells = next(csv.reader([line], delimiter=delimiter), [])
    return sum(c.strip().lower() in ("year", "author", "title", "url", "venue") for c in cells)


@dataclass(frozen=True)
class _Columns:
    """What each spreadsheet column holds, by position."""

    text: dict[int, Column]
    url: int | None
    key: int | None
    doi: int | None
    #: position -> the keyword a mark in that column stands for
    keywords: dict[int, str]


def _header(
    header: list[str], settings: Settings, name: str, line: int, problems: list[Problem]
) -> _Columns:
    """Match the header's labels with the settings' columns and categories."""
    by_label = {c.label.strip().lower(): c for c in settings.columns}
    keyword_of: dict[str, str] = {}
    if settings.categories is not None:
        for keyword, label in settings.categories.items():
            keyword_of.setdefault(label.strip().lower(), keyword)
            keyword_of.setdefault(keyword, keyword)
    text: dict[int, Column] = {}
    special: dict[str, int] = {}
    keywords: dict[int, str] = {}
    for index, raw in enumerate(header):
        label = raw.strip()
        folded = label.lower()
        if folded in by_label and by_label[folded] not in text.values():
            text[index] = by_label[folded]
        elif folded in (URL.lower(), KEY.lower(), DOI.lower()) and folded not in special:
            special[folded] = index
        elif not label:
            continue
        elif settings.categories is None:
            keywords[index] = _as_keyword(label, settings, name, line, problems)
        elif folded in keyword_of:
            keywords[index] = keyword_of[folded]
        else:
            problems.append(
                Problem(
                    name,
                    line,
                    "",
                    f"column {label!r} is neither a column nor a category label of the "
                    "settings; it is left out",
                    Severity.WARNING,
                )
            )
    if not text:
        labels = ", ".join(c.label for c in settings.columns)
        problems.append(
            Problem(name, line, "", f"no column of the settings ({labels}) in the header")
        )
    return _Columns(text, special.get("url"), special.get("key"), special.get("doi"), keywords)


def _as_keyword(
    label: str, settings: Settings, name: str, line: int, problems: list[Problem]
) -> str:
    """A label used as its own keyword; keyword separators in it would split it, so go."""
    keyword = label
    for separator in settings.keyword_separators:
        keyword = keyword.replace(separator, " ")
    keyword = " ".join(keyword.split())
    if keyword != label:
        problems.append(
            Problem(
                name,
                line,
                "",
                f"category {label!r} holds a keyword separator; its entries get the keyword "
                f"{keyword!r}. Name it in the settings' [categories] to keep the label, e.g. "
                f'{keyword.split()[0].lower()} = "{label}"',
                Severity.WARNING,
            )
        )
    return keyword


def _row(
    line: int,
    cells: list[str],
    columns: _Columns,
    settings: Settings,
    name: str,
    problems: list[Problem],
) -> _Row:
    """One row as an entry: fields for its cells, keywords for its marks."""

    def cell(index: int | None) -> str:
        return " ".join(cells[index].split()) if index is not None and index < len(cells) else ""

    row = _Row(line, cell(columns.key))
    if row.key and not _KEY.fullmatch(row.key):
        message = f"key {row.key!r} cannot be a BibTeX key; a new one is made"
        problems.append(Problem(name, line, "", message, Severity.WARNING))
        row.key = ""
    venue = ""
    venue_fields: tuple[str, ...] = ()
    for index, column in columns.text.items():
        value = cell(index)
        if not value:
            continue
        if any(f in _VENUE_FIELDS for f in column.fields):
            venue, venue_fields = value, column.fields
        elif column.format == "names":
            row.fields[column.fields[0]] = names_to_bibtex(value)
        elif column.fields[0] in ("year", "date"):
            row.fields["year"] = value if value.isdigit() else latex_escape(value)
        elif column.fields[0] == "title":
            row.fields["title"] = protect_case(value)
        else:
            row.fields[column.fields[0]] = latex_escape(value)
    if venue:
        _place_venue(row, venue, venue_fields)
    url = cell(columns.url)
    if url:
        row.fields["url"] = url.replace("{", "%7B").replace("}", "%7D").replace("\\", "%5C")
        arxiv = _ARXIV_URL.match(url)
        if arxiv and "eprint" not in row.fields:
            row.fields["eprint"] = arxiv.group(1)
            row.fields["archiveprefix"] = "arXiv"
    doi = cell(columns.doi)
    if doi:
        row.fields["doi"] = doi.replace("{", "%7B").replace("}", "%7D")
    marked = [k for i, k in columns.keywords.items() if cell(i)]
    if marked:
        joiner = settings.keyword_separators[0] + " "
        field_name = settings.keyword_fields[0] if settings.keyword_fields else "keywords"
        row.fields[field_name] = latex_escape(joiner.join(dict.fromkeys(marked)))
    if "author" not in row.fields and "editor" not in row.fields:
        # BibTeX sorts by author; without one it wants a ``key`` field to sort by.
        row.fields["key"] = latex_escape(cell(_title_index(columns)) or "anonymous")
    if "title" not in row.fields:
        problems.append(Problem(name, line, "", "the row has no title", Severity.WARNING))
    if not row.key:
        row.key = make_key(
            row.fields.get("author", ""), row.fields.get("year", ""), cell(_title_index(columns))
        )
    return row


def _title_index(columns: _Columns) -> int | None:
    return next((i for i, c in columns.text.items() if c.fields[0] == "title"), None)


def _place_venue(row: _Row, venue: str, fields: tuple[str, ...]) -> None:
    """Put the venue where BibTeX and the Venue column both find it, and choose the type.

    A preprint server is ``howpublished`` of a ``@misc``; a journal-like name is the
    ``journal`` of an ``@article``; anything else the ``booktitle`` of an ``@inproceedings``.
    An entry lacking what its type needs (author, title, year) stays ``@misc``.
    """
    complete = all(n in row.fields for n in ("author", "title", "year"))
    escaped = latex_escape(venue)
    if "arxiv" in venue.lower() and "howpublished" in fields:
        row.fields["howpublished"] = escaped
    elif complete and _JOURNAL.search(venue) and "journal" in fields:
        row.entry_type = "article"
        row.fields["journal"] = escaped
    elif complete and "booktitle" in fields:
        row.entry_type = "inproceedings"
        row.fields["booktitle"] = escaped
    elif "howpublished" in fields:
        row.fields["howpublished"] = escaped
    else:
        row.fields[fields[0]] = escaped


def latex_escape(text: str) -> str:
    """Text as BibTeX that LaTeX (and bib2table) shows exactly as ``text`` again."""
    return _escape(text, 0, len(text), _unmatched_braces(text))


def _escape(text: str, start: int, end: int, unmatched: set[int]) -> str:
    """``text[start:end]`` escaped. A brace that pairs with another in ``text`` is written
    ``\\{``/``\\}``; an ``unmatched`` one ``\\textbraceleft{}``/``\\textbraceright{}``,
    since BibTeX counts ``\\{`` as a brace too and drops an entry whose braces do not balance."""
    out: list[str] = []
    for index in range(start, end):
        char = text[index]
        nxt = text[index + 1 : min(index + 2, end)]
        if index in unmatched:
            out.append("\\textbraceleft{}" if char == "{" else "\\textbraceright{}")
        else:
            out.append(_LATEX_SPECIAL.get(char, char))
        if (char == "-" and nxt == "-") or (char == "'" and nxt == "'"):
            out.append("{}")  # no en dash, no closing double quote
    return "".join(out)


def _unmatched_braces(text: str) -> set[int]:
    """Where the braces of ``text`` are that pair with none."""
    opened: list[int] = []
    unmatched: set[int] = set()
    for index, char in enumerate(text):
        if char == "{":
            opened.append(index)
        elif char == "}":
            if opened:
                opened.pop()
            else:
                unmatched.add(index)
    return unmatched | set(opened)


def protect_case(title: str) -> str:
    """A title with its acronyms and brand names braced (``{MobileNets}``, ``{CNN}``), so
    that bibliography styles that lower-case titles leave them alone."""
    unmatched = _unmatched_braces(title)
    words = []
    for word in re.finditer(r"\S+", title):
        shape = _WORD.match(word.group())
        assert shape is not None  # the pattern matches any text
        (_, core_start), (_, core_end) = shape.span(1), shape.span(2)
        at = word.start()

        def part(start: int, stop: int, at: int = at) -> str:
            return _escape(title, at + start, at + stop, unmatched)

        letters = [c for c in shape.group(2) if c.isalpha()]
        if any(c.isupper() for c in letters[1:]):
            lead, core = part(0, core_start), part(core_start, core_end)
            words.append(lead + "{" + core + "}" + part(core_end, len(word.group())))
        else:
            words.append(part(0, len(word.group())))
    return " ".join(words)


def names_to_bibtex(cell: str) -> str:
    """``Song Han, Jeff Pool et al.`` -> ``Han, Song and Pool, Jeff and others``.

    The last word is taken as the last name, the rest as first names: BibTeX shows
    ``Last, First`` as ``First Last`` again, so particles like ``Le`` or ``van der`` come back
    where they were.
    """
    others = False
    text = cell.strip()
    if text.endswith("et al."):
        text, others = text[: -len("et al.")].rstrip(" ,"), True
    names = []
    for raw in re.split(r",\s*|\s+and\s+", text):
        words = [latex_escape(w) for w in raw.split()]
        words = ["{" + w + "}" if w.lower() == "and" else w for w in words]
        if not words:
            continue
        if len(words) == 1:
            names.append(words[0])
        else:
            names.append(f"{words[-1]}, {' '.join(words[:-1])}")
    if others:
        names.append("others")
    return " and ".join(names)


def make_key(author: str, year: str, title: str) -> str:
    """A Better BibTeX style key: last name + year + first significant title word."""
    first = author.split(" and ", 1)[0]
    last = first.split(",", 1)[0] if "," in first else (first.split() or [""])[-1]
    if last == "others":
        last = ""
    year_digits = re.search(r"\d{4}", year)
    words = [w for w in re.split(r"[^a-z0-9]+", _ascii(title).lower()) if w]
    word = next((w for w in words if w not in STOP_WORDS), "")
    key = _ascii(_plain(last)).lower()
    key = re.sub(r"[^a-z0-9]", "", key) + (year_digits.group() if year_digits else "") + word
    return key or "entry"


def _unique_keys(rows: list[_Row]) -> None:
    """Give a key made more than once ``a``, ``b``, … ``z``, ``aa``, … (the first keeps it bare);
    the letters never run out."""
    taken = {r.key.lower() for r in rows}
    seen: set[str] = set()
    tried: dict[str, int] = {}  # per key, how many suffixes were used up
    for row in rows:
        folded = row.key.lower()
        if folded not in seen:
            seen.add(folded)
            continue
        number = tried.get(folded, 0)
        while True:
            number += 1
            candidate = row.key + suffix(number)
            if candidate.lower() not in taken and candidate.lower() not in seen:
                break
        tried[folded] = number
        row.key = candidate
        seen.add(candidate.lower())


def suffix(number: int) -> str:
    """The ``number``-th key suffix: ``a`` … ``z``, then ``aa``, ``ab``, … (any number)."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def _ascii(text: str) -> str:
    return "".join(c for c in ascii_letters(text) if c.isascii())


def _plain(text: str) -> str:
    """Text without the braces and backslash escapes BibTeX values carry."""
    return re.sub(r"\\[a-z]+\{\}|\\(.)|[{}]", lambda m: m.group(1) or "", text)
