"""``python -m bib2table`` and the ``bib2table`` command.

SIGINT and SIGTERM are turned into :class:`~bib2table.errors.Interrupted` before anything else is
imported, so that a signal at any moment unwinds the run (temporary files removed, the second
core's worker ended) and the command exits with 130 or 143, without a traceback.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

from bib2table.errors import Interrupted


def _interrupt(number: int, frame: FrameType | None) -> None:
    # One signal unwinds the run; a second one while it cleans up is not allowed to stop that.
    for other in (signal.SIGINT, signal.SIGTERM):
        signal.signal(other, signal.SIG_IGN)
    raise Interrupted(number)


def main() -> None:
    """Run the command with SIGINT and SIGTERM handled."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, _interrupt)
    try:
        from bib2table.cli import main as command

        command(prog_name="bib2table")
    except Interrupted as exc:
        sys.exit(exc.status)
    finally:
        # The run is over, its outputs written or not; Python's own exit would put the default
        # handlers back, so that a signal now would end it as killed, not with its status.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


if __name__ == "__main__":
    main()
