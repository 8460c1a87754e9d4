"""``radiovector nuclide NAME``: half-life, decay chain and mean emission energies (ICRP-107)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from radiovector.cli.common import jsonable, print_json


def register(app: typer.Typer) -> None:
    app.command(
        "nuclide",
        help=(
            "Show a radionuclide's half-life, decay chain and mean energy per decay by emission class "
            "(MeV; ICRP-107 via radioactivedecay and icrp107-database).\n\n"
            "Example: radiovector nuclide Ac-225"
        ),
    )(nuclide_command)



def nuclide_command(
    name: Annotated[str, typer.Argument(help="Nuclide, e.g. Lu-177, Ac-225, Tc-99m.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print only JSON on stdout (for scripts).")] = False,
) -> None:
    # imported here: radioactivedecay takes seconds to load, and every other command would pay for it
    from radiovector.nuclides import MAIN_CLASSES, chain_energy_per_parent_decay, decay_chain, nuclide_info

    info = nuclide_info(name)
    chain = decay_chain(info.name)
    totals = chain_energy_per_parent_decay(info.name).set_index("nuclide").loc["TOTAL"]
    energy = {k: info.mean_energy_mev[k] for k in MAIN_CLASSES}
    chain_rows = jsonable(chain.to_dict(orient="records"))
    doc = {
        "name": info.name,
        "half_life_h": info.half_life_h,
        "decay_constant_per_h": info.decay_constant_per_h,
        "chain": chain_rows,
        "mean_energy_mev": energy,
        "chain_mean_energy_mev_per_parent_decay": {k: float(totals[f"{k}_mev"]) for k in MAIN_CLASSES},
        "source": "ICRP Publication 107 (radioactivedecay, icrp107-database)",
    }
    if as_json:
        print_json(doc)
        return
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(f"[bold]{info.name}[/]  T1/2 = {info.half_life_h:.6g} h  "
                  f"(lambda = {info.decay_constant_per_h:.6g} 1/h)")
    t = Table(title="decay chain (decays per parent decay at equilibrium)")
    for col in ("nuclide", "parent", "branching", "decays/parent decay", "T1/2 (h)"):
        t.add_column(col)
    for r in chain_rows:
        t.add_row(r["nuclide"], r["parent"], f"{r['branching']:.5g}", f"{r['decays_per_parent_decay']:.5g}",
                  "stable" if r["stable"] else f"{r['half_life_h']:.5g}")
    console.print(t)
    e = Table(title="mean energy per decay (MeV)")
    e.add_column("class")
    e.add_column(info.name)
    e.add_column("chain, per parent decay")
    for k in MAIN_CLASSES:
        e.add_row(k, f"{energy[k]:.6g}", f"{doc['chain_mean_energy_mev_per_parent_decay'][k]:.6g}")
    console.print(e)
