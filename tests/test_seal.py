"""Sealed cache values: kept outputs and compiled templates carry a keyed digest made with a
secret of the user's, kept outside the cache folder. A sealed value is this user's own and is
used as it is; anything else — a cache folder from another machine or user, a CI cache, an
edited row, a secret that is not private — is checked in full, and unsealed compiled code is
never run.

Each test has its control: the same tampered value with this user's seal is trusted, so that a
test passing because nothing was sealed at all would fail.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import marshal
import os
import pickle
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from jinja2.bccache import bc_magic

from bib2table import snapshot
from bib2table.cache import SECRET_BYTES, Cache, secret_path
from bib2table.pipeline import build
from test_snapshot import FORMATS, _bib, _outputs, _write
from toolkit import run

#: Unsafe text put into a kept output by hand, each where a full check finds it.
TAMPERINGS = [
    ("Paper 33", "<script>"),  # a kept row that is no longer in its strict form
    ("{Paper 37}", "{Paper<37}"),  # markup in the page's kept data (its citations)
    ("[Paper 35]", "[Paper<35]"),  # a Markdown row
    ("Paper 36,", "=1+22+36,"),  # a spreadsheet formula in a CSV row
]


def _use(tmp_path: Path, state: str) -> None:
    os.environ["BIB2TABLE_CACHE_DIR"] = str(tmp_path / "cache")
    os.environ["XDG_STATE_HOME"] = str(tmp_path / state)


def _database(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "cache" / "cache.sqlite3")


def _edited_after_a_run(tmp_path: Path) -> Path:
    """A bibliography run once with the cache, then one title edited (a splice's case)."""
    bib = _bib(40)
    source = _write(bib, tmp_path)
    _outputs(source, tmp_path / "a", True)
    bib.entries[30]["title"] = "Edited"
    _write(bib, tmp_path)
    return source


def _tamper_snapshot(tmp_path: Path, was: str, now: str, reseal: bool) -> None:
    """Replace ``was`` by ``now`` in the kept outputs; with ``reseal``, seal the result with
    the current user's secret, as a run of theirs would have."""
    database = _database(tmp_path)
    key, meta, body = database.execute("SELECT key, meta, body FROM snapshots").fetchone()
    assert was.encode() in body
    body = body.replace(was.encode(), now.encode(), 1)
    digest = hashlib.sha256(body).digest()
    seal = Cache().seal(b"snapshot", key, meta.encode(), digest) if reseal else b"\0" * 32
    database.execute("UPDATE snapshots SET body = ?, seal = ?", (body, seal))
    database.commit()
    database.close()


@pytest.mark.parametrize(("was", "now"), TAMPERINGS)
def test_kept_outputs_from_another_user_are_checked_in_full(
    tmp_path: Path, was: str, now: str
) -> None:
    """A cache folder restored from elsewhere (a CI cache, a copy): its seals are not this
    user's, so the unsafe text is found and the outputs are those of a run without the cache."""
    _use(tmp_path, "theirs")
    source = _edited_after_a_run(tmp_path)
    _tamper_snapshot(tmp_path, was, now, reseal=True)
    # Control: under the secret that sealed it, the kept outputs are trusted as they are.
    trusted = snapshot.splice(Cache(), source, None, FORMATS)
    assert trusted is not None
    assert now in "".join(o.text for o in trusted.outputs)

    _use(tmp_path, "mine")
    assert snapshot.splice(Cache(), source, None, FORMATS) is None
    assert _outputs(source, tmp_path / "a", True) == _outputs(source, tmp_path / "b", False)


@pytest.mark.parametrize(
    ("was", "now"), [*TAMPERINGS[:2], ('id="page-data">{', 'id="page-data"><')]
)
def test_kept_outputs_edited_after_their_seal_are_checked_in_full(
    tmp_path: Path, was: str, now: str
) -> None:
    _use(tmp_path, "mine")
    source = _edited_after_a_run(tmp_path)
    _tamper_snapshot(tmp_path, was, now, reseal=False)
    assert snapshot.splice(Cache(), source, None, FORMATS) is None
    assert _outputs(source, tmp_path / "a", True) == _outputs(source, tmp_path / "b", False)


def test_a_sealed_snapshot_is_spliced_and_sealed_again(tmp_path: Path) -> None:
    _use(tmp_path, "mine")
    source = _edited_after_a_run(tmp_path)
    (seal,) = _database(tmp_path).execute("SELECT seal FROM snapshots").fetchone()
    assert isinstance(seal, bytes) and len(seal) == 32
    made = snapshot.splice(Cache(), source, None, FORMATS)
    assert made is not None
    assert [o.text for o in made.outputs] == _outputs(source, tmp_path / "b", False)[2]
    secret = secret_path().read_bytes()
    assert len(secret) == SECRET_BYTES
    assert secret not in (tmp_path / "cache" / "cache.sqlite3").read_bytes()


@pytest.mark.parametrize(
    "kind", ["readable by others", "symbolic link", "short", "folder", "fifo", "in the cache"]
)
def test_a_secret_that_is_not_private_seals_nothing(tmp_path: Path, kind: str) -> None:
    """Outputs are then checked in full every time (still spliced), never sealed, and the file
    there is left as it was."""
    _use(tmp_path, "state")
    path = secret_path()
    path.parent.mkdir(parents=True)
    good = tmp_path / "good-secret"
    good.write_bytes(os.urandom(SECRET_BYTES))
    good.chmod(0o600)
    if kind == "readable by others":
        path.write_bytes(os.urandom(SECRET_BYTES))
        path.chmod(0o644)
    elif kind == "symbolic link":
        path.symlink_to(good)
    elif kind == "short":
        path.write_bytes(os.urandom(SECRET_BYTES - 1))
        path.chmod(0o600)
    elif kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path, 0o600)
    else:  # the state folder inside the cache folder: a copied cache would bring the secret
        os.environ["XDG_STATE_HOME"] = str(tmp_path / "cache" / "state")
        path = secret_path()
    before = path.read_bytes() if path.is_file() else None
    source = _edited_after_a_run(tmp_path)
    (seal,) = _database(tmp_path).execute("SELECT seal FROM snapshots").fetchone()
    assert seal is None
    assert Cache().seal(b"x") is None
    made = snapshot.splice(Cache(), source, None, FORMATS)
    assert made is not None, "an unsealed snapshot is still used, after its full check"
    assert [o.text for o in made.outputs] == _outputs(source, tmp_path / "b", False)[2]
    if kind == "in the cache":
        assert not path.exists()
    elif before is not None:
        assert path.read_bytes() == before
    # Unsealed tampering is found.
    _tamper_snapshot(tmp_path, *TAMPERINGS[0], reseal=False)
    assert snapshot.splice(Cache(), source, None, FORMATS) is None


def test_a_state_folder_that_cannot_be_made_leaves_values_unsealed(tmp_path: Path) -> None:
    _use(tmp_path, "state")
    (tmp_path / "state").write_text("a file where the folder would be\n")
    source = _edited_after_a_run(tmp_path)
    (seal,) = _database(tmp_path).execute("SELECT seal FROM snapshots").fetchone()
    assert seal is None
    assert snapshot.splice(Cache(), source, None, FORMATS) is not None
    assert _outputs(source, tmp_path / "a", True) == _outputs(source, tmp_path / "b", False)
    assert (tmp_path / "state").read_text() == "a file where the folder would be\n"


def test_concurrent_first_runs_agree_on_one_secret(tmp_path: Path) -> None:
    """Eight processes that each need the secret at once: one secret, no stray drafts."""
    _use(tmp_path, "state")
    code = (
        "import sys; from pathlib import Path; from bib2table.cache import Cache;"
        "c = Cache(Path(sys.argv[1])); sys.stdout.buffer.write(c.seal(b'same') or b'-')"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path / f"cache{n}")], stdout=subprocess.PIPE
        )
        for n in range(8)
    ]
    seals = {p.communicate()[0] for p in processes}
    assert len(seals) == 1 and b"-" not in seals
    assert [p.name for p in secret_path().parent.iterdir()] == ["cache-key"]
    assert secret_path().stat().st_mode & 0o777 == 0o600


def test_no_cache_touches_no_secret(tmp_path: Path) -> None:
    _use(tmp_path, "state")
    source = _write(_bib(30), tmp_path)
    _outputs(source, tmp_path / "b", False)
    assert not (tmp_path / "state").exists()


def _poisoned(value: bytes, marker: Path) -> bytes:
    """A compiled template's stored value (jinja2's header, then marshal'd code) with its code
    replaced by code that leaves ``marker``."""
    stream = io.BytesIO(value)
    assert stream.read(len(bc_magic)) == bc_magic
    pickle.load(stream)  # the checksum of the template's source
    code = compile(f"open({str(marker)!r}, 'w').close()", "<poison>", "exec")
    return value[: stream.tell()] + marshal.dumps(code)


@pytest.mark.parametrize("sealed_by", ["nobody", "another user"])
def test_compiled_templates_run_only_with_this_users_seal(tmp_path: Path, sealed_by: str) -> None:
    """Compiled code in the cache that this user did not seal is never run: the template is
    compiled again and the outputs are as without the cache."""
    _use(tmp_path, "theirs" if sealed_by == "another user" else "mine")
    source = _write(_bib(30), tmp_path)
    assert run(source, "--html", "-o", tmp_path / "a.html").exit_code == 0
    marker = tmp_path / "ran"
    database = _database(tmp_path)
    rows = database.execute("SELECT key, value FROM code").fetchall()
    assert rows, "the templates were kept compiled"
    cache = Cache()
    for key, value in rows:
        poison = _poisoned(value, marker)
        seal = cache.seal(b"code", key, poison) if sealed_by == "another user" else None
        database.execute(
            "UPDATE code SET value = ?, seal = ? WHERE key = ?", (poison, seal or b"", key)
        )
    database.commit()
    if sealed_by == "another user":
        # Control: under the secret that sealed it, the code is loaded and runs.
        with contextlib.suppress(Exception):  # the poison is not a template
            run(source, "--html", "-o", tmp_path / "c.html")
        assert marker.exists()
        marker.unlink()
        _use(tmp_path, "mine")
    result = run(source, "--html", "-o", tmp_path / "a.html")
    assert result.exit_code == 0
    assert not marker.exists()
    run(source, "--html", "-o", tmp_path / "b.html", "--no-cache")
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()


@pytest.fixture
def page_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text the page check (the HTML parser's pass) is given, in order."""
    from bib2table.outputs import clean

    given: list[str] = []
    real = clean._check

    def spy(html: str) -> tuple[list[str], int]:
        given.append(html)
        return real(html)

    monkeypatch.setattr(clean, "_check", spy)
    return given


@pytest.mark.parametrize("edit", ["same skeleton", "entry added", "another user's seal"])
def test_a_page_skeleton_checked_before_is_not_parsed_again(
    tmp_path: Path, page_checks: list[str], edit: str
) -> None:
    """A one-entry edit that leaves the page around its rows as it was (a title, past the
    first rows) does not run the page check again; an edit that changes it (an entry more:
    the totals), or kept outputs another user sealed, do. The outputs are always those of a
    run without the cache."""
    _use(tmp_path, "theirs" if edit == "another user's seal" else "mine")
    bib = _bib(40)
    source = _write(bib, tmp_path)
    _outputs(source, tmp_path / "a", True)
    if edit == "entry added":
        bib.add(35, "Paper added", "pruning", 2011, False)
    else:
        bib.entries[30]["title"] = "Edited"
    _write(bib, tmp_path)
    if edit == "another user's seal":
        _use(tmp_path, "mine")
    page_checks.clear()
    made = snapshot.splice(Cache(), source, None, FORMATS)
    assert made is not None
    checked = len(page_checks)
    assert [o.text for o in made.outputs] == _outputs(source, tmp_path / "b", False)[2]
    assert checked == (0 if edit == "same skeleton" else 1)


def test_a_skeleton_that_fails_the_page_check_is_never_recorded(tmp_path: Path) -> None:
    _use(tmp_path, "mine")
    source = _write(_bib(40), tmp_path)
    _, outputs = build(source, ["html"], cache=False)
    page = snapshot._encoded(outputs[0])
    assert snapshot._checked_skeleton(page) is not None  # control: the real page passes
    end = page.data.rindex(b"</body>")
    unsafe = page.data[:end] + b'<a href="javascript:alert(1)">x</a>' + page.data[end:]
    assert snapshot._checked_skeleton(dataclasses.replace(page, data=unsafe)) is None
