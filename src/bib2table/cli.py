"""The ``bib2table`` command: translates arguments into a run, and errors into messages."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from bib2table import __version__
from bib2table.bibtex.parse import ParsedBib
from bib2table.cache import Cache
from bib2table.catalogue.selection import Selection
from bib2table.catalogue.settings import Settings
from bib2table.errors import Bib2TableError, Interrupted, OutputError
from bib2table.files import text_encoding
from bib2table.outputs.write import check_targets, write_outputs, write_stdout
from bib2table.pipeline import (
    EXTENSIONS,
    Loaded,
    Output,
    choose,
    files_read,
    load,
    prepare,
    render_all,
)
from bib2table.problems import Problem, Severity

#: ``--report-format``'s choices (bib2table.check's FORMATS, which a plain run does not import).
CHECK_FORMATS = ("text", "github", "json")

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Command(click.Command):
    """A click command that never shows a user a traceback.

    Errors bib2table expects are :class:`Bib2TableError` and become messages in ``main``; any
    other exception is a bug, reported in one line that says how to get the details.
    """

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt as exc:
            raise click.exceptions.Exit(_interrupted_status(exc)) from None

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: the run has cleaned up after itself
            raise click.exceptions.Exit(_interrupted_status(exc)) from None
        except BrokenPipeError:  # the reader went away, e.g. `bib2table … | head`
            sys.stderr.close()
            raise SystemExit(1) from None
        except Exception as exc:
            if os.environ.get("BIB2TABLE_DEBUG"):
                raise
            raise click.ClickException(
                f"unexpected error ({type(exc).__name__}: {exc}). This is a bug in bib2table: "
                "please report it with the input that caused it; run again with "
                "BIB2TABLE_DEBUG=1 to see where it happened."
            ) from None


def _interrupted_status(exc: KeyboardInterrupt) -> int:
    """130 for SIGINT (Ctrl-C), 143 for SIGTERM: the shell's own numbers for them."""
    return exc.status if isinstance(exc, Interrupted) else 128 + signal.SIGINT


class _Build(_Command):
    """The build command, which hands ``bib2table init …`` to the ``init`` command.

    ``init`` is a command only as the first argument; a file named ``init`` is ``./init``
    (or comes after an option: ``bib2table --html init``).
    """

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> Any:
        given = list(sys.argv[1:] if args is None else args)
        if given[:1] == ["init"]:
            name = f"{prog_name or 'bib2table'} init"
            return init_command.main(given[1:], name, **extra)
        return super().main(given, prog_name, **extra)


@click.command(cls=_Build, context_settings=CONTEXT)
@click.argument(
    "sources",
    metavar="INPUT",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option("--html", "formats", flag_value="html", multiple=True, help="Write a web page.")
@click.option(
    "--markdown",
    "--md",
    "formats",
    flag_value="markdown",
    multiple=True,
    help="Write a Markdown table.",
)
@click.option("--csv", "formats", flag_value="csv", multiple=True, help="Write a CSV table.")
@click.option(
    "--json",
    "formats",
    flag_value="json",
    multiple=True,
    help="Write the catalogue as CSL-JSON (for Zotero, pandoc, citeproc, site generators).",
)
@click.option(
    "--bib",
    "formats",
    flag_value="bib",
    multiple=True,
    help="Write the (selected) entries as BibTeX, with the @string definitions they use.",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    type=click.Path(path_type=Path, allow_dash=True),
    help="Write the one format to FILE instead of standard output.",
)
@click.option(
    "--out-dir",
    metavar="DIR",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write every format chosen to DIR/<input stem>.html, .md, .csv, .json, .bib (DIR is "
    "created).",
)
@click.option(
    "--update",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="With --markdown: replace the text between <!-- bib2table:begin --> and "
    "<!-- bib2table:end --> in FILE (e.g. README.md). With --check: only say whether it is "
    "up to date.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Validate INPUT (one or more files) and write nothing; exit 1 on any error.",
)
@click.option(
    "--each",
    is_flag=True,
    help="With --check: check each INPUT as a bibliography of its own (as the pre-commit hook "
    "does), not all of them as one.",
)
@click.option(
    "--format",
    "report_format",
    type=click.Choice(CHECK_FORMATS),
    help="How --check reports: text (default), github (GitHub Actions annotations) or json.",
)
@click.option(
    "--category",
    "categories",
    metavar="KW",
    multiple=True,
    help="Keep entries with this keyword or category label (repeat: any of them).",
)
@click.option("--since", metavar="YEAR", type=int, help="Keep entries from YEAR on.")
@click.option("--until", metavar="YEAR", type=int, help="Keep entries up to YEAR.")
@click.option(
    "--search",
    metavar="QUERY",
    help=(
        'Keep entries QUERY finds, by the page\'s search rules: words and "phrases" that must '
        "all match, -word to leave out, author:, title:, venue:, year:2016..2019."
    ),
)
@click.option(
    "--watch",
    is_flag=True,
    help="Rebuild whenever INPUT or its settings change, until Ctrl-C.",
)
@click.option(
    "--serve",
    is_flag=True,
    help="Show the catalogue page (and any other format chosen) on http://127.0.0.1:8000/, "
    "updated in the open browser tabs on every save, until Ctrl-C. Writes nothing.",
)
@click.option(
    "--port",
    metavar="N",
    type=click.IntRange(0, 65535),
    help="With --serve: the port to try first [default: 8000; the next free one if taken; "
    "0: any free port].",
)
@click.option(
    "--poll",
    is_flag=True,
    help="With --watch or --serve: look at the files ten times a second instead of waiting "
    "for the system to tell of changes (for network folders; automatic for NFS, SMB, SSHFS).",
)
@click.option(
    "--template",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Use this jinja2 template instead of the built-in one for the format.",
)
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Settings file (default: bib2table.toml or pyproject.toml found from INPUT's folder up).",
)
@click.option(
    "--encoding",
    metavar="NAME",
    callback=lambda _ctx, _param, value: _encoding(value),
    help="Encoding of INPUT, e.g. latin-1 [default: UTF-8, or what a JabRef '% Encoding:' line "
    "says; another file that is not UTF-8 is read as Windows-1252 or as detected, with a "
    "warning naming the encoding].",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Read everything afresh instead of reusing what earlier runs read (in "
    "~/.cache/bib2table).",
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Say on standard error which settings file the run uses.",
)
@click.version_option(__version__, "--version", prog_name="bib2table")
def main(
    sources: tuple[Path, ...],
    formats: tuple[str, ...],
    output: Path | None,
    out_dir: Path | None,
    update: Path | None,
    check: bool,
    each: bool,
    report_format: str | None,
    categories: tuple[str, ...],
    since: int | None,
    until: int | None,
    search: str | None,
    watch: bool,
    serve: bool,
    port: int | None,
    poll: bool,
    template: Path | None,
    config: Path | None,
    encoding: str | None,
    no_cache: bool,
    verbose: bool,
) -> None:
    """Turn the BibTeX file INPUT into a literature catalogue.

    Categories come from each entry's keywords; settings (title, intro, columns, categories,
    sort order) from bib2table.toml. Every entry is either in the output or reported on
    standard error as FILE:LINE: KEY: REASON. Several INPUT files are one bibliography, read
    in order as BibTeX reads them (@string macros in the first, entries in the next). An
    INPUT ending in .csv is a spreadsheet in the catalogue's CSV shape.

    \b
    Examples:
      bib2table compression.bib --html -o index.html
      bib2table strings.bib refs.bib --html -o refs.html
      bib2table compression.bib --markdown > catalogue.md
      bib2table compression.bib --html --md --csv --out-dir site/
      bib2table refs.bib --csv --config lab.toml -o refs.csv
      bib2table refs.bib --html --template my-page.html.jinja2 -o refs.html
      bib2table compression.bib --check --format github
      bib2table compression.bib --bib --category pruning --since 2017 -o pruning.bib
      bib2table sheet.csv --bib -o catalogue.bib
      bib2table compression.bib --markdown --update README.md
      bib2table compression.bib --html -o index.html --watch
      bib2table compression.bib --serve

    \b
    Exit status: 0 all well; 1 an entry could not be rendered (the rest is
    written), a fatal error (nothing is written), --check found an error or
    a stale --update section; 2 usage error.

    \b
    Set a repository up (settings, README section, pre-commit, GitHub Pages):
      bib2table init refs.bib          (see bib2table init --help)
    """
    chosen = list(dict.fromkeys(["html", *formats] if serve else formats))
    selection = Selection(categories, since, until, search or "")
    job = _Job(
        sources,
        chosen,
        output,
        out_dir,
        update,
        template,
        config,
        encoding,
        not no_cache,
        verbose,
    )
    _check_serving(job, check, watch, serve, port, poll)
    _check_usage(job, check, each, report_format, selection, watch, serve)
    if not check:
        try:
            check_targets(_target_paths(job), files_read(job.sources, job.config, job.template))
        except Bib2TableError as exc:
            raise click.ClickException(str(exc)) from None
    if serve:
        sys.exit(_serve(job, selection, port, poll))

    def run() -> int:
        if check:
            groups: list[tuple[Path, ...]] = [(s,) for s in sources] if each else [sources]
            return _check(groups, job, selection, report_format or "text")
        return _build(job, selection, watching=watch)

    if not watch:
        sys.exit(run())
    from bib2table.watch import watch as watch_files  # only now: a plain run needs no watcher

    try:
        paths = ", ".join(str(p) for p in _watched(job) if p.exists())
        click.echo(f"bib2table: watching {paths} (Ctrl-C to stop)", err=True)
        watch_files(lambda: _round(run), lambda: _watched(job), poll)
    except KeyboardInterrupt:
        _stopped()


def _serve(job: _Job, selection: Selection, port: int | None, poll: bool) -> int:
    """``--serve``: the live preview, until Ctrl-C or SIGTERM (status 0)."""
    from bib2table.serve import Preview, serve  # only now: a plain run needs no server

    preview = Preview(
        job.source, job.formats, selection, job.config, job.template, job.encoding, job.cache
    )
    try:
        serve(
            preview,
            lambda: _watched(job),
            8000 if port is None else port,
            poll,
            say=lambda text: click.echo(text, err=True),
            report=_report,
        )
    except Bib2TableError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        _stopped()
    return 0


def _stopped() -> NoReturn:
    """Ctrl-C or SIGTERM ended ``--watch`` or ``--serve``, which have stopped what they ran
    (threads, server, worker processes) and written all they write: leave now, status 0.
    Freeing a large catalogue object by object first would keep the user waiting seconds."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@dataclass(frozen=True)
class _Job:
    """What to build from which inputs, as the options say."""

    sources: tuple[Path, ...]
    formats: list[str]
    output: Path | None
    out_dir: Path | None
    update: Path | None
    template: Path | None
    config: Path | None
    encoding: str | None
    cache: bool
    verbose: bool = False

    @property
    def source(self) -> Path:
        """The input the outputs are named after: the last (entries come after abbreviations)."""
        return self.sources[-1]


def _build(job: _Job, selection: Selection, watching: bool = False) -> int:
    """One ordinary run: build the outputs, write them, report; the exit status."""
    from bib2table import snapshot

    kept = (
        job.cache
        and not watching
        and not job.verbose
        and snapshot.eligible(job.sources, job.formats, job.template, job.encoding, bool(selection))
    )
    store = Cache() if kept else None
    try:
        quick = snapshot.splice(store, job.source, job.config, job.formats) if store else None
        if quick is not None:
            outputs, problems, count = quick.outputs, quick.problems, quick.entries
        else:
            before = snapshot.read_input(job.source) if store else None
            loaded, outputs = _full(job, selection, watching)
            if loaded is None:
                return 1
            catalogue = choose(loaded, selection) if selection else loaded.catalogue
            problems, count = catalogue.problems, len(catalogue.entries)
        targets = _targets(job, outputs)
        write_outputs(targets, files_read(job.sources, job.config, job.template))
    except Bib2TableError as exc:
        if watching:
            click.echo(f"Error: {exc}", err=True)
            return 1
        raise click.ClickException(str(exc)) from None
    if store is not None:
        if quick is None and before is not None and snapshot.read_input(job.source) == before:
            assert loaded is not None
            snapshot.save(store, job.source, job.config, before, loaded, outputs)
        store.save()
        store.close()
    _report(problems)
    if not targets and job.update is None:
        write_stdout(outputs[0].text)
    for path in targets:
        if path == job.update:
            click.echo(f"bib2table: updated the bib2table section of {path}", err=True)
        else:
            click.echo(f"bib2table: wrote {path} ({count} entries)", err=True)
    if job.update is not None and not targets:
        click.echo(f"bib2table: {job.update} is up to date", err=True)
    return 1 if any(p.severity is Severity.ERROR for p in problems) else 0


def _full(job: _Job, selection: Selection, watching: bool) -> tuple[Loaded | None, list[Output]]:
    """Read, model and render everything; ``None`` when a file being watched does not read
    cleanly (reported)."""
    progress = _TerminalProgress() if sys.stderr.isatty() and not watching else None
    try:
        prepare(job.formats, job.template)
        loaded = load(job.sources, job.config, job.encoding, job.cache, progress)
        if job.verbose:
            click.echo(f"bib2table: {_settings_used(loaded.settings)}", err=True)
        if watching and not _complete(loaded.parsed):
            _report(loaded.catalogue.problems)
            inputs = ", ".join(str(s) for s in job.sources)
            click.echo(
                f"bib2table: {inputs} does not read cleanly; outputs left as they "
                "were until it does",
                err=True,
            )
            return None, []
        catalogue = choose(loaded, selection)
        return loaded, render_all(loaded, catalogue, job.formats, job.template, progress)
    finally:
        if progress is not None:
            progress.finish()


def _targets(job: _Job, outputs: list[Output]) -> dict[Path, str | bytes]:
    """Where each output goes; empty for standard output (and for a section already current)."""
    if job.update is not None:
        from bib2table.outputs.update import read_document, replace_section

        document = read_document(job.update)
        updated = replace_section(document, outputs[0].text, str(job.update))
        return {job.update: updated} if updated != document else {}
    if job.out_dir is not None:
        try:
            job.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create {job.out_dir}: {exc.strerror}") from None
    paths = _target_paths(job)
    return dict(zip(paths, (o.data for o in outputs), strict=True)) if paths else {}


def _target_paths(job: _Job) -> list[Path]:
    """The files the run writes, in the order of its formats; none for standard output."""
    if job.update is not None:
        return [job.update]
    if job.out_dir is not None:
        return [job.out_dir / (job.source.stem + EXTENSIONS[f]) for f in job.formats]
    if job.output is not None and str(job.output) != "-":
        return [job.output]
    return []


def _settings_used(settings: Settings) -> str:
    """Which settings file a run uses, for ``--verbose`` and ``--check``."""
    if settings.source is None:
        return "no settings file found; built-in settings"
    return f"settings from {settings.source}"


def _encoding(value: str | None) -> str | None:
    """``--encoding``: only an encoding text files are written in (a usage error otherwise)."""
    if value is None:
        return None
    try:
        text_encoding(value)
    except Bib2TableError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def _complete(parsed: ParsedBib) -> bool:
    """Whether a file just saved reads cleanly: half-written or emptied files do not."""
    return bool(parsed.entries) and not any(p.severity is Severity.ERROR for p in parsed.problems)


def _check(groups: list[tuple[Path, ...]], job: _Job, selection: Selection, fmt: str) -> int:
    """``--check``: report every problem of every bibliography (and a stale section); the
    status. Each group of inputs is one bibliography."""
    from bib2table.check import check_sources, escape_line, format_problems, has_errors, summary

    problems: list[Problem] = []
    summaries = []
    for sources in groups:
        loaded, found = check_sources(sources, job.config, job.encoding, job.cache)
        if loaded is not None and job.update is not None:
            try:
                found += _stale_section(loaded, job, selection)
            except Bib2TableError as exc:
                found.append(Problem(str(job.update), 0, "", str(exc)))
        problems += found
        entries = len(loaded.catalogue.entries) if loaded is not None else 0
        line = summary(" ".join(str(s) for s in sources), entries, found)
        if loaded is not None:
            line += f"; {_settings_used(loaded.settings)}"
        summaries.append(line)
    report = format_problems(problems, fmt)
    if report:
        write_stdout(report)
    for line in summaries:
        click.echo(escape_line(line) if fmt == "github" else line, err=True)
    return 1 if has_errors(problems) else 0


def _stale_section(loaded: Loaded, job: _Job, selection: Selection) -> list[Problem]:
    """The selection's own problems, and one more if the ``--update`` section is not current."""
    from bib2table.outputs.update import stale

    assert job.update is not None
    catalogue = choose(loaded, selection)
    outputs = render_all(loaded, catalogue, job.formats, job.template)
    inputs = [str(s) for s in job.sources]
    import shlex

    command = shlex.join(["bib2table", *inputs, *_rebuild_options(job, selection)])
    found = [p for p in catalogue.problems if p not in loaded.catalogue.problems]
    problem = stale(job.update, outputs[0].text, command)
    return found if problem is None else [*found, problem]


def _rebuild_options(job: _Job, selection: Selection) -> list[str]:
    """The options that rebuild the ``--update`` section as checked, for the stale message."""
    options = ["--markdown", "--update", str(job.update)]
    for category in selection.categories:
        options += ["--category", category]
    for flag, value in (("--since", selection.since), ("--until", selection.until)):
        if value is not None:
            options += [flag, str(value)]
    if selection.search:
        options += ["--search", selection.search]
    for flag, path in (("--config", job.config), ("--template", job.template)):
        if path is not None:
            options += [flag, str(path)]
    return options


def _watched(job: _Job) -> list[Path]:
    """The files a rebuild depends on: every file the run reads or may yet read (see
    :func:`bib2table.pipeline.files_read`, which also says what no output may be)."""
    return list(files_read(job.sources, job.config, job.template))


def _round(run: Callable[[], int]) -> None:
    """One rebuild while watching: it reports its own problems, and its status ends nothing."""
    run()


def _check_usage(
    job: _Job,
    check: bool,
    each: bool,
    report_format: str | None,
    selection: Selection,
    watch: bool,
    serve: bool = False,
) -> None:
    """Refuse combinations that have no single sensible meaning, before any work is done."""
    formats, output, out_dir = job.formats, job.output, job.out_dir
    if not formats and not check:
        raise click.UsageError(
            "choose an output format: --html, --markdown, --csv, --json or --bib (or --check)"
        )
    if output is not None and out_dir is not None:
        raise click.UsageError("use either -o/--output or --out-dir, not both")
    if report_format is not None and not check:
        raise click.UsageError("--format says how --check reports; use it with --check")
    if each and (not check or job.update is not None):
        raise click.UsageError(
            "--each says how --check reads several INPUT files: use it with --check (and "
            "without --update)"
        )
    if serve and len(job.sources) > 1:
        raise click.UsageError("--serve previews one INPUT file; for several, use --watch")
    if job.update is not None:
        if formats != ["markdown"]:
            raise click.UsageError(
                "--update FILE replaces a Markdown section: use it with --markdown"
            )
        if output is not None or out_dir is not None:
            raise click.UsageError("--update FILE is where the output goes; leave out -o/--out-dir")
    if check:
        if formats and job.update is None:
            raise click.UsageError(
                "--check writes nothing; leave out the format, or add --update FILE to check "
                "a Markdown section"
            )
        if output is not None or out_dir is not None:
            raise click.UsageError("--check writes nothing; leave out -o/--out-dir")
        if selection and job.update is None:
            raise click.UsageError(
                "--category, --since, --until and --search choose what is written; --check "
                "looks at the whole file"
            )
    if len(formats) > 1 and out_dir is None and not serve:
        raise click.UsageError("several formats need --out-dir DIR (or run once per format)")
    if job.template is not None and len(formats) > 1:
        raise click.UsageError("--template replaces one format's template; choose one format")
    if job.template is not None and "bib" in formats:
        raise click.UsageError("--bib is written without a template; leave out --template")
    since, until = selection.since, selection.until
    if since is not None and until is not None and since > until:
        raise click.UsageError(f"--since {selection.since} is after --until {selection.until}")
    to_files = out_dir is not None or job.update is not None or output not in (None, Path("-"))
    if watch and not check and not to_files:
        raise click.UsageError(
            "--watch rebuilds files: give -o FILE, --out-dir DIR or --update FILE"
        )


def _check_serving(
    job: _Job, check: bool, watch: bool, serve: bool, port: int | None, poll: bool
) -> None:
    """Refuse what ``--serve``, ``--port`` and ``--poll`` cannot go with."""
    if port is not None and not serve:
        raise click.UsageError("--port N is the preview's port; use it with --serve")
    if poll and not (watch or serve):
        raise click.UsageError("--poll says how --watch and --serve look at files; use it with one")
    if not serve:
        return
    if check or watch:
        raise click.UsageError("--serve rebuilds on every save itself; leave out --check/--watch")
    if job.output is not None or job.out_dir is not None or job.update is not None:
        raise click.UsageError("--serve writes nothing; leave out -o/--out-dir/--update")


class _TerminalProgress:
    """A progress line on standard error, only when it is a terminal (never in logs or pipes)."""

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, what: str) -> None:
        click.echo(f"\rbib2table: {what}…\033[K", err=True, nl=False)
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            click.echo("\r\033[K", err=True, nl=False)


def _report(problems: list[Problem]) -> None:
    """Print every problem on standard error, in file order."""
    for problem in sorted(problems, key=lambda p: (p.file, p.line, p.key)):
        click.echo(str(problem), err=True)


class _Init(_Command):
    """The ``init`` command; an option of the build given to it gets a pointer to the build."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            build_options = {o for p in main.params for o in (*p.opts, *p.secondary_opts)}
            if exc.option_name not in build_options:
                raise
            name = exc.option_name
            raise click.UsageError(
                f"{name} is an option of the build, not of init: bib2table INPUT {name} "
                f"(for a file named init: bib2table ./init {name})",
                ctx,
            ) from None


@click.command(cls=_Init, context_settings=CONTEXT, name="init")
@click.argument(
    "source",
    metavar="[INPUT.bib]",
    required=False,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--title", metavar="TEXT", help="The catalogue's title [default: README's heading, or INPUT]."
)
@click.option(
    "--install",
    metavar="SPEC",
    help="What the workflow gives pip to install bib2table, e.g. "
    '"bib2table @ git+https://…/bib2table.git@v1.0" [default: where this bib2table came from, '
    "or . in bib2table's own repository].",
)
@click.option("--force", is_flag=True, help="Replace the files init writes when they exist.")
@click.version_option(__version__, "--version", prog_name="bib2table")
def init_command(source: Path | None, title: str | None, install: str | None, force: bool) -> None:
    """Set the repository in this folder up to publish the catalogue of INPUT.bib.

    Writes, in the repository (its top folder, or this folder outside git):

    \b
      bib2table.toml      beside INPUT: categories proposed from its keywords,
                          most used first
      README.md           the catalogue's section, between its markers (added at
                          the end when missing; the rest of the file is kept)
      .pre-commit-config.yaml   bib2table's hooks, for pre-commit (added to
                          the repos: of yours when it can be done safely)
      .github/workflows/catalogue.yml   checks pull requests; publishes the page
                          from the default branch with GitHub Pages

    A file that exists is kept (README.md and .pre-commit-config.yaml are
    added to), unless --force replaces it; README.md is never replaced.
    Nothing is written if anything fails. Then it says what to do next.
    Without INPUT, the only .bib in the repository's top folder is used.

    \b
    Examples:
      bib2table init refs.bib
      bib2table init refs.bib --title "Model Compression"
      bib2table init refs.bib --install "bib2table @ git+https://…/bib2table.git@v1.0"
      bib2table init refs.bib --force
    """
    from bib2table import init as init_driver  # only for init: a plain run does without it

    try:
        plan = init_driver.plan(source, title=title, install=install, force=force)
        init_driver.write(plan)
    except Bib2TableError as exc:
        raise click.ClickException(str(exc)) from None
    _report(plan.problems)
    click.echo(init_driver.summary(plan), nl=False)
