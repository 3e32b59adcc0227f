"""`simsv generate --ray [ADDRESS]`: the houses of a run as Ray tasks, on one machine or a cluster.

Each task runs the same `HouseBuilder.build(index)` as a single-process run, so the outputs are
the same bytes: a house's spec, render and encoding depend only on (seed, index), never on the
worker, and every file is written atomically with `DONE` last. The driver keeps everything that is
not per house (the config check, which houses are left, failure records, attribution, progress).

A worker that dies (killed, out of memory, node lost) has its house re-run by Ray on another
worker (`max_retries`); a house that raises is recorded under failures/ as in a local run.

The videos are the same bytes too: x264 once read uninitialised heap memory, which in a retried
worker held other garbage; it now encodes in a process of its own with zeroed heap memory
(builder/capture/encode.py, docs/capture-format.md).

Cluster use: start Ray on every node (`ray start --head` / `ray start --address HEAD:6379`),
install this package at the same path everywhere, put OUT on a shared filesystem, then run
`simsv generate ... --ray auto` on a node of the cluster.
"""

from __future__ import annotations

import json
import os
import traceback
from pathlib import Path

from builder.config import BuildConfig

LOCAL = "local"  # `--ray` with no address: start Ray on this machine
MAX_RETRIES = 3  # re-runs of a house whose worker died (not of a house that raised)

_builders: dict[tuple[str, str], object] = {}  # one HouseBuilder (renderer, catalogue) per worker process


def build_house(cfg_json: dict, out: str, index: int) -> dict:
    """One house, in whatever process runs it: its summary, or the error it raised."""
    from builder.pipeline import HouseBuilder

    key = (json.dumps(cfg_json, sort_keys=True), out)
    try:
        if key not in _builders:
            _builders[key] = HouseBuilder(BuildConfig.from_json(cfg_json), Path(out))
        return {"index": index, "summary": _builders[key].build(index)}
    except Exception as e:  # noqa: BLE001 - one bad house must not abort the corpus
        return {"index": index, "error": repr(e), "traceback": traceback.format_exc()}


def connect(address: str) -> None:
    import ray

    if ray.is_initialized():
        return
    # our tasks return small dicts: a small object store, and no dashboard, keep a local start quick
    kwargs = {"include_dashboard": False, "log_to_driver": False}
    if address == LOCAL:
        # a private local instance: Ray 2.60's token auth would otherwise write ~/.ray/auth_token
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        ray.init(object_store_memory=200 * 1024**2, **kwargs)
    else:
        ray.init(address=address, **kwargs)


def run_on_ray(cfg: BuildConfig, out: Path, todo: list[int], address: str):
    """Yield each house's result as it finishes."""
    import ray

    connect(address)
    task = ray.remote(max_retries=MAX_RETRIES, num_cpus=1)(build_house)
    pending = [task.remote(cfg.to_json(), str(Path(out).resolve()), i) for i in todo]
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        yield ray.get(done[0])
