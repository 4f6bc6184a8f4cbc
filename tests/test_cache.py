"""The on-disk cache only ever saves time: outputs and problems are the same with or without it.

The cache is one SQLite database for every input. These tests damage it (truncated, garbage,
another program's database), hand-edit its values (wrong shapes, unsafe links), change the code
that made them, share it between concurrent processes, and edit the input step by step; every
time the outputs must be byte for byte those of ``--no-cache``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bib2table import build
from bib2table.cache import TABLES, Cache
from bib2table.pipeline import EXTENSIONS, load, render_all
from paths import COMPRESSION_BIB, REPO

TUGBOAT = REPO / "tests" / "data" / "texlive" / "tugboat-excerpt.bib"
FORMATS = ["html", "markdown", "csv"]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("BIB2TABLE_CACHE_DIR", str(folder))
    return folder


def run(source: Path, cache: bool = True) -> tuple[list[str], list[str]]:
    catalogue, outputs = build(source, FORMATS, cache=cache)
    return [o.text for o in outputs], [str(p) for p in catalogue.problems]


def database(folder: Path) -> Path:
    return folder / "cache.sqlite3"


def connect(folder: Path) -> contextlib.closing[sqlite3.Connection]:
    return contextlib.closing(sqlite3.connect(database(folder), isolation_level=None))


def rows(folder: Path, table: str) -> list[tuple[bytes, str]]:
    with connect(folder) as db:
        return db.execute(f"SELECT key, value FROM {table}").fetchall()


def rewrite(folder: Path, table: str, change: Callable[[str], str]) -> int:
    """Replace every value of ``table`` by ``change(value)``; how many changed."""
    changed = 0
    with connect(folder) as db:
        for key, value in db.execute(f"SELECT key, value FROM {table}").fetchall():
            new = change(value)
            if new != value:
                db.execute(f"UPDATE {table} SET value = ? WHERE key = ?", (new, key))
                changed += 1
    return changed


def intact(folder: Path) -> bool:
    with connect(folder) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.fixture
def tugboat(tmp_path: Path) -> Path:
    copy = tmp_path / "t.bib"
    shutil.copy(TUGBOAT, copy)
    return copy


@pytest.mark.parametrize("source", [COMPRESSION_BIB, TUGBOAT], ids=["compression", "tugboat"])
def test_cached_run_equals_fresh_run(source: Path, cache_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / source.name
    shutil.copy(source, copy)
    if source == COMPRESSION_BIB:
        shutil.copy(REPO / "bib2table.toml", tmp_path / "bib2table.toml")
    fresh = run(copy, cache=False)
    assert not cache_dir.exists()
    first = run(copy)
    assert [p.name for p in cache_dir.iterdir() if p.suffix == ".sqlite3"] == ["cache.sqlite3"]
    assert all(rows(cache_dir, table) for table in TABLES)
    again = run(copy)
    assert fresh == first == again


def test_one_database_for_every_input(cache_dir: Path, tmp_path: Path) -> None:
    """Inputs share the database, and a copy of an input in another folder (another checkout)
    finds all its rows."""
    first = tmp_path / "a" / "refs.bib"
    first.parent.mkdir()
    shutil.copy(TUGBOAT, first)
    run(first)
    size = {table: len(rows(cache_dir, table)) for table in TABLES}
    second = tmp_path / "b" / "refs.bib"
    second.parent.mkdir()
    shutil.copy(TUGBOAT, second)
    loaded = load(second)
    assert loaded.cache is not None
    assert loaded.cache.misses == dict.fromkeys(TABLES, 0)
    render_all(loaded, loaded.catalogue, FORMATS)
    assert {table: len(rows(cache_dir, table)) for table in TABLES} == size
    assert [p for p in cache_dir.iterdir() if not p.name.startswith("cache.sqlite3")] == []


def test_an_edit_redoes_only_the_edited_entry(cache_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "c.bib"
    shutil.copy(COMPRESSION_BIB, copy)
    run(copy)
    text = copy.read_text(encoding="utf-8")
    copy.write_text(text.replace("{Optimal Brain Damage}", "{Optimal Brain Damage, edited}"))
    loaded = load(copy)
    store = loaded.cache
    assert store is not None
    assert store.misses["blocks"] == 1, "one stretch of the file is read again"
    assert store.misses["entries"] == 1, "one entry is decoded again"
    outputs = render_all(loaded, loaded.catalogue, FORMATS)
    assert store.misses["fragments"] == len(FORMATS), "one row per format is rendered again"
    assert all("Optimal Brain Damage, edited" in o.text for o in outputs)
    assert [o.text for o in outputs] == run(copy, cache=False)[0]


def test_lines_moving_keep_the_rows(cache_dir: Path, tugboat: Path) -> None:
    """Lines added above entries move them, but their rows do not show lines: kept."""
    run(tugboat)
    tugboat.write_text("\n\n% a comment\n\n" + tugboat.read_text("utf-8"), encoding="utf-8")
    loaded = load(tugboat)
    assert loaded.cache is not None
    render_all(loaded, loaded.catalogue, FORMATS)
    assert loaded.cache.misses["fragments"] == 0
    assert loaded.cache.misses["blocks"] == 1  # the first stretch, which holds the new lines
    fresh, problems = run(tugboat, cache=False)
    assert run(tugboat) == (fresh, problems)


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda data: b"",
    "truncated": lambda data: data[: len(data) // 2],
    "header only": lambda data: data[:100],
    "garbage": lambda data: b"\x00garbage\xff" * 1000,
    "flipped bytes": lambda data: (
        data[:4096] + bytes(b ^ 0x5A for b in data[4096:8192]) + data[8192:]
    ),
    "json": lambda data: b"[[1], {}",
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_database_is_rebuilt(
    damage: str, cache_dir: Path, tugboat: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    expected = run(tugboat, cache=False)
    run(tugboat)
    path = database(cache_dir)
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    assert run(tugboat) == expected
    assert run(tugboat) == expected
    assert intact(cache_dir)
    assert all(rows(cache_dir, table) for table in TABLES)
    assert capfd.readouterr().err == ""


def test_another_programs_database_is_replaced(cache_dir: Path, tugboat: Path) -> None:
    cache_dir.mkdir()
    with connect(cache_dir) as db:
        db.execute("CREATE TABLE blocks (something TEXT)")
        db.execute("INSERT INTO blocks VALUES ('else')")
    expected = run(tugboat, cache=False)
    assert run(tugboat) == expected
    assert run(tugboat) == expected
    assert all(rows(cache_dir, table) for table in TABLES)


def test_damaged_side_files_are_survived(cache_dir: Path, tugboat: Path) -> None:
    expected = run(tugboat, cache=False)
    run(tugboat)
    for suffix in ("-wal", "-shm"):
        Path(f"{database(cache_dir)}{suffix}").write_bytes(b"\xff" * 5000)
        assert run(tugboat) == expected


WRONG_SHAPES = [
    "null",
    "1",
    '"text"',
    "[]",
    "{}",
    "[1, 2, 3]",
    "[[], [], [], [], []]",
    "[[[]],[null]]",
]


@pytest.mark.parametrize("table", ["blocks", "entries"])
@pytest.mark.parametrize("value", WRONG_SHAPES)
def test_a_value_of_the_wrong_shape_is_ignored(
    table: str, value: str, cache_dir: Path, tugboat: Path
) -> None:
    expected = run(tugboat, cache=False)
    run(tugboat)
    assert rewrite(cache_dir, table, lambda _: value)
    assert run(tugboat) == expected
    assert run(tugboat) == expected


def _shift(field: int, change: Callable[[object], object]) -> Callable[[str], str]:
    def edit(text: str) -> str:
        value = json.loads(text)
        value[field] = change(value[field])
        return json.dumps(value)

    return edit


RECORD_EDITS = {
    "cells of another length": _shift(0, lambda cells: [*cells, "extra"]),  # type: ignore[misc]
    "a number for a cell": _shift(0, lambda cells: [1 for _ in cells]),  # type: ignore[attr-defined]
    "a year as text": _shift(8, lambda year: "1999"),
    "keywords not a list": _shift(2, lambda keywords: "pruning"),
    "links of the wrong shape": _shift(9, lambda links: [["URL"]]),
}


@pytest.mark.parametrize("edit", RECORD_EDITS)
def test_a_record_edited_out_of_shape_is_ignored(edit: str, cache_dir: Path, tugboat: Path) -> None:
    expected = run(tugboat, cache=False)
    run(tugboat)
    assert rewrite(cache_dir, "entries", RECORD_EDITS[edit])
    assert run(tugboat) == expected


def test_a_block_out_of_its_stretch_is_ignored(cache_dir: Path, tugboat: Path) -> None:
    expected = run(tugboat, cache=False)
    run(tugboat)

    def move(text: str) -> str:
        kept, reads = json.loads(text)
        for block in kept:
            block[3] = 10**9  # ends far beyond its stretch
        return json.dumps([kept, reads])

    assert rewrite(cache_dir, "blocks", move)
    assert run(tugboat) == expected


def test_fields_of_the_wrong_shape_are_read_again(cache_dir: Path, tugboat: Path) -> None:
    """An entry's fields are decoded only when needed; bad ones are read from the file."""
    expected = run(tugboat, cache=False)
    run(tugboat)
    rewrite(cache_dir, "entries", lambda _: "null")  # so that the fields are needed

    def spoil(text: str) -> str:
        kept, reads = json.loads(text)
        for read in reads:
            if read and read[0] == "entry":
                read[5] = '[["title"], [1]]'
        return json.dumps([kept, reads])

    assert rewrite(cache_dir, "blocks", spoil)
    assert run(tugboat) == expected


UNSAFE = "javascript:alert(1)"


def test_an_unsafe_link_in_a_cached_record_reaches_no_output(
    cache_dir: Path, tugboat: Path
) -> None:
    expected = run(tugboat, cache=False)
    run(tugboat)

    def poison(text: str) -> str:
        value = json.loads(text)
        value[1] = UNSAFE
        value[9] = [["URL", UNSAFE, UNSAFE]]
        return json.dumps(value)

    rewrite(cache_dir, "fragments", lambda _: "")  # so that the rows are rendered again
    assert rewrite(cache_dir, "entries", poison)
    outputs, problems = run(tugboat)
    assert not any(UNSAFE in text for text in outputs)
    assert (outputs, problems) == expected


ROW_POISON = {
    "html": [
        (r'href="https?://[^"]*"', f'href="{UNSAFE}"'),
        (r'href="https?://[^"]*"', 'href="jav&#97;script:alert(1)"'),
        (r"<td>", '<td onmouseover="alert(1)">'),
        (r"<td>", "<td><script>alert(1)</script>"),
        (r"</tr>", "</tr><a href=javascript:alert(1)>"),
        (r"<td>", '<td title=">" onclick="alert(1)">'),
    ],
    "markdown": [
        (r"\]\(https?://[^)]*\)", f"]({UNSAFE})"),
        (r"^\| ", "| <img src=x onerror=alert(1)> "),
    ],
    "csv": [
        (r"https?://[^,\r\n]*", UNSAFE),
        (r"^", "=HYPERLINK(1),"),
        (r"^", '"=1+1",'),
    ],
}


@pytest.mark.parametrize(
    ("fmt", "pattern", "replacement"),
    [(fmt, p, r) for fmt, edits in ROW_POISON.items() for p, r in edits],
)
def test_a_hand_edited_row_is_not_reused(
    fmt: str, pattern: str, replacement: str, cache_dir: Path, tugboat: Path
) -> None:
    expected = run(tugboat, cache=False)
    run(tugboat)
    marker = {"html": "<tr", "markdown": "|", "csv": ""}[fmt]
    header = {"html": "", "markdown": "| Year", "csv": "Year,"}[fmt]

    def poison(text: str) -> str:
        if not text.startswith(marker) or (header and text.startswith(header)):
            return text
        if fmt == "csv" and (text.startswith(("<tr", "|"))):
            return text
        return re.sub(pattern, replacement, text, count=1, flags=re.MULTILINE)

    assert rewrite(cache_dir, "fragments", poison)
    assert run(tugboat) == expected


def test_a_code_change_is_seen(cache_dir: Path, tmp_path: Path) -> None:
    """A copy of bib2table whose Markdown template differs does not reuse the other's rows,
    and its own rows are kept for itself."""
    copy = tmp_path / "copy"
    shutil.copytree(REPO / "src", copy / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "templates", copy / "templates")
    source = tmp_path / "t.bib"
    shutil.copy(TUGBOAT, source)

    def markdown(root: Path) -> str:
        env = dict(os.environ, PYTHONPATH=str(root / "src"))
        command = [sys.executable, "-m", "bib2table", str(source), "--md"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        return done.stdout

    original = markdown(REPO)
    assert markdown(copy) == original
    template = copy / "templates" / "catalogue.md.jinja2"
    text = template.read_text("utf-8")
    template.write_text(
        text.replace("{% endfor %}|\n{% endblock %}", "{% endfor %}|\n\n{% endblock %}")
    )
    changed = markdown(copy)
    assert changed != original
    assert markdown(copy) == changed
    assert markdown(REPO) == original


def test_string_changes_reach_cached_entries(cache_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "s.bib"
    copy.write_text('@string{j = "Old Journal"}\n@article{k, journal = j, title = {T}}\n')
    assert "Old Journal" in run(copy)[0][2]
    copy.write_text('@string{j = "New Journal"}\n@article{k, journal = j, title = {T}}\n')
    assert "New Journal" in run(copy)[0][2]


def test_concurrent_runs_share_the_database(cache_dir: Path, tmp_path: Path) -> None:
    """Six processes start on an empty cache at once, with different inputs and formats;
    then six more on the filled one. Every output is the --no-cache output."""
    sources = []
    for n, original in enumerate([COMPRESSION_BIB, TUGBOAT, COMPRESSION_BIB]):
        source = tmp_path / f"in{n}" / original.name
        source.parent.mkdir()
        shutil.copy(original, source)
        sources.append(source)
    expected = {
        (source, fmt): build(source, [fmt], cache=False)[1][0].text
        for source in sources
        for fmt in FORMATS
    }
    env = dict(os.environ, BIB2TABLE_CACHE_DIR=str(cache_dir))
    for round_ in range(2):
        runs = []
        for n in range(6):
            source, fmt = sources[n % 3], FORMATS[n % 3]
            target = tmp_path / f"out{round_}-{n}{EXTENSIONS[fmt]}"
            command = [
                sys.executable,
                "-m",
                "bib2table",
                str(source),
                f"--{fmt}",
                "-o",
                str(target),
            ]
            process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
            runs.append((process, source, fmt, target))
        for process, source, fmt, target in runs:
            _, stderr = process.communicate(timeout=300)
            assert process.returncode == 0, stderr
            assert target.read_bytes() == expected[source, fmt].encode("utf-8")
    assert intact(cache_dir)
    assert not [p for p in cache_dir.iterdir() if p.suffix == ".tmp"]


def test_an_unusable_database_is_skipped(cache_dir: Path, tugboat: Path) -> None:
    """A database another run holds locked, or one that cannot be written: the run goes on
    without the cache, with the same output."""
    expected = run(tugboat, cache=False)
    run(tugboat)
    holder = sqlite3.connect(database(cache_dir), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        tugboat.write_text(tugboat.read_text("utf-8").replace("TUGboat", "TUG boat"), "utf-8")
        assert run(tugboat) == run(tugboat, cache=False)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert intact(cache_dir)
    del expected


def test_cache_counts_only_what_this_run_used(cache_dir: Path) -> None:
    store = Cache()
    assert store.get_many("entries", [store.key("nothing")]) == {}
    assert not database(cache_dir).exists(), "a lookup in no database creates none"
    store.put("entries", store.key("a"), [1, "two"])
    store.save()
    assert Cache().get("entries", store.key("a")) == [1, "two"]


def test_a_changed_user_template_is_seen(cache_dir: Path, tmp_path: Path) -> None:
    """A template's rows are kept by the text of the template and of what it includes."""
    source = tmp_path / "t.bib"
    shutil.copy(TUGBOAT, source)
    folder = tmp_path / "tpl"
    folder.mkdir()
    template = folder / "page.md.jinja2"
    template.write_text(
        '{% extends "default/catalogue.md.jinja2" %}\n'
        "{% block row %}{% include 'cell.txt' %} {{ entry.key|md_escape }}\n{% endblock %}\n",
        encoding="utf-8",
    )
    part = folder / "cell.txt"

    def markdown(cache: bool = True) -> str:
        return build(source, ["markdown"], template=template, cache=cache)[1][0].text

    part.write_text("first", encoding="utf-8")
    assert "first " in markdown() and markdown() == markdown(cache=False)
    part.write_text("second", encoding="utf-8")
    assert "second " in markdown() and "first " not in markdown()
    template.write_text(template.read_text("utf-8").replace("{{ entry.key", "= {{ entry.key"))
    assert "second = " in markdown()
    assert markdown() == markdown(cache=False)


def test_a_row_cannot_see_what_other_entries_change(cache_dir: Path, tmp_path: Path) -> None:
    from bib2table.errors import TemplateError

    source = tmp_path / "t.bib"
    shutil.copy(TUGBOAT, source)
    template = tmp_path / "page.md.jinja2"
    for used in ("entry.line", "catalogue.entries|length", "catalogue.categories[0].count"):
        template.write_text(
            '{% extends "default/catalogue.md.jinja2" %}\n'
            f"{{% block row %}}{{{{ {used} }}}}\n{{% endblock %}}\n",
            encoding="utf-8",
        )
        with pytest.raises(TemplateError, match=r"page\.md\.jinja2"):
            build(source, ["markdown"], template=template, cache=False)


def test_the_pipeline_names_every_format_without_loading_templates() -> None:
    """``pipeline.EXTENSIONS`` is written out (so that importing the pipeline does not import
    jinja2); it must say what the formats say."""
    from bib2table.outputs.render import FORMATS

    assert {name: fmt.extension for name, fmt in FORMATS.items()} | {"bib": ".bib"} == EXTENSIONS
