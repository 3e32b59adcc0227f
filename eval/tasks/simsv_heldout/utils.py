"""lmms-eval hooks for SIMS-VSI's held-out split (loaded by file path from the task yaml)."""

from datasets import Video

from eval.scoring import aggregator, payload, score
from simsv_vsi.metrics import NUMERIC_TYPES, VSIBENCH_TASKS
from simsv_vsi.prompts import prompt_text


def process_docs(dataset):
    # the model plugin opens the file itself: keep the video as a path, not a decoder
    return dataset.cast_column("video", Video(decode=False))


def doc_to_visual(doc):
    video = doc["video"]
    if not video.get("path"):
        raise ValueError(f"SIMS-VSI row {doc['id']}: the video has no local path")
    return [video["path"]]


def doc_to_text(doc, lmms_eval_specific_kwargs=None):
    return prompt_text(doc["question"], doc["options"])


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
