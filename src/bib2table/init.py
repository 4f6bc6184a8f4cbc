"""``bib2table init``: set a repository up to publish its catalogue.

From one ``.bib`` in a repository it writes what a maintainer would otherwise put together by
hand: a ``bib2table.toml`` whose categories are proposed from the keywords in the file, the
catalogue's section in ``README.md``, a ``.pre-commit-config.yaml`` with bib2table's hooks, and
a GitHub Actions workflow that checks pull requests and publishes the page with GitHub Pages.

Nothing that exists is replaced unless asked (``force``); ``README.md`` is only ever added to
(the section's markers) and its section filled, the rest kept byte for byte. Everything is
planned first and written at the end, all or nothing. The files' shape is in the templates
under ``templates/init/``; every text from the ``.bib`` or the command line reaches them as a
value quoted for TOML, YAML or the shell.
"""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import subprocess
import tempfile
import textwrap
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from bib2table.bibtex.parse import parse_file
from bib2table.cache import Cache
from bib2table.catalogue.model import MAX_AUTOMATIC_CATEGORIES, Vocabulary, build_catalogue
from bib2table.catalogue.settings import SETTINGS_FILE, Settings, load_settings
from bib2table.errors import Bib2TableError, OutputError
from bib2table.outputs.render import Format, make_environment
from bib2table.outputs.update import BEGIN, END, has_markers, read_document, replace_section
from bib2table.outputs.write import write_outputs
from bib2table.pipeline import is_spreadsheet, load, render_all
from bib2table.problems import Problem

README = "README.md"
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
WORKFLOW = ".github/workflows/catalogue.yml"
HOOKS_BY_HAND = "kept: add bib2table's hooks to its repos by hand (see below)"
#: Keywords people use for "everything else": proposed last, whatever their count.
CATCH_ALL = {"other", "others", "misc", "miscellaneous", "uncategorized", "uncategorised"}
#: Keywords listed, commented out, after the proposed categories.
MAX_LISTED = 40
#: Separators that may make keywords hierarchical (Zotero's ``a/b``, JabRef's ``a > b``).
HIERARCHY_CANDIDATES = ("/", ">")
#: What a path written into the workflow and the hooks may hold: it is a shell word and a
#: YAML scalar there, so nothing that either would read differently.
_SAFE_PATH = re.compile(r"[\w][\w.+-]*(?:/[\w][\w.+-]*)*")
_PLAIN_TITLE = re.compile(r"#\s+([^\[\]()<>!`*_|#\\]+?)\s*#*\s*")
_GITHUB_REMOTE = re.compile(
    r"(?:https://github\.com/|git@github\.com:)([\w.-]+)/([\w.-]+?)(?:\.git)?/?"
)


class InitError(Bib2TableError):
    """``init`` cannot set the repository up (no input, an input outside the repository…)."""


@dataclass(frozen=True)
class Proposal:
    """A proposed category: the keyword, its label, how many papers have it, how it is written."""

    keyword: str
    label: str
    count: int
    spellings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Proposals:
    """What the keywords of a ``.bib`` suggest for its settings."""

    categories: tuple[Proposal, ...]
    #: keywords used by fewer papers, listed commented out
    more: tuple[Proposal, ...]
    #: how many more keywords there are beyond those
    rest: int
    keyword_fields: tuple[str, ...]
    keyword_separators: tuple[str, ...]
    hierarchy: tuple[str, ...]


@dataclass(frozen=True)
class Planned:
    """One file ``init`` writes (``text``), or leaves as it is (``text`` None, and why)."""

    path: str
    text: str | None
    done: str

    @property
    def written(self) -> bool:
        return self.text is not None


@dataclass
class Plan:
    """Everything ``init`` will do, worked out before anything is written."""

    root: Path
    source: str
    entries: int
    proposals: Proposals
    files: list[Planned] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    install: str | None = None
    git: bool = True
    #: the ``origin`` remote of the repository, if it has one
    remote: str = ""
    #: bib2table's hooks as an item of ``repos:`` (to add by hand when init could not)
    hooks: str = ""

    @property
    def pages_url(self) -> str:
        return pages_url(self.remote)

    @property
    def to_commit(self) -> str:
        """The files to commit (the input, and those init set up that are there), for the
        shell; once the files are written."""
        there = [f.path for f in self.files if f.written or (self.root / f.path).exists()]
        return shlex.join(dict.fromkeys([self.source, *there]))

    @property
    def hooks_by_hand(self) -> bool:
        """Whether the maintainer has to add bib2table's hooks to their pre-commit file."""
        return any(f.path == PRE_COMMIT_CONFIG and f.done == HOOKS_BY_HAND for f in self.files)


def plan(
    source: Path | None,
    root: Path | None = None,
    title: str | None = None,
    install: str | None = None,
    force: bool = False,
) -> Plan:
    """Work out every file ``init`` writes for ``source`` in the repository at ``root``
    (default: the git repository of the current folder, else the current folder)."""
    top, git = (root, (root / ".git").exists()) if root is not None else repository_root()
    bib = _source(source, top)
    relative = bib.relative_to(top).as_posix()
    if not _SAFE_PATH.fullmatch(relative) or ".." in relative.split("/"):
        raise InitError(
            f"{relative}: bib2table init writes this name into the workflow and the hooks; "
            "rename the file with letters, digits, '.', '-', '_' and '/' only"
        )
    if install is None:
        install = default_install(top)
    elif not install.strip() or "\n" in install or "${{" in install:
        raise InitError(f"--install {install!r} is not one pip requirement on one line")
    # settings already in the repository say where the keywords are, and are kept
    existing = load_settings(bib)
    in_place = existing.source is not None and existing.source.is_relative_to(top)
    proposals = propose(bib, relative, existing if in_place else None)
    found = in_place and not force
    readme_title = title or _readme_title(top / README) or bib.stem
    settings_path = existing.source if found and existing.source else bib.parent / SETTINGS_FILE
    settings_text = render_file(
        "bib2table.toml.jinja2", title=readme_title, source=relative, proposals=proposals
    )
    result = Plan(top, relative, 0, proposals, install=install, git=git)
    result.remote = origin(top) if git else ""
    if found:
        result.files.append(Planned(_shown(settings_path, top), None, "kept: settings found"))
    else:
        result.files.append(_planned(settings_path, top, settings_text, force))
    section, entries, problems = _section(bib, None if found else settings_text)
    result.entries, result.problems = entries, problems
    result.files.append(_readme(top / README, section))
    result.hooks = render_file("pre-commit-repo.yaml.jinja2", source=relative)
    result.files.append(_pre_commit(top / PRE_COMMIT_CONFIG, result.hooks, force))
    if install is None:
        result.files.append(Planned(WORKFLOW, None, "not written: say where CI gets bib2table"))
    else:
        workflow = render_file(
            "catalogue.yml.jinja2",
            source=relative,
            readme=README,
            install=shlex.join(["python", "-m", "pip", "install", install]),
        )
        result.files.append(_planned(top / WORKFLOW, top, workflow, force))
    return result


def write(plan: Plan) -> None:
    """Write the planned files, all or none (folders made for them go again on failure)."""
    targets = {plan.root / f.path: f.text for f in plan.files if f.text is not None}
    made: list[Path] = []
    try:
        for path in targets:
            for folder in reversed(path.parents):
                if not folder.exists():
                    folder.mkdir()
                    made.append(folder)
        write_outputs(targets, plan.root / plan.source)
    except OSError as exc:
        _remove(made)
        raise OutputError(f"cannot create {exc.filename}: {exc.strerror}") from None
    except Bib2TableError:
        _remove(made)
        raise


def _remove(folders: list[Path]) -> None:
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()


def repository_root() -> tuple[Path, bool]:
    """The top of the git repository of the current folder (else the folder), and whether
    it is one."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        found = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if found.returncode == 0 and found.stdout.strip():
            return Path(found.stdout.strip()).resolve(), True
    return Path.cwd().resolve(), False


def _source(source: Path | None, root: Path) -> Path:
    """The ``.bib`` to set up: the one given (inside the repository), else the only one in
    the repository's top folder."""
    if source is None:
        found = sorted(p for p in root.glob("*.bib") if p.is_file())
        if len(found) != 1:
            which = f"{len(found)} .bib files ({', '.join(p.name for p in found)})" if found else ""
            raise InitError(
                f"{root} has {which or 'no .bib file'}; name the bibliography: "
                "bib2table init refs.bib"
            )
        source = found[0]
    bib = source.resolve()
    if is_spreadsheet(bib):
        raise InitError(
            f"{source}: bib2table init reads the keywords of a .bib; make one first: "
            f"bib2table {shlex.quote(str(source))} --bib -o {shlex.quote(bib.stem + '.bib')}"
        )
    if not bib.is_relative_to(root):
        raise InitError(f"{source} is not inside the repository {root}; copy it there first")
    return bib


def propose(bib: Path, name: str, settings: Settings | None) -> Proposals:
    """Categories for the keywords of ``bib``: most used first (catch-all words such as
    "other" last), hierarchical keywords folded to their last level.

    ``settings`` already in place say where keywords are; else the exporters' own fields are
    recognised (Mendeley's ``mendeley-tags``, JabRef's ``groups``).
    """
    parsed = parse_file(bib, None, name, Cache(bib))
    fields = settings.keyword_fields if settings else _keyword_fields(parsed.entries)
    separators = settings.keyword_separators if settings else Settings.keyword_separators
    reading = Settings(keyword_fields=fields, keyword_separators=separators, categories={})
    catalogue = build_catalogue(parsed, reading, bib.stem)
    keywords = [entry.keywords for entry in catalogue.entries]
    hierarchy = settings.keyword_hierarchy if settings else detect_hierarchy(keywords)
    paths = Vocabulary({}, hierarchy)
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    leaves: dict[str, Counter[str]] = {}
    for entry_keywords in keywords:
        folded: dict[str, None] = {}
        for keyword in entry_keywords:
            path = paths.path(keyword)
            leaf = path.rsplit("/", 1)[-1] if hierarchy else path
            if not leaf:
                continue
            folded[leaf] = None
            spellings.setdefault(leaf, Counter())[keyword] += 1
            written = _last_level(keyword, hierarchy)
            leaves.setdefault(leaf, Counter())[written] += 1
        counts.update(list(folded))
    order = {leaf: n for n, leaf in enumerate(spellings)}
    ranked = sorted(counts, key=lambda k: (k in CATCH_ALL, -counts[k], order[k]))
    proposals = [
        Proposal(
            leaf,
            _label(leaves[leaf].most_common(1)[0][0]),
            counts[leaf],
            tuple(sorted(spellings[leaf])) if set(spellings[leaf]) != {leaf} else (),
        )
        for leaf in ranked
    ]
    chosen = proposals[:MAX_AUTOMATIC_CATEGORIES]
    more = proposals[MAX_AUTOMATIC_CATEGORIES : MAX_AUTOMATIC_CATEGORIES + MAX_LISTED]
    rest = max(len(proposals) - len(chosen) - len(more), 0)
    return Proposals(tuple(chosen), tuple(more), rest, fields, separators, hierarchy)


def detect_hierarchy(keywords: Iterable[Sequence[str]]) -> tuple[str, ...]:
    """The separators that make these keywords a tree: a separator counts when two different
    keywords share a parent through it (``compression/pruning``, ``compression/distillation``)
    or a keyword has three levels, so that ``I/O`` or ``TCP/IP`` alone do not."""
    distinct = {k.strip().lower() for ks in keywords for k in ks}
    found = []
    for separator in HIERARCHY_CANDIDATES:
        parents: dict[str, set[str]] = {}
        deep = False
        for keyword in distinct:
            levels = [level.strip() for level in keyword.split(separator)]
            if len(levels) < 2 or not all(levels):
                continue
            deep = deep or len(levels) > 2
            parents.setdefault("/".join(levels[:-1]), set()).add(levels[-1])
        if deep or any(len(children) > 1 for children in parents.values()):
            found.append(separator)
    return tuple(found)


def _last_level(keyword: str, hierarchy: tuple[str, ...]) -> str:
    """The keyword's last level as written (its case kept)."""
    last = keyword
    for separator in hierarchy:
        last = last.rsplit(separator, 1)[-1]
    return " ".join(last.split())


def _keyword_fields(entries: Iterable[Any]) -> tuple[str, ...]:
    """Where an export keeps its categories: Mendeley's tags, else JabRef's groups when no
    entry has keywords, else ``keywords``."""
    present: Counter[str] = Counter()
    for entry in entries:
        present.update(n for n in ("keywords", "groups", "mendeley-tags") if entry.fields.get(n))
    if present["mendeley-tags"]:
        return ("mendeley-tags",)
    if present["groups"] and not present["keywords"]:
        return ("groups",)
    return ("keywords",)


def _label(keyword: str) -> str:
    """A column label for a keyword: as written, with a capital when it is all lower case."""
    return keyword[:1].upper() + keyword[1:] if keyword == keyword.lower() else keyword


def _readme_title(path: Path) -> str:
    """The README's first heading, when it is plain text (no links, images, markup)."""
    with contextlib.suppress(OSError, UnicodeDecodeError):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                match = _PLAIN_TITLE.fullmatch(line)
                return match.group(1) if match and line.startswith("# ") else ""
    return ""


def _section(bib: Path, settings_text: str | None) -> tuple[str, int, list[Problem]]:
    """The README section as ``--update`` makes it, with the settings about to be written
    (or those in place); the number of entries and the problems of the ``.bib``."""
    with tempfile.TemporaryDirectory(prefix="bib2table-init-") as folder:
        config = None
        if settings_text is not None:
            config = Path(folder) / SETTINGS_FILE
            config.write_text(settings_text, encoding="utf-8")
        loaded = load(bib, config)
        (output,) = render_all(loaded, loaded.catalogue, ["markdown"])
    return output.text, len(loaded.catalogue.entries), list(loaded.catalogue.problems)


def _readme(path: Path, section: str) -> Planned:
    """README.md with the section's markers (added at its end when missing) and the section
    filled; a new README.md is the section alone."""
    if not path.exists():
        text = replace_section(f"{BEGIN}\n{END}\n", section, README)
        return Planned(README, text, "wrote")
    document = read_document(path)
    if has_markers(document):
        updated = replace_section(document, section, README)
        done = "filled its bib2table section"
    else:
        newline = "\r\n" if "\r\n" in document else "\n"
        ending = "" if not document or document.endswith("\n") else newline
        gap = newline if document.strip() else ""
        marked = f"{document}{ending}{gap}{BEGIN}{newline}{END}{newline}"
        updated = replace_section(marked, section, README)
        done = "added the bib2table section at its end"
    if updated == document:
        return Planned(README, None, "kept: its bib2table section is up to date")
    return Planned(README, updated, done)


def _pre_commit(path: Path, hooks: str, force: bool) -> Planned:
    """A new ``.pre-commit-config.yaml`` with bib2table's hooks; or the one there with them
    added at the end of its ``repos:`` list, when that list is a block list that ends the
    file (else it is kept, and the summary shows what to add)."""
    text = render_file("pre-commit-config.yaml.jinja2", repo=hooks)
    if force or not (path.exists() or path.is_symlink()):
        return _planned(path, path.parent, text, force)
    document = read_document(path)
    if re.search(r"^\s*-?\s*id:\s*bib2table-check\s*$", document, re.MULTILINE):
        return Planned(PRE_COMMIT_CONFIG, None, "kept: it has bib2table's hooks")
    added = add_repo(document, hooks)
    if added is None:
        return Planned(PRE_COMMIT_CONFIG, None, HOOKS_BY_HAND)
    return Planned(PRE_COMMIT_CONFIG, added, "added bib2table's hooks to its repos")


def add_repo(document: str, item: str) -> str | None:
    """``document`` (a ``.pre-commit-config.yaml``) with ``item`` as the last entry of its
    ``repos:`` list, indented as the entries there; None unless ``repos:`` is the last
    top-level key and holds a block list (the only shape this edit cannot break)."""
    lines = document.splitlines()
    starts = [n for n, line in enumerate(lines) if re.fullmatch(r"repos:\s*(#.*)?", line)]
    if len(starts) != 1 or "\t" in document:
        return None
    body = [line for line in lines[starts[0] + 1 :] if line.strip() and line.strip()[0] != "#"]
    if any(not line[0].isspace() and not line.startswith("- ") for line in body):
        return None  # another top-level key follows the list
    items = [len(m.group(1)) for line in body if (m := re.match(r"( *)- ", line))]
    if not items or min(items) != items[0]:
        return None
    newline = "\r\n" if "\r\n" in document else "\n"
    indented = textwrap.indent(item.rstrip("\n"), " " * items[0]).replace("\n", newline)
    ending = "" if document.endswith(("\n", "\r")) else newline
    return f"{document}{ending}{indented}{newline}"


def _planned(path: Path, root: Path, text: str, force: bool) -> Planned:
    shown = _shown(path, root)
    exists = path.exists() or path.is_symlink()
    if exists and not force:
        if path.is_file() and path.read_bytes() == text.encode("utf-8"):
            return Planned(shown, None, "kept: already as init writes it")
        return Planned(shown, None, "kept: it exists (--force replaces it)")
    return Planned(shown, text, "replaced" if exists else "wrote")


def _shown(path: Path, root: Path) -> str:
    return path.resolve().relative_to(root).as_posix()


def default_install(root: Path) -> str | None:
    """What the workflow gives pip to install bib2table: the repository itself when it is
    bib2table's own, else where this bib2table came from when CI can get it there too (a git
    or https address), else nothing (the name bib2table on PyPI is another project)."""
    with contextlib.suppress(OSError, tomllib.TOMLDecodeError):
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
        if project.get("project", {}).get("name") == "bib2table":
            return "."
    try:
        direct = metadata.distribution("bib2table").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    return install_from_direct_url(direct) if direct else None


def install_from_direct_url(text: str) -> str | None:
    """A pip requirement from an installation's ``direct_url.json`` (PEP 610): a git
    repository at the commit installed, or an https archive; nothing for a local folder."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    url = data.get("url", "") if isinstance(data, dict) else ""
    if not isinstance(url, str) or not url.startswith("https://") or not _one_word(url):
        return None
    subdirectory = data.get("subdirectory")
    suffix = f"#subdirectory={subdirectory}" if isinstance(subdirectory, str) else ""
    vcs = data.get("vcs_info")
    if isinstance(vcs, dict):
        commit = vcs.get("commit_id", "")
        if vcs.get("vcs") != "git" or not re.fullmatch(r"[0-9a-f]{7,64}", str(commit)):
            return None
        return f"bib2table @ git+{url}@{commit}{suffix}"
    if isinstance(data.get("archive_info"), dict):
        return f"bib2table @ {url}{suffix}"
    return None


def _one_word(text: str) -> bool:
    """No white space and no control character: one word on one line."""
    return not any(c.isspace() or unicodedata.category(c).startswith("C") for c in text)


def origin(root: Path) -> str:
    """The address of the repository's ``origin`` remote, or ``""``."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        found = subprocess.run(
            ["git", "-C", str(root), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if found.returncode == 0:
            return found.stdout.strip()
    return ""


def pages_url(remote: str) -> str:
    """Where GitHub Pages publishes a repository whose ``origin`` is on GitHub, or ``""``."""
    match = _GITHUB_REMOTE.fullmatch(remote)
    if not match:
        return ""
    owner, name = match.group(1).lower(), match.group(2)
    site = f"https://{owner}.github.io/"
    return site if name.lower() == f"{owner}.github.io" else f"{site}{name}/"


def render_file(name: str, **values: Any) -> str:
    """Render one of the ``templates/init/`` files; values are quoted by the filters."""
    env = make_environment(Format("init", name, ""))
    env.filters.update(
        toml_string=toml_string,
        toml_key=toml_key,
        toml_list=lambda items: "[" + ", ".join(toml_string(i) for i in items) + "]",
        comment=comment,
        yaml_string=yaml_string,
    )
    return env.get_template(f"init/{name}").render(**values)


def toml_string(value: object) -> str:
    """A TOML basic string (JSON's escapes are TOML's, and DEL is escaped too)."""
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_key(value: object) -> str:
    """A TOML key: bare when it can be, else quoted."""
    text = str(value)
    return text if re.fullmatch(r"[A-Za-z0-9_-]+", text) else toml_string(text)


def yaml_string(value: object) -> str:
    """A YAML double-quoted scalar (JSON strings are YAML)."""
    return json.dumps(str(value), ensure_ascii=True)


def comment(value: object) -> str:
    """Text for a one-line comment: control characters gone, white space folded."""
    text = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in str(value))
    return " ".join(text.split())


def summary(plan: Plan) -> str:
    """What ``init`` did and what to do next, for the maintainer to read."""
    return render_file("next-steps.txt.jinja2", plan=plan, shell_source=shlex.quote(plan.source))
