"""Tests for builder.qa.geometry: exact point/triangle/mesh distances, checked against hand
computations, an O(n^2) all-pairs reference and dense surface sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial import cKDTree

from builder.assets.parametric import PARAMETRIC, box_mesh, build_parametric
from builder.houses.generate import generate_house
from builder.houses.spec import HouseObject
from builder.qa import geometry
from builder.qa.geometry import (TOUCH_EPS, house_geometry, mesh_distance, object_triangles,
                                 pairwise_object_distances, point_mesh_distance, point_triangle_distance,
                                 triangle_distance)

TRI = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0]])  # right triangle in the z = 0 plane


def box_tris(lo, hi) -> np.ndarray:
    """12 triangles of an axis-aligned box."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    c = np.array([[(lo, hi)[(k >> a) & 1][a] for a in range(3)] for k in range(8)])  # corner k: bit a = hi on axis a
    quads = [(0, 2, 6, 4), (1, 3, 7, 5), (0, 1, 5, 4), (2, 3, 7, 6), (0, 1, 3, 2), (4, 5, 7, 6)]
    return np.array([c[[q[0], q[1], q[2]]] for q in quads] + [c[[q[0], q[2], q[3]]] for q in quads])


def rotation(axis, deg) -> np.ndarray:
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    t = math.radians(deg)
    return np.eye(3) + math.sin(t) * k + (1 - math.cos(t)) * k @ k


UNIT = box_tris((0, 0, 0), (1, 1, 1))


def shifted(tris, offset) -> np.ndarray:
    return tris + np.asarray(offset, float)


# ---- point-triangle ------------------------------------------------------------------------


@pytest.mark.parametrize("point, expected", [
    ((0.25, 0.25, 2.0), 2.0),  # face region, above
    ((0.2, 0.3, -0.5), 0.5),  # face region, below
    ((0.2, 0.3, 0.0), 0.0),  # on the face
    ((0.5, -1.0, 0.0), 1.0),  # edge v0-v1, in plane
    ((0.5, -1.0, 1.0), math.sqrt(2)),  # edge v0-v1, off plane
    ((1.0, 1.0, 0.0), 1 / math.sqrt(2)),  # hypotenuse
    ((-1.0, 0.5, 2.0), math.sqrt(5)),  # edge v2-v0 (x = 0)
    ((-1.0, -1.0, 0.0), math.sqrt(2)),  # vertex v0
    ((2.0, -1.0, 1.0), math.sqrt(3)),  # vertex v1
    ((-1.0, 3.0, 0.0), math.sqrt(5)),  # vertex v2
])
def test_point_triangle_regions(point, expected):
    d = point_triangle_distance(np.array([point]), TRI[None])
    assert d[0] == pytest.approx(expected, abs=1e-12)


def test_point_degenerate_triangle_is_a_segment():
    seg = np.array([[[0.0, 0, 0], [1, 0, 0], [2, 0, 0]]])  # collinear corners
    assert point_triangle_distance(np.array([[1.5, 1.0, 0]]), seg)[0] == pytest.approx(1.0)
    assert point_triangle_distance(np.array([[3.0, 0, 0]]), seg)[0] == pytest.approx(1.0)
    point = np.array([[[0.5, 0.5, 0.5]] * 3])  # all corners equal
    assert point_triangle_distance(np.array([[0.5, 0.5, 1.5]]), point)[0] == pytest.approx(1.0)


def test_point_mesh_distance_unit_box():
    pts = np.array([[0.5, 0.5, 3.0], [2, 2, 2], [0.5, 0.5, 0.5], [0.5, 0.9, 0.5], [1.0, 0.5, 0.5], [-1, 0.5, -1]])
    expected = [2.0, math.sqrt(3), 0.5, 0.1, 0.0, math.sqrt(2)]  # inside points: distance to the surface
    np.testing.assert_allclose(point_mesh_distance(pts, UNIT), expected, atol=1e-12)


# ---- triangle-triangle -----------------------------------------------------------------------


def test_triangle_pairs_by_hand():
    tb = np.array([
        TRI + (0, 0, 0.7),  # stacked parallel copy: face-face
        [[0.2, 0.2, -1], [0.3, 0.2, 1], [0.2, 0.3, 1]],  # pierces the interior: no edge touches
        [[2, -1, 1], [2, -1, -1], [2, 1, 0]],  # in the plane x = 2: vertex (1, 0, 0) to its face
        [[-1, 2, 1], [-1, 2, 3], [-2, 2, 2]],  # only vertex-vertex close: v2 = (0, 1, 0)
        [[0.5, -1, 0]] * 3,  # a point (all corners equal) beside edge v0-v1
    ], float)
    ta = np.repeat(TRI[None], len(tb), 0)
    expected = [0.7, 0.0, 1.0, math.sqrt(1 + 1 + 1), 1.0]
    np.testing.assert_allclose(triangle_distance(ta, tb), expected, atol=1e-12)
    np.testing.assert_allclose(triangle_distance(tb, ta), expected, atol=1e-12)


def test_skew_edges():
    # Two thin triangles whose long edges cross at right angles, 0.5 apart in z.
    ta = np.array([[[-1.0, 0, 0], [1, 0, 0], [0, -0.1, -0.5]]])
    tb = np.array([[[0.0, -1, 0.5], [0, 1, 0.5], [0.1, 0, 1.0]]])
    assert triangle_distance(ta, tb)[0] == pytest.approx(0.5, abs=1e-12)


# ---- mesh-mesh: boxes ------------------------------------------------------------------------


@pytest.mark.parametrize("offset, expected", [
    ((1.5, 0, 0), 0.5),  # face-face
    ((0, -2.25, 0), 1.25),
    ((1.5, 1.5, 0), math.sqrt(0.5)),  # edge-edge (parallel edges)
    ((1.5, 1.5, 1.5), math.sqrt(0.75)),  # corner-corner
    ((1.0, 0, 0), 0.0),  # touching faces
    ((1.0, 1.0, 1.0), 0.0),  # touching corners
    ((1.0, 0.3, -0.4), 0.0),  # touching, faces partly overlapping
    ((0.5, 0.5, 0.5), 0.0),  # interpenetrating
])
def test_box_distances(offset, expected):
    assert mesh_distance(UNIT, shifted(UNIT, offset)) == pytest.approx(expected, abs=1e-12)
    assert mesh_distance(shifted(UNIT, offset), UNIT) == pytest.approx(expected, abs=1e-12)


def test_nested_boxes_measure_between_surfaces():
    inner = box_tris((0.2, 0.3, 0.4), (0.7, 0.6, 0.9))
    assert mesh_distance(UNIT, inner) == pytest.approx(0.1, abs=1e-12)


def test_rotated_boxes():
    centred = shifted(UNIT, (-0.5, -0.5, -0.5))
    # A box turned 45 degrees about y points a vertical edge at the other box's face.
    turned = centred @ rotation((0, 1, 0), 45).T + (2.0, 0, 0)
    assert mesh_distance(centred, turned) == pytest.approx(2.0 - math.sqrt(0.5) - 0.5, abs=1e-12)
    # Turned about the diagonal, the nearest feature is a corner.
    r = rotation((1, 1, 1), 30)
    corner = centred @ r.T
    reach = -corner[..., 0].min()  # how far the turned box extends towards -x
    assert mesh_distance(centred, corner + (0.5 + reach + 0.3, 0, 0)) == pytest.approx(0.3, abs=1e-9)
    # A rigid motion applied to both meshes keeps every distance.
    rng = np.random.default_rng(3)
    for offset, expected in (((1.5, 0, 0), 0.5), ((1.5, 1.5, 0), math.sqrt(0.5)), ((1.5, 1.5, 1.5), math.sqrt(0.75))):
        rot, move = rotation(rng.normal(size=3), rng.uniform(0, 360)), rng.normal(size=3) * 5
        a, b = centred @ rot.T + move, shifted(centred, offset) @ rot.T + move
        assert mesh_distance(a, b) == pytest.approx(expected, abs=1e-9)


def test_touch_tolerance():
    assert mesh_distance(UNIT, shifted(UNIT, (1 + TOUCH_EPS / 2, 0, 0))) == 0.0
    assert mesh_distance(UNIT, shifted(UNIT, (1 + 1e-4, 0, 0))) == pytest.approx(1e-4, rel=1e-6)


# ---- independent checks on random meshes ------------------------------------------------------


def random_mesh(rng, n, centre, spread=0.4, size=0.25) -> np.ndarray:
    """Small random triangles scattered around `centre`; a few are degenerate."""
    base = rng.normal(size=(n, 1, 3)) * spread + centre
    tris = base + rng.normal(size=(n, 3, 3)) * size
    tris[: n // 10, 2] = tris[: n // 10, 1]  # zero-length edge
    tris[n // 10: n // 5, 2] = (tris[n // 10: n // 5, 0] + tris[n // 10: n // 5, 1]) / 2  # collinear
    return tris


def brute_force(ta, tb) -> float:
    """O(n^2) reference: the exact kernel on every triangle pair, no pruning."""
    ia, ib = np.divmod(np.arange(len(ta) * len(tb)), len(tb))
    d = triangle_distance(ta[ia], tb[ib]).min()
    return 0.0 if d <= TOUCH_EPS else float(d)


def surface_samples(tris, n=14) -> tuple[np.ndarray, float]:
    """Barycentric grid points on every triangle, and a covering radius: every surface point lies
    within max edge / n of a sample."""
    i, j = np.array([(i, j) for i in range(n + 1) for j in range(n + 1 - i)]).T / n
    w = np.stack([1 - i - j, i, j], 1)  # (S, 3) barycentric weights
    pts = np.einsum("sk,tkx->tsx", w, tris).reshape(-1, 3)
    edges = np.linalg.norm(tris - tris[:, [1, 2, 0]], axis=2)
    return pts, edges.max() / n


@pytest.mark.parametrize("seed", range(12))
def test_random_meshes_against_brute_force_and_sampling(seed):
    rng = np.random.default_rng(seed)
    gap = rng.uniform(0.0, 2.0)  # from interpenetrating clouds to well separated ones
    ta = random_mesh(rng, int(rng.integers(20, 70)), (0, 0, 0))
    tb = random_mesh(rng, int(rng.integers(20, 70)), rng.normal(size=3) / np.sqrt(3) * gap + (gap, 0, 0))
    exact = mesh_distance(ta, tb)
    assert exact == pytest.approx(brute_force(ta, tb), abs=1e-12)
    pa, ha = surface_samples(ta)
    pb, hb = surface_samples(tb)
    sampled = cKDTree(pb).query(pa)[0].min()
    assert exact <= sampled + 1e-12  # samples lie on the surfaces
    assert sampled <= exact + ha + hb  # and cover them


def sphere(centre, radius, n_lon=24, n_lat=12) -> np.ndarray:
    """Latitude-longitude tessellated sphere: many small triangles at nearly equal distances
    from a far object, the case where pruning has to be sharp."""
    lon = np.linspace(0, 2 * np.pi, n_lon + 1)
    lat = np.linspace(-np.pi / 2, np.pi / 2, n_lat + 1)
    g = np.stack(np.meshgrid(lon, lat, indexing="ij"), -1)
    v = np.stack([np.cos(g[..., 1]) * np.cos(g[..., 0]), np.sin(g[..., 1]), np.cos(g[..., 1]) * np.sin(g[..., 0])], -1)
    v = v * radius + centre
    quads = np.stack([v[:-1, :-1], v[1:, :-1], v[1:, 1:], v[:-1, 1:]], 2).reshape(-1, 4, 3)
    return np.concatenate([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]])


@pytest.mark.parametrize("beam", [0, 1, geometry.BEAM])  # 0: no head start, every bound must hold
@pytest.mark.parametrize("offset", [(6.0, 0.3, 0.0), (3.0, 2.0, 1.5), (1.05, 0.0, 0.02), (0.7, 0.4, 0.0)])
def test_tessellated_spheres_against_brute_force(offset, beam, monkeypatch):
    monkeypatch.setattr(geometry, "BEAM", beam)
    a = sphere((0, 0, 0), 0.5, 16, 8)
    b = sphere(offset, 0.3, 14, 7) @ rotation((1, 2, 3), 20).T
    assert mesh_distance(a, b) == pytest.approx(brute_force(a, b), abs=1e-12)


def grid(n, size, transform) -> np.ndarray:
    """An n x n quad grid of `size` in the z = 0 plane, moved by transform(points)."""
    u = np.linspace(0, size, n + 1)
    v = np.stack([*np.meshgrid(u, u, indexing="ij"), np.zeros((n + 1, n + 1))], -1)
    quads = np.stack([v[:-1, :-1], v[1:, :-1], v[1:, 1:], v[:-1, 1:]], 2).reshape(-1, 4, 3)
    return transform(np.concatenate([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]]))


@pytest.mark.parametrize("beam", [0, geometry.BEAM])
@pytest.mark.parametrize("seed", range(4))
def test_bumpy_parallel_grids_against_brute_force(seed, beam, monkeypatch):
    # About a thousand triangle pairs within a millimetre of the optimum, which sits at a random
    # place: pruning has to separate near-ties exactly.
    monkeypatch.setattr(geometry, "BEAM", beam)
    rng = np.random.default_rng(seed)
    bumps = lambda t: t + rng.uniform(0, 1e-3, (len(t), 3, 1)) * (0, 0, 1)  # noqa: E731  each corner, in z
    a = grid(12, 1.0, bumps)
    b = grid(10, 0.9, lambda t: bumps(t) @ rotation(rng.normal(size=3), math.degrees(1e-3)).T + (0.05, 0.03, 0.2))
    assert mesh_distance(a, b) == pytest.approx(brute_force(a, b), abs=1e-12)


def test_bounds_are_lower_bounds():
    rng = np.random.default_rng(2)
    ta = rng.normal(size=(400, 3, 3)) * rng.uniform(0, 0.5, (400, 1, 1))
    tb = rng.normal(size=(400, 3, 3)) * rng.uniform(0, 0.5, (400, 1, 1)) + rng.normal(size=(400, 1, 3))
    exact = triangle_distance(ta, tb)
    box = geometry._box_bound(ta.min(1), ta.max(1), tb.min(1), tb.max(1))
    slab = geometry._slab_bound(ta, tb, tb.sum(1) - ta.sum(1))
    assert np.all(box <= exact + 1e-12) and np.all(slab <= exact + 1e-12)
    # Both are exact for single points.
    pa, pb = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    dist = np.linalg.norm(pa - pb, axis=1)
    np.testing.assert_allclose(geometry._box_bound(pa, pa, pb, pb), dist, atol=1e-12)
    np.testing.assert_allclose(geometry._slab_bound(pa[:, None], pb[:, None], pb - pa), dist, atol=1e-12)


def test_random_triangle_pairs_against_sampling():
    rng = np.random.default_rng(7)
    ta = rng.normal(size=(150, 3, 3))
    tb = rng.normal(size=(150, 3, 3)) * rng.uniform(0.2, 1.5, (150, 1, 1)) + rng.normal(size=(150, 1, 3))
    exact = triangle_distance(ta, tb)
    for k in range(len(ta)):
        pa, ha = surface_samples(ta[k:k + 1], 30)
        pb, hb = surface_samples(tb[k:k + 1], 30)
        sampled = cKDTree(pb).query(pa)[0].min()
        assert exact[k] <= sampled + 1e-12
        assert sampled <= exact[k] + ha + hb


def test_point_mesh_distance_against_brute_force_and_sampling():
    rng = np.random.default_rng(11)
    tris = random_mesh(rng, 120, (0, 0, 0), spread=0.6)
    pts = rng.normal(size=(60, 3)) * 1.2
    exact = point_mesh_distance(pts, tris)
    ip, it = np.divmod(np.arange(len(pts) * len(tris)), len(tris))
    ref = point_triangle_distance(pts[ip], tris[it]).reshape(len(pts), -1).min(1)
    np.testing.assert_allclose(exact, np.where(ref <= TOUCH_EPS, 0.0, ref), atol=1e-12)
    samples, h = surface_samples(tris, 20)
    sampled = cKDTree(samples).query(pts)[0]
    assert np.all(exact <= sampled + 1e-12) and np.all(sampled <= exact + h)


# ---- many objects ------------------------------------------------------------------------------


def test_pairwise_matrix_is_symmetric_and_exact():
    rng = np.random.default_rng(5)
    meshes = [random_mesh(rng, int(rng.integers(10, 60)), rng.uniform(-2, 2, 3)) for _ in range(5)]
    meshes += [UNIT, shifted(UNIT, (1.5, 0, 0)), shifted(UNIT, (0.5, 0.5, 0.5))]
    d = pairwise_object_distances(meshes)
    assert d.shape == (8, 8)
    np.testing.assert_array_equal(d, d.T)
    np.testing.assert_array_equal(np.diag(d), 0.0)
    for i in range(len(meshes)):
        for j in range(i + 1, len(meshes)):
            assert d[i, j] == pytest.approx(brute_force(meshes[i], meshes[j]), abs=1e-12)
    assert d[5, 6] == pytest.approx(0.5) and d[5, 7] == 0.0
    assert pairwise_object_distances([UNIT]).shape == (1, 1)


def _obj(position, size, yaw, instance_id=1) -> HouseObject:
    return HouseObject(id=f"o{instance_id}", object_type="Box", asset_id="box", position=position, yaw_deg=yaw,
                       size=size, instance_id=instance_id, category="box", room_id="r0")


def test_object_triangles_fill_the_oriented_box():
    mesh = box_mesh((2.0, 1.0, 4.0))  # deliberately not the object's size: the model matrix rescales
    tris = object_triangles(_obj((1.0, 0.25, -2.0), (0.6, 0.5, 1.2), 90.0), mesh)
    assert tris.shape == (12, 3, 3) and tris.dtype == np.float64
    pts = tris.reshape(-1, 3)
    # yaw 90 turns the object's x extent onto world z and its z extent onto world x
    np.testing.assert_allclose(pts.min(0), (1.0 - 0.6, 0.0, -2.0 - 0.3), atol=1e-6)
    np.testing.assert_allclose(pts.max(0), (1.0 + 0.6, 0.5, -2.0 + 0.3), atol=1e-6)


def _parametric_mesh(asset_id: str):
    category = asset_id.split("/")[1]
    return build_parametric(category) if category in PARAMETRIC else box_mesh((1.0, 1.0, 1.0))


def test_house_geometry_on_a_generated_house(fake_catalog):
    house = generate_house(2, 5, fake_catalog)
    calls = []
    load = lambda asset_id: calls.append(asset_id) or _parametric_mesh(asset_id)  # noqa: E731
    room = np.array(house.rooms[0].polygon)
    cams = np.column_stack([np.linspace(room[:, 0].min(), room[:, 0].max(), 6), np.full(6, 1.5),
                            np.full(6, room[:, 1].mean())])
    geo = house_geometry(house, load, cams)
    n = len(house.objects)
    assert sorted(calls) == sorted({o.asset_id for o in house.objects})  # one load per asset
    np.testing.assert_array_equal(geo.instance_ids, [o.instance_id for o in house.objects])
    assert geo.distances.shape == (n, n) and geo.camera_distances.shape == (6, n)
    np.testing.assert_array_equal(geo.distances, geo.distances.T)
    assert np.all(geo.distances >= 0) and np.all(np.diag(geo.distances) == 0)
    tris = [object_triangles(o, _parametric_mesh(o.asset_id)) for o in house.objects]
    for i, j in [(0, 1), (0, n - 1), (n // 2, n // 2 + 1)]:
        assert geo.distances[i, j] == mesh_distance(tris[i], tris[j])
    for k in (0, n - 1):
        np.testing.assert_array_equal(geo.camera_distances[:, k], point_mesh_distance(cams, tris[k]))
    assert house_geometry(house, _parametric_mesh).camera_distances is None
