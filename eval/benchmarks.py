"""What each benchmark is: where its data lives, the revision we pin, which lmms-eval task scores
it, and which of that task's metrics the results table reads (with its scale).

Facts gathered in ../shared/reference/eval-reference.md (lmms-eval 0.7.3)."""

from __future__ import annotations

from dataclasses import dataclass

# nyu-visionx/VSI-Bench at the commit that added the `pruned` column ("upload
# hf.co/datasets/nyu-visionx/VSI-Bench-Debiased version"). A short hash: the Hub resolves commit
# prefixes. Our machines cannot reach the Hub, so this pin was read from the Hub's file history,
# not fetched.
VSIBENCH_REPO = "nyu-visionx/VSI-Bench"
VSIBENCH_REVISION = "d7cb1a3"
# What the dataset card of that release documents: config `full` has 5,131 rows with the
# `pruned` column, `debiased` the 2,363 with pruned == False, `pruned` the other 2,768
# (2,363 + 2,768 = 5,131). The paper-era release had 5,130 rows, hence the "5,130 - 2,768 =
# 2,362" some documents give. The loader checks these counts (eval/tasks/simsv_vsibench/utils.py).
VSIBENCH_ROWS = 5131
VSIBENCH_DEBIASED_ROWS = 2363
SIMSV_REPO = "simsv/sims-vsi"


@dataclass(frozen=True)
class Benchmark:
    name: str  # column name in the results table
    task: str  # the lmms-eval task that scores it
    metric: str  # the metric key in lmms-eval's results ("<metric>,none")
    scale: float  # multiply by this to get 0..100
    dataset: str
    note: str = ""


BENCHMARKS = {b.name: b for b in [
    Benchmark("VSI-Bench", "simsv_vsibench", "overall", 1.0, VSIBENCH_REPO),
    Benchmark("VSI-Bench-Debiased", "simsv_vsibench", "debiased_overall", 1.0, VSIBENCH_REPO,
              "the rows with pruned == False, scored in the same pass as VSI-Bench"),
    Benchmark("SIMS-VSI held-out", "simsv_heldout", "overall", 1.0, SIMSV_REPO,
              "the test split: houses never seen in training"),
    Benchmark("SIMS-VSI dynamic", "simsv_dynamic", "overall", 1.0, SIMSV_REPO,
              "ego-motion and spatial-memory questions (config `dynamic`) on the test split: beyond the paper"),
    Benchmark("OpenEQA", "simsv_openeqa", "llm_match", 1.0, "facebookresearch/open-eqa",
              "LLM-Match; without a judge only `proxy_token_f1` is reported, labelled a proxy"),
    Benchmark("VideoMME", "videomme", "videomme_perception_score", 1.0, "lmms-lab/Video-MME",
              "lmms-eval's built-in task, no subtitles"),
    Benchmark("EgoSchema", "egoschema_subset", "score", 100.0, "lmms-eval/egoschema",
              "the 500-question subset with public answers; the full set is scored by a remote server"),
    Benchmark("MME-RealWorld-lite", "mmerealworld_lite", "mme_realworld_score", 100.0,
              "yifanzhang114/MME-RealWorld-lite-lmms-eval",
              "lmms-eval's built-in task (image questions, 5 options): accuracy over all questions, "
              "reported 0..1; the SIMS-V paper's Table 3 reports it x100"),
]}

# Named suites for `python -m eval.run --suite`.
SUITES = {
    "vsibench": ("simsv_vsibench",),
    "heldout": ("simsv_heldout",),
    "openeqa": ("simsv_openeqa",),
    "dynamic": ("simsv_dynamic",),
    "paper": ("simsv_vsibench", "simsv_heldout", "simsv_openeqa", "videomme", "egoschema_subset",
              "mmerealworld_lite"),
}
