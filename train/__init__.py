"""Fine-tuning on SIMS-VSI: `accelerate launch train/sft.py` (TRL's SFTTrainer, DeepSpeed).

Modules: `layouts` (how a video becomes visual tokens, per model family), `frames` (pixels for
the vision tower), `collator` (a batch of QA rows -> model inputs with assistant-only labels),
`data` (load SIMS-VSI and optional extra instruction data), `model` (load a checkpoint in
either family, LoRA), `tiny` (a tiny random model + tokenizer for tests and smoke runs),
`cards` (model card beside every save), `sft` (the script), `bench` (throughput figures).
"""
