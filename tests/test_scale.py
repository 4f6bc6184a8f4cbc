"""Large inputs are built within the stated memory budget, or refused at once, with a message.

bib2table builds up to 500,000 entries and 256 MB of input in about 4 GB of memory (README,
Safety); beyond that — a million tiny entries, say — it says so and stops before any work,
never with an unexpected error. The full-size run (500,000 tiny entries, peak memory measured)
takes minutes: ``BIB2TABLE_SLOW=1``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bib2table import build
from bib2table.bibtex import parse
from bib2table.errors import InputError

SLOW = bool(os.environ.get("BIB2TABLE_SLOW"))


def tiny(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            out.write(f"@misc{{k{i}, title={{T{i}}}}}\n")
    return path


def run(source: Path, tmp_path: Path, *options: str) -> tuple[int, str, int]:
    """Exit status, standard error, and peak resident memory (MiB) of a real run."""
    env = dict(os.environ, BIB2TABLE_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("BIB2TABLE_DEBUG", None)
    command = [sys.executable, "-m", "bib2table", str(source), *options]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    stderr = process.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(process.pid, 0)
    return os.waitstatus_to_exitcode(status), stderr, int(usage.ru_maxrss / 1024)


def test_too_many_entries_are_refused_at_once(tmp_path: Path) -> None:
    source = tiny(tmp_path / "huge.bib", parse.MAX_ENTRIES + 1)
    status, stderr, _ = run(source, tmp_path, "--html", "-o", str(tmp_path / "out.html"))
    assert status == 1
    limit = parse.MAX_ENTRIES
    assert f"{limit + 1:,} entries; bib2table builds up to {limit:,}" in stderr
    assert "split it into several files" in stderr
    assert "Traceback" not in stderr and "unexpected error" not in stderr
    assert not (tmp_path / "out.html").exists()


@pytest.mark.parametrize("cache", [True, False])
def test_too_large_a_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: bool
) -> None:
    monkeypatch.setenv("BIB2TABLE_CACHE_DIR", str(tmp_path / "cache"))
    source = tiny(tmp_path / "big.bib", 100)
    monkeypatch.setattr(parse, "MAX_INPUT_BYTES", 1000)
    with pytest.raises(InputError, match="is larger than"):
        build(source, ["html"], cache=cache)
    monkeypatch.setattr(parse, "MAX_INPUT_BYTES", 10**6)
    monkeypatch.setattr(parse, "MAX_ENTRIES", 99)
    with pytest.raises(InputError, match="has 100 entries; bib2table builds up to 99"):
        build(source, ["html"], cache=cache)


@pytest.mark.skipif(not SLOW, reason="minutes long: BIB2TABLE_SLOW=1")
@pytest.mark.parametrize("cache", [False, True])
def test_the_most_entries_within_four_gigabytes(tmp_path: Path, cache: bool) -> None:
    source = tiny(tmp_path / "million.bib", parse.MAX_ENTRIES)
    options = ["--html", "--md", "--csv", "--out-dir", str(tmp_path / "out")]
    status, stderr, peak = run(source, tmp_path, *options, *([] if cache else ["--no-cache"]))
    assert status == 0, stderr[-2000:]
    assert peak <= 4096, f"peak memory {peak} MiB"
    html = (tmp_path / "out" / "million.html").read_text(encoding="utf-8")
    assert html.count('<tr id="k') == parse.MAX_ENTRIES


def test_a_million_tiny_entries_are_refused_at_once(tmp_path: Path) -> None:
    source = tiny(tmp_path / "million.bib", 1_000_000)
    status, stderr, peak = run(source, tmp_path, "--html", "-o", str(tmp_path / "out.html"))
    assert status == 1
    assert "1,000,000 entries; bib2table builds up to" in stderr
    assert "Traceback" not in stderr and "unexpected error" not in stderr
    assert peak < 1024, "refused before any work"
