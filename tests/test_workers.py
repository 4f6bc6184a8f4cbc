"""Work on two cores gives exactly what a plain loop gives."""

from __future__ import annotations

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
