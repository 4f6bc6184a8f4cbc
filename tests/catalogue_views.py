"""Read a catalogue back out of each output format, as a reader would see its cells.

Used to compare outputs with the seed table cell by cell: the CSV through the csv module, the
Markdown through markdown-it-py (as GitHub renders it), the HTML through lxml.
"""

from __future__ import annotations

import csv
import io

import lxml.html
from markdown_it import MarkdownIt

from seedtable import SeedRow

CATEGORIES = ("Pruning", "Distillation", "Architecture", "Quantization, low-rank, etc.", "Other")


#: A row as shown has the seed's shape, so the two compare with ``==``.
Row = SeedRow


def rows_from_csv(text: str) -> list[Row]:
    records = list(csv.DictReader(io.StringIO(text, newline="")))
    return [
        Row(
            r["Year"],
            r["Author"],
            r["Title"],
            r["URL"],
            r["Venue"],
            {c: r[c] == "x" for c in CATEGORIES},
        )
        for r in records
    ]


def rows_from_markdown(text: str) -> list[Row]:
    html = MarkdownIt("commonmark").enable("table").render(text)
    return rows_from_html(html, table_xpath="//table")


def rows_from_html(html: str, table_xpath: str = "//table[@id='catalogue-static']") -> list[Row]:
    """The rows of a page's table as a reader sees them (the page's own: the one written for
    every paper, which scripting shows a window of): a title without its small links after it,
    a category marked when its cell is not empty."""
    document = lxml.html.document_fromstring(html)
    tables = document.xpath(table_xpath)
    assert len(tables) == 1, f"expected one catalogue table, found {len(tables)}"
    table = tables[0]
    headers = [" ".join(th.text_content().split()) for th in table.xpath("./thead/tr/th")]
    rows = []
    for tr in table.xpath("./tbody/tr"):
        cells = dict(zip(headers, tr.xpath("./td"), strict=True))
        for extra in cells["Title"].xpath(".//*[@class='links']"):
            extra.drop_tree()
        links = cells["Title"].xpath(".//a/@href")
        rows.append(
            Row(
                _text(cells["Year"]),
                _text(cells["Author"]),
                _text(cells["Title"]),
                str(links[0]) if links else "",
                _text(cells["Venue"]),
                {c: _text(cells[c]) != "" for c in CATEGORIES},
            )
        )
    return rows


def _text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())
