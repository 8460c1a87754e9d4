"""``radiovector run``: run the workflow and commit the run to the store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from radiovector.cli.common import JsonOption, StoreOption, console, err_console, open_store, print_json
from radiovector.errors import RadioVectorError
from radiovector.paths import default_config

if TYPE_CHECKING:
    from radiovector.runner import RunOutcome
    from radiovector.store import ResultsStore


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
    findings = _top_findings(results_store, outcome) if outcome.status == "succeeded" else []
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
        "top_findings": findings,
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
        if findings:
            console.print("[bold]top findings[/] (recommended candidate per tumour type; see the dossier table):")
            for row in findings:
                console.print(
                    f"  {row['tumour_type']}: {row['target']} <- {row['candidate_id']} with {row['nuclide']}"
                    f" (image with {row['imaging_partner'] or 'n/a'}), dossier score {row['dossier_score']:.2f}",
                    highlight=False,
                )
        if outcome.report_path:
            console.print(f"report: {outcome.report_path}")
        console.print(f"next: radiovector runs show {outcome.run_id}")


def _top_findings(store: ResultsStore, outcome: RunOutcome, per_tumour_type: int = 1) -> list[dict[str, Any]]:
    """The best recommended dossier rows of the run, per tumour type."""
    if "dossier" not in outcome.tables:
        return []
    dossier = store.read("dossier", outcome.run_id).to_pandas()
    best = dossier[dossier["recommended"]].sort_values(["tumour_type", "dossier_rank"], kind="stable")
    columns = ["tumour_type", "target", "candidate_id", "nuclide", "imaging_partner", "dossier_score", "reason"]
    return best.groupby("tumour_type").head(per_tumour_type)[columns].to_dict(orient="records")
