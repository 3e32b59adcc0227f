"""H.264 video writing with fixed settings, so the same frames give the same bytes (see VideoWriter)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import av
import numpy as np

from builder.config import KBPS_RANGE, valid_kbps

CRF = 23
"""x264 constant rate factor: ~2 MB per minute at 680x384 for textured rooms (measured with 1 s
keyframes and B-frames; ~18% more with the settings below)."""
PRESET = "veryfast"
KEYFRAME_INTERVAL_S = 0.5
B_FRAMES = 0
"""Keyframes every half second and no B-frames: a training loader seeks to each of K sampled
frames, and decodes from the keyframe before it. Against 1 s with B-frames this makes the videos
~18% larger and the loader ~2x faster, past 5x the trainer's need on 2 cores (docs/performance.md)."""
VBV_MAX_RATIO, VBV_BUFFER_S = 1.5, 2.0
"""With a target bitrate (kbps > 0) instead of the CRF: x264's one-pass average bitrate, its peaks
held within 1.5x the target over a 2 s buffer, as a phone's encoder holds its rate (mbtree stays on)."""


def codec_options(fps: int, kbps: int = 0) -> dict:
    """x264 settings of a video: constant quality (kbps 0) or a target bitrate."""
    gop = max(1, int(round(KEYFRAME_INTERVAL_S * fps)))
    if kbps:
        rate = {"b": f"{kbps}k", "maxrate": f"{int(round(kbps * VBV_MAX_RATIO))}k",
                "bufsize": f"{int(round(kbps * VBV_BUFFER_S))}k"}
    else:
        rate = {"crf": str(CRF)}
    return {**rate, "preset": PRESET, "g": str(gop), "keyint_min": str(gop), "bf": str(B_FRAMES), "threads": "1"}


class VideoWriter:
    """Streams RGB frames into an H.264 mp4 (yuv420p) whose bytes depend on the frames alone.

    x264 runs single-threaded (its output depends on the thread count) in a process of its own
    (`python -m builder.capture.encode`), which reads the frames from a pipe. The reason is a
    read of uninitialised memory in x264 (core 165, as bundled with PyAV 18.1): its
    macroblock-tree rate control (mbtree, on with crf) reads heap memory nobody wrote, so the
    bytes depended on what the process had freed before. In `simsv generate` that is whatever
    Mesa's llvmpipe threads allocated, in `simsv qa` FFmpeg's frame-threaded decoder: thread
    timing, so identical frames encoded differently from run to run. Shown with MALLOC_PERTURB_
    (glibc fills fresh heap memory with a chosen byte): the bytes change with that byte, and do
    not with mbtree off (`python -m builder.capture.repro --perturb`; docs/capture-format.md).
    The encoder process starts the same way every time and sets glibc to hand out zeroed heap
    memory (mallopt M_PERTURB) at a fixed mmap threshold, so what x264 reads uninitialised is
    zeros, as in a fresh process, whatever ran before. mbtree stays on: off, the same crf gives
    20-50% larger files."""

    def __init__(self, path: Path, width: int, height: int, fps: int, kbps: int = 0):
        self.path = Path(path)
        self.width, self.height, self.frames = width, height, 0
        if not valid_kbps(kbps):
            raise ValueError(f"{self.path}: video bitrate must be {KBPS_RANGE}, got {kbps!r}")
        self.log = tempfile.TemporaryFile()  # not a pipe: a chatty child could fill one and stall
        self.proc = subprocess.Popen([sys.executable, "-m", "builder.capture.encode", str(self.path), str(width),
                                      str(height), str(fps), str(kbps)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=self.log, env=_encoder_env())

    def write(self, rgb: np.ndarray) -> None:
        if rgb.shape != (self.height, self.width, 3):
            raise ValueError(f"{self.path}: frame of shape {rgb.shape}, the video is {self.width}x{self.height} RGB")
        try:
            self.proc.stdin.write(np.ascontiguousarray(rgb, dtype=np.uint8).data)
        except BrokenPipeError:
            self._fail()
        self.frames += 1

    def close(self) -> None:
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        self.proc.wait()
        try:
            if self.proc.returncode != 0:
                self._fail()
        finally:
            self.log.close()
            self.proc = None

    def _fail(self):
        self.proc.wait()
        self.log.seek(0)
        message = self.log.read().decode("utf-8", "replace").strip().splitlines()
        last = message[-1] if message else f"exit status {self.proc.returncode}"
        if last.startswith("errno "):  # the child's OSError: errno, path, reason
            number, _, rest = last.removeprefix("errno ").partition(" ")
            raise OSError(int(number), rest, str(self.path))
        raise RuntimeError(f"{self.path}: the video encoder failed: {last}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _encoder_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}  # the child sets its own
    env["PYTHONHASHSEED"] = "0"  # the same start-up allocations every time
    root = str(Path(__file__).resolve().parents[2])  # this very package, whatever else is installed
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    return env


def _deterministic_heap() -> None:
    """glibc: zero every heap allocation (M_PERTURB 0xff fills allocations with 0xff ^ 0xff) and
    fix the mmap threshold (a dynamic one makes a buffer heap or mmap by history)."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc: the process is still single-threaded and fresh
        return
    m_perturb, m_mmap_threshold = -6, -3
    mallopt(m_mmap_threshold, 1 << 20)
    mallopt(m_perturb, 0xFF)


def _encode_from_pipe(path: str, width: int, height: int, fps: int, kbps: int = 0) -> None:
    """The encoder process: raw RGB frames on stdin -> `path`."""
    _deterministic_heap()
    container = av.open(path, mode="w", format="mp4")
    stream = container.add_stream("libx264", rate=fps, options=codec_options(fps, kbps))
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.thread_count = 1  # also the RGB -> YUV conversion's thread count (PyAV passes it on)
    frame_bytes = width * height * 3
    buf = bytearray(frame_bytes)
    view = memoryview(buf)
    stdin = sys.stdin.buffer.raw
    try:
        while True:
            got = 0
            while got < frame_bytes:
                n = stdin.readinto(view[got:])
                if not n:
                    break
                got += n
            if got == 0:
                break
            if got < frame_bytes:
                raise ValueError(f"{path}: a partial frame ({got} of {frame_bytes} bytes) on the pipe")
            rgb = np.frombuffer(buf, np.uint8).reshape(height, width, 3)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    finally:
        container.close()


def decoded_rgb(frame: av.VideoFrame) -> np.ndarray:
    """A decoded frame as RGB, converted single-threaded like the encoder's conversion."""
    return frame.to_ndarray(format="rgb24", threads=1)


def read_frames(path: Path, indices=None) -> list[np.ndarray]:
    """Decode an mp4 to RGB frames (all, or those at `indices`); a damaged file is named."""
    from simsv_vsi.integrity import CorruptFile

    want = None if indices is None else set(int(i) for i in indices)
    out = []
    i = -1
    try:
        with av.open(str(path)) as c:
            for i, frame in enumerate(c.decode(video=0)):
                if want is None or i in want:
                    out.append(decoded_rgb(frame))
    except av.error.FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such video") from None
    except av.error.FFmpegError as e:
        raise CorruptFile(f"{path}: does not decode after frame {i} ({e}); damaged video") from None
    if want is not None and len(out) < len(want):
        raise CorruptFile(f"{path}: {i + 1} frames, frames up to {max(want)} were asked for (truncated video?)")
    return out


if __name__ == "__main__":
    _path, _w, _h, _fps, _kbps = sys.argv[1], *(int(v) for v in sys.argv[2:5]), int((sys.argv[5:] or [0])[0])
    try:
        _encode_from_pipe(_path, _w, _h, _fps, _kbps)
    except OSError as e:
        print(f"errno {e.errno or 0} {e.strerror or e}", file=sys.stderr)
        sys.exit(1)
