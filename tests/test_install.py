"""The built wheel works on its own: templates inside the package, nothing read from the checkout.

The editable install finds the templates in the checkout's ``templates/``; a regular install must
find them in ``bib2table/templates`` inside the installed package. The wheel is built once per
module, installed with ``pip --target`` into a temporary folder, and run from a folder outside the
repository with that folder first on ``PYTHONPATH`` (dependencies come from this environment).
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from paths import REPO

#: The style and script parts of the page, each inlined into it as it is.
PAGE_PARTS = [
    "bib2table/templates/html/catalogue.css",
    "bib2table/templates/html/cards.css",
    *(
        f"bib2table/templates/html/{name}.js"
        for name in ("search", "papers", "view", "list", "chart", "cite", "page")
    ),
]
TEMPLATE_FILES = [
    "bib2table/templates/catalogue.html.jinja2",
    "bib2table/templates/catalogue.md.jinja2",
    "bib2table/templates/catalogue.csv.jinja2",
    "bib2table/templates/catalogue.json.jinja2",
    *PAGE_PARTS,
    "bib2table/templates/html/livereload.js",
    "bib2table/templates/html/livereload.css",
    "bib2table/templates/markdown/sections.md.jinja2",
    "bib2table/templates/init/bib2table.toml.jinja2",
    "bib2table/templates/init/catalogue.yml.jinja2",
    "bib2table/templates/init/next-steps.txt.jinja2",
    "bib2table/templates/init/pre-commit-config.yaml.jinja2",
    "bib2table/templates/init/pre-commit-repo.yaml.jinja2",
]

SMALL_BIB = r"""@article{knuth1984literate,
  author = {Knuth, Donald E.},
  title = {Literate Programming},
  journal = {The Computer Journal},
  year = 1984,
  doi = {10.1093/comjnl/27.2.97},
  keywords = {programming}
}

@book{goedel1931,
  author = {G{\"o}del, Kurt},
  title = {{\"U}ber formal unentscheidbare S{\"a}tze},
  publisher = {Monatshefte},
  year = 1931,
  keywords = {logic}
}
"""


def _pip_env(home: Path) -> dict[str, str]:
    """pip without caches, index, config or the developer's HOME."""
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_CACHE_DIR": "1",
        "PIP_NO_INDEX": "1",
        "PIP_NO_INPUT": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_ROOT_USER_ACTION": "ignore",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _pip(args: list[str], env: dict[str, str], cwd: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"pip {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from the checkout (the checkout itself is only read)."""
    work = tmp_path_factory.mktemp("wheel")
    env = _pip_env(tmp_path_factory.mktemp("pip-home"))
    _pip(["wheel", "--no-deps", "--no-build-isolation", "-w", str(work), str(REPO)], env, work)
    [built] = work.glob("bib2table-*.whl")
    return built


@pytest.fixture(scope="module")
def site(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed into a folder of its own."""
    target = tmp_path_factory.mktemp("install") / "site"
    env = _pip_env(tmp_path_factory.mktemp("pip-home"))
    _pip(["install", "--no-deps", "--target", str(target), str(wheel)], env, target.parent)
    return target


def _python(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run this interpreter with only the installed copy of bib2table importable."""
    env = {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "BIB2TABLE_CACHE_DIR": str(cwd / "cache"),
    }
    env["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [env.get("PYTHONPATH")])])
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def _outside_repo(path: Path) -> bool:
    return not path.resolve().is_relative_to(REPO)


def test_wheel_contains_the_templates(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in TEMPLATE_FILES if name not in names]
    assert not missing, f"not in {wheel.name}: {missing}"
    assert "bib2table/cli.py" in names
    assert not any(name.startswith("templates/") for name in names), "templates at the top level"


def test_wheel_declares_the_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        [entry_points] = [n for n in archive.namelist() if n.endswith("entry_points.txt")]
        text = archive.read(entry_points).decode("utf-8")
    assert "bib2table = bib2table.__main__:main" in text


def test_installed_package_uses_its_own_templates(site: Path, tmp_path: Path) -> None:
    assert _outside_repo(site)
    result = _python(
        site,
        tmp_path,
        "-c",
        "import bib2table, bib2table.outputs.render as r; print(bib2table.__file__); "
        "print(r.builtin_templates())",
    )
    assert result.returncode == 0, result.stderr
    module_file, templates = (Path(line) for line in result.stdout.splitlines())
    assert module_file == site / "bib2table" / "__init__.py", "the checkout was imported"
    assert templates == site / "bib2table" / "templates"
    assert _outside_repo(templates)
    for name in TEMPLATE_FILES:
        assert (site / name).is_file(), name


def _convert_checks(site: Path, tmp_path: Path, command: list[str]) -> None:
    source = tmp_path / "papers.bib"
    source.write_text(SMALL_BIB, encoding="utf-8")
    target = tmp_path / "out" / "papers.html"
    target.parent.mkdir()
    result = _python(site, tmp_path, *command, "papers.bib", "--html", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == f"bib2table: wrote {target} (2 entries)\n"
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>papers</title>" in page
    assert 'id="knuth1984literate"' in page
    assert "Kurt Gödel" in page
    assert "Über formal unentscheidbare Sätze" in page
    assert 'href="https://doi.org/10.1093/comjnl/27.2.97"' in page
    # the inline style and script come from the installed html/*.css and *.js
    for part in PAGE_PARTS:
        assert (site / part).read_text("utf-8").strip() in page, part


def test_installed_cli_main_converts_a_bib(site: Path, tmp_path: Path) -> None:
    _convert_checks(
        site,
        tmp_path,
        ["-c", "import sys; from bib2table.cli import main; sys.exit(main(prog_name='bib2table'))"],
    )


def test_installed_package_runs_with_python_m(site: Path, tmp_path: Path) -> None:
    _convert_checks(site, tmp_path, ["-m", "bib2table"])


def test_installed_console_script_converts_a_bib(site: Path, tmp_path: Path) -> None:
    script = site / "bin" / "bib2table"
    assert script.is_file()
    _convert_checks(site, tmp_path, [str(script)])


@pytest.mark.parametrize("fmt", [pytest.param("--markdown", id="markdown"), "--csv", "--json"])
def test_installed_package_writes_the_other_formats(site: Path, tmp_path: Path, fmt: str) -> None:
    (tmp_path / "papers.bib").write_text(SMALL_BIB, encoding="utf-8")
    result = _python(
        site, tmp_path, "-c", "from bib2table.cli import main; main()", "papers.bib", fmt
    )
    assert result.returncode == 0, result.stderr
    assert "Literate Programming" in result.stdout
    assert ("Gödel" if fmt == "--json" else "Kurt Gödel") in result.stdout


def test_installed_package_runs_init(site: Path, tmp_path: Path) -> None:
    (tmp_path / "papers.bib").write_text(SMALL_BIB, encoding="utf-8")
    command = [
        "-m",
        "bib2table",
        "init",
        "papers.bib",
        "--install",
        "bib2table @ https://e.org/b.zip",
    ]
    result = _python(site, tmp_path, *command)
    assert result.returncode == 0, result.stderr
    assert "(2 entries, 2 categories proposed)" in result.stdout
    for name in ("bib2table.toml", "README.md", ".pre-commit-config.yaml"):
        assert (tmp_path / name).is_file(), name
    assert (tmp_path / ".github" / "workflows" / "catalogue.yml").is_file()
