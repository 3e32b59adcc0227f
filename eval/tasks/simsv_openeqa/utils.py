"""lmms-eval hooks for OpenEQA (EM-EQA: answer from the episode's video), loaded by file path
from simsv_openeqa.yaml. Scoring is eval.judge: LLM-Match when a judge is configured, and a
token-F1 proxy always. See README.md next to this file."""

import functools
import math
import os
from pathlib import Path

from eval.judge import KEY_ENV, MODEL_ENV, REPO_ENV, URL_ENV, FALLBACK_KEY_ENV, Judge, judge_configured, proxy_token_f1
from eval.scoring import payload

# Where the episode videos are: <root>/<episode_history>.mp4, e.g. <root>/hm3d-v0/000-hm3d-BFRyYbPCCPE.mp4
VIDEOS_ENV = "SIMSV_OPENEQA_VIDEOS"
# A short-answer instruction: OpenEQA's references are words or short phrases.
POST_PROMPT = "Answer the question with a single word or a short phrase."
# The `category` values of open-eqa-v0.json (7 categories, 213-263 questions each).
OPENEQA_CATEGORIES = ("object recognition", "object localization", "attribute recognition", "spatial understanding",
                      "object state recognition", "functional reasoning", "world knowledge")


# open-eqa-v0.json's fields (`extra_answers` only on some rows)
REQUIRED_COLUMNS = ("question", "answer", "category", "question_id", "episode_history")


def process_docs(dataset):
    """Fail loudly when dataset_path loaded something other than open-eqa-v0.json (e.g. an
    override that dropped `dataset_kwargs.data_files`, so every file in the folder was read)."""
    missing = [c for c in REQUIRED_COLUMNS if c not in dataset.column_names]
    if missing:
        raise ValueError(f"OpenEQA data lacks columns {missing} (has {dataset.column_names}): dataset_path must be "
                         "a folder holding open-eqa-v0.json, read through the yaml's dataset_kwargs.data_files")
    return dataset


def _video_root() -> Path:
    default = Path(os.environ.get("HF_HOME", "~/.cache/huggingface")).expanduser() / "openeqa"
    return Path(os.environ.get(VIDEOS_ENV, default)).expanduser()


def doc_to_visual(doc):
    path = _video_root() / f"{doc['episode_history']}.mp4"
    if not path.is_file():
        raise FileNotFoundError(f"OpenEQA video {path} not found (set {VIDEOS_ENV} to the folder holding "
                                f"hm3d-v0/ and scannet-v0/ with one <episode>.mp4 per episode history)")
    return [str(path)]


def doc_to_text(doc, lmms_eval_specific_kwargs=None):
    return f"{doc['question']}\n{POST_PROMPT}"


@functools.lru_cache(maxsize=4)
def _judge(*config) -> Judge:
    """One judge per configuration: the prompt files are read once per run, not per question."""
    return Judge.from_env()


def _judged(doc, prediction) -> tuple[int | None, float, str | None]:
    """(raw rating, LLM-Match score, judge model), or (None, NaN, None) without a judge: never a
    stand-in value."""
    if not judge_configured():
        return None, math.nan, None
    judge = _judge(*(os.environ.get(v) for v in (URL_ENV, MODEL_ENV, REPO_ENV, KEY_ENV, FALLBACK_KEY_ENV)))
    rating, score = judge.llm_match(doc, prediction)
    return rating, score, judge.model


def process_results(doc, results):
    """One payload per metric, each with that metric's own `score`: lmms-eval computes every
    metric's standard error from the `score` field of its items."""
    prediction, category = results[0], doc["category"]
    rating, score, judge_model = _judged(doc, prediction)
    answers = [doc["answer"], *(doc.get("extra_answers") or [])]
    judged = payload(category, score, question_id=doc["question_id"], judge_rating=rating, judge_model=judge_model)
    out = {"llm_match": judged,
           "proxy_token_f1": payload(category, proxy_token_f1(prediction, answers), question_id=doc["question_id"])}
    for c in OPENEQA_CATEGORIES:
        # other categories' questions carry no score, so they stay out of this metric's stderr
        out[_category_metric(c)] = judged if c == category else {"group": category}
    return out


def _mean(values) -> float:
    values = list(values)
    return round(sum(values) / len(values), 6) if values else math.nan


def agg_llm_match(items, category=None) -> float:
    """Mean LLM-Match, x100; NaN when any question went unjudged (no judge configured) or the
    category has no questions, so a partial number never passes for a full one."""
    chosen = [it for it in items if category is None or it["group"] == category]
    if any(math.isnan(it["score"]) for it in chosen):
        return math.nan
    return _mean(it["score"] for it in chosen)


def agg_proxy_token_f1(items) -> float:
    """Mean best-answer token F1, x100: a proxy, not OpenEQA's metric."""
    return _mean(it["score"] for it in items)


def _category_metric(category: str) -> str:
    return "llm_match_" + category.replace(" ", "_")


def _category_aggregator(category: str):
    def aggregate(items):
        return agg_llm_match(items, category)
    aggregate.__name__ = f"agg_{_category_metric(category)}"
    return aggregate


CATEGORY_METRICS = [_category_metric(c) for c in OPENEQA_CATEGORIES]
# One aggregation function per category, named as the yaml's `!function utils.agg_<metric>`.
for _c in OPENEQA_CATEGORIES:
    globals()[f"agg_{_category_metric(_c)}"] = _category_aggregator(_c)
