"""``--watch``: rebuilds after a save, survives half-written saves, stops quietly on Ctrl-C.

The command runs as a real process for a few seconds while the test edits its files; every
wait is bounded, and the process is always ended.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bib2table.watch import watch
from toolkit import csv_records, run, write

ENTRY = """@article{{paper{n},
  author = {{Author, Number{n}}},
  title = {{Paper {n}}},
  journal = {{Journal}},
  year = {{20{n:02d}}},
  url = {{https://example.org/{n}}},
  keywords = {{topic}}
}}
"""


def bib(count: int) -> str:
    return "\n".join(ENTRY.format(n=n) for n in range(1, count + 1))


def wait_for(condition: Callable[[], bool], seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def rows(path: Path) -> int:
    try:
        return len(csv_records(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return -1


class Watcher:
    """``bib2table … --watch`` running in the background, its standard error in a file."""

    def __init__(self, folder: Path, *args: str) -> None:
        self.log = folder / "watch.log"
        self.stream = self.log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bib2table", *args, "--watch"],
            cwd=folder,
            stdout=self.stream,
            stderr=subprocess.STDOUT,
        )

    @property
    def said(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def alive(self) -> bool:
        return self.process.poll() is None

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=15)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=15)
        self.stream.close()


@pytest.fixture
def watcher(tmp_path: Path) -> Iterator[Callable[..., Watcher]]:
    started: list[Watcher] = []

    def start(*args: str) -> Watcher:
        started.append(Watcher(tmp_path, *args))
        return started[-1]

    yield start
    for one in started:
        one.close()


def test_rebuilds_and_survives_half_written_saves(
    tmp_path: Path, watcher: Callable[..., Watcher]
) -> None:
    source = write(tmp_path / "refs.bib", bib(3))
    out = tmp_path / "out.csv"
    running = watcher("refs.bib", "--csv", "-o", "out.csv")
    assert wait_for(lambda: rows(out) == 3), running.said
    good = out.read_bytes()

    source.write_text("", encoding="utf-8")  # an editor truncates first …
    time.sleep(1.2)
    assert running.alive(), running.said
    assert out.read_bytes() == good, "an emptied input does not empty the catalogue"

    text = bib(4)
    source.write_text(text[: len(text) * 2 // 3], encoding="utf-8")  # … then writes part of it
    time.sleep(1.2)
    assert running.alive(), running.said
    assert out.read_bytes() == good, "a half-written input replaces no output"

    source.write_text(text, encoding="utf-8")  # … and the rest
    assert wait_for(lambda: rows(out) == 4), running.said

    write(tmp_path / "bib2table.toml", '[categories]\ntopic = "The Topic"\n')
    assert wait_for(lambda: "The Topic" in out.read_text(encoding="utf-8")), running.said

    assert running.interrupt() == 0
    said = running.said
    assert "Traceback" not in said
    assert "bib2table: watching refs.bib" in said
    assert "does not read cleanly; outputs left as they were until it does" in said
    assert "block is not closed" in said
    assert said.count("bib2table: wrote out.csv") == 3


def test_a_burst_of_writes_is_one_rebuild(tmp_path: Path, watcher: Callable[..., Watcher]) -> None:
    source = write(tmp_path / "refs.bib", bib(2))
    out = tmp_path / "out.csv"
    running = watcher("refs.bib", "--csv", "-o", "out.csv")
    assert wait_for(lambda: rows(out) == 2), running.said
    for count in range(3, 9):
        source.write_text(bib(count), encoding="utf-8")
        time.sleep(0.03)
    assert wait_for(lambda: rows(out) == 8), running.said
    time.sleep(0.8)
    assert running.interrupt() == 0
    rebuilds = running.said.count("bib2table: wrote out.csv") - 1
    assert 1 <= rebuilds <= 2, running.said


def test_check_while_watching(tmp_path: Path, watcher: Callable[..., Watcher]) -> None:
    source = write(tmp_path / "refs.bib", bib(2))
    running = watcher("refs.bib", "--check")
    assert wait_for(lambda: "check passed: 2 entries" in running.said), running.said
    source.write_text(bib(2) + "\n" + ENTRY.format(n=1), encoding="utf-8")
    assert wait_for(lambda: "duplicate key" in running.said), running.said
    assert running.interrupt() == 0


def test_watch_needs_files_to_write(tmp_path: Path) -> None:
    source = write(tmp_path / "refs.bib", bib(1))
    result = run(source, "--csv", "--watch")
    assert result.exit_code == 2
    assert "--watch rebuilds files: give -o FILE, --out-dir DIR or --update FILE" in result.stderr


def test_changes_while_settling_make_one_rebuild(tmp_path: Path) -> None:
    """The loop itself, with a scripted clock: writes 0.1 s apart are one change."""
    source = write(tmp_path / "refs.bib", "one")
    script: dict[int, str] = {2: "two!", 3: "three", 4: "four!!", 9: "five!!!"}
    calls: list[int] = []
    builds: list[str] = []

    def sleep(_: float) -> None:
        calls.append(1)
        if len(calls) in script:
            source.write_text(script[len(calls)], encoding="utf-8")

    watch(lambda: builds.append(source.read_text()), lambda: [source], sleep=sleep, rounds=2)
    assert builds == ["one", "four!!", "five!!!"]
