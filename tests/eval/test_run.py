"""End to end through the lmms-eval CLI: `python -m eval.run` builds the --include_path folder,
runs our tasks on generated data, checks completeness and writes simsv_results.json."""

import math

import numpy as np
import pytest

from simsv_vsi.question_types import DYNAMIC_TYPES
from tests.eval.conftest import results_of, run_eval
from tests.fixtures.vsibench_folder import write_vsibench_folder

# Six questions whose scores under the constant answer "4" are worked out by hand:
HAND_ROWS = [
    # object_counting, gt 4: exact -> 1.0 ; gt 2: |4-2|/2 = 1.0 > 0.5 -> 0.0   (task 0.5)
    dict(question_type="object_counting", ground_truth="4", options=None, pruned=False),
    dict(question_type="object_counting", ground_truth="2", options=None, pruned=True),
    # object_abs_distance, gt 5.0: |4-5|/5 = 0.2, which is above the binary tolerance
    # 1 - 0.8 = 0.19999999999999996 (VSI-Bench's own arithmetic): thresholds 0.50..0.75 -> 0.6
    dict(question_type="object_abs_distance", ground_truth="5.0", options=None, pruned=False),
    # direction (easy level only: medium and hard missing): "4" is not the letter -> 0.0
    dict(question_type="object_rel_direction_easy", ground_truth="A", options=["A. left", "B. right"], pruned=False),
    # route planning, gt B -> 0.0
    dict(question_type="route_planning", ground_truth="B", options=["A. x", "B. y", "C. z"], pruned=False),
    dict(question_type="route_planning", ground_truth="A", options=["A. x", "B. y", "C. z"], pruned=True),
]
# full: (0.5 + 0.6 + 0 + 0) / 4 tasks present; debiased drops the two pruned rows: (1 + 0.6 + 0 + 0) / 4.
# lmms-eval 0.7.3's built-in vsibench scores these rows the same (its aggregator needs all three
# direction levels, so the comparison is per sample: tests/eval/test_official_parity.py).
HAND_FULL, HAND_DEBIASED = 27.5, 40.0


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
            # VSI-Bench's arithmetic, as its code writes it: tolerances 1 - linspace(.5, .95, 10)
            err = abs(4 - float(r["answer"])) / float(r["answer"])
            s = float(np.mean(err <= 1 - np.linspace(0.5, 0.95, 10)))
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
    assert m["object_counting"] == pytest.approx(50.0) and m["object_abs_distance"] == pytest.approx(60.0)
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


def test_a_failed_task_fails_the_run_with_lmms_evals_cause(tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()  # a README naming a parquet file that is not there: lmms-eval fails, and exits 0
    (broken / "README.md").write_text("---\nconfigs:\n  - config_name: full\n    data_files:\n      - split: test\n"
                                      "        path: test.parquet\n---\n")
    out = tmp_path / "fail"
    r = run_eval("--model", "dummy", "--tasks", "simsv_vsibench", "--data", f"simsv_vsibench={broken}", out=out)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: evaluation incomplete: simsv_vsibench: no result")
    assert "lmms-eval: FileNotFoundError: " in r.stderr and f"{broken}/test.parquet" in r.stderr  # its own cause
    assert "Traceback" not in r.stdout + r.stderr  # the traceback is in the log only
    assert "Traceback" in (out / "lmms_eval.log").read_text()
    assert results_of(out)["problems"]


@pytest.mark.slow  # ~21 s (a whole lmms-eval run); keeps the default suite under 10 min on 2 cores
def test_a_copy_of_the_release_is_held_to_its_row_counts(hand_vsibench, tmp_path):
    """A local folder with the release's pruned_ids.txt claims to be the pinned release: six rows
    instead of 5,131 stop the run, with the loader's reason on stderr."""
    import shutil

    copy = tmp_path / "VSI-Bench"
    shutil.copytree(hand_vsibench, copy, symlinks=True)
    (copy / "pruned_ids.txt").write_text("1\n5\n")
    out = tmp_path / "pin"
    r = run_eval("--model", "dummy", "--tasks", "simsv_vsibench", "--data", f"simsv_vsibench={copy}", out=out)
    assert r.returncode == 1
    assert "ValueError: VSI-Bench data has 6 rows, 4 with pruned == False; nyu-visionx/VSI-Bench@d7cb1a3" in r.stderr


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
