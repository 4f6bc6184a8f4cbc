"""An on-disk cache, keyed by content, that makes a rebuild after a small edit fast.

Two things are remembered between runs of the same input file: what the splitter read from each
block (keyed by the block's text) and what the model made of each entry (keyed by the entry's
resolved fields and everything else that shapes its display). Anything not found is computed
as usual, so the cache can only save time, never change an output.

The cache file is replaced atomically (temporary file + rename): concurrent runs may each write
their own, and every reader sees one whole file. A cache file that is unreadable, truncated or
from another version is ignored. Values are stored with :mod:`marshal` (plain data only, no code),
in a folder only the user can read: ``$BIB2TABLE_CACHE_DIR``, else ``$XDG_CACHE_HOME/bib2table``,
else ``~/.cache/bib2table``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import bibtexparser

from bib2table.version import __version__

_FORMAT = 1


def _code() -> str:
    """A digest of the code whose results are cached, so that a changed reader never meets
    results of an old one (a version number alone does not change between local edits)."""
    package = Path(__file__).parent
    hasher = hashlib.blake2b(digest_size=20)
    for path in sorted(package.rglob("*.py")):
        hasher.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return hasher.hexdigest()


def default_folder() -> Path:
    """Where cache files live, by the environment's conventions."""
    explicit = os.environ.get("BIB2TABLE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bib2table"


def digest(*parts: object) -> str:
    """A content key: a BLAKE2 hash of the parts (strings as they are, anything else by repr)."""
    hasher = hashlib.blake2b(digest_size=20)
    for part in parts:
        text = part if isinstance(part, str) else repr(part)
        hasher.update(text.encode("utf-8", "surrogatepass"))
        hasher.update(b"\0")
    return hasher.hexdigest()


class Cache:
    """The cache for one input file. :meth:`save` keeps only what this run used."""

    def __init__(self, source: Path, folder: Path | None = None) -> None:
        self.folder = folder or default_folder()
        name = digest(str(source.resolve()))[:32]
        self.path = self.folder / f"{name}.cache"
        self.stamp = (_FORMAT, __version__, getattr(bibtexparser, "__version__", ""), _code())
        self.old: dict[str, Any] = self._load()
        self.new: dict[str, Any] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Any:
        """The stored value for ``key``, or ``None``; a hit is kept for the next run."""
        value = self.old.get(key)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        self.new[key] = value
        return value

    def put(self, key: str, value: Any) -> None:
        self.new[key] = value

    def save(self) -> None:
        """Write this run's entries atomically; a cache that cannot be written is skipped."""
        if self.new == self.old:
            return
        with contextlib.suppress(OSError, ValueError):
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            try:
                text = json.dumps([list(self.stamp), self.new], separators=(",", ":"))
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    stream.write(text)
                os.replace(temporary, self.path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)

    def _load(self) -> dict[str, Any]:
        try:
            with self.path.open(encoding="utf-8") as stream:
                stamp, data = json.load(stream)
        except (OSError, ValueError, TypeError):
            return {}
        if stamp != list(self.stamp) or not isinstance(data, dict):
            return {}
        return data
