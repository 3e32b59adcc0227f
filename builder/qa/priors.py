"""Measure the answer distributions that numeric multiple-choice distractors are drawn from.

`simsv qa --write-priors` runs the open-ended pass on a reference corpus and stores, per
numeric type, 21 quantiles of the answers (counts: their frequencies) in
builder/qa/answer_priors.json. The committed file was measured on the corpus named in it.
"""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pyarrow as pa

from simsv_vsi.question_types import QUESTION_TYPES

QUANTILES = np.linspace(0.0, 1.0, 21)


SIZE_PRIOR_HOUSES = 400


def placed_sizes(catalog, seed: int = 12345, houses: int = SIZE_PRIOR_HOUSES) -> dict:
    """category -> longest side (cm) of every object the house generator placed in `houses`
    generated (not rendered) houses: the distribution a size answer is drawn from, with the
    generator's own model choices, placement limits and category folding."""
    from builder.houses.generate import generate_house

    sizes: dict[str, list[float]] = {}
    for i in range(houses):
        try:
            house = generate_house(i, seed, catalog)
        except ValueError:  # a house the generator gives up on is skipped, as `simsv generate` does
            continue
        for o in house.objects:
            sizes.setdefault(o.category, []).append(round(max(o.size) * 100, 1))
    return {c: sorted(v) for c, v in sorted(sizes.items())}


def measure_priors(records: pa.Table, source: str) -> dict:
    qt = records.column("question_type").to_pylist()
    fmt = records.column("format").to_pylist()
    val = records.column("answer_value").to_pylist()
    types = {}
    for name, t in QUESTION_TYPES.items():
        if t.answer != "numeric":
            continue
        xs = [float(v) for q, f, v in zip(qt, fmt, val) if q == name and f == "oe"]
        if not xs:
            raise ValueError(f"no open-ended {name} records in {source}: cannot measure its answer prior")
        if t.decimals == 0 and t.unit is None:  # counts
            c = Counter(int(x) for x in xs)
            vals = sorted(c)
            types[name] = {"values": vals, "counts": [c[v] for v in vals]}  # exact: options are counted in integers
        else:
            q = np.quantile(np.asarray(xs), QUANTILES)
            types[name] = {"quantiles": [round(float(max(v, 10 ** -t.decimals)), 6) for v in q]}
        types[name]["n"] = len(xs)
    return {"source": source, "types": types}


def priors_json(priors: dict) -> str:
    return json.dumps(priors, indent=1, sort_keys=True) + "\n"
