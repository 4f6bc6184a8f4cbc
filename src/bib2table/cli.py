"""The ``bib2table`` command: translates arguments into a run, and errors into messages."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from bib2table import __version__
from bib2table.errors import Bib2TableError
from bib2table.pipeline import build
from bib2table.problems import Problem, Severity
from bib2table.render import FORMATS
from bib2table.write import write_outputs, write_stdout

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
    "source",
    metavar="INPUT",
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
    help="Write every format chosen to DIR/<input stem>.html, .md, .csv (DIR is created).",
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
    source: Path,
    formats: tuple[str, ...],
    output: Path | None,
    out_dir: Path | None,
    template: Path | None,
    config: Path | None,
    encoding: str | None,
    no_cache: bool,
) -> None:
    """Turn the BibTeX file INPUT into a literature catalogue.

    Categories come from each entry's keywords; settings (title, intro, columns, categories,
    sort order) from bib2table.toml. Every entry is either in the output or reported on
    standard error as FILE:LINE: KEY: REASON.

    \b
    Examples:
      bib2table compression.bib --html -o index.html
      bib2table compression.bib --markdown > catalogue.md
      bib2table compression.bib --html --md --csv --out-dir site/
      bib2table refs.bib --csv --config lab.toml -o refs.csv
      bib2table refs.bib --html --template my-page.html.jinja2 -o refs.html

    \b
    Exit status: 0 all well; 1 an entry could not be rendered (the rest is
    written) or a fatal error (nothing is written); 2 usage error.
    """
    chosen = list(dict.fromkeys(formats))
    _check_usage(chosen, output, out_dir, template)
    try:
        progress = _TerminalProgress() if sys.stderr.isatty() else None
        try:
            catalogue, outputs = build(
                source, chosen, config, template, encoding, not no_cache, progress
            )
        finally:
            if progress is not None:
                progress.finish()
        if out_dir is not None:
            try:
                out_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise click.ClickException(f"cannot create {out_dir}: {exc.strerror}") from None
            targets = {
                out_dir / (source.stem + FORMATS[o.format].extension): o.text for o in outputs
            }
        elif output is not None and str(output) != "-":
            targets = {output: outputs[0].text}
        else:
            targets = {}
        write_outputs(targets, source)
    except Bib2TableError as exc:
        raise click.ClickException(str(exc)) from None
    _report(catalogue.problems)
    if not targets:
        write_stdout(outputs[0].text)
    for path in targets:
        click.echo(f"bib2table: wrote {path} ({len(catalogue.entries)} entries)", err=True)
    if any(p.severity is Severity.ERROR for p in catalogue.problems):
        sys.exit(1)


def _check_usage(
    formats: list[str], output: Path | None, out_dir: Path | None, template: Path | None
) -> None:
    """Refuse combinations that have no single sensible meaning, before any work is done."""
    if not formats:
        raise click.UsageError("choose an output format: --html, --markdown or --csv")
    if output is not None and out_dir is not None:
        raise click.UsageError("use either -o/--output or --out-dir, not both")
    if len(formats) > 1 and out_dir is None:
        raise click.UsageError("several formats need --out-dir DIR (or run once per format)")
    if template is not None and len(formats) > 1:
        raise click.UsageError("--template replaces one format's template; choose one format")


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
