"""train.bench: the model benchmark's path on the tiny model, its FLOPs formula against a hand
count, the full-size 7B architecture's parameter counts (on the meta device, no memory), the
loader benchmark over an exported folder, and the per-stage frames benchmark on a small mp4."""

import json

import numpy as np
import pytest
import torch

from train import bench
from train.layouts import VideoLayout


def tiny_hand_counts(vocab: int) -> dict[str, int]:
    """Matmul weights of train.tiny.tiny_config, counted by hand from its sizes."""
    d, inter, kv = 64, 128, 2 * 16  # Qwen2 stand-in: 4 heads of 16, 2 KV heads
    layer = d * d + 2 * d * kv + d * d + 3 * d * inter  # q, k, v, o, gate/up/down
    vd, vinter = 32, 64  # SigLIP stand-in, 32 px frames in 8 px patches
    vlayer = 4 * vd * vd + 2 * vd * vinter
    return {"lm": 2 * layer, "head": vocab * d, "vis": 2 * vlayer + vd * 3 * 8 * 8, "proj": vd * d + d * d}


def test_tiny_model_benchmark_figures(tmp_path, capsys):
    out = tmp_path / "bench.json"
    bench.main(["model", "--size", "tiny", "--frames", "2", "--steps", "2", "--warmup", "1", "--json", str(out)])
    printed = capsys.readouterr().out
    [r] = json.loads(out.read_text())
    assert r["status"] == "ok" and "seq len" in printed and "n/a" in printed  # no MFU on CPU without a peak
    layout = VideoLayout("onevision", 32 // 8)
    assert r["video_tokens"] == layout.num_tokens(2) == 9
    assert r["seq_len"] == layout.num_tokens(2) + bench.TEXT_TOKENS
    assert r["tokens_per_s"] > 0 and r["step_s"] > 0 and r["peak_mem_gib"] > 0
    assert r["tokens_per_s"] == pytest.approx(r["seq_len"] / r["step_s"])

    c = tiny_hand_counts(r["params"]["lm_head"] // 64)
    assert (r["params"]["language_model_matmul"], r["params"]["vision_tower_matmul"],
            r["params"]["projector_matmul"]) == (c["lm"], c["vis"], c["proj"])
    t, frames, patches = r["seq_len"], 2, 16
    expected = (6 * (c["lm"] + c["head"]) * t + 6 * 2 * 64 * t * t  # LM: weights + causal attention
                + 6 * (c["vis"] + c["proj"]) * frames * patches + 12 * 2 * 32 * patches**2 * frames)  # vision
    assert r["model_flops"] == expected
    assert r["achieved_tflops"] == pytest.approx(expected / r["step_s"] / 1e12)


def test_tiny_lora_benchmark_counts_frozen_weights_as_forward_plus_input_gradient(tmp_path):
    out = tmp_path / "bench.json"
    bench.main(["model", "--size", "tiny", "--layout", "llava_video", "--frames", "2", "--steps", "1",
                "--warmup", "0", "--lora", "--peak-tflops", "1", "--json", str(out)])
    [r] = json.loads(out.read_text())
    assert r["seq_len"] == VideoLayout("llava_video", 4).num_tokens(2) + bench.TEXT_TOKENS
    # r=16 on q, k, v, o, gate, up, down of 2 layers: r * (in + out) each
    assert r["lora_params"] == 2 * 16 * ((64 + 64) * 2 + (64 + 32) * 2 + (64 + 128) * 3)
    c = tiny_hand_counts(r["params"]["lm_head"] // 64)
    t, frames, patches = r["seq_len"], 2, 16
    expected = (4 * (c["lm"] + c["head"]) * t + 6 * r["lora_params"] * t + 6 * 2 * 64 * t * t
                + 2 * (c["vis"] + c["proj"]) * frames * patches + 4 * 2 * 32 * patches**2 * frames)
    assert r["model_flops"] == expected
    assert r["mfu"] == pytest.approx(expected / r["step_s"] / 1e12)


def test_out_of_memory_skips_only_that_setting(monkeypatch, capsys):
    real = bench.time_steps

    def oom_on_4_frames(model, opt, batch, *args):
        if batch["pixel_values_videos"].shape[1] == 4:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(model, opt, batch, *args)

    monkeypatch.setattr(bench, "time_steps", oom_on_4_frames)
    res = bench.main(["model", "--size", "tiny", "--frames", "4", "2", "--steps", "1", "--warmup", "0"])
    assert [(r["frames"], r["status"]) for r in res] == [(4, "oom"), (2, "ok")]
    assert "out of memory: tiny onevision 4 frames" in capsys.readouterr().out


def test_7b_architecture_matches_the_reference_parameter_counts():
    """train-reference.md §5: 8.03B in all; Qwen2-7B body 7.07B (0.545B of it input embeddings),
    untied lm_head 0.545B; SigLIP with 26 layers 0.398B; projector 17M."""
    cfg = bench.ov7b_config()
    model = bench.build_model(cfg, "meta", torch.bfloat16)
    assert next(model.parameters()).is_meta
    c = bench.param_counts(model)
    assert round(c["total"] / 1e9, 2) == 8.03
    assert round(c["language_model"] / 1e9, 2) == 7.07
    assert round(c["embed_tokens"] / 1e9, 3) == round(c["lm_head"] / 1e9, 3) == 0.545
    assert round(c["vision_tower"] / 1e9, 3) == 0.398
    assert round(c["projector"] / 1e6) == 17
    assert len(model.model.vision_tower.encoder.layers) == 26
    assert (cfg.image_token_id, cfg.video_token_id) == (151646, 151647)


def test_7b_projection_is_in_line_with_the_reference_estimate():
    """§5 estimates ~3.5e14 FLOPs per OneVision 32-frame sample; at 40% of 989 TFLOP/s that is ~0.9 s."""
    step_s, flops = bench.projected_step_s("onevision", 32)
    assert 3.4e14 < flops < 3.7e14
    assert step_s == pytest.approx(flops / (0.4 * 989e12))


@pytest.mark.render  # the exported folder comes from a rendered corpus
def test_loader_benchmark_over_an_exported_folder(hub_folder, tmp_path, capsys):
    out = tmp_path / "loader.json"
    res = bench.main(["loader", "--dataset", str(hub_folder), "--config", "all", "--frames", "4", "--size", "32",
                      "--workers", "0", "--batches", "2", "--step-time", "1.0", "--json", str(out)])
    printed = capsys.readouterr().out
    [rate] = res["rates"]
    assert rate["frames_per_s"] > 0 and rate["workers"] == 0
    assert res["trainer_frames_per_s"] == pytest.approx(4.0)
    assert rate["ratio"] == pytest.approx(rate["frames_per_s"] / 4.0)
    assert "loader/trainer" in printed and "workers per GPU for 5x" in printed
    assert json.loads(out.read_text())["workers_for_5x"] >= 1


def test_frames_benchmark_splits_cpu_time_by_stage(tmp_path, capsys):
    from builder.capture.encode import VideoWriter

    path = tmp_path / "clip.mp4"
    with VideoWriter(path, 64, 48, fps=10) as w:
        for i in range(20):
            w.write(np.full((48, 64, 3), 10 * i, dtype=np.uint8))
    res = bench.main(["frames", "--videos", str(path), "--frames", "4", "--size", "32", "--repeats", "2"])
    [row] = res["videos"]
    assert row["decode_s"] > 0 and row["resize_s"] >= 0 and row["normalise_s"] >= 0
    assert row["frames_per_cpu_s_uint8"] >= row["frames_per_cpu_s_float"] > 0
    assert "clip.mp4" in capsys.readouterr().out


def test_gpu_check_runs_its_cpu_path_on_the_tiny_config(tmp_path, capsys):
    """`python -m train.bench gpu` (the GPU owner's one command) on the tiny config: both modes,
    the figures it prints, the JSON it writes. The 7B run itself needs a GPU."""
    out = tmp_path / "gpu.json"
    bench.main(["gpu", "--size", "tiny", "--frames", "2", "--steps", "1", "--warmup", "0", "--device", "cpu",
                "--json", str(out)])
    printed = capsys.readouterr().out
    rows = json.loads(out.read_text())
    assert [r["mode"] for r in rows] == ["lora", "full"] and all(r["status"] == "ok" for r in rows)
    assert all(r["layout"] == "llava_video" and r["video_tokens"] == 2 * 2 * 3 for r in rows)
    assert rows[0]["lora_params"] > 0 and rows[1]["lora_params"] == 0
    assert rows[0]["model_flops"] < rows[1]["model_flops"]  # LoRA skips the frozen weights' gradients
    assert "tokens/s" in printed and "s/step" in printed and "peak" in printed and "MFU" in printed


def test_gpu_check_refuses_zero_frames():
    with pytest.raises(SystemExit):
        bench.main(["gpu", "--size", "tiny", "--frames", "0"])
