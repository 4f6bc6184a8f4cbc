"""Work on two cores gives exactly what a plain loop gives."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from bib2table.workers import MINIMUM, map_in_halves


def square(n: int) -> int:
    return n * n


@pytest.mark.parametrize("count", [0, 1, MINIMUM - 1, MINIMUM, 3 * MINIMUM + 1])
def test_same_results_in_same_order(count: int) -> None:
    items = list(range(count))
    assert map_in_halves(square, items) == [n * n for n in items]


def test_a_failure_is_raised_here() -> None:
    def fail_on_last(n: int) -> int:
        if n == MINIMUM * 2 - 1:
            raise ValueError("the last item")
        return n

    with pytest.raises(ValueError, match="the last item"):
        map_in_halves(fail_on_last, list(range(MINIMUM * 2)))


def children() -> set[int]:
    """This process's children, zombies included."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == os.getpid():
                found.add(int(entry.name))
    return found


def big(n: int) -> str:
    return "x" * 100_000  # the worker's half fills the pipe many times over


def test_a_failure_here_ends_the_worker_without_waiting_for_it() -> None:
    """The worker has far more to send than a pipe holds; this side fails before reading."""
    before = children()

    def fail_here(n: int) -> str:
        if n == 0:
            raise ValueError("the first item")
        return big(n)

    with pytest.raises(ValueError, match="the first item"):
        map_in_halves(fail_here, list(range(MINIMUM * 2)))
    assert children() == before


def test_an_exception_that_does_not_pickle_still_says_what_it_was() -> None:
    class Local(Exception):  # a local class cannot be pickled
        pass

    def fail_there(n: int) -> int:
        if n == MINIMUM * 2 - 1:
            raise Local("only in the worker")
        return n

    with pytest.raises(RuntimeError, match="Local: only in the worker"):
        map_in_halves(fail_there, list(range(MINIMUM * 2)))


def test_a_signal_here_ends_the_worker_too() -> None:
    """SIGINT while this side works (the default handler raises KeyboardInterrupt): the call
    ends with it, and the worker is gone."""
    # Python's own handler, also when this process was started with SIGINT ignored (in the
    # background by a shell without job control).
    default = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _interrupted_at_work()
    finally:
        signal.signal(signal.SIGINT, default)


def _interrupted_at_work() -> None:
    before = children()
    here = os.getpid()
    working = threading.Event()
    # Sent once this side is at work on its half (which takes far longer than that).
    sender = threading.Thread(
        target=lambda: working.wait(60) and os.kill(here, signal.SIGINT), daemon=True
    )

    def slow(n: int) -> str:
        if os.getpid() == here:
            working.set()
        time.sleep(0.002)
        return big(n)

    sender.start()
    with pytest.raises(KeyboardInterrupt):
        map_in_halves(slow, list(range(MINIMUM * 4)))
    sender.join()
    assert children() == before


def test_a_worker_that_dies_is_replaced_by_this_side() -> None:
    """Killed from outside (out of memory, say), the worker's half is computed here."""

    def die_there(n: int) -> int:
        if n == MINIMUM * 2 - 1 and os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return n * n

    parent = os.getpid()
    assert map_in_halves(die_there, list(range(MINIMUM * 2))) == [n * n for n in range(MINIMUM * 2)]


@pytest.mark.parametrize("failing", ["html", "markdown", "csv"])
def test_a_format_failing_on_either_core_ends_the_run_with_its_message(
    failing: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Several formats are rendered on two cores; whichever fails, the run says why."""
    from bib2table import pipeline
    from bib2table.errors import TemplateError
    from bib2table.outputs.render import Renderer
    from paths import COMPRESSION_BIB

    monkeypatch.setenv("BIB2TABLE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(pipeline, "MINIMUM", 1)
    render = Renderer.render

    def broken(self: Renderer, *args: object, **kwargs: object) -> object:
        if self.format.name == failing:
            raise TemplateError(f"{failing} template broke")
        return render(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Renderer, "render", broken)
    before = children()
    loaded = pipeline.load(COMPRESSION_BIB)
    with pytest.raises(TemplateError, match=f"{failing} template broke"):
        pipeline.render_all(loaded, loaded.catalogue, ["html", "markdown", "csv"])
    assert children() == before
