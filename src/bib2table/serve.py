"""``--serve``: a live preview of the catalogue on this machine, rebuilt on every save.

One process keeps everything: the main thread rebuilds through the pipeline whenever the watched
files change (:class:`~bib2table.watch.Watcher`) and publishes the result; a threaded
``http.server`` answers each request from memory. An open page asks ``/_bib2table/live`` for
news: the answer waits until the state changes (a new build, or the problems of a save that
cannot be read), and the page reloads itself or shows the problems over the last good
catalogue. A page asked for during a build waits for it, so it is never older than the files.

Only this machine can connect: the server listens on 127.0.0.1 alone, answers only requests
addressed to ``127.0.0.1:PORT`` or ``localhost:PORT`` (a web page elsewhere cannot reach it by
renaming its own host, "DNS rebinding"), and serves only the outputs it built — nothing from the
file system. Ctrl-C or SIGTERM stop the watcher, the build loop and the server, in that order.
"""

from __future__ import annotations

import errno
import html
import json
import os
import re
import secrets
import socketserver
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from bib2table.builder import Builder
from bib2table.catalogue.model import Catalogue
from bib2table.catalogue.selection import Selection
from bib2table.errors import Bib2TableError, OutputError
from bib2table.outputs.live import split_page, state_block
from bib2table.pipeline import EXTENSIONS, Loaded, choose, load, render_all
from bib2table.problems import Problem, Severity
from bib2table.watch import Watcher, stopped_by_signals

#: Where an open page asks for news.
NEWS = "/_bib2table/live"
#: Where an open page asks how to become the newest build (see :mod:`bib2table.builder`).
PATCH = "/_bib2table/patch"
#: How many builds back an open page can be patched from (older ones reload).
PATCHES_KEPT = 32
#: How long a request for news waits before it is answered anyway, in seconds.
NEWS_WAIT = 25.0
#: Ports tried from the one asked for, when it is taken.
PORTS_TRIED = 20
HOST = "127.0.0.1"

_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "frame-ancestors 'none'",
}
_PLACEHOLDER = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'">
<title>{name}: no catalogue yet</title>
</head>
<body>
<p>{name} has not been read yet. This page updates itself when it can be.</p>
</body>
</html>
"""


#: An entry that cannot be read, as saves are compared: its key and what is wrong.
Kind = tuple[str, str]
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class Preview:
    """What to build, as the command's options say; the HTML page is always among the formats."""

    source: Path
    formats: list[str]
    selection: Selection | None = None
    config: Path | None = None
    template: Path | None = None
    encoding: str | None = None
    cache: bool = True


@dataclass(frozen=True)
class Document:
    """One served output: a page is cut where its state goes (``tail`` follows the state)."""

    content_type: str
    head: bytes
    tail: bytes | None = None


#: Documents made when first asked for (see :meth:`Site.document`).
Maker = Callable[[], dict[str, Document]]


@dataclass
class Outcome:
    """What one rebuild gave: new documents (or how to make them), or None when the save
    cannot be shown; with ``patch``, how the open pages of the last build become this one."""

    documents: dict[str, Document] | Maker | None
    problems: list[Problem] = field(default_factory=list)
    notices: list[dict[str, str]] = field(default_factory=list)
    entries: int = 0
    seconds: float = 0.0
    error: str = ""  # what stopped the build (bad settings, a broken template, …)
    kinds: frozenset[Kind] = frozenset()  # the shown catalogue's entries that cannot be read
    patch: dict[str, Any] | None = None


class Site:
    """What the server shows, shared by the build loop (the only writer) and the requests."""

    def __init__(self, source: Path) -> None:
        self.source = source.name
        self.server = secrets.token_hex(8)
        self._condition = threading.Condition()
        self._version = 0  # any change of state: a build, or new problems
        self._built = 0  # builds shown
        self._stale = False  # the documents are older than the last save
        self._notices: list[dict[str, str]] = []
        self._documents: dict[str, Document] | None = _placeholder(self.source)
        self._maker: Maker | None = None
        self._made = 0  # the build ``_documents`` show
        self._making = threading.Lock()
        self._patches: dict[int, dict[str, Any]] = {}  # build -> how the one before becomes it
        self.tolerated: frozenset[Kind] | None = None  # see rebuild(); None: nothing shown yet
        self._building = True
        self._closing = False

    def begin(self) -> None:
        """A rebuild starts: pages say so; requests for a page wait for it."""
        with self._condition:
            if not self._building:
                self._building = True
                self._version += 1
                self._condition.notify_all()

    def publish(self, outcome: Outcome) -> None:
        """Show ``outcome``; wake every request that waits for news or for the build."""
        with self._condition:
            if outcome.documents is not None:
                if callable(outcome.documents):
                    self._documents, self._maker = None, outcome.documents
                else:
                    self._documents, self._maker = outcome.documents, None
                self.tolerated = outcome.kinds
                self._built += 1
                self._made = self._built
                if outcome.patch is not None:
                    self._patches[self._built] = outcome.patch
                else:
                    self._patches.clear()
                self._patches.pop(self._built - PATCHES_KEPT, None)
            self._stale = outcome.documents is None
            self._notices = outcome.notices
            self._version += 1
            self._building = False
            self._condition.notify_all()

    def close(self) -> None:
        with self._condition:
            self._closing = True
            self._condition.notify_all()

    def state(self) -> dict[str, Any]:
        """The state as the page's script reads it (call with the condition held)."""
        return {
            "server": self.server,
            "version": self._version,
            "built": self._built,
            "stale": self._stale,
            "building": self._building,
            "source": self.source,
            "notices": self._notices,
        }

    def document(self, path: str) -> tuple[Document, dict[str, Any]] | None:
        """The document at ``path`` once the ongoing build (if any) is done, with the state;
        documents left to make are made now, once (other requests wait for them)."""
        with self._making:
            with self._condition:
                self._condition.wait_for(lambda: not self._building or self._closing)
                documents, maker, built = self._documents, self._maker, self._made
            if documents is None and maker is not None:
                documents = _made(maker)
                with self._condition:
                    if self._made == built:
                        self._documents, self._maker = documents, None
        with self._condition:
            found = documents.get(path) if documents is not None else None
            return None if found is None else (found, self.state() | {"built": built})

    def patches(self, since: int, server: str) -> dict[str, Any] | None:
        """How a page of build ``since`` becomes the newest build, or ``None`` when it cannot
        (a page of another server, or from before a build that changed more than entries)."""
        with self._condition:
            if server != self.server or not 0 < since <= self._built:
                return None
            wanted = range(since + 1, self._built + 1)
            if any(number not in self._patches for number in wanted):
                return None
            return {"built": self._built, "patches": [self._patches[n] for n in wanted]}

    def news(self, since: int, server: str, timeout: float = NEWS_WAIT) -> dict[str, Any]:
        """The state, as soon as it differs from version ``since`` of ``server`` (or later)."""
        with self._condition:
            self._condition.wait_for(
                lambda: self._closing or server != self.server or since != self._version, timeout
            )
            return self.state()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, site: Site) -> None:
        self.site = site
        super().__init__((HOST, port), _Handler)
        self.port = int(self.server_address[1])
        self.hosts = {f"{HOST}:{self.port}", f"localhost:{self.port}"}
        if self.port == 80:
            self.hosts |= {HOST, "localhost"}

    def server_bind(self) -> None:
        # http.server would look the address up in DNS for a name it never uses.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = HOST, int(self.server_address[1])

    def handle_error(self, request: object, client_address: object) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return  # the browser went away (a reload, a closed tab)
        print(f"bib2table: preview server: {type(error).__name__}: {error}", file=sys.stderr)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "bib2table"
    sys_version = ""

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged: the preview's messages are about the catalogue."""

    def _answer(self, body: bool) -> None:
        site = self.server.site
        host = self.headers.get("Host", "").strip().lower()
        if host not in self.server.hosts:
            refused = f"This preview answers only to {self.server.url}\n"
            self._send(403, "text/plain; charset=utf-8", [refused.encode()], body)
            return
        address = urlsplit(self.path)
        path = unquote(address.path)
        if path == PATCH:
            query = parse_qs(address.query)
            since = _number(query.get("since", [""])[0])
            patches = site.patches(since, query.get("server", [""])[0])
            # null: no patch leads there (the page reloads); not an error in the page's console
            self._send(200, "application/json", [json.dumps(patches).encode()], body)
            return
        if path == NEWS:
            query = parse_qs(address.query)
            since = _number(query.get("since", [""])[0])
            state = site.news(since, query.get("server", [""])[0])
            self._send(200, "application/json", [json.dumps(state).encode()], body)
            return
        found = site.document(path)
        if found is None:
            self._send(404, "text/plain; charset=utf-8", [b"Not found\n"], body)
            return
        document, state = found
        chunks = [document.head]
        if document.tail is not None:
            chunks += [state_block(state).encode(), document.tail]
        self._send(200, document.content_type, chunks, body)

    def _send(self, status: int, content_type: str, chunks: list[bytes], body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(sum(len(c) for c in chunks)))
        for name, value in _HEADERS.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        if body:
            for chunk in chunks:
                self.wfile.write(chunk)


def _number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return -1


def listen(port: int, site: Site) -> _Server:
    """A server on 127.0.0.1 at ``port``, or the next free port after it (0: any free port)."""
    last = port if port == 0 else min(port + PORTS_TRIED - 1, 65535)
    for candidate in range(port, last + 1):
        try:
            return _Server(candidate, site)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE and candidate < last:
                continue
            if exc.errno == errno.EADDRINUSE:
                taken = f"ports {port} to {last} are" if last > port else f"port {port} is"
                raise OutputError(
                    f"cannot serve on {HOST}: {taken} taken; choose another with --port"
                ) from None
            raise OutputError(f"cannot serve on {HOST}:{candidate}: {exc.strerror}") from None
    raise AssertionError("unreachable")


def rebuild(
    preview: Preview, tolerated: frozenset[Kind] | None = None, builder: Builder | None = None
) -> Outcome:
    """Build every output of ``preview``: from the last build, when ``builder`` can (only
    entries changed; the documents are then made when first asked for, and the outcome
    carries the patch for the open pages); else through the pipeline, as a normal run does.

    A save with entries that cannot be read is shown only if each of them is one that the
    catalogue shown now has too (``tolerated``; None: anything goes, as at the start): so a
    file with a long-standing broken entry is still previewed, while a save caught half
    written, or a new mistake, leaves the last good catalogue in place.
    """
    started = time.perf_counter()
    if builder is not None:
        try:
            change = builder.quick()
        except Exception:  # a bug in the quick way: the full build says what is wrong
            if os.environ.get("BIB2TABLE_DEBUG"):
                raise
            change = None
        if change is not None:
            quick, catalogue = change.loaded, change.loaded.catalogue
            entries, seconds = len(catalogue.entries), time.perf_counter() - started
            return Outcome(
                lambda: documents_of(preview, quick, catalogue),
                change.problems,
                [],
                entries,
                seconds,
                kinds=tolerated or frozenset(),
                patch=change.patch,
            )
        builder.forget()
    before = builder.read() if builder is not None else None
    try:
        loaded = load(preview.source, preview.config, preview.encoding, preview.cache)
        errors = [p for p in loaded.parsed.problems if p.severity is Severity.ERROR]
        if not loaded.parsed.entries:
            empty = "no entries (emptied, or half saved?)"
            errors = errors or [Problem(str(preview.source), 0, "", empty)]
            return Outcome(None, loaded.catalogue.problems, _notices(errors))
        if tolerated is not None and not {_kind(p) for p in errors} <= tolerated:
            return Outcome(None, loaded.catalogue.problems, _notices(errors))
        catalogue = choose(loaded, preview.selection)
        documents = documents_of(preview, loaded, catalogue)
    except Bib2TableError as exc:
        return Outcome(None, notices=[{"where": "", "message": str(exc)}], error=str(exc))
    except Exception as exc:  # a bug: say so, and keep serving the last good catalogue
        if os.environ.get("BIB2TABLE_DEBUG"):
            raise
        bug = (
            f"unexpected error ({type(exc).__name__}: {exc}). This is a bug in bib2table: please "
            "report it with the input that caused it; BIB2TABLE_DEBUG=1 shows where it happened."
        )
        return Outcome(None, notices=[{"where": "", "message": bug}], error=bug)
    if builder is not None:
        builder.remember(loaded, before)
    errors = [p for p in catalogue.problems if p.severity is Severity.ERROR]
    kinds = frozenset(_kind(p) for p in errors)
    entries, seconds = len(catalogue.entries), time.perf_counter() - started
    return Outcome(documents, catalogue.problems, _notices(errors), entries, seconds, kinds=kinds)


def documents_of(preview: Preview, loaded: Loaded, catalogue: Catalogue) -> dict[str, Document]:
    """Every output of ``preview`` for ``catalogue``, as the server keeps them."""
    outputs = render_all(loaded, catalogue, preview.formats, preview.template)
    documents = {}
    for output in outputs:
        name = "/" + preview.source.stem + EXTENSIONS[output.format]
        if output.format == "html":
            head, tail = split_page(output.text)
            page = Document("text/html; charset=utf-8", head.encode(), tail.encode())
            documents["/"] = documents[name] = page
        else:
            documents[name] = Document("text/plain; charset=utf-8", output.text.encode())
    return documents


def _made(maker: Maker) -> dict[str, Document]:
    """The documents ``maker`` makes; if it fails, a page that says so (a bug: the catalogue
    was built, only its page could not be made)."""
    try:
        return maker()
    except Exception as exc:
        if os.environ.get("BIB2TABLE_DEBUG"):
            raise
        bug = (
            f"bib2table: unexpected error ({type(exc).__name__}: {exc}) while making the page. "
            "This is a bug in bib2table: please report it; save again to rebuild in full.\n"
        )
        return {"/": Document("text/plain; charset=utf-8", bug.encode())}


def _kind(problem: Problem) -> Kind:
    """A problem as saves are compared: where it is may move, what it is does not."""
    return problem.key, _NUMBER.sub("#", problem.message)


def _notices(problems: list[Problem]) -> list[dict[str, str]]:
    """Problems as the page shows them: ``file:line`` apart from the rest."""
    notices = []
    for problem in sorted(problems, key=lambda p: (p.file, p.line, p.key)):
        where = f"{problem.file}:{problem.line}" if problem.line else problem.file
        notices.append({"where": where, "message": str(problem)[len(where) + 2 :]})
    return notices


def _placeholder(name: str) -> dict[str, Document]:
    """What is shown before any save could be read: a page that waits for one."""
    head, tail = split_page(_PLACEHOLDER.format(name=html.escape(name)))
    page = Document("text/html; charset=utf-8", head.encode(), tail.encode())
    return {"/": page}


def serve(
    preview: Preview,
    watched: Callable[[], list[Path]],
    port: int = 8000,
    poll: bool = False,
    say: Callable[[str], None] = print,
    report: Callable[[list[Problem]], None] = lambda _: None,
) -> None:
    """Serve the preview until Ctrl-C or SIGTERM (which raise KeyboardInterrupt here)."""
    with stopped_by_signals():
        site = Site(preview.source)
        server = listen(port, site)
        thread = threading.Thread(
            target=server.serve_forever, args=(0.1,), name="bib2table-serve", daemon=True
        )
        thread.start()
        watcher: Watcher | None = None
        builder = Builder(
            preview.source, preview.config, preview.encoding, preview.template, preview.selection
        )
        try:
            watcher = Watcher(watched, poll)
            how = " (polling)" if watcher.polling else ""
            say(f"bib2table: serving {preview.source} at {server.url} (Ctrl-C to stop){how}")
            while True:
                watcher.mark()
                site.begin()
                outcome = rebuild(preview, site.tolerated, builder)
                watcher.refresh()
                if outcome.documents is None and watcher.pending():
                    continue  # a save still under way: its next notice is on its way
                site.publish(outcome)
                report(outcome.problems)
                if outcome.error:
                    say(f"Error: {outcome.error}")
                if outcome.documents is None:
                    say(
                        f"bib2table: {preview.source} cannot be read; the preview shows the last "
                        "catalogue that could be, until it can"
                    )
                else:
                    how = ", shown in place" if outcome.patch is not None else ""
                    say(
                        f"bib2table: built {outcome.entries:,} entries in "
                        f"{outcome.seconds:.2f} s{how}; {server.url}"
                    )
                while not watcher.wait(timeout=1.0):
                    pass
        finally:
            if watcher is not None:
                watcher.close()
            site.close()
            server.shutdown()
            server.server_close()
            thread.join(timeout=2)


__all__ = ["NEWS", "PATCH", "Preview", "Site", "documents_of", "listen", "rebuild", "serve"]
