"""Every bad input to `train/sft.py` is one readable line on stderr naming the flag or file, a
non-zero exit (2: a flag out of range, 1: a file or data problem), no traceback unless -v, and
nothing written to --output_dir. Run in-process through `train.sft.run` (the script's entry
point) to keep the suite fast; one case also runs the script as users do."""

import shutil
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.train.conftest import REPO
from train.convert import to_hf
from train.sft import run
from train.tiny import build_release_fixture, build_tiny_next


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    next_ckpt, _ = build_tiny_next(root / "next", layout="llava_video", dtype=__import__("torch").float32)
    ckpt = to_hf(str(next_ckpt), root / "ckpt", vision_heads=2)
    release = build_release_fixture(root / "release")
    truncated = root / "truncated"
    shutil.copytree(release, truncated)
    video = truncated / "train/000001/raw_navigation_camera__1.mp4"
    video.write_bytes(video.read_bytes()[: video.stat().st_size // 3])
    odd = root / "odd"
    odd.mkdir()
    pq.write_table(pa.table({"clip": ["a.mp4"], "text": ["q"]}), odd / "sims_vsi_3q_40k.parquet")
    (root / "list.yaml").write_text("- learning_rate\n- 1e-6\n")
    (root / "broken.yaml").write_text("learning_rate: [1e-6\n")
    (root / "empty_model").mkdir()
    return {"ckpt": str(ckpt), "release": str(release), "truncated": str(truncated), "odd": str(odd),
            "root": str(root)}


def base(i, out, **over):
    args = {"--model_name_or_path": i["ckpt"], "--dataset": i["release"], "--dataset_config": "sims_vsi_3q",
            "--num_frames": "4", "--max_steps": "1", "--bf16": "false", "--report_to": "none",
            "--dataloader_num_workers": "0", "--output_dir": str(out), **over}
    return [x for k, v in args.items() if v is not None for x in (k, v)]


# (case id, flags to override, exit code, text the one line must contain)
CASES = [
    ("missing dataset folder", {"--dataset": "{root}/nowhere/sims"}, 1, "--dataset {root}/nowhere/sims: no such folder"),
    ("missing parquet", {"--dataset": "{root}/none.parquet"}, 1, "--dataset {root}/none.parquet: no such parquet file"),
    ("release config unknown", {"--dataset_config": "all_of_it"}, 1, "--dataset_config 'all_of_it'"),
    ("release columns differ", {"--dataset": "{odd}"}, 1, "columns found: clip, text"),
    ("truncated video", {"--dataset": "{truncated}"}, 1, "raw_navigation_camera__1.mp4: cannot be decoded"),
    ("missing config file", {"--config": "{root}/nope.yaml"}, 1, "--config {root}/nope.yaml: no such file"),
    ("config not a mapping", {"--config": "{root}/list.yaml"}, 2, "--config {root}/list.yaml: expected a mapping"),
    ("config not YAML", {"--config": "{root}/broken.yaml"}, 2, "--config {root}/broken.yaml: not valid YAML"),
    ("missing model folder", {"--model_name_or_path": "{root}/no-model"}, 1,
     "--model_name_or_path {root}/no-model: no such checkpoint folder"),
    ("model folder without config", {"--model_name_or_path": "{root}/empty_model"}, 1,
     "--model_name_or_path {root}/empty_model: no config.json"),
    ("layout mismatch", {"--video_layout": "onevision"}, 1, "records video layout 'llava_video'"),
    ("unknown layout", {"--video_layout": "grid"}, 2, "--video_layout: video layout 'grid'"),
    ("num_frames 0", {"--num_frames": "0"}, 2, "--num_frames 0: must be >= 1"),
    ("num_frames negative", {"--num_frames": "-3"}, 2, "--num_frames -3: must be >= 1"),
    ("batch 0", {"--per_device_train_batch_size": "0"}, 2, "--per_device_train_batch_size 0: must be >= 1"),
    ("max_length 0", {"--max_length": "0"}, 2, "--max_length 0: must be >= 1"),
    ("learning rate 0", {"--learning_rate": "0"}, 2, "--learning_rate 0.0: must be > 0"),
    ("max_steps 0", {"--max_steps": "0"}, 2, "--max_steps 0"),
    ("global batch not a multiple", {"--global_batch_size": "3", "--per_device_train_batch_size": "2"}, 2,
     "--global_batch_size 3: not a multiple"),
    ("global batch 0", {"--global_batch_size": "0"}, 2, "--global_batch_size 0: must be >= 1"),
    ("loss mask", {"--loss_mask": "everything"}, 2, "--loss_mask 'everything': expected one of"),
    ("tune parts", {"--tune_parts": "vision"}, 2, "--tune_parts 'vision'"),
    ("mix fraction", {"--mix_dataset": "{release}/sims_vsi_3q_40k.parquet", "--mix_fraction": "1.5"}, 2,
     "--mix_fraction 1.5: must be in (0, 1)"),
    ("max_train_samples 0", {"--max_train_samples": "0"}, 2, "--max_train_samples 0: must be >= 1"),
]


@pytest.mark.parametrize("name, over, code, text", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_naming_it(name, over, code, text, inputs, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "out"
    over = {k: v.format(**inputs) for k, v in over.items()}
    assert run(base(inputs, out, **over)) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert err, "no message"
    line = err[-1]
    assert line.startswith("error: ") and text.format(**inputs) in line, line
    assert not any("Traceback" in e for e in err)
    assert not out.exists()  # nothing written


def test_verbose_shows_the_traceback(inputs, tmp_path):
    with pytest.raises(ValueError, match="--num_frames 0"):
        run(["-v", *base(inputs, tmp_path / "out", **{"--num_frames": "0"})])


def test_the_script_itself_exits_with_one_line(inputs, tmp_path):
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, str(REPO / "train" / "sft.py"),
                        *base(inputs, out, **{"--model_name_or_path": f"{inputs['root']}/no-model"})],
                       capture_output=True, text=True, cwd=REPO, env={"PATH": "", "HF_HUB_OFFLINE": "1",
                                                                      "PYTHONPATH": str(REPO)})
    assert r.returncode == 1, r.stderr
    lines = [x for x in r.stderr.strip().splitlines() if x.startswith("error:")]
    assert lines == [f"error: --model_name_or_path {inputs['root']}/no-model: no such checkpoint folder"]
    assert "Traceback" not in r.stderr and not out.exists()
