"""A tiny random LLaVA-OneVision and a tokenizer built here, for tests and CPU smoke runs (no
download: pretrained weights and the Hub are out of reach on our machines).

    python -m train.tiny --out /tmp/tiny-llava-ov

The tokenizer is a byte-level BPE trained on SIMS-VSI's own wording (templates, prompts,
category names, numbers), with ChatML's special tokens and the <image>/<video> placeholders,
so SIMS-VSI text costs a realistic handful of tokens. Same seed, same files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>", "<video>"]


def _training_text() -> list[str]:
    from simsv_vsi.prompts import MC_POST_PROMPT, NUMERIC_POST_PROMPT, PRE_PROMPT
    from simsv_vsi.question_types import QUESTION_TYPES
    from train.collator import SYSTEM_PROMPT
    from train.layouts import time_instruction

    lines = [PRE_PROMPT, MC_POST_PROMPT, NUMERIC_POST_PROMPT, SYSTEM_PROMPT, "Options:", "A. B. C. D.",
             time_instruction(12.5, [0.0, 4.1, 8.3, 12.4]), "system user assistant",
             " ".join(str(i) for i in range(100)), "0.1 0.25 1.5 2.75 left right back front"]
    lines += [t.template for t in QUESTION_TYPES.values()]
    return lines * 4


def build_tokenizer(vocab_size: int = 600):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_training_text(), trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   extra_special_tokens={"image_token": "<image>", "video_token": "<video>"})


def tiny_config(tokenizer, image_size: int = 32, patch_size: int = 8):
    """Two-layer SigLIP and Qwen2 stand-ins with the real model's wiring."""
    from transformers import LlavaOnevisionConfig, Qwen2Config, SiglipVisionConfig

    text = Qwen2Config(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
                       tie_word_embeddings=False)
    vision = SiglipVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                                image_size=image_size, patch_size=patch_size, vision_use_head=False)
    return LlavaOnevisionConfig(text_config=text, vision_config=vision,
                                image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
                                video_token_index=tokenizer.convert_tokens_to_ids("<video>"),
                                vision_feature_layer=-1, vision_feature_select_strategy="full",
                                image_grid_pinpoints=[[image_size, image_size]])


def build_tiny(out: str | Path, seed: int = 0, image_size: int = 32) -> Path:
    """Write a tiny random model + tokenizer to `out` (loadable with train.model.load_model)."""
    from transformers import LlavaOnevisionForConditionalGeneration

    out = Path(out)
    tok = build_tokenizer()
    torch.manual_seed(seed)
    model = LlavaOnevisionForConditionalGeneration(tiny_config(tok, image_size=image_size))
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--image-size", type=int, default=32)
    a = p.parse_args(argv)
    print(build_tiny(a.out, a.seed, a.image_size))


if __name__ == "__main__":
    main()
