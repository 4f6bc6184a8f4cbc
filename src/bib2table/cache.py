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
are still safe) before using it: a value that does not fit is a miss. Kept outputs and compiled
templates are sealed as they are written: a keyed digest made with a secret of the user's that
lives outside the cache folder (:func:`secret_path`, readable by the user only). A sealed value
was checked by this user's own run when it was written and is used as it is; a kept output that
is not sealed (copied from elsewhere, restored by a CI cache, edited, or written with no secret
at hand) is checked in full like any other value, and a compiled template that is not sealed is
never loaded: it is compiled again. A database that SQLite
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
import hmac
import json
import os
import secrets
import sqlite3
import stat
import time
from collections.abc import Iterable, Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from bib2table.version import __version__

#: The database's layout; another number means the tables are made anew.
SCHEMA = 3
TABLES = ("blocks", "entries", "fragments")
#: Tables of whole values: kept outputs and compiled templates.
_OTHER_TABLES = ("snapshots", "code")
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
            suffix = ".py" if root.name != "templates" else ""
            for folder, folders, names in os.walk(root):
                folders[:] = sorted(f for f in folders if f != "__pycache__")
                for file in sorted(n for n in names if n.endswith(suffix)):
                    path = Path(folder, file)
                    if not path.is_file():
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


def secret_path() -> Path:
    """Where the secret that seals values lives: ``$XDG_STATE_HOME/bib2table/cache-key``, else
    ``~/.local/state/bib2table/cache-key`` — never in the cache folder, so that a cache folder
    copied from elsewhere or restored by a CI cache brings no seal this user's runs accept."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "bib2table" / "cache-key"


#: The secret's length in bytes.
SECRET_BYTES = 32
#: Whether files have an owner and permission bits to check the secret's file by.
_POSIX = hasattr(os, "geteuid") and hasattr(os, "O_NOFOLLOW")


def _read_secret(path: Path) -> bytes | None:
    """The secret in ``path``: a regular file (not a link) of the user's own, readable and
    writable by nobody else, of :data:`SECRET_BYTES` bytes; else ``None`` (always where the
    system cannot say who owns a file and who may read it)."""
    if not _POSIX:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if (
            not stat.S_ISREG(info.st_mode)
            or info.st_uid != os.geteuid()
            or info.st_mode & 0o077
            or info.st_size != SECRET_BYTES
        ):
            return None
        data = os.read(fd, SECRET_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if len(data) == SECRET_BYTES else None


def _make_secret(path: Path) -> bytes | None:
    """The secret in ``path``, made first when there is none (by whichever of several
    concurrent runs links its new file there first); ``None`` when it cannot be made."""
    found = _read_secret(path)
    if found is not None or not _POSIX or path.exists() or path.is_symlink():
        return found
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError:
        return None
    try:
        try:
            os.write(fd, secrets.token_bytes(SECRET_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)  # never replaces a secret another run made meanwhile
    except OSError:
        return None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(draft)
    return _read_secret(path)


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
        self._code: dict[bytes, bytes] = {}
        #: kept outputs and compiled templates this run used, by table
        self._touched: dict[str, list[bytes]] = {table: [] for table in _OTHER_TABLES}
        self._secret: bytes | None = None
        self._secret_read = False

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

    def snapshot(self, key: bytes) -> Kept | None:
        """The snapshot kept under ``key`` (see :mod:`bib2table.snapshot`), or ``None``: its
        description now, its body read (and its seal checked) on another thread while the run
        goes on."""
        db = self._connect(create=False)
        if db is None:
            return None
        try:
            # One read transaction for the description and the body: the same snapshot,
            # whatever another run writes meanwhile.
            db.execute("BEGIN")
            row = db.execute(
                "SELECT meta, seal, used FROM snapshots WHERE key = ?", (key,)
            ).fetchone()
        except sqlite3.Error as exc:
            self._end_read(db)
            self._failed(exc)
            return None
        if row is None or not isinstance(row[0], str):
            self._end_read(db)
            return None
        meta, seal, used = row
        if used != _today():
            self._touched["snapshots"].append(key)
        return Kept(self, db, key, meta, seal)

    @staticmethod
    def _end_read(db: sqlite3.Connection) -> None:
        with contextlib.suppress(sqlite3.Error):
            db.execute("COMMIT")

    def code(self, key: bytes) -> bytes | None:
        """The compiled template kept under ``key``, only when it is sealed."""
        db = self._connect(create=False)
        if db is None:
            return None
        try:
            row = db.execute("SELECT value, seal, used FROM code WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            self._failed(exc)
            return None
        if row is None or not isinstance(row[0], bytes):
            return None
        if not self.is_sealed(row[1], b"code", key, row[0]):
            return None
        if row[2] != _today():
            self._touched["code"].append(key)
        return row[0]

    def keep_code(self, key: bytes, code: bytes) -> None:
        """Keep a compiled template for :meth:`save` (sealed, when there is a secret)."""
        self._code[key] = code

    def seal(self, *parts: bytes) -> bytes | None:
        """The seal of ``parts`` with this code's stamp, or ``None`` without a secret (made
        now when there is none yet)."""
        secret = self._key(create=True)
        if secret is None:
            return None
        hasher = hmac.new(secret, self.stamp, "sha256")  # (SHA-256 has machine instructions)
        for part in parts:
            hasher.update(len(part).to_bytes(8, "little"))
            hasher.update(part)
        return hasher.digest()

    def is_sealed(self, seal: object, *parts: bytes) -> bool:
        """Whether ``seal`` is the seal of ``parts`` made with this user's secret."""
        if not isinstance(seal, bytes) or self._key(create=False) is None:
            return False
        made = self.seal(*parts)
        return made is not None and hmac.compare_digest(made, seal)

    def _key(self, create: bool) -> bytes | None:
        """This user's secret (see :func:`secret_path`); ``None`` when there is none or it
        would be inside the cache folder."""
        if self._secret is None and (create or not self._secret_read):
            self._secret_read = True
            path = secret_path()
            try:
                inside = path.resolve().is_relative_to(self.folder.resolve())
            except (OSError, RuntimeError):
                inside = True
            if not inside:
                self._secret = _make_secret(path) if create else _read_secret(path)
        return self._secret

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
        code, self._code = self._code, {}
        touched = {t: keys for t, keys in self._touched.items() if keys}
        self._touched = {table: [] for table in _OTHER_TABLES}
        if not (any(rows.values()) or any(self.used.values()) or snapshot or code or touched):
            return
        sealed_code = []
        for key, value in code.items():
            seal = self.seal(b"code", key, value)
            if seal is not None:  # a compiled template is only ever loaded sealed
                sealed_code.append((key, value, seal, _today()))
        snapshot_row = None
        if snapshot is not None:
            key, meta, body = snapshot
            digest = hashlib.sha256(body).digest()
            seal = self.seal(b"snapshot", key, meta.encode("utf-8", "surrogatepass"), digest)
            snapshot_row = (key, meta, body, seal, _today())
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
            if snapshot_row is not None:
                db.execute(
                    "INSERT OR REPLACE INTO snapshots(key, meta, body, seal, used) "
                    "VALUES (?, ?, ?, ?, ?)",
                    snapshot_row,
                )
            if sealed_code:
                db.executemany(
                    "INSERT OR REPLACE INTO code(key, value, seal, used) VALUES (?, ?, ?, ?)",
                    sealed_code,
                )
            for table, keys in touched.items():
                db.executemany(
                    f"UPDATE {table} SET used = ? WHERE key = ?", [(_today(), k) for k in keys]
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
        for table in (*TABLES, *_OTHER_TABLES, "meta"):
            db.execute(f"DROP TABLE IF EXISTS {table}")
        for table in TABLES:
            db.execute(
                f"CREATE TABLE {table} (key BLOB PRIMARY KEY, value TEXT NOT NULL, "
                "used INTEGER NOT NULL) WITHOUT ROWID"
            )
        db.execute(
            "CREATE TABLE snapshots (key BLOB PRIMARY KEY, meta TEXT NOT NULL, "
            "body BLOB NOT NULL, seal BLOB, used INTEGER NOT NULL)"
        )
        db.execute(
            "CREATE TABLE code (key BLOB PRIMARY KEY, value BLOB NOT NULL, "
            "seal BLOB NOT NULL, used INTEGER NOT NULL)"
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
        for table in (*TABLES, *_OTHER_TABLES):
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


class Kept:
    """A kept snapshot: its description, and its body, read on another thread (SQLite and
    SHA-256 let other threads run) from the moment it is found. The seal covers the
    description and the body's SHA-256 digest."""

    def __init__(
        self, cache: Cache, db: sqlite3.Connection, key: bytes, meta: str, seal: object
    ) -> None:
        import threading

        self.meta = meta
        self._cache, self._db, self._key, self._seal = cache, db, key, seal
        self._found: tuple[bytes, bytes] | None = None
        self._thread: threading.Thread | None = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            row = self._db.execute(
                "SELECT body FROM snapshots WHERE key = ?", (self._key,)
            ).fetchone()
            if row is not None and isinstance(row[0], bytes):
                self._found = (row[0], hashlib.sha256(row[0]).digest())

    def body(self) -> tuple[bytes, bool] | None:
        """The body and whether the snapshot carries this user's seal; ``None`` when it
        cannot be read."""
        self.done()
        if self._found is None:
            return None
        body, digest = self._found
        meta = self.meta.encode("utf-8", "surrogatepass")
        return body, self._cache.is_sealed(self._seal, b"snapshot", self._key, meta, digest)

    def done(self) -> None:
        """Wait for the body to be read, and end the read (again: nothing)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            Cache._end_read(self._db)
