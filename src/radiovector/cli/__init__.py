"""The ``radiovector`` command line: run the pipeline, query and compare runs, run single stages."""

from __future__ import annotations

import os
import sys

import typer

from radiovector.cli import candidates, common, dosimetry, keys, nuclide, pk, run, runs, share, targets
from radiovector.errors import RadioVectorError, is_no_space
from radiovector.interrupts import Interrupted

app = typer.Typer(
    name="radiovector",
    help=(
        "RadioVector: preclinical vector discovery for targeted radionuclide therapy.\n\n"
        "Ranks tumour targets from omics data, scores ligand candidates, fits pharmacokinetics and keeps every "
        "run in a versioned results store (Delta Lake). Start with `radiovector run` on the bundled example."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)


@app.callback()
def _options(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks for errors."),
    endpoint_url: str = typer.Option(
        None,
        "--endpoint-url",
        help="S3-compatible endpoint for s3:// stores (default: $AWS_ENDPOINT_URL).",
        show_default=False,
    ),
) -> None:
    common.STATE.debug = debug
    common.STATE.endpoint_url = endpoint_url


run.register(app)
share.register(runs.app)
app.add_typer(runs.app, name="runs")
app.add_typer(keys.app, name="keys")
# Single stages, usable without Snakemake or a store.
targets.register(app)
candidates.register(app)
pk.register(app)
dosimetry.register(app)
nuclide.register(app)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: user errors print one clear message (traceback only with --debug), and so does
    a full disk (Rust panic backtraces of delta-rs are off unless --debug)."""
    if "--debug" not in (sys.argv[1:] if argv is None else argv):
        os.environ["RUST_BACKTRACE"] = "0"
    try:
        app(args=argv)  # standalone mode: usage errors are reported by typer and exit 2
    except RadioVectorError as exc:
        if common.STATE.debug:
            raise
        common.err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
        if exc.hint:
            common.err_console.print(f"  [yellow]hint:[/] {exc.hint}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except Interrupted as exc:  # radiovector run: SIGINT/SIGTERM, after stopping Snakemake and recording the run
        common.err_console.print(f"[bold yellow]interrupted:[/] {exc.message}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        if common.STATE.debug or not is_no_space(exc):
            raise
        where = getattr(exc, "filename", None)
        first = (exc.strerror if where and exc.strerror else str(exc).strip().splitlines()[0]) or type(exc).__name__
        common.err_console.print(
            f"[bold red]error:[/] no space left on device{f' writing {where}' if where else ''}: {first}",
            highlight=False,
            soft_wrap=True,
        )
        common.err_console.print(
            "  [yellow]hint:[/] free space on that disk (or write elsewhere) and run again",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)
