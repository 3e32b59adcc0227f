"""Our world frame <-> AI2-THOR's (Unity's): the one place the handedness flip lives.

Ours (see houses/spec.py): metres, y up, right-handed; yaw rotates +z toward +x; pitch is
positive upward. Unity: metres, y up, **left-handed**; rotation.y rotates +z toward +x;
rotation.x (and AI2-THOR's `horizon`) is positive downward.

Copying the numbers unchanged would show every house mirrored (a chair on the viewer's left in
our metadata would be on the right in AI2-THOR's frames), so left/right answers would be wrong.
Negating x is the mirror that maps one frame onto the other. It reverses the winding of every
polygon and the direction of every wall, so those are reversed too to keep "inside" inside.
"""

from __future__ import annotations


def to_thor_point(x: float, y: float, z: float) -> dict:
    return {"x": -x, "y": y, "z": z}


def from_thor_point(p: dict) -> tuple[float, float, float]:
    return (-float(p["x"]), float(p["y"]), float(p["z"]))


def to_thor_yaw(yaw_deg: float) -> float:
    """Our yaw (facing (sin, 0, cos)) -> Unity rotation.y for the same facing after the mirror."""
    return (-yaw_deg) % 360.0


def from_thor_yaw(rotation_y: float) -> float:
    return (-float(rotation_y)) % 360.0


def to_thor_horizon(pitch_deg: float) -> float:
    """Our pitch (positive up) -> AI2-THOR's camera horizon / Unity rotation.x (positive down)."""
    return -pitch_deg


def from_thor_horizon(horizon_deg: float) -> float:
    return -float(horizon_deg)


def to_thor_polygon(points_xz) -> list[dict]:
    """A floor polygon (x, z) at y = 0, mirrored, in reversed order so its winding is kept."""
    return [to_thor_point(x, 0.0, z) for x, z in reversed(list(points_xz))]


def from_thor_polygon(points: list[dict]) -> list[tuple[float, float]]:
    return [(p[0], p[2]) for p in (from_thor_point(q) for q in reversed(points))]
