"""`simsv bench qa`: QA records per second from stored metadata (scene.json, frames.parquet,
geometry.npz), one process. Reading the metadata is timed; the one-off geometry stage and
room clip videos are not (run `simsv qa` once first). Prints figures; asserts nothing."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np

from builder.qa.config import QAConfig
from builder.qa.engine import trajectory_records
from builder.qa.run import finished_houses, trajectories
from builder.qa.types.common import Rejections
from builder.qa.view import load_view


def bench_qa(corpus: Path, repeats: int = 3, cfg: QAConfig | None = None) -> str:
    cfg = cfg or QAConfig()
    houses = finished_houses(corpus)
    missing = [h for h in houses if not (h / "geometry.npz").exists()]
    if missing:
        raise FileNotFoundError(f"{missing[0] / 'geometry.npz'}: missing; run `simsv qa --corpus {corpus}` once first")
    rates, n, n_traj = [], 0, 0
    for _ in range(repeats):
        n, n_traj = 0, 0
        t0 = time.perf_counter()
        for h in houses:
            scene = json.loads((h / "scene.json").read_text())
            with np.load(h / "geometry.npz") as z:
                geometry = {k: z[k] for k in z.files}
            for t in trajectories(h):
                n += len(trajectory_records(load_view(corpus, h, t, cfg, scene, geometry), cfg, Rejections()))
                n_traj += 1
        rates.append(n / (time.perf_counter() - t0))
    return (f"bench qa: {len(houses)} houses, {n_traj} walkthroughs, {n} records per pass, {repeats} passes\n"
            f"  records/s : median {statistics.median(rates):8.0f}   best {max(rates):8.0f}   (one process)")
