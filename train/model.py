"""Load a checkpoint in either model family, and the LoRA setup.

Both families are `LlavaOnevisionForConditionalGeneration` weights. `llava_video` swaps the
inner model's class for `LlavaVideoGridModel` after loading: a subclass with the same parameters
(so checkpoints load and save in the native layout, with no key renaming) whose video features
follow LLaVA-Video's layout (see `train.layouts`).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import torch
from transformers import AutoTokenizer, LlavaOnevisionForConditionalGeneration
from transformers.models.llava_onevision.modeling_llava_onevision import LlavaOnevisionModel

from train.frames import FrameSpec
from train.layouts import VideoLayout

PREPROCESSING_FILE = "simsv_video.json"  # frames, size, normalisation and layout, beside every save
# LoRA on the language model only: SigLIP's attention uses the same projection names
LORA_TARGET_REGEX = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"


class LlavaVideoGridModel(LlavaOnevisionModel):
    """LLaVA-Video's video features: OneVision's pooled frames, but a newline embedding after every
    pooled row of every frame instead of one closing the video."""

    def get_video_features(self, pixel_values_videos, *args, **kwargs):
        out = super().get_video_features(pixel_values_videos, *args, **kwargs)
        b, frames = pixel_values_videos.shape[:2]
        pooled = out.pooler_output[:, :-1]  # drop OneVision's single closing newline
        side = int(round((pooled.shape[1] // frames) ** 0.5))
        rows = pooled.reshape(b, frames * side, side, -1)
        newline = self.image_newline.to(rows.dtype).expand(b, frames * side, 1, -1)
        out.pooler_output = torch.cat([rows, newline], dim=2).reshape(b, frames * side * (side + 1), -1)
        return out


def load_model(name_or_path: str, layout: str, dtype: torch.dtype | str = "auto", attn_implementation: str | None = None):
    """The model from a local folder or Hub id, in the given layout. Refuses a checkpoint that
    leaves weights uninitialised (a silent re-init would train a random model)."""
    model, info = LlavaOnevisionForConditionalGeneration.from_pretrained(
        name_or_path, dtype=dtype, attn_implementation=attn_implementation, output_loading_info=True)
    if info.get("missing_keys"):
        raise ValueError(f"{name_or_path}: checkpoint lacks {len(info['missing_keys'])} weights, "
                         f"e.g. {sorted(info['missing_keys'])[:3]}")
    set_layout(model, layout)
    # features come from a hidden state before SigLIP's final norm: that norm gets no gradient,
    # which plain DDP would otherwise report as an unused parameter
    post_ln = getattr(model.model.vision_tower, "post_layernorm", None)
    if post_ln is not None:
        post_ln.requires_grad_(False)
    # on the inner model: PEFT calls the outer forward directly, past any hook there
    model.model.register_forward_pre_hook(refuse_uint8_pixels, with_kwargs=True)
    return model


def refuse_uint8_pixels(module, args, kwargs):
    """The vision tower would cast uint8 0..255 to float without complaint: a collator built with
    `uint8_pixels=True` needs its frames normalised first (VideoSFTTrainer does it on the device)."""
    pixels = kwargs.get("pixel_values_videos")
    if pixels is not None and pixels.dtype == torch.uint8:
        raise TypeError("pixel_values_videos is uint8: normalise it first (train.frames.normalise)")


def set_layout(model, layout: str) -> None:
    VideoLayout(layout, 1)  # validates the name
    model.model.__class__ = LlavaVideoGridModel if layout == "llava_video" else LlavaOnevisionModel


def load_tokenizer(name_or_path: str):
    tok = AutoTokenizer.from_pretrained(name_or_path)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def vision_grid(model) -> int:
    vc = model.config.vision_config
    return vc.image_size // vc.patch_size


def frame_spec(name_or_path: str, model, frames: int) -> FrameSpec:
    """Frame size from the model; normalisation from the checkpoint's preprocessor files when it
    ships any (llava-hf checkpoints do), SigLIP's 0.5/0.5 otherwise."""
    mean, std = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
    folder = Path(name_or_path)
    for name in (PREPROCESSING_FILE, "video_preprocessor_config.json", "preprocessor_config.json"):
        f = folder / name
        if f.is_file():
            cfg = json.loads(f.read_text())
            mean = tuple(cfg.get("mean", cfg.get("image_mean", mean)))
            std = tuple(cfg.get("std", cfg.get("image_std", std)))
            break
    return FrameSpec(frames=frames, size=model.config.vision_config.image_size, mean=mean, std=std)


def save_preprocessing(folder: str | Path, spec: FrameSpec, layout: str) -> None:
    """What eval must reproduce: frames, size, normalisation, layout and tokens per video."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    info = {**asdict(spec), "layout": layout}
    (folder / PREPROCESSING_FILE).write_text(json.dumps(info, indent=2) + "\n")


def lora_config(model_args):
    """PEFT LoRA on the language model's projections (TRL's ModelConfig fields), or None."""
    if not model_args.use_peft:
        return None
    from peft import LoraConfig

    return LoraConfig(r=model_args.lora_r, lora_alpha=model_args.lora_alpha, lora_dropout=model_args.lora_dropout,
                      target_modules=model_args.lora_target_modules or LORA_TARGET_REGEX,
                      modules_to_save=model_args.lora_modules_to_save, task_type="CAUSAL_LM")
