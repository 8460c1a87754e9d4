"""The monomer library: residues, linkers, caps and chelators with attachment points.

Each monomer is a SMILES with atom-mapped dummy atoms marking where it bonds (HELM convention):
``[*:1]`` the N-side attachment (backbone amine), ``[*:2]`` the C-side attachment (backbone carbonyl),
``[*:3]`` a side-chain attachment (Cys thiol, Lys/Orn amine, Asp/Glu carboxyl) for bridges and branches.
An unused attachment is capped: ``[*:1]`` by H, ``[*:2]`` by OH, ``[*:3]`` by the monomer's ``cap3`` (H or OH).

The bundled library is ``data/monomers.csv`` (columns name, aliases, kind, smiles, cap3, analogue, flags,
reference); users add or override monomers with files of the same layout (``peptides.monomer_files``).
Variants are derived, not listed: ``D-Xxx`` (enantiomer: every stereocentre inverted) and ``NMe-Xxx``
(methyl on the backbone nitrogen).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path

from rdkit import Chem

from radiovector.errors import ConfigError

KINDS = ("residue", "linker", "cap", "chelator")
CAPS = ("H", "OH")
COLUMNS = ("name", "aliases", "kind", "smiles", "cap3", "analogue", "flags", "reference")
NATURAL = "ACDEFGHIKLMNPQRSTVWY"


@dataclass(frozen=True)
class Monomer:
    """One monomer (or a derived D-/N-methyl variant)."""

    name: str
    kind: str
    smiles: str
    mol: Chem.Mol = field(compare=False, repr=False)
    attachments: frozenset[int]
    cap3: str = "H"
    analogue: str = ""  # one-letter natural analogue (for sequence properties, alignment, protease rules)
    flags: frozenset[str] = frozenset()
    reference: str = ""
    is_d: bool = False
    n_methyl: bool = False

    @property
    def canonical(self) -> bool:
        """A natural residue (L or D, not N-methylated): sequence-based properties hold for it."""
        return self.kind == "residue" and "noncanonical" not in self.flags and not self.n_methyl

    @property
    def code(self) -> str:
        """One-letter code (lower case for D) of a canonical residue, else 'X'."""
        if not self.canonical:
            return "X"
        return self.analogue.lower() if self.is_d else self.analogue

    def side_chain_type(self) -> str:
        """Chemistry of the ``[*:3]`` attachment: thiol, amine, acyl, other ('' if none)."""
        if 3 not in self.attachments:
            return ""
        atom = next(a for a in self.mol.GetAtoms() if a.GetAtomicNum() == 0 and a.GetAtomMapNum() == 3)
        nbr = atom.GetNeighbors()[0]
        if nbr.GetSymbol() == "S":
            return "thiol"
        if nbr.GetSymbol() == "N":
            return "amine"
        if nbr.GetSymbol() == "C" and any(
            b.GetBondType() == Chem.BondType.DOUBLE and b.GetOtherAtom(nbr).GetSymbol() == "O" for b in nbr.GetBonds()
        ):
            return "acyl"
        return "other"


def _template(smiles: str, where: str) -> tuple[Chem.Mol, frozenset[int]]:
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise ConfigError(
            f"{where}: RDKit cannot parse the SMILES {smiles!r}",
            hint="write attachment points as [*:1] (N-side), [*:2] (C-side), [*:3] (side chain)",
        )
    maps = []
    for atom in mol.GetAtoms():
        if atom.GetAtomicNum() == 0:
            if atom.GetAtomMapNum() not in (1, 2, 3) or atom.GetDegree() != 1:
                raise ConfigError(f"{where}: dummy atom must be [*:1], [*:2] or [*:3] with one bond")
            maps.append(atom.GetAtomMapNum())
    if not maps or len(maps) != len(set(maps)):
        raise ConfigError(f"{where}: needs at least one attachment point, each of [*:1]/[*:2]/[*:3] at most once")
    return mol, frozenset(maps)


def _split(text: str) -> list[str]:
    return [t.strip() for t in (text or "").split("|") if t.strip()]


class MonomerLibrary:
    """Name -> :class:`Monomer`, with aliases and derived ``D-`` / ``NMe-`` variants."""

    def __init__(self) -> None:
        self.monomers: dict[str, Monomer] = {}
        self._lookup: dict[str, str] = {}
        self._variants: dict[str, Monomer] = {}
        self.sources: list[str] = []

    def add_rows(self, rows: list[dict], source: str, lines: list[int] | None = None) -> None:
        """Add monomers from ``rows`` (dicts by column name); ``lines``: the line of each row in ``source`` for
        messages (default: as a CSV with one header and no blank lines)."""
        for pos, row in zip(lines or range(2, len(rows) + 2), rows, strict=True):
            where = f"{source}, line {pos}"
            name = (row.get("name") or "").strip()
            if not name:
                raise ConfigError(f"{where}: monomer without a name")
            if any(ch in name for ch in "[]()&-") and not name.endswith("-ol"):
                raise ConfigError(
                    f"{where}: monomer name {name!r} may not contain brackets, '&' or '-'",
                    hint="use letters and digits, e.g. Nal, PEG2",
                )
            kind = (row.get("kind") or "residue").strip()
            if kind not in KINDS:
                raise ConfigError(f"{where}: kind {kind!r} unknown", hint=f"use one of {KINDS}")
            cap3 = (row.get("cap3") or "H").strip()
            if cap3 not in CAPS:
                raise ConfigError(f"{where}: cap3 {cap3!r} unknown", hint=f"use one of {CAPS}")
            analogue = (row.get("analogue") or "").strip().upper()
            if analogue and analogue not in NATURAL:
                raise ConfigError(f"{where}: analogue {analogue!r} is not a natural one-letter code")
            mol, att = _template((row.get("smiles") or "").strip(), where)
            flags = frozenset(_split(row.get("flags", "")))
            if kind == "residue" and name not in _NATURAL_NAMES:
                flags = flags | {"noncanonical"}
            mono = Monomer(
                name, kind, row["smiles"].strip(), mol, att, cap3, analogue, flags, (row.get("reference") or "").strip()
            )
            self.monomers[name] = mono
            for key in [name, *_split(row.get("aliases", ""))]:
                self._lookup[key] = name
                self._lookup.setdefault(key.lower(), name)
        self._variants.clear()
        self.sources.append(source)

    def add_file(self, path: str | Path) -> None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"monomer file not found: {path}", hint=f"a CSV with columns {', '.join(COLUMNS)}")
        from radiovector.io.text import read_csv_records

        rows, lines = read_csv_records(path, "monomer file", f"a UTF-8 CSV with columns {', '.join(COLUMNS)}")
        missing = {"name", "smiles"} - set(rows[0]) if rows else set()
        if missing:
            raise ConfigError(
                f"{path}: monomer file lacks columns {sorted(missing)}", hint=f"columns: {', '.join(COLUMNS)}"
            )
        self.add_rows(rows, str(path), lines)

    def base(self, name: str) -> Monomer | None:
        key = self._lookup.get(name) or self._lookup.get(name.lower())
        return self.monomers.get(key) if key else None

    def get(self, name: str) -> Monomer:
        """Resolve a name with optional ``D-`` and ``NMe-`` prefixes (any order); raise KeyError with a reason."""
        cached = self._variants.get(name)
        if cached is not None:
            return cached
        mono = self.base(name)
        is_d = n_me = False
        rest = name
        if mono is None:
            while True:
                if rest.startswith("D-") and not is_d:
                    is_d, rest = True, rest[2:]
                elif rest.startswith("NMe-") and not n_me:
                    n_me, rest = True, rest[4:]
                elif len(rest) == 2 and rest[0] == "d" and rest[1] in NATURAL and not is_d:  # HELM [dF]
                    is_d, rest = True, rest[1]
                elif len(rest) == 3 and rest[:2] == "me" and rest[2] in NATURAL and not n_me:  # HELM [meA]
                    n_me, rest = True, rest[2]
                else:
                    break
            mono = self.base(rest) if (is_d or n_me) else None
            if mono is None:
                raise KeyError(f"unknown monomer {name!r}")
            if is_d:
                mono = d_form(mono)
            if n_me:
                mono = n_methyl(mono)
        self._variants[name] = mono
        return mono

    def names(self) -> list[str]:
        return sorted(self.monomers)


_NATURAL_NAMES = {
    "Ala",
    "Arg",
    "Asn",
    "Asp",
    "Cys",
    "Gln",
    "Glu",
    "Gly",
    "His",
    "Ile",
    "Leu",
    "Lys",
    "Met",
    "Phe",
    "Pro",
    "Ser",
    "Thr",
    "Trp",
    "Tyr",
    "Val",
}


def d_form(mono: Monomer) -> Monomer:
    """The enantiomer (every tetrahedral stereocentre inverted); the D-form of an L-amino acid."""
    if mono.is_d:
        raise KeyError(f"{mono.name} is already a D-form")
    mol = Chem.RWMol(mono.mol)
    inverted = 0
    for atom in mol.GetAtoms():
        tag = atom.GetChiralTag()
        if tag == Chem.ChiralType.CHI_TETRAHEDRAL_CW:
            atom.SetChiralTag(Chem.ChiralType.CHI_TETRAHEDRAL_CCW)
            inverted += 1
        elif tag == Chem.ChiralType.CHI_TETRAHEDRAL_CCW:
            atom.SetChiralTag(Chem.ChiralType.CHI_TETRAHEDRAL_CW)
            inverted += 1
    if not inverted:
        raise KeyError(f"{mono.name} has no stereocentre, so it has no D-form")
    out = mol.GetMol()
    return replace(mono, name=f"D-{mono.name}", smiles=Chem.MolToSmiles(out), mol=out, is_d=True)


def n_methyl(mono: Monomer) -> Monomer:
    """Methyl on the backbone nitrogen (the atom bonded to ``[*:1]``)."""
    if mono.n_methyl or "n_methyl" in mono.flags:
        raise KeyError(f"{mono.name} is already N-methylated")
    if 1 not in mono.attachments:
        raise KeyError(f"{mono.name} has no backbone nitrogen to methylate")
    mol = Chem.RWMol(mono.mol)
    dummy = next(a for a in mol.GetAtoms() if a.GetAtomicNum() == 0 and a.GetAtomMapNum() == 1)
    nitrogen = dummy.GetNeighbors()[0]
    if nitrogen.GetSymbol() != "N" or nitrogen.GetTotalNumHs() < 1:
        raise KeyError(f"{mono.name}: its backbone nitrogen carries no hydrogen, so it cannot be N-methylated")
    idx = mol.AddAtom(Chem.Atom(6))
    mol.AddBond(nitrogen.GetIdx(), idx, Chem.BondType.SINGLE)
    out = mol.GetMol()
    Chem.SanitizeMol(out)
    prefix = "NMe-"
    return replace(
        mono,
        name=prefix + mono.name,
        smiles=Chem.MolToSmiles(out),
        mol=out,
        n_methyl=True,
        flags=mono.flags | {"n_methyl"},
    )


def _bundled_rows() -> list[dict]:
    text = resources.files("radiovector.peptides").joinpath("data").joinpath("monomers.csv").read_text()
    return list(csv.DictReader(text.splitlines()))


@cache
def _default_library() -> MonomerLibrary:
    lib = MonomerLibrary()
    lib.add_rows(_bundled_rows(), "radiovector/peptides/data/monomers.csv")
    return lib


_LIBRARIES: dict[tuple[str, ...], MonomerLibrary] = {}


def load_library(extra_files: list[str | Path] | tuple = ()) -> MonomerLibrary:
    """The bundled library plus user files (later files override earlier names); cached per file list."""
    key = tuple(str(Path(p).resolve()) for p in extra_files)
    if not key:
        return _default_library()
    if key not in _LIBRARIES:
        lib = MonomerLibrary()
        lib.add_rows(_bundled_rows(), "radiovector/peptides/data/monomers.csv")
        for path in extra_files:
            lib.add_file(path)
        _LIBRARIES[key] = lib
    return _LIBRARIES[key]
