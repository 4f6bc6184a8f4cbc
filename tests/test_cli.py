"""The ``bib2table`` command as a user meets it: options, outputs, messages and exit statuses.

Every test runs the real command through click's ``CliRunner`` (stderr kept apart from stdout)
on files under ``tmp_path``; nothing is mocked and nothing is written outside ``tmp_path``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner, Result

from bib2table import __version__
from bib2table.cli import main
from paths import COMPRESSION_BIB, REPO

# A small, clean bibliography: three entries, keywords for three categories, one LaTeX accent.
SAMPLE = r"""@article{smith2001first,
  author = {Smith, John and M{\"u}ller, Anna},
  title = {First Paper},
  journal = {Journal of Tests},
  year = 2001,
  url = {https://example.org/first},
  keywords = {Zeta, alpha}
}

@inproceedings{doe2002second,
  author = {Doe, Jane},
  title = {Second Paper},
  booktitle = {Proceedings of Testing},
  year = 2002,
  keywords = {beta}
}

@book{roe2003third,
  author = {Roe, Richard},
  title = {Third Book},
  publisher = {Test Press},
  year = 2003,
  keywords = {alpha; beta}
}
"""
SAMPLE_KEYS = ["smith2001first", "doe2002second", "roe2003third"]
SAMPLE_TITLES = ["First Paper", "Second Paper", "Third Book"]

FORMAT_FLAGS = {"html": "--html", "markdown": "--markdown", "csv": "--csv"}
EXTENSIONS = {"html": ".html", "markdown": ".md", "csv": ".csv"}
ALL_FORMATS = [pytest.param(name, id=name) for name in FORMAT_FLAGS]

# FILE:LINE: [KEY:] [warning:] REASON -- the form editors and CI annotate from.
PROBLEM = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+): (?:(?!warning: )(?P<key>[^\s:]+): )?(?P<warning>warning: )?"
    r"(?P<reason>.+)$"
)


# --------------------------------------------------------------------------------------------
# helpers


def run(*args: str | Path) -> Result:
    """Run ``bib2table`` with ``args``; an uncaught exception (a traceback) fails the test."""
    return CliRunner().invoke(
        main, [str(a) for a in args], prog_name="bib2table", catch_exceptions=False
    )


def write_bib(path: Path, text: str = SAMPLE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The run cache goes to a folder of the test's own, never to the user's ~/.cache.

    BIB2TABLE_DEBUG makes an internal error raise instead of becoming an "unexpected error"
    message with exit 1, so that a bug cannot pass for an expected exit status.
    """
    monkeypatch.setenv("BIB2TABLE_DEBUG", "1")
    folder = tmp_path_factory.mktemp("cache") / "bib2table"
    monkeypatch.setenv("BIB2TABLE_CACHE_DIR", str(folder))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    return folder


@pytest.fixture
def bib(tmp_path: Path) -> Path:
    """``refs.bib`` with :data:`SAMPLE`, alone in its folder (no settings file anywhere)."""
    return write_bib(tmp_path / "work" / "refs.bib")


def html_table(text: str) -> tuple[list[str], list[list[str]]]:
    """Column headings and cell texts of the catalogue table of a page, as a reader sees them:
    a title without the small links after it, a marked category as "x"."""
    doc = lxml.html.document_fromstring(text)
    headers = [th.text_content().strip() for th in doc.xpath('//table[@id="catalogue-static"]//th')]
    rows = []
    for tr in doc.xpath('//table[@id="catalogue-static"]/tbody/tr'):
        cells = []
        for td in tr.xpath("./td"):
            for extra in td.xpath("./span[@class='links']"):
                extra.drop_tree()
            cells.append("x" if td.xpath("./span[@class='label']") else td.text_content().strip())
        rows.append(cells)
    return headers, rows


def html_row_ids(text: str) -> list[str]:
    doc = lxml.html.document_fromstring(text)
    return [str(tr.get("id")) for tr in doc.xpath('//table[@id="catalogue-static"]/tbody/tr')]


def md_table(text: str) -> tuple[list[str], list[list[str]]]:
    """Headings and cells of the (only) Markdown table in ``text``."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    cells = [[c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]] for line in lines]
    return cells[0], cells[2:]


def csv_table(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


def table(fmt: str, text: str) -> tuple[list[str], list[list[str]]]:
    return {"html": html_table, "markdown": md_table, "csv": csv_table}[fmt](text)


def titles(fmt: str, text: str) -> list[str]:
    """The Title column of any format, links stripped."""
    headers, rows = table(fmt, text)
    column = headers.index("Title")
    return [re.sub(r"^\[(.*)\]\(.*\)$", r"\1", row[column]) for row in rows]


def problem_lines(stderr: str) -> list[re.Match[str]]:
    """The lines of ``stderr`` that report a problem; every other line is ``bib2table: wrote``."""
    found = []
    for line in stderr.splitlines():
        if line.startswith("bib2table: wrote "):
            continue
        match = PROBLEM.match(line)
        assert match, f"stderr line not in FILE:LINE: form: {line!r}\n{stderr}"
        found.append(match)
    return found


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# --------------------------------------------------------------------------------------------
# formats and where they go


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_format_to_stdout(bib: Path, fmt: str) -> None:
    result = run(bib, FORMAT_FLAGS[fmt])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert titles(fmt, result.stdout) == SAMPLE_TITLES
    headers, rows = table(fmt, result.stdout)
    # no settings: default columns, then one category column per keyword found, sorted
    assert headers[:3] == ["Year", "Author", "Title"]
    assert [h for h in headers if h in ("alpha", "beta", "Zeta")] == ["alpha", "beta", "Zeta"]
    assert "Anna Müller" in rows[0][headers.index("Author")]
    assert not list(Path.cwd().iterdir()), "nothing is written to the current folder"


def test_html_to_stdout_is_a_page(bib: Path) -> None:
    result = run(bib, "--html")
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert "<title>refs</title>" in result.stdout
    assert html_row_ids(result.stdout) == SAMPLE_KEYS
    headers, rows = html_table(result.stdout)
    marks = {h: [row[headers.index(h)] for row in rows] for h in ("alpha", "beta", "Zeta")}
    assert marks == {"alpha": ["x", "", "x"], "beta": ["", "x", "x"], "Zeta": ["x", "", ""]}


def test_markdown_to_stdout_is_a_table(bib: Path) -> None:
    result = run(bib, "--markdown")
    assert result.stdout.startswith("# refs\n")
    assert "| [First Paper](https://example.org/first) |" in result.stdout
    headers, rows = md_table(result.stdout)
    assert len(rows) == 3
    assert all(len(row) == len(headers) for row in rows)


def test_csv_to_stdout_has_key_and_url_columns(bib: Path) -> None:
    result = run(bib, "--csv")
    headers, rows = csv_table(result.stdout)
    assert headers[:5] == ["Year", "Author", "Title", "URL", "Venue"]
    assert headers[-2:] == ["Key", "DOI"]
    assert [row[headers.index("Key")] for row in rows] == SAMPLE_KEYS
    assert rows[0][headers.index("URL")] == "https://example.org/first"
    assert [row[0] for row in rows] == ["2001", "2002", "2003"]


def test_md_is_an_alias_of_markdown(bib: Path) -> None:
    long, short = run(bib, "--markdown"), run(bib, "--md")
    assert long.exit_code == short.exit_code == 0
    assert short.stdout_bytes == long.stdout_bytes
    assert short.stderr == long.stderr == ""


def test_md_and_markdown_together_are_one_format(bib: Path) -> None:
    result = run(bib, "--md", "--markdown")
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == run(bib, "--md").stdout_bytes


@pytest.mark.parametrize("fmt", ALL_FORMATS)
@pytest.mark.parametrize("flag", [pytest.param("-o", id="-o"), pytest.param("--output", id="long")])
def test_output_file(bib: Path, tmp_path: Path, fmt: str, flag: str) -> None:
    target = tmp_path / "out" / f"catalogue{EXTENSIONS[fmt]}"
    target.parent.mkdir()
    result = run(bib, FORMAT_FLAGS[fmt], flag, target)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == f"bib2table: wrote {target} (3 entries)\n"
    assert target.read_bytes() == run(bib, FORMAT_FLAGS[fmt]).stdout_bytes
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]


def test_output_file_replaces_an_existing_file(bib: Path, tmp_path: Path) -> None:
    target = tmp_path / "catalogue.csv"
    target.write_text("old content\n", encoding="utf-8")
    result = run(bib, "--csv", "-o", target)
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes() == run(bib, "--csv").stdout_bytes


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_output_dash_is_stdout(bib: Path, fmt: str) -> None:
    result = run(bib, FORMAT_FLAGS[fmt], "-o", "-")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout_bytes == run(bib, FORMAT_FLAGS[fmt]).stdout_bytes
    assert not Path("-").exists()


def test_out_dir_with_all_formats(bib: Path, tmp_path: Path) -> None:
    out = tmp_path / "site" / "deeper"  # neither exists yet
    result = run(bib, "--html", "--md", "--csv", "--out-dir", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in out.iterdir()) == ["refs.csv", "refs.html", "refs.md"]
    for fmt in FORMAT_FLAGS:
        written = out / f"refs{EXTENSIONS[fmt]}"
        assert written.read_bytes() == run(bib, FORMAT_FLAGS[fmt]).stdout_bytes, fmt
        assert f"bib2table: wrote {written} (3 entries)" in result.stderr.splitlines()


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_out_dir_with_one_format(bib: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "existing"
    out.mkdir()
    result = run(bib, FORMAT_FLAGS[fmt], "--out-dir", out)
    assert result.exit_code == 0, result.stderr
    assert [p.name for p in out.iterdir()] == [f"refs{EXTENSIONS[fmt]}"]


# --------------------------------------------------------------------------------------------
# --template

REPLACEMENT = """{{ catalogue.title }} has {{ catalogue.entries|length }} entries:
{% for entry in catalogue.entries %}
- {{ entry.key }} ({{ entry.year }})
{% endfor %}
"""


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_template_replaces_the_formats_template(bib: Path, tmp_path: Path, fmt: str) -> None:
    template = tmp_path / "templates" / "mine.jinja2"
    template.parent.mkdir()
    template.write_text(REPLACEMENT, encoding="utf-8")
    result = run(bib, FORMAT_FLAGS[fmt], "--template", template)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "refs has 3 entries:\n"
        "- smith2001first (2001)\n"
        "- doe2002second (2002)\n"
        "- roe2003third (2003)\n"
    )


def test_template_extends_the_builtin_page_and_overrides_a_block(bib: Path, tmp_path: Path) -> None:
    template = tmp_path / "footer.html.jinja2"
    template.write_text(
        '{% extends "default/catalogue.html.jinja2" %}\n'
        "{% block footer %}<footer><p>Curated by the test lab</p></footer>{% endblock %}\n",
        encoding="utf-8",
    )
    result = run(bib, "--html", "--template", template)
    assert result.exit_code == 0, result.stderr
    assert "Curated by the test lab" in result.stdout
    assert "Made with bib2table" not in result.stdout
    # the rest of the built-in page is still there
    assert html_row_ids(result.stdout) == SAMPLE_KEYS
    assert "<style>" in result.stdout
    assert "<script>" in result.stdout


def test_template_with_two_files_in_its_folder(bib: Path, tmp_path: Path) -> None:
    """A --template file can include its neighbours."""
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "row.jinja2").write_text("* {{ entry.key }}\n", encoding="utf-8")
    (folder / "list.md.jinja2").write_text(
        '{% for entry in catalogue.entries %}{% include "row.jinja2" %}{% endfor %}',
        encoding="utf-8",
    )
    result = run(bib, "--md", "--template", folder / "list.md.jinja2")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "".join(f"* {key}\n" for key in SAMPLE_KEYS)


BROKEN_TEMPLATES = [
    pytest.param(
        "undefined.html.jinja2",
        "<p>one</p>\n<p>two</p>\n<p>{{ no_such_variable }}</p>\n",
        3,
        "no_such_variable",
        id="undefined-variable",
    ),
    pytest.param(
        "attribute.html.jinja2",
        "<p>one</p>\n{{ catalogue.no_such_attribute }}\n",
        2,
        "no_such_attribute",
        id="undefined-attribute",
    ),
    pytest.param(
        "block.html.jinja2",
        '{% extends "default/catalogue.html.jinja2" %}\n'
        "{% block footer %}\n<footer>\n{{ footer_text }}\n</footer>\n{% endblock %}\n",
        4,
        "footer_text",
        id="undefined-in-overridden-block",
    ),
    pytest.param(
        "syntax.html.jinja2",
        "<p>one</p>\n<p>two</p>\n{% for entry in %}\n{% endfor %}\n",
        3,
        "",
        id="syntax-error",
    ),
    pytest.param(
        "unclosed.html.jinja2",
        "<p>one</p>\n{% if catalogue.title %}\n<p>open</p>\n",
        3,
        "",
        id="unclosed-block",
    ),
]


@pytest.mark.parametrize(("name", "text", "line", "detail"), BROKEN_TEMPLATES)
def test_broken_template_fails_and_writes_nothing(
    bib: Path, tmp_path: Path, name: str, text: str, line: int, detail: str
) -> None:
    template = tmp_path / "tpl" / name
    template.parent.mkdir()
    template.write_text(text, encoding="utf-8")
    target = tmp_path / "out" / "catalogue.html"
    target.parent.mkdir()
    target.write_bytes(b"<p>the previous catalogue</p>\n")
    before = snapshot(target.parent)

    result = run(bib, "--html", "--template", template, "-o", target)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert re.search(rf"{re.escape(name)}:{line}\b", result.stderr), result.stderr
    assert detail in result.stderr
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.stderr
    assert snapshot(target.parent) == before, "the existing output is untouched"


def test_broken_template_with_out_dir_creates_nothing(bib: Path, tmp_path: Path) -> None:
    template = tmp_path / "bad.md.jinja2"
    template.write_text("{{ nope }}\n", encoding="utf-8")
    out = tmp_path / "site"
    result = run(bib, "--md", "--template", template, "--out-dir", out)
    assert result.exit_code == 1
    assert "bad.md.jinja2:1" in result.stderr
    assert not out.exists()


# --------------------------------------------------------------------------------------------
# settings: --config, discovery, defaults

SETTINGS = """
title = "Lab Reading List"
intro = "Papers we *read*."
sort = ["-year"]

[categories]
alpha = "Alpha & Beta"
beta = "Alpha & Beta"
zeta = "Last"

[[columns]]
label = "When"
field = "year"

[[columns]]
label = "Title"
fields = ["title"]
link = true
"""


def test_config_option(bib: Path, tmp_path: Path) -> None:
    config = tmp_path / "elsewhere" / "lab.toml"
    config.parent.mkdir()
    config.write_text(SETTINGS, encoding="utf-8")
    result = run(bib, "--csv", "--config", config)
    assert result.exit_code == 0, result.stderr
    headers, rows = csv_table(result.stdout)
    assert headers == ["When", "Title", "URL", "Alpha & Beta", "Last", "Key", "DOI"]
    assert [row[-2] for row in rows] == ["roe2003third", "doe2002second", "smith2001first"]
    assert [row[3:5] for row in rows] == [["x", ""], ["x", ""], ["x", "x"]]

    page = run(bib, "--html", "--config", config).stdout
    assert "<title>Lab Reading List</title>" in page
    assert "<em>read</em>" in page


def test_config_option_with_a_pyproject(bib: Path, tmp_path: Path) -> None:
    config = tmp_path / "proj" / "pyproject.toml"
    config.parent.mkdir()
    config.write_text('[project]\nname = "x"\n\n[tool.bib2table]\ntitle = "Py"\n', "utf-8")
    result = run(bib, "--md", "--config", config)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# Py\n")


def test_config_option_wins_over_a_discovered_file(bib: Path, tmp_path: Path) -> None:
    (bib.parent / "bib2table.toml").write_text('title = "Discovered"\n', encoding="utf-8")
    config = tmp_path / "explicit.toml"
    config.write_text('title = "Explicit"\n', encoding="utf-8")
    assert run(bib, "--md", "--config", config).stdout.startswith("# Explicit\n")


@pytest.mark.parametrize(
    ("files", "bib_folder", "title"),
    [
        pytest.param(
            {"bib2table.toml": 'title = "Here"\n'}, ".", "Here", id="bib2table.toml-beside"
        ),
        pytest.param(
            {"bib2table.toml": 'title = "Above"\n'}, "a/b", "Above", id="bib2table.toml-above"
        ),
        pytest.param(
            {"a/bib2table.toml": 'title = "Near"\n', "bib2table.toml": 'title = "Far"\n'},
            "a/b",
            "Near",
            id="nearest-folder-wins",
        ),
        pytest.param(
            {"pyproject.toml": '[project]\nname = "p"\n[tool.bib2table]\ntitle = "Py"\n'},
            "a",
            "Py",
            id="pyproject-tool-table",
        ),
        pytest.param(
            {
                "a/pyproject.toml": '[project]\nname = "p"\n',
                "bib2table.toml": 'title = "Past pyproject"\n',
            },
            "a",
            "Past pyproject",
            id="pyproject-without-table-is-skipped",
        ),
        pytest.param(
            {
                "bib2table.toml": 'title = "Own file"\n',
                "pyproject.toml": '[tool.bib2table]\ntitle = "Pyproject"\n',
            },
            ".",
            "Own file",
            id="bib2table.toml-before-pyproject",
        ),
        pytest.param({"pyproject.toml": '[project]\nname = "p"\n'}, ".", "refs", id="none"),
    ],
)
def test_config_discovery(
    tmp_path: Path, files: dict[str, str], bib_folder: str, title: str
) -> None:
    root = tmp_path / "root"
    (root / ".git").mkdir(parents=True)  # the search stops at the repository's root
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    source = write_bib(root / bib_folder / "refs.bib")
    result = run(source, "--md")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"# {title}\n")


def test_config_discovery_from_a_relative_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bib2table.toml").write_text('title = "Found"\n', encoding="utf-8")
    (tmp_path / ".git").write_text("gitdir: elsewhere\n", encoding="utf-8")  # a worktree's
    write_bib(tmp_path / "sub" / "refs.bib")
    monkeypatch.chdir(tmp_path / "sub")
    result = run("refs.bib", "--md")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# Found\n")


def test_defaults_without_any_settings(bib: Path) -> None:
    for folder in [bib.parent, *bib.parent.parents]:
        assert not (folder / "bib2table.toml").exists(), folder
    result = run(bib, "--csv")
    assert result.exit_code == 0, result.stderr
    headers, rows = csv_table(result.stdout)
    assert headers == [
        *["Year", "Author", "Title", "URL", "Venue"],
        *["alpha", "beta", "Zeta"],
        *["Key", "DOI"],
    ]
    venues = [row[headers.index("Venue")] for row in rows]
    assert venues == ["Journal of Tests", "Proceedings of Testing", "Test Press"]
    assert run(bib, "--md").stdout.startswith("# refs\n")


def test_defaults_for_a_bib_without_keywords_or_entries(tmp_path: Path) -> None:
    empty = write_bib(tmp_path / "nothing-yet.bib", "% no entries yet\n")
    result = run(empty, "--csv")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"{empty}: warning: ")  # "no entries found"
    assert csv_table(result.stdout) == (
        ["Year", "Author", "Title", "URL", "Venue", "Key", "DOI"],
        [],
    )
    page = run(empty, "--html")
    assert page.exit_code == 0
    assert "<title>nothing-yet</title>" in page.stdout


BAD_SETTINGS = [
    pytest.param("bib2table.toml", 'title = "unterminated\n', "not valid TOML", id="invalid-toml"),
    pytest.param("bib2table.toml", 'titel = "Typo"\n', "unknown setting 'titel'", id="unknown-key"),
    pytest.param(
        "pyproject.toml",
        '[tool.bib2table]\ntitle = "x"\nsortt = []\n',
        "unknown setting 'sortt'",
        id="unknown-key-in-pyproject",
    ),
    pytest.param(
        "bib2table.toml", "[[columns]]\nlabel = 3\n", "column 1 needs a label", id="bad-column"
    ),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD_SETTINGS)
@pytest.mark.parametrize("how", [pytest.param("explicit", id="config"), "discovered"])
def test_bad_settings_file(
    bib: Path, tmp_path: Path, name: str, text: str, message: str, how: str
) -> None:
    folder = bib.parent if how == "discovered" else tmp_path / "settings"
    folder.mkdir(exist_ok=True)
    config = folder / name
    config.write_text(text, encoding="utf-8")
    target = tmp_path / "out.html"
    args = [bib, "--html", "-o", target]
    result = run(*args, "--config", config) if how == "explicit" else run(*args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert message in result.stderr
    assert name in result.stderr
    assert str(config) in result.stderr
    assert not target.exists()


def test_explicit_pyproject_without_table(bib: Path, tmp_path: Path) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text('[project]\nname = "p"\n', encoding="utf-8")
    result = run(bib, "--md", "--config", config)
    assert result.exit_code == 1
    assert f"{config} has no [tool.bib2table] table" in result.stderr


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("tool = 5  # bib2table\n", id="tool-not-a-table"),
        pytest.param("[tool]\nbib2table = 5\n", id="tool.bib2table-not-a-table"),
    ],
)
@pytest.mark.parametrize("how", [pytest.param("explicit", id="config"), "discovered"])
def test_pyproject_tool_value_of_the_wrong_type(
    bib: Path, tmp_path: Path, text: str, how: str
) -> None:
    config = (bib.parent if how == "discovered" else tmp_path) / "pyproject.toml"
    config.write_text(text, encoding="utf-8")
    result = run(bib, "--md", "--config", config) if how == "explicit" else run(bib, "--md")
    assert result.exit_code == 1
    assert str(config) in result.stderr


# --------------------------------------------------------------------------------------------
# --encoding

CP1252_BIB = (
    b"@article{mueller2000,\n"
    b"  title = {Caf\xe9 Culture},\n"
    b"  author = {M\xfcller, Hans},\n"
    b"  year = 2000\n"
    b"}\n"
)


def test_windows_1252_file_without_the_option_is_read_with_a_warning(tmp_path: Path) -> None:
    """No --encoding: UTF-8, else Windows-1252 with a warning that says how to be explicit.

    (``bib2table -h``: "default: UTF-8 […]; another file that is not UTF-8 is read as
    Windows-1252 or as detected, with a warning naming the encoding".)
    """
    source = tmp_path / "legacy.bib"
    source.write_bytes(CP1252_BIB)
    result = run(source, "--csv")
    assert result.exit_code == 0
    [warning] = problem_lines(result.stderr)
    assert (warning["file"], warning["line"], warning["key"]) == (str(source), "2", None)
    assert warning["warning"]  # the first byte that is not UTF-8 (0xe9) is on line 2
    assert "0xe9" in warning["reason"]
    assert "read as cp1252" in warning["reason"]
    assert "--encoding" in warning["reason"]
    headers, rows = csv_table(result.stdout)
    assert rows[0][headers.index("Author")] == "Hans Müller"
    assert rows[0][headers.index("Title")] == "Café Culture"


@pytest.mark.parametrize("encoding", ["utf-8", "UTF8", "utf_8"])
def test_windows_1252_file_read_as_utf8_fails(tmp_path: Path, encoding: str) -> None:
    source = tmp_path / "legacy.bib"
    source.write_bytes(CP1252_BIB)
    target = tmp_path / "out.csv"
    target.write_bytes(b"previous\n")
    result = run(source, "--csv", "--encoding", encoding, "-o", target)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"{source}:2:" in result.stderr  # the first bad byte is on line 2
    assert "0xe9" in result.stderr
    assert "--encoding cp1252" in result.stderr
    assert target.read_bytes() == b"previous\n"


@pytest.mark.parametrize("encoding", ["cp1252", "CP1252", "windows-1252", "latin-1"])
def test_windows_1252_file_with_the_encoding_option(tmp_path: Path, encoding: str) -> None:
    source = tmp_path / "legacy.bib"
    source.write_bytes(CP1252_BIB)
    result = run(source, "--csv", "--encoding", encoding)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    headers, rows = csv_table(result.stdout)
    assert rows[0][headers.index("Author")] == "Hans Müller"
    assert rows[0][headers.index("Title")] == "Café Culture"
    page = run(source, "--html", "--encoding", encoding).stdout
    assert "Hans Müller" in page


@pytest.mark.parametrize("encoding", [None, "utf-8", "UTF8", "utf-8-sig"])
def test_utf8_file_with_a_byte_order_mark(tmp_path: Path, encoding: str | None) -> None:
    source = tmp_path / "bom.bib"
    source.write_bytes(b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"))
    extra = ["--encoding", encoding] if encoding else []
    result = run(source, "--csv", *extra)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    headers, rows = csv_table(result.stdout)
    assert [row[headers.index("Key")] for row in rows] == SAMPLE_KEYS
    assert rows[0][headers.index("Author")] == "John Smith, Anna Müller"
    assert "\ufeff" not in result.stdout


@pytest.mark.parametrize(
    ("args", "exit_code"),
    [
        pytest.param([], 0, id="warning"),
        pytest.param(["--encoding", "utf-8"], 1, id="error"),
    ],
)
def test_bad_byte_after_a_byte_order_mark_is_located_right(
    tmp_path: Path, args: list[str], exit_code: int
) -> None:
    source = tmp_path / "bom-legacy.bib"
    # the bad byte 0xfc starts line 4
    source.write_bytes(b"\xef\xbb\xbf@article{k,\n  title = {T},\n  author = {\n\xfc}\n}\n")
    result = run(source, "--csv", *args)
    assert result.exit_code == exit_code
    assert f"{source}:4:" in result.stderr
    assert "0xfc" in result.stderr


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_file_with_a_byte_order_mark(tmp_path: Path, codec: str) -> None:
    source = tmp_path / "utf16.bib"
    bom = {"utf-16": b"", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[codec]
    source.write_bytes(bom + SAMPLE.encode(codec))
    result = run(source, "--csv")
    assert result.exit_code == 0, result.stderr
    headers, rows = csv_table(result.stdout)
    assert [row[headers.index("Key")] for row in rows] == SAMPLE_KEYS
    assert rows[0][headers.index("Author")] == "John Smith, Anna Müller"


def test_binary_input_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "picture.bib"
    source.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    target = tmp_path / "out.html"
    result = run(source, "--html", "-o", target)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert str(source) in result.stderr
    assert "binary" in result.stderr
    assert not target.exists()


@pytest.mark.parametrize(
    ("encoding", "message"),
    [
        pytest.param("no-such-codec", "unknown encoding 'no-such-codec'", id="unknown"),
        *[
            pytest.param(name, f"{name!r} is not an encoding text files are written in", id=name)
            for name in ("rot13", "base64", "hex", "zlib", "punycode", "undefined", "idna")
        ],
        *[
            pytest.param(name, "is not an encoding text files are written in", id=name)
            for name in ("unicode_escape", "raw_unicode_escape", "uu")
        ],
    ],
)
def test_an_encoding_that_is_not_a_text_encoding_is_a_usage_error(
    bib: Path, tmp_path: Path, encoding: str, message: str
) -> None:
    target = tmp_path / "out.csv"
    for args in ([bib, "--csv", "-o", target], [bib, "--check"]):
        result = run(*args, "--encoding", encoding)
        assert result.exit_code == 2, result.stderr
        assert result.stdout == ""
        assert message in result.stderr
        assert "unexpected error" not in result.stderr
    assert not target.exists()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-7", "shift_jis", "cp1252"])
def test_odd_bytes_in_a_chosen_encoding_are_an_input_error(tmp_path: Path, encoding: str) -> None:
    """Whatever the bytes, a text encoding that cannot read them is a message, not a bug."""
    source = tmp_path / "odd.bib"
    source.write_bytes(b"@misc{a, title={\\x\\u12 \xff\xfe\x81\x00\xd8}}\n\x81")
    result = run(source, "--csv", "--encoding", encoding)
    assert result.exit_code in (0, 1), result.stderr
    assert "unexpected error" not in result.stderr


# --------------------------------------------------------------------------------------------
# --version and help


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"bib2table, version {__version__}\n"
    assert __version__ == "0.1.0"


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_shows_examples(flag: str) -> None:
    result = run(flag)
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: bib2table [OPTIONS] INPUT")
    assert "Examples:" in result.stdout
    assert "bib2table compression.bib --html -o index.html" in result.stdout
    assert "bib2table compression.bib --html --md --csv --out-dir site/" in result.stdout
    assert "Exit status: 0 all well" in result.stdout
    for option in ("--html", "--markdown, --md", "--csv", "-o, --output", "--out-dir"):
        assert option in result.stdout
    for option in ("--template", "--config", "--encoding", "--no-cache", "--version"):
        assert option in result.stdout


# --------------------------------------------------------------------------------------------
# usage errors: exit 2, nothing done


USAGE_ERRORS = [
    pytest.param([], "choose an output format", id="no-format"),
    pytest.param(["--html", "--md"], "several formats need --out-dir", id="two-formats"),
    pytest.param(["--html", "--csv", "-o", "{tmp}/x"], "several formats", id="two-formats-o"),
    pytest.param(
        ["--html", "-o", "{tmp}/x.html", "--out-dir", "{tmp}/site"],
        "use either -o/--output or --out-dir, not both",
        id="output-and-out-dir",
    ),
    pytest.param(
        ["--html", "--md", "--out-dir", "{tmp}/site", "--template", "{tmp}/t.jinja2"],
        "--template replaces one format's template; choose one format",
        id="template-with-two-formats",
    ),
    pytest.param(["--html", "--template", "{tmp}/missing"], "does not exist", id="no-template"),
    pytest.param(["--html", "--config", "{tmp}/missing.toml"], "does not exist", id="no-config"),
    pytest.param(["--html", "--out-dir", "{tmp}/t.jinja2"], "is a file", id="out-dir-is-a-file"),
    pytest.param(["--pdf"], "No such option", id="unknown-option"),
]


@pytest.mark.parametrize(("args", "message"), USAGE_ERRORS)
def test_usage_error(bib: Path, tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "t.jinja2").write_text("{{ catalogue.title }}\n", encoding="utf-8")
    before = snapshot(tmp_path)
    result = run(bib, *[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Usage: bib2table [OPTIONS] INPUT")
    assert message in result.stderr
    assert snapshot(tmp_path) == before, "a usage error writes nothing"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param("missing.bib", "does not exist", id="missing-input"),
        pytest.param("folder.bib", "is a directory", id="input-is-a-directory"),
    ],
)
def test_bad_input_is_a_usage_error(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "folder.bib").mkdir()
    result = run(tmp_path / name, "--html")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert name in result.stderr


def test_no_arguments_is_a_usage_error() -> None:
    result = run()
    assert result.exit_code == 2
    assert "Missing argument 'INPUT'" in result.stderr


# --------------------------------------------------------------------------------------------
# entries that cannot be rendered: exit 1, reported, the rest written

DUPLICATE_BIB = """@article{dup,
  title = {Kept},
  year = 2001
}

@article{other,
  title = {Other},
  year = 2002
}

@article{dup,
  title = {Dropped},
  year = 2003
}

@article{last,
  title = {Last},
  year = 2004
}
"""

KEYLESS_BIB = """@article{first,
  title = {First},
  year = 2001
}

@article{,
  title = {Keyless},
  year = 2002
}

@article{last,
  title = {Last},
  year = 2004
}
"""

ENTRY_ERRORS = [
    pytest.param(
        DUPLICATE_BIB, 11, "dup", r"duplicate key \(first at line 1\)", id="duplicate-key"
    ),
    pytest.param(
        DUPLICATE_BIB.replace("{dup,\n  title = {Dropped}", "{DUP,\n  title = {Dropped}"),
        11,
        "DUP",
        r"duplicate key \(first at line 1\)",
        id="duplicate-key-other-case",
    ),
    pytest.param(
        "@comment{a comment\nover three\nlines}\n\n" + DUPLICATE_BIB,
        15,
        "dup",
        r"duplicate key \(first at line 5\)",
        id="duplicate-key-after-comment",
    ),
    pytest.param(
        DUPLICATE_BIB.replace("\n", "\r\n"),
        11,
        "dup",
        r"duplicate key \(first at line 1\)",
        id="duplicate-key-crlf",
    ),
    pytest.param(KEYLESS_BIB, 6, None, r".*\bhas no key\b", id="no-key"),
]


@pytest.mark.parametrize(("text", "line", "key", "reason"), ENTRY_ERRORS)
@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_entry_that_cannot_be_rendered(
    tmp_path: Path, text: str, line: int, key: str | None, reason: str, fmt: str
) -> None:
    source = tmp_path / "problems.bib"
    source.write_bytes(text.encode("utf-8"))
    target = tmp_path / f"out{EXTENSIONS[fmt]}"
    result = run(source, FORMAT_FLAGS[fmt], "-o", target)
    assert result.exit_code == 1
    problems = problem_lines(result.stderr)
    assert len(problems) == 1, result.stderr
    found = problems[0]
    assert found["file"] == str(source)
    assert int(found["line"]) == line
    assert found["key"] == key
    assert found["warning"] is None
    assert re.match(reason, found["reason"]), found["reason"]
    # the other entries are still written
    kept = titles(fmt, target.read_text(encoding="utf-8"))
    assert kept == (["Kept", "Other", "Last"] if key else ["First", "Last"])
    assert f"bib2table: wrote {target}" in result.stderr


def test_entry_error_with_stdout_still_writes_the_rest(tmp_path: Path) -> None:
    source = write_bib(tmp_path / "dups.bib", DUPLICATE_BIB)
    result = run(source, "--csv")
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"{source}:11: dup: duplicate key (first at line 1); ")
    assert line.endswith("left out")
    assert titles("csv", result.stdout) == ["Kept", "Other", "Last"]


def test_several_problems_are_reported_in_file_order(tmp_path: Path) -> None:
    source = write_bib(tmp_path / "many.bib", DUPLICATE_BIB + "\n" + KEYLESS_BIB)
    result = run(source, "--md")
    assert result.exit_code == 1
    lines = [int(m["line"]) for m in problem_lines(result.stderr)]
    # dup (11); then KEYLESS_BIB from line 21: first (21) is fine, keyless (26), and
    # last (31) repeats the key of line 16
    assert lines == sorted(lines)
    assert lines == [11, 26, 31]
    assert titles("markdown", result.stdout) == ["Kept", "Other", "Last", "First"]


UNPARSEABLE_BIB = """@article{good,
  title = {Good},
  year = 2001
}
@article{broken,
  title = {never closed
}
@article{after,
  title = {After},
  year = 2003
}
"""


def test_unparseable_entry_is_an_error_and_the_rest_is_written(tmp_path: Path) -> None:
    source = write_bib(tmp_path / "broken.bib", UNPARSEABLE_BIB)
    result = run(source, "--csv")
    assert result.exit_code == 1
    assert f"{source}:5: " in result.stderr
    assert titles("csv", result.stdout) == ["Good", "After"]


def test_unparseable_entry_is_reported_in_the_problem_form_only(tmp_path: Path) -> None:
    source = write_bib(tmp_path / "broken.bib", UNPARSEABLE_BIB)
    result = run(source, "--csv")
    assert result.exit_code == 1
    problems = problem_lines(result.stderr)  # every stderr line is FILE:LINE: ...
    assert [(m["line"], m["key"], m["warning"]) for m in problems] == [("5", "broken", None)]
    assert "left out" in problems[0]["reason"]


# --------------------------------------------------------------------------------------------
# warnings: stderr, exit 0, everything written

WARNINGS = [
    pytest.param(
        "@article{w,\n  title = {T},\n  journal = jnl,\n  year = 2001\n}\n",
        "w",
        (1, 3),  # the entry's line or the field's
        "undefined @string 'jnl' is empty, as BibTeX makes it",
        "T",
        id="undefined-string-macro",
    ),
    pytest.param(
        "@article{w,\n  title = {A \\frobnicate{Word} Title},\n  year = 2001\n}\n",
        "w",
        (1,),
        "unknown LaTeX macros kept as text: \\frobnicate",
        "A Word Title",
        id="unknown-latex-macro",
    ),
    pytest.param(
        "@article{w,\n  title = {First},\n  title = {Second},\n  year = 2001\n}\n",
        "w",
        (1,),
        "field 'title' is given twice; the first one is used",
        "First",
        id="repeated-field",
    ),
    pytest.param(
        "@article{w,\n  title = {T},\n  url = {javascript:alert(1)},\n  year = 2001\n}\n",
        "w",
        (1,),
        "url 'javascript:alert(1)' is not an http(s) address; it is not linked",
        "T",
        id="unsafe-url",
    ),
]


@pytest.mark.parametrize(("text", "key", "lines", "message", "shown"), WARNINGS)
@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_warning_goes_to_stderr_with_exit_0(
    tmp_path: Path,
    text: str,
    key: str,
    lines: tuple[int, ...],
    message: str,
    shown: str,
    fmt: str,
) -> None:
    source = write_bib(tmp_path / "warn.bib", "@string{other = {Other}}\n\n" + text)
    result = run(source, FORMAT_FLAGS[fmt])
    assert result.exit_code == 0
    [warning] = problem_lines(result.stderr)
    assert warning["file"] == str(source)
    assert int(warning["line"]) - 2 in lines  # the entry comes after two lines of @string
    assert (warning["key"], warning["warning"], warning["reason"]) == (key, "warning: ", message)
    assert shown in result.stdout
    if fmt == "html":  # no link or source anywhere on the page runs script
        links = lxml.html.document_fromstring(result.stdout).xpath("//@href | //@src")
        assert not [str(v) for v in links if "javascript:" in str(v).lower()]


def test_warnings_and_errors_together_exit_1(tmp_path: Path) -> None:
    source = write_bib(
        tmp_path / "mixed.bib", DUPLICATE_BIB + "\n@article{w,\n  journal = jnl\n}\n"
    )
    result = run(source, "--csv")
    assert result.exit_code == 1
    problems = problem_lines(result.stderr)
    assert [(m["key"], bool(m["warning"])) for m in problems] == [("dup", False), ("w", True)]


# --------------------------------------------------------------------------------------------
# fatal errors: exit 1, nothing written, existing outputs untouched


def test_output_into_a_missing_folder(bib: Path, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "folder" / "out.html"
    result = run(bib, "--html", "-o", target)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "does not exist" in result.stderr
    assert str(target) in result.stderr
    assert not (tmp_path / "no").exists()


def test_output_onto_a_folder(bib: Path, tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    result = run(bib, "--md", "-o", target)
    assert result.exit_code == 1
    assert "it is a folder" in result.stderr
    assert list(target.iterdir()) == []


@pytest.mark.parametrize(
    "how",
    [
        pytest.param("same-path", id="same-path"),
        pytest.param("other-spelling", id="dot-dot-path"),
        pytest.param("symlink", id="symlink-to-input"),
        pytest.param("hardlink", id="hardlink-to-input"),
    ],
)
@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_output_onto_the_input_is_refused(bib: Path, how: str, fmt: str) -> None:
    original = bib.read_bytes()
    mtime = bib.stat().st_mtime_ns
    if how == "same-path":
        target = bib
    elif how == "other-spelling":
        target = bib.parent / ".." / bib.parent.name / bib.name
    else:
        target = bib.parent / "alias.bib"
        (target.symlink_to if how == "symlink" else target.hardlink_to)(bib)
    result = run(bib, FORMAT_FLAGS[fmt], "-o", target)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "refusing to overwrite the input" in result.stderr
    assert bib.read_bytes() == original
    assert bib.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in bib.parent.iterdir()) == sorted({bib.name, target.name}), (
        "no temporary file is left behind"
    )


def test_out_dir_onto_the_input_is_refused(tmp_path: Path) -> None:
    """``refs.csv --csv --out-dir .`` would write the output over its own input."""
    source = write_bib(tmp_path / "refs.csv")
    original = source.read_bytes()
    result = run(source, "--html", "--md", "--csv", "--out-dir", tmp_path)
    assert result.exit_code == 1
    assert "refusing to overwrite the input" in result.stderr
    assert source.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["refs.csv"], "nothing else written"


def test_out_dir_that_cannot_take_one_output_writes_none(bib: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    (out / "refs.md").mkdir(parents=True)  # a folder where the Markdown should go
    (out / "refs.html").write_bytes(b"previous page\n")
    before = snapshot(out)
    result = run(bib, "--html", "--md", "--csv", "--out-dir", out)
    assert result.exit_code == 1
    assert "it is a folder" in result.stderr
    assert snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["refs.html", "refs.md"]


# --------------------------------------------------------------------------------------------
# the input is never modified; outputs are deterministic


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--html"], id="html-stdout"),
        pytest.param(["--md", "-o", "{out}/refs.md"], id="markdown-file"),
        pytest.param(["--csv", "-o", "{out}/refs.csv"], id="csv-file"),
        pytest.param(["--html", "--md", "--csv", "--out-dir", "{out}"], id="out-dir"),
        pytest.param(["--html", "--out-dir", "{bib_dir}"], id="out-dir-beside-input"),
    ],
)
def test_input_is_never_modified(bib: Path, tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "out").mkdir()
    original = bib.read_bytes()
    before = bib.stat()
    result = run(bib, *[a.format(out=tmp_path / "out", bib_dir=bib.parent) for a in args])
    assert result.exit_code == 0, result.stderr
    after = bib.stat()
    assert bib.read_bytes() == original
    assert (after.st_mtime_ns, after.st_size, after.st_mode) == (
        before.st_mtime_ns,
        before.st_size,
        before.st_mode,
    )


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_two_runs_give_identical_output(bib: Path, tmp_path: Path, fmt: str) -> None:
    first, second = run(bib, FORMAT_FLAGS[fmt]), run(bib, FORMAT_FLAGS[fmt])
    assert first.exit_code == second.exit_code == 0
    assert first.stdout_bytes == second.stdout_bytes
    a, b = tmp_path / f"a{EXTENSIONS[fmt]}", tmp_path / f"b{EXTENSIONS[fmt]}"
    assert run(bib, FORMAT_FLAGS[fmt], "-o", a).exit_code == 0
    assert run(bib, FORMAT_FLAGS[fmt], "-o", b).exit_code == 0
    assert a.read_bytes() == b.read_bytes() == first.stdout_bytes


# --------------------------------------------------------------------------------------------
# --no-cache and the run cache: it may save time, never change an output


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_cache_never_changes_the_output(bib: Path, cache_dir: Path, fmt: str) -> None:
    fresh = run(bib, FORMAT_FLAGS[fmt], "--no-cache")
    assert not cache_dir.exists(), "--no-cache writes no cache"
    cold = run(bib, FORMAT_FLAGS[fmt])
    assert cache_dir.is_dir() and any(cache_dir.iterdir()), "a normal run keeps a cache"
    warm = run(bib, FORMAT_FLAGS[fmt])
    again = run(bib, FORMAT_FLAGS[fmt], "--no-cache")
    assert fresh.exit_code == cold.exit_code == warm.exit_code == again.exit_code == 0
    assert fresh.stdout_bytes == cold.stdout_bytes == warm.stdout_bytes == again.stdout_bytes
    assert fresh.stderr == cold.stderr == warm.stderr == again.stderr == ""


PROBLEMS_BIB = r"""@string{other = {Other}}

@article{w,
  title = {A \frobnicate{Word} Title},
  journal = jnl,
  url = {ftp://example.org/paper},
  year = 2001
}

@article{w,
  title = {Dup}
}

@article{v,
  title = {First},
  title = {Second},
  keywords = {a; b}
}

@article{,
  title = {Keyless}
}
"""


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_cache_keeps_every_problem_report(tmp_path: Path, fmt: str) -> None:
    """A warm run reports the same errors and warnings as a cold one and as --no-cache."""
    source = write_bib(tmp_path / "problems.bib", PROBLEMS_BIB)
    runs = [
        run(source, FORMAT_FLAGS[fmt], "--no-cache"),
        run(source, FORMAT_FLAGS[fmt]),
        run(source, FORMAT_FLAGS[fmt]),
    ]
    assert [r.exit_code for r in runs] == [1, 1, 1]
    assert len({r.stderr for r in runs}) == 1
    assert len({r.stdout_bytes for r in runs}) == 1
    found = [(m["line"], m["key"], bool(m["warning"])) for m in problem_lines(runs[0].stderr)]
    assert ("10", "w", False) in found
    assert ("20", None, False) in found
    assert ("14", "v", True) in found
    assert sum(1 for line, key, warning in found if key == "w" and warning) == 3


def test_cache_stays_out_of_home_and_the_input_folder(bib: Path, cache_dir: Path) -> None:
    home = Path.home()
    before = snapshot(bib.parent)
    assert run(bib, "--html").exit_code == 0
    assert snapshot(bib.parent) == before
    assert not list(home.iterdir()), "nothing is written to HOME"
    assert any(cache_dir.iterdir())


CACHE_EDITS = [
    pytest.param(
        lambda text: text.replace("First Paper", "First Paper, Revised"),
        "First Paper, Revised",
        id="edited-title",
    ),
    pytest.param(
        lambda text: (
            '@string{jt = "Journal of Macros"}\n'
            + text.replace("journal = {Journal of Tests}", "journal = jt")
        ),
        "Journal of Macros",
        id="field-now-a-macro",
    ),
    pytest.param(
        lambda text: text.replace("Smith, John and", "Smith, Jonathan and"),
        "Jonathan Smith",
        id="edited-author",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), CACHE_EDITS)
def test_cache_sees_an_edited_input(bib: Path, edit: Callable[[str], str], expected: str) -> None:
    run(bib, "--csv")
    bib.write_text(edit(SAMPLE), encoding="utf-8")
    warm = run(bib, "--csv")
    assert warm.exit_code == 0, warm.stderr
    assert expected in warm.stdout
    assert warm.stdout_bytes == run(bib, "--csv", "--no-cache").stdout_bytes


def test_cache_sees_changed_macros_and_settings(bib: Path) -> None:
    """The entry's own text is unchanged; what it resolves to and how it is shown are not."""
    source = write_bib(
        bib.parent / "macros.bib",
        '@string{jt = "Old Journal"}\n\n@article{m, title = {T}, journal = jt, year = 2001,'
        " keywords = {alpha}}\n",
    )
    assert "Old Journal" in run(source, "--csv").stdout
    source.write_text(source.read_text("utf-8").replace("Old Journal", "New Journal"), "utf-8")
    assert "New Journal" in run(source, "--csv").stdout
    (source.parent / "bib2table.toml").write_text(
        '[categories]\nalpha = "Renamed"\n\n[[columns]]\nlabel = "Periodical"\nfield = "journal"\n',
        encoding="utf-8",
    )
    headers, rows = csv_table(run(source, "--csv").stdout)
    assert headers == ["Periodical", "Renamed", "Key", "DOI"]
    assert rows == [["New Journal", "x", "m", ""]]


def test_damaged_cache_is_ignored(bib: Path, cache_dir: Path) -> None:
    expected = run(bib, "--md", "--no-cache").stdout_bytes
    assert run(bib, "--md").exit_code == 0
    files = [p for p in cache_dir.rglob("*") if p.is_file()]
    assert files
    for damage in (b"", b"\x00garbage\xff", b"[[1], {}"):
        for file in files:
            file.write_bytes(damage)
        result = run(bib, "--md")
        assert result.exit_code == 0
        assert result.stderr == ""
        assert result.stdout_bytes == expected


def test_unwritable_cache_folder_does_not_stop_the_run(
    bib: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"a file where the cache folder should be\n")
    monkeypatch.setenv("BIB2TABLE_CACHE_DIR", str(blocker / "bib2table"))
    result = run(bib, "--csv")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout_bytes == run(bib, "--csv", "--no-cache").stdout_bytes


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_flagship_runs_are_identical(fmt: str) -> None:
    first, second = run(COMPRESSION_BIB, FORMAT_FLAGS[fmt]), run(COMPRESSION_BIB, FORMAT_FLAGS[fmt])
    assert first.exit_code == second.exit_code == 0
    assert first.stdout_bytes == second.stdout_bytes


# --------------------------------------------------------------------------------------------
# the flagship example


def test_flagship_compression_bib_to_html() -> None:
    assert (REPO / "bib2table.toml").is_file()
    result = run(COMPRESSION_BIB, "--html")
    assert result.exit_code == 0
    assert result.stderr == ""
    headers, rows = html_table(result.stdout)
    assert len(rows) == 57
    assert len(html_row_ids(result.stdout)) == len(set(html_row_ids(result.stdout))) == 57
    # the repo's bib2table.toml was found by discovery
    assert "<title>Model Compression</title>" in result.stdout
    assert headers == [
        *["Year", "Author", "Title", "Venue"],
        *["Pruning", "Distillation", "Architecture", "Quantization, low-rank, etc.", "Other"],
    ]
    assert "PocketFlow" in result.stdout
    assert rows[0][:3] == [
        "1990",
        "Yann Le Cun, John S. Denker, Sara A. Solla",
        "Optimal Brain Damage",
    ]


@pytest.mark.parametrize("fmt", [pytest.param("markdown", id="markdown"), "csv"])
def test_flagship_other_formats(fmt: str) -> None:
    result = run(COMPRESSION_BIB, FORMAT_FLAGS[fmt])
    assert result.exit_code == 0
    assert result.stderr == ""
    assert len(table(fmt, result.stdout)[1]) == 57


def test_flagship_out_dir(tmp_path: Path) -> None:
    result = run(COMPRESSION_BIB, "--html", "--md", "--csv", "--out-dir", tmp_path / "site")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == [
        "compression.csv",
        "compression.html",
        "compression.md",
    ]
    assert result.stderr.count("(57 entries)") == 3
