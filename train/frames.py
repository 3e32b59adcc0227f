"""Pixels for the vision tower: decode the K uniformly sampled frames of a video and turn them
into normalised float tensors, without torchvision (its PyPI wheels are CUDA builds)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from simsv_vsi.sampling import uniform_frame_indices


@dataclass(frozen=True)
class FrameSpec:
    """How frames are sampled and normalised; saved beside checkpoints as `simsv_video.json`."""
    frames: int  # K, frames sampled uniformly per video (paper: 32 OneVision, 64 LLaVA-Video)
    size: int  # square side in pixels the vision tower takes (384 for SigLIP-so400m)
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)  # SigLIP's normalisation
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)


@dataclass
class SampledVideo:
    frames: torch.Tensor  # uint8 (K, 3, H, W)
    times_s: list[float]  # timestamp of each sampled frame
    duration_s: float


def open_video(value, video_root: str | Path | None = None):
    """A `video` column value as a torchcodec decoder: `datasets` already gives a decoder; a
    parquet row gives a path, relative to `video_root`."""
    if hasattr(value, "get_frames_at"):
        return value
    from torchcodec.decoders import VideoDecoder

    if isinstance(value, dict):  # an undecoded `datasets` Video value
        if value.get("bytes"):
            return VideoDecoder(value["bytes"])
        value = value.get("path")

    path = Path(video_root or ".") / value if isinstance(value, str) else None
    if path is None or not path.is_file():
        raise FileNotFoundError(f"video {value!r} not found (video_root={video_root})")
    try:
        return VideoDecoder(str(path))
    except RuntimeError as e:  # torchcodec's message is a C++ location first: name the file instead
        reason = str(e).rsplit(path.name, 1)[-1].strip() or type(e).__name__
        raise ValueError(f"video {path}: cannot be decoded, truncated or not a video ({reason})") from None


def sample_frames(decoder, k: int) -> SampledVideo:
    """The K frames lmms-eval's sampler picks, with their timestamps."""
    meta = decoder.metadata
    fps = float(meta.average_fps)
    idx = uniform_frame_indices(meta.num_frames, k).tolist()
    return SampledVideo(frames=decoder.get_frames_at(idx).data, times_s=[i / fps for i in idx],
                        duration_s=meta.num_frames / fps)


def resize(frames: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 (K, 3, H, W) -> uint8 (K, 3, size, size), bicubic with antialiasing. Resampled in uint8:
    torch's uint8 kernel matches PIL's bicubic (what SigLIP/LLaVA image processors use) to one grey
    level, and is ~13x faster on one core than resampling in float32 (measured, docs/performance.md)."""
    if frames.dtype != torch.uint8:
        raise TypeError(f"frames must be uint8 as decoded, got {frames.dtype}")
    if frames.shape[-2:] == (size, size):
        return frames
    return F.interpolate(frames, size=(size, size), mode="bicubic", align_corners=False, antialias=True)


def normalise(frames: torch.Tensor, spec: FrameSpec) -> torch.Tensor:
    """uint8 (..., 3, H, W) -> float32 (x / 255 - mean) / std on the frames' device, as one scale
    and one shift in place: a single float32 allocation (32 frames at 384 px are ~56 MB).
    Runs on CPU in `to_pixels`, or on the GPU in the trainer when the collator hands over uint8."""
    std = torch.tensor(spec.std, device=frames.device).view(3, 1, 1)
    mean = torch.tensor(spec.mean, device=frames.device).view(3, 1, 1)
    return frames.float().mul_(1.0 / (255.0 * std)).sub_(mean / std)


def to_pixels(frames: torch.Tensor, spec: FrameSpec) -> torch.Tensor:
    """uint8 (K, 3, H, W) -> float32 (K, 3, size, size): bicubic resize, scale to [0, 1], normalise.
    The one function that makes pixels, for training and evaluation alike (a collator that defers
    normalisation to the GPU runs the same `resize` and `normalise`, in two places)."""
    return normalise(resize(frames, spec.size), spec)
