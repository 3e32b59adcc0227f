"""The recipe controls of train/sft.py (train/recipe.py) on a tiny model, no video decoding:
global batch from the world size, per-part learning rates in the optimizer's param groups, which
parts train, the loss mask's token sets, loss averaging, MC answer format, prompt profile, LoRA lr."""

import pytest
import torch
from datasets import Dataset
from trl import SFTConfig

from train.collator import IGNORE_INDEX, VideoSFTCollator
from train.frames import FrameSpec
from train.layouts import VideoLayout
from train.model import load_model, load_tokenizer
from train.recipe import (RecipeArguments, RecipeError, apply_tune_parts, gradient_accumulation, mc_answer,
                          qa_messages)
from train.trainer import VideoSFTTrainer

ROW = {"messages": [{"role": "user", "content": [{"type": "text", "text": "How many chairs are in this room?"}]},
                    {"role": "assistant", "content": [{"type": "text", "text": "4"}]}]}


@pytest.mark.parametrize("world, per_device, expected", [(8, 1, 4), (1, 1, 32), (4, 2, 4), (2, 4, 4)])
def test_global_batch_sets_accumulation_from_world_size(world, per_device, expected):
    assert gradient_accumulation(32, per_device, world) == expected
    assert expected * per_device * world == 32


def test_global_batch_that_does_not_divide_is_refused_naming_the_flag():
    with pytest.raises(RecipeError, match=r"--global_batch_size 32: not a multiple of .* 3 x 2 processes = 6"):
        gradient_accumulation(32, 3, 2)


@pytest.mark.parametrize("field, value", [("loss_mask", "all"), ("loss_averaging", "sample"),
                                          ("mc_answer_format", "text"), ("prompt_profile", "mine"),
                                          ("tune_parts", "vision"), ("vision_tower_lr", -1.0)])
def test_recipe_values_outside_their_range_are_refused(field, value):
    with pytest.raises(RecipeError, match=f"--{field}"):
        RecipeArguments(**{field: value})


@pytest.fixture(scope="module")
def model_and_tok(tiny_model):
    return load_model(str(tiny_model), "llava_video", dtype=torch.float32), load_tokenizer(str(tiny_model))


def _trainer(model, tok, tmp_path, recipe, **args):
    cfg = SFTConfig(output_dir=str(tmp_path / "out"), use_cpu=True, report_to="none", max_steps=1,
                    remove_unused_columns=False, dataset_kwargs={"skip_prepare_dataset": True}, bf16=False,
                    learning_rate=1e-6, **args)
    col = VideoSFTCollator(tok, model.config.video_token_id, VideoLayout("llava_video", 4), FrameSpec(4, 32),
                           loss_mask=recipe.loss_mask)
    return VideoSFTTrainer(model=model, args=cfg, train_dataset=Dataset.from_list([ROW] * 4), data_collator=col,
                           processing_class=tok, recipe=recipe)


def test_vision_tower_and_projector_rates_reach_the_optimizer(model_and_tok, tmp_path):
    model, tok = model_and_tok
    recipe = RecipeArguments(vision_tower_lr=2e-6, projector_lr=5e-6)
    opt = _trainer(model, tok, tmp_path, recipe).create_optimizer()
    by_part = {}
    for g in opt.param_groups:
        for p in g["params"]:
            by_part.setdefault(g["lr"], set()).add(id(p))
    names = {id(p): n for n, p in model.named_parameters()}
    lr_of = {names[i]: lr for lr, ids in by_part.items() for i in ids}
    assert lr_of["model.vision_tower.encoder.layers.0.self_attn.q_proj.weight"] == 2e-6
    assert lr_of["model.multi_modal_projector.linear_1.weight"] == 5e-6
    assert lr_of["model.language_model.layers.0.self_attn.q_proj.weight"] == 1e-6
    assert lr_of["model.image_newline"] == 1e-6  # LLaVA-NeXT counts it with the language model
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert set(lr_of) == trainable  # every trainable parameter in exactly one group


def test_tune_parts_freezes_the_others(tiny_model, tmp_path):
    model = load_model(str(tiny_model), "llava_video", dtype=torch.float32)
    tok = load_tokenizer(str(tiny_model))
    recipe = RecipeArguments(tune_parts="projector,language_model")
    apply_tune_parts(model, recipe.parts)
    opt = _trainer(model, tok, tmp_path, recipe).create_optimizer()
    in_opt = {id(p) for g in opt.param_groups for p in g["params"]}
    for n, p in model.named_parameters():
        assert (id(p) in in_opt) == ("vision_tower" not in n and "post_layernorm" not in n), n


def test_lora_adapters_get_their_own_rate(tiny_model, tmp_path):
    from peft import get_peft_model

    from train.model import lora_config

    class Args:  # TRL ModelConfig's LoRA fields
        use_peft, lora_r, lora_alpha, lora_dropout = True, 4, 8, 0.0
        lora_target_modules = lora_modules_to_save = None

    model = get_peft_model(load_model(str(tiny_model), "llava_video", dtype=torch.float32), lora_config(Args))
    tok = load_tokenizer(str(tiny_model))
    opt = _trainer(model, tok, tmp_path, RecipeArguments(lora_lr=3e-4)).create_optimizer()
    names = {id(p): n for n, p in model.named_parameters()}
    lrs = {names[id(p)]: g["lr"] for g in opt.param_groups for p in g["params"]}
    assert lrs and all("lora_" in n for n in lrs) and set(lrs.values()) == {3e-4}


def _labelled(tok, mask):
    col = VideoSFTCollator(tok, tok.convert_tokens_to_ids("<video>"), VideoLayout("llava_video", 4),
                           FrameSpec(4, 32), loss_mask=mask)
    enc = col.encode(ROW)
    return enc, [t for t, l in zip(enc.input_ids, enc.labels) if l != IGNORE_INDEX]


def test_loss_mask_answer_covers_the_answer_and_its_end_only(model_and_tok):
    _, tok = model_and_tok
    _, ids = _labelled(tok, "answer")
    assert tok.decode(ids) == "4<|im_end|>"


def test_loss_mask_assistant_turn_is_llava_next_s_token_set(model_and_tok):
    _, tok = model_and_tok
    enc, ids = _labelled(tok, "assistant_turn")
    text = tok.decode(enc.input_ids)
    assert text.endswith("<|im_start|>assistant\n4<|im_end|>\n")
    # the whole assistant turn, plus the format tokens of the system and user turns
    fmt = {tok.convert_tokens_to_ids("<|im_start|>"), tok.convert_tokens_to_ids("<|im_end|>")}
    nl = tok("\n", add_special_tokens=False)["input_ids"]
    if len(nl) == 1:
        fmt.add(nl[0])
    turn = tok("<|im_start|>assistant\n4<|im_end|>\n", add_special_tokens=False)["input_ids"]
    start = len(enc.input_ids) - len(turn)
    expected = [t for i, t in enumerate(enc.input_ids) if i >= start or t in fmt]
    assert ids == expected
    assert sum(t == tok.convert_tokens_to_ids("<|im_start|>") for t in ids) == 3  # system, user, assistant


@pytest.mark.parametrize("averaging", ["micro_batch", "token"])
def test_loss_averaging(model_and_tok, tmp_path, averaging):
    model, tok = model_and_tok
    trainer = _trainer(model, tok, tmp_path, RecipeArguments(loss_averaging=averaging, loss_mask="answer"))
    batch = trainer.data_collator([ROW, ROW])
    labelled = int((batch["labels"][:, 1:] != IGNORE_INDEX).sum())
    with torch.no_grad():
        own = trainer.compute_loss(model, dict(batch), num_items_in_batch=None)
        spread = trainer.compute_loss(model, dict(batch), num_items_in_batch=torch.tensor(10 * labelled))
    if averaging == "micro_batch":  # this micro-batch's mean, whatever the global batch holds
        assert torch.allclose(own, spread) and trainer.loss_is_scaled_for_ga is False
    else:  # divided by the labelled tokens of the whole (accumulated) batch
        assert torch.allclose(spread * 10, own, rtol=1e-5)


def test_mc_answer_format_and_prompt_profiles():
    options = ["A. 1.5", "B. 72.3", "C. 3.0"]
    assert mc_answer("B", options, "letter_text") == "B. 72.3"
    assert mc_answer("B. 72.3", options, "letter") == "B"
    with pytest.raises(ValueError, match="no option 'D'"):
        mc_answer("D", options, "letter_text")
    authors = qa_messages("Which is closest?", options, "B", RecipeArguments())
    vsi = qa_messages("Which is closest?", options, "B", RecipeArguments(prompt_profile="vsibench",
                                                                           mc_answer_format="letter"))
    assert authors[0]["content"][1]["text"] == "Which is closest?\nOptions:\nA. 1.5\nB. 72.3\nC. 3.0"
    assert authors[1]["content"][0]["text"] == "B. 72.3"
    assert vsi[0]["content"][1]["text"].startswith("These are frames of a video.\nWhich is closest?")
    assert vsi[0]["content"][1]["text"].endswith("Answer with the option's letter from the given choices directly.")
    assert vsi[1]["content"][0]["text"] == "B"
    oe = qa_messages("How far?", None, "2.5", RecipeArguments())
    assert oe[0]["content"][1]["text"] == "How far?" and oe[1]["content"][0]["text"] == "2.5"
