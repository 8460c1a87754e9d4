"""Build the self-contained HTML report of a run from its manifest (inputs, rejects, result tables)."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from radiovector.contracts import contract

_STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1100px;color:#1d2433;
line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:2px solid #dfe4ec;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0 1rem}
th,td{border:1px solid #dfe4ec;padding:.25rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f3f5f9}td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1rem 0}figcaption{font-size:.85rem;color:#4a5568;max-width:900px}
img{max-width:min(100%,860px);border:1px solid #dfe4ec}
pre{background:#f3f5f9;padding:.5rem;font-size:.8rem;overflow-x:auto}.muted{color:#6b7280;font-size:.85rem}
code{background:#f3f5f9;padding:0 .2rem;border-radius:3px;word-break:break-all}
"""


@dataclass(frozen=True)
class Figure:
    """A PNG figure with the caption that says what it shows."""

    path: Path
    caption: str


def table_html(frame: pd.DataFrame, limit: int | None = None, float_digits: int = 4) -> str:
    """An HTML table of (the first ``limit`` rows of) a frame, numbers right-aligned."""
    shown = frame if limit is None else frame.head(limit)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = []
    for record in shown.itertuples(index=False):
        cells = []
        for value in record:
            if isinstance(value, float):
                text = "" if pd.isna(value) else f"{value:.{float_digits}g}"
                cells.append(f'<td class="num">{text}</td>')
            elif isinstance(value, int):
                cells.append(f'<td class="num">{value}</td>')
            else:
                cells.append(f"<td>{'' if value is None else html.escape(str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = (
        f'<p class="muted">{len(frame) - len(shown)} more rows not shown.</p>'
        if len(shown) < len(frame)
        else ""
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def figure_html(figure: Figure) -> str:
    data = base64.b64encode(figure.path.read_bytes()).decode("ascii")
    caption = html.escape(figure.caption)
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{caption}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


FINDING_COLUMNS = ["tumour_type", "target", "candidate_id", "nuclide", "imaging_partner", "dossier_score", "reason"]


def findings_html(dossier: pd.DataFrame, per_tumour_type: int = 3) -> str:
    """The recommended tumour type x target x candidate x nuclide rows, best first within each tumour type."""
    best = dossier[dossier["recommended"]].groupby("tumour_type", sort=True).head(per_tumour_type)
    if best.empty:
        return "<p>No candidate has a compatible therapy nuclide for a ranked target.</p>"
    return (
        "<p>Per tumour type, the best-scoring candidates for ranked targets, with the therapy nuclide their chelator "
        "accepts and an imaging partner for pre-therapeutic dosimetry. The dossier score is the weighted geometric "
        "mean of target and candidate scores times chelator compatibility (docs/methods/dossier.md).</p>"
        + table_html(best[FINDING_COLUMNS])
    )


TI_COLUMNS = ["compound", "nuclide", "tumour_dose_gy_per_mbq", "limiting_organ", "ti_limiting_organ", "mta_mbq",
              "tumour_dose_at_mta_gy", "patient_sex", "patient_method", "patient_mta_gbq", "patient_mta_low_gbq",
              "patient_mta_high_gbq", "patient_limiting_organ", "patient_limit_kind",
              "tumour_dose_at_patient_mta_gy"]


def dose_findings_html(therapeutic_index: pd.DataFrame) -> str:
    """Therapeutic index per compound with measured biodistribution, best nuclide first."""
    shown = therapeutic_index[[c for c in TI_COLUMNS if c in therapeutic_index.columns]]
    shown = shown.sort_values(["compound", "ti_limiting_organ"], ascending=[True, False], kind="stable")
    return (
        "<p>Compounds with measured biodistribution: tumour dose per injected activity, the dose-limiting organ, "
        "the therapeutic index against it (tumour dose / organ dose), and the maximum tolerated activity with the "
        "tumour dose it gives for the mouse kinetics (mta_mbq, MBq per mouse). The patient columns carry the "
        "kinetics to the ICRP 89 reference adult (projection method named) and give the projected patient maximum "
        "tolerated activity in GBq with its bootstrap interval: the activity at which the limiting organ reaches its "
        "biologically effective dose (kidney) or absorbed-dose limit (docs/methods/dosimetry.md; organ doses in "
        "the human_doses table).</p>"
        + table_html(shown)
    )


def design_counts(summary: Mapping[str, Any]) -> dict[str, int]:
    """The design-space balance from ``design/summary.json`` (scripts/score_design.py). Exhaustive selection:
    enumerated = rejected + merged within a chunk (same InChIKey) + kept + not kept (below the top N and off the
    Pareto front, or a duplicate of a better row in another chunk). Bounded selection: enumerated = rejected +
    fully scored + not fully scored (provably outside the top N and off the front)."""
    enumerated, rejected, kept = summary["conjugates"], summary["rejects"], summary["rows_in_table"]
    if summary.get("selection") == "bounded":
        return {"enumerated": enumerated, "rejected": rejected, "kept": kept,
                "fully_scored": summary["fully_scored_conjugates"], "not_scored": summary["not_fully_scored"],
                "pareto_front": summary["pareto_front"]}
    scored = summary["unique_per_chunk"]
    return {"enumerated": enumerated, "rejected": rejected, "merged": enumerated - rejected - scored,
            "scored": scored, "kept": kept, "not_kept": scored - kept, "pareto_front": summary["pareto_front"]}


def design_summary_html(summary: Mapping[str, Any]) -> str:
    """The design-space summary: building blocks per role, and how many conjugates were enumerated, rejected,
    scored and kept in the ``design_space`` table, from ``design/summary.json``."""
    counts = design_counts(summary)
    per_role = summary.get("building_blocks_per_role", {})
    roles = [r for r in ("vector", "linker", "chelator", "albumin_binder") if r in per_role]
    rows = [
        ("building blocks", ", ".join(f"{per_role[r]} {r.replace('_', ' ')}" for r in roles)),
        ("chunks (conjugates per chunk)", f"{summary['chunks']} ({summary['chunk_size']})"),
        ("enumerated conjugates", counts["enumerated"]),
        ("rejected (see Rejected rows)", counts["rejected"]),
    ]
    if summary.get("selection") == "bounded":
        nth, bound = summary.get("nth_best_score"), summary.get("largest_unscored_bound")
        rows += [
            ("fully scored (every check)", counts["fully_scored"]),
            (f"not fully scored: score bound below the {summary['top_n']}-th best score "
             f"({' > '.join(_distinct(nth, bound))}) and objectives dominated by a scored row", counts["not_scored"]),
            (f"kept in design_space: top {summary['top_n']} by score plus the Pareto front", counts["kept"]),
            ("of which on the Pareto front", counts["pareto_front"]),
        ]
        intro = ("<p>Bounded selection: every conjugate got its cheap properties, an upper bound of its score and "
                 "its Pareto objectives; only conjugates that could enter the top N or the front were fully scored. "
                 "Enumerated conjugates = rejected + fully scored + not fully scored; the table is the one "
                 "scoring every conjugate gives (docs/methods/candidates.md, bounded selection).</p>")
    else:
        rows += [
            ("merged: same structure within a chunk", counts["merged"]),
            ("scored: distinct structures per chunk", counts["scored"]),
            (f"kept in design_space: top {summary['top_n']} by score plus the Pareto front", counts["kept"]),
            ("of which on the Pareto front", counts["pareto_front"]),
            ("not kept: below the top N and off the front, or a duplicate across chunks", counts["not_kept"]),
        ]
        intro = ("<p>Enumerated conjugates = rejected + merged + kept + not kept. Figures show the kept conjugates "
                 "(docs/methods/candidates.md, design-space screening).</p>")
    rows.append(("slowest chunk (s) / peak memory of a chunk job (MB)",
                 f"{summary.get('chunk_seconds_max', '')} / {summary.get('chunk_peak_rss_mb_max', '')}"))
    return intro + table_html(pd.DataFrame(rows, columns=["design space", "count"]))


def _distinct(a: float | None, b: float | None) -> tuple[str, str]:
    """``a`` and ``b`` with 4 significant digits, or as many more (up to 12) as it takes to tell them apart: the
    N-th best score and the largest unscored bound often differ only in the 7th digit."""
    if a is None or b is None:
        return tuple("n/a" if v is None else f"{v:.4g}" for v in (a, b))
    for digits in range(4, 13):
        pair = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if pair[0] != pair[1]:
            return pair
    return pair


def provenance_html(config: Mapping[str, Any], versions: Mapping[str, str]) -> str:
    import yaml

    rows = pd.DataFrame(sorted(versions.items()), columns=["package", "version"])
    return (
        "<h3>Configuration</h3><pre>" + html.escape(yaml.safe_dump(dict(config), sort_keys=True)) + "</pre>"
        "<h3>Software</h3>" + table_html(rows)
    )


def build_report(
    manifest: Mapping[str, Any],
    title: str,
    top_n: int = 20,
    sections: Sequence[tuple[str, str]] = (),
    figures: Mapping[str, Sequence[Figure]] | None = None,
    findings: pd.DataFrame | None = None,
    therapeutic_index: pd.DataFrame | None = None,
    config: Mapping[str, Any] | None = None,
    versions: Mapping[str, str] | None = None,
) -> str:
    """Render the report page: findings, inputs and rejects, stage figures (``sections`` are (heading, html)
    blocks shown in order, ``figures`` their PNGs), result tables, provenance."""
    figures = figures or {}
    inputs = pd.DataFrame(
        [
            {
                "input": name,
                "file": Path(s["path"]).name,
                "sha256": s["sha256"],
                "bytes": s["size_bytes"],
                "rows in": s["rows_in"],
                "accepted": s["rows_accepted"],
                "rejected": s["rows_rejected"],
            }
            for name, s in sorted(manifest["inputs"].items())
        ]
    )
    rejects = pd.concat([pd.read_parquet(p) for p in manifest["rejects"]], ignore_index=True)
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="muted">Generated {datetime.now(UTC):%Y-%m-%d %H:%M UTC} by RadioVector.</p>',
        *(["<h2>Top findings</h2>", findings_html(findings)] if findings is not None else []),
        *(["<h3>Doses and therapeutic indices</h3>", dose_findings_html(therapeutic_index)]
          if therapeutic_index is not None and len(therapeutic_index) else []),
        "<h2>Inputs</h2>",
        "<p>Every input table was checked against its schema (config/schemas/tables). "
        "Rows in = accepted + rejected.</p>",
        table_html(inputs),
        "<h2>Rejected rows</h2>",
        (
            "<p>No input row was rejected.</p>"
            if rejects.empty
            else "<p>Rows that failed validation, with the column and the reason. "
            "Fix them in the input file and rerun.</p>" + table_html(rejects, top_n)
        ),
    ]
    for heading, block in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>{block}")
        parts.extend(figure_html(f) for f in figures.get(heading, ()))
    for name, spec in sorted(manifest["tables"].items()):
        frame = pd.read_parquet(spec["path"])
        parts.append(f"<h3>Table <code>{html.escape(name)}</code> ({len(frame)} rows)</h3>")
        parts.append(f"<p>{html.escape(contract(name).summary())} Columns: docs/tables.md.</p>")
        parts.append(table_html(frame, top_n))
    if config is not None or versions is not None:
        parts.append("<h2>Provenance</h2>")
        parts.append(provenance_html(config or {}, versions or {}))
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>\n"
    )
