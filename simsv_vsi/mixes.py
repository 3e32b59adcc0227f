"""Mixes: which records, how many of each type, and which houses are held out.

A mix is a list of components (question type, format, weight). `sample_mix` turns a pool of
records into exact counts per component (weights scaled by largest remainders), sampled
without replacement and spread across houses: every house gives its first record before any
house gives a second. Splits hold out whole houses, so validation and test videos are never
seen in training. Every choice is a hash of (seed, id), so the result does not depend on the
order records arrive in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simsv_vsi.question_types import DYNAMIC_TYPES, QUESTION_TYPES

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class Component:
    question_type: str
    format: str
    weight: float


# The SIMS-V paper's 3Q recipe: VSI-Bench's counts for its three question families.
MIX_3Q = (
    Component("object_abs_distance", "oe", 834),
    Component("obj_appearance_order", "mc", 618),
    Component("object_rel_direction_medium", "mc", 378),
    Component("object_rel_direction_hard", "mc", 373),
    Component("object_rel_direction_easy", "mc", 217),
)
# VSI-Bench's type distribution (5,131 questions), numeric types open-ended as in the benchmark.
MIX_VSI_BASELINE = (
    Component("object_counting", "oe", 566),
    Component("object_abs_distance", "oe", 834),
    Component("object_size_estimation", "oe", 953),
    Component("room_size_estimation", "oe", 288),
    Component("object_rel_distance", "mc", 710),
    Component("object_rel_direction_easy", "mc", 217),
    Component("object_rel_direction_medium", "mc", 378),
    Component("object_rel_direction_hard", "mc", 373),
    Component("route_planning", "mc", 194),
    Component("obj_appearance_order", "mc", 618),
)
WEIGHTED_MIXES = {"3q": MIX_3Q, "vsi_baseline": MIX_VSI_BASELINE}
# Mixes of every record of a set of types (no target size: their yields differ by type, and a
# fixed size such as the paper preset's 25,000 would fail on the rarest). `dynamic`: the
# ego-motion and spatial-memory types, beyond the paper (SAT's dynamic skills over video).
GROUP_MIXES = {"dynamic": DYNAMIC_TYPES}


def mix_names() -> list[str]:
    """`3q`, `vsi_baseline`, `dynamic`, `all`, and one per question type (both formats)."""
    return [*WEIGHTED_MIXES, *GROUP_MIXES, "all", *QUESTION_TYPES]


def _key(seed: int, text: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}\x1f{text}".encode()).digest()[:8], "big")


def split_houses(house_ids: list[str], seed: int, validation: float = 0.05, test: float = 0.05) -> dict[str, str]:
    """house id -> split. A house's split depends only on (seed, house id) through a uniform
    hash, so growing a corpus never moves a house between splits; a corpus too small to land a
    house in a held-out split (three or more houses) lends it the train house hashed lowest."""
    u = {h: _key(seed, "split:" + h) / 2.0 ** 64 for h in set(house_ids)}
    out = {h: "test" if x < test else "validation" if x < test + validation else "train" for h, x in u.items()}
    for split, frac in (("test", test), ("validation", validation)):
        if frac > 0 and len(u) >= 3 and split not in out.values():
            out[min((h for h in u if out[h] == "train"), key=lambda h: (u[h], h))] = split
    return dict(sorted(out.items()))


def allocate(total: int, weights: list[float]) -> list[int]:
    """Integer counts proportional to `weights` summing exactly to `total` (largest remainder,
    ties to the earlier component)."""
    w = np.asarray(weights, float)
    raw = total * w / w.sum()
    base = np.floor(raw).astype(int)
    order = sorted(range(len(w)), key=lambda i: (-(raw[i] - base[i]), i))
    for i in order[: total - int(base.sum())]:
        base[i] += 1
    return base.tolist()


def _spread_order(ids: list[str], houses: list[str], seed: int) -> list[int]:
    """Row order that takes one record per house before any house's second (random within)."""
    keys = [_key(seed, i) for i in ids]
    rank: dict[str, int] = {}
    order = sorted(range(len(ids)), key=lambda k: (houses[k], keys[k]))
    depth = [0] * len(ids)
    for k in order:
        depth[k] = rank.get(houses[k], 0)
        rank[houses[k]] = depth[k] + 1
    return sorted(range(len(ids)), key=lambda k: (depth[k], keys[k]))


def components(name: str) -> tuple[Component, ...] | None:
    """The weighted recipe of a mix, or None for mixes that take every matching record."""
    if name in WEIGHTED_MIXES:
        return WEIGHTED_MIXES[name]
    if name == "all" or name in QUESTION_TYPES or name in GROUP_MIXES:
        return None
    raise ValueError(f"unknown mix {name!r}; known: {', '.join(mix_names())}")


def max_size(name: str, records: pa.Table) -> int:
    """The largest total a weighted mix can reach from `records` with its exact proportions."""
    comps = components(name)
    if comps is None:
        return _select_all(name, records).num_rows
    total = sum(c.weight for c in comps)
    avail = [_component_rows(records, c).num_rows for c in comps]
    best = min(int(a * total / c.weight) for a, c in zip(avail, comps))
    while best > 0 and any(n > a for n, a in zip(allocate(best, [c.weight for c in comps]), avail)):
        best -= 1
    return best


def sample_mix(name: str, records: pa.Table, size: int | None, seed: int) -> pa.Table:
    """Exactly `size` records of the mix (all matching records for unweighted mixes), sorted by id."""
    comps = components(name)
    if comps is None:
        return _sort(_select_all(name, records))
    size = max_size(name, records) if size is None else size
    parts = []
    for comp, n in zip(comps, allocate(size, [c.weight for c in comps])):
        rows = _component_rows(records, comp)
        if rows.num_rows < n:
            raise ValueError(f"mix {name!r} needs {n} {comp.question_type}/{comp.format} records, the corpus has "
                             f"{rows.num_rows}; lower the size (largest possible: {max_size(name, records)}) "
                             "or generate more houses")
        order = _spread_order(rows["id"].to_pylist(), rows["house_id"].to_pylist(), seed)
        parts.append(rows.take(pa.array(order[:n], pa.int64())))
    return _sort(pa.concat_tables(parts)) if parts else records.slice(0, 0)


def _component_rows(records: pa.Table, c: Component) -> pa.Table:
    mask = pc.and_(pc.equal(records["question_type"], c.question_type), pc.equal(records["format"], c.format))
    return records.filter(mask)


def _select_all(name: str, records: pa.Table) -> pa.Table:
    if name in GROUP_MIXES:
        return records.filter(pc.is_in(records["question_type"], pa.array(GROUP_MIXES[name], pa.string())))
    return records if name == "all" else records.filter(pc.equal(records["question_type"], name))


def _sort(t: pa.Table) -> pa.Table:
    return t.take(pc.sort_indices(t, [("id", "ascending")]))
