"""A fresh run after an edit splices the changed entries into the last run's outputs, and
writes byte for byte what ``--no-cache`` writes; a snapshot that breaks the rules is not used.

Hypothesis edits a bibliography longer than the page's first rows step by step: titles
(among the first rows too), entries added (at the start, in the middle, at the end), deleted,
moved and renamed, lines added to an entry or taken from it, years, keywords and addresses
changed, an ``@string`` and the settings changed; after every step the command's outputs,
messages and exit status with the cache are those of a run without it. With a snapshot kept
after every run, each edit of the kinds the snapshot takes is asserted to have been spliced,
reading only the page's first rows and the new entries, unless it makes other categories.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from bib2table import snapshot
from bib2table.cache import Cache
from bib2table.pipeline import build
from paths import REPO
from test_cache_edits import (
    KEYWORDS,
    SETTINGS,
    URLS,
    Bib,
    apply,
    edits,
    over_edit_sequences,
    save,
    titles,
)
from toolkit import run

FORMATS = ["html", "markdown", "csv"]
EXTENSIONS = [".html", ".md", ".csv"]
#: The edits a snapshot takes (when they touch nothing that the page numbers by first use).
SPLICED = {"add", "delete", "move", "retitle", "rekey", "lines", "year", "keyword", "url"}

retitles = st.tuples(st.just("retitle"), st.integers(0, 60), titles)
adds = st.tuples(
    st.just("add"),
    st.sampled_from([0, 1, 30, 59, 60, 61, 62]),  # the start, the middle, the end
    titles,
    st.sampled_from(KEYWORDS),
    st.integers(1990, 2030),
    st.booleans(),
)
local_edits = st.one_of(
    retitles,
    adds,
    st.tuples(st.just("delete"), st.integers(0, 60)),
    st.tuples(st.just("move"), st.integers(0, 60), st.integers(0, 60)),
    st.tuples(st.just("rekey"), st.integers(0, 60)),
    st.tuples(st.just("lines"), st.integers(0, 60), st.integers(0, 3)),
    st.tuples(st.just("year"), st.integers(0, 60), st.integers(1990, 2030)),
    st.tuples(st.just("url"), st.integers(0, 60), st.sampled_from(URLS)),
    edits,
)


def _bib(count: int) -> Bib:
    bib = Bib()
    for n in range(count):
        bib.add(n, f"Paper {n}", KEYWORDS[n % len(KEYWORDS)], 2000 + n % 7, n % 2 == 0)
    return bib


def _write(bib: Bib, folder: Path) -> Path:
    return save(bib, folder / "refs.bib")


def _outputs(source: Path, out: Path, cache: bool) -> tuple[int, str, list[str]]:
    """The exit status, the messages (the output folder named OUT) and the outputs."""
    result = run(
        source, "--html", "--markdown", "--csv", "--out-dir", out, *[] if cache else ["--no-cache"]
    )
    said = result.output.replace(str(out), "OUT")
    texts = [(out / f"refs{ext}").read_bytes().decode() for ext in EXTENSIONS]
    return result.exit_code, said, texts


def _copy(bib: Bib) -> Bib:
    return Bib([dict(e) for e in bib.entries], dict(bib.strings), bib.settings, bib.made)


def _spliceable(before: Bib, after: Bib, edit: tuple[Any, ...]) -> bool:
    """Whether the snapshot of ``before`` must take ``edit``: an edit of entries alone, in
    settings that keep the file's order, which keeps the categories."""
    if edit[0] not in SPLICED or before.settings != after.settings:
        return False
    if before.settings == SETTINGS[3] or not before.entries or not after.entries:
        return False  # sorted; an empty catalogue
    words = [{e["keywords"] for e in b.entries} for b in (before, after)]
    return before.settings == SETTINGS[2] or words[0] == words[1]


@pytest.fixture
def spliced(monkeypatch: pytest.MonkeyPatch) -> list[snapshot.Spliced | None]:
    """What each run's :func:`snapshot.splice` gave, in order."""
    found: list[snapshot.Spliced | None] = []
    real: Callable[..., snapshot.Spliced | None] = snapshot.splice

    def spy(*args: Any) -> snapshot.Spliced | None:
        made = real(*args)
        found.append(made)
        return made

    monkeypatch.setattr(snapshot, "splice", spy)
    return found


@over_edit_sequences(st.tuples(st.integers(30, 40), st.booleans()), local_edits, 6)
def test_a_fresh_run_after_any_edits_writes_what_no_cache_writes(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    spliced: list[snapshot.Spliced | None],
    start: tuple[int, bool],
    steps: list[tuple[object, ...]],
) -> None:
    """With ``every``, each run keeps its outputs (so that the snapshot is the last step's)
    and the edits the snapshot takes are asserted to be spliced; else the edits add up
    against an older snapshot, as they do by default."""
    count, every = start
    monkeypatch.setattr(snapshot, "RESAVE", -1 if every else 3)
    folder = tmp_path_factory.mktemp("snap")
    os.environ["BIB2TABLE_CACHE_DIR"] = str(folder / "cache")
    bib = _bib(count)
    bib.entries[-2]["url"] = URLS[1]  # a warning: its line moves with the edits above it
    for edit in [("start",), *steps]:
        before = _copy(bib)
        apply(bib, edit)
        source = _write(bib, folder)
        spliced.clear()
        cached = _outputs(source, folder / "a", True)
        assert cached == _outputs(source, folder / "b", False), edit
        (made,) = spliced
        if every and edit[0] != "start" and _spliceable(before, bib, edit):
            assert made is not None, edit
            assert made.read <= snapshot.PREVIEW + 2, edit
        if made is not None:
            assert made.entries == len(bib.entries)


def test_a_title_edit_is_spliced_into_the_last_outputs(tmp_path: Path) -> None:
    os.environ["BIB2TABLE_CACHE_DIR"] = str(tmp_path / "cache")
    for number, config in enumerate([None, SETTINGS[2]]):
        folder = tmp_path / str(number)
        folder.mkdir()
        bib = _bib(40)
        bib.settings = config
        source = _write(bib, folder)
        _outputs(source, folder / "a", True)
        bib.entries[30]["title"] = 'Edited <b>x</b> & {\\"o}'
        _write(bib, folder)
        made = snapshot.splice(Cache(), source, None, FORMATS)
        assert made is not None
        fresh = _outputs(source, folder / "b", False)
        assert [o.text for o in made.outputs] == fresh[2]
        assert "Edited &lt;b&gt;x&lt;/b&gt; &amp; \u00f6" in made.outputs[0].text
        assert made.read == snapshot.PREVIEW + 1
        assert _outputs(source, folder / "a", True) == fresh
        # Unchanged since: the snapshot as it is.
        again = snapshot.splice(Cache(), source, None, FORMATS)
        assert again is not None
        assert [o.text for o in again.outputs] == fresh[2]
        # Edits since the snapshot add up, and several at once make a new one.
        for round_ in range(3):
            for number in range(26 + round_, 40, 3):
                bib.entries[number]["title"] = f"Round {round_} {number}"
            _write(bib, folder)
            assert snapshot.splice(Cache(), source, None, FORMATS) is not None
            assert _outputs(source, folder / "a", True) == _outputs(source, folder / "b", False)


#: Edits the snapshot takes: each is spliced, and gives what a run without the cache gives.
TAKEN = [
    ("retitle", 3, "Among the first rows"),
    ("retitle", 0, "The first with the journal"),  # where the venue is numbered, kept
    ("delete", 0),  # the first with the journal: its venue is numbered at the next one
    ("add", 0, "Now the first with the journal", "pruning", 2001, True),
    ("add", 0, "Before every other", "pruning", 2001, False),
    ("add", 31, "In the middle, with the journal", "fonts", 2003, True),
    ("add", 40, "After every other", "pruning", 2002, True),
    ("delete", 35),
    ("delete", 39),
    ("delete", 1),
    ("move", 30, 35),
    ("move", 33, 3),
    ("rekey", 30),
    ("lines", 31, 3),
    ("lines", 5, 2),
    ("year", 31, 1950),  # a new first year: the chart grows
    ("year", 31, 2030),
    ("keyword", 31, "fonts"),
    ("url", 33, "ftp://example.org/x"),  # a warning, at the entry's line
]


@pytest.mark.parametrize("change", TAKEN, ids=[" ".join(map(str, c)) for c in TAKEN])
def test_edits_of_entries_are_spliced(tmp_path: Path, change: tuple[Any, ...]) -> None:
    os.environ["BIB2TABLE_CACHE_DIR"] = str(tmp_path / "cache")
    bib = _bib(40)
    bib.entries[37]["url"] = URLS[1]  # a warning below every edit: its line moves with them
    source = _write(bib, tmp_path)
    _outputs(source, tmp_path / "a", True)
    apply(bib, change)
    _write(bib, tmp_path)
    made = snapshot.splice(Cache(), source, None, FORMATS)
    assert made is not None
    assert made.read <= snapshot.PREVIEW + 2
    fresh = _outputs(source, tmp_path / "b", False)
    assert [o.text for o in made.outputs] == fresh[2]
    assert _outputs(source, tmp_path / "a", True) == fresh
    assert "warning:" in fresh[1]


#: Edits at the file's ends: the last stretch has no line break after it, so that a stretch
#: that becomes the last one, or stops being it, counts a line fewer or more than it did.
AT_THE_ENDS = [
    ("move", 39, 0),
    ("move", 0, 39),
    ("delete", 39),
    ("add", 39, "The last one", "fonts", 2004, False),
    ("move", 37, 39),
    ("delete", 0),
    ("move", 38, 1),
]


@pytest.mark.parametrize("every", [True, False], ids=["kept each run", "edits adding up"])
def test_edits_at_the_ends_of_the_file_keep_each_warning_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, every: bool
) -> None:
    monkeypatch.setattr(snapshot, "RESAVE", -1 if every else 3)
    os.environ["BIB2TABLE_CACHE_DIR"] = str(tmp_path / "cache")
    bib = _bib(40)
    for number in (0, 1, 20, 37, 38, 39):
        bib.entries[number]["url"] = URLS[1]  # a warning at each entry's line
    source = _write(bib, tmp_path)
    _outputs(source, tmp_path / "a", True)
    for change in AT_THE_ENDS:
        apply(bib, change)
        _write(bib, tmp_path)
        assert snapshot.splice(Cache(), source, None, FORMATS) is not None, change
        fresh = _outputs(source, tmp_path / "b", False)
        assert fresh[1].count("warning:") == sum(e.get("url") == URLS[1] for e in bib.entries)
        assert _outputs(source, tmp_path / "a", True) == fresh, change


#: Edits that reach other entries or the rest of the outputs: read in full.
REFUSED = [
    ("keyword", 30, "typesetting"),  # a new category
    ("string", "Other {J}ournal"),  # every entry with the journal
    ("settings", 3),  # sorted
    ("crossref", 30),  # an entry lends its fields to another
    ("unknown", 30),  # a LaTeX macro bib2table does not know
    ("second string", 30),  # a new @string among the entries
]


@pytest.mark.parametrize("change", REFUSED, ids=[" ".join(map(str, c)) for c in REFUSED])
def test_edits_that_reach_other_entries_are_read_in_full(
    tmp_path: Path, change: tuple[Any, ...]
) -> None:
    """No splice, and the outputs are still those of a run without the cache."""
    os.environ["BIB2TABLE_CACHE_DIR"] = str(tmp_path / "cache")
    bib = _bib(40)
    bib.entries[30]["keywords"] = "pruning"
    source = _write(bib, tmp_path)
    _outputs(source, tmp_path / "a", True)
    if change[0] == "crossref":
        bib.entries[change[1]]["crossref"] = bib.entries[change[1] + 1]["key"]
    elif change[0] == "unknown":
        bib.entries[change[1]]["title"] = "With \\wibble{} in it"
    if change[0] == "second string":
        text = bib.text().replace("@article{key32,", '@string{xy = "Z"}\n\n@article{key32,')
        source.write_text(text, encoding="utf-8")
    else:
        apply(bib, change)
        _write(bib, tmp_path)
    assert snapshot.splice(Cache(), source, None, FORMATS) is None
    assert _outputs(source, tmp_path / "a", True) == _outputs(source, tmp_path / "b", False)


#: Journals given by @string macros, one of them defined twice (the page numbers each value).
NUMBERED = """@string{ja = "Journal A"}
@string{jb = "Journal B"}

@article{first, title = {First}, journal = ja, year = 2001}

@string{ja = "Journal A, Second Series"}

""" + "".join(
    f"@article{{p{n}, title = {{Paper {n}}}, journal = {'jb' if n % 3 else 'ja'}, year = 2002}}\n\n"
    for n in range(40)
)


@pytest.mark.parametrize(
    "change",
    [
        (
            "@article{first,",
            "@article{new, title = {New}, journal = jb, year = 2003}\n\n@article{first,",
        ),
        ("@article{first, title = {First}, journal = ja, year = 2001}\n\n", ""),
        ("@article{p2, title", "@article{p2b, title = {B}, journal = ja}\n\n@article{p2, title"),
        (
            "@article{p30, title = {Paper 30}, journal = ja",
            "@article{p30, title = {Paper 30}, journal = jb",
        ),
    ],
    ids=["a journal first used further down", "the only one with a value", "before", "last"],
)
def test_venues_and_string_lines_are_numbered_anew(tmp_path: Path, change: tuple[str, str]) -> None:
    """An edit that changes which entry first uses a venue or an ``@string`` value: the page's
    numbering is made anew, every item with it, as a run without the snapshot numbers them."""
    os.environ["BIB2TABLE_CACHE_DIR"] = str(tmp_path / "cache")
    source = tmp_path / "refs.bib"
    source.write_text(NUMBERED, encoding="utf-8")
    _outputs(source, tmp_path / "a", True)
    assert change[0] in NUMBERED
    source.write_text(NUMBERED.replace(change[0], change[1], 1), encoding="utf-8")
    made = snapshot.splice(Cache(), source, None, FORMATS)
    assert made is not None
    fresh = _outputs(source, tmp_path / "b", False)
    assert [o.text for o in made.outputs] == fresh[2]
    assert _outputs(source, tmp_path / "a", True) == fresh


def test_the_first_rows_are_as_many_as_the_page_shows() -> None:
    """The snapshot reads the page's first rows again: as many as the template shows."""
    template = (REPO / "templates" / "catalogue.html.jinja2").read_text(encoding="utf-8")
    assert re.findall(r"catalogue\.entries\[:(\d+)\]", template) == [str(snapshot.PREVIEW)]


def test_the_run_notes_where_each_item_of_the_page_data_is(tmp_path: Path) -> None:
    """The spans kept with the outputs are written as the page is: each is one item."""
    import json

    bib = _bib(30)
    bib.entries[3]["title"] = "A <b>x</b> & \u2028 y"
    source = _write(bib, tmp_path)
    _, outputs = build(source, ["html"], cache=False)
    page = outputs[0]
    data = {}
    for name, key in (("page", "page-data"), ("cite", "cite-data")):
        placed = page.scripts[name]
        text = page.text[placed.start : placed.end]
        assert page.text[: placed.start].endswith(f'id="{key}">')
        data[name] = json.loads(text)
        items = [
            json.loads(text[a:b])
            for a, b in zip(placed.items[::2], placed.items[1::2], strict=True)
        ]
        assert items == data[name]["entries"]
    assert page.scripts["page"].firsts == (0,)  # the one venue, first used by the first entry
    assert page.scripts["cite"].firsts == (0,)


@pytest.mark.parametrize(
    ("was", "now"),
    [
        ("Paper 33", "<script>"),  # a row that is no longer in its strict form
        ('id="page-data">{', 'id="page-data"><'),  # the page's data read as markup
        ("<title>", "<style>"),  # the page around the rows
        ("<footer>", "<script>"),  # a script on the page
        ("[Paper 35]", "[Paper<35]"),  # a Markdown row
        ("Paper 36,", "=1+22+36,"),  # a spreadsheet formula in a CSV row
    ],
)
def test_a_snapshot_that_breaks_the_rules_is_not_used(tmp_path: Path, was: str, now: str) -> None:
    """A hand-edited snapshot costs time, never an unsafe output: it is not used, or what
    was changed is not in the outputs (the page around the rows is made anew)."""
    os.environ["BIB2TABLE_CACHE_DIR"] = str(tmp_path / "cache")
    bib = _bib(40)
    source = _write(bib, tmp_path)
    _outputs(source, tmp_path / "a", True)
    bib.entries[30]["title"] = "Edited"
    _write(bib, tmp_path)
    assert len(was) == len(now)
    database = sqlite3.connect(tmp_path / "cache" / "cache.sqlite3")
    (body,) = database.execute("SELECT body FROM snapshots").fetchone()
    assert was.encode() in body
    database.execute(
        "UPDATE snapshots SET body = ?, meta = meta", (body.replace(was.encode(), now.encode(), 1),)
    )
    database.commit()
    database.close()
    made = snapshot.splice(Cache(), source, None, FORMATS)
    fresh = _outputs(source, tmp_path / "b", False)
    assert made is None or [o.text for o in made.outputs] == fresh[2]
    assert _outputs(source, tmp_path / "a", True) == fresh


def test_a_damaged_snapshot_is_not_used(tmp_path: Path) -> None:
    os.environ["BIB2TABLE_CACHE_DIR"] = str(tmp_path / "cache")
    bib = _bib(30)
    source = _write(bib, tmp_path)
    _outputs(source, tmp_path / "a", True)
    bib.entries[28]["title"] = "Edited"
    _write(bib, tmp_path)
    database = sqlite3.connect(tmp_path / "cache" / "cache.sqlite3")
    for meta, body in [("{}", b"x"), ("[1", b""), ('{"formats": 3}', b"\xff\xfe")]:
        database.execute("UPDATE snapshots SET meta = ?, body = ?", (meta, body))
        database.commit()
        assert snapshot.splice(Cache(), source, None, FORMATS) is None
    database.close()
    assert _outputs(source, tmp_path / "a", True) == _outputs(source, tmp_path / "b", False)


@pytest.mark.parametrize("start", [b"\xef\xbb\xbf", b""], ids=["byte-order mark", "none"])
def test_a_file_read_as_utf8_is_spliced_and_one_that_is_not_is_read_in_full(
    tmp_path: Path, start: bytes
) -> None:
    os.environ["BIB2TABLE_CACHE_DIR"] = str(tmp_path / "cache")
    bib = _bib(30)
    bib.entries[28]["title"] = "Caf\u00e9"
    source = tmp_path / "refs.bib"
    source.write_bytes(start + bib.text().encode("utf-8"))
    _outputs(source, tmp_path / "a", True)
    bib.entries[27]["title"] = "Edited \u00e9t\u00e9"
    source.write_bytes(start + bib.text().encode("utf-8"))
    made = snapshot.splice(Cache(), source, None, FORMATS)
    assert made is not None
    fresh = _outputs(source, tmp_path / "b", False)
    assert [o.text for o in made.outputs] == fresh[2]
    # The same text in Windows-1252: read as the run reads it, with a warning, in full.
    source.write_bytes(start.replace(b"\xef\xbb\xbf", b"") + bib.text().encode("cp1252"))
    assert snapshot.splice(Cache(), source, None, FORMATS) is None
    assert _outputs(source, tmp_path / "a", True) == _outputs(source, tmp_path / "b", False)


def test_an_entry_moved_past_a_string_is_read_in_full(tmp_path: Path) -> None:
    """Below the second definition an entry sees the second value: moved above it, the first
    (its kept row and data would be wrong)."""
    os.environ["BIB2TABLE_CACHE_DIR"] = str(tmp_path / "cache")
    source = tmp_path / "refs.bib"
    source.write_text(NUMBERED, encoding="utf-8")
    _outputs(source, tmp_path / "a", True)
    entry = "@article{p0, title = {Paper 0}, journal = ja, year = 2002}\n\n"
    second = '@string{ja = "Journal A, Second Series"}\n\n'
    assert second + entry in NUMBERED
    source.write_text(NUMBERED.replace(second + entry, entry + second), encoding="utf-8")
    assert snapshot.splice(Cache(), source, None, FORMATS) is None
    fresh = _outputs(source, tmp_path / "b", False)
    assert _outputs(source, tmp_path / "a", True) == fresh
    assert "Journal A, Second Series" not in fresh[2][1].split("Paper 0")[1].split("\n")[0]
