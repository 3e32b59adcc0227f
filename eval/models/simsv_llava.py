"""Our fine-tuned checkpoints in lmms-eval, both layouts, with exactly the training-time frames and
prompt: the same sampler, resize and normalisation (`train.frames`), the same ChatML text and video
token block (`train.collator`), then greedy decoding of the assistant turn.

    lmms-eval --model simsv_llava --model_args pretrained=runs/ov-3q[,layout=llava_video,num_frames=64]

`layout` and `num_frames` default to what the checkpoint's `simsv_video.json` records.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from lmms_eval.api.model import lmms
from tqdm import tqdm

from train.collator import VideoSFTCollator
from train.layouts import VideoLayout
from train.model import PREPROCESSING_FILE, frame_spec, load_model, load_tokenizer, vision_grid


def _saved_preprocessing(pretrained: str) -> dict:
    f = Path(pretrained) / PREPROCESSING_FILE
    return json.loads(f.read_text()) if f.is_file() else {}


class SimsvLlava(lmms):
    is_simple = True

    def __init__(self, pretrained: str, layout: str | None = None, num_frames: int | None = None,
                 device: str | None = None, dtype: str = "auto", batch_size: int = 1, **kwargs):
        super().__init__()
        saved = _saved_preprocessing(pretrained)
        self.layout_name = layout or saved.get("layout", "onevision")
        frames = int(num_frames or saved.get("frames", 32))
        self.device_ = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model = load_model(pretrained, self.layout_name, dtype=dtype).to(self.device_).eval()
        self.tokenizer = load_tokenizer(pretrained)
        layout = VideoLayout(self.layout_name, vision_grid(self.model))
        self.spec = frame_spec(pretrained, self.model, frames)
        self.collator = VideoSFTCollator(self.tokenizer, self.model.config.video_token_id, layout, self.spec)
        # the generation prompt: the assistant turn's header, as the collator writes it in training
        self.answer_head = self.tokenizer("<|im_start|>assistant\n", add_special_tokens=False)["input_ids"]

    def _prompt(self, context: str, video) -> tuple[torch.Tensor, torch.Tensor | None]:
        content = ([{"type": "video"}] if video is not None else []) + [{"type": "text", "text": context}]
        enc = self.collator.encode({"messages": [{"role": "user", "content": content}], "video": video})
        ids = torch.tensor([enc.input_ids + self.answer_head], device=self.device_)
        pixels = None if enc.pixels is None else enc.pixels[None].to(self.device_, self.model.dtype)
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
