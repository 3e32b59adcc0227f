"""A tiny random LLaVA-OneVision and a tokenizer built here, for tests and CPU smoke runs (no
download: pretrained weights and the Hub are out of reach on our machines).

    python -m train.tiny --out /tmp/tiny-llava-ov

The tokenizer is a byte-level BPE trained on SIMS-VSI's own wording (templates, prompts,
category names, numbers), with ChatML's special tokens and the <image>/<video> placeholders,
so SIMS-VSI text costs a realistic handful of tokens. Same seed, same files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>", "<video>"]


def _training_text() -> list[str]:
    from simsv_vsi.prompts import MC_POST_PROMPT, NUMERIC_POST_PROMPT, PRE_PROMPT
    from simsv_vsi.question_types import QUESTION_TYPES
    from train.collator import SYSTEM_PROMPT
    from train.layouts import time_instruction

    lines = [PRE_PROMPT, MC_POST_PROMPT, NUMERIC_POST_PROMPT, SYSTEM_PROMPT, "Options:", "A. B. C. D.",
             time_instruction(12.5, [0.0, 4.1, 8.3, 12.4]), "system user assistant",
             " ".join(str(i) for i in range(100)), "0.1 0.25 1.5 2.75 left right back front"]
    lines += [t.template for t in QUESTION_TYPES.values()]
    return lines * 4


def build_tokenizer(vocab_size: int = 600):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_training_text(), trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   extra_special_tokens={"image_token": "<image>", "video_token": "<video>"})


def tiny_config(tokenizer, image_size: int = 32, patch_size: int = 8):
    """Two-layer SigLIP and Qwen2 stand-ins with the real model's wiring."""
    from transformers import LlavaOnevisionConfig, Qwen2Config, SiglipVisionConfig

    text = Qwen2Config(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
                       tie_word_embeddings=False)
    vision = SiglipVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                                image_size=image_size, patch_size=patch_size, vision_use_head=False)
    return LlavaOnevisionConfig(text_config=text, vision_config=vision,
                                image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
                                video_token_index=tokenizer.convert_tokens_to_ids("<video>"),
                                vision_feature_layer=-1, vision_feature_select_strategy="full",
                                image_grid_pinpoints=[[image_size, image_size]])


def build_tiny(out: str | Path, seed: int = 0, image_size: int = 32) -> Path:
    """Write a tiny random model + tokenizer to `out` (loadable with train.model.load_model)."""
    from transformers import LlavaOnevisionForConditionalGeneration

    out = Path(out)
    tok = build_tokenizer()
    torch.manual_seed(seed)
    model = LlavaOnevisionForConditionalGeneration(tiny_config(tok, image_size=image_size))
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


# in-memory llava-hf name prefix -> LLaVA-NeXT (LlavaQwenForCausalLM) name prefix, written out here
# independently of train.convert so the converter's tests are not circular
_HF_TO_NEXT = {"model.language_model.": "model.", "lm_head.": "lm_head.",
               "model.vision_tower.": "model.vision_tower.vision_tower.vision_model.",
               "model.multi_modal_projector.linear_1.": "model.mm_projector.0.",
               "model.multi_modal_projector.linear_2.": "model.mm_projector.2.",
               "model.image_newline": "model.image_newline"}


def build_tiny_next(out: str | Path, layout: str = "llava_video", seed: int = 0, image_size: int = 32,
                    dtype: torch.dtype = torch.bfloat16):
    """A tiny random checkpoint in LLaVA-NeXT's own format (what lmms-lab publishes:
    `LlavaQwenForCausalLM` names and config keys), for the converter's tests. Returns (folder,
    the in-memory llava-hf model whose tensors it holds, in `dtype`)."""
    import json

    from safetensors.torch import save_file
    from transformers import LlavaOnevisionForConditionalGeneration

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tok = build_tokenizer()
    cfg = tiny_config(tok, image_size=image_size)
    torch.manual_seed(seed)
    model = LlavaOnevisionForConditionalGeneration(cfg).to(dtype)
    tensors = {}
    for name, t in model.state_dict().items():
        prefix = next(p for p in _HF_TO_NEXT if name.startswith(p))
        tensors[_HF_TO_NEXT[prefix] + name[len(prefix):]] = t.contiguous().clone()
    # two shards, as real checkpoints come
    names = sorted(tensors)
    half = len(names) // 2
    shards = {"model-00001-of-00002.safetensors": names[:half], "model-00002-of-00002.safetensors": names[half:]}
    weight_map = {}
    for file, keys in shards.items():
        save_file({k: tensors[k] for k in keys}, str(out / file), metadata={"format": "pt"})
        weight_map.update({k: file for k in keys})
    (out / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    text = cfg.text_config
    next_cfg = {
        "architectures": ["LlavaQwenForCausalLM"], "model_type": "llava",
        "vocab_size": text.vocab_size, "hidden_size": text.hidden_size, "intermediate_size": text.intermediate_size,
        "num_hidden_layers": text.num_hidden_layers, "num_attention_heads": text.num_attention_heads,
        "num_key_value_heads": text.num_key_value_heads, "max_position_embeddings": text.max_position_embeddings,
        "rms_norm_eps": text.rms_norm_eps, "rope_theta": 1000000.0, "hidden_act": "silu",
        "tie_word_embeddings": False, "torch_dtype": str(dtype).removeprefix("torch."),
        "mm_vision_tower": "google/siglip-tiny-test", "mm_hidden_size": cfg.vision_config.hidden_size,
        "mm_projector_type": "mlp2x_gelu", "mm_vision_select_layer": -2, "mm_vision_select_feature": "patch",
        "mm_patch_merge_type": "spatial_unpad", "mm_spatial_pool_mode": "bilinear", "mm_spatial_pool_stride": 2,
        "mm_newline_position": "grid" if layout == "llava_video" else "one_token",
        "image_aspect_ratio": "anyres_max_9", "image_grid_pinpoints": [[image_size, image_size]],
        "mm_tunable_parts": "mm_vision_tower,mm_mlp_adapter,mm_language_model", "mm_vision_tower_lr": 2e-06,
        "frames_upbound": 4, "add_time_instruction": layout == "llava_video", "use_mm_proj": True,
    }
    (out / "config.json").write_text(json.dumps(next_cfg, indent=2))
    tok.save_pretrained(out)
    return out, model


def _write_video(path: Path, frames: int, width: int, height: int, seed: int) -> None:
    """A small H.264 mp4 of coloured noise (needs PyAV, the builder's encoder library)."""
    import av
    import numpy as np

    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for _ in range(frames):
            img = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        container.mux(stream.encode())


def build_release_fixture(out: str | Path, houses: int = 2, frames: int = 12, width: int = 48,
                          height: int = 32) -> Path:
    """A miniature of the authors' release `ellisbrown/SIMS-VSI` as its local copy looks after
    extracting the shards: `<split>/<6-digit house>/raw_navigation_camera__<k>.mp4` videos and the
    two configs' parquet files with the release's conversation rows (`video`, `conversations`
    from/value, `question_type`, `fmt`, `id`, `data_source`). For the reader's tests and smoke runs."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out)
    rows = []
    for h in range(houses):
        for k in range(2):
            video = f"train/{h:06d}/raw_navigation_camera__{k}.mp4"
            _write_video(out / video, frames, width, height, seed=10 * h + k)
            src = f"sims_{h:06d}_{k}"
            rows.append(dict(id=f"{src}__oe", video=video, question_type="obj_abs_distance", fmt="oe",
                             data_source="sims_train", conversations=[
                                 {"from": "human", "value": "<image>\nThese are frames of a video.\nMeasuring from "
                                  "the closest point of each object, what is the distance between the sofa and the "
                                  "bed (in meters)?"},
                                 {"from": "gpt", "value": f"{1.5 + h + 0.25 * k}"}]))
            rows.append(dict(id=f"{src}__mc", video=video, question_type="obj_rel_direction_easy", fmt="mc",
                             data_source="sims_train", conversations=[
                                 {"from": "human", "value": "<image>\nThese are frames of a video.\nIf I am standing "
                                  "by the sofa and facing the bed, is the chair to my left or right?\nOptions:\n"
                                  "A. left\nB. right"},
                                 {"from": "gpt", "value": "B. right" if (h + k) % 2 else "A. left"}]))
            rows.append(dict(id=f"{src}__room", video=video, question_type="room_size_est", fmt="oe",
                             data_source="sims_train", conversations=[
                                 {"from": "human", "value": "<image>\nThese are frames of a video.\nWhat is the size "
                                  "of this room (in square meters)?"},
                                 {"from": "gpt", "value": f"{20 + h}"}]))
    table = pa.Table.from_pylist(rows)
    pq.write_table(table, out / "sims_vsi_200k.parquet")
    three_q = [r for r in rows if r["question_type"] != "room_size_est"]
    pq.write_table(pa.Table.from_pylist(three_q), out / "sims_vsi_3q_40k.parquet")
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--image-size", type=int, default=32)
    a = p.parse_args(argv)
    print(build_tiny(a.out, a.seed, a.image_size))


if __name__ == "__main__":
    main()
