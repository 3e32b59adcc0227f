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


def encoder_digest(perturb: int, width: int = 680, height: int = 384, frames: int = 20, kbps: int = 0) -> str:
    env = {**os.environ, "MALLOC_PERTURB_": str(perturb), "MALLOC_MMAP_THRESHOLD_": str(32 << 20)}
    r = subprocess.run([sys.executable, "-m", "builder.capture.repro", "--child", str(width), str(height), "1",
                        str(frames), str(kbps)], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()[-1]


def test_encoder_process_ignores_heap_contents():
    assert len({encoder_digest(p) for p in (0, 1, 2)}) == 1


def test_target_bitrate_ignores_heap_contents_too():
    digests = {encoder_digest(p, 336, 192, 12, kbps=150) for p in (0, 1)}
    assert len(digests) == 1 and digests != {encoder_digest(0, 336, 192, 12)}  # and differs from constant quality


def _textured_frames(n: int = 20):
    """Frames an encoder must spend bits on: moving texture with noise."""
    rng = np.random.default_rng(2)
    base = rng.integers(0, 256, (140, 220, 3), dtype=np.uint8)
    return [np.clip(base[i % 8:i % 8 + 96, i:i + 160].astype(int) + rng.integers(-12, 13, (96, 160, 3)), 0, 255)
            .astype(np.uint8) for i in range(n)]


def test_bitrate_option_sets_file_size_deterministically(tmp_path):
    frames = _textured_frames()
    sizes = {}
    for kbps in (0, 120, 600, 600):
        path = tmp_path / f"v{kbps}_{len(sizes)}.mp4"
        with VideoWriter(path, 160, 96, 10, kbps=kbps) as w:
            for f in frames:
                w.write(f)
        sizes.setdefault(kbps, []).append(path.read_bytes())
    assert sizes[600][0] == sizes[600][1]  # same frames, same bitrate: same bytes
    size = {k: len(v[0]) for k, v in sizes.items()}
    # 2 s of video: a target bitrate lands near its budget (x264's one-pass rate control), and
    # the lower target gives the smaller file
    assert size[120] < size[600]
    assert 0.5 < size[600] * 8 / 2.0 / 600e3 < 1.6, size
    assert len(read_frames(tmp_path / "v120_1.mp4")) == 20


def test_bad_bitrate_is_refused_before_encoding(tmp_path):
    import pytest

    for bad in (5, -1, 100_001, 1.5, True):
        with pytest.raises(ValueError, match="video bitrate must be 0"):
            VideoWriter(tmp_path / "v.mp4", 64, 48, 10, kbps=bad)
    assert not (tmp_path / "v.mp4").exists()


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


def test_room_clips_keep_the_corpus_bitrate(tmp_path):
    """`simsv qa` re-encodes room clips at the bitrate the corpus was built with, not at crf 23."""
    import json

    from builder.config import BuildConfig, CaptureConfig
    from builder.qa.clips import cut_clips
    from builder.qa.run import corpus_video_kbps

    source = tmp_path / "video.mp4"
    with VideoWriter(source, 160, 96, 10) as w:
        for f in _textured_frames(24):
            w.write(f)
    for kbps in (0, 120):
        corpus = tmp_path / f"c{kbps}"
        corpus.mkdir()
        cfg = BuildConfig(houses=1, seed=0, capture=CaptureConfig(width=160, height=96, video_kbps=kbps))
        (corpus / "build_config.json").write_text(json.dumps(cfg.to_json()))
        assert corpus_video_kbps(corpus) == kbps
        assert cut_clips(corpus, source, [("clips/a.mp4", 2, 22)], 10.0, corpus_video_kbps(corpus))
    crf, target = ((tmp_path / f"c{k}" / "clips" / "a.mp4").stat().st_size for k in (0, 120))
    assert target < 0.6 * crf  # 2 s at 120 kbit/s: 39 kB, against 76 kB at crf 23
    assert 0.5 < target * 8 / 2.0 / 120e3 < 1.6, target
