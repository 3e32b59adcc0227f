"""lmms-eval hooks for SIMS-VSI's held-out split (loaded by file path from the task yaml)."""

from eval.scoring import aggregator, payload, score
from eval.sims_rows import doc_to_text, doc_to_visual, process_docs  # noqa: F401 (named by the yaml)
from simsv_vsi.metrics import NUMERIC_TYPES, VSIBENCH_TASKS


def group(question_type: str, fmt: str) -> str:
    """VSI-Bench's groups for the formats it asks (numeric open-ended, choices MC); numeric types
    asked as multiple choice are their own group."""
    return f"{question_type}_mc" if question_type in NUMERIC_TYPES and fmt == "mc" else question_type


def process_results(doc, results):
    item = payload(group(doc["question_type"], doc["format"]), score(results[0], doc["answer"], doc["options"]))
    return {m: item for m in METRICS}


METRICS = ["overall", *VSIBENCH_TASKS, *(f"{t}_mc" for t in NUMERIC_TYPES), "obj_spatiotemporal_distance"]
# One aggregation function per metric, named as the yaml's `!function utils.agg_<metric>`.
for _m in METRICS:
    globals()[f"agg_{_m}"] = aggregator(_m)
