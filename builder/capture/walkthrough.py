"""One walkthrough: render every planned pose, annotate it, and write the trajectory's files.

Files of a trajectory folder (schemas in docs/capture-format.md):
  video.mp4        H.264 RGB video
  frames.parquet   one row per frame: time, pose, intrinsics, room, visible instances
  masks.npz        lossless uint16 instance map per frame
  DONE             written last; its presence means the folder is complete; it records each
                   file's size and sha256, which resume, QA and export check
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from builder.capture.annotate import visible_instances
from builder.capture.camera import Intrinsics, cam_to_world
from builder.capture.encode import VideoWriter
from builder.capture.masks import MaskWriter
from builder.io import write_text_atomic
from simsv_vsi.integrity import file_record

FRAMES_SCHEMA = pa.schema(
    [
        ("frame_index", pa.int32()),
        ("t_s", pa.float64()),
        ("x", pa.float64()),
        ("y", pa.float64()),
        ("z", pa.float64()),
        ("yaw_deg", pa.float64()),
        ("pitch_deg", pa.float64()),
        ("roll_deg", pa.float64()),
        ("cam_to_world", pa.list_(pa.float64(), 16)),
        ("fx", pa.float64()),
        ("fy", pa.float64()),
        ("cx", pa.float64()),
        ("cy", pa.float64()),
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("room_id", pa.string()),
        (
            "visible",
            pa.list_(
                pa.struct(
                    [
                        ("instance_id", pa.int32()),
                        ("pixels", pa.int32()),
                        ("fraction", pa.float64()),
                        ("bbox", pa.list_(pa.int32(), 4)),
                    ]
                )
            ),
        ),
    ]
)

OUTPUT_FILES = ("video.mp4", "frames.parquet", "masks.npz")


def capture_walkthrough(renderer, poses, intrinsics: Intrinsics, fps: int, out_dir: Path, room_at, progress=None,
                        sequence_seed: int = 0, video_kbps: int = 0) -> dict:
    """Render `poses` with `renderer` (scene already loaded) into `out_dir`. Outputs are
    written under temporary names and renamed only when all are complete; DONE comes last.
    `room_at(x, z)` names the room containing a point (or None). `sequence_seed` keys the
    camera effects of this video (renderers with `begin_sequence`); `video_kbps` the video's target
    bitrate (0: constant quality, capture/encode.py)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    use_intrinsics(renderer, intrinsics)
    for stale in out_dir.glob(".*.tmp"):
        stale.unlink()  # left by a killed run
    tmp = {name: out_dir / f".{name}.tmp" for name in OUTPUT_FILES}
    rows = {name: [] for name in FRAMES_SCHEMA.names}
    video = VideoWriter(tmp["video.mp4"], intrinsics.width, intrinsics.height, fps, video_kbps)
    masks = MaskWriter(tmp["masks.npz"])
    # The rendered frames' own digest: says whether two runs rendered the same pixels, whatever
    # the encoder made of them (the video's own sha256 is in DONE's `files`).
    rgb_digest = hashlib.sha256()
    if hasattr(renderer, "begin_sequence"):
        renderer.begin_sequence(sequence_seed, fps)
    try:
        _render_into(renderer, poses, intrinsics, video, masks, rows, rgb_digest, room_at, progress)
        table = pa.table(rows, schema=FRAMES_SCHEMA)
        pq.write_table(table, tmp["frames.parquet"], compression="zstd")
        for name, path in tmp.items():
            os.replace(path, out_dir / name)
    except BaseException:
        for path in tmp.values():  # no space, no permission, a bad pose: no temp file stays behind
            path.unlink(missing_ok=True)
        raise
    summary = {"frames": len(poses), "duration_s": round(len(poses) / fps, 3), "rooms": sorted({r for r in rows["room_id"] if r}),
               "rgb_sha256": rgb_digest.hexdigest(), "files": {name: file_record(out_dir / name) for name in OUTPUT_FILES}}
    write_text_atomic(out_dir / "DONE", json.dumps(summary, sort_keys=True))
    return summary


def _render_into(renderer, poses, intrinsics, video, masks, rows, rgb_digest, room_at, progress) -> None:
    try:
        for i, pose in enumerate(poses):
            c2w = cam_to_world((pose.x, pose.y, pose.z), pose.yaw_deg, pose.pitch_deg, getattr(pose, "roll_deg", 0.0))
            frame = renderer.render(c2w)
            rgb_digest.update(frame.rgb)
            video.write(frame.rgb)
            masks.write(frame.instance)
            _append_row(rows, i, pose, c2w, intrinsics, room_at(pose.x, pose.z), visible_instances(frame.instance))
            if progress is not None:
                progress(1)
    finally:
        _close_all(video, masks)


def _close_all(*writers) -> None:
    """Close every writer even when one fails (no space): a writer left open would fail again,
    noisily, when garbage collected. The first error is raised."""
    error = None
    for w in writers:
        try:
            w.close()
        except BaseException as e:  # noqa: BLE001 - re-raised below
            error = error or e
    if error is not None:
        raise error


def use_intrinsics(renderer, intrinsics: Intrinsics) -> None:
    """Point the renderer at this trajectory's intrinsics (frame size fixed, FOV per trajectory).
    Both backends and the bare Renderer read `intrinsics` at every frame; the embedded backend
    keeps its Renderer as `.renderer`."""
    target = getattr(renderer, "renderer", renderer)
    have = getattr(target, "intrinsics", None)
    if have is None:
        raise TypeError(f"{type(renderer).__name__} holds no intrinsics to set")
    if (have.width, have.height) != (intrinsics.width, intrinsics.height):
        raise ValueError(f"frame size {intrinsics.width}x{intrinsics.height} differs from the renderer's {have.width}x{have.height}")
    target.intrinsics = intrinsics


def _append_row(rows, i, pose, c2w, K: Intrinsics, room_id, visible) -> None:
    rows["frame_index"].append(i)
    rows["t_s"].append(round(pose.t_s, 6))
    for k in ("x", "y", "z", "yaw_deg", "pitch_deg"):
        rows[k].append(float(getattr(pose, k)))
    rows["roll_deg"].append(float(getattr(pose, "roll_deg", 0.0)))
    rows["cam_to_world"].append(np.asarray(c2w, dtype=np.float64).ravel().tolist())
    rows["fx"].append(K.fx)
    rows["fy"].append(K.fy)
    rows["cx"].append(K.cx)
    rows["cy"].append(K.cy)
    rows["width"].append(K.width)
    rows["height"].append(K.height)
    rows["room_id"].append(room_id)
    rows["visible"].append(
        [{"instance_id": v.instance_id, "pixels": v.pixels, "fraction": v.fraction, "bbox": list(v.bbox)} for v in visible]
    )
