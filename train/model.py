"""Load a checkpoint in either model family, and the LoRA setup.

Both families are LLaVA-OneVision weights. `llava_video` loads as
`LlavaVideoForConditionalGeneration` (train/hf_llava_video.py: the same parameters, video features
in LLaVA-Video's layout, see `train.layouts`); its saves record `model_type: llava_video` and ship
that file, so other tools run the right layout or refuse (train/checkpoint.py). A checkpoint's
recorded layout wins: asking for the other one is refused.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import torch
from transformers import AutoTokenizer, LlavaOnevisionForConditionalGeneration

from train.checkpoint import recorded_layout
from train.frames import FrameSpec
from train.hf_llava_video import LlavaVideoConfig, LlavaVideoForConditionalGeneration, LlavaVideoModel
from train.layouts import VideoLayout

PREPROCESSING_FILE = "simsv_video.json"  # frames, size, normalisation and layout, beside every save
# LoRA on the language model only: SigLIP's attention uses the same projection names
LORA_TARGET_REGEX = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"


# LLaVA-Video's model: the class every llava_video checkpoint ships (train/hf_llava_video.py)
LlavaVideoGridModel = LlavaVideoModel


class LayoutMismatch(ValueError):
    """A checkpoint records one video layout and the caller asked for the other."""


def resolve_layout(name_or_path: str, layout: str | None) -> str:
    """The layout to run: the one the checkpoint records; `layout` must agree with it. A
    checkpoint that records none (a third-party llava_onevision conversion) runs `layout`, or
    OneVision's."""
    recorded = recorded_layout(name_or_path)
    if layout is not None:
        VideoLayout(layout, 1)  # validates the name
    if recorded is not None and layout is not None and layout != recorded:
        raise LayoutMismatch(f"{Path(name_or_path) / 'config.json'}: the checkpoint records video layout "
                             f"{recorded!r}, but {layout!r} was asked (--video_layout); a model run in the "
                             "other layout reads its video tokens wrongly")
    return recorded or layout or "onevision"


def load_model(name_or_path: str, layout: str | None = None, dtype: torch.dtype | str = "auto",
               attn_implementation: str | None = None):
    """The model from a local folder or Hub id, in its recorded layout (`layout`, if given, must
    agree). Refuses a checkpoint that leaves weights uninitialised (a silent re-init would train
    a random model)."""
    layout = resolve_layout(name_or_path, layout)
    # loaded by the stock class in both layouts (transformers' weight-name rules are looked up
    # by class and model type, and cover the stock ones), then turned into LLaVA-Video in place
    with quiet_model_type_warning():
        model, info = LlavaOnevisionForConditionalGeneration.from_pretrained(
            name_or_path, dtype=dtype, attn_implementation=attn_implementation, output_loading_info=True)
    if info.get("missing_keys"):
        raise ValueError(f"{name_or_path}: checkpoint lacks {len(info['missing_keys'])} weights, "
                         f"e.g. {sorted(info['missing_keys'])[:3]}")
    if layout == "llava_video":
        as_llava_video(model)
    else:  # recorded in every save, so a later loader asked for llava_video refuses it
        model.config.video_layout = "onevision"
    # features come from a hidden state before SigLIP's final norm: that norm gets no gradient,
    # which plain DDP would otherwise report as an unused parameter
    post_ln = getattr(model.model.vision_tower, "post_layernorm", None)
    if post_ln is not None:
        post_ln.requires_grad_(False)
    # on the inner model: PEFT calls the outer forward directly, past any hook there
    model.model.register_forward_pre_hook(refuse_uint8_pixels, with_kwargs=True)
    return model


def as_llava_video(model) -> None:
    """A loaded LLaVA-OneVision model as LLaVA-Video, in place (same parameters): its saves then
    record `model_type: llava_video` and ship the code that runs it."""
    cfg = {k: v for k, v in model.config.to_dict().items() if k not in ("model_type", "transformers_version")}
    model.config = LlavaVideoConfig(**cfg)
    model.model.config = model.config
    model.__class__ = LlavaVideoForConditionalGeneration
    model.model.__class__ = LlavaVideoModel


@contextmanager
def quiet_model_type_warning():
    """Loading a llava_onevision checkpoint as LLaVA-Video is intended here (resolve_layout
    checked it): silence transformers' model-type warning for that one call."""
    from transformers.utils import logging as hf_logging

    log = hf_logging.get_logger("transformers.configuration_utils")
    old = log.level
    log.setLevel(40)
    try:
        yield
    finally:
        log.setLevel(old)


def refuse_uint8_pixels(module, args, kwargs):
    """The vision tower would cast uint8 0..255 to float without complaint: a collator built with
    `uint8_pixels=True` needs its frames normalised first (VideoSFTTrainer does it on the device)."""
    pixels = kwargs.get("pixel_values_videos")
    if pixels is not None and pixels.dtype == torch.uint8:
        raise TypeError("pixel_values_videos is uint8: normalise it first (train.frames.normalise)")


def set_layout(model, layout: str) -> None:
    """Switch a model built in memory (benchmarks) between the layouts: same parameters."""
    from transformers.models.llava_onevision.modeling_llava_onevision import LlavaOnevisionModel

    VideoLayout(layout, 1)  # validates the name
    model.model.__class__ = LlavaVideoModel if layout == "llava_video" else LlavaOnevisionModel


def layout_of(model) -> str:
    return "llava_video" if isinstance(model.model, LlavaVideoModel) else "onevision"


def load_tokenizer(name_or_path: str):
    kwargs = {}
    if recorded_layout(name_or_path) == "llava_video":
        # AutoTokenizer would otherwise read config.json through AutoConfig, which asks about the
        # checkpoint's own code (model_type llava_video): hand it the config we already know
        with quiet_model_type_warning():
            kwargs["config"] = LlavaVideoConfig.from_pretrained(name_or_path)
    tok = AutoTokenizer.from_pretrained(name_or_path, **kwargs)
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
