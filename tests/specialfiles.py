"""Special files made for a test in its own folder: never the machine's real ``/dev/null``.

Every test that needs a device node makes its own with ``mknod`` in a temporary folder (a
``/dev/null`` replaced by a bug would break everything else on the machine). Making device
nodes needs root; without it those tests are skipped, saying why.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

#: (major, minor) of Linux's memory devices, as in ``/dev``.
NULL = (1, 3)
ZERO = (1, 5)
FULL = (1, 7)
#: A block device number reserved for local use, which no driver here answers: a bug that
#: opened it would fail instead of writing to a disk.
UNUSED_BLOCK = (240, 0)


def device(path: Path, numbers: tuple[int, int], block: bool = False) -> Path:
    """A character (or block) device node at ``path``; the test is skipped if mknod is refused."""
    kind = stat.S_IFBLK if block else stat.S_IFCHR
    try:
        os.mknod(path, kind | 0o666, os.makedev(*numbers))
    except PermissionError:
        pytest.skip("making device nodes (mknod) needs root; these tests run as root in CI")
    return path


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def is_device(path: Path, numbers: tuple[int, int]) -> bool:
    """Whether ``path`` is still the character device it was made as (not replaced)."""
    info = os.lstat(path)
    return stat.S_ISCHR(info.st_mode) and info.st_rdev == os.makedev(*numbers)


class Reader(threading.Thread):
    """Reads a named pipe to its end in the background, as ``cat fifo`` would."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.data = b""

    def run(self) -> None:
        with open(self.path, "rb") as stream:
            self.data = stream.read()


def bib2table(
    *args: str | Path, timeout: float = 60, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """``bib2table`` in a process of its own, for what could block (pipes, devices): a run
    that hangs fails the test after ``timeout`` seconds instead of hanging the suite."""
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    return subprocess.run(
        [sys.executable, "-m", "bib2table", *map(str, args)],
        text=True,
        timeout=timeout,
        check=False,
        **(streams | kwargs),  # type: ignore[arg-type]
    )
