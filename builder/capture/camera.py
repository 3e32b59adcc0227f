"""Pinhole camera: intrinsics from a vertical field of view, and poses as 4x4 matrices.

A pose is (position, yaw_deg, pitch_deg). Yaw follows the house spec (0 looks toward +z,
90 toward +x); pitch is positive upward. The camera frame is OpenGL's: +x right, +y up,
looking along -z. Pixel (u, v) has its origin at the image's top-left corner.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Intrinsics:
    width: int
    height: int
    vfov_deg: float

    @property
    def fy(self) -> float:
        return 0.5 * self.height / math.tan(math.radians(self.vfov_deg) / 2)

    @property
    def fx(self) -> float:
        return self.fy  # square pixels

    @property
    def cx(self) -> float:
        return self.width / 2

    @property
    def cy(self) -> float:
        return self.height / 2

    @property
    def hfov_deg(self) -> float:
        return math.degrees(2 * math.atan(self.width / (2 * self.fx)))

    def matrix(self) -> np.ndarray:
        return np.array([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1]], dtype=np.float64)

    def projection(self, near: float, far: float) -> np.ndarray:
        """OpenGL clip-space projection matching `matrix()`."""
        t = 1.0 / math.tan(math.radians(self.vfov_deg) / 2)
        a = self.height / self.width
        return np.array(
            [
                [t * a, 0, 0, 0],
                [0, t, 0, 0],
                [0, 0, (far + near) / (near - far), 2 * far * near / (near - far)],
                [0, 0, -1, 0],
            ],
            dtype=np.float64,
        )


def forward_vector(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    y, p = math.radians(yaw_deg), math.radians(pitch_deg)
    return np.array([math.sin(y) * math.cos(p), math.sin(p), math.cos(y) * math.cos(p)])


def cam_to_world(position, yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """4x4 camera-to-world matrix (OpenGL camera frame) for a pose."""
    f = forward_vector(yaw_deg, pitch_deg)
    right = np.cross(f, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, f)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = right, up, -f, position
    return m
