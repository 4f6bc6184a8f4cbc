"""A fresh run after an edit splices the changed entries into the last run's outputs, and
writes byte for byte what ``--no-cache`` writes; a snapshot that breaks the rules is not used.

Hypothesis edits a bibliography longer than the page's first rows (so that most edited entries
are spliced) step by step, mostly titles, but also adding, deleting and moving entries,
changing an ``@string``, keywords and the settings; after every step the command's outputs,
messages and exit status with the cache are those of a run without it.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from hypothesis import strategies as st

from bib2table import snapshot
from bib2table.cache import Cache
from test_cache_edits import (
    KEYWORDS,
    SETTINGS,
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

retitles = st.tuples(st.just("retitle"), st.integers(0, 40), titles)
local_edits = st.one_of(retitles, retitles, retitles, edits)


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


@over_edit_sequences(st.integers(26, 32), local_edits, 6)
def test_a_fresh_run_after_any_edits_writes_what_no_cache_writes(
    tmp_path_factory: pytest.TempPathFactory, start: int, steps: list[tuple[object, ...]]
) -> None:
    folder = tmp_path_factory.mktemp("snap")
    os.environ["BIB2TABLE_CACHE_DIR"] = str(folder / "cache")
    bib = _bib(start)
    for edit in [("start",), *steps]:
        apply(bib, edit)
        source = _write(bib, folder)
        assert _outputs(source, folder / "a", True) == _outputs(source, folder / "b", False), edit


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


def test_edits_that_reach_other_entries_are_read_in_full(tmp_path: Path) -> None:
    """A new keyword, a changed @string, a moved entry or an edit among the first rows: no
    splice, and the outputs are still those of a run without the cache."""
    os.environ["BIB2TABLE_CACHE_DIR"] = str(tmp_path / "cache")
    changes = [
        ("keyword", 30, "fonts"),
        ("string", "Other {J}ournal"),
        ("move", 30, 33),
        ("retitle", 3, "Early"),
        ("add", 31, "New", "pruning", 2001, False),
    ]
    for number, change in enumerate(changes):
        folder = tmp_path / str(number)
        folder.mkdir()
        bib = _bib(40)
        bib.entries[30]["keywords"] = "pruning"
        source = _write(bib, folder)
        _outputs(source, folder / "a", True)
        apply(bib, change)
        _write(bib, folder)
        assert snapshot.splice(Cache(), source, None, FORMATS) is None, change
        assert _outputs(source, folder / "a", True) == _outputs(source, folder / "b", False)


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
    """A hand-edited snapshot costs time, never an unsafe output."""
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
        "UPDATE snapshots SET body = ?", (body.replace(was.encode(), now.encode(), 1),)
    )
    database.commit()
    database.close()
    assert snapshot.splice(Cache(), source, None, FORMATS) is None
    assert _outputs(source, tmp_path / "a", True) == _outputs(source, tmp_path / "b", False)


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
