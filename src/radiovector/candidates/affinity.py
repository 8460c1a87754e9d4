"""Affinity models on Morgan count fingerprints, chosen by nested cross-validation among kNN, random forest, SVR
and Gaussian-process regression (Tanimoto / MinMax kernels; :mod:`radiovector.candidates.learners`), the mean of the
kernel learners and a stack of all of them, with every
learner's CV metrics stored next to the model, conformal prediction intervals normalised by the distance to the
training set, and an applicability-domain flag derived from the same distance.

Files: ``MODEL`` (joblib: learner, training counts, calibration) and ``MODEL.json`` (metadata, metrics).
"""

from __future__ import annotations

import json
import math
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import sklearn
from rdkit import Chem, rdBase
from rdkit.Chem.Scaffolds import MurckoScaffold
from scipy import sparse
from scipy.stats import spearmanr
from sklearn.ensemble import RandomForestRegressor
from threadpoolctl import threadpool_limits

from radiovector.candidates.learners import (
    COMBINED,
    DEFAULT_LEARNERS,
    DIFFICULTY_K,
    DOMAIN_QUANTILE,
    ENSEMBLE,
    ENSEMBLE_MEMBERS,
    SPLITS,
    STACK,
    Calibration,
    Ensemble,
    KernelBasis,
    TrainData,
    as_counts,
    conformal_quantile,
    cross_conformal_check,
    difficulty,
    fit_final,
    kernel,
    learner_specs,
    nested_cv,
    stack_weights,
)
from radiovector.candidates.similarity import NBITS, RADIUS, bit_matrix, morgan_generator
from radiovector.candidates.standardise import standardise_smiles
from radiovector.errors import InputError
from radiovector.io.tables import line_numbers, reject, rejects_frame

VALUE_COLUMNS = ("pki", "pic50", "pkd", "paffinity")
AD_THRESHOLD = 0.35  # max Tanimoto to the training set below which a prediction is flagged out of domain
FORMAT_VERSION = 2
DEFAULT_INTERVAL = 0.9  # central prediction interval (conformal)


def featurise(mols: list[Chem.Mol]) -> tuple[np.ndarray, list]:
    """Morgan count fingerprints (radius 2, 2048) as a uint8 matrix, plus bit vectors for similarity."""
    gen = morgan_generator(RADIUS, NBITS)
    x = np.zeros((len(mols), NBITS), dtype=np.uint8)
    bits = []
    for i, mol in enumerate(mols):
        counts = gen.GetCountFingerprintAsNumPy(mol)
        x[i] = np.minimum(counts, 255)
        bits.append(gen.GetFingerprint(mol))
    return x, bits


def count_matrix(mols: list[Chem.Mol]) -> sparse.csr_matrix:
    """Morgan count fingerprints (radius 2, 2048) as a sparse matrix (what :func:`featurise` gives, without the bit
    vectors)."""
    gen = morgan_generator(RADIUS, NBITS)
    rows, cols, vals = [], [], []
    for i, mol in enumerate(mols):
        fp = gen.GetCountFingerprint(mol).GetNonzeroElements()
        rows.extend([i] * len(fp))
        cols.extend(fp.keys())
        vals.extend(fp.values())
    return as_counts(sparse.csr_matrix((np.array(vals, dtype=np.int32), (rows, cols)), shape=(len(mols), NBITS)))


N_ESTIMATORS = 300


def make_estimator(seed: int = 0, n_jobs: int = 1, n_estimators: int | None = None) -> RandomForestRegressor:
    return RandomForestRegressor(
        n_estimators=n_estimators or N_ESTIMATORS,
        max_features=0.3,
        min_samples_leaf=1,
        n_jobs=n_jobs,
        random_state=seed,
    )


def metrics(y_true: np.ndarray, y_pred: np.ndarray, cliff: np.ndarray | None = None) -> dict[str, float]:
    """RMSE, MAE, R2, Spearman; with ``cliff`` (bool per row, MoleculeACE's ``cliff_mol``) also ``rmse_cliff``,
    the RMSE over the activity-cliff molecules (van Tilborg et al. 2022)."""
    err = y_pred - y_true
    ss_tot = float(((y_true - y_true.mean()) ** 2).sum())
    rho = spearmanr(y_true, y_pred).statistic if len(y_true) > 2 else math.nan
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "r2": float(1 - (err**2).sum() / ss_tot) if ss_tot > 0 else math.nan,
        "spearman": float(rho),
        "n": int(len(y_true)),
        **(
            {}
            if cliff is None
            else {
                "rmse_cliff": float(np.sqrt(np.mean(err[cliff] ** 2))) if cliff.any() else math.nan,
                "n_cliff": int(cliff.sum()),
            }
        ),
    }


def scaffold_groups(mols: list[Chem.Mol]) -> np.ndarray:
    keys = []
    for mol in mols:
        try:
            keys.append(MurckoScaffold.MurckoScaffoldSmiles(mol=mol) or "acyclic")
        except Exception:
            keys.append("acyclic")
    _, groups = np.unique(np.array(keys), return_inverse=True)
    return groups


@dataclass
class AffinityModel:
    """A fitted learner with its training fingerprints and conformal calibration.

    ``estimator``: a learner from :mod:`radiovector.candidates.learners` (or any scikit-learn regressor on the
    count features); ``learner_kernel``: the Gram matrix it reads (``tanimoto``, ``minmax``) or None for the count
    features. ``train_fps`` (RDKit bit vectors) or ``train_counts`` (sparse Morgan counts) are the training set.
    Without a ``calibration`` (a bare estimator) there are no intervals and ``in_domain`` is
    ``ad_max_tanimoto >= ad_threshold``."""

    estimator: object
    train_fps: list | None
    value_column: str
    ad_threshold: float = AD_THRESHOLD
    metadata: dict = field(default_factory=dict)
    calibration: Calibration | None = None
    train_counts: object = None
    learner_kernel: str | None = None
    _bases: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self):
        if self.train_counts is None:
            self.train_counts = bit_matrix(self.train_fps or [])
        self.train_counts = as_counts(self.train_counts)

    def _basis(self, key: str) -> KernelBasis:
        if key not in self._bases:
            kind, min_t = ("minmax", 2) if key == "minmax_extra" else (key, 1)
            self._bases[key] = KernelBasis(self.train_counts, kind, min_t)
        return self._bases[key]

    def _kernels(self, part) -> tuple[np.ndarray, Callable[[str | None], np.ndarray]]:
        """Tanimoto Gram rows of ``part`` against the training set, and a getter for the learner's features; the
        MinMax numerator reuses the Tanimoto's common on-bits and adds the counts' thresholds t >= 2."""
        tan = self._basis("tanimoto")
        common_bits = tan.common(part)
        k_tan = tan.ratio(part, common_bits)
        cache = {"tanimoto": k_tan}

        def feats(kind):
            if kind is None:
                return part.toarray().astype(np.uint8)
            if kind not in cache:
                extra = self._basis("minmax_extra")
                cache[kind] = extra.ratio(part, common_bits + extra.common(part))
            return cache[kind]

        return k_tan, feats

    def predict_mols(self, mols: list[Chem.Mol], interval: float = DEFAULT_INTERVAL) -> pd.DataFrame:
        """Prediction, interval, ``ad_max_tanimoto`` and ``in_domain`` for each molecule (row order kept)."""
        return self.predict_counts(count_matrix(mols), interval)

    def predict_counts(self, counts, interval: float = DEFAULT_INTERVAL, block: int = 2048) -> pd.DataFrame:
        """As :meth:`predict_mols`, from a sparse (molecules x 2048) matrix of Morgan counts (radius 2); features
        are the counts capped at 255, the bit fingerprint their on-bits. Columns ``paffinity_pred``,
        ``paffinity_low``/``paffinity_high`` (the ``interval`` conformal prediction interval), ``ad_max_tanimoto``
        (largest Tanimoto to the training set), ``ad_difficulty`` (1 - mean Tanimoto of the k nearest) and
        ``in_domain``."""
        if not 0 < interval < 1:
            raise InputError(f"interval must lie between 0 and 1 (e.g. 0.9 for 90 %), got {interval}")
        counts = as_counts(counts)
        n = counts.shape[0]
        pred, sims, diff = np.empty(n), np.empty(n), np.empty(n)
        for start in range(0, n, block):
            part = counts[start : start + block]
            k_tan, feats = self._kernels(part)
            sims[start : start + block] = k_tan.max(axis=1) if k_tan.shape[1] else np.nan
            k = self.calibration.k if self.calibration else DIFFICULTY_K
            diff[start : start + block] = difficulty(k_tan, k)
            if isinstance(self.estimator, Ensemble):
                pred[start : start + block] = self.estimator.predict_with(feats)
            else:
                pred[start : start + block] = self.estimator.predict(feats(self.learner_kernel))
        if self.calibration is not None:
            low, high = self.calibration.interval(pred, diff, interval)
            domain = diff <= self.calibration.domain_max
        else:
            low = high = np.full(n, np.nan)
            domain = sims >= self.ad_threshold
        return pd.DataFrame(
            {
                "paffinity_pred": pred,
                "paffinity_low": low,
                "paffinity_high": high,
                "ad_max_tanimoto": sims,
                "ad_difficulty": diff,
                "in_domain": domain,
            }
        )

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        cal = None if self.calibration is None else asdict(self.calibration)
        joblib.dump(
            {
                "format": FORMAT_VERSION,
                "estimator": self.estimator,
                "learner_kernel": self.learner_kernel,
                "train_counts": self.train_counts,
                "value_column": self.value_column,
                "ad_threshold": self.ad_threshold,
                "calibration": cal,
                "metadata": self.metadata,
            },
            path,
            compress=3,
        )
        meta_path = metadata_path(path)
        meta_path.write_text(json.dumps(self.metadata, indent=2, sort_keys=True))
        return meta_path

    @classmethod
    def load(cls, path: str | Path) -> AffinityModel:
        path = Path(path)
        if not path.is_file():
            raise InputError(f"affinity model not found: {path}", hint="train one with `radiovector train-affinity`")
        try:
            blob = joblib.load(path)
        except Exception as exc:
            raise InputError(
                f"cannot read affinity model {path}: {type(exc).__name__}: {exc}",
                hint="the file must be written by `radiovector train-affinity`",
            ) from exc
        if not isinstance(blob, dict) or blob.get("format") != FORMAT_VERSION:
            raise InputError(
                f"{path} is not a RadioVector affinity model (format {FORMAT_VERSION})",
                hint="retrain with `radiovector train-affinity` (models before format 2 have no intervals)",
            )
        cal = blob["calibration"]
        if cal is not None:
            cal = Calibration(**{**cal, "scores": np.asarray(cal["scores"])})
        return cls(
            blob["estimator"],
            None,
            blob["value_column"],
            blob["ad_threshold"],
            blob["metadata"],
            cal,
            blob["train_counts"],
            blob["learner_kernel"],
        )


def metadata_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".json")


def find_value_column(frame: pd.DataFrame, source: str, value_column: str | None = None) -> str:
    lower = {c.lower(): c for c in frame.columns}
    if value_column:
        if value_column in frame.columns:
            return value_column
        if value_column.lower() in lower:
            return lower[value_column.lower()]
        raise InputError(
            f"{source}: no column {value_column!r}; found {list(frame.columns)}",
            hint="pass --value-column with one of the file's columns",
        )
    present = [lower[c] for c in VALUE_COLUMNS if c in lower]
    if len(present) != 1:
        what = "none of" if not present else "more than one of"
        raise InputError(
            f"{source}: {what} the affinity columns {list(VALUE_COLUMNS)} found; columns are {list(frame.columns)}",
            hint="name the column to learn with --value-column",
        )
    return present[0]


def prepare_training_data(frame: pd.DataFrame, source: str, value_column: str | None = None):
    """Standardise structures and read values; return (mols, y, rows_kept, value_column, rejects)."""
    lower = {c.lower(): c for c in frame.columns}
    if "smiles" not in lower:
        raise InputError(
            f"{source}: needs a 'smiles' column; found {list(frame.columns)}",
            hint="activities CSV columns: smiles and one of pki, pic50, pkd, paffinity",
        )
    smiles_col = lower["smiles"]
    vcol = find_value_column(frame, source, value_column)
    values = pd.to_numeric(frame[vcol], errors="coerce")
    lines = line_numbers(frame)  # the file's lines when read by read_raw_table
    mols, y, kept, rejects = [], [], [], []
    for pos, (smi, val) in enumerate(zip(frame[smiles_col].tolist(), values.tolist(), strict=True)):
        if val is None or not np.isfinite(val):
            rejects.append(reject("activities", source, lines[pos], vcol, frame[vcol].iloc[pos], "not a finite number"))
            continue
        std = standardise_smiles(smi)
        if not std.ok:
            rejects.append(reject("activities", source, lines[pos], smiles_col, smi, std.reason))
            continue
        mols.append(std.mol)
        y.append(float(val))
        kept.append(pos)
    rej = rejects_frame(rejects)
    return mols, np.array(y), kept, vcol, rej


def _cliff_column(frame: pd.DataFrame, kept: list[int]) -> np.ndarray | None:
    """MoleculeACE's activity-cliff flag per kept row (``cliff_mol`` 0/1), if the file has one."""
    lower = {c.lower(): c for c in frame.columns}
    if "cliff_mol" not in lower:
        return None
    flag = pd.to_numeric(frame[lower["cliff_mol"]], errors="coerce").iloc[kept].fillna(0).to_numpy()
    return flag.astype(bool)


def _select(
    data: TrainData,
    specs: dict,
    splits: tuple[str, ...],
    n_folds: int,
    n_inner: int,
    seed: int,
    cliff: np.ndarray | None,
    progress=None,
    probe=None,
    ensemble: bool = False,
    stack: bool = False,
) -> dict:
    """Nested CV of every learner on every split; the first split selects (lowest out-of-fold RMSE). The stack's
    weights for the final model are fitted on all out-of-fold predictions of the first split."""
    runs, cv = {}, {}
    for split in splits:
        run = nested_cv(data, specs, split, n_folds, n_inner, seed, probe=probe, progress=progress, ensemble=ensemble,
                        stack=stack)
        runs[split] = run
        per = {}
        for name, res in run["learners"].items():
            m = metrics(data.y, res["oof"], cliff)
            m["params_per_fold"] = res["params"]
            m["seconds"] = round(res["seconds"], 2)
            per[name] = m
        cv[split] = {"folds": run["n_folds"], "learners": per}
    first = runs[splits[0]]
    scores = cv[splits[0]]["learners"]
    selected = min(scores, key=lambda name: (scores[name]["rmse"], name))
    for split in splits:
        cv[split]["model"] = cv[split]["learners"][selected]
        if "knn" in cv[split]["learners"]:
            cv[split]["knn_baseline"] = cv[split]["learners"]["knn"]
        run = runs[split]
        cv[split]["interval_check"] = cross_conformal_check(
            data.y, run["learners"][selected]["oof"], run["difficulty"], run["fold"]
        )
    weights = stack_weights(data.y, {n: first["learners"][n]["oof"] for n in specs}) if STACK in scores else None
    return {"runs": runs, "cv": cv, "selected": selected, "first": first, "stack_weights": weights}


def train_affinity(
    frame: pd.DataFrame,
    source: str = "activities",
    value_column: str | None = None,
    seed: int = 0,
    n_folds: int = 5,
    n_jobs: int = 1,
    ad_threshold: float = AD_THRESHOLD,
    progress=None,
    n_estimators: int | None = None,
    split: str = "scaffold",
    other_split: bool = True,
    n_inner: int = 3,
    learners: tuple[str, ...] | None = None,
    probe=None,
    details: dict | None = None,
) -> tuple[AffinityModel, pd.DataFrame]:
    """Select a learner by nested CV, fit it on all rows and calibrate its intervals on the out-of-fold residuals.

    ``split`` (``scaffold`` or ``random``) selects; with ``other_split`` the other kind is cross-validated too and
    reported. ``learners``: names from :func:`radiovector.candidates.learners.learner_specs` (default: all).
    Returns the model (every learner's CV metrics in ``metadata``) and the rejects; ``details`` (a dict), if given,
    receives the out-of-fold predictions and the training data for benchmarks."""
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; use one of {list(SPLITS)}")
    mols, y, kept, vcol, rejects = prepare_training_data(frame, source, value_column)
    if len(y) < 10:
        raise InputError(
            f"{source}: only {len(y)} usable rows; at least 10 are needed to train and cross-validate",
            hint="check the rejects and the value column",
        )
    all_specs = learner_specs(seed, n_jobs, n_estimators or 100)
    names = tuple(learners or DEFAULT_LEARNERS)
    unknown = [n for n in names if n not in all_specs and n not in COMBINED]
    if unknown:
        raise InputError(f"unknown learner(s) {unknown}; choose from {[*all_specs, *COMBINED]}")
    ensemble, stack = ENSEMBLE in names, STACK in names
    if ensemble and not all(m in names for m in ENSEMBLE_MEMBERS):
        raise InputError(f"the {ENSEMBLE} learner needs its members {list(ENSEMBLE_MEMBERS)} among the learners")
    specs = {n: all_specs[n] for n in names if n not in COMBINED}
    if stack and len(specs) < 2:
        raise InputError(f"the {STACK} learner combines at least two other learners; add them with --learner")
    x, _ = featurise(mols)
    data = TrainData(as_counts(x), y, scaffold_groups(mols))
    cliff = _cliff_column(frame, kept)
    splits = (split, *([s for s in SPLITS if s != split] if other_split else []))
    # BLAS threads limited to the cores asked for: OpenBLAS threads competing with other work on the machine made
    # the GP's Cholesky factorisations ~8x slower (measured on this 2-core machine under load)
    with threadpool_limits(limits=max(1, n_jobs), user_api="blas"):
        sel = _select(data, specs, splits, n_folds, n_inner, seed, cliff, progress, probe, ensemble, stack)
        name = sel["selected"]
        if progress:
            progress(f"fitting {name} on all {len(y)} compounds")
        everything = np.arange(len(y))
        fitted = {}
        est, params, est_kernel = fit_final(name, specs, data, everything, split, n_inner, seed, probe,
                                            weights=sel["stack_weights"], fitted=fitted)
    first = sel["first"]
    calibration = Calibration.from_oof(y, first["learners"][name]["oof"], first["difficulty"])
    meta = {
        "kind": "radiovector-affinity-model",
        "format": FORMAT_VERSION,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": str(source),
        "value_column": vcol,
        "n_train": int(len(y)),
        "n_rejected": int(len(rejects)),
        "n_cliff": None if cliff is None else int(cliff.sum()),
        "y_mean": float(y.mean()),
        "y_std": float(y.std()),
        "features": {"type": "morgan_counts", "radius": RADIUS, "nbits": NBITS, "cap": 255},
        "learners": {
            **{n: {"kernel": s.kernel, "grid": list(s.grid), "description": s.description} for n, s in specs.items()},
            **(
                {
                    ENSEMBLE: {
                        "kernel": None,
                        "members": list(ENSEMBLE_MEMBERS),
                        "description": "mean of the SVR and GP predictions (each member tuned in its own inner CV)",
                    }
                }
                if ensemble
                else {}
            ),
            **(
                {
                    STACK: {
                        "kernel": None,
                        "members": list(specs),
                        "weights": sel["stack_weights"],
                        "description": "stacked regression: non-negative least-squares weights (sum 1) of every "
                        "learner's out-of-fold predictions; in the CV each outer fold is predicted with weights "
                        "fitted on the other folds",
                    }
                }
                if stack
                else {}
            ),
        },
        "selection": {
            "split": split,
            "criterion": "lowest outer-CV RMSE (nested CV; the stack's out-of-fold predictions use weights fitted on "
            "the other outer folds)",
            "outer_folds": n_folds,
            "inner_folds": n_inner,
            "selected": name,
            "params": params,
            "seed": seed,
        },
        "estimator": {"type": name, "kernel": est_kernel, "params": params},
        "baseline": {"type": "knn", "n_neighbors": 5, "metric": "tanimoto"},
        "calibration": {
            "method": "normalised split-conformal on out-of-fold residuals of the selection CV",
            "score": "|y - y_hat| / (gamma + d / d_scale), d = 1 - mean Tanimoto of the k nearest training molecules",
            "gamma": calibration.gamma,
            "k": calibration.k,
            "d_scale": calibration.d_scale,
            "n": int(len(calibration.scores)),
            "q90": conformal_quantile(calibration.scores, 0.9),
        },
        "applicability_domain": {
            "method": f"in_domain: d <= the {DOMAIN_QUANTILE:g} quantile of the out-of-fold d "
            "(as far from the training set as held-out molecules of the selection "
            "CV)",
            "d_max": calibration.domain_max,
        },
        "cv": sel["cv"],
        "versions": {
            "rdkit": rdBase.rdkitVersion,
            "scikit-learn": sklearn.__version__,
            "python": platform.python_version(),
        },
    }
    if details is not None:
        details.update(data=data, specs=specs, selection=sel, cliff=cliff, kept=kept, fitted=fitted)
    model = AffinityModel(est, None, vcol, ad_threshold, meta, calibration, data.counts, est_kernel)
    return model, rejects


def evaluate_predefined_split(
    frame: pd.DataFrame,
    split_column: str = "split",
    value_column: str | None = None,
    seed: int = 0,
    n_jobs: int = 1,
    n_estimators: int | None = None,
    levels=(0.9,),
    learners: tuple[str, ...] | None = None,
    other_split: bool = False,
    split: str = "scaffold",
) -> dict:
    """Train (nested CV selection) on the rows with ``split == 'train'`` and test every learner on ``'test'``:
    RMSE, cliff RMSE (``cliff_mol``), interval coverage of each learner calibrated on its own out-of-fold
    residuals, and timings. The selected learner is ``result['selected']``."""
    split_col = frame[split_column].astype(str).str.lower()
    train_frame = frame[split_col == "train"].reset_index(drop=True)
    test_frame = frame[split_col == "test"].reset_index(drop=True)
    details: dict = {}
    start, cpu = time.perf_counter(), time.process_time()
    model, _ = train_affinity(
        train_frame,
        "train",
        value_column,
        seed=seed,
        n_jobs=n_jobs,
        n_estimators=n_estimators,
        learners=learners,
        other_split=other_split,
        split=split,
        details=details,
    )
    train_s, train_cpu_s = time.perf_counter() - start, time.process_time() - cpu
    mols, y, kept, _, _ = prepare_training_data(test_frame, "test", value_column)
    cliff = _cliff_column(test_frame, kept)
    x, _ = featurise(mols)
    counts = as_counts(x)
    data, specs, sel = details["data"], details["specs"], details["selection"]
    first = sel["first"]
    k_tan = kernel(counts, data.counts, "tanimoto")
    diff = difficulty(k_tan)
    everything = np.arange(len(data.y))
    out = {
        "selected": sel["selected"],
        "train_s": train_s,
        "train_cpu_s": train_cpu_s,
        "n_train": len(data.y),
        "n_test": len(y),
        "cv": sel["cv"],
        "learners": {},
    }
    cache = {"tanimoto": k_tan}

    def feats(kind):
        if kind is None:
            return counts
        if kind not in cache:
            cache[kind] = kernel(counts, data.counts, kind)
        return cache[kind]

    fitted = details["fitted"]  # learners fitted on all of the train split (with the selected one)
    for name in sorted(first["learners"], key=lambda n: n in COMBINED):  # combinations after their members
        t0 = time.perf_counter()
        if name == sel["selected"]:
            est, kind = model.estimator, model.learner_kernel
        else:
            with threadpool_limits(limits=max(1, n_jobs), user_api="blas"):
                est, _, kind = fit_final(name, specs, data, everything, split, 3, seed, weights=sel["stack_weights"],
                                         fitted=fitted)
        pred = est.predict_with(feats) if isinstance(est, Ensemble) else est.predict(feats(kind))
        cal = Calibration.from_oof(data.y, first["learners"][name]["oof"], first["difficulty"])
        res = metrics(y, pred, cliff)
        for level in levels:
            lo, hi = cal.interval(pred, diff, level)
            res[f"coverage_{level:g}"] = float(np.mean((y >= lo) & (y <= hi)))
            res[f"width_{level:g}"] = float(np.mean(hi - lo))
        res["fit_predict_s"] = time.perf_counter() - t0
        res["cv_rmse"] = sel["cv"][split]["learners"][name]["rmse"]
        out["learners"][name] = res
    out["model"] = model
    out["test_mols"] = mols
    return out
