"""What the page shows to cite an entry: its BibTeX as written minus private fields, its links,
the page's citation data, and the papers-per-year chart."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from bib2table import build
from bib2table.bibtex.excerpt import bibtex
from bib2table.bibtex.parse import parse_text
from bib2table.catalogue.cite import (
    bibtex_text,
    catalogue_hidden_fields,
    cite_data,
    links,
    year_chart,
)
from bib2table.catalogue.model import Catalogue, Entry, build_catalogue
from bib2table.catalogue.settings import Settings
from bib2table.outputs.clean import check_page
from bib2table.outputs.render import builtin_templates
from paths import COMPRESSION_BIB


def catalogue_of(bib: str, **settings: Any) -> Catalogue:
    return build_catalogue(parse_text(bib, "test.bib"), Settings(**settings))


def entry_of(bib: str) -> Entry:
    return catalogue_of(bib).entries[0]


ALIGNED = """@Article{Welland:TB1-1-2,
  author =       "Robert Welland",
  title =        "{Editor's Comments}",
  journal =      j-TUGboat,
  month =        oct,
  year =         "1980",
  bibsource =    "http://www.math.utah.edu/pub/tex/bib/index-table-t.html#tugboat;
                 http://www.math.utah.edu/pub/tex/bib/tugboat.bib",
  acknowledgement = ack-bnb # " and " # ack-nhfb,
  file =         "welland.pdf",
}"""


def test_an_entry_is_shown_as_written() -> None:
    bib = '@string{j-TUGboat = "TUGboat"}\n@string{ack-bnb = "B"}\n@string{ack-nhfb = "N"}\n'
    cited = bibtex(entry_of(bib + ALIGNED))
    assert cited.text == ALIGNED.replace('  file =         "welland.pdf",\n', "")
    assert cited.macros == ("j-tugboat", "ack-bnb", "ack-nhfb")  # not the month


def test_private_fields_are_left_out() -> None:
    entry = entry_of(
        "@misc{k,\n  title = {T},\n  file = {:a.pdf:PDF},\n  groups = {mine},\n"
        "  mendeley-tags = {x},\n  Mendeley-Groups = {y},\n  abstract = {Long.},\n"
        "  keywords = {pruning}\n}"
    )
    assert (
        bibtex(entry).text
        == "@misc{k,\n  title = {T},\n  abstract = {Long.},\n  keywords = {pruning}\n}"
    )
    catalogue = catalogue_of("@misc{k, title = {T}}")
    assert bibtex(entry, catalogue_hidden_fields(catalogue)).text == (
        "@misc{k,\n  title = {T},\n  keywords = {pruning}\n}"
    )
    assert (
        "abstract = {Long.}"
        in bibtex(entry, catalogue_hidden_fields(catalogue, abstract=True)).text
    )


def test_category_keywords_are_left_out_only_when_configured() -> None:
    bib = "@misc{k,\n  title = {T},\n  tags = {a; b},\n  keywords = {c}\n}"
    chosen = catalogue_of(bib, categories={"a": "A"}, keyword_fields=("tags",))
    assert "tags" not in bibtex_text(chosen.entries[0], chosen)
    assert "keywords = {c}" in bibtex_text(chosen.entries[0], chosen)
    found = catalogue_of(bib, keyword_fields=("tags",))
    assert "tags = {a; b}" in bibtex_text(found.entries[0], found)


def test_first_of_repeated_fields_wins_and_layout_is_kept() -> None:
    entry = entry_of('@book(k, title="One", title="Two", year=1999, note={a, "b"} # "c")')
    assert bibtex(entry).text == '@book(k,\n  title="One",\n  year=1999,\n  note={a, "b"} # "c"\n)'


def test_strings_come_before_the_entry() -> None:
    catalogue = catalogue_of(
        '@string{jcn = "Journal of {C}omputing"}\n@string{unused = "x"}\n'
        "@article{k,\n  journal = jcn,\n  month = jan # {~1},\n}"
    )
    assert bibtex_text(catalogue.entries[0], catalogue) == (
        "@string{jcn = {Journal of {C}omputing}}\n\n@article{k,\n  journal = jcn,\n"
        "  month = jan # {~1},\n}"
    )
    data = json.loads(cite_data(catalogue))
    assert data["strings"] == {"jcn": "@string{jcn = {Journal of {C}omputing}}"}
    assert data["entries"][0][1] == ["jcn"]


def test_unreadable_raw_text_is_written_out_afresh() -> None:
    entry = entry_of("@misc{k, title = {T}, year = 2001}")
    broken = Entry(**{**entry.__dict__, "raw": "@misc{k, title = {T"})
    assert bibtex(broken).text == "@misc{k,\n  title = {T},\n  year = {2001}\n}"
    empty = Entry(**{**entry.__dict__, "raw": ""})
    assert bibtex(empty).text == bibtex(broken).text


def test_an_entry_of_only_a_key() -> None:
    assert bibtex(entry_of("@index{mineral}")).text == "@index{mineral}"
    assert bibtex(entry_of("@misc{k,}")).text == "@misc{k,\n}"


def test_comment_lines_inside_an_entry_are_dropped() -> None:
    entry = entry_of("@misc{k,\n  title = {T},\n% a note to self\n  year = 2001\n}")
    assert bibtex(entry).text == "@misc{k,\n  title = {T},\n  year = 2001\n}"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("doi = {10.1145/3290605.3300233}", [("DOI", "https://doi.org/10.1145/3290605.3300233")]),
        ("doi = {https://doi.org/10.1000/xyz}", [("DOI", "https://doi.org/10.1000/xyz")]),
        ("doi = {doi:10.1000/a b}", []),
        ("doi = {10.1000/a<b>#c}", [("DOI", "https://doi.org/10.1000/a%3Cb%3E%23c")]),
        (
            "eprint = {1704.04861}, archiveprefix = {arXiv}",
            [("arXiv", "https://arxiv.org/abs/1704.04861")],
        ),
        (
            "eprint = {hep-th/9901001v2}, eprinttype = {ArXiv}",
            [("arXiv", "https://arxiv.org/abs/hep-th/9901001v2")],
        ),
        ("eprint = {1704.04861}", []),
        ("eprint = {<x>}, eprinttype = {arxiv}", []),
        ("url = {javascript:alert(1)}", []),
        ("url = {data:text/html,x}", []),
        ("url = {\\url{https://example.org/a%20b}}", [("URL", "https://example.org/a%20b")]),
        ('url = {https://example.org/" onclick="x}', []),
        ("url = {https://example.org/a{\\_}b}", [("URL", "https://example.org/a_b")]),
        ("url = {https://a.org/x;\n https://b.org/y}", [("URL", "https://a.org/x")]),
        ("doi = {doi: 10.1000/x}", [("DOI", "https://doi.org/10.1000/x")]),
        (
            "eprint = {1704.04861}, archiveprefix = {arXiv}, url = {https://arxiv.org/abs/1704.04861}",
            [("arXiv", "https://arxiv.org/abs/1704.04861")],
        ),
        (
            "doi = {10.1000/x}, url = {http://example.org}",
            [("DOI", "https://doi.org/10.1000/x"), ("URL", "http://example.org")],
        ),
    ],
)
def test_links(fields: str, expected: list[tuple[str, str]]) -> None:
    found = links(entry_of(f"@misc{{k, {fields}}}"))
    assert [(link.kind, link.href) for link in found] == expected
    assert all(link.href.startswith(("https://", "http://")) for link in found)


def test_cite_data_is_safe_inside_a_script_block() -> None:
    catalogue = catalogue_of(
        "@misc{k,\n  title = {</script><script>alert(1)</script><!-- & \u2028},\n}"
    )
    data = str(cite_data(catalogue))
    assert "<" not in data and ">" not in data and "&" not in data and "\u2028" not in data
    assert json.loads(data)["entries"][0][0].startswith("@misc{k,\n  title = {</script>")


def test_year_chart_counts_every_year_in_the_range() -> None:
    catalogue = catalogue_of(
        "@misc{a, year = 2001, keywords = {x}}\n@misc{b, year = 2003, keywords = {x, y}}\n"
        "@misc{c, year = 2003}\n@misc{d, title = {no year}}"
    )
    chart = year_chart(catalogue)
    assert chart.years == (2001, 2002, 2003)
    assert chart.all.counts == (1, 0, 2)
    assert (chart.all.peak, chart.all.peak_year, chart.undated) == (2, 2003, 1)
    assert [(s.label, s.counts) for s in chart.categories] == [("x", (1, 0, 1)), ("y", (0, 0, 1))]
    assert chart.category_peak == 1
    assert year_chart(catalogue, max_categories=1).categories == ()


def test_year_chart_of_nothing() -> None:
    chart = year_chart(catalogue_of("@misc{a, title = {T}}"))
    assert chart.years == () and chart.undated == 1


@pytest.fixture(scope="module")
def compression_page() -> tuple[Catalogue, str]:
    catalogue, outputs = build(COMPRESSION_BIB, ["html"])
    return catalogue, outputs[0].text


def test_page_carries_each_rows_bibtex(compression_page: tuple[Catalogue, str]) -> None:
    catalogue, page = compression_page
    document = lxml.html.document_fromstring(page)
    block = document.get_element_by_id("cite-data")
    assert block.get("type") == "application/json"
    data = json.loads(block.text)
    rows = document.xpath("//table[@id='catalogue-static']/tbody/tr")
    assert len(data["entries"]) == len(rows) == len(catalogue.entries) == 57
    for row, (text, _) in zip(rows, data["entries"], strict=True):
        assert text.startswith("@") and "{" + row.get("id") + "," in text
        assert "keywords" not in text  # [categories] chose them: they are bookkeeping
    assert check_page(page) == []


def test_page_is_in_the_size_range_of_its_bibtex(compression_page: tuple[Catalogue, str]) -> None:
    size = len(compression_page[1].encode("utf-8"))
    # per paper: its row, its BibTeX and its search data; once: the style, the script (about
    # 60 kB, with its comments), the chart and the first rows again, to be seen while loading
    assert size < 3 * COMPRESSION_BIB.stat().st_size + 120_000


def test_page_parts_hold_no_template_syntax() -> None:
    """The style and script are included into the template as they are; jinja must not read
    anything in them as its own."""
    for part in (builtin_templates() / "html").iterdir():
        text = part.read_text(encoding="utf-8")
        assert not re.search(r"\{\{|\{%|\{#", text), part.name


def test_page_script_builds_no_markup_from_data() -> None:
    """The script never turns data into markup or style: text goes in as text. The one markup
    it parses is the page's own rows, kept as text in <noscript> (escaped when the page was
    made), into an inert <template>; and it sets only sizes and its own custom properties."""
    scripts = {
        p.name: p.read_text(encoding="utf-8") for p in (builtin_templates() / "html").glob("*.js")
    }
    assert len(scripts) >= 5
    for name, script in scripts.items():
        for unsafe in ("outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function("):
            assert unsafe not in script, (name, unsafe)
        assert 'setAttribute("style"' not in script, name
        for line in script.splitlines():
            if "innerHTML" in line:
                assert name == "papers.js" and re.fullmatch(
                    r'\s*parser\.innerHTML = (parts\.join\(""\)|"");', line
                ), (name, line)
            if ".style." in line:
                assert re.search(r"\.style\.(height = |setProperty\(\"--)", line), (name, line)
    papers = scripts["papers.js"]
    assert 'var parser = document.createElement("template");' in papers
    assert 'byId("rows")' in papers and "rowMarkup.slice(" in papers


def test_template_works_for_a_catalogue_without_years_or_categories(tmp_path: Path) -> None:
    source = tmp_path / "plain.bib"
    source.write_text("@misc{a, title = {Only a title}}\n", encoding="utf-8")
    _, outputs = build(source, ["html"])
    page = outputs[0].text
    assert check_page(page) == []
    assert 'class="facets"' not in page and 'id="from"' not in page and "<svg" not in page
    assert '<strong id="shown">1</strong> of 1 paper</p>' in page
