"""lmms-eval hooks for VSI-Bench (loaded by file path from the task yaml)."""

import os
from pathlib import Path

from eval.scoring import aggregator, payload, score
from simsv_vsi.metrics import VSIBENCH_TASKS
from simsv_vsi.prompts import prompt_text

# Where the unzipped videos are: <root>/<dataset>/<scene_name>.mp4. The default is where
# lmms-eval's own vsibench task unzips them, so both tasks share one copy.
VIDEOS_ENV = "SIMSV_VSIBENCH_VIDEOS"


def _video_root() -> Path:
    default = Path(os.environ.get("HF_HOME", "~/.cache/huggingface")).expanduser() / "vsibench"
    return Path(os.environ.get(VIDEOS_ENV, default)).expanduser()


def doc_to_visual(doc):
    path = _video_root() / doc["dataset"] / f"{doc['scene_name']}.mp4"
    if not path.is_file():
        raise FileNotFoundError(f"VSI-Bench video {path} not found (set {VIDEOS_ENV} to the folder holding "
                                f"arkitscenes/, scannet/, scannetpp/)")
    return [str(path)]


def doc_to_text(doc, lmms_eval_specific_kwargs=None):
    return prompt_text(doc["question"], doc["options"])


def _item(doc, results):
    return payload(doc["question_type"], score(results[0], doc["ground_truth"], doc["options"]),
                   pruned=doc.get("pruned"))


def process_results(doc, results):
    """simsv_vsibench: every metric, full and debiased."""
    item = _item(doc, results)
    return {m: item for m in METRICS + DEBIASED_METRICS}


def process_results_plain(doc, results):
    """simsv_vsibench_debiased: its docs are already the debiased rows."""
    item = _item(doc, results)
    return {m: item for m in METRICS}


def keep_debiased(dataset):
    if "pruned" not in dataset.column_names:
        raise ValueError("this VSI-Bench revision has no `pruned` column; VSI-Bench-Debiased needs revision "
                         "d7cb1a3 or later")
    return dataset.filter(lambda pruned: pruned is False, input_columns="pruned")


def _debiased(item) -> bool:
    return item["pruned"] is False


METRICS = ["overall", *VSIBENCH_TASKS]
# One aggregation function per metric, named as the yaml's `!function utils.agg_<metric>`.
for _m in METRICS:
    globals()[f"agg_{_m}"] = aggregator(_m)
    globals()[f"agg_debiased_{_m}"] = aggregator(_m, keep=_debiased)
DEBIASED_METRICS = [f"debiased_{m}" for m in METRICS]
