"""``bib2table init`` in real git repositories: what it writes, checked by the files' own tools.

The workflow is validated with check-jsonschema's built-in GitHub-workflow schemas, the
pre-commit configuration with pre-commit itself, and the hooks are run by pre-commit (``repo:
local``, ``language: system``: no network) against a broken and a fixed ``.bib``. The
workflow's own commands are run here too, as GitHub's runner would run them.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bib2table import build
from bib2table.catalogue.settings import read_settings
from bib2table.init import default_install, detect_hierarchy, install_from_direct_url, pages_url
from paths import COMPRESSION_BIB, REPO
from toolkit import run, write

INSTALL = "bib2table @ git+https://example.org/bib2table.git@v1.0"
WORKFLOW = Path(".github/workflows/catalogue.yml")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ann Keeper",
    "GIT_AUTHOR_EMAIL": "ann@example.org",
    "GIT_COMMITTER_NAME": "Ann Keeper",
    "GIT_COMMITTER_EMAIL": "ann@example.org",
}


@pytest.fixture(scope="session")
def shim(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose ``bib2table`` on PATH is this checkout's, run by this Python, as
    a maintainer's machine with bib2table installed has it; its own HOME and caches."""
    folder = tmp_path_factory.mktemp("bin")
    program = folder / "bib2table"
    program.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m bib2table "$@"\n', encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    env = dict(os.environ, **GIT_ENV)
    for name in ("XDG_CACHE_HOME", "BIB2TABLE_CACHE_DIR", "XDG_CONFIG_HOME"):
        env.pop(name, None)
    env["HOME"] = str(tmp_path_factory.mktemp("home"))
    env["PATH"] = f"{folder}{os.pathsep}{env['PATH']}"
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit"))
    return env


def new_repository(root: Path, env: dict[str, str]) -> Path:
    """A fresh git repository holding compression.bib."""
    root.mkdir()
    git(root, env, "init", "-q", "-b", "main")
    shutil.copy(COMPRESSION_BIB, root / "compression.bib")
    return root


@pytest.fixture
def repo(tmp_path: Path, shim: dict[str, str]) -> Path:
    return new_repository(tmp_path / "awesome-compression", shim)


@pytest.fixture(scope="module")
def made(
    tmp_path_factory: pytest.TempPathFactory, shim: dict[str, str]
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A repository as ``bib2table init compression.bib --install …`` leaves it, made once."""
    root = new_repository(tmp_path_factory.mktemp("made") / "awesome-compression", shim)
    return root, init(root, shim, "compression.bib", "--install", INSTALL)


@pytest.fixture
def initialised(made: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path) -> Path:
    """A copy of that repository, to change at will."""
    return Path(shutil.copytree(made[0], tmp_path / "awesome-compression", symlinks=True))


def git(root: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def sh(root: Path, env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command), cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def init(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return sh(root, env, "bib2table", "init", *args)


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- what init writes ------------------------------------------------------------------------


def test_init_writes_the_four_files_and_says_what_next(
    made: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    repo, result = made
    assert result.returncode == 0, result.stderr
    assert sorted(snapshot(repo)) == [
        ".github/workflows/catalogue.yml",
        ".pre-commit-config.yaml",
        "README.md",
        "bib2table.toml",
        "compression.bib",
    ]
    assert (repo / "compression.bib").read_bytes() == COMPRESSION_BIB.read_bytes()
    lines = result.stdout.splitlines()
    assert lines[0] == "bib2table init: compression.bib (57 entries, 5 categories proposed)"
    for name in ("bib2table.toml", "README.md", ".pre-commit-config.yaml", str(WORKFLOW)):
        assert f"  {name}: wrote" in lines
    assert "Next steps:" in lines
    assert "       bib2table compression.bib --markdown --update README.md" in lines
    assert "       python3 -m pip install pre-commit && pre-commit install" in lines
    assert '     choose "GitHub Actions" as the source.' in lines
    add = "       git add compression.bib bib2table.toml README.md .pre-commit-config.yaml "
    assert add + ".github/workflows/catalogue.yml" in lines
    assert (
        "       git remote add origin URL-OF-THE-GITHUB-REPOSITORY && git push -u origin HEAD"
        in lines
    )


def test_the_categories_of_this_repository_are_reproduced(repo: Path, shim: dict[str, str]) -> None:
    """init on compression.bib proposes the keywords of this repository's bib2table.toml, in
    its order, and every paper gets the same category marks; only the one label a person
    chose for two keywords ("Quantization, low-rank, etc.") differs."""
    assert init(repo, shim, "compression.bib").returncode == 0
    proposed = read_settings(repo / "bib2table.toml", required=True)
    ours = read_settings(REPO / "bib2table.toml", required=True)
    assert proposed.categories is not None and ours.categories is not None
    used = [k for k in ours.categories if k != "quantization"]  # in no entry of the file
    assert list(proposed.categories) == used
    assert {k: v for k, v in proposed.categories.items() if k != "low-rank"} == {
        k: v for k, v in ours.categories.items() if k in used and k != "low-rank"
    }
    assert proposed.categories["low-rank"] == "Low-rank"
    catalogue, _ = build(repo / "compression.bib", ["csv"], config=repo / "bib2table.toml")
    original, _ = build(COMPRESSION_BIB, ["csv"])
    assert [e.marks for e in catalogue.entries] == [e.marks for e in original.entries]
    assert [c.count for c in catalogue.categories] == [c.count for c in original.categories]


def test_the_settings_file_shows_the_counts(repo: Path, shim: dict[str, str]) -> None:
    init(repo, shim, "compression.bib", "--title", "Model Compression")
    text = (repo / "bib2table.toml").read_text(encoding="utf-8")
    assert 'title = "Model Compression"' in text
    assert 'pruning = "Pruning"  # 25 papers\n' in text
    assert 'low-rank = "Low-rank"  # 1 paper\n' in text
    assert text.index("low-rank") < text.index('other = "Other"  # 8 papers')
    assert tomllib.loads(text)["markdown-layout"] == "table"


def check_jsonschema(
    root: Path, env: dict[str, str], schema: str, *files: Path
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema]
    return sh(root, env, *command, *map(str, files))


def test_the_workflow_is_valid_for_github(initialised: Path, shim: dict[str, str]) -> None:
    """check-jsonschema's own GitHub-workflow schema (offline), which also catches a broken
    copy of the same file; and its stricter one that wants a time limit on every job."""
    broken = initialised / "broken.yml"
    broken.write_text((initialised / WORKFLOW).read_text().replace("runs-on:", "runs_on:", 1))
    checked = check_jsonschema(initialised, shim, "vendor.github-workflows", WORKFLOW, broken)
    assert checked.returncode == 1
    assert "broken.yml::$.jobs.check" in checked.stdout
    assert str(WORKFLOW) not in checked.stdout + checked.stderr
    strict = "custom.github-workflows-require-timeout"
    checked = check_jsonschema(initialised, shim, strict, WORKFLOW)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_workflow_checks_pull_requests_and_publishes_the_default_branch(
    made: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    workflow = load_yaml(made[0] / WORKFLOW)
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"pull_request", "push", "workflow_dispatch"}
    assert workflow["permissions"] == {"contents": "read"}
    jobs = workflow["jobs"]
    assert list(jobs) == ["check", "build", "deploy"]
    runs = [step.get("run", "") for step in jobs["check"]["steps"]]
    assert "bib2table compression.bib --check --format github" in runs
    assert "bib2table compression.bib --check --markdown --update README.md" in runs
    assert f"python -m pip install '{INSTALL}'" in runs
    build_job = jobs["build"]
    assert build_job["needs"] == "check"
    assert "github.event.repository.default_branch" in build_job["if"]
    assert "pull_request" in build_job["if"]
    uses = [step.get("uses", "") for step in build_job["steps"]]
    assert "actions/configure-pages@v5" in uses
    assert uses[-1] == "actions/upload-pages-artifact@v3"
    assert build_job["steps"][-1]["with"] == {"path": "_site"}
    assert build_job["permissions"] == {"contents": "read", "pages": "read"}
    deploy = jobs["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    assert deploy["environment"] == {
        "name": "github-pages",
        "url": "${{ steps.deployment.outputs.page_url }}",
    }
    assert deploy["steps"] == [
        {"name": "Publish to GitHub Pages", "id": "deployment", "uses": "actions/deploy-pages@v4"}
    ]


def run_steps(root: Path, env: dict[str, str], job: dict[str, Any]) -> list[str]:
    """Run a job's ``run:`` steps with bash as GitHub's runner does (``bash -e``), but for
    installing bib2table, which is installed here; the commands run."""
    ran = []
    for step in job["steps"]:
        command = step.get("run")
        if command is None or "pip install" in command:
            continue
        done = sh(root, env, "bash", "-e", "-c", command)
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
        ran.append(command)
    return ran


def test_the_workflows_commands_pass_on_the_new_repository(
    initialised: Path, shim: dict[str, str]
) -> None:
    repo = initialised
    jobs = load_yaml(repo / WORKFLOW)["jobs"]
    assert len(run_steps(repo, shim, jobs["check"])) == 2
    assert len(run_steps(repo, shim, jobs["build"])) == 1
    page = (repo / "_site" / "index.html").read_text(encoding="utf-8")
    assert page.count('<tr id="') == 57
    items = json.loads((repo / "_site" / "catalogue.json").read_text(encoding="utf-8"))
    assert len(items) == 57


def test_the_check_job_fails_a_stale_readme(initialised: Path, shim: dict[str, str]) -> None:
    repo = initialised
    bib = repo / "compression.bib"
    bib.write_text(bib.read_text().replace("Optimal Brain Damage", "Optimal Brain Repair"))
    command = load_yaml(repo / WORKFLOW)["jobs"]["check"]["steps"][-1]["run"]
    done = sh(repo, shim, "bash", "-e", "-c", command)
    assert done.returncode == 1
    assert "the bib2table section is out of date" in done.stdout


def test_the_readme_section_is_filled(repo: Path, shim: dict[str, str]) -> None:
    init(repo, shim, "compression.bib")
    readme = (repo / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("<!-- bib2table:begin -->\n# compression\n")
    assert readme.endswith("<!-- bib2table:end -->\n")
    assert readme.count("| [") == 57


def test_an_existing_readme_gets_the_section_at_its_end(repo: Path, shim: dict[str, str]) -> None:
    original = "# Awesome Model Compression\r\n\r\nPapers on compression.\r\n\r\n## Licence\r\nCC0"
    (repo / "README.md").write_bytes(original.encode("utf-8"))
    result = init(repo, shim, "compression.bib")
    assert "  README.md: added the bib2table section at its end" in result.stdout.splitlines()
    readme = (repo / "README.md").read_bytes().decode("utf-8")
    assert readme.startswith(original + "\r\n\r\n<!-- bib2table:begin -->\r\n")
    assert readme.endswith("<!-- bib2table:end -->\r\n")
    assert "\n" not in readme.replace("\r\n", "")
    assert 'title = "Awesome Model Compression"' in (repo / "bib2table.toml").read_text()


def test_a_readme_with_markers_is_filled_in_place(repo: Path, shim: dict[str, str]) -> None:
    before = "# List\n\n```markdown\n<!-- bib2table:begin -->\n```\n\n<!-- bib2table:begin -->\n"
    after = "<!-- bib2table:end -->\n\nFooter\n"
    write(repo / "README.md", before + "old\n" + after)
    init(repo, shim, "compression.bib")
    readme = (repo / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(before + "# List\n")
    assert readme.endswith("|\n" + after)


def test_a_readme_with_one_marker_is_an_error_and_nothing_is_written(
    repo: Path, shim: dict[str, str]
) -> None:
    write(repo / "README.md", "# List\n<!-- bib2table:begin -->\n")
    before = snapshot(repo)
    result = init(repo, shim, "compression.bib", "--install", INSTALL)
    assert result.returncode == 1
    assert "README.md has <!-- bib2table:begin --> but no <!-- bib2table:end -->" in result.stderr
    assert snapshot(repo) == before
    assert not (repo / ".github").exists()


def test_nothing_is_written_when_a_file_cannot_be(repo: Path, shim: dict[str, str]) -> None:
    write(repo / ".github", "a file where the folder should be\n")
    before = snapshot(repo)
    result = init(repo, shim, "compression.bib", "--install", INSTALL)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: cannot create ")
    assert "Traceback" not in result.stderr
    assert snapshot(repo) == before


# --- never overwriting -----------------------------------------------------------------------


def test_a_second_run_keeps_everything(initialised: Path, shim: dict[str, str]) -> None:
    repo = initialised
    before = snapshot(repo)
    again = init(repo, shim, "compression.bib", "--install", INSTALL)
    assert again.returncode == 0
    assert snapshot(repo) == before
    lines = again.stdout.splitlines()
    assert "  bib2table.toml: kept: settings found" in lines
    assert "  README.md: kept: its bib2table section is up to date" in lines
    assert "  .pre-commit-config.yaml: kept: it has bib2table's hooks" in lines
    assert f"  {WORKFLOW}: kept: already as init writes it" in lines


def test_existing_files_are_kept_unless_forced(repo: Path, shim: dict[str, str]) -> None:
    own = {
        "bib2table.toml": 'title = "Mine"\n[categories]\npruning = "Cutting"\n',
        ".pre-commit-config.yaml": "repos: []\n",
        str(WORKFLOW): "name: mine\n",
    }
    for name, text in own.items():
        write(repo / name, text)
    result = init(repo, shim, "compression.bib", "--install", INSTALL)
    assert result.returncode == 0, result.stderr
    for name, text in own.items():
        assert (repo / name).read_text(encoding="utf-8") == text
    assert f"  {WORKFLOW}: kept: it exists (--force replaces it)" in result.stdout
    assert "  .pre-commit-config.yaml: kept: add bib2table's hooks" in result.stdout
    readme = (repo / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("<!-- bib2table:begin -->\n# Mine\n")  # with the settings in place
    assert "| Cutting |" in readme
    forced = init(repo, shim, "compression.bib", "--install", INSTALL, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "  bib2table.toml: replaced" in forced.stdout.splitlines()
    assert 'pruning = "Pruning"  # 25 papers' in (repo / "bib2table.toml").read_text()
    assert load_yaml(repo / WORKFLOW)["name"] == "catalogue"


def test_without_an_install_source_the_workflow_waits(repo: Path, shim: dict[str, str]) -> None:
    result = init(repo, shim, "compression.bib")
    assert result.returncode == 0
    assert not (repo / WORKFLOW).exists()
    assert f"  {WORKFLOW}: not written: say where CI gets bib2table" in result.stdout
    assert "--install" in result.stdout
    done = init(repo, shim, "compression.bib", "--install", INSTALL)
    assert f"  {WORKFLOW}: wrote" in done.stdout.splitlines()


def test_in_bib2table_own_repository_the_workflow_installs_it_from_there(tmp_path: Path) -> None:
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    assert default_install(tmp_path) == "."


@pytest.mark.parametrize(
    ("direct_url", "spec"),
    [
        (
            {
                "url": "https://github.com/lab/bib2table.git",
                "vcs_info": {
                    "vcs": "git",
                    "commit_id": "0123456789abcdef0123",
                    "requested_revision": "v1",
                },
            },
            "bib2table @ git+https://github.com/lab/bib2table.git@0123456789abcdef0123",
        ),
        (
            {"url": "https://example.org/bib2table-1.0.tar.gz", "archive_info": {}},
            "bib2table @ https://example.org/bib2table-1.0.tar.gz",
        ),
        ({"url": "file:///home/ann/bib2table", "dir_info": {"editable": True}}, None),
        ({"url": "https://example.org/x", "vcs_info": {"vcs": "hg", "commit_id": "abc1234"}}, None),
        ({"url": "https://e.org/a b", "archive_info": {}}, None),
        ({"url": "https://e.org/x.git", "vcs_info": {"vcs": "git", "commit_id": "$(rm)"}}, None),
        ("not json", None),
    ],
)
def test_the_install_source_from_pip_metadata(direct_url: Any, spec: str | None) -> None:
    text = direct_url if isinstance(direct_url, str) else json.dumps(direct_url)
    assert install_from_direct_url(text) == spec


@pytest.mark.parametrize("spec", ["", "a\nb", "${{ secrets.TOKEN }}"])
def test_an_install_spec_that_cannot_be_one_line_is_refused(
    repo: Path, shim: dict[str, str], spec: str
) -> None:
    result = init(repo, shim, "compression.bib", "--install", spec)
    assert result.returncode == 1
    assert "is not one pip requirement on one line" in result.stderr
    assert snapshot(repo) == {"compression.bib": COMPRESSION_BIB.read_bytes()}


def test_an_install_spec_is_quoted_for_the_shell(repo: Path, shim: dict[str, str]) -> None:
    """A spec with a ; or quotes reaches pip as one argument, through YAML and bash."""
    spec = "bib2table @ git+https://example.org/b.git@v1; touch pwned '\""
    init(repo, shim, "compression.bib", "--install", spec)
    (command,) = [s["run"] for s in load_yaml(repo / WORKFLOW)["jobs"]["check"]["steps"][2:3]]
    done = sh(repo, shim, "bash", "-c", command.replace("python -m pip install", "printf %s"))
    assert done.stdout == spec
    assert not (repo / "pwned").exists()


# --- which .bib, which folder ----------------------------------------------------------------


def test_without_input_the_only_bib_is_used(repo: Path, shim: dict[str, str]) -> None:
    result = init(repo, shim)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("bib2table init: compression.bib (57 entries")


def test_without_input_and_two_bibs_init_asks(repo: Path, shim: dict[str, str]) -> None:
    write(repo / "other.bib", "@misc{k}\n")
    result = init(repo, shim)
    assert result.returncode == 1
    assert "2 .bib files (compression.bib, other.bib); name the bibliography" in result.stderr


def test_from_a_subfolder_the_files_go_to_the_repository(repo: Path, shim: dict[str, str]) -> None:
    (repo / "refs").mkdir()
    shutil.move(repo / "compression.bib", repo / "refs" / "papers.bib")
    result = init(repo / "refs", shim, "papers.bib", "--install", INSTALL)
    assert result.returncode == 0, result.stderr
    assert (repo / "refs" / "bib2table.toml").exists()
    assert (repo / "README.md").exists() and (repo / WORKFLOW).exists()
    hooks = load_yaml(repo / ".pre-commit-config.yaml")["repos"][0]["hooks"]
    assert hooks[1]["args"] == ["refs/papers.bib"]
    jobs = load_yaml(repo / WORKFLOW)["jobs"]
    assert "bib2table refs/papers.bib --check --format github" in str(jobs["check"])
    run_steps(repo, shim, jobs["check"])


def test_outside_git_the_current_folder_is_the_repository(
    tmp_path: Path, shim: dict[str, str]
) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    shutil.copy(COMPRESSION_BIB, folder / "refs.bib")
    env = dict(shim, GIT_CEILING_DIRECTORIES=str(tmp_path))
    result = init(folder, env, "refs.bib")
    assert result.returncode == 0, result.stderr
    assert (folder / "bib2table.toml").exists()
    assert "git init" in result.stdout


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("my refs.bib", "rename the file with letters, digits"),
        ("$(id).bib", "rename the file with letters, digits"),
        ("-x.bib", "rename the file with letters, digits"),
    ],
)
def test_a_name_the_workflow_cannot_hold_is_refused(
    repo: Path, shim: dict[str, str], name: str, message: str
) -> None:
    shutil.copy(COMPRESSION_BIB, repo / name)
    result = init(repo, shim, "--", name)
    assert result.returncode == 1
    assert message in result.stderr


def test_a_bib_outside_the_repository_is_refused(
    repo: Path, shim: dict[str, str], tmp_path: Path
) -> None:
    result = init(repo, shim, str(COMPRESSION_BIB))
    assert result.returncode == 1
    assert "is not inside the repository" in result.stderr


def test_a_spreadsheet_is_turned_into_a_bib_first(repo: Path, shim: dict[str, str]) -> None:
    write(repo / "sheet.csv", "Year,Author,Title,URL,Venue\n")
    result = init(repo, shim, "sheet.csv")
    assert result.returncode == 1
    assert "bib2table sheet.csv --bib -o sheet.bib" in result.stderr


def test_problems_of_the_bib_are_reported(repo: Path, shim: dict[str, str]) -> None:
    write(repo / "compression.bib", "@misc{a, title = {A}}\n@misc{a, title = {B}\n")
    result = init(repo, shim, "compression.bib")
    assert result.returncode == 0
    assert "compression.bib:2:" in result.stderr
    assert "bib2table compression.bib --check" in result.stdout


def test_the_pages_address_comes_from_a_github_remote(repo: Path, shim: dict[str, str]) -> None:
    git(repo, shim, "remote", "add", "origin", "git@github.com:Ann-Keeper/awesome-compression.git")
    result = init(repo, shim, "compression.bib")
    assert "https://ann-keeper.github.io/awesome-compression/" in result.stdout
    assert "       git push" in result.stdout.splitlines()
    assert "git remote add" not in result.stdout


@pytest.mark.parametrize(
    ("remote", "url"),
    [
        (
            "https://github.com/lab/awesome-compression.git",
            "https://lab.github.io/awesome-compression/",
        ),
        ("https://github.com/Lab/papers", "https://lab.github.io/papers/"),
        ("git@github.com:lab/lab.github.io.git", "https://lab.github.io/"),
        ("https://gitlab.com/lab/papers.git", ""),
        ("", ""),
    ],
)
def test_pages_url(remote: str, url: str) -> None:
    assert pages_url(remote) == url


# --- proposals from other exports --------------------------------------------------------


def proposed(repo: Path, shim: dict[str, str], bib_text: str) -> dict[str, Any]:
    write(repo / "compression.bib", bib_text)
    result = init(repo, shim, "compression.bib")
    assert result.returncode == 0, result.stderr
    return tomllib.loads((repo / "bib2table.toml").read_text(encoding="utf-8"))


def test_hierarchical_keywords_are_folded(repo: Path, shim: dict[str, str]) -> None:
    entries = [
        ("a", "Compression/Pruning"),
        ("b", "compression/pruning, compression/distillation"),
        ("c", "compression > pruning"),
        ("d", "Distillation"),
        ("e", "I/O"),
        ("f", "compression > distillation"),
    ]
    text = "".join(f"@misc{{{k}, title = {{{k}}}, keywords = {{{w}}}}}\n" for k, w in entries)
    settings = proposed(repo, shim, text)
    assert settings["keyword-hierarchy-separators"] == ["/", ">"]
    assert settings["categories"] == {
        "pruning": "Pruning",
        "distillation": "Distillation",
        "o": "O",
    }
    toml = (repo / "bib2table.toml").read_text(encoding="utf-8")
    assert (
        'pruning = "Pruning"  # 3 papers: Compression/Pruning, compression > pruning, '
        "compression/pruning\n" in toml
    )
    catalogue, _ = build(repo / "compression.bib", ["csv"])
    assert [e.categories for e in catalogue.entries] == [
        ("Pruning",),
        ("Pruning", "Distillation"),
        ("Pruning",),
        ("Distillation",),
        ("O",),
        ("Distillation",),
    ]


@pytest.mark.parametrize(
    ("keywords", "separators"),
    [
        ([["I/O"], ["TCP/IP"]], ()),
        ([["a/b"], ["a/c"]], ("/",)),
        ([["a/b/c"]], ("/",)),
        ([["x > y", "x > z"]], (">",)),
        ([["a/"], ["a/"]], ()),
    ],
)
def test_hierarchy_is_detected_only_for_trees(
    keywords: list[list[str]], separators: tuple[str, ...]
) -> None:
    assert detect_hierarchy(keywords) == separators


def test_mendeley_tags_are_the_categories(repo: Path, shim: dict[str, str]) -> None:
    settings = proposed(
        repo, shim, (REPO / "tests/data/exports/mendeley.bib").read_text(encoding="utf-8")
    )
    assert settings["keyword-fields"] == ["mendeley-tags"]
    assert next(iter(settings["categories"])) == "pruning"


def test_jabref_keywords_with_levels(repo: Path, shim: dict[str, str]) -> None:
    settings = proposed(
        repo, shim, (REPO / "tests/data/exports/jabref.bib").read_text(encoding="utf-8")
    )
    assert settings["keyword-fields"] == ["keywords"]
    assert settings["keyword-hierarchy-separators"] == [">"]
    assert "distillation" in settings["categories"]


def test_groups_when_there_are_no_keywords(repo: Path, shim: dict[str, str]) -> None:
    settings = proposed(repo, shim, "@misc{a, groups = {Pruning}}\n@misc{b, groups = {Other}}\n")
    assert settings["keyword-fields"] == ["groups"]
    assert settings["categories"] == {"pruning": "Pruning", "other": "Other"}


def test_many_keywords_most_used_first_the_rest_listed(repo: Path, shim: dict[str, str]) -> None:
    entries = [
        f"@misc{{k{n}, keywords = {{{', '.join(f'w{m}' for m in range(n))}}}}}" for n in range(80)
    ]
    settings = proposed(repo, shim, "\n".join(entries))
    assert list(settings["categories"]) == [f"w{m}" for m in range(24)]
    toml = (repo / "bib2table.toml").read_text(encoding="utf-8")
    assert '# w24 = "W24"  # 55 papers' in toml
    assert "# ...and 15 more keywords, each used by fewer papers." in toml


def test_no_keywords_at_all(repo: Path, shim: dict[str, str]) -> None:
    settings = proposed(repo, shim, "@misc{a, title = {A}}\n")
    assert settings["categories"] == {}
    assert "has no keywords yet" in (repo / "bib2table.toml").read_text(encoding="utf-8")


KEYWORD = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="{}\\%,;/>\x00"),
    min_size=1,
    max_size=20,
).filter(lambda k: k.strip() and k.strip() == " ".join(k.split()))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(keywords=st.lists(KEYWORD, min_size=1, max_size=4, unique_by=str.lower))
def test_any_keyword_makes_valid_settings(
    tmp_path_factory: pytest.TempPathFactory, keywords: list[str]
) -> None:
    """Keywords with quotes, #, brackets, newlines or any script stay TOML values: the file
    reads back with every keyword as a category."""
    from bib2table.init import plan

    root = tmp_path_factory.mktemp("repo")
    bib = write(root / "refs.bib", f"@misc{{k, keywords = {{{', '.join(keywords)}}}}}\n")
    made = plan(bib, root=root)
    (settings_text,) = [f.text for f in made.files if f.path == "bib2table.toml"]
    assert settings_text is not None
    data = tomllib.loads(settings_text)
    catalogue, _ = build(bib, ["csv"], config=write(root / "bib2table.toml", settings_text))
    assert len(data["categories"]) == len(catalogue.categories)
    assert catalogue.entries[0].marks == (True,) * len(catalogue.categories)


# --- the hooks, run by pre-commit --------------------------------------------------------


def pre_commit(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return sh(root, env, sys.executable, "-m", "pre_commit", *args)


def test_pre_commit_accepts_the_configuration(
    made: tuple[Path, subprocess.CompletedProcess[str]], shim: dict[str, str]
) -> None:
    done = pre_commit(made[0], shim, "validate-config", ".pre-commit-config.yaml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_hooks_pass_then_catch_a_broken_bib_then_pass_the_fix(
    initialised: Path, shim: dict[str, str]
) -> None:
    repo = initialised
    git(repo, shim, "add", "-A")
    first = pre_commit(repo, shim, "run", "--all-files")
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.count("Passed") == 2
    git(repo, shim, "commit", "-q", "-m", "Catalogue")

    bib = repo / "compression.bib"
    good = bib.read_text(encoding="utf-8")
    broken = good.replace("keywords = {pruning}", "keywords = {pruning}\n  doi = {not a doi}", 1)
    broken += "\n@misc{lecun1990optimal, title = {A duplicate}}\n"
    bib.write_text(broken, encoding="utf-8")
    git(repo, shim, "add", "-A")
    caught = pre_commit(repo, shim, "run")
    assert caught.returncode == 1
    assert "check BibTeX catalogues (bib2table --check)" in caught.stdout
    assert "lecun1990optimal: error: duplicate key" in caught.stdout
    assert "doi 'not a doi'" in caught.stdout or "not a doi" in caught.stdout

    fixed = good.replace("Optimal Brain Damage", "Optimal Brain Damage, Revisited")
    bib.write_text(fixed, encoding="utf-8")
    git(repo, shim, "add", "-A")
    refreshed = pre_commit(repo, shim, "run")
    assert refreshed.returncode == 1  # the README hook changed README.md, as pre-commit reports
    assert "files were modified by this hook" in refreshed.stdout
    assert "Optimal Brain Damage, Revisited" in (repo / "README.md").read_text(encoding="utf-8")
    git(repo, shim, "add", "-A")
    final = pre_commit(repo, shim, "run")
    assert final.returncode == 0, final.stdout + final.stderr


def test_installed_hooks_stop_a_broken_commit(repo: Path, shim: dict[str, str]) -> None:
    init(repo, shim, "compression.bib")
    done = pre_commit(repo, shim, "install")
    assert done.returncode == 0, done.stdout + done.stderr
    git(repo, shim, "add", "-A")
    git(repo, shim, "commit", "-q", "-m", "Catalogue")
    write(
        repo / "compression.bib",
        (repo / "compression.bib").read_text() + "\n@misc{oops, title = {x}\n",
    )
    git(repo, shim, "add", "-A")
    refused = sh(repo, shim, "git", "commit", "-m", "Broken")
    assert refused.returncode == 1
    assert "error" in refused.stdout + refused.stderr
    assert git(repo, shim, "log", "--format=%s") == "Catalogue\n"


# --- the command line -------------------------------------------------------------------------


def test_init_has_its_own_help_with_examples() -> None:
    result = run("init", "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: bib2table init [OPTIONS] [INPUT.bib]")
    assert "bib2table init refs.bib --force" in result.stdout
    assert "--install SPEC" in result.stdout


def test_the_build_help_points_to_init() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: bib2table [OPTIONS] INPUT")
    assert "bib2table init refs.bib" in result.stdout
    assert "--json" in result.stdout


def test_a_file_named_init_is_still_built() -> None:
    write(Path.cwd() / "init", "@misc{k, title = {Initial}}\n")
    for args in (["./init", "--md"], ["--md", "init"]):
        result = run(*args)
        assert result.exit_code == 0, result.stderr
        assert "| Initial |" in result.stdout


def test_init_rejects_build_options() -> None:
    result = run("init", "--html")
    assert result.exit_code == 2
    assert (
        "Error: --html is an option of the build, not of init: bib2table INPUT --html (for a "
        "file named init: bib2table ./init --html)"
    ) in result.stderr
    unknown = run("init", "--colour")
    assert unknown.exit_code == 2
    assert "No such option '--colour'" in unknown.stderr


def test_python_dash_m_runs_init(repo: Path, shim: dict[str, str]) -> None:
    result = sh(repo, shim, sys.executable, "-m", "bib2table", "init", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: bib2table init")


# --- a pre-commit configuration that is there already ----------------------------------------

OTHER_REPO = """\
# the list's own checks
repos:
{indent}- repo: https://github.com/pre-commit/pre-commit-hooks
{indent}  rev: v4.6.0
{indent}  hooks:
{indent}    - id: trailing-whitespace
{indent}    - id: check-yaml
      # a comment deeper in
"""


@pytest.mark.parametrize("indent", ["  ", "", "    "], ids=["two", "indentless", "four"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_the_hooks_are_added_to_a_configuration_there(
    repo: Path, shim: dict[str, str], indent: str, newline: str
) -> None:
    original = OTHER_REPO.format(indent=indent).replace("\n", newline)
    (repo / ".pre-commit-config.yaml").write_bytes(original.encode("utf-8"))
    result = init(repo, shim, "compression.bib")
    assert "  .pre-commit-config.yaml: added bib2table's hooks to its repos" in result.stdout
    text = (repo / ".pre-commit-config.yaml").read_bytes().decode("utf-8")
    assert text.startswith(original)
    assert ("\n" in text.replace("\r\n", "")) is (newline == "\n")
    repos = load_yaml(repo / ".pre-commit-config.yaml")["repos"]
    assert [r["repo"] for r in repos] == [
        "https://github.com/pre-commit/pre-commit-hooks",
        "local",
    ]
    assert [h["id"] for h in repos[1]["hooks"]] == ["bib2table-check", "bib2table-readme"]
    done = pre_commit(repo, shim, "validate-config", ".pre-commit-config.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    again = init(repo, shim, "compression.bib")
    assert "  .pre-commit-config.yaml: kept: it has bib2table's hooks" in again.stdout


@pytest.mark.parametrize(
    "config",
    [
        "repos: []\n",
        "repos:\n  - repo: local\n    hooks: []\ndefault_stages: [pre-commit]\n",
        "repos:\n\t- repo: local\n",
        "minimum_pre_commit_version: '3.0'\n",
        "repos:\n  - {repo: local, hooks: []}\n---\nrepos: []\n",
    ],
    ids=["flow", "key_after", "tabs", "no_repos", "two_documents"],
)
def test_a_configuration_init_cannot_extend_is_kept(
    repo: Path, shim: dict[str, str], config: str
) -> None:
    write(repo / ".pre-commit-config.yaml", config)
    result = init(repo, shim, "compression.bib")
    assert result.returncode == 0, result.stderr
    assert (repo / ".pre-commit-config.yaml").read_text(encoding="utf-8") == config
    assert "kept: add bib2table's hooks to its repos by hand (see below)" in result.stdout
    shown = result.stdout.split("at the end of the repos: list of .pre-commit-config.yaml:\n")[1]
    snippet = "".join(
        itertools.takewhile(lambda line: line.startswith(" " * 7), shown.splitlines(True))
    )
    hooks = yaml.safe_load(textwrap.dedent(snippet))
    assert hooks[0]["repo"] == "local"
    assert hooks[0]["hooks"][1]["args"] == ["compression.bib"]
