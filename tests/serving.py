"""``bib2table … --serve`` as a real process on a real port, for the preview's tests.

The server runs in a session of its own (so that the test can tell whether any process it
started is left), writes what it says to a log file, and is always ended. Every wait is for a
condition, with a generous bound.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ENTRY = """@article{{paper{n},
  author = {{Author, Number{n}}},
  title = {{{title}}},
  journal = {{Journal}},
  year = {{{year}}},
  url = {{https://example.org/{n}}},
  keywords = {{{topic}}}
}}
"""
TOPICS = ("pruning", "distillation", "quantization")


def bib(count: int, titles: dict[int, str] | None = None) -> str:
    """``count`` entries, ``paper1`` … ; entry n's title is ``Paper n`` unless ``titles`` says."""
    return "\n".join(
        ENTRY.format(
            n=n,
            title=(titles or {}).get(n, f"Paper {n}"),
            year=1990 + n % 30,
            topic=TOPICS[n % len(TOPICS)],
        )
        for n in range(1, count + 1)
    )


def wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.03)
    return condition()


class Serving:
    """``bib2table ARGS --serve --port PORT`` running in ``folder`` until stopped."""

    def __init__(self, folder: Path, *args: str, port: int = 0) -> None:
        self.folder = folder
        self.log = folder / f"serve-{time.monotonic_ns()}.log"
        self.stream = self.log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bib2table", *args, "--serve", "--port", str(port)],
            cwd=folder,
            stdout=self.stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        found: list[str] = []

        def started() -> bool:
            found[:] = re.findall(r" at (http://127\.0\.0\.1:\d+/)", self.said)
            return bool(found) or self.process.poll() is not None

        assert wait_for(started), self.said
        assert found, f"the server did not start: {self.said}"
        self.url = found[0]
        self.port = int(self.url.rsplit(":", 1)[1].strip("/"))

    @property
    def said(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def builds(self) -> int:
        return self.said.count("bib2table: built ")

    def wait_built(self, count: int = 1) -> None:
        assert wait_for(lambda: self.builds() >= count), self.said

    def get(self, path: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
        """GET ``path``: status, headers, body."""
        request = urllib.request.Request(self.url.rstrip("/") + path)
        if host is not None:
            request.add_unredirected_header("Host", host)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def stop(self, number: int = signal.SIGTERM) -> tuple[int, float]:
        """Send the signal; the exit status and how long the process took to end."""
        started = time.monotonic()
        self.process.send_signal(number)
        status = self.process.wait(timeout=30)
        return status, time.monotonic() - started

    def group_left(self) -> bool:
        """Whether any process of the server's session is still there."""
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        if self.group_left():
            os.killpg(self.process.pid, signal.SIGKILL)
        self.stream.close()


def replace(path: Path, text: str) -> None:
    """Save as many editors do: write a new file beside, then rename it over the old one."""
    fresh = path.with_name(f".{path.name}.saving")
    fresh.write_text(text, encoding="utf-8")
    os.replace(fresh, path)
