"""The `simsv` command line: from houses and walkthroughs to QA records, mixes and the Hub folder.

  simsv generate --houses 4 --seed 0 --out ./corpus [--shard 0/2]
  simsv look --corpus ./corpus --house 0 --out ./look
  simsv stats --corpus ./corpus              # camera, coverage and furnishing figures beside real scan video
  simsv build --preset demo --out ./sims-vsi-demo   # everything below, then load_dataset
  simsv qa --corpus ./corpus                 # question-answer records (+ room clip videos)
  simsv mix --corpus ./corpus --mix 3q --size 25000
  simsv audit --corpus ./corpus --out audit.md
  simsv export --corpus ./corpus --out ./sims-vsi; simsv push --folder ./sims-vsi --repo you/sims-vsi
  simsv preview --corpus ./corpus --out ./preview
  simsv bench capture | video | qa | load
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from builder import cli_types as T


AA_CHOICES = ("fxaa", "msaa2", "msaa4", "msaa8", "off")


def _add_capture_args(p: argparse.ArgumentParser) -> None:
    from builder.capture.camera import CAMERA_PROFILES
    from builder.config import CaptureConfig, RenderConfig

    d = CaptureConfig()
    p.add_argument("--width", type=T.WIDTH, default=d.width, help="frame width in pixels (even, 16..4096)")
    p.add_argument("--height", type=T.HEIGHT, default=d.height, help="frame height in pixels (even, 16..4096)")
    p.add_argument("--camera", choices=CAMERA_PROFILES, default="handheld",
                   help="camera profile (docs/realism.md): handheld (a person filming; FOV, height, pitch and roll "
                        "drawn per trajectory, perimeter loops), paper (SIMS-V's AI2-THOR camera, room-centre spins), "
                        "fixed (builds made before profiles)")
    p.add_argument("--vfov", type=T.VFOV, default=None,
                   help=f"vertical field of view in degrees (1..170) of the fixed camera, mean of the paper camera's "
                        f"(default {d.vfov_deg}); handheld draws its own")
    p.add_argument("--fps", type=T.FPS, default=d.fps, help="video frame rate (1..120)")
    p.add_argument("--trajectories", type=T.TRAJECTORIES, default=d.trajectories_per_house,
                   help="walkthroughs per house (1..100)")
    p.add_argument("--video-kbps", type=T.VIDEO_KBPS, default=d.video_kbps,
                   help="video bitrate in kbit/s: 0 = constant quality (x264 crf 23, the default); e.g. 700 = phone "
                        "footage's bits per pixel at 680x384, 10 fps (docs/capture-format.md)")
    r = RenderConfig()  # the new look by default (CaptureConfig's own default is that of older builds)
    g = p.add_argument_group("lighting and camera effects (embedded renderer)")
    g.add_argument("--lighting", default=r.lighting, help="'baked' (lights, shadows, occlusion) or 'rig' (the old fixed rig)")
    aa = g.add_mutually_exclusive_group()
    aa.add_argument("--aa", choices=AA_CHOICES, default=None,
                    help="anti-aliasing of the colour (ids and depth are always exact): fxaa (default: an edge filter, "
                         "a few ms on CPU), msaa2/msaa4/msaa8 (multisampling: nearly free on a GPU, ~100 ms a frame "
                         "on llvmpipe), off")
    aa.add_argument("--msaa", type=T.int_choice(0, 2, 4, 8), default=None, help="the same as --aa msaaN (0: --aa off)")
    g.add_argument("--motion-blur", type=float, default=r.motion_blur, help="shutter as a fraction of the frame interval, 0..1")
    g.add_argument("--noise", type=float, default=r.noise, help="sensor noise std at mid grey (linear), 0..0.2")
    g.add_argument("--defocus", type=float, default=r.defocus_px, help="defocus blur radius in pixels, 0..4")
    g.add_argument("--fixed-exposure", action="store_true", help="no auto exposure along the video")
    g.add_argument("--effects-off", action="store_true", help="the old look: rig lighting, no anti-aliasing, no effects")


def _render_config(a):
    from builder.config import RenderConfig

    if a.effects_off:
        return RenderConfig.off()
    aa = a.aa if a.aa is not None else ("fxaa" if a.msaa is None else f"msaa{a.msaa}" if a.msaa else "off")
    return RenderConfig(lighting=a.lighting, msaa=int(aa[4:]) if aa.startswith("msaa") else 0, fxaa=aa == "fxaa",
                        motion_blur=a.motion_blur, noise=a.noise, defocus_px=a.defocus,
                        auto_exposure=not a.fixed_exposure)


def _capture_config(a):
    from builder.config import CaptureConfig

    if a.vfov is not None and a.camera == "handheld":
        raise ValueError("--vfov applies to --camera paper or fixed; the handheld camera draws its field of view per "
                         "trajectory (horizontal 55-72 deg)")
    return CaptureConfig(width=a.width, height=a.height, vfov_deg=CaptureConfig.vfov_deg if a.vfov is None else a.vfov,
                         fps=a.fps, trajectories_per_house=a.trajectories, backend=getattr(a, "backend", "embedded"),
                         camera=a.camera, render=_render_config(a), video_kbps=a.video_kbps)


def cmd_generate(a) -> int:
    from builder.config import BuildConfig
    from builder.pipeline import generate

    houses = a.houses
    if a.procthor:
        from builder.houses.procthor_import import read_procthor_houses

        available = len(read_procthor_houses(a.procthor))
        if houses is not None and houses > available:
            raise ValueError(f"{a.procthor}: --houses {houses} but the file holds {available} houses")
        houses = available if houses is None else houses
    elif houses is None:
        raise ValueError("--houses is required (or --procthor FILE to render ProcTHOR houses)")
    if a.backend == "ai2thor":
        from builder.render.thor_backend import find_build

        find_build()  # before anything is written: the Unity build cannot be downloaded here
    cfg = BuildConfig(houses=houses, seed=a.seed, capture=_capture_config(a),
                      procthor=str(Path(a.procthor).resolve()) if a.procthor else None)  # absolute: Ray workers may start elsewhere
    summary = generate(cfg, Path(a.out), a.shard, show_progress=not a.quiet, ray_address=a.ray)
    print(summary.line(Path(a.out)))
    return 1 if summary.failed else 0


def cmd_look(a) -> int:
    from builder.inspect_corpus import look

    for path in look(Path(a.corpus), a.house, Path(a.out), a.trajectory, a.frames):
        print(path)
    return 0


def cmd_stats(a) -> int:
    import json

    from builder.stats import stats_text, write_stats

    stats = write_stats(Path(a.corpus))
    print(json.dumps(stats, indent=1, sort_keys=True) if a.json else stats_text(stats))
    return 0


def cmd_bench_generate(a) -> int:
    from builder.bench import bench_generate

    print(bench_generate(_capture_config(a), houses=a.houses, seed=a.seed))
    return 0


def cmd_bench(a) -> int:
    from builder.bench import bench_capture

    print(bench_capture(_capture_config(a), seed=a.seed, frames=a.frames))
    return 0


def cmd_bench_video(a) -> int:
    from builder.bench import bench_video

    print(bench_video(_capture_config(a), seed=a.seed, frames=a.frames, kbps=a.kbps))
    return 0


def cmd_bench_parity(a) -> int:
    from builder.render.parity import bench_parity

    if not (a.write_to or a.against):
        raise ValueError("bench parity: give --write FILE (make a reference) and/or --against FILE (compare with one)")
    if a.against and not Path(a.against).is_file():
        raise FileNotFoundError(f"{a.against}: no such file (--against)")
    c = _capture_config(a)
    report, status = bench_parity(a.write_to, a.against, c.width, c.height, c.vfov_deg, c.render, a.frames)
    print(report)
    return status


def cmd_bench_look(a) -> int:
    from builder.render.bench_look import bench_look

    c = _capture_config(a)
    print(bench_look(a.baseline, a.sheets, c.width, c.height, c.vfov_deg, c.render))
    return 0


def _qa_config(a):
    from builder.qa.run import load_qa_config

    return load_qa_config(a.config, seed=a.seed, questions_per_type=a.questions_per_type,
                          questions_per_room=a.questions_per_room)


def cmd_qa(a) -> int:
    from builder.qa.run import generate_corpus_qa

    summary = generate_corpus_qa(Path(a.corpus), _qa_config(a), types=a.types, clips=not a.no_clips,
                                 show_progress=not a.quiet, workers=a.workers)
    print(summary.line(Path(a.corpus) / "qa"))
    return 0


def cmd_qa_priors(a) -> int:
    from builder.io import write_text_atomic
    from builder.assets.catalog import default_catalog
    from builder.qa import priors as p
    from builder.qa.run import load_qa_config

    cfg = load_qa_config(a.config, questions_per_type=a.questions_per_type, questions_per_room=a.questions_per_room)
    reference = p.reference_answers(Path(a.reference), cfg, a.workers, not a.quiet) if a.reference else None
    priors = p.generator_priors(default_catalog(), cfg, p.PRIOR_SEED if a.seed is None else a.seed,
                                p.LAYOUT_PRIOR_HOUSES if a.layout_houses is None else a.layout_houses,
                                p.DISTANCE_PRIOR_HOUSES if a.distance_houses is None else a.distance_houses,
                                reference, a.reference_name or Path(a.reference or "").name,
                                progress=not a.quiet)
    write_text_atomic(Path(a.out), p.priors_json(priors))
    print(f"answer priors of {', '.join(priors['types'])} and object sizes -> {a.out}")
    return 0


def cmd_mix(a) -> int:
    from builder.qa.run import write_mixes
    from simsv_vsi.mixes import mix_names

    names = mix_names() if a.mix == ["every"] else a.mix
    manifest = write_mixes(Path(a.corpus), names, a.size, a.seed, a.validation, a.test)
    for name, counts in manifest["mixes"].items():
        print(f"{name:32s} " + "  ".join(f"{s} {n:6d}" for s, n in counts.items()))
    return 0


def cmd_audit(a) -> int:
    from builder.qa.audit import audit, audit_markdown
    from simsv_vsi.records import read_records

    path = Path(a.records) if a.records else Path(a.corpus) / "qa" / "records.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no QA records; run `simsv qa` first")
    report = audit(read_records(path), seed=a.seed, tolerance_points=a.tolerance, folds=a.folds)
    text = audit_markdown(report)
    if a.out:
        from builder.io import write_text_atomic

        write_text_atomic(Path(a.out), text)
    print(text)
    failing = [k for k, v in report["types"].items() if v.get("verdict") == "fail"]
    return 1 if failing else 0


def cmd_build(a) -> int:
    from builder.build import build

    print(build(a.preset, Path(a.out), seed=a.seed, workers=a.workers, show_progress=not a.quiet, ray_address=a.ray,
                houses=a.houses, trajectories=a.trajectories, width=a.width, height=a.height, mix_size=a.size,
                camera=a.camera))
    return 0


def cmd_preview(a) -> int:
    from builder.preview import write_preview

    print(write_preview(Path(a.corpus), Path(a.out), a.videos))
    return 0


def cmd_export(a) -> int:
    from simsv_vsi.export import export_folder

    counts = export_folder(Path(a.corpus), Path(a.out), a.repo)
    configs = [m for m in counts if not m.startswith("by_type")]
    print(f"Hub folder -> {a.out}: configs {', '.join(configs)} + {len(counts['by_type'])} per type; "
          + "; ".join(f"{m} " + "/".join(str(counts[m][s]) for s in counts[m]) for m in configs))
    return 0


def cmd_push(a) -> int:
    from simsv_vsi.push import push_folder

    try:
        url = push_folder(Path(a.folder), a.repo, private=a.private, revision=a.revision)  # token: HF_TOKEN
    except ValueError:
        raise  # ours: the folder is not an export
    except Exception as e:  # noqa: BLE001 - huggingface_hub's HTTP and connection errors (the token is not in their messages)
        import os

        endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
        raise RuntimeError(f"push to {a.repo} at {endpoint} failed ({type(e).__name__}: {e}); "
                           f"check the network, HF_ENDPOINT and HF_TOKEN") from None
    print(f"pushed {a.folder} -> {a.repo}@{a.revision}{' (private)' if a.private else ''}: {url}")
    return 0


def cmd_bench_load(a) -> int:
    from builder.bench import bench_load

    print(bench_load(Path(a.folder), a.config, a.frames, a.rows))
    return 0


def cmd_bench_qa(a) -> int:
    from builder.qa.bench import bench_qa

    print(bench_qa(Path(a.corpus), repeats=a.repeats, workers=a.workers))
    return 0


RAY_HELP = ("render houses as Ray tasks: alone, a local Ray on this machine; with ADDRESS (e.g. auto, "
            "head:6379), an existing cluster (same outputs as without --ray)")


def make_parser() -> argparse.ArgumentParser:
    from builder.build import PRESETS
    from builder.config import BACKENDS

    p = T.Parser(prog="simsv", description="SIMS-VSI: simulated spatial video QA data.")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="procedural houses -> walkthrough videos with ground truth")
    g.add_argument("--houses", type=T.HOUSES, help="number of houses in the corpus (with --procthor: the first N of the file)")
    g.add_argument("--procthor", metavar="FILE",
                   help="render ProcTHOR houses (.json, .jsonl, .jsonl.gz, e.g. ProcTHOR-10K) instead of generating them")
    g.add_argument("--seed", type=T.SEED, default=0, help="global seed")
    g.add_argument("--out", required=True, help="output folder (resumable: rerun to continue)")
    g.add_argument("--shard", type=T.shard, default="0/1", help="build only houses with index %% N == i (i/N)")
    g.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS", help=RAY_HELP)
    g.add_argument("--quiet", action="store_true", help="no progress bars")
    _add_capture_args(g)
    g.add_argument("--backend", choices=BACKENDS, default=BACKENDS[0],
                   help="what renders: our embedded renderer, or AI2-THOR's Unity build (docs/ai2thor.md)")
    g.set_defaults(func=cmd_generate)

    lk = sub.add_parser("look", help="contact sheet of frames and a top-down map, as PNGs")
    lk.add_argument("--corpus", required=True, help="a folder written by `simsv generate`")
    lk.add_argument("--house", type=T.INDEX, default=0, help="house index")
    lk.add_argument("--trajectory", type=T.INDEX, default=0, help="trajectory index")
    lk.add_argument("--frames", type=T.int_in(1, 400), default=16, help="frames on the contact sheet (1..400)")
    lk.add_argument("--out", default="look", help="folder for the PNGs")
    lk.set_defaults(func=cmd_look)

    st = sub.add_parser("stats", help="how a corpus looks beside real scan video: camera, frame coverage, "
                                      "furnishing, VSI-Bench categories (also DIR/stats.json, for the dataset card)")
    st.add_argument("--corpus", required=True, help="a folder written by `simsv generate`")
    st.add_argument("--json", action="store_true", help="print the JSON instead of the table")
    st.set_defaults(func=cmd_stats)

    cr = sub.add_parser("check-rules", help="list every plausibility-rule violation of a corpus's houses (or of "
                        "generated ones) and their content figures; exit 1 if any")
    src = cr.add_mutually_exclusive_group(required=True)
    src.add_argument("--corpus", help="a folder written by `simsv generate`")
    src.add_argument("--generate", type=T.HOUSES, metavar="N", help="generate N houses (no rendering) and check them")
    cr.add_argument("--seed", type=T.SEED, default=0, help="seed for --generate")
    cr.set_defaults(func=cmd_check_rules)

    b = sub.add_parser("bench", help="benchmarks (print figures, assert nothing)")
    bs = b.add_subparsers(dest="what", required=True)
    bc = bs.add_parser("capture", help="render-only vs end-to-end capture fps for one realistic house")
    bc.add_argument("--seed", type=T.SEED, default=0)
    bc.add_argument("--frames", type=T.POSITIVE, default=300, help="frames to time")
    _add_capture_args(bc)
    bc.set_defaults(func=cmd_bench)
    bv = bs.add_parser("video", help="video size, bitrate, encoder CPU and PSNR at crf 23 and at target bitrates")
    bv.add_argument("--seed", type=T.SEED, default=0)
    bv.add_argument("--frames", type=T.POSITIVE, default=300, help="frames to encode")
    bv.add_argument("--kbps", type=T.int_in(20, 100_000), nargs="*", default=[700, 350],
                    help="target bitrates to compare with crf 23 (kbit/s)")
    _add_capture_args(bv)
    bv.set_defaults(func=cmd_bench_video)
    bk = bs.add_parser("look", help="shadows, luminance range and wall colours on 200 fixed frames (vs a baseline)")
    bk.add_argument("--baseline", help="another checkout (e.g. /work/main) whose renderer gives the before figures")
    bk.add_argument("--sheets", help="folder for before/after contact sheets (needs --baseline)")
    _add_capture_args(bk)
    bk.set_defaults(func=cmd_bench_look)
    bp = bs.add_parser("parity", help="the same frames on two machines: write a reference set here, compare another "
                                      "machine's (a GPU's) against it; exit 1 outside the tolerance")
    bp.add_argument("--write", dest="write_to", metavar="FILE", help="save this machine's frames (an .npz) as a reference")
    bp.add_argument("--against", metavar="FILE", help="compare this machine's frames with a reference written by --write")
    bp.add_argument("--frames", type=T.int_in(4, 200), default=24, help="frames (spread over 4 houses of seed 0)")
    _add_capture_args(bp)
    bp.set_defaults(func=cmd_bench_parity)
    bg = bs.add_parser("generate", help="houses/h and fps of `simsv generate`: one process vs a local Ray on all cores")
    bg.add_argument("--houses", type=T.HOUSES, default=4, help="houses per timed run")
    bg.add_argument("--seed", type=T.SEED, default=0)
    _add_capture_args(bg)
    bg.set_defaults(func=cmd_bench_generate)
    bq = bs.add_parser("qa", help="QA records per second from a corpus's stored metadata")
    bq.add_argument("--corpus", required=True)
    bq.add_argument("--repeats", type=T.int_in(1, 1000), default=3)
    bq.add_argument("--workers", type=T.WORKERS, default=1, help="also time this many processes")
    bq.set_defaults(func=cmd_bench_qa)
    bl = bs.add_parser("load", help="frames/s sampling K frames per row from an exported Hub folder")
    bl.add_argument("--folder", required=True, help="a folder written by `simsv export`")
    bl.add_argument("--config", default="3q")
    bl.add_argument("--frames", type=T.int_in(1, 1024), default=32, help="frames sampled per row")
    bl.add_argument("--rows", type=T.POSITIVE, default=64, help="rows to time")
    bl.set_defaults(func=cmd_bench_load)

    def qa_args(q):
        q.add_argument("--corpus", required=True, help="a folder written by `simsv generate`")
        q.add_argument("--config", help="QA config JSON (fields of builder/qa/config.py QAConfig)")
        q.add_argument("--seed", type=T.SEED, help="QA seed (default: the config's, 0)")
        q.add_argument("--questions-per-type", type=T.COUNT, help="per walkthrough, type and format")
        q.add_argument("--questions-per-room", type=T.COUNT, help="per room clip, type and format")
        q.add_argument("--quiet", action="store_true", help="no progress bars")

    q = sub.add_parser("qa", help="question-answer records from a corpus's ground truth")
    qa_args(q)
    q.add_argument("--types", nargs="+", help="only these question types")
    q.add_argument("--no-clips", action="store_true", help="do not write room clip videos")
    q.add_argument("--workers", type=T.WORKERS, default=1, help="processes (houses run in parallel; same output)")
    q.set_defaults(func=cmd_qa)

    qp = sub.add_parser("qa-priors", help="measure the answer distributions numeric MC distractors come from, "
                        "on generated (not rendered) houses")
    qp.add_argument("--config", help="QA config JSON (its max_count and min_abs_distance_m apply)")
    qp.add_argument("--seed", type=T.SEED, help="house seed (default 12345, which no corpus uses by default)")
    qp.add_argument("--layout-houses", type=T.HOUSES, help="houses whose room areas, counts and object sizes are "
                    "measured (default 2000)")
    qp.add_argument("--distance-houses", type=T.int_in(0, 1_000_000), help="houses whose mesh distances are measured (seconds "
                    "each; default 150; 0: no multiple-choice absolute distances)")
    qp.add_argument("--reference", metavar="CORPUS", help="a rendered corpus (not the one you audit) whose "
                    "open-ended answers correct for what questions select (docs/qa-format.md)")
    qp.add_argument("--reference-name", help="how the file names the reference (default: its folder name)")
    qp.add_argument("--questions-per-type", type=T.COUNT, help="reference QA pass: per walkthrough, type and format")
    qp.add_argument("--questions-per-room", type=T.COUNT, help="reference QA pass: per room clip, type and format")
    qp.add_argument("--workers", type=T.WORKERS, default=1, help="reference QA pass: processes")
    qp.add_argument("--quiet", action="store_true", help="no progress lines")
    qp.add_argument("--out", default=str(Path(__file__).parent / "qa" / "answer_priors.json"))
    qp.set_defaults(func=cmd_qa_priors)

    m = sub.add_parser("mix", help="sample mixes (3q, vsi_baseline, all, per type) with held-out houses")
    m.add_argument("--corpus", required=True)
    m.add_argument("--mix", nargs="+", default=["every"], help="mix names, or `every` (default)")
    m.add_argument("--size", type=T.POSITIVE, help="train records per mix (default: as many as the proportions allow)")
    m.add_argument("--seed", type=T.SEED, default=0)
    m.add_argument("--validation", type=T.FRACTION, default=0.05,
                   help="fraction of houses held out for validation, in [0, 1)")
    m.add_argument("--test", type=T.FRACTION, default=0.05, help="fraction of houses held out for test, in [0, 1)")
    m.set_defaults(func=cmd_mix)

    bu = sub.add_parser("build", help="from nothing to a loadable Hub folder: generate, qa, mix, export")
    bu.add_argument("--preset", default="demo", choices=PRESETS, help="demo (minutes) or paper (the paper's scale)")
    bu.add_argument("--out", required=True, help="folder for corpus/ and sims-vsi/ (resumable)")
    bu.add_argument("--seed", type=T.SEED, default=0)
    bu.add_argument("--workers", type=T.WORKERS, default=1, help="processes for the QA stage")
    bu.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS", help=RAY_HELP)
    bu.add_argument("--houses", type=T.HOUSES, help="override the preset's house count")
    bu.add_argument("--trajectories", type=T.TRAJECTORIES, help="override walkthroughs per house")
    bu.add_argument("--width", type=T.WIDTH, help="override the frame width")
    bu.add_argument("--height", type=T.HEIGHT, help="override the frame height")
    bu.add_argument("--camera", choices=("handheld", "paper"), help="override the preset's camera profile (docs/realism.md)")
    bu.add_argument("--size", type=T.POSITIVE, help="override the train size of each weighted mix")
    bu.add_argument("--quiet", action="store_true", help="no progress bars")
    bu.set_defaults(func=cmd_build)

    pv = sub.add_parser("preview", help="static HTML page: videos, frame strips, maps and their questions")
    pv.add_argument("--corpus", required=True, help="a corpus after `simsv qa`")
    pv.add_argument("--out", required=True, help="folder for index.html and frame images")
    pv.add_argument("--videos", type=T.int_in(1, 1000), default=6, help="videos shown")
    pv.set_defaults(func=cmd_preview)

    ex = sub.add_parser("export", help="write the Hub folder (videos once, QA parquet per config, README configs)")
    ex.add_argument("--corpus", required=True, help="a corpus after `simsv qa` and `simsv mix`")
    ex.add_argument("--out", required=True, help="the folder to write (replaced whole)")
    ex.add_argument("--repo", default="simsv/sims-vsi", help="repo id the card's loading example names")
    ex.set_defaults(func=cmd_export)

    pu = sub.add_parser("push", help="upload an exported Hub folder to a dataset repo (token from HF_TOKEN)")
    pu.add_argument("--folder", required=True, help="a folder written by `simsv export`")
    pu.add_argument("--repo", required=True, help="dataset repo id, e.g. simsv/sims-vsi")
    pu.add_argument("--private", action="store_true", help="create the repo private (if it does not exist)")
    pu.add_argument("--revision", default="main", help="branch to commit to")
    pu.set_defaults(func=cmd_push)

    au = sub.add_parser("audit", help="answer distributions and blind baselines per question type")
    au.add_argument("--corpus", help="corpus whose qa/records.parquet to audit")
    au.add_argument("--records", help="a records parquet instead")
    au.add_argument("--seed", type=T.SEED, default=0, help="seed of the house folds")
    au.add_argument("--folds", type=T.int_in(2, 1000), default=5, help="cross-validation folds over houses")
    au.add_argument("--tolerance", type=T.float_in(0, 100), default=5.0,
                    help="allowed blind accuracy above chance, points")
    au.add_argument("--out", help="also write the Markdown report here")
    au.set_defaults(func=cmd_audit)
    return p


def error_line(e: BaseException) -> str:
    """One line for an error: file-system errors name their path; our own errors already name
    their file or flag; anything else says its type and where the traceback is."""
    if isinstance(e, OSError) and not isinstance(e, FileNotFoundError) and e.strerror:
        where = e.filename if e.filename is not None else "(no path)"
        also = f" -> {e.filename2}" if e.filename2 else ""
        return f"{where}{also}: {e.strerror}"
    if isinstance(e, FileNotFoundError) and e.strerror and e.filename is not None:
        return f"{e.filename}: {e.strerror}"
    if isinstance(e, (ValueError, RuntimeError, FileNotFoundError)):
        return str(e)
    return f"{type(e).__name__}: {e} (run with -v for the traceback)"


def cmd_check_rules(a) -> int:
    from builder.houses import check
    if a.generate is not None:  # its range (>= 1) is checked while parsing
        from builder.assets import default_catalog
        houses = check.generated_houses(a.generate, a.seed, default_catalog(), progress=sys.stderr)
    else:
        houses = check.corpus_houses(Path(a.corpus))
    return 1 if check.run(houses) else 0


def main(argv=None) -> int:
    a = make_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if a.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return a.func(a)
    except KeyboardInterrupt:
        print("simsv: interrupted (rerun the same command to resume)", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - one line, not a traceback, unless -v
        if a.verbose:
            import traceback

            traceback.print_exc()
        print(f"simsv: error: {error_line(e)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
