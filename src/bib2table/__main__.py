"""``python -m bib2table`` and the ``bib2table`` command.

SIGINT and SIGTERM are turned into :class:`~bib2table.errors.Interrupted` before anything else is
imported, so that a signal at any moment unwinds the run (temporary files removed, the second
core's worker ended) and the command exits with 130 or 143, without a traceback.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from types import FrameType
from typing import Any

from bib2table.errors import Interrupted


def _interrupt(number: int, frame: FrameType | None) -> None:
    # One signal unwinds the run; a second one while it cleans up is not allowed to stop that.
    for other in (signal.SIGINT, signal.SIGTERM):
        signal.signal(other, signal.SIG_IGN)
    raise Interrupted(number)


#: The signal to raise again (see :func:`_unraisable`).
_again: list[int] = []


def _unraisable(unraisable: Any) -> None:
    """A signal that came while Python ran code whose errors it only reports (a weak
    reference's callback, as the import system has, or a finaliser) was lost there: raise it
    again a moment later, where it unwinds the run, without a report."""
    error = unraisable.exc_value
    if isinstance(error, Interrupted) and hasattr(signal, "setitimer"):
        _again[:] = [error.signal]
        signal.signal(signal.SIGALRM, _interrupt_again)
        signal.setitimer(signal.ITIMER_REAL, 0.001)
        return
    sys.__unraisablehook__(unraisable)


def _interrupt_again(number: int, frame: FrameType | None) -> None:
    raise Interrupted(_again[0])


def handle_signals() -> None:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` wherever they arrive."""
    sys.unraisablehook = _unraisable
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, _interrupt)


def main() -> None:
    """Run the command with SIGINT and SIGTERM handled."""
    handle_signals()
    try:
        try:
            from bib2table.cli import main as command

            command(prog_name="bib2table")
        except Interrupted as exc:
            sys.exit(exc.status)
        finally:
            # The run is over, its outputs written or not; Python's own exit would put the
            # default handlers back, so that a signal now would end it as killed, not with its
            # status.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    except SystemExit as exc:
        _leave(exc.code)


def _leave(code: object) -> None:
    """Exit with ``code`` as Python would, without freeing every object the run made one by
    one first (a large catalogue's take a tenth of a second): the outputs are written and
    closed, the second core's worker is gone; only what is buffered for standard output and
    standard error is left to flush."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        status = status or 1
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(status & 0xFF)


if __name__ == "__main__":
    main()
