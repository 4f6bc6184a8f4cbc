"""The copy of a page that ``--serve`` serves: the live preview's script and style added, and
the page's Content-Security-Policy widened for exactly them.

The page allows only its own inline style and script, by their hashes. The served copy adds
the hashes of ``html/livereload.js`` and ``html/livereload.css`` and ``connect-src 'self'`` (the
script asks the server for news), and nothing else; pages written to disk never carry either.
The preview's state (which build, which problems) goes in a JSON block, with ``<``, ``>`` and
``&`` escaped, so that text from a ``.bib`` in a problem's message stays data.
"""

from __future__ import annotations

import functools
import html
import json
import re

from bib2table.outputs.render import builtin_templates, csp_hash

#: The element holding the preview's state, read by the script.
STATE_ID = "bib2table-live"

_CSP_META = re.compile(
    r"<meta\b[^>]*?http-equiv\s*=\s*[\"']?content-security-policy[\"']?[^>]*>", re.IGNORECASE
)
_CONTENT = re.compile(r"""(\bcontent\s*=\s*)(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


@functools.cache
def assets() -> tuple[str, str]:
    """The preview's script and style sheet, as in ``templates/html/``."""
    folder = builtin_templates() / "html"
    script = (folder / "livereload.js").read_text(encoding="utf-8")
    style = (folder / "livereload.css").read_text(encoding="utf-8")
    return script, style


@functools.cache
def patcher() -> str:
    """The code that patches a page in place (``html/livepatch.js``)."""
    return (builtin_templates() / "html" / "livepatch.js").read_text(encoding="utf-8")


#: How the built-in page's own script ends (it is one function, run at once).
_SCRIPT_END = "})();\n"


def with_patcher(page: str, head_end: int) -> str:
    """``page`` with :func:`patcher` added at the end of its own script, inside it (where it
    sees the page's state), and the policy's hash of that script changed to match; the page
    as it was when its last script is not one the policy allows by its hash."""
    opening = page.rfind("<script>")
    closing = page.find("</script>", opening)
    if opening < head_end or closing < 0:
        return page
    script = page[opening + len("<script>") : closing]
    old = csp_hash(script).strip("'")  # the policy's quotes may be written &#39;
    if not script.endswith(_SCRIPT_END) or page.count(old, 0, head_end) != 1:
        return page
    patched = script[: -len(_SCRIPT_END)] + patcher() + _SCRIPT_END
    head = page[:head_end].replace(old, csp_hash(patched).strip("'"))
    return head + page[head_end:opening] + "<script>" + patched + page[closing:]


def split_page(page: str) -> tuple[str, str]:
    """``page`` with its policy widened and the preview's style and script added, cut in two
    where the state block goes (just before the script, at the end of the body)."""
    script, style = assets()
    head_end = page.find("</head>")
    if head_end < 0:
        head_end = min(len(page), 65536)
    page = with_patcher(page, head_end)
    allowed = {
        "script-src": csp_hash(script),
        "style-src": csp_hash(style),
        "connect-src": "'self'",
    }
    widened = _CSP_META.sub(lambda m: _widen_meta(m.group(0), allowed), page[:head_end])
    page = widened + page[head_end:]
    end = page.rfind("</body>")
    if end < 0:
        ends = [found.start() for found in _BODY_END.finditer(page)]
        end = ends[-1] if ends else len(page)
    return page[:end] + f"<style>{style}</style>", f"<script>{script}</script>" + page[end:]


def state_block(state: object) -> str:
    """The state as a JSON data block; never script, whatever the text in it."""
    text = json.dumps(state, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{STATE_ID}">{text}</script>'


def widen(policy: str, allowed: dict[str, str]) -> str:
    """The policy with each ``directive: source`` of ``allowed`` added; a directive that is
    missing but falls back on ``default-src`` is written out. A directive that already allows
    any inline code (``'unsafe-inline'`` without hashes) is left as it is."""
    directives = [part.split() for part in policy.split(";") if part.strip()]
    default = next((d[1:] for d in directives if d[0].lower() == "default-src"), None)
    present = {d[0].lower() for d in directives}
    result = []
    for directive in directives:
        name = directive[0].lower()
        base = name.removesuffix("-elem")
        if base in allowed:
            directive = [directive[0], *_add(directive[1:], allowed[base])]
        result.append(" ".join(directive))
    for name, source in allowed.items():
        if name not in present and default is not None:
            result.append(" ".join([name, *_add(default, source)]))
    return "; ".join(result)


def _add(sources: list[str], source: str) -> list[str]:
    lowered = [s.lower() for s in sources]
    if "*" in lowered and source == "'self'":
        return sources
    if "'unsafe-inline'" in lowered and not any(s.startswith(("'sha", "'nonce-")) for s in lowered):
        return sources
    kept = [s for s in sources if s.lower() != "'none'"]
    return kept if source in kept else [*kept, source]


def _widen_meta(tag: str, allowed: dict[str, str]) -> str:
    found = _CONTENT.search(tag)
    if found is None:
        return tag
    value = html.unescape(found.group(2) if found.group(2) is not None else found.group(3))
    attribute = f'{found.group(1)}"{html.escape(widen(value, allowed), quote=True)}"'
    return tag[: found.start()] + attribute + tag[found.end() :]
