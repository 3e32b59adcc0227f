"""The paper's path on tiny models, CPU only, as a new user runs it: a LLaVA-NeXT-format
LLaVA-Video checkpoint -> `python -m train.convert to-hf` -> `train/sft.py` with the paper's recipe
flags for 2 steps on a miniature of the official release -> every save opened with plain
transformers (AutoProcessor + AutoModelForImageTextToText) and generating -> converted back to
LLaVA-NeXT's format."""

import json
import subprocess
import sys

import pytest
import torch

from tests.train.conftest import REPO, run_sft
from train.tiny import build_release_fixture, build_tiny_next


def _generate(folder):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    processor = AutoProcessor.from_pretrained(folder, trust_remote_code=True)
    model = AutoModelForImageTextToText.from_pretrained(folder, trust_remote_code=True).eval()
    text = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "video"}, {"type": "text", "text": "How far is the bed?"}]}],
        add_generation_prompt=True)
    video = torch.randint(0, 256, (4, 32, 48, 3), dtype=torch.uint8)
    inputs = processor(text=text, videos=[video], frame_times=[[0.0, 0.4, 0.8, 1.1]], durations=[1.2])
    inputs["pixel_values_videos"] = inputs["pixel_values_videos"].to(model.dtype)
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=4, do_sample=False)
    assert out.shape[1] == inputs["input_ids"].shape[1] + 4
    return model


@pytest.mark.slow  # ~60-90 s on 2 busy cores: conversion, a training subprocess, three model loads
def test_convert_train_save_generate(tmp_path, hf_cache):
    next_ckpt, source = build_tiny_next(tmp_path / "LLaVA-Video-tiny", layout="llava_video", dtype=torch.float32)
    hf = tmp_path / "llava-video-hf"
    r = subprocess.run([sys.executable, "-m", "train.convert", "to-hf", str(next_ckpt), str(hf), "--vision_heads", "2"],
                       capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr
    release = build_release_fixture(tmp_path / "SIMS-VSI")
    out = tmp_path / "run"
    r = run_sft("--model_name_or_path", hf, "--dataset", release, "--dataset_config", "sims_vsi_3q",
                "--num_frames", "4", "--max_steps", "2", "--per_device_train_batch_size", "2",
                "--global_batch_size", "4", "--learning_rate", "1e-3", "--save_steps", "1",
                "--output_dir", out, cache=hf_cache)
    assert "training 8 rows on 1 process(es), global batch 4" in r.stderr
    for folder in (out / "checkpoint-1", out):
        cfg = json.loads((folder / "config.json").read_text())
        assert cfg["model_type"] == "llava_video" and (folder / "processor_config.json").is_file()
        model = _generate(folder)
    card = (out / "README.md").read_text()
    assert "| global batch | 4 |" in card and "| loss mask / averaging | assistant_turn / micro_batch |" in card
    trained = model.state_dict()
    assert any(not torch.equal(trained[k], v) for k, v in source.state_dict().items())  # it trained
    back = tmp_path / "llava-next"
    r = subprocess.run([sys.executable, "-m", "train.convert", "to-next", str(out), str(back)],
                       capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr
    cfg = json.loads((back / "config.json").read_text())
    assert cfg["architectures"] == ["LlavaQwenForCausalLM"] and cfg["mm_newline_position"] == "grid"
