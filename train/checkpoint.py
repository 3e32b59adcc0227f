"""What makes a saved folder usable by any tool, not only ours: processor files, chat template and
the video layout recorded in the checkpoint's own config.

- `llava_video`: config.json has `model_type: llava_video` and `auto_map` to the shipped
  `hf_llava_video.py`; processor_config.json maps `AutoProcessor` to its `LlavaVideoProcessor`.
  With `trust_remote_code=True` transformers runs the right layout; without it every Auto class
  refuses the checkpoint (unknown model type), and `load_model` here refuses a wrong --video_layout.
- `onevision`: the stock llava-hf files (`LlavaOnevisionProcessor`; transformers' video processor
  needs torchvision, as for any llava-hf checkpoint).
Both also get `simsv_video.json` (frames, size, normalisation, layout) for our evaluation.
"""

from __future__ import annotations

import json
from pathlib import Path

from train.frames import FrameSpec
from train.hf_llava_video import CHAT_TEMPLATE, MODEL_TYPE, LlavaVideoProcessor


def recorded_layout(folder: str | Path) -> str | None:
    """The layout a checkpoint records (`video_layout`, or `model_type: llava_video`), else None
    (a third-party llava_onevision checkpoint that says nothing)."""
    cfg = Path(folder) / "config.json"
    if not cfg.is_file():
        return None
    data = json.loads(cfg.read_text())
    if data.get("model_type") == MODEL_TYPE:
        return "llava_video"
    return data.get("video_layout")


def write_processor_files(out: str | Path, tokenizer, layout: str, spec: FrameSpec, patch_size: int = 14) -> None:
    """Tokenizer + chat template + processor config(s) + simsv_video.json into `out`."""
    from train.model import save_preprocessing

    out = Path(out)
    tokenizer.chat_template = CHAT_TEMPLATE
    if layout == "llava_video":
        proc = LlavaVideoProcessor(tokenizer, size=spec.size, patch_size=patch_size, image_mean=spec.mean,
                                   image_std=spec.std, num_frames=spec.frames)
        proc.save_pretrained(out)
    else:
        tokenizer.save_pretrained(out)
        grid = spec.size // patch_size
        common = {"do_resize": True, "size": {"height": spec.size, "width": spec.size}, "resample": 3,
                  "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
                  "image_mean": list(spec.mean), "image_std": list(spec.std), "do_convert_rgb": True}
        files = {
            "preprocessor_config.json": {"image_processor_type": "LlavaOnevisionImageProcessor",
                                         "processor_class": "LlavaOnevisionProcessor", "do_pad": True,
                                         "image_grid_pinpoints": [[spec.size, spec.size]], **common},
            "video_preprocessor_config.json": {"video_processor_type": "LlavaOnevisionVideoProcessor",
                                               "processor_class": "LlavaOnevisionProcessor",
                                               "do_sample_frames": False, "num_frames": spec.frames, **common},
            "processor_config.json": {"processor_class": "LlavaOnevisionProcessor", "num_image_tokens": grid * grid,
                                      "vision_feature_select_strategy": "full", "image_token": "<image>",
                                      "video_token": "<video>"},
        }
        for name, data in files.items():
            (out / name).write_text(json.dumps(data, indent=2) + "\n")
    save_preprocessing(out, spec, layout)
