"""Outputs never destroy anything: devices and pipes are written through (never replaced), a
symbolic link keeps being a link to the file it names, and no file a run reads is an output."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from specialfiles import FULL, NULL, UNUSED_BLOCK, Reader, bib2table, device, fifo, is_device
from toolkit import run, write

SAMPLE = """@article{smith2001first,
  author = {Smith, Ann},
  title = {First Paper},
  journal = {Journal of Tests},
  year = {2001},
  keywords = {alpha},
}
"""
FORMATS = ["--html", "--markdown", "--csv", "--bib"]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A list's folder: ``refs.bib``, its settings with an intro file, and a template."""
    folder = tmp_path / "list"
    write(folder / "refs.bib", SAMPLE)
    write(folder / "bib2table.toml", 'title = "Tests"\nintro-file = "intro.md"\n')
    write(folder / "intro.md", "Papers on testing.\n")
    write(folder / "page.md.jinja2", '{% include "part.md.jinja2" %}\n')
    write(folder / "part.md.jinja2", "{{ catalogue.title }}\n")
    return folder


def leftovers(folder: Path) -> list[str]:
    """Temporary files left in ``folder`` by a write."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --------------------------------------------------------------------------------------------
# devices and pipes: written through, never replaced


@pytest.mark.parametrize("flag", FORMATS)
def test_output_onto_a_null_device_writes_through(work: Path, flag: str) -> None:
    null = device(work / "null", NULL)
    result = run(work / "refs.bib", flag, "-o", null)
    assert result.exit_code == 0, result.stderr
    assert is_device(null, NULL), "the device is still the device"
    assert leftovers(work) == []


@pytest.mark.parametrize("flag", FORMATS)
def test_output_onto_a_full_device_fails(work: Path, flag: str) -> None:
    full = device(work / "full", FULL)
    result = run(work / "refs.bib", flag, "-o", full)
    assert result.exit_code == 1
    assert f"cannot write {full}: No space left on device" in result.stderr
    assert is_device(full, FULL)
    assert leftovers(work) == []


def test_a_full_device_among_several_outputs_leaves_the_others_as_they_were(work: Path) -> None:
    site = work / "site"
    site.mkdir()
    device(site / "refs.md", FULL)
    (site / "refs.html").write_text("previous page\n", encoding="utf-8")
    result = run(work / "refs.bib", "--html", "--md", "--csv", "--out-dir", site)
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr
    assert (site / "refs.html").read_text(encoding="utf-8") == "previous page\n"
    assert not (site / "refs.csv").exists()
    assert is_device(site / "refs.md", FULL)
    assert leftovers(site) == []


@pytest.mark.parametrize("flag", FORMATS)
def test_output_onto_a_named_pipe_writes_through(work: Path, flag: str) -> None:
    pipe = fifo(work / "pipe")
    reader = Reader(pipe)
    reader.start()
    result = bib2table(work / "refs.bib", flag, "-o", pipe)
    reader.join(timeout=30)
    assert result.returncode == 0, result.stderr
    assert reader.data == run(work / "refs.bib", flag).stdout_bytes
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)


def test_a_named_pipe_nobody_reads_waits_and_ctrl_c_ends_it(work: Path) -> None:
    pipe = fifo(work / "pipe")
    process = subprocess.Popen(
        [sys.executable, "-m", "bib2table", str(work / "refs.bib"), "--html", "-o", str(pipe)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(2)
    assert process.poll() is None, "waits for a reader, as the shell's > does"
    process.send_signal(signal.SIGINT)
    process.wait(timeout=5)
    assert process.returncode != 0
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    assert leftovers(work) == []


@pytest.mark.parametrize("how", ["pipe", "file"])
def test_output_onto_standard_output_through_a_proc_link(
    work: Path, tmp_path: Path, how: str
) -> None:
    """``-o /dev/stdout`` as scripts write it, through a link of the test's own to
    ``/proc/self/fd/1``: whatever standard output is, the output goes there."""
    link = work / "stdout"
    link.symlink_to("/proc/self/fd/1")
    if how == "pipe":
        result = bib2table(work / "refs.bib", "--md", "-o", link)
        written = result.stdout
    else:
        out = tmp_path / "redirected.md"
        with out.open("wb") as stream:
            result = bib2table(work / "refs.bib", "--md", "-o", link, stdout=stream)
        written = out.read_text(encoding="utf-8")
    assert result.returncode == 0, result.stderr
    assert written == run(work / "refs.bib", "--md").stdout
    assert link.is_symlink()


def test_output_onto_a_block_device_is_refused(work: Path) -> None:
    disk = device(work / "disk", UNUSED_BLOCK, block=True)
    result = run(work / "refs.bib", "--html", "-o", disk)
    assert result.exit_code == 1
    assert "it is a block device" in result.stderr
    assert stat.S_ISBLK(os.lstat(disk).st_mode)


def test_a_link_to_a_device_is_written_through_and_stays_a_link(work: Path) -> None:
    null = device(work / "null", NULL)
    link = work / "out.html"
    link.symlink_to(null)
    assert run(work / "refs.bib", "--html", "-o", link).exit_code == 0
    assert link.is_symlink() and is_device(null, NULL)


# --------------------------------------------------------------------------------------------
# symbolic links: the file they name is replaced, the link stays


@pytest.mark.parametrize("relative", [True, False], ids=["relative-link", "absolute-link"])
@pytest.mark.parametrize("chain", [1, 3], ids=["one-link", "chain-of-links"])
def test_a_linked_output_replaces_the_file_it_names(
    work: Path, tmp_path: Path, relative: bool, chain: int
) -> None:
    real = tmp_path / "elsewhere" / "page.html"
    write(real, "old page\n")
    real.chmod(0o640)
    target: Path = real
    for number in range(chain):
        link = work / f"link{number}.html"
        link.symlink_to(os.path.relpath(target, work) if relative else target)
        target = link
    result = run(work / "refs.bib", "--html", "-o", target)
    assert result.exit_code == 0, result.stderr
    assert target.is_symlink()
    assert real.read_text(encoding="utf-8") == run(work / "refs.bib", "--html").stdout
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert leftovers(work) == [] and leftovers(real.parent) == []


def test_a_dangling_link_creates_the_file_it_names(work: Path, tmp_path: Path) -> None:
    real = tmp_path / "elsewhere" / "new.md"
    real.parent.mkdir()
    link = work / "out.md"
    link.symlink_to(real)
    assert run(work / "refs.bib", "--md", "-o", link).exit_code == 0
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8").startswith("# Tests\n")


def test_a_linked_readme_is_updated_where_it_is(work: Path, tmp_path: Path) -> None:
    real = tmp_path / "docs" / "README.md"
    write(real, "# List\n\n<!-- bib2table:begin -->\n<!-- bib2table:end -->\n\nEnd.\n")
    link = work / "README.md"
    link.symlink_to(real)
    result = run(work / "refs.bib", "--md", "--update", link)
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink()
    text = real.read_text(encoding="utf-8")
    assert "First Paper" in text and text.endswith("<!-- bib2table:end -->\n\nEnd.\n")


def test_a_link_loop_is_a_message(work: Path) -> None:
    (work / "a.html").symlink_to(work / "b.html")
    (work / "b.html").symlink_to(work / "a.html")
    result = run(work / "refs.bib", "--html", "-o", work / "a.html")
    assert result.exit_code == 1
    assert "cannot write" in result.stderr
    assert (work / "a.html").is_symlink()


# --------------------------------------------------------------------------------------------
# nothing the run reads is an output


def _aliases(path: Path, how: str) -> Path:
    """``path`` as ``how`` names it: itself, another spelling, a symbolic or a hard link."""
    if how == "same":
        return path
    if how == "spelling":
        return path.parent / ".." / path.parent.name / "." / path.name
    alias = path.parent / f"alias-{how}-{path.name}"
    if how == "symlink":
        alias.symlink_to(path)
    else:
        alias.hardlink_to(path)
    return alias


READ_FILES = {
    "input": ("refs.bib", []),
    "settings": ("bib2table.toml", []),
    "explicit-settings": ("lab.toml", ["--config", "{work}/lab.toml"]),
    "intro": ("intro.md", []),
    "template": ("page.md.jinja2", ["--template", "{work}/page.md.jinja2"]),
    "included": ("part.md.jinja2", ["--template", "{work}/page.md.jinja2"]),
}


def _refused(result: object, work: Path, before: dict[str, bytes]) -> None:
    assert result.exit_code == 1, result.stderr  # type: ignore[attr-defined]
    assert "refusing to overwrite" in result.stderr  # type: ignore[attr-defined]
    assert result.stdout == ""  # type: ignore[attr-defined]
    after = {p.name: p.read_bytes() for p in work.iterdir() if p.is_file()}
    assert {k: v for k, v in after.items() if k in before} == before
    assert leftovers(work) == []


@pytest.fixture
def lab(work: Path) -> Path:
    write(work / "lab.toml", 'title = "Lab"\nintro-file = "intro.md"\n')
    return work


@pytest.mark.parametrize("how", ["same", "spelling", "symlink", "hardlink"])
@pytest.mark.parametrize("role", sorted(READ_FILES))
@pytest.mark.parametrize("option", ["-o", "--update"])
def test_no_file_the_run_reads_is_an_output(lab: Path, role: str, how: str, option: str) -> None:
    name, options = READ_FILES[role]
    before = {p.name: p.read_bytes() for p in lab.iterdir() if p.is_file()}
    target = _aliases(lab / name, how)
    args = [a.format(work=lab) for a in options]
    _refused(run(lab / "refs.bib", "--md", option, target, *args), lab, before)


@pytest.mark.parametrize("how", ["folder", "linked-folder"])
def test_out_dir_holding_the_input_is_refused(work: Path, tmp_path: Path, how: str) -> None:
    folder = work
    if how == "linked-folder":
        folder = tmp_path / "site"
        folder.symlink_to(work)
    before = {p.name: p.read_bytes() for p in work.iterdir() if p.is_file()}
    _refused(run(work / "refs.bib", "--html", "--bib", "--out-dir", folder), work, before)
    assert not (work / "refs.html").exists()


@pytest.mark.parametrize("name", ["bib2table.toml", "pyproject.toml"])
def test_where_settings_would_be_found_is_no_output(tmp_path: Path, name: str) -> None:
    """With no settings file yet, writing one where the next run would look for it would
    make the next run read a catalogue as its settings."""
    bib = write(tmp_path / "refs.bib", SAMPLE)
    result = run(bib, "--md", "-o", tmp_path / name)
    assert result.exit_code == 1
    assert f"refusing to overwrite a possible settings file {tmp_path / name}" in result.stderr
    assert not (tmp_path / name).exists()


def test_watching_with_the_intro_as_output_is_refused_at_once(work: Path) -> None:
    result = bib2table(work / "refs.bib", "--md", "-o", work / "intro.md", "--watch", timeout=30)
    assert result.returncode == 1
    assert "refusing to overwrite the intro file" in result.stderr
    assert (work / "intro.md").read_text(encoding="utf-8") == "Papers on testing.\n"


def test_an_unrelated_hard_link_is_replaced_as_a_file(work: Path, tmp_path: Path) -> None:
    """A hard link to a file the run does not read is an ordinary output: the name gets the
    new content (the other name keeps the old, as with any atomic replacement)."""
    other = write(tmp_path / "other.md", "old\n")
    target = work / "out.md"
    target.hardlink_to(other)
    assert run(work / "refs.bib", "--md", "-o", target).exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("# Tests\n")
    assert other.read_text(encoding="utf-8") == "old\n"


# --------------------------------------------------------------------------------------------
# interrupted while writing: every output whole, old or new, and no temporary file


@pytest.mark.parametrize("at", ["staging", "renaming"])
@pytest.mark.parametrize("call", [1, 2, 3])
def test_ctrl_c_while_writing_leaves_whole_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at: str, call: int
) -> None:
    from bib2table.outputs import write as writing

    targets = {tmp_path / f"out{n}.txt": f"new {n}\n" * 1000 for n in range(3)}
    for n, path in enumerate(targets):
        path.write_text(f"old {n}\n", encoding="utf-8")
    calls = 0
    original = writing.os.replace if at == "renaming" else writing._stage

    def interrupted(*args: object) -> object:
        nonlocal calls
        calls += 1
        if calls == call:
            raise KeyboardInterrupt
        return original(*args)  # type: ignore[operator]

    monkeypatch.setattr(
        writing.os if at == "renaming" else writing,
        "replace" if at == "renaming" else "_stage",
        interrupted,
    )
    with pytest.raises(KeyboardInterrupt):
        writing.write_outputs(targets)
    monkeypatch.undo()
    for n, path in enumerate(targets):
        assert path.read_text(encoding="utf-8") in (f"old {n}\n", f"new {n}\n" * 1000)
    assert leftovers(tmp_path) == []
