"""Problems found in the input, carried as data until the CLI reports them.

Like bibtexparser's ``failed_blocks``, a problem does not stop the run: every entry of the input
is either in the output or named by a problem with its file, line and reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How bad a problem is. ``ERROR`` means an entry (or part of it) is missing from the output."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located as precisely as we can."""

    file: str
    line: int
    key: str
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        """Render as ``file:line: key: message``, the form editors and CI annotate from."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" {self.key}:" if self.key else ""
        tag = "" if self.severity is Severity.ERROR else " warning:"
        return f"{where}:{key}{tag} {self.message}"
