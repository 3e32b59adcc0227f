"""SFTTrainer with one repair: resuming a full-model checkpoint.

transformers 5.23 saves LLaVA-OneVision checkpoints in the llava-hf key layout
(`language_model.model.*`) but its Trainer resumes them with a raw `load_state_dict`, which maps
none of those keys back: every weight is reported missing and training silently continues from
the base weights. Here such checkpoints reload through `from_pretrained`, which converts the
layout, and the load is strict. Adapter (PEFT), DeepSpeed and FSDP resumes are unchanged.

Given a `frame_spec`, it also finishes the pixels of a collator built with `uint8_pixels=True`:
uint8 frames reach the device (4x fewer bytes than float32) and are normalised there, with the
same `train.frames.normalise` that `to_pixels` runs on CPU, before the training or eval step.
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers.utils import SAFE_WEIGHTS_INDEX_NAME, SAFE_WEIGHTS_NAME
from trl import SFTTrainer

from train.frames import FrameSpec, normalise


class VideoSFTTrainer(SFTTrainer):
    def __init__(self, *args, frame_spec: FrameSpec | None = None, recipe=None, **kwargs):
        self.frame_spec = frame_spec
        self.recipe = recipe
        super().__init__(*args, **kwargs)
        if recipe is not None and recipe.loss_averaging == "micro_batch":
            # each micro-batch's own token mean, divided by the accumulation steps by the Trainer
            # (and averaged over devices by DDP/DeepSpeed): LLaVA-NeXT's averaging
            self.loss_is_scaled_for_ga = False

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if self.recipe is not None and self.recipe.loss_averaging == "micro_batch":
            num_items_in_batch = None  # TRL then divides by this micro-batch's labelled tokens
        return super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)

    def create_optimizer(self, model=None):
        """HF's optimizer, with one parameter group per recipe part (vision tower, projector,
        language model, LoRA adapters) at that part's learning rate. The scheduler scales each
        group's own rate."""
        if self.optimizer is not None or self.recipe is None:
            return super().create_optimizer(model)
        from train.recipe import optimizer_groups

        opt_model = self.model if model is None else model
        r = self.recipe
        groups = optimizer_groups(opt_model, self.args.learning_rate, self.args.weight_decay,
                                  set(self.get_decay_parameter_names(opt_model)), vision_tower_lr=r.vision_tower_lr,
                                  projector_lr=r.projector_lr,
                                  lora_lr=r.lora_lr if hasattr(opt_model, "peft_config") else None)
        cls, kwargs = self.get_optimizer_cls_and_kwargs(self.args, opt_model)
        kwargs.pop("lr", None)
        self.optimizer = cls([{k: v for k, v in g.items() if k != "part"} for g in groups], **kwargs)
        self.optimizer_parts = [g["part"] for g in groups]  # parallel to param_groups, for tests and logs
        return self.optimizer

    def _prepare_inputs(self, inputs):
        """Moves the batch to the device (HF), then normalises uint8 video frames there. Both the
        training and the eval step come through here."""
        inputs = super()._prepare_inputs(inputs)
        frames = inputs.get("pixel_values_videos")
        if frames is None or frames.dtype != torch.uint8:
            return inputs
        if self.frame_spec is None:
            raise ValueError("uint8 pixel_values_videos (collator uint8_pixels=True) need "
                             "VideoSFTTrainer(frame_spec=...)")
        pixels = normalise(frames, self.frame_spec)
        if self.is_deepspeed_enabled:  # the dtype HF's _prepare_input gives float inputs under DeepSpeed
            pixels = pixels.to(self.accelerator.state.deepspeed_plugin.hf_ds_config.dtype())
        return {**inputs, "pixel_values_videos": pixels}

    def _load_from_checkpoint(self, resume_from_checkpoint, model=None):
        model = model if model is not None else self.model
        folder = Path(resume_from_checkpoint)
        full = (folder / SAFE_WEIGHTS_NAME).is_file() or (folder / SAFE_WEIGHTS_INDEX_NAME).is_file()
        special = self.is_deepspeed_enabled or self.is_fsdp_enabled or hasattr(model, "peft_config")
        if not full or special:
            return super()._load_from_checkpoint(resume_from_checkpoint, model)
        saved = type(model).from_pretrained(str(folder), dtype=model.dtype)
        model.load_state_dict(saved.state_dict(), strict=True)
