"""The model card (cards/model_card.md) and preprocessing file written beside every save."""

from __future__ import annotations

from pathlib import Path

from transformers import TrainerCallback

from simsv_vsi.cards import model_card
from train.checkpoint import write_processor_files
from train.frames import FrameSpec
from train.model import save_preprocessing


def _plain(value):
    return getattr(value, "value", value)  # enums as their option string


def hyperparameters(args, model_args, layout: str, zero_stage: int | None = None, recipe=None) -> dict:
    """The settings that define a run, as the card's table shows them."""
    world = max(args.world_size, 1)
    hp = {
        "video layout": layout,
        "learning rate": args.learning_rate,
        "optimizer": _plain(args.optim),
        "weight decay": args.weight_decay,
        "schedule": f"{_plain(args.lr_scheduler_type)}, warmup {args.warmup_steps}",
        "global batch": args.per_device_train_batch_size * args.gradient_accumulation_steps * world,
        "devices": world,
        "precision": "bf16" if args.bf16 else ("fp16" if args.fp16 else "fp32"),
        "gradient checkpointing": args.gradient_checkpointing,
        "max length": args.max_length,
        "epochs / max steps": f"{args.num_train_epochs} / {args.max_steps}",
        "seed": args.seed,
    }
    if recipe is not None:
        hp["vision tower / projector lr"] = f"{recipe.vision_tower_lr or args.learning_rate} / " \
                                            f"{recipe.projector_lr or args.learning_rate}"
        hp["trained parts"] = ", ".join(recipe.parts) if not model_args.use_peft else "LoRA adapters"
        hp["loss mask / averaging"] = f"{recipe.loss_mask} / {recipe.loss_averaging}"
        hp["MC answers / prompts"] = f"{recipe.mc_answer_format} / {recipe.prompt_profile}"
    if model_args.use_peft:
        hp["LoRA"] = f"r={model_args.lora_r}, alpha={model_args.lora_alpha}, dropout={model_args.lora_dropout}"
        if recipe is not None:
            hp["LoRA"] += f", lr={recipe.lora_lr}"
    if zero_stage is not None:
        hp["DeepSpeed"] = f"ZeRO-{zero_stage}"
    return hp


def write_card(folder: str | Path, *, base_model: str, dataset: str, config: str, spec: FrameSpec, layout: str,
               hp: dict, tokenizer=None, patch_size: int = 14) -> None:
    """Model card, simsv_video.json and (given the tokenizer) the processor files and chat
    template that make the folder loadable by AutoProcessor (train/checkpoint.py)."""
    folder = Path(folder)
    if tokenizer is not None:
        write_processor_files(folder, tokenizer, layout, spec, patch_size=patch_size)
    else:
        save_preprocessing(folder, spec, layout)
    card = model_card(name=folder.resolve().name, base_model=base_model, dataset=dataset, config=config,
                      frames=spec.frames, hyperparameters=hp)
    (folder / "README.md").write_text(card)


class ModelCardCallback(TrainerCallback):
    """Writes the card into each checkpoint folder right after the trainer saved it."""

    def __init__(self, card_fields: dict):
        self.card_fields = card_fields  # shared with the script, which fills in hp once the trainer exists

    def on_save(self, args, state, control, **kwargs):
        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if state.is_world_process_zero and folder.is_dir():
            write_card(folder, **self.card_fields)
