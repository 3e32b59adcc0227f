"""`simsv bench look`: how lit and varied the frames look, on a fixed set of 200 frames, for this
renderer and for a baseline (another checkout's renderer, e.g. main's, run in a subprocess on
the same houses and camera matrices). Prints figures; asserts nothing. Optionally writes
before/after contact sheets for a kitchen, a bathroom and a bedroom.

Figures (each per frame, then over the set):
  - cast shadows: a frame shows one when the floor pixels next to objects (within NEAR_PX of an
    object pixel) have a median luminance below SHADOW_RATIO x that of the same floor's pixels
    far from objects (at least FAR_PX away);
  - luminance range: 95th minus 5th percentile of Rec. 709 luma (0..255);
  - wall colour variety per house: the rooms' mean wall colours, counted as distinct when
    they differ by more than COLOUR_STEP (0..255 RGB distance); and the same count over the rooms
    of all the houses together, which is low when houses repeat each other's finishes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HOUSES = (0, 1, 2, 3)
FRAMES_PER_HOUSE = 50
SEED = 0
NEAR_PX, FAR_PX = 6, 30
SHADOW_RATIO = 0.85
COLOUR_STEP = 12.0
MIN_PIXELS = 300

# Runs under the baseline's PYTHONPATH: only interfaces that renderer has had all along.
_BASELINE = r"""
import sys, numpy as np
from builder.assets.catalog import default_catalog
from builder.capture.camera import Intrinsics
from builder.houses.generate import generate_house
from builder.render.renderer import Renderer
from builder.render.scene import build_drawables
try:  # a renderer with baked lights: load each house's own light rig, as this one does
    from builder.render.scene import build_scene
except ImportError:
    build_scene = None
src = np.load(sys.argv[1])
cat = default_catalog()
w, h, vfov = (float(v) for v in src["size"])
rgb = np.zeros((len(src["house"]), int(h), int(w), 3), np.uint8)
ids = np.zeros((len(src["house"]), int(h), int(w)), np.uint16)
with Renderer(Intrinsics(int(w), int(h), vfov)) as r:
    for hi in np.unique(src["house"]):
        house = generate_house(int(hi), int(src["seed"]), cat)
        if build_scene is not None:
            r.load(*build_scene(house, cat.load_mesh))
        else:
            r.load(build_drawables(house, cat.load_mesh))
        for k in np.flatnonzero(src["house"] == hi):
            if hasattr(r, "begin_sequence"):  # camera effects: the pose before, as this renderer gets it
                r.begin_sequence(int(src["seq"][k]), 10.0)
                r.render(src["prev"][k])
            f = r.render(src["c2w"][k])
            rgb[k], ids[k] = f.rgb, f.instance
np.savez(sys.argv[2], rgb=rgb, ids=ids)
"""


def frame_set(catalog, width: int, height: int, vfov: float, houses=None):
    """The fixed frames: for each house (HOUSES unless given), FRAMES_PER_HOUSE poses spread over
    its first walkthrough (each with the pose before it, for motion blur and exposure)."""
    from builder.capture.camera import cam_to_world
    from builder.capture.planner import PlannerConfig, pick_start_rooms, plan_walkthrough
    from builder.houses.generate import generate_house
    from builder.pipeline import start_rooms_rng, trajectory_rng

    out = []
    for hi in HOUSES if houses is None else houses:
        house = generate_house(hi, SEED, catalog)
        start = pick_start_rooms(house, 1, start_rooms_rng(SEED, hi))[0]
        poses = plan_walkthrough(house, start, trajectory_rng(SEED, hi, 0), PlannerConfig(fps=10))
        picks = np.linspace(1, len(poses) - 1, FRAMES_PER_HOUSE).astype(int)
        mats = [cam_to_world((p.x, p.y, p.z), p.yaw_deg, p.pitch_deg) for p in poses]
        out.append((house, [(int(i), mats[i - 1], mats[i], poses[i]) for i in picks]))
    return out


def render_ours(frames, catalog, intrinsics, config):
    from builder.render.renderer import Renderer
    from builder.render.scene import build_scene

    rgb, ids = [], []
    t_bake = []
    with Renderer(intrinsics, config=config) as r:
        for house, picks in frames:
            t0 = time.perf_counter()
            r.load(*build_scene(house, catalog.load_mesh))
            t_bake.append(time.perf_counter() - t0)
            for i, prev, cur, _ in picks:
                r.begin_sequence(i, 10.0)
                r.render(prev)
                f = r.render(cur)
                rgb.append(f.rgb)
                ids.append(f.instance)
    return np.stack(rgb), np.stack(ids), t_bake


def render_baseline(frames, root: Path, intrinsics) -> tuple[np.ndarray, np.ndarray]:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.npz", Path(tmp) / "out.npz"
        house = [hi for hi, (_, picks) in zip(HOUSES, frames) for _ in picks]
        c2w = [cur for _, picks in frames for _, _, cur, _ in picks]
        prev = [p for _, picks in frames for _, p, _, _ in picks]
        seq = [i for _, picks in frames for i, _, _, _ in picks]
        np.savez(src, house=np.array(house), c2w=np.array(c2w), prev=np.array(prev), seq=np.array(seq), seed=SEED,
                 size=np.array([intrinsics.width, intrinsics.height, intrinsics.vfov_deg]))
        env = dict(os.environ, PYTHONPATH=str(root))
        subprocess.run([sys.executable, "-c", _BASELINE, str(src), str(dst)], env=env, check=True, cwd=str(root))
        got = np.load(dst)
        return got["rgb"], got["ids"]


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float32) @ np.array([0.2126, 0.7152, 0.0722], np.float32)


def _distance_px(mask: np.ndarray) -> np.ndarray:
    from scipy.ndimage import distance_transform_edt

    return distance_transform_edt(~mask) if mask.any() else np.full(mask.shape, np.inf)


def frame_figures(rgb: np.ndarray, ids: np.ndarray) -> dict:
    from builder.houses.spec import FLOOR_ID_BASE, WALL_ID_BASE

    y = _luma(rgb)
    lo, hi = np.percentile(y, [5, 95])
    objects = (ids >= 1) & (ids < FLOOR_ID_BASE)
    floors = (ids >= FLOOR_ID_BASE) & (ids < WALL_ID_BASE)
    shadow, ratio = False, None
    if objects.any() and floors.any():
        dist = _distance_px(objects)
        fid = np.bincount(ids[floors]).argmax()
        floor = ids == fid
        near, far = floor & (dist <= NEAR_PX), floor & (dist >= FAR_PX)
        if near.sum() >= MIN_PIXELS // 3 and far.sum() >= MIN_PIXELS:
            ratio = float(np.median(y[near]) / max(np.median(y[far]), 1e-6))
            shadow = ratio < SHADOW_RATIO
    return {"range": float(hi - lo), "mean": float(y.mean()), "shadow": shadow, "ratio": ratio}


def _distinct(colours) -> int:
    kept: list[np.ndarray] = []
    for c in colours:
        if all(np.linalg.norm(c - d) > COLOUR_STEP for d in kept):
            kept.append(c)
    return len(kept)


def wall_variety(frames, ids: np.ndarray, rgb: np.ndarray) -> tuple[list[int], int]:
    """The number of distinct room wall colours seen: per house, and over all houses' rooms."""
    out, pooled, k = [], [], 0
    for house, picks in frames:
        room_of = {w.instance_id: w.room_id for w in house.walls}
        sums: dict[str, np.ndarray] = {}
        counts: dict[str, int] = {}
        for _ in picks:
            for wid, room in room_of.items():
                m = ids[k] == wid
                n = int(m.sum())
                if n:
                    sums[room] = sums.get(room, 0) + rgb[k][m].astype(np.float64).sum(0)
                    counts[room] = counts.get(room, 0) + n
            k += 1
        colours = [sums[r] / counts[r] for r in sums if counts[r] >= MIN_PIXELS]
        out.append(_distinct(colours))
        pooled += colours
    return out, _distinct(pooled)


def summarise(name: str, frames, rgb, ids) -> str:
    figs = [frame_figures(rgb[i], ids[i]) for i in range(len(rgb))]
    shadows = sum(f["shadow"] for f in figs)
    judged = sum(f["ratio"] is not None for f in figs)
    ratios = [f["ratio"] for f in figs if f["ratio"] is not None]
    rng = np.array([f["range"] for f in figs])
    variety, pooled = wall_variety(frames, ids, rgb)
    return (f"  {name:<9}: cast shadows in {shadows}/{len(figs)} frames ({100 * shadows / len(figs):.0f}%; "
            f"{judged} had floor both near and far from objects; median near/far floor luma {np.median(ratios):.2f})\n"
            f"  {'':<9}  luma range p95-p5 per frame: median {np.median(rng):.0f}, p10 {np.percentile(rng, 10):.0f}, "
            f"p90 {np.percentile(rng, 90):.0f} (0..255); mean luma {np.mean([f['mean'] for f in figs]):.0f}\n"
            f"  {'':<9}  distinct wall colours per house: {variety}; over all {len(variety)} houses' rooms: {pooled}")


def contact_sheets(frames, before, after, out: Path) -> list[Path]:
    """Before (top row) and after (bottom row) for up to 4 frames in each of three room types."""
    from PIL import Image
    from shapely.geometry import Point, Polygon

    out.mkdir(parents=True, exist_ok=True)
    paths, k = [], 0
    index: dict[str, list[int]] = {}
    for house, picks in frames:
        polys = [(r.room_type, Polygon(r.polygon)) for r in house.rooms]
        for _, _, _, pose in picks:
            kind = next((t for t, p in polys if p.contains(Point(pose.x, pose.z))), None)
            index.setdefault(kind, []).append(k)
            k += 1
    for kind in ("Kitchen", "Bathroom", "Bedroom"):
        ks = index.get(kind, [])
        if not ks:
            continue
        ks = [ks[i] for i in np.linspace(0, len(ks) - 1, min(4, len(ks))).astype(int)]
        top = np.concatenate([before[i] for i in ks], 1)
        bottom = np.concatenate([after[i] for i in ks], 1)
        path = out / f"before_after_{kind.lower()}.png"
        Image.fromarray(np.concatenate([top, bottom], 0)).save(path)
        paths.append(path)
        print(f"  {path}: frames {ks} (top: baseline, bottom: this renderer)")
    return paths


def bench_look(baseline: str | None, sheets: str | None, width: int = 680, height: int = 384, vfov: float = 59.0,
               config=None) -> str:
    from builder.assets.catalog import default_catalog
    from builder.capture.camera import Intrinsics

    catalog = default_catalog()
    K = Intrinsics(width, height, vfov)
    frames = frame_set(catalog, width, height, vfov)
    n = sum(len(p) for _, p in frames)
    rgb, ids, t_bake = render_ours(frames, catalog, K, config)
    lines = [f"bench look: {n} frames ({len(HOUSES)} houses x {FRAMES_PER_HOUSE}, seed {SEED}), {width}x{height}; "
             f"shadow = floor next to objects (<= {NEAR_PX} px) darker than the same floor >= {FAR_PX} px away by "
             f"a ratio below {SHADOW_RATIO}",
             summarise("this", frames, rgb, ids),
             f"  load + bake per house: {', '.join(f'{t:.1f}' for t in t_bake)} s"]
    if baseline:
        b_rgb, b_ids = render_baseline(frames, Path(baseline), K)
        lines.append(summarise("baseline", frames, b_rgb, b_ids) + f"  ({baseline})")
        if sheets:
            contact_sheets(frames, b_rgb, rgb, Path(sheets))
    return "\n".join(lines)

