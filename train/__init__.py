"""Fine-tuning on SIMS-VSI: `accelerate launch train/sft.py` (TRL's SFTTrainer, DeepSpeed).

Modules: `layouts` (how a video becomes visual tokens, per model family), `frames` (pixels for
the vision tower), `collator` (a batch of QA rows -> model inputs and labels), `data` (load
SIMS-VSI and optional extra instruction data), `official` (the authors' release), `recipe` (the
paper's recipe as flags), `model` (load a checkpoint in its recorded layout, LoRA), `convert`
(LLaVA-NeXT <-> llava-hf), `hf_llava_video` (LLaVA-Video for plain transformers, shipped in
checkpoints), `checkpoint` (processor files and recorded layout of every save), `tiny` (tiny
models, a tiny LLaVA-NeXT checkpoint and a release miniature for tests), `cards` (model card
beside every save), `trainer` (the SFTTrainer subclass), `sft` (the script), `bench` (throughput).
"""
