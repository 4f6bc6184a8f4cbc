"""Where the tests find the repository's own files (never written to by a test)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMPRESSION_BIB = REPO / "compression.bib"
SEED = REPO / "tests" / "data" / "seed_compression.md"
