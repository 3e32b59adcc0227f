"""`simsv look`: PNGs of one captured walkthrough, for a person to judge."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from builder.capture.encode import read_frames
from builder.capture.masks import read_mask
from builder.houses.spec import House
from builder.look import contact_sheet, draw_topdown
from simsv_vsi.integrity import check_digest, read_json


def id_colours(instance: np.ndarray) -> np.ndarray:
    """A fixed pseudo-random colour per instance id (0 stays black)."""
    ids = instance.astype(np.uint32)
    rgb = np.stack([(ids * 97) % 251, (ids * 57) % 241, (ids * 31) % 239], -1).astype(np.uint8)
    rgb[ids == 0] = 0
    return rgb


def look(corpus: Path, house_index: int, out: Path, trajectory: int = 0, n_frames: int = 16) -> list[Path]:
    hdir = Path(corpus) / "houses" / f"house_{house_index:06d}"
    tdir = hdir / f"traj_{trajectory:02d}"
    if not (tdir / "DONE").exists():
        raise FileNotFoundError(f"{tdir}: no finished walkthrough here (run `simsv generate` first)")
    if (hdir / "DONE").exists():
        from builder.pipeline import check_house

        check_house(hdir)  # a damaged file is named here, not deep in a decoder
    files = read_json(tdir / "DONE").get("files", {})
    for name in ("video.mp4", "masks.npz"):  # read in part below, so a bad block could go unseen
        if name in files:
            check_digest(tdir / name, files[name], tdir / "DONE")
    house = House.load(hdir / "house.json")
    frames = pq.read_table(tdir / "frames.parquet", columns=["frame_index", "t_s", "x", "z", "room_id"]).to_pydict()
    n = len(frames["frame_index"])
    picks = np.linspace(0, n - 1, min(n_frames, n)).round().astype(int)
    rgb = read_frames(tdir / "video.mp4", picks)
    ids = [id_colours(read_mask(tdir / "masks.npz", int(i))) for i in picks]
    captions = [f"t={frames['t_s'][i]:.1f}s {frames['room_id'][i] or '-'}" for i in picks]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"house_{house_index:06d}_traj_{trajectory:02d}"
    paths = [out / f"{stem}_frames.png", out / f"{stem}_ids.png", out / f"{stem}_map.png"]
    contact_sheet(rgb, captions).save(paths[0])
    contact_sheet(ids, captions).save(paths[1])
    draw_topdown(house, np.stack([frames["x"], frames["z"]], 1)).save(paths[2])
    return paths
