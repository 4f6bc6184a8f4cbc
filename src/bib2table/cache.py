"""An on-disk cache, keyed by content, that makes a rebuild after a small edit fast.

One SQLite database (``cache.sqlite3``, in WAL mode) serves every input: rows are keyed by a
digest of what produced them, never by a file name, so several inputs, copies of one input and
several checkouts share it without meeting each other's values. Three tables hold one row each
per piece of work: ``blocks`` (what the splitter read from a stretch of the ``.bib``),
``entries`` (what the model made of an entry in its context) and ``fragments`` (an entry's
rendered row in one format, template and layout). A fourth, ``snapshots``, holds the last run's
whole outputs for each input and options (see :mod:`bib2table.snapshot`), so that a fresh run
after a small edit reads only what changed.

Each key is mixed with a stamp of the code that made the value — every module of the package,
the built-in templates, and bibtexparser's own modules — so a changed reader, model or template
never meets an old value; values of other versions age out unused.

A value is plain JSON, and the module that reads it checks its shape (and, for links, that they
are still safe) before using it: a value that does not fit is a miss. A database that SQLite
finds damaged (truncated, garbage, malformed) is deleted and built anew; one that is locked for
long, read-only or on a full disk is left alone for this run. So the cache can only save time,
never change an output or stop a run. Writes happen once per run, in one transaction, and only
for what changed; concurrent runs are safe (SQLite's locking; a busy database is skipped).

The folder is ``$BIB2TABLE_CACHE_DIR``, else ``$XDG_CACHE_HOME/bib2table``, else
``~/.cache/bib2table``, created readable by the user only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from bib2table.version import __version__

#: The database's layout; another number means the tables are made anew.
SCHEMA = 2
TABLES = ("blocks", "entries", "fragments")
#: Tables whose values are plain text rather than JSON.
TEXT_TABLES = frozenset({"fragments"})
#: Rows not used for this many days are removed (at most once a day).
KEEP_DAYS = 30
#: How long to wait for another run's write before skipping the cache's own, in seconds.
BUSY_TIMEOUT = 0.5
#: SQLite's result codes for a damaged database: SQLITE_CORRUPT, SQLITE_NOTADB.
_DAMAGED = {11, 26}
#: How many keys one query asks for (SQLite's limit on parameters is at least 999).
_BATCH = 900

_stamp: bytes | None = None


def code_stamp() -> bytes:
    """A digest of everything that shapes a cached value: this package's modules, the built-in
    templates and bibtexparser's modules (a version number alone misses local edits)."""
    global _stamp
    if _stamp is None:
        package = Path(__file__).parent
        roots = [package, package / "templates", package.parents[1] / "templates"]
        spec = find_spec("bibtexparser")
        if spec is not None and spec.submodule_search_locations:
            roots += [Path(p) for p in spec.submodule_search_locations]
        hasher = hashlib.blake2b(digest_size=32)
        hasher.update(f"{SCHEMA}\0{__version__}\0".encode())
        for root in roots:
            if not root.is_dir():
                continue
            suffixes = (".py",) if root.name != "templates" else None
            for path in sorted(root.rglob("*")):
                if "__pycache__" in path.parts or not path.is_file():
                    continue
                if suffixes is not None and path.suffix not in suffixes:
                    continue
                name = str(path.relative_to(root.parent)).encode()
                hasher.update(name + b"\0" + path.read_bytes() + b"\0")
        _stamp = hasher.digest()
    return _stamp


def default_folder() -> Path:
    """Where the cache lives, by the environment's conventions."""
    explicit = os.environ.get("BIB2TABLE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bib2table"


def digest(*parts: object) -> str:
    """A content digest (hex) of the parts: strings as they are, anything else by repr."""
    hasher = hashlib.blake2b(digest_size=20)
    for part in parts:
        text = part if isinstance(part, str) else repr(part)
        hasher.update(text.encode("utf-8", "surrogatepass"))
        hasher.update(b"\0")
    return hasher.hexdigest()


class Cache:
    """The run's view of the database: look values up in batches, write them all at the end.

    Nothing touches the disk until the first lookup; :meth:`save` writes what this run made in
    one transaction. Not to be used across ``fork``: a worker hands its results to the parent,
    which stores them.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or default_folder()
        self.path = self.folder / "cache.sqlite3"
        self.stamp = code_stamp()
        self._db: sqlite3.Connection | None = None
        self._opened = False
        self._disabled = False
        self.new: dict[str, dict[bytes, str]] = {table: {} for table in TABLES}
        self.used: dict[str, list[bytes]] = {table: [] for table in TABLES}
        #: how many values this run found and did not find, per table
        self.hits: dict[str, int] = dict.fromkeys(TABLES, 0)
        self.misses: dict[str, int] = dict.fromkeys(TABLES, 0)
        self._snapshot: tuple[bytes, str, bytes] | None = None

    # -- keys and values

    def key(self, *parts: str) -> bytes:
        """The row key for ``parts`` under this code's stamp."""
        text = "\0".join(parts).encode("utf-8", "surrogatepass")
        return hashlib.blake2b(text, digest_size=16, key=self.stamp).digest()

    def get_many(self, table: str, keys: Iterable[bytes]) -> dict[bytes, Any]:
        """The decoded values found for ``keys`` (JSON that does not decode is left out)."""
        wanted = list(dict.fromkeys(keys))
        decode = _text if table in TEXT_TABLES else json.loads
        new = self.new[table]
        found: dict[bytes, Any] = {k: decode(new[k]) for k in wanted if k in new} if new else {}
        rest = [k for k in wanted if k not in found] if found else wanted
        today = _today()
        for key, text, used in self._select(table, rest):
            try:
                found[key] = decode(text)
            except (TypeError, ValueError):
                continue
            if used != today:
                self.used[table].append(key)
        self.hits[table] += len(found)
        self.misses[table] += len(wanted) - len(found)
        return found

    def get(self, table: str, key: bytes) -> Any:
        """The decoded value for ``key``, or ``None``."""
        return self.get_many(table, [key]).get(key)

    def put(self, table: str, key: bytes, value: Any) -> None:
        """Keep ``value`` (plain data; a string in a text table) for :meth:`save`."""
        if table in TEXT_TABLES:
            self.new[table][key] = _text(value)
        else:
            self.new[table][key] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def snapshot(self, key: bytes) -> tuple[str, bytes] | None:
        """The snapshot kept under ``key`` (see :mod:`bib2table.snapshot`): its description
        and its body, or ``None``."""
        db = self._connect(create=False)
        if db is None:
            return None
        try:
            row = db.execute("SELECT meta, body FROM snapshots WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            self._failed(exc)
            return None
        if row is None or not isinstance(row[0], str) or not isinstance(row[1], bytes):
            return None
        return row[0], row[1]

    def keep_snapshot(self, key: bytes, meta: str, body: bytes) -> None:
        """Keep a snapshot for :meth:`save`, replacing the one under ``key``."""
        self._snapshot = (key, meta, body)

    def forget(self, table: str, key: bytes) -> None:
        """Drop a value that was found unfit, so that :meth:`save` replaces it."""
        self.new[table].pop(key, None)

    # -- the database

    def save(self) -> None:
        """Write this run's new values, and mark the old ones it used, in one transaction."""
        rows = {t: [(k, v, _today()) for k, v in self.new[t].items()] for t in TABLES}
        snapshot, self._snapshot = self._snapshot, None
        if not any(rows.values()) and not any(self.used.values()) and snapshot is None:
            return
        db = self._connect(create=True)
        if db is None:
            return
        try:
            db.execute("BEGIN IMMEDIATE")
            for table in TABLES:
                if rows[table]:
                    db.executemany(
                        f"INSERT OR REPLACE INTO {table}(key, value, used) VALUES (?, ?, ?)",
                        rows[table],
                    )
                if self.used[table]:
                    db.executemany(
                        f"UPDATE {table} SET used = ? WHERE key = ?",
                        [(_today(), k) for k in self.used[table]],
                    )
            if snapshot is not None:
                db.execute(
                    "INSERT OR REPLACE INTO snapshots(key, meta, body, used) VALUES (?, ?, ?, ?)",
                    (*snapshot, _today()),
                )
            self._collect(db)
            db.execute("COMMIT")
        except (sqlite3.Error, ValueError) as exc:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            self._failed(exc)
        for table in TABLES:
            self.new[table].clear()
            self.used[table].clear()

    def close(self) -> None:
        """Close the database (a later lookup opens it again)."""
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db = None
        self._opened = False

    def _select(self, table: str, keys: list[bytes]) -> Iterator[tuple[bytes, str, int]]:
        if not keys:
            return
        db = self._connect(create=False)
        if db is None:
            return
        try:
            for start in range(0, len(keys), _BATCH):
                batch = keys[start : start + _BATCH]
                marks = ",".join("?" * len(batch))
                yield from db.execute(
                    f"SELECT key, value, used FROM {table} WHERE key IN ({marks})", batch
                ).fetchall()
        except sqlite3.Error as exc:
            self._failed(exc)

    def _connect(self, create: bool) -> sqlite3.Connection | None:
        """The open database; ``None`` when there is none to read or it cannot be used."""
        if self._db is not None or self._disabled or (self._opened and not create):
            return self._db
        if not create and not self.path.exists():
            return None
        self._opened = True
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            db = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error):
            return None
        try:
            self._prepare(db)
        except sqlite3.Error as exc:
            db.close()
            if not _damaged(exc):
                self._disabled = True
                return None
            _remove(self.path)
            try:
                db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
                self._prepare(db)
            except sqlite3.Error:
                return None
        self._db = db
        return db

    @staticmethod
    def _prepare(db: sqlite3.Connection) -> None:
        """Check the database reads as ours (else make its tables anew) and set it up."""
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        # Read through the memory map rather than a system call per page: a run reads a row
        # for nearly every entry.
        db.execute(f"PRAGMA mmap_size = {1 << 30}")
        if version == SCHEMA:
            return
        db.execute("BEGIN IMMEDIATE")
        for table in (*TABLES, "snapshots", "meta"):
            db.execute(f"DROP TABLE IF EXISTS {table}")
        for table in TABLES:
            db.execute(
                f"CREATE TABLE {table} (key BLOB PRIMARY KEY, value TEXT NOT NULL, "
                "used INTEGER NOT NULL) WITHOUT ROWID"
            )
        db.execute(
            "CREATE TABLE snapshots (key BLOB PRIMARY KEY, meta TEXT NOT NULL, "
            "body BLOB NOT NULL, used INTEGER NOT NULL)"
        )
        db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
        db.execute(f"PRAGMA user_version = {SCHEMA}")
        db.execute("COMMIT")

    @staticmethod
    def _collect(db: sqlite3.Connection) -> None:
        """Once a day, remove the rows no run has used for :data:`KEEP_DAYS` days."""
        today = _today()
        row = db.execute("SELECT value FROM meta WHERE name = 'collected'").fetchone()
        if row is not None and row[0] >= today:
            return
        for table in (*TABLES, "snapshots"):
            db.execute(f"DELETE FROM {table} WHERE used < ?", (today - KEEP_DAYS,))
        db.execute("INSERT OR REPLACE INTO meta(name, value) VALUES ('collected', ?)", (today,))

    def _failed(self, exc: Exception) -> None:
        """A database error mid-run: a damaged database goes, and :meth:`save` makes a new
        one; any other (locked, read-only, full) leaves the cache unused for the rest of the run."""
        self.close()
        if _damaged(exc):
            _remove(self.path)
        else:
            self._disabled = True


def _damaged(exc: Exception) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and (code & 0xFF) in _DAMAGED:
        return True
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


def _remove(path: Path) -> None:
    """Delete a damaged database with its write-ahead log and shared-memory index."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            os.unlink(f"{path}{suffix}")


def _text(value: Any) -> str:
    if type(value) is not str:
        raise TypeError("a text value must be a string")
    return value


def _today() -> int:
    return int(time.time() // 86400)
