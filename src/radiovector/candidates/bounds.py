"""Exact top N and Pareto front of a design space without scoring every conjugate (bounded selection).

The desirability score is a weighted geometric mean of terms in [0, 1] over the terms known for a conjugate
(:func:`radiovector.candidates.scoring.geometric_score`). Split the profile's terms into

* **cheap** terms, computed for every conjugate by the same functions on the same standardised molecule as full
  scoring, built without the SMILES round trip (same values up to floating-point rounding, which a relative 1e-9
  raise of bounds and objectives covers): MW, Crippen logP, TPSA, heavy atoms, formal charge, net charge at
  pH 7.4, recognised chelators, albumin binders and targeting motifs, chelator-nuclide compatibility;
  ``n_alerts`` when alerts are off;
* **known-missing** terms, which design-space scoring never fills (affinity and similarity without a model or
  references; QED/SA score when ``qed_sa`` is off; columns the candidate stage does not produce);
* **costly** terms (QED, SA score, alerts, ...), unknown until a conjugate is fully scored; each may be missing.

With A = sum of w_i log d_i over the known cheap terms (A <= 0) and W the sum of their weights, including a costly
term c with value d_c <= 1 gives (A + w_c log d_c) / (W + w_c) <= A / (W + w_c), and A / (W + w_c) >= A / W because
A <= 0. So every possible score is at most ``exp(A / (W + W_costly))`` (all costly terms present at their best value
1): the conjugate's **bound**. Conjugates are fully scored in order of decreasing bound, and selection stops when
the N-th best full score is greater than the next bound: nothing left can enter the top N (ties go to the smaller
candidate id, which is why the comparison is strict). Bounds are raised by a relative 1e-9 to cover rounding.

The Pareto objectives (:data:`radiovector.candidates.scoring.OBJECTIVES`) of the built-in profiles consist of cheap
and known-missing terms only, so every conjugate's objective vector is known (raised by 1e-9: an upper bound);
a conjugate whose vector is dominated by a fully scored row of the table cannot be on the front. Profiles whose
objectives use a costly term are refused here (use ``selection: exhaustive``).

Deduplication: a row of the table is one InChIKey. Equal standard InChIKeys mean equal molecular formulae, so the
InChIKeys of a fully scored conjugate's formula-mates (across the whole space) are computed, and the row is scored
exactly as exhaustive scoring does it: per chunk, from the chunk's conjugates with that key in enumeration order
(the first one's features, every id), the best chunk row kept by the gather (:func:`radiovector.candidates.design.
gather`). A row's score is the full score of its first conjugate, which is at most that conjugate's bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
from rdkit import Chem
from rdkit.Chem import Crippen, MolSurf, rdMolDescriptors

from radiovector.candidates import scoring
from radiovector.candidates.blockbounds import BlockModel, block_pass, formula_of, zip_mols
from radiovector.candidates.descriptors import net_charge_ph74
from radiovector.candidates.enumerate import DesignSpace, build
from radiovector.candidates.limits import DEFAULT_LIMITS, SizeLimits
from radiovector.candidates.recognition import compatibility, recognise
from radiovector.candidates.standardise import inchikey_of, parse_smiles, standardise_mol
from radiovector.cpus import process_pool
from radiovector.errors import ConfigError

#: Columns the cheap pass computes exactly (the same values full scoring gives).
CHEAP_COLUMNS = ("mw", "clogp", "tpsa", "heavy_atoms", "formal_charge", "net_charge_ph74", "n_chelators",
                 "n_albumin_binders", "n_targeting_motifs", "compatibility_desirability")
#: Columns design-space scoring always leaves empty (no references, no model, no measured affinity).
ALWAYS_MISSING = ("paffinity", "paffinity_measured", "paffinity_pred", "max_tanimoto", "ad_max_tanimoto")
#: Columns full scoring produces (the rest of a profile's columns are missing for every conjugate).
PRODUCED = ("mw", "clogp", "tpsa", "hbd", "hba", "rotatable_bonds", "heavy_atoms", "aromatic_rings", "fsp3",
            "formal_charge", "net_charge_ph74", "qed", "sa_score", "n_chelators", "n_albumin_binders",
            "n_targeting_motifs", "n_alerts", "compatibility_desirability", "in_domain", *ALWAYS_MISSING)
_RAISE = 1.0 + 1e-9
#: Cheap columns that are counts or table look-ups: the same value whatever the atom order.
DISCRETE_COLUMNS = ("heavy_atoms", "formal_charge", "n_chelators", "n_albumin_binders", "n_targeting_motifs",
                    "compatibility_desirability", "n_alerts")


def classify(profile: dict, alerts: bool, qed_sa: bool) -> dict[str, str]:
    """Component -> ``cheap``, ``missing`` or ``costly`` (see the module docstring)."""
    out = {}
    for name, spec in profile["components"].items():
        col = spec["column"]
        if col in CHEAP_COLUMNS or (col == "n_alerts" and not alerts):
            out[name] = "cheap"
        elif col not in PRODUCED or col in ALWAYS_MISSING or (col in ("qed", "sa_score") and not qed_sa):
            out[name] = "missing"
        else:
            out[name] = "costly"
    return out


def cheap_values(smiles: str, nuclides: list[str], need: frozenset[str] = frozenset(CHEAP_COLUMNS),
                 limits: SizeLimits = DEFAULT_LIMITS) -> tuple[dict | None, str]:
    """The cheap columns of one conjugate, parsed and standardised exactly as full scoring does, or
    (None, full scoring's reject reason)."""
    mol, reason = parse_smiles(smiles, limits)
    return cheap_from_mol(mol, nuclides, need, limits) if mol is not None else (None, reason)


def cheap_from_mol(mol: Chem.Mol, nuclides: list[str], need: frozenset[str] = frozenset(CHEAP_COLUMNS),
                   limits: SizeLimits = DEFAULT_LIMITS) -> tuple[dict | None, str]:
    """:func:`cheap_values` of a sanitised molecule; only the descriptors in ``need`` are computed (logP and
    TPSA cost most)."""
    std = standardise_mol(mol, inchikey=False, limits=limits)
    if not std.ok:
        return None, std.reason
    m = std.mol
    found = recognise(m)
    chel = found["chelator"]
    levels = [compatibility(chel, nuc)[0] for nuc in nuclides]
    row = {
        "heavy_atoms": m.GetNumHeavyAtoms(), "formal_charge": Chem.GetFormalCharge(m),
        "net_charge_ph74": net_charge_ph74(m) if "net_charge_ph74" in need else np.nan,
        "n_chelators": len(chel), "n_albumin_binders": len(found["albumin_binder"]),
        "n_targeting_motifs": len(found["targeting_motif"]),
        "compatibility_desirability": min((scoring.COMPAT_DESIRABILITY[lv] for lv in levels), default=np.nan),
        "n_alerts": 0, "formula": formula_of(m), "unsure": False,
    }
    if m.GetNumHeavyAtoms() == m.GetNumAtoms():  # the values full scoring takes from QED's properties
        row["mw"] = rdMolDescriptors._CalcMolWt(m)
        row["clogp"] = Crippen.MolLogP(m) if "clogp" in need else np.nan
        row["tpsa"] = MolSurf.TPSA(m) if "tpsa" in need else np.nan
    else:  # explicit hydrogens: full scoring may take them from RDKit's QED on RemoveHs; treated as unknown
        row.update(mw=np.nan, clogp=np.nan, tpsa=np.nan, unsure=True)
    return row, ""


def zip_blocks(blocks: tuple) -> Chem.Mol | None:
    """The conjugate as :func:`radiovector.candidates.enumerate.build` makes it, before writing its SMILES."""
    return zip_mols([block.mol for block in blocks])


def _cheap_range(args: tuple) -> tuple[list[int], list[dict], list[tuple[int, str, str, str]]]:
    """Cheap values of the conjugates ``indices``, from the zipped molecule (no SMILES round trip: the
    same molecule up to atom order, so the same values up to floating-point rounding, which the raised bounds
    cover). A conjugate that fails (or is above the size limits) is redone through its SMILES as full scoring
    does, for the same reason text."""
    space, indices, nuclides, need, limits = args
    idx, rows, bad = [], [], []
    for index in indices:
        blocks = space.combination(index)
        zipped = zip_blocks(blocks)
        row = cheap_from_mol(zipped, nuclides, need, limits)[0] if zipped is not None else None
        if row is None:
            cid, smi = build(blocks)  # safe: every block is within the limits (load_blocks), at most 4 blocks
            row, reason = cheap_values(smi, nuclides, need, limits)
            if row is None:
                bad.append((index, cid, smi, reason))
                continue
        idx.append(index)
        rows.append(row)
    return idx, rows, bad


def _conjugate_pass(space: DesignSpace, indices: np.ndarray, cfg: dict, need: frozenset[str], jobs: int,
                    progress: Callable[[int], None] | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-conjugate cheap pass over ``indices`` (built, standardised and described one by one)."""
    step = 2000
    limits = SizeLimits.of(cfg)
    tasks = [(space, [int(i) for i in indices[a:a + step]], list(cfg["nuclides"]), need, limits)
             for a in range(0, len(indices), step)]
    idx, rows, bad = [], [], []
    done = 0

    def collect(results) -> None:
        nonlocal done, idx, rows, bad
        for task, res in zip(tasks, results, strict=True):
            idx += res[0]
            rows += res[1]
            bad += res[2]
            done += len(task[1])
            if progress:
                progress(done)

    if jobs > 1 and len(tasks) > 1:
        with process_pool(jobs) as pool:
            collect(pool.map(_cheap_range, tasks))
    else:
        collect(map(_cheap_range, tasks))
    frame = pd.DataFrame(rows, index=pd.Index(idx, dtype="int64", name="index"))
    if "unsure" not in frame.columns:
        frame["unsure"] = False
    frame["unsure"] = frame["unsure"].fillna(False).astype(bool)
    return frame, pd.DataFrame(bad, columns=["index", "id", "smiles", "reason"])


def cheap_pass(space: DesignSpace, start: int, stop: int, cfg: dict, jobs: int = 1,
               progress: Callable[[int], None] | None = None, method: str | None = None,
               model: BlockModel | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cheap values, bound and objective upper bounds of conjugates ``start .. stop - 1``: (bounds frame,
    failures).

    ``method`` (default ``cfg["bounds"]``, else ``blocks``): ``blocks`` derives an interval of every cheap value
    from the building blocks (:mod:`radiovector.candidates.blockbounds`) and builds one by one only the
    conjugates it cannot prove (their ``per_conjugate`` column is True); ``conjugates`` builds and standardises
    every conjugate. Failures (``index, id, smiles, reason``) are the conjugates built one by one that full scoring
    rejects at parsing/standardisation."""
    profile = _profile(cfg)
    need = frozenset(spec["column"] for spec in profile["components"].values())
    method = method or cfg.get("bounds", "blocks")
    if method == "conjugates":
        frame, failures = _conjugate_pass(space, np.arange(start, stop, dtype=np.int64), cfg, need, jobs, progress)
        return with_bounds(frame.assign(per_conjugate=True), cfg), failures
    model = model or BlockModel(space)
    center, lo, hi, todo = block_pass(model, start, stop, list(cfg["nuclides"]))
    center, lo, hi, todo = _near_size_limits_per_conjugate(center, lo, hi, todo, SizeLimits.of(cfg))
    if progress:
        progress(stop - start - len(todo))
    frame, failures = _conjugate_pass(space, todo, cfg, need, jobs,
                                      (lambda k: progress(stop - start - len(todo) + k)) if progress else None)
    exact = with_bounds(frame.assign(per_conjugate=True), cfg)
    bounded = with_bounds(center.assign(per_conjugate=False), cfg, lo=lo, hi=hi)
    out = pd.concat([bounded, exact]).sort_index() if len(exact) else bounded
    return out, failures


#: Characters of canonical SMILES per heavy atom that the block path assumes at most: a bracket atom with isotope,
#: chirality, hydrogens and charge (~14), its bond and branch symbols (3) and ring closures (~7). A conjugate with
#: more than ``max_smiles_length / 24`` heavy atoms is built one by one, so its SMILES-length check is exact.
_SMILES_CHARS_PER_ATOM = 24


def _near_size_limits_per_conjugate(center: pd.DataFrame, lo: pd.DataFrame, hi: pd.DataFrame, todo: np.ndarray,
                                    limits: SizeLimits) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame,
                                                                 np.ndarray]:
    """Move conjugates above (or, for the SMILES length, near) the size limits from the block bounds to the
    per-conjugate pass, which rejects them exactly as full scoring does (same rejects bounded and exhaustive).
    The heavy-atom count from the blocks is exact (block sums; the junction bond adds no atom)."""
    atoms = hi["heavy_atoms"].to_numpy(dtype=float)
    near = (atoms > limits.max_heavy_atoms) | (atoms * _SMILES_CHARS_PER_ATOM > limits.max_smiles_length)
    if not near.any():
        return center, lo, hi, todo
    moved = center.index.to_numpy(dtype=np.int64)[near]
    keep = ~near
    return center[keep], lo[keep], hi[keep], np.sort(np.concatenate([np.asarray(todo, dtype=np.int64), moved]))


def _profile(cfg: dict) -> dict:
    return scoring.resolve_profile(cfg["profile"], cfg["profiles"])


def upper_desirabilities(lo: pd.DataFrame, hi: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """Per component, the largest desirability over the interval ``[lo, hi]`` of its column (NaN where missing).

    Each transform is monotone (sigmoid, step, identity) or, for the double sigmoid, symmetric about
    (low + high) / 2 and log-concave (a product of two logistic functions), hence largest at the point of the
    interval nearest that centre; so the maximum is at ``lo``, ``hi`` or that point. With ``lo == hi`` this is
    :func:`radiovector.candidates.scoring.desirabilities`."""
    out = {}
    for cname, spec in profile["components"].items():
        col = spec["column"]
        if col not in lo.columns:
            out[f"d_{cname}"] = pd.Series(np.nan, index=lo.index)
            continue
        a = pd.to_numeric(lo[col], errors="coerce").astype(float)
        b = pd.to_numeric(hi[col], errors="coerce").astype(float)
        best = np.fmax(scoring.transform(a, spec).to_numpy(), scoring.transform(b, spec).to_numpy())
        if spec.get("transform") == "double_sigmoid":
            mid = (spec["low"] + spec["high"]) / 2.0
            inner = pd.Series(np.clip(mid, a.to_numpy(), b.to_numpy()), index=lo.index)
            best = np.fmax(best, scoring.transform(inner, spec).to_numpy())
        out[f"d_{cname}"] = pd.Series(best, index=lo.index)
    return pd.DataFrame(out, index=lo.index)


def with_bounds(frame: pd.DataFrame, cfg: dict, lo: pd.DataFrame | None = None, hi: pd.DataFrame | None = None
                ) -> pd.DataFrame:
    """``bound`` (upper bound of the score) and ``obj_<objective>`` (upper bounds of the objectives) from the cheap
    columns: exact values in ``frame``, or (``lo`` and ``hi`` given) intervals from ``lo`` to ``hi`` around them."""
    profile = _profile(cfg)
    kinds = classify(profile, cfg["alerts"], cfg["qed_sa"])
    d = scoring.desirabilities(frame, profile) if hi is None else upper_desirabilities(lo, hi, profile)
    num = np.zeros(len(frame))
    den = np.zeros(len(frame))
    unsure = frame["unsure"].to_numpy(dtype=bool) if "unsure" in frame.columns else np.zeros(len(frame), bool)
    for name, spec in profile["components"].items():
        w = float(spec.get("weight", 1.0))
        if kinds[name] == "missing":
            continue
        if kinds[name] == "costly":
            den += w
            continue
        vals = d[f"d_{name}"].to_numpy(dtype=float)
        known = ~np.isnan(vals)
        num += np.where(known, np.log(np.clip(np.nan_to_num(vals, nan=1.0), scoring._FLOOR, 1.0)) * w, 0.0)
        # an unsure row's MW/logP/TPSA may be present at any value: counted at its best value 1
        loose = unsure & (spec["column"] in ("mw", "clogp", "tpsa"))
        den += np.where(known | loose, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        bound = np.where(den > 0, np.exp(num / np.where(den > 0, den, 1.0)) * _RAISE, -np.inf)
    out = frame.copy()
    out["bound"] = bound
    obj = scoring.objectives(d)
    discrete = {name for name, spec in profile["components"].items() if spec["column"] in DISCRETE_COLUMNS}
    for name in obj.columns:
        # the geometric mean is increasing in each desirability, so upper bounds give an upper bound. An objective
        # of discrete terms only (compatibility) is exact; one with a floating-point descriptor is raised like the
        # bound, an upper bound whatever the rounding (raising an exact 1.0 would make it undominatable)
        exact = all(c in discrete for c in scoring.OBJECTIVES[name] if kinds.get(c) == "cheap")
        out[f"obj_{name}"] = obj[name].to_numpy(dtype=float) * (1.0 if exact else _RAISE)
    return out


def check_supported(cfg: dict) -> None:
    """Bounded selection needs exact objectives: no costly term in a Pareto objective."""
    profile = _profile(cfg)
    kinds = classify(profile, cfg["alerts"], cfg["qed_sa"])
    for objective, comps in scoring.OBJECTIVES.items():
        costly = [c for c in comps if kinds.get(c) == "costly"]
        if costly:
            raise ConfigError(f"design.selection: bounded selection cannot bound the Pareto objective {objective!r} "
                              f"(component(s) {costly} are only known after full scoring)",
                              hint="use design.selection: exhaustive for this profile")


def _dominated_by(points: np.ndarray, front: np.ndarray) -> np.ndarray:
    """Mask of ``points`` dominated by some row of ``front`` (maximisation)."""
    out = np.zeros(len(points), dtype=bool)
    for f in front:
        out |= (f >= points).all(axis=1) & (f > points).any(axis=1)
    return out


def formula_keys(formulae) -> np.ndarray:
    """64-bit hashes of molecular formula texts: they group at least the conjugates that may share an InChIKey
    (a collision merely adds formula-mates whose InChIKeys are then computed), in 8 bytes a conjugate."""
    return pd.util.hash_array(np.asarray(formulae, dtype=object)).astype(np.int64)


class BoundArrays:
    """Every conjugate's bound, objective upper bounds and formula key as plain numpy arrays (~40 bytes a
    conjugate; 10^7 conjugates ~0.4 GB), filled chunk by chunk without a second copy of the whole space."""

    def __init__(self, index: np.ndarray, bound: np.ndarray, formula: np.ndarray, objectives: np.ndarray,
                 names: list[str]) -> None:
        self.index, self.bound, self.formula, self.objectives, self.names = index, bound, formula, objectives, names

    def __len__(self) -> int:
        return len(self.index)

    @classmethod
    def collect(cls, frames: Iterable[pd.DataFrame], total: int | None = None) -> BoundArrays:
        """From bounds frames (:func:`radiovector.candidates.design.bound_chunk`: an ``index`` column or index,
        ``bound``, ``formula`` (key or text) and ``obj_*``), copied into arrays of ``total`` rows (default: the
        frames' rows, which are then all held at once)."""
        if total is None:
            frames = list(frames)
            total = sum(len(f) for f in frames)
        out = cls(np.empty(total, np.int64), np.empty(total), np.empty(total, np.int64), np.empty((total, 0)), [])
        at = 0
        for k, frame in enumerate(frames):
            names = [c[4:] for c in frame.columns if c.startswith("obj_")]
            if k == 0:
                out.names, out.objectives = names, np.empty((total, len(names)))
            if names != out.names or at + len(frame) > total:
                raise ValueError("bounds frames differ in their objectives or exceed the stated total")
            rows = slice(at, at + len(frame))
            out.index[rows] = frame["index"] if "index" in frame.columns else frame.index
            out.bound[rows] = frame["bound"].to_numpy(dtype=float)
            formula = frame["formula"].to_numpy()
            out.formula[rows] = formula if formula.dtype == np.int64 else formula_keys(formula)
            out.objectives[rows] = frame[[f"obj_{n}" for n in names]].to_numpy(dtype=float)
            at += len(frame)
        if at != total:
            raise ValueError(f"bounds frames hold {at} rows, {total} stated")
        return out

    @classmethod
    def from_parquet(cls, paths: list[str]) -> BoundArrays:
        """From the chunk jobs' bounds files, one file in memory at a time."""
        import pyarrow.parquet as pq

        total = sum(pq.ParquetFile(p).metadata.num_rows for p in paths)
        return cls.collect((pd.read_parquet(p) for p in paths), total=total)


class Selector:
    """Bounded selection over the bounds of a design space (:class:`BoundArrays`, or a bounds frame)."""

    def __init__(self, space: DesignSpace, bounds: BoundArrays | pd.DataFrame, cfg: dict, chunk_size: int,
                 score: Callable[[pd.DataFrame], pd.DataFrame], jobs: int = 1) -> None:
        self.space, self.cfg, self.chunk_size, self.score, self.jobs = space, cfg, chunk_size, score, jobs
        if isinstance(bounds, pd.DataFrame):
            bounds = BoundArrays.collect([bounds])
        self.arrays = bounds
        self.index, self.bound = bounds.index, bounds.bound
        codes, uniques = pd.factorize(bounds.formula)
        self.formula_code = codes.astype(np.int32 if len(uniques) < 2**31 else np.int64)
        # the conjugates of formula c are by_formula[starts[c]:starts[c + 1]]
        self._by_formula = np.argsort(self.formula_code, kind="stable").astype(np.int32 if len(bounds) < 2**31
                                                                                else np.int64)
        self._starts = np.concatenate([[0], np.cumsum(np.bincount(self.formula_code, minlength=len(uniques)))])
        del codes, uniques
        self.keys: dict[int, str] = {}  # position -> InChIKey ("" when InChIKey fails)
        self.resolved = np.zeros(len(bounds), dtype=bool)
        self.rows: dict[str, pd.Series] = {}  # InChIKey -> best chunk row
        self.row_obj: dict[str, pd.Series] = {}  # InChIKey -> its objectives
        self.chunk_rows: list[pd.DataFrame] = []
        self.inchikeys_computed = 0
        self.key_failures: list[tuple[int, str]] = []

    def _mates(self, pos: int) -> np.ndarray:
        code = self.formula_code[pos]
        return self._by_formula[self._starts[code]:self._starts[code + 1]]

    def _key(self, pos: int) -> str:
        if pos not in self.keys:
            key, failure = _key_of(self.space, int(self.index[pos]), SizeLimits.of(self.cfg))
            self.keys[pos] = key
            self.inchikeys_computed += 1
            if not key:
                self.key_failures.append((pos, failure))
        return self.keys[pos]

    def _keys_parallel(self, positions: np.ndarray) -> None:
        """InChIKeys of the formula-mates of ``positions`` not known yet, in ``jobs`` processes."""
        todo = sorted({int(m) for p in positions.tolist() if not self.resolved[p]
                       for m in self._mates(p)} - set(self.keys))
        if self.jobs < 2 or len(todo) < 200:
            return
        parts = [todo[k::self.jobs * 2] for k in range(self.jobs * 2)]
        tasks = [(self.space, [int(self.index[p]) for p in part], SizeLimits.of(self.cfg)) for part in parts if part]
        with process_pool(self.jobs) as pool:
            for part, keys in zip([p for p in parts if p], pool.map(_keys_of, tasks), strict=True):
                for pos, (key, failure) in zip(part, keys, strict=True):
                    self.keys[pos] = key
                    self.inchikeys_computed += 1
                    if not key:
                        self.key_failures.append((pos, failure))

    def resolve(self, positions: np.ndarray) -> None:
        """Fully score the rows (InChIKeys) of the conjugates at ``positions``; marks every conjugate of those
        keys resolved."""
        self._keys_parallel(positions)
        wanted: dict[str, list[int]] = {}
        for pos in positions.tolist():
            if self.resolved[pos]:
                continue
            mates = self._mates(pos)
            key = self._key(pos)
            if not key:  # rejected by full scoring too (InChI fails)
                self.resolved[pos] = True
                continue
            if key in wanted:
                continue
            members = [int(m) for m in mates if self._key(int(m)) == key]
            wanted[key] = members
            self.resolved[members] = True
        if not wanted:
            return
        # per key, its conjugates by chunk; the i-th chunk of every key goes to layer i (keys distinct per layer)
        layers: list[list[int]] = []
        for members in wanted.values():
            by_chunk: dict[int, list[int]] = {}
            for m in members:
                by_chunk.setdefault(int(self.index[m]) // self.chunk_size, []).append(m)
            for layer, chunk in enumerate(sorted(by_chunk)):
                while len(layers) <= layer:
                    layers.append([])
                layers[layer].extend(by_chunk[chunk])
        for layer in layers:
            picks = np.sort(self.index[np.array(layer, dtype=np.int64)])
            built = [build(self.space.combination(int(i))) for i in picks]
            frame = pd.DataFrame({"id": [b[0] for b in built], "smiles": [b[1] for b in built]})
            rows = self.score(frame)
            chunk_of = dict(zip(frame["id"], picks // self.chunk_size, strict=True))
            rows = rows.assign(chunk=rows["candidate_id"].map(chunk_of).astype("int64"))
            self.chunk_rows.append(rows)
            obj = scoring.objectives(rows[[c for c in rows.columns if c.startswith("d_")]])
            for k, (_, row) in enumerate(rows.iterrows()):
                best = self.rows.get(row["inchikey"])
                if best is None or _better(row, best):
                    self.rows[row["inchikey"]] = row
                    self.row_obj[row["inchikey"]] = obj.iloc[k]

    def top_n(self, n: int, progress: Callable[[int], None] | None = None) -> dict:
        order = np.lexsort((self.index, -self.bound))  # decreasing bound, then enumeration order
        cursor = 0  # order[:cursor] is resolved: no pass over the whole space per batch (10^7: 80 MB each)
        while True:
            cursor = self._first_unresolved(order, cursor)
            if cursor == len(order):
                break
            scores = sorted((_score_key(r) for r in self.rows.values()), reverse=True)
            if len(scores) >= n:
                kth = scores[n - 1][0]
                if kth > self.bound[order[cursor]]:
                    break
                batch = self._unresolved(order, cursor, max(256, n // 2), kth)
            else:
                batch = self._unresolved(order, cursor, max(n - len(scores), 64), -math.inf)
            self.resolve(batch)
            if progress:
                progress(int(self.resolved.sum()))
        scores = sorted((_score_key(r) for r in self.rows.values()), reverse=True)
        kth = scores[n - 1][0] if len(scores) >= n else -math.inf
        cursor = self._first_unresolved(order, cursor)
        return {"nth_score": None if not math.isfinite(kth) else float(kth),
                "next_bound": float(self.bound[order[cursor]]) if cursor < len(order) else None,
                "unscored_below_bound": int(len(order) - self.resolved.sum())}

    def _undominated(self, pts: np.ndarray, ok: np.ndarray, front: np.ndarray, block: int = 1 << 20) -> np.ndarray:
        """Unresolved positions with usable objectives not dominated by ``front``, a block at a time."""
        found = []
        for start in range(0, len(pts), block):
            cand = start + np.flatnonzero(ok[start:start + block] & ~self.resolved[start:start + block])
            if len(cand) and len(front):
                cand = cand[~_dominated_by(pts[cand], front)]
            found.append(cand)
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)

    def _first_unresolved(self, order: np.ndarray, cursor: int, window: int = 4096) -> int:
        while cursor < len(order):
            part = ~self.resolved[order[cursor:cursor + window]]
            if part.any():
                return cursor + int(np.argmax(part))
            cursor += window
        return len(order)

    def _unresolved(self, order: np.ndarray, cursor: int, count: int, min_bound: float) -> np.ndarray:
        """The first ``count`` unresolved positions of ``order`` from ``cursor`` on with a bound >= ``min_bound``
        (``order`` is by decreasing bound, so the scan stops at the first smaller bound)."""
        found: list[np.ndarray] = []
        have = 0
        while have < count and cursor < len(order):
            part = order[cursor:cursor + max(4 * count, 4096)]
            cursor += len(part)
            high = self.bound[part] >= min_bound
            take = part[high & ~self.resolved[part]][:count - have]
            found.append(take)
            have += len(take)
            if not high.all():
                break
        return np.concatenate(found) if found else np.zeros(0, dtype=order.dtype)

    def pareto(self, progress: Callable[[int], None] | None = None) -> dict:
        keep = [k for k in range(len(self.arrays.names)) if not np.isnan(self.arrays.objectives[:, k]).all()]
        usable = [f"obj_{self.arrays.names[k]}" for k in keep]
        pts = self.arrays.objectives
        pts = pts if len(keep) == pts.shape[1] else pts[:, keep]  # no copy of the whole space when all are used
        ok = ~np.isnan(pts).any(axis=1) if usable else np.zeros(len(pts), dtype=bool)
        rounds = 0
        from radiovector.candidates.design import pareto_front

        while True:
            front = np.zeros((0, len(usable)))
            if self.rows and usable:
                front = np.array([[o.get(c[4:], np.nan) for c in usable] for o in self.row_obj.values()],
                                 dtype=float)
                front = front[~np.isnan(front).any(axis=1)]
                front = front[pareto_front(front)] if len(front) else front
            cand = self._undominated(pts, ok, front)
            if len(cand) == 0:
                break
            cand = cand[pareto_front(pts[cand])]
            self.resolve(cand)
            rounds += 1
            if progress:
                progress(int(self.resolved.sum()))
        return {"front_rounds": rounds, "objectives": [c[4:] for c in usable]}


def _key_of(space: DesignSpace, index: int, limits: SizeLimits = DEFAULT_LIMITS) -> tuple[str, str]:
    """(InChIKey, "") of conjugate ``index`` as full scoring computes it, or ("", full scoring's reason)."""
    _, smi = build(space.combination(index))
    mol, failure = parse_smiles(smi, limits)
    std = standardise_mol(mol, inchikey=False, limits=limits) if mol is not None else None
    if std is not None and std.ok:
        return inchikey_of(std)
    return "", failure if std is None else std.reason


def _keys_of(args: tuple) -> list[tuple[str, str]]:
    space, indices, limits = args
    return [_key_of(space, i, limits) for i in indices]


def _score_key(row: pd.Series) -> tuple[float, str]:
    s = row["score"]
    return (-math.inf if pd.isna(s) else float(s), _Rev(row["candidate_id"]))


class _Rev(str):
    """A string ordered in reverse, so that a descending sort of (score, id) puts the smaller id first."""

    def __lt__(self, other):
        return str.__gt__(self, other)

    def __gt__(self, other):
        return str.__lt__(self, other)


def _better(row: pd.Series, best: pd.Series) -> bool:
    return _score_key(row) > _score_key(best)


__all__ = ["cheap_pass", "with_bounds", "check_supported", "classify", "formula_keys", "BoundArrays", "Selector"]
