"""``radiovector rank-targets``: rank cell-surface targets per tumour type without the workflow."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from radiovector.config import config_section
from radiovector.contracts import write_table
from radiovector.errors import ConfigError, InputError


def register(app: typer.Typer) -> None:
    app.command(
        "rank-targets",
        help=(
            "Rank cell-surface targets per tumour type from tumour expression, normal organ expression and "
            "surface evidence; write the ranked tables (Parquet) and report figures (PNG).\n\n"
            "Example: radiovector rank-targets --tumour resources/example/tumour_expression.tsv.gz "
            "--normal resources/example/normal_expression.tsv.gz "
            "--surfaceome resources/example/surfaceome.tsv "
            "--tumour-type PRAD -o results/targets"
        ),
    )(rank_targets_command)


def _pairs(values: list[str], option: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in values:
        for part in item.split(","):
            name, sep, number = part.partition("=")
            try:
                if not sep or not name.strip():
                    raise ValueError
                out[name.strip()] = float(number)
            except ValueError:
                raise ConfigError(
                    f"{option}: cannot read {part!r}",
                    hint=f"write {option} name=number, e.g. {option} kidney=1.0",
                ) from None
    return out


def _outputs(out: Path) -> tuple[dict[str, Path], Path]:
    names = ["targets", "organ_expression", "unmapped", "rejects", "target_summary"]
    if out.suffix == ".parquet":
        stem = out.with_suffix("")
        paths = {n: out if n == "targets" else stem.parent / f"{stem.name}.{n}.parquet" for n in names}
        return paths, stem.parent / f"{stem.name}_plots"
    return {n: out / f"{n}.parquet" for n in names}, out / "plots"


_H = {
    "tumour": "Tumour expression: summary table (OncoDB shape) or sample-level matrix (genes x samples) "
    "with --sample-sheet.",
    "normal": "Normal organ expression, long (ensembl_gene, tissue, ntpm) or a wide HPA matrix.",
    "surfaceome": "Surface evidence file (SURFY, CSPA or a custom list); repeat for several sources.",
    "out": "Output directory, or OUT.parquet for the targets table (other tables and plots are written "
    "beside it).",
    "sample_sheet": "Sample sheet for a sample-level --tumour matrix (sample_id, sample_type, tumour_type, "
    "tissue).",
    "tumour_type": "Only these tumour types (repeatable).",
    "config": "YAML with target parameters (its 'targets:' section, or the whole file).",
    "weight": "Component weight, e.g. -w safety=0.4 (level, contrast, safety, surface, prevalence).",
    "organ": "Organ panel replacing the default, e.g. --organ kidney=1,bone_marrow=1,salivary_gland=0.8.",
    "top_n": "Rows per tumour type in the printed table and plots (default 25).",
}


def rank_targets_command(
    tumour: Annotated[Path, typer.Option("--tumour", "-t", help=_H["tumour"])],
    normal: Annotated[Path, typer.Option("--normal", "-n", help=_H["normal"])],
    surfaceome: Annotated[list[Path], typer.Option("--surfaceome", "-S", help=_H["surfaceome"])],
    out: Annotated[Path, typer.Option("--out", "-o", help=_H["out"])],
    sample_sheet: Annotated[Path | None, typer.Option("--sample-sheet", help=_H["sample_sheet"])] = None,
    tumour_type: Annotated[list[str] | None, typer.Option("--tumour-type", help=_H["tumour_type"])] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help=_H["config"])] = None,
    weight: Annotated[list[str] | None, typer.Option("--weight", "-w", help=_H["weight"])] = None,
    organ: Annotated[list[str] | None, typer.Option("--organ", help=_H["organ"])] = None,
    top_n: Annotated[int | None, typer.Option("--top-n", min=1, help=_H["top_n"])] = None,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Write the PNG figures.")] = True,
) -> None:
    from rich.table import Table

    from radiovector.cli.common import console, err_console
    from radiovector.targets import rank_targets_from_files, resolve_params
    from radiovector.targets.plots import plot_all

    params = config_section(config, "targets")
    if weight:
        params["weights"] = {**params.get("weights", {}), **_pairs(weight, "--weight")}
    if organ:
        params["organ_panel"] = _pairs(organ, "--organ")
    if tumour_type:
        params["tumour_types"] = list(tumour_type)
    if top_n is not None:
        params["top_n"] = top_n
    resolved = resolve_params(params)
    for path in (tumour, normal, *surfaceome, *([sample_sheet] if sample_sheet else [])):
        if not Path(path).is_file():
            raise InputError(f"input file not found: {path}", hint="check the path")
    result = rank_targets_from_files(tumour, normal, surfaceome, params, sample_sheet=sample_sheet)
    paths, plot_dir = _outputs(out)
    for name, path in paths.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_table(name, result[name], path)
    written = plot_all(result, plot_dir, resolved["top_n"]) if plots else []

    targets = result["targets"]
    n = resolved["top_n"]
    for code in sorted(targets["tumour_type"].unique()):
        table = Table(title=f"{code}: top {n} targets", show_lines=False)
        for col in (
            "rank",
            "gene",
            "score",
            "level",
            "contrast",
            "safety",
            "surface",
            "prevalence",
            "limiting organ",
        ):
            table.add_column(col, justify="left" if col in ("gene", "limiting organ") else "right")
        top = targets[targets["tumour_type"] == code].nsmallest(n, "rank")
        for row in top.to_dict("records"):

            def fmt(v: Any) -> str:
                return "-" if v is None or v != v else f"{v:.2f}"

            table.add_row(
                str(row["rank"]),
                str(row["gene_symbol"] or row["gene_key"]),
                fmt(row["score"]),
                fmt(row["level_score"]),
                fmt(row["contrast_score"]),
                fmt(row["safety_score"]),
                fmt(row["surface_score"]),
                fmt(row["prevalence_score"]),
                str(row["limiting_organ"]),
            )
        console.print(table)
    summary = result["target_summary"]
    unmapped = int(summary["genes_in"].sum() - summary["genes_mapped_ensembl"].sum()) if len(summary) else 0
    total = int(summary["genes_in"].sum()) if len(summary) else 0
    err_console.print(
        f"ranked {len(targets)} gene x tumour-type rows; {unmapped}/{total} tumour rows without an "
        "Ensembl id "
        f"({100 * unmapped / max(total, 1):.1f}%); {len(result['rejects'])} rejected input rows; "
        f"tables in {paths['targets'].parent}"
        + (f", {len(written)} figures in {plot_dir}" if written else ""),
        highlight=False,
    )
