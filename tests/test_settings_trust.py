"""Settings are data from a possibly untrusted pull request.

In CI a catalogue is built from contributors' pull requests, so the settings file is theirs:
a path in it reads nothing outside the settings file's folder, and the settings a run uses are
the repository's own (never a file planted in ``/tmp`` or above the repository), said aloud.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit import run, write

SAMPLE = "@misc{a, title = {A Title}, year = 2001, keywords = {alpha}}\n"
SECRET = "SECRET-TOKEN-4f1c"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with its list, and a secret beside it (as a CI runner's files are)."""
    root = tmp_path / "checkout"
    (root / ".git").mkdir(parents=True)
    write(root / "refs.bib", SAMPLE)
    write(root / "docs" / "intro.md", "Inside intro.\n")
    write(tmp_path / "secret.md", f"{SECRET}\n")
    write(tmp_path / "secrets" / "token.md", f"{SECRET}\n")
    return root


def _settings(root: Path, intro: str) -> Path:
    escaped = intro.replace("\\", "\\\\").replace('"', '\\"')
    return write(root / "bib2table.toml", f'title = "T"\nintro-file = "{escaped}"\n')


ESCAPES = [
    pytest.param("/proc/self/environ", "absolute path", id="proc-environ"),
    pytest.param("{secret}", "absolute path", id="absolute"),
    pytest.param("../secret.md", "leads outside", id="dot-dot"),
    pytest.param("docs/../../secret.md", "leads outside", id="dot-dot-inside"),
    pytest.param("./docs/../../secrets/token.md", "leads outside", id="dot-dot-deeper"),
    pytest.param("out.md", "leads outside", id="symlink-to-file-outside"),
    pytest.param("outdir/token.md", "leads outside", id="symlink-to-folder-outside"),
    pytest.param("docs/up/secret.md", "leads outside", id="symlink-up-in-subfolder"),
    pytest.param("~/secret.md", "absolute path", id="home"),
    pytest.param("", "is not a file name", id="empty"),
]


@pytest.mark.parametrize(("intro", "message"), ESCAPES)
@pytest.mark.parametrize("flag", ["--html", "--md", "--check"])
def test_intro_file_stays_in_the_settings_folder(
    repo: Path, tmp_path: Path, intro: str, message: str, flag: str
) -> None:
    (repo / "out.md").symlink_to(tmp_path / "secret.md")
    (repo / "outdir").symlink_to(tmp_path / "secrets")
    (repo / "docs" / "up").symlink_to("../..")
    _settings(repo, intro.format(secret=tmp_path / "secret.md"))
    result = run(repo / "refs.bib", flag)
    assert result.exit_code == 1
    assert message in (result.stderr + result.stdout)
    assert "intro-file" in (result.stderr + result.stdout)
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "intro",
    ["docs/intro.md", "./docs/intro.md", "docs/../docs/intro.md", "inner.md"],
)
def test_intro_file_inside_the_folder_is_read(repo: Path, intro: str) -> None:
    (repo / "inner.md").symlink_to("docs/intro.md")  # a link that stays inside is fine
    _settings(repo, intro)
    result = run(repo / "refs.bib", "--md")
    assert result.exit_code == 0, result.stderr
    assert "Inside intro." in result.stdout


PARTS = st.sampled_from(["..", ".", "docs", "up", "outdir", "intro.md", "secret.md", "token.md"])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(PARTS, min_size=1, max_size=5))
def test_no_relative_path_reads_outside(repo: Path, tmp_path: Path, parts: list[str]) -> None:
    """Whatever relative path the settings give, the intro is a file inside, or an error."""
    if not (repo / "docs" / "up").is_symlink():
        (repo / "docs" / "up").symlink_to("../..")
        (repo / "outdir").symlink_to(tmp_path / "secrets")
    _settings(repo, "/".join(parts))
    result = run(repo / "refs.bib", "--md")
    assert SECRET not in result.stdout + result.stderr
    assert result.exit_code in (0, 1)
    if result.exit_code == 0:
        assert "Inside intro." in result.stdout


# --------------------------------------------------------------------------------------------
# where settings are looked for


def test_a_planted_settings_file_outside_any_repository_is_not_used(tmp_path: Path) -> None:
    """``/tmp/bib2table.toml`` planted by someone else is not the settings of
    ``/tmp/work/refs.bib``: outside a repository and the home folder only the input's own
    folder is searched."""
    write(tmp_path / "bib2table.toml", 'title = "Planted"\n')
    bib = write(tmp_path / "work" / "refs.bib", SAMPLE)
    result = run(bib, "--md", "-v")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# refs\n")
    assert "no settings file found; built-in settings" in result.stderr


@pytest.mark.parametrize("git", ["folder", "file"])
def test_the_search_stops_at_the_repository_root(tmp_path: Path, git: str) -> None:
    write(tmp_path / "bib2table.toml", 'title = "Above the repository"\n')
    root = tmp_path / "repo"
    if git == "folder":
        (root / ".git").mkdir(parents=True)
    else:
        write(root / ".git", "gitdir: ../elsewhere\n")  # a worktree or a submodule
    bib = write(root / "lists" / "refs.bib", SAMPLE)
    assert run(bib, "--md").stdout.startswith("# refs\n")
    write(root / "bib2table.toml", 'title = "Repository"\n')
    assert run(bib, "--md").stdout.startswith("# Repository\n")


def test_the_search_stops_at_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home" / "me"
    monkeypatch.setenv("HOME", str(home))
    write(tmp_path / "home" / "bib2table.toml", 'title = "Other user"\n')
    bib = write(home / "papers" / "refs.bib", SAMPLE)
    assert run(bib, "--md").stdout.startswith("# refs\n")
    write(home / "bib2table.toml", 'title = "Mine"\n')
    assert run(bib, "--md").stdout.startswith("# Mine\n")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[project\nname = ", id="malformed"),
        pytest.param("tool = 5\n", id="tool-not-a-table"),
        pytest.param("\x00\x01 binary", id="binary"),
    ],
)
@pytest.mark.parametrize("where", ["above-repository", "in-repository"])
def test_a_broken_pyproject_that_is_not_ours_breaks_nothing(
    tmp_path: Path, text: str, where: str
) -> None:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    folder = tmp_path if where == "above-repository" else root
    write(folder / "pyproject.toml", text)
    bib = write(root / "refs.bib", SAMPLE)
    result = run(bib, "--md")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# refs\n")


def test_a_broken_pyproject_that_names_bib2table_is_reported(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path / "pyproject.toml", "[tool.bib2table\ntitle = 1\n")
    result = run(write(tmp_path / "refs.bib", SAMPLE), "--md")
    assert result.exit_code == 1
    assert "not valid TOML" in result.stderr


# --------------------------------------------------------------------------------------------
# which settings file is used is said


def test_verbose_says_which_settings_file_is_used(repo: Path) -> None:
    settings = write(repo / "bib2table.toml", 'title = "T"\n')
    result = run(repo / "refs.bib", "--md", "--verbose")
    assert result.exit_code == 0
    assert f"bib2table: settings from {settings}\n" in result.stderr
    quiet = run(repo / "refs.bib", "--md")
    assert "settings from" not in quiet.stderr


def test_check_says_which_settings_file_is_used(repo: Path, tmp_path: Path) -> None:
    config = write(tmp_path / "lab.toml", 'title = "Lab"\n')
    result = run(repo / "refs.bib", "--check", "--config", config)
    assert result.stderr.endswith(f"; settings from {config}\n")
    write(repo / "pyproject.toml", '[tool.bib2table]\ntitle = "Py"\n')
    result = run(repo / "refs.bib", "--check")
    assert result.stderr.endswith(f"; settings from {repo / 'pyproject.toml'}\n")


def test_settings_never_come_from_the_current_folder_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Running from another folder does not bring that folder's settings in."""
    write(tmp_path / "cwd" / "bib2table.toml", 'title = "Current folder"\n')
    bib = write(tmp_path / "list" / "refs.bib", SAMPLE)
    monkeypatch.chdir(tmp_path / "cwd")
    assert run(os.path.relpath(bib), "--md").stdout.startswith("# refs\n")
