"""`simsv_dynamic` through the lmms-eval CLI on the exported test split of config `dynamic`:
the oracle scores exactly 100 on every type that has questions, and a constant answer scores
what the rows say by hand."""

import math

import pyarrow.parquet as pq
import pytest

from simsv_vsi.question_types import DYNAMIC_TYPES
from tests.eval.conftest import results_of, run_eval


@pytest.fixture(scope="module")
def dynamic_rows(hub_folder):
    rows = pq.read_table(hub_folder / "data" / "qa_dynamic_test.parquet").to_pylist()
    assert rows and {r["question_type"] for r in rows} <= set(DYNAMIC_TYPES)
    return rows


@pytest.mark.slow  # ~26 s (a whole lmms-eval run); keeps the default suite under 10 min on 2 cores
def test_oracle_and_constant_answers(hub_folder, dynamic_rows, tmp_path):
    out = tmp_path / "oracle"
    r = run_eval("--model", "simsv_oracle", "--suite", "dynamic", "--data", f"simsv_dynamic={hub_folder}", out=out)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    task = results_of(out)["tasks"]["simsv_dynamic"]
    present = {row["question_type"] for row in dynamic_rows}
    assert task["n_samples"] == len(dynamic_rows) and task["metrics"]["overall"] == 100.0
    assert {t: task["metrics"][t] for t in DYNAMIC_TYPES} == {t: 100.0 if t in present else None for t in DYNAMIC_TYPES}
    assert task["missing"] is None  # not read as a VSI-Bench task with everything missing

    out = tmp_path / "constant"
    r = run_eval("--model", "dummy", "--model_args", "response=A", "--tasks", "simsv_dynamic",
                 "--data", f"simsv_dynamic={hub_folder}", out=out)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    by_type = {}
    for row in dynamic_rows:  # "A" is right where the answer is A; no number to read for distances
        by_type.setdefault(row["question_type"], []).append(float(bool(row["options"]) and row["answer"] == "A"))
    means = [sum(v) / len(v) for v in by_type.values()]
    got = results_of(out)["tasks"]["simsv_dynamic"]["metrics"]
    assert got["overall"] == pytest.approx(100 * sum(means) / len(means), abs=1e-4)
    assert not math.isnan(got["overall"])
