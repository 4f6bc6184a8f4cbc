"""Work on two cores gives exactly what a plain loop gives."""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

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
        if os.getpid() != here:
            raise Local("only in the worker")
        time.sleep(0.001)  # (so that the worker has chunks left to take)
        return n

    here = os.getpid()

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
    """Killed from outside (out of memory, say), the worker's chunks are computed here."""

    def die_there(n: int) -> int:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.001)  # (so that the worker has chunks left to take)
        return n * n

    parent = os.getpid()
    assert map_in_halves(die_there, list(range(MINIMUM * 2))) == [n * n for n in range(MINIMUM * 2)]


@pytest.mark.parametrize("where", ["page", "row"])
@pytest.mark.parametrize("failing", ["html", "markdown", "csv"])
def test_a_format_failing_on_either_core_ends_the_run_with_its_message(
    failing: str, where: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Several formats are rendered on two cores (rows on either, pages while rows are made);
    whichever fails, in a page or in a row, the run says why."""
    from bib2table import pipeline
    from bib2table.errors import TemplateError
    from bib2table.outputs import render
    from paths import COMPRESSION_BIB

    monkeypatch.setenv("BIB2TABLE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(pipeline, "MINIMUM", 1)
    if where == "page":
        pieces = render.Renderer._pieces

        def broken_page(self: render.Renderer, *args: Any, **kwargs: Any) -> Any:
            if self.format.name == failing:
                raise TemplateError(f"{failing} template broke")
            return pieces(self, *args, **kwargs)

        monkeypatch.setattr(render.Renderer, "_pieces", broken_page)
    else:
        alone = render._RowHook.alone

        def broken_row(self: render._RowHook, *args: Any, **kwargs: Any) -> Any:
            if self.renderer.format.name == failing and self.block is not None:
                raise TemplateError(f"{failing} template broke")  # (past the first row)
            return alone(self, *args, **kwargs)

        monkeypatch.setattr(render._RowHook, "alone", broken_row)
    before = children()
    loaded = pipeline.load(COMPRESSION_BIB)
    with pytest.raises(TemplateError, match=f"{failing} template broke"):
        pipeline.render_all(loaded, loaded.catalogue, ["html", "markdown", "csv"])
    assert children() == before


def test_a_busy_worker_does_less_and_each_side_works_in_order() -> None:
    """Whichever side is free takes the next chunk: a worker slowed down (its core busy with
    other work) leaves most of them here. Each side takes its chunks in order."""
    here = os.getpid()
    seen = itertools.count()

    def mark(n: int) -> tuple[int, int, int]:
        if os.getpid() != here:
            time.sleep(0.05)
        return n, os.getpid(), next(seen)

    results = map_in_halves(mark, list(range(256)), minimum=1)
    assert [n for n, _, _ in results] == list(range(256))
    assert sum(pid == here for _, pid, _ in results) > 200
    for side in {pid for _, pid, _ in results}:
        order = [number for _, pid, number in results if pid == side]
        assert order == sorted(order)


@pytest.mark.parametrize("busy_here", [False, True])
def test_each_item_is_computed_once(busy_here: bool, tmp_path: Path) -> None:
    """Every item is computed by one side only, once, whether or not this side has work of
    its own to do first (then the worker may take the first chunk too)."""
    from bib2table.workers import Soon

    log = os.open(tmp_path / "log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)

    def note(n: int) -> int:
        os.write(log, f"{n}\n".encode())
        return n

    soon = Soon(lambda: time.sleep(0.05)) if busy_here else None
    try:
        assert map_in_halves(note, list(range(500)), minimum=1) == list(range(500))
    finally:
        os.close(log)
    computed = [int(line) for line in (tmp_path / "log").read_text().split()]
    assert sorted(computed) == list(range(500))
    if soon is not None:
        soon.get()


def _large_bib(folder: Path, count: int = 1700) -> Path:
    """A bibliography large enough to be read, modelled and rendered on two cores, with
    what a row may hold: math, accents, links, categories, macros, names."""
    lines = ['@string{jt = "Journal of Things"}', '@preamble{"\\def\\tx{T\\kern-1ptX}"}']
    for n in range(count):
        lines.append(
            f'@article{{k{n},\n  author = {{M{{\\"u}}ller, J{n} and van der Berg, A.}},\n'
            f"  title = {{On $x^{n % 7}$ and \\tx{{}} {n}}},\n  journal = jt,\n"
            f"  year = {1990 + n % 30},\n  keywords = {{k{n % 5}, shared}},\n"
            f"  doi = {{10.1000/x{n}}},\n  url = {{https://example.org/{n}?a=1&b=2}},\n"
            f"  abstract = {{Long {n} text.}}\n}}\n"
        )
    return _write(folder / "large.bib", "\n".join(lines))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("cache", [False, True])
def test_a_large_catalogue_is_the_same_on_two_cores_as_on_one(
    cache: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bib2table import build, workers

    bib = _large_bib(tmp_path)
    monkeypatch.setenv("BIB2TABLE_CACHE_DIR", str(tmp_path / "cache"))
    forks = []
    fork = os.fork

    def counted() -> int:
        pid = fork()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", counted)
    # The page's data is made once, while the other core renders rows, and used.
    from bib2table.catalogue import cite, pagedata

    made = {"cite": 0, "page": 0}
    names, venues = cite._names, pagedata.full_venues

    def cite_names(*args: Any) -> Any:
        made["cite"] += 1
        return names(*args)

    def page_venues(*args: Any) -> Any:
        made["page"] += 1
        return venues(*args)

    monkeypatch.setattr(cite, "_names", cite_names)
    monkeypatch.setattr(pagedata, "full_venues", page_venues)
    formats = ["html", "markdown", "csv"]
    catalogue, on_two = build(bib, formats, cache=cache)
    assert len(forks) >= 3  # the blocks, the entries, the rows
    assert made == {"cite": 1, "page": len(catalogue.entries)}
    monkeypatch.setattr(workers, "_can_fork", lambda: False)
    _, on_one = build(bib, formats, cache=False)
    assert [o.text for o in on_two] == [o.text for o in on_one]


def test_the_files_macro_budget_is_spent_in_file_order_on_two_cores(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A macro that doubles itself exhausts the file's expansion budget after a few entries;
    on two cores, which entries find it spent is what it is on one: those after it in the
    file."""
    from bib2table import pipeline, workers
    from bib2table.catalogue import model

    text = '@preamble{"\\def\\x{\\x\\x}"}\n' + "".join(
        f"@misc{{e{n}, title = {{A{n} \\x{{}} B}}}}\n@misc{{p{n}, title = {{Plain {n}}}}}\n"
        for n in range(40)
    )
    bib = _write(tmp_path / "doubling.bib", text)
    share = workers.map_in_halves

    def eager(function: object, items: list[object], minimum: int = 0, pieces: int = 8) -> object:
        return share(function, items, 2, pieces)  # type: ignore[arg-type]

    monkeypatch.setattr(model, "map_in_halves", eager)
    on_two = pipeline.load(bib, cache=False).catalogue
    monkeypatch.setattr(workers, "_can_fork", lambda: False)
    on_one = pipeline.load(bib, cache=False).catalogue
    assert [e.cells for e in on_two.entries] == [e.cells for e in on_one.entries]
    assert on_two.problems == on_one.problems
    title = [c.label for c in on_one.columns].index("Title")
    shown = [e.cells[title] for e in on_one.entries if e.key.startswith("e")]
    assert len({len(cell) for cell in shown}) > 1  # some are cut short, and not all the same


def test_work_of_its_own_is_done_while_the_worker_works() -> None:
    """A value wanted later is made here during the next shared map (while the worker takes
    the chunks), or when first asked for; an error in making it comes when it is asked for."""
    from bib2table.workers import Soon

    made: list[str] = []
    during = Soon(lambda: made.append("during") or "value")
    broken = Soon(lambda: 1 // 0)
    later = Soon(lambda: made.append("later") or "other")
    later.cancel()
    assert map_in_halves(square, list(range(64)), minimum=1) == [n * n for n in range(64)]
    assert made == ["during"]
    assert during.get() == "value"
    with pytest.raises(ZeroDivisionError):
        broken.get()
    assert later.get() == "other"
    assert made == ["during", "later"]


@pytest.mark.parametrize(
    "block",
    [
        '{% block footer %}<a href="javascript:alert(1)">x</a>{% endblock %}',
        '{% block row scoped %}<tr><td onclick="alert(1)">{{ entry.key }}</td></tr>\n'
        "{% endblock %}",
    ],
    ids=["page", "rows"],
)
def test_a_large_unsafe_page_is_refused_whatever_core_made_it(
    block: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The page check runs on a large catalogue's page too, whose rows are made on two cores
    and whose skeleton is checked while they are: an unsafe link around the rows, or an
    event handler in every row, and nothing is written."""
    from bib2table import build
    from bib2table.errors import TemplateError

    bib = _large_bib(tmp_path, 1600)
    template = _write(
        tmp_path / "page.html.jinja2", '{% extends "default/catalogue.html.jinja2" %}\n' + block
    )
    monkeypatch.setenv("BIB2TABLE_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(TemplateError, match="unsafe"):
        build(bib, ["html"], template=template, cache=False)
