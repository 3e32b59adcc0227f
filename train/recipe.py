"""The authors' recipe as settings of `train/sft.py`, each defaulting to what SIMS-V did (they
trained in LLaVA-NeXT, starting from LLaVA-Video-7B; see train/README.md for sources):

| flag | paper default | other choices |
|---|---|---|
| --global_batch_size | 32 (accumulation = 32 / (per-device batch x GPUs)) | any multiple of per-device x GPUs |
| --learning_rate / --vision_tower_lr / --projector_lr | 1e-6 for all three (vision and projector unset = learning_rate) | own rate per part |
| --tune_parts | vision_tower,projector,language_model (LLaVA-NeXT `mm_tunable_parts`) | any subset |
| --loss_mask | assistant_turn (LLaVA-NeXT's Qwen preprocessing) | answer |
| --loss_averaging | micro_batch (HF Trainer as LLaVA-NeXT ran it) | token |
| --mc_answer_format | letter_text ("B. 72.3", the SIMS-V formatter's `mc` mode) | letter ("B") |
| --prompt_profile | authors (question + options, no VSI-Bench pre/post prompt) | vsibench |
| --lora_lr | 2e-4 for LoRA adapters (with --use_peft) | any |

Parts follow LLaVA-NeXT's split: `vision_tower` (SigLIP), `projector` (the 2-layer MLP), and
`language_model` (everything else, image_newline and lm_head included).
"""

from __future__ import annotations

from dataclasses import dataclass, field

PARTS = ("vision_tower", "projector", "language_model")
LOSS_MASKS = ("assistant_turn", "answer")
LOSS_AVERAGING = ("micro_batch", "token")
MC_ANSWER_FORMATS = ("letter_text", "letter")
PROMPT_PROFILES = ("authors", "vsibench")


class RecipeError(ValueError):
    """A recipe flag outside its allowed values (the message names the flag)."""


@dataclass
class RecipeArguments:
    global_batch_size: int | None = field(default=None, metadata={
        "help": "samples per optimizer step over all GPUs (paper: 32); sets gradient_accumulation_steps from "
                "per_device_train_batch_size and the number of processes"})
    vision_tower_lr: float | None = field(default=None, metadata={
        "help": "learning rate of the SigLIP tower (default: learning_rate; paper 1e-6 = learning_rate)"})
    projector_lr: float | None = field(default=None, metadata={
        "help": "learning rate of the projector (default: learning_rate)"})
    tune_parts: str = field(default=",".join(PARTS), metadata={
        "help": "comma list of parts that train: vision_tower, projector, language_model (paper: all three)"})
    loss_mask: str = field(default="assistant_turn", metadata={
        "help": "assistant_turn: the whole assistant turn plus every <|im_start|>, <|im_end|> and newline token, as "
                "LLaVA-NeXT's Qwen preprocessing (paper); answer: the answer and its <|im_end|> only"})
    loss_averaging: str = field(default="micro_batch", metadata={
        "help": "micro_batch: mean over each micro-batch's tokens, micro-batches weighted equally (LLaVA-NeXT, "
                "paper); token: every labelled token of the global batch weighted equally (TRL)"})
    mc_answer_format: str = field(default="letter_text", metadata={
        "help": "multiple-choice answers as letter_text ('B. 72.3', paper) or letter ('B')"})
    prompt_profile: str = field(default="authors", metadata={
        "help": "authors: the question and its options only (SIMS-V's training rows); vsibench: VSI-Bench's "
                "evaluation prompt (pre-prompt and answer instruction)"})
    lora_lr: float = field(default=2e-4, metadata={"help": "learning rate of LoRA adapters (with --use_peft)"})

    def __post_init__(self):
        check_recipe(self)

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.tune_parts.split(",") if p.strip())


def _choice(flag: str, value, allowed) -> None:
    if value not in allowed:
        raise RecipeError(f"--{flag} {value!r}: expected one of {', '.join(allowed)}")


def check_recipe(r: RecipeArguments) -> None:
    _choice("loss_mask", r.loss_mask, LOSS_MASKS)
    _choice("loss_averaging", r.loss_averaging, LOSS_AVERAGING)
    _choice("mc_answer_format", r.mc_answer_format, MC_ANSWER_FORMATS)
    _choice("prompt_profile", r.prompt_profile, PROMPT_PROFILES)
    parts = r.parts
    if not parts or any(p not in PARTS for p in parts):
        raise RecipeError(f"--tune_parts {r.tune_parts!r}: a comma list of {', '.join(PARTS)}")
    if r.global_batch_size is not None and r.global_batch_size < 1:
        raise RecipeError(f"--global_batch_size {r.global_batch_size}: must be >= 1")
    for flag in ("vision_tower_lr", "projector_lr", "lora_lr"):
        v = getattr(r, flag)
        if v is not None and not v > 0:
            raise RecipeError(f"--{flag} {v}: must be > 0")


def gradient_accumulation(global_batch: int, per_device: int, world_size: int) -> int:
    """Accumulation steps so that per_device x world_size x steps == global_batch exactly."""
    per_step = per_device * max(world_size, 1)
    if global_batch % per_step:
        raise RecipeError(f"--global_batch_size {global_batch}: not a multiple of per_device_train_batch_size "
                          f"{per_device} x {max(world_size, 1)} processes = {per_step}")
    return global_batch // per_step


def part_of(name: str) -> str:
    """The recipe part a parameter belongs to, by name (plain or PEFT-wrapped)."""
    if ".vision_tower." in f".{name}":
        return "vision_tower"
    if "multi_modal_projector." in name:
        return "projector"
    return "language_model"


def apply_tune_parts(model, parts) -> None:
    """Freeze every parameter outside `parts` (SigLIP's unused post-layernorm stays frozen)."""
    for name, p in model.named_parameters():
        if part_of(name) not in parts:
            p.requires_grad_(False)


def optimizer_groups(model, lr: float, weight_decay: float, decay_names: set[str], *, vision_tower_lr=None,
                     projector_lr=None, lora_lr=None) -> list[dict]:
    """AdamW parameter groups: one per (part, decay) with the part's learning rate; LoRA adapters
    (names with `lora_`) get `lora_lr`. Only parameters that require gradients."""
    rates = {"vision_tower": vision_tower_lr or lr, "projector": projector_lr or lr, "language_model": lr}
    groups: dict[tuple, dict] = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        part = "lora" if "lora_" in name and lora_lr is not None else part_of(name)
        rate = lora_lr if part == "lora" else rates[part]
        decay = name in decay_names
        g = groups.setdefault((part, decay), {"params": [], "lr": rate, "weight_decay": weight_decay if decay else 0.0,
                                              "part": part})
        g["params"].append(p)
    return list(groups.values())


# --- the text of a QA row -----------------------------------------------------------------

LETTERED = __import__("re").compile(r"^([A-H])\. (.*)$")


def parse_options(text: str) -> tuple[str, list[str]]:
    """A released question text -> (question, lettered options): option lines read "A. ...",
    after an optional "Options:" line."""
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if LETTERED.match(line.strip())), len(lines))
    options = [line.strip() for line in lines[first:] if LETTERED.match(line.strip())]
    head = [line for line in lines[:first] if line.strip() != "Options:"]
    return "\n".join(head).strip(), options


def mc_answer(answer: str, options: list[str] | None, fmt: str) -> str:
    """A multiple-choice answer ("B", "B. 72.3" or "B.") in the chosen format."""
    letter = answer.strip()[:1].upper()
    if fmt == "letter" or not options:
        return letter if fmt == "letter" else answer.strip()
    from simsv_vsi.answers import LETTERS

    i = LETTERS.index(letter) if letter in LETTERS else -1
    if not 0 <= i < len(options):
        raise ValueError(f"answer {answer!r}: no option {letter!r} among {options}")
    return options[i]


def user_prompt(question: str, options: list[str] | None, profile: str) -> str:
    if profile == "vsibench":
        from simsv_vsi.prompts import prompt_text

        return prompt_text(question, options)
    return "\n".join([question, "Options:", *options]) if options else question


def qa_messages(question: str, options: list[str] | None, answer: str, recipe: "RecipeArguments") -> list[dict]:
    """The chat for one QA row under the recipe's prompt profile and MC answer format."""
    text = mc_answer(answer, options, recipe.mc_answer_format) if options else answer
    return [{"role": "user", "content": [{"type": "video"},
                                         {"type": "text", "text": user_prompt(question, options, recipe.prompt_profile)}]},
            {"role": "assistant", "content": [{"type": "text", "text": text}]}]
