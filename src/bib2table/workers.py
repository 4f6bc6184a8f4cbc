"""Use a second core for the heavy, independent per-item work of a large bibliography.

The items are cut into chunks; a forked copy of this process and this one each take the next
chunk not yet taken (from a pipe that holds the chunks' numbers: the kernel hands each to
one of them) until none is left, so that a core that is slower, or busy with other work, does
less of it. The worker sends its results back pickled through another pipe. The results are
the same, in the same order, as a plain loop's: only the time differs (each side takes its
chunks in order, so a function may keep state over the items it sees, as long as the results
do not depend on it). On a single core, without ``fork``, or for small inputs, it is that
plain loop.

Nothing is left behind, whatever happens: an exception in either process ends the call with
that exception (the worker's is sent back and raised here); an exception here, a signal
included, first kills the worker and waits for it, so it can never wait on a full pipe for a
reader that is gone. The worker dies with this process (``PR_SET_PDEATHSIG``), and takes the
default action on SIGINT and SIGTERM, so a Ctrl-C to the terminal's process group ends it at
once. A worker that dies (killed, out of memory) has its chunks computed here.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
Value = TypeVar("Value")

#: Below this many items the fork costs more than it saves.
MINIMUM = 1500
#: How many chunks the items are cut into (at most).
PIECES = 64

_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def map_in_halves(
    function: Callable[[Item], Result],
    items: Sequence[Item],
    minimum: int = MINIMUM,
    pieces: int = PIECES,
) -> list[Result]:
    """``[function(item) for item in items]``, shared with a forked worker chunk by chunk
    (``pieces`` chunks at most; this process takes the first)."""
    if len(items) < minimum or not _can_fork():
        return [function(item) for item in items]
    import pickle  # (only a run that forks needs it)

    count = max(2, min(pieces, len(items), 4096))  # (their numbers fit in the pipe)
    bounds = [len(items) * number // count for number in range(count + 1)]
    # With work of its own to do first, this process leaves the first chunk to the worker too.
    first = 0 if _PENDING else 1
    tasks, tasks_in = os.pipe()
    os.write(tasks_in, b"".join(_number(number) for number in range(first, count)))
    os.close(tasks_in)
    reader, writer = os.pipe()
    # The collector would walk (and so copy) every object the worker inherits: keep it away.
    gc.freeze()
    # No signal between the fork and the moment both sides know what to do with one.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        pid = os.fork()
    except OSError:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for fd in (tasks, reader, writer):
            os.close(fd)
        gc.unfreeze()
        return [function(item) for item in items]
    if pid == 0:
        _work(function, items, bounds, tasks, reader, writer, mask)
    done: list[list[Result] | None] = [None] * count
    finished = False
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(writer)
        while _PENDING:
            _PENDING.pop(0).run()
        number: int | None = 0 if first else _take(tasks)
        while number is not None:
            done[number] = [function(item) for item in items[bounds[number] : bounds[number + 1]]]
            number = _take(tasks)
        payload = _read(reader)
        finished = True
    finally:
        os.close(tasks)
        os.close(reader)
        if not finished:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        status = _reap(pid)
        gc.unfreeze()
    try:
        ok, theirs = pickle.loads(payload)
    except Exception:  # the worker died before it could answer (killed, out of memory)
        if status == 0:
            raise
        ok, theirs = True, {}
    if not ok:
        raise theirs
    results: list[Result] = []
    for number, mine in enumerate(done):
        if mine is None:
            mine = theirs.get(number)
            if mine is None:  # taken by a worker that died
                mine = [function(item) for item in items[bounds[number] : bounds[number + 1]]]
        results += mine
    return results


class Soon(Generic[Value]):
    """A value this process makes while the worker of the next shared map is at work (so that
    work that must be done here anyway overlaps the worker's), or else when first asked for.
    An error in making it is raised when it is asked for."""

    __slots__ = ("_error", "_make", "_value")

    def __init__(self, make: Callable[[], Value]) -> None:
        self._make: Callable[[], Value] | None = make
        self._value: Value | None = None
        self._error: Exception | None = None
        _PENDING.append(self)

    def run(self) -> None:
        """Make the value, if it is not made yet."""
        make, self._make = self._make, None
        if make is None:
            return
        with contextlib.suppress(ValueError):
            _PENDING.remove(self)
        try:
            self._value = make()
        except Exception as exc:
            self._error = exc

    def get(self) -> Value:
        """The value (made now, if it is not made yet)."""
        self.run()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def cancel(self) -> None:
        """Never make it (unless asked for)."""
        with contextlib.suppress(ValueError):
            _PENDING.remove(self)


#: What this process makes as soon as a worker is at work.
_PENDING: list[Soon[Any]] = []


def _number(number: int) -> bytes:
    return number.to_bytes(4, "little")


def _take(tasks: int) -> int | None:
    """The number of the next chunk no one has taken, or ``None`` when none is left."""
    data = os.read(tasks, 4)
    return int.from_bytes(data, "little") if len(data) == 4 else None


def _work(
    function: Callable[[Any], Any],
    items: Sequence[Any],
    bounds: list[int],
    tasks: int,
    reader: int,
    writer: int,
    mask: Any,
) -> None:
    """The worker: compute chunks while there are any, send (results by chunk, or the
    exception), and leave without cleanup."""
    import pickle

    status = 1
    try:
        for signum in _SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        _die_with_parent()
        gc.disable()
        os.close(reader)
        try:
            results = {}
            while (number := _take(tasks)) is not None:
                results[number] = [
                    function(item) for item in items[bounds[number] : bounds[number + 1]]
                ]
            answer: tuple[bool, Any] = (True, results)
            payload = pickle.dumps(answer, protocol=5)
        except Exception as exc:
            payload = pickle.dumps((False, _portable(exc)), protocol=5)
        view = memoryview(payload)
        while view:
            view = view[os.write(writer, view) :]
        status = 0
    finally:
        os._exit(status)


def _portable(exc: Exception) -> Exception:
    """The exception as it can travel back: itself if it pickles, else a stand-in that keeps
    its kind and message."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc, protocol=5))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _read(reader: int) -> bytes:
    chunks: list[bytes] = []
    while True:
        chunk = os.read(reader, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _reap(pid: int) -> int:
    """Wait for the worker; its exit status (negative: the signal that ended it)."""
    while True:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return 0
        except InterruptedError:
            continue
        except BaseException:
            # A second signal while waiting: make sure the worker is gone, then go on with it.
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            raise
        return os.waitstatus_to_exitcode(status)


def _die_with_parent() -> None:
    """Have the kernel kill this worker when its parent dies (Linux), whatever kills it."""
    parent = os.getppid()
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _can_fork() -> bool:
    return sys.platform == "linux" and hasattr(os, "fork") and (os.cpu_count() or 1) > 1
