"""Our fine-tuned checkpoints in lmms-eval, both layouts, under a named evaluation protocol
(`eval.profiles`): the same resize and normalisation (`train.frames`), the same ChatML text and
video token block (`train.collator`), then greedy decoding of the assistant turn.

    lmms-eval --model simsv_llava --model_args pretrained=runs/ov-3q[,profile=paper][,layout=llava_video,num_frames=64]

`profile=train` (default): the checkpoint's training layout and frame count (`simsv_video.json`).
`profile=paper`: what produced the published numbers (lmms-eval's llava_vid / llava_onevision at
their defaults, 32 frames). `layout` and `num_frames` override the checkpoint's record.
A still image (e.g. MME-RealWorld) is given as a one-frame video: LLaVA's own image path
(any-resolution tiles) is not reproduced, so image benchmarks are not comparable with published
numbers.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import torch
from lmms_eval.api.model import lmms
from tqdm import tqdm

from eval.profiles import protocol, set_protocol_model
from train.collator import VideoSFTCollator
from train.frames import open_video, to_pixels
from train.model import PREPROCESSING_FILE, frame_spec, load_model, load_tokenizer, vision_grid


def _saved_preprocessing(pretrained: str) -> dict:
    f = Path(pretrained) / PREPROCESSING_FILE
    return json.loads(f.read_text()) if f.is_file() else {}


class SimsvLlava(lmms):
    is_simple = True

    def __init__(self, pretrained: str, layout: str | None = None, num_frames: int | None = None,
                 profile: str = "train", device: str | None = None, dtype: str = "auto", batch_size: int = 1,
                 max_batch_size: int | None = None, **kwargs):
        super().__init__()
        if kwargs:
            raise ValueError(f"simsv_llava: unknown model_args {', '.join(sorted(kwargs))}")
        saved = _saved_preprocessing(pretrained)
        self.layout_name = layout or saved.get("layout", "onevision")
        self.protocol = protocol(profile, self.layout_name, int(saved.get("frames", 32)))
        if num_frames is not None:  # an explicit frame count wins over the profile's
            self.protocol = dataclasses.replace(self.protocol, frames=int(num_frames))
        self.device_ = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model = load_model(pretrained, self.layout_name, dtype=dtype).to(self.device_).eval()
        set_protocol_model(self.model, self.protocol)
        self.tokenizer = load_tokenizer(pretrained)
        self.layout = self.protocol.layout(vision_grid(self.model))
        self.spec = frame_spec(pretrained, self.model, self.protocol.frames)
        self.collator = VideoSFTCollator(self.tokenizer, self.model.config.video_token_id, self.layout, self.spec)
        # the generation prompt: the assistant turn's header, as the collator writes it in training
        self.answer_head = self.tokenizer("<|im_start|>assistant\n", add_special_tokens=False)["input_ids"]

    def _frames(self, visual) -> torch.Tensor | None:
        """uint8 (K, 3, H, W) frames when the protocol picks them itself (llava_vid's 1-fps rule,
        or a still image as one frame); None when the collator's uniform sampler does it."""
        if hasattr(visual, "convert"):  # a PIL image
            return torch.from_numpy(np.array(visual.convert("RGB"))).permute(2, 0, 1)[None].contiguous()
        if self.protocol.sampling == "uniform":
            return None
        decoder = open_video(visual)
        meta = decoder.metadata
        idx = self.protocol.frame_indices(meta.num_frames, float(meta.average_fps))
        return decoder.get_frames_at(idx).data

    def _prompt(self, context: str, visual) -> tuple[torch.Tensor, torch.Tensor | None]:
        content = ([{"type": "video"}] if visual is not None else []) + [{"type": "text", "text": context}]
        frames = None if visual is None else self._frames(visual)
        if frames is None:
            enc = self.collator.encode({"messages": [{"role": "user", "content": content}], "video": visual})
            pixels = enc.pixels
        else:  # as many video tokens as frames were taken
            spec = dataclasses.replace(self.spec, frames=len(frames))
            collator = VideoSFTCollator(self.tokenizer, self.model.config.video_token_id, self.layout, spec)
            enc = collator.encode({"messages": [{"role": "user", "content": content}], "video": visual},
                                  with_pixels=False)
            pixels = to_pixels(frames, spec)
        ids = torch.tensor([enc.input_ids + self.answer_head], device=self.device_)
        pixels = None if pixels is None else pixels[None].to(self.device_, self.model.dtype)
        return ids, pixels

    @torch.no_grad()
    def generate_until(self, requests):
        out = []
        for context, gen, doc_to_visual, doc_id, task, split in tqdm([r.args for r in requests], desc="simsv_llava",
                                                                       disable=self.rank != 0):
            visuals = doc_to_visual(self.task_dict[task][split][doc_id]) or []
            if len(visuals) > 1:
                raise ValueError(f"{task} doc {doc_id}: {len(visuals)} visuals; simsv_llava takes one video")
            ids, pixels = self._prompt(context, visuals[0] if visuals else None)
            kwargs = {"pixel_values_videos": pixels} if pixels is not None else {}
            gen_ids = self.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                          max_new_tokens=int(gen.get("max_new_tokens", 16)),
                                          pad_token_id=self.collator.pad_id, **kwargs)
            text = self.tokenizer.decode(gen_ids[0, ids.shape[1]:], skip_special_tokens=True)
            for stop in gen.get("until", []) or []:
                text = text.split(stop)[0]
            out.append(text.strip())
        return out

    def loglikelihood(self, requests):
        raise NotImplementedError("simsv_llava scores generation tasks only")

    def generate_until_multi_round(self, requests):
        raise NotImplementedError("simsv_llava scores single-turn tasks only")
