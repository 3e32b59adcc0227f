"""`simsv bench capture`: render-only fps against end-to-end capture fps (render + annotate
+ encode + masks + frame table) on one realistic house, in one process and with one process
per core (the machine's throughput, as `simsv generate --ray` runs). Prints figures; asserts
nothing."""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path


def _children_cpu_s() -> float:
    """CPU seconds of finished child processes (the video encoder runs in one)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _bench_walkthrough(capture, seed: int, frames: int):
    """The benchmark's house (house 0 of `seed`), its scene, and the first `frames` poses of its
    first walkthrough with their camera-to-world matrices."""
    from builder.assets.catalog import default_catalog
    from builder.capture.camera import camera_rng, cam_to_world, draw_camera
    from builder.capture.planner import pick_start_rooms, plan_walkthrough, planner_config_for
    from builder.houses.generate import generate_house
    from builder.pipeline import start_rooms_rng, trajectory_rng
    from builder.render.scene import build_scene

    catalog = default_catalog()
    house = generate_house(0, seed, catalog)
    cam = draw_camera(capture.camera, capture.width, capture.height, capture.vfov_deg, camera_rng(seed, 0, 0))
    drawables, lights = build_scene(house, catalog.load_mesh)
    start = pick_start_rooms(house, 1, start_rooms_rng(seed, 0))[0]
    poses = plan_walkthrough(house, start, trajectory_rng(seed, 0, 0), planner_config_for(cam, capture.fps))[:frames]
    mats = [cam_to_world((p.x, p.y, p.z), p.yaw_deg, p.pitch_deg, p.roll_deg) for p in poses]
    return house, cam.intrinsics, drawables, lights, poses, mats


def _timed_walkthrough(capture, seed: int, frames: int, barrier, results) -> None:
    """One worker of the parallel end-to-end figure: load (and bake) the bench house, wait for
    the other workers, then capture its walkthrough into a temporary folder; puts (frames,
    start, end) on `results`."""
    from builder.capture.occupancy import build_occupancy
    from builder.capture.walkthrough import capture_walkthrough
    from builder.render.renderer import Renderer

    house, K, drawables, lights, poses, _ = _bench_walkthrough(capture, seed, frames)
    with Renderer(K, config=capture.render) as renderer, tempfile.TemporaryDirectory() as tmp:
        renderer.load(drawables, lights)
        grid = build_occupancy(house)
        barrier.wait()
        t0 = time.time()
        capture_walkthrough(renderer, poses, K, capture.fps, Path(tmp) / "traj", grid.room_at, sequence_seed=1,
                            video_kbps=capture.video_kbps)
        results.put((len(poses), t0, time.time()))


def parallel_end_to_end(capture, seed: int, frames: int, workers: int) -> tuple[float, list[float]]:
    """Frames per second of `workers` walkthroughs captured at once, one process each, as
    `simsv generate --ray` runs one house per core: (all frames / the span from the first
    start to the last end, each worker's own fps). Loading and baking are not timed."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")  # GL contexts do not survive a fork
    barrier, results = ctx.Barrier(workers), ctx.Queue()
    procs = [ctx.Process(target=_timed_walkthrough, args=(capture, seed, frames, barrier, results)) for _ in range(workers)]
    for p in procs:
        p.start()
    try:
        got = [results.get(timeout=3600) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
    if any(p.exitcode for p in procs):
        raise RuntimeError(f"a parallel bench worker failed (exit codes {[p.exitcode for p in procs]})")
    span = max(e for _, _, e in got) - min(s for _, s, _ in got)
    return sum(n for n, _, _ in got) / span, [n / (e - s) for n, s, e in got]


def bench_video(capture, seed: int = 0, frames: int = 300, kbps=(700, 350)) -> str:
    """The benchmark walkthrough's frames rendered once, then encoded at crf 23 and at each target
    bitrate: file size, bitrate, bits per pixel, the encoder process's CPU per frame and the
    PSNR of the decoded video against the rendered frames."""
    import numpy as np

    from builder.capture.encode import VideoWriter, read_frames
    from builder.render.renderer import Renderer

    _, K, drawables, lights, poses, mats = _bench_walkthrough(capture, seed, frames)
    with Renderer(K, config=capture.render) as r:
        r.load(drawables, lights)
        r.begin_sequence(1, capture.fps)
        rgb = [r.render(m).rgb for m in mats]
    w, h, n = capture.width, capture.height, len(rgb)
    lines = [f"bench video: {n} frames ({n / capture.fps:.1f} s) of the bench walkthrough, {w}x{h}, {capture.fps} fps, "
             f"render settings {capture.render}"]
    with tempfile.TemporaryDirectory() as tmp:
        for rate in (0, *kbps):
            path = Path(tmp) / f"v{rate}.mp4"
            k0, t0 = _children_cpu_s(), time.perf_counter()
            with VideoWriter(path, w, h, capture.fps, kbps=rate) as writer:
                for f in rgb:
                    writer.write(f)
            cpu, wall = _children_cpu_s() - k0, time.perf_counter() - t0
            mse = np.mean([np.mean((a.astype(np.float32) - b) ** 2) for a, b in zip(read_frames(path), rgb)])
            size = path.stat().st_size
            lines.append(f"  {'crf 23' if not rate else f'{rate} kbit/s':>13}: {size / 1e3:7.0f} kB  "
                         f"{size * 8 * capture.fps / n / 1e3:6.0f} kbit/s  {size * 8 / (w * h * n):.3f} bits/pixel  "
                         f"encoder {1000 * cpu / n:5.1f} CPU ms/frame ({n / wall:5.1f} fps)  "
                         f"PSNR {10 * np.log10(255.0 ** 2 / mse):5.2f} dB")
    return "\n".join(lines)


def bench_capture(capture, seed: int = 0, frames: int = 300, effects: bool = True) -> str:
    """Render-only and end-to-end fps with the configured lighting and effects; with `effects`,
    also the render-only fps with each effect turned off in turn (its cost) and the old look.
    Wall-clock fps depend on what else the machine runs; CPU ms per frame (all threads of this
    process) less so, and both are printed."""
    from dataclasses import replace

    from builder.capture.occupancy import build_occupancy
    from builder.capture.walkthrough import capture_walkthrough
    from builder.config import RenderConfig
    from builder.render.renderer import Renderer

    house, K, drawables, lights, poses, mats = _bench_walkthrough(capture, seed, frames)

    def timed_render(cfg, scene=(drawables, lights)):
        with Renderer(K, config=cfg) as r:
            t0, c0 = time.perf_counter(), time.process_time()
            r.load(*scene)
            load = (time.perf_counter() - t0, time.process_time() - c0)
            r.begin_sequence(0, capture.fps)
            r.render(mats[0])  # warm-up
            t0, c0 = time.perf_counter(), time.process_time()
            for m in mats:
                r.render(m)
            fps = len(mats) / (time.perf_counter() - t0)
            return fps, 1000 * (time.process_time() - c0) / len(mats), load, r, r.stats.get("triangles", "?")

    cfg = capture.render
    load_before = os.getloadavg()[0]
    fps, cpu_ms, (load_s, load_cpu), r, _ = timed_render(cfg)
    with Renderer(K, config=cfg) as renderer:
        renderer.load(drawables, lights)
        stats = renderer.stats
        grid = build_occupancy(house)
        with tempfile.TemporaryDirectory() as tmp:
            t0, c0, k0 = time.perf_counter(), time.process_time(), _children_cpu_s()
            capture_walkthrough(renderer, poses, K, capture.fps, Path(tmp) / "traj", grid.room_at, sequence_seed=1,
                                video_kbps=capture.video_kbps)
            e2e_fps = len(poses) / (time.perf_counter() - t0)
            e2e_cpu = 1000 * (time.process_time() - c0) / len(poses)
            enc_cpu = 1000 * (_children_cpu_s() - k0) / len(poses)
            video_kb = (Path(tmp) / "traj" / "video.mp4").stat().st_size / 1000
    workers = os.cpu_count() or 1
    par_fps, par_each = parallel_end_to_end(capture, seed, frames, workers) if workers > 1 else (e2e_fps, [e2e_fps])
    lines = [
        f"bench capture: {house.id}, {len(house.rooms)} rooms, {len(house.objects)} objects, "
        f"{stats.get('triangles', '?')} triangles, {capture.width}x{capture.height}, {capture.camera} camera, {len(poses)} frames on "
        f"{renderer.renderer_string}",
        f"  settings    : {cfg}",
        f"  load + bake : {load_s:6.1f} s wall, {load_cpu:.1f} s CPU ({r.bake_stats.get('lights', 0)} lights, "
        f"{r.bake_stats.get('vertices', 0)} vertices; bake {r.bake_stats.get('seconds', 0.0):.1f} s of it)",
        f"  render only : {fps:6.1f} fps   ({cpu_ms:5.1f} CPU ms/frame)",
        f"  end to end  : {e2e_fps:6.1f} fps   ({e2e_cpu:5.1f} CPU ms/frame; render + annotate + encode + masks + table)"
        f" + {enc_cpu:.1f} CPU ms/frame in the encoder process",
        f"  end to end, {workers} at once: {par_fps:6.1f} fps together (one walkthrough per core, as `simsv generate "
        f"--ray` runs houses; each {', '.join(f'{v:.1f}' for v in par_each)} fps)",
        f"  video       : {video_kb:.0f} kB for {len(poses) / capture.fps:.1f} s ({video_kb * 8 * capture.fps / len(poses):.0f} kbit/s; "
        f"{'crf 23' if not capture.video_kbps else f'target {capture.video_kbps} kbit/s'})",
        f"  ratio       : {e2e_fps / fps:6.2f}",
    ]
    if effects:
        lines.append("  cost of each effect (render only, that effect off; the difference is its cost):")
        variants = []
        if cfg.msaa:
            variants.append(("msaa off", replace(cfg, msaa=0)))
        if cfg.fxaa:
            variants.append(("fxaa off", replace(cfg, fxaa=False)))
            variants.append(("msaa 4 instead of fxaa", replace(cfg, fxaa=False, msaa=4)))
        if cfg.motion_blur:
            variants.append(("motion blur off", replace(cfg, motion_blur=0.0)))
        if cfg.defocus_px:
            variants.append(("defocus off", replace(cfg, defocus_px=0.0)))
        if cfg.noise:
            variants.append(("noise off", replace(cfg, noise=0.0)))
        if cfg.auto_exposure:
            variants.append(("auto exposure off", replace(cfg, auto_exposure=False)))
        variants.append(("baked light, no effects", RenderConfig(msaa=0, fxaa=False, motion_blur=0.0, noise=0.0, defocus_px=0.0,
                                                               auto_exposure=False)))
        variants.append(("old look (--effects-off)", RenderConfig.off()))
        for name, v in variants:
            f2, c2, _, _, _ = timed_render(v)
            lines.append(f"    {name:<26}: {f2:6.1f} fps ({c2:5.1f} CPU ms/frame; {cpu_ms - c2:+5.1f} ms for it)")
    # what the clutter stage costs: the same house index and seed generated without it (its
    # furniture is drawn again, so it differs a little), rendered from the same poses
    from builder.assets.catalog import default_catalog
    from builder.houses.generate import generate_house
    from builder.render.scene import build_scene

    catalog = default_catalog()
    bare = generate_house(0, seed, catalog, clutter=False)
    bare_fps, bare_ms, _, _, bare_tri = timed_render(cfg, build_scene(bare, catalog.load_mesh))
    lines.append(f"  without clutter: {len(bare.objects)} objects, {bare_tri} triangles: "
                 f"{bare_fps:6.1f} fps render only ({bare_ms:5.1f} CPU ms/frame; clutter costs {cpu_ms - bare_ms:+5.1f} ms)")
    lines.append(f"  load average: {load_before:.2f} before, {os.getloadavg()[0]:.2f} after (wall-clock fps fall as "
                 f"other work shares the {os.cpu_count()} cores; CPU ms/frame much less)")
    return "\n".join(lines)


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
