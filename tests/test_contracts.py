"""Table contracts (radiovector.contracts): writers, the store and the docs all follow one declaration."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from deltalake import write_deltalake

from radiovector.contracts import ContractError, contract, contracts, render_docs, stage_tables, write_table
from radiovector.errors import StoreError
from radiovector.paths import project_root
from radiovector.store import ResultsStore, RunRecord, new_run_id


def _record() -> RunRecord:
    now = datetime.now(UTC)
    return RunRecord(run_id=new_run_id(), status="succeeded", started_at=now, finished_at=now, config={})


def test_every_contract_is_well_formed() -> None:
    for name, c in contracts().items():
        assert c.name == name and c.description and c.row, name
        assert set(c.key) <= set(c.column_names), name
        assert len(set(c.column_names)) == len(c.column_names), name
        if c.stage not in ("ingest", "store"):
            assert c.path and c.path.endswith(f"/{name}.parquet"), name
    assert set(stage_tables("pk")) == {"pk_points", "pk_fits", "pk_params", "pk_tia", "pk_curves", "pk_sum_check"}


def test_writer_that_drops_a_column_fails_naming_table_and_column(tmp_path: Path) -> None:
    frame = contract("pk_fits").example(3).to_pandas()
    with pytest.raises(ContractError, match=r"'pk_fits'.*lacks required column\(s\) \['aicc'\]"):
        write_table("pk_fits", frame.drop(columns="aicc"), tmp_path / "pk_fits.parquet")
    assert not (tmp_path / "pk_fits.parquet").exists()


def test_undeclared_column_fails_with_a_suggestion(tmp_path: Path) -> None:
    frame = contract("pk_fits").example(2).to_pandas().rename(columns={"aicc": "aic_c"})
    with pytest.raises(ContractError, match="lacks required"):
        write_table("pk_fits", frame, tmp_path / "x.parquet")
    frame = contract("pk_fits").example(2).to_pandas().assign(aic_c=1.0)
    with pytest.raises(ContractError, match=r"undeclared column\(s\) \['aic_c'\]") as err:
        write_table("pk_fits", frame, tmp_path / "x.parquet")
    assert "did you mean aicc" in str(err.value)


def test_types_are_cast_safely_or_refused() -> None:
    c = contract("pk_sum_check")
    good = c.example(2).to_pandas().astype({"n_organs": "float64"})  # 1.0 -> 1 is safe
    assert c.conform(good).schema.field("n_organs").type == pa.int64()
    bad = good.assign(n_organs=[1.5, 2.0])
    with pytest.raises(ContractError, match="column 'n_organs'.*int64"):
        c.conform(bad)
    empty = c.example(2).to_pandas().assign(reason=None) if "reason" in c.column_names else None
    assert empty is None or c.conform(empty)  # an all-null column takes the declared type


def test_key_must_identify_a_row() -> None:
    c = contract("doses")
    frame = c.example(3).to_pandas()
    frame.loc[1, ["compound", "nuclide", "organ"]] = frame.loc[0, ["compound", "nuclide", "organ"]].to_numpy()
    with pytest.raises(ContractError, match="share a key"):
        c.conform(frame)


def test_optional_and_pattern_columns() -> None:
    cand = contract("candidates")
    base = cand.example(2)
    assert "sequence" not in base.column_names  # optional: only when peptides are scored
    with_nuclide = cand.example(2, **{"compatibility_lu-177": "compatible"})
    assert with_nuclide.schema.field("compatibility_lu-177").type == pa.string()
    ti = contract("therapeutic_index").example(1, ti_kidney=2.5, dose_kidney_gy_per_mbq=0.1)
    assert ti["ti_kidney"].to_pylist() == [2.5]
    with pytest.raises(ContractError, match="undeclared"):
        cand.conform(base.append_column("compatibilty_lu-177", pa.array(["x", "y"])))


def test_store_refuses_undeclared_tables_and_writes_nothing(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    good = contract("targets").example(2)
    with pytest.raises(ContractError, match="no table 'targts'"):
        store.commit_run(_record(), {"targets": good, "targts": good})
    with pytest.raises(ContractError, match="lacks required"):
        store.commit_run(_record(), {"targets": good, "unmapped": contract("unmapped").example(1).drop(["reason"])})
    assert store.table_names() == []  # every table is checked before the first is written


def test_store_schema_evolves_only_as_declared(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    cand = contract("candidates")
    first = store.commit_run(_record(), {"candidates": cand.example(2, **{"compatibility_lu-177": "compatible"})})
    second = store.commit_run(_record(), {"candidates": cand.example(1, **{"compatibility_ac-225": "possible"})})
    third = store.commit_run(_record(), {"candidates": cand.example(1, **{"compatibility_lu-177": "possible"})})
    assert store.read("candidates", third).to_pandas()["compatibility_lu-177"].tolist() == ["possible"]
    a, b = store.read("candidates", first).to_pandas(), store.read("candidates", second).to_pandas()
    assert a["compatibility_ac-225"].isna().all() and b["compatibility_lu-177"].isna().all()
    assert b["compatibility_ac-225"].tolist() == ["possible"]
    assert a["sequence"].isna().all()  # optional peptide column: typed null in the store
    assert store.read("candidates").schema.field("sequence").type == pa.string()


def test_store_refuses_a_table_written_under_another_contract(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    old = contract("unmapped").example(1).append_column("gene_name", pa.array(["x"]))  # a since-renamed column
    old = old.add_column(0, "run_id", pa.array(["20250101T000000Z-000000"]))
    write_deltalake(store.table_uri("unmapped"), old, mode="append")
    with pytest.raises(StoreError, match=r"column\(s\) \['gene_name'\] that its contract does not declare"):
        store.commit_run(_record(), {"unmapped": contract("unmapped").example(1)})


def test_runs_and_rejects_schemas_come_from_the_contracts() -> None:
    from radiovector.io.tables import REJECTS_SCHEMA
    from radiovector.store import RUNS_SCHEMA

    assert RUNS_SCHEMA.names == contract("runs").column_names
    assert REJECTS_SCHEMA.names == contract("rejects").column_names


def test_generated_docs_are_in_sync() -> None:
    docs = project_root() / "docs"
    for path, text in render_docs(docs).items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run python -m radiovector.contracts"


def test_example_run_tables_match_their_contracts_and_rules() -> None:
    """The workflow's result tables are exactly the contracts with a work-directory path (rules read them)."""
    rules = "\n".join(p.read_text() for p in (project_root() / "rules").glob("*.smk"))
    by_hand = [c.path for c in contracts().values() if c.path and f'"{c.path}"' in rules]
    assert not by_hand, f"rules name result files by hand ({by_hand}); take them from radiovector.contracts"
    assert pd.Series([c.path for c in contracts().values() if c.path]).is_unique
