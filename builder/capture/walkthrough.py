"""One walkthrough: render every planned pose, annotate it, and write the trajectory's files.

Files of a trajectory folder (schemas in docs/capture-format.md):
  video.mp4        H.264 RGB video
  frames.parquet   one row per frame: time, pose, intrinsics, room, visible instances
  masks.npz        lossless uint16 instance map per frame
  DONE             written last; its presence means the folder is complete
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

FRAMES_SCHEMA = pa.schema(
    [
        ("frame_index", pa.int32()),
        ("t_s", pa.float64()),
        ("x", pa.float64()),
        ("y", pa.float64()),
        ("z", pa.float64()),
        ("yaw_deg", pa.float64()),
        ("pitch_deg", pa.float64()),
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
                        sequence_seed: int = 0) -> dict:
    """Render `poses` with `renderer` (scene already loaded) into `out_dir`. Outputs are
    written under temporary names and renamed only when all are complete; DONE comes last.
    `room_at(x, z)` names the room containing a point (or None). `sequence_seed` keys the
    camera effects of this video (renderers with `begin_sequence`)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(".*.tmp"):
        stale.unlink()  # left by a killed run
    tmp = {name: out_dir / f".{name}.tmp" for name in OUTPUT_FILES}
    rows = {name: [] for name in FRAMES_SCHEMA.names}
    video = VideoWriter(tmp["video.mp4"], intrinsics.width, intrinsics.height, fps)
    masks = MaskWriter(tmp["masks.npz"])
    # The rendered frames' own digest: says whether two runs rendered the same pixels, whatever
    # the encoder made of them (docs/scale-out.md: x264 output is not always reproducible).
    rgb_digest = hashlib.sha256()
    if hasattr(renderer, "begin_sequence"):
        renderer.begin_sequence(sequence_seed, fps)
    try:
        for i, pose in enumerate(poses):
            c2w = cam_to_world((pose.x, pose.y, pose.z), pose.yaw_deg, pose.pitch_deg)
            frame = renderer.render(c2w)
            rgb_digest.update(frame.rgb)
            video.write(frame.rgb)
            masks.write(frame.instance)
            _append_row(rows, i, pose, c2w, intrinsics, room_at(pose.x, pose.z), visible_instances(frame.instance))
            if progress is not None:
                progress(1)
    finally:
        video.close()
        masks.close()
    table = pa.table(rows, schema=FRAMES_SCHEMA)
    pq.write_table(table, tmp["frames.parquet"], compression="zstd")
    for name, path in tmp.items():
        os.replace(path, out_dir / name)
    summary = {"frames": len(poses), "duration_s": round(len(poses) / fps, 3), "rooms": sorted({r for r in rows["room_id"] if r}),
               "rgb_sha256": rgb_digest.hexdigest()}
    write_text_atomic(out_dir / "DONE", json.dumps(summary, sort_keys=True))
    return summary


def _append_row(rows, i, pose, c2w, K: Intrinsics, room_id, visible) -> None:
    rows["frame_index"].append(i)
    rows["t_s"].append(round(pose.t_s, 6))
    for k in ("x", "y", "z", "yaw_deg", "pitch_deg"):
        rows[k].append(float(getattr(pose, k)))
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
