# Design-space screening: enumerate vector x linker x chelator [x albumin binder] conjugates from building blocks
# in chunks of design.chunk_size (plain {chunk} wildcards: one job per chunk, never per molecule). With
# design.selection: bounded (default) each chunk job computes every conjugate's cheap values, score bound and
# objectives, and the gather fully scores only what can enter the top N or the Pareto front; with exhaustive each
# chunk job scores its conjugates and keeps its top N and front. Either way the gather writes the design_space table.
# Included by workflow/Snakefile only when the config has design.building_blocks.
import sys

sys.path.insert(0, str(PROJECT_ROOT / "src"))

from radiovector.candidates.design import resolve_params as resolve_design  # noqa: E402
from radiovector.candidates.enumerate import load_blocks, n_chunks  # noqa: E402
from radiovector.io.tables import read_raw_table  # noqa: E402

DESIGN = resolve_design(dict(config["design"]))
DESIGN_BLOCKS = str((CONFIG_DIR / Path(DESIGN["building_blocks"]).expanduser()).resolve())
DESIGN_CHUNKS = [
    f"{k:05d}"
    for k in range(n_chunks(load_blocks(read_raw_table(DESIGN_BLOCKS), DESIGN_BLOCKS), DESIGN["chunk_size"]))
]


rule design_chunk:
    input:
        blocks=DESIGN_BLOCKS,
    output:
        kept=temp("design/chunks/{chunk}.parquet"),
        rejects=temp("design/chunks/{chunk}.rejects.parquet"),
        counts="design/chunks/{chunk}.json",
    params:
        design=DESIGN,
        chunk_size=DESIGN["chunk_size"],
        code=CODE_VERSION["score_design.py"],
    threads: 1  # chunk jobs run side by side (snakemake --cores); each uses one core
    wildcard_constraints:
        chunk=r"\d{5}",
    log:
        "logs/design/{chunk}.log",
    conda:
        "../envs/candidates.yaml"
    script:
        "../scripts/score_design.py"


rule design_gather:
    input:
        kept=expand("design/chunks/{chunk}.parquet", chunk=DESIGN_CHUNKS),
        rejects=expand("design/chunks/{chunk}.rejects.parquet", chunk=DESIGN_CHUNKS),
        counts=expand("design/chunks/{chunk}.json", chunk=DESIGN_CHUNKS),
    output:
        table=contract("design_space").path,
        rejects="design/rejects.parquet",
        summary="design/summary.json",
        input_summary="design/building_blocks.json",
        figures=report(
            directory("design/figures"),
            patterns=["{name}.png"],
            caption="../docs/report/design.rst",
            category="Design space",
        ),
    params:
        design=DESIGN,
        chunk_size=DESIGN["chunk_size"],
        blocks=DESIGN_BLOCKS,
        code=CODE_VERSION["score_design.py"],
    threads: workflow.cores  # full scoring of the selected conjugates uses every core the run was given
    log:
        "logs/design/gather.log",
    conda:
        "../envs/candidates.yaml"
    script:
        "../scripts/score_design.py"


RESULT_TABLES.append("design_space")
STAGE_REJECTS.append("design/rejects.parquet")
EXTRA_INPUT_SUMMARIES.append("design/building_blocks.json")
REPORT_FIGURES["Design space"] = "design/figures"
REPORT_INPUTS["design_summary"] = "design/summary.json"
