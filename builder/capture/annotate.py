"""Per-frame ground truth from an instance map: which objects are visible, how many pixels
each covers, what fraction of the frame that is, and each one's 2D box."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from builder.houses.spec import MAX_OBJECT_INSTANCES


@dataclass(frozen=True)
class Visible:
    instance_id: int
    pixels: int
    fraction: float  # pixels / (width * height)
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels; x1, y1 exclusive


def visible_instances(instance: np.ndarray) -> list[Visible]:
    """Objects, doors and windows (ids 1..999) with at least one pixel, by ascending id.
    Structure (floors, walls, ceilings) is left out: questions never refer to it."""
    ids = np.where(instance <= MAX_OBJECT_INSTANCES, instance, 0).astype(np.int32)
    counts = np.bincount(ids.ravel(), minlength=MAX_OBJECT_INSTANCES + 1)
    present = np.nonzero(counts[1:])[0] + 1
    if len(present) == 0:
        return []
    slices = ndimage.find_objects(ids, max_label=int(present[-1]))
    total = instance.size
    out = []
    for i in present:
        sy, sx = slices[i - 1]
        n = int(counts[i])
        out.append(Visible(int(i), n, round(n / total, 8), (sx.start, sy.start, sx.stop, sy.stop)))
    return out
