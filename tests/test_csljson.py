"""``--json``: the catalogue as CSL-JSON, checked against the official CSL-JSON schema.

The schema is the Citation Style Language project's ``csl-data.json`` (in tests/data/csl/,
with its licence); every output here must validate against it with jsonschema.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bib2table import build
from paths import COMPRESSION_BIB, REPO
from toolkit import run, write

SCHEMA = json.loads((REPO / "tests/data/csl/csl-data.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
DATA = REPO / "tests" / "data"
CORPUS = os.environ.get("BIB2TABLE_CORPUS", "")


def csl(bib: Path) -> Any:
    _, (output,) = build(bib, ["json"], cache=False)
    data = json.loads(output.text)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(data)]
    assert errors == []
    return data


def one(tmp_path: Path, entry: str) -> dict[str, Any]:
    (item,) = csl(write(tmp_path / "refs.bib", entry))
    return dict(item)


def test_the_schema_itself_is_a_valid_schema() -> None:
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    assert SCHEMA["items"]["additionalProperties"] is False  # the check is strict


def test_the_validator_catches_a_wrong_item() -> None:
    wrong = [{"id": "k", "type": "inproceedings", "author": [{"last": "Han"}]}]
    assert len(list(VALIDATOR.iter_errors(wrong))) == 2


def test_compression_catalogue_validates(tmp_path: Path) -> None:
    items = csl(COMPRESSION_BIB)
    assert len(items) == 57
    assert [i["id"] for i in items][:2] == ["lecun1990optimal", "howard2017mobilenets"]
    first = items[0]
    assert first["type"] == "paper-conference"
    assert first["title"] == "Optimal Brain Damage"
    assert first["author"][0] == {"family": "Le Cun", "given": "Yann"}
    assert first["issued"] == {"date-parts": [[1990]]}
    assert first["container-title"] == "Advances in Neural Information Processing Systems"
    assert first["container-title-short"] == "NIPS"
    assert first["custom"]["bib2table"] == {
        "categories": ["Pruning"],
        "links": [{"kind": "PDF", "href": "http://yann.lecun.com/exdb/publis/pdf/lecun-90b.pdf"}],
    }


@pytest.mark.parametrize(
    "path",
    sorted([*(DATA / "texlive").glob("*.bib"), *(DATA / "exports").glob("*.bib")]),
    ids=lambda p: p.name,
)
def test_real_bibliographies_validate(path: Path) -> None:
    catalogue, _ = build(path, ["html"], cache=False)
    assert len(csl(path)) == len(catalogue.entries) > 0


def corpus_files() -> list[Path]:
    if not CORPUS:
        return []
    files = sorted(Path(CORPUS).rglob("*.bib"))
    if os.environ.get("BIB2TABLE_SLOW"):
        return files
    chosen = {"biblatex-examples.bib", "xampl.bib", "jurabib.bib", "apa.bib"}
    return [f for f in files if f.name in chosen]


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_bibliographies_validate(path: Path) -> None:
    """A few of Debian's texlive-bibtex-extra files; all 109 with BIB2TABLE_SLOW=1."""
    catalogue, _ = build(path, ["csv"], cache=False)
    assert len(csl(path)) == len(catalogue.entries)


@pytest.mark.parametrize(
    ("bibtex", "csl_type"),
    [
        ("article", "article-journal"),
        ("book", "book"),
        ("booklet", "pamphlet"),
        ("inbook", "chapter"),
        ("incollection", "chapter"),
        ("inproceedings", "paper-conference"),
        ("conference", "paper-conference"),
        ("manual", "book"),
        ("mastersthesis", "thesis"),
        ("phdthesis", "thesis"),
        ("proceedings", "book"),
        ("techreport", "report"),
        ("unpublished", "manuscript"),
        ("misc", "document"),
        ("online", "webpage"),
        ("report", "report"),
        ("thesis", "thesis"),
        ("collection", "book"),
        ("inreference", "entry-encyclopedia"),
        ("software", "software"),
        ("dataset", "dataset"),
        ("patent", "patent"),
        ("something", "document"),
    ],
)
def test_entry_types(tmp_path: Path, bibtex: str, csl_type: str) -> None:
    assert one(tmp_path, f"@{bibtex}{{k, title = {{T}}}}")["type"] == csl_type


def test_an_arxiv_misc_is_a_preprint(tmp_path: Path) -> None:
    item = one(tmp_path, "@misc{k, title = {T}, eprint = {1510.00149}, archiveprefix = {arXiv}}")
    assert item["type"] == "article"
    assert item["URL"] == "https://arxiv.org/abs/1510.00149"
    assert item["custom"]["bib2table"]["links"] == [
        {"kind": "arXiv", "href": "https://arxiv.org/abs/1510.00149"}
    ]


def test_names_in_their_parts(tmp_path: Path) -> None:
    item = one(
        tmp_path,
        "@book{k, title = {T}, author = {van der Berg, Jr, Jan and Ludwig van Beethoven and"
        ' {World Health Organization} and M{\\"u}ller, J{\\"o}rg and family=Maaten, given=Laurens,'
        " prefix=van der and others}, editor = {Knuth, Donald E.}}",
    )
    assert item["author"] == [
        {"family": "Berg", "given": "Jan", "non-dropping-particle": "van der", "suffix": "Jr"},
        {"family": "Beethoven", "given": "Ludwig", "non-dropping-particle": "van"},
        {"literal": "World Health Organization"},
        {"family": "Müller", "given": "Jörg"},
        {"family": "Maaten", "given": "Laurens", "non-dropping-particle": "van der"},
    ]
    assert item["editor"] == [{"family": "Knuth", "given": "Donald E."}]


def test_a_name_bibtex_cannot_read_is_a_literal(tmp_path: Path) -> None:
    item = one(tmp_path, "@misc{k, author = {One, Two, Three, Four}}")
    assert item["author"] == [{"literal": "One, Two, Three, Four"}]


@pytest.mark.parametrize(
    ("fields", "issued"),
    [
        ("year = 2019", {"date-parts": [[2019]]}),
        ("year = 2019, month = may", {"date-parts": [[2019, 5]]}),
        ("year = 2019, month = {Sept.}, day = 3", {"date-parts": [[2019, 9, 3]]}),
        ("year = 2019, month = 11", {"date-parts": [[2019, 11]]}),
        ("year = 2019, month = {Spring}", {"date-parts": [[2019]]}),
        ("date = {2006-09-13}", {"date-parts": [[2006, 9, 13]]}),
        ("date = {1998-05/2001}", {"date-parts": [[1998, 5], [2001]]}),
        ("date = {2019-13}, year = 2019", {"date-parts": [[2019]]}),
        ("date = {circa 1850}", {"literal": "circa 1850"}),
        ("year = {in press}", {"literal": "in press"}),
        ("year = {1990--1991}", {"date-parts": [[1990], [1991]]}),
        ("title = {no date}", None),
    ],
)
def test_issued(tmp_path: Path, fields: str, issued: dict[str, Any] | None) -> None:
    item = one(tmp_path, f"@article{{k, {fields}}}")
    assert item.get("issued") == issued


def test_fields_become_csl_variables(tmp_path: Path) -> None:
    item = one(
        tmp_path,
        "@inproceedings{k, title = {A {GPU} Study of {\\LaTeX}}, booktitle = {Proc. of X},"
        " venue = {X'19}, volume = 3, number = 2, pages = {10--20}, publisher = {ACM},"
        " address = {New York}, series = {LNCS}, edition = {2nd}, isbn = {978-3-16-148410-0},"
        " doi = {https://doi.org/10.1145/3.4}, url = {https://example.org/p},"
        " shorttitle = {GPU}, note = {Best paper}, langid = {english},"
        " keywords = {gpu}, abstract = {Long text}, file = {/home/me/p.pdf}}",
    )
    assert item == {
        "id": "k",
        "citation-key": "k",
        "type": "paper-conference",
        "title": "A GPU Study of LaTeX",
        "container-title": "Proc. of X",
        "container-title-short": "X'19",
        "number": "2",
        "title-short": "GPU",
        "collection-title": "LNCS",
        "volume": "3",
        "page": "10–20",
        "edition": "2nd",
        "publisher-place": "New York",
        "ISBN": "978-3-16-148410-0",
        "language": "english",
        "note": "Best paper",
        "publisher": "ACM",
        "DOI": "10.1145/3.4",
        "URL": "https://example.org/p",
        "custom": {
            "bib2table": {
                "categories": ["gpu"],
                "links": [
                    {"kind": "URL", "href": "https://example.org/p"},
                    {"kind": "DOI", "href": "https://doi.org/10.1145/3.4"},
                ],
            }
        },
    }


@pytest.mark.parametrize(
    ("entry", "genre"),
    [
        ("@phdthesis{k, school = {MIT}}", "PhD thesis"),
        ("@mastersthesis{k, school = {MIT}}", "Master's thesis"),
        ("@thesis{k, type = {phdthesis}, institution = {MIT}}", "PhD thesis"),
        ("@techreport{k, type = {White paper}, institution = {MIT}}", "White paper"),
    ],
)
def test_theses_and_reports(tmp_path: Path, entry: str, genre: str) -> None:
    item = one(tmp_path, entry)
    assert item["genre"] == genre
    assert item["publisher"] == "MIT"


def test_an_article_number_is_its_issue(tmp_path: Path) -> None:
    item = one(tmp_path, "@article{k, journal = {J}, volume = 9, number = 4}")
    assert (item["container-title"], item["volume"], item["issue"]) == ("J", "9", "4")


def test_unsafe_urls_are_left_out(tmp_path: Path) -> None:
    item = one(tmp_path, "@misc{k, url = {javascript:alert(1)}, code = {file:///etc/passwd}}")
    assert "URL" not in item
    assert item["custom"]["bib2table"]["links"] == []


def test_code_links_from_the_settings(tmp_path: Path) -> None:
    write(tmp_path / "bib2table.toml", 'code-fields = ["github"]\n')
    item = one(tmp_path, "@misc{k, github = {https://github.com/a/b}}")
    assert item["custom"]["bib2table"]["links"] == [
        {"kind": "Code", "href": "https://github.com/a/b"}
    ]


def test_the_catalogue_shape(tmp_path: Path) -> None:
    folder = tmp_path / "list"
    folder.mkdir()
    (folder / "compression.bib").write_bytes(COMPRESSION_BIB.read_bytes())
    settings = (REPO / "bib2table.toml").read_text(encoding="utf-8")
    write(folder / "bib2table.toml", 'json-shape = "catalogue"\n' + settings)
    _, (output,) = build(folder / "compression.bib", ["json"], cache=False)
    data = json.loads(output.text)
    assert list(data) == ["title", "categories", "items"]
    assert data["title"] == "Model Compression"
    assert data["categories"][3] == {
        "label": "Quantization, low-rank, etc.",
        "keywords": ["quantization", "low-rank"],
        "count": 1,
    }
    assert [c["count"] for c in data["categories"]] == [25, 17, 8, 1, 8]
    assert list(VALIDATOR.iter_errors(data["items"])) == []
    assert len(data["items"]) == 57


def test_json_option_with_out_dir_and_selection(tmp_path: Path) -> None:
    bib = write(tmp_path / "refs.bib", COMPRESSION_BIB.read_text(encoding="utf-8"))
    (tmp_path / "bib2table.toml").write_bytes((REPO / "bib2table.toml").read_bytes())
    result = run(bib, "--json", "--html", "--out-dir", tmp_path / "site", "--category", "pruning")
    assert result.exit_code == 0, result.stderr
    data = json.loads((tmp_path / "site" / "refs.json").read_text(encoding="utf-8"))
    assert len(data) == 25
    assert all("Pruning" in i["custom"]["bib2table"]["categories"] for i in data)
    assert (tmp_path / "site" / "refs.html").exists()


def test_json_to_standard_output_is_deterministic(tmp_path: Path) -> None:
    first = run(COMPRESSION_BIB, "--json", "--no-cache")
    second = run(COMPRESSION_BIB, "--json")
    assert first.exit_code == 0
    assert first.stdout_bytes == second.stdout_bytes
    assert first.stdout.endswith("]\n")


def test_bad_json_shape(tmp_path: Path) -> None:
    bib = write(tmp_path / "refs.bib", "@misc{k}")
    write(tmp_path / "bib2table.toml", 'json-shape = "hugo"\n')
    result = run(bib, "--json")
    assert result.exit_code == 1
    assert "json-shape must be one of 'csl', 'catalogue'" in result.stderr


def test_a_template_of_your_own_gets_the_items(tmp_path: Path) -> None:
    template = write(
        tmp_path / "titles.json.jinja2",
        "{{ catalogue|csl_items|map(attribute='title')|list|tojson }}",
    )
    result = run(COMPRESSION_BIB, "--json", "--template", template)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)[0] == "Optimal Brain Damage"


TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="{}\\%\x00"), max_size=30
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(["article", "book", "misc", "inproceedings", "phdthesis", "x"]),
    title=TEXT,
    author=TEXT,
    year=TEXT,
    month=TEXT,
    pages=TEXT,
)
def test_any_entry_validates(
    tmp_path: Path, kind: str, title: str, author: str, year: str, month: str, pages: str
) -> None:
    entry = (
        f"@{kind}{{k, title = {{{title}}}, author = {{{author}}}, year = {{{year}}},"
        f" month = {{{month}}}, pages = {{{pages}}}, journal = {{{title}}}}}\n"
    )
    bib = write(tmp_path / "refs.bib", entry)
    catalogue, (output,) = build(bib, ["json"], cache=False)
    data = json.loads(output.text)
    assert list(VALIDATOR.iter_errors(data)) == []
    assert [i["id"] for i in data] == [e.key for e in catalogue.entries]
