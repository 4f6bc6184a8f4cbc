"""Noticing that the files a build depends on changed, for ``--watch`` and ``--serve``.

The system tells of changes (inotify on Linux, FSEvents on macOS, ReadDirectoryChangesW on
Windows) through watchfiles, whose Rust core groups a burst of writes into one notice. Folders
are watched, not the files in them: many editors save by writing a new file and renaming it over
the old one, which a watch on the old file would not see; a file that does not exist yet (a
settings file about to be created) is seen appearing. A symbolic link's target is watched too.

Network folders (NFS, SMB, SSHFS…) are not told of changes made on other machines: there the
folders are looked at ten times a second instead (chosen automatically on Linux, or with
``--poll`` anywhere). What a build then reads may still be half written; the caller decides
whether it is good enough to replace what it has.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import watchfiles

#: How long the files must be quiet before a change is acted on, in ms.
STEP_MS = 30
#: How often a polled folder is looked at, in ms.
POLL_MS = 100
#: How often the watching thread looks up from waiting (to stop, to watch other folders, and
#: to compare the files' size and time, in case a change went untold).
TIMEOUT_MS = 250

#: File systems whose files may change on another machine, unseen by this one's notices.
NETWORK_FILESYSTEMS = frozenset(
    "nfs nfs4 cifs smb3 smbfs ncpfs afs 9p virtiofs vboxsf prl_fs ceph glusterfs lustre gpfs "
    "davfs fuse.sshfs fuse.rclone fuse.s3fs fuse.gcsfuse fuse.davfs2 fuse.glusterfs".split()
)

Stamp = tuple[tuple[int, int, int] | None, ...]


def stamp(paths: list[Path]) -> Stamp:
    """Size, modification time and inode of each path; ``None`` for a path that does not exist."""
    result: list[tuple[int, int, int] | None] = []
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            result.append(None)
            continue
        result.append((info.st_size, info.st_mtime_ns, info.st_ino))
    return tuple(result)


def on_network(folder: Path, mounts: str | None = None) -> bool:
    """Whether ``folder`` is on a network file system, by ``/proc/self/mounts`` (Linux only;
    ``mounts`` is that file's text, for tests). Elsewhere: False."""
    if mounts is None:
        try:
            mounts = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
    where = os.path.realpath(folder)
    best, kind = "", ""
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = _unescape_mount(fields[1])
        inside = where == point or where.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind in NETWORK_FILESYSTEMS


def _unescape_mount(field: str) -> str:
    """``/proc/self/mounts`` writes space, tab, newline and backslash as octal escapes."""
    for code in ("\\040", "\\011", "\\012", "\\134"):
        field = field.replace(code, chr(int(code[1:], 8)))
    return field


class Watcher:
    """Tells when any of the ``watched`` files changed, from a thread of its own.

    ``watched`` is asked again by :meth:`refresh` (after each build: a new settings file may
    name another intro file). Use :meth:`mark` just before a build reads the files: a change
    after it makes :meth:`wait` return. Nothing is missed between two watches of different
    folders, or before the first: the files' size and time are compared every 250 ms too.
    """

    def __init__(self, watched: Callable[[], list[Path]], poll: bool = False) -> None:
        self._watched = watched
        self._condition = threading.Condition()
        self._changed = False
        self._closing = False
        self._paths = watched()
        self._seen = stamp(self._paths)
        self._folders = _folders(self._paths)
        self._watching = self._folders
        self.polling = poll or any(on_network(folder) for folder in self._folders)
        self._thread = threading.Thread(target=self._run, name="bib2table-watch", daemon=True)
        self._thread.start()

    def mark(self) -> None:
        """Called just before a build reads the files: only later changes count."""
        with self._condition:
            self._changed = False
            self._seen = stamp(self._paths)

    def refresh(self) -> None:
        """Ask again which files to watch; watch other folders if they changed."""
        paths = self._watched()
        with self._condition:
            if paths != self._paths:
                self._paths = paths
                self._folders = _folders(paths)

    def pending(self) -> bool:
        """Whether a change came since :meth:`mark`."""
        with self._condition:
            return self._changed

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a change since :meth:`mark` (True), until ``timeout`` or :meth:`close`."""
        with self._condition:
            self._condition.wait_for(lambda: self._changed or self._closing, timeout)
            return self._changed and not self._closing

    def close(self) -> None:
        """Stop watching; the thread ends within a fraction of a second."""
        with self._condition:
            self._closing = True
            self._condition.notify_all()
        self._thread.join(timeout=2)

    def is_set(self) -> bool:
        """For watchfiles, which asks this every few ms: stop (or watch other folders) now?"""
        return self._closing or self._folders != self._watching

    def _signal(self) -> None:
        with self._condition:
            self._changed = True
            self._condition.notify_all()

    def _run(self) -> None:
        while not self._closing:
            with self._condition:
                self._watching = folders = self._folders
                names = _names(self._paths)
            try:
                self._watch(folders, names)
            except (OSError, RuntimeError):  # a folder vanished under the watch: watch again
                with self._condition:
                    self._condition.wait_for(lambda: self._closing, TIMEOUT_MS / 1000)

    def _watch(self, folders: list[Path], names: set[str]) -> None:
        for changes in watchfiles.watch(
            *folders,
            watch_filter=lambda _, path: path in names,
            step=STEP_MS,
            stop_event=self,
            rust_timeout=POLL_MS if self.polling else TIMEOUT_MS,
            yield_on_timeout=True,
            raise_interrupt=False,
            force_polling=True if self.polling else None,
            poll_delay_ms=POLL_MS,
            recursive=False,
            ignore_permission_denied=True,
        ):
            # Also at every look up from waiting: the files' size and time. This catches what
            # no notice told of: a change made before the watch began, or, when polling, a
            # second save within the same second (the poller compares whole seconds).
            with self._condition:
                moved = stamp(self._paths) != self._seen
            if changes or moved:
                self._signal()


def _names(paths: list[Path]) -> set[str]:
    """Each path as the watch reports it: as given (made absolute) and with links resolved."""
    return {os.path.abspath(p) for p in paths} | {os.path.realpath(p) for p in paths}


def _folders(paths: list[Path]) -> list[Path]:
    """The folders to watch for ``paths``: each one's folder, or the nearest that exists."""
    found: set[Path] = set()
    for name in _names(paths):
        folder = Path(name).parent
        while not folder.is_dir() and folder != folder.parent:
            folder = folder.parent
        found.add(folder)
    return sorted(found)


@contextlib.contextmanager
def stopped_by_signals() -> Iterator[None]:
    """While inside, SIGINT (Ctrl-C) and SIGTERM end the program by KeyboardInterrupt in the
    main thread, so that every ``finally`` runs; also when the shell that started it in the
    background had SIGINT ignored."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {number: signal.signal(number, interrupt) for number in _STOPPING}
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


_STOPPING = (signal.SIGINT, signal.SIGTERM)


def watch(
    rebuild: Callable[[], None], watched: Callable[[], list[Path]], poll: bool = False
) -> None:
    """Run ``rebuild`` now and after every change of the ``watched`` files, until interrupted
    (Ctrl-C or SIGTERM raise :class:`KeyboardInterrupt` in the caller)."""
    with stopped_by_signals():
        watcher = Watcher(watched, poll)
        try:
            while True:
                watcher.mark()
                rebuild()
                watcher.refresh()
                while not watcher.wait(timeout=1.0):
                    pass
        finally:
            watcher.close()
