"""The live preview in Chromium: open pages follow the saves, keep the reader's view, show the
problems of a save that cannot be read, and find the server again after it was restarted.

The server is a real ``bib2table … --serve`` process on 127.0.0.1; the browser may reach that
server and nothing else (any other request is recorded and refused). Waits are for what the
reader would see, with generous bounds.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route, expect

from serving import Serving, bib, replace, wait_for
from toolkit import write

SECONDS = 20_000  # ms: the bound of every wait for the page


@dataclass
class Live:
    """A folder with ``refs.bib``, its preview server, and a browser context that reaches it."""

    folder: Path
    browser: Browser
    server: Serving | None = None
    context: BrowserContext | None = None
    errors: list[str] = field(default_factory=list)
    elsewhere: list[str] = field(default_factory=list)
    servers: list[Serving] = field(default_factory=list)

    @property
    def source(self) -> Path:
        return self.folder / "refs.bib"

    def start(self, *args: str, port: int = 0, built: bool = True) -> Serving:
        self.server = Serving(self.folder, "refs.bib", *args, port=port)
        self.servers.append(self.server)
        if built:
            self.server.wait_built()
        return self.server

    def open(self, url: str | None = None) -> Page:
        assert self.server is not None
        if self.context is None:
            self.context = self.browser.new_context(viewport={"width": 1100, "height": 700})
            self.context.route("**/*", self._route)
        page = self.context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.goto(url or self.server.url)
        page.evaluate("() => { window.before = true; }")
        return page

    def _route(self, route: Route) -> None:
        url = route.request.url
        if self.server is not None and url.startswith(
            (self.server.url, self.server.url.replace("127.0.0.1", "localhost"))
        ):
            route.continue_()
        else:
            self.elsewhere.append(url)
            route.abort()

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(message.text)

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
        for server in self.servers:
            server.close()


@pytest.fixture
def live(browser: Browser, tmp_path: Path) -> Iterator[Live]:
    one = Live(tmp_path, browser)
    yield one
    one.close()


def reloaded(page: Page) -> bool:
    """Whether the page is a new document since :meth:`Live.open` (it was reloaded)."""
    try:
        return bool(page.evaluate("() => window.before !== true"))
    except Exception:  # in the middle of the reload
        return False


def row(page: Page, key: str) -> Callable[[], str]:
    return lambda: page.locator(f"#{key}").inner_text()


def test_an_open_page_follows_the_saves(live: Live) -> None:
    write(live.source, bib(20))
    live.start()
    page = live.open()
    expect(page.locator("#paper1")).to_contain_text("Paper 1")
    live.source.write_text(bib(20, {1: "A title edited on disk"}), encoding="utf-8")
    expect(page.locator("#paper1")).to_contain_text("A title edited on disk", timeout=SECONDS)
    replace(live.source, bib(21, {1: "Saved by renaming"}))
    expect(page.locator("#paper1")).to_contain_text("Saved by renaming", timeout=SECONDS)
    expect(page.locator("#summary")).to_contain_text("21 of 21 papers")
    write(live.folder / "bib2table.toml", 'title = "Live"\n[categories]\npruning = "Cut"\n')
    expect(page.locator("h1")).to_have_text("Live", timeout=SECONDS)
    expect(page.locator(".facets")).to_contain_text("Cut")
    assert live.errors == []
    assert live.elsewhere == []


@pytest.mark.parametrize("in_place", [True, False], ids=["patched", "reloaded"])
def test_the_view_survives_an_update(live: Live, in_place: bool) -> None:
    """Filters, search, sort, scroll and the field being typed in are as they were: after an
    edited entry (shown in place), and after a new @string (the page reloads)."""
    write(live.source, bib(120))
    live.start()
    page = live.open()
    page.locator(".facets input[value='pruning']").check()
    page.locator("th:has-text('Year') button").click()  # newest first
    page.locator("#search").fill("Author")
    page.evaluate("() => window.scrollTo(0, 900)")
    page.wait_for_timeout(600)  # the page writes the view into the address after 250 ms

    def view() -> dict[str, object]:
        return page.evaluate(
            """() => ({
              url: location.href,
              y: Math.round(window.scrollY),
              search: document.getElementById("search").value,
              focused: document.activeElement && document.activeElement.id,
              checked: [...document.querySelectorAll(".facets input:checked")].map(b => b.value),
              sorted: [...document.querySelectorAll("th[aria-sort]")]
                .map(th => th.textContent.trim() + " " + th.getAttribute("aria-sort")),
              rows: [...document.querySelectorAll("#catalogue tbody tr[id]")].slice(0, 30)
                .map(tr => tr.id),
              top: document.elementFromPoint(innerWidth / 2, innerHeight / 2).closest("tr").id,
            })"""
        )

    before = view()
    assert before["y"] == 900
    assert before["checked"] == ["pruning"]
    assert before["focused"] == "search"
    assert "q=Author" in str(before["url"]) and "sort=-Year" in str(before["url"])
    assert before["rows"][0] in ("paper27", "paper57")  # pruning: 3, 6, …; 2017 first
    added = "" if in_place else '@string{x = "y"}\n'
    live.source.write_text(added + bib(120, {57: "Paper 57, edited"}), encoding="utf-8")
    expect(page.locator("#paper57")).to_contain_text("edited", timeout=SECONDS)
    assert reloaded(page) is not in_place
    after = view()
    assert after == before
    assert live.errors == []


def test_entries_edited_added_and_removed_are_shown_in_place(live: Live) -> None:
    """The papers change under the reader's view: the search, the checked category, the sort,
    the scroll position and an open BibTeX box stay; no reload, no new request for the page."""
    write(live.source, bib(90))
    live.start()
    page = live.open()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.locator(".facets input[value='distillation']").check()  # papers 1, 4, 7, …
    page.locator("th:has-text('Title') button").click()  # A to Z: Paper 1, Paper 10, …
    page.locator("#search").fill("Paper")
    page.locator("#paper4 .cite-toggle").click()
    expect(page.locator("pre.bibtex")).to_contain_text("@article{paper4")
    page.evaluate("() => window.scrollTo(0, 500)")
    page.wait_for_timeout(600)  # the page writes the view into the address after 250 ms

    def view() -> dict[str, object]:
        return page.evaluate(
            """() => ({
              url: location.href,
              y: Math.round(window.scrollY),
              search: document.getElementById("search").value,
              checked: [...document.querySelectorAll(".facets input:checked")].map(b => b.value),
              sorted: [...document.querySelectorAll("th[aria-sort]")]
                .map(th => th.textContent.trim() + " " + th.getAttribute("aria-sort")),
              open: [...document.querySelectorAll("tr.cite pre")].map(pre => pre.textContent),
            })"""
        )

    before = view()
    assert before["y"] == 500 and before["open"]
    edited = {4: "Paper 4, edited", 7: "Paper 7, edited"}
    text = bib(91, edited).replace(bib(91).split("\n\n")[9] + "\n", "")  # paper10 goes
    assert "paper10," not in text and "paper91," in text
    live.source.write_text(text, encoding="utf-8")
    expect(page.locator("#paper7")).to_contain_text("Paper 7, edited", timeout=SECONDS)
    expect(page.locator("#paper4")).to_contain_text("Paper 4, edited")
    expect(page.locator("#paper10")).to_have_count(0)
    expect(page.locator("#summary")).to_contain_text("of 90 papers")
    after = view()
    assert after["open"] and "Paper 4, edited" in str(after["open"][0])
    assert {**after, "open": None} == {**before, "open": None}
    assert not reloaded(page)
    assert not [url for url in asked if "/_bib2table/" not in url]  # the page was not loaded
    page.evaluate("() => window.scrollTo(0, 0)")
    page.locator("#search").fill('"Paper 91"')
    expect(page.locator("#paper91")).to_be_visible()
    expect(page.locator("#catalogue tbody tr[id]")).to_have_count(1)
    assert live.errors == []


def test_settings_and_strings_changed_reload_the_page(live: Live) -> None:
    write(live.source, bib(20))
    live.start()
    page = live.open()
    live.source.write_text('@string{x = "y"}\n' + bib(20, {2: "With a string"}), "utf-8")
    expect(page.locator("#paper2")).to_contain_text("With a string", timeout=SECONDS)
    assert reloaded(page)
    page.evaluate("() => { window.before = true; }")
    write(live.folder / "bib2table.toml", 'title = "Settled"\n')
    expect(page.locator("h1")).to_have_text("Settled", timeout=SECONDS)
    assert reloaded(page)
    page.evaluate("() => { window.before = true; }")
    live.source.write_text('@string{x = "y"}\n' + bib(20, {2: "In place"}), "utf-8")
    expect(page.locator("#paper2")).to_contain_text("In place", timeout=SECONDS)
    assert not reloaded(page)
    assert live.errors == []


def test_a_badge_tells_of_a_rebuild_under_way(live: Live) -> None:
    write(live.source, bib(2000))
    live.start("--no-cache")  # a rebuild of 2,000 entries then takes a good part of a second
    page = live.open()
    said: list[str] = []
    page.on("console", lambda message: said.append(message.text))
    page.evaluate(
        """() => new MutationObserver(() => {
             const badge = document.getElementById("bib2table-live-badge");
             if (badge) console.log("badge: " + badge.textContent);
           }).observe(document.body, { childList: true })"""
    )
    # A new @string is read again in full (an edited entry alone is shown in moments).
    live.source.write_text('@string{x = "y"}\n' + bib(2000, {1: "Rebuilt"}), encoding="utf-8")
    expect(page.locator("#paper1")).to_contain_text("Rebuilt", timeout=SECONDS)
    assert "badge: Rebuilding refs.bib\u2026" in said
    expect(page.locator("#bib2table-live-badge")).to_have_count(0)
    assert live.errors == []


def test_problems_show_over_the_last_good_catalogue_until_the_next_good_save(live: Live) -> None:
    write(live.source, bib(3))
    live.start()
    page = live.open()
    overlay = page.locator("#bib2table-live-overlay")
    expect(overlay).to_have_count(0)
    good = bib(3)
    broken_line = good.count("\n") + 2
    live.source.write_text(good + "\n@article{broken,\n  title = {Never closed\n", encoding="utf-8")
    expect(overlay).to_be_visible(timeout=SECONDS)
    expect(overlay).to_contain_text(f"refs.bib:{broken_line}")
    expect(overlay).to_contain_text("cannot be read")
    assert not reloaded(page), "the problems are shown over the page, which stays as it was"
    assert page.locator("#catalogue tbody tr[id]").count() == 3
    page.keyboard.press("Escape")
    expect(overlay).to_have_count(0)

    live.source.write_text(good + "\n@article{broken,\n  title = {Still open\n", encoding="utf-8")
    expect(overlay).to_be_visible(timeout=SECONDS)
    live.source.write_text(bib(4), encoding="utf-8")
    expect(page.locator("#paper4")).to_have_count(1, timeout=SECONDS)
    expect(overlay).to_have_count(0)
    assert live.errors == []


def test_a_page_opened_while_the_file_is_broken_shows_why(live: Live) -> None:
    write(live.source, "@article{first,\n  title = {Open\n")
    live.start(built=False)
    page = live.open()
    expect(page.locator("#bib2table-live-overlay")).to_contain_text("refs.bib:1")
    live.source.write_text(bib(2), encoding="utf-8")
    expect(page.locator("#paper2")).to_have_count(1, timeout=SECONDS)
    expect(page.locator("#bib2table-live-overlay")).to_have_count(0)
    assert live.errors == []


def test_entries_left_out_are_named_over_the_catalogue(live: Live) -> None:
    write(live.source, bib(3) + "\n@article{,\n  title = {No key},\n}\n")
    live.start()
    page = live.open()
    overlay = page.locator("#bib2table-live-overlay")
    expect(overlay).to_contain_text("cannot be read and are left out: 1 problem")
    expect(overlay).to_contain_text(f"refs.bib:{bib(3).count(chr(10)) + 2}")
    expect(page.locator("#paper3")).to_have_count(1)
    page.locator(".bib2table-live-close").click()
    expect(overlay).to_have_count(0)
    assert live.errors == []


def test_it_survives_deleting_truncating_and_replacing_the_input(live: Live) -> None:
    write(live.source, bib(3))
    live.start()
    page = live.open()
    overlay = page.locator("#bib2table-live-overlay")
    live.source.unlink()
    expect(overlay).to_contain_text("refs.bib", timeout=SECONDS)
    assert page.locator("#catalogue tbody tr[id]").count() == 3
    write(live.source, bib(4))
    expect(page.locator("#paper4")).to_have_count(1, timeout=SECONDS)
    expect(overlay).to_have_count(0)
    live.source.write_text("", encoding="utf-8")
    expect(overlay).to_contain_text("no entries", timeout=SECONDS)
    assert page.locator("#catalogue tbody tr[id]").count() == 4
    replace(live.source, bib(5))
    expect(page.locator("#paper5")).to_have_count(1, timeout=SECONDS)
    expect(overlay).to_have_count(0)
    assert live.errors == []


def test_several_tabs_follow_the_saves(live: Live) -> None:
    """More tabs than the browser opens connections to one server (six): all update."""
    write(live.source, bib(5))
    server = live.start()
    pages = [live.open() for _ in range(8)]
    pages.append(live.open(server.url.replace("127.0.0.1", "localhost")))
    for number in (1, 2):
        live.source.write_text(bib(5, {1: f"Edit {number}"}), encoding="utf-8")
        for page in pages:
            expect(page.locator("#paper1")).to_contain_text(f"Edit {number}", timeout=SECONDS)
    assert not any(reloaded(page) for page in pages)  # shown in place
    assert live.errors == []


def test_a_page_finds_the_server_again_after_a_restart(live: Live) -> None:
    write(live.source, bib(3))
    first = live.start()
    page = live.open()
    assert first.stop(signal.SIGTERM)[0] == 0
    live.source.write_text(bib(3, {1: "Edited while no server ran"}), encoding="utf-8")
    page.wait_for_timeout(1500)  # the page keeps asking, and is refused
    assert not reloaded(page)
    live.start(port=first.port)
    expect(page.locator("#paper1")).to_contain_text("Edited while no server ran", timeout=SECONDS)
    assert wait_for(lambda: reloaded(page))
    # What the browser says of each refused request, and nothing else.
    assert all(e.startswith("Failed to load resource: net::ERR_") for e in live.errors), live.errors
    assert live.elsewhere == []
