"""Camera poses with roll and per-trajectory intrinsics: the renderer's ground truth (instance
pixels) matches a projection done by hand with the same matrices and intrinsics."""

import math

import numpy as np
import pytest
from scipy.spatial import ConvexHull
from shapely.geometry import MultiPoint

from builder.assets.parametric import box_mesh
from builder.capture.camera import Intrinsics, cam_to_world, forward_vector, intrinsics_from_hfov


def test_roll_turns_about_the_viewing_axis():
    plain = cam_to_world((1.0, 1.5, 2.0), 30.0, -10.0)
    rolled = cam_to_world((1.0, 1.5, 2.0), 30.0, -10.0, 8.0)
    assert np.allclose(rolled[:3, 2], plain[:3, 2]) and np.allclose(rolled[:3, 3], plain[:3, 3])  # same view axis, place
    assert np.allclose(rolled[:3, :3].T @ rolled[:3, :3], np.eye(3))  # still a rotation
    angle = math.degrees(math.atan2(-(rolled[:3, 0] @ plain[:3, 1]), rolled[:3, 0] @ plain[:3, 0]))
    assert angle == pytest.approx(8.0)  # positive roll: the camera's right side dips
    assert rolled[1, 0] < 0  # its x axis points downward
    assert np.allclose(-plain[:3, 2], forward_vector(30.0, -10.0))


def test_intrinsics_from_hfov():
    k = intrinsics_from_hfov(680, 384, 62.0)
    assert k.hfov_deg == pytest.approx(62.0) and k.fx == pytest.approx(k.fy)
    assert k.vfov_deg == pytest.approx(2 * math.degrees(math.atan(math.tan(math.radians(31.0)) * 384 / 680)))


def _projected(corners, c2w, K):
    w2c = np.linalg.inv(c2w)
    pc = (w2c[:3, :3] @ corners.T + w2c[:3, 3:4]).T
    return np.stack([K.cx + K.fx * pc[:, 0] / -pc[:, 2], K.cy - K.fy * pc[:, 1] / -pc[:, 2]], 1)


@pytest.mark.render
@pytest.mark.parametrize("hfov,roll", [(58.0, 0.0), (70.0, 6.0), (64.0, -12.0)])
def test_rolled_pose_and_trajectory_intrinsics_give_exact_masks(hfov, roll):
    from builder.capture.walkthrough import use_intrinsics
    from builder.render.renderer import Renderer

    size, centre = np.array((0.9, 0.5, 0.4)), np.array((0.3, 1.0, 3.0))
    corners = np.array([centre + size / 2 * np.array([i, j, k]) for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)])
    model = np.eye(4)
    model[:3, 3] = (centre[0], centre[1] - size[1] / 2, centre[2])
    with Renderer(Intrinsics(320, 180, 59.0)) as r:
        K = intrinsics_from_hfov(320, 180, hfov)
        use_intrinsics(r, K)  # what capture does at the start of each trajectory
        r.load([])
        r.add(box_mesh(tuple(size)), model, instance_id=9)
        c2w = cam_to_world((0.0, 1.4, 0.0), 4.0, -8.0, roll)
        mask = r.render(c2w).instance == 9
    uv = _projected(corners, c2w, K)
    hull = ConvexHull(uv)
    assert abs(mask.sum() - hull.volume) / hull.volume < 0.02
    rows, cols = np.nonzero(mask)
    centroid = MultiPoint(uv[hull.vertices]).convex_hull.centroid
    assert abs(cols.mean() + 0.5 - centroid.x) < 0.5 and abs(rows.mean() + 0.5 - centroid.y) < 0.5
    with pytest.raises(ValueError, match="frame size"):
        use_intrinsics(r, Intrinsics(640, 480, 50.0))


def test_build_config_records_the_profile_and_old_folders_resume_with_theirs():
    from builder.config import BuildConfig, CaptureConfig

    hand = BuildConfig(capture=CaptureConfig(camera="handheld")).to_json()
    assert hand["capture"]["camera"] == "handheld"
    assert BuildConfig.from_json(hand).capture.camera == "handheld"
    old = BuildConfig().to_json()  # what folders built before profiles hold: no `camera`
    assert "camera" not in old["capture"]
    assert BuildConfig.from_json(old).capture.camera == "fixed"
