"""GitHub's Markdown renderer, for tests of what a README shows on GitHub.

``cmark-gfm`` (Debian's package of that name, which ``scripts/test`` installs) is the renderer
GitHub uses, with the extensions GitHub turns on: tables, autolinks, strikethrough and the
filter of unsafe HTML tags. Raw HTML is rendered (``--unsafe``), as GitHub does before its
sanitiser, so that any markup a text lets through shows up as an element.
"""

from __future__ import annotations

import shutil
import subprocess

import lxml.html

EXTENSIONS = ("table", "autolink", "strikethrough", "tagfilter")


def render(markdown: str) -> str:
    """The HTML GitHub makes of ``markdown``."""
    program = shutil.which("cmark-gfm")
    assert program is not None, "cmark-gfm is not on PATH; install Debian's cmark-gfm"
    command = [program, "--unsafe"]
    for extension in EXTENSIONS:
        command += ["--extension", extension]
    result = subprocess.run(
        command, input=markdown, capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout


def document(markdown: str) -> lxml.html.HtmlElement:
    """The rendered Markdown, parsed, under one ``<div>``."""
    return lxml.html.fragment_fromstring(render(markdown), create_parent="div")
