"""Pixels without a model: the uint8 resize against the float32 resize it replaced and against
PIL's bicubic (what SigLIP/LLaVA image processors use), normalisation on any shape, and the
trainer finishing uint8 frames exactly as `to_pixels` does on CPU."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from train.frames import FrameSpec, normalise, open_video, resize, sample_frames, to_pixels
from train.trainer import VideoSFTTrainer

SPEC = FrameSpec(frames=4, size=32, mean=(0.48145466, 0.4578275, 0.40821073), std=(0.26862954, 0.26130258, 0.27577711))


def scene(k: int, h: int, w: int) -> torch.Tensor:
    """uint8 (k, 3, h, w): smooth gradients plus hard-edged blocks, as rendered rooms have."""
    y, x = np.mgrid[0:h, 0:w]
    frames = []
    for i in range(k):
        img = np.stack([(x * 255 // w + 30 * i) % 256, y * 255 // h, ((x // 16 + y // 12 + i) % 2) * 255])
        frames.append(img.astype(np.uint8))
    return torch.from_numpy(np.stack(frames))


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    """A 40-frame H.264 mp4 at 86x48 (about the corpus's 680x384 aspect), written by the builder's writer."""
    from builder.capture.encode import VideoWriter

    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    frames = scene(40, 48, 86)
    with VideoWriter(path, 86, 48, fps=10) as w:  # x264 wants even sizes
        for f in scene(40, 48, 86):
            w.write(f.permute(1, 2, 0).numpy())
    return path, frames


def float_resize(frames: torch.Tensor, size: int) -> torch.Tensor:
    """The float32 path the loader used before (resize, then clamp to the uint8 range)."""
    return F.interpolate(frames.float(), size=(size, size), mode="bicubic", align_corners=False,
                         antialias=True).clamp(0, 255)


def test_uint8_resize_matches_the_float_path_when_only_the_width_shrinks():
    frames = scene(4, 48, 85)  # 680x384 -> 384x384 in miniature: the height is kept
    got = resize(frames, 48)
    assert got.dtype == torch.uint8 and got.shape == (4, 3, 48, 48)
    assert (got.float() - float_resize(frames, 48)).abs().max() <= 0.51  # rounding only


def test_uint8_resize_matches_pil_bicubic():
    Image = pytest.importorskip("PIL.Image")
    frames = scene(2, 48, 85)
    for size in (32, 64):  # down and up in both directions
        got = resize(frames, size).float()
        want = torch.stack([torch.from_numpy(np.array(Image.fromarray(f.permute(1, 2, 0).numpy()).resize(
            (size, size), Image.BICUBIC))).permute(2, 0, 1) for f in frames]).float()
        assert (got - want).abs().max() <= 2 and (got - want).abs().mean() < 0.05


def test_resize_refuses_float_and_keeps_the_right_size():
    with pytest.raises(TypeError, match="uint8"):
        resize(torch.zeros(1, 3, 8, 8), 4)
    frames = scene(1, 32, 32)
    assert resize(frames, 32) is frames


def test_normalise_is_x_over_255_minus_mean_over_std_on_any_leading_shape():
    frames = scene(6, 8, 8).view(2, 3, 3, 8, 8)  # (B, K, 3, H, W) as a batch has it
    mean, std = torch.tensor(SPEC.mean).view(3, 1, 1), torch.tensor(SPEC.std).view(3, 1, 1)
    want = (frames.float() / 255.0 - mean) / std
    got = normalise(frames, SPEC)
    assert got.dtype == torch.float32 and torch.allclose(got, want, atol=1e-5)


def test_decoded_frames_are_resized_like_the_source(video):
    path, source = video
    sampled = sample_frames(open_video(str(path)), 4)
    assert sampled.frames.shape == (4, 3, 48, 86)
    pixels = to_pixels(sampled.frames, SPEC)
    assert pixels.shape == (4, 3, 32, 32) and pixels.dtype == torch.float32
    # H.264 at CRF 23 is lossy: the decoded pixels stay near the sampled source frames, and
    # nearer to them than to their neighbours
    err = (pixels - to_pixels(source[[0, 13, 26, 39]].contiguous(), SPEC)).abs().mean()
    off_by_one = (pixels - to_pixels(source[[1, 14, 27, 38]].contiguous(), SPEC)).abs().mean()
    assert err < 0.1 and err < off_by_one / 2, (err, off_by_one)


def bare_trainer(spec):
    """VideoSFTTrainer without a model: just what `_prepare_inputs` reads."""
    t = object.__new__(VideoSFTTrainer)
    t.frame_spec, t.is_deepspeed_enabled, t.args = spec, False, SimpleNamespace(device=torch.device("cpu"))
    return t


def test_trainer_normalises_uint8_frames_as_to_pixels_does():
    frames = scene(8, 48, 85).view(2, 4, 3, 48, 85)
    batch = {"input_ids": torch.ones(2, 3, dtype=torch.long),
             "pixel_values_videos": torch.stack([resize(v, SPEC.size) for v in frames])}
    got = bare_trainer(SPEC)._prepare_inputs(batch)
    assert torch.equal(got["pixel_values_videos"], torch.stack([to_pixels(v, SPEC) for v in frames]))
    assert torch.equal(got["input_ids"], batch["input_ids"])
    floats = {"pixel_values_videos": got["pixel_values_videos"]}  # already normalised: left alone
    assert bare_trainer(SPEC)._prepare_inputs(floats)["pixel_values_videos"] is floats["pixel_values_videos"]
    with pytest.raises(ValueError, match="frame_spec"):
        bare_trainer(None)._prepare_inputs(batch)
