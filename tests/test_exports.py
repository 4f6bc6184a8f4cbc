"""Reference managers' exports as they are: Zotero with Better BibTeX, JabRef, Mendeley.

``tests/data/exports/`` holds one export of each, written as the tools write them (Better
BibTeX's tags joined by ``,`` with ``_`` escaped, ``file``/``abstract``/``urldate``; JabRef's
aligned fields, ``groups``, ``@Comment{jabref-meta: …}``; Mendeley's header lines, unindented
fields, ``{{double braces}}``, ``mendeley-tags`` and ``{\\_}`` in URLs). Only the settings
differ.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bibtexparser.entrypoint import parse_string

from paths import REPO
from toolkit import bibtex, csv_records, run, write

EXPORTS = REPO / "tests" / "data" / "exports"
FORMATS = [pytest.param(flag, id=flag.lstrip("-")) for flag in ("--html", "--markdown", "--csv")]

ZOTERO_SETTINGS = """\
keyword-hierarchy-separators = ["/"]

[categories]
pruning = "Pruning"
distillation = "Distillation"
architecture = "Architecture"
quantization = "Quantization"
model_compression = "Compression"
"""
JABREF_GROUPS = """\
keyword-fields = ["groups"]

[categories]
pruning = "Pruning"
distillation = "Distillation"
architecture = "Architecture"
"""
JABREF_KEYWORDS = """\
keyword-separators = [";"]
keyword-hierarchy-separators = [">"]

[categories]
"compression > pruning" = "Pruning"
distillation = "Distillation"
architecture = "Architecture"
"""
MENDELEY_SETTINGS = """\
keyword-fields = ["mendeley-tags"]
require-category = true

[categories]
pruning = "Pruning"
distillation = "Distillation"
architecture = "Architecture"
"""


@pytest.fixture(autouse=True)
def _debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIB2TABLE_DEBUG", "1")


def export(tmp_path: Path, name: str, settings: str) -> Path:
    """The export next to the settings for it, as in a list's repository."""
    target = tmp_path / name
    shutil.copy(EXPORTS / name, target)
    write(tmp_path / "bib2table.toml", settings)
    return target


def marks(source: Path) -> dict[str, list[str]]:
    """Key -> the category labels marked on its row."""
    result = run(source, "--csv")
    assert result.exit_code == 0, result.stderr
    records = csv_records(result.stdout)
    fixed = {"Year", "Author", "Title", "URL", "Venue", "Key", "DOI"}
    return {r["Key"]: [c for c in r if c not in fixed and r[c] == "x"] for r in records}


def test_zotero_better_bibtex(tmp_path: Path) -> None:
    source = export(tmp_path, "zotero-bbt.bib", ZOTERO_SETTINGS)
    assert marks(source) == {
        "hanLearningBothWeights2015": ["Pruning", "Compression"],  # compression/pruning, model\_…
        "hintonDistillingKnowledgeNeural2015": ["Distillation"],
        "howardMobileNetsEfficientConvolutional2017": ["Architecture"],
        "jacobQuantizationTrainingNeural2018": ["Quantization"],
    }
    records = csv_records(run(source, "--csv").stdout)
    assert records[0]["Venue"] == "Advances in Neural Information Processing Systems"
    assert records[2]["Title"] == (
        "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications"
    )
    assert records[1]["URL"] == "https://doi.org/10.48550/arXiv.1503.02531"


def test_zotero_tags_are_matched_decoded(tmp_path: Path) -> None:
    source = export(tmp_path, "zotero-bbt.bib", ZOTERO_SETTINGS)
    result = run(source, "--check")
    assert result.exit_code == 0, result.stdout
    assert "keyword 'int8_inference' is not a category" in result.stdout
    assert "model_compression" not in result.stdout
    assert "\\_" not in result.stdout


def test_jabref_groups(tmp_path: Path) -> None:
    source = export(tmp_path, "jabref.bib", JABREF_GROUPS)
    assert marks(source) == {
        "Han2015": ["Pruning"],
        "Hinton2015": ["Distillation"],
        "Romero2015": ["Distillation", "Architecture"],
    }
    result = run(source, "--csv")
    assert result.stderr == "", "jabref-meta comments and the encoding line are no problem"


def test_jabref_hierarchical_keywords(tmp_path: Path) -> None:
    source = export(tmp_path, "jabref.bib", JABREF_KEYWORDS)
    assert marks(source) == {
        "Han2015": ["Pruning"],  # compression > pruning
        "Hinton2015": ["Distillation"],  # compression > distillation, by its last level
        "Romero2015": ["Distillation", "Architecture"],
    }


def test_mendeley_tags_braces_and_urls(tmp_path: Path) -> None:
    source = export(tmp_path, "mendeley.bib", MENDELEY_SETTINGS)
    assert marks(source) == {
        "He2017": ["Pruning"],
        "Luo2017": ["Pruning", "Architecture"],
        "Zagoruyko2016": ["Distillation"],
    }
    records = csv_records(run(source, "--csv").stdout)
    assert records[0]["Title"] == "Channel Pruning for Accelerating Very Deep Neural Networks"
    assert records[0]["URL"] == (
        "http://openaccess.thecvf.com/content_iccv_2017/html/"
        "He_Channel_Pruning_for_ICCV_2017_paper.html"
    )
    result = run(source, "--check")
    assert result.exit_code == 0, result.stdout
    assert result.stdout == ""


@pytest.mark.parametrize("flag", FORMATS)
def test_mendeley_links_are_unescaped_in_every_format(tmp_path: Path, flag: str) -> None:
    source = export(tmp_path, "mendeley.bib", MENDELEY_SETTINGS)
    text = run(source, flag).stdout
    assert "{\\_}" not in text
    link = "http://openaccess.thecvf.com/content_iccv_2017/html/Luo_ThiNet_A_Filter_ICCV_2017"
    written = {"--csv": f",{link}", "--markdown": f"]({link}", "--html": f'href="{link}'}
    assert written[flag] in text


@pytest.mark.parametrize(
    ("name", "settings"),
    [
        pytest.param("zotero-bbt.bib", ZOTERO_SETTINGS, id="zotero"),
        pytest.param("jabref.bib", JABREF_GROUPS, id="jabref"),
        pytest.param("mendeley.bib", MENDELEY_SETTINGS, id="mendeley"),
    ],
)
@pytest.mark.parametrize("flag", [*FORMATS, pytest.param("--bib", id="bib")])
def test_local_paths_appear_in_no_output(
    tmp_path: Path, name: str, settings: str, flag: str
) -> None:
    source = export(tmp_path, name, settings)
    result = run(source, flag)
    assert result.exit_code == 0, result.stderr
    assert "/home/ana" not in result.stdout
    assert "Mendeley Desktop/" not in result.stdout


@pytest.mark.parametrize(
    ("name", "settings", "category", "keys"),
    [
        pytest.param(
            "zotero-bbt.bib",
            ZOTERO_SETTINGS,
            "compression",
            [
                "hanLearningBothWeights2015",
                "hintonDistillingKnowledgeNeural2015",
                "jacobQuantizationTrainingNeural2018",
            ],
            id="zotero-parent-level",
        ),
        pytest.param("jabref.bib", JABREF_GROUPS, "Architecture", ["Romero2015"], id="jabref"),
        pytest.param(
            "mendeley.bib", MENDELEY_SETTINGS, "pruning", ["He2017", "Luo2017"], id="mendeley"
        ),
    ],
)
def test_a_slice_of_an_export_passes_bibtex(
    tmp_path: Path, name: str, settings: str, category: str, keys: list[str]
) -> None:
    source = export(tmp_path, name, settings)
    target = tmp_path / "slice.bib"
    result = run(source, "--bib", "--category", category, "-o", target)
    assert result.exit_code == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert [e.key for e in parse_string(text, parse_stack=[]).entries] == keys
    said, items = bibtex(target)
    assert said == ""
    assert items == len(keys)


def test_a_slice_keeps_the_export_as_written(tmp_path: Path) -> None:
    source = export(tmp_path, "mendeley.bib", MENDELEY_SETTINGS)
    text = run(source, "--bib", "--category", "distillation").stdout
    entry = parse_string(text, parse_stack=[]).entries[0]
    fields = {f.key: str(f.value) for f in entry.fields}
    assert fields["title"] == (
        "{{Paying More Attention to Attention: Improving the Performance of Convolutional "
        "Neural Networks via Attention Transfer}}"
    )
    assert fields["archivePrefix"] == "{arXiv}"
    assert fields["mendeley-tags"] == "{distillation}"
    luo = run(source, "--bib", "--search", "thinet").stdout
    assert "content{\\_}iccv{\\_}2017" in luo, "URLs are written back exactly as exported"


@pytest.mark.parametrize("key", ["keyword-separators", "keyword-hierarchy-separators"])
def test_an_empty_separator_is_refused(tmp_path: Path, key: str) -> None:
    source = export(tmp_path, "jabref.bib", f'{key} = [";", ""]\n')
    result = run(source, "--csv")
    assert result.exit_code == 1
    assert f"{key} must not contain an empty string" in result.stderr
