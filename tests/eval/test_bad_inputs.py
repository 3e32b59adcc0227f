"""`python -m eval.run` on bad input: one line on stderr naming the flag or file, a non-zero exit,
no traceback, and nothing written (checked before lmms-eval starts). Calls `main()` in-process
for speed; one case goes through the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eval.run import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(tmp_path, monkeypatch):
    """Valid pieces to break one at a time: a checkpoint folder, data folders, an open-eqa checkout."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for var in ("SIMSV_OPENEQA_REPO", "SIMSV_JUDGE_URL", "SIMSV_JUDGE_MODEL"):
        monkeypatch.delenv(var, raising=False)
    w = {"tmp": tmp_path, "out": tmp_path / "out"}
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "config.json").write_text(json.dumps({"vision_config": {"image_size": 384, "patch_size": 14}}))
    (tmp_path / "not_a_ckpt").mkdir()
    (tmp_path / "empty").mkdir()
    (tmp_path / "vsib").mkdir()
    (tmp_path / "vsib" / "README.md").write_text("---\n---\n")
    (tmp_path / "eqa").mkdir()
    (tmp_path / "eqa" / "open-eqa-v0.json").write_text("[]")
    (tmp_path / "open-eqa" / "prompts").mkdir(parents=True)
    (tmp_path / "open-eqa" / "prompts" / "mmbench.txt").write_text("{question}")
    (tmp_path / "a_file").write_text("not a folder")
    return w


def fill(arg: str, w: dict) -> str:
    return arg.format(tmp=w["tmp"])


VSIB = ["--tasks", "simsv_vsibench"]
EQA = ["--tasks", "simsv_openeqa", "--data", "simsv_openeqa={tmp}/eqa"]
LLAVA = ["--model", "simsv_llava"]

# (id, arguments after --out, the flag or file the message must name)
CASES = [
    ("limit-zero", ["--model", "dummy", *VSIB, "--limit", "0"], "--limit 0"),
    ("limit-text", ["--model", "dummy", *VSIB, "--limit", "ten"], "--limit"),
    ("processes-zero", ["--model", "dummy", *VSIB, "--num_processes", "0"], "--num_processes 0"),
    ("batch-zero", ["--model", "dummy", *VSIB, "--batch_size", "0"], "--batch_size 0"),
    ("batch-text", ["--model", "dummy", *VSIB, "--batch_size", "many"], "--batch_size many"),
    ("model-args-no-equals", ["--model", "dummy", *VSIB, "--model_args", "response"], "--model_args 'response'"),
    ("model-args-twice", ["--model", "dummy", *VSIB, "--model_args", "response=A,response=B"], "'response' given twice"),
    ("unknown-model", ["--model", "llava_video_7b", *VSIB], "--model llava_video_7b"),
    ("unknown-task", ["--model", "dummy", "--tasks", "simsv_vsibench,vsi_bench"], "--tasks vsi_bench"),
    ("task-typo-suggests", ["--model", "dummy", "--tasks", "simsv_vsibnech"], "did you mean simsv_vsibench"),
    ("task-twice", ["--model", "dummy", "--tasks", "simsv_vsibench,simsv_vsibench"], "simsv_vsibench named twice"),
    ("suite-and-tasks", ["--model", "dummy", "--suite", "paper", *VSIB], "--tasks"),
    ("unknown-suite", ["--model", "dummy", "--suite", "all"], "--suite"),
    ("parser", ["--model", "dummy", *VSIB, "--parser", "regex"], "--parser"),
    ("data-no-equals", ["--model", "dummy", *VSIB, "--data", "simsv_vsibench"], "expected TASK=PATH"),
    ("data-other-task", ["--model", "dummy", *VSIB, "--data", "simsv_heldout={tmp}/vsib"], "not among the tasks run"),
    ("data-builtin-task", ["--model", "dummy", "--tasks", "videomme", "--data", "videomme={tmp}/vsib"],
     "only our simsv_* tasks"),
    ("data-missing", ["--model", "dummy", *VSIB, "--data", "simsv_vsibench={tmp}/nowhere"], "nowhere does not exist"),
    ("data-a-file", ["--model", "dummy", *VSIB, "--data", "simsv_vsibench={tmp}/a_file"], "a_file is not a folder"),
    ("data-empty", ["--model", "dummy", *VSIB, "--data", "simsv_vsibench={tmp}/empty"], "holds none of README.md"),
    ("openeqa-no-json", ["--model", "dummy", "--tasks", "simsv_openeqa", "--data", "simsv_openeqa={tmp}/vsib"],
     "open-eqa-v0.json"),
    ("llava-no-pretrained", [*LLAVA, *VSIB], "pretrained=<checkpoint folder>"),
    ("llava-missing-ckpt", [*LLAVA, *VSIB, "--model_args", "pretrained={tmp}/runs/ov-3q"],
     "pretrained={tmp}/runs/ov-3q: no such checkpoint folder"),
    ("llava-not-a-ckpt", [*LLAVA, *VSIB, "--model_args", "pretrained={tmp}/not_a_ckpt"], "not_a_ckpt/config.json"),
    ("llava-frames-zero", [*LLAVA, *VSIB, "--model_args", "pretrained={tmp}/ckpt,num_frames=0"], "num_frames=0"),
    ("llava-layout", [*LLAVA, *VSIB, "--model_args", "pretrained={tmp}/ckpt,layout=llava_next"], "layout=llava_next"),
    ("llava-unknown-arg", [*LLAVA, *VSIB, "--model_args", "pretrained={tmp}/ckpt,frame_count=8"], "frame_count"),
    ("llava-profile-arg", [*LLAVA, *VSIB, "--model_args", "pretrained={tmp}/ckpt,profile=published"],
     "profile=published"),
    ("profile-contradiction", [*LLAVA, *VSIB, "--profile", "paper", "--model_args", "pretrained={tmp}/ckpt,profile=train"],
     "--profile paper contradicts"),
    ("profile-unknown", [*LLAVA, *VSIB, "--profile", "published", "--model_args", "pretrained={tmp}/ckpt"], "--profile"),
    ("profile-other-model", ["--model", "dummy", *VSIB, "--profile", "paper"], "--profile paper"),
    ("judge-without-openeqa", ["--model", "dummy", *VSIB, "--judge-url", "http://judge.local/v1",
                               "--openeqa-repo", "{tmp}/open-eqa"], "--openeqa-repo"),
    ("judge-url-scheme", ["--model", "dummy", *EQA, "--judge-url", "judge.local/v1", "--openeqa-repo", "{tmp}/open-eqa"],
     "--judge-url judge.local/v1"),
    ("judge-url-no-prompts", ["--model", "dummy", *EQA, "--judge-url", "http://judge.local/v1"], "--openeqa-repo"),
    ("judge-model-alone", ["--model", "dummy", *EQA, "--judge-model", "gpt-4o"], "--judge-model"),
    ("openeqa-repo-incomplete", ["--model", "dummy", *EQA, "--openeqa-repo", "{tmp}/open-eqa"], "mmbench-extra.txt"),
]


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*")}


@pytest.mark.parametrize("args, named", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_naming_it(world, capsys, args, named):
    before = snapshot(world["tmp"])
    try:
        code = main(["--out", str(world["out"]), *(fill(a, world) for a in args)])
    except SystemExit as e:  # argparse's own checks
        code = e.code
    err = capsys.readouterr().err
    assert code == 2
    assert fill(named, world) in err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert snapshot(world["tmp"]) == before and not world["out"].exists()  # nothing written


def test_out_that_is_a_file(world, capsys):
    before = snapshot(world["tmp"])
    code = main(["--out", str(world["tmp"] / "a_file"), "--model", "dummy", *VSIB])
    err = capsys.readouterr().err
    assert code == 2 and f"--out {world['tmp'] / 'a_file'}: exists and is not a folder" in err
    assert snapshot(world["tmp"]) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_out_in_a_read_only_folder(world, capsys):
    locked = world["tmp"] / "locked"
    locked.mkdir(mode=0o555)
    code = main(["--out", str(locked / "run"), "--model", "dummy", *VSIB])
    assert code == 2 and "permission denied" in capsys.readouterr().err
    assert not (locked / "run").exists()


def test_the_command_line_exits_2_with_one_line(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    r = subprocess.run([sys.executable, "-m", "eval.run", "--out", str(tmp_path / "out"), "--model", "dummy",
                        "--tasks", "simsv_vsibench", "--limit", "-3"], capture_output=True, text=True, env=env,
                       cwd=REPO, timeout=120)
    assert r.returncode == 2 and r.stderr == "error: --limit -3: expected an integer >= 1\n" and r.stdout == ""
    assert not (tmp_path / "out").exists()


def test_valid_inputs_pass_the_checks(world):
    """The checks refuse only what is wrong: full, valid combinations pass and write nothing."""
    from eval.run import check, parse_args

    (world["tmp"] / "open-eqa" / "prompts" / "mmbench-extra.txt").write_text("{extra_answers}")
    tmp = world["tmp"]
    combos = [
        ["--model", "simsv_llava", "--model_args", f"pretrained={tmp}/ckpt,num_frames=64,layout=llava_video",
         "--profile", "paper", "--suite", "paper", "--limit", "5", "--batch_size", "auto:4"],
        ["--model", "dummy", "--model_args", "response=A", "--tasks", "simsv_openeqa,videomme,mmerealworld_lite",
         "--data", f"simsv_openeqa={tmp}/eqa", "--openeqa-repo", f"{tmp}/open-eqa",
         "--judge-url", "https://api.openai.com/v1", "--judge-model", "gpt-4o"],
        ["--model", "simsv_oracle", "--tasks", "simsv_vsibench", "--data", f"simsv_vsibench={tmp}/vsib"],
    ]
    for argv in combos:
        tasks, data, margs = check(parse_args(["--out", str(world["out"]), *argv]))
        assert tasks
    assert not world["out"].exists()
