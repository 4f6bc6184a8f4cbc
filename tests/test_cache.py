"""The on-disk cache only ever saves time: outputs and problems are the same with or without it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bib2table import build
from bib2table.bibtex.parse import parse_file
from bib2table.cache import Cache
from paths import COMPRESSION_BIB, REPO

TUGBOAT = REPO / "tests" / "data" / "texlive" / "tugboat-excerpt.bib"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("BIB2TABLE_CACHE_DIR", str(folder))
    return folder


def run(source: Path, cache: bool = True) -> tuple[list[str], list[str]]:
    catalogue, outputs = build(source, ["html", "markdown", "csv"], cache=cache)
    return [o.text for o in outputs], [str(p) for p in catalogue.problems]


@pytest.mark.parametrize("source", [COMPRESSION_BIB, TUGBOAT], ids=["compression", "tugboat"])
def test_cached_run_equals_fresh_run(source: Path, cache_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / source.name
    shutil.copy(source, copy)
    if source == COMPRESSION_BIB:
        shutil.copy(REPO / "bib2table.toml", tmp_path / "bib2table.toml")
    fresh = run(copy, cache=False)
    assert not cache_dir.exists()
    first = run(copy)
    assert len(list(cache_dir.glob("*.cache"))) == 1
    again = run(copy)
    assert fresh == first == again


def test_an_edit_rereads_only_the_edited_entry(cache_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "c.bib"
    shutil.copy(COMPRESSION_BIB, copy)
    run(copy)
    text = copy.read_text(encoding="utf-8")
    copy.write_text(text.replace("{Optimal Brain Damage}", "{Optimal Brain Damage, edited}"))
    cache = Cache(copy)
    parsed = parse_file(copy, cache=cache)
    assert cache.misses == 1
    assert cache.hits == len(parsed.entries) - 1
    outputs, _ = run(copy)
    assert "Optimal Brain Damage, edited" in outputs[0]


def test_a_damaged_cache_is_ignored(cache_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "t.bib"
    shutil.copy(TUGBOAT, copy)
    expected = run(copy, cache=False)
    run(copy)
    (cache_file,) = cache_dir.glob("*.cache")
    cache_file.write_bytes(cache_file.read_bytes()[:100])
    assert run(copy) == expected
    cache_file.write_text('[[1, "other version"], {}]')
    assert run(copy) == expected


def test_string_changes_reach_cached_entries(cache_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "s.bib"
    copy.write_text('@string{j = "Old Journal"}\n@article{k, journal = j, title = {T}}\n')
    assert "Old Journal" in run(copy)[0][2]
    copy.write_text('@string{j = "New Journal"}\n@article{k, journal = j, title = {T}}\n')
    assert "New Journal" in run(copy)[0][2]


def test_concurrent_runs_all_succeed(cache_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "c.bib"
    shutil.copy(COMPRESSION_BIB, copy)
    env = dict(os.environ, BIB2TABLE_CACHE_DIR=str(cache_dir))
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bib2table",
                str(copy),
                "--csv",
                "-o",
                str(tmp_path / f"{n}.csv"),
            ],
            env=env,
            stderr=subprocess.PIPE,
        )
        for n in range(6)
    ]
    for process in runs:
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
    outputs = {(tmp_path / f"{n}.csv").read_bytes() for n in range(6)}
    assert len(outputs) == 1
    (cache_file,) = cache_dir.glob("*.cache")
    json.loads(cache_file.read_text(encoding="utf-8"))
    assert list(cache_dir.glob("*.tmp")) == []
