"""Every file a run reads is read one way: a regular file of bounded size, or a clear message.

A named pipe with no writer would block a run forever and ``/dev/zero`` would fill its memory;
whichever file the run is given that way (the input, a spreadsheet, the settings, the intro
file, a template or a file it includes, the README of ``--update``), the run ends at once with
a message naming it, and writes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from specialfiles import ZERO, bib2table, device, fifo
from toolkit import write

SAMPLE = "@misc{a, title = {A Title}, year = 2001}\n"
README = "# List\n\n<!-- bib2table:begin -->\n<!-- bib2table:end -->\n"


def _pipe(path: Path) -> str:
    fifo(path)
    return "a named pipe (FIFO)"


def _zero(path: Path) -> str:
    device(path, ZERO)
    return "a character device"


def _folder(path: Path) -> str:
    path.mkdir()
    return "a folder"


KINDS: dict[str, Callable[[Path], str]] = {"pipe": _pipe, "zero": _zero, "folder": _folder}

#: Which file is special, and the arguments of the run that reads it.
ROLES = {
    "input": ("refs.bib", ["{d}/refs.bib", "--md"]),
    "spreadsheet": ("sheet.csv", ["{d}/sheet.csv", "--md"]),
    "check-input": ("refs.bib", ["{d}/refs.bib", "--check"]),
    "settings": ("bib2table.toml", ["{d}/ok.bib", "--md"]),
    "pyproject": ("pyproject.toml", ["{d}/ok.bib", "--md"]),
    "config": ("lab.toml", ["{d}/ok.bib", "--md", "--config", "{d}/lab.toml"]),
    "intro-file": ("intro.md", ["{d}/ok.bib", "--md", "--config", "{d}/intro.toml"]),
    "template": ("t.md.jinja2", ["{d}/ok.bib", "--md", "--template", "{d}/t.md.jinja2"]),
    "included": ("part.jinja2", ["{d}/ok.bib", "--md", "--template", "{d}/inc.md.jinja2"]),
    "readme": ("README.md", ["{d}/ok.bib", "--md", "--update", "{d}/README.md"]),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("role", sorted(ROLES))
def test_a_special_file_is_refused_at_once(tmp_path: Path, role: str, kind: str) -> None:
    folder = tmp_path / "list"
    write(folder / "ok.bib", SAMPLE)
    write(folder / "intro.toml", 'intro-file = "intro.md"\n')
    write(folder / "inc.md.jinja2", '{% include "part.jinja2" %}\n')
    (folder / ".git").mkdir()
    name, args = ROLES[role]
    said = KINDS[kind](folder / name)
    if kind == "folder" and role in (
        "input",
        "spreadsheet",
        "check-input",
        "readme",
        "config",
        "template",
    ):
        said = "is a directory"  # the command line says so itself
    out = tmp_path / "out.md"
    extra = [] if "--update" in args or "--check" in args else ["-o", out]
    result = bib2table(*[a.format(d=folder) for a in args], *extra, timeout=30)
    assert result.returncode in (1, 2), result.stderr
    said_by_run = result.stderr + (result.stdout if "--check" in args else "")
    assert said in said_by_run, said_by_run
    assert "unexpected error" not in said_by_run
    assert not out.exists()
    assert "--check" in args or result.stdout == ""


def test_a_settings_file_too_large_is_refused_without_being_read(tmp_path: Path) -> None:
    write(tmp_path / "refs.bib", SAMPLE)
    with (tmp_path / "bib2table.toml").open("wb") as stream:
        stream.truncate(64 << 20)  # sparse: 64 MiB that take no room
    result = bib2table(tmp_path / "refs.bib", "--md", timeout=30)
    assert result.returncode == 1
    assert "is larger than 16 MiB" in result.stderr


def test_an_input_too_large_is_refused_without_being_read(tmp_path: Path) -> None:
    source = tmp_path / "huge.bib"
    with source.open("wb") as stream:
        stream.truncate((1 << 30) + 1)
    result = bib2table(source, "--md", timeout=30)
    assert result.returncode == 1
    assert "is larger than 256 MiB" in result.stderr  # the .bib input's own limit


def test_a_file_that_turns_into_a_pipe_is_still_refused(tmp_path: Path) -> None:
    """The check is made on what is opened, not only on what was looked at before."""
    from bib2table.errors import InputError
    from bib2table.files import read_bytes

    path = fifo(tmp_path / "x.bib")
    with pytest.raises(InputError, match="named pipe"):
        read_bytes(path)
    os.unlink(path)
