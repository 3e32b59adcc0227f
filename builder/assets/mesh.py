"""The in-memory mesh type shared by asset loaders and the renderer.

Model frame: metres, y up; the object's footprint is centred on the origin in x/z, its
bottom sits at y=0, and its front faces +z. `size` is the (x, y, z) extent of the model
in that frame, equal to the catalogue's width x height x depth after loading.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class MeshPart:
    """One material's triangles, stored as a triangle soup (3 vertices per triangle)."""

    positions: np.ndarray  # (N, 3) float32, N = 3 * triangles
    normals: np.ndarray  # (N, 3) float32, unit length
    color: tuple[float, float, float]  # diffuse colour, linear RGB in [0, 1]
    uvs: np.ndarray | None = None  # (N, 2) float32 texture coordinates, or None
    texture: np.ndarray | None = None  # (H, W, 3) uint8 sRGB image, or None


@dataclass
class Mesh:
    """A whole model: its parts and its extent in the model frame."""

    parts: list[MeshPart] = field(default_factory=list)

    @property
    def size(self) -> np.ndarray:
        pts = np.concatenate([p.positions for p in self.parts])
        return pts.max(0) - pts.min(0)

    @property
    def triangle_count(self) -> int:
        return sum(len(p.positions) // 3 for p in self.parts)
