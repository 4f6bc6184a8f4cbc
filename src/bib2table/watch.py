"""``--watch``: rebuild whenever the input or its settings change.

Files are polled (size and modification time), which works the same on every system and on
network folders. An editor's save can take several writes, and some editors truncate the file
first: a change is acted on only once the files have stayed the same for a short while, and the
caller decides whether what it then reads is good enough to replace the outputs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

#: How often the files are looked at, in seconds.
INTERVAL = 0.1
#: How long the files must stay unchanged before a rebuild, in seconds.
SETTLE = 0.3

Stamp = tuple[tuple[str, int, int] | None, ...]


def stamp(paths: Iterable[Path]) -> Stamp:
    """Size and modification time of each path; ``None`` for a path that does not exist."""
    result: list[tuple[str, int, int] | None] = []
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            result.append(None)
            continue
        result.append((str(path), info.st_size, info.st_mtime_ns))
    return tuple(result)


def watch(
    rebuild: Callable[[], None],
    watched: Callable[[], list[Path]],
    interval: float = INTERVAL,
    settle: float = SETTLE,
    sleep: Callable[[float], None] = time.sleep,
    rounds: int | None = None,
) -> None:
    """Run ``rebuild`` now and after every settled change of the ``watched`` files.

    Runs until interrupted (Ctrl-C raises :class:`KeyboardInterrupt` in the caller), or for
    ``rounds`` rebuilds after the first, for tests. ``watched`` is asked again after each
    rebuild, since a new settings file may have appeared.
    """
    paths = watched()
    seen = stamp(paths)
    rebuild()
    done = 0
    while rounds is None or done < rounds:
        sleep(interval)
        now = stamp(paths)
        if now == seen:
            continue
        while True:  # wait until the writes stop
            sleep(settle)
            later = stamp(paths)
            if later == now:
                break
            now = later
        rebuild()
        done += 1
        # A change made while rebuilding differs from ``now``, so it is seen next time round.
        again = watched()
        seen = now if again == paths else stamp(again)
        paths = again
