"""Where a handheld camera looks, frame by frame, once its positions are planned.

Gaze: at every frame a few headings around a base direction (the room's centre on a perimeter
loop, the way ahead between rooms) are scored by the furniture each shows: every object of the
camera's room (between rooms: and of the room ahead) inside the horizontal field of view adds its
apparent size (visible extent over distance squared, capped so that several things beat one big
one), discounted by how long it has already been in view, so the camera turns to what it has not
filmed yet. Pitch aims a little below the score-weighted height of what is in view.
Both are then made feasible: rate-clamped and smoothed by a centred moving average, whose
window is long enough to keep frame-to-frame rate changes within the acceleration limit (see
`smooth_angles`). Height bobs with the steps; roll is a slow sum of random sinusoids.
"""

from __future__ import annotations

import math

import numpy as np

from builder.houses.spec import House


SIZE_CAP = 0.05  # sr: ~6 % of a 66 x 40 deg view
PITCH_BIAS_DEG = -10.0  # aim below what is looked at: people film furniture from above, floor and what stands on it in view


def wrap(a):
    return (np.asarray(a, dtype=float) + 180.0) % 360.0 - 180.0


class ObjectField:
    """The house's furniture as arrays, for scoring views."""

    def __init__(self, house: House):
        objs = list(house.objects)
        self.room = np.array([o.room_id for o in objs], dtype=object)
        self.xz = np.array([(o.position[0], o.position[2]) for o in objs], float).reshape(-1, 2)
        self.y = np.array([o.position[1] for o in objs], float)
        # visible extent: the larger horizontal side times the height (m^2)
        self.extent = np.array([max(o.size[0], o.size[2]) * o.size[1] for o in objs], float)

    def in_rooms(self, rooms: tuple) -> np.ndarray:
        """Objects of any of `rooms` (None entries name no room)."""
        return np.flatnonzero(np.isin(self.room, [r for r in rooms if r is not None]))


def choose_gaze(field: ObjectField, x: np.ndarray, z: np.ndarray, cam_y: np.ndarray, base_deg: np.ndarray,
                reach_deg: np.ndarray, room: list, hfov_deg: float, fps: float, memory_s: float,
                inward_weight: float, pitch_rest_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Desired (yaw, pitch) per frame, in degrees; yaw unwrapped along the frames. `room[k]`:
    the rooms whose furniture frame k may look at (the camera's, and between rooms the one ahead)."""
    n = len(x)
    offsets = np.linspace(-1.0, 1.0, 9)
    half = 0.5 * hfov_deg - 5.0  # an object must be well inside the frame to count
    seen = np.zeros(len(field.xz))  # frames each object has been in view
    yaw, pitch = np.empty(n), np.empty(n)
    prev = float(base_deg[0]) if n else 0.0
    for k in range(n):
        cand = base_deg[k] + reach_deg[k] * offsets
        idx = field.in_rooms(room[k])
        score = inward_weight * np.cos(np.radians(cand - base_deg[k]))
        best, aim = 0, None
        if len(idx):
            dx, dz = field.xz[idx, 0] - x[k], field.xz[idx, 1] - z[k]
            dist = np.maximum(np.hypot(dx, dz), 0.4)
            bearing = np.degrees(np.arctan2(dx, dz))
            # apparent size (solid angle, sr), capped at SIZE_CAP: past ~6 % of the view an object counts
            # as one, so a view of three things beats one of a single big painting on a wall
            size = np.minimum(field.extent[idx] / dist**2, SIZE_CAP) / SIZE_CAP
            fresh = 1.0 / (1.0 + seen[idx] / (memory_s * fps))
            inside = np.abs(wrap(bearing[None, :] - cand[:, None])) < half  # (candidates, objects)
            score = score + inside @ (size * fresh)
            best = int(np.argmax(score))
            show = inside[best]
            seen[idx[show]] += 1
            if show.any():
                wts = size[show] * fresh[show]
                elev = np.degrees(np.arctan2(field.y[idx][show] - cam_y[k], dist[show]))
                aim = float(np.sum(wts * elev) / np.sum(wts)) + PITCH_BIAS_DEG
        else:
            best = int(np.argmax(score))
        g = float(cand[best])
        prev = prev + float(wrap(g - prev))  # unwrap against the previous frame's choice
        yaw[k] = prev
        pitch[k] = pitch_rest_deg if aim is None else aim
    return yaw, pitch


def smoothing_half_width(max_rate: float, max_accel: float, fps: float) -> int:
    """Half width h of the moving average: a run of (2h+1) frames whose ends differ by at most
    the rate limit each changes the mean's rate by at most 2 * rate / (2h+1) per frame."""
    return max(1, int(math.ceil((2.0 * max_rate * fps / max_accel - 1.0) / 2.0)))


def smooth_angles(a: np.ndarray, max_rate: float, max_accel: float, fps: float) -> np.ndarray:
    """Clamp the per-frame change to max_rate / fps, then average over a centred window (ends
    held): the result keeps the rate bound and changes rate by at most max_accel / fps^2."""
    a = np.asarray(a, float)
    if len(a) < 2:
        return a.copy()
    step = max_rate / fps
    out = np.empty_like(a)
    out[0] = a[0]
    for k in range(1, len(a)):  # rate clamp, tracking the target
        out[k] = out[k - 1] + min(max(a[k] - out[k - 1], -step), step)
    h = smoothing_half_width(max_rate, max_accel, fps)
    padded = np.concatenate([np.full(h, out[0]), out, np.full(h, out[-1])])
    cs = np.concatenate([[0.0], np.cumsum(padded)])
    return (cs[2 * h + 1:] - cs[: -2 * h - 1]) / (2 * h + 1)


def walking_bob(step_m: np.ndarray, amplitude_m: float, step_length_m: float, speed_frac: np.ndarray) -> np.ndarray:
    """Vertical offset (m): one bob per step, scaled by speed (standing still: none)."""
    s = np.concatenate([[0.0], np.cumsum(step_m)])
    return amplitude_m * np.clip(speed_frac, 0.0, 1.0) * np.sin(2 * math.pi * s / step_length_m)


def roll_jitter(n: int, fps: float, std_deg: float, rng: np.random.Generator) -> np.ndarray:
    """Slow roll (deg): three sinusoids of 0.05-0.3 Hz with random phases, scaled to std_deg."""
    if std_deg <= 0 or n == 0:
        return np.zeros(n)
    t = np.arange(n) / fps
    f = rng.uniform(0.05, 0.3, 3)
    ph = rng.uniform(0, 2 * math.pi, 3)
    amp = rng.uniform(0.5, 1.0, 3)
    r = (amp[:, None] * np.sin(2 * math.pi * f[:, None] * t[None, :] + ph[:, None])).sum(0)
    return std_deg * r / math.sqrt(0.5 * float(np.sum(amp**2)))
