"""``--markdown --update FILE``: only the marked section changes; ``--check`` reports drift."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from catalogue_views import rows_from_markdown
from paths import COMPRESSION_BIB, REPO
from toolkit import run, write

BEGIN = "<!-- bib2table:begin -->"
END = "<!-- bib2table:end -->"
README = f"""# Model Compression

Papers on making networks small. Contributions welcome: edit compression.bib.

{BEGIN}
(generated)
{END}

## License

CC0
"""


@pytest.fixture(autouse=True)
def _debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIB2TABLE_DEBUG", "1")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A list's repository: the .bib, its settings and a README with a section."""
    for name in ("compression.bib", "bib2table.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    write(tmp_path / "README.md", README)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def section(text: str) -> str:
    return text.split(BEGIN + "\n", 1)[1].split(END, 1)[0]


def test_only_the_section_changes(repo: Path) -> None:
    result = run("compression.bib", "--markdown", "--update", "README.md")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == "bib2table: updated the bib2table section of README.md\n"
    text = (repo / "README.md").read_text(encoding="utf-8")
    before, after = README.split("(generated)\n")
    assert text.startswith(before)
    assert text.endswith(after)
    assert section(text) == run("compression.bib", "--markdown").stdout
    assert len(rows_from_markdown(section(text))) == 57


def test_an_up_to_date_section_is_not_touched(repo: Path) -> None:
    readme = repo / "README.md"
    run("compression.bib", "--markdown", "--update", "README.md")
    os.utime(readme, ns=(1_000_000_000, 1_000_000_000))
    result = run("compression.bib", "--markdown", "--update", "README.md")
    assert result.exit_code == 0
    assert result.stderr == "bib2table: README.md is up to date\n"
    assert result.stdout == ""
    assert readme.stat().st_mtime_ns == 1_000_000_000


def test_windows_newlines_are_kept(repo: Path) -> None:
    readme = repo / "README.md"
    readme.write_bytes(README.replace("\n", "\r\n").encode("utf-8"))
    assert run("compression.bib", "--markdown", "--update", "README.md").exit_code == 0
    data = readme.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")
    assert data.startswith(b"# Model Compression\r\n\r\nPapers")


def test_the_section_follows_the_selection(repo: Path) -> None:
    args = ["--markdown", "--update", "README.md", "--category", "distillation", "--since", "2018"]
    assert run("compression.bib", *args).exit_code == 0
    rows = rows_from_markdown(section((repo / "README.md").read_text(encoding="utf-8")))
    assert rows and all(r.marks["Distillation"] and int(r.year) >= 2018 for r in rows)


def test_a_template_of_only_the_table(repo: Path) -> None:
    write(
        repo / "table.md.jinja2",
        "{% for entry in catalogue.entries %}- {{ entry.cells[2]|md_escape }}\n{% endfor %}",
    )
    result = run(
        "compression.bib", "--markdown", "--update", "README.md", "--template", "table.md.jinja2"
    )
    assert result.exit_code == 0, result.stderr
    lines = section((repo / "README.md").read_text(encoding="utf-8")).splitlines()
    assert lines[0] == "- Optimal Brain Damage"
    assert len(lines) == 57


def test_markers_shown_in_a_code_block_are_not_the_section(repo: Path) -> None:
    example = f"How to add a section:\n\n```markdown\n{BEGIN}\n{END}\n```\n\n"
    write(repo / "README.md", example + README)
    assert run("compression.bib", "--markdown", "--update", "README.md").exit_code == 0
    text = (repo / "README.md").read_text(encoding="utf-8")
    assert text.startswith(example)
    assert "(generated)" not in text


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param(
            "# Nothing here\n",
            f"README.md has no bib2table section; put the lines {BEGIN} and {END} where the "
            "catalogue should go",
            id="no-markers",
        ),
        pytest.param(f"{BEGIN}\n", f"README.md has {BEGIN} but no {END}", id="no-end"),
        pytest.param(f"{END}\n{BEGIN}\n", f"README.md:1: {END} comes before {BEGIN}", id="order"),
        pytest.param(
            f"{BEGIN}\n{END}\n{BEGIN}\n{END}\n", "more than one bib2table section", id="two"
        ),
    ],
)
def test_bad_markers_are_a_clear_error(repo: Path, document: str, message: str) -> None:
    write(repo / "README.md", document)
    result = run("compression.bib", "--markdown", "--update", "README.md")
    assert result.exit_code == 1
    assert message in result.stderr
    assert (repo / "README.md").read_text(encoding="utf-8") == document


def test_check_reports_a_stale_section_and_changes_nothing(repo: Path) -> None:
    result = run("compression.bib", "--check", "--markdown", "--update", "README.md")
    assert result.exit_code == 1
    assert result.stdout == (
        "README.md:5: error: the bib2table section is out of date; run: bib2table "
        "compression.bib --markdown --update README.md\n"
    )
    assert (repo / "README.md").read_text(encoding="utf-8") == README


def test_check_passes_once_updated(repo: Path) -> None:
    args = ["--markdown", "--update", "README.md", "--category", "pruning"]
    assert run("compression.bib", *args).exit_code == 0
    assert run("compression.bib", "--check", *args).exit_code == 0
    stale = run("compression.bib", "--check", *args[:3])
    assert stale.exit_code == 1, "another selection makes another section"
    edited = (
        (repo / "compression.bib")
        .read_text(encoding="utf-8")
        .replace("Optimal Brain Damage", "Optimal Brain Damage (revised)")
    )
    write(repo / "compression.bib", edited)
    result = run("compression.bib", "--check", *args, "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.startswith("::error file=README.md,line=5,")
    assert "--category pruning" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--html", "--update", "README.md"], "use it with --markdown", id="html"),
        pytest.param(
            ["--markdown", "--update", "README.md", "-o", "x.md"],
            "leave out -o/--out-dir",
            id="with-output",
        ),
        pytest.param(["--markdown", "--update", "missing.md"], "does not exist", id="missing"),
    ],
)
def test_usage_errors(repo: Path, args: list[str], message: str) -> None:
    result = run("compression.bib", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert (repo / "README.md").read_text(encoding="utf-8") == README


def test_readme_of_this_repository_documents_the_markers() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"```markdown\n{BEGIN}\n{END}\n```" in readme
    assert COMPRESSION_BIB.name in readme
