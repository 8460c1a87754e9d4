"""Affinity learners on Morgan count fingerprints, chosen by nested cross-validation, with normalised conformal
prediction intervals (docs/methods/candidates.md, "Affinity model").

* Kernels: Tanimoto on the bit fingerprint (on-bits of the counts) and MinMax on the counts,
  ``sum(min(a, b)) / sum(max(a, b))`` (the Tanimoto of the counts' unary expansion, so it is a valid kernel).
* Learners: similarity-weighted kNN (Tanimoto), random forest (counts), SVR with a precomputed Tanimoto or MinMax
  kernel, and Gaussian-process regression (posterior mean, constant mean, noise/signal ratio ``lam``) with the
  same kernels.
* Nested CV: outer folds estimate each learner's error; hyper-parameters are chosen inside each outer training
  set by an inner CV of the same kind (scaffold groups or random), never on the outer test fold.
* Stacking: non-negative weights on the individual learners' out-of-fold predictions (Breiman, Mach Learn
  1996;24:49), each outer fold predicted with weights fitted on the other folds' predictions.
* Intervals: normalised split-conformal on out-of-fold residuals (Papadopoulos et al. 2011): score
  ``|y - y_hat| / (gamma + d / median(d))`` with ``d = 1 - mean Tanimoto of the k nearest training molecules``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg, optimize, sparse
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import GroupKFold, KFold
from sklearn.svm import SVR

KERNELS = ("tanimoto", "minmax")
DIFFICULTY_K = 5  # neighbours in the difficulty estimate
GAMMA = 0.5  # sensitivity of the normalised nonconformity score (Papadopoulos et al. 2011)
DOMAIN_QUANTILE = 0.95  # in_domain: difficulty no larger than this quantile of the out-of-fold difficulties
SPLITS = ("scaffold", "random")


# ---------------------------------------------------------------- kernels

def as_counts(x) -> sparse.csr_matrix:
    """Counts (dense or sparse, molecules x bits) as a CSR int32 matrix capped at 255."""
    m = sparse.csr_matrix(x, dtype=np.int32)
    m.eliminate_zeros()
    if m.nnz and m.data.max() > 255:
        m.data = np.minimum(m.data, 255)
    return m


def _bits(m: sparse.csr_matrix) -> sparse.csr_matrix:
    b = m.copy()
    b.data = np.ones_like(b.data)
    return b


def _unary(m: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Rows and keys ``bit * 256 + t`` of the unary expansion of counts: one entry per t = 1..count."""
    counts = m.data.astype(np.int64)
    rows = np.repeat(np.repeat(np.arange(m.shape[0]), np.diff(m.indptr)), counts)
    bits = np.repeat(m.indices.astype(np.int64), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    t = np.arange(len(rows)) - starts + 1
    return rows, bits * 256 + t


class KernelBasis:
    """The right-hand side of :func:`kernel` prepared once: the unary expansion of its counts (one column per
    (bit, threshold t) pair it uses, t >= ``min_t``, as a dense float32 matrix) and its row sums, so that
    ``sum(min(a, b))`` for any ``a`` is one sparse x dense product over the expanded columns (exact integers), and
    repeated predictions against a training set do not rebuild it. With ``min_t=2`` it gives the part of the MinMax
    numerator beyond the common on-bits (which the Tanimoto kernel computes anyway)."""

    def __init__(self, b, kind: str = "tanimoto", min_t: int = 1):
        if kind not in KERNELS:
            raise ValueError(f"unknown kernel {kind!r}; use one of {KERNELS}")
        b = as_counts(b)
        if kind == "tanimoto":
            b = _bits(b)
        self.kind, self.n, self.min_t = kind, b.shape[0], min_t
        self.sums = np.asarray(b.sum(axis=1), dtype=np.float64).ravel()
        rows, keys = _unary(b)
        keep = (keys % 256) >= min_t
        used, cols = np.unique(keys[keep], return_inverse=True)
        self.lookup = np.full(int(used.max(initial=0)) + 1, -1, dtype=np.int64)
        self.lookup[used] = np.arange(len(used))
        self.dense = np.zeros((len(used), self.n), dtype=np.float32)
        self.dense[cols, rows[keep]] = 1.0

    def common(self, part: sparse.csr_matrix) -> np.ndarray:
        """``sum over t >= min_t of |(a >= t) & (b >= t)|`` for every row pair (float64, exact)."""
        if self.kind == "tanimoto":
            part = _bits(part)
        rows, keys = _unary(part)
        cols = np.full(len(keys), -1, dtype=np.int64)
        inside = keys < len(self.lookup)
        cols[inside] = self.lookup[keys[inside]]
        keep = cols >= 0
        expanded = sparse.csr_matrix((np.ones(int(keep.sum()), dtype=np.float32), (rows[keep], cols[keep])),
                                     shape=(part.shape[0], len(self.dense)))
        return (expanded @ self.dense).astype(np.float64)

    def ratio(self, part: sparse.csr_matrix, common: np.ndarray) -> np.ndarray:
        """``common / (sum a + sum b - common)``; 1 where both fingerprints are empty."""
        sa = np.asarray((_bits(part) if self.kind == "tanimoto" else part).sum(axis=1), dtype=np.float64).ravel()
        total = np.add.outer(sa, self.sums)
        total -= common
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.divide(common, total, out=total)  # in place: no temporaries of the (rows x train) size
        empty_a, empty_b = sa == 0, self.sums == 0
        if empty_a.any() and empty_b.any():
            out[np.ix_(empty_a, empty_b)] = 1.0  # both fingerprints empty (0 / 0)
        return out

    def __call__(self, a, block: int = 4096) -> np.ndarray:
        a = as_counts(a)
        out = np.empty((a.shape[0], self.n), dtype=np.float64)
        for start in range(0, a.shape[0], block):
            part = a[start:start + block]
            out[start:start + block] = self.ratio(part, self.common(part))
        return out


def kernel(a, b, kind: str = "tanimoto", block: int = 4096) -> np.ndarray:
    """Gram matrix (rows of ``a`` x rows of ``b``) of the Tanimoto kernel on the on-bits or the MinMax kernel on
    the counts. ``sum(min)`` is the sum over thresholds t of the common bits of (a >= t) and (b >= t), each a sparse
    x dense float32 product (exact integers); the ratio is taken in float64 as RDKit does. Two empty fingerprints
    have similarity 1 (as :func:`radiovector.candidates.similarity.bulk_max_tanimoto`)."""
    return KernelBasis(b, kind)(a, block)


def difficulty(k_tan: np.ndarray, k: int = DIFFICULTY_K) -> np.ndarray:
    """``1 - mean Tanimoto of the k most similar training molecules`` per row of a (query x train) Gram matrix."""
    k = max(1, min(k, k_tan.shape[1]))
    top = -np.partition(-k_tan, k - 1, axis=1)[:, :k]
    return 1.0 - top.mean(axis=1)


# ---------------------------------------------------------------- learners

class KNN:
    """Similarity-weighted k-nearest-neighbour regression on a precomputed similarity matrix."""

    def __init__(self, k: int = 5):
        self.k = k

    def fit(self, kmat: np.ndarray, y: np.ndarray) -> KNN:
        self.y_ = np.asarray(y, dtype=np.float64)
        self.mean_ = float(self.y_.mean())
        return self

    def predict(self, kmat: np.ndarray) -> np.ndarray:
        k = min(self.k, kmat.shape[1])
        idx = np.argpartition(-kmat, k - 1, axis=1)[:, :k]
        w = np.take_along_axis(kmat, idx, axis=1)
        num = (w * self.y_[idx]).sum(axis=1)
        den = w.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / den, self.mean_)


class GP:
    """Gaussian-process regression posterior mean with a precomputed kernel: constant mean (the training mean),
    ``K + lam * I`` with ``lam`` = noise variance / signal variance (chosen by inner CV)."""

    def __init__(self, lam: float = 0.1):
        self.lam = lam

    def fit(self, kmat: np.ndarray, y: np.ndarray) -> GP:
        y = np.asarray(y, dtype=np.float64)
        self.mean_ = float(y.mean())
        reg = kmat + self.lam * np.eye(len(y))
        self.alpha_ = linalg.cho_solve(linalg.cho_factor(reg, lower=True, check_finite=False), y - self.mean_,
                                       check_finite=False)
        return self

    def predict(self, kmat: np.ndarray) -> np.ndarray:
        return self.mean_ + kmat @ self.alpha_


class KernelSVR:
    """Epsilon-SVR with a precomputed kernel (scikit-learn/libsvm); prediction uses the support vectors only."""

    def __init__(self, C: float = 5.0, epsilon: float = 0.1):
        self.C, self.epsilon = C, epsilon

    def fit(self, kmat: np.ndarray, y: np.ndarray) -> KernelSVR:
        svr = SVR(kernel="precomputed", C=self.C, epsilon=self.epsilon, cache_size=500).fit(kmat, y)
        self.support_ = svr.support_.copy()
        self.dual_ = svr.dual_coef_.ravel().copy()
        self.intercept_ = float(svr.intercept_[0])
        return self

    def predict(self, kmat: np.ndarray) -> np.ndarray:
        return kmat[:, self.support_] @ self.dual_ + self.intercept_


class Forest:
    """Random forest on the count features (capped at 255)."""

    def __init__(self, n_estimators: int = 200, max_features: float = 0.3, seed: int = 0, n_jobs: int = 1):
        self.rf = RandomForestRegressor(n_estimators=n_estimators, max_features=max_features, n_jobs=n_jobs,
                                        random_state=seed)

    def fit(self, x, y) -> Forest:
        self.rf.fit(x, y)
        return self

    def predict(self, x, block: int = 4096) -> np.ndarray:
        out = np.empty(x.shape[0])
        for start in range(0, x.shape[0], block):
            part = x[start:start + block]
            out[start:start + block] = self.rf.predict(part.toarray() if sparse.issparse(part) else part)
        return out


@dataclass(frozen=True)
class LearnerSpec:
    name: str
    kernel: str | None  # None: the learner reads the count features
    grid: tuple[dict, ...]
    make: Callable[..., object]
    description: str


class Ensemble:
    """Weighted mean of fitted members, each ``(kernel or None, learner)``; equal weights by default."""

    def __init__(self, members: list[tuple[str | None, object]], weights: list[float] | None = None):
        self.members = members
        self.weights = np.full(len(members), 1.0 / len(members)) if weights is None else np.asarray(weights, float)

    def __setstate__(self, state: dict) -> None:  # ensembles pickled before weights existed are plain means
        self.__dict__.update(state)
        if "weights" not in state:
            self.weights = np.full(len(self.members), 1.0 / len(self.members))

    def predict_with(self, feats: Callable[[str | None], object]) -> np.ndarray:
        return np.einsum("m,mn->n", self.weights, [est.predict(feats(kind)) for kind, est in self.members])


ENSEMBLE = "ensemble"
ENSEMBLE_MEMBERS = ("svr_tanimoto", "svr_minmax", "gp_tanimoto", "gp_minmax")
STACK = "stack"
COMBINED = (ENSEMBLE, STACK)  # learners made of the others' predictions, no fit of their own


def stack_weights(y: np.ndarray, preds: dict[str, np.ndarray]) -> dict[str, float]:
    """Non-negative least-squares weights of the learners' predictions ``preds`` (name -> array aligned with
    ``y``), scaled to sum to 1 (stacked regression, Breiman 1996): a weighted mean of the learners."""
    names = list(preds)
    w, _ = optimize.nnls(np.column_stack([preds[n] for n in names]), np.asarray(y, float))
    if not w.sum() > 0:  # every learner anti-correlated with y: fall back to the plain mean
        w = np.ones(len(names))
    return {n: float(v) for n, v in zip(names, w / w.sum(), strict=True)}


def stacked_oof(y: np.ndarray, oof: dict[str, np.ndarray], fold: np.ndarray) -> tuple[np.ndarray, list[dict]]:
    """Out-of-fold predictions of the stack: each outer fold predicted with weights fitted on the other folds'
    out-of-fold predictions (the fold's own labels never set its weights). Returns (predictions, weights per
    fold)."""
    out = np.full(len(y), np.nan)
    per_fold = []
    for f in np.unique(fold[fold >= 0]):
        test = fold == f
        w = stack_weights(y[~test], {n: p[~test] for n, p in oof.items()})
        out[test] = sum(w[n] * oof[n][test] for n in oof)
        per_fold.append(w)
    return out, per_fold


def learner_specs(seed: int = 0, n_jobs: int = 1, n_estimators: int = 100) -> dict[str, LearnerSpec]:
    svr_grid = tuple({"C": c, "epsilon": 0.1} for c in (1.0, 5.0, 20.0))
    gp_grid = tuple({"lam": lam} for lam in (0.03, 0.1, 0.3, 1.0))
    specs = [
        LearnerSpec("knn", "tanimoto", ({"k": 5},), KNN, "similarity-weighted 5-NN, Tanimoto on Morgan bits"),
        LearnerSpec("rf", None, ({"max_features": 0.1},),
                    lambda **p: Forest(n_estimators=n_estimators, seed=seed, n_jobs=n_jobs, **p),
                    f"random forest, {n_estimators} trees, on Morgan counts"),
        LearnerSpec("svr_tanimoto", "tanimoto", svr_grid, KernelSVR, "SVR, Tanimoto kernel on Morgan bits"),
        LearnerSpec("svr_minmax", "minmax", svr_grid, KernelSVR, "SVR, MinMax kernel on Morgan counts"),
        LearnerSpec("gp_tanimoto", "tanimoto", gp_grid, GP, "GP regression, Tanimoto kernel on Morgan bits"),
        LearnerSpec("gp_minmax", "minmax", gp_grid, GP, "GP regression, MinMax kernel on Morgan counts"),
    ]
    return {s.name: s for s in specs}


DEFAULT_LEARNERS = ("knn", "rf", "svr_tanimoto", "svr_minmax", "gp_tanimoto", "gp_minmax", ENSEMBLE, STACK)


@dataclass
class TrainData:
    """Training features with the Gram matrices computed once for all molecules (sliced by the CV folds)."""

    counts: sparse.csr_matrix
    y: np.ndarray
    groups: np.ndarray
    _grams: dict = field(default_factory=dict, repr=False)

    def gram(self, kind: str) -> np.ndarray:
        if kind not in self._grams:
            self._grams[kind] = kernel(self.counts, self.counts, kind)
        return self._grams[kind]

    def block(self, spec: LearnerSpec, rows: np.ndarray, cols: np.ndarray):
        if spec.kernel is None:
            return self.counts[rows]
        return self.gram(spec.kernel)[np.ix_(rows, cols)]


def ensemble_ready(specs: dict) -> bool:
    return all(m in specs for m in ENSEMBLE_MEMBERS)


def fit_final(name: str, specs: dict[str, LearnerSpec], data: TrainData, train: np.ndarray, split: str,
              n_inner: int, seed: int, probe: Callable | None = None, weights: dict[str, float] | None = None,
              fitted: dict | None = None) -> tuple[object, dict, str | None]:
    """Fit learner ``name`` on ``train``: (estimator, params, kernel). The ``ensemble`` fits its members, the
    ``stack`` the learners with a non-zero weight in ``weights`` (from :func:`stack_weights`). ``fitted`` (name ->
    (estimator, params)), if given, holds learners already fitted on ``train`` and receives the new ones."""
    fitted = {} if fitted is None else fitted

    def single(m: str) -> tuple[object, dict]:
        if m not in fitted:
            est, p, _ = fit_learner(specs[m], data, train, split, n_inner, seed, probe)
            fitted[m] = (est, p)
        return fitted[m]

    if name in COMBINED:
        if name == STACK and weights is None:
            raise ValueError("the stack needs its weights (stack_weights of the out-of-fold predictions)")
        share = weights if name == STACK else dict.fromkeys(ENSEMBLE_MEMBERS, 1.0 / len(ENSEMBLE_MEMBERS))
        members, params, w = [], {}, []
        for m, weight in share.items():
            if weight > 0:
                est, p = single(m)
                members.append((specs[m].kernel, est))
                params[m] = {**p, "weight": round(weight, 6)} if name == STACK else p
                w.append(weight)
        return Ensemble(members, w), params, name
    est, params = single(name)
    return est, params, specs[name].kernel


def make_splits(kind: str, idx: np.ndarray, groups: np.ndarray, n_folds: int, seed: int
                ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Folds over the positions ``idx`` as (train, test) arrays of positions in the full data. ``scaffold``: whole
    Bemis-Murcko scaffold groups held out (GroupKFold); ``random``: shuffled KFold."""
    if kind not in SPLITS:
        raise ValueError(f"unknown split {kind!r}; use one of {SPLITS}")
    idx = np.asarray(idx)
    if kind == "scaffold":
        n = max(2, min(n_folds, len(np.unique(groups[idx]))))
        it = GroupKFold(n_splits=n).split(idx, groups=groups[idx])
    else:
        n = max(2, min(n_folds, len(idx)))
        it = KFold(n_splits=n, shuffle=True, random_state=seed).split(idx)
    return [(idx[tr], idx[te]) for tr, te in it]


def _rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2)))


def fit_learner(spec: LearnerSpec, data: TrainData, train: np.ndarray, split: str, n_inner: int, seed: int,
                probe: Callable | None = None) -> tuple[object, dict, list]:
    """Choose ``spec``'s hyper-parameters by an inner CV on ``train`` only, then fit on all of ``train``.
    Returns (fitted learner, chosen params, inner RMSE per grid point)."""
    scores = []
    if len(spec.grid) > 1:
        inner = make_splits(split, train, data.groups, n_inner, seed + 1)
        for params in spec.grid:
            errs = []
            for tr, va in inner:
                if probe:
                    probe(spec.name, "inner", tr, va)
                est = spec.make(**params).fit(data.block(spec, tr, tr), data.y[tr])
                errs.append(_rmse(est.predict(data.block(spec, va, tr)), data.y[va]) ** 2 * len(va))
            scores.append(math.sqrt(sum(errs) / sum(len(va) for _, va in inner)))
        best = spec.grid[int(np.argmin(scores))]
    else:
        best = spec.grid[0]
    if probe:
        probe(spec.name, "fit", train, None)
    est = spec.make(**best).fit(data.block(spec, train, train), data.y[train])
    return est, dict(best), scores


def nested_cv(data: TrainData, specs: dict[str, LearnerSpec], split: str = "scaffold", n_outer: int = 5,
              n_inner: int = 3, seed: int = 0, probe: Callable | None = None, progress: Callable | None = None,
              ensemble: bool = False, stack: bool = False) -> dict:
    """Outer folds x learners: out-of-fold predictions (``oof``), the params chosen per fold, and the out-of-fold
    difficulty of each molecule (relative to its outer training set). ``ensemble``: also the mean of the
    :data:`ENSEMBLE_MEMBERS`' out-of-fold predictions (each member tuned in its own inner CV); ``stack``: also
    the stacked predictions of every learner in ``specs`` (:func:`stacked_oof`)."""
    n = len(data.y)
    folds = make_splits(split, np.arange(n), data.groups, n_outer, seed)
    k_tan = data.gram("tanimoto")
    diff = np.full(n, np.nan)
    fold_of = np.full(n, -1)
    res = {name: {"oof": np.full(n, np.nan), "params": [], "seconds": 0.0} for name in specs}
    for f, (tr, te) in enumerate(folds):
        diff[te] = difficulty(k_tan[np.ix_(te, tr)])
        fold_of[te] = f
        for name, spec in specs.items():
            if progress:
                progress(f"{split} CV fold {f + 1}/{len(folds)}: {name}")
            start = time.perf_counter()
            est, params, _ = fit_learner(spec, data, tr, split, n_inner, seed, probe)
            if probe:
                probe(name, "outer_test", tr, te)
            res[name]["oof"][te] = est.predict(data.block(spec, te, tr))
            res[name]["params"].append(params)
            res[name]["seconds"] += time.perf_counter() - start
    if ensemble and ensemble_ready(specs):
        res[ENSEMBLE] = {"oof": np.mean([res[m]["oof"] for m in ENSEMBLE_MEMBERS], axis=0),
                         "params": [{m: res[m]["params"][f] for m in ENSEMBLE_MEMBERS} for f in range(len(folds))],
                         "seconds": sum(res[m]["seconds"] for m in ENSEMBLE_MEMBERS)}
    if stack and len(specs) >= 2:
        oof, per_fold = stacked_oof(data.y, {name: res[name]["oof"] for name in specs}, fold_of)
        res[STACK] = {"oof": oof, "params": per_fold, "seconds": sum(res[m]["seconds"] for m in specs)}
    return {"learners": res, "difficulty": diff, "fold": fold_of, "n_folds": len(folds)}


# ---------------------------------------------------------------- conformal

def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The ceil((n + 1) level)-th smallest score (split-conformal; infinite if that exceeds n)."""
    s = np.sort(np.asarray(scores, dtype=np.float64))
    rank = math.ceil((len(s) + 1) * level)
    return float(s[rank - 1]) if 1 <= rank <= len(s) else math.inf


@dataclass
class Calibration:
    """Normalised conformal calibration: sorted scores ``|y - y_hat| / sigma`` and ``sigma = gamma + d / d_scale``;
    ``domain_max``: the largest difficulty counted as in domain."""

    scores: np.ndarray
    d_scale: float
    gamma: float = GAMMA
    k: int = DIFFICULTY_K
    domain_max: float = 1.0

    @classmethod
    def from_oof(cls, y: np.ndarray, pred: np.ndarray, diff: np.ndarray, gamma: float = GAMMA,
                 k: int = DIFFICULTY_K, domain_quantile: float = DOMAIN_QUANTILE) -> Calibration:
        d_scale = float(np.median(diff)) or 1.0
        sigma = gamma + diff / d_scale
        return cls(np.sort(np.abs(y - pred) / sigma), d_scale, gamma, k,
                   float(np.quantile(diff, domain_quantile)))

    def sigma(self, diff: np.ndarray) -> np.ndarray:
        return self.gamma + np.asarray(diff) / self.d_scale

    def interval(self, pred: np.ndarray, diff: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
        half = conformal_quantile(self.scores, level) * self.sigma(diff)
        return pred - half, pred + half


def cross_conformal_check(y: np.ndarray, pred: np.ndarray, diff: np.ndarray, fold: np.ndarray,
                          levels=(0.8, 0.9)) -> dict:
    """Coverage and mean width of intervals for each outer fold calibrated on the other folds' out-of-fold
    residuals (an estimate of the coverage the stored calibration gives on new data like the held-out folds)."""
    out = {}
    for level in levels:
        hit = np.zeros(len(y), dtype=bool)
        width = np.zeros(len(y))
        for f in np.unique(fold):
            te, cal = fold == f, fold != f
            c = Calibration.from_oof(y[cal], pred[cal], diff[cal])
            lo, hi = c.interval(pred[te], diff[te], level)
            hit[te] = (y[te] >= lo) & (y[te] <= hi)
            width[te] = hi - lo
        out[f"{level:g}"] = {"coverage": float(hit.mean()), "mean_width": float(width.mean())}
    return out
