"""Evaluation protocols of the model plugin (`simsv_llava`), as named profiles.

- `train`: the layout the checkpoint was trained with (its `simsv_video.json`): frames, pooling,
  newline layout and, for `llava_video`, the time instruction, exactly as `train/` builds them.
- `paper`: what produced the published LLaVA-Video / LLaVA-OneVision numbers the SIMS-V paper
  compares with: lmms-eval's own adapters at their defaults, given only the frame count (32;
  issue 23's reading of the authors' scripts).
  * LLaVA-Video checkpoints (`llava_vid`): features average-pooled with stride 2 (27x27 -> 13x13,
    floor), a newline after every pooled row (`mm_newline_position=grid`): 13 * 14 = 182 tokens
    per frame; NO time instruction (`add_time_instruction=False`); frames taken at 1 fps, or, when
    that gives more than 32, 32 uniformly (`force_sample=False`).
  * LLaVA-OneVision checkpoints (`llava_onevision`): bilinear pooling to 14x14 (ceil), one
    newline after the video: 196 per frame + 1; 32 frames sampled uniformly. This is the
    `onevision` training layout, so for OneVision `paper` differs from `train` only if the
    checkpoint was trained with another frame count.
  Both: ChatML (`qwen_1_5`: "You are a helpful assistant." system turn), greedy decoding, the
  task's `max_new_tokens` (16 for VSI-Bench), lmms-eval's `default` prompts.

The `paper` side of LLaVA-Video lives here, not in train/: the model class below swaps
OneVision's bilinear pooling for LLaVA-NeXT's average pooling, and `PaperGridLayout` counts its
tokens for the collator (which adds the time instruction only for the `llava_video` layout).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import functools

import numpy as np

from simsv_vsi.sampling import uniform_frame_indices
from train.layouts import VideoLayout

PROFILES = ("train", "paper")
PAPER_FRAMES = 32  # the frame count the SIMS-V authors' launcher passes to lmms-eval
VIDEO_FPS = 1  # llava_vid's `video_fps`: candidate frames per second before the cap


@dataclass(frozen=True)
class Protocol:
    """Everything about how a video reaches the model, recorded with every result."""

    profile: str  # train | paper
    family: str  # the checkpoint's layout: onevision | llava_video
    reproduces: str  # the lmms-eval adapter whose defaults this mirrors, or "training"
    pooling: str  # bilinear (ceil) | average (floor), stride 2
    newline: str  # one_token: one after the video | grid: one after every pooled row
    time_instruction: bool
    frames: int  # the cap K
    sampling: str  # uniform: K frames, np.linspace | fps_capped: 1 fps, K uniform when more
    conv_template: str = "qwen_1_5"
    decoding: str = "greedy"

    def layout(self, grid: int):
        """The token layout the collator writes for this protocol."""
        if self.pooling == "average":
            return PaperGridLayout(grid)
        return VideoLayout(self.family, grid)

    def tokens_per_frame(self, grid: int) -> int:
        lay = self.layout(grid)
        return lay.num_tokens(2) - lay.num_tokens(1)

    def frame_indices(self, num_frames: int, fps: float) -> list[int]:
        """Which frames are decoded."""
        if self.sampling == "uniform":
            return uniform_frame_indices(num_frames, self.frames).tolist()
        return llava_vid_frame_indices(num_frames, fps, self.frames)

    def describe(self, grid: int | None = None) -> dict:
        out = asdict(self)
        if grid is not None:
            out["tokens_per_frame"] = self.tokens_per_frame(grid)
        return out


def protocol(profile: str, family: str, trained_frames: int) -> Protocol:
    if profile not in PROFILES:
        raise ValueError(f"profile {profile!r}: expected one of {', '.join(PROFILES)}")
    if profile == "train":
        return Protocol("train", family, "training", "bilinear", "one_token" if family == "onevision" else "grid",
                        family == "llava_video", trained_frames, "uniform")
    if family == "llava_video":
        return Protocol("paper", family, "lmms-eval llava_vid", "average", "grid", False, PAPER_FRAMES, "fps_capped")
    return Protocol("paper", family, "lmms-eval llava_onevision", "bilinear", "one_token", False, PAPER_FRAMES,
                    "uniform")


def llava_vid_frame_indices(num_frames: int, fps: float, k: int) -> list[int]:
    """lmms-eval llava_vid's `load_video` with `force_sample=False`: every round(fps)-th frame
    (1 per second); if that is more than K frames, K uniformly over the whole video instead."""
    if num_frames <= 0:
        raise ValueError(f"a video needs at least one frame, got {num_frames}")
    step = max(1, round(fps / VIDEO_FPS))
    idx = list(range(0, num_frames, step))
    if len(idx) > k:
        idx = np.linspace(0, num_frames - 1, k, dtype=int).tolist()
    return idx


@dataclass(frozen=True)
class PaperGridLayout:
    """llava_vid's token layout: floor(g/2) x floor(g/2) average-pooled tokens per frame, each
    pooled row closed by a newline; the user text is the prompt alone (no time instruction)."""

    grid: int
    name: str = "llava_vid"

    @property
    def pooled(self) -> int:
        return self.grid // 2

    def num_tokens(self, frames: int) -> int:
        return frames * self.pooled * (self.pooled + 1)

    def user_text(self, prompt: str, duration_s: float, frame_times_s: list[float]) -> str:
        return prompt


@functools.cache
def average_pool_model_class():
    """LLaVA-Video as lmms-eval's llava_vid runs it: LLaVA-NeXT's `get_2dPool` in `average` mode
    (avg_pool2d, stride 2, so 27 -> 13) instead of OneVision's bilinear resize to ceil(27/2) = 14;
    the grid newlines come from train's LlavaVideoGridModel. Built on first use, so the runner's
    input checks do not import transformers."""
    import torch.nn.functional as F

    from train.model import LlavaVideoGridModel

    class AveragePoolGridModel(LlavaVideoGridModel):
        def apply_pooling(self, image_features):
            side = self.config.vision_config.image_size // self.config.vision_config.patch_size
            frames, seq, dim = image_features.shape
            if seq != side * side:
                raise ValueError(f"expected {side}x{side} patch features per frame, got {seq}")
            x = image_features.view(frames, side, side, dim).permute(0, 3, 1, 2)
            x = F.avg_pool2d(x, 2)
            return x.permute(0, 2, 3, 1).reshape(frames, -1, dim)

    return AveragePoolGridModel


def set_protocol_model(model, proto: Protocol) -> None:
    """Give the loaded model the feature layout of the protocol (after train.model.load_model)."""
    if proto.pooling == "average":
        model.model.__class__ = average_pool_model_class()


def real_model_token_counts(grid: int = 27) -> dict:
    """Visual tokens per video for the 7B models (SigLIP at 384 px: 27x27 patches), per protocol
    and family, at 32 and 64 frames: the table in eval/README.md."""
    out = {}
    for family in ("onevision", "llava_video"):
        for profile in PROFILES:
            proto = protocol(profile, family, 32 if family == "onevision" else 64)
            lay = proto.layout(grid)
            out[(profile, family)] = {k: lay.num_tokens(k) for k in (32, 64)}
    return out

