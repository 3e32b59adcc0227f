"""Fine-tune LLaVA-OneVision or LLaVA-Video on SIMS-VSI with TRL's SFTTrainer.

    # CPU smoke run on a tiny random model (what CI runs)
    python -m train.tiny --out /tmp/tiny
    accelerate launch train/sft.py --model_name_or_path /tmp/tiny --dataset demo/sims-vsi \\
        --num_frames 4 --max_steps 2 --output_dir /tmp/sft-smoke

    # the paper's recipe, LLaVA-Video-7B (python -m train.convert), 64 frames, 8 GPUs, ZeRO-2
    # (ZeRO-3 gives the same updates with less memory per GPU: accelerate_zero3.yaml)
    accelerate launch --config_file train/configs/accelerate_zero2.yaml train/sft.py \\
        --config train/configs/paper_llava_video.yaml --model_name_or_path ckpt/llava-video-7b-hf

    # LoRA on one GPU (adapters at --lora_lr, 2e-4 by default)
    accelerate launch train/sft.py --config train/configs/paper_onevision.yaml --use_peft \\
        --model_name_or_path llava-hf/llava-onevision-qwen2-7b-ov-hf

Data: `--dataset` is ours (a Hub id, a folder `simsv export` wrote, or parquet files) or the
authors' release (`ellisbrown/SIMS-VSI` or a local copy, train/official.py); `--dataset_config`
picks the mix. The recipe flags (train/recipe.py) default to the paper's. A run resumes from the
newest checkpoint in `--output_dir`. Every save (checkpoints too) gets processor files, chat
template, a model card and `simsv_video.json`, and records its video layout (train/checkpoint.py).
Bad input: one line on stderr naming the flag or file, exit 2 (flags) or 1 (files, data), nothing
written; `-v` shows the traceback.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

if __package__ in (None, ""):  # `accelerate launch train/sft.py` runs this file as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
from transformers.trainer_utils import get_last_checkpoint
from trl import ModelConfig, SFTConfig, TrlParser

from train.cards import ModelCardCallback, hyperparameters, write_card
from train.collator import VideoSFTCollator
from train.data import DataArguments, default_video_root, drop_too_long, load_training_data
from train.layouts import VideoLayout
from train.model import frame_spec, layout_of, load_model, load_tokenizer, lora_config, vision_grid
from train.recipe import RecipeArguments, RecipeError, apply_tune_parts, gradient_accumulation
from train.trainer import VideoSFTTrainer

logger = logging.getLogger("train.sft")


class UsageError(ValueError):
    """A flag outside its allowed range (exit 2, the message names the flag)."""


def _at_least(flag: str, value, low, allow_none: bool = True) -> None:
    if value is None and allow_none:
        return
    if value is None or value < low:
        raise UsageError(f"--{flag} {value}: must be >= {low}")


def check_arguments(data_args: DataArguments, training_args: SFTConfig, model_args: ModelConfig,
                    recipe: RecipeArguments | None = None) -> None:
    """Refuse bad settings before any weights load or anything is written."""
    if not model_args.model_name_or_path:
        raise UsageError("--model_name_or_path is required (a folder or Hub id of a LLaVA-OneVision / LLaVA-Video "
                         "checkpoint in the llava-hf layout; python -m train.convert makes one from LLaVA-NeXT's)")
    name = model_args.model_name_or_path
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"--model_name_or_path {name}: no config.json in that folder")
    elif path.exists() or name.startswith((".", "/", "~")) or name.count("/") != 1:
        raise FileNotFoundError(f"--model_name_or_path {name}: no such checkpoint folder")
    if data_args.video_layout is not None:
        try:
            VideoLayout(data_args.video_layout, 1)
        except ValueError as e:
            raise UsageError(f"--video_layout: {e}") from None
    _at_least("num_frames", data_args.num_frames, 1, allow_none=False)
    _at_least("max_train_samples", data_args.max_train_samples, 1)
    if data_args.mix_dataset and not 0 < data_args.mix_fraction < 1:
        raise UsageError(f"--mix_fraction {data_args.mix_fraction}: must be in (0, 1) with --mix_dataset")
    _at_least("per_device_train_batch_size", training_args.per_device_train_batch_size, 1, allow_none=False)
    _at_least("gradient_accumulation_steps", training_args.gradient_accumulation_steps, 1, allow_none=False)
    _at_least("max_length", training_args.max_length, 1)
    if not training_args.learning_rate > 0:
        raise UsageError(f"--learning_rate {training_args.learning_rate}: must be > 0")
    if training_args.max_steps == 0 or (training_args.max_steps < 0 and not training_args.num_train_epochs > 0):
        raise UsageError(f"--max_steps {training_args.max_steps} / --num_train_epochs "
                         f"{training_args.num_train_epochs}: nothing to train (max_steps >= 1, or epochs > 0)")
    if training_args.warmup_steps < 0:
        raise UsageError(f"--warmup_steps {training_args.warmup_steps}: must be >= 0 (a float below 1 is a ratio)")
    if training_args.save_steps is not None and training_args.save_steps <= 0:
        raise UsageError(f"--save_steps {training_args.save_steps}: must be > 0")
    if training_args.packing or training_args.padding_free:
        raise UsageError("--packing / --padding_free: not supported for video rows")
    out = Path(training_args.output_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--output_dir {out}: exists and is not a folder")
    if recipe is not None and recipe.global_batch_size is not None:
        gradient_accumulation(recipe.global_batch_size, training_args.per_device_train_batch_size,
                              training_args.world_size)


def check_videos(ds, video_root: str | None, limit: int | None = None) -> None:
    """Open every distinct video of the training rows (its container header, no frames) so a
    missing or truncated file stops the run before it starts, by name."""
    from datasets import Video

    from train.frames import open_video

    if "video" not in ds.column_names:
        return
    cheap = ds.cast_column("video", Video(decode=False)) if isinstance(ds.features.get("video"), Video) else ds
    seen = set()
    for value in cheap["video"]:
        if value is None:
            continue
        key = value if isinstance(value, str) else (value.get("path") or id(value))
        if key in seen:
            continue
        seen.add(key)
        try:
            open_video(value, video_root).metadata
        except (FileNotFoundError, ValueError):
            raise
        except Exception as e:
            where = Path(video_root or ".") / key if isinstance(key, str) else key
            raise ValueError(f"video {where}: cannot be decoded, truncated or not a video "
                             f"({type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''})") from None


def main(data_args: DataArguments, recipe: RecipeArguments, training_args: SFTConfig, model_args: ModelConfig) -> Path:
    check_arguments(data_args, training_args, model_args, recipe)
    if recipe.global_batch_size is not None:
        training_args.gradient_accumulation_steps = gradient_accumulation(
            recipe.global_batch_size, training_args.per_device_train_batch_size, training_args.world_size)
    # our collator builds labels and handles the video column itself
    training_args.remove_unused_columns = False
    training_args.dataset_kwargs = {**(training_args.dataset_kwargs or {}), "skip_prepare_dataset": True}

    # Model
    model = load_model(model_args.model_name_or_path, data_args.video_layout, dtype=model_args.dtype or "auto",
                       attn_implementation=model_args.attn_implementation)
    if not model_args.use_peft:
        apply_tune_parts(model, recipe.parts)
    tokenizer = load_tokenizer(model_args.model_name_or_path)
    layout = VideoLayout(layout_of(model), vision_grid(model))
    spec = frame_spec(model_args.model_name_or_path, model, data_args.num_frames)

    # Data
    # uint8 pixels: the trainer normalises them on the device (loader workers do ~20% less work)
    video_root = default_video_root(data_args)
    collator = VideoSFTCollator(tokenizer, model.config.video_token_id, layout, spec,
                                max_length=training_args.max_length, video_root=video_root,
                                uint8_pixels=True, loss_mask=recipe.loss_mask)
    train, evals = load_training_data(data_args, seed=training_args.seed, recipe=recipe)
    check_videos(train, video_root)
    train = drop_too_long(train, collator, training_args.max_length, "train")
    if len(train) == 0:
        raise ValueError(f"--dataset {data_args.dataset}: no training rows left (after --max_length "
                         f"{training_args.max_length})")
    if training_args.train_sampling_strategy == "random":
        # HF's RandomSampler draws from the global RNG, whose state differs after a resume: a seeded
        # shuffle here makes the order a function of the seed alone (each epoch repeats it)
        train = train.shuffle(seed=training_args.seed)
        training_args.train_sampling_strategy = "sequential"
    if evals is not None:
        evals = drop_too_long(evals, collator, training_args.max_length, data_args.eval_split)

    # Trainer
    card = dict(base_model=model_args.model_name_or_path, dataset=data_args.dataset,
                config=data_args.dataset_config, spec=spec, layout=layout.name, tokenizer=tokenizer,
                patch_size=model.config.vision_config.patch_size)
    trainer = VideoSFTTrainer(model=model, args=training_args, train_dataset=train, eval_dataset=evals,
                              data_collator=collator, processing_class=tokenizer, frame_spec=spec, recipe=recipe,
                              peft_config=lora_config(model_args), callbacks=[ModelCardCallback(card)])
    card["hp"] = hyperparameters(training_args, model_args, layout.name, zero_stage(trainer), recipe)
    logger.info("training %d rows on %d process(es)%s, global batch %d", len(train), training_args.world_size,
                f", DeepSpeed ZeRO-{card['hp']['DeepSpeed'][-1]}" if "DeepSpeed" in card["hp"] else "",
                card["hp"]["global batch"])
    out = Path(training_args.output_dir)
    resume = training_args.resume_from_checkpoint or (get_last_checkpoint(str(out)) if out.is_dir() else None)
    if resume:
        logger.info("resuming from %s", resume)
    trainer.train(resume_from_checkpoint=resume)

    trainer.save_model(str(out))
    if trainer.is_world_process_zero():
        write_card(out, **card)
    if training_args.push_to_hub:
        trainer.push_to_hub(dataset_name=data_args.dataset)
    return out


def zero_stage(trainer) -> int | None:
    """The DeepSpeed ZeRO stage this run uses (from --deepspeed or accelerate's config), or None."""
    plugin = getattr(trainer.accelerator.state, "deepspeed_plugin", None)
    return int(plugin.zero_stage) if plugin is not None else None


def make_parser() -> TrlParser:
    return TrlParser((DataArguments, RecipeArguments, SFTConfig, ModelConfig))


def check_config_file(argv: list[str]) -> None:
    """--config FILE: present and a YAML mapping (TRL would raise a traceback)."""
    for i, a in enumerate(argv):
        if a == "--config" or a.startswith("--config="):
            value = a.split("=", 1)[1] if "=" in a else (argv[i + 1] if i + 1 < len(argv) else None)
            if value is None:
                raise UsageError("--config: needs a YAML file")
            f = Path(value)
            if not f.is_file():
                raise FileNotFoundError(f"--config {f}: no such file")
            import yaml

            try:
                data = yaml.safe_load(f.read_text())
            except yaml.YAMLError as e:
                raise UsageError(f"--config {f}: not valid YAML ({str(e).splitlines()[0]})") from None
            if not isinstance(data, dict):
                raise UsageError(f"--config {f}: expected a mapping of flag: value")


def run(argv: list[str]) -> int:
    """The command line: one readable line on stderr and a non-zero exit for bad input (exit 2 for
    flags, 1 for files and data), a traceback only with -v / --verbose."""
    verbose = any(a in ("-v", "--verbose") for a in argv)
    argv = [a for a in argv if a not in ("-v", "--verbose")]
    if not torch.cuda.is_available() and "--use_cpu" not in argv:
        # set before the arguments are built: on CPU, DeepSpeed and HF otherwise disagree on world size
        argv.append("--use_cpu")
    try:
        check_config_file(argv)
        parsed = make_parser().parse_args_and_config(args=argv)
        main(*parsed)
    except (UsageError, RecipeError) as e:
        if verbose:
            raise
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (ValueError, OSError, TypeError) as e:
        if verbose:
            raise
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(f"error: {msg}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(run(sys.argv[1:]))
