"""Room clips as their own videos: the frames of a walkthrough spent in one room (its
360-degree scan included), re-encoded with the capture encoder so the bytes are reproducible."""

from __future__ import annotations

import os
from pathlib import Path

import av

from builder.capture.encode import VideoWriter
from builder.io import write_text_atomic


def cut_clips(corpus: Path, source: Path, clips: list[tuple[str, int, int]], fps: float) -> bool:
    """Write each (relative path, start, end) clip of `source`, one decode pass for all; a
    DONE marker beside the clips makes a rerun a no-op. True when it wrote clips."""
    if not clips:
        return False
    done = (corpus / clips[0][0]).parent / "DONE"
    listing = "\n".join(f"{rel} {a} {b}" for rel, a, b in clips) + "\n"
    if done.exists() and done.read_text() == listing:
        return False  # the same clips (a list that changed, e.g. new room-size clips, is recut)
    writers: dict[str, tuple[VideoWriter, Path]] = {}
    try:
        n = 0
        with av.open(str(source)) as c:
            for n, frame in enumerate(c.decode(video=0), start=1):
                for rel, a, b in clips:
                    if a < n <= b:
                        if rel not in writers:
                            tmp = corpus / f"{rel}.part.mp4"
                            tmp.parent.mkdir(parents=True, exist_ok=True)
                            writers[rel] = (VideoWriter(tmp, frame.width, frame.height, int(round(fps))), tmp)
                        writers[rel][0].write(frame.to_ndarray(format="rgb24"))
        for rel, a, b in clips:
            if rel not in writers or writers[rel][0].frames != b - a:
                raise ValueError(f"{source}: has {n} frames, clip {rel} needs frames {a}..{b - 1}")
        for rel, _, _ in clips:
            w, tmp = writers.pop(rel)
            w.close()
            os.replace(tmp, corpus / rel)
    except BaseException:
        for w, tmp in writers.values():
            try:
                w.close()
            except Exception:  # already failing; the temp file goes either way
                pass
            tmp.unlink(missing_ok=True)
        raise
    write_text_atomic(done, listing)
    return True
