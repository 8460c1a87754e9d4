# The run manifest (what `radiovector run` commits to the store) and the HTML report.


rule manifest:
    input:
        summaries=expand("ingest/{input_name}.json", input_name=INPUTS) + EXTRA_INPUT_SUMMARIES,
        rejects=expand("ingest/{input_name}.rejects.parquet", input_name=INPUTS) + STAGE_REJECTS,
        tables=list(table_outputs(RESULT_TABLES).values()),
    output:
        "manifest.json",
    params:
        tables=table_outputs(RESULT_TABLES),
        code=CODE_VERSION["manifest.py"],
    log:
        "logs/manifest.log",
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/manifest.py"


rule report:
    input:
        manifest="manifest.json",
        figures=list(REPORT_FIGURES.values()),
        **REPORT_INPUTS,
    output:
        report(
            "report/index.html",
            caption="../docs/report/summary.rst",
            category="Summary",
        ),
    params:
        title=config["title"],
        top_n=config["report"]["top_n"],
        figures=REPORT_FIGURES,
        code=CODE_VERSION["report.py"],
        captions={section: str(PROJECT_ROOT / "docs" / "report" / f"{stage}.rst") for section, stage in
                  [("Pharmacokinetics", "pk"), ("Targets", "targets"), ("Candidates", "candidates"),
                   ("Design space", "design"), ("Dosimetry", "dosimetry")]},
    log:
        "logs/report.log",
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/report.py"
