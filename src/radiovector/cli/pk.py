"""``radiovector fit-pk``: fit biodistribution curves and integrate them, without the workflow."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from radiovector.contracts import write_table


def register(app: typer.Typer) -> None:
    app.command(
        "fit-pk",
        help=(
            "Fit mono-/bi-/tri-exponential and uptake-washout models to every compound x organ curve of a "
            "biodistribution table, select by AICc, integrate to time-integrated activity coefficients with "
            "bootstrap confidence intervals and a non-compartmental check; write Parquet tables and PNG "
            "plots.\n\nWith -o OUT.parquet the per-curve TIA table goes to OUT.parquet and the other tables beside "
            "it (OUT.fits.parquet, OUT.params.parquet, OUT.curves.parquet, OUT.points.parquet, "
            "OUT.sum_check.parquet, OUT.rejects.parquet, plots in OUT.plots/); with -o DIR every table is "
            "DIR/pk_*.parquet and the plots DIR/plots/.\n\n"
            "Example: radiovector fit-pk resources/example/biodistribution.csv --nuclide Lu-177 -o results/pk.parquet"
        ),
    )(fit_pk_command)


def fit_pk_command(
    input_csv: Annotated[Path, typer.Argument(help="Biodistribution table (CSV/TSV/Parquet).")],
    out: Annotated[Path, typer.Option(
        "-o", "--out", help="OUT.parquet (TIA table, other tables beside it) or a directory for pk_*.parquet.")],
    nuclide: Annotated[list[str] | None, typer.Option(
        "--nuclide", "-n", help="Therapy nuclide(s) to re-decay the kinetics with (repeatable).")] = None,
    n_bootstrap: Annotated[int | None, typer.Option("--bootstrap", help="Bootstrap replicates.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (default from config).")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Worker processes.")] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="YAML with a 'pk' section.")] = None,
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Skip the PNG plots.")] = False,
) -> None:
    from radiovector.config import config_section
    from radiovector.io.tables import load_input
    from radiovector.pk import fit_biodistribution
    from radiovector.pk.plots import plot_fits

    params = config_section(config, "pk")
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
    paths = output_paths(out, list(tables))
    for name, frame in tables.items():
        write_table(name, frame, paths[name])
    plots = [] if no_plots else plot_fits(tables, paths["plots"])
    console = Console(width=None if sys.stdout.isatty() else 200)
    tia = tables["pk_tia"]
    t = Table(title=f"time-integrated activity coefficients ({input_csv.name})")
    for col in ("compound", "organ", "nuclide", "model", "w", "tiac", "95% CI", "NCA", "organ (h)", "extrap.",
                "flags"):
        t.add_column(col, overflow="fold")

    def fmt(v: float, spec: str = ".4g") -> str:
        return "-" if v != v else format(v, spec)  # NaN -> "-"

    for r in tia.itertuples():
        ci = "-" if r.tiac_low != r.tiac_low else f"{r.tiac_low:.4g}-{r.tiac_high:.4g}"
        t.add_row(str(r.compound), str(r.organ), str(r.nuclide), str(r.model), fmt(r.akaike_weight, ".2f"),
                  f"{r.tiac:.4g} {r.tiac_unit}", ci, fmt(r.tiac_nca), fmt(r.tiac_organ_h),
                  fmt(r.extrapolated_fraction, ".0%"), str(r.flags))
    console.print(t)
    n_curves = len(tables["pk_points"].drop_duplicates(["compound", "radionuclide", "organ"]))
    console.print(f"rows in {validated.rows_in}, curves {n_curves}, rejected rows {len(rejects)}; "
                  f"TIA table {paths['pk_tia']}, other tables and {len(plots)} plot(s) beside it")


def output_paths(out: Path, names: list[str]) -> dict[str, Path]:
    """Where each table (and the plots folder) goes: ``OUT.parquet`` -> the TIA table there and
    ``OUT.<name>.parquet`` beside it (``pk_`` prefix dropped); an existing directory or a path without the
    ``.parquet`` suffix -> ``DIR/<name>.parquet`` and ``DIR/plots``."""
    if out.suffix.lower() == ".parquet" and not out.is_dir():
        stem = out.with_suffix("")
        paths = {n: out if n == "pk_tia" else Path(f"{stem}.{n.removeprefix('pk_')}.parquet") for n in names}
        paths["plots"] = Path(f"{stem}.plots")
        return paths
    paths = {n: out / f"{n}.parquet" for n in names}
    paths["plots"] = out / "plots"
    return paths
