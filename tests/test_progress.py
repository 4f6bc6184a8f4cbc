"""Progress goes to standard error only when it is a terminal: never into logs or pipes."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from paths import COMPRESSION_BIB


def run_with_stderr_on_a_terminal(args: list[str]) -> tuple[int, str]:
    controller, terminal = pty.openpty()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=terminal)
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    os.close(controller)
    return process.wait(timeout=60), seen.decode("utf-8", "replace")


def test_progress_on_a_terminal(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "bib2table", str(COMPRESSION_BIB), "--html"]
    status, stderr = run_with_stderr_on_a_terminal([*command, "-o", str(tmp_path / "a.html")])
    assert status == 0
    assert "bib2table: reading compression.bib" in stderr
    assert "bib2table: decoding 57 entries" in stderr
    assert "wrote" in stderr


def test_no_progress_in_a_pipe(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "bib2table", str(COMPRESSION_BIB), "--html"]
    result = subprocess.run(
        [*command, "-o", str(tmp_path / "a.html")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "reading" not in result.stderr
    assert "\r" not in result.stderr
    assert result.stderr.startswith("bib2table: wrote")
