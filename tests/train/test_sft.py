"""`train/sft.py` end to end on a tiny random model and a tiny rendered SIMS-VSI: the loss falls,
saves reload, runs resume, LoRA trains adapters only, extra instruction data mixes in, bad
arguments fail before any work, and 2-process DeepSpeed ZeRO-2/3 steps run through
`accelerate launch`."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from safetensors.torch import load_file

from tests.train.conftest import REPO, run_sft

pytestmark = pytest.mark.render  # the SIMS-VSI rows come from a rendered corpus


def common(tiny_model, hub_folder, out, *extra):
    return ["--model_name_or_path", tiny_model, "--dataset", hub_folder, "--dataset_config", "all",
            "--num_frames", "4", "--max_length", "2048", "--output_dir", out, "--seed", "7", *extra]


def losses(folder: Path) -> list[float]:
    state = json.loads((folder / "trainer_state.json").read_text())
    return [h["loss"] for h in state["log_history"] if "loss" in h]


def test_loss_falls_and_the_saved_model_reloads(tiny_model, hub_folder, hf_cache, tmp_path):
    out = tmp_path / "run"
    run_sft(*common(tiny_model, hub_folder, out, "--max_train_samples", "4", "--num_train_epochs", "5",
                    "--per_device_train_batch_size", "2", "--learning_rate", "1e-3", "--save_steps", "5"),
            cache=hf_cache)
    ck = out / "checkpoint-10"
    loss = losses(ck)
    assert len(loss) == 10 and sum(loss[-2:]) / 2 < loss[0] - 0.5, loss

    from train.model import load_model

    final = load_file(out / "model.safetensors")
    assert all(torch.equal(final[k], v) for k, v in load_file(ck / "model.safetensors").items())
    reloaded = load_model(str(out), "onevision")
    assert reloaded.model.image_newline.data.equal(load_model(str(ck), "onevision").model.image_newline.data)
    base = load_file(Path(tiny_model) / "model.safetensors")
    assert any(not torch.equal(base[k], final[k]) for k in base)  # training changed the weights
    for folder in (out, out / "checkpoint-5", ck):
        card = (folder / "README.md").read_text()
        assert "| learning rate | 0.001 |" in card and "config `all`" in card and "Frames per video: 4" in card
        assert json.loads((folder / "simsv_video.json").read_text())["layout"] == "onevision"


@pytest.mark.slow  # three training runs
def test_an_interrupted_run_resumes_to_the_same_weights(tiny_model, hub_folder, hf_cache, tmp_path):
    args = ["--max_train_samples", "8", "--per_device_train_batch_size", "2", "--learning_rate", "1e-3",
            "--save_steps", "2"]
    run_sft(*common(tiny_model, hub_folder, tmp_path / "whole", *args, "--max_steps", "4"), cache=hf_cache)
    # an interruption right after the step-2 save: only checkpoint-2 exists
    (tmp_path / "split").mkdir()
    shutil.copytree(tmp_path / "whole" / "checkpoint-2", tmp_path / "split" / "checkpoint-2")
    r = run_sft(*common(tiny_model, hub_folder, tmp_path / "split", *args, "--max_steps", "4"), cache=hf_cache)
    assert "resuming from" in r.stderr and "checkpoint-2" in r.stderr
    assert losses(tmp_path / "split" / "checkpoint-4")[-2:] == pytest.approx(
        losses(tmp_path / "whole" / "checkpoint-4")[-2:], rel=1e-4)
    a, b = load_file(tmp_path / "whole" / "model.safetensors"), load_file(tmp_path / "split" / "model.safetensors")
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)


def test_lora_trains_language_model_adapters_only(tiny_model, hub_folder, hf_cache, tmp_path):
    out = tmp_path / "lora"
    run_sft(*common(tiny_model, hub_folder, out, "--max_steps", "3", "--per_device_train_batch_size", "2",
                    "--learning_rate", "1e-2", "--use_peft", "--lora_r", "4", "--lora_alpha", "8"), cache=hf_cache)
    adapter = load_file(out / "adapter_model.safetensors")
    assert adapter and all("lora_" in k and "language_model" in k for k in adapter)
    assert not (out / "model.safetensors").exists()
    assert any(v.abs().sum() > 0 for k, v in adapter.items() if "lora_B" in k)  # B starts at zero: it trained
    assert "| LoRA | r=4, alpha=8" in (out / "README.md").read_text()

    from peft import PeftModel

    from train.model import load_model

    merged = PeftModel.from_pretrained(load_model(tiny_model, "onevision"), str(out)).merge_and_unload()
    base = load_model(tiny_model, "onevision")
    name = next(k for k, _ in merged.named_parameters() if k.endswith("language_model.layers.0.self_attn.q_proj.weight"))
    assert not torch.equal(dict(merged.named_parameters())[name], dict(base.named_parameters())[name])


def test_extra_instruction_data_mixes_in(tiny_model, hub_folder, hf_cache, tmp_path):
    chats = [[{"role": "user", "content": f"Say {w}."}, {"role": "assistant", "content": w}]
             for w in ("left", "right", "front", "back", "one", "two")]
    extra = tmp_path / "extra.parquet"
    pq.write_table(pa.table({"messages": chats}), extra)
    r = run_sft(*common(tiny_model, hub_folder, tmp_path / "mix", "--max_train_samples", "6", "--mix_dataset",
                        extra, "--mix_fraction", "0.5", "--max_steps", "3", "--per_device_train_batch_size", "4"),
                cache=hf_cache)
    assert "training 12 rows" in r.stderr  # 6 SIMS-VSI + round(0.5 / 0.5 * 6) text-only rows


def test_bad_arguments_fail_before_loading_anything(tiny_model, hub_folder, hf_cache, tmp_path):
    base = [sys.executable, str(REPO / "train" / "sft.py"), "--output_dir", str(tmp_path / "x"), "--report_to", "none"]
    r = subprocess.run([*base, *common(tiny_model, hub_folder, tmp_path / "x", "--video_layout", "grid")],
                       capture_output=True, text=True, cwd=REPO)
    assert r.returncode != 0 and "video layout 'grid'" in r.stderr
    r = subprocess.run([*base, "--model_name_or_path", str(tiny_model), "--dataset", str(tmp_path / "none.parquet")],
                       capture_output=True, text=True, cwd=REPO, env={"HF_DATASETS_CACHE": hf_cache, "PATH": ""})
    assert r.returncode != 0 and "none.parquet: no such parquet file" in r.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.slow  # ~30 s each warm; the first also JIT-builds DeepSpeed's shm-comm op (~60 s)
@pytest.mark.parametrize("stage", [2, 3])
def test_two_process_deepspeed_step(stage, tiny_model, hub_folder, hf_cache, tmp_path):
    out = tmp_path / f"zero{stage}"
    launcher = [str(Path(sys.executable).parent / "accelerate"), "launch", "--config_file",
                str(REPO / "train" / "configs" / f"accelerate_zero{stage}_cpu.yaml")]
    r = run_sft(*common(tiny_model, hub_folder, out, "--max_steps", "2", "--per_device_train_batch_size", "1",
                        "--learning_rate", "1e-3"), cache=hf_cache, launcher=launcher)
    assert f"on 2 process(es), DeepSpeed ZeRO-{stage}" in r.stderr
    assert f"| DeepSpeed | ZeRO-{stage} |" in (out / "README.md").read_text()
    assert len(losses(out / "checkpoint-2")) == 2

    from train.model import load_model

    load_model(str(out), "onevision")  # complete weights (ZeRO-3 gathers them on save); raises if any are missing
