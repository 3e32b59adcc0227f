"""Our VSI-Bench scoring against lmms-eval 0.7.3's installed `vsibench` code (the official
thinking-in-space arithmetic), per sample, on thousands of generated answers: multiple choice,
numbers as models write them, and every exact-threshold case. Zero differences allowed."""

from __future__ import annotations

import copy
import random
from decimal import Decimal

import pytest

from eval.scoring import score
from simsv_vsi.metrics import vsibench_macro
from tests.eval.test_run import HAND_DEBIASED, HAND_FULL, HAND_ROWS

utils = pytest.importorskip("lmms_eval.tasks.vsibench.utils")

NUMERIC = ("object_counting", "object_abs_distance", "object_size_estimation", "room_size_estimation")
MC = ("object_rel_distance", "object_rel_direction_easy", "route_planning", "obj_appearance_order")
OPTIONS = ["A. left", "B. right", "C. back", "D. front"]


def official(doc: dict, prediction: str) -> float:
    """lmms-eval's per-sample score of one document."""
    out = utils.vsibench_process_results(copy.deepcopy(doc), [prediction])["vsibench_overall"]
    return float(out["accuracy"] if doc["question_type"] in utils.MCA_QUESTION_TYPES else out["MRA:.5:.95:.05"])


def numeric_docs(rng: random.Random) -> list[tuple[dict, str]]:
    """Ground truths as VSI-Bench writes them (integers, one or two decimals), predictions on
    every exact decimal tolerance and around it, in the forms models answer with."""
    cases = []
    for i in range(600):
        kind = NUMERIC[i % 4]
        gt = Decimal(rng.randint(1, 400)) / (10 ** rng.randint(0, 2))
        step = Decimal(rng.randint(0, 11)) * Decimal("0.05")
        pred = gt * (1 + rng.choice((1, -1)) * step)
        for text in (f"{pred}", f"{pred} m", f"about {pred}", f"{pred}.", f"{round(pred, 1)}"):
            cases.append(({"question_type": kind, "ground_truth": str(gt), "options": None}, text))
    words = ["three", "twenty-one", "a hundred and five", "no idea", "", "3,000", "-2", "1.2.3", "seven 8"]
    cases += [({"question_type": "object_counting", "ground_truth": str(g), "options": None}, w)
              for g in (1, 3, 5, 21, 105) for w in words]
    return cases


def mc_docs(rng: random.Random) -> list[tuple[dict, str]]:
    forms = ["{l}", "{l}.", "{l}. left", "({l})", "{l})", "The answer is {l}", " {l}", "{l}\n", "{low}", "{l}..", ""]
    cases = []
    for i in range(300):
        gt = rng.choice("ABCD")
        letter = rng.choice("ABCD")
        form = forms[i % len(forms)]
        cases.append(({"question_type": MC[i % 4], "ground_truth": gt, "options": OPTIONS},
                      form.format(l=letter, low=letter.lower())))
    return cases


def test_per_sample_scores_match_lmms_eval():
    rng = random.Random(0)
    cases = numeric_docs(rng) + mc_docs(rng)
    differ = [(d, p, score(p, d["ground_truth"], d["options"]), official(d, p)) for d, p in cases
              if score(p, d["ground_truth"], d["options"]) != official(d, p)]
    assert len(cases) > 3000 and differ == [], differ[:10]


def test_hand_computed_run_values_are_lmms_evals():
    """test_run.py's hand-computed 27.5 / 40.0 for the constant answer "4", from lmms-eval's own
    per-sample scores (its aggregator cannot take a set without all three direction levels)."""
    per_type, per_type_debiased = {}, {}
    for row in HAND_ROWS:
        s = official(row, "4")
        per_type.setdefault(row["question_type"], []).append(s)
        if not row["pruned"]:
            per_type_debiased.setdefault(row["question_type"], []).append(s)
    assert 100 * vsibench_macro(per_type).overall == pytest.approx(HAND_FULL)
    assert 100 * vsibench_macro(per_type_debiased).overall == pytest.approx(HAND_DEBIASED)
