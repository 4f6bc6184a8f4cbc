"""``scripts/bench-run``, the README's speed command, runs and reports every measure and ratio
(its figures are not checked: no test here depends on the machine's speed)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from paths import COMPRESSION_BIB, REPO


def test_bench_run_measures_round_by_round_and_reports_each_target(tmp_path: Path) -> None:
    source = tmp_path / "compression.bib"
    shutil.copy(COMPRESSION_BIB, source)
    options = ["--generate", "0", "--repeat", "2", "--markdown"]
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "bench-run"), str(source), *options],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    measures = ["python", "parse", "cold", "edit html", "edit all", "add html", "remove html"]
    if shutil.which("bibtex2html"):
        measures.append("bibtex2html")
    for label in measures:
        assert any(line.strip().startswith(label + " ") for line in lines), label
        assert any(line.startswith(f"| {label} |") for line in lines), label
    ratios = ["cold / parse"]
    if shutil.which("bibtex2html"):
        ratios += ["edit html / bibtex2html", "edit all / bibtex2html"]
    for ratio in ratios:
        found = [line for line in lines if line.strip().startswith(ratio + " = ")]
        assert found and "judged on the median" in found[0], ratio
    # The file given is never written: each change is made to a copy.
    assert source.read_bytes() == COMPRESSION_BIB.read_bytes()
