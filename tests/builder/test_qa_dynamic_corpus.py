"""Every ego-motion record of a small real corpus, recomputed without the generator's code:
poses from frames.parquet's `cam_to_world` matrices (not its yaw column), first appearances
from the stored instance masks, objects from scene.json (footprints from the stored box
corners, distances with shapely), turns summed frame by frame (no unwrapping), and the classes
written out again here. Plus: the existing types' records are what they were without the new
types."""

import json
import math
import re
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from shapely.geometry import Point, Polygon

from simsv_vsi.answers import format_number
from simsv_vsi.records import read_records

pytestmark = pytest.mark.render
NEW_TYPES = ("camera_displacement", "camera_displacement_between", "camera_turn", "ego_direction", "goal_aiming",
             "action_consequence")


class Walk:
    """One trajectory's poses and masks, read straight from the corpus files."""

    def __init__(self, corpus: Path, house_id: str, trajectory: int):
        tdir = corpus / "houses" / house_id / f"traj_{trajectory:02d}"
        f = pq.read_table(tdir / "frames.parquet", columns=["cam_to_world"]).to_pydict()
        m = np.array(f["cam_to_world"], float).reshape(-1, 4, 4)
        self.pos = m[:, :3, 3]
        fwd = -m[:, [0, 2], 2]  # OpenGL cameras look along -z; keep its floor-plane part
        self.fwd = fwd / np.linalg.norm(fwd, axis=1, keepdims=True)
        with np.load(tdir / "masks.npz") as z:
            self.masks = [z[k] for k in sorted(z.files)]
        scene = json.loads((corpus / "houses" / house_id / "scene.json").read_text())
        self.objects = {o["instance_id"]: o for o in scene["objects"]}

    def first_frame(self, ids, start: int, end: int, min_pixels: int, frames=None) -> int | None:
        for f in (range(start, end) if frames is None else frames):
            if sum(int((self.masks[f] == i).sum()) for i in ids) >= min_pixels:
                return f
        return None

    def footprint(self, iid: int) -> Polygon:
        return Polygon([(c[0], c[2]) for c in self.objects[iid]["obb"]["corners"][:4]])  # bottom face


def right_of(f: np.ndarray, g: np.ndarray) -> float:
    """Signed angle from heading f to direction g in degrees, positive = to the right (y up,
    right-handed: facing +z the right hand points to -x)."""
    return math.degrees(math.atan2(f[0] * g[1] - f[1] * g[0], f[0] * g[0] + f[1] * g[1]))


def turned_right(w: Walk, i: int, j: int) -> float:
    return sum(right_of(w.fwd[k], w.fwd[k + 1]) for k in range(i, j))


def nearest45(deg: float) -> int:
    return int(math.floor(abs(deg) / 45 + 0.5)) * 45


def recheck(corpus: Path) -> dict:
    """Recompute every new-type record of `corpus`; returns how many were checked per type."""
    cfg = json.loads((corpus / "qa" / "qa_config.json").read_text())
    clear = cfg["sampled_fraction"]
    recs = [r for r in read_records(corpus / "qa" / "records.parquet").to_pylist() if r["question_type"] in NEW_TYPES]
    walks, checked = {}, {}
    for r in recs:
        key = (r["house_id"], r["trajectory"])
        if key not in walks:
            walks[key] = Walk(corpus, *key)
        w = walks[key]
        a, b = r["frame_start"], r["frame_end"]
        t = r["question_type"]
        if r["options"]:
            assert r["options"]["ABCDEFGH".index(r["answer"])].split(". ", 1)[1] == r["answer_value"], r["id"]
        ids = {o["role"]: o["instance_ids"] for o in r["objects"]}
        if t == "camera_displacement":
            d = float(np.linalg.norm(w.pos[b - 1] - w.pos[a]))
            assert r["gt_value"] == pytest.approx(d, abs=1e-6) and r["answer"] == format_number(d, 1), r["id"]
            assert d >= cfg["ego_min_displacement_m"]
        elif t in ("camera_displacement_between", "camera_turn"):
            assert len(ids["object1"]) == len(ids["object2"]) == 1, r["id"]  # "the sofa": one object
            i = w.first_frame(ids["object1"], a, b, cfg["seen_pixels"])
            j = w.first_frame(ids["object2"], a, b, cfg["seen_pixels"])
            assert (j - i) / r["fps"] >= cfg["appearance_min_gap_s"], r["id"]
            # the moments as a viewer of K uniformly sampled frames places them (first clear frame)
            sampled = []
            for k in cfg["sample_counts"]:
                frames = [a + int(x) for x in np.linspace(0, b - a - 1, k).astype(int)]
                px = clear * w.masks[0].size
                si = w.first_frame(ids["object1"], a, b, px, frames)
                sj = w.first_frame(ids["object2"], a, b, px, frames)
                assert si is not None and sj is not None and si < sj, r["id"]
                sampled.append((si, sj))
            if t == "camera_displacement_between":
                d = float(np.linalg.norm(w.pos[j] - w.pos[i]))
                assert r["gt_value"] == pytest.approx(d, abs=1e-6) and r["answer"] == format_number(d, 1), r["id"]
                for si, sj in sampled:  # the sampled moments give the same distance to within the stated spread
                    ds = float(np.linalg.norm(w.pos[sj] - w.pos[si]))
                    assert abs(ds - d) <= cfg["ego_displacement_spread_rel"] * d + 1e-9, r["id"]
            else:
                for ii, jj in [(i, j), *sampled]:
                    turn = turned_right(w, ii, jj)
                    want = f"{'right' if turn > 0 else 'left'}, about {nearest45(turn)} degrees"
                    assert r["answer_value"] == want, (r["id"], turn)
                    assert abs(abs(turn) - nearest45(turn)) <= 22.5 - cfg["ego_turn_margin_deg"], r["id"]
        elif t in ("ego_direction", "goal_aiming"):
            (iid,) = ids["target"]
            c = w.objects[iid]["obb"]["center"]
            cam = w.pos[b - 1][[0, 2]]
            bearing = right_of(w.fwd[b - 1], np.array([c[0], c[2]]) - cam)
            if t == "ego_direction":
                want = ("front" if abs(bearing) < 45 else "behind" if abs(bearing) > 135 else
                        "right" if bearing > 0 else "left")
                margin = min(abs(abs(bearing) - 45), abs(abs(bearing) - 135))
                assert margin >= cfg["ego_direction_margin_deg"], r["id"]
            else:
                k = nearest45(bearing)
                want = "turn around" if k == 180 else f"turn {'right' if bearing > 0 else 'left'} about {k} degrees"
                assert 45 <= k and abs(abs(bearing) - k) <= 22.5 - cfg["ego_turn_margin_deg"], r["id"]
            assert r["answer_value"] == want, (r["id"], bearing)
        elif t == "action_consequence":
            m = re.match(r"If I (?:walk (\d) meters? forward|turn (left|right|around) and walk (\d) meters?) from",
                         r["question"])
            metres = int(m.group(1) or m.group(3))
            left = {None: 0.0, "left": 90.0, "right": -90.0, "around": 180.0}[m.group(2)]
            th = math.radians(left)
            f = w.fwd[b - 1]
            g = np.array([f[0] * math.cos(th) + f[1] * math.sin(th), -f[0] * math.sin(th) + f[1] * math.cos(th)])
            end = Point(*(w.pos[b - 1][[0, 2]] + metres * g))
            dist = {o["category"]: w.footprint(o["instance_ids"][0]).distance(end) for o in r["objects"]}
            ranked = sorted(dist, key=dist.get)
            assert ranked[0] == r["answer_value"], (r["id"], dist)
            best, second = dist[ranked[0]], dist[ranked[1]]
            assert second - best >= cfg["rank_margin_m"] - 1e-9 and second >= best * (1 + cfg["rank_margin_rel"]) - 1e-9
        checked[t] = checked.get(t, 0) + 1
    return checked


def test_every_new_answer_recomputed_from_poses_and_scene(qa_corpus):
    checked = recheck(qa_corpus)
    # a two-house corpus asks some of the six types only now and then; these two it always asks
    assert checked.get("camera_displacement", 0) >= 2 and checked.get("ego_direction", 0) >= 1, checked
    assert sum(checked.values()) >= 10, checked


def test_existing_records_unchanged_when_new_types_are_excluded(qa_corpus):
    """The records of the VSI-Bench types are byte for byte those a run without the new types
    makes (their slots, balancing and letters do not depend on the new types)."""
    from builder.qa.balance import balance_answers
    from builder.qa.config import QAConfig
    from builder.qa.run import finished_houses, house_records
    from simsv_vsi.question_types import QUESTION_TYPES
    from simsv_vsi.records import records_table, write_records

    cfg = QAConfig.from_dict(json.loads((qa_corpus / "qa" / "qa_config.json").read_text()))
    old = [t for t in QUESTION_TYPES if t not in NEW_TYPES]
    recs = []
    for h in finished_houses(qa_corpus):
        recs += house_records(qa_corpus, h, cfg, types=old, clips=False)[0]
    kept, _ = balance_answers(recs, cfg.seed)
    stored = read_records(qa_corpus / "qa" / "records.parquet")
    mask = [q not in NEW_TYPES for q in stored["question_type"].to_pylist()]
    assert 0 < sum(mask) < stored.num_rows  # both kinds are in the corpus
    assert write_records(records_table(kept)) == write_records(stored.filter(mask))
