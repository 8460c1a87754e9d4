"""Design-space enumeration: join building blocks with labelled attachment points into full conjugates.

Building-block table (CSV): ``id``, ``role``, ``smiles``; roles and attachment labels:

* ``vector`` (targeting vector): one ``[*:1]``
* ``linker``: ``[*:1]`` (to the vector) and ``[*:2]`` (to the chelator); optionally ``[*:3]`` for an albumin binder
* ``chelator``: one ``[*:2]``
* ``albumin_binder`` (optional): one ``[*:3]``; used only with linkers that carry ``[*:3]``

Conjugates are built with ``Chem.molzip`` (bond formed between the atoms attached to equally labelled dummies).
The space is the product vector x linker x chelator (x albumin binder for linkers with ``[*:3]``), in input order.
Chunks are addressed by index (mixed-radix decoding), so a workflow can enumerate chunk *k* of size *n* without
enumerating the chunks before it: ``enumerate_chunk(blocks, k, n)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
from rdkit import Chem

from radiovector.candidates.limits import CEILING
from radiovector.errors import InputError
from radiovector.io.tables import line_numbers

ROLES = {"vector": (1,), "linker": (1, 2), "chelator": (2,), "albumin_binder": (3,)}


@dataclass(frozen=True)
class Block:
    id: str
    role: str
    mol: Chem.Mol
    labels: tuple[int, ...]


@dataclass
class DesignSpace:
    vectors: list[Block]
    linkers: list[Block]
    chelators: list[Block]
    albumin_binders: list[Block]

    def _sizes(self) -> tuple[int, int]:
        plain = [lk for lk in self.linkers if 3 not in lk.labels]
        branched = [lk for lk in self.linkers if 3 in lk.labels]
        return len(plain), len(branched)

    def __len__(self) -> int:
        plain, branched = self._sizes()
        base = len(self.vectors) * len(self.chelators)
        return base * plain + base * branched * len(self.albumin_binders)

    def combination(self, index: int) -> tuple[Block, ...]:
        """The ``index``-th combination (0-based) in the fixed enumeration order."""
        plain = [lk for lk in self.linkers if 3 not in lk.labels]
        branched = [lk for lk in self.linkers if 3 in lk.labels]
        nv, nc = len(self.vectors), len(self.chelators)
        n_plain = nv * len(plain) * nc
        if index < n_plain:
            v, rest = divmod(index, len(plain) * nc)
            lk, c = divmod(rest, nc)
            return (self.vectors[v], plain[lk], self.chelators[c])
        index -= n_plain
        na = len(self.albumin_binders)
        v, rest = divmod(index, len(branched) * nc * na)
        lk, rest = divmod(rest, nc * na)
        c, a = divmod(rest, na)
        return (self.vectors[v], branched[lk], self.chelators[c], self.albumin_binders[a])


def _labels(mol: Chem.Mol) -> tuple[int, ...]:
    return tuple(sorted(a.GetAtomMapNum() for a in mol.GetAtoms() if a.GetAtomicNum() == 0))


def load_blocks(frame: pd.DataFrame, source: str = "building blocks") -> DesignSpace:
    missing = [c for c in ("id", "role", "smiles") if c not in frame.columns]
    if missing:
        raise InputError(
            f"{source}: missing column(s) {missing}; found {list(frame.columns)}",
            hint="building blocks need the columns id, role, smiles (attachment points as [*:1] ...)",
        )
    groups: dict[str, list[Block]] = {r: [] for r in ROLES}
    lines = line_numbers(frame)
    for pos, bid, role, smi in zip(lines, frame["id"], frame["role"], frame["smiles"], strict=True):
        role = str(role).strip().lower()
        if role not in ROLES:
            raise InputError(
                f"{source}, line {pos}, column 'role': unknown role {role!r}", hint=f"roles: {sorted(ROLES)}"
            )
        if too_large := CEILING.check_smiles(str(smi)):  # conjugates of <= 4 such blocks stay safe to write
            raise InputError(
                f"{source}, line {pos} ({bid}), column 'smiles': {too_large}",
                hint="building blocks are vectors, linkers, chelators and albumin binders of at most "
                f"{CEILING.max_heavy_atoms} heavy atoms",
            )
        mol = Chem.MolFromSmiles(str(smi))
        if mol is None:
            raise InputError(f"{source}, line {pos} ({bid}), column 'smiles': RDKit cannot parse {smi!r}")
        labels = _labels(mol)
        ok = labels in ((1, 2), (1, 2, 3)) if role == "linker" else labels == ROLES[role]
        if not ok:
            want = "[*:1] and [*:2] (optionally [*:3])" if role == "linker" else f"[*:{ROLES[role][0]}] only"
            raise InputError(
                f"{source}, line {pos} ({bid}): a {role} needs attachment points {want}; found "
                f"{[f'[*:{n}]' for n in labels]}",
                hint="label attachment points with atom maps",
            )
        groups[role].append(Block(str(bid), role, mol, labels))
    for role in ("vector", "linker", "chelator"):
        if not groups[role]:
            raise InputError(
                f"{source}: no building blocks with role {role!r}",
                hint="a design space needs at least one vector, one linker and one chelator",
            )
    return DesignSpace(groups["vector"], groups["linker"], groups["chelator"], groups["albumin_binder"])


def build(blocks: tuple[Block, ...]) -> tuple[str, str]:
    """(conjugate id ``vector|linker|chelator[|albumin]``, canonical SMILES)."""
    combined = blocks[0].mol
    for block in blocks[1:]:
        combined = Chem.CombineMols(combined, block.mol)
    zipped = Chem.molzip(combined)
    Chem.SanitizeMol(zipped)
    return "|".join(b.id for b in blocks), Chem.MolToSmiles(zipped)


def enumerate_chunk(space: DesignSpace, chunk: int, chunk_size: int) -> pd.DataFrame:
    """Conjugates ``chunk * chunk_size`` .. ``(chunk + 1) * chunk_size - 1``; duplicates within the chunk merged."""
    start = chunk * chunk_size
    stop = min(len(space), start + chunk_size)
    ids, smiles = [], []
    for index in range(start, stop):
        cid, smi = build(space.combination(index))
        ids.append(cid)
        smiles.append(smi)
    frame = pd.DataFrame({"id": ids, "smiles": smiles})
    return frame


def iter_chunks(space: DesignSpace, chunk_size: int) -> Iterator[pd.DataFrame]:
    for chunk in range(n_chunks(space, chunk_size)):
        yield enumerate_chunk(space, chunk, chunk_size)


def n_chunks(space: DesignSpace, chunk_size: int) -> int:
    return max(1, -(-len(space) // chunk_size))


def merge_scored(parts: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Gather per-chunk results: one row per InChIKey (ids joined), re-ranked by score (ties: candidate id)."""
    cand = pd.concat([p["candidates"] for p in parts], ignore_index=True)
    if len(cand):
        ids = cand.groupby("inchikey", sort=False)["ids"].agg(lambda s: ";".join(s))
        n_in = cand.groupby("inchikey", sort=False)["n_inputs"].sum()
        cand = cand.sort_values(["score", "candidate_id"], ascending=[False, True], kind="stable")
        cand = cand.drop_duplicates("inchikey", keep="first").reset_index(drop=True)
        cand["ids"] = cand["inchikey"].map(ids)
        cand["n_inputs"] = cand["inchikey"].map(n_in)
        cand["rank"] = range(1, len(cand) + 1)
    keep = set(cand["candidate_id"]) if len(cand) else set()
    nuclides = pd.concat([p["candidate_nuclides"] for p in parts], ignore_index=True)
    nuclides = nuclides[nuclides["candidate_id"].isin(keep)].reset_index(drop=True)
    rejects = pd.concat([p["rejects"] for p in parts], ignore_index=True)
    return {"candidates": cand, "candidate_nuclides": nuclides, "rejects": rejects}
