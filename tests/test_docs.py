"""The README tells the truth: its set-up commands work; every option and setting is in it."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bib2table.catalogue.settings import _COLUMN_KEYS, _KEYS
from bib2table.cli import init_command, main
from paths import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def setup_commands() -> list[str]:
    section = README.split("## Set-up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.+?)\n\s*```", section, flags=re.DOTALL)
    return [block.strip() for block in blocks]


def test_set_up_has_exactly_two_commands() -> None:
    assert len(setup_commands()) == 2


def test_ci_runs_the_readme_test_command() -> None:
    test_command = setup_commands()[1].strip()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(rf"^{re.escape(test_command)}$", ci, flags=re.MULTILINE)


def test_readme_build_command_writes_the_catalogue_page(tmp_path: Path) -> None:
    build_command = setup_commands()[0]
    assert "pip install ." in build_command
    args = shlex.split(build_command.split("&&", 1)[1])
    assert args[0] == "bib2table"
    for name in ("compression.bib", "bib2table.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        result = CliRunner().invoke(main, args[1:], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    page = (tmp_path / "model-compression.html").read_text(encoding="utf-8")
    assert "<title>Model Compression</title>" in page
    assert page.count('<tr id="') == 57


@pytest.mark.parametrize("command", [main, init_command], ids=["build", "init"])
def test_every_option_is_documented(command: click.Command) -> None:
    for param in command.params:
        for flag in (*param.opts, *param.secondary_opts):
            if flag.startswith("-"):
                assert f"`{flag}" in README or f"{flag}`" in README, flag


def test_every_setting_is_documented() -> None:
    for key in sorted(_KEYS):
        assert f"`{key}`" in README or f"`[{key}]`" in README or f"[[{key}]]" in README, key
    for key in sorted(_COLUMN_KEYS):
        assert f"`{key}" in README, key
