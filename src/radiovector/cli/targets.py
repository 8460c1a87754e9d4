"""``radiovector rank-targets``: rank cell-surface targets per tumour type without the workflow."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

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
    app.command(
        "evaluate-targets",
        help=(
            "Rank every tumour type of the inputs and report how well known targets are found: per known pair and "
            "overall (micro and macro) rank, recall@k and median rank, for the composite score and for baselines "
            "computed in the same run on the same genes (log2 fold change, tumour level, a ten-line "
            "organ-penalised score); a figure and tables. --fit also chooses the score's parameters by "
            "leave-one-tumour-type-out cross-validation on the list and writes them with their provenance.\n\n"
            "Example: radiovector evaluate-targets --tumour resources/example/tumour_expression.tsv.gz "
            "--normal resources/example/normal_expression.tsv.gz -S resources/example/surfaceome.tsv "
            "-o results/evaluation   (KNOWN.csv omitted: the bundled known-target list)"
        ),
    )(evaluate_targets_command)


def _targets_params(config: Path | None, weight: list[str] | None, organ: list[str] | None,
                    tumour_type: list[str] | None) -> dict[str, Any]:
    """The ``targets:`` section of ``config`` with the command-line weights, organ panel and tumour types over it."""
    from radiovector.config import config_section

    params = config_section(config, "targets")
    if weight:
        params["weights"] = {**params.get("weights", {}), **_pairs(weight, "--weight")}
    if organ:
        params["organ_panel"] = _pairs(organ, "--organ")
    if tumour_type:
        params["tumour_types"] = list(tumour_type)
    return params


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
    "curated": "Curated surface-gene list (gene_symbol/ensembl_gene/entrez_id + reason): every listed gene joins "
    "the ranked universe and is reported as curated.",
    "known": "Known-target list (CSV: tumour_type, gene[, agent, stage, reference]); default: the bundled list.",
    "k": "Cut-off for recall@k (repeatable; default 10, 20, 50).",
    "fit": "Choose the score's parameters by leave-one-tumour-type-out search on the known list; write "
    "calibrated_params.yaml (use it with targets: {calibration: FILE}) and report the held-out ranks.",
    "candidates": "Parameter sets tried by --fit (besides the configured one; default 300, seeded).",
    "calibration": "Parameters to rank with: 'bundled' (the package's calibration) or a file from --fit.",
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
    curated: Annotated[Path | None, typer.Option("--curated", help=_H["curated"])] = None,
) -> None:
    from rich.table import Table

    from radiovector.cli.common import console, err_console
    from radiovector.targets import rank_targets_from_files, resolve_params
    from radiovector.targets.plots import plot_all

    params = _targets_params(config, weight, organ, tumour_type)
    if top_n is not None:
        params["top_n"] = top_n
    resolved = resolve_params(params)
    optional = [x for x in (sample_sheet, curated) if x is not None]
    for path in (tumour, normal, *surfaceome, *optional):
        if not Path(path).is_file():
            raise InputError(f"input file not found: {path}", hint="check the path")
    result = rank_targets_from_files(
        tumour, normal, surfaceome, params, sample_sheet=sample_sheet, curated=curated
    )
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


def evaluate_targets_command(
    known: Annotated[Path | None, typer.Argument(help=_H["known"], show_default=False)] = None,
    tumour: Annotated[list[Path] | None, typer.Option("--tumour", "-t", help=_H["tumour"] + " Repeatable.")] = None,
    normal: Annotated[Path | None, typer.Option("--normal", "-n", help=_H["normal"])] = None,
    surfaceome: Annotated[list[Path] | None, typer.Option("--surfaceome", "-S", help=_H["surfaceome"])] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path("evaluation"),
    curated: Annotated[Path | None, typer.Option("--curated", help=_H["curated"])] = None,
    tumour_type: Annotated[list[str] | None, typer.Option("--tumour-type", help=_H["tumour_type"])] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help=_H["config"])] = None,
    weight: Annotated[list[str] | None, typer.Option("--weight", "-w", help=_H["weight"])] = None,
    organ: Annotated[list[str] | None, typer.Option("--organ", help=_H["organ"])] = None,
    calibration: Annotated[str | None, typer.Option("--calibration", help=_H["calibration"])] = None,
    k: Annotated[list[int] | None, typer.Option("--k", min=1, help=_H["k"])] = None,
    fit: Annotated[bool, typer.Option("--fit", help=_H["fit"])] = False,
    n_candidates: Annotated[int, typer.Option("--candidates", min=0, help=_H["candidates"])] = 300,
) -> None:
    import time

    from rich.table import Table

    from radiovector.cli.common import console, err_console
    from radiovector.targets import calibration as cal
    from radiovector.targets import rank_targets, resolve_params
    from radiovector.targets.evaluate import DEFAULT_KS, evaluate_ranking, load_known, plot_rank_distributions
    from radiovector.targets.pipeline import load_inputs

    if not tumour or normal is None or not surfaceome:
        raise InputError(
            "evaluate-targets needs --tumour (repeatable), --normal and at least one --surfaceome",
            hint="the same ranking inputs as rank-targets",
        )
    params = _targets_params(config, weight, organ, tumour_type)
    if calibration:
        params["calibration"] = calibration
    resolved = resolve_params(params)
    ks = tuple(sorted(set(k))) if k else DEFAULT_KS
    for path in (*tumour, normal, *surfaceome, *([curated] if curated else [])):
        if not Path(path).is_file():
            raise InputError(f"input file not found: {path}", hint="check the path")
    known_table = load_known(known)
    t0 = time.perf_counter()
    summary, normal_table, evidence, _ = load_inputs(list(tumour), normal, list(surfaceome), None, params, curated)
    t_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = rank_targets(summary, normal_table, evidence, params)
    t_rank = time.perf_counter() - t0
    targets = result["targets"]
    extra = {}
    doc = None
    if fit:
        t0 = time.perf_counter()
        feats, search = cal.fit(targets, normal_table, known_table, resolved, n_candidates, ks)
        extra = cal.heldout_rankings(feats, search, targets)
        data = f"{summary['cancer_type'].nunique()} tumour types from {len(tumour)} file(s); surface: " + ", ".join(
            sorted({p.name for p in surfaceome})
        )
        doc = cal.calibration_document(search, feats, known, ks, data)
        cal.write_calibration(doc, out / "calibrated_params.yaml")
        err_console.print(f"fitted in {time.perf_counter() - t0:.1f} s", highlight=False)
    t0 = time.perf_counter()
    evaluation = evaluate_ranking(targets, normal_table, known_table, ks, tumour=summary, extra=extra)
    t_eval = time.perf_counter() - t0
    for name, frame in evaluation.items():
        write_table(name, frame, out / f"{name}.parquet")
        frame.to_csv(out / f"{name}.csv", index=False)
    figure = plot_rank_distributions(evaluation["target_evaluation"], out / "rank_distributions.png", ks)

    pairs = evaluation["target_evaluation"]
    wide = pairs.pivot_table(index=["tumour_type", "gene"], columns="method", values="rank", aggfunc="first",
                             sort=False)
    methods = list(dict.fromkeys(pairs["method"]))
    table = Table(title="Known targets: rank per method")
    for col in ("pair", *methods, "note"):
        table.add_column(col, justify="left" if col in ("pair", "note") else "right")
    notes = pairs.drop_duplicates(["tumour_type", "gene"]).set_index(["tumour_type", "gene"])["note"]
    for key in notes.index:
        row = wide.loc[key] if key in wide.index else None
        cells = ["-" if row is None or row.get(m) is None or row.get(m) != row.get(m) else str(int(row[m]))
                 for m in methods]
        table.add_row(f"{key[0]} {key[1]}", *cells, notes[key])
    console.print(table)
    summary_table = Table(title="Recall@k (pairs in the universe)")
    for col in ("method", *[f"@{x} micro/macro" for x in ks], "median rank"):
        summary_table.add_column(col, justify="left" if col == "method" else "right")
    s = evaluation["target_evaluation_summary"]
    for method in methods:
        sub = s[s["method"] == method].set_index("k")
        summary_table.add_row(
            method,
            *[f"{sub.loc[x, 'recall_micro']:.3f}/{sub.loc[x, 'recall_macro']:.3f}" for x in ks],
            f"{sub['median_rank'].iloc[0]:.0f}",
        )
    console.print(summary_table)
    err_console.print(
        f"read {t_read:.1f} s, ranked {targets['tumour_type'].nunique()} tumour types in {t_rank:.1f} s, evaluated "
        f"(with baselines) in {t_eval:.1f} s; tables and {figure.name} in {out}"
        + ("; calibrated_params.yaml written" if doc else ""),
        highlight=False,
    )
