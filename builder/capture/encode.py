"""H.264 video writing with fixed settings, so the same frames give the same bytes."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

CRF = 23
"""x264 constant rate factor: ~2 MB per minute at 680x384 for textured rooms (measured with 1 s
keyframes and B-frames; ~18% more with the settings below)."""
PRESET = "veryfast"
KEYFRAME_INTERVAL_S = 0.5
B_FRAMES = 0
"""Keyframes every half second and no B-frames: a training loader seeks to each of K sampled
frames, and decodes from the keyframe before it. Against 1 s with B-frames this makes the videos
~18% larger and the loader ~2x faster, past 5x the trainer's need on 2 cores (docs/performance.md)."""


class VideoWriter:
    """Streams RGB frames into an H.264 mp4 (yuv420p). Single-threaded x264: its output
    depends on the thread count, and a fixed count keeps bytes identical across machines."""

    def __init__(self, path: Path, width: int, height: int, fps: int):
        self.path = Path(path)
        self.container = av.open(str(self.path), mode="w", format="mp4")
        gop = max(1, int(round(KEYFRAME_INTERVAL_S * fps)))
        self.stream = self.container.add_stream(
            "libx264", rate=fps, options={"crf": str(CRF), "preset": PRESET, "g": str(gop), "keyint_min": str(gop), "bf": str(B_FRAMES),
                                 "threads": "1"}
        )
        self.stream.width, self.stream.height, self.stream.pix_fmt = width, height, "yuv420p"
        self.stream.thread_count = 1
        self.frames = 0

    def write(self, rgb: np.ndarray) -> None:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        for packet in self.stream.encode(frame):
            self.container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_frames(path: Path, indices=None) -> list[np.ndarray]:
    """Decode an mp4 to RGB frames (all, or those at `indices`)."""
    want = None if indices is None else set(int(i) for i in indices)
    out = []
    with av.open(str(path)) as c:
        for i, frame in enumerate(c.decode(video=0)):
            if want is None or i in want:
                out.append(frame.to_ndarray(format="rgb24"))
    return out
