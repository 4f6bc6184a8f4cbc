"""Stage 5: write outputs so that a failure never leaves a half-written or clobbered file.

All outputs of a run are first written to temporary files beside their targets, and only when
every one of them is complete are they renamed into place. The input is never a target.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from bib2table.errors import OutputError


def write_outputs(targets: dict[Path, str], source: Path | Iterable[Path] | None = None) -> None:
    """Write each text to its path atomically; refuse to overwrite ``source`` (the input, or
    each of several)."""
    sources = [source] if isinstance(source, Path) else list(source or ())
    for path in targets:
        for read in sources:
            _refuse_source(path, read)
        if not path.parent.is_dir():
            raise OutputError(f"cannot write {path}: folder {path.parent} does not exist")
        if path.is_dir():
            raise OutputError(f"cannot write {path}: it is a folder")
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in targets.items():
            staged.append((_stage(path, text), path))
        for temporary, path in staged:
            os.replace(temporary, path)
    except OSError as exc:
        raise OutputError(f"cannot write {exc.filename or 'output'}: {exc.strerror}") from None
    finally:
        for temporary, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


def write_stdout(text: str) -> None:
    """Write to standard output as UTF-8 whatever the locale, with the text's own newlines."""
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def _stage(path: Path, text: str) -> str:
    """Write ``text`` to a new temporary file in ``path``'s folder; return its name."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text.encode("utf-8"))
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
        os.chmod(temporary, mode)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return temporary


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _refuse_source(path: Path, source: Path | None) -> None:
    if source is None:
        return
    same = path.resolve() == source.resolve()
    if not same and path.exists():
        with contextlib.suppress(OSError):
            same = path.samefile(source)
    if same:
        raise OutputError(f"refusing to overwrite the input {source}; choose another output")
