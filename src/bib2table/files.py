"""Reading the files a run is given: regular files only, of bounded size, and, for a path
that a settings file or a template names, only inside that file's folder.

Every file bib2table reads goes through :func:`read_bytes` (the input, a spreadsheet, the
settings, the intro file, templates, the README given to ``--update``): a named pipe, a device
such as ``/dev/zero`` or a folder is refused with a message instead of blocking the run or
eating memory, and a file larger than its limit is refused before it is read whole. A path
written in a settings file (``intro-file``) or in a template (``{% include %}``) is resolved
by :func:`confined`: it must stay inside its folder, so text from a pull request cannot make
a run publish ``/proc/self/environ`` or a file beside the repository.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path, PurePath

from bib2table.errors import Bib2TableError, InputError

#: The largest input (``.bib`` or spreadsheet) and ``--update`` file read, in bytes.
MAX_INPUT_BYTES = 1 << 30
#: The largest settings file, intro file or template read, in bytes.
MAX_SMALL_BYTES = 16 << 20

#: Codecs that Python counts as text encodings but that are not a way of writing a text
#: file: they transform text (escapes, IDNA) or refuse everything.
_NOT_FILE_ENCODINGS = frozenset(
    {"punycode", "idna", "undefined", "unicode-escape", "raw-unicode-escape"}
)
#: Opened without blocking (a file turned into a pipe since it was looked at) or taking a terminal.
_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def kind_of(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words for a message."""
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bytes(
    path: Path,
    what: str = "file",
    limit: int = MAX_INPUT_BYTES,
    error: type[Bib2TableError] = InputError,
) -> bytes:
    """The whole content of the regular file ``path``, at most ``limit`` bytes.

    Anything else (a folder, a named pipe, a device, a socket) is refused without being
    opened, so that a pipe with no writer cannot block the run and ``/dev/zero`` cannot fill
    memory; so is a file larger than ``limit``. ``what`` names the file in messages
    ("settings file", "template"), ``error`` is the exception raised.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise error(f"cannot read {what} {path}: {_reason(exc)}") from None
    _require_regular(path, info.st_mode, what, error)
    try:
        descriptor = os.open(path, _READ_FLAGS)
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {_reason(exc)}") from None
    try:
        info = os.fstat(descriptor)  # what was opened, not what was looked at before
        _require_regular(path, info.st_mode, what, error)
        too_large = error(
            f"{what} {path} is larger than {_megabytes(limit)}; bib2table does not read "
            "files that large"
        )
        if info.st_size > limit:
            raise too_large
        chunks: list[bytes] = []
        size = 0  # counted as read: some files with content say 0 (/proc)
        while True:
            chunk = os.read(descriptor, min(max(info.st_size + 1, 1 << 16), limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise too_large
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {_reason(exc)}") from None
    finally:
        os.close(descriptor)
    return b"".join(chunks)


def read_utf8(
    path: Path,
    what: str = "file",
    limit: int = MAX_SMALL_BYTES,
    error: type[Bib2TableError] = InputError,
) -> str:
    """:func:`read_bytes` decoded as UTF-8 (a byte-order mark is dropped)."""
    data = read_bytes(path, what, limit, error)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(f"{what} {path}:{line}: not UTF-8; write it in UTF-8") from None


def confined(folder: Path, name: str, what: str, error: type[Bib2TableError] = InputError) -> Path:
    """The file ``name`` (as written in a settings file or a template) inside ``folder``.

    ``name`` must be a relative path that stays inside ``folder`` once every ``..`` and
    every symbolic link on the way is followed; anything else is refused, so that a settings
    file or a template can only ever read files of its own folder.
    """
    if not name or "\0" in name:
        raise error(f"{what} {name!r} is not a file name")
    if PurePath(name).is_absolute() or name.startswith("~"):
        raise error(
            f"{what} {name!r} is an absolute path; give a path relative to {folder} "
            "(files outside that folder are not read)"
        )
    try:
        base = folder.resolve()
        target = (base / name).resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        raise error(f"{what} {name!r}: {_reason(exc)}") from None
    if not target.is_relative_to(base):
        raise error(
            f"{what} {name!r} leads outside {folder} (through '..' or a symbolic link); "
            "only files inside that folder are read"
        )
    return target


def text_encoding(name: str) -> str:
    """The codec name for ``--encoding NAME``; only encodings that text files are written in.

    Python also knows codecs that turn bytes into bytes (``base64``, ``rot13``) or text into
    other text (``unicode_escape``, ``punycode``); none of those is how a ``.bib`` is written.
    """
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise InputError(f"unknown encoding {name!r}; try utf-8, latin-1 or cp1252") from None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_FILE_ENCODINGS:
        raise InputError(
            f"{name!r} is not an encoding text files are written in; give the file's "
            "character encoding, e.g. utf-8, latin-1 or cp1252"
        )
    return info.name


def _require_regular(path: Path, mode: int, what: str, error: type[Bib2TableError]) -> None:
    if not stat.S_ISREG(mode):
        raise error(f"cannot read {what} {path}: it is {kind_of(mode)}, not a regular file")


def _megabytes(limit: int) -> str:
    return f"{limit / (1 << 20):,.0f} MiB"


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc)
