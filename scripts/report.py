"""Snakemake script: render the self-contained HTML report of the run."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))  # noqa: F821  (use this checkout's package)

import pandas as pd  # noqa: E402

from radiovector.report import build_report  # noqa: E402
from radiovector.report.captions import caption_for  # noqa: E402
from radiovector.report.html import Figure, design_summary_html  # noqa: E402
from radiovector.scripting import run_script  # noqa: E402
from radiovector.store.records import package_versions  # noqa: E402


def main(smk):
    manifest = json.loads(Path(smk.input.manifest).read_text())
    sections, figures = [], {}
    order = ["Targets", "Candidates", "Design space", "Pharmacokinetics", "Dosimetry"]
    present = smk.params.figures
    for section in [s for s in order if s in present] + sorted(set(present) - set(order)):
        caption_file = Path(smk.params.captions[section])
        caption = " ".join(caption_file.read_text().split()) if caption_file.is_file() else section
        block = f"<p>{caption}</p>"
        if section == "Design space" and hasattr(smk.input, "design_summary"):
            block += design_summary_html(json.loads(Path(smk.input.design_summary).read_text()))
        sections.append((section, block))
        figures[section] = [Figure(p, caption_for(p, caption)) for p in sorted(Path(present[section]).glob("*.png"))]
    def table(name):
        spec = manifest["tables"].get(name)
        return pd.read_parquet(spec["path"]) if spec else None

    page = build_report(manifest, title=smk.params.title, top_n=smk.params.top_n, sections=sections,
                        figures=figures, findings=table("dossier"),
                        therapeutic_index=table("therapeutic_index"), config=smk.config, versions=package_versions())
    Path(smk.output[0]).parent.mkdir(parents=True, exist_ok=True)
    Path(smk.output[0]).write_text(page)


run_script(snakemake, main)  # noqa: F821
