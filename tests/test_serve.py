"""``--serve`` over real sockets: what it serves, to whom, and how it stops.

The page in a browser (updates, view state, problems shown) is tested in
``tests/browser/test_live_page.py``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bib2table.outputs.live import assets, patcher, widen
from serving import Serving, bib, replace, wait_for
from toolkit import run, write


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[Callable[..., Serving]]:
    started: list[Serving] = []

    def start(*args: str, port: int = 0) -> Serving:
        started.append(Serving(tmp_path, *args, port=port))
        return started[-1]

    yield start
    for one in started:
        one.close()


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def policy(page: str) -> str:
    found = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert found, page[:500]
    return html.unescape(found.group(1))


def test_serves_the_page_and_the_other_formats(
    tmp_path: Path, serving: Callable[..., Serving]
) -> None:
    write(tmp_path / "refs.bib", bib(3))
    server = serving("refs.bib", "--md", "--csv", "--bib")
    server.wait_built()
    status, headers, body = server.get("/?q=paper&sort=-Year")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    page = body.decode()
    assert page.count('<tr id="paper') == 3
    assert server.get("/refs.html")[2] == body
    written = tmp_path / "written"
    assert run(tmp_path / "refs.bib", "--html", "--md", "--csv", "--bib", "--out-dir", written)
    for name in ("refs.md", "refs.csv", "refs.bib"):
        status, headers, served = server.get("/" + name)
        assert status == 200, name
        assert headers["Content-Type"] == "text/plain; charset=utf-8"
        assert served == (written / name).read_bytes()
    assert "bib2table: built 3 entries" in server.said


def test_the_served_page_is_the_built_page_plus_the_preview(
    tmp_path: Path, serving: Callable[..., Serving]
) -> None:
    """The page on disk stays as it is; the served copy adds the preview's script and style,
    and its policy allows exactly them, and asking this server."""
    write(tmp_path / "refs.bib", bib(3))
    built = run(tmp_path / "refs.bib", "--html").stdout
    server = serving("refs.bib")
    server.wait_built()
    served = server.get("/")[2].decode()
    script, style = assets()
    assert f"<script>{script}</script>" in served
    assert f"<style>{style}</style>" in served
    state = re.search(r'<script type="application/json" id="bib2table-live">[^<]*</script>', served)
    assert state is not None
    stripped = served.replace(f"<style>{style}</style>", "").replace(state.group(0), "")
    stripped = stripped.replace(f"<script>{script}</script>", "")
    # The page's own script ends with the patcher, which shows new builds in place.
    assert stripped.count(patcher()) == 1
    assert patcher() not in built and "bib2table-patch" not in built
    own = re.findall(r"<script>(.*?)</script>", built, re.S)[-1]
    patched = own.removesuffix("})();\n") + patcher() + "})();\n"
    assert f"<script>{patched}</script>" in served
    assert _same_but_policy(stripped.replace(patcher(), ""), built)
    served_policy, built_policy = policy(served), policy(built)
    assert sha256(script) in served_policy and sha256(style) in served_policy
    assert "connect-src 'self'" in served_policy
    assert sha256(own) in built_policy and sha256(own) not in served_policy
    assert served_policy == widen(
        built_policy.replace(sha256(own), sha256(patched)),
        {"script-src": sha256(script), "style-src": sha256(style), "connect-src": "'self'"},
    )
    assert sha256(script) not in built


def _same_but_policy(served: str, built: str) -> bool:
    meta = re.compile(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">')
    return meta.sub("", served) == meta.sub("", built)


def test_widen_keeps_everything_else() -> None:
    allowed = {"script-src": "'sha256-A'", "style-src": "'sha256-B'", "connect-src": "'self'"}
    assert widen("default-src 'none'", allowed) == (
        "default-src 'none'; script-src 'sha256-A'; style-src 'sha256-B'; connect-src 'self'"
    )
    assert widen("default-src 'none'; script-src 'sha256-X'; style-src-elem 'none'", allowed) == (
        "default-src 'none'; script-src 'sha256-X' 'sha256-A'; style-src-elem 'sha256-B'; "
        "style-src 'sha256-B'; connect-src 'self'"
    )
    # A page that allows any inline script already, or any address, needs nothing more.
    assert widen("script-src 'unsafe-inline'; connect-src *", allowed) == (
        "script-src 'unsafe-inline'; connect-src *"
    )
    # Without default-src, what is not restricted stays unrestricted.
    assert widen("img-src data:", allowed) == "img-src data:"


def test_serves_nothing_from_the_file_system(
    tmp_path: Path, serving: Callable[..., Serving]
) -> None:
    write(tmp_path / "refs.bib", bib(2))
    write(tmp_path / "secret.txt", "do not serve")
    server = serving("refs.bib")
    server.wait_built()
    for path in (
        "/refs.bib",  # the input (not chosen as an output)
        "/secret.txt",
        "/bib2table.toml",
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "//etc/passwd",
        "/etc/passwd",
        "/refs.md",
        "/favicon.ico",
    ):
        status, _, body = server.get(path)
        assert status == 404, path
        assert b"do not serve" not in body
    raw = _raw(server.port, b"GET /../../secret.txt HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n\r\n")
    assert raw.startswith(b"HTTP/1.0 404"), raw[:100]


def _raw(port: int, request: bytes, address: str = "127.0.0.1") -> bytes:
    with socket.create_connection((address, port), timeout=30) as connection:
        connection.sendall(request.replace(b"%d", str(port).encode()))
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_refuses_requests_for_other_hosts(tmp_path: Path, serving: Callable[..., Serving]) -> None:
    """A page elsewhere whose host name now points at 127.0.0.1 (DNS rebinding) gets nothing."""
    write(tmp_path / "refs.bib", bib(2))
    server = serving("refs.bib")
    server.wait_built()
    port = server.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        assert server.get("/", host=host)[0] == 200, host
    for host in (
        f"attacker.example:{port}",
        "127.0.0.1",
        f"127.0.0.1:{port + 1}",
        f"localhost.attacker.example:{port}",
        f"127.0.0.1:{port}.attacker.example",
        "",
    ):
        status, _, body = server.get("/", host=host)
        assert status == 403, host
        assert b"paper1" not in body
        assert server.get("/_bib2table/live?since=-1", host=host)[0] == 403
    no_host = _raw(port, b"GET / HTTP/1.0\r\n\r\n")
    assert no_host.startswith(b"HTTP/1.0 403"), no_host[:100]


def test_listens_on_loopback_only(tmp_path: Path, serving: Callable[..., Serving]) -> None:
    write(tmp_path / "refs.bib", bib(2))
    server = serving("refs.bib")
    server.wait_built()
    elsewhere = ["127.0.0.2", *_other_addresses()]
    for address in elsewhere:
        with pytest.raises(OSError):
            socket.create_connection((address, server.port), timeout=5).close()
    listening = Path("/proc/net/tcp").read_text(encoding="ascii")
    port = f"{server.port:04X}"
    bound = [line.split()[1] for line in listening.splitlines()[1:] if line.split()[3] == "0A"]
    assert [a for a in bound if a.endswith(":" + port)] == ["0100007F:" + port]


def _other_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback (``hostname -I``)."""
    try:
        said = subprocess.run(
            ["hostname", "-I"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except OSError:
        return []
    return [a for a in said.split() if "." in a and not a.startswith("127.")]


def test_takes_the_next_free_port(tmp_path: Path, serving: Callable[..., Serving]) -> None:
    write(tmp_path / "refs.bib", bib(2))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = serving("refs.bib", port=port)
        assert server.port > port
        assert server.port <= port + 20
        server.wait_built()
        assert server.get("/")[0] == 200


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_ends_it_at_once_and_quietly(
    tmp_path: Path, serving: Callable[..., Serving], number: signal.Signals
) -> None:
    """Even with pages waiting for news: status 0 within 2 s, nothing left, no traceback."""
    write(tmp_path / "refs.bib", bib(2))
    server = serving("refs.bib")
    server.wait_built()
    waiting = [_open_wait(server.port) for _ in range(3)]
    time.sleep(0.3)
    status, seconds = server.stop(number)
    assert status == 0, server.said
    assert seconds < 2.0
    assert not server.group_left()
    assert "Traceback" not in server.said
    assert "Error" not in server.said
    for connection in waiting:
        connection.close()


def _open_wait(port: int) -> socket.socket:
    """A page's request for news, left waiting."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    state = _raw(port, b"GET /_bib2table/live?since=-1 HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n\r\n")
    found = re.search(rb'"server": "(\w+)", "version": (\d+)', state)
    assert found, state
    server, version = found.group(1), found.group(2)
    connection.sendall(
        b"GET /_bib2table/live?since=%s&server=%s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n\r\n"
        % (version, server, port)
    )
    return connection


def test_a_signal_during_a_rebuild_ends_it_at_once(
    tmp_path: Path, serving: Callable[..., Serving]
) -> None:
    """A rebuild large enough to use a second process is stopped too, and that process."""
    write(tmp_path / "refs.bib", bib(3000))
    server = serving("refs.bib", "--no-cache")
    server.wait_built()
    # A new @string is read again in full (an edited entry alone is shown in moments).
    replace(tmp_path / "refs.bib", '@string{x = "y"}\n' + bib(3000, {1: "Changed"}))
    time.sleep(0.25)  # noticed within ~0.1 s; rebuilding 3,000 entries without the cache: ~1 s
    status, seconds = server.stop(signal.SIGINT)
    assert status == 0, server.said
    assert seconds < 2.0
    assert not server.group_left()
    assert "Traceback" not in server.said
    assert server.builds() == 1, "the signal came after the rebuild: make the input larger"


def test_rebuilds_on_every_kind_of_save(tmp_path: Path, serving: Callable[..., Serving]) -> None:
    """Written in place, renamed over, deleted and made again, emptied, half written: each
    good save is served, each bad one keeps the last good page and says why."""
    source = write(tmp_path / "refs.bib", bib(2))
    server = serving("refs.bib", "--csv")
    server.wait_built()

    def csv() -> str:
        return server.get("/refs.csv")[2].decode()

    def news() -> str:
        return server.get("/_bib2table/live?since=-1")[2].decode()

    source.write_text(bib(3), encoding="utf-8")
    assert wait_for(lambda: "Paper 3" in csv()), server.said
    replace(source, bib(4))
    assert wait_for(lambda: "Paper 4" in csv()), server.said
    source.unlink()
    assert wait_for(lambda: '"stale": true' in news()), server.said
    assert "Paper 4" in csv()
    write(source, bib(5))
    assert wait_for(lambda: "Paper 5" in csv()), server.said
    assert '"stale": false' in news()
    source.write_text("", encoding="utf-8")
    assert wait_for(lambda: "no entries" in news()), server.said
    text = bib(6)
    source.write_text(text[: text.index("title", text.index("paper4"))], encoding="utf-8")
    assert wait_for(lambda: "refs.bib:" in news() and "no entries" not in news()), news()
    assert "Paper 5" in csv() and "Paper 6" not in csv()
    source.write_text(text, encoding="utf-8")
    assert wait_for(lambda: "Paper 6" in csv()), server.said
    assert '"notices": []' in news()
    write(tmp_path / "bib2table.toml", '[categories]\npruning = "The Pruning"\n')
    assert wait_for(lambda: "The Pruning" in csv()), server.said
    assert "Traceback" not in server.said


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "9000", "--html"], "--port N is the preview's port; use it with --serve"),
        (["--poll", "--html"], "--poll says how --watch and --serve look at files"),
        (["--serve", "--check"], "--serve rebuilds on every save itself"),
        (["--serve", "--watch"], "--serve rebuilds on every save itself"),
        (["--serve", "-o", "x.html"], "--serve writes nothing"),
        (["--serve", "--out-dir", "site"], "--serve writes nothing"),
        (["--serve", "--md", "--template", "t.jinja2"], "--template replaces one format's"),
    ],
)
def test_usage(tmp_path: Path, args: list[str], message: str) -> None:
    source = write(tmp_path / "refs.bib", bib(1))
    write(Path("t.jinja2"), "{{ catalogue.title }}\n")
    result = run(source, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_bad_settings_or_template_show_why_and_keep_the_last_page(
    tmp_path: Path, serving: Callable[..., Serving]
) -> None:
    write(tmp_path / "refs.bib", bib(2))
    template = write(tmp_path / "page.html.jinja2", "<p>{{ catalogue.title }}</p>\n")
    server = serving("refs.bib", "--template", "page.html.jinja2")
    server.wait_built()

    def news() -> str:
        return server.get("/_bib2table/live?since=-1")[2].decode()

    settings = write(tmp_path / "bib2table.toml", 'title = "Unclosed\n')
    assert wait_for(lambda: "not valid TOML" in news()), server.said
    assert '"stale": true' in news()
    assert server.get("/")[2].decode().startswith("<p>refs</p>")
    settings.write_text('title = "Closed"\n', encoding="utf-8")
    assert wait_for(lambda: server.get("/")[2].decode().startswith("<p>Closed</p>")), server.said
    template.write_text("{% for x in %}\n", encoding="utf-8")
    assert wait_for(lambda: "page.html.jinja2:1: Expected an expression" in news()), news()
    assert server.get("/")[2].decode().startswith("<p>Closed</p>")
    template.write_text("<p>{{ catalogue.title }}!</p>\n", encoding="utf-8")
    assert wait_for(lambda: server.get("/")[2].decode().startswith("<p>Closed!</p>")), news()
    said = server.said
    assert "Error: " in said and "not valid TOML" in said and "Traceback" not in said


def test_pages_are_told_when_a_rebuild_starts_and_ends(
    tmp_path: Path, serving: Callable[..., Serving]
) -> None:
    write(tmp_path / "refs.bib", bib(2000))
    server = serving("refs.bib", "--no-cache")
    server.wait_built()
    state = json.loads(server.get("/_bib2table/live?since=-1")[2])
    assert state["building"] is False
    asked = f"/_bib2table/live?since={state['version']}&server={state['server']}"
    # A new @string is read again in full (an edited entry alone is shown in moments).
    replace(tmp_path / "refs.bib", '@string{x = "y"}\n' + bib(2000, {1: "Changed"}))
    started = json.loads(server.get(asked)[2])
    assert started["building"] is True
    assert started["built"] == state["built"]
    asked = f"/_bib2table/live?since={started['version']}&server={state['server']}"
    done = json.loads(server.get(asked)[2])
    assert done["building"] is False
    assert done["built"] == state["built"] + 1


def test_a_long_standing_broken_entry_does_not_stop_the_preview(
    tmp_path: Path, serving: Callable[..., Serving]
) -> None:
    """Entries that could not be read before do not hold back the next save; new ones do."""
    keyless = "@article{,\n  title = {No key},\n}\n"
    source = write(tmp_path / "refs.bib", bib(2) + "\n" + keyless + "\n" + bib(4)[len(bib(2)) :])
    server = serving("refs.bib", "--csv")
    server.wait_built()

    def csv() -> str:
        return server.get("/refs.csv")[2].decode()

    def news() -> dict[str, object]:
        return dict(json.loads(server.get("/_bib2table/live?since=-1")[2]))

    assert "Paper 4" in csv()
    assert news()["stale"] is False
    assert "entry has no key" in str(news()["notices"])
    text = source.read_text(encoding="utf-8")
    source.write_text("\n\n" + text.replace("Paper 3", "Paper three"), encoding="utf-8")
    assert wait_for(lambda: "Paper three" in csv()), server.said  # the line moved: same problem
    assert news()["stale"] is False
    source.write_text(text + "\n@article{open,\n  title = {Never closed\n", encoding="utf-8")
    assert wait_for(lambda: news()["stale"] is True), server.said
    assert "Paper three" in csv()
    assert "block is not closed" in str(news()["notices"])
