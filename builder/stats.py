"""`simsv stats --corpus DIR`: what a corpus looks like, in the figures real scan video is
judged by (docs/realism.md): the camera (field of view, height, pitch, how it turns), how full
the frames are, and how furnished the houses are, each beside the goal real video sets.

Read from the corpus files alone: build_config.json is not needed, every figure comes from
houses/*/scene.json and houses/*/traj_*/frames.parquet. Written as text (stdout) and as JSON
(DIR/stats.json, which `simsv export` puts into the dataset card).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from builder.io import write_text_atomic

STATS_VERSION = 1

from builder.qa.taxonomy import VSIBENCH_CATEGORIES as VSI_BENCH_CATEGORIES  # its 65, as its questions name them

VISIBLE_FRACTION = 0.005  # an object "shows" in a frame when it covers at least 0.5 % of the image
BLANK_COVER = 0.05  # a frame is a blank wall when annotated instances cover less than 5 % of it
STILL_SPEED_MPS = 0.05  # below this horizontal speed a frame pair only rotates ...
TURN_RATE_DPS = 5.0  # ... if it turns faster than this
SMALL_OBJECT_M = 0.3  # an object is small when its longest side is shorter than this

# (key, label, unit, goal, direction): the table, goals from real scan video
FIGURES = (
    ("hfov_deg_median", "horizontal field of view, median over trajectories", "deg", (55.0, 72.0), "range"),
    ("pitch_std_deg_median", "pitch std along a trajectory, median", "deg", 5.0, "min"),
    ("height_m_median", "camera height, median over trajectories", "m", (1.3, 1.7), "range"),
    ("pure_rotation_share", "frames that only rotate on the spot", "", 0.15, "max"),
    ("yaw_rate_p95_dps", "yaw rate, 95th percentile", "deg/s", 40.0, "max"),
    ("objects_per_frame_median", "objects (doors, windows included) covering >= 0.5 % of the image per frame, median", "", 6.0, "min"),
    ("frames_without_object_share", "frames with no such object", "", 0.01, "max"),
    ("blank_wall_share", "frames where objects cover < 5 % (blank walls)", "", 0.03, "max"),
    ("objects_per_room_median", "objects per room, median", "", 15.0, "min"),
    ("small_object_share", "objects smaller than 0.3 m", "", 0.30, "min"),
    ("categories_per_house_median", "categories per house, median", "", 45.0, "min"),
    ("vsi_categories_present", "VSI-Bench's 65 categories present", "", 55.0, "min"),
)


def _meets(value, goal, direction) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if direction == "range":
        return goal[0] <= value <= goal[1]
    return value >= goal if direction == "min" else value <= goal


def _vsi_present(categories: set[str]) -> list[str]:
    """VSI-Bench's categories among ours, named as the QA names them (builder/qa/taxonomy.py)."""
    from builder.qa.taxonomy import vsibench_name

    have = {vsibench_name(c) for c in categories}
    return [c for c in VSI_BENCH_CATEGORIES if c in have]


def _coverage(row: np.ndarray, inst: np.ndarray, frac: np.ndarray, ids: np.ndarray, n: int):
    """Per frame: the image fraction instances `ids` cover, and how many cover VISIBLE_FRACTION."""
    keep = np.isin(inst, ids)
    cover = np.bincount(row[keep], weights=frac[keep], minlength=n)
    shown = np.bincount(row[keep & (frac >= VISIBLE_FRACTION)], minlength=n)
    return cover, shown


def _trajectory(path: Path, ids: np.ndarray, openings: np.ndarray) -> dict:
    """Per-frame camera and coverage arrays of one trajectory: coverage by the annotated
    instances (objects, doors, windows) and by the objects alone."""
    t = pq.ParquetFile(path).read(columns=["t_s", "x", "y", "z", "yaw_deg", "pitch_deg", "fx", "width",
                                           "visible.list.element.instance_id", "visible.list.element.fraction"])
    from builder.qa.view import visible_entries

    n = t.num_rows
    row, inst, frac = visible_entries(t, "fraction")
    # doors and windows are instances real scans annotate (VSI-Bench asks about both); walls,
    # floors and ceilings are not
    cover, shown = _coverage(row, inst, frac, np.concatenate([ids, openings]), n)
    cover_obj, shown_obj = _coverage(row, inst, frac, ids, n)
    col = {k: t[k].to_numpy() for k in ("t_s", "x", "y", "z", "yaw_deg", "pitch_deg", "fx", "width")}
    dt = np.diff(col["t_s"])
    speed = np.hypot(np.diff(col["x"]), np.diff(col["z"])) / dt
    rate = np.abs((np.diff(col["yaw_deg"]) + 180.0) % 360.0 - 180.0) / dt
    return {
        "hfov": math.degrees(2 * math.atan(col["width"][0] / (2 * col["fx"][0]))),
        "height": float(col["y"].mean()), "pitch_std": float(col["pitch_deg"].std()),
        "pitch_mean": float(col["pitch_deg"].mean()), "speed": speed, "rate": rate, "cover": cover, "shown": shown,
        "cover_obj": cover_obj, "shown_obj": shown_obj,
    }


def corpus_stats(corpus: Path) -> dict:
    """Every figure of FIGURES (and the counts behind them) for a corpus."""
    from builder.assets.categories import canonical

    corpus = Path(corpus)
    houses = sorted(p for p in (corpus / "houses").glob("house_*") if (p / "DONE").exists())  # finished houses only
    if not houses:
        raise ValueError(f"{corpus}: no finished house (houses/*/DONE; is this a corpus from `simsv generate`?)")
    trajs, per_room, sizes, cats_per_house, fine_all = [], [], [], [], set()
    for hdir in houses:
        scene = json.loads((hdir / "scene.json").read_text())
        objs = scene["objects"]
        counts = {r["id"]: 0 for r in scene["rooms"]}
        for o in objs:
            counts[o["room_id"]] = counts.get(o["room_id"], 0) + 1
        per_room += list(counts.values())
        sizes += [max(o["obb"]["size"]) for o in objs]
        fine = {canonical(o["category"]) for o in objs}
        cats_per_house.append(len(fine))
        fine |= {canonical(o["category"]) for o in scene["doors"] + scene["windows"]}  # VSI-Bench names doors and windows
        fine_all |= fine
        ids = np.array([o["instance_id"] for o in objs], np.int64)
        openings = np.array([o["instance_id"] for o in scene["doors"] + scene["windows"]], np.int64)
        for tp in sorted(hdir.glob("traj_*/frames.parquet")):
            if (tp.parent / "DONE").exists():
                trajs.append(_trajectory(tp, ids, openings))
    if not trajs:
        raise ValueError(f"{corpus}: no finished trajectory (houses/*/traj_*/DONE)")
    speed = np.concatenate([t["speed"] for t in trajs])
    rate = np.concatenate([t["rate"] for t in trajs])
    cover = np.concatenate([t["cover"] for t in trajs])
    shown = np.concatenate([t["shown"] for t in trajs])
    cover_obj = np.concatenate([t["cover_obj"] for t in trajs])
    shown_obj = np.concatenate([t["shown_obj"] for t in trajs])
    present = _vsi_present(fine_all)
    hfov = [t["hfov"] for t in trajs]
    height = [t["height"] for t in trajs]
    out = {
        "version": STATS_VERSION,
        "houses": len(houses), "trajectories": len(trajs), "frames": int(len(cover)),
        "objects": len(sizes), "rooms": len(per_room),
        "hfov_deg_median": round(float(np.median(hfov)), 2), "hfov_deg_range": [round(min(hfov), 2), round(max(hfov), 2)],
        "pitch_std_deg_median": round(float(np.median([t["pitch_std"] for t in trajs])), 2),
        "pitch_mean_deg_median": round(float(np.median([t["pitch_mean"] for t in trajs])), 2),
        "height_m_median": round(float(np.median(height)), 3), "height_m_range": [round(min(height), 3), round(max(height), 3)],
        "pure_rotation_share": round(float(np.mean((speed < STILL_SPEED_MPS) & (rate > TURN_RATE_DPS))), 4) if len(rate) else 0.0,
        "yaw_rate_p95_dps": round(float(np.percentile(rate, 95)), 2) if len(rate) else 0.0,
        "objects_per_frame_median": float(np.median(shown)),
        "frames_without_object_share": round(float(np.mean(shown == 0)), 4),
        "blank_wall_share": round(float(np.mean(cover < BLANK_COVER)), 4),
        # the same three without doors and windows: what furniture and clutter alone fill
        "objects_only": {
            "objects_per_frame_median": float(np.median(shown_obj)),
            "frames_without_object_share": round(float(np.mean(shown_obj == 0)), 4),
            "blank_wall_share": round(float(np.mean(cover_obj < BLANK_COVER)), 4),
        },
        "objects_per_room_median": float(np.median(per_room)),
        "small_object_share": round(float(np.mean(np.array(sizes) < SMALL_OBJECT_M)), 4) if sizes else 0.0,
        "categories_per_house_median": float(np.median(cats_per_house)),
        "vsi_categories_present": len(present),
        "vsi_categories": present,
        "vsi_categories_missing": [c for c in VSI_BENCH_CATEGORIES if c not in present],
    }
    out["goals_met"] = {key: _meets(out[key], goal, d) for key, _, _, goal, d in FIGURES}
    out["table_md"] = stats_table(out)  # for the dataset card (simsv_vsi/cards.py does not import builder)
    return out


def _goal_text(goal, direction, unit) -> str:
    u = f" {unit}" if unit else ""
    if direction == "range":
        return f"{goal[0]:g}-{goal[1]:g}{u}"
    return f"{'>=' if direction == 'min' else '<='} {goal * 100:g} %" if unit == "" and goal < 1 else \
        f"{'>=' if direction == 'min' else '<='} {goal:g}{u}"


def _value_text(key, value, unit) -> str:
    if key.endswith("_share"):
        return f"{100 * value:.1f} %"
    return f"{value:g} {unit}".rstrip()


def stats_table(stats: dict) -> str:
    """The figures as a Markdown table: figure, value, goal, met."""
    lines = ["| figure | this corpus | real scan video / goal | met |", "|---|---|---|---|"]
    for key, label, unit, goal, d in FIGURES:
        lines.append(f"| {label} | {_value_text(key, stats[key], unit)} | {_goal_text(goal, d, unit)} | "
                     f"{'yes' if stats['goals_met'][key] else 'no'} |")
    return "\n".join(lines)


def stats_text(stats: dict) -> str:
    head = (f"stats: {stats['houses']} houses, {stats['trajectories']} trajectories, {stats['frames']} frames, "
            f"{stats['rooms']} rooms, {stats['objects']} objects")
    o = stats["objects_only"]
    head += (f"\nwithout doors and windows: {o['objects_per_frame_median']:g} objects per frame (median), "
             f"{100 * o['frames_without_object_share']:.1f} % frames with none, {100 * o['blank_wall_share']:.1f} % blank-wall frames")
    tail = (f"VSI-Bench categories present ({stats['vsi_categories_present']}/65): {', '.join(stats['vsi_categories'])}\n"
            f"missing: {', '.join(stats['vsi_categories_missing']) or 'none'}")
    return f"{head}\n{stats_table(stats)}\n{tail}"


def write_stats(corpus: Path) -> dict:
    stats = corpus_stats(corpus)
    write_text_atomic(Path(corpus) / "stats.json", json.dumps(stats, indent=1, sort_keys=True))
    return stats
