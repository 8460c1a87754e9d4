"""Affinity models: scikit-learn regressors on Morgan count fingerprints, with cross-validation metrics
(random split and Bemis–Murcko scaffold split) stored next to the model, a k-nearest-neighbour baseline
trained in the same run, and an applicability-domain flag (max Tanimoto to the training set).

Files: ``MODEL`` (joblib: estimator + training fingerprints) and ``MODEL.json`` (metadata, metrics).
"""

from __future__ import annotations

import json
import math
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import sklearn
from rdkit import Chem, DataStructs, rdBase
from rdkit.Chem.Scaffolds import MurckoScaffold
from scipy.stats import spearmanr
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import GroupKFold, KFold
from sklearn.neighbors import KNeighborsRegressor

from radiovector.candidates.similarity import NBITS, RADIUS, bit_matrix, bulk_max_tanimoto, morgan_generator
from radiovector.candidates.standardise import standardise_smiles
from radiovector.errors import InputError
from radiovector.io.tables import reject, rejects_frame

VALUE_COLUMNS = ("pki", "pic50", "pkd", "paffinity")
AD_THRESHOLD = 0.35  # max Tanimoto to the training set below which a prediction is flagged out of domain
FORMAT_VERSION = 1


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


N_ESTIMATORS = 300


def make_estimator(seed: int = 0, n_jobs: int = 1, n_estimators: int | None = None) -> RandomForestRegressor:
    return RandomForestRegressor(n_estimators=n_estimators or N_ESTIMATORS, max_features=0.3, min_samples_leaf=1,
                                 n_jobs=n_jobs, random_state=seed)


def make_baseline() -> KNeighborsRegressor:
    return KNeighborsRegressor(n_neighbors=5, metric="jaccard", weights="distance", algorithm="brute")


def metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    err = y_pred - y_true
    ss_tot = float(((y_true - y_true.mean()) ** 2).sum())
    rho = spearmanr(y_true, y_pred).statistic if len(y_true) > 2 else math.nan
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "r2": float(1 - (err**2).sum() / ss_tot) if ss_tot > 0 else math.nan,
        "spearman": float(rho),
        "n": int(len(y_true)),
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


def cross_validate(x: np.ndarray, y: np.ndarray, groups: np.ndarray, seed: int = 0, n_folds: int = 5,
                   n_jobs: int = 1, n_estimators: int | None = None) -> dict:
    out = {}
    n_folds = max(2, min(n_folds, len(y), len(np.unique(groups))))
    splits = {
        "random": KFold(n_splits=n_folds, shuffle=True, random_state=seed).split(x),
        "scaffold": GroupKFold(n_splits=n_folds).split(x, y, groups),
    }
    xb = x > 0
    for name, split in splits.items():
        pred = np.full(len(y), np.nan)
        base = np.full(len(y), np.nan)
        for train, test in split:
            pred[test] = make_estimator(seed, n_jobs, n_estimators).fit(x[train], y[train]).predict(x[test])
            base[test] = make_baseline().fit(xb[train], y[train]).predict(xb[test])
        out[name] = {"model": metrics(y, pred), "knn_baseline": metrics(y, base), "folds": n_folds}
    return out


@dataclass
class AffinityModel:
    estimator: RandomForestRegressor
    train_fps: list
    value_column: str
    ad_threshold: float = AD_THRESHOLD
    metadata: dict = field(default_factory=dict)
    _train_bits: object = field(default=None, init=False, repr=False)

    def predict_mols(self, mols: list[Chem.Mol]) -> pd.DataFrame:
        """``paffinity_pred``, ``ad_max_tanimoto`` and ``in_domain`` for each molecule (row order kept)."""
        if not mols:
            return pd.DataFrame({"paffinity_pred": [], "ad_max_tanimoto": [], "in_domain": []})
        x, bits = featurise(mols)
        pred = self.estimator.predict(x)
        sims = np.array([max(DataStructs.BulkTanimotoSimilarity(b, self.train_fps)) for b in bits])
        return pd.DataFrame({"paffinity_pred": pred, "ad_max_tanimoto": sims, "in_domain": sims >= self.ad_threshold})

    def predict_counts(self, counts, block: int = 4096) -> pd.DataFrame:
        """As :meth:`predict_mols`, from a sparse (molecules x 2048) matrix of Morgan counts (radius 2) of the
        same molecules: the features are the counts capped at 255 and the bit fingerprint is their on-bits, so
        the results equal :meth:`predict_mols`'s; the forest predicts in blocks of ``block`` rows."""
        n = counts.shape[0]
        if n == 0:
            return self.predict_mols([])
        pred = np.empty(n, dtype=np.float64)
        for start in range(0, n, block):
            dense = counts[start:start + block].toarray()
            pred[start:start + block] = self.estimator.predict(np.minimum(dense, 255).astype(np.uint8))
        if self._train_bits is None:
            self._train_bits = bit_matrix(self.train_fps)
        sims, _ = bulk_max_tanimoto(counts, self._train_bits)
        return pd.DataFrame({"paffinity_pred": pred, "ad_max_tanimoto": sims, "in_domain": sims >= self.ad_threshold})

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fps = [DataStructs.BitVectToBinaryText(fp) for fp in self.train_fps]
        joblib.dump({"format": FORMAT_VERSION, "estimator": self.estimator, "train_fps": fps,
                     "value_column": self.value_column, "ad_threshold": self.ad_threshold,
                     "metadata": self.metadata}, path, compress=3)
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
            raise InputError(f"cannot read affinity model {path}: {type(exc).__name__}: {exc}",
                             hint="the file must be written by `radiovector train-affinity`") from exc
        if not isinstance(blob, dict) or blob.get("format") != FORMAT_VERSION:
            raise InputError(f"{path} is not a RadioVector affinity model (format {FORMAT_VERSION})",
                             hint="retrain with `radiovector train-affinity`")
        fps = []
        for text in blob["train_fps"]:
            fps.append(DataStructs.CreateFromBinaryText(text))
        return cls(blob["estimator"], fps, blob["value_column"], blob["ad_threshold"], blob["metadata"])


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
        raise InputError(f"{source}: no column {value_column!r}; found {list(frame.columns)}",
                         hint="pass --value-column with one of the file's columns")
    present = [lower[c] for c in VALUE_COLUMNS if c in lower]
    if len(present) != 1:
        what = "none of" if not present else "more than one of"
        raise InputError(f"{source}: {what} the affinity columns {list(VALUE_COLUMNS)} found; columns are "
                         f"{list(frame.columns)}", hint="name the column to learn with --value-column")
    return present[0]


def prepare_training_data(frame: pd.DataFrame, source: str, value_column: str | None = None):
    """Standardise structures and read values; return (mols, y, rows_kept, value_column, rejects)."""
    lower = {c.lower(): c for c in frame.columns}
    if "smiles" not in lower:
        raise InputError(f"{source}: needs a 'smiles' column; found {list(frame.columns)}",
                         hint="activities CSV columns: smiles and one of pki, pic50, pkd, paffinity")
    smiles_col = lower["smiles"]
    vcol = find_value_column(frame, source, value_column)
    values = pd.to_numeric(frame[vcol], errors="coerce")
    mols, y, kept, rejects = [], [], [], []
    for pos, (smi, val) in enumerate(zip(frame[smiles_col].tolist(), values.tolist(), strict=True)):
        if val is None or not np.isfinite(val):
            rejects.append(reject("activities", source, pos + 1, vcol, frame[vcol].iloc[pos], "not a finite number"))
            continue
        std = standardise_smiles(smi)
        if not std.ok:
            rejects.append(reject("activities", source, pos + 1, smiles_col, smi, std.reason))
            continue
        mols.append(std.mol)
        y.append(float(val))
        kept.append(pos)
    rej = rejects_frame(rejects)
    return mols, np.array(y), kept, vcol, rej


def train_affinity(frame: pd.DataFrame, source: str = "activities", value_column: str | None = None,
                   seed: int = 0, n_folds: int = 5, n_jobs: int = 1, ad_threshold: float = AD_THRESHOLD,
                   progress=None, n_estimators: int | None = None) -> tuple[AffinityModel, pd.DataFrame]:
    """Cross-validate then fit on all rows; returns the model (metrics in ``metadata``) and the rejects."""
    mols, y, kept, vcol, rejects = prepare_training_data(frame, source, value_column)
    if len(y) < 10:
        raise InputError(f"{source}: only {len(y)} usable rows; at least 10 are needed to train and cross-validate",
                         hint="check the rejects and the value column")
    x, bits = featurise(mols)
    groups = scaffold_groups(mols)
    if progress:
        progress("cross-validating")
    cv = cross_validate(x, y, groups, seed, n_folds, n_jobs, n_estimators)
    if progress:
        progress("fitting final model")
    estimator = make_estimator(seed, n_jobs, n_estimators).fit(x, y)
    meta = {
        "kind": "radiovector-affinity-model",
        "format": FORMAT_VERSION,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": str(source),
        "value_column": vcol,
        "n_train": int(len(y)),
        "n_rejected": int(len(rejects)),
        "y_mean": float(y.mean()),
        "y_std": float(y.std()),
        "features": {"type": "morgan_counts", "radius": RADIUS, "nbits": NBITS},
        "estimator": {"type": "RandomForestRegressor", **{k: v for k, v in estimator.get_params().items()
                                                          if k in ("n_estimators", "max_features", "random_state")}},
        "baseline": {"type": "KNeighborsRegressor", "n_neighbors": 5, "metric": "jaccard"},
        "applicability_domain": {"method": "max Tanimoto to training set (Morgan r2, 2048 bits)",
                                 "threshold": ad_threshold},
        "cv": cv,
        "versions": {"rdkit": rdBase.rdkitVersion, "scikit-learn": sklearn.__version__,
                     "python": platform.python_version()},
    }
    return AffinityModel(estimator, bits, vcol, ad_threshold, meta), rejects


def evaluate_predefined_split(frame: pd.DataFrame, split_column: str = "split", value_column: str | None = None,
                              seed: int = 0, n_jobs: int = 1, n_estimators: int | None = None) -> dict:
    """Train on rows with split == 'train', test on 'test'; model and kNN baseline RMSE in the same run."""
    mols, y, kept, _, _ = prepare_training_data(frame, "activities", value_column)
    split = frame[split_column].iloc[kept].astype(str).str.lower().to_numpy()
    x, _ = featurise(mols)
    tr, te = split == "train", split == "test"
    model = make_estimator(seed, n_jobs, n_estimators).fit(x[tr], y[tr])
    base = make_baseline().fit(x[tr] > 0, y[tr])
    return {"model": metrics(y[te], model.predict(x[te])), "knn_baseline": metrics(y[te], base.predict(x[te] > 0))}
