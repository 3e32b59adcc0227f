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
import re
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from pathlib import Path

from eval import results
from eval.benchmarks import SUITES
from eval.profiles import PROFILES, protocol
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
# A file only the Hub release of VSI-Bench has: a local folder holding it is checked against the
# release's row counts like the Hub copy; other VSI-Bench-shaped folders (generated data) are not.
RELEASE_MARKER = "pruned_ids.txt"
# What a local `--data` folder must hold, per task: a file name, or a glob one file must match.
DATA_FILES = {
    "simsv_vsibench": ("README.md", "**/*.parquet"),
    "simsv_vsibench_debiased": ("README.md", "**/*.parquet"),
    "simsv_heldout": ("README.md", "**/*.parquet"),
    "simsv_openeqa": ("open-eqa-v0.json",),
}
# simsv_llava's constructor arguments (anything else is a typo that would be silently ignored)
SIMSV_LLAVA_ARGS = {"pretrained", "layout", "num_frames", "profile", "device", "dtype"}
OPENEQA_PROMPTS = ("prompts/mmbench.txt", "prompts/mmbench-extra.txt")


class InputError(Exception):
    """A bad flag or file, found before anything is written: one line naming it."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line on stderr (it names the flag), not usage + message."""

    def error(self, message):
        self.exit(2, f"error: {message} (see --help)\n")


def our_tasks() -> dict[str, Path]:
    """Task name -> yaml, for every task in eval/tasks (files starting with `_` are shared parts)."""
    found = {}
    for f in sorted(TASKS_DIR.rglob("*.yaml")):
        for line in f.read_text().splitlines():
            if line.startswith("task:"):
                found[line.split(":", 1)[1].strip().strip("'\"")] = f
    return found


def builtin_tasks() -> set[str]:
    """Task and group names lmms-eval ships, read from its yaml files (no import: ~0.1 s)."""
    spec = find_spec("lmms_eval")
    if spec is None or not spec.submodule_search_locations:
        return set()
    names = set()
    for folder in spec.submodule_search_locations:
        for f in Path(folder, "tasks").rglob("*.yaml"):
            for line in f.read_text(errors="replace").splitlines():
                m = re.match(r"^(task|group):\s*['\"]?([\w.-]+)", line)
                if m:
                    names.add(m.group(2))
    return names


def parse_args(argv=None) -> argparse.Namespace:
    p = OneLineParser(prog="python -m eval.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="lmms-eval model name, e.g. simsv_llava, llava_hf")
    p.add_argument("--model_args", default="", help="comma-separated key=value, passed to the model")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--suite", choices=sorted(SUITES), help="a named set of tasks")
    which.add_argument("--tasks", help="comma-separated lmms-eval task names")
    p.add_argument("--out", required=True, type=Path, help="folder for lmms-eval's files and simsv_results.json")
    p.add_argument("--label", help="the run's name in tables (default: the checkpoint folder or the model)")
    p.add_argument("--profile", choices=PROFILES,
                   help="simsv_llava's evaluation protocol: train (the checkpoint's own layout, default) or paper "
                        "(lmms-eval's llava_vid / llava_onevision defaults, as the published numbers)")
    p.add_argument("--data", action="append", default=[], metavar="TASK=PATH",
                   help="read TASK's dataset from a local folder instead of the Hub (repeatable)")
    p.add_argument("--parser", default=DEFAULT_PARSER, choices=sorted(NUMERIC_PARSERS),
                   help="how numbers are read from free-text answers (default %(default)s, lmms-eval 0.7's)")
    p.add_argument("--openeqa-repo", type=Path,
                   help="your open-eqa checkout: the judge reads its prompts/mmbench*.txt (OpenEQA's LLM-Match)")
    p.add_argument("--judge-url", help="OpenAI-compatible base URL of the OpenEQA judge, e.g. https://api.openai.com/v1 "
                                       "(key from SIMSV_JUDGE_API_KEY or OPENAI_API_KEY)")
    p.add_argument("--judge-model", help="the judge model (default gpt-4-1106-preview, the OpenEQA paper's)")
    p.add_argument("--limit", type=int, help="first N questions per task (smoke tests only: not a real score)")
    p.add_argument("--num_processes", type=int, default=1, help=">1 runs under `accelerate launch`")
    p.add_argument("--batch_size", default="1")
    p.add_argument("-v", "--verbose", action="store_true", help="tracebacks and lmms-eval's full console output")
    return p.parse_args(argv)


# ------------------------------------------------------------------------------ input checks


def model_args_dict(model_args: str) -> dict[str, str]:
    return dict(kv.split("=", 1) for kv in model_args.split(",") if "=" in kv)


def check_model_args(text: str) -> dict[str, str]:
    out = {}
    for item in (i.strip() for i in text.split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--model_args {item!r}: expected key=value")
        if key in out:
            raise InputError(f"--model_args: {key!r} given twice")
        out[key.strip()] = value
    return out


def _positive_int(flag: str, value, name: str | None = None) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if n < 1 or str(value).strip() != str(n):
        raise InputError(f"{flag} {name + '=' if name else ''}{value}: expected an integer >= 1")
    return n


def check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    existing = out
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"--out {out}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"--out {out}: cannot write in {existing} (permission denied)")


def check_model(args, margs: dict[str, str]) -> None:
    try:
        from lmms_eval.models import MODEL_REGISTRY_V2
    except ImportError as e:
        raise InputError(f"--model {args.model}: lmms-eval cannot be imported ({e}); scripts/install.sh installs it")
    known = set(MODEL_REGISTRY_V2.list_model_names())
    if args.model not in known:
        raise InputError(f"--model {args.model}: not an lmms-eval model (ours: simsv_llava, simsv_oracle; "
                         f"e.g. {', '.join(sorted(known)[:6])}, ...)")
    if args.model != "simsv_llava":
        if args.profile:
            raise InputError(f"--profile {args.profile}: only --model simsv_llava has evaluation profiles")
        return
    unknown = sorted(set(margs) - SIMSV_LLAVA_ARGS)
    if unknown:
        raise InputError(f"--model_args {unknown[0]}=...: simsv_llava takes {', '.join(sorted(SIMSV_LLAVA_ARGS))}")
    if "pretrained" not in margs or not margs["pretrained"]:
        raise InputError("--model_args: simsv_llava needs pretrained=<checkpoint folder>")
    ckpt = Path(margs["pretrained"]).expanduser()
    hub_id = re.fullmatch(r"[\w.-]+/[\w.-]+", margs["pretrained"]) and not ckpt.exists()
    if not hub_id or os.environ.get("HF_HUB_OFFLINE") == "1":
        if not ckpt.is_dir():
            raise InputError(f"--model_args pretrained={margs['pretrained']}: no such checkpoint folder")
        if not (ckpt / "config.json").is_file():
            raise InputError(f"--model_args pretrained={margs['pretrained']}: {ckpt / 'config.json'} not found "
                             "(not a saved model folder)")
    if "num_frames" in margs:
        _positive_int("--model_args", margs["num_frames"], "num_frames")
    from train.layouts import LAYOUTS

    if "layout" in margs and margs["layout"] not in LAYOUTS:
        raise InputError(f"--model_args layout={margs['layout']}: expected one of {', '.join(LAYOUTS)}")
    if "profile" in margs:
        if margs["profile"] not in PROFILES:
            raise InputError(f"--model_args profile={margs['profile']}: expected one of {', '.join(PROFILES)}")
        if args.profile and args.profile != margs["profile"]:
            raise InputError(f"--profile {args.profile} contradicts --model_args profile={margs['profile']}")


def check_tasks(args) -> list[str]:
    tasks = list(SUITES[args.suite]) if args.suite else [t.strip() for t in args.tasks.split(",") if t.strip()]
    if not tasks:
        raise InputError(f"--tasks {args.tasks!r}: no task named")
    if len(set(tasks)) != len(tasks):
        raise InputError(f"--tasks: {sorted(t for t in tasks if tasks.count(t) > 1)[0]} named twice")
    known = set(our_tasks()) | builtin_tasks()
    for t in tasks:
        if t not in known:
            import difflib

            close = difflib.get_close_matches(t, known, n=3)
            raise InputError(f"--tasks {t}: no such lmms-eval task" + (f" (did you mean {', '.join(close)}?)" if close
                                                                       else ""))
    return tasks


def check_data(args, tasks: list[str]) -> dict[str, Path]:
    data = {}
    for item in args.data:
        task, sep, path = item.partition("=")
        if not sep or not task or not path:
            raise InputError(f"--data {item!r}: expected TASK=PATH")
        if task not in tasks:
            raise InputError(f"--data {item!r}: task {task!r} is not among the tasks run ({', '.join(tasks)})")
        if task not in our_tasks():
            raise InputError(f"--data {item!r}: only our simsv_* tasks take local data; built-in tasks read "
                             "lmms-eval's own locations")
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise InputError(f"--data {item!r}: {path} " + ("is not a folder" if folder.exists() else "does not exist"))
        wanted = DATA_FILES.get(task, ())
        if wanted and not any((folder / w).is_file() if "*" not in w else next(folder.glob(w), None) for w in wanted):
            raise InputError(f"--data {item!r}: {path} holds none of {', '.join(wanted)}")
        data[task] = folder.resolve()
    return data


def check_judge(args, tasks: list[str]) -> None:
    if not (args.openeqa_repo or args.judge_url or args.judge_model):
        return
    if "simsv_openeqa" not in tasks:
        flag = "--openeqa-repo" if args.openeqa_repo else "--judge-url" if args.judge_url else "--judge-model"
        raise InputError(f"{flag}: only simsv_openeqa uses the judge, and it is not among the tasks run")
    if args.judge_model and not args.judge_url:
        raise InputError("--judge-model: needs --judge-url")
    if args.judge_url and not re.match(r"https?://[^/\s]+", args.judge_url):
        raise InputError(f"--judge-url {args.judge_url}: expected an http(s):// base URL")
    repo = args.openeqa_repo or (Path(os.environ["SIMSV_OPENEQA_REPO"]) if os.environ.get("SIMSV_OPENEQA_REPO")
                                 else None)
    if args.judge_url and repo is None:
        raise InputError("--judge-url: needs --openeqa-repo (your open-eqa checkout; its prompts are the judge's)")
    if repo is not None:
        for rel in OPENEQA_PROMPTS:
            if not (repo / rel).is_file():
                raise InputError(f"--openeqa-repo {repo}: {repo / rel} not found (a facebookresearch/open-eqa checkout "
                                 "has it)")


def check(args) -> tuple[list[str], dict[str, Path], dict[str, str]]:
    """Tasks, local data folders and model arguments, or InputError naming the bad flag or file.
    Nothing is written before this passes."""
    check_out(args.out)
    if args.limit is not None:
        _positive_int("--limit", args.limit)
    _positive_int("--num_processes", args.num_processes)
    if not re.fullmatch(r"auto(:\d+)?", str(args.batch_size)):
        _positive_int("--batch_size", args.batch_size)
    margs = check_model_args(args.model_args)
    tasks = check_tasks(args)
    data = check_data(args, tasks)
    check_judge(args, tasks)
    check_model(args, margs)
    return tasks, data, margs


# ------------------------------------------------------------------------------ running lmms-eval


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
        if task in HUB_ONLY_KWARGS and not (root / RELEASE_MARKER).is_file():
            env.setdefault("SIMSV_VSIBENCH_ROWS", "any")  # not a copy of the release: no row counts to hold it to
    if args.openeqa_repo:
        env["SIMSV_OPENEQA_REPO"] = str(args.openeqa_repo.resolve())
    if args.judge_url:
        env["SIMSV_JUDGE_URL"] = args.judge_url
    if args.judge_model:
        env["SIMSV_JUDGE_MODEL"] = args.judge_model
    return env


def command(args, tasks: list[str], include: Path, lmms_out: Path) -> list[str]:
    head = [sys.executable, "-m", "lmms_eval"]
    if args.num_processes > 1:
        head = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(args.num_processes),
                "-m", "lmms_eval"]
    cmd = head + ["--model", args.model, "--tasks", ",".join(tasks), "--include_path", str(include),
                  "--batch_size", str(args.batch_size), "--output_path", str(lmms_out), "--log_samples"]
    model_args = args.model_args
    if args.profile:
        model_args = ",".join(x for x in (model_args, f"profile={args.profile}") if x)
    if model_args:
        cmd += ["--model_args", model_args]
    if args.limit is not None:
        cmd += ["--limit", str(args.limit)]
    return cmd


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)): (.+)$")
_WRAPPERS = ("RetryError",)
CAUSE_CHARS = 400  # some causes list hundreds of file extensions  # tenacity's wrapper: the exception it wraps is the cause


def lmms_cause(log: str) -> str | None:
    """The last exception lmms-eval printed, skipping wrappers: why a task failed, in one line."""
    found = None
    for line in _ANSI.sub("", log).splitlines():
        m = _EXCEPTION.match(line.strip())
        if m and not m.group(1).endswith(_WRAPPERS):
            found = f"{m.group(1)}: {m.group(2)}"
    return found if found is None or len(found) <= CAUSE_CHARS else found[:CAUSE_CHARS] + "..."


def run_lmms_eval(cmd: list[str], env: dict, log: Path, verbose: bool) -> int:
    """lmms-eval in a subprocess: everything into the log; on the console its progress, without
    tracebacks unless verbose (the cause is summarised afterwards)."""
    with log.open("w") as f:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        in_traceback = False
        for line in proc.stdout:
            f.write(line)
            if not verbose:
                if line.startswith("Traceback (most recent call last)"):
                    in_traceback = True
                if in_traceback:
                    in_traceback = not _EXCEPTION.match(_ANSI.sub("", line).strip())
                    continue
            sys.stdout.write(line)
        return proc.wait()


def frames_used(margs: dict[str, str], proto) -> int | None:
    """The frame count the model sampled: its protocol, its own argument, or the checkpoint's record."""
    if proto is not None:
        return proto.frames
    for key in ("num_frames", "max_frames_num", "max_num_frames"):
        if key in margs:
            return int(margs[key])
    saved = Path(margs.get("pretrained", "")) / "simsv_video.json"
    return json.loads(saved.read_text()).get("frames") if saved.is_file() else None


def model_protocol(args, margs: dict[str, str]):
    """simsv_llava's evaluation protocol, as the plugin will resolve it; None for other models."""
    if args.model != "simsv_llava":
        return None, None
    folder = Path(margs["pretrained"]).expanduser()
    saved_file = folder / "simsv_video.json"
    saved = json.loads(saved_file.read_text()) if saved_file.is_file() else {}
    proto = protocol(args.profile or margs.get("profile", "train"), margs.get("layout") or saved.get("layout", "onevision"),
                     int(saved.get("frames", 32)))
    if "num_frames" in margs:
        import dataclasses

        proto = dataclasses.replace(proto, frames=int(margs["num_frames"]))
    grid = None
    config = folder / "config.json"
    if config.is_file():
        vision = json.loads(config.read_text()).get("vision_config", {})
        if vision.get("image_size") and vision.get("patch_size"):
            grid = vision["image_size"] // vision["patch_size"]
    return proto, proto.describe(grid)


def judge_record(args) -> dict | None:
    """What scored OpenEQA's LLM-Match (never the key), or None without a judge."""
    from eval.judge import DEFAULT_MODEL, MAX_TOKENS, SEED, TEMPERATURE, Prompts

    url = args.judge_url or os.environ.get("SIMSV_JUDGE_URL")
    repo = args.openeqa_repo or os.environ.get("SIMSV_OPENEQA_REPO")
    if not url or not repo:
        return None
    return {"url": url, "model": args.judge_model or os.environ.get("SIMSV_JUDGE_MODEL") or DEFAULT_MODEL,
            "temperature": TEMPERATURE, "max_tokens": MAX_TOKENS, "seed": SEED,
            "openeqa_repo": str(Path(repo).resolve()), "prompts": Prompts.from_checkout(repo).sources}


def package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


HEADLINES = ("overall", "debiased_overall", "llm_match", "proxy_token_f1", "score", "videomme_perception_score",
             "mme_realworld_score")


def run(args) -> int:
    tasks, data, margs = check(args)
    proto, proto_record = model_protocol(args, margs)
    args.out.mkdir(parents=True, exist_ok=True)
    lmms_out = args.out / "lmms_eval"
    cmd = command(args, tasks, task_folder(args.out, data), lmms_out)
    print("running:", " ".join(cmd), flush=True)
    log = args.out / "lmms_eval.log"
    returncode = run_lmms_eval(cmd, environment(args, data), log, args.verbose)
    per_task, problems = results.collect(lmms_out, tasks) if returncode == 0 else (
        {}, [f"lmms-eval exited with {returncode}"])
    if "simsv_openeqa" in per_task:
        per_task["simsv_openeqa"]["judge"] = judge_record(args)
    label = args.label or (Path(margs["pretrained"]).name if "pretrained" in margs else args.model)
    record = {"label": label, "model": args.model, "model_args": args.model_args,
              "lmms_eval_version": package_version("lmms-eval"), "frames": frames_used(margs, proto),
              "profile": proto.profile if proto else None, "protocol": proto_record,
              "numeric_parser": args.parser, "limit": args.limit, "tasks": per_task, "problems": problems,
              "local_data": {t: str(p) for t, p in sorted(data.items())}}
    results.write(args.out / "simsv_results.json", record)
    for task, res in per_task.items():
        missing = res["missing"]
        note = f"  (no questions for: {', '.join(missing['types'])})" if missing and missing["types"] else ""
        head = {k: v for k, v in res["metrics"].items() if k in HEADLINES}
        print(f"{task}: {head}{note}")
    if proto:
        print(f"protocol: {proto.profile} ({proto.reproduces}; {proto.frames} frames, {proto.pooling} pooling, "
              f"{'with' if proto.time_instruction else 'no'} time instruction)")
    if args.limit is not None:
        print(f"note: --limit {args.limit}: smoke-test scores, not comparable to published numbers")
    if problems:
        cause = lmms_cause(log.read_text(errors="replace"))
        print("error: evaluation incomplete: " + "; ".join(problems)
              + (f"; lmms-eval: {cause}" if cause else "") + f" (full log: {log})", file=sys.stderr)
        return 1
    print(f"wrote {args.out / 'simsv_results.json'}")
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # one line unless -v: the cause, not our stack
        if args.verbose:
            raise
        print(f"error: {type(e).__name__}: {e} (rerun with -v for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
