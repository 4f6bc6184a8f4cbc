"""Shared test set-up: isolation from the developer's machine, and the golden-file switch."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/* from the current output instead of comparing",
    )


@pytest.fixture(autouse=True)
def _isolate(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """No test reads the developer's own HOME or depends on the current folder; a cache
    folder a test chooses (``BIB2TABLE_CACHE_DIR``, as in Hypothesis loops) ends with it."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    # The secret that seals cache values: each test its own, outside its HOME.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
    monkeypatch.delenv("BIB2TABLE_CACHE_DIR", raising=False)
    monkeypatch.chdir(home)
    yield
    os.environ.pop("BIB2TABLE_CACHE_DIR", None)  # (the developer's own is put back after this)


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
