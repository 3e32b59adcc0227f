"""LLaVA-Video for plain transformers: the file every `llava_video` checkpoint ships beside its
weights (transformers copies it there on save), so that

    AutoModelForImageTextToText.from_pretrained(ckpt, trust_remote_code=True)
    AutoProcessor.from_pretrained(ckpt, trust_remote_code=True)

run LLaVA-Video's layout, and every loader that does not run this code refuses the checkpoint
(its `model_type` is `llava_video`, which transformers does not know) instead of silently running
LLaVA-OneVision's layout on LLaVA-Video weights.

Same weights and parameter names as LLaVA-OneVision (SigLIP + 2-layer projector + Qwen2); only
the video features differ: OneVision's pooled frames (27x27 -> 14x14 bilinear) with a newline
embedding after every pooled row of every frame (`mm_newline_position: grid`, 14 x 15 = 210
tokens per frame) instead of one closing the video. The processor expands `<video>` to that many
tokens and can write LLaVA-Video's time instruction.

Self-contained on purpose (torch and transformers only): it is run from inside checkpoints.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from transformers import LlavaOnevisionConfig, LlavaOnevisionForConditionalGeneration
from transformers.conversion_mapping import get_checkpoint_conversion_mapping, register_checkpoint_conversion_mapping
from transformers.models.llava_onevision.modeling_llava_onevision import LlavaOnevisionModel
from transformers.processing_utils import ProcessorMixin

MODEL_TYPE = "llava_video"
AUTO_MAP = {"AutoConfig": "hf_llava_video.LlavaVideoConfig",
            "AutoModel": "hf_llava_video.LlavaVideoForConditionalGeneration",
            "AutoModelForImageTextToText": "hf_llava_video.LlavaVideoForConditionalGeneration"}
SYSTEM_PROMPT = "You are a helpful assistant."
# ChatML as both families were trained with; a video part renders as "<video>\n"; assistant turns
# sit in generation markers so `return_assistant_tokens_mask` works
CHAT_TEMPLATE = (
    "{% macro render(content) %}{% if content is string %}{{ content }}{% else %}"
    "{% for part in content %}{% if part['type'] == 'video' %}<video>\n"
    "{% elif part['type'] == 'image' %}<image>\n"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}{% endmacro %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\n" + SYSTEM_PROMPT + "<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['role'] == 'assistant' %}"
    "{% generation %}{{ render(message['content']) }}<|im_end|>{% endgeneration %}\n"
    "{% else %}{{ render(message['content']) }}<|im_end|>\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def time_instruction(duration_s: float, frame_times_s: list[float]) -> str:
    """LLaVA-Video's time prompt: video length, frame count and each frame's time, 2 decimals."""
    times = ",".join(f"{t:.2f}s" for t in frame_times_s)
    return (f"The video lasts for {duration_s:.2f} seconds, and {len(frame_times_s)} frames are uniformly "
            f"sampled from it. These frames are located at {times}.Please answer the following questions "
            f"related to this video.")


class LlavaVideoConfig(LlavaOnevisionConfig):
    model_type = MODEL_TYPE

    def __init__(self, video_layout: str = MODEL_TYPE, **kwargs):
        if video_layout != MODEL_TYPE:
            raise ValueError(f"LlavaVideoConfig: video_layout {video_layout!r}, expected {MODEL_TYPE!r}")
        self.video_layout = video_layout
        kwargs.setdefault("auto_map", dict(AUTO_MAP))
        super().__init__(**kwargs)


def grid_video_features(pooled: torch.Tensor, frames: int, newline: torch.Tensor) -> torch.Tensor:
    """(B, F*p*p, D) pooled features -> (B, F*p*(p+1), D): the newline embedding after each row."""
    b = pooled.shape[0]
    side = int(round((pooled.shape[1] // frames) ** 0.5))
    rows = pooled.reshape(b, frames * side, side, -1)
    nl = newline.to(rows.dtype).expand(b, frames * side, 1, -1)
    return torch.cat([rows, nl], dim=2).reshape(b, frames * side * (side + 1), -1)


class LlavaVideoModel(LlavaOnevisionModel):
    """OneVision's model with LLaVA-Video's grid newlines (same parameters)."""

    def get_video_features(self, pixel_values_videos, *args, **kwargs):
        out = super().get_video_features(pixel_values_videos, *args, **kwargs)
        frames = pixel_values_videos.shape[1]
        out.pooler_output = grid_video_features(out.pooler_output[:, :-1], frames, self.image_newline)
        return out


class LlavaVideoForConditionalGeneration(LlavaOnevisionForConditionalGeneration):
    config_class = LlavaVideoConfig

    def __init__(self, config):
        super().__init__(config)
        # the inner model keeps its class name for transformers' weight-name rules; only its
        # video features change (a subclass with the same parameters)
        self.model.__class__ = LlavaVideoModel


# llava-hf checkpoints store `language_model.model.*` etc.: the rules transformers applies to
# llava_onevision apply unchanged to this model type
try:
    register_checkpoint_conversion_mapping(MODEL_TYPE, get_checkpoint_conversion_mapping("llava_onevision"))
except ValueError:  # already registered (module imported twice: package and checkpoint copy)
    pass


class LlavaVideoProcessor(ProcessorMixin):
    """Text + videos -> model inputs for LLaVA-Video, without torchvision.

    `videos`: one per `<video>` in the text, each uint8 frames (F, H, W, 3) or (F, 3, H, W), already
    sampled (LLaVA-Video: 64 uniformly). Frames are resized to `size` (bicubic, antialiased),
    scaled to [0, 1] and normalised; `<video>` becomes F * p * (p + 1) video tokens. Give
    `frame_times` (seconds per frame) and `durations` per video to add LLaVA-Video's time
    instruction after the video block, as it was trained.
    """

    def __init__(self, tokenizer=None, chat_template=None, size: int = 384, patch_size: int = 14,
                 image_mean=(0.5, 0.5, 0.5), image_std=(0.5, 0.5, 0.5), num_frames: int = 64,
                 video_token: str = "<video>", **kwargs):
        self.size = size
        self.patch_size = patch_size
        self.image_mean = list(image_mean)
        self.image_std = list(image_std)
        self.num_frames = num_frames
        self.video_token = video_token
        super().__init__(tokenizer, chat_template=chat_template or CHAT_TEMPLATE)

    @property
    def pooled(self) -> int:
        return math.ceil(self.size // self.patch_size / 2)

    def num_video_tokens(self, frames: int) -> int:
        return frames * self.pooled * (self.pooled + 1)

    def pixels(self, video) -> torch.Tensor:
        frames = torch.as_tensor(video)
        if frames.dtype != torch.uint8 or frames.ndim != 4:
            raise ValueError(f"a video must be uint8 frames (F, H, W, 3) or (F, 3, H, W), got "
                             f"{frames.dtype} {tuple(frames.shape)}")
        if frames.shape[1] != 3:
            frames = frames.permute(0, 3, 1, 2)
        if frames.shape[-2:] != (self.size, self.size):
            frames = F.interpolate(frames.contiguous(), size=(self.size, self.size), mode="bicubic",
                                   align_corners=False, antialias=True)
        std = torch.tensor(self.image_std).view(3, 1, 1)
        mean = torch.tensor(self.image_mean).view(3, 1, 1)
        return frames.float().mul_(1.0 / (255.0 * std)).sub_(mean / std)

    def __call__(self, text=None, videos=None, frame_times=None, durations=None, return_tensors="pt", **kwargs):
        texts = [text] if isinstance(text, str) else list(text or [])
        videos = list(videos or [])
        pixels = [self.pixels(v) for v in videos]
        out_texts, k = [], 0
        for t in texts:
            pieces = t.split(self.video_token)
            s = pieces[0]
            for rest in pieces[1:]:
                if k >= len(pixels):
                    raise ValueError(f"{t.count(self.video_token)} {self.video_token} in the text, "
                                     f"{len(pixels)} videos given")
                s += self.video_token * self.num_video_tokens(pixels[k].shape[0])
                if frame_times is not None:
                    rest = rest[1:] if rest.startswith("\n") else rest
                    rest = "\n" + time_instruction(durations[k], frame_times[k]) + "\n" + rest
                s += rest
                k += 1
            out_texts.append(s)
        if k != len(pixels):
            raise ValueError(f"{k} {self.video_token} in the text, {len(pixels)} videos given")
        enc = self.tokenizer(out_texts, return_tensors=return_tensors, padding=True, add_special_tokens=False,
                             **kwargs)
        data = dict(enc)
        if pixels:
            data["pixel_values_videos"] = torch.stack(pixels)
        from transformers.feature_extraction_utils import BatchFeature

        return BatchFeature(data=data, tensor_type=None)

    def batch_decode(self, *args, **kwargs):
        return self.tokenizer.batch_decode(*args, **kwargs)

    def decode(self, *args, **kwargs):
        return self.tokenizer.decode(*args, **kwargs)


# saves copy this file into the checkpoint and point config.json / processor_config.json at it
LlavaVideoConfig.register_for_auto_class()
LlavaVideoForConditionalGeneration.register_for_auto_class("AutoModelForImageTextToText")
LlavaVideoProcessor.register_for_auto_class("AutoProcessor")
