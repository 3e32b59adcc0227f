"""Per-question scores and their aggregation, shaped for lmms-eval's `process_results` and
`aggregation` hooks. The arithmetic is `simsv_vsi.metrics`; this module only routes documents to
it, so the task folders stay thin and the same numbers come out with or without lmms-eval.

Scores are reported x100 (the papers' scale). lmms-eval 0.7's built-in `vsibench` reports 0..1.
"""

from __future__ import annotations

import math
import os

from simsv_vsi.metrics import DEFAULT_PARSER, NUMERIC_PARSERS, VSIBENCH_TASKS, mc_exact_match, numeric_score, vsibench_macro

# The numeric parser for a run: an environment variable, because lmms-eval passes task
# options to prompt hooks only, not to `process_results`. `python -m eval.run --parser` sets it.
PARSER_ENV = "SIMSV_NUMERIC_PARSER"
SCALE = 100.0


def numeric_parser() -> str:
    name = os.environ.get(PARSER_ENV, DEFAULT_PARSER)
    if name not in NUMERIC_PARSERS:
        raise ValueError(f"{PARSER_ENV}={name!r}: expected one of {', '.join(NUMERIC_PARSERS)}")
    return name


def score(prediction: str | None, answer: str, options) -> float:
    """One question: multiple choice when it has options (first-token letter match), else the
    MRA of the parsed number against the answer."""
    if options is not None and len(options):
        return mc_exact_match(prediction, answer)
    return numeric_score(prediction, answer, numeric_parser())


def payload(group: str, value: float, **extra) -> dict:
    """What one document hands every metric's aggregation."""
    return {"group": group, "score": value, **extra}


def macro_metrics(items: list[dict]) -> dict[str, float]:
    """overall + the 8 VSI-Bench tasks + any extra groups, x100; a task without questions is
    NaN (not 0), so a partial run can never pass for a bad one."""
    groups: dict[str, list[float]] = {}
    for it in items:
        groups.setdefault(it["group"], []).append(it["score"])
    m = vsibench_macro(groups)
    out = {"overall": _scaled(m.overall)}
    out.update({t: _scaled(m.tasks.get(t)) for t in VSIBENCH_TASKS})
    out.update({t: _scaled(v) for t, v in m.extra_types.items()})
    return out


def _scaled(v: float | None) -> float:
    return math.nan if v is None else round(v * SCALE, 6)


def aggregator(metric: str, keep=None):
    """An lmms-eval aggregation function for one metric of `macro_metrics`, over the documents
    `keep(item)` accepts (all by default)."""
    def aggregate(items: list[dict]) -> float:
        chosen = [it for it in items if keep is None or keep(it)]
        return macro_metrics(chosen).get(metric, math.nan)
    aggregate.__name__ = f"aggregate_{metric}"
    return aggregate
