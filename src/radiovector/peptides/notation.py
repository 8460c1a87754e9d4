"""Peptide notation: parse a sequence into monomer units and links (see docs/methods/peptides.md).

Grammar (whitespace ignored, ``-`` between units optional)::

    peptide := 'cyclo(' chain ')' | chain
    chain   := unit ( '-'? unit )*
    unit    := monomer ( '&' label )? ( '(' chain ')' )?
    monomer := one-letter natural residue (upper case L, lower case D) | '[' name ']'

``[name]`` is a library monomer, optionally prefixed ``D-`` and/or ``NMe-`` (``[NMe-D-Orn]``, ``[D-Nal]``).
``&n`` labels a side-chain attachment: two units with the same label are bonded through their side chains
(Cys-Cys: disulfide; Lys/Orn-Asp/Glu: lactam). ``(chain)`` after a unit is a branch on its side chain, written
N->C like the main chain, whose last unit's C-side bonds to the side chain (``K([DOTA])`` = Lys(DOTA)).
``cyclo(...)`` joins the first unit's N-side to the last unit's C-side (head-to-tail).

HELM (``PEPTIDE1{...}$connections$$$``) with one peptide polymer is converted to the same structure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from radiovector.peptides.monomers import Monomer, MonomerLibrary

RESIDUE_LETTERS = "ACDEFGHIKLMNPQRSTVWY"
_THREE = {"A": "Ala", "R": "Arg", "N": "Asn", "D": "Asp", "C": "Cys", "Q": "Gln", "E": "Glu", "G": "Gly",
          "H": "His", "I": "Ile", "L": "Leu", "K": "Lys", "M": "Met", "F": "Phe", "P": "Pro", "S": "Ser",
          "T": "Thr", "W": "Trp", "Y": "Tyr", "V": "Val"}


class NotationError(ValueError):
    """A sequence that cannot be read; ``position`` is the 1-based character position (0: whole sequence)."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"position {position}: {reason}" if position else reason)
        self.position = position
        self.reason = reason


@dataclass
class Unit:
    """One monomer instance."""

    index: int
    monomer: Monomer
    position: int  # 1-based character position of the token
    text: str
    chain: str  # 'main' or 'branch'
    parent: int | None = None  # for branch units: index of the unit whose side chain carries the branch


@dataclass
class Link:
    """A bond between attachment ``a_point`` of unit ``a`` and ``b_point`` of unit ``b``."""

    a: int
    a_point: int
    b: int
    b_point: int
    kind: str  # backbone | bridge | branch | cyclisation


@dataclass
class Peptide:
    units: list[Unit] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    cyclic: bool = False
    notation: str = "native"

    @property
    def main(self) -> list[Unit]:
        return [u for u in self.units if u.chain == "main"]

    def used(self) -> dict[int, set[int]]:
        out: dict[int, set[int]] = {u.index: set() for u in self.units}
        for ln in self.links:
            out[ln.a].add(ln.a_point)
            out[ln.b].add(ln.b_point)
        return out


class _Parser:
    def __init__(self, text: str, library: MonomerLibrary) -> None:
        self.text = text
        self.lib = library
        self.pos = 0
        self.pep = Peptide()
        self.labels: dict[str, list[tuple[int, int]]] = {}

    def error(self, reason: str, position: int | None = None) -> NotationError:
        return NotationError(self.pos + 1 if position is None else position, reason)

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self) -> Peptide:
        if not self.text.strip():
            raise NotationError(0, "empty sequence")
        self.skip()
        if self.text.startswith("cyclo", self.pos):
            start = self.pos + 1
            self.pos += 5
            if self.peek() != "(":
                raise self.error("'cyclo' must be followed by '('")
            self.pos += 1
            units = self.chain("main", None, closing=")", opened_at=start + 5)
            self.pos += 1  # ')'
            first, last = units[0], units[-1]
            for unit, point, what in ((first, 1, "N-side"), (last, 2, "C-side")):
                if point not in unit.monomer.attachments:
                    raise self.error(f"cyclo(): {unit.monomer.name} has no {what} attachment to close the ring",
                                     unit.position)
            if first is last:
                raise self.error("cyclo() needs at least two units", start)
            self.pep.links.append(Link(last.index, 2, first.index, 1, "cyclisation"))
            self.pep.cyclic = True
            if self.peek():
                raise self.error(f"unexpected {self.peek()!r} after cyclo(...)")
        else:
            self.chain("main", None, closing="", opened_at=0)
        self.bridges()
        return self.pep

    def chain(self, name: str, parent: int | None, closing: str, opened_at: int) -> list[Unit]:
        units: list[Unit] = []
        while True:
            ch = self.peek()
            if ch == "":
                if closing:
                    raise self.error(f"unbalanced brackets: '(' at position {opened_at} is never closed",
                                     opened_at)
                break
            if ch == closing:
                break
            if ch == ")":
                raise self.error("unbalanced brackets: ')' without a matching '('")
            if ch == "]":
                raise self.error("unbalanced brackets: ']' without a matching '['")
            if ch == "-":
                if not units:
                    raise self.error("'-' before the first unit")
                self.pos += 1
                if self.peek() in ("", closing, "-"):
                    raise self.error("'-' must be followed by a unit")
                continue
            unit = self.unit(name, parent)
            if units:
                prev = units[-1]
                if 2 not in prev.monomer.attachments:
                    raise self.error(f"{prev.monomer.name} ends a chain (no C-side attachment) but "
                                     f"{unit.monomer.name} follows it", unit.position)
                if 1 not in unit.monomer.attachments:
                    raise self.error(f"{unit.monomer.name} starts a chain (no N-side attachment) and cannot follow "
                                     f"{prev.monomer.name}", unit.position)
                self.pep.links.append(Link(prev.index, 2, unit.index, 1, "backbone"))
            units.append(unit)
            self.modifiers(unit)
        if not units:
            raise self.error("empty chain" if closing else "empty sequence", opened_at or None)
        return units

    def unit(self, chain: str, parent: int | None) -> Unit:
        self.skip()
        start = self.pos + 1
        ch = self.text[self.pos]
        if ch == "[":
            end = self.text.find("]", self.pos + 1)
            nxt = self.text.find("[", self.pos + 1)
            if end < 0 or (0 <= nxt < end):
                raise self.error("unbalanced brackets: '[' is never closed", start)
            name = self.text[self.pos + 1:end].strip()
            if not name:
                raise self.error("empty monomer name '[]'", start)
            self.pos = end + 1
            token = f"[{name}]"
        elif ch.isalpha():
            self.pos += 1
            upper = ch.upper()
            if upper not in RESIDUE_LETTERS:
                raise self.error(f"unknown one-letter residue {ch!r} (natural residues: {RESIDUE_LETTERS}; "
                                 "write others in brackets, e.g. [Nal])", start)
            if ch == "g":
                raise self.error("'g': glycine has no D-form", start)
            name = _THREE[upper] if ch == upper else "D-" + _THREE[upper]
            token = ch
        else:
            raise self.error(f"unexpected character {ch!r}", start)
        try:
            mono = self.lib.get(name)
        except KeyError as exc:
            raise self.error(_key_reason(exc), start) from None
        unit = Unit(len(self.pep.units), mono, start, token, chain, parent)
        self.pep.units.append(unit)
        return unit

    def modifiers(self, unit: Unit) -> None:
        while True:
            ch = self.peek()
            if ch == "&":
                start = self.pos + 1
                match = re.match(r"&(\d+)", self.text[self.pos:])
                if not match:
                    raise self.error("'&' must be followed by a bridge label (e.g. C&1 ... C&1)")
                self.labels.setdefault(match.group(1), []).append((unit.index, start))
                self.pos += match.end()
            elif ch == "(":
                start = self.pos + 1
                if 3 not in unit.monomer.attachments:
                    raise self.error(f"{unit.monomer.name} has no side-chain attachment for a branch", start)
                if 3 in self.pep.used().get(unit.index, set()):
                    raise self.error(f"side chain of {unit.monomer.name} already used", start)
                self.pos += 1
                branch = self.chain("branch", unit.index, closing=")", opened_at=start)
                self.pos += 1
                last = branch[-1]
                if 2 not in last.monomer.attachments:
                    raise self.error(f"branch must end with a unit that has a C-side attachment, not "
                                     f"{last.monomer.name}", last.position)
                kind = unit.monomer.side_chain_type()
                if kind not in ("amine", "other"):
                    raise self.error(f"branch on {unit.monomer.name}: its side chain ({kind}) cannot be acylated",
                                     start)
                self.pep.links.append(Link(last.index, 2, unit.index, 3, "branch"))
            else:
                return

    def bridges(self) -> None:
        used = self.pep.used()
        for label, members in self.labels.items():
            if len(members) != 2:
                pos = members[0][1] if len(members) == 1 else members[2][1]
                raise NotationError(pos, f"impossible bridge &{label}: needs exactly two units, found "
                                         f"{len(members)}")
            (ia, pa), (ib, pb) = members
            a, b = self.pep.units[ia], self.pep.units[ib]
            if ia == ib:
                raise NotationError(pb, f"impossible bridge &{label}: a unit cannot bridge to itself")
            for unit, pos in ((a, pa), (b, pb)):
                if 3 not in unit.monomer.attachments:
                    raise NotationError(pos, f"impossible bridge &{label}: {unit.monomer.name} has no side-chain "
                                             "attachment")
                if 3 in used[unit.index]:
                    raise NotationError(pos, f"impossible bridge &{label}: side chain of {unit.monomer.name} "
                                             "already used")
            kinds = {a.monomer.side_chain_type(), b.monomer.side_chain_type()}
            if kinds not in ({"thiol"}, {"amine", "acyl"}):
                raise NotationError(pb, f"impossible bridge &{label}: {a.monomer.name}-{b.monomer.name} "
                                        f"({' + '.join(sorted(kinds))}); bridges join two thiols (disulfide) "
                                        "or an amine and a carboxyl (lactam)")
            used[ia].add(3)
            used[ib].add(3)
            self.pep.links.append(Link(ia, 3, ib, 3, "bridge"))


def _key_reason(exc: KeyError) -> str:
    text = str(exc.args[0])
    return text + " (not in the monomer library)" if text.startswith("unknown monomer") else text


def parse_native(text: str, library: MonomerLibrary) -> Peptide:
    """Parse the native notation; raises :class:`NotationError` with a position and reason."""
    if text is None:
        raise NotationError(0, "empty sequence")
    return _Parser(str(text), library).parse()


_HELM = re.compile(r"^\s*PEPTIDE(\d+)\{(?P<body>[^}]*)\}\$(?P<conn>[^$]*)\$(?P<rest>.*)$")


def parse_helm(text: str, library: MonomerLibrary) -> Peptide:
    """One-polymer HELM (``PEPTIDE1{A.C.[dF]}$PEPTIDE1,PEPTIDE1,2:R3-7:R3$$$``) -> :class:`Peptide`."""
    match = _HELM.match(text or "")
    if not match:
        raise NotationError(0, "not a single-polymer HELM string (expected PEPTIDE1{...}$...$$$)")
    body_start = text.index("{") + 1
    pep = Peptide(notation="helm")
    offset = body_start
    tokens = match.group("body").split(".")
    if not match.group("body").strip():
        raise NotationError(body_start + 1, "empty sequence")
    for tok in tokens:
        name = tok.strip()
        if name.startswith("[") and name.endswith("]"):
            name = name[1:-1]
        elif len(name) == 1 and name in RESIDUE_LETTERS:
            name = _THREE[name]
        if not name or "[" in name or "]" in name:
            raise NotationError(offset + 1, f"malformed HELM monomer {tok!r} (unbalanced brackets?)")
        try:
            mono = library.get(name)
        except KeyError as exc:
            raise NotationError(offset + 1, _key_reason(exc)) from None
        unit = Unit(len(pep.units), mono, offset + 1, tok, "main")
        if pep.units:
            prev = pep.units[-1]
            if 2 not in prev.monomer.attachments or 1 not in mono.attachments:
                raise NotationError(offset + 1, f"{prev.monomer.name} cannot be followed by {mono.name}")
            pep.links.append(Link(prev.index, 2, unit.index, 1, "backbone"))
        pep.units.append(unit)
        offset += len(tok) + 1
    conn = match.group("conn").strip()
    used = pep.used()
    for item in filter(None, (c.strip() for c in conn.split("|"))):
        cm = re.match(r"^PEPTIDE(\d+),PEPTIDE(\d+),(\d+):R(\d)-(\d+):R(\d)$", item)
        if not cm or cm.group(1) != match.group(1) or cm.group(2) != match.group(1):
            raise NotationError(0, f"unsupported HELM connection {item!r} (only links within PEPTIDE"
                                   f"{match.group(1)})")
        ia, ra, ib, rb = int(cm.group(3)) - 1, int(cm.group(4)), int(cm.group(5)) - 1, int(cm.group(6))
        if not (0 <= ia < len(pep.units) and 0 <= ib < len(pep.units)):
            raise NotationError(0, f"impossible bridge {item!r}: monomer number out of range")
        a, b = pep.units[ia], pep.units[ib]
        for unit, point in ((a, ra), (b, rb)):
            if point not in unit.monomer.attachments or point in used[unit.index]:
                raise NotationError(0, f"impossible bridge {item!r}: {unit.monomer.name} has no free R{point}")
        used[ia].add(ra)
        used[ib].add(rb)
        if {ra, rb} == {1, 2}:
            kind = "cyclisation"
            pep.cyclic = True
        elif ra == rb == 3:
            kinds = {a.monomer.side_chain_type(), b.monomer.side_chain_type()}
            if kinds not in ({"thiol"}, {"amine", "acyl"}):
                raise NotationError(0, f"impossible bridge {item!r}: {' + '.join(sorted(kinds))}")
            kind = "bridge"
        else:
            kind = "branch"
        pep.links.append(Link(ia, ra, ib, rb, kind))
    return pep
