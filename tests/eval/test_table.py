"""The results table (eval/table.py) on hand-written simsv_results.json records."""

import json

from eval import results, table


def record(label, vsi=None, others=None, limit=None, missing=None, protocol=None):
    tasks = {}
    if vsi is not None:
        tasks["simsv_vsibench"] = {"metrics": vsi, "missing": missing}
    tasks.update(others or {})
    return {"label": label, "limit": limit, "tasks": tasks, "protocol": protocol}


PAPER = {"profile": "paper", "frames": 32, "pooling": "average", "time_instruction": False}
TRAIN = {"profile": "train", "frames": 64, "pooling": "bilinear", "time_instruction": True}


def write(tmp_path, name, rec):
    folder = tmp_path / name
    folder.mkdir()
    results.write(folder / "simsv_results.json", rec)
    return folder


BASE = {"overall": 36.04, "object_counting": 40.0, "object_abs_distance": 20.0, "object_size_estimation": 45.0,
        "room_size_estimation": 12.5, "object_rel_distance": 40.0, "object_rel_direction": 41.0,
        "route_planning": 30.0, "obj_appearance_order": 60.0, "debiased_overall": 30.25}


def test_markdown_rows_scales_and_marks(tmp_path):
    a = write(tmp_path, "base", record("base", BASE, {"egoschema_subset": {"metrics": {"score": 0.571}},
                                                      "mmerealworld_lite": {"metrics": {"mme_realworld_score": 0.4215}},
                                                      "simsv_openeqa": {"metrics": {"llm_match": None,
                                                                                    "proxy_token_f1": 33.3}}},
                                       protocol=PAPER))
    b = write(tmp_path, "tuned", record("tuned", {**BASE, "object_rel_direction": None, "overall": 50.0},
                                        {"videomme": {"metrics": {"videomme_perception_score": 58.2}},
                                         "simsv_openeqa": {"metrics": {"llm_match": 47.5, "proxy_token_f1": 40.0}}},
                                        limit=5, missing={"tasks": ["object_rel_direction"],
                                                          "types": ["object_rel_direction_easy"]}, protocol=TRAIN))
    out = tmp_path / "t.md"
    assert table.main([str(a), str(b / "simsv_results.json"), "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    base = dict(zip(header, [c.strip() for c in lines[2].strip("|").split("|")]))
    tuned = dict(zip(header, [c.strip() for c in lines[3].strip("|").split("|")]))
    assert header[:4] == ["Model", "Protocol", "Avg.", "Obj. Count"] and header[-1] == "MME-RealWorld-lite"
    assert base["Protocol"] == "paper (32f, average)" and tuned["Protocol"] == "train (64f, bilinear, time)"
    assert base["MME-RealWorld-lite"] == "42.1" and tuned["MME-RealWorld-lite"] == "-"  # 0..1 in lmms-eval
    assert base["Avg."] == "36.0" and base["Rel. Dir."] == "41.0" and base["VSI-Bench-Debiased"] == "30.2"
    assert base["EgoSchema"] == "57.1"  # 0..1 in lmms-eval, x100 here
    assert base["OpenEQA"] == "33.3*" and tuned["OpenEQA"] == "47.5"  # proxy only when no judge score
    assert base["VideoMME"] == "-" and tuned["VideoMME"] == "58.2"
    assert tuned["Rel. Dir."] == "-"  # no questions: not shown as 0
    text = out.read_text()
    assert "proxy (token F1)" in text and "tuned: --limit 5" in text and "object_rel_direction_easy" in text


def test_plot_is_written_and_deterministic(tmp_path):
    a = write(tmp_path, "base", record("base", BASE))
    p1, p2 = tmp_path / "1.png", tmp_path / "2.png"
    for p in (p1, p2):
        assert table.main([str(a), "--plot", str(p), "--out", str(tmp_path / "t.md")]) == 0
    assert p1.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p1.read_bytes() == p2.read_bytes()


def test_bad_results_file_names_file_and_field(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema": "other/1", "tasks": {}}))
    assert table.main([str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "'schema'" in err
    assert table.main([str(tmp_path / "nope.json")]) == 2
