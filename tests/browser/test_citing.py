"""Citing from the page in Chromium: each row's BibTeX, its links, the copy button, permalinks."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from chromium import Watched
from pages import PAPER_ROWS, address, column, make_page
from playwright.sync_api import Locator, Page, expect

from bib2table.outputs.render import anchor

BIB = r"""@string{jcn = "Journal of Computing Nonsense"}

@article{doionly,
  author  = {Doe, Jane},
  title   = {Only a {DOI}},
  journal = jcn,
  year    = 2020,
  month   = mar,
  doi     = {10.1234/abc.def(1)},
  file    = {:/home/jane/doionly.pdf:PDF},
  groups  = {to read},
  mendeley-tags = {secret},
  abstract = {A long abstract.},
  keywords = {alpha, beta},
}

@misc(arxivonly,
  author = "Roe, Richard",
  title = "Only an arXiv id",
  eprint = "2101.00001",
  eprinttype = {arxiv},
  year = 2021
)

@misc{webonly,
  title = {Only a web page},
  url = {https://example.org/paper?id=1&x=%20},
  year = 2019,
  keywords = {gamma}
}

@misc{nolinks,
  title = {No link at all</script><script>alert("bibtex")</script>},
  url = {ftp://example.org/file},
  note = {javascript:alert("note")},
  year = 2018
}
"""

SETTINGS = """title = "Citing"
[categories]
alpha = "Alpha"
gamma = "Gamma"
"""

STRING = "@string{jcn = {Journal of Computing Nonsense}}"
DOIONLY = """@article{doionly,
  author  = {Doe, Jane},
  title   = {Only a {DOI}},
  journal = jcn,
  year    = 2020,
  month   = mar,
  doi     = {10.1234/abc.def(1)},
}"""


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_page(tmp_path_factory.mktemp("citing"), BIB, SETTINGS)


def row(page: Page, key: str) -> Locator:
    return page.locator(f"#{key}")


def open_bibtex(page: Page, key: str) -> Locator:
    """Press the row's BibTeX button; the entry shows in the row below it."""
    row(page, key).get_by_role("button", name="BibTeX").click()
    detail = page.locator(f"#{key} + tr.cite")
    assert detail.is_visible()
    return detail


def test_bibtex_as_written_without_private_fields(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    button = row(page, "doionly").get_by_role("button", name="BibTeX")
    assert button.get_attribute("aria-expanded") == "false"
    detail = open_bibtex(page, "doionly")
    assert button.get_attribute("aria-expanded") == "true"
    assert detail.locator("pre").first.inner_text() == DOIONLY
    macros = detail.locator("details")
    assert macros.locator("summary").inner_text() == "Uses 1 @string macro (copied with the entry)"
    assert not macros.locator("pre").is_visible()
    macros.locator("summary").click()
    assert macros.locator("pre").inner_text() == STRING
    button.click()
    assert page.locator("tr.cite").count() == 0
    assert button.get_attribute("aria-expanded") == "false"


def test_a_row_keeps_its_cells_while_its_bibtex_shows(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    before = [column(page, i) for i in range(6)]
    open_bibtex(page, "doionly")
    open_bibtex(page, "webonly")
    assert [column(page, i) for i in range(6)] == before
    title = row(page, "doionly").locator("td").nth(2)
    assert title.get_by_role("link").first.inner_text() == "Only a DOI"


def test_links_for_doi_arxiv_and_web(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)

    def links(key: str) -> list[tuple[str, str | None]]:
        detail = open_bibtex(page, key)
        return [(a.inner_text(), a.get_attribute("href")) for a in detail.locator("a").all()]

    assert links("doionly") == [
        ("DOI 10.1234/abc.def(1)", "https://doi.org/10.1234/abc.def(1)"),
        ("Link to this entry", "#doionly"),
    ]
    assert links("arxivonly") == [
        ("arXiv 2101.00001", "https://arxiv.org/abs/2101.00001"),
        ("Link to this entry", "#arxivonly"),
    ]
    assert links("webonly")[0] == (
        "https://example.org/paper?id=1&x=%20",
        "https://example.org/paper?id=1&x=%20",
    )
    assert links("nolinks") == [("Link to this entry", "#nolinks")]
    # the title links to the DOI or arXiv page when there is no url
    title = row(page, "doionly").get_by_role("link", name="Only a DOI")
    assert title.get_attribute("href") == "https://doi.org/10.1234/abc.def(1)"


def test_each_row_links_its_doi_arxiv_and_web_page(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)

    def small(key: str) -> list[tuple[str, str | None]]:
        found = row(page, key).locator(".links a")
        return [(a.inner_text(), a.get_attribute("href")) for a in found.all()]

    assert small("doionly") == [("DOI", "https://doi.org/10.1234/abc.def(1)")]
    assert small("arxivonly") == [("arXiv", "https://arxiv.org/abs/2101.00001")]
    assert small("webonly") == [("Web", "https://example.org/paper?id=1&x=%20")]
    assert small("nolinks") == []


def test_each_bibtex_button_is_named_for_its_paper(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    names = page.locator(".cite-toggle").evaluate_all(
        "bs => bs.map(b => b.getAttribute('aria-label'))"
    )
    assert names == [
        "BibTeX of \u201cOnly a DOI\u201d",
        "BibTeX of \u201cOnly an arXiv id\u201d",
        "BibTeX of \u201cOnly a web page\u201d",
        'BibTeX of \u201cNo link at all</script><script>alert("bibtex")</script>\u201d',
    ]
    for name in names:
        assert page.get_by_role("button", name=name, exact=True).inner_text() == "BibTeX"
    detail = open_bibtex(page, "webonly")
    copy = detail.get_by_role("button", name="Copy BibTeX of \u201cOnly a web page\u201d")
    assert copy.inner_text() == "Copy BibTeX"


def test_a_second_copy_is_announced_too(watched: Watched, page_file: Path) -> None:
    page = watched.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    watched.open(page_file)
    detail = open_bibtex(page, "webonly")
    status = detail.get_by_role("status")
    status.evaluate(
        """s => { window.said = [];
          new MutationObserver(() => window.said.push(s.textContent))
            .observe(s, { childList: true, characterData: true, subtree: true }); }"""
    )
    for _ in range(2):
        detail.get_by_role("button", name="Copy BibTeX").click()
        expect(status).to_have_text("Copied")
    # emptied in between: the status changes each time, so screen readers say it again
    assert page.evaluate("window.said")[-3:] == ["Copied", "", "Copied"]


def test_copy_button_puts_the_bibtex_on_the_clipboard(watched: Watched, page_file: Path) -> None:
    page = watched.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    watched.open(page_file)
    detail = open_bibtex(page, "doionly")
    detail.get_by_role("button", name="Copy BibTeX").click()
    expect(detail.get_by_role("status")).to_have_text("Copied")  # the clipboard answers later
    assert page.evaluate("navigator.clipboard.readText()") == STRING + "\n\n" + DOIONLY


def test_bibtex_opens_from_the_keyboard(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    row(page, "arxivonly").get_by_role("link", name="arXiv", exact=True).focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.locator("#arxivonly + tr.cite pre").inner_text().startswith("@misc(arxivonly,")


def test_open_bibtex_follows_its_row(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    open_bibtex(page, "arxivonly")
    page.get_by_role("button", name="Year").click()
    assert page.locator("#arxivonly + tr.cite").is_visible()
    assert column(page, 0) == ["2021", "2020", "2019", "2018"]
    page.locator("#search").fill("doe")
    assert page.locator("tr.cite").count() == 0  # its row is filtered out, so is its BibTeX
    page.locator("#search").fill("")
    assert page.locator("#arxivonly + tr.cite").is_visible()


def test_permalink_in_the_bibtex(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    detail = open_bibtex(page, "webonly")
    detail.get_by_role("link", name="Link to this entry").click()
    expect(row(page, "webonly")).to_have_class("target")  # marked when the address changes
    assert address(page).endswith("#webonly")


def test_hostile_bibtex_is_text(watched: Watched, page_file: Path) -> None:
    page = watched.open(page_file)
    text = open_bibtex(page, "nolinks").locator("pre").inner_text()
    assert open_bibtex(page, "webonly").locator("details").count() == 0  # no macros used
    assert '</script><script>alert("bibtex")</script>' in text
    assert 'note = {javascript:alert("note")}' in text
    assert page.locator(PAPER_ROWS).count() == 4
    assert watched.dialogs == []
    assert watched.errors == []
    assert watched.requests == []


def test_links_to_entries_whose_keys_need_escaping(watched: Watched, tmp_path: Path) -> None:
    """Keys with spaces or a ~ get ids of their own (render.py's anchor); the page finds each
    entry by its anchor and links to it by the same."""
    keys = ["a b", "a-b", "a~b", "a~20~b", "a\tb"]
    bib = "".join(f"@misc{{{k}, title={{T{n}}}, year=2001}}\n" for n, k in enumerate(keys))
    page_file = make_page(tmp_path, bib)
    page = watched.page
    for n, key in enumerate(keys):
        page.goto(page_file.resolve().as_uri() + "#" + anchor(key))
        row = page.locator("tr.target")
        assert row.count() == 1
        assert row.get_attribute("id") == anchor(key)
        assert row.locator("td").nth(2).get_by_role("link").count() == 0
        assert f"T{n}" in row.inner_text()
        row.get_by_role("button", name="BibTeX").click()
        link = page.locator("tr.cite").get_by_role("link", name="Link to this entry")
        assert link.get_attribute("href") == "#" + quote(anchor(key), safe="-_.!~*'()")
        row.get_by_role("button", name="BibTeX").click()
    assert watched.errors == []
