"""Helpers for the tests of the maintainer's toolkit: the command, real BibTeX, CSV tables."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner, Result

from bib2table.cli import main

# Entry starts such as "@article{", but not @comment, @preamble or @string.
_ENTRY_START = re.compile(r"^\s*@(?!comment\b|preamble\b|string\b)[a-z]+\s*\{", re.I | re.M)


def run(*args: str | Path) -> Result:
    """Run ``bib2table`` with ``args``; an uncaught exception (a traceback) fails the test."""
    return CliRunner().invoke(
        main, [str(a) for a in args], prog_name="bib2table", catch_exceptions=False
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def entry_count(bib_text: str) -> int:
    return len(_ENTRY_START.findall(bib_text))


def bibtex(bib: Path, style: str = "plain") -> tuple[str, int]:
    """Run real BibTeX over every entry of ``bib`` (``\\citation{*}``) in ``bib``'s folder.

    Returns everything BibTeX said that is a warning or an error (empty for a clean run), and
    how many ``\\bibitem``s it made.
    """
    program = shutil.which("bibtex")
    assert program is not None, (
        "bibtex is not on PATH; install Debian's texlive-binaries and texlive-base"
    )
    folder = bib.parent
    job = f"job-{bib.stem}"
    (folder / f"{job}.aux").write_text(
        f"\\citation{{*}}\n\\bibdata{{{bib.stem}}}\n\\bibstyle{{{style}}}\n", encoding="ascii"
    )
    result = subprocess.run(
        [program, job], cwd=folder, check=False, capture_output=True, text=True, timeout=60
    )
    log = (folder / f"{job}.blg").read_text(encoding="utf-8", errors="replace")
    said = [
        line for line in (result.stdout + log).splitlines() if "Warning" in line or "error" in line
    ]
    if result.returncode != 0:
        said.append(f"bibtex exited with {result.returncode}")
    bbl = folder / f"{job}.bbl"
    items = (
        bbl.read_text(encoding="utf-8", errors="replace").count("\\bibitem") if bbl.exists() else 0
    )
    return "\n".join(said), items


def csv_records(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))
