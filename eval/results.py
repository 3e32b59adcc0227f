"""Reading what an lmms-eval run wrote, checking it is complete, and the record we keep of it
(`simsv_results.json`, schema `simsv-eval/1`), which the results table reads.

lmms-eval's CLI exits 0 even when a task crashed or was never found, so completeness is decided
here, from its files: every requested task must be in the results with samples and its headline
metric. Missing VSI-Bench types are recomputed from the per-sample scores, so a partial run says
what it lacks instead of passing for a complete one.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from eval.benchmarks import BENCHMARKS
from simsv_vsi.metrics import vsibench_macro

RESULTS_SCHEMA = "simsv-eval/1"
# The metric whose absence fails a task: the benchmark's headline, or `overall` for our own
# tasks that are not a table column (e.g. simsv_vsibench_debiased).
_HEADLINE = {b.task: b.metric for b in BENCHMARKS.values() if b.name != "VSI-Bench-Debiased"}
_HEADLINE.setdefault("simsv_vsibench_debiased", "overall")
# Metrics a run may leave NaN without failing, because they need something optional.
_OPTIONAL_NAN = {("simsv_openeqa", "llm_match")}  # no judge configured: only the labelled proxy


def newest(folder: Path, pattern: str) -> Path | None:
    found = sorted(folder.rglob(pattern), key=lambda p: p.name)
    return found[-1] if found else None


def _samples(folder: Path, stamp: str, task: str) -> list[dict]:
    f = next(iter(folder.rglob(f"{stamp}_samples_{task}.jsonl")), None)
    if f is None:
        return []
    return [json.loads(line) for line in f.read_text().splitlines() if line.strip()]


def _missing(samples: list[dict]) -> dict | None:
    """Which VSI-Bench tasks and raw types had no question, from the per-sample payloads our
    tasks log under their `overall` metric (None for tasks that log none)."""
    payloads = [s["overall"] for s in samples if isinstance(s.get("overall"), dict) and "group" in s["overall"]]
    if not payloads:
        return None
    groups: dict[str, list[float]] = {}
    for p in payloads:
        groups.setdefault(p["group"], []).append(p["score"])
    macro = vsibench_macro(groups)
    return {"tasks": macro.missing_tasks, "types": macro.missing_types}


def collect(output_dir: Path, tasks: list[str]) -> tuple[dict, list[str]]:
    """Per-task results from the newest lmms-eval run under `output_dir`, and the problems that
    make the run incomplete (empty when every task produced its headline metric)."""
    results_file = newest(output_dir, "*_results.json")
    if results_file is None:
        return {}, [f"{t}: no result (lmms-eval wrote no results file)" for t in tasks]
    raw = json.loads(results_file.read_text())
    stamp = results_file.name[: -len("_results.json")]
    out, problems = {}, []
    for task in tasks:
        res = raw.get("results", {}).get(task)
        n = raw.get("n-samples", {}).get(task, {}).get("effective", 0)
        if res is None or not n:
            problems.append(f"{task}: no result (the task failed or was not found)")
            continue
        metrics = {k.split(",")[0]: v for k, v in res.items()
                   if "," in k and "_stderr" not in k and isinstance(v, (int, float))}
        head = _HEADLINE.get(task)
        if head is not None and (head not in metrics or (_nan(metrics[head]) and (task, head) not in _OPTIONAL_NAN)):
            problems.append(f"{task}: headline metric {head!r} missing or NaN")
        cfg = raw.get("configs", {}).get(task, {})
        out[task] = {
            "dataset": cfg.get("dataset_path"),
            "dataset_config": cfg.get("dataset_name"),
            "revision": (cfg.get("dataset_kwargs") or {}).get("revision"),
            "n_samples": n,
            "metrics": {k: (None if _nan(v) else v) for k, v in sorted(metrics.items())},
            "missing": _missing(_samples(results_file.parent, stamp, task)),
        }
    return out, problems


def _nan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def write(path: Path, record: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"schema": RESULTS_SCHEMA, **record}, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def read(path: Path) -> dict:
    """A `simsv_results.json` (or the folder holding one), checked for its schema."""
    path = Path(path)
    if path.is_dir():
        path = path / "simsv_results.json"
    try:
        record = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: not a readable results file ({e})") from None
    if record.get("schema") != RESULTS_SCHEMA:
        raise ValueError(f"{path}: field 'schema' is {record.get('schema')!r}, expected {RESULTS_SCHEMA!r}")
    if not isinstance(record.get("tasks"), dict):
        raise ValueError(f"{path}: field 'tasks' missing")
    return record
