"""Run an evaluation suite through lmms-eval and keep a complete, checked record of it.

    python -m eval.run --model simsv_llava --model_args pretrained=runs/ov-3q --suite vsibench \\
        --out results/ov-3q
    python -m eval.run --model simsv_llava --model_args pretrained=runs/ov-3q --suite paper \\
        --num_processes 8 --out results/ov-3q          # accelerate launch, one process per GPU
    python -m eval.run ... --tasks simsv_heldout --data simsv_heldout=demo/sims-vsi   # local data

It calls the `lmms-eval` CLI with our task folder (`--include_path`), then reads the results:
the exit code is non-zero when any task failed, was not found or produced no headline metric
(lmms-eval itself exits 0 then). `<out>/simsv_results.json` records the scores with the
lmms-eval version, datasets and revisions, frames and numeric parser; `python -m eval.table`
turns several of them into the paper's table.

Built-in tasks (`videomme`, `egoschema_subset`) run as lmms-eval ships them; see
eval/README.md for their data and what we did not run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from eval import results
from eval.benchmarks import SUITES
from eval.scoring import PARSER_ENV
from simsv_vsi.metrics import DEFAULT_PARSER, NUMERIC_PARSERS

TASKS_DIR = Path(__file__).resolve().parent / "tasks"
# Where each task given `--data DIR` finds its videos: the variable its hooks read (set to
# DIR/<subfolder> unless the user set it). SIMS-VSI's own rows carry their video paths.
VIDEO_ROOTS = {
    "simsv_vsibench": ("SIMSV_VSIBENCH_VIDEOS", "."),
    "simsv_vsibench_debiased": ("SIMSV_VSIBENCH_VIDEOS", "."),
    "simsv_openeqa": ("SIMSV_OPENEQA_VIDEOS", "videos"),
}
# Tasks whose `dataset_kwargs` are about the Hub copy (pinned revision, video archive download)
# and must be dropped for a local folder; others keep theirs (OpenEQA's names its JSON file).
HUB_ONLY_KWARGS = {"simsv_vsibench", "simsv_vsibench_debiased"}


def our_tasks() -> dict[str, Path]:
    """Task name -> yaml, for every task in eval/tasks (files starting with `_` are shared parts)."""
    found = {}
    for f in sorted(TASKS_DIR.rglob("*.yaml")):
        for line in f.read_text().splitlines():
            if line.startswith("task:"):
                found[line.split(":", 1)[1].strip().strip("'\"")] = f
    return found


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m eval.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="lmms-eval model name, e.g. simsv_llava, llava_hf")
    p.add_argument("--model_args", default="", help="comma-separated key=value, passed to the model")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--suite", choices=sorted(SUITES), help="a named set of tasks")
    which.add_argument("--tasks", help="comma-separated lmms-eval task names")
    p.add_argument("--out", required=True, type=Path, help="folder for lmms-eval's files and simsv_results.json")
    p.add_argument("--label", help="the run's name in tables (default: the checkpoint folder or the model)")
    p.add_argument("--data", action="append", default=[], metavar="TASK=PATH",
                   help="read TASK's dataset from a local folder instead of the Hub (repeatable)")
    p.add_argument("--parser", default=DEFAULT_PARSER, choices=sorted(NUMERIC_PARSERS),
                   help="how numbers are read from free-text answers (default %(default)s, lmms-eval 0.7's)")
    p.add_argument("--limit", type=int, help="first N questions per task (smoke tests only: not a real score)")
    p.add_argument("--num_processes", type=int, default=1, help=">1 runs under `accelerate launch`")
    p.add_argument("--batch_size", default="1")
    return p.parse_args(argv)


def check(args) -> tuple[list[str], dict[str, Path]]:
    """Tasks to run and local data folders, or SystemExit(2) naming the bad flag."""
    tasks = list(SUITES[args.suite]) if args.suite else [t for t in args.tasks.split(",") if t]
    data = {}
    for item in args.data:
        task, sep, path = item.partition("=")
        if not sep or not task or not path:
            sys.exit(f"error: --data {item!r}: expected TASK=PATH")
        if task not in tasks:
            sys.exit(f"error: --data {item!r}: task {task!r} is not among the tasks run ({', '.join(tasks)})")
        if task not in our_tasks():
            sys.exit(f"error: --data {item!r}: only our simsv_* tasks take local data; built-in tasks read "
                     "lmms-eval's own locations")
        if not Path(path).exists():
            sys.exit(f"error: --data {item!r}: {path} does not exist")
        data[task] = Path(path).resolve()
    return tasks, data


def task_folder(out: Path, data: dict[str, Path]) -> Path:
    """An include folder where every one of our tasks is a small yaml that includes the original
    and, for tasks given `--data`, points `dataset_path` at the local folder. (Passing eval/tasks
    as well would register each task twice.)"""
    folder = out / "tasks"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.yaml"):
        old.unlink()
    for task, yaml_path in our_tasks().items():
        lines = [f"include: {yaml_path}"]
        if task in data:
            lines.append(f"dataset_path: {data[task]}")
            if task in HUB_ONLY_KWARGS:
                lines.append("dataset_kwargs: {}")
        (folder / f"{task}.yaml").write_text("\n".join(lines) + "\n")
    return folder


def environment(args, data: dict[str, Path]) -> dict[str, str]:
    env = {**os.environ, PARSER_ENV: args.parser}
    for task, root in data.items():
        if task in VIDEO_ROOTS:
            var, sub = VIDEO_ROOTS[task]
            env.setdefault(var, str((root / sub).resolve()))
    return env


def command(args, tasks: list[str], include: Path, lmms_out: Path) -> list[str]:
    head = [sys.executable, "-m", "lmms_eval"]
    if args.num_processes > 1:
        head = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(args.num_processes),
                "-m", "lmms_eval"]
    cmd = head + ["--model", args.model, "--tasks", ",".join(tasks), "--include_path", str(include),
                  "--batch_size", str(args.batch_size), "--output_path", str(lmms_out), "--log_samples"]
    if args.model_args:
        cmd += ["--model_args", args.model_args]
    if args.limit is not None:
        cmd += ["--limit", str(args.limit)]
    return cmd


def model_args_dict(model_args: str) -> dict[str, str]:
    return dict(kv.split("=", 1) for kv in model_args.split(",") if "=" in kv)


def frames_used(model_args: dict[str, str]) -> int | None:
    """The frame count the model sampled: its own argument, or what our checkpoint records."""
    for key in ("num_frames", "max_frames_num", "max_num_frames"):
        if key in model_args:
            return int(model_args[key])
    saved = Path(model_args.get("pretrained", "")) / "simsv_video.json"
    return json.loads(saved.read_text()).get("frames") if saved.is_file() else None


def package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def main(argv=None) -> int:
    args = parse_args(argv)
    tasks, data = check(args)
    args.out.mkdir(parents=True, exist_ok=True)
    lmms_out = args.out / "lmms_eval"
    cmd = command(args, tasks, task_folder(args.out, data), lmms_out)
    print("running:", " ".join(cmd), flush=True)
    log = args.out / "lmms_eval.log"
    with log.open("w") as f:  # lmms-eval's own progress goes to the console and the log
        proc = subprocess.Popen(cmd, env=environment(args, data), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        for line in proc.stdout:
            sys.stdout.write(line)
            f.write(line)
        proc.wait()
    per_task, problems = results.collect(lmms_out, tasks) if proc.returncode == 0 else (
        {}, [f"lmms-eval exited with {proc.returncode}"])
    margs = model_args_dict(args.model_args)
    label = args.label or (Path(margs["pretrained"]).name if "pretrained" in margs else args.model)
    record = {"label": label, "model": args.model, "model_args": args.model_args,
              "lmms_eval_version": package_version("lmms-eval"), "frames": frames_used(margs),
              "numeric_parser": args.parser, "limit": args.limit, "tasks": per_task, "problems": problems,
              "local_data": {t: str(p) for t, p in sorted(data.items())}}
    results.write(args.out / "simsv_results.json", record)
    for task, res in per_task.items():
        missing = res["missing"]
        note = f"  (no questions for: {', '.join(missing['types'])})" if missing and missing["types"] else ""
        head = {k: v for k, v in res["metrics"].items() if k in ("overall", "debiased_overall", "llm_match",
                                                                  "proxy_token_f1", "score", "videomme_perception_score")}
        print(f"{task}: {head}{note}")
    if args.limit is not None:
        print(f"note: --limit {args.limit}: smoke-test scores, not comparable to published numbers")
    if problems:
        print("evaluation incomplete:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(f"wrote {args.out / 'simsv_results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
