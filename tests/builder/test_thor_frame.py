"""The handedness flip between our frame and AI2-THOR's keeps left as left and ahead as ahead."""

import math

import numpy as np
import pytest

from builder.capture.camera import forward_vector
from builder.houses import thor_frame as tf


def _unity_forward(rot_y, horizon):
    y, p = math.radians(rot_y), math.radians(horizon)
    return np.array([math.sin(y) * math.cos(p), -math.sin(p), math.cos(y) * math.cos(p)])


def _unity_right(rot_y):
    # Unity's local +x after a rotation about +y (left-handed): (cos, 0, -sin)
    y = math.radians(rot_y)
    return np.array([math.cos(y), 0.0, -math.sin(y)])


@pytest.mark.parametrize("yaw,pitch", [(0, 0), (90, 0), (-30, 10), (200, -25), (359, 5)])
def test_facing_and_sides_survive_the_mirror(yaw, pitch):
    rng = np.random.default_rng(abs(int(yaw * 7 + pitch)))
    cam = rng.uniform(-3, 3, 3)
    ours_f = forward_vector(yaw, pitch)
    ours_right = np.cross(ours_f, [0, 1, 0])  # right-handed: facing x up
    thor_f = _unity_forward(tf.to_thor_yaw(yaw), tf.to_thor_horizon(pitch))
    np.testing.assert_allclose(thor_f, [-ours_f[0], ours_f[1], ours_f[2]], atol=1e-12)
    for p in rng.uniform(-5, 5, (20, 3)):
        q, c = tf.to_thor_point(*p), tf.to_thor_point(*cam)
        d_thor = np.array([q["x"] - c["x"], q["y"] - c["y"], q["z"] - c["z"]])
        side_ours = np.sign(np.dot(p - cam, ours_right))
        side_thor = np.sign(np.dot(d_thor, _unity_right(tf.to_thor_yaw(yaw))))
        assert side_ours == side_thor  # a thing on our right is on AI2-THOR's right
        assert np.sign(np.dot(p - cam, ours_f)) == np.sign(np.dot(d_thor, thor_f))


def test_round_trips_and_winding():
    assert tf.from_thor_point(tf.to_thor_point(1.5, 0.2, -3.0)) == (1.5, 0.2, -3.0)
    assert tf.from_thor_yaw(tf.to_thor_yaw(30.0)) == pytest.approx(30.0)
    square = [(0, 0), (2, 0), (2, 1), (0, 1)]  # counter-clockwise in (x, z)
    thor = tf.to_thor_polygon(square)
    signed = lambda pts: sum(x0 * z1 - x1 * z0 for (x0, z0), (x1, z1) in zip(pts, pts[1:] + pts[:1]))
    assert signed([(p["x"], p["z"]) for p in thor]) == pytest.approx(signed(square))  # winding kept
    assert tf.from_thor_polygon(thor) == [(float(x), float(z)) for x, z in square]
