"""`simsv bench capture`: render-only fps against end-to-end capture fps (render + annotate
+ encode + masks + frame table) on one realistic house. Prints figures; asserts nothing."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path


def bench_capture(capture, seed: int = 0, frames: int = 300) -> str:
    from builder.assets.catalog import default_catalog
    from builder.capture.camera import camera_rng, cam_to_world, draw_camera
    from builder.capture.occupancy import build_occupancy
    from builder.capture.planner import pick_start_rooms, plan_walkthrough, planner_config_for
    from builder.capture.walkthrough import capture_walkthrough
    from builder.houses.generate import generate_house
    from builder.pipeline import start_rooms_rng, trajectory_rng
    from builder.render.renderer import Renderer
    from builder.render.scene import build_drawables

    catalog = default_catalog()
    house = generate_house(0, seed, catalog)
    cam = draw_camera(capture.camera, capture.width, capture.height, capture.vfov_deg, camera_rng(seed, 0, 0))
    K = cam.intrinsics
    renderer = Renderer(K)
    renderer.load(build_drawables(house, catalog.load_mesh))
    start = pick_start_rooms(house, 1, start_rooms_rng(seed, 0))[0]
    poses = plan_walkthrough(house, start, trajectory_rng(seed, 0, 0), planner_config_for(cam, capture.fps))[:frames]
    stats = renderer.stats
    renderer.render(cam_to_world((poses[0].x, poses[0].y, poses[0].z), poses[0].yaw_deg, poses[0].pitch_deg, poses[0].roll_deg))  # warm-up

    t0 = time.perf_counter()
    for p in poses:
        renderer.render(cam_to_world((p.x, p.y, p.z), p.yaw_deg, p.pitch_deg, p.roll_deg))
    render_fps = len(poses) / (time.perf_counter() - t0)

    grid = build_occupancy(house)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        capture_walkthrough(renderer, poses, K, capture.fps, Path(tmp) / "traj", grid.room_at)
        e2e_fps = len(poses) / (time.perf_counter() - t0)
    return (
        f"bench capture: {house.id}, {len(house.rooms)} rooms, {len(house.objects)} objects, "
        f"{stats.get('triangles', '?')} triangles, {capture.width}x{capture.height}, {capture.camera} camera, {len(poses)} frames on "
        f"{renderer.renderer_string}\n"
        f"  render only : {render_fps:6.1f} fps\n"
        f"  end to end  : {e2e_fps:6.1f} fps (render + annotate + encode + masks + table)\n"
        f"  ratio       : {e2e_fps / render_fps:6.2f}"
    )


def bench_load(folder: Path, config: str = "3q", frames: int = 32, rows: int = 64) -> str:
    """Frames per second a training loader gets from an exported Hub folder: `load_dataset`,
    then K uniformly sampled frames decoded per row (torchcodec), one process."""
    from datasets import load_dataset

    from simsv_vsi.sampling import sample_video

    with tempfile.TemporaryDirectory() as cache:  # no other folder's cache (see build.summary)
        ds = load_dataset(str(folder), config, split="train", cache_dir=cache)
        n = min(rows, ds.num_rows)
        sample_video(ds[0]["video"], frames)  # warm-up: imports, first open
        t0 = time.perf_counter()
        shape = None
        for i in range(n):
            shape = tuple(sample_video(ds[i]["video"], frames).shape)
        dt = time.perf_counter() - t0
        del ds
    return (f"bench load: {folder} config {config}, {n} rows x {frames} frames {shape[2]}x{shape[3]}, one process\n"
            f"  {n * frames / dt:8.1f} frames/s   {n / dt:6.2f} rows/s")


def bench_generate(capture, houses: int = 4, seed: int = 0) -> str:
    """Houses per hour and frames per second of `simsv generate`, in one process and on a local
    Ray using every core, with the wall time that projects to for the paper preset's corpus
    (its houses x walkthroughs, at the measured frames per walkthrough and fps).

    Both runs build the same houses (whole command: house generation, mesh loading, planning,
    render, annotate, encode, write; Ray's start-up counted too). A first untimed pass at
    160x90 warms the mesh cache so neither timed run pays for first-time OBJ parsing."""
    import os

    from builder.build import PRESETS
    from builder.config import BuildConfig, CaptureConfig
    from builder.distributed import LOCAL
    from builder.pipeline import generate

    paper = PRESETS["paper"]

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cfg = BuildConfig(houses=houses, seed=seed, capture=capture)
    lines = [f"bench generate: {houses} houses x {capture.trajectories_per_house} walkthroughs, "
             f"{capture.width}x{capture.height}, seed {seed}, {cores} cores"]
    with tempfile.TemporaryDirectory() as tmp:
        warm = BuildConfig(houses=houses, seed=seed, capture=CaptureConfig(width=160, height=90, trajectories_per_house=1))
        generate(warm, Path(tmp) / "warm", show_progress=False)
        for name, address, workers in (("1 process", None, 1), (f"Ray, {cores} workers", LOCAL, cores)):
            run = generate(cfg, Path(tmp) / name.replace(" ", "_").replace(",", ""), show_progress=False,
                           ray_address=address)
            if run.failed:
                raise RuntimeError(f"bench generate: {run.failed} houses failed ({name})")
            fps = run.frames / run.seconds
            paper_frames = paper.houses * paper.trajectories * run.frames / (run.built * capture.trajectories_per_house)
            lines.append(f"  {name:<16}: {run.built * 3600 / run.seconds:6.1f} houses/h   {fps:6.1f} fps   "
                         f"({run.frames} frames in {run.seconds:.1f} s)   paper scale ({paper.houses} houses x "
                         f"{paper.trajectories} walkthroughs, ~{paper_frames / 1e6:.1f}M frames): {paper_frames / fps / 3600:6.1f} h")
    return "\n".join(lines)
