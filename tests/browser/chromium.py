"""What the page tests watch for in Chromium: requests, dialogs and console errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page


@dataclass
class Watched:
    """What a page did that a user would not want: requests, dialogs, console errors."""

    page: Page
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, path: Path) -> Page:
        self.page.goto(path.resolve().as_uri())
        return self.page
