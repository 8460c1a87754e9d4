"""``radiovector runs export`` / ``runs import``: share runs as verified Workflow Run RO-Crate zips."""

from __future__ import annotations

from pathlib import Path

import typer

from radiovector.cli.common import JsonOption, StoreOption, console, open_store, print_json


def register(runs_app: typer.Typer) -> None:
    """Add ``export`` and ``import`` to the ``runs`` command group."""
    runs_app.command("export")(export_command)
    runs_app.command("import")(import_command)


def export_command(
    run: str = typer.Argument(..., help="Run id, a unique prefix of it, 'latest' or 'latest~N'."),
    output: Path = typer.Option(..., "--output", "-o", help="The crate file to write (FILE.zip).", show_default=False),
    no_inputs: bool = typer.Option(
        False, "--no-inputs", help="Leave the input files out; the crate then records only their sha256."
    ),
    store: str = StoreOption,
    as_json: bool = JsonOption,
) -> None:
    """Export one run as a Workflow Run RO-Crate zip: result tables (Parquet), inputs, config, provenance, sha256.

    Example: radiovector runs export latest -o run.zip
    """
    from radiovector.store.crate import export_run

    summary = export_run(open_store(store), run, output, include_inputs=not no_inputs)
    if as_json:
        print_json(summary)
        return
    rows = sum(n or 0 for n in summary["tables"].values())
    console.print(
        f"[bold green]exported run {summary['run_id']}[/] to {summary['file']} "
        f"({summary['size_bytes'] / 1e6:.1f} MB, {len(summary['tables'])} tables, {rows} rows, "
        f"inputs {'included' if summary['inputs_included'] else 'as checksums only'})\n"
        f"  sha256 {summary['sha256']}\n"
        f"next (at the receiving site): radiovector runs import {Path(summary['file']).name} --institution ...",
        highlight=False,
    )


def import_command(
    crate: Path = typer.Argument(..., help="A crate zip written by `radiovector runs export`."),
    institution: str = typer.Option(
        None, "--institution", help="Institution the run comes from (recorded with the run).", show_default=False
    ),
    person: str = typer.Option(
        None,
        "--person",
        help="Person who sent the run (recorded; default: the exporting user named in the crate).",
        show_default=False,
    ),
    store: str = StoreOption,
    as_json: bool = JsonOption,
) -> None:
    """Verify a run crate (every sha256) and import the run; it is then listed and queried like a local run.

    Nothing is written unless the whole crate verifies; an existing run is never overwritten.

    Example: radiovector runs import run.zip --institution "Uni Example" --person "A. Chemist"
    """
    from radiovector.store.crate import import_run

    summary = import_run(open_store(store), crate, {"institution": institution, "person": person})
    if as_json:
        print_json(summary)
        return
    console.print(
        f"[bold green]imported run {summary['run_id']}[/] into {summary['store']} "
        f"({len(summary['tables'])} tables, {sum(summary['tables'].values())} rows; all checksums verified)\n"
        f"  origin: institution {summary['origin'].get('institution')}, person {summary['origin'].get('person')}, "
        f"imported at {summary['origin']['imported_at']}\n"
        f"next: radiovector runs show {summary['run_id']}",
        highlight=False,
    )
