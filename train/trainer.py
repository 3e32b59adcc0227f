"""SFTTrainer with one repair: resuming a full-model checkpoint.

transformers 5.23 saves LLaVA-OneVision checkpoints in the llava-hf key layout
(`language_model.model.*`) but its Trainer resumes them with a raw `load_state_dict`, which maps
none of those keys back: every weight is reported missing and training silently continues from
the base weights. Here such checkpoints reload through `from_pretrained`, which converts the
layout, and the load is strict. Adapter (PEFT), DeepSpeed and FSDP resumes are unchanged.
"""

from __future__ import annotations

from pathlib import Path

from transformers.utils import SAFE_WEIGHTS_INDEX_NAME, SAFE_WEIGHTS_NAME
from trl import SFTTrainer


class VideoSFTTrainer(SFTTrainer):
    def _load_from_checkpoint(self, resume_from_checkpoint, model=None):
        model = model if model is not None else self.model
        folder = Path(resume_from_checkpoint)
        full = (folder / SAFE_WEIGHTS_NAME).is_file() or (folder / SAFE_WEIGHTS_INDEX_NAME).is_file()
        special = self.is_deepspeed_enabled or self.is_fsdp_enabled or hasattr(model, "peft_config")
        if not full or special:
            return super()._load_from_checkpoint(resume_from_checkpoint, model)
        saved = type(model).from_pretrained(str(folder), dtype=model.dtype)
        model.load_state_dict(saved.state_dict(), strict=True)
