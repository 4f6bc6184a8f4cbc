"""The awesome-list Markdown (``markdown-layout = "sections"``), as GitHub renders it.

Every check reads what cmark-gfm, GitHub's renderer, makes of the output: the headings, the list
items and their links, and that text from the ``.bib`` stays text.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gfm
from bib2table import build
from bib2table.bibtex.latex import decode
from bib2table.catalogue.settings import load_settings
from paths import COMPRESSION_BIB, REPO
from toolkit import run, write

LABELS = ["Pruning", "Distillation", "Architecture", "Quantization, low-rank, etc.", "Other"]


def catalogue_folder(tmp_path: Path, extra: str) -> Path:
    """compression.bib with the repository's settings plus ``extra`` settings lines."""
    folder = tmp_path / "list"
    folder.mkdir()
    shutil.copy(COMPRESSION_BIB, folder / "compression.bib")
    settings = (REPO / "bib2table.toml").read_text(encoding="utf-8")
    write(folder / "bib2table.toml", extra + "\n" + settings)
    return folder / "compression.bib"


def sections_of(bib: Path) -> tuple[str, lxml.html.HtmlElement]:
    _, (output,) = build(bib, ["markdown"], cache=False)
    return output.text, gfm.document(output.text)


def headings(page: lxml.html.HtmlElement, level: str) -> list[str]:
    return [h.text_content() for h in page.iter(level)]


def items(page: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """The papers' items: those after the first category's heading (the intro has lists)."""
    return list(page.xpath(f"//h2[.='{LABELS[0]}']/following::li"))


def test_a_heading_per_category_in_the_settings_order(tmp_path: Path) -> None:
    bib = catalogue_folder(tmp_path, 'markdown-layout = "sections"')
    _, page = sections_of(bib)
    assert headings(page, "h1") == ["Model Compression"]
    assert headings(page, "h2")[-5:] == LABELS
    assert not list(page.iter("table"))


def test_each_paper_under_each_of_its_categories(tmp_path: Path) -> None:
    bib = catalogue_folder(tmp_path, 'markdown-layout = "sections"')
    catalogue, _ = build(bib, ["markdown"], cache=False)
    _, page = sections_of(bib)
    uncategorised = sum(not e.categories for e in catalogue.entries)
    assert uncategorised == 9
    assert len(items(page)) == sum(c.count for c in catalogue.categories) + uncategorised
    assert len(items(page)) > len(catalogue.entries)
    moonshine = page.xpath("//li[a='Moonshine: Distilling with Cheap Convolutions']")
    assert [li.xpath("preceding::h2[1]")[0].text_content() for li in moonshine] == [
        "Distillation",
        "Architecture",
    ]


def test_each_paper_once_under_its_first_category(tmp_path: Path) -> None:
    bib = catalogue_folder(tmp_path, 'markdown-layout = "sections"\nmarkdown-repeat = false')
    catalogue, _ = build(bib, ["markdown"], cache=False)
    _, page = sections_of(bib)
    titles = [li.find("a").text_content() for li in items(page)]
    assert len(titles) == len(catalogue.entries) == 57
    moonshine = page.xpath("//li[a='Moonshine: Distilling with Cheap Convolutions']")
    assert [li.xpath("preceding::h2[1]")[0].text_content() for li in moonshine] == ["Distillation"]


def test_papers_without_a_category_go_to_other(tmp_path: Path) -> None:
    bib = write(
        tmp_path / "refs.bib",
        "@misc{a, title = {Tagged}, keywords = {x}}\n@misc{b, title = {Untagged}}\n",
    )
    write(tmp_path / "bib2table.toml", 'markdown-layout = "sections"\n[categories]\nx = "X"\n')
    _, page = sections_of(bib)
    assert headings(page, "h2") == ["X", "Other"]
    assert [li.text_content() for li in page.iter("li")] == ["Tagged", "Untagged"]


def test_the_rest_joins_a_category_labelled_other(tmp_path: Path) -> None:
    bib = write(
        tmp_path / "refs.bib",
        "@misc{a, title = {Misc}, keywords = {misc}}\n@misc{b, title = {Untagged}}\n"
        "@misc{c, title = {Pruned}, keywords = {pruning}}\n",
    )
    settings = '[categories]\nmisc = "Other"\npruning = "Pruning"\n'
    write(tmp_path / "bib2table.toml", 'markdown-layout = "sections"\n' + settings)
    _, page = sections_of(bib)
    assert headings(page, "h2") == ["Other", "Pruning"]
    other = page.xpath("//h2[.='Other']/following-sibling::ul[1]/li")
    assert [li.text_content() for li in other] == ["Misc", "Untagged"]


def test_year_headings_newest_first_and_undated_last(tmp_path: Path) -> None:
    bib = write(
        tmp_path / "refs.bib",
        "@misc{a, title = {Old}, year = 2001, keywords = {x}}\n"
        "@misc{b, title = {No year}, keywords = {x}}\n"
        "@misc{c, title = {New}, year = 2020, keywords = {x}}\n"
        "@misc{d, title = {Also old}, year = 2001, keywords = {x}}\n",
    )
    settings = 'markdown-layout = "sections"\nmarkdown-year-headings = true\n'
    write(tmp_path / "bib2table.toml", settings + '[categories]\nx = "X"\n')
    _, page = sections_of(bib)
    assert headings(page, "h3") == ["2020", "2001", "Undated"]
    lists = [[li.text_content() for li in ul] for ul in page.iter("ul")]
    assert lists == [["New — 2020"], ["Old — 2001", "Also old — 2001"], ["No year"]]


def test_compression_sections_with_years(tmp_path: Path) -> None:
    bib = catalogue_folder(tmp_path, 'markdown-layout = "sections"\nmarkdown-year-headings = true')
    _, page = sections_of(bib)
    section = page.xpath("//h2[.='Pruning']")[0]
    years = []
    for sibling in section.itersiblings():
        if sibling.tag == "h2":
            break
        if sibling.tag == "h3":
            years.append(int(sibling.text_content()))
    assert years == sorted(years, reverse=True)
    assert years[0] == 2019 and years[-1] == 1990


def item_for(tmp_path: Path, entry: str, extra: str = "") -> lxml.html.HtmlElement:
    bib = write(tmp_path / "refs.bib", entry)
    write(tmp_path / "bib2table.toml", 'markdown-layout = "sections"\n' + extra)
    _, page = sections_of(bib)
    (item,) = page.iter("li")
    return item


def links_of(item: lxml.html.HtmlElement) -> list[tuple[str, str]]:
    return [(a.text_content(), a.get("href")) for a in item.iter("a")]


def test_an_item_shows_title_authors_venue_year_and_labelled_links(tmp_path: Path) -> None:
    item = item_for(
        tmp_path,
        "@inproceedings{k, title = {Deep {Compression}}, author = {Han, Song and Mao, Huizi},"
        " booktitle = {ICLR}, year = 2016, doi = {10.1000/xyz}, eprint = {1510.00149},"
        " archiveprefix = {arXiv}, url = {https://example.org/paper.pdf},"
        " code = {https://github.com/songhan/deep-compression}}",
    )
    assert item.text_content() == (
        "Deep Compression — Song Han, Huizi Mao, ICLR 2016 · PDF · DOI · arXiv · Code"
    )
    assert links_of(item) == [
        ("Deep Compression", "https://example.org/paper.pdf"),
        ("PDF", "https://example.org/paper.pdf"),
        ("DOI", "https://doi.org/10.1000/xyz"),
        ("arXiv", "https://arxiv.org/abs/1510.00149"),
        ("Code", "https://github.com/songhan/deep-compression"),
    ]
    assert [e.text_content() for e in item.iter("em")] == ["ICLR"]


def test_a_web_page_is_labelled_url(tmp_path: Path) -> None:
    item = item_for(tmp_path, "@misc{k, title = {T}, url = {https://openreview.net/forum?id=x}}")
    assert links_of(item) == [
        ("T", "https://openreview.net/forum?id=x"),
        ("URL", "https://openreview.net/forum?id=x"),
    ]


def test_code_from_a_settable_field(tmp_path: Path) -> None:
    entry = "@misc{k, title = {T}, github = {https://github.com/a/b}, code = {https://c.org/}}"
    assert links_of(item_for(tmp_path, entry))[-1] == ("Code", "https://c.org/")
    assert links_of(item_for(tmp_path, entry, 'code-fields = ["github"]')) == [
        ("Code", "https://github.com/a/b")
    ]


def test_a_code_field_that_is_no_web_address_is_no_link(tmp_path: Path) -> None:
    entry = "@misc{k, title = {T}, code = {javascript:alert(1)}}"
    item = item_for(tmp_path, entry)
    assert links_of(item) == []
    assert item.text_content() == "T"


@pytest.mark.parametrize(
    ("most", "authors", "shown"),
    [
        (3, "A, Ann and B, Bob and C, Cy", "Ann A, Bob B, Cy C"),
        (3, "A, Ann and B, Bob and C, Cy and D, Di", "Ann A et al."),
        (1, "A, Ann and B, Bob", "Ann A et al."),
        (0, "A, Ann and B, Bob and C, Cy and D, Di", "Ann A, Bob B, Cy C, Di D"),
        (3, "A, Ann and others", "Ann A et al."),
        (
            3,
            "van der Berg, Jan and {World Health Organization}",
            "Jan van der Berg, World Health Organization",
        ),
    ],
)
def test_authors_are_shortened_past_the_setting(
    tmp_path: Path, most: int, authors: str, shown: str
) -> None:
    item = item_for(
        tmp_path,
        f"@misc{{k, title = {{T}}, author = {{{authors}}}}}",
        f"markdown-max-authors = {most}",
    )
    assert item.text_content() == f"T — {shown}"


def test_an_entry_with_nothing_but_a_key(tmp_path: Path) -> None:
    assert item_for(tmp_path, "@misc{lonely}").text_content() == "lonely"


HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "![img](https://evil.example/x.png)",
    "*em* _u_ ~~s~~ `code`",
    "see https://evil.example/x and www.evil.example",
    "# not a heading",
    "- not an item",
    "1. not a list",
    "a | b",
    "&amp; &lt; &#60;",
    "line\nbreak\n\n## heading",
    "trailing \\",
]


def assert_only_text(item: lxml.html.HtmlElement, expected_links: int) -> None:
    """The item holds no element but its own links and emphasis of the venue."""
    tags = [e.tag for e in item.iter() if e is not item]
    assert tags.count("a") == expected_links, lxml.html.tostring(item)
    assert set(tags) <= {"a", "em"}, lxml.html.tostring(item)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_stays_text(tmp_path: Path, text: str) -> None:
    escaped = text.replace("{", "\\{").replace("}", "\\}")
    entry = (
        f"@misc{{k, title = {{{escaped}}}, author = {{{escaped}}}, venue = {{{escaped}}},"
        " year = 2020, url = {https://ok.example/}}"
    )
    item = item_for(tmp_path, entry)
    assert_only_text(item, expected_links=2)
    assert links_of(item)[1] == ("URL", "https://ok.example/")
    shown = " ".join(decode(text).text.split())  # as LaTeX reads it: `` ` `` is a quote
    assert item.find("a").text_content() == shown
    assert item.find("em").text_content() == shown


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    title=st.text(
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="{}\\%@,="),
        min_size=1,
        max_size=40,
    ).filter(lambda t: decode(t).text.strip())
)
def test_any_title_is_one_plain_item(tmp_path: Path, title: str) -> None:
    entry = f"@misc{{k, title = {{{title}}}, year = 2001, url = {{https://ok.example/}}}}"
    item = item_for(tmp_path, entry)
    assert_only_text(item, expected_links=2)
    assert item.find("a").text_content().split() == decode(title).text.split()


def test_headings_from_settings_stay_text(tmp_path: Path) -> None:
    bib = write(tmp_path / "refs.bib", "@misc{a, title = {T}, keywords = {x}}\n")
    label = "<b>bold</b> [l](https://e.example) *e* # https://e.example"
    write(
        tmp_path / "bib2table.toml", f"markdown-layout = 'sections'\n[categories]\nx = '{label}'\n"
    )
    _, page = sections_of(bib)
    (heading,) = page.iter("h2")
    assert heading.text_content() == label
    assert len(heading) == 0


def test_update_writes_the_sections_into_the_readme(tmp_path: Path) -> None:
    bib = catalogue_folder(tmp_path, 'markdown-layout = "sections"')
    readme = write(
        bib.parent / "README.md",
        "# My list\n\n<!-- bib2table:begin -->\n<!-- bib2table:end -->\n\nFooter\n",
    )
    result = run(bib, "--markdown", "--update", readme)
    assert result.exit_code == 0, result.stderr
    page = gfm.document(readme.read_text(encoding="utf-8"))
    assert headings(page, "h2")[-5:] == LABELS
    assert page.xpath("//p")[-1].text_content() == "Footer"
    assert run(bib, "--check", "--markdown", "--update", readme).exit_code == 0
    settings = bib.parent / "bib2table.toml"
    write(settings, settings.read_text(encoding="utf-8").replace("markdown-layout", "# ", 1))
    stale = run(bib, "--check", "--markdown", "--update", readme)
    assert stale.exit_code == 1
    assert "the bib2table section is out of date" in stale.stdout


def test_the_table_stays_the_default(tmp_path: Path) -> None:
    bib = catalogue_folder(tmp_path, "")
    assert load_settings(bib).layout.markdown == "table"
    _, page = sections_of(bib)
    assert len(list(page.iter("table"))) == 1
    assert len(page.xpath("//table/tbody/tr")) == 57


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('markdown-layout = "list"', "markdown-layout must be one of 'table', 'sections'"),
        ("markdown-repeat = 1", "markdown-repeat must be true or false"),
        ("markdown-max-authors = -1", "markdown-max-authors must be a whole number"),
        ('markdown-max-authors = "3"', "markdown-max-authors must be a whole number"),
        ("markdown-year-headings = 'yes'", "markdown-year-headings must be true or false"),
        ('code-fields = "github"', "code-fields must be a list of strings"),
    ],
)
def test_bad_layout_settings_say_what_is_expected(tmp_path: Path, line: str, message: str) -> None:
    bib = write(tmp_path / "refs.bib", "@misc{a, title = {T}}\n")
    write(tmp_path / "bib2table.toml", line + "\n")
    result = run(bib, "--markdown")
    assert result.exit_code == 1
    assert message in result.stderr


def test_autolinks_in_table_cells_are_text_too(tmp_path: Path) -> None:
    bib = write(
        tmp_path / "refs.bib",
        "@misc{a, title = {See https://evil.example and www.evil.example}, year = 2020}\n",
    )
    _, (output,) = build(bib, ["markdown"], cache=False)
    page = gfm.document(output.text)
    assert not list(page.iter("a"))
    assert re.search(r"See https://evil\.example and www\.evil\.example", page.text_content())
