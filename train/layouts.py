"""How a sampled video becomes visual tokens: the two model families that share one set of
weights (SigLIP + projector + Qwen2) but lay the video out differently.

- `onevision` (HF-native LLaVA-OneVision): each frame's 27x27 patch grid is bilinearly resized
  to 14x14, frames are concatenated, and ONE newline embedding closes the video:
  F * ceil(g/2)^2 + 1 tokens (6,273 for 32 frames at 384 px).
- `llava_video` (LLaVA-Video-7B): the same 14x14 bilinear pooling (its config's
  `mm_spatial_pool_mode`), but a newline embedding follows every pooled row of every frame
  (`mm_newline_position: grid`): F * p * (p + 1) tokens (64 frames: 64 * 14 * 15 = 13,440). The
  user turn also starts with a time instruction that says how long the video is and when each
  sampled frame was taken.

The model side of `llava_video` is `train.model.LlavaVideoGridModel`; the token count here and
the feature count there must agree exactly or the forward pass refuses the batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LAYOUTS = ("onevision", "llava_video")


@dataclass(frozen=True)
class VideoLayout:
    name: str
    grid: int  # vision patches per side: image_size // patch_size (27 for SigLIP at 384 px)

    def __post_init__(self):
        if self.name not in LAYOUTS:
            raise ValueError(f"video layout {self.name!r}: expected one of {', '.join(LAYOUTS)}")

    @property
    def pooled(self) -> int:
        """Pooled rows (= columns) per frame: bilinear resize to half, rounded up."""
        return math.ceil(self.grid / 2)

    def num_tokens(self, frames: int) -> int:
        """Visual tokens for a video of `frames` sampled frames."""
        p = self.pooled
        if self.name == "onevision":
            return frames * p * p + 1
        return frames * p * (p + 1)

    def user_text(self, prompt: str, duration_s: float, frame_times_s: list[float]) -> str:
        """The text that follows the video block in the user turn."""
        if self.name == "onevision":
            return prompt
        return f"{time_instruction(duration_s, frame_times_s)}\n{prompt}"


def time_instruction(duration_s: float, frame_times_s: list[float]) -> str:
    """LLaVA-Video's time prompt (its training format, reproduced so fine-tuning matches what the
    checkpoint saw): video length, frame count and each frame's timestamp with 2 decimals."""
    times = ",".join(f"{t:.2f}s" for t in frame_times_s)
    return (f"The video lasts for {duration_s:.2f} seconds, and {len(frame_times_s)} frames are uniformly "
            f"sampled from it. These frames are located at {times}.Please answer the following questions "
            f"related to this video.")
