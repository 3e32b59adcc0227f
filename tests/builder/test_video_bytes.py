"""The same frames give the same video bytes whatever the process did before: x264 reads heap
memory it never initialised (docs/capture-format.md, "Reproducible video bytes"), so VideoWriter
encodes in a process of its own whose heap allocations are zeroed. Here that process is started
with glibc's MALLOC_PERTURB_ filling fresh heap memory with different bytes, and must give one
digest. (x264 in the perturbed process itself, `repro --child 680 384 0 20`, gave 3 digests for
perturb 0, 1, 2 when this test was written.)"""

import os
import subprocess
import sys

import numpy as np

from builder.capture.encode import VideoWriter, read_frames


def encoder_digest(perturb: int, width: int = 680, height: int = 384, frames: int = 20) -> str:
    env = {**os.environ, "MALLOC_PERTURB_": str(perturb), "MALLOC_MMAP_THRESHOLD_": str(32 << 20)}
    r = subprocess.run([sys.executable, "-m", "builder.capture.repro", "--child", str(width), str(height), "1",
                        str(frames)], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()[-1]


def test_encoder_process_ignores_heap_contents():
    assert len({encoder_digest(p) for p in (0, 1, 2)}) == 1


def test_writer_round_trip_and_same_bytes_twice(tmp_path):
    rng = np.random.default_rng(1)
    frames = [np.kron(rng.integers(0, 256, (12, 20, 3), dtype=np.uint8), np.ones((8, 8, 1), np.uint8))
              for _ in range(12)]
    digests = []
    for k in range(2):
        path = tmp_path / f"v{k}.mp4"
        with VideoWriter(path, 160, 96, 10) as w:
            for f in frames:
                w.write(f)
        digests.append(path.read_bytes())
        decoded = read_frames(path)
        assert len(decoded) == 12 and decoded[0].shape == (96, 160, 3)
        assert np.abs(decoded[0].astype(int) - frames[0]).mean() < 12  # lossy, but the same picture
    assert digests[0] == digests[1]


def test_writer_refuses_a_frame_of_another_size(tmp_path):
    import pytest

    w = VideoWriter(tmp_path / "v.mp4", 64, 48, 10)
    with pytest.raises(ValueError, match="64x48"):
        w.write(np.zeros((48, 66, 3), np.uint8))
    w.close()
