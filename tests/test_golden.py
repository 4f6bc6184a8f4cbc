"""Whole outputs for compression.bib, compared byte for byte with tests/golden/.

After an intended change, regenerate them and review the diff:

    python -m pytest tests/test_golden.py --update-golden
    git diff tests/golden/
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bib2table import build
from paths import COMPRESSION_BIB

GOLDEN = Path(__file__).parent / "golden"
FILES = {"html": "compression.html", "markdown": "compression.md", "csv": "compression.csv"}


@pytest.mark.parametrize("fmt", list(FILES))
def test_output_matches_golden(fmt: str, update_golden: bool) -> None:
    _, outputs = build(COMPRESSION_BIB, [fmt])
    produced = outputs[0].text.encode("utf-8")
    golden = GOLDEN / FILES[fmt]
    if update_golden:
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(produced)
        return
    assert golden.exists(), (
        "no golden file; run: python -m pytest tests/test_golden.py --update-golden"
    )
    assert produced == golden.read_bytes(), (
        f"{FILES[fmt]} differs from tests/golden/{FILES[fmt]}. If the change is intended, run "
        "`python -m pytest tests/test_golden.py --update-golden`, then review "
        "`git diff tests/golden/`."
    )
