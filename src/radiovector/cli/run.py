"""``radiovector run``: run the workflow and commit the run to the store."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from radiovector.cli.common import JsonOption, StoreOption, console, err_console, open_store, print_json
from radiovector.errors import RadioVectorError
from radiovector.paths import default_config


def register(app: typer.Typer) -> None:
    app.command(
        "run",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        help=(
            "Run the pipeline on a config and commit the run to the results store.\n\n"
            "Only steps whose inputs, parameters or code changed are recomputed; every invocation is recorded "
            "as a new run. Arguments after `--` go to Snakemake, e.g. `radiovector run -- --forceall`.\n\n"
            "Example: radiovector run --config config/config.yaml --store results/store --cores 2"
        ),
    )(run_command)


def run_command(
    ctx: typer.Context,
    config: Path = typer.Option(
        None,
        "--config",
        "-c",
        help="Config file (YAML). Default: the bundled example config/config.yaml.",
        show_default=False,
    ),
    store: str = StoreOption,
    cores: int = typer.Option(2, "--cores", "-j", min=1, help="CPU cores Snakemake may use."),
    as_json: bool = JsonOption,
) -> None:
    from radiovector.runner import run_pipeline

    results_store = open_store(store)
    config_path = config or default_config()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task("workflow steps", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        outcome = run_pipeline(
            config_path,
            results_store,
            cores=cores,
            extra_args=list(ctx.args),
            on_progress=on_progress,
            on_status=lambda message: err_console.print(message, highlight=False),
        )
    summary = {
        "run_id": outcome.run_id,
        "status": outcome.status,
        "store": results_store.location,
        "report": str(outcome.report_path) if outcome.report_path else None,
        "tables": {name: meta["rows"] for name, meta in outcome.tables.items()},
        "inputs": {
            name: {k: s[k] for k in ("rows_in", "rows_accepted", "rows_rejected")}
            for name, s in outcome.inputs.items()
        },
        "error": outcome.error,
    }
    if as_json:
        print_json(summary)
    if outcome.status != "succeeded":
        raise RadioVectorError(
            f"run {outcome.run_id} failed (recorded in the store as failed): {outcome.error}",
            hint=f"fix the problem and run again; `radiovector runs show {outcome.run_id}` shows the record",
        )
    if not as_json:
        console.print(
            f"[bold green]run {outcome.run_id} succeeded[/] and is committed to {results_store.location}"
        )
        for name, s in sorted(outcome.inputs.items()):
            console.print(
                f"  input {name}: {s['rows_in']} rows, {s['rows_accepted']} accepted, {s['rows_rejected']} rejected"
            )
        for name, meta in sorted(outcome.tables.items()):
            console.print(f"  table {name}: {meta['rows']} rows")
        if outcome.report_path:
            console.print(f"report: {outcome.report_path}")
        console.print(f"next: radiovector runs show {outcome.run_id}")
