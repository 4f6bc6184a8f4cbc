"""Use a second core for the heavy, independent per-item work of a large bibliography.

The items are split in two; a forked copy of this process works through the second half while
this one does the first, and sends its results back pickled through a pipe. The results are the
same, in the same order, as a plain loop's: only the time differs. On a single core, without
``fork``, or for small inputs, it is that plain loop.

Nothing is left behind, whatever happens: an exception in either half ends the call with that
exception (the worker's is sent back and raised here); an exception here, a signal included,
first kills the worker and waits for it, so it can never wait on a full pipe for a reader that
is gone. The worker dies with this process (``PR_SET_PDEATHSIG``), and takes the default action
on SIGINT and SIGTERM, so a Ctrl-C to the terminal's process group ends it at once.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

#: Below this many items the fork costs more than it saves.
MINIMUM = 1500

_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def map_in_halves(
    function: Callable[[Item], Result], items: Sequence[Item], minimum: int = MINIMUM
) -> list[Result]:
    """``[function(item) for item in items]``, the second half computed in a forked worker."""
    if len(items) < minimum or not _can_fork():
        return [function(item) for item in items]
    half = len(items) // 2
    reader, writer = os.pipe()
    # The collector would walk (and so copy) every object the worker inherits: keep it away.
    gc.freeze()
    # No signal between the fork and the moment both sides know what to do with one.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        pid = os.fork()
    except OSError:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(reader)
        os.close(writer)
        gc.unfreeze()
        return [function(item) for item in items]
    if pid == 0:
        _work(function, items[half:], reader, writer, mask)
    finished = False
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(writer)
        first = [function(item) for item in items[:half]]
        payload = _read(reader)
        finished = True
    finally:
        os.close(reader)
        if not finished:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        status = _reap(pid)
        gc.unfreeze()
    try:
        done, second = pickle.loads(payload)
    except Exception:  # the worker died before it could answer (killed, out of memory)
        if status == 0:
            raise
        return [*first, *(function(item) for item in items[half:])]
    if not done:
        raise second
    return [*first, *second]


def _work(
    function: Callable[[Any], Any],
    items: Sequence[Any],
    reader: int,
    writer: int,
    mask: Any,
) -> None:
    """The worker: compute, send (results, or the exception), and leave without cleanup."""
    status = 1
    try:
        for number in _SIGNALS:
            signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        _die_with_parent()
        gc.disable()
        os.close(reader)
        try:
            answer: tuple[bool, Any] = (True, [function(item) for item in items])
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
