"""lmms-eval hooks for VSI-Bench (loaded by file path from the task yaml)."""

import os
from pathlib import Path

from eval.benchmarks import VSIBENCH_DEBIASED_ROWS, VSIBENCH_REVISION, VSIBENCH_ROWS
from eval.scoring import aggregator, payload, score
from simsv_vsi.metrics import VSIBENCH_TASKS
from simsv_vsi.prompts import prompt_text

# Where the unzipped videos are: <root>/<dataset>/<scene_name>.mp4. The default is where
# lmms-eval's own vsibench task unzips them, so both tasks share one copy.
VIDEOS_ENV = "SIMSV_VSIBENCH_VIDEOS"
# "any" skips the release's row counts (set by `python -m eval.run` for a local --data folder
# that is not a copy of the Hub release, e.g. generated test data); the `pruned` column and
# unique ids are checked always.
ROWS_ENV = "SIMSV_VSIBENCH_ROWS"


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


def check_release(dataset):
    """Refuse data that is not the pinned VSI-Bench release: no `pruned` column (an older
    revision), repeated ids (e.g. a config whose file glob also caught the per-subset files), or
    other row counts than the card documents (5,131 rows, 2,363 with pruned == False)."""
    where = f"nyu-visionx/VSI-Bench@{VSIBENCH_REVISION} (config full)"
    if "pruned" not in dataset.column_names:
        raise ValueError(f"VSI-Bench data has no `pruned` column (columns: {', '.join(dataset.column_names)}): "
                         f"VSI-Bench-Debiased needs {where}")
    ids = dataset["id"] if "id" in dataset.column_names else None
    if ids is not None and len(set(ids)) != len(ids):
        raise ValueError(f"VSI-Bench data repeats ids ({len(ids)} rows, {len(set(ids))} distinct): expected {where}")
    if os.environ.get(ROWS_ENV) == "any":
        return dataset
    kept = sum(1 for p in dataset["pruned"] if p is False)
    if (len(dataset), kept) != (VSIBENCH_ROWS, VSIBENCH_DEBIASED_ROWS):
        raise ValueError(f"VSI-Bench data has {len(dataset):,} rows, {kept:,} with pruned == False; {where} has "
                         f"{VSIBENCH_ROWS:,} and {VSIBENCH_DEBIASED_ROWS:,} (set {ROWS_ENV}=any for other data)")
    return dataset


def keep_debiased(dataset):
    return check_release(dataset).filter(lambda pruned: pruned is False, input_columns="pruned")


def _debiased(item) -> bool:
    return item["pruned"] is False


METRICS = ["overall", *VSIBENCH_TASKS]
# One aggregation function per metric, named as the yaml's `!function utils.agg_<metric>`.
for _m in METRICS:
    globals()[f"agg_{_m}"] = aggregator(_m)
    globals()[f"agg_debiased_{_m}"] = aggregator(_m, keep=_debiased)
DEBIASED_METRICS = [f"debiased_{m}" for m in METRICS]
