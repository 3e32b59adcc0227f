"""End to end through the lmms-eval CLI: `python -m eval.run` builds the --include_path folder,
runs our tasks on generated data, checks completeness and writes simsv_results.json."""

import math

import pytest

from simsv_vsi.question_types import DYNAMIC_TYPES
from tests.eval.conftest import results_of, run_eval
from tests.fixtures.vsibench_folder import write_vsibench_folder

# Six questions whose scores under the constant answer "4" are worked out by hand:
HAND_ROWS = [
    # object_counting, gt 4: exact -> 1.0 ; gt 2: |4-2|/2 = 1.0 > 0.5 -> 0.0   (task 0.5)
    dict(question_type="object_counting", ground_truth="4", options=None, pruned=False),
    dict(question_type="object_counting", ground_truth="2", options=None, pruned=True),
    # object_abs_distance, gt 5.0: |4-5|/5 = 0.2 -> thresholds 0.50..0.80 -> 0.7
    dict(question_type="object_abs_distance", ground_truth="5.0", options=None, pruned=False),
    # direction (easy level only: medium and hard missing): "4" is not the letter -> 0.0
    dict(question_type="object_rel_direction_easy", ground_truth="A", options=["A. left", "B. right"], pruned=False),
    # route planning, gt B -> 0.0
    dict(question_type="route_planning", ground_truth="B", options=["A. x", "B. y", "C. z"], pruned=False),
    dict(question_type="route_planning", ground_truth="A", options=["A. x", "B. y", "C. z"], pruned=True),
]
# full: (0.5 + 0.7 + 0 + 0) / 4 tasks present; debiased drops the two pruned rows: (1 + 0.7 + 0 + 0) / 4
HAND_FULL, HAND_DEBIASED = 30.0, 42.5


@pytest.fixture(scope="module")
def hand_vsibench(hub_folder, heldout_rows, tmp_path_factory):
    scene = heldout_rows[0]["file_name"].split("/")[-1][:-4]
    rows = [{"id": i, "dataset": "simsv", "scene_name": scene, "question": f"question {i}?", **r}
            for i, r in enumerate(HAND_ROWS)]
    return write_vsibench_folder(rows, hub_folder / "data" / "videos", tmp_path_factory.mktemp("hand") / "VSI-Bench")


def test_oracle_scores_exactly_100(hub_folder, vsibench_partial, heldout_rows, tmp_path):
    out = tmp_path / "oracle"
    r = run_eval("--model", "simsv_oracle", "--tasks", "simsv_heldout,simsv_vsibench",
                 "--data", f"simsv_heldout={hub_folder}", "--data", f"simsv_vsibench={vsibench_partial}", out=out)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    res = results_of(out)
    held, vsi = res["tasks"]["simsv_heldout"], res["tasks"]["simsv_vsibench"]
    assert held["n_samples"] == len(heldout_rows)
    assert held["metrics"]["overall"] == 100.0 and vsi["metrics"]["overall"] == 100.0
    assert vsi["metrics"]["debiased_overall"] == 100.0
    for task in (held, vsi):  # every type that has questions scores 100; the rest are null, not 0
        assert all(v in (100.0, None) for v in task["metrics"].values()), task["metrics"]
    assert set(vsi["missing"]["types"]) >= {"object_rel_direction_medium", "object_rel_direction_hard"}
    assert "object_rel_direction_medium" in r.stdout  # and the runner says so
    assert res["lmms_eval_version"] and res["numeric_parser"] == "extract_number" and res["problems"] == []
    assert (out / "lmms_eval.log").stat().st_size > 0


def expected_heldout_constant_4(rows: list[dict]) -> float:
    """The held-out macro for the constant answer "4", computed directly from the rows: letters
    never match, open-ended numbers score MRA(4, answer); only VSI-Bench's formats count."""
    numeric = {"object_counting", "object_abs_distance", "object_size_estimation", "room_size_estimation"}
    by_type = {}
    for r in rows:
        if (r["question_type"] in numeric) != (r["format"] == "oe") or r["question_type"] == "obj_spatiotemporal_distance":
            continue
        if r["question_type"] in DYNAMIC_TYPES:  # beyond VSI-Bench: scored alone, outside `overall`
            continue
        if r["format"] == "mc":
            s = 0.0
        else:
            err = abs(4 - float(r["answer"])) / float(r["answer"])
            s = sum(err <= tol + 1e-9 for tol in (0.5, 0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05)) / 10
        by_type.setdefault(r["question_type"], []).append(s)
    mean = {t: sum(v) / len(v) for t, v in by_type.items()}
    levels = [mean[t] for t in mean if t.startswith("object_rel_direction_")]
    tasks = [v for t, v in mean.items() if not t.startswith("object_rel_direction_")]
    tasks += [sum(levels) / len(levels)] if levels else []
    return 100 * sum(tasks) / len(tasks)


def test_constant_model_scores_what_we_computed_by_hand(hand_vsibench, hub_folder, heldout_rows, tmp_path):
    out = tmp_path / "constant"
    r = run_eval("--model", "dummy", "--model_args", "response=4", "--tasks", "simsv_vsibench,simsv_heldout",
                 "--data", f"simsv_vsibench={hand_vsibench}", "--data", f"simsv_heldout={hub_folder}", out=out)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    held = results_of(out)["tasks"]["simsv_heldout"]["metrics"]
    assert held["overall"] == pytest.approx(expected_heldout_constant_4(heldout_rows), abs=1e-4)
    m = results_of(out)["tasks"]["simsv_vsibench"]["metrics"]
    assert m["overall"] == pytest.approx(HAND_FULL)
    assert m["object_counting"] == pytest.approx(50.0) and m["object_abs_distance"] == pytest.approx(70.0)
    assert m["object_rel_direction"] == 0.0 and m["route_planning"] == 0.0
    assert m["object_size_estimation"] is None and m["obj_appearance_order"] is None  # no questions: not 0
    assert m["debiased_overall"] == pytest.approx(HAND_DEBIASED)


@pytest.mark.slow
def test_parser_choice_reaches_the_score(hand_vsibench, tmp_path):
    """"about 4" is unreadable to the original first-token parser (every numeric question 0) and
    reads as 4 to lmms-eval 0.7's: the overall moves from 0 to the hand-computed 30."""
    scores = {}
    for parser in ("first_token", "extract_number"):
        out = tmp_path / parser
        r = run_eval("--model", "dummy", "--model_args", "response=about 4", "--tasks", "simsv_vsibench",
                     "--parser", parser, "--data", f"simsv_vsibench={hand_vsibench}", out=out)
        assert r.returncode == 0, r.stderr[-3000:]
        assert results_of(out)["numeric_parser"] == parser
        scores[parser] = results_of(out)["tasks"]["simsv_vsibench"]["metrics"]["overall"]
    assert scores == {"first_token": 0.0, "extract_number": pytest.approx(HAND_FULL)}


def test_a_failed_task_fails_the_run(tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()  # no README, no parquet: lmms-eval reports an error and still exits 0
    out = tmp_path / "fail"
    r = run_eval("--model", "dummy", "--tasks", "simsv_vsibench", "--data", f"simsv_vsibench={broken}", out=out)
    assert r.returncode == 1
    assert "simsv_vsibench: no result" in r.stderr
    assert results_of(out)["problems"]


@pytest.mark.parametrize("args, message", [
    (["--tasks", "simsv_vsibench", "--data", "simsv_vsibench"], "expected TASK=PATH"),
    (["--tasks", "simsv_vsibench", "--data", "simsv_heldout=/tmp"], "not among the tasks run"),
    (["--tasks", "videomme", "--data", "videomme=/tmp"], "only our simsv_* tasks"),
    (["--tasks", "simsv_vsibench", "--data", "simsv_vsibench=/no/such/folder"], "does not exist"),
    (["--tasks", "simsv_vsibench", "--parser", "regex"], "invalid choice"),
])
def test_bad_flags_exit_before_running(args, message, tmp_path):
    r = run_eval("--model", "dummy", *args, out=tmp_path / "x")
    assert r.returncode == 2 or (r.returncode != 0 and message in r.stderr)
    assert message in r.stderr
    assert not (tmp_path / "x" / "simsv_results.json").exists()


@pytest.mark.parametrize("layout", ["onevision", pytest.param("llava_video", marks=pytest.mark.slow)])
def test_tiny_checkpoint_through_the_model_plugin(layout, tiny_model, vsibench_partial, tmp_path):
    """Our checkpoint format loads in lmms-eval by entry point, in either layout, and answers
    from real frames."""
    out = tmp_path / "tiny"
    r = run_eval("--model", "simsv_llava", "--model_args", f"pretrained={tiny_model},num_frames=4,layout={layout}",
                 "--tasks", "simsv_vsibench", "--data", f"simsv_vsibench={vsibench_partial}", "--limit", "3", out=out)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    res = results_of(out)
    assert res["frames"] == 4 and res["limit"] == 3 and res["label"] == tiny_model.name
    task = res["tasks"]["simsv_vsibench"]
    assert task["n_samples"] == 3
    assert not math.isnan(task["metrics"]["overall"]) and 0.0 <= task["metrics"]["overall"] <= 100.0
