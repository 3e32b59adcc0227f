"""`simsv bench parity`: do two machines render the same frames? Write a reference set on one
(`--write FILE`, e.g. llvmpipe on a CPU machine), compare another against it (`--against FILE`,
e.g. an NVIDIA GPU through EGL): colour, instance ids and depth of fixed frames of seed-0 houses
(`bench_look.frame_set`, every house's frames evenly thinned), each rendered after the pose
before it, as in a video.

The tolerance is what a different rasteriser may change and the ground truth may not:
  - ids: exact on all but TOLERANCE["ids_mismatch"] of the pixels (vendors place edge samples by
    the same rule but with their own arithmetic, so a pixel on a triangle edge may go either way);
  - depth: within TOLERANCE["depth_rel"] relative, on pixels whose id matches (p99);
  - colour: mean absolute difference at most TOLERANCE["rgb_mean"] levels of 255, and the 99th
    percentile at most TOLERANCE["rgb_p99"] (the bake, blur and anti-aliasing are float
    arithmetic; the sensor noise is integer-only and identical everywhere).
These are the acceptance bounds we set, not figures measured on a GPU: no GPU has been lent to
this project's sessions (docs/performance.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

TOLERANCE = {"ids_mismatch": 0.002, "depth_rel": 1e-3, "rgb_mean": 2.0, "rgb_p99": 24.0}
FRAMES = 24


def render_set(catalog, width: int, height: int, vfov: float, config, frames: int = FRAMES, houses=None) -> dict:
    """rgb (N, H, W, 3), ids (N, H, W), depth (N, H, W) of `frames` fixed frames, and the renderer's name."""
    from builder.capture.camera import Intrinsics
    from builder.render import bench_look
    from builder.render.renderer import Renderer
    from builder.render.scene import build_scene

    sets = bench_look.frame_set(catalog, width, height, vfov, houses)
    per_house = max(1, frames // len(sets))
    rgb, ids, depth = [], [], []
    with Renderer(Intrinsics(width, height, vfov), config=config) as r:
        for house, picks in sets:
            r.load(*build_scene(house, catalog.load_mesh))
            for j in np.linspace(0, len(picks) - 1, per_house).astype(int):
                i, prev, cur, _ = picks[j]
                r.begin_sequence(i, 10.0)
                r.render(prev)
                f = r.render(cur)
                rgb.append(f.rgb)
                ids.append(f.instance)
                depth.append(f.depth)
        name = r.renderer_string
    return {"rgb": np.stack(rgb), "ids": np.stack(ids), "depth": np.stack(depth), "renderer": np.array(name)}


def write(path: Path, frames: dict) -> None:
    np.savez_compressed(path, **frames)


def compare(reference: dict, got: dict) -> tuple[list[str], bool]:
    """Figures of `got` against `reference` and whether they are within TOLERANCE."""
    if reference["ids"].shape != got["ids"].shape:
        raise ValueError(f"reference has frames of {reference['ids'].shape}, this render {got['ids'].shape}: "
                         f"use the same --width/--height and frame count")
    same_id = reference["ids"] == got["ids"]
    mismatch = 1.0 - float(same_id.mean())
    ref_d, got_d = reference["depth"], got["depth"]
    valid = same_id & (ref_d > 0)
    rel = np.abs(got_d[valid] - ref_d[valid]) / ref_d[valid] if valid.any() else np.zeros(1)
    diff = np.abs(got["rgb"].astype(np.int16) - reference["rgb"].astype(np.int16))
    figures = {"ids_mismatch": mismatch, "depth_rel": float(np.percentile(rel, 99)),
               "rgb_mean": float(diff.mean()), "rgb_p99": float(np.percentile(diff, 99))}
    ok = all(figures[k] <= TOLERANCE[k] for k in TOLERANCE)
    lines = [f"  reference: {reference['renderer']}", f"  this     : {got['renderer']}",
             f"  {len(got['ids'])} frames of {got['ids'].shape[2]}x{got['ids'].shape[1]}"]
    for k, v in figures.items():
        lines.append(f"  {k:<13}: {v:.6g} (tolerance {TOLERANCE[k]:g}) {'ok' if v <= TOLERANCE[k] else 'OUTSIDE'}")
    identical = all(np.array_equal(reference[k], got[k]) for k in ("rgb", "ids", "depth"))
    lines.append("  bytes identical" if identical else f"  {'within' if ok else 'OUTSIDE'} tolerance")
    return lines, ok


def bench_parity(write_to: str | None, against: str | None, width: int, height: int, vfov: float, config,
                 frames: int = FRAMES) -> tuple[str, int]:
    """(report, exit status): 1 when `against` is given and the frames differ beyond TOLERANCE."""
    from builder.assets.catalog import default_catalog

    got = render_set(default_catalog(), width, height, vfov, config, frames)
    lines = [f"bench parity: {len(got['ids'])} frames, {width}x{height}, on {got['renderer']}"]
    status = 0
    if against:
        with np.load(against) as ref:
            more, ok = compare({k: ref[k] for k in ref.files}, got)
        lines += more
        status = 0 if ok else 1
    if write_to:
        write(Path(write_to), got)
        lines.append(f"  wrote {write_to}")
    return "\n".join(lines), status
