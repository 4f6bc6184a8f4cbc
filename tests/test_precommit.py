"""The pre-commit hooks of ``.pre-commit-hooks.yaml``, run as pre-commit runs them.

pre-commit installs the repository (``language: python``) and runs each hook's ``entry`` with
the hook's ``args`` and, unless ``pass_filenames: false``, the staged files that ``files``
matches, from the top of the repository; a hook fails by a non-zero exit or by changing
files. Here the entries run the same way, as processes, on a sample repository in tmp_path.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from paths import REPO
from toolkit import write

HOOKS_FILE = REPO / ".pre-commit-hooks.yaml"
BEGIN, END = "<!-- bib2table:begin -->", "<!-- bib2table:end -->"
README = f"# Model Compression\n\nSee below.\n\n{BEGIN}\n{END}\n\nFooter.\n"
EXTRA = """@article{smith2020one,
  author = {Smith, Ann},
  title = {One More Paper},
  journal = {Journal},
  year = {2020},
  url = {https://example.org/one},
  keywords = {pruning}
}
"""


def read_hooks(text: str) -> list[dict[str, Any]]:
    """The hooks of a ``.pre-commit-hooks.yaml`` written as a plain list of flat mappings.

    Enough YAML for that file's own shape (so the test needs no YAML library); a YAML library,
    when installed, must read the file the same way.
    """
    hooks: list[dict[str, Any]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = re.fullmatch(r"(- |  )([\w-]+): (.*)", line)
        assert match, f"unexpected line in {HOOKS_FILE.name}: {line!r}"
        if match[1] == "- ":
            hooks.append({})
        value: Any = match[3]
        if value in ("true", "false"):
            value = value == "true"
        elif value.startswith("[") and value.endswith("]"):
            value = [v.strip() for v in value[1:-1].split(",") if v.strip()]
        hooks[-1][match[2]] = value
    return hooks


HOOKS = {hook["id"]: hook for hook in read_hooks(HOOKS_FILE.read_text(encoding="utf-8"))}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A list's repository: its catalogue, settings, README, another .bib and other files."""
    root = tmp_path / "list"
    root.mkdir()
    for name in ("compression.bib", "bib2table.toml"):
        shutil.copy(REPO / name, root / name)
    write(root / "README.md", README)
    write(root / "refs" / "extra.bib", EXTRA)
    write(root / "docs" / "list.md", README)
    write(root / "notes.txt", "not a bibliography\n")
    return root


def staged(repo: Path) -> list[str]:
    return sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file())


def run_hook(
    hook_id: str, repo: Path, args: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a hook as pre-commit would: entry, args, then the matching files (if it takes them)."""
    hook = HOOKS[hook_id]
    entry = shlex.split(hook["entry"])
    assert entry[0] == "bib2table"
    files = [f for f in staged(repo) if re.search(hook["files"], f)]
    command = [*entry[1:], *(args or hook.get("args", []))]
    if hook.get("pass_filenames", True):
        command += files
    if not files:
        pytest.fail(f"no staged file matches {hook['files']!r}: pre-commit would skip the hook")
    return subprocess.run(
        [sys.executable, "-m", "bib2table", *command],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_hooks_file_offers_both_hooks() -> None:
    assert list(HOOKS) == ["bib2table-check", "bib2table-readme"]
    for hook in HOOKS.values():
        assert hook["language"] == "python"
        assert hook["name"] and hook["description"]
    assert HOOKS["bib2table-check"]["entry"] == "bib2table --check --each"
    assert HOOKS["bib2table-readme"]["pass_filenames"] is False


def test_a_yaml_library_reads_the_hooks_the_same() -> None:
    yaml = pytest.importorskip("yaml")
    assert yaml.safe_load(HOOKS_FILE.read_text(encoding="utf-8")) == list(HOOKS.values())


def test_the_entry_is_the_installed_command() -> None:
    """``language: python`` installs this project; its ``bib2table`` is the command itself."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["bib2table"] == "bib2table.__main__:main"
    assert "build-system" in project


def test_check_hook_takes_the_bib_files(repo: Path) -> None:
    files = [f for f in staged(repo) if re.search(HOOKS["bib2table-check"]["files"], f)]
    assert files == ["compression.bib", "refs/extra.bib"]


def test_check_hook_passes_a_clean_repository(repo: Path) -> None:
    before = {f: (repo / f).read_bytes() for f in staged(repo)}
    result = run_hook("bib2table-check", repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert "compression.bib: check passed: 57 entries" in result.stderr
    assert "refs/extra.bib: check passed: 1 entry" in result.stderr
    assert {f: (repo / f).read_bytes() for f in staged(repo)} == before


def test_check_hook_fails_a_broken_contribution(repo: Path) -> None:
    text = (repo / "compression.bib").read_text(encoding="utf-8")
    write(repo / "refs" / "extra.bib", EXTRA + "\n" + EXTRA.replace("One More", "Two"))
    write(
        repo / "compression.bib", text.replace("keywords = {pruning}", "keywords = {prunning}", 1)
    )
    result = run_hook("bib2table-check", repo)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "refs/extra.bib:1: smith2020one: error: duplicate key: also used at line 10" in lines
    assert (
        "compression.bib:6: lecun1990optimal: warning: keyword 'prunning' is not a category; "
        "did you mean 'pruning'?"
    ) in lines


def test_readme_hook_updates_then_leaves_the_readme_alone(repo: Path) -> None:
    result = run_hook("bib2table-readme", repo, ["compression.bib"])
    assert result.returncode == 0, result.stderr
    text = (repo / "README.md").read_text(encoding="utf-8")
    assert text.startswith(
        "# Model Compression\n\nSee below.\n\n" + BEGIN + "\n# Model Compression"
    )
    assert text.endswith(END + "\n\nFooter.\n")
    assert text.count("| [") == 57
    # pre-commit passes a hook that changes no file: the second run is that hook
    again = run_hook("bib2table-readme", repo, ["compression.bib"])
    assert again.returncode == 0
    assert (repo / "README.md").read_text(encoding="utf-8") == text
    assert "README.md is up to date" in again.stderr


def test_readme_hook_with_another_file(repo: Path) -> None:
    args = ["--update", "docs/list.md", "compression.bib"]
    result = run_hook("bib2table-readme", repo, args)
    assert result.returncode == 0, result.stderr
    assert (repo / "README.md").read_text(encoding="utf-8") == README
    assert (repo / "docs" / "list.md").read_text(encoding="utf-8").count("| [") == 57


def test_readme_hook_without_markers_fails(repo: Path) -> None:
    write(repo / "README.md", "# No section\n")
    result = run_hook("bib2table-readme", repo, ["compression.bib"])
    assert result.returncode == 1
    assert "README.md has no bib2table section" in result.stderr


def test_readme_documents_the_hooks_and_the_workflow() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## pre-commit and GitHub Actions", 1)[1].split("\n## ", 1)[0]
    for hook_id in HOOKS:
        assert f"id: {hook_id}" in section
    assert "--check --format github" in section
    assert "--check --markdown --update README.md" in section


# --- with pre-commit itself ------------------------------------------------------------------

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ann Keeper",
    "GIT_AUTHOR_EMAIL": "ann@example.org",
    "GIT_COMMITTER_NAME": "Ann Keeper",
    "GIT_COMMITTER_EMAIL": "ann@example.org",
}


def pre_commit(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def readme_block(heading: str, language: str, index: int = 0) -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)[index]


def test_pre_commit_accepts_the_hooks_file() -> None:
    done = pre_commit(REPO, "validate-manifest", str(HOOKS_FILE))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_local_hooks_are_the_hooks_files(tmp_path: Path) -> None:
    """The hooks `init` writes for `repo: local` are those of .pre-commit-hooks.yaml, but
    for the language (system: the bib2table installed) and the catalogue's .bib in args."""
    yaml = pytest.importorskip("yaml")
    from bib2table.init import render_file

    repo = render_file("pre-commit-repo.yaml.jinja2", source="compression.bib")
    config = yaml.safe_load(render_file("pre-commit-config.yaml.jinja2", repo=repo))
    (local,) = config["repos"]
    assert local["repo"] == "local"
    same = ("id", "name", "entry", "files", "pass_filenames")
    for hook, offered in zip(local["hooks"], HOOKS.values(), strict=True):
        assert hook["language"] == "system"
        assert {k: hook.get(k) for k in same} == {k: offered.get(k) for k in same}
    assert local["hooks"][1]["args"] == ["compression.bib"]


def test_the_readme_shows_what_init_writes(tmp_path: Path) -> None:
    """The README's pre-commit configuration and workflow are those `bib2table init
    compression.bib` writes in this repository, byte for byte."""
    from bib2table.init import plan

    shutil.copy(REPO / "compression.bib", tmp_path / "compression.bib")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    made = {f.path: f.text for f in plan(tmp_path / "compression.bib", root=tmp_path).files}
    heading = "pre-commit and GitHub Actions"
    assert readme_block(heading, "yaml", 0) == made[".pre-commit-config.yaml"]
    assert readme_block(heading, "yaml", 1) == made[".github/workflows/catalogue.yml"]


def test_the_readme_snippet_works_as_written(repo: Path, tmp_path: Path) -> None:
    """The README's .pre-commit-config.yaml, pasted as it is into a list's repository, runs
    the hooks with pre-commit: they pass, refresh the README, and fail a broken .bib."""
    env = dict(os.environ, **GIT_ENV, PRE_COMMIT_HOME=str(tmp_path / "cache"))
    program = write(
        tmp_path / "bin" / "bib2table", f'#!/bin/sh\nexec "{sys.executable}" -m bib2table "$@"\n'
    )
    program.chmod(0o755)
    env["PATH"] = f"{program.parent}{os.pathsep}{env['PATH']}"
    write(repo / ".pre-commit-config.yaml", readme_block("pre-commit and GitHub Actions", "yaml"))
    for command in (["init", "-q"], ["add", "-A"]):
        subprocess.run(["git", *command], cwd=repo, env=env, check=True, timeout=60)
    first = pre_commit(repo, "run", "--all-files", env=env)
    assert first.returncode == 1, first.stdout  # the README hook filled the empty section
    assert "files were modified by this hook" in first.stdout
    assert (repo / "README.md").read_text(encoding="utf-8").count("| [") == 57
    subprocess.run(["git", "add", "-A"], cwd=repo, env=env, check=True, timeout=60)
    second = pre_commit(repo, "run", "--all-files", env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    write(repo / "refs" / "extra.bib", EXTRA + EXTRA)
    subprocess.run(["git", "add", "-A"], cwd=repo, env=env, check=True, timeout=60)
    third = pre_commit(repo, "run", "--all-files", env=env)
    assert third.returncode == 1
    assert "refs/extra.bib:9: smith2020one: error: duplicate key" in third.stdout


@pytest.mark.skipif(not os.environ.get("BIB2TABLE_SLOW"), reason="set BIB2TABLE_SLOW=1")
def test_the_hooks_file_works_from_a_repository_url(repo: Path, tmp_path: Path) -> None:
    """pre-commit clones bib2table (a git repository made of this checkout, by its path, as
    it would by URL), installs it with pip and runs its hooks. Needs the package index."""
    env = dict(os.environ, **GIT_ENV, PRE_COMMIT_HOME=str(tmp_path / "cache"))
    env.pop("PYTHONPATH", None)  # the hooks run the bib2table pre-commit installed
    source = tmp_path / "bib2table"
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO, capture_output=True, check=True, timeout=60,
    ).stdout.decode()  # fmt: skip
    for name in filter(None, listed.split("\0")):
        if (REPO / name).is_file():
            write(source / name, "").unlink()
            shutil.copy2(REPO / name, source / name)
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "bib2table"]):
        subprocess.run(["git", *command], cwd=source, env=env, check=True, timeout=60)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True, check=True
    ).stdout.strip()
    write(
        repo / ".pre-commit-config.yaml",
        f"repos:\n  - repo: {source}\n    rev: {commit}\n    hooks:\n"
        "      - id: bib2table-check\n      - id: bib2table-readme\n"
        "        args: [compression.bib]\n",
    )
    for command in (["init", "-q"], ["add", "-A"]):
        subprocess.run(["git", *command], cwd=repo, env=env, check=True, timeout=60)
    first = pre_commit(repo, "run", "--all-files", env=env)
    assert "update the catalogue section of README.md" in first.stdout, first.stderr
    subprocess.run(["git", "add", "-A"], cwd=repo, env=env, check=True, timeout=60)
    second = pre_commit(repo, "run", "--all-files", env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.count("Passed") == 2
