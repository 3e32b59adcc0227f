import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.fixtures.vsibench_folder import vsibench_rows, write_vsibench_folder

pytest.importorskip("lmms_eval", reason="lmms-eval not installed: scripts/install.sh installs it")

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def heldout_rows(hub_folder):
    return pq.read_table(hub_folder / "data" / "qa_all_test.parquet").to_pylist()


@pytest.fixture(scope="session")
def vsibench_partial(hub_folder, heldout_rows, tmp_path_factory):
    """A VSI-Bench-shaped folder from the held-out SIMS-VSI rows with the medium and hard
    direction levels removed: the subset lmms-eval 0.7's own aggregator crashes on."""
    rows = [r for r in vsibench_rows(heldout_rows)
            if r["question_type"] not in ("object_rel_direction_medium", "object_rel_direction_hard")]
    assert any(r["question_type"] == "object_rel_direction_easy" for r in rows), "fixture lost the easy level"
    return write_vsibench_folder(rows, hub_folder / "data" / "videos", tmp_path_factory.mktemp("vsib") / "VSI-Bench")


def run_eval(*args, out: Path, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """`python -m eval.run ...` in a subprocess, offline, with a private HF_HOME."""
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(out.parent / "hf_home"),
                "TOKENIZERS_PARALLELISM": "false", **(env or {})}
    return subprocess.run([sys.executable, "-m", "eval.run", "--out", str(out), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=full_env, cwd=REPO)


def results_of(out: Path) -> dict:
    return json.loads((out / "simsv_results.json").read_text())
