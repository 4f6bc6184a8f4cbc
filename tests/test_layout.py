"""The package's shape: imports go one way, down the stages, and never round in a circle.

Base modules (errors, problems, version, cache, workers, files) import no wing; ``bibtex``
imports only base modules; ``catalogue`` adds ``bibtex``; ``outputs`` adds ``catalogue``; the
drivers on top (cli, pipeline, check, watch, ...) may import anything. Imports made only for
type checking count too: they are dependencies a reader has to follow all the same.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from paths import REPO

PACKAGE = REPO / "src" / "bib2table"
WINGS = {"bibtex": 1, "catalogue": 2, "outputs": 3}
BASE = {"errors", "problems", "version", "cache", "workers", "files"}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _level(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return 4  # the package itself: its __init__ is the public API, on top
    if parts[1] in WINGS:
        return WINGS[parts[1]]
    return 0 if parts[1] in BASE else 4


def _imports(path: Path) -> set[str]:
    """The bib2table modules ``path`` imports (``from bib2table.x import y`` names x, or x.y
    when y is itself a module)."""
    modules = {_module(p) for p in PACKAGE.rglob("*.py")}
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("bib2table")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bib2table"):
            assert node.module is not None
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in modules else node.module)
    return found


def _graph() -> dict[str, set[str]]:
    return {_module(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


@pytest.mark.parametrize("module", sorted(_graph()))
def test_imports_go_down_the_stages(module: str) -> None:
    upward = sorted(t for t in _graph()[module] if _level(t) > _level(module))
    assert not upward, f"{module} (level {_level(module)}) imports from above: {upward}"


def test_no_import_cycles() -> None:
    graph = _graph()
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = [*path[path.index(module) :], module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if module in done or module not in graph:
            return
        for target in sorted(graph[module]):
            if target != module.rsplit(".", 1)[0]:  # a module may use its own package
                visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The rule above can fail: an import from ``outputs`` in ``bibtex`` is caught."""
    source = tmp_path / "sample.py"
    source.write_text("from bib2table.outputs.render import render\n", encoding="utf-8")
    (target,) = _imports(source)
    assert _level(target) > _level("bib2table.bibtex.parse")


def test_a_plain_run_imports_only_what_it_needs() -> None:
    """Start-up is part of every run: the command imports ``init``, ``--check`` and
    ``--update`` only when asked for them."""
    import subprocess
    import sys

    from bib2table import check, cli

    assert cli.CHECK_FORMATS == check.FORMATS
    code = (
        "import sys, bib2table.cli; "
        "print(' '.join(m for m in ('bib2table.init', 'bib2table.check', "
        "'bib2table.outputs.update', 'markdown_it') if m in sys.modules))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert shown.split() == []
