"""`simsv bench qa`: QA records per second from stored metadata (scene.json, frames.parquet,
geometry.npz). Reading the metadata is timed; the one-off geometry stage and the room clip
videos are not (run `simsv qa` once first). Prints figures; asserts nothing."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from builder.qa.balance import balance_answers
from builder.qa.config import QAConfig
from builder.qa.fork_map import fork_map
from builder.qa.gc_pause import gc_paused
from builder.qa.run import finished_houses, house_records


def _pass(corpus: Path, houses: list[Path], cfg: QAConfig, workers: int) -> int:
    """One `simsv qa` pass without file writes: every house's records, then the corpus-level
    balancing; returns the number of records kept."""
    jobs = [(corpus, h, cfg, _no_mesh, None, ("oe", "mc"), False) for h in houses]
    with gc_paused():  # as `simsv qa`
        results = sorted(fork_map(house_records, jobs, workers), key=lambda r: r[0])
        n = len(balance_answers([r for _, (recs, _, _) in results for r in recs], cfg.seed)[0])
        del results  # freed by reference counting before the collector resumes
    return n


def reference_loop_ms(repeats: int = 3) -> float:
    """The machine's speed right now: the least time, in ms, of a fixed pure-Python loop (dict
    stores and integer arithmetic, as the QA engine does). On the shared 2-core machines this is
    measured on it drifts by a third within minutes, and QA rates drift with it: figures taken
    at different times compare after scaling by this."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        d, s = {}, 0
        for i in range(1_000_000):
            d[i & 1023] = s
            s += i * 3 % 7
        best = min(best, time.perf_counter() - t0)
    return 1000 * best


def _no_mesh(asset_id: str):
    raise RuntimeError("geometry.npz missing: the benchmark reads stored metadata only")


def bench_qa(corpus: Path, repeats: int = 3, workers: int = 1, cfg: QAConfig | None = None) -> str:
    cfg = cfg or QAConfig()
    corpus = Path(corpus)
    houses = finished_houses(corpus)
    missing = [h for h in houses if not (h / "geometry.npz").exists()]
    if missing:
        raise FileNotFoundError(f"{missing[0] / 'geometry.npz'}: missing; run `simsv qa --corpus {corpus}` once first")
    lines = []
    before = reference_loop_ms()
    for w in sorted({1, workers}):
        rates, cpu = [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            n = _pass(corpus, houses, cfg, w)
            rates.append(n / (time.perf_counter() - t0))
            cpu.append(time.process_time() - c0)
        line = f"  {w} process{'es' if w > 1 else '  '}: median {statistics.median(rates):7.0f} records/s" \
               f"   best {max(rates):7.0f}"
        if w == 1:  # CPU time swings less than wall time on a shared machine: the figure to compare code by
            line += f"   (CPU {1000 * statistics.median(cpu):.0f} ms a pass, least {1000 * min(cpu):.0f})"
        lines.append(line)
    lines.append(f"  machine: reference loop {before:.0f} ms before, {reference_loop_ms():.0f} ms after "
                 "(pure Python; rates scale inversely with it)")
    return "\n".join([f"bench qa: {len(houses)} houses, {n} records per pass, {repeats} passes", *lines])
