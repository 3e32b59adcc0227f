"""lmms-eval hooks for SIMS-VSI's ego-motion and spatial-memory questions on held-out houses
(config `dynamic`, split `test`; loaded by file path from the task yaml).

Scored as the held-out task scores: multiple choice by first-token letter match, distances by
MRA, x100. `overall` is the unweighted mean over the six types that have questions (a type with
none is NaN, never 0, and left out of `overall`)."""

import math

from eval.scoring import SCALE, score
from eval.sims_rows import doc_to_text, doc_to_visual, process_docs  # noqa: F401 (named by the yaml)
from simsv_vsi.question_types import DYNAMIC_TYPES


def process_results(doc, results):
    # keyed "type", not "group": eval.results reads "group" payloads as VSI-Bench's tasks
    item = {"type": doc["question_type"], "score": score(results[0], doc["answer"], doc["options"])}
    return {m: item for m in METRICS}


def dynamic_metrics(items: list[dict]) -> dict[str, float]:
    """Per-type means and their unweighted mean `overall`, x100; NaN where there is nothing."""
    by_type: dict[str, list[float]] = {}
    for it in items:
        by_type.setdefault(it["type"], []).append(it["score"])
    means = {t: sum(v) / len(v) for t, v in by_type.items() if t in DYNAMIC_TYPES and v}
    out = {t: round(means[t] * SCALE, 6) if t in means else math.nan for t in DYNAMIC_TYPES}
    out["overall"] = round(sum(means.values()) / len(means) * SCALE, 6) if means else math.nan
    return out


def _aggregator(metric: str):
    def aggregate(items: list[dict]) -> float:
        return dynamic_metrics(items)[metric]
    aggregate.__name__ = f"aggregate_{metric}"
    return aggregate


METRICS = ["overall", *DYNAMIC_TYPES]
# One aggregation function per metric, named as the yaml's `!function utils.agg_<metric>`.
for _m in METRICS:
    globals()[f"agg_{_m}"] = _aggregator(_m)
