"""MME-RealWorld-lite through lmms-eval's unmodified built-in task `mmerealworld_lite`, offline:
a local folder named like the Hub dataset (datasets reads it instead of the Hub), five generated
image questions, and the table's scale (lmms-eval reports 0..1, the table x100)."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eval import table
from eval.benchmarks import BENCHMARKS, SUITES

REPO = Path(__file__).resolve().parents[2]
ANSWERS = "ABCDA"


def write_mme_folder(cwd: Path) -> None:
    from PIL import Image

    root = cwd / BENCHMARKS["MME-RealWorld-lite"].dataset
    (root / "data").mkdir(parents=True)
    (root / "README.md").write_text("---\nconfigs:\n  - config_name: default\n    data_files:\n      - split: train\n"
                                    "        path: data/train.parquet\n---\n")
    rows = []
    for i, answer in enumerate(ANSWERS):
        png = io.BytesIO()
        Image.new("RGB", (24, 16), (40 * i, 90, 0)).save(png, "PNG")
        rows.append({"index": i, "question": f"What colour is item {i}?",
                     "multi-choice options": ["(A) red", "(B) green", "(C) blue", "(D) grey", "(E) none"],
                     "answer": answer, "category": ("Perception/Monitoring", "Reasoning/Autonomous_Driving")[i % 2],
                     "l2-category": "color", "bytes": base64.b64encode(png.getvalue()).decode()})
    pq.write_table(pa.Table.from_pylist(rows), root / "data" / "train.parquet")


def test_mme_realworld_lite_is_in_the_paper_suite():
    b = BENCHMARKS["MME-RealWorld-lite"]
    assert (b.task, b.metric, b.scale) == ("mmerealworld_lite", "mme_realworld_score", 100.0)
    assert b.task in SUITES["paper"]


@pytest.mark.slow
def test_builtin_task_scores_and_the_table_scales(tmp_path):
    write_mme_folder(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "eval.run", "--model", "dummy", "--model_args", "response=B",
                        "--tasks", "mmerealworld_lite", "--out", str(out)], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    rec = json.loads((out / "simsv_results.json").read_text())
    assert rec["tasks"]["mmerealworld_lite"]["metrics"]["mme_realworld_score"] == pytest.approx(1 / 5)  # one B
    cells = table.row(rec)
    assert cells["MME-RealWorld-lite"] == (pytest.approx(20.0), False)
