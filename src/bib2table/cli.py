"""The ``bib2table`` command: translates arguments into a run, and errors into messages."""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from bib2table import __version__
from bib2table.bibtex.parse import ParsedBib
from bib2table.catalogue.selection import Selection
from bib2table.catalogue.settings import candidates, load_settings
from bib2table.check import FORMATS as CHECK_FORMATS
from bib2table.check import check_file, format_problems, has_errors, summary
from bib2table.errors import Bib2TableError, OutputError
from bib2table.outputs.update import read_document, replace_section, stale
from bib2table.outputs.write import write_outputs, write_stdout
from bib2table.pipeline import EXTENSIONS, Loaded, Output, choose, load, render_all
from bib2table.problems import Problem, Severity
from bib2table.watch import watch as watch_files

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Command(click.Command):
    """A click command that never shows a user a traceback.

    Errors bib2table expects are :class:`Bib2TableError` and become messages in ``main``; any
    other exception is a bug, reported in one line that says how to get the details.
    """

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
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


@click.command(cls=_Command, context_settings=CONTEXT)
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
    help="Write every format chosen to DIR/<input stem>.html, .md, .csv, .bib (DIR is created).",
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
    help="Encoding of INPUT, e.g. latin-1 [default: UTF-8; a file that is not UTF-8 is read "
    "as Windows-1252, with a warning].",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Read everything afresh instead of reusing what earlier runs read (in "
    "~/.cache/bib2table).",
)
@click.version_option(__version__, "--version", prog_name="bib2table")
def main(
    sources: tuple[Path, ...],
    formats: tuple[str, ...],
    output: Path | None,
    out_dir: Path | None,
    update: Path | None,
    check: bool,
    report_format: str | None,
    categories: tuple[str, ...],
    since: int | None,
    until: int | None,
    search: str | None,
    watch: bool,
    template: Path | None,
    config: Path | None,
    encoding: str | None,
    no_cache: bool,
) -> None:
    """Turn the BibTeX file INPUT into a literature catalogue.

    Categories come from each entry's keywords; settings (title, intro, columns, categories,
    sort order) from bib2table.toml. Every entry is either in the output or reported on
    standard error as FILE:LINE: KEY: REASON. An INPUT ending in .csv is a spreadsheet in
    the catalogue's CSV shape.

    \b
    Examples:
      bib2table compression.bib --html -o index.html
      bib2table compression.bib --markdown > catalogue.md
      bib2table compression.bib --html --md --csv --out-dir site/
      bib2table refs.bib --csv --config lab.toml -o refs.csv
      bib2table refs.bib --html --template my-page.html.jinja2 -o refs.html
      bib2table compression.bib --check --format github
      bib2table compression.bib --bib --category pruning --since 2017 -o pruning.bib
      bib2table sheet.csv --bib -o catalogue.bib
      bib2table compression.bib --markdown --update README.md
      bib2table compression.bib --html -o index.html --watch

    \b
    Exit status: 0 all well; 1 an entry could not be rendered (the rest is
    written), a fatal error (nothing is written), --check found an error or
    a stale --update section; 2 usage error.
    """
    chosen = list(dict.fromkeys(formats))
    selection = Selection(categories, since, until, search or "")
    job = _Job(
        sources[0], chosen, output, out_dir, update, template, config, encoding, not no_cache
    )
    _check_usage(job, len(sources), check, report_format, selection, watch)

    def run() -> int:
        if check:
            return _check(sources, job, selection, report_format or "text")
        return _build(job, selection, watching=watch)

    if not watch:
        sys.exit(run())
    try:
        paths = ", ".join(str(p) for p in _watched(job) if p.exists())
        click.echo(f"bib2table: watching {paths} (Ctrl-C to stop)", err=True)
        watch_files(lambda: _round(run), lambda: _watched(job))
    except KeyboardInterrupt:
        sys.exit(0)


@dataclass(frozen=True)
class _Job:
    """What to build from which input, as the options say."""

    source: Path
    formats: list[str]
    output: Path | None
    out_dir: Path | None
    update: Path | None
    template: Path | None
    config: Path | None
    encoding: str | None
    cache: bool


def _build(job: _Job, selection: Selection, watching: bool = False) -> int:
    """One ordinary run: build the outputs, write them, report; the exit status."""
    try:
        progress = _TerminalProgress() if sys.stderr.isatty() and not watching else None
        try:
            loaded = load(job.source, job.config, job.encoding, job.cache, progress)
            if watching and not _complete(loaded.parsed):
                _report(loaded.catalogue.problems)
                click.echo(
                    f"bib2table: {job.source} does not read cleanly; outputs left as they "
                    "were until it does",
                    err=True,
                )
                return 1
            catalogue = choose(loaded, selection)
            outputs = render_all(loaded, catalogue, job.formats, job.template, progress)
        finally:
            if progress is not None:
                progress.finish()
        targets = _targets(job, outputs)
        write_outputs(targets, job.source)
    except Bib2TableError as exc:
        if watching:
            click.echo(f"Error: {exc}", err=True)
            return 1
        raise click.ClickException(str(exc)) from None
    _report(catalogue.problems)
    if not targets and job.update is None:
        write_stdout(outputs[0].text)
    for path in targets:
        if path == job.update:
            click.echo(f"bib2table: updated the bib2table section of {path}", err=True)
        else:
            click.echo(f"bib2table: wrote {path} ({len(catalogue.entries)} entries)", err=True)
    if job.update is not None and not targets:
        click.echo(f"bib2table: {job.update} is up to date", err=True)
    return 1 if any(p.severity is Severity.ERROR for p in catalogue.problems) else 0


def _targets(job: _Job, outputs: list[Output]) -> dict[Path, str]:
    """Where each output goes; empty for standard output (and for a section already current)."""
    if job.update is not None:
        document = read_document(job.update)
        updated = replace_section(document, outputs[0].text, str(job.update))
        return {job.update: updated} if updated != document else {}
    if job.out_dir is not None:
        try:
            job.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create {job.out_dir}: {exc.strerror}") from None
        return {job.out_dir / (job.source.stem + EXTENSIONS[o.format]): o.text for o in outputs}
    if job.output is not None and str(job.output) != "-":
        return {job.output: outputs[0].text}
    return {}


def _complete(parsed: ParsedBib) -> bool:
    """Whether a file just saved reads cleanly: half-written or emptied files do not."""
    return bool(parsed.entries) and not any(p.severity is Severity.ERROR for p in parsed.problems)


def _check(sources: tuple[Path, ...], job: _Job, selection: Selection, fmt: str) -> int:
    """``--check``: report every problem of every input (and a stale section); the status."""
    problems: list[Problem] = []
    summaries = []
    for source in sources:
        loaded, found = check_file(source, job.config, job.encoding, job.cache)
        if loaded is not None and job.update is not None:
            try:
                found += _stale_section(loaded, job, selection)
            except Bib2TableError as exc:
                found.append(Problem(str(job.update), 0, "", str(exc)))
        problems += found
        entries = len(loaded.catalogue.entries) if loaded is not None else 0
        summaries.append(summary(str(source), entries, found))
    report = format_problems(problems, fmt)
    if report:
        write_stdout(report)
    for line in summaries:
        click.echo(line, err=True)
    return 1 if has_errors(problems) else 0


def _stale_section(loaded: Loaded, job: _Job, selection: Selection) -> list[Problem]:
    """The selection's own problems, and one more if the ``--update`` section is not current."""
    assert job.update is not None
    catalogue = choose(loaded, selection)
    outputs = render_all(loaded, catalogue, job.formats, job.template)
    command = shlex.join(["bib2table", str(job.source), *_rebuild_options(job, selection)])
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
    """The files a rebuild depends on: the input, its settings (and their intro-file), and
    the places a settings file may yet appear; the template."""
    paths = [job.source]
    if job.config is not None:
        paths.append(job.config)
    else:
        paths += candidates(job.source)
    with contextlib.suppress(Bib2TableError):  # reported by the rebuild itself
        paths += load_settings(job.source, job.config).files
    if job.template is not None:
        paths.append(job.template)
    return list(dict.fromkeys(paths))


def _round(run: Callable[[], int]) -> None:
    """One rebuild while watching: it reports its own problems, and its status ends nothing."""
    run()


def _check_usage(
    job: _Job,
    inputs: int,
    check: bool,
    report_format: str | None,
    selection: Selection,
    watch: bool,
) -> None:
    """Refuse combinations that have no single sensible meaning, before any work is done."""
    formats, output, out_dir = job.formats, job.output, job.out_dir
    if not formats and not check:
        raise click.UsageError(
            "choose an output format: --html, --markdown, --csv or --bib (or --check)"
        )
    if output is not None and out_dir is not None:
        raise click.UsageError("use either -o/--output or --out-dir, not both")
    if report_format is not None and not check:
        raise click.UsageError("--format says how --check reports; use it with --check")
    if inputs > 1 and (not check or job.update is not None):
        raise click.UsageError("several INPUT files only with --check (and without --update)")
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
    if len(formats) > 1 and out_dir is None:
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
