"""Fine-tune LLaVA-OneVision or LLaVA-Video on SIMS-VSI with TRL's SFTTrainer.

    # CPU smoke run on a tiny random model (what CI runs)
    python -m train.tiny --out /tmp/tiny
    accelerate launch train/sft.py --model_name_or_path /tmp/tiny --dataset demo/sims-vsi \\
        --num_frames 4 --max_steps 2 --output_dir /tmp/sft-smoke

    # the paper's recipe, LLaVA-Video-7B, 64 frames, on 8 GPUs with ZeRO-3
    accelerate launch --config_file train/configs/accelerate_zero3.yaml train/sft.py \\
        --config train/configs/paper_llava_video.yaml --model_name_or_path <LLaVA-Video-7B in HF layout>

    # LoRA on one GPU
    accelerate launch train/sft.py --config train/configs/paper_onevision.yaml --use_peft \\
        --model_name_or_path llava-hf/llava-onevision-qwen2-7b-ov-hf

Data: `--dataset` is a Hub id, a folder `simsv export` wrote, or parquet files; `--dataset_config`
picks the mix. A run resumes from the newest checkpoint in `--output_dir`. Each save gets a
model card and `simsv_video.json` (frames, size, normalisation, layout) for evaluation.
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
from train.trainer import VideoSFTTrainer
from train.model import frame_spec, load_model, load_tokenizer, lora_config, vision_grid

logger = logging.getLogger("train.sft")


def check_arguments(data_args: DataArguments, training_args: SFTConfig, model_args: ModelConfig) -> None:
    """Refuse bad settings before any weights load."""
    if not model_args.model_name_or_path:
        raise ValueError("--model_name_or_path is required (a local folder or Hub id of a LLaVA-OneVision checkpoint)")
    VideoLayout(data_args.video_layout, 1)
    if data_args.num_frames < 1:
        raise ValueError(f"--num_frames {data_args.num_frames}: must be >= 1")
    if training_args.packing or training_args.padding_free:
        raise ValueError("--packing / --padding_free: not supported for video rows")


def main(data_args: DataArguments, training_args: SFTConfig, model_args: ModelConfig) -> Path:
    check_arguments(data_args, training_args, model_args)
    # our collator builds labels and handles the video column itself
    training_args.remove_unused_columns = False
    training_args.dataset_kwargs = {**(training_args.dataset_kwargs or {}), "skip_prepare_dataset": True}

    # Model
    model = load_model(model_args.model_name_or_path, data_args.video_layout, dtype=model_args.dtype or "auto",
                       attn_implementation=model_args.attn_implementation)
    tokenizer = load_tokenizer(model_args.model_name_or_path)
    layout = VideoLayout(data_args.video_layout, vision_grid(model))
    spec = frame_spec(model_args.model_name_or_path, model, data_args.num_frames)

    # Data
    # uint8 pixels: the trainer normalises them on the device (loader workers do ~20% less work)
    collator = VideoSFTCollator(tokenizer, model.config.video_token_id, layout, spec,
                                max_length=training_args.max_length, video_root=default_video_root(data_args),
                                uint8_pixels=True)
    train, evals = load_training_data(data_args, seed=training_args.seed)
    train = drop_too_long(train, collator, training_args.max_length, "train")
    if training_args.train_sampling_strategy == "random":
        # HF's RandomSampler draws from the global RNG, whose state differs after a resume: a seeded
        # shuffle here makes the order a function of the seed alone (each epoch repeats it)
        train = train.shuffle(seed=training_args.seed)
        training_args.train_sampling_strategy = "sequential"
    if evals is not None:
        evals = drop_too_long(evals, collator, training_args.max_length, data_args.eval_split)

    # Trainer
    card = dict(base_model=model_args.model_name_or_path, dataset=data_args.dataset,
                config=data_args.dataset_config, spec=spec, layout=layout.name)
    trainer = VideoSFTTrainer(model=model, args=training_args, train_dataset=train, eval_dataset=evals,
                              data_collator=collator, processing_class=tokenizer, frame_spec=spec,
                              peft_config=lora_config(model_args), callbacks=[ModelCardCallback(card)])
    card["hp"] = hyperparameters(training_args, model_args, layout.name, zero_stage(trainer))
    logger.info("training %d rows on %d process(es)%s", len(train), training_args.world_size,
                f", DeepSpeed ZeRO-{card['hp']['DeepSpeed'][-1]}" if "DeepSpeed" in card["hp"] else "")
    out = Path(training_args.output_dir)
    resume = training_args.resume_from_checkpoint or (get_last_checkpoint(str(out)) if out.is_dir() else None)
    if resume:
        logger.info("resuming from %s", resume)
    trainer.train(resume_from_checkpoint=resume)

    trainer.save_model(str(out))
    if trainer.is_world_process_zero():
        tokenizer.save_pretrained(out)
        write_card(out, **card)
    if training_args.push_to_hub:
        trainer.push_to_hub(dataset_name=data_args.dataset)
    return out


def zero_stage(trainer) -> int | None:
    """The DeepSpeed ZeRO stage this run uses (from --deepspeed or accelerate's config), or None."""
    plugin = getattr(trainer.accelerator.state, "deepspeed_plugin", None)
    return int(plugin.zero_stage) if plugin is not None else None


def make_parser() -> TrlParser:
    return TrlParser((DataArguments, SFTConfig, ModelConfig))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    argv = sys.argv[1:]
    if not torch.cuda.is_available() and "--use_cpu" not in argv:
        # set before the arguments are built: on CPU, DeepSpeed and HF otherwise disagree on world size
        argv.append("--use_cpu")
    main(*make_parser().parse_args_and_config(args=argv))
