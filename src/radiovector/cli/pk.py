"""``radiovector fit-pk``: fit biodistribution curves and integrate them, without the workflow."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.table import Table

from radiovector.errors import ConfigError


def register(app: typer.Typer) -> None:
    app.command(
        "fit-pk",
        help=(
            "Fit mono-/bi-/tri-exponential and uptake-washout models to every compound x organ curve of a "
            "biodistribution table, select by AICc, integrate to time-integrated activity coefficients with "
            "bootstrap confidence intervals and a non-compartmental check; write Parquet tables and PNG "
            "plots.\n\nExample: radiovector fit-pk resources/example/biodistribution.csv --nuclide Lu-177 "
            "-o results/pk"
        ),
    )(fit_pk_command)


def fit_pk_command(
    input_csv: Annotated[Path, typer.Argument(help="Biodistribution table (CSV/TSV/Parquet).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory for pk_*.parquet and plots.")],
    nuclide: Annotated[list[str] | None, typer.Option(
        "--nuclide", "-n", help="Therapy nuclide(s) to re-decay the kinetics with (repeatable).")] = None,
    n_bootstrap: Annotated[int | None, typer.Option("--bootstrap", help="Bootstrap replicates.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (default from config).")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Worker processes.")] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="YAML with a 'pk' section.")] = None,
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Skip the PNG plots.")] = False,
) -> None:
    from radiovector.io.tables import load_input
    from radiovector.pk import fit_biodistribution
    from radiovector.pk.plots import plot_fits

    params: dict = {}
    if config is not None:
        if not config.is_file():
            raise ConfigError(f"config file not found: {config}")
        try:
            doc = yaml.safe_load(config.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{config}: not valid YAML: {exc}") from exc
        params = dict(doc.get("pk", doc)) if isinstance(doc, dict) else {}
    if nuclide:
        params["therapy_nuclides"] = list(nuclide)
    for key, val in (("n_bootstrap", n_bootstrap), ("seed", seed), ("n_jobs", jobs)):
        if val is not None:
            params[key] = val
    validated = load_input(input_csv, "biodistribution")
    params.setdefault("source", str(input_csv))
    tables = fit_biodistribution(validated.accepted, params)
    rejects = tables["rejects"]
    if len(validated.rejects):
        import pandas as pd

        rejects = pd.concat([validated.rejects, rejects], ignore_index=True)
    tables["rejects"] = rejects
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_parquet(out / f"{name}.parquet", index=False)
    plots = [] if no_plots else plot_fits(tables, out / "plots")
    console = Console(width=None if sys.stdout.isatty() else 200)
    tia = tables["pk_tia"]
    t = Table(title=f"time-integrated activity coefficients ({input_csv.name})")
    for col in ("compound", "organ", "nuclide", "model", "w", "tiac", "95% CI", "NCA", "extrap.", "flags"):
        t.add_column(col, overflow="fold")
    for r in tia.itertuples():
        t.add_row(str(r.compound), str(r.organ), str(r.nuclide), str(r.model), f"{r.akaike_weight:.2f}",
                  f"{r.tiac:.4g} {r.tiac_unit}", f"{r.tiac_low:.4g}-{r.tiac_high:.4g}", f"{r.tiac_nca:.4g}",
                  f"{r.extrapolated_fraction:.0%}", str(r.flags))
    console.print(t)
    n_curves = len(tables["pk_points"].drop_duplicates(["compound", "radionuclide", "organ"]))
    console.print(f"rows in {validated.rows_in}, curves {n_curves}, rejected rows {len(rejects)}; "
                  f"tables and {len(plots)} plot(s) written to {out}")
