"""The `simsv` command line: generate a corpus, look at it, benchmark capture.

  simsv generate --houses 4 --seed 0 --out ./corpus [--shard 0/2]
  simsv look --corpus ./corpus --house 0 --out ./look
  simsv bench capture
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


def _add_capture_args(p: argparse.ArgumentParser) -> None:
    from builder.config import CaptureConfig

    d = CaptureConfig()
    p.add_argument("--width", type=int, default=d.width, help="frame width in pixels")
    p.add_argument("--height", type=int, default=d.height, help="frame height in pixels")
    p.add_argument("--vfov", type=float, default=d.vfov_deg, help="vertical field of view in degrees")
    p.add_argument("--fps", type=int, default=d.fps, help="video frame rate")
    p.add_argument("--trajectories", type=int, default=d.trajectories_per_house, help="walkthroughs per house")


def _capture_config(a):
    from builder.config import CaptureConfig

    return CaptureConfig(width=a.width, height=a.height, vfov_deg=a.vfov, fps=a.fps, trajectories_per_house=a.trajectories)


def cmd_generate(a) -> int:
    from builder.config import BuildConfig
    from builder.pipeline import generate, parse_shard

    cfg = BuildConfig(houses=a.houses, seed=a.seed, capture=_capture_config(a))
    summary = generate(cfg, Path(a.out), parse_shard(a.shard), show_progress=not a.quiet)
    print(summary.line(Path(a.out)))
    return 1 if summary.failed else 0


def cmd_look(a) -> int:
    from builder.inspect_corpus import look

    for path in look(Path(a.corpus), a.house, Path(a.out), a.trajectory, a.frames):
        print(path)
    return 0


def cmd_bench(a) -> int:
    from builder.bench import bench_capture

    print(bench_capture(_capture_config(a), seed=a.seed, frames=a.frames))
    return 0


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="simsv", description="SIMS-VSI: simulated spatial video QA data.")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="procedural houses -> walkthrough videos with ground truth")
    g.add_argument("--houses", type=int, required=True, help="number of houses in the corpus")
    g.add_argument("--seed", type=int, default=0, help="global seed")
    g.add_argument("--out", required=True, help="output folder (resumable: rerun to continue)")
    g.add_argument("--shard", default="0/1", help="build only houses with index %% N == i (i/N)")
    g.add_argument("--quiet", action="store_true", help="no progress bars")
    _add_capture_args(g)
    g.set_defaults(func=cmd_generate)

    lk = sub.add_parser("look", help="contact sheet of frames and a top-down map, as PNGs")
    lk.add_argument("--corpus", required=True, help="a folder written by `simsv generate`")
    lk.add_argument("--house", type=int, default=0, help="house index")
    lk.add_argument("--trajectory", type=int, default=0, help="trajectory index")
    lk.add_argument("--frames", type=int, default=16, help="frames on the contact sheet")
    lk.add_argument("--out", default="look", help="folder for the PNGs")
    lk.set_defaults(func=cmd_look)

    b = sub.add_parser("bench", help="benchmarks (print figures, assert nothing)")
    bs = b.add_subparsers(dest="what", required=True)
    bc = bs.add_parser("capture", help="render-only vs end-to-end capture fps for one realistic house")
    bc.add_argument("--seed", type=int, default=0)
    bc.add_argument("--frames", type=int, default=300, help="frames to time")
    _add_capture_args(bc)
    bc.set_defaults(func=cmd_bench)
    return p


def main(argv=None) -> int:
    a = make_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if a.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return a.func(a)
    except (ValueError, FileNotFoundError, RuntimeError) as e:
        print(f"simsv: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
