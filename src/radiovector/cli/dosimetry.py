"""``radiovector sphere`` and ``radiovector dose``: sphere S-values and organ doses, without the workflow.

Heavy modules (radioactivedecay, the nuclides and dosimetry packages, pandas) are imported inside the commands so
that the CLI starts fast.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated

import typer

from radiovector.cli.common import jsonable, print_json
from radiovector.contracts import write_table
from radiovector.errors import ConfigError


def register(app: typer.Typer) -> None:
    app.command(
        "sphere",
        help=(
            "Self-dose S-value and absorbed fractions (electrons, photons, alphas) of a unit-density sphere for one "
            "ICRP-107 nuclide (the nuclide alone, no progeny).\n\nExample: radiovector sphere --nuclide Lu-177 "
            "--mass-g 0.0043 --json"
        ),
    )(sphere_command)
    app.command(
        "dose",
        help=(
            "Organ and tumour absorbed doses per injected activity (Gy/MBq), therapeutic indices, limiting organ, "
            "maximum tolerated activity and the nuclide choice by tumour size, from a pk_tia table.\n\nExample: "
            "radiovector dose results/pk/pk_tia.parquet --nuclide Lu-177 -o results/doses.parquet"
        ),
    )(dose_command)
    app.command(
        "cell",
        help=(
            "MIRD cellular S-values (Gy per Bq s) of one ICRP-107 nuclide for a spherical cell with a concentric "
            "nucleus: S(N<-N), S(N<-Cy), S(N<-CS), S(C<-C); electrons (beta, conversion, Auger) and alphas, photons "
            "neglected.\n\nExample: radiovector cell --nuclide I-125 --cell-radius-um 5 --nucleus-radius-um 3 --json"
        ),
    )(cell_command)


def sphere_command(
    nuclide: Annotated[str, typer.Option("--nuclide", "-n", help="Nuclide, e.g. Lu-177, Y-90, Ac-225.")],
    mass_g: Annotated[float, typer.Option("--mass-g", "-m", help="Sphere mass in grams (unit density).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print only JSON on stdout (for scripts).")] = False,
) -> None:
    from radiovector.dosimetry.spheres import sphere

    if not (mass_g > 0 and math.isfinite(mass_g)):
        raise ConfigError(f"--mass-g must be a positive number of grams, got {mass_g}")
    doc = jsonable(sphere(nuclide, mass_g))
    if as_json:
        print_json(doc)
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160)
    t = Table(title=f"{doc['nuclide']} in a {mass_g:g} g unit-density sphere (radius {doc['radius_um']:.4g} um)")
    t.add_column("quantity")
    t.add_column("value", justify="right")
    for k, v in doc.items():
        if k in ("nuclide", "mass_g", "radius_um"):
            continue
        t.add_row(k, "n/a" if v is None else f"{v:.6g}")
    console.print(t)
    console.print("self-dose only (source = target); see docs/methods/dosimetry.md")


def dose_command(
    pk_tia: Annotated[Path, typer.Argument(help="pk_tia table (Parquet or CSV) from radiovector fit-pk.")],
    out: Annotated[
        Path,
        typer.Option(
            "-o",
            "--out",
            help="Output Parquet for the doses table; the other tables "
            "are written beside it (<stem>_therapeutic_index.parquet, ...).",
        ),
    ],
    nuclide: Annotated[
        list[str] | None, typer.Option("--nuclide", "-n", help="Only these nuclides of pk_tia (repeatable).")
    ] = None,
    tumour_mass_g: Annotated[float | None, typer.Option("--tumour-mass-g", help="Measured tumour mass (g).")] = None,
    candidates: Annotated[
        Path | None,
        typer.Option(
            "--candidate-nuclides", help="candidate_nuclides table (Parquet/CSV) for the nuclide-by-size comparison."
        ),
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="YAML with a 'dosimetry' section.")] = None,
    plots: Annotated[Path | None, typer.Option("--plots", help="Directory for PNG plots.")] = None,
    pk_params: Annotated[
        Path | None,
        typer.Option(
            "--pk-params",
            help="pk_params table of fit-pk: exact allometric time scaling of each fitted curve for the "
            "patient projection (without it an effective mono-exponential is used).",
        ),
    ] = None,
) -> None:
    import pandas as pd

    from radiovector.config import config_section
    from radiovector.dosimetry import compute_doses

    params = config_section(config, "dosimetry")
    if nuclide:
        params["nuclides"] = list(nuclide)
    if tumour_mass_g is not None:
        params["tumour_mass_g"] = tumour_mass_g

    def read(path: Path) -> pd.DataFrame:
        from radiovector.errors import InputError

        if not path.is_file():
            raise InputError(f"file not found: {path}")
        try:
            if path.suffix.lower() in (".parquet", ".pq"):
                return pd.read_parquet(path)
            import io

            from radiovector.io.text import read_input_bytes

            data = read_input_bytes(path, "table", "give the pk_tia table of fit-pk (Parquet, or CSV as UTF-8 text)")
            return pd.read_csv(io.BytesIO(data))
        except InputError:
            raise
        except Exception as exc:  # pyarrow / pandas parser errors
            raise InputError(f"{path}: cannot read table: {exc}") from exc

    tia = read(pk_tia)
    missing = {"compound", "organ", "nuclide", "tiac", "tiac_unit"} - set(tia.columns)
    if missing:
        from radiovector.errors import InputError

        raise InputError(f"{pk_tia}: missing column(s) {sorted(missing)}", hint="give the pk_tia table of fit-pk")
    if "radionuclide" not in tia:
        tia["radionuclide"] = tia["nuclide"]
    cand = read(candidates) if candidates is not None else None
    tables = compute_doses(tia, params, cand, read(pk_params) if pk_params is not None else None)
    for name, frame in tables.items():
        write_table(name, frame, out if name == "doses" else out.with_name(f"{out.stem}_{name}.parquet"))
    n_plots = 0
    if plots is not None:
        from radiovector.dosimetry.plots import plot_doses, plot_human_doses, plot_nuclide_by_size

        n_plots = (
            len(plot_doses(tables, plots))
            + len(plot_nuclide_by_size(tables["nuclide_by_size"], plots))
            + len(plot_human_doses(tables["human_doses"], plots))
        )
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 200)
    t = Table(title="therapeutic index (tumour / organ dose); mouse MTA (MBq) and projected patient MTA (GBq)")
    for col in (
        "compound",
        "nuclide",
        "tumour Gy/MBq",
        "kidney Gy/MBq",
        "marrow Gy/MBq",
        "TI kidney",
        "TI marrow",
        "limiting",
        "mouse MTA MBq",
        "tumour Gy at MTA",
        "patient MTA GBq (interval)",
        "patient limiting",
    ):
        t.add_column(col, overflow="fold")
    for r in tables["therapeutic_index"].itertuples():
        t.add_row(
            str(r.compound),
            str(r.nuclide),
            f"{r.tumour_dose_gy_per_mbq:.4g}",
            f"{r.dose_kidney_gy_per_mbq:.4g}",
            f"{r.dose_red_marrow_gy_per_mbq:.4g}",
            f"{r.ti_kidney:.3g}",
            f"{r.ti_red_marrow:.3g}",
            str(r.limiting_organ),
            f"{r.mta_mbq:.4g}",
            f"{r.tumour_dose_at_mta_gy:.4g}",
            f"{r.patient_mta_gbq:.3g} ({r.patient_mta_low_gbq:.3g}-{r.patient_mta_high_gbq:.3g})",
            f"{r.patient_limiting_organ} ({r.patient_sex}, {r.patient_method})",
        )
    console.print(t)
    console.print(
        f"{len(tables['doses'])} organ dose rows written to {out} (+ {len(tables) - 1} tables, {n_plots} plot(s))"
    )


def cell_command(
    nuclide: Annotated[str, typer.Option("--nuclide", "-n", help="Nuclide, e.g. I-125, Lu-177, Tb-161, At-211.")],
    cell_radius_um: Annotated[float, typer.Option("--cell-radius-um", help="Cell radius R_C in micrometres.")],
    nucleus_radius_um: Annotated[
        float, typer.Option("--nucleus-radius-um", help="Nucleus radius R_N in micrometres (0 < R_N < R_C).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print only JSON on stdout (for scripts).")] = False,
) -> None:
    from radiovector.dosimetry.cellular import cellular_table

    for opt, v in (("--cell-radius-um", cell_radius_um), ("--nucleus-radius-um", nucleus_radius_um)):
        if not (v > 0 and math.isfinite(v)):
            raise ConfigError(f"{opt} must be a positive number of micrometres, got {v}")
    if not nucleus_radius_um < cell_radius_um:
        raise ConfigError(
            f"--nucleus-radius-um ({nucleus_radius_um:g}) must be smaller than --cell-radius-um ({cell_radius_um:g})",
            hint="the nucleus lies inside the cell: e.g. R_C = 5, R_N = 3",
        )
    table = cellular_table(nuclide, cell_radius_um, nucleus_radius_um)
    if as_json:
        print_json({str(k): float(v) for k, v in zip(table["key"], table["s_gy_per_bq_s"], strict=True)})
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160)
    t = Table(
        title=f"{table['nuclide'].iloc[0]}: cellular S-values, cell radius {cell_radius_um:g} um, nucleus "
        f"radius {nucleus_radius_um:g} um (unit density)"
    )
    for col in ("target <- source", "S (Gy/Bq s)", "electrons", "alphas", "absorbed fraction"):
        t.add_column(col, justify="left" if col.startswith("target") else "right")
    for r in table.itertuples():
        t.add_row(
            f"{r.target} <- {r.source.replace('_', ' ')}",
            f"{r.s_gy_per_bq_s:.4g}",
            f"{r.s_electron_gy_per_bq_s:.4g}",
            f"{r.s_alpha_gy_per_bq_s:.4g}",
            f"{r.absorbed_fraction:.4g}",
        )
    console.print(t)
    console.print(
        "electrons (beta spectrum, conversion, Auger) and alphas; photons neglected; the nuclide alone, no "
        "progeny; see docs/methods/dosimetry.md"
    )
