"""Design-space screening in chunks: the Pareto front, an exact gather (top N + front), the config section and
its workflow rules (plain chunk wildcards, the design_space table registered for the store)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from radiovector.candidates import scoring
from radiovector.candidates.design import _objective_values, gather, pareto_front, resolve_params, score_chunk
from radiovector.candidates.enumerate import enumerate_chunk, load_blocks, n_chunks
from radiovector.candidates.stage import score_candidates
from radiovector.config import validate_config
from radiovector.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = ROOT / "resources" / "example" / "building_blocks.csv"
PARAMS = {"building_blocks": str(BLOCKS), "nuclides": ["Lu-177", "Ac-225"], "top_n": 3, "alerts": False}


@pytest.mark.parametrize("seed", range(5))
def test_pareto_front_equals_rank_one(seed):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 4, size=(300, 3)).astype(float)  # many ties
    values[rng.integers(0, 300, 10), rng.integers(0, 3, 10)] = np.nan
    assert (pareto_front(values) == (scoring.pareto_rank(values) == 1)).all()


def test_gather_of_chunks_equals_scoring_the_whole_space():
    space = load_blocks(pd.read_csv(BLOCKS))
    parts = [score_chunk(space, k, 4, PARAMS)[0] for k in range(n_chunks(space, 4))]
    table = gather(parts, top_n=3)
    whole = score_candidates(enumerate_chunk(space, 0, len(space)),
                             {"nuclides": ["Lu-177", "Ac-225"], "alerts": False})["candidates"]
    front = set(whole["candidate_id"][pareto_front(_objective_values(whole))])
    assert front
    expected = set(whole["candidate_id"].head(3)) | front
    assert set(table["candidate_id"]) == expected
    assert table["design_rank"].head(3).tolist() == [1, 2, 3]
    assert table["candidate_id"].head(3).tolist() == whole["candidate_id"].head(3).tolist()
    assert set(table.loc[table["on_pareto_front"], "candidate_id"]) == front
    assert "compatibility_ac-225" in table.columns


def test_design_section_is_checked():
    assert resolve_params({})["chunk_size"] == 50000  # empty: no design space, defaults
    with pytest.raises(ConfigError, match="building_blocks"):
        resolve_params({"chunk_size": 10})
    with pytest.raises(ConfigError, match="chunk_size"):
        resolve_params({**PARAMS, "chunk_size": 0})
    with pytest.raises(ConfigError, match="unknown design"):
        resolve_params({**PARAMS, "chunksize": 10})
    with pytest.raises(ConfigError, match="nuclide"):
        validate_config({"inputs": {"candidates": "x.csv"}, "design": {**PARAMS, "nuclides": ["Xx-999"]}})


def test_workflow_has_one_job_per_chunk_and_registers_the_table(tmp_path):
    config = {"inputs": {"candidates": str(ROOT / "resources" / "example" / "candidates.csv")},
              "design": {**PARAMS, "chunk_size": 5}}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--snakefile", "workflow/Snakefile",
                           "--configfile", str(path), "--directory", str(tmp_path / "work"), "--quiet", "rules"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    counts = {line.split()[0]: int(line.split()[1]) for line in proc.stdout.splitlines()
              if len(line.split()) == 2 and line.split()[1].isdigit()}
    assert counts["design_chunk"] == 4 and counts["design_gather"] == 1  # 18 conjugates in chunks of 5
