"""The two evaluation protocols of `simsv_llava` (eval/profiles.py) on a tiny model: visual token
counts, frame choice and the exact prompt text at 32 and 64 frames, and a forward pass that
proves the model's features fill exactly those tokens.

The tiny model is built at 56 px with 8 px patches: a 7x7 grid, odd like the real 27x27, so
bilinear pooling (ceil, 4x4) and llava_vid's average pooling (floor, 3x3) differ as they do at
full size (14x14 vs 13x13)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from eval.profiles import PAPER_FRAMES, llava_vid_frame_indices, protocol, real_model_token_counts
from train.layouts import time_instruction

SYSTEM = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
QUESTION = "These are frames of a video.\nHow many chairs are in the room?\nPlease answer the question using a single word or phrase."


def test_real_model_token_counts():
    """27x27 SigLIP patches: OneVision 14*14 per frame + 1; LLaVA-Video trained layout 14*15 per
    frame; llava_vid's defaults 13*14 = 182 per frame."""
    assert real_model_token_counts() == {
        ("train", "onevision"): {32: 32 * 196 + 1, 64: 64 * 196 + 1},
        ("paper", "onevision"): {32: 6273, 64: 12545},
        ("train", "llava_video"): {32: 32 * 210, 64: 13440},
        ("paper", "llava_video"): {32: 5824, 64: 11648},
    }
    paper = protocol("paper", "llava_video", 64)
    assert (paper.pooling, paper.newline, paper.time_instruction, paper.frames) == ("average", "grid", False, 32)
    assert paper.tokens_per_frame(27) == 182 and protocol("train", "llava_video", 64).tokens_per_frame(27) == 210
    assert protocol("train", "llava_video", 64).frames == 64 and protocol("paper", "onevision", 64).frames == 32
    with pytest.raises(ValueError, match="train, paper"):
        protocol("published", "onevision", 32)


@pytest.mark.parametrize("n, fps, k, want", [
    (300, 30.0, 32, list(range(0, 300, 30))),  # 10 s: one frame a second, under the cap
    (3000, 30.0, 32, np.linspace(0, 2999, 32, dtype=int).tolist()),  # 100 s: 32 uniformly
    (96, 3.0, 32, list(range(0, 96, 3))),  # exactly 32 one-second frames: kept
    (99, 3.0, 32, np.linspace(0, 98, 32, dtype=int).tolist()),  # 33 would be taken: uniform
    (50, 24.5, 32, [0, 24, 48]),  # round(24.5) = 24 (Python's rounding, as llava_vid's)
])
def test_llava_vid_frame_choice(n, fps, k, want):
    assert llava_vid_frame_indices(n, fps, k) == want


VIDEO_SECONDS = {"long": 70, "short": 10}  # more than 64 one-second frames / fewer than 32
VIDEO_FPS = 2


def write_video(path, seconds: int, fps: int, size: int = 32):
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size, size, "yuv420p"
        for i in range(seconds * fps):
            image = np.full((size, size, 3), (7 * i) % 256, dtype=np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    return path


@pytest.fixture(scope="module")
def tiny56(tmp_path_factory):
    from train.tiny import build_tiny

    return build_tiny(tmp_path_factory.mktemp("tiny56") / "tiny-56", image_size=56)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp("videos")
    return {name: write_video(root / f"{name}.mp4", seconds, VIDEO_FPS) for name, seconds in VIDEO_SECONDS.items()}


def plugin(tiny, **args):
    from eval.models.simsv_llava import SimsvLlava

    return SimsvLlava(pretrained=str(tiny), device="cpu", dtype="float32", **args)


def rendered(model, ids) -> tuple[str, int]:
    """The prompt as text with the video token run shown once as <video>xN, and N."""
    text = model.tokenizer.decode(ids[0].tolist())
    n = int((ids == model.model.config.video_token_id).sum())
    return re.sub(r"(<video>)+", f"<video>x{n}", text), n


# (profile, family, frames asked, video) -> (video tokens, frames decoded, time instruction?)
CASES = [
    ("paper", "llava_video", 32, "long", 32 * 3 * 4, 32, False),  # average 3x3 + row newlines
    ("paper", "llava_video", 64, "long", 64 * 3 * 4, 64, False),
    ("paper", "llava_video", 32, "short", 10 * 3 * 4, 10, False),  # 1 fps under the cap: 10 frames
    ("train", "llava_video", 32, "long", 32 * 4 * 5, 32, True),  # bilinear 4x4 + row newlines
    ("train", "llava_video", 64, "long", 64 * 4 * 5, 64, True),
    ("train", "llava_video", 64, "short", 64 * 4 * 5, 64, True),  # uniform: frames repeat
    ("paper", "onevision", 32, "long", 32 * 16 + 1, 32, False),
    ("train", "onevision", 64, "long", 64 * 16 + 1, 64, False),
]


@pytest.mark.parametrize("profile, family, frames, video, tokens, decoded, timed", CASES)
def test_protocol_tokens_and_prompt(tiny56, videos, profile, family, frames, video, tokens, decoded, timed):
    model = plugin(tiny56, profile=profile, layout=family, num_frames=frames)
    assert model.protocol.profile == profile and model.protocol.frames == frames
    ids, pixels = model._prompt(QUESTION, str(videos[video]))
    text, n = rendered(model, ids)
    assert n == tokens and pixels.shape[:2] == (1, decoded)
    head = SYSTEM + f"<|im_start|>user\n<video>x{tokens}\n"
    if timed:  # LLaVA-Video's training text: length, then each uniformly sampled frame's time (2 fps)
        n_frames = VIDEO_SECONDS[video] * VIDEO_FPS
        idx = np.linspace(0, n_frames - 1, frames, dtype=int)
        head += time_instruction(n_frames / VIDEO_FPS, (idx / VIDEO_FPS).tolist()) + "\n"
    assert text == head + QUESTION + "<|im_end|>\n<|im_start|>assistant\n"
    # the forward pass scatters exactly `tokens` features: a layout mismatch would raise here
    with torch.no_grad():
        model.model(input_ids=ids, attention_mask=torch.ones_like(ids), pixel_values_videos=pixels)


def test_paper_profile_default_frames_and_image_input(tiny56):
    from PIL import Image

    model = plugin(tiny56, profile="paper", layout="llava_video")
    assert model.protocol.frames == PAPER_FRAMES
    ids, pixels = model._prompt("What is shown?", Image.new("RGB", (40, 30), (10, 200, 30)))
    assert rendered(model, ids)[1] == 1 * 3 * 4 and pixels.shape[:2] == (1, 1)  # an image is one frame


def test_unknown_model_args_are_named(tiny56):
    with pytest.raises(ValueError, match="frame_count"):
        plugin(tiny56, frame_count=8)
