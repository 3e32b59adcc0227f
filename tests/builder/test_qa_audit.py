"""The bias audit (builder/qa/audit.py) on synthetic record tables."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pyarrow as pa
import pytest

from builder.qa.audit import _chi2_sf, audit, audit_markdown, house_folds
from simsv_vsi.answers import format_number, letter_options
from simsv_vsi.records import RECORD_SCHEMA

N_HOUSES = 60  # 5 folds of 12 houses; split_houses (folds=None) holds out 3 + 3 of them (10%)
CATEGORIES = ("sofa", "chair", "bed", "lamp", "table", "tv", "desk", "sink")


def make_table(rows: list[dict]) -> pa.Table:
    """QA records with the real schema. Each row gives question_type, format, question,
    house (an int), and either `options` (unlettered texts) + `correct` (index) for mc or
    `value` (float) for oe; every other field gets a placeholder."""
    out = []
    for i, r in enumerate(rows):
        house = f"house_{r['house']:04d}"
        rec = {
            "id": f"{r['question_type']}-{r['format']}-{i:06d}", "house_id": house, "house_index": r["house"],
            "trajectory": 0, "video_id": f"{house}-t0", "video": f"videos/{house}-t0.mp4", "room_id": None,
            "frame_start": 0, "frame_end": 64, "fps": 8.0, "question_type": r["question_type"],
            "format": r["format"], "question": r["question"], "unit": None, "objects": r.get("objects", []),
            "evidence": "{}",
            "seed": 0,
        }
        if r["format"] == "mc":
            rec["options"] = letter_options(r["options"])
            rec["answer"] = "ABCDEFGH"[r["correct"]]
            rec["answer_value"] = r["options"][r["correct"]]
            rec["gt_value"] = float(r["options"][r["correct"]]) if r.get("numeric") else None
        else:
            rec["options"] = None
            rec["answer"] = rec["answer_value"] = format_number(r["value"], 1)
            rec["gt_value"] = r["value"]
        out.append(rec)
    return pa.Table.from_pylist(out, schema=RECORD_SCHEMA)


SIZE_Q = ("What is the length of the longest dimension (length, width, or height) of the {}, "
          "measured in centimeters?")


def numeric_mc(n: int, rng: np.random.Generator, pick) -> list[dict]:
    """object_size_estimation mc records with four log-uniform options; `pick(values)` gives
    the correct index."""
    rows = []
    for i in range(n):
        vals = np.round(np.exp(rng.uniform(np.log(20), np.log(300), 4)))
        while len(set(vals)) < 4:
            vals = np.round(np.exp(rng.uniform(np.log(20), np.log(300), 4)))
        rows.append({"question_type": "object_size_estimation", "format": "mc", "house": i % N_HOUSES,
                     "question": SIZE_Q.format(CATEGORIES[rng.integers(len(CATEGORIES))]),
                     "options": [format_number(v, 0) for v in vals], "correct": int(pick(vals, rng)),
                     "numeric": True})
    return rows


DIR_Q = "If I am standing by the {} and facing the {}, is the {} to the left or the right of the {}?"


def direction_easy(n: int, rng: np.random.Generator, answer) -> list[dict]:
    """object_rel_direction_easy records, options in random order, the sofa the querying object
    in half of them; `answer(query, rng)` is the correct text ("left"/"right")."""
    rows = []
    for i in range(n):
        q = "sofa" if rng.random() < 0.5 else CATEGORIES[1 + rng.integers(len(CATEGORIES) - 1)]
        a, b = rng.choice([c for c in CATEGORIES if c != q], 2, replace=False)
        opts = ["left", "right"] if rng.random() < 0.5 else ["right", "left"]
        ans = answer(q, rng)
        rows.append({"question_type": "object_rel_direction_easy", "format": "mc", "house": i % N_HOUSES,
                     "question": DIR_Q.format(a, b, q, b), "options": opts, "correct": opts.index(ans)})
    return rows


def row_of(report: dict, key: str) -> dict:
    return report["types"][key]


# ---------------------------------------------------------------------------------------------


def test_largest_option_always_correct_fails():
    rng = np.random.default_rng(1)
    report = audit(make_table(numeric_mc(1500, rng, lambda v, r: np.argmax(v))))
    t = row_of(report, "object_size_estimation/mc")
    assert t["answer_kind"] == "numeric"
    assert t["chance"] == pytest.approx(25.0)
    assert t["distribution"]["rank"]["4"] == t["n"]  # always the largest of four
    assert t["distribution"]["rank_uniformity"]["p_value"] < 1e-6
    assert t["text_model"]["accuracy"] > 90
    assert t["verdict"] == "fail"
    assert report["summary"]["failed"] == ["object_size_estimation/mc"]


def test_exchangeable_options_pass():
    rng = np.random.default_rng(2)
    rows = numeric_mc(3000, rng, lambda v, r: r.integers(4))
    report = audit(make_table(rows))
    t = row_of(report, "object_size_estimation/mc")
    assert t["n_held_out"] == 3000 and t["n_train"] == 2400  # every record scored, 4 of 5 folds to fit
    assert t["distribution"]["rank_uniformity"]["p_value"] > 0.01
    assert abs(t["text_model"]["minus_chance"]) < 5
    assert t["verdict_detail"]["blind_minus_chance"] <= 5
    assert t["verdict"] == "pass"
    assert report["summary"] == {"mc_checked": 1, "failed": []}


def test_question_word_determines_choice():
    rng = np.random.default_rng(3)
    rows = direction_easy(2000, rng, lambda q, r: "left" if q == "sofa" else "right")
    t = row_of(audit(make_table(rows)), "object_rel_direction_easy/mc")
    assert t["answer_kind"] == "choice"
    assert t["chance"] == pytest.approx(50.0)
    # sofa questions are "left", all others "right": balanced answers, so the majority is
    # near chance while the question's words give every answer away
    assert abs(t["majority"]["accuracy"] - 50) < 10
    assert t["text_model"]["accuracy"] > 95
    assert t["verdict"] == "fail"


def test_majority_on_skewed_answers():
    rng = np.random.default_rng(4)
    rows = direction_easy(2000, rng, lambda q, r: "left" if r.random() < 0.8 else "right")
    t = row_of(audit(make_table(rows)), "object_rel_direction_easy/mc")
    maj = t["majority"]
    assert maj["text"] == "left" and maj["text_offered"] == 100.0
    # every fold's majority is "left", and every record is scored
    left = 100 * sum(1 for r in rows if r["options"][r["correct"]] == "left")
    assert t["n_held_out"] == len(rows)
    assert maj["accuracy"] == pytest.approx(left / t["n_held_out"], abs=1e-3)
    split = row_of(audit(make_table(rows), folds=None), "object_rel_direction_easy/mc")["majority"]
    held = _held(rows)
    held_left = 100 * sum(1 for r in rows if r["house"] in held and r["options"][r["correct"]] == "left")
    assert split["accuracy"] == pytest.approx(held_left / sum(r["house"] in held for r in rows), abs=1e-3)
    assert 70 < maj["accuracy"] < 90
    assert t["verdict"] == "fail"
    assert t["distribution"]["top_answers"][0][0] == "left"


def _held(rows: list[dict]) -> set[int]:
    from simsv_vsi.mixes import split_houses

    s = split_houses([f"house_{r['house']:04d}" for r in rows], 0)
    return {int(h.split("_")[1]) for h, v in s.items() if v != "train"}


def test_majority_falls_back_to_letter():
    # the most frequent answer text is rarely offered: the majority predicts the top letter
    rng = np.random.default_rng(5)
    rows = []
    for i in range(600):
        if i % 3 == 0:
            opts, c = ["7", "1", "2", "3"], 0  # "7" is the top answer but only in these
        else:
            opts, c = [str(x) for x in rng.choice(np.arange(10, 90), 4, replace=False)], 1  # letter B
        rows.append({"question_type": "object_counting", "format": "mc", "house": i % N_HOUSES,
                     "question": "How many chair(s) are in this room?", "options": opts, "correct": c,
                     "numeric": True})
    t = row_of(audit(make_table(rows)), "object_counting/mc")
    assert t["majority"]["text"] == "7" and t["majority"]["letter"] == "B"
    assert t["majority"]["accuracy"] == 100.0


def test_open_ended_majority_and_ridge():
    rng = np.random.default_rng(6)
    counts = {c: float(i + 1) for i, c in enumerate(CATEGORIES)}
    rows = [{"question_type": "object_counting", "format": "oe", "house": i % N_HOUSES,
             "question": f"How many {c}(s) are in this room?", "value": counts[c]}
            for i, c in enumerate(rng.choice(CATEGORIES, 1200))]
    report = audit(make_table(rows))
    t = row_of(report, "object_counting/oe")
    assert t["verdict"] == "n/a" and t["chance"] is None
    q = t["distribution"]["quantiles"]
    assert q["min"] == 1.0 and q["max"] == 8.0
    assert t["majority"]["prediction"] in (4.0, 4.5, 5.0)
    assert t["text_model"]["mra"] > 95  # the category word gives the count
    assert t["text_model"]["minus_majority"] > 40
    assert report["summary"]["mc_checked"] == 0


def test_deterministic_and_order_free():
    rng = np.random.default_rng(7)
    rows = (numeric_mc(600, rng, lambda v, r: r.integers(4))
            + direction_easy(600, rng, lambda q, r: ["left", "right"][r.integers(2)]))
    table = make_table(rows)
    a, b = audit(table), audit(table)
    assert a == b
    shuffled = table.take(np.random.default_rng(0).permutation(table.num_rows))
    assert audit(shuffled) == a
    assert json.loads(json.dumps(a)) == a
    assert audit_markdown(a) == audit_markdown(b)
    assert list(a["types"]) == ["object_size_estimation/mc", "object_rel_direction_easy/mc"]


def test_markdown_report():
    rng = np.random.default_rng(8)
    rows = (numeric_mc(600, rng, lambda v, r: np.argmax(v))
            + [{"question_type": "room_size_estimation", "format": "oe", "house": i % N_HOUSES,
                "question": "What is the size of this room (in square meters)?", "value": float(v)}
               for i, v in enumerate(rng.uniform(5, 40, 300))])
    md = audit_markdown(audit(make_table(rows), tolerance_points=3.0))
    assert md.startswith("# SIMS-VSI bias audit")
    assert "5-fold cross-validation over houses: each question by a model that never saw its house" in md
    assert "| object_size_estimation | mc | 480 | 600 | 25.0 |" in md  # 12 of 60 houses per fold
    n_held = sum(r["house"] in _held(rows) for r in rows[:600])
    split = audit_markdown(audit(make_table(rows), tolerance_points=3.0, folds=None))
    assert f"| object_size_estimation | mc | {600 - n_held} | {n_held} | 25.0 |" in split
    assert "held out (validation + test" in split and "cross-validation" not in split
    assert "FAIL" in md and "| room_size_estimation | oe |" in md
    assert "### object_size_estimation/mc" in md and "rank by value" in md
    assert "more than 3.0 points" in md


def test_house_folds_deal_every_house_once():
    houses = [f"house_{i:04d}" for i in range(23)]
    f = house_folds(houses + houses[:5], 0, 5)
    assert sorted(f) == houses and set(f.values()) == set(range(5))
    assert sorted(Counter(f.values()).values()) == [4, 4, 5, 5, 5]
    assert house_folds(list(reversed(houses)), 0, 5) == f
    assert house_folds(houses, 1, 5) != f


def test_every_record_scored_once_by_unseen_houses():
    rng = np.random.default_rng(10)
    rows = (numeric_mc(900, rng, lambda v, r: r.integers(4))
            + [{"question_type": "object_counting", "format": "oe", "house": i % N_HOUSES,
                "question": "How many chair(s) are in this room?", "value": float(1 + i % 5)} for i in range(400)])
    report = audit(make_table(rows))
    assert report["folds"] == 5 and report["houses"] == {"train": 60, "held_out": 60}
    assert len(report["held_out_houses"]) == 60
    for key, n in (("object_size_estimation/mc", 900), ("object_counting/oe", 400)):
        t = row_of(report, key)
        assert t["n"] == t["n_held_out"] == n and t["n_train"] == n * 4 // 5
    mc = row_of(report, "object_size_estimation/mc")["text_model"]
    assert len(mc["l2_folds"]) == 5 and len(mc["l2_inner_nll"]) == 5
    # folds=None, 0 and 1 all mean the single train / held-out split
    old = audit(make_table(rows), folds=None)
    held = _held(rows)
    assert old["folds"] is None and old["houses"] == {"train": 60 - len(held), "held_out": len(held)}
    assert audit(make_table(rows), folds=1) == old == audit(make_table(rows), folds=0)
    assert row_of(old, "object_size_estimation/mc")["n_held_out"] == 15 * len(held)


def test_cross_validation_gives_a_firm_verdict():
    # 1500 questions: the split scores ~150, too few for a 5-point tolerance (noise warning);
    # the 5 folds score all 1500, so a clean type passes firmly and a leaky one still fails
    rng = np.random.default_rng(11)
    clean = numeric_mc(1500, rng, lambda v, r: r.integers(4))
    leaky = direction_easy(1500, rng, lambda q, r: "left" if q == "sofa" else "right")
    table = make_table(clean + leaky)
    cv, split = audit(table), audit(table, folds=None)
    for report, n in ((cv, 1500), (split, 25 * len(_held(clean)))):
        t = row_of(report, "object_size_estimation/mc")
        assert t["n_held_out"] == n and t["verdict"] == "pass"
        assert row_of(report, "object_rel_direction_easy/mc")["verdict"] == "fail"
    t = row_of(cv, "object_size_estimation/mc")["verdict_detail"]
    assert 1.96 * t["null_se"] < 2.5 and abs(t["blind_minus_chance"]) < 1.96 * t["null_se"] + 1
    assert 1.96 * row_of(split, "object_size_estimation/mc")["verdict_detail"]["null_se"] > 5
    assert row_of(cv, "object_rel_direction_easy/mc")["text_model"]["accuracy"] > 95
    assert "Warning" in audit_markdown(split) and "Warning" not in audit_markdown(cv)


def test_empty_and_malformed():
    assert audit(make_table([]))["types"] == {}
    table = make_table(direction_easy(100, np.random.default_rng(9), lambda q, r: "left"))
    bad = table.set_column(table.schema.get_field_index("answer"), "answer",
                           pa.array(["Z"] + table["answer"].to_pylist()[1:], pa.string()))
    assert audit(bad)["types"]["object_rel_direction_easy/mc"]["n_skipped"] == 1


def test_chi2_survival():
    # reference values of the chi-square upper tail
    assert _chi2_sf(3.841458820694124, 1) == pytest.approx(0.05, abs=1e-9)
    assert _chi2_sf(5.991464547107979, 2) == pytest.approx(0.05, abs=1e-9)
    assert _chi2_sf(7.814727903251178, 3) == pytest.approx(0.05, abs=1e-9)
    assert _chi2_sf(0.0, 3) == pytest.approx(1.0)


def test_name_rates_catch_what_follows_from_a_named_object():
    """Routes from the bed turn left 70 % of the time, from anything else at random: counting
    wins per named start object finds it on held-out houses; with no such tie it finds nothing."""
    rng = np.random.default_rng(3)
    turns = ["turn left", "turn right", "turn back"]

    def rows(tied: bool) -> list[dict]:
        out = []
        for i in range(1200):
            start = CATEGORIES[rng.integers(len(CATEGORIES))]
            ans = "turn left" if tied and start == "bed" and rng.random() < 0.7 else turns[rng.integers(3)]
            opts = list(rng.permutation(turns))
            out.append({"question_type": "route_planning", "format": "mc", "house": i % N_HOUSES,
                        "question": f"You are a robot beginning at the {start}.", "options": opts,
                        "correct": opts.index(ans), "objects": [{"role": "start", "category": start, "instance_ids": [1]}]})
        return out

    tied = row_of(audit(make_table(rows(True))), "route_planning/mc")
    free = row_of(audit(make_table(rows(False))), "route_planning/mc")
    assert tied["name_rates"]["minus_chance"] > 3 and abs(free["name_rates"]["minus_chance"]) < 3
    assert "| name rates |" in audit_markdown(audit(make_table(rows(True))))
