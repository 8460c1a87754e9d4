"""Physical and bookkeeping invariants are explicit checks (InvariantError, or ValueError for a caller's
contract), never ``assert`` statements that ``python -O`` strips: each fires with a message that names the
quantity and the values."""

from __future__ import annotations

import ast
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radiovector.codehash import package_dir
from radiovector.errors import InvariantError, RadioVectorError, StoreError


def test_no_assert_statements_in_the_library() -> None:
    found = [f"{path.relative_to(package_dir())}:{node.lineno}"
             for path in sorted(package_dir().rglob("*.py"))
             for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Assert)]
    assert not found, f"use an explicit exception (radiovector.errors.InvariantError or ValueError): {found}"


def test_invariant_errors_are_user_facing_radiovector_errors() -> None:
    assert issubclass(InvariantError, RadioVectorError)


def test_checks_survive_python_dash_o() -> None:
    code = ("import sys, numpy as np\n"
            "from radiovector.dosimetry import spheres\n"
            "from radiovector.errors import InvariantError\n"
            "from radiovector.pk.fit import sigma_for\n"
            "assert False, 'asserts run'\n")
    check = ("try:\n    sigma_for(np.ones(3), None, 'sd')\nexcept ValueError as e:\n    print('ValueError:', e)\n"
             "spheres._interp_rows = lambda grid, table, e: np.full((len(e), table.shape[1]), 2.0)\n"
             "try:\n    spheres.SphereModel([1.0]).absorbed('Lu-177')\n"
             "except InvariantError as e:\n    print('InvariantError:', e)\n")
    proc = subprocess.run([sys.executable, "-O", "-c", code + check], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "ValueError: sigma_for: error_model 'sd' needs" in proc.stdout
    assert "InvariantError: Lu-177: electron energy absorbed per decay outside [0, emitted]" in proc.stdout


def test_validation_never_loses_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    from radiovector.io import tables

    schema = tables.TableSchema.from_dict(
        {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}, "t")
    frame = pd.DataFrame({"x": ["1", "oops"]})
    assert tables.validate_table(frame, schema, "t", "t.csv").rows_rejected == 1
    monkeypatch.setattr(tables, "rejects_frame", lambda records=None: tables.REJECTS_SCHEMA.empty_table().to_pandas())
    with pytest.raises(InvariantError, match=r"t.csv: 2 rows in but 1 accepted \+ 0 rejected"):
        tables.validate_table(frame, schema, "t", "t.csv")


def test_structure_reader_never_loses_rows(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from radiovector.candidates import io

    path = tmp_path / "c.smi"
    path.write_text("CCO a\nCCN b\n")
    real = io.read_candidates
    monkeypatch.setattr(io, "read_candidates", lambda p, s=None: (lambda a, r, n: (a, r, n + 1))(*real(p, s)))
    with pytest.raises(InvariantError, match="3 rows in but 2 accepted"):
        io.read_structure_input("candidates", path)


def test_sigma_for_sd_needs_sd() -> None:
    from radiovector.pk.fit import sigma_for

    with pytest.raises(ValueError, match="sd is None"):
        sigma_for(np.ones(3), None, "sd")


def test_effective_decay_constant_never_below_physical(monkeypatch: pytest.MonkeyPatch) -> None:
    from radiovector.pk import models
    from radiovector.pk.stage import fit_biodistribution

    rows = pd.DataFrame([dict(compound="C1", radionuclide="Lu-177", organ="kidney", time_h=float(t),
                              value=10 * math.exp(-0.02 * t), unit="%ID/g", decay_corrected=True)
                         for t in (1, 4, 24, 48, 96)])
    real = models.Model.coefs
    monkeypatch.setattr(models.Model, "coefs", lambda self, x: (lambda c, b: (c, b - 1.0))(*real(self, x)))
    with pytest.raises(InvariantError, match=r"C1/Lu-177/kidney, model \w+: effective decay constant"):
        fit_biodistribution(rows, {"n_bootstrap": 5})


def test_sphere_absorbed_energy_within_emitted(monkeypatch: pytest.MonkeyPatch) -> None:
    from radiovector.dosimetry import spheres

    assert spheres.SphereModel([1.0]).absorbed("Lu-177")["electron_absorbed_mev"][0] > 0
    monkeypatch.setattr(spheres, "_interp_rows", lambda grid, table, e: np.full((len(e), table.shape[1]), -0.5))
    with pytest.raises(InvariantError, match=r"Lu-177: electron energy absorbed .* sphere mass\(es\) \[1.0\] g"):
        spheres.SphereModel([1.0]).absorbed("Lu-177")


def _tia(tumour_tiac: float) -> pd.DataFrame:
    organs = {"tumour": tumour_tiac, "kidney": 10.0, "blood": 1.0}
    return pd.DataFrame([{"compound": "C1", "radionuclide": "Ga-68", "organ": organ, "nuclide": "Lu-177",
                          "tiac": tiac, "tiac_unit": "h/g", "tiac_low": 0.8 * tiac, "tiac_high": 1.2 * tiac,
                          "extrapolated_fraction": 0.1, "flags": ""} for organ, tiac in organs.items()])


def test_doses_never_negative() -> None:
    from radiovector.dosimetry import compute_doses

    assert (compute_doses(_tia(20.0), {})["doses"]["dose_gy_per_mbq"] >= 0).all()
    with pytest.raises(InvariantError, match=r"C1 \(Ga-68 kinetics\) with Lu-177: negative absorbed dose.*tumour"):
        compute_doses(_tia(-20.0), {})


def test_absorbed_fraction_by_size_within_unit_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    from radiovector.dosimetry import compute_doses
    from radiovector.dosimetry.energies import ChainEnergies

    cand = pd.DataFrame({"candidate_id": ["C1"], "nuclide": ["Lu-177"], "chelator": ["dota"],
                         "compatibility": ["compatible"]})
    real = ChainEnergies.get

    def inflated(self: ChainEnergies, nuclide: str) -> dict:
        energies = dict(real(self, nuclide))
        energies["in_situ"] = {k: np.asarray(v) * (3.0 if "absorbed" in k else 1.0)
                               for k, v in energies["in_situ"].items()}
        return energies

    monkeypatch.setattr(ChainEnergies, "get", inflated)
    with pytest.raises(InvariantError, match=r"absorbed fraction outside \[0, 1\] .*'candidate_id': 'C1'"):
        compute_doses(_tia(20.0), {}, cand)


def test_dossier_score_within_unit_interval() -> None:
    from radiovector.dossier import build_dossier

    targets = pd.DataFrame({"tumour_type": ["PRAD"], "rank": [1], "gene_symbol": ["FOLH1"], "score": [0.9],
                            "limiting_organ": ["kidney"]})
    nuclides = pd.DataFrame({"candidate_id": ["A"], "nuclide": ["Lu-177"], "chelator": ["dota"],
                             "compatibility": ["compatible"]})

    def candidates(score: float) -> pd.DataFrame:
        return pd.DataFrame({"candidate_id": ["A"], "target": ["FOLH1"], "rank": [1], "score": [score]})

    assert build_dossier(targets, candidates(0.9), nuclides)["dossier_score"].between(0, 1).all()
    with pytest.raises(InvariantError, match=r"dossier_score outside \[0, 1\] in 1 row"):
        build_dossier(targets, candidates(40.0), nuclides)


def test_store_reports_a_run_or_table_that_vanished(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from radiovector.store import ResultsStore
    from radiovector.store.crate import export_run
    from radiovector.store.delta import RunNotFound

    store = ResultsStore(tmp_path / "store")
    monkeypatch.setattr(store, "resolve_run_id", lambda ref: "20260101T000000Z-abcdef")
    monkeypatch.setattr(store, "find_run", lambda run_id: None)
    with pytest.raises(RunNotFound, match="disappeared"):
        store.get_run("latest")
    with pytest.raises(StoreError, match="disappeared .* during export"):
        export_run(store, "latest", tmp_path / "run.zip")
    monkeypatch.setattr(store, "table_names", lambda: ["targets"])
    monkeypatch.setattr(store, "_open", lambda name: None)
    monkeypatch.setattr(store, "visible_run_ids", lambda: [])
    with pytest.raises(StoreError, match="'targets' disappeared .* during compaction"):
        store.compact()
