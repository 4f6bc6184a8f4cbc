"""Every .bib of Debian's texlive-bibtex-extra: each entry rendered or reported, no traceback,
no raw LaTeX left in a displayed cell. `scripts/test` fetches the corpus and sets
BIB2TABLE_CORPUS; `scripts/sweep-corpus` runs the same check by hand."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

from paths import REPO

CORPUS = os.environ.get("BIB2TABLE_CORPUS", "")


def _sweep_module() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader(
        "sweep_corpus", str(REPO / "scripts/sweep-corpus")
    )
    spec = importlib.util.spec_from_loader("sweep_corpus", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _files() -> list[Path]:
    return sorted(Path(CORPUS).rglob("*.bib")) if CORPUS else []


def test_corpus_is_there() -> None:
    if not CORPUS:
        pytest.skip("BIB2TABLE_CORPUS is not set (scripts/test sets it)")
    assert len(_files()) >= 100


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_every_entry_rendered_or_reported(path: Path) -> None:
    _, _, faults = _sweep_module().sweep_file(path)
    assert faults == []
