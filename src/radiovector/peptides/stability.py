"""Protease cleavage-site scan with documented rules and protection by D-residues, N-methylation,
alpha,alpha-disubstitution, capped termini and cyclisation (see docs/methods/peptides.md for the references).

A site is the peptide bond between P1 (the residue contributing the carbonyl) and P1' (the residue contributing
the nitrogen), Schechter-Berger nomenclature (Schechter I, Berger A. Biochem Biophys Res Commun 1967;27:157).
Each site gets a status:

- ``protected``: P1 or P1' is a D-residue, the scissile nitrogen (P1') is N-methylated, P1 or P1' is
  alpha,alpha-disubstituted (Aib), or, for exopeptidases, the terminus is capped (acyl/chelator, amide, alcohol);
- ``constrained``: the bond lies in a ring (head-to-tail cycle, disulfide or lactam loop): slower, not immune;
- ``open``: none of the above.
"""

from __future__ import annotations

from dataclasses import dataclass

from radiovector.peptides.notation import Peptide, Unit

HYDROPHOBIC = frozenset("FLIVYWM")
AROMATIC = frozenset("FYW")


@dataclass(frozen=True)
class Rule:
    protease: str
    description: str
    reference: str


RULES: dict[str, Rule] = {
    "trypsin": Rule("trypsin", "P1 = Lys or Arg, P1' not Pro",
                    "Olsen JV, Ong SE, Mann M. Mol Cell Proteomics 2004;3:608 (doi:10.1074/mcp.T400003-MCP200); "
                    "Keil B. Specificity of Proteolysis, Springer 1992"),
    "chymotrypsin": Rule("chymotrypsin", "P1 = Phe, Tyr or Trp (high-specificity rule), P1' not Pro",
                         "Keil B. Specificity of Proteolysis, Springer 1992; ExPASy PeptideCutter (Gasteiger E et al. "
                         "The Proteomics Protocols Handbook, Humana 2005, p571)"),
    "neprilysin": Rule("neprilysin", "P1' = hydrophobic (Phe, Leu, Ile, Val, Tyr, Trp, Met), P1 not Pro; "
                                     "endopeptidase of short peptides",
                       "Roques BP et al. Pharmacol Rev 1993;45:87; Nock BA et al. J Nucl Med 2014;55:121 "
                       "(doi:10.2967/jnumed.113.129411) for radiopeptides"),
    "dpp4": Rule("dpp4", "free N-terminal amine; P1 (residue 2) = Pro or Ala, P1' (residue 3) not Pro",
                 "Mentlein R. Regul Pept 1999;85:9 (doi:10.1016/S0167-0115(99)00089-0)"),
    "aminopeptidase": Rule("aminopeptidase", "free N-terminal alpha-amine of an L-residue, P1' not Pro",
                           "Werle M, Bernkop-Schnurch A. Amino Acids 2006;30:351 (doi:10.1007/s00726-005-0289-3)"),
    "carboxypeptidase": Rule("carboxypeptidase", "free C-terminal alpha-carboxylate of an L-residue, P1 not Pro",
                             "Werle M, Bernkop-Schnurch A. Amino Acids 2006;30:351"),
}
PROTEASES = tuple(RULES)


def _code(unit: Unit) -> str:
    """One-letter natural analogue used by the rules ('' for non-residues)."""
    return unit.monomer.analogue if unit.monomer.kind == "residue" else ""


def _in_ring(pep: Peptide, link_index: int) -> bool:
    """Whether the link lies on a cycle of the unit graph (i.e. its bond is a ring bond of the molecule)."""
    adj: dict[int, list[tuple[int, int]]] = {u.index: [] for u in pep.units}
    for k, ln in enumerate(pep.links):
        adj[ln.a].append((ln.b, k))
        adj[ln.b].append((ln.a, k))
    start, goal = pep.links[link_index].a, pep.links[link_index].b
    seen, stack = {start}, [start]
    while stack:
        node = stack.pop()
        for nxt, k in adj[node]:
            if k == link_index or nxt in seen:
                continue
            if nxt == goal:
                return True
            seen.add(nxt)
            stack.append(nxt)
    return False


def _protection(p1: Unit, p1p: Unit) -> list[str]:
    why = []
    for role, unit in (("P1", p1), ("P1'", p1p)):
        if unit.monomer.is_d:
            why.append(f"D-residue at {role}")
        if "protease_resistant" in unit.monomer.flags:
            why.append(f"alpha,alpha-disubstituted residue at {role}")
    if p1p.monomer.n_methyl or "n_methyl" in p1p.monomer.flags:
        why.append("N-methylated scissile amide")
    return why


def cleavage_sites(pep: Peptide, proteases: tuple[str, ...] | list[str] = PROTEASES) -> list[dict]:
    """Every rule match as a dict: protease, bond (e.g. 'Lys5-Thr6'), p1, p1_prime, status, reason, reference."""
    units = pep.units
    number = {u.index: k for k, u in enumerate((u for u in units if u.monomer.kind == "residue"), start=1)}

    def label(u: Unit) -> str:
        return f"{u.monomer.name}{number.get(u.index, '')}"

    out: list[dict] = []

    def add(protease: str, p1: Unit | None, p1p: Unit | None, status: str, reason: str, in_ring: bool = False):
        bond = "-".join(label(u) for u in (p1, p1p) if u is not None)
        via = [u.monomer.name for u in (p1, p1p) if u is not None and u.monomer.kind == "residue"
               and not u.monomer.canonical and not u.monomer.n_methyl and not u.monomer.is_d]
        if via and status != "protected":
            reason = (reason + "; " if reason else "") + "rule applied via natural analogue of " + ", ".join(via)
        out.append({"protease": protease, "bond": bond, "p1": label(p1) if p1 else "",
                    "p1_prime": label(p1p) if p1p else "", "status": status, "reason": reason,
                    "in_ring": in_ring, "reference": RULES[protease].reference})

    backbone = [(k, ln) for k, ln in enumerate(pep.links) if ln.a_point == 2 and ln.b_point == 1]
    for k, ln in backbone:
        p1, p1p = units[ln.a], units[ln.b]
        c1, c1p = _code(p1), _code(p1p)
        if not c1 or not c1p:
            continue
        matched = []
        if "trypsin" in proteases and c1 in ("K", "R") and "noncanonical" not in p1.monomer.flags and c1p != "P":
            matched.append("trypsin")
        if "chymotrypsin" in proteases and c1 in AROMATIC and c1p != "P":
            matched.append("chymotrypsin")
        if "neprilysin" in proteases and c1p in HYDROPHOBIC and c1 != "P":
            matched.append("neprilysin")
        if not matched:
            continue
        ring = _in_ring(pep, k)
        why = _protection(p1, p1p)
        status = "protected" if why else ("constrained" if ring else "open")
        reason = "; ".join(why) if why else ("bond within a ring (cyclisation or bridge)" if ring else "")
        for protease in matched:
            add(protease, p1, p1p, status, reason, ring)

    main = pep.main
    residues = [u for u in main if u.monomer.kind == "residue"]
    if pep.cyclic or len(residues) < 2:
        return out
    first, last = main[0], main[-1]
    r1, r2, rl, rp = residues[0], residues[1], residues[-1], residues[-2]
    if first is not r1:
        n_free, n_why = False, f"N-terminus capped ({first.monomer.name})"
    elif 1 not in r1.monomer.attachments:
        n_free, n_why = False, f"N-terminus capped ({r1.monomer.name} has no free amine)"
    else:
        n_free, n_why = True, ""
    if last is not rl:
        c_free, c_why = False, f"C-terminus capped ({last.monomer.name})"
    elif 2 not in rl.monomer.attachments:
        c_free, c_why = False, f"C-terminus capped ({rl.monomer.name} has no free carboxylate)"
    else:
        c_free, c_why = True, ""
    if "aminopeptidase" in proteases and _code(r2) != "P":
        why = _protection(r1, r2) + (["N-methylated N-terminus"] if r1.monomer.n_methyl else [])
        if not n_free:
            why = [n_why]
        add("aminopeptidase", r1, r2, "protected" if why else "open", "; ".join(why))
    if "dpp4" in proteases and len(residues) >= 3 and _code(r2) in ("P", "A") and _code(residues[2]) != "P":
        why = [f"D-residue at {role}" for u, role in ((r1, "P2"), (r2, "P1"), (residues[2], "P1'"))
               if u.monomer.is_d]
        if not n_free:
            why = [n_why]
        add("dpp4", r2, residues[2], "protected" if why else "open", "; ".join(why))
    if "carboxypeptidase" in proteases and _code(rp) != "P":
        why = _protection(rp, rl) if c_free else [c_why]
        add("carboxypeptidase", rp, rl, "protected" if why else "open", "; ".join(why))
    return out


def summarise(sites: list[dict]) -> dict:
    """Counts per status and a one-line summary of the open/constrained sites."""
    n_open = sum(s["status"] == "open" for s in sites)
    n_con = sum(s["status"] == "constrained" for s in sites)
    n_prot = sum(s["status"] == "protected" for s in sites)
    text = "; ".join(f"{s['protease']} {s['bond']} ({s['status']})" for s in sites if s["status"] != "protected")
    return {"n_cleavage_open": n_open, "n_cleavage_constrained": n_con, "n_cleavage_protected": n_prot,
            "cleavage_sites": text, "protease_liability": n_open + 0.5 * n_con}
