"""The collator against the real model: visual token blocks the model accepts for both layouts,
labels exactly on the assistant tokens, right padding, frames as the sampler picks them, and
long rows dropped or refused, never cut."""

import pytest
import torch
from datasets import load_dataset

from simsv_vsi.sampling import uniform_frame_indices
from train.collator import IGNORE_INDEX, VideoSFTCollator, video_timing
from train.data import drop_too_long
from train.frames import FrameSpec, normalise, open_video, to_pixels
from train.layouts import VideoLayout, time_instruction
from train.model import frame_spec, load_model, load_tokenizer, vision_grid

pytestmark = pytest.mark.render  # the SIMS-VSI rows come from a rendered corpus

K = 4


@pytest.fixture(scope="module")
def rows(hub_folder, hf_cache):
    ds = load_dataset(str(hub_folder), "all", split="train", cache_dir=hf_cache)
    return [ds[i] for i in range(4)]


def setup(tiny_model, layout_name, max_length=None):
    model = load_model(str(tiny_model), layout_name)
    tok = load_tokenizer(str(tiny_model))
    layout = VideoLayout(layout_name, vision_grid(model))
    col = VideoSFTCollator(tok, model.config.video_token_id, layout, frame_spec(str(tiny_model), model, K),
                           max_length=max_length)
    return model, tok, layout, col


@pytest.mark.parametrize("layout_name", ["onevision", "llava_video"])
def test_batch_runs_through_the_model_with_exact_video_blocks(tiny_model, rows, layout_name):
    model, tok, layout, col = setup(tiny_model, layout_name)
    batch = col(rows)
    vid = model.config.video_token_id
    per_row = (batch["input_ids"] == vid).sum(1)
    assert per_row.tolist() == [layout.num_tokens(K)] * len(rows)
    assert layout.num_tokens(K) == (K * 2 * 2 + 1 if layout_name == "onevision" else K * 2 * 3)  # 32 px / 8 px patches
    assert batch["pixel_values_videos"].shape == (len(rows), K, 3, 32, 32)
    out = model(**batch)  # raises if the features and video tokens disagree
    assert torch.isfinite(out.loss)
    out.loss.backward()
    assert model.model.image_newline.grad.abs().sum() > 0  # the newline embedding is part of the layout


def test_labels_are_exactly_the_assistant_tokens(tiny_model, rows):
    model, tok, layout, col = setup(tiny_model, "onevision")
    batch = col(rows)
    for i, row in enumerate(rows):
        mask = batch["labels"][i] != IGNORE_INDEX
        assert tok.decode(batch["labels"][i][mask]) == row["answer"] + "<|im_end|>"
        # the labelled tokens sit at the very end of the real tokens (before the final newline)
        n = int(batch["attention_mask"][i].sum())
        idx = mask.nonzero().flatten()
        assert idx[-1] == n - 2 and (idx == torch.arange(idx[0], idx[-1] + 1)).all()
        assert (batch["input_ids"][i][mask] == batch["labels"][i][mask]).all()
        assert (batch["input_ids"][i, n:] == tok.pad_token_id).all() and not batch["attention_mask"][i, n:].any()
        text = tok.decode(batch["input_ids"][i, :n])
        assert text.startswith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<video>")
        assert row["question"] in text and text.endswith(f"<|im_start|>assistant\n{row['answer']}<|im_end|>\n")


def test_loss_is_cross_entropy_on_assistant_tokens_only(tiny_model, rows):
    model, tok, layout, col = setup(tiny_model, "onevision")
    batch = col(rows[:2])
    with torch.no_grad():
        logits = model(**{k: v for k, v in batch.items() if k != "labels"}).logits
        loss = model(**batch).loss
    shift_logits, shift_labels = logits[:, :-1], batch["labels"][:, 1:]
    want = torch.nn.functional.cross_entropy(shift_logits.reshape(-1, shift_logits.shape[-1]).float(),
                                             shift_labels.reshape(-1), ignore_index=IGNORE_INDEX)
    assert torch.allclose(loss, want, atol=1e-5)


def test_llava_video_time_instruction_uses_the_sampled_timestamps(tiny_model, rows):
    model, tok, layout, col = setup(tiny_model, "llava_video")
    row = rows[0]
    dec = open_video(row["video"])
    idx = uniform_frame_indices(dec.metadata.num_frames, K)
    fps = dec.metadata.average_fps
    want = time_instruction(dec.metadata.num_frames / fps, [i / fps for i in idx])
    assert want.startswith(f"The video lasts for {dec.metadata.num_frames / fps:.2f} seconds, and {K} frames")
    ids = col.encode(row).input_ids
    assert want in tok.decode(ids)
    # the length pass reads timing from the row's own fields: same tokens without decoding
    assert video_timing(row, None, K) == ([i / fps for i in idx.tolist()], dec.metadata.num_frames / fps)
    assert col.encode(row, with_pixels=False).input_ids == ids


def test_frames_are_the_sampled_ones_normalised(tiny_model, rows):
    model, tok, layout, col = setup(tiny_model, "onevision")
    dec = open_video(rows[1]["video"])
    idx = uniform_frame_indices(dec.metadata.num_frames, K).tolist()
    want = to_pixels(dec.get_frames_at(idx).data, col.spec)
    assert torch.equal(col.encode(rows[1]).pixels, want)
    white = torch.full((1, 3, 8, 8), 255, dtype=torch.uint8)
    assert torch.allclose(to_pixels(white, FrameSpec(1, 8)), torch.ones(1, 3, 8, 8))  # (1 - 0.5) / 0.5


def test_uint8_pixels_are_the_float_pixels_before_normalising(tiny_model, rows):
    """What sft.py uses: the collator stops at the resized uint8 frames and the trainer applies
    `normalise` on the device; the result is bit for bit the CPU path's."""
    model, tok, layout, col = setup(tiny_model, "llava_video")
    fast = VideoSFTCollator(tok, col.video_token_id, layout, col.spec, uint8_pixels=True)
    want, got = col(rows[:2]), fast(rows[:2])
    assert got["pixel_values_videos"].dtype == torch.uint8 and got["pixel_values_videos"].shape == (2, K, 3, 32, 32)
    assert torch.equal(normalise(got.pop("pixel_values_videos"), col.spec), want.pop("pixel_values_videos"))
    assert all(torch.equal(got[k], want[k]) for k in want) and got.keys() == want.keys()
    with pytest.raises(TypeError, match="normalise"):  # raw uint8 never reaches the vision tower
        model(**fast(rows[:1]))


def test_long_rows_are_dropped_and_reported_never_cut(tiny_model, rows, hub_folder, hf_cache, caplog):
    ds = load_dataset(str(hub_folder), "all", split="train", cache_dir=hf_cache).select(range(6))
    _, _, _, free = setup(tiny_model, "onevision")
    lengths = [len(free.encode(r, with_pixels=False).input_ids) for r in ds]
    limit = sorted(lengths)[2]  # keeps the 3 shortest (and ties)
    model, tok, layout, col = setup(tiny_model, "onevision", max_length=limit)
    kept = drop_too_long(ds, col, limit, "train")
    assert len(kept) == sum(n <= limit for n in lengths) and 0 < len(kept) < len(ds)
    assert "dropped" in caplog.text and f"max_length {limit}" in caplog.text
    long_row = ds[lengths.index(max(lengths))]
    with pytest.raises(ValueError, match="max_length"):
        col([long_row])
