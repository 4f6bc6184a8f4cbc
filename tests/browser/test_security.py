"""Pages made from hostile .bib files, opened in Chromium: no dialog, no script, no request."""

from __future__ import annotations

from pathlib import Path

import pytest
from chromium import Watched

from bib2table import build
from bib2table.outputs.write import write_outputs

HOSTILE = r"""
@string{evil = "<img src=x onerror=alert('string')>"}
@preamble{ "<script>alert('preamble')</script>" }
@misc{xss1,
  title = {<script>alert('title')</script>},
  author = {<img src=x onerror=alert('author')>, Eve},
  url = {javascript:alert('url')},
  keywords = {<svg onload=alert('kw')>, pruning},
  note = evil,
}
@misc{xss2"><img/src=x/onerror=alert('key')>,
  title = {"><script>alert('attr')</script>},
  url = {JaVaScRiPt:alert('case')},
  doi = {10.1000/"><script>alert('doi')</script>},
}
@misc{xss3,
  title = {\href{javascript:alert('href')}{click me}},
  url = {data:text/html;base64,PHNjcmlwdD5hbGVydCgnZGF0YScpPC9zY3JpcHQ+},
  howpublished = {\url{javascript:alert('url-macro')}},
}
@misc{xss4,
  title = {</script><script>alert('json')</script><!--},
  url = {https://example.org/" onmouseover="alert('quote')},
  abstract = {]]><script>alert('cdata')</script>},
  file = {:/home/alice/secret.pdf:application/pdf},
}
@misc{xss5,
  title = {Loads a tracker \url{https://tracker.example/pixel.gif}},
  url = {https://tracker.example/paper},
}
"""


@pytest.fixture(scope="module")
def hostile_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    source = folder / "hostile.bib"
    source.write_text(HOSTILE, encoding="utf-8")
    _, outputs = build(source, ["html"], cache=False)
    page = folder / "hostile.html"
    write_outputs({page: outputs[0].text})
    return page


def test_hostile_page_runs_no_script_and_makes_no_request(
    watched: Watched, hostile_page: Path
) -> None:
    page = watched.open(hostile_page)
    page.wait_for_load_state("load")
    page.mouse.move(200, 300)
    for link in page.locator("a").all():
        link.hover()
    assert watched.dialogs == []
    assert watched.requests == []
    assert page.locator("#catalogue tbody tr[id]").count() == 5
    assert "alert" not in " ".join(watched.errors)


def test_hostile_text_is_shown_as_text(watched: Watched, hostile_page: Path) -> None:
    page = watched.open(hostile_page)
    table = page.locator("#catalogue")
    assert table.get_by_text("<script>alert('title')</script>").count() >= 1
    assert page.locator("#catalogue img, #catalogue svg[onload]").count() == 0
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    assert all(h.startswith(("https:", "http:", "file:")) for h in hrefs), hrefs
    assert "secret.pdf" not in page.content()


def test_hostile_entry_permalink_is_safe(watched: Watched, hostile_page: Path) -> None:
    page = watched.page
    page.goto(
        hostile_page.resolve().as_uri() + "#xss2%22%3E%3Cimg%20src=x%20onerror=alert('key')%3E"
    )
    page.wait_for_load_state("load")
    assert watched.dialogs == []
    assert watched.requests == []
