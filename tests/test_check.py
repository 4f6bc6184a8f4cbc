"""``--check``: every kind of finding, where it points, its severity, the three report formats."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from paths import COMPRESSION_BIB, REPO
from toolkit import run, write

SETTINGS = """\
require-category = true

[categories]
pruning = "Pruning"
distillation = "Distillation"
architecture = "Architecture"
"""

CLEAN = """\
@string{nips = {Advances in Neural Information Processing Systems}}

@inproceedings{han2015learning,
  author = {Han, Song and Pool, Jeff},
  title = {Learning both Weights and Connections},
  booktitle = nips,
  year = {2015},
  url = {http://papers.nips.cc/paper/5784},
  keywords = {pruning}
}

@misc{hinton2015distilling,
  author = {Hinton, Geoffrey and Vinyals, Oriol and Dean, Jeff},
  title = {Distilling the Knowledge in a Neural Network},
  howpublished = {arXiv},
  year = {2015},
  eprint = {1503.02531},
  archiveprefix = {arXiv},
  keywords = {distillation}
}
"""

# text (after CLEAN), then the findings it must give: (line, key, severity, part of message)
Finding = tuple[int, str, str, str]

CASES = [
    pytest.param(
        """
@article{han2015learning,
  author = {Han, Song},
  title = {Another Paper},
  journal = {J},
  year = {2016},
  url = {https://example.org/x},
  keywords = {pruning}
}
""",
        [
            (3, "han2015learning", "error", "duplicate key: also used at line 22"),
            (22, "han2015learning", "error", "duplicate key: also used at line 3"),
        ],
        id="duplicate-key-both-lines",
    ),
    pytest.param(
        """
@article{hinton2015again,
  author = {Hinton, Geoffrey},
  title = {Distilling the knowledge in a neural network!},
  journal = {J},
  year = {2015},
  url = {https://example.org/y},
  keywords = {distillation}
}
""",
        [(22, "hinton2015again", "error", "duplicate paper: same title as hinton2015distilling")],
        id="duplicate-title",
    ),
    pytest.param(
        """
@article{other2015,
  author = {Other, A.},
  title = {Something Else},
  journal = {J},
  year = {2015},
  url = {https://arxiv.org/abs/1503.02531v2},
  keywords = {distillation}
}
""",
        [(22, "other2015", "error", "same arXiv id as hinton2015distilling (line 12)")],
        id="duplicate-arxiv-id",
    ),
    pytest.param(
        """
@article{a2020,
  author = {A, B},
  title = {One},
  journal = {J},
  year = {2020},
  doi = {10.1000/ABC},
  keywords = {pruning}
}

@article{b2020,
  author = {B, C},
  title = {Two},
  journal = {J},
  year = {2020},
  doi = {https://doi.org/10.1000/abc},
  keywords = {pruning}
}
""",
        [(31, "b2020", "error", "duplicate paper: same DOI as a2020 (line 22)")],
        id="duplicate-doi",
    ),
    pytest.param(
        """
@article{typo2020,
  author = {A, B},
  title = {Typo},
  journal = {J},
  year = {2020},
  url = {https://example.org/t},
  keywords = {prunning, distillation}
}
""",
        [
            (
                22,
                "typo2020",
                "warning",
                "keyword 'prunning' is not a category; did you mean 'pruning'?",
            )
        ],
        id="unknown-keyword-suggestion",
    ),
    pytest.param(
        """
@article{none2020,
  author = {A, B},
  title = {No Category},
  journal = {J},
  year = {2020},
  url = {https://example.org/n},
  keywords = {sparsity}
}
""",
        [
            (22, "none2020", "warning", "keyword 'sparsity' is not a category"),
            (22, "none2020", "error", "no category: give it one in its keywords field"),
        ],
        id="no-category",
    ),
    pytest.param(
        """
@article{bare2020,
  journal = {J},
  keywords = {pruning}
}
""",
        [
            (22, "bare2020", "error", "no title: title is missing or empty"),
            (22, "bare2020", "warning", "no year"),
            (22, "bare2020", "warning", "no author"),
            (22, "bare2020", "warning", "no link"),
        ],
        id="missing-displayed-fields",
    ),
    pytest.param(
        """
@article{links2020,
  author = {A, B},
  title = {Bad Links},
  journal = {J},
  year = {2020},
  url = {www.example.org/no scheme},
  doi = {doi 10/abc},
  keywords = {pruning}
}
""",
        [
            (22, "links2020", "error", "malformed url 'www.example.org/no scheme'"),
            (22, "links2020", "error", "malformed doi 'doi 10/abc'"),
        ],
        id="malformed-url-doi",
    ),
    pytest.param(
        """
@article{early2020,
  author = {A, B},
  title = {Closed Early}},
  journal = {J},
  year = {2020},
  url = {https://example.org/e},
  keywords = {pruning}
}
""",
        [
            (
                29,
                "early2020",
                "error",
                "a } outside any entry; the entry before it ends early, at line 24",
            )
        ],
        id="brace-too-many",
    ),
    pytest.param(
        """
@article{open2020,
  author = {A, B},
  title = {Never Closed,
  year = {2020},
  keywords = {pruning}
""",
        [(22, "open2020", "error", "block is not closed")],
        id="brace-missing",
    ),
]


@pytest.fixture(autouse=True)
def _debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIB2TABLE_DEBUG", "1")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write(tmp_path / "bib2table.toml", SETTINGS)
    return tmp_path


def findings(stdout: str) -> list[Finding]:
    """``(line, key, severity, message)`` of each line of a text report."""
    found = []
    for line in stdout.splitlines():
        match = re.fullmatch(r"refs\.bib:(\d+): (\S+): (error|warning): (.+)", line)
        assert match, line
        found.append((int(match[1]), match[2], match[3], match[4]))
    return found


def test_clean_file_passes(folder: Path) -> None:
    bib = write(folder / "refs.bib", CLEAN)
    result = run(bib, "--check")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == (
        f"bib2table: {bib}: check passed: 2 entries, 0 errors, 0 warnings; "
        f"settings from {folder / 'bib2table.toml'}\n"
    )


def test_the_catalogue_of_this_repository_passes() -> None:
    result = run(COMPRESSION_BIB, "--check")
    assert result.exit_code == 0, result.stdout
    assert result.stdout == ""
    assert "check passed: 57 entries, 0 errors, 0 warnings" in result.stderr


@pytest.mark.parametrize(("extra", "expected"), CASES)
def test_finding(folder: Path, extra: str, expected: list[Finding]) -> None:
    bib = write(folder / "refs.bib", CLEAN + extra)
    before = sorted(p.name for p in folder.iterdir())
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        result = run("refs.bib", "--check")
    found = findings(result.stdout)
    for line, key, severity, part in expected:
        assert any(
            f[0] == line and f[1] == key and f[2] == severity and part in f[3] for f in found
        ), f"{(line, key, severity, part)} not in\n{result.stdout}"
    errors = any(f[2] == "error" for f in found)
    assert result.exit_code == (1 if errors else 0)
    assert sorted(p.name for p in folder.iterdir()) == before, "--check writes nothing"
    assert bib.read_text(encoding="utf-8") == CLEAN + extra


def test_warnings_alone_pass(folder: Path) -> None:
    extra = CASES[4].values[0]  # an unknown keyword next to a known one: a warning only
    bib = write(folder / "refs.bib", CLEAN + str(extra))
    result = run(bib, "--check")
    assert result.exit_code == 0
    assert "warning: keyword 'prunning'" in result.stdout
    assert "check passed: 3 entries, 0 errors, 1 warning; settings from" in result.stderr


def test_no_category_is_fine_unless_required(tmp_path: Path) -> None:
    write(tmp_path / "bib2table.toml", SETTINGS.replace("require-category = true", ""))
    bib = write(tmp_path / "refs.bib", CLEAN.replace("keywords = {pruning}", "keywords = {}"))
    result = run(bib, "--check")
    assert result.exit_code == 0, result.stdout
    assert "no category" not in result.stdout


def test_github_annotations(folder: Path) -> None:
    write(folder / "refs.bib", CLEAN + str(CASES[0].values[0]) + str(CASES[4].values[0]))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        result = run("refs.bib", "--check", "--format", "github")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "::error file=refs.bib,line=3,title=bib2table%3A han2015learning::han2015learning: "
        "duplicate key: also used at line 22"
    )
    assert any(
        line.startswith("::warning file=refs.bib,line=31,")
        and line.endswith("keyword 'prunning' is not a category; did you mean 'pruning'?")
        for line in lines
    ), result.stdout
    assert all(re.match(r"::(error|warning) file=refs\.bib,line=\d+,title=", x) for x in lines)


def test_json_report(folder: Path) -> None:
    write(folder / "refs.bib", CLEAN + str(CASES[0].values[0]))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        result = run("refs.bib", "--check", "--format", "json")
    assert result.exit_code == 1
    records = json.loads(result.stdout)
    assert records[0] == {
        "file": "refs.bib",
        "line": 3,
        "key": "han2015learning",
        "severity": "error",
        "message": "duplicate key: also used at line 22",
    }
    assert {r["severity"] for r in records} <= {"error", "warning"}


def test_json_report_of_a_clean_file_is_an_empty_list(folder: Path) -> None:
    bib = write(folder / "refs.bib", CLEAN)
    result = run(bib, "--check", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_several_files_and_an_unreadable_one(folder: Path) -> None:
    good = write(folder / "good.bib", CLEAN)
    bad = folder / "binary.bib"
    bad.write_bytes(b"\0\1\2 not bibtex")
    result = run(good, bad, "--check", "--each")
    assert result.exit_code == 1
    assert f"{bad}: error: " in result.stdout
    assert "binary file" in result.stdout
    assert f"bib2table: {good}: check passed: 2 entries" in result.stderr
    assert f"bib2table: {bad}: check failed: 0 entries, 1 error" in result.stderr


def test_an_unreadable_file_fails_the_bibliography_it_is_part_of(folder: Path) -> None:
    good = write(folder / "good.bib", CLEAN)
    bad = folder / "binary.bib"
    bad.write_bytes(b"\0\1\2 not bibtex")
    result = run(good, bad, "--check")
    assert result.exit_code == 1
    assert f"{bad}: error: " in result.stdout
    assert f"bib2table: {good} {bad}: check failed: 0 entries, 1 error" in result.stderr


def test_bad_settings_are_an_error_finding(tmp_path: Path) -> None:
    write(tmp_path / "bib2table.toml", "require-category = 'yes'\n")
    bib = write(tmp_path / "refs.bib", CLEAN)
    result = run(bib, "--check")
    assert result.exit_code == 1
    assert "require-category must be true or false" in result.stdout


def test_spreadsheet_findings_point_at_its_rows(folder: Path) -> None:
    sheet = write(
        folder / "sheet.csv",
        "Year,Author,Title,URL,Venue,Pruning,Distillation\n"
        "2015,Song Han,Learning both Weights,http://papers.nips.cc/paper/5784,NIPS,x,\n"
        "2016,Jane Doe,,not a url,ICLR,,x\n",
    )
    result = run(sheet, "--check")
    assert result.exit_code == 1
    assert f"{sheet}:3: doe2016: error: malformed url 'not a url'" in result.stdout
    assert f"{sheet}:3: doe2016: error: no title" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--html"], "--check writes nothing", id="with-a-format"),
        pytest.param(["-o", "x"], "--check writes nothing", id="with-output"),
        pytest.param(["--category", "pruning"], "--check looks at the whole file", id="selection"),
        pytest.param(["--update", "{readme}"], "use it with --markdown", id="update-no-md"),
    ],
)
def test_usage_errors(folder: Path, args: list[str], message: str) -> None:
    bib = write(folder / "refs.bib", CLEAN)
    readme = write(folder / "README.md", "x\n")
    result = run(bib, "--check", *[a.format(readme=readme) for a in args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_format_needs_check(folder: Path) -> None:
    bib = write(folder / "refs.bib", CLEAN)
    result = run(bib, "--html", "--format", "json")
    assert result.exit_code == 2
    assert "--format says how --check reports" in result.stderr


@pytest.mark.parametrize("args", [["--html"], ["--check", "--md", "--update", "{readme}"]])
def test_each_goes_with_check_alone(folder: Path, args: list[str]) -> None:
    bib = write(folder / "refs.bib", CLEAN)
    readme = write(folder / "README.md", "x\n")
    result = run(bib, bib, "--each", *[a.format(readme=readme) for a in args])
    assert result.exit_code == 2
    assert "--each says how --check reads several INPUT files" in result.stderr


def test_readme_documents_every_finding() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Checking a bibliography", 1)[1].split("\n## ", 1)[0]
    for words in (
        "key used twice",
        "paper listed twice",
        "outside `[categories]`",
        "no category",
        "empty title",
        "`url`",
        "`doi`",
        "unbalanced braces",
    ):
        assert words in section, words
