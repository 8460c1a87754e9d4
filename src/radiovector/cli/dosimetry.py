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
from radiovector.config import config_section
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
) -> None:
    import pandas as pd

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
    tables = compute_doses(tia, params, cand)
    for name, frame in tables.items():
        write_table(name, frame, out if name == "doses" else out.with_name(f"{out.stem}_{name}.parquet"))
    n_plots = 0
    if plots is not None:
        from radiovector.dosimetry.plots import plot_doses, plot_nuclide_by_size

        n_plots = len(plot_doses(tables, plots)) + len(plot_nuclide_by_size(tables["nuclide_by_size"], plots))
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 200)
    t = Table(title="therapeutic index (tumour / organ dose; MTA from dose limits)")
    for col in (
        "compound",
        "nuclide",
        "tumour Gy/MBq",
        "kidney Gy/MBq",
        "marrow Gy/MBq",
        "TI kidney",
        "TI marrow",
        "limiting",
        "MTA MBq",
        "tumour Gy at MTA",
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
        )
    console.print(t)
    console.print(
        f"{len(tables['doses'])} organ dose rows written to {out} (+ {len(tables) - 1} tables, {n_plots} plot(s))"
    )
