"""After any sequence of edits, a run with the cache writes what ``--no-cache`` writes.

Hypothesis edits a small bibliography step by step — titles changed, entries added, deleted,
moved and renamed, years, keywords and addresses changed, lines added to an entry or taken
from it, ``@string`` values changed (entries use them), the settings rewritten or removed — and
after every step compares the cached run's outputs and problems with a fresh run's, byte for
byte, in every format. ``BIB2TABLE_FUZZ_EXAMPLES`` asks for a longer search.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bib2table import build

EXAMPLES = int(os.environ.get("BIB2TABLE_FUZZ_EXAMPLES", "8"))
FORMATS = ["html", "markdown", "csv", "bib"]

WORDS = [
    "Pruning",
    '{\\"o}ptimal',
    "Nets",
    "{TeX}",
    "Deep",
    "caf{\\'e}",
    "A & B",
    "<b>x</b>",
    "日本語",
    "𝒜lgebras",
]
#: an entry's address: a web page, one that is not (a warning), a script (a warning)
URLS = ["https://example.org/x?a=1&b=2", "ftp://example.org/x", "javascript:alert(1)"]
KEYWORDS = ["pruning", "distillation", "fonts", "quantization"]
SETTINGS = [
    None,
    'title = "Edited"\n',
    '[categories]\npruning = "Pruning"\nfonts = "Fonts"\n',
    'sort = ["-year", "title"]\n',
    '[[columns]]\nlabel = "Title"\nfield = "title"\nlink = true\n\n'
    '[[columns]]\nlabel = "Journal"\nfield = "journal"\n',
]


@dataclass
class Bib:
    """A small bibliography that Hypothesis edits."""

    entries: list[dict[str, str]] = field(default_factory=list)
    strings: dict[str, str] = field(default_factory=lambda: {"jt": "Journal of Tests"})
    settings: str | None = None
    made: int = 0

    def add(self, at: int, title: str, keyword: str, year: int, macro: bool) -> None:
        self.made += 1
        entry = {
            "key": f"key{self.made}",
            "title": title,
            "year": str(year),
            "keywords": keyword,
            "url": f"https://example.org/{self.made}?a=1&b=2",
        }
        if macro:
            entry["journal"] = "@jt"
        self.entries.insert(at % (len(self.entries) + 1), entry)

    def text(self) -> str:
        lines = [f'@string{{{name} = "{value}"}}\n' for name, value in self.strings.items()]
        for entry in self.entries:
            fields = []
            for name, value in entry.items():
                if name == "key":
                    continue
                written = value[1:] if value.startswith("@") else "{" + value + "}"
                fields.append(f"  {name} = {written}")
            lines.append(f"@article{{{entry['key']},\n" + ",\n".join(fields) + "\n}\n")
        return "\n".join(lines)


titles = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)
edits = st.one_of(
    st.tuples(
        st.just("add"),
        st.integers(0, 20),
        titles,
        st.sampled_from(KEYWORDS),
        st.integers(1990, 2024),
        st.booleans(),
    ),
    st.tuples(st.just("retitle"), st.integers(0, 20), titles),
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("move"), st.integers(0, 20), st.integers(0, 20)),
    st.tuples(st.just("string"), st.sampled_from(["Journal of Tests", "Other {J}ournal", ""])),
    st.tuples(st.just("settings"), st.sampled_from(range(len(SETTINGS)))),
    st.tuples(st.just("keyword"), st.integers(0, 20), st.sampled_from(KEYWORDS)),
    st.tuples(st.just("rekey"), st.integers(0, 20)),
    st.tuples(st.just("lines"), st.integers(0, 20), st.integers(0, 3)),
    st.tuples(st.just("year"), st.integers(0, 20), st.integers(1990, 2030)),
    st.tuples(st.just("url"), st.integers(0, 20), st.sampled_from(URLS)),
)


def apply(bib: Bib, edit: tuple[object, ...]) -> None:
    kind, *args = edit
    entries = bib.entries
    if kind == "add":
        at, title, keyword, year, macro = args
        bib.add(int(at), str(title), str(keyword), int(year), bool(macro))  # type: ignore[call-overload]
    elif kind == "retitle" and entries:
        entries[int(args[0]) % len(entries)]["title"] = str(args[1])  # type: ignore[call-overload]
    elif kind == "delete" and entries:
        del entries[int(args[0]) % len(entries)]  # type: ignore[call-overload]
    elif kind == "move" and entries:
        entry = entries.pop(int(args[0]) % len(entries))  # type: ignore[call-overload]
        entries.insert(int(args[1]) % (len(entries) + 1), entry)  # type: ignore[call-overload]
    elif kind == "string":
        bib.strings["jt"] = str(args[0])
    elif kind == "settings":
        bib.settings = SETTINGS[int(args[0])]  # type: ignore[call-overload]
    elif kind == "keyword" and entries:
        entries[int(args[0]) % len(entries)]["keywords"] = str(args[1])  # type: ignore[call-overload]
    elif kind in ("rekey", "lines", "year", "url") and entries:
        entry = entries[int(args[0]) % len(entries)]  # type: ignore[call-overload]
        if kind == "rekey":
            bib.made += 1
            entry["key"] = f"key{bib.made}"
        elif kind == "lines":  # a note of that many lines (none: no note)
            entry.pop("note", None)
            if args[1]:
                entry["note"] = "\n    ".join(f"Line {n}." for n in range(int(args[1])))  # type: ignore[call-overload]
        else:
            entry[kind] = str(args[1])


def save(bib: Bib, source: Path) -> Path:
    """Write ``bib`` to ``source`` and its settings beside it (none: no settings file)."""
    source.write_text(bib.text(), encoding="utf-8")
    config = source.parent / "bib2table.toml"
    if bib.settings is None:
        config.unlink(missing_ok=True)
    else:
        config.write_text(bib.settings, encoding="utf-8")
    return source


def outputs(source: Path, cache: bool) -> tuple[list[str], list[str]]:
    catalogue, rendered = build(source, FORMATS, cache=cache)
    return [o.text for o in rendered], [str(p) for p in catalogue.problems]


def over_edit_sequences(
    starts: st.SearchStrategy[int], steps: st.SearchStrategy[tuple[object, ...]], most: int
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A test run by Hypothesis for a bibliography of ``start`` entries (drawn from ``starts``)
    and a sequence of one to ``most`` edits (``steps``): ``BIB2TABLE_FUZZ_EXAMPLES`` of them."""

    def decorate(test: Callable[..., None]) -> Callable[..., None]:
        chosen = settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        return chosen(given(start=starts, steps=st.lists(steps, min_size=1, max_size=most))(test))

    return decorate


@over_edit_sequences(st.integers(1, 6), edits, 6)
def test_cached_outputs_equal_fresh_ones_after_any_edits(
    tmp_path_factory: pytest.TempPathFactory, start: int, steps: list[tuple[object, ...]]
) -> None:
    folder = tmp_path_factory.mktemp("edits")
    os.environ["BIB2TABLE_CACHE_DIR"] = str(folder / "cache")
    source = folder / "refs.bib"
    bib = Bib()
    for n in range(start):
        bib.add(n, f"Paper {n}", KEYWORDS[n % len(KEYWORDS)], 2000 + n, n % 2 == 0)
    for edit in [("start",), *steps]:
        apply(bib, edit)
        save(bib, source)
        assert outputs(source, cache=True) == outputs(source, cache=False), edit
