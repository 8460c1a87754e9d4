# The run manifest (what `radiovector run` commits to the store) and the HTML report.


rule manifest:
    input:
        summaries=expand("ingest/{input_name}.json", input_name=INPUTS),
        rejects=expand("ingest/{input_name}.rejects.parquet", input_name=INPUTS),
        tables=[path for path, _ in RESULT_TABLES.values()],
    output:
        "manifest.json",
    params:
        tables={name: {"path": path, "key": key} for name, (path, key) in RESULT_TABLES.items()},
    log:
        "logs/manifest.log",
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/manifest.py"


rule report:
    input:
        manifest="manifest.json",
    output:
        report(
            "report/index.html",
            caption="../docs/report/summary.rst",
            category="Summary",
        ),
    params:
        title=config["title"],
        top_n=config["report"]["top_n"],
    log:
        "logs/report.log",
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/report.py"
