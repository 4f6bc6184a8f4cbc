"""Check that ``compression.bib`` is accepted cleanly by real BibTeX.

The test runs ``bibtex`` with the standard ``plain`` style over every entry of
the bibliography (``\\citation{*}``) in a temporary directory and requires a
clean run: exit status 0, no warnings or errors, and one ``\\bibitem`` per
entry in the generated ``.bbl``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIB = ROOT / "compression.bib"

# Entry starts such as "@article{" or "@inproceedings {", but not @comment,
# @preamble or @string, which are not bibliography entries.
_ENTRY_START = re.compile(r"^\s*@(?!comment\b|preamble\b|string\b)[a-z]+\s*\{", re.I | re.M)


def _problem_lines(text: str) -> list[str]:
    """Return the lines of ``text`` that report a BibTeX warning or error."""
    return [line for line in text.splitlines() if "Warning" in line or "error" in line]


def test_bibtex_runs_cleanly_over_compression_bib(tmp_path: Path) -> None:
    bibtex = shutil.which("bibtex")
    assert bibtex is not None, (
        "bibtex is not on PATH; install Debian's texlive-binaries and texlive-base "
        "(apt-get install texlive-binaries texlive-base)"
    )

    shutil.copyfile(BIB, tmp_path / "compression.bib")
    (tmp_path / "job.aux").write_text(
        "\\citation{*}\n\\bibdata{compression}\n\\bibstyle{plain}\n", encoding="ascii"
    )

    result = subprocess.run(
        [bibtex, "job"], cwd=tmp_path, check=False, capture_output=True, text=True
    )
    blg = (tmp_path / "job.blg").read_text(encoding="utf-8", errors="replace")
    report = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}\nblg:\n{blg}"

    assert result.returncode == 0, f"bibtex exited with {result.returncode}\n{report}"
    assert not _problem_lines(result.stdout), f"bibtex reported problems\n{report}"
    assert not _problem_lines(blg), f"bibtex reported problems\n{report}"

    entries = len(_ENTRY_START.findall(BIB.read_text(encoding="utf-8")))
    assert entries == 57
    bbl = (tmp_path / "job.bbl").read_text(encoding="utf-8", errors="replace")
    assert bbl.count("\\bibitem") == entries, report
