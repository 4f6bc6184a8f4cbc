"""``--watch``: rebuilds after a save, survives half-written saves, stops quietly on Ctrl-C.

The command runs as a real process for a few seconds while the test edits its files; every
wait is bounded, and the process is always ended.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bib2table.watch import Watcher, on_network
from serving import wait_for
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


def rows(path: Path) -> int:
    try:
        return len(csv_records(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return -1


class Running:
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
def watcher(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def start(*args: str) -> Running:
        started.append(Running(tmp_path, *args))
        return started[-1]

    yield start
    for one in started:
        one.close()


def test_rebuilds_and_survives_half_written_saves(
    tmp_path: Path, watcher: Callable[..., Running]
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


def test_a_burst_of_writes_makes_few_rebuilds(
    tmp_path: Path, watcher: Callable[..., Running]
) -> None:
    """A save in several writes a few ms apart is acted on once it is quiet (or nearly: a
    slow machine may split it), not once per write; the last write always wins."""
    source = write(tmp_path / "refs.bib", bib(2))
    out = tmp_path / "out.csv"
    running = watcher("refs.bib", "--csv", "-o", "out.csv")
    assert wait_for(lambda: rows(out) == 2), running.said
    for count in range(3, 13):
        source.write_text(bib(count), encoding="utf-8")
        time.sleep(0.005)
    assert wait_for(lambda: rows(out) == 12), running.said
    time.sleep(0.8)
    assert running.interrupt() == 0
    rebuilds = running.said.count("bib2table: wrote out.csv") - 1
    assert 1 <= rebuilds <= 3, running.said


def test_check_while_watching(tmp_path: Path, watcher: Callable[..., Running]) -> None:
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


@pytest.fixture
def watching() -> Iterator[Callable[..., Watcher]]:
    started: list[Watcher] = []

    def start(watched: Callable[[], list[Path]], poll: bool = False) -> Watcher:
        started.append(Watcher(watched, poll))
        started[-1].mark()
        return started[-1]

    yield start
    for one in started:
        one.close()


def test_every_kind_of_save_is_seen(tmp_path: Path, watching: Callable[..., Watcher]) -> None:
    """In place, renamed over (as many editors save), deleted, made again, emptied."""
    source = write(tmp_path / "refs.bib", bib(1))
    watcher = watching(lambda: [source])
    saves: list[Callable[[], object]] = [
        lambda: source.write_text(bib(2), encoding="utf-8"),
        lambda: (
            write(tmp_path / ".refs.bib.new", bib(3)),
            os.replace(tmp_path / ".refs.bib.new", source),
        ),
        source.unlink,
        lambda: write(source, bib(4)),
        lambda: source.write_text("", encoding="utf-8"),
        lambda: source.touch(),
    ]
    for save in saves:
        save()
        assert watcher.wait(timeout=15), save
        watcher.mark()
    assert not watcher.wait(timeout=0.5)


def test_only_the_watched_files_count(tmp_path: Path, watching: Callable[..., Watcher]) -> None:
    """Outputs written beside the input, an editor's swap files: no rebuild."""
    source = write(tmp_path / "refs.bib", bib(1))
    watcher = watching(lambda: [source, tmp_path / "bib2table.toml"])
    write(tmp_path / "out.csv", "x")
    write(tmp_path / ".refs.bib.swp", "x")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "refs.bib", "x")
    assert not watcher.wait(timeout=0.8)
    write(tmp_path / "bib2table.toml", 'title = "T"\n')  # a settings file appears
    assert watcher.wait(timeout=15)


def test_a_linked_file_is_watched_where_it_is(
    tmp_path: Path, watching: Callable[..., Watcher]
) -> None:
    real = write(tmp_path / "library" / "all.bib", bib(1))
    (tmp_path / "site").mkdir()
    link = tmp_path / "site" / "refs.bib"
    link.symlink_to(real)
    watcher = watching(lambda: [link])
    real.write_text(bib(2), encoding="utf-8")
    assert watcher.wait(timeout=15)


def test_folders_come_and_go_with_the_settings(
    tmp_path: Path, watching: Callable[..., Watcher]
) -> None:
    """After a build names a file in another folder (an intro file), that folder is watched."""
    source = write(tmp_path / "refs.bib", bib(1))
    intro = write(tmp_path / "docs" / "intro.md", "Hello")
    files = [source]
    watcher = watching(lambda: list(files))
    files.append(intro)
    watcher.refresh()
    watcher.mark()
    intro.write_text("Hello again", encoding="utf-8")
    assert watcher.wait(timeout=15)


def test_a_change_right_at_the_start_is_not_missed(
    tmp_path: Path, watching: Callable[..., Watcher]
) -> None:
    for round_ in range(3):
        source = write(tmp_path / f"refs{round_}.bib", bib(1))
        watcher = watching(lambda source=source: [source])
        source.write_text(bib(2), encoding="utf-8")
        assert watcher.wait(timeout=15)


def test_polling_sees_changes_too(tmp_path: Path, watching: Callable[..., Watcher]) -> None:
    source = write(tmp_path / "refs.bib", bib(1))
    watcher = watching(lambda: [source], poll=True)
    assert watcher.polling
    time.sleep(0.3)
    source.write_text(bib(2), encoding="utf-8")
    assert watcher.wait(timeout=15)
    watcher.mark()
    write(tmp_path / ".new", bib(3))
    os.replace(tmp_path / ".new", source)
    assert watcher.wait(timeout=15)


def test_watch_with_poll_rebuilds(tmp_path: Path, watcher: Callable[..., Running]) -> None:
    source = write(tmp_path / "refs.bib", bib(2))
    out = tmp_path / "out.csv"
    running = watcher("refs.bib", "--csv", "-o", "out.csv", "--poll")
    assert wait_for(lambda: rows(out) == 2), running.said
    source.write_text(bib(3), encoding="utf-8")
    assert wait_for(lambda: rows(out) == 3), running.said
    assert running.interrupt() == 0


def test_sigterm_ends_watch_quietly(tmp_path: Path, watcher: Callable[..., Running]) -> None:
    write(tmp_path / "refs.bib", bib(2))
    out = tmp_path / "out.csv"
    running = watcher("refs.bib", "--csv", "-o", "out.csv")
    assert wait_for(lambda: rows(out) == 2), running.said
    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(timeout=15) == 0
    assert "Traceback" not in running.said


MOUNTS = """/dev/sda1 / ext4 rw,relatime 0 0
server:/export/papers /mnt/papers nfs4 rw,relatime 0 0
//nas/lab\\040share /mnt/lab\\040share cifs rw 0 0
me@host: /home/me/remote fuse.sshfs rw 0 0
tmpfs /tmp tmpfs rw 0 0
"""


@pytest.mark.parametrize(
    ("folder", "network"),
    [
        ("/mnt/papers", True),
        ("/mnt/papers/2024/refs", True),
        ("/mnt/papers2", False),
        ("/mnt/lab share/x", True),
        ("/home/me/remote/bib", True),
        ("/home/me/local", False),
        ("/tmp/x", False),
        ("/", False),
    ],
)
def test_network_folders_are_recognised(folder: str, network: bool) -> None:
    assert on_network(Path(folder), MOUNTS) is network
