"""SIGINT or SIGTERM at any moment ends a run promptly and cleanly.

Real ``bib2table`` processes build a large generated bibliography in three formats (the two-core
phases included) and get a signal after a delay spread over the whole run, sent to the process
or to its process group (as Ctrl-C in a terminal does), with and without a cache. Each must
exit 130 (SIGINT) or 143 (SIGTERM), or 0 if it had finished, with no traceback, no temporary
file left in the output or cache folder, no process of its group left running, and every
output either as it was or whole. How fast it ends is measured by ``scripts/bench-run``;
here a run that does not end at all fails. ``BIB2TABLE_SLOW=1`` tries many more moments.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SLOW = bool(os.environ.get("BIB2TABLE_SLOW"))
ENTRIES = 6000
FORMATS = {"html": ".html", "md": ".md", "csv": ".csv"}


def generate(path: Path, count: int) -> None:
    """Entries shaped like real ones (macros, LaTeX, long abstracts), enough for a run of
    a few seconds that forks its worker."""
    rng = random.Random(7)
    words = "deep {\\\"o}ptimal {TeX} pruning graph sparse learning caf{\\'e} network".split()
    with path.open("w", encoding="utf-8") as out:
        out.write('@string{jt = "Journal of Tests"}\n')
        for i in range(count):
            title = " ".join(rng.choice(words) for _ in range(8))
            abstract = " ".join(rng.choice(words) for _ in range(80))
            out.write(
                f'@article{{k{i},\n  author = {{M{{\\"u}}ller, Anna and Chen, Li}},\n'
                f"  title = {{{title}}},\n  journal = jt,\n  year = {1950 + i % 70},\n"
                f"  keywords = {{pruning, graph}},\n  abstract = {{{abstract}}},\n"
                f"  url = {{https://example.org/{i}}}\n}}\n\n"
            )


def caught(pid: int) -> bool:
    """Whether the process catches SIGTERM yet (bib2table's handlers are in place)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True  # already gone
    mask = int(
        next(line for line in status.splitlines() if line.startswith("SigCgt")).split()[1], 16
    )
    return bool(mask & (1 << (signal.SIGTERM - 1)))


def group(pgid: int) -> list[str]:
    """Every process (zombies included) whose process group is ``pgid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            found.append(f"{entry.name} ({fields[0]}) {stat[: stat.rindex(')') + 1]}")
    return found


def temporary(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")] if folder.exists() else []


class Scene:
    """A generated bibliography, its expected outputs, and how long a run takes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.source = folder / "big.bib"
        generate(self.source, ENTRIES)
        out = folder / "expected"
        started = time.perf_counter()
        self.run(out, folder / "cache-expected", cache_on=False).communicate(timeout=600)
        self.seconds = time.perf_counter() - started
        self.expected = {fmt: (out / f"big{ext}").read_bytes() for fmt, ext in FORMATS.items()}

    def run(self, out: Path, cache: Path, cache_on: bool = True) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "bib2table", str(self.source), "--out-dir", str(out)]
        command += [f"--{fmt}" for fmt in FORMATS]
        if not cache_on:
            command.append("--no-cache")
        env = dict(os.environ, BIB2TABLE_CACHE_DIR=str(cache))
        env.pop("BIB2TABLE_DEBUG", None)
        return subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    return Scene(tmp_path_factory.mktemp("signals"))


def moments(count: int, seed: int) -> list[tuple[int, bool, bool, float]]:
    """(signal, to the whole group, with a cache, fraction of a run) spread over a run."""
    rng = random.Random(seed)
    chosen = []
    for n in range(count):
        number = (signal.SIGINT, signal.SIGTERM)[n % 2]
        fraction = (n + rng.random()) / count * 1.1
        chosen.append((number, n % 4 in (1, 2), n % 3 != 0, fraction))
    return chosen


CASES = moments(60 if SLOW else 8, seed=int(os.environ.get("BIB2TABLE_SIGNAL_SEED", "1")))


@pytest.mark.parametrize(
    ("number", "to_group", "cached", "fraction"),
    CASES,
    ids=[
        "-".join(
            [
                signal.Signals(n).name,
                "group" if g else "process",
                "cache" if c else "none",
                f"{f:.2f}",
            ]
        )
        for n, g, c, f in CASES
    ],
)
def test_a_signal_ends_the_run_cleanly(
    scene: Scene, tmp_path: Path, number: int, to_group: bool, cached: bool, fraction: float
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    old = {fmt: f"old {fmt}\n".encode() for fmt in FORMATS}
    for fmt, ext in FORMATS.items():
        (out / f"big{ext}").write_bytes(old[fmt])
    cache = tmp_path / "cache"
    if cached and fraction > 0.5:  # half of these find a filled cache, the rest fill it
        scene.run(out / "warm", cache).communicate(timeout=600)
    process = scene.run(out, cache, cache_on=cached)
    deadline = time.monotonic() + 60
    while not caught(process.pid) and time.monotonic() < deadline:
        time.sleep(0.002)
    if not caught(process.pid):
        process.kill()
        pytest.fail("bib2table does not handle SIGTERM")
    time.sleep(fraction * scene.seconds)
    try:
        if to_group:
            os.killpg(process.pid, number)
        else:
            os.kill(process.pid, number)
    except ProcessLookupError:
        pass
    _, stderr = process.communicate(timeout=120)
    text = stderr.decode("utf-8", "replace")
    assert process.returncode in (0, 128 + number), text
    assert "Traceback" not in text
    assert "unexpected error" not in text
    assert temporary(out) == []
    assert temporary(cache) == []
    assert group(process.pid) == []
    for fmt, ext in FORMATS.items():
        written = (out / f"big{ext}").read_bytes()
        if process.returncode == 0:
            assert written == scene.expected[fmt]
        else:
            assert written in (old[fmt], scene.expected[fmt]), f"{fmt} is half written"


CALLBACK = """
import os, signal, sys, time, weakref
from bib2table.__main__ import handle_signals
from bib2table.errors import Interrupted

handle_signals()
if sys.argv[2] == "unhandled":
    sys.unraisablehook = sys.__unraisablehook__

def signal_now(*_):
    os.kill(os.getpid(), signal.SIGINT)
    for _ in range(100_000):  # the handler runs here, in code whose errors Python only reports
        pass

class Finalised:
    def __del__(self):
        signal_now()

class Referred:
    pass

try:
    if sys.argv[1] == "weak reference":
        thing = Referred()
        reference = weakref.ref(thing, signal_now)
    else:
        thing = Finalised()
    del thing
    time.sleep(1)
    print("not interrupted")
except Interrupted as exc:
    sys.exit(exc.status)
"""


@pytest.mark.parametrize("where", ["weak reference", "finaliser"])
def test_a_signal_in_a_callback_python_only_reports_still_ends_the_run(where: str) -> None:
    """The import system's module locks have weak reference callbacks: a signal that lands in
    one (or in a finaliser) is raised again a moment later, and ends the run without a
    report. The control shows that Python alone loses it."""
    lost = subprocess.run(
        [sys.executable, "-c", CALLBACK, where, "unhandled"], capture_output=True, text=True
    )
    assert lost.returncode == 0 and "not interrupted" in lost.stdout
    assert "Exception ignored" in lost.stderr
    ended = subprocess.run(
        [sys.executable, "-c", CALLBACK, where, "handled"], capture_output=True, text=True
    )
    assert ended.returncode == 128 + signal.SIGINT, ended.stderr
    assert "not interrupted" not in ended.stdout
    assert "Traceback" not in ended.stderr and "Exception ignored" not in ended.stderr
