"""``radiovector score-candidates`` and ``radiovector train-affinity``: candidate scoring without the workflow."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from radiovector.candidates import limits
from radiovector.contracts import write_table
from radiovector.errors import ConfigError, InputError


def register(app: typer.Typer) -> None:
    app.command(
        "score-candidates",
        help=(
            "Score ligand/conjugate candidates (SMILES .smi, CSV/TSV/Parquet with id and smiles columns, or SDF) "
            "or peptides (FASTA, or CSV/TSV/Parquet with id and sequence columns; notation in "
            "docs/methods/peptides.md): standardise, descriptors, chelator and motif recognition, chelator-nuclide "
            "compatibility, alerts, similarity to reference actives, optional affinity model, and for peptides "
            "sequence properties, protease sites and renal retention; write a ranked, explained table.\n\n"
            "Example: radiovector score-candidates resources/example/candidates.csv --nuclide Lu-177 "
            "--nuclide Ga-68 -o results/candidates\n\n"
            "Example: radiovector score-candidates resources/example/peptides.csv -n Lu-177 -o results/peptides"
        ),
    )(score_candidates_command)
    app.command(
        "train-affinity",
        help=(
            "Train an affinity model on a CSV with a smiles column and one of pki, pic50, pkd, paffinity: the "
            "learner (kNN, random forest, SVR or Gaussian process with Tanimoto/MinMax kernels on Morgan "
            "fingerprints, their mean or their stacked combination) is chosen by nested cross-validation "
            "(scaffold split by default), its prediction intervals calibrated by conformal prediction; every "
            "learner's CV metrics go to MODEL.json.\n\n"
            "Example: radiovector train-affinity resources/example/affinity_CHEMBL4203.csv -o results/model.joblib"
        ),
    )(train_affinity_command)
    app.command(
        "enumerate",
        help=(
            "Enumerate a design space (vector x linker x chelator [x albumin binder]) from building blocks with "
            "attachment points [*:1] (vector-linker), [*:2] (linker-chelator), [*:3] (linker-albumin binder); "
            "write Parquet chunks, optionally scoring each chunk as it is made (streamed, bounded memory).\n\n"
            "Example: radiovector enumerate resources/example/building_blocks.csv --score -n Lu-177 "
            "-o results/design"
        ),
    )(enumerate_command)


def _progress() -> Progress:
    from radiovector.cli.common import err_console

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err_console, transient=True)


def _read_references(path: Path) -> pd.DataFrame:
    from radiovector.candidates.io import read_candidates

    accepted, rejects, _ = read_candidates(path)
    if accepted.empty:
        raise InputError(f"{path}: no usable reference structures", hint="references need id and smiles columns")
    return accepted


def write_outputs(tables: dict[str, pd.DataFrame], out: Path) -> dict[str, Path]:
    """``OUT.parquet`` -> candidates there plus ``OUT.nuclides.parquet``/``OUT.rejects.parquet``; else a directory."""
    if out.suffix.lower() == ".parquet":
        out.parent.mkdir(parents=True, exist_ok=True)
        stem = out.with_suffix("")
        paths = {"candidates": out, "candidate_nuclides": Path(f"{stem}.nuclides.parquet"),
                 "rejects": Path(f"{stem}.rejects.parquet")}
        if "cleavage_sites" in tables:
            paths["cleavage_sites"] = Path(f"{stem}.cleavage_sites.parquet")
    else:
        out.mkdir(parents=True, exist_ok=True)
        paths = {name: out / f"{name}.parquet" for name in tables}
    for name, path in paths.items():
        write_table(name, tables[name], path)
    return paths


def score_candidates_command(
    input: Annotated[Path, typer.Argument(help="Structures: .smi, .csv/.tsv/.parquet (id, smiles), .sdf; or "
                                          "peptides: FASTA, .csv/.tsv/.parquet (id, sequence)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output directory, or OUT.parquet")],
    nuclide: Annotated[list[str] | None, typer.Option("--nuclide", "-n", help="Radionuclide to check (repeat)")] = None,
    references: Annotated[Path | None, typer.Option("--references", "-r", help="Reference actives: id, smiles")] = None,
    model: Annotated[Path | None, typer.Option("--model", "-m", help="Affinity model from train-affinity")] = None,
    interval: Annotated[float, typer.Option("--interval", help="Central coverage of the affinity prediction "
                                            "interval (paffinity_low/high), e.g. 0.8")] = 0.9,
    profile: Annotated[str | None, typer.Option("--profile", "-p", help="Desirability profile (default: "
                                                "renal_small_molecule for structures, peptide for peptides)")] = None,
    top: Annotated[int, typer.Option("--top", help="Rows shown in the summary table")] = 10,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Write PNG figures next to the tables")] = True,
    monomers: Annotated[list[Path] | None, typer.Option("--monomers",
                                                        help="Extra peptide monomer CSV (repeat)")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Worker processes for structures (default: "
                                             "the cores available to this process; used from 500 rows per "
                                             "worker; same result as one)")] = None,
    max_heavy_atoms: Annotated[int | None, typer.Option("--max-heavy-atoms", help=(
        f"Larger structures are rejects before RDKit sees them (default: {limits.MAX_HEAVY_ATOMS} for structures, "
        f"{limits.PEPTIDE_MAX_HEAVY_ATOMS} for peptides; at most {limits.INCHI_MAX_ATOMS})"))] = None,
    max_smiles_length: Annotated[int, typer.Option("--max-smiles-length", help="Longer SMILES texts (characters) "
                                                   "are rejects")] = limits.MAX_SMILES_LENGTH,
    max_residues: Annotated[int, typer.Option("--max-residues", help="Peptides with more residues are rejects "
                                              "before they are built")] = limits.PEPTIDE_MAX_RESIDUES,
    max_sequence_length: Annotated[int, typer.Option(
        "--max-sequence-length", help="Longer peptide sequence texts (characters) are rejects"
    )] = limits.PEPTIDE_MAX_SEQUENCE_LENGTH,
) -> None:
    from radiovector.cli.common import console, err_console
    from radiovector.cpus import resolve_jobs
    from radiovector.peptides.io import is_peptide_table

    jobs = resolve_jobs(jobs)
    peptides = input.is_file() and is_peptide_table(input)
    refs = _read_references(references) if references else None
    mdl = None
    if model:  # scikit-learn and SciPy's statistics take ~1.6 s to import: only when a model is used
        from radiovector.candidates.affinity import AffinityModel

        mdl = AffinityModel.load(model)
    if not 0 < interval < 1:
        raise ConfigError(f"--interval must lie between 0 and 1 (e.g. 0.9 for a 90 % interval), got {interval}")
    params = {"nuclides": list(nuclide or []), "profile": profile or "renal_small_molecule", "interval": interval,
              "max_smiles_length": max_smiles_length,
              **({"max_heavy_atoms": max_heavy_atoms} if max_heavy_atoms is not None else {})}
    if peptides:
        from radiovector.peptides.io import read_peptides
        from radiovector.peptides.stage import score_peptides as score

        accepted, input_rejects, rows_in = read_peptides(input)
        params = {"nuclides": list(nuclide or []), "interval": interval, "peptides": {
            "profile": profile or "peptide", "monomer_files": [str(m) for m in monomers or []],
            "max_residues": max_residues, "max_sequence_length": max_sequence_length,
            **({"max_heavy_atoms": max_heavy_atoms} if max_heavy_atoms is not None else {})}}
    else:
        from radiovector.candidates.io import read_candidates
        from radiovector.candidates.stage import score_candidates as score

        accepted, input_rejects, rows_in = read_candidates(input)
    with _progress() as bar:
        task = bar.add_task("scoring", total=max(len(accepted), 1))
        tables = score(accepted, params, references=refs, model=mdl,
                       progress=lambda done: bar.update(task, completed=done), **({} if peptides else {"jobs": jobs}))
    tables["rejects"] = pd.concat([input_rejects, tables["rejects"]], ignore_index=True)
    if plots and len(tables["candidates"]):
        from radiovector.candidates import plots as cplots

        fig_dir = output if output.suffix.lower() != ".parquet" else output.parent
        fig_dir.mkdir(parents=True, exist_ok=True)
        cplots.write_figures(tables["candidates"], fig_dir, top_n=min(top, 24), jobs=jobs)
    paths = write_outputs(tables, output)
    cand = tables["candidates"]
    table = Table(title=f"Top candidates ({len(cand)} unique structures from {rows_in} rows)")
    nuc_cols = [c for c in cand.columns if c.startswith("compatibility_") and c != "compatibility_desirability"]
    for col in ("rank", "candidate_id", "score", "chelators", "targeting_motifs", *nuc_cols, "net_charge_ph74"):
        table.add_column(col.replace("compatibility_", ""), overflow="fold")
    for _, row in cand.head(top).iterrows():
        table.add_row(str(row["rank"]), str(row["candidate_id"]), f"{row['score']:.3f}", row["chelators"] or "-",
                      row["targeting_motifs"] or "-", *[str(row[c]) for c in nuc_cols], f"{row['net_charge_ph74']:.1f}")
    console.print(table)
    err_console.print(f"{rows_in} rows in: {len(accepted)} valid rows -> {len(cand)} unique structures; "
                      f"{len(tables['rejects'])} rejects. Wrote " + ", ".join(str(p) for p in paths.values()))


def train_affinity_command(
    activities: Annotated[Path, typer.Argument(help="CSV with smiles and pki/pic50/pkd/paffinity columns")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Model file (joblib); metadata in MODEL.json")],
    value_column: Annotated[str | None, typer.Option("--value-column", help="Column to learn (-log10 molar)")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed")] = 0,
    folds: Annotated[int, typer.Option("--folds", help="Cross-validation folds")] = 5,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="CPU cores for the random forest")] = 1,
    split: Annotated[str, typer.Option("--split", help="Cross-validation split that selects the learner: "
                                       "scaffold (Bemis-Murcko groups held out) or random")] = "scaffold",
    other_split: Annotated[bool, typer.Option("--other-split/--no-other-split", help="Also cross-validate with "
                                              "the other split kind and report it")] = True,
    learner: Annotated[list[str] | None, typer.Option("--learner", help="Candidate learner (repeat; default: "
                                                      "knn, rf, svr_tanimoto, svr_minmax, gp_tanimoto, "
                                                      "gp_minmax, ensemble, stack)")] = None,
) -> None:
    from radiovector.candidates.affinity import train_affinity
    from radiovector.cli.common import console, err_console
    from radiovector.io.tables import read_raw_table

    frame = read_raw_table(activities)
    if folds < 2:
        raise ConfigError(f"--folds must be at least 2, got {folds}")
    with err_console.status("training affinity model") as status:
        model, rejects = train_affinity(frame, str(activities), value_column, seed=seed, n_folds=folds, n_jobs=jobs,
                                        progress=lambda msg: status.update(msg), split=split,
                                        other_split=other_split, learners=tuple(learner) if learner else None)
    meta_path = model.save(output)
    if len(rejects):
        rejects.to_csv(output.with_name(output.name + ".rejects.csv"), index=False)
    meta = model.metadata
    sel = meta["selection"]
    table = Table(title=f"Nested cross-validation ({meta['n_train']} compounds, {model.value_column}); "
                        f"selected by {sel['split']} split: {sel['selected']} {sel['params']}")
    cliff = meta.get("n_cliff") is not None
    for col in ("split", "learner", "RMSE", *(("cliff RMSE",) if cliff else ()), "MAE", "R2", "Spearman"):
        table.add_column(col)
    for split_name, res in meta["cv"].items():
        for who, m in res["learners"].items():
            mark = " *" if who == sel["selected"] else ""
            table.add_row(split_name, who + mark, f"{m['rmse']:.3f}",
                          *((f"{m['rmse_cliff']:.3f}",) if cliff else ()), f"{m['mae']:.3f}", f"{m['r2']:.3f}",
                          f"{m['spearman']:.3f}")
    console.print(table)
    check = meta["cv"][sel["split"]]["interval_check"]
    err_console.print("interval coverage (cross-conformal, selection CV): " + ", ".join(
        f"{float(level):.0%} -> {v['coverage']:.3f} (mean width {v['mean_width']:.2f})" for level, v in check.items()))
    err_console.print(f"wrote {output} and {meta_path}; {len(rejects)} rows rejected")


def enumerate_command(
    blocks: Annotated[Path, typer.Argument(help="Building blocks CSV: id, role, smiles")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output directory")],
    chunk_size: Annotated[int, typer.Option("--chunk-size", help="Conjugates per chunk")] = 50000,
    chunk: Annotated[int | None, typer.Option("--chunk", help="Only this chunk (0-based), for workflows")] = None,
    score: Annotated[bool, typer.Option("--score/--no-score", help="Score the space: its top N and Pareto front "
                                        "in top/ (bounded selection unless --exhaustive)")] = False,
    top_n: Annotated[int, typer.Option("--top-n", help="With --score: best conjugates kept (plus the front)")] = 1000,
    exhaustive: Annotated[bool, typer.Option("--exhaustive", help="With --score: fully score every conjugate and "
                                             "write every chunk's scores (slow)")] = False,
    nuclide: Annotated[list[str] | None, typer.Option("--nuclide", "-n", help="Radionuclide to check (repeat)")] = None,
    profile: Annotated[str, typer.Option("--profile", "-p", help="Desirability profile")] = "renal_small_molecule",
    fast: Annotated[bool, typer.Option("--fast", help="Skip PAINS/Brenk alerts, QED and SA score")] = False,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Worker processes (default: the cores available "
                                             "to this process)")] = None,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="With --score: PNG figures of the top "
                                        "candidates in top/")] = True,
    max_heavy_atoms: Annotated[int, typer.Option("--max-heavy-atoms", help=(
        f"With --score: larger conjugates are rejects (at most {limits.INCHI_MAX_ATOMS})"))] = limits.MAX_HEAVY_ATOMS,
) -> None:
    from radiovector.candidates.enumerate import enumerate_chunk, load_blocks, merge_scored, n_chunks
    from radiovector.candidates.stage import score_candidates
    from radiovector.cli.common import err_console
    from radiovector.cpus import resolve_jobs
    from radiovector.io.tables import read_raw_table

    if chunk_size < 1:
        raise ConfigError(f"--chunk-size must be positive, got {chunk_size}")
    jobs = resolve_jobs(jobs)
    space = load_blocks(read_raw_table(blocks), str(blocks))
    total = n_chunks(space, chunk_size)
    if chunk is not None and not 0 <= chunk < total:
        raise ConfigError(f"--chunk {chunk} out of range: the design space has {total} chunks of {chunk_size}")
    output.mkdir(parents=True, exist_ok=True)
    params = {"nuclides": list(nuclide or []), "profile": profile, "alerts": not fast, "qed_sa": not fast,
              "max_heavy_atoms": max_heavy_atoms}
    chunks = [chunk] if chunk is not None else list(range(total))
    if score and not exhaustive and chunk is None:
        _enumerate_bounded(space, output, chunk_size, top_n, params, jobs, plots)
        return
    parts = []
    with _progress() as bar:
        task = bar.add_task(f"{len(space)} conjugates", total=len(chunks))
        for k in chunks:
            frame = enumerate_chunk(space, k, chunk_size)
            frame.to_parquet(output / f"conjugates_{k:05d}.parquet", index=False)
            if score:
                res = score_candidates(frame, params, jobs=jobs)
                res["candidates"].to_parquet(output / f"candidates_{k:05d}.parquet", index=False)
                parts.append({"candidates": res["candidates"].head(top_n), **{
                    name: res[name] for name in ("candidate_nuclides", "rejects")}})
            bar.update(task, advance=1)
    if score and parts:
        merged = merge_scored(parts)
        write_outputs(merged, output / "top")
        if plots and len(merged["candidates"]):
            from radiovector.candidates import plots as cplots

            cplots.write_figures(merged["candidates"], output / "top", jobs=jobs)
    err_console.print(f"{len(space)} conjugates in {total} chunk(s) of {chunk_size}; wrote {len(chunks)} chunk(s) "
                      f"to {output}" + ("; merged top candidates in top/" if score else ""))


def _enumerate_bounded(space, output: Path, chunk_size: int, top_n: int, params: dict, jobs: int,
                       plots: bool) -> None:
    """``enumerate --score``: bounded selection (phase 1: cheap pass and bounds of every conjugate; phase 2: full
    scoring of what can enter the top N or the front), the design_space table in top/."""
    import json

    from radiovector.candidates.bounds import BoundArrays
    from radiovector.candidates.design import bound_chunk, gather, select_bounded
    from radiovector.cli.common import err_console
    from radiovector.contracts import write_table

    design = {**params, "building_blocks": "cli", "top_n": top_n, "chunk_size": chunk_size}
    rejects = []
    with _progress() as bar:
        cheap = bar.add_task("phase 1: bounds", total=len(space))
        full = bar.add_task("phase 2: full scoring (conjugates settled)", total=len(space), start=False)

        def bound_frames():
            for k in range(-(-len(space) // chunk_size)):
                base = k * chunk_size
                frame, rej, _ = bound_chunk(space, k, chunk_size, design, jobs=jobs, progress=lambda done, base=base:
                                            bar.update(cheap, completed=base + done))
                rejects.append(rej)
                yield frame

        bounds = BoundArrays.collect(bound_frames())  # ~40 bytes a conjugate, not the chunk frames
        bar.start_task(full)
        rows, found, summary = select_bounded(space, bounds, design, chunk_size, jobs=jobs,
                                              progress=lambda done: bar.update(full, completed=done))
        del bounds
        bar.update(full, completed=len(space))
    table = gather([rows], top_n)
    top = output / "top"
    top.mkdir(parents=True, exist_ok=True)
    write_table("design_space", table, top / "design_space.parquet")
    write_table("rejects", pd.concat([*rejects, found], ignore_index=True), top / "rejects.parquet")
    (top / "summary.json").write_text(json.dumps({"conjugates": len(space), "top_n": top_n, **summary}, indent=1))
    if plots and len(table):
        from radiovector.candidates.plots import write_design_figures

        write_design_figures(table, top / "figures", jobs=jobs)
    err_console.print(f"{len(space)} conjugates: {summary['fully_scored_conjugates']} fully scored, "
                      f"{summary['not_fully_scored']} provably outside the top {top_n} and off the Pareto front; "
                      f"{len(table)} rows in {top / 'design_space.parquet'}")
