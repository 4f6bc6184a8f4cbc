"""Whole outputs for compression.bib, compared byte for byte with tests/golden/.

After an intended change, regenerate them and review the diff:

    python -m pytest tests/test_golden.py --update-golden
    git diff tests/golden/
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bib2table import build
from paths import COMPRESSION_BIB, REPO

GOLDEN = Path(__file__).parent / "golden"
FILES = {
    "html": "compression.html",
    "markdown": "compression.md",
    "csv": "compression.csv",
    "json": "compression.json",
}
#: The sections layout, with year headings, from the repository's settings plus these lines.
SECTIONS = 'markdown-layout = "sections"\nmarkdown-year-headings = true\n'


@pytest.mark.parametrize("fmt", list(FILES))
def test_output_matches_golden(fmt: str, update_golden: bool) -> None:
    _, outputs = build(COMPRESSION_BIB, [fmt])
    compare(outputs[0].text, FILES[fmt], update_golden)


def test_sections_match_golden(tmp_path: Path, update_golden: bool) -> None:
    config = tmp_path / "bib2table.toml"
    config.write_text(SECTIONS + (REPO / "bib2table.toml").read_text(encoding="utf-8"))
    _, outputs = build(COMPRESSION_BIB, ["markdown"], config=config)
    compare(outputs[0].text, "compression-sections.md", update_golden)


def compare(text: str, name: str, update_golden: bool) -> None:
    produced = text.encode("utf-8")
    golden = GOLDEN / name
    if update_golden:
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(produced)
        return
    assert golden.exists(), (
        "no golden file; run: python -m pytest tests/test_golden.py --update-golden"
    )
    assert produced == golden.read_bytes(), (
        f"{name} differs from tests/golden/{name}. If the change is intended, run "
        "`python -m pytest tests/test_golden.py --update-golden`, then review "
        "`git diff tests/golden/`."
    )
