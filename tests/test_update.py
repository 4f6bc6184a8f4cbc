"""``--markdown --update FILE``: only the marked section changes; ``--check`` reports drift."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bib2table.outputs.update import SectionError, replace_section
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


# --------------------------------------------------------------------------------------------
# markers as CommonMark reads them; every byte outside them kept


CODE_EXAMPLES = [
    pytest.param(f"```\n{BEGIN}\n{END}\n```\n", id="backtick-fence"),
    pytest.param(f"~~~markdown\n{BEGIN}\n```\n{END}\n~~~\n", id="tilde-fence-with-backticks"),
    pytest.param(f"````\n```\n{BEGIN}\n```\n{END}\n````\n", id="longer-fence"),
    pytest.param(f"   ```\n{BEGIN}\n{END}\n   ```\n", id="fence-indented-3"),
    pytest.param(f"    {BEGIN}\n    {END}\n", id="indented-code"),
    pytest.param(f"\t{BEGIN}\n\t{END}\n", id="tab-indented-code"),
    pytest.param(f"1. Step:\n\n    ```\n    {BEGIN}\n    {END}\n    ```\n", id="fence-in-item-4"),
    pytest.param(f"- Step:\n  ```\n  {BEGIN}\n  {END}\n  ```\n", id="fence-in-item-2"),
    pytest.param(f"1. a\n   ```\n   {BEGIN}\n   {END}\n   ```\n", id="fence-in-numbered-item"),
    pytest.param(f"> ```\n> {BEGIN}\n> {END}\n> ```\n", id="fence-in-quote"),
]


@pytest.mark.parametrize("example", CODE_EXAMPLES)
def test_markers_in_code_do_not_count(example: str) -> None:
    document = f"# Title\n\n{example}\n{BEGIN}\nold\n{END}\n\nAfter.\n\n{example}"
    updated = replace_section(document, "NEW", "README.md")
    assert updated == document.replace(f"{BEGIN}\nold\n{END}", f"{BEGIN}\nNEW\n{END}")


def test_a_byte_order_mark_before_the_first_marker_is_fine() -> None:
    document = f"\ufeff{BEGIN}\nold\n{END}\n"
    assert replace_section(document, "NEW", "README.md") == f"\ufeff{BEGIN}\nNEW\n{END}\n"


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"], ids=["crlf", "lf", "cr"])
def test_newlines_stay_as_they_are(newline: str) -> None:
    document = newline.join(["# T", "", BEGIN, "old", END, "", "end", ""])
    updated = replace_section(document, "new\nlines\r\nhere", "README.md")
    assert updated == newline.join(["# T", "", BEGIN, "new", "lines", "here", END, "", "end", ""])


HOSTILE_SECTIONS = [
    pytest.param(f"Intro\n{END}\ntable", id="end-marker"),
    pytest.param(f"Intro\n{BEGIN}\ntable", id="begin-marker"),
    pytest.param(f"Intro\n  {END}\n", id="indented-end-marker"),
    pytest.param("Intro\n```\ntable", id="unclosed-fence"),
    pytest.param("Intro\n~~~~\n```\n", id="unclosed-tilde-fence"),
]


@pytest.mark.parametrize("content", HOSTILE_SECTIONS)
def test_a_section_that_would_move_its_markers_is_refused(content: str) -> None:
    document = f"# T\n\n{BEGIN}\nold\n{END}\n\n```\n{END}\n```\n\nMine.\n"
    with pytest.raises(SectionError, match="would not stay between the markers"):
        replace_section(document, content, "README.md")


@pytest.mark.parametrize(
    "intro",
    [
        pytest.param(f"Our list.\n\n```\n{END}\n```\n", id="marker-in-a-closed-fence"),
        pytest.param("Our list.\n\n    indented code\n", id="indented-code"),
        pytest.param("Our list.\n\n<details>\n\nmore\n", id="open-html"),
    ],
)
def test_an_intro_with_code_or_markup_updates_again_and_again(repo: Path, intro: str) -> None:
    write(repo / "intro.md", intro)
    settings = (repo / "bib2table.toml").read_text(encoding="utf-8")
    settings = settings.replace('intro = """', 'intro-file = "intro.md"\nold-intro = """', 1)
    write(repo / "bib2table.toml", _without_old_intro(settings))
    readme = repo / "README.md"
    for _ in range(3):
        result = run("compression.bib", "--markdown", "--update", "README.md")
        assert result.exit_code == 0, result.stderr
        text = readme.read_text(encoding="utf-8")
        assert text.startswith(README.split(BEGIN)[0] + BEGIN + "\n")
        assert text.endswith(END + README.split(END)[1])
        assert text.count("## License") == 1


@pytest.mark.parametrize(
    "intro",
    [pytest.param(f"Our list.\n{END}\n", id="marker"), pytest.param("```\n", id="open-fence")],
)
def test_an_intro_that_would_break_the_section_is_an_error(repo: Path, intro: str) -> None:
    write(repo / "intro.md", intro)
    settings = (repo / "bib2table.toml").read_text(encoding="utf-8")
    settings = settings.replace('intro = """', 'intro-file = "intro.md"\nold-intro = """', 1)
    write(repo / "bib2table.toml", _without_old_intro(settings))
    result = run("compression.bib", "--markdown", "--update", "README.md")
    assert result.exit_code == 1
    assert "would not stay between the markers" in result.stderr
    assert (repo / "README.md").read_text(encoding="utf-8") == README


def _without_old_intro(settings: str) -> str:
    start = settings.index("old-intro = ")
    end = settings.index('"""', settings.index('"""', start) + 3) + 3
    return settings[:start] + settings[end:]


#: Whole Markdown blocks (each closed, and kept apart by blank lines, since an HTML block
#: runs on to the next blank line), around the section in generated documents.
BLOCKS = st.sampled_from(
    [
        "Text with <!-- a comment --> and `code`.\n",
        "# Heading\n",
        "\n",
        "| a | b |\n| - | - |\n| 1 | 2 |\n",
        "- item\n- item two\n",
        f"```\n{BEGIN}\n{END}\n```\n",
        f"~~~\n{END}\n~~~\n",
        f"\n    {BEGIN}\n    {END}\n",
        f"1. Step:\n\n    ```\n    {END}\n    ```\n",
        f"- Step:\n  ```\n  {BEGIN}\n  ```\n",
        "> quoted\n",
        "<details>\n<summary>x</summary>\n</details>\n",
        "Trailing spaces   \n",
        "Ünïcödé ✓ 😀\n",
    ]
)
#: What a template may put into the section (well-formed).
CONTENT = st.lists(
    st.sampled_from(["# T\n", "| a |\n| - |\n| x |\n", "Intro\n", "```\ncode\n```\n", "\n"]),
    max_size=5,
).map("".join)


@settings(max_examples=60, deadline=None)
@given(
    before=st.lists(BLOCKS, max_size=5).map("\n".join),
    after=st.lists(BLOCKS, max_size=5).map("\n".join),
    old=CONTENT,
    new=CONTENT,
    newline=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
)
def test_every_byte_outside_the_markers_is_kept(
    before: str, after: str, old: str, new: str, newline: str, bom: bool
) -> None:
    head = ("\ufeff" if bom else "") + (before + "\n" + BEGIN + "\n").replace("\n", newline)
    tail = (END + "\n\n" + after).replace("\n", newline)
    document = head + old.replace("\n", newline) + tail
    updated = replace_section(document, new, "README.md")
    assert updated.startswith(head)
    assert updated.endswith(tail)
    assert replace_section(updated, new, "README.md") == updated
    again = replace_section(updated, old, "README.md")
    assert again.startswith(head) and again.endswith(tail)


HOSTILE_CONTENT = st.lists(
    st.sampled_from(["Intro\n", f"{END}\n", f"{BEGIN}\n", "```\n", "~~~\n", "    x\n", "\n"]),
    max_size=6,
).map("".join)


@settings(max_examples=60, deadline=None)
@given(
    before=st.lists(BLOCKS, max_size=4).map("".join),
    after=st.lists(BLOCKS, max_size=4).map("".join),
    content=HOSTILE_CONTENT,
)
def test_hostile_content_never_moves_the_maintainers_text(
    before: str, after: str, content: str
) -> None:
    """Content with markers or fences: refused, or put between the markers such that the next
    update still finds the same section (nothing of the maintainer's is taken or doubled)."""
    head = before + "\n" + BEGIN + "\n"
    tail = END + "\n\n" + after
    document = head + "old\n" + tail
    try:
        updated = replace_section(document, content, "README.md")
    except SectionError:
        return
    assert updated.startswith(head) and updated.endswith(tail)
    again = replace_section(updated, "plain\n", "README.md")
    assert again == head + "plain\n" + tail
