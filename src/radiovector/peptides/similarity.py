"""Similarity of peptides to known peptide ligands: local alignment (Biopython ``PairwiseAligner``, BLOSUM62)
of natural-analogue sequences, normalised by the self-alignment scores; the fingerprint similarity (Morgan
Tanimoto of the whole molecules) comes from the candidate stage with the known ligands as references."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from Bio.Align import PairwiseAligner, substitution_matrices

from radiovector.errors import ConfigError

GAP_OPEN = -8.0
GAP_EXTEND = -1.0


@cache
def aligner() -> PairwiseAligner:
    al = PairwiseAligner()
    al.mode = "local"
    al.substitution_matrix = substitution_matrices.load("BLOSUM62")
    al.open_gap_score = GAP_OPEN
    al.extend_gap_score = GAP_EXTEND
    return al


def _clean(seq: str) -> str:
    allowed = set("ACDEFGHIKLMNPQRSTVWYX")
    return "".join(ch if ch in allowed else "X" for ch in seq.upper())


def self_score(seq: str) -> float:
    return float(aligner().score(seq, seq)) if seq else 0.0


@dataclass
class KnownPeptides:
    """Known ligands: ids, notation, target, analogue sequences and self-alignment scores."""

    ids: list[str]
    sequences: list[str]
    targets: list[str]
    analogues: list[str]
    self_scores: list[float]

    def nearest(self, analogue: str) -> tuple[str, float]:
        """(id of the best-aligning known ligand, score / sqrt(self_query * self_known)); ('', NaN) if none."""
        query = _clean(analogue)
        sq = self_score(query)
        if not query or sq <= 0:
            return "", math.nan
        best, best_id = -1.0, ""
        al = aligner()
        for ref_id, ref, sr in zip(self.ids, self.analogues, self.self_scores, strict=True):
            if not ref or sr <= 0:
                continue
            value = max(float(al.score(query, ref)), 0.0) / math.sqrt(sq * sr)
            if value > best:
                best, best_id = value, ref_id
        return (best_id, round(min(best, 1.0), 3)) if best_id else ("", math.nan)


def known_rows(path: str | Path | None = None) -> list[dict]:
    """Rows (id, sequence, target, reference) of the bundled list, or of ``path`` (same columns)."""
    if path is None:
        text = resources.files("radiovector.peptides").joinpath("data").joinpath("known_peptides.csv").read_text()
        return list(csv.DictReader(text.splitlines()))
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"reference peptide file not found: {path}", hint="a CSV with columns id,sequence")
    from radiovector.io.text import read_csv_records

    rows, _ = read_csv_records(path, "reference peptide file", "a UTF-8 CSV with columns id,sequence[,target]")
    if rows and not {"id", "sequence"} <= set(rows[0]):
        raise ConfigError(f"{path}: reference peptides need columns id and sequence", hint="id,sequence[,target]")
    return rows
