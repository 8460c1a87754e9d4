"""Summaries of sample-level expression (genes x samples) per tumour type and per normal tissue.

For each tumour type: median, quantiles and prevalence (the fraction of tumour samples whose expression
exceeds
a threshold) of every gene, plus the median of the matched normal samples and the log2 fold change
log2((tumour median + 1) / (normal median + 1)). Work is done on a float32 array one group at a time, so
memory
stays near the size of the matrix itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from radiovector.errors import InputError


def _align(samples: list[str], sheet: pd.DataFrame) -> pd.DataFrame:
    known = set(sheet["sample_id"])
    missing = [s for s in samples if s not in known]
    if missing:
        raise InputError(
            f"{len(missing)} matrix sample(s) are not in the sample sheet, e.g. {missing[:3]}",
            hint="every column of the expression matrix must have a row in the sample sheet (sample_id)",
        )
    return sheet.set_index("sample_id").loc[samples].reset_index()


def _qname(q: float) -> str:
    return f"tumour_q{round(q * 100):02d}_tpm"


def summarise_samples(
    values: np.ndarray,
    genes: pd.DataFrame,
    samples: list[str],
    sheet: pd.DataFrame,
    threshold: float = 10.0,
    quantiles: list[float] | None = None,
) -> pd.DataFrame:
    """Per tumour type x gene summary in the ``tumour_expression`` shape, plus quantiles and prevalence.

    ``values`` is [genes, samples] in the matrix's units (e.g. TPM); ``genes`` has one identifier column
    per row;
    ``sheet`` is the validated sample sheet. Normal samples are matched by ``tumour_type``.
    """
    quantiles = [0.1, 0.25, 0.75, 0.9] if quantiles is None else quantiles
    sheet = _align(samples, sheet)
    kind = sheet["sample_type"].to_numpy()
    types = sheet["tumour_type"].to_numpy(dtype=object)
    tumour_types = sorted(
        {t for t, k in zip(types, kind, strict=True) if k == "tumour" and isinstance(t, str)}
    )
    if not tumour_types:
        raise InputError(
            "the sample sheet lists no tumour samples of the matrix",
            hint="set sample_type=tumour and tumour_type for tumour samples",
        )
    frames = []
    n_genes = values.shape[0]
    for code in tumour_types:
        t_idx = np.flatnonzero((kind == "tumour") & (types == code))
        n_idx = np.flatnonzero((kind == "normal") & (types == code))
        block = np.ascontiguousarray(values[:, t_idx], dtype=np.float32)
        qs = sorted({0.5, *quantiles})
        qv = np.quantile(block, qs, axis=1)  # [len(qs), genes]
        out = genes.copy()
        out.insert(0, "cancer_type", code)
        out["tumour_median"] = qv[qs.index(0.5)].astype("float64")
        if len(n_idx):
            normal_median = np.median(values[:, n_idx], axis=1).astype("float64")
        else:
            normal_median = np.full(n_genes, np.nan)
        out["normal_median"] = normal_median
        out["log2_fold_change"] = np.log2((out["tumour_median"] + 1.0) / (normal_median + 1.0))
        out["prevalence"] = (block > threshold).mean(axis=1).astype("float64")
        out["n_tumour_samples"] = len(t_idx)
        out["n_normal_samples"] = len(n_idx)
        for q in quantiles:
            out[_qname(q)] = qv[qs.index(q)].astype("float64")
        frames.append(out)
        del block
    result = pd.concat(frames, ignore_index=True)
    result["n_tumour_samples"] = result["n_tumour_samples"].astype("Int64")
    result["n_normal_samples"] = result["n_normal_samples"].astype("Int64")
    return result


def summarise_normal_samples(
    values: np.ndarray, genes: pd.DataFrame, samples: list[str], sheet: pd.DataFrame
) -> pd.DataFrame:
    """Median expression per gene and normal tissue (GTEx-style normal samples) in the long normal shape."""
    if "ensembl_gene" not in genes.columns:
        raise InputError(
            "sample-level normal data must be keyed by Ensembl gene ids",
            hint="the first column of the matrix should hold ENSG identifiers",
        )
    sheet = _align(samples, sheet)
    tissue = sheet["tissue"].to_numpy(dtype=object)
    normal = (sheet["sample_type"].to_numpy() == "normal") & pd.notna(tissue)
    tissues = sorted({t for t, ok in zip(tissue, normal, strict=True) if ok})
    if not tissues:
        raise InputError(
            "the sample sheet lists no normal samples with a tissue",
            hint="set sample_type=normal and tissue (e.g. kidney) for normal samples",
        )
    parts = []
    for name in tissues:
        idx = np.flatnonzero(normal & (tissue == name))
        parts.append(
            pd.DataFrame(
                {
                    "ensembl_gene": genes["ensembl_gene"].to_numpy(),
                    "tissue": name,
                    "ntpm": np.median(values[:, idx], axis=1).astype("float64"),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
