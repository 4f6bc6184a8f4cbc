"""Private fields are private in every output: the page (its table and each entry's BibTeX),
``--bib``, CSV, Markdown, and what a template sees of an entry. One list, from the reference
managers' own exports, extendable with ``private-fields``."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bib2table.bibtex.private import PRIVATE, PRIVATE_NAMES, PublicFields
from toolkit import bibtex, run, write

#: Private fields as the tools write them, each with a value found nowhere else.
PRIVATE_AS_WRITTEN = {
    "file": ":/home/keeper/Zotero/storage/ABCD/paper.pdf:application/pdf",  # Zotero, JabRef
    "pdf": "/home/keeper/papers/old-jabref.pdf",  # JabRef 2
    "ps": "/home/keeper/papers/old.ps",
    "Local-Url": "file://localhost/Users/keeper/Papers/x.pdf",  # BibDesk, Papers
    "Bdsk-File-1": "YnBsaXN0MDDUAQIDBAUGJCVYJHZlcnNpb24",  # BibDesk's alias data
    "bdsk-file-12": "YnBsaXN0MDDUAQIDBAUGJCVYJHZlcnNpb25",
    "annote": "Keeper's note: weak baseline, do not cite",  # Zotero, Mendeley notes
    "annotation": "Zotero note through Better BibLaTeX",
    "comment": "JabRef comment of the keeper",
    "comment-alice": "Alice's own JabRef comment",
    "owner": "keeper-login",
    "groups": "To read, Reviewing",
    "ranking": "rank3",
    "readstatus": "skimmed",
    "printed": "printed",
    "priority": "prio1",
    "qualityassured": "qualityAssured",
    "relevance": "relevant",
    "__markedentry": "[keeper:6]",
    "mendeley-tags": "personal-tag",
    "mendeley-groups": "Private group",
    "read": "Yes",
    "Rating": "4",
}
PUBLIC_AS_WRITTEN = {
    "bdsk-url-1": "https://example.org/paper-page",
    "timestamp": "2020-01-02",
    "note": "Public note",
}


def _secret(name: str) -> str:
    return f"SECRET{zlib.crc32(name.encode()):010d}"


def entry(private: dict[str, str], public: dict[str, str]) -> str:
    lines = [
        "@article{smith2020,",
        "  author = {Smith, Ann},",
        "  title = {A Public Title},",
        "  journal = {Journal},",
        "  year = {2020},",
        "  keywords = {alpha},",
    ]
    lines += [f"  {name} = {{{_secret(name)} {value}}}," for name, value in private.items()]
    lines += [f"  {name} = {{{value}}}," for name, value in public.items()]
    return "\n".join(lines) + "\n}\n"


DUMP = (
    "{% for e in catalogue.entries %}{% for name, value in e.fields.items() %}"
    "{{ name }}={{ value }}\n{% endfor %}{{ e.fields.get('file', 'none') }}"
    "{{ e.fields['annote'] is defined }}\n{% endfor %}"
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write(tmp_path / "refs.bib", entry(PRIVATE_AS_WRITTEN, PUBLIC_AS_WRITTEN))
    write(tmp_path / "dump.md.jinja2", DUMP)
    return tmp_path


def outputs(folder: Path, *extra: str) -> dict[str, str]:
    found = {}
    for name, args in {
        "html": ["--html"],
        "markdown": ["--md"],
        "csv": ["--csv"],
        "bib": ["--bib"],
        "template": ["--md", "--template", str(folder / "dump.md.jinja2")],
    }.items():
        result = run(folder / "refs.bib", *args, *extra)
        assert result.exit_code == 0, result.stderr
        found[name] = result.stdout
    return found


def test_no_private_field_reaches_any_output(folder: Path) -> None:
    for fmt, text in outputs(folder).items():
        for name in PRIVATE_AS_WRITTEN:
            assert _secret(name) not in text, f"{name} in {fmt}"
        assert "A Public Title" in text, fmt
    page = outputs(folder)["html"]
    for value in PUBLIC_AS_WRITTEN.values():
        assert value in page, "the page's BibTeX keeps what is not private"
    dump = outputs(folder)["template"]
    assert "bdsk-url-1=https://example.org/paper-page" in dump
    assert dump.rstrip().endswith("noneFalse"), "a template cannot reach a private field"


def test_the_bib_slice_is_still_proper_bibtex(folder: Path) -> None:
    sliced = write(folder / "slice.bib", outputs(folder)["bib"])
    said, items = bibtex(sliced)
    assert said == ""
    assert items == 1
    assert "bdsk-url-1 = {https://example.org/paper-page}" in sliced.read_text(encoding="utf-8")


def test_private_fields_setting_adds_to_the_list(folder: Path) -> None:
    write(folder / "bib2table.toml", 'private-fields = ["note", "Timestamp"]\n')
    for fmt, text in outputs(folder).items():
        assert "Public note" not in text, fmt
        assert "2020-01-02" not in text, fmt
        assert "https://example.org/paper-page" in text or fmt != "html"


def test_a_column_cannot_show_a_private_field(folder: Path) -> None:
    write(
        folder / "bib2table.toml",
        '[[columns]]\nlabel = "Title"\nfields = ["title"]\n\n'
        '[[columns]]\nlabel = "Notes"\nfields = ["note", "annote"]\n',
    )
    result = run(folder / "refs.bib", "--md")
    assert result.exit_code == 1
    assert "column 2 (Notes) shows the private field annote" in result.stderr
    assert _secret("annote") not in result.stdout + result.stderr


@pytest.mark.parametrize("sort", ["rating", "-Rating", "+annote"])
def test_sorting_by_a_private_field_is_refused(folder: Path, sort: str) -> None:
    write(folder / "bib2table.toml", f'sort = ["year", "{sort}"]\n')
    result = run(folder / "refs.bib", "--md")
    assert result.exit_code == 1
    assert f"sort uses the private field {sort.lstrip('-+')}" in result.stderr


def test_keyword_fields_are_categories_not_private(folder: Path) -> None:
    """JabRef keeps categories in ``groups``: named as keyword-fields, they make the columns."""
    write(folder / "bib2table.toml", 'keyword-fields = ["groups"]\n')
    result = run(folder / "refs.bib", "--csv")
    assert result.exit_code == 0, result.stderr
    header = result.stdout.splitlines()[0]
    assert "Reviewing" in header
    write(folder / "bib2table.toml", 'keyword-fields = ["groups"]\nprivate-fields = ["groups"]\n')
    result = run(folder / "refs.bib", "--csv")
    assert result.exit_code == 1
    assert "both in keyword-fields and in private-fields" in result.stderr


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from([*sorted(PRIVATE_NAMES), "bdsk-file-3", "comment-bob"]),
    case=st.lists(st.booleans(), min_size=20, max_size=20),
)
def test_any_spelling_of_a_private_name_is_private(name: str, case: list[bool]) -> None:
    spelled = "".join(c.upper() if up else c for c, up in zip(name, case * 2, strict=False))
    assert spelled in PRIVATE
    fields = PublicFields({spelled: "x", "title": "T"})
    assert list(fields) == ["title"]
    assert fields.get(spelled) == ""
    assert spelled not in fields


@pytest.mark.parametrize("name", ["title", "bdsk-url-1", "url", "filed", "profile", "commentary"])
def test_public_names_stay_public(name: str) -> None:
    assert name not in PRIVATE
