"""Snakemake script: score one chunk of an enumerated design space (rule design_chunk) or gather the chunks into
the design_space table (rule design_gather); see radiovector.candidates.design."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))  # noqa: F821  (use this checkout's package)

import json  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402

import pandas as pd  # noqa: E402

from radiovector.contracts import write_table  # noqa: E402
from radiovector.io.tables import read_raw_table, sha256_file  # noqa: E402
from radiovector.scripting import run_script, write_json, write_parquet  # noqa: E402


def chunk(smk):
    from radiovector.candidates.design import bound_chunk, score_chunk
    from radiovector.candidates.enumerate import load_blocks
    from radiovector.io.tables import read_raw_table

    start = time.perf_counter()
    space = load_blocks(read_raw_table(smk.input.blocks), str(smk.input.blocks))
    design = dict(smk.params.design)
    run = bound_chunk if design.get("selection", "bounded") == "bounded" else score_chunk
    kept, rejects, counts = run(space, int(smk.wildcards.chunk), int(smk.params.chunk_size), design,
                                jobs=smk.threads)
    write_parquet(kept, smk.output.kept)
    write_table("rejects", rejects, smk.output.rejects)
    counts["seconds"] = round(time.perf_counter() - start, 2)
    counts["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    write_json(counts, smk.output.counts)


def gather(smk):
    from radiovector.candidates.bounds import BoundArrays
    from radiovector.candidates.design import gather as gather_chunks
    from radiovector.candidates.design import select_bounded
    from radiovector.candidates.enumerate import load_blocks
    from radiovector.candidates.plots import write_design_figures

    start = time.perf_counter()
    design = dict(smk.params.design)
    top_n = int(design["top_n"])
    blocks = Path(smk.params.blocks)
    block_rows = read_raw_table(blocks)
    space = load_blocks(block_rows, str(blocks))
    selection = {"selection": "exhaustive"}
    extra_rejects = []
    if design.get("selection", "bounded") == "bounded":
        # every conjugate's bounds as arrays (~40 bytes a conjugate), read one chunk file at a time
        rows, found, selection = select_bounded(space, BoundArrays.from_parquet(list(smk.input.kept)), design,
                                                int(smk.params.chunk_size), jobs=smk.threads)
        parts, extra_rejects = [rows], [found]
    else:
        parts = [pd.read_parquet(p) for p in smk.input.kept]
    table = gather_chunks(parts, top_n)
    write_table("design_space", table, smk.output.table)
    write_design_figures(table, Path(smk.output.figures), jobs=smk.threads)
    rejects = [pd.read_parquet(p) for p in smk.input.rejects] + extra_rejects
    write_table("rejects", pd.concat(rejects, ignore_index=True), smk.output.rejects)
    counts = [json.loads(Path(p).read_text()) for p in smk.input.counts]
    blocks_sha256 = sha256_file(blocks)
    n_blocks = len(block_rows)  # every block row was accepted: a bad block stops the run
    write_json({"input": "building_blocks", "path": str(blocks), "sha256": blocks_sha256,
                "size_bytes": blocks.stat().st_size, "schema": "building_blocks", "rows_in": n_blocks,
                "rows_accepted": n_blocks, "rows_rejected": 0}, smk.output.input_summary)
    write_json({
        "building_blocks": str(blocks),
        "building_blocks_sha256": blocks_sha256,
        "building_blocks_per_role": {"vector": len(space.vectors), "linker": len(space.linkers),
                                     "chelator": len(space.chelators), "albumin_binder": len(space.albumin_binders)},
        "chunks": len(counts),
        "chunk_size": int(smk.params.chunk_size),
        "conjugates": sum(c["conjugates"] for c in counts),
        **({"unique_per_chunk": sum(c["unique"] for c in counts)} if selection["selection"] == "exhaustive"
           else {}),
        "rejects": sum(c["rejects"] for c in counts) + sum(len(r) for r in extra_rejects),
        "rows_in_table": len(table),
        "pareto_front": int(table["on_pareto_front"].sum()) if len(table) else 0,
        "top_n": top_n,
        **({"bounded_per_conjugate": sum(c.get("bounded_per_conjugate", 0) for c in counts)}
           if selection["selection"] == "bounded" else {}),
        "chunk_seconds_max": max((c["seconds"] for c in counts), default=0),
        "chunk_peak_rss_mb_max": max((c["peak_rss_mb"] for c in counts), default=0),
        "gather_seconds": round(time.perf_counter() - start, 2),
        "gather_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **selection,
    }, smk.output.summary)


def main(smk):
    (chunk if smk.rule == "design_chunk" else gather)(smk)


run_script(snakemake, main)  # noqa: F821
