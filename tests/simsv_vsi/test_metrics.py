"""VSI-Bench's metrics (simsv_vsi/metrics.py) on hand-checked values: MRA at and around its
thresholds, multiple-choice first-token matching, both numeric parsers, the macro aggregation."""

import numpy as np
import pytest

from simsv_vsi.metrics import (
    MRA_THRESHOLDS, MRA_TOLERANCES, NUMERIC_PARSERS, VSIBENCH_TASKS, mc_exact_match, mean_relative_accuracy, numeric_score,
    parse_number_extract, parse_number_first_token, vsibench_macro,
)



@pytest.mark.parametrize("pred, gt, want", [
    # values from VSI-Bench's official arithmetic (thresholds 1 - np.linspace(.5, .95, 10) in
    # binary, no slack); lmms-eval 0.7.3 gives the same (test_mra_matches_lmms_eval below)
    (10.0, 10.0, 1.0),
    (10.5, 10.0, 1.0),  # 0.05 exactly: the tolerance 1 - 0.95 is 0.050000000000000044 in binary
    (2.1, 2.0, 1.0),  # 0.05000000000000004 <= 0.050000000000000044
    (1.05, 1.0, 1.0),
    (95.0, 100.0, 1.0),
    (15.0, 10.0, 0.1),  # exactly 0.5: only theta = 0.50
    (5.0, 10.0, 0.1),
    (15.01, 10.0, 0.0),
    (11.0, 10.0, 0.9),  # 0.10 <= 0.10000000000000009: 0.50 .. 0.90
    (12.0, 10.0, 0.6),  # 0.2 > 0.19999999999999996 (1 - 0.8): 0.50 .. 0.75 only
    (13.0, 10.0, 0.5),  # 0.3 <= 0.30000000000000004: 0.50 .. 0.70
    (4.0, 5.0, 0.6),  # 0.2 again: 0.6 officially (0.7 in decimal)
    (1.5, 1.2, 0.5),  # 0.25000000000000006 > 0.25
    (150.0, 120.0, 0.6),  # 0.25 <= 0.25 holds (1 - 0.75 is exact); 0.2 misses 0.19999999999999996
    (10.6, 10.0, 0.9),
    (0.0, 3.0, 0.0),
    (float("nan"), 3.0, 0.0),
    (float("inf"), 3.0, 0.0),
])
def test_mra_values(pred, gt, want):
    assert mean_relative_accuracy(pred, gt) == want


def test_mra_arrays_and_errors():
    got = mean_relative_accuracy(np.array([10.0, 15.0, 20.0]), np.array([10.0, 10.0, 10.0]))
    assert isinstance(got, np.ndarray) and got.tolist() == pytest.approx([1.0, 0.1, 0.0])
    assert isinstance(mean_relative_accuracy(1, 1), float)
    with pytest.raises(ValueError):
        mean_relative_accuracy(1.0, 0.0)
    with pytest.raises(ValueError):
        mean_relative_accuracy([1.0, 2.0], [1.0, 0.0])


def test_thresholds_are_the_ten_of_vsibench():
    assert len(MRA_THRESHOLDS) == 10 and MRA_THRESHOLDS[0] == 0.5 and MRA_THRESHOLDS[-1] == 0.95
    assert MRA_TOLERANCES[-1] == 0.050000000000000044 and MRA_TOLERANCES[6] == 0.19999999999999996


def _generated_cases():
    """Thousands of (prediction, ground truth) pairs as benchmark answers are written: integer
    counts, distances and room sizes on a 0.1 grid, sizes in whole cm, and every prediction that
    lies exactly on a tolerance in decimal (gt * (1 +- d) for d = 0.05 .. 0.50, computed in
    Decimal), where binary floating point decides the score."""
    from decimal import Decimal

    pairs = [(p, g) for g in range(1, 41) for p in range(0, 41)]  # counts
    grid = [round(0.1 * i, 1) for i in range(1, 101)]
    pairs += [(p, g) for g in grid for p in grid]  # 10,000 distances on a 0.1 grid
    pairs += [(p, g) for g in range(10, 301, 10) for p in range(1, 451, 7)]  # sizes, cm
    exact = []
    gts = [Decimal(i) for i in range(1, 201)] + [Decimal(i) / 10 for i in range(1, 501, 3)]
    for g in gts:
        for step in range(1, 11):
            d = Decimal(step) * Decimal("0.05")
            for sign in (1, -1):
                p = g * (1 + sign * d)
                if p >= 0:
                    exact.append((float(p), float(g)))
    return pairs + exact, exact


def test_mra_matches_lmms_eval_bit_for_bit():
    """Every generated pair scores exactly what lmms-eval's installed vsibench code scores
    (thinking-in-space's arithmetic), including the exact-threshold cases where a decimal reading
    of the tolerances would give 0.1 more."""
    utils = pytest.importorskip("lmms_eval.tasks.vsibench.utils")
    pairs, exact = _generated_cases()
    preds, gts = np.array(pairs).T
    ours = mean_relative_accuracy(preds, gts)
    official = np.array([utils.mean_relative_accuracy(p, g, .5, .95, .05) for p, g in pairs])
    differ = np.flatnonzero(ours != official)
    assert len(pairs) > 15_000 and differ.size == 0, [pairs[i] for i in differ[:10]]
    # the test reaches the cases that matter: exact decimal hits that binary arithmetic misses
    ep, eg = np.array(exact).T
    decimal_reading = np.array([sum(abs(p - g) / g <= t + 1e-9 for t in np.arange(10) * 0.05 + 0.05) / 10
                                for p, g in exact])
    assert (decimal_reading != mean_relative_accuracy(ep, eg)).sum() > 100


# ---------------------------------------------------------------------------------------------
# multiple choice


@pytest.mark.parametrize("pred, want", [
    ("A", 1.0), ("a", 1.0), ("A.", 1.0), ("A. left", 1.0), ("A\n", 1.0), (" A", 0.0),  # split on " ": "" first
    ("(A)", 0.0), ("A)", 0.0), ("The answer is A", 0.0), ("B", 0.0), ("", 0.0), (None, 0.0), ("AB", 0.0),
])
def test_mc_first_token(pred, want):
    assert mc_exact_match(pred, "A") == want


# ---------------------------------------------------------------------------------------------
# numeric parsers


@pytest.mark.parametrize("text, first_token, extract", [
    ("2.5", 2.5, 2.5),
    ("2.5 meters", 2.5, 2.5),
    ("2.5.", 2.5, 2.5),  # one trailing "." stripped
    ("about 2.5 m", None, 2.5),
    ("two", None, 2.0),
    ("Two chairs.", None, 2.0),
    ("twenty-one", None, 21.0),
    ("three hundred and twenty-one", None, 321.0),
    ("two thousand five hundred", None, 2500.0),
    ("3,000", None, 3.0),  # the comma ends the number
    ("-1.5", -1.5, -1.5),
    ("one apple, room 2", None, 1.0),  # whichever comes first
    ("room 2, one apple", None, 2.0),
    ("none", None, None),  # "one" inside a word is not a number
    ("A", None, None),
    ("", None, None),
    (None, None, None),
    ("nan", None, None),
    ("inf", None, None),
])
def test_parsers(text, first_token, extract):
    assert parse_number_first_token(text) == first_token
    assert parse_number_extract(text) == extract


def test_extract_number_agrees_with_lmms_eval():
    """Our parser is an independent implementation of lmms-eval 0.7's; compare when installed."""
    utils = pytest.importorskip("lmms_eval.tasks.vsibench.utils")
    texts = ["4", "4 chairs", "about 3.25 m", "There are three.", "twenty one", "ninety-nine point",
             "a hundred", "one thousand and one", "seven 8", "8 seven", "zero", "no", "-2", "1.2.3",
             "eleven hundred", "forty and two", "fifty fifty", "x", "It is 0.5m"]
    for t in texts:
        assert parse_number_extract(t) == utils.extract_number(t), t


@pytest.mark.parametrize("pred, parser, want", [
    ("4", "first_token", 1.0),
    ("about 4", "first_token", 0.0),  # unparseable scores the worst case
    ("about 4", "extract_number", 1.0),
    ("five", "extract_number", 0.6),  # |5-4|/4 = 0.25: the 6 thresholds 0.50 .. 0.75
    ("6", "extract_number", 0.1),  # exactly 0.5
    ("no idea", "extract_number", 0.0),
])
def test_numeric_score(pred, parser, want):
    assert numeric_score(pred, "4", parser) == pytest.approx(want)


def test_unknown_parser_is_named():
    with pytest.raises(ValueError, match="first_token"):
        numeric_score("4", "4", "regex")
    assert set(NUMERIC_PARSERS) == {"first_token", "extract_number"}


# ---------------------------------------------------------------------------------------------
# macro aggregation


def test_macro_full_hand_checked():
    scores = {
        "object_counting": [1.0, 0.0],  # 0.5
        "object_abs_distance": [0.7],
        "object_size_estimation": [0.2, 0.4],  # 0.3
        "room_size_estimation": [0.0],
        "object_rel_distance": [1.0, 1.0, 0.0, 0.0],  # 0.5
        "object_rel_direction_easy": [1.0],  # levels averaged unweighted: (1 + 0.5 + 0) / 3
        "object_rel_direction_medium": [1.0, 0.0],
        "object_rel_direction_hard": [0.0, 0.0, 0.0],
        "route_planning": [1.0],
        "obj_appearance_order": [0.0, 1.0, 1.0, 1.0],  # 0.75
    }
    m = vsibench_macro(scores)
    assert m.tasks["object_rel_direction"] == pytest.approx(0.5)
    assert m.overall == pytest.approx((0.5 + 0.7 + 0.3 + 0.0 + 0.5 + 0.5 + 1.0 + 0.75) / 8)
    assert m.missing_tasks == [] and m.missing_types == [] and m.extra_types == {}
    assert list(m.tasks) == list(VSIBENCH_TASKS)


def test_macro_missing_direction_level_and_task():
    m = vsibench_macro({"object_counting": [1.0], "object_rel_direction_easy": [0.0, 1.0],
                        "obj_spatiotemporal_distance": [1.0, 0.0, 0.0, 0.0]})
    assert m.tasks == {"object_counting": 1.0, "object_rel_direction": 0.5}  # easy only
    assert m.overall == pytest.approx(0.75)  # over the tasks present
    assert "object_rel_direction_medium" in m.missing_types and "object_rel_direction_hard" in m.missing_types
    assert "route_planning" in m.missing_tasks and "object_counting" not in m.missing_tasks
    assert m.extra_types == {"obj_spatiotemporal_distance": 0.25}  # scored alone, not in overall


def test_macro_empty():
    m = vsibench_macro({})
    assert m.overall is None and m.tasks == {} and len(m.missing_tasks) == 8 and len(m.missing_types) == 10
