"""The renderer against geometry computed by hand: a box of known size and pose covers the
pixels its projected silhouette covers, carries its id, and reads back its true depth."""

import numpy as np
import pytest
from scipy.spatial import ConvexHull

from builder.assets.parametric import box_mesh
from builder.capture.camera import Intrinsics, cam_to_world

pytestmark = pytest.mark.render
K = Intrinsics(320, 240, 60.0)


@pytest.fixture(scope="module")
def renderer():
    from builder.render.renderer import Renderer

    return Renderer(K)


def translate(x, y, z):
    m = np.eye(4)
    m[:3, 3] = (x, y, z)
    return m


def projected_area(corners_world, c2w) -> float:
    w2c = np.linalg.inv(c2w)
    pc = (w2c[:3, :3] @ corners_world.T + w2c[:3, 3:4]).T
    u = K.cx + K.fx * pc[:, 0] / -pc[:, 2]
    v = K.cy - K.fy * pc[:, 1] / -pc[:, 2]
    return ConvexHull(np.stack([u, v], 1)).volume  # in 2D, volume is the area


def box_corners(center, size):
    c, s = np.array(center), np.array(size) / 2
    return np.array([c + s * np.array([i, j, k]) for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)])


@pytest.mark.parametrize("distance,yaw", [(3.0, 0.0), (2.0, 25.0), (4.5, -40.0)])
def test_box_pixel_count_matches_projection(renderer, distance, yaw):
    size = (0.8, 0.6, 0.5)
    mesh = box_mesh(size)  # bottom at y=0, centred in x/z
    center = (0.0, 1.2, distance)
    renderer.load([])
    renderer.add(mesh, translate(center[0], center[1] - size[1] / 2, center[2]), instance_id=7)
    c2w = cam_to_world((0.0, 1.2, 0.0), yaw * 0.1, 0.0)  # looking roughly along +z
    frame = renderer.render(c2w)
    pixels = int((frame.instance == 7).sum())
    expected = projected_area(box_corners(center, size), c2w)
    assert abs(pixels - expected) / expected < 0.02
    assert set(np.unique(frame.instance)) == {0, 7}


def test_depth_is_metric_and_occlusion_respected(renderer):
    renderer.load([])
    renderer.add(box_mesh((1.0, 1.0, 0.2)), translate(0, 1.0, 3.0), instance_id=3)  # near face at z = 2.9
    renderer.add(box_mesh((3.0, 3.0, 0.2)), translate(0, 0.0, 6.0), instance_id=4)  # behind it
    frame = renderer.render(cam_to_world((0.0, 1.5, 0.0), 0.0, 0.0))
    cy, cx = K.height // 2, K.width // 2
    assert frame.instance[cy, cx] == 3
    assert abs(float(frame.depth[cy, cx]) - 2.9) < 0.01
    assert (frame.instance == 4).any() and (frame.instance == 0).any()


def test_renders_are_bit_identical(renderer):
    renderer.load([])
    renderer.add(box_mesh((1.0, 1.0, 1.0), color=(0.7, 0.3, 0.2)), translate(0.3, 0.5, 3.0), instance_id=9)
    c2w = cam_to_world((0.0, 1.4, 0.0), 5.0, -10.0)
    renderer.begin_sequence(0, 10.0)  # a video's frames depend on its earlier ones (exposure, noise)
    a = renderer.render(c2w)
    renderer.begin_sequence(0, 10.0)
    b = renderer.render(c2w)
    assert a.rgb.tobytes() == b.rgb.tobytes() and a.instance.tobytes() == b.instance.tobytes()
