"""Pinhole camera: intrinsics from a field of view, poses as 4x4 matrices, and the camera
profiles a corpus is filmed with.

A pose is (position, yaw_deg, pitch_deg, roll_deg). Yaw follows the house spec (0 looks toward
+z, 90 toward +x); pitch is positive upward; roll turns the image clockwise as seen by the
viewer when positive (the camera's right side dips). The camera frame is OpenGL's: +x right,
+y up, looking along -z. Pixel (u, v) has its origin at the image's top-left corner.

Profiles (`--camera`, docs/realism.md):
  handheld  a person filming with a phone: horizontal FOV drawn per trajectory from 55-72 deg,
            eye height 1.3-1.7 m with a walking bob, pitch following what is looked at, roll
            jitter; scan-style paths (capture/planner.py, style "scan")
  paper     SIMS-V's AI2-THOR navigation camera: vertical FOV 59 deg + U{-1.0..0.9} deg, pitch
            -27 deg + U{-2.0..1.8} deg, drawn per trajectory; room-centre 360-degree spins
  fixed     the camera of builds made before profiles existed (vertical FOV --vfov, pitch -12
            deg, 1.5 m, spins); a build_config.json without a `camera` field means this one
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


def intrinsics_from_hfov(width: int, height: int, hfov_deg: float) -> Intrinsics:
    """Square-pixel intrinsics with the given horizontal field of view."""
    vfov = 2 * math.degrees(math.atan(math.tan(math.radians(hfov_deg) / 2) * height / width))
    return Intrinsics(width, height, vfov)


def forward_vector(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    y, p = math.radians(yaw_deg), math.radians(pitch_deg)
    return np.array([math.sin(y) * math.cos(p), math.sin(p), math.cos(y) * math.cos(p)])


def cam_to_world(position, yaw_deg: float, pitch_deg: float, roll_deg: float = 0.0) -> np.ndarray:
    """4x4 camera-to-world matrix (OpenGL camera frame) for a pose; roll turns the camera about
    its viewing axis (positive: right side down), so the image shows the world turned the other way."""
    f = forward_vector(yaw_deg, pitch_deg)
    right = np.cross(f, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, f)
    if roll_deg:
        c, s = math.cos(math.radians(roll_deg)), math.sin(math.radians(roll_deg))
        right, up = c * right - s * up, s * right + c * up
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = right, up, -f, position
    return m


# ---- camera profiles -------------------------------------------------------------------------

CAMERA_PROFILES = ("handheld", "paper", "fixed")
SEED_STAGE_CAMERA = 5
"""Stage tag of a trajectory's camera draws: [seed, house index, 5, trajectory]."""

HANDHELD_HFOV_DEG = (55.0, 72.0)  # ScanNet's colour camera ~58 deg, phone main cameras 60-70 deg
HANDHELD_HEIGHT_M = (1.3, 1.7)  # eye/chest height of a person holding a phone up
HANDHELD_REST_PITCH_DEG = -18.0  # looking down a little at the room when nothing in particular is looked at
PAPER_VFOV_NOISE_DEG = tuple(round(-1.0 + 0.1 * i, 1) for i in range(20))  # SIMS-V: {-1.0, -0.9, ..., +0.9}
PAPER_PITCH_NOISE_DEG = tuple(round(-2.0 + 0.2 * i, 1) for i in range(20))  # SIMS-V: {-2.0, -1.8, ..., +1.8}
PAPER_PITCH_DEG = -27.0  # SIMS-V's navigation camera looks 27 deg down
FIXED_PITCH_DEG = -12.0
DEFAULT_HEIGHT_M = 1.5


@dataclass(frozen=True)
class TrajectoryCamera:
    """One trajectory's camera: drawn once, before planning."""

    profile: str
    intrinsics: Intrinsics
    height_m: float  # mean camera height above the floor (m)
    pitch_deg: float  # the spin profiles' constant pitch; handheld: where pitch rests when nothing is looked at

    @property
    def style(self) -> str:
        """The planner style that goes with the profile."""
        return "scan" if self.profile == "handheld" else "spin"


def camera_rng(seed: int, house_index: int, trajectory: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, house_index, SEED_STAGE_CAMERA, trajectory]))


def draw_camera(profile: str, width: int, height: int, vfov_deg: float, rng: np.random.Generator) -> TrajectoryCamera:
    """The camera of one trajectory under `profile` (`vfov_deg`: fixed's FOV, paper's mean FOV)."""
    if profile == "handheld":
        hfov = float(rng.uniform(*HANDHELD_HFOV_DEG))
        h = float(rng.uniform(*HANDHELD_HEIGHT_M))
        return TrajectoryCamera(profile, intrinsics_from_hfov(width, height, hfov), h, HANDHELD_REST_PITCH_DEG)
    if profile == "paper":
        vfov = vfov_deg + float(rng.choice(PAPER_VFOV_NOISE_DEG))
        pitch = PAPER_PITCH_DEG + float(rng.choice(PAPER_PITCH_NOISE_DEG))
        return TrajectoryCamera(profile, Intrinsics(width, height, vfov), DEFAULT_HEIGHT_M, pitch)
    if profile == "fixed":
        return TrajectoryCamera(profile, Intrinsics(width, height, vfov_deg), DEFAULT_HEIGHT_M, FIXED_PITCH_DEG)
    raise ValueError(f"unknown camera profile '{profile}' (known: {', '.join(CAMERA_PROFILES)})")
