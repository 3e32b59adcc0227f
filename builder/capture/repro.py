"""Are the video bytes reproducible? Two figures, each from fresh processes.

  python -m builder.capture.repro --perturb
      the encoder alone: the same frames encoded in fresh processes whose heap memory is filled
      with different bytes (glibc's MALLOC_PERTURB_), at several frame sizes, by x264 in that
      process (as VideoWriter did before) and in VideoWriter's encoder process started with
      that environment; distinct sha256 per case (1 = reproducible)

  python -m builder.capture.repro --runs 20 --out /tmp/repro [--width 336 --height 192]
      one house generated, then QA'd (room clips cut), in N fresh processes, run k with
      MALLOC_PERTURB_=k so no two start from the same heap contents; distinct sha256 per file
      across the runs (1 everywhere = reproducible), walkthrough videos and room clips alike

The perturbation only makes a read of uninitialised memory visible in every run, instead of in
the runs whose allocation history happens to leave other bytes behind.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

PERTURB_BYTES = (0, 1, 2, 85, 170)
SIZES = ((680, 384), (672, 384), (352, 192), (336, 192), (160, 90))


def _frames(width: int, height: int, frames: int):
    """Synthetic but textured frames: 8-pixel blocks drifting, something to predict and move."""
    import numpy as np

    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, ((height + 16) // 8 + 1, (width + frames + 16) // 8 + 1, 3), dtype=np.uint8)
    base = np.kron(base, np.ones((8, 8, 1), np.uint8))
    for i in range(frames):
        yield np.ascontiguousarray(base[i % 8:i % 8 + height, i:i + width])


def _encode_child(width: int, height: int, isolated: bool, frames: int, kbps: int = 0) -> str:
    """Encode the frames, in this (perturbed) process as VideoWriter did before ("in-process"),
    or in the encoder process VideoWriter uses now, started with this process's environment
    (MALLOC_PERTURB_ included, which it must overrule), at constant quality or a target bitrate
    (`kbps`, encoder process only); the sha256 of the mp4."""
    import tempfile

    import av

    from builder.capture import encode

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.mp4"
        if isolated:
            env = {**encode._encoder_env(), **{k: v for k, v in os.environ.items() if k.startswith("MALLOC_")}}
            proc = subprocess.Popen([sys.executable, "-m", "builder.capture.encode", str(path), str(width), str(height),
                                     "10", str(kbps)], stdin=subprocess.PIPE, env=env)
            for img in _frames(width, height, frames):
                proc.stdin.write(img.data)
            proc.stdin.close()
            if proc.wait():
                raise RuntimeError("encoder process failed")
        else:
            c = av.open(str(path), mode="w", format="mp4")
            s = c.add_stream("libx264", rate=10, options={"crf": str(encode.CRF), "preset": encode.PRESET, "g": "5",
                                                          "keyint_min": "5", "bf": "0", "threads": "1"})
            s.width, s.height, s.pix_fmt, s.thread_count = width, height, "yuv420p", 1
            for img in _frames(width, height, frames):
                for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                    c.mux(p)
            for p in s.encode():
                c.mux(p)
            c.close()
        return hashlib.sha256(path.read_bytes()).hexdigest()


def perturb_figure(frames: int) -> str:
    lines = [f"x264 on the same {frames} frames in fresh processes, MALLOC_PERTURB_ in {PERTURB_BYTES}: distinct mp4 sha256",
             f"{'size':>9s} {'macroblocks':>11s} {'in-process':>10s} {'encoder process':>15s}"]
    for w, h in SIZES:
        counts = []
        for isolated in (False, True):
            digests = {_child([sys.executable, "-m", "builder.capture.repro", "--child", str(w), str(h), str(int(isolated)),
                               str(frames)], b) for b in PERTURB_BYTES}
            counts.append(len(digests))
        lines.append(f"{w:4d}x{h:<4d} {-(-w // 16):5d}x{-(-h // 16):<5d} {counts[0]:10d} {counts[1]:15d}")
    return "\n".join(lines)


def _child(cmd: list[str], perturb: int) -> str:
    env = {**os.environ, "MALLOC_PERTURB_": str(perturb), "MALLOC_MMAP_THRESHOLD_": str(32 << 20)}  # heap, not fresh mmaps
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return r.stdout.strip().splitlines()[-1]


def house_figure(runs: int, out: Path, width: int, height: int, seed: int, start: int = 0) -> str:
    """Runs start..runs-1 (a series cut short goes on with --start); the figure counts every
    run_* folder under `out`."""
    digests: dict[str, set[str]] = defaultdict(set)
    for k in range(start, runs):
        corpus = out / f"run_{k:02d}"
        env = {**os.environ, "MALLOC_PERTURB_": str(k % 256)}
        base = [sys.executable, "-m", "builder"]
        subprocess.run(base + ["generate", "--houses", "1", "--seed", str(seed), "--trajectories", "1", "--width",
                               str(width), "--height", str(height), "--out", str(corpus), "--quiet"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(base + ["qa", "--corpus", str(corpus), "--quiet"], env=env, check=True, stdout=subprocess.DEVNULL)
        done = sorted(out.glob("run_*"))
        digests = defaultdict(set)
        for run in done:
            for path in sorted(run.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    digests[str(path.relative_to(run))].add(hashlib.sha256(path.read_bytes()).hexdigest())
        print(_tally(digests, len(done), width, height, seed), flush=True)  # so far: a cut-short series still reports
    return _tally(digests, len(sorted(out.glob("run_*"))), width, height, seed)


def _tally(digests: dict[str, set[str]], runs: int, width: int, height: int, seed: int) -> str:
    videos = [f for f in digests if f.endswith(".mp4")]
    clips = [f for f in videos if "/clips/" in f]
    worst = max(len(v) for v in digests.values())
    lines = [f"{runs} fresh-process runs (generate + qa) of house 0, seed {seed}, {width}x{height}, MALLOC_PERTURB_=run: "
             f"{len(digests)} files, {len(videos)} videos ({len(clips)} room clips)",
             f"distinct sha256 per file: max {worst}; files with more than one: "
             f"{sorted(f for f, v in digests.items() if len(v) > 1) or 'none'}"]
    for f in sorted(set(videos) - set(clips)) + sorted(clips)[:1] + sorted(clips)[-1:]:
        lines.append(f"  {f}: {len(digests[f])}")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m builder.capture.repro", description=__doc__.split("\n")[0])
    p.add_argument("--perturb", action="store_true", help="the encoder alone, under heap perturbation")
    p.add_argument("--frames", type=int, default=60, help="frames per encode (--perturb)")
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--start", type=int, default=0, help="first run index (to go on with a series)")
    p.add_argument("--out", type=Path, help="folder for the runs' corpora")
    p.add_argument("--width", type=int, default=336, help="336: 21 macroblocks, odd like 680's 43")
    p.add_argument("--height", type=int, default=192)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)  # width height isolated frames [kbps]
    a = p.parse_args(argv)
    if a.child:
        w, h, isolated, frames, *kbps = (int(v) for v in a.child)
        print(_encode_child(w, h, bool(isolated), frames, *kbps))
    elif a.perturb:
        print(perturb_figure(a.frames))
    else:
        if a.out is None:
            p.error("--out is required (or --perturb)")
        print(house_figure(a.runs, a.out, a.width, a.height, a.seed, a.start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
