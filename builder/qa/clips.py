"""Room clips as their own videos: the frames of a walkthrough spent in one room (its
360-degree scan included), decoded and re-encoded with the capture encoder. Decoding and
encoding are both deterministic (builder/capture/encode.py says why), so a re-cut clip has the
same bytes; the clips' DONE records each clip's size and sha256 for export to check."""

from __future__ import annotations

import json
import os
from pathlib import Path

import av

from builder.capture.encode import VideoWriter, decoded_rgb
from builder.io import write_text_atomic
from simsv_vsi.integrity import CorruptFile, check_digest, check_size, file_record, read_json


def cut_clips(corpus: Path, source: Path, clips: list[tuple[str, int, int]], fps: float, kbps: int = 0) -> bool:
    """Write each (relative path, start, end) clip of `source`, one decode pass for all, at the
    walkthrough's own rate setting `kbps` (0: crf 23; the corpus's `--video-kbps`); a DONE marker
    beside the clips makes a rerun a no-op (unless a clip's size no longer matches it: then they
    are cut again). True when it wrote clips."""
    if not clips:
        return False
    done = (corpus / clips[0][0]).parent / "DONE"
    if _clips_intact(corpus, done, clips):
        return False  # the same clips, intact (a list that changed, e.g. new room-size clips, is recut)
    _check_source(source)
    writers: dict[str, tuple[VideoWriter, Path]] = {}
    try:
        n = 0
        try:
            with av.open(str(source)) as c:
                for n, frame in enumerate(c.decode(video=0), start=1):
                    for rel, a, b in clips:
                        if a < n <= b:
                            if rel not in writers:
                                tmp = corpus / f"{rel}.part.mp4"
                                tmp.parent.mkdir(parents=True, exist_ok=True)
                                writers[rel] = (VideoWriter(tmp, frame.width, frame.height, int(round(fps)), kbps), tmp)
                            writers[rel][0].write(decoded_rgb(frame))
        except av.error.FFmpegError as e:
            raise CorruptFile(f"{source}: does not decode at frame {n} ({e}); damaged video") from None
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
    record = {"clips": [{"video": rel, "start": a, "end": b, **file_record(corpus / rel)} for rel, a, b in clips]}
    write_text_atomic(done, json.dumps(record, indent=1, sort_keys=True) + "\n")
    return True


def _clips_intact(corpus: Path, done: Path, clips) -> bool:
    """DONE exists, lists exactly these clips with the same frame ranges, and every clip still
    has its size."""
    if not done.exists():
        return False
    try:
        record = read_json(done)
    except CorruptFile:
        return False  # damaged or the line format of older corpora: nothing to check against, so recut
    by_video = {c.get("video"): c for c in record.get("clips", [])}
    if len(by_video) != len(clips):
        return False
    try:
        for rel, a, b in clips:
            if rel not in by_video or (by_video[rel].get("start"), by_video[rel].get("end")) != (a, b):
                return False
            check_size(corpus / rel, by_video[rel], done)
    except CorruptFile:
        return False
    return True


def _check_source(source: Path) -> None:
    """The walkthrough video against its DONE digest (it is read whole anyway)."""
    tdone = source.parent / "DONE"
    record = read_json(tdone).get("files", {}).get(source.name) if tdone.exists() else None
    if record is not None:
        check_digest(source, record, tdone)
