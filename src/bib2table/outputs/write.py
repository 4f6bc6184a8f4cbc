"""Stage 5: write outputs so that a failure never leaves a half-written or clobbered file.

What each target is decides how it is written:

- a regular file (or a name that does not exist yet) gets a temporary file beside it, renamed
  over it only when every output of the run is complete; a symbolic link is followed, so the
  file it points to is replaced and the link stays a link;
- a character device (``/dev/null``, a terminal) or a named pipe is written through, since
  renaming a file over it would replace the device; ``/dev/full`` fails as it should;
- a folder, a block device or a socket is refused.

Nothing a run reads is ever an output: :func:`check_targets` refuses a target that is, by path,
symbolic link or hard link, one of the run's ``protected`` files (the input, the settings, the
intro file, the template, everything ``--watch`` watches).
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bib2table.errors import OutputError
from bib2table.files import kind_of

_WRITE_FLAGS = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class _Plan:
    """How one output is written: ``through`` the named file, or staged beside ``final``."""

    path: Path
    final: Path
    through: bool
    #: for a file written through: whether it is a regular file (then it is truncated)
    regular: bool = False


#: The files a run reads, each with what it is for messages ("the input", "the template").
Protected = Mapping[Path, str] | Iterable[Path] | Path | None


def write_outputs(targets: Mapping[Path, str | bytes], protected: Protected = None) -> None:
    """Write each text (or its UTF-8 bytes) to its path (see the module's documentation);
    refuse ``protected``."""
    plans = [_plan(path) for path in check_targets(targets, protected)]
    staged: list[tuple[str, _Plan]] = []
    try:
        for plan in plans:
            if not plan.through:
                staged.append((_stage(plan, targets[plan.path]), plan))
        for plan in plans:
            if plan.through:
                _write_through(plan, targets[plan.path])
        for temporary, plan in staged:
            os.replace(temporary, plan.final)
    except OSError as exc:
        name = exc.filename or "output"
        raise OutputError(f"cannot write {name}: {exc.strerror or exc}") from None
    finally:
        for temporary, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


def check_targets(targets: Iterable[Path], protected: Protected = None) -> list[Path]:
    """The targets, once none of them is a file the run reads (by path, symbolic link or
    hard link); an :class:`OutputError` that names the file otherwise."""
    if protected is None:
        roles: dict[Path, str] = {}
    elif isinstance(protected, Path):
        roles = {protected: "the input"}
    elif isinstance(protected, Mapping):
        roles = dict(protected)
    else:
        roles = dict.fromkeys(protected, "the file")
    identities = {}
    for path in roles:
        with contextlib.suppress(OSError, ValueError):
            info = os.stat(path)
            identities[(info.st_dev, info.st_ino)] = path
    resolved = {_resolved(p): p for p in roles}
    chosen = list(targets)
    for target in chosen:
        read = resolved.get(_resolved(target))
        if read is None:
            with contextlib.suppress(OSError, ValueError):
                info = os.stat(target)
                read = identities.get((info.st_dev, info.st_ino))
        if read is not None:
            named = "" if target == read else f" (as {target})"
            raise OutputError(
                f"refusing to overwrite {roles[read]} {read}{named}: this run reads it; "
                "choose another output"
            )
    return chosen


def write_stdout(text: str) -> None:
    """Write to standard output as UTF-8 whatever the locale, with the text's own newlines."""
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def _resolved(path: Path) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return os.path.abspath(path)


def _plan(path: Path) -> _Plan:
    """How ``path`` is to be written, decided before anything is written."""
    try:
        info = os.stat(path)  # follows links, /dev/stdout's included
    except FileNotFoundError:
        return _new_file(path)
    except (OSError, ValueError) as exc:
        raise OutputError(f"cannot write {path}: {getattr(exc, 'strerror', None) or exc}") from None
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise OutputError(f"cannot write {path}: it is a folder")
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return _Plan(path, path, through=True)
    if not stat.S_ISREG(mode):
        raise OutputError(
            f"cannot write {path}: it is {kind_of(mode)}; bib2table writes files, character "
            "devices and named pipes"
        )
    final = Path(_resolved(path))
    try:
        same = os.path.samestat(info, os.stat(final))
    except OSError:
        same = False
    if not same:  # reached through a link with no name in the file system (/proc/self/fd/…)
        return _Plan(path, path, through=True, regular=True)
    return _Plan(path, final, through=False)


def _new_file(path: Path) -> _Plan:
    """A file to create; through a dangling symbolic link, the file it names."""
    final = Path(_resolved(path))
    if not final.parent.is_dir():
        raise OutputError(f"cannot write {path}: folder {final.parent} does not exist")
    return _Plan(path, final, through=False)


def _write_through(plan: _Plan, text: str | bytes) -> None:
    """Write ``text`` into the device, pipe or unnamed file itself (a pipe waits for a reader)."""
    flags = _WRITE_FLAGS | (os.O_TRUNC if plan.regular else 0)
    descriptor = os.open(plan.path, flags)
    try:
        info = os.fstat(descriptor)
        if stat.S_ISREG(info.st_mode) != plan.regular:
            raise OutputError(f"cannot write {plan.path}: it changed while being written")
        data = memoryview(_utf8(text))
        while data:
            written = os.write(descriptor, data)
            data = data[written:]
    except OSError as exc:
        exc.filename = exc.filename or str(plan.path)
        raise
    finally:
        os.close(descriptor)


def _stage(plan: _Plan, text: str | bytes) -> str:
    """Write ``text`` to a new temporary file in the folder of the file it will replace."""
    final = plan.final
    try:
        import tempfile  # (its imports cost a run that writes nothing)

        handle, temporary = tempfile.mkstemp(
            prefix=f".{final.name}.", suffix=".tmp", dir=final.parent
        )
    except OSError as exc:
        exc.filename = str(plan.path)
        raise
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(_utf8(text))
        mode = final.stat().st_mode & 0o7777 if final.exists() else 0o666 & ~_umask()
        os.chmod(temporary, mode & 0o777)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return temporary


def _utf8(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
