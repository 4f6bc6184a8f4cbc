"""``--bib``: the selected entries as BibTeX that real BibTeX accepts, fields as written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bibtexparser.entrypoint import parse_string

from paths import COMPRESSION_BIB, REPO, SEED
from seedtable import load_seed
from toolkit import bibtex, csv_records, entry_count, run, write

MACROS = r"""@string{nips = {Advances in Neural Information Processing Systems}}
@string{iclr = "International Conference on Learning Representations"}
@string{unused = {Never Used}}
@preamble{"\providecommand{\noopsort}[1]{}"}

@inproceedings{han2015learning,
  author = {Han, Song and Pool, Jeff},
  title = {Learning both Weights and Connections},
  booktitle = nips # " 28",
  year = 2015,
  month = dec,
  url = {http://papers.nips.cc/paper/5784},
  file = {/home/ana/Zotero/storage/X/han.pdf},
  keywords = {pruning}
}

@inproceedings{li2017pruning,
  author = "Li, Hao and {\noopsort{b}}Kadav, Asim",
  title = "Pruning Filters for Efficient {ConvNets}",
  booktitle = iclr,
  year = {2017},
  keywords = {pruning}
}

@misc{hinton2015distilling,
  author = {Hinton, Geoffrey},
  title = {Distilling the Knowledge},
  year = {2015},
  keywords = {distillation}
}
"""

CROSSREF = """@inproceedings{child2019,
  author = {Child, Carl},
  title = {A Paper in the Proceedings},
  pages = {1--10},
  crossref = {proc2019},
  keywords = {pruning}
}

@inproceedings{other2019,
  author = {Other, Olga},
  title = {Another Paper},
  booktitle = {Somewhere Else},
  year = {2019},
  keywords = {distillation}
}

@proceedings{proc2019,
  title = {Proceedings of the Conference},
  editor = {Editor, Ed},
  publisher = {Publisher},
  year = {2019},
  keywords = {proceedings}
}
"""


@pytest.fixture(autouse=True)
def _debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIB2TABLE_DEBUG", "1")


def fields_as_written(text: str) -> dict[str, dict[str, str]]:
    """Each entry's fields, values exactly as written (no middleware), by key."""
    library = parse_string(text, parse_stack=[])
    assert not library.failed_blocks
    return {e.key: {f.key.lower(): str(f.value) for f in e.fields} for e in library.entries}


def test_a_slice_to_cite_passes_bibtex(tmp_path: Path) -> None:
    target = tmp_path / "pruning.bib"
    result = run(COMPRESSION_BIB, "--bib", "--category", "pruning", "--since", "2017", "-o", target)
    assert result.exit_code == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    wanted = [s for s in load_seed(SEED) if s.marks["Pruning"] and int(s.year) >= 2017]
    assert entry_count(text) == len(wanted) == 16
    assert result.stderr == f"bib2table: wrote {target} (16 entries)\n"
    said, items = bibtex(target)
    assert said == ""
    assert items == 16


def test_every_entry_keeps_its_fields_as_written() -> None:
    result = run(COMPRESSION_BIB, "--bib")
    assert result.exit_code == 0
    written = fields_as_written(result.stdout)
    original = fields_as_written(COMPRESSION_BIB.read_text(encoding="utf-8"))
    assert list(written) == list(original)
    assert written == original


def test_the_whole_catalogue_round_trips(tmp_path: Path) -> None:
    """compression.bib -> --bib -> the same catalogue, cell for cell, and BibTeX is content."""
    folder = tmp_path / "copy"
    folder.mkdir()
    shutil.copy(REPO / "bib2table.toml", folder)
    copy = folder / "compression.bib"
    assert run(COMPRESSION_BIB, "--bib", "-o", copy).exit_code == 0
    assert run(copy, "--csv").stdout == run(COMPRESSION_BIB, "--csv").stdout
    said, items = bibtex(copy)
    assert (said, items) == ("", 57)


def test_strings_preamble_and_macros(tmp_path: Path) -> None:
    source = write(tmp_path / "refs.bib", MACROS)
    target = tmp_path / "out" / "slice.bib"
    target.parent.mkdir()
    result = run(source, "--bib", "--category", "pruning", "-o", target)
    assert result.exit_code == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert text.startswith(
        "@string{nips = {Advances in Neural Information Processing Systems}}\n\n"
        "@string{iclr = {International Conference on Learning Representations}}\n\n"
        "@preamble{{\\providecommand{\\noopsort}[1]{}}}\n\n"
    )
    assert "@string{unused" not in text
    assert "Never Used" not in text
    assert "hinton2015distilling" not in text
    written = fields_as_written(text)
    assert written["han2015learning"]["booktitle"] == 'nips # " 28"'
    assert written["han2015learning"]["month"] == "dec"
    assert written["han2015learning"]["year"] == "2015"
    assert written["li2017pruning"]["title"] == '"Pruning Filters for Efficient {ConvNets}"'
    assert "file" not in written["han2015learning"], "local paths are never published"
    said, items = bibtex(target)
    assert (said, items) == ("", 2)


def test_crossref_parents_come_along_after_their_children(tmp_path: Path) -> None:
    source = write(tmp_path / "refs.bib", CROSSREF)
    target = tmp_path / "out.bib"
    result = run(source, "--bib", "--category", "pruning", "-o", target)
    assert result.exit_code == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert list(fields_as_written(text)) == ["child2019", "proc2019"]
    said, items = bibtex(target)
    assert said == ""
    assert items == 2


def test_out_dir_writes_a_bib_next_to_the_others(tmp_path: Path) -> None:
    source = write(tmp_path / "refs.bib", MACROS)
    site = tmp_path / "site"
    result = run(source, "--bib", "--csv", "--out-dir", site)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in site.iterdir()) == ["refs.bib", "refs.csv"]
    assert len(csv_records((site / "refs.csv").read_text(encoding="utf-8"))) == 3


def test_the_input_is_never_overwritten(tmp_path: Path) -> None:
    source = write(tmp_path / "refs.bib", MACROS)
    result = run(source, "--bib", "--out-dir", tmp_path)
    assert result.exit_code == 1
    assert "refusing to overwrite the input" in result.stderr
    assert source.read_text(encoding="utf-8") == MACROS


def test_bib_has_no_template(tmp_path: Path) -> None:
    template = write(tmp_path / "t.jinja2", "{{ catalogue.title }}\n")
    result = run(COMPRESSION_BIB, "--bib", "--template", template)
    assert result.exit_code == 2
    assert "--bib is written without a template" in result.stderr
