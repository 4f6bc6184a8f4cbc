"""Catalogue settings: title, intro, columns, the category vocabulary and the sort order.

Where they come from, first match wins (see :func:`load_settings`):

1. ``--config FILE`` (a ``bib2table.toml``, or a ``pyproject.toml`` with ``[tool.bib2table]``);
2. ``bib2table.toml``, or ``pyproject.toml`` with a ``[tool.bib2table]`` table, in the ``.bib``'s
   folder or the nearest folder above it, up to the repository's root (the folder holding
   ``.git``) or the home folder, whichever comes first (and only the ``.bib``'s own folder when
   neither is above it);
3. built-in defaults, with which any ``.bib`` converts.

A settings file may come from a stranger's pull request, so it is data: a path in it
(``intro-file``) is read only inside the settings file's own folder
(:func:`bib2table.files.confined`), and only regular files of bounded size are read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bib2table.bibtex.private import PRIVATE, Private
from bib2table.errors import SettingsError
from bib2table.files import MAX_SMALL_BYTES, confined, read_utf8

SETTINGS_FILE = "bib2table.toml"
PYPROJECT = "pyproject.toml"
FORMATS = ("text", "names")
MARKDOWN_LAYOUTS = ("table", "sections")
JSON_SHAPES = ("csl", "catalogue")


@dataclass(frozen=True)
class Column:
    """A table column: the first non-empty field of ``fields`` is shown under ``label``."""

    label: str
    fields: tuple[str, ...]
    format: str = "text"
    link: bool = False


@dataclass(frozen=True)
class Layout:
    """How the Markdown and JSON outputs arrange the catalogue (beside the table's columns)."""

    #: ``table`` (one row per paper) or ``sections`` (a heading per category, a list under it)
    markdown: str = "table"
    #: sections: a paper with several categories is listed under each, else under its first
    repeat: bool = True
    #: sections: more authors than this are shown as "First et al." (0: never shortened)
    max_authors: int = 3
    #: sections: a sub-heading per year inside each category
    year_headings: bool = False
    #: the fields holding a link to a paper's code
    code_fields: tuple[str, ...] = ("code",)
    #: ``csl`` (a CSL-JSON list) or ``catalogue`` (an object with title, categories and items)
    json: str = "csl"


#: Where a venue is, the first non-empty wins: the Venue column and the Markdown list's venue.
VENUE_FIELDS = (
    "venue",
    "journal",
    "journaltitle",
    "booktitle",
    "howpublished",
    "school",
    "institution",
    "publisher",
)

DEFAULT_COLUMNS = (
    Column("Year", ("year", "date")),
    Column("Author", ("author", "editor"), format="names"),
    Column("Title", ("title",), link=True),
    Column("Venue", VENUE_FIELDS),
)


@dataclass(frozen=True)
class Settings:
    """Everything that shapes a catalogue besides the templates."""

    title: str = ""
    intro: str = ""
    columns: tuple[Column, ...] = DEFAULT_COLUMNS
    #: keyword (lower case) -> column label, in column order; ``None``: every keyword found.
    categories: dict[str, str] | None = None
    keyword_fields: tuple[str, ...] = ("keywords",)
    keyword_separators: tuple[str, ...] = (",", ";")
    #: what separates the levels of a hierarchical keyword (``compression/pruning``); empty:
    #: keywords are flat
    keyword_hierarchy: tuple[str, ...] = ()
    #: with ``[categories]``: an entry none of whose keywords is a category is an error
    require_category: bool = False
    #: field names, ``-`` in front for descending; empty keeps the ``.bib``'s order.
    sort: tuple[str, ...] = ()
    #: an undefined ``@string`` macro shows its own name instead of nothing (BibTeX's way)
    keep_undefined: bool = False
    source: Path | None = field(default=None, compare=False)
    #: every file the settings were read from (the settings file, its intro-file)
    files: tuple[Path, ...] = field(default=(), compare=False)
    #: the fields no output shows: the built-in list, ``private-fields``, but not the
    #: ``keyword-fields`` (their keywords are the catalogue's categories, shown anyway)
    private: Private = PRIVATE
    layout: Layout = Layout()


_KEYS = {
    "title",
    "intro",
    "intro-file",
    "columns",
    "categories",
    "keyword-fields",
    "keyword-separators",
    "keyword-hierarchy-separators",
    "require-category",
    "sort",
    "private-fields",
    # the Markdown list and the JSON data (see Layout)
    "markdown-layout",
    "markdown-repeat",
    "markdown-max-authors",
    "markdown-year-headings",
    "code-fields",
    "json-shape",
    "keep-undefined-strings",
}
_COLUMN_KEYS = {"label", "fields", "field", "format", "link"}


def search_folders(bib_path: Path) -> list[Path]:
    """The folders searched for settings, nearest first: the input's folder and those above it
    up to the repository's root (a folder holding ``.git``) or the home folder; only the
    input's own folder when neither is above it, so that a file planted in ``/tmp`` or
    another shared folder is never taken for the settings."""
    folder = bib_path.resolve().parent
    try:
        home: Path | None = Path.home().resolve()
    except (RuntimeError, KeyError, OSError):
        home = None
    folders = []
    for current in [folder, *folder.parents]:
        folders.append(current)
        if current == home or os.path.lexists(current / ".git"):
            return folders
    return [folder]


def candidates(bib_path: Path) -> list[Path]:
    """The files :func:`load_settings` looks for, nearest first (whether they exist or not)."""
    return [f / name for f in search_folders(bib_path) for name in (SETTINGS_FILE, PYPROJECT)]


def load_settings(bib_path: Path | None, config: Path | None = None) -> Settings:
    """Find and read the settings for ``bib_path``: ``config`` > nearest file > defaults."""
    if config is not None:
        return read_settings(config, required=True)
    if bib_path is None:
        return Settings()
    for candidate in candidates(bib_path):
        if os.path.lexists(candidate):  # a pipe or a folder by that name is refused
            found = read_settings(candidate, required=False)
            if found.source is not None:
                return found
    return Settings()


def read_settings(path: Path, required: bool) -> Settings:
    """Read one settings file; a ``pyproject.toml`` without our table gives the defaults.

    A ``pyproject.toml`` found on the way up (not given with ``--config``) that does not
    mention bib2table is not ours: it is skipped unread, so that a broken one does not stop
    a run it has nothing to do with.
    """
    text = read_utf8(path, "settings file", MAX_SMALL_BYTES, SettingsError)
    if path.name == PYPROJECT and not required and "bib2table" not in text:
        return Settings()
    import tomllib  # (only a run with a settings file needs it)

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    if path.name == PYPROJECT:
        tool = data.get("tool", {})
        if not isinstance(tool, dict):
            raise SettingsError(f"{path}: tool must be a table ([tool])")
        table = tool.get("bib2table")
        if table is None:
            if required:
                raise SettingsError(f"{path} has no [tool.bib2table] table")
            return Settings()
        if not isinstance(table, dict):
            raise SettingsError(f"{path}: tool.bib2table must be a table ([tool.bib2table])")
        data = table
    return _from_table(data, path)


def settings_file(path: Path, name: str, key: str) -> Path:
    """A file named by the setting ``key`` of the settings file ``path``: inside its folder.

    Every path a settings file gives goes through here, so that settings from a pull request
    cannot read a file outside their own folder.
    """
    return confined(path.parent, name, f"{path}: {key}", SettingsError)


def _from_table(data: dict[str, Any], path: Path) -> Settings:
    """Validate a settings table; unknown keys are errors so that typos do not pass silently."""
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise SettingsError(
            f"{path}: unknown setting {unknown[0]!r}; known settings: {', '.join(sorted(_KEYS))}"
        )
    intro = _string(data, "intro", path)
    files = [path]
    if "intro-file" in data:
        intro_path = settings_file(path, _string(data, "intro-file", path), "intro-file")
        files.append(intro_path)
        intro = read_utf8(intro_path, f"{path}: intro-file", MAX_SMALL_BYTES, SettingsError)
    categories = data.get("categories")
    if categories is not None:
        if not isinstance(categories, dict) or not all(
            isinstance(v, str) for v in categories.values()
        ):
            raise SettingsError(
                f'{path}: [categories] maps keywords to labels, e.g. pruning = "Pruning"'
            )
        categories = {k.strip().lower(): v for k, v in categories.items()}
    keyword_fields = _strings(data, "keyword-fields", path, ("keywords",), lower=True)
    extra = _strings(data, "private-fields", path, (), lower=True)
    private = PRIVATE.adding(extra).removing(keyword_fields)
    clash = sorted(set(extra) & set(keyword_fields))
    if clash:
        raise SettingsError(
            f"{path}: {clash[0]} is both in keyword-fields and in private-fields; its "
            "keywords make the category columns, so it cannot be private"
        )
    columns = _columns(data.get("columns"), path)
    for n, column in enumerate(columns, 1):
        shown = [f for f in column.fields if f in private]
        if shown:
            raise SettingsError(
                f"{path}: column {n} ({column.label}) shows the private field {shown[0]}; "
                "private fields (local files, personal notes) appear in no output"
            )
    sort = _strings(data, "sort", path, ())
    ordered = [s for s in sort if s.lstrip("-+").lower() in private]
    if ordered:
        raise SettingsError(
            f"{path}: sort uses the private field {ordered[0].lstrip('-+')}; the order of the "
            "entries would show what it holds"
        )
    return Settings(
        title=_string(data, "title", path),
        intro=intro,
        columns=columns,
        categories=categories,
        keyword_fields=keyword_fields,
        keyword_separators=_separators(data, "keyword-separators", path, (",", ";")),
        keyword_hierarchy=_separators(data, "keyword-hierarchy-separators", path, ()),
        require_category=_bool(data, "require-category", path),
        sort=sort,
        keep_undefined=_bool(data, "keep-undefined-strings", path),
        source=path,
        files=tuple(files),
        private=private,
        layout=_layout(data, path),
    )


def _layout(data: dict[str, Any], path: Path) -> Layout:
    """The Markdown list and JSON settings (see :class:`Layout`)."""
    max_authors = data.get("markdown-max-authors", Layout.max_authors)
    if isinstance(max_authors, bool) or not isinstance(max_authors, int) or max_authors < 0:
        raise SettingsError(f"{path}: markdown-max-authors must be a whole number, 0 or more")
    return Layout(
        markdown=_choice(data, "markdown-layout", path, MARKDOWN_LAYOUTS),
        repeat=_bool(data, "markdown-repeat", path, default=True),
        max_authors=max_authors,
        year_headings=_bool(data, "markdown-year-headings", path),
        code_fields=_strings(data, "code-fields", path, Layout.code_fields, lower=True),
        json=_choice(data, "json-shape", path, JSON_SHAPES),
    )


def _choice(data: dict[str, Any], key: str, path: Path, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (the first is the default)."""
    value = data.get(key, choices[0])
    if value not in choices:
        raise SettingsError(f"{path}: {key} must be one of {', '.join(map(repr, choices))}")
    return str(value)


def _columns(value: Any, path: Path) -> tuple[Column, ...]:
    """Read ``[[columns]]``: each needs a label and a field (or a list of fallback fields)."""
    if value is None:
        return DEFAULT_COLUMNS
    if not isinstance(value, list) or not value:
        raise SettingsError(f"{path}: columns must be a list of [[columns]] tables")
    columns = []
    for n, item in enumerate(value, 1):
        where = f"{path}: column {n}"
        if not isinstance(item, dict):
            raise SettingsError(f"{where} must be a table with label and fields")
        unknown = sorted(set(item) - _COLUMN_KEYS)
        if unknown:
            raise SettingsError(f"{where}: unknown key {unknown[0]!r}")
        label = item.get("label")
        fields = item.get("fields", [item["field"]] if "field" in item else None)
        if not isinstance(label, str) or not label:
            raise SettingsError(f"{where} needs a label")
        if (
            not isinstance(fields, list)
            or not fields
            or not all(isinstance(f, str) for f in fields)
        ):
            raise SettingsError(f'{where} needs fields = ["..."] (or field = "...")')
        fields_t = tuple(f.lower() for f in fields)
        default_format = "names" if fields_t[0] in ("author", "editor") else "text"
        fmt = item.get("format", default_format)
        if fmt not in FORMATS:
            raise SettingsError(f"{where}: format must be one of {', '.join(FORMATS)}")
        link = item.get("link", False)
        if not isinstance(link, bool):
            raise SettingsError(f"{where}: link must be true or false")
        columns.append(Column(label, fields_t, fmt, link))
    return tuple(columns)


def _string(data: dict[str, Any], key: str, path: Path) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise SettingsError(f"{path}: {key} must be a string")
    return value


def _separators(
    data: dict[str, Any], key: str, path: Path, default: tuple[str, ...]
) -> tuple[str, ...]:
    """A list of separators; an empty one would cut between every two characters."""
    value = _strings(data, key, path, default)
    if any(not v for v in value):
        raise SettingsError(f"{path}: {key} must not contain an empty string")
    return value


def _bool(data: dict[str, Any], key: str, path: Path, default: bool = False) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise SettingsError(f"{path}: {key} must be true or false")
    return value


def _strings(
    data: dict[str, Any], key: str, path: Path, default: tuple[str, ...], lower: bool = False
) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f'{path}: {key} must be a list of strings, e.g. {key} = ["..."]')
    return tuple(v.lower() if lower else v for v in value)
