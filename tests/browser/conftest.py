"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, for the page tests.

Every page is opened from ``file://`` with the network cut: any request that is not for a local
file is recorded and aborted, and the tests assert there were none. On failure a screenshot is
saved under ``$BIB2TABLE_ARTIFACTS`` (default: pytest's temporary folder) and its path printed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import Watched
from generated import PAPERS, Paper, synthetic_bib
from pages import make_page
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Request, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from bib2table import build
from bib2table.outputs.write import write_outputs

CHROMIUM = os.environ.get("BIB2TABLE_CHROMIUM", "/usr/bin/chromium")
#: axe-core, the accessibility checker, as scripts/test installs it (npm, a pinned version).
AXE = Path(
    os.environ.get("BIB2TABLE_AXE")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "bib2table-tests/npm/node_modules/axe-core/axe.min.js"
)
ROOT = Path(__file__).resolve().parents[2]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "browser" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.stash[_FAILED] = report.failed


_FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page of this repository's own catalogue, compression.bib."""
    _, outputs = build(ROOT / "compression.bib", ["html"])
    path = tmp_path_factory.mktemp("page") / "compression.html"
    write_outputs({path: outputs[0].text})
    return path


@pytest.fixture(scope="session")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Paper]]:
    """The page of a generated catalogue of 5,000 papers, and what each paper holds."""
    bib, papers = synthetic_bib(PAPERS)
    return make_page(tmp_path_factory.mktemp("large"), bib, name="large"), papers


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script, injected into pages by the accessibility tests only."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} not found: run scripts/test (it installs axe-core with npm)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def watched(
    browser: Browser, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    seen = Watched(page)

    def route(route_request: object) -> None:
        req = route_request.request  # type: ignore[attr-defined]
        if req.url.startswith("file://"):
            route_request.continue_()  # type: ignore[attr-defined]
        else:
            seen.requests.append(req.url)
            route_request.abort()  # type: ignore[attr-defined]

    def on_dialog(dialog: Dialog) -> None:
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            seen.errors.append(message.text)

    def on_request(req: Request) -> None:
        if not req.url.startswith(("file://", "data:", "about:")) and req.url not in seen.requests:
            seen.requests.append(req.url)

    context.route("**/*", route)
    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: seen.errors.append(str(exc)))
    page.on("request", on_request)
    yield seen
    if request.node.stash.get(_FAILED, False):
        folder = Path(os.environ.get("BIB2TABLE_ARTIFACTS") or tmp_path_factory.mktemp("shots"))
        folder.mkdir(parents=True, exist_ok=True)
        shot = folder / f"{request.node.name}.png"
        try:
            page.screenshot(path=str(shot))
            print(f"screenshot of the failing page: {shot}")
        except PlaywrightError as exc:
            print(f"no screenshot of the failing page: {exc}")
    context.close()
