"""The peptide stage: ``score_peptides(accepted, params)``.

Each accepted row (``id``, ``sequence``, optional ``target``, ``nuclide``, ``notation`` (native|helm, detected
when empty), ``reference``, ``affinity_nm``, ``row_number``, ``source``) is parsed and built into one RDKit
molecule, which then goes through the candidate stage unchanged (standardisation, descriptors, chelator
recognition, nuclide compatibility, alerts, similarity, affinity model, desirability ranking) with
``kind = peptide`` and the peptide columns carried into the candidate row so that profiles can score them.
Rows that cannot be parsed or built are rejects with the position and reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import cache

import pandas as pd
from rdkit import Chem
from rdkit.Chem import Descriptors

from radiovector.candidates import limits
from radiovector.candidates.stage import _text, score_candidates
from radiovector.errors import ConfigError, InputError
from radiovector.io.tables import line_numbers, reject, rejects_frame
from radiovector.peptides.build import BuildError, build_molecule
from radiovector.peptides.monomers import MonomerLibrary, load_library
from radiovector.peptides.notation import NotationError, Peptide, parse_helm, parse_native
from radiovector.peptides.properties import analogue_sequence, molecule_properties, sequence_properties
from radiovector.peptides.similarity import KnownPeptides, known_rows, self_score
from radiovector.peptides.stability import cleavage_sites, summarise
from radiovector.settings import resolve
from radiovector.settings.candidates import CandidatesSettings, PeptideSettings

#: The ``candidates.peptides`` defaults (declared by :class:`radiovector.settings.candidates.PeptideSettings`).
PEPTIDE_DEFAULTS = PeptideSettings.defaults()
#: Peptide columns added to the candidates table (NaN/empty for small molecules after concatenation).
PEPTIDE_COLUMNS = (
    "sequence",
    "notation",
    "monoisotopic_mass",
    "n_residues",
    "n_noncanonical",
    "n_d_residues",
    "n_n_methyl",
    "cyclic",
    "n_bridges",
    "sequence_canonical",
    "sequence_complete",
    "pi_sequence",
    "charge_ph74_sequence",
    "gravy",
    "instability_index",
    "aliphatic_index",
    "pi_molecule",
    "positive_charges_ph74",
    "n_basic_residues",
    "acidic_stretch",
    "renal_retention",
    "n_cleavage_open",
    "n_cleavage_constrained",
    "n_cleavage_protected",
    "cleavage_sites",
    "protease_liability",
    "nearest_known_peptide",
    "alignment_similarity",
)
SITE_COLUMNS = ["candidate_id", "protease", "bond", "p1", "p1_prime", "status", "reason", "in_ring", "reference"]
_HELM_START = re.compile(r"^\s*PEPTIDE\d+\{")


def resolve_peptide_params(params: dict | None) -> tuple[dict, dict]:
    """Validate ``params`` (the ``candidates`` config section) and split it into candidate-stage params (with the
    peptide profile) and peptide settings (``params['peptides']``, defaults :data:`PEPTIDE_DEFAULTS`)."""
    cand = resolve(CandidatesSettings, params, "candidates")
    pep = cand.pop("peptides")
    cand["profile"] = pep["profile"]
    cand["max_heavy_atoms"] = pep["max_heavy_atoms"]
    return cand, pep


def detect_notation(sequence: str) -> str:
    return "helm" if _HELM_START.match(sequence or "") else "native"


def build_peptide(
    sequence: str,
    notation: str = "",
    library: MonomerLibrary | None = None,
    cache: bool = True,
    max_residues: int = limits.PEPTIDE_MAX_RESIDUES,
) -> tuple[Peptide | None, Chem.Mol]:
    """Parse and build one peptide; raises :class:`NotationError` or :class:`BuildError` with the reason.

    A peptide of more than ``max_residues`` units is a :class:`NotationError` before it is built (building
    takes time quadratic in the units), and so is a sequence nested too deeply to parse.

    HELM that the built-in converter cannot read (several polymers, CHEM monomers) falls back to RDKit's
    ``Chem.MolFromHELM`` (molecule only: the residue-level analyses are then left empty)."""
    library = library or load_library()
    notation = (notation or detect_notation(sequence)).lower()
    try:
        if notation == "helm":
            try:
                pep = parse_helm(sequence, library)
            except NotationError as exc:
                mol = Chem.MolFromHELM(sequence) if sequence else None
                if mol is None or mol.GetNumAtoms() == 0:
                    raise exc from None
                return None, mol
        elif notation == "native":
            pep = parse_native(sequence, library)
        else:
            raise NotationError(0, f"unknown notation {notation!r} (use native or helm)")
    except RecursionError:
        raise NotationError(0, "branches nested too deeply to read") from None
    if too_large := limits.check_residues(len(pep.units), max_residues):
        raise NotationError(0, too_large)
    return pep, build_molecule(pep, cache=cache)


@cache
def _known_cached(path: str | None, monomer_files: tuple[str, ...]) -> tuple[KnownPeptides, pd.DataFrame]:
    lib = load_library(monomer_files)
    ids, seqs, targets, analogues, scores, ref_rows = [], [], [], [], [], []
    for row in known_rows(path):
        try:
            pep, mol = build_peptide(row["sequence"], row.get("notation", ""), lib)
        except (NotationError, BuildError) as exc:
            raise ConfigError(f"reference peptide {row.get('id')!r}: {exc}") from None
        ana = analogue_sequence(pep) if pep is not None else ""
        ids.append(row["id"])
        seqs.append(row["sequence"])
        targets.append(row.get("target", ""))
        analogues.append(ana)
        scores.append(self_score(ana))
        ref_rows.append({"id": row["id"], "smiles": Chem.MolToSmiles(mol)})
    return KnownPeptides(ids, seqs, targets, analogues, scores), pd.DataFrame(ref_rows, columns=["id", "smiles"])


def peptide_columns(
    pep: Peptide | None, mol: Chem.Mol, known: KnownPeptides, proteases, fast: bool = True
) -> tuple[dict, list[dict]]:
    """The peptide columns of one built peptide and its cleavage sites (``fast=False``: the plain route)."""
    out = {"monoisotopic_mass": round(Descriptors.ExactMolWt(mol), 4)}
    if pep is None:
        out.update(molecule_properties(mol, None))
        return out, []
    out.update(sequence_properties(pep))
    out.update(molecule_properties(mol, pep))
    out["cyclic"] = pep.cyclic
    out["n_bridges"] = sum(ln.kind == "bridge" for ln in pep.links)
    sites = cleavage_sites(pep, tuple(proteases))
    out.update(summarise(sites))
    out["nearest_known_peptide"], out["alignment_similarity"] = known.nearest(analogue_sequence(pep))
    return out, sites


def score_peptides(
    accepted: pd.DataFrame,
    params: dict | None = None,
    references: pd.DataFrame | None = None,
    model=None,
    progress: Callable[[int], None] | None = None,
    jobs: int = 1,
    fast: bool = True,
) -> dict[str, pd.DataFrame]:
    """Build and score peptides; returns ``{"candidates", "candidate_nuclides", "rejects", "cleavage_sites"}``.

    ``candidates`` has the candidate stage's columns (``kind`` = peptide) plus :data:`PEPTIDE_COLUMNS`;
    ``cleavage_sites`` lists every protease rule match with its status (open/constrained/protected) and reason.
    ``references``: reference actives (id, smiles) for the fingerprint similarity; default: the known peptide
    ligands (``peptides.reference_peptides``).
    ``jobs``: worker processes of the candidate stage (see :func:`score_candidates`; same result).
    ``fast=False``: the plain peptide route (monomer templates prepared afresh for every unit, chelator nitrogen
    clusters from the candidate stage's distance-matrix function, one DataFrame row at a time for the reasons);
    the result is identical (tests/test_peptides.py).
    """
    cand_params, cfg = resolve_peptide_params(params)
    for col in ("id", "sequence"):
        if col not in accepted.columns:
            raise InputError(
                f"peptide table has no {col!r} column; found {list(accepted.columns)}",
                hint="peptide inputs need the columns id and sequence",
            )
    files = tuple(str(p) for p in cfg["monomer_files"])
    lib = load_library(files)
    ref = cfg["reference_peptides"]
    known, known_refs = _known_cached(str(ref) if ref else None, files)
    n = len(accepted)
    ids = accepted["id"].map(_text).tolist()
    seqs = accepted["sequence"].map(_text).tolist()
    notations = accepted["notation"].map(_text).tolist() if "notation" in accepted.columns else [""] * n
    row_numbers = line_numbers(accepted).tolist()  # file lines (row_number), else as a CSV with a header
    sources = accepted["source"].map(_text).tolist() if "source" in accepted.columns else ["peptides"] * n
    extras = {
        c: accepted[c].tolist() for c in ("target", "nuclide", "reference", "affinity_nm") if c in accepted.columns
    }
    rejects, rows, site_rows = [], [], []
    size = limits.SizeLimits(cfg["max_heavy_atoms"])
    for i in range(n):
        if too_long := limits.check_sequence(seqs[i], cfg["max_sequence_length"]):
            rejects.append(
                reject(
                    "peptides", sources[i], row_numbers[i], "sequence", limits.excerpt(seqs[i]), f"{ids[i]}: {too_long}"
                )
            )
            continue
        notation = (notations[i] or detect_notation(seqs[i])).lower()
        try:
            pep, mol = build_peptide(seqs[i], notation, lib, cache=fast, max_residues=cfg["max_residues"])
            if too_large := size.check_mol(mol):
                raise NotationError(0, too_large)
        except NotationError as exc:
            rejects.append(reject("peptides", sources[i], row_numbers[i], "sequence", seqs[i], f"{ids[i]}: {exc}"))
            continue
        except BuildError as exc:
            rejects.append(
                reject(
                    "peptides",
                    sources[i],
                    row_numbers[i],
                    "sequence",
                    seqs[i],
                    f"{ids[i]}: cannot build molecule: {exc}",
                )
            )
            continue
        cols, sites = peptide_columns(pep, mol, known, cfg["proteases"], fast)
        row = {
            "id": ids[i],
            "smiles": "",
            "mol": mol,
            "kind": "peptide",
            "row_number": row_numbers[i],
            "source": sources[i],
            "sequence": seqs[i],
            "notation": notation,
            **cols,
        }
        for extra, values in extras.items():
            row[extra] = values[i]
        rows.append(row)
        site_rows.extend({"candidate_id": ids[i], **s} for s in sites)
        if progress and (i + 1) % 200 == 0:
            progress(i + 1)
    frame = pd.DataFrame(rows)
    if frame.empty:
        frame = pd.DataFrame(columns=["id", "smiles", "mol", "kind", "row_number", "source", *PEPTIDE_COLUMNS])
    carry = [c for c in PEPTIDE_COLUMNS if c in frame.columns]
    tables = score_candidates(
        frame,
        cand_params,
        references=known_refs if references is None else references,
        model=model,
        carry=carry,
        jobs=jobs,
    )
    if progress:
        progress(n)
    cand = tables["candidates"]
    for col in PEPTIDE_COLUMNS:
        if col not in cand.columns:
            cand[col] = pd.Series([math.nan] * len(cand), dtype=float)
    if len(cand) and fast:
        cand["reason"] = _peptide_reasons(cand)
    elif len(cand):
        cand["reason"] = [_peptide_reason(r, row) for r, (_, row) in zip(cand["reason"], cand.iterrows(), strict=True)]
    tables["rejects"] = rejects_frame(pd.concat([rejects_frame(rejects), tables["rejects"]], ignore_index=True))
    sites = pd.DataFrame(site_rows, columns=SITE_COLUMNS)
    keep = set(cand["candidate_id"]) if len(cand) else set()
    tables["cleavage_sites"] = sites[sites["candidate_id"].isin(keep)].reset_index(drop=True)
    tables["candidates"] = cand
    return tables


def _peptide_reasons(cand: pd.DataFrame) -> list[str]:
    """:func:`_peptide_reason` of every row, reading the columns once instead of building a Series per row."""
    names = [
        "n_residues",
        "n_cleavage_open",
        "n_cleavage_constrained",
        "n_cleavage_protected",
        "renal_retention",
        "positive_charges_ph74",
        "nearest_known_peptide",
        "alignment_similarity",
    ]
    columns = [cand[c].tolist() for c in names]
    return [
        _peptide_reason(reason, dict(zip(names, values, strict=True)))
        for reason, *values in zip(cand["reason"].tolist(), *columns, strict=True)
    ]


def _peptide_reason(reason: str, row) -> str:
    parts = []
    if isinstance(row.get("n_residues"), int | float) and not pd.isna(row.get("n_residues")):
        parts.append(f"{int(row['n_residues'])} residues")
    if not pd.isna(row.get("n_cleavage_open")):
        parts.append(
            f"{int(row['n_cleavage_open'])} open / {int(row['n_cleavage_constrained'])} constrained / "
            f"{int(row['n_cleavage_protected'])} protected protease sites"
        )
    if isinstance(row.get("renal_retention"), str):
        parts.append(f"renal retention {row['renal_retention']} ({row['positive_charges_ph74']:.1f} positive charges)")
    if isinstance(row.get("nearest_known_peptide"), str) and row["nearest_known_peptide"]:
        parts.append(f"aligns to {row['nearest_known_peptide']} ({row['alignment_similarity']:.2f})")
    return reason + ("; peptide: " + ", ".join(parts) if parts else "")
