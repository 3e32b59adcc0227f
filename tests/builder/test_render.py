"""Renderer and house-scene checks against analytic geometry (EGL + llvmpipe, a few seconds)."""

import math

import numpy as np
import pytest
from scipy.spatial import ConvexHull

from builder.assets.mesh import Mesh, MeshPart
from builder.capture.camera import Intrinsics, cam_to_world
from builder.houses.spec import WALL_ID_BASE, House, HouseObject, Opening, Room, Wall
from builder.render import textures
from builder.render.renderer import QUERY_MIN_TRIANGLES, Drawable, Renderer
from builder.render.scene import build_drawables, object_model_matrix, rot_y, triangulate, wall_rects

pytestmark = pytest.mark.render
INTR = Intrinsics(320, 240, 60.0)


def box_mesh(size=(1.0, 1.0, 1.0), color=(0.7, 0.3, 0.2), inward=False) -> Mesh:
    """A closed box in the model frame (footprint centred, bottom at y=0), flat normals."""
    sx, sy, sz = size
    c = np.array([[x, y, z] for x in (-sx / 2, sx / 2) for y in (0.0, sy) for z in (-sz / 2, sz / 2)])
    quads = [((0, 1, 3, 2), (-1, 0, 0)), ((4, 6, 7, 5), (1, 0, 0)), ((0, 4, 5, 1), (0, -1, 0)),
             ((2, 3, 7, 6), (0, 1, 0)), ((0, 2, 6, 4), (0, 0, -1)), ((1, 5, 7, 3), (0, 0, 1))]
    pos, nrm = [], []
    for (a, b, cc, d), n in quads:
        tris = [c[a], c[b], c[cc], c[a], c[cc], c[d]]
        g = np.cross(c[b] - c[a], c[cc] - c[a]) @ np.asarray(n)
        if (g < 0) != inward:  # wind counter-clockwise seen from outside (or inside if inward)
            tris = [c[a], c[cc], c[b], c[a], c[d], c[cc]]
        pos += tris
        nrm += [n] * 6
    return Mesh([MeshPart(np.array(pos, np.float32), np.array(nrm, np.float32), color)])


def translate(x, y, z):
    m = np.eye(4)
    m[:3, 3] = (x, y, z)
    return m


@pytest.fixture(scope="module")
def renderer():
    with Renderer(INTR) as r:
        yield r


def projected_hull_area(corners_world, c2w) -> float:
    w2c = np.linalg.inv(c2w)
    pc = (np.c_[corners_world, np.ones(len(corners_world))] @ w2c.T)[:, :3]
    z = -pc[:, 2]
    assert (z > 0).all()
    u = INTR.fx * pc[:, 0] / z + INTR.cx
    v = -INTR.fy * pc[:, 1] / z + INTR.cy
    return ConvexHull(np.c_[u, v]).volume  # 2-D hull "volume" is its area


def box_corners(model, size):
    sx, sy, sz = size
    c = np.array([[x, y, z, 1.0] for x in (-sx / 2, sx / 2) for y in (0.0, sy) for z in (-sz / 2, sz / 2)])
    return (c @ np.asarray(model).T)[:, :3]


# ---- renderer ------------------------------------------------------------------------


def test_box_pixel_count_matches_projected_silhouette(renderer):
    size = (1.0, 0.8, 1.2)
    model = translate(0.4, 1.0, 3.5) @ rot_y(30.0)
    renderer.load([Drawable(box_mesh(size), model, 7)])
    c2w = cam_to_world((0.0, 1.6, 0.0), 0.0, -10.0)
    f = renderer.render(c2w)
    expected = projected_hull_area(box_corners(model, size), c2w)
    got = int((f.instance == 7).sum())
    assert expected > 3000
    assert abs(got - expected) / expected < 0.01, (got, expected)
    # Placement, not just area: the id blob's centroid is where the projected hull's is (no flips).
    ys, xs = np.nonzero(f.instance == 7)
    w2c = np.linalg.inv(c2w)
    pc = (np.c_[box_corners(model, size), np.ones(8)] @ w2c.T)[:, :3]
    u = INTR.fx * pc[:, 0] / -pc[:, 2] + INTR.cx
    v = -INTR.fy * pc[:, 1] / -pc[:, 2] + INTR.cy
    assert xs.min() >= math.floor(u.min()) - 1 and xs.max() <= math.ceil(u.max()) + 1
    assert ys.min() >= math.floor(v.min()) - 1 and ys.max() <= math.ceil(v.max()) + 1


def test_ids_exact_and_zero_elsewhere(renderer):
    renderer.load([
        Drawable(box_mesh(), translate(-1.0, 1.0, 4.0), 11),
        Drawable(box_mesh(color=(0.2, 0.5, 0.8)), translate(1.0, 1.0, 4.0), 4001),
    ])
    f = renderer.render(cam_to_world((0.0, 1.5, 0.0), 0.0, 0.0))
    assert f.instance.dtype == np.uint16 and f.instance.shape == (INTR.height, INTR.width)
    assert set(np.unique(f.instance).tolist()) == {0, 11, 4001}
    # Camera looks along +z, so world +x is image left: id 11 (x=-1) is on the right.
    assert np.nonzero(f.instance == 11)[1].mean() > INTR.width / 2 > np.nonzero(f.instance == 4001)[1].mean()
    assert (f.depth[f.instance == 0] == 0).all() and (f.depth[f.instance > 0] > 0).all()
    assert f.rgb.shape == (INTR.height, INTR.width, 3) and f.rgb.dtype == np.uint8
    red, blue = f.rgb[f.instance == 11].mean(0), f.rgb[f.instance == 4001].mean(0)
    assert red[0] > red[2] and blue[2] > blue[0]  # per-material colour


def test_depth_is_z_depth_in_metres(renderer):
    renderer.load([Drawable(box_mesh((2.0, 2.0, 1.0)), translate(0.0, 0.5, 3.0), 5)])  # front face at z=2.5
    f = renderer.render(cam_to_world((0.0, 1.5, 0.0), 0.0, 0.0))
    cy, cx = INTR.height // 2, INTR.width // 2
    assert f.instance[cy, cx] == 5
    assert abs(f.depth[cy, cx] - 2.5) < 0.01
    # z-depth, not ray length: constant across the fronto-parallel face.
    face = f.depth[f.instance == 5]
    assert np.abs(face - 2.5).max() < 0.01


def test_renders_are_bit_identical(renderer):
    ds = [Drawable(box_mesh(), translate(0.2, 1.0, 3.0) @ rot_y(20), 3),
          Drawable(box_mesh(color=(0.3, 0.6, 0.3)), translate(-0.8, 0.5, 5.0), 9)]
    renderer.load(ds)
    c2w = cam_to_world((0.1, 1.5, 0.0), 5.0, -5.0)
    # camera effects remember earlier frames of a video (exposure, noise index): same video, same bytes
    renderer.begin_sequence(0, 10.0)
    a = renderer.render(c2w)
    renderer.begin_sequence(0, 10.0)
    b = renderer.render(c2w)
    with Renderer(INTR) as other:
        other.load(ds)
        c = other.render(c2w)
    for x in (b, c):
        assert a.rgb.tobytes() == x.rgb.tobytes()
        assert a.instance.tobytes() == x.instance.tobytes()
        assert a.depth.tobytes() == x.depth.tobytes()


def test_occlusion_by_nearer_object(renderer):
    renderer.load([Drawable(box_mesh((2.0, 2.0, 0.5)), translate(0.0, 0.5, 3.0), 1),
                   Drawable(box_mesh((0.5, 0.5, 0.5)), translate(0.0, 1.2, 5.0), 2)])
    f = renderer.render(cam_to_world((0.0, 1.5, 0.0), 0.0, 0.0))
    assert 1 in f.instance and 2 not in f.instance
    f = renderer.render(cam_to_world((3.0, 1.5, 5.0), -90.0, 0.0))  # from the side both show
    assert 1 in f.instance and 2 in f.instance


def test_auto_culling_keeps_inward_wound_and_open_meshes(renderer):
    open_box = box_mesh()
    open_box.parts[0].positions = open_box.parts[0].positions[6:]  # drop the -x face: not closed
    open_box.parts[0].normals = open_box.parts[0].normals[6:]
    renderer.load([Drawable(box_mesh(inward=True), translate(-0.8, 1.0, 3.0), 1),
                   Drawable(open_box, translate(0.8, 1.0, 3.0), 2)])
    f = renderer.render(cam_to_world((0.0, 1.5, 0.0), 0.0, 0.0))
    assert (f.instance == 1).sum() > 1000 and (f.instance == 2).sum() > 1000
    near = f.depth[f.instance == 1].min()
    assert abs(near - 2.5) < 0.01  # the front face, not the far inside face


def test_occluder_queries_cull_hidden_objects_only(renderer):
    wall = box_mesh((4.0, 3.0, 0.1), color=(0.8, 0.8, 0.8))
    ds = [Drawable(wall, translate(0.0, 0.0, 3.0), 2000, culling="back", occluder=True),
          Drawable(box_mesh(), translate(0.0, 0.5, 5.0), 1),  # fully behind the wall
          Drawable(box_mesh(), translate(0.0, 0.0, 1.5), 2)]  # in front, partly visible
    renderer.load(ds)
    renderer.query_min_triangles = 0  # query even 12-triangle boxes
    try:
        f = renderer.render(cam_to_world((0.0, 1.5, 0.0), 0.0, -20.0))
        stats = renderer.last_frame_stats
    finally:
        renderer.query_min_triangles = QUERY_MIN_TRIANGLES
    assert 2 in f.instance and 1 not in f.instance
    assert stats["drawn"] == 2  # the hidden box was not drawn at all
    for d in ds:
        d.occluder = False
    renderer.load(ds)
    g = renderer.render(cam_to_world((0.0, 1.5, 0.0), 0.0, -20.0))
    assert np.array_equal(f.instance, g.instance) and np.array_equal(f.depth, g.depth)


def test_textured_part_and_ids_only_path(renderer):
    img = np.zeros((64, 64, 3), np.uint8)
    img[:, :32] = (250, 250, 250)  # left half white, right half black
    pos = np.array([[-1, 0, 0], [1, 0, 0], [1, 2, 0], [-1, 0, 0], [1, 2, 0], [-1, 2, 0]], np.float32)
    uv = np.array([[0, 0], [1, 0], [1, 1], [0, 0], [1, 1], [0, 1]], np.float32)
    part = MeshPart(pos, np.tile([[0, 0, 1]], (6, 1)).astype(np.float32), (1.0, 1.0, 1.0), uv, img)
    renderer.load([Drawable(part, translate(0.0, 0.5, 4.0) @ rot_y(180.0), 8)])
    c2w = cam_to_world((0.0, 1.5, 0.0), 0.0, 0.0)
    f = renderer.render(c2w)
    lum = f.rgb.mean(2)
    ys, xs = np.nonzero(f.instance == 8)
    row = int(ys.mean())
    left, right = lum[row, xs.min() + 3], lum[row, xs.max() - 3]
    assert abs(left - right) > 100
    g = renderer.render_ids_only(c2w)
    assert g.rgb is None
    assert np.array_equal(f.instance, g.instance) and np.array_equal(f.depth, g.depth)


# ---- scene ---------------------------------------------------------------------------


def two_room_house() -> House:
    """Room A (4 x 3 m) and an L-shaped room B east of it; a door in the shared wall x=4, a
    window in A's north wall, a sofa in A and a fridge in B's far leg."""
    a = ((0.0, 0.0), (4.0, 0.0), (4.0, 3.0), (0.0, 3.0))
    b = ((4.0, 0.0), (8.0, 0.0), (8.0, 5.0), (6.0, 5.0), (6.0, 3.0), (4.0, 3.0))
    rooms = [Room("A", "LivingRoom", a, index=0), Room("B", "Kitchen", b, index=1)]
    walls, k = [], 0
    for r in rooms:
        for i, p in enumerate(r.polygon):
            walls.append(Wall(f"w{k}", r.id, p, r.polygon[(i + 1) % len(r.polygon)], 2.7, WALL_ID_BASE + k))
            k += 1
    # w1 is A's (4,0)->(4,3); w9 is B's (4,3)->(4,0): the same segment, opposite direction.
    door = Opening("door0", "door", "w1", "w9", "A", "B", (1.0, 0.0, 1.9, 2.1), "door", 1, "door")
    window = Opening("win0", "window", "w2", None, "A", None, (1.0, 0.9, 3.0, 2.0), "window", 2, "window")
    objs = [HouseObject("sofa", "Sofa", "box", (2.0, 0.4, 0.6), 0.0, (1.6, 0.8, 0.8), 3, "sofa", "A"),
            HouseObject("fridge", "Fridge", "box", (7.0, 0.9, 4.4), 180.0, (0.8, 1.8, 0.7), 4, "refrigerator", "B")]
    return House("two", 1, 2.7, rooms, walls, [door], [window], objs)


@pytest.fixture(scope="module")
def house_renderer():
    house = two_room_house()
    calls = []
    ds = build_drawables(house, lambda asset: calls.append(asset) or box_mesh())
    assert calls == ["box"]  # one load per distinct asset
    with Renderer(INTR) as r:
        r.load(ds)
        yield house, r


def look(r, pos, yaw, pitch=0.0):
    return r.render(cam_to_world(pos, yaw, pitch))


def test_floors_visible_looking_down(house_renderer):
    _, r = house_renderer
    assert look(r, (1.0, 1.5, 1.5), 0.0, -89.0).instance[120, 160] == 1000
    assert look(r, (7.0, 1.5, 4.0), 0.0, -89.0).instance[120, 160] == 1001  # B's L leg (concave part)
    assert look(r, (2.0, 1.5, 1.5), 0.0, 89.0).instance[120, 160] == 4000  # ceiling faces down


def test_walls_face_into_their_rooms(house_renderer):
    _, r = house_renderer
    # From A, looking east at the shared wall away from the door: A's wall w1 (not B's w9).
    f = look(r, (2.0, 1.5, 2.6), 90.0)
    assert f.instance[120, 160] == WALL_ID_BASE + 1
    assert WALL_ID_BASE + 9 not in f.instance
    # From B, looking west at the same spot: B's wall w9.
    f = look(r, (5.5, 1.5, 2.6), -90.0)
    assert f.instance[120, 160] == WALL_ID_BASE + 9
    assert WALL_ID_BASE + 1 not in f.instance
    # From outside the house, exterior walls are invisible back faces: we see A's far wall.
    f = look(r, (0.5, 1.5, -1.0), 0.0)
    assert f.instance[120, 160] == WALL_ID_BASE + 2


def test_door_hole_shows_next_room(house_renderer):
    house, r = house_renderer
    f = look(r, (2.0, 1.0, 1.45), 90.0)  # level with the door centre (z = 1.45)
    seen = int(f.instance[120, 160])
    assert seen in {1001, 4001} or WALL_ID_BASE + 4 <= seen <= WALL_ID_BASE + 9, seen
    assert 1 in f.instance  # the door casing, under the door's instance id
    assert (f.depth[120, 160] > 2.0)  # through the hole, past the shared wall at 2 m


def test_window_glass_and_frame_share_window_id(house_renderer):
    _, r = house_renderer
    f = look(r, (2.0, 1.45, 1.0), 0.0)  # facing the north wall z=3, window centre at (2, 1.45)
    assert f.instance[120, 160] == 2
    assert abs(f.depth[120, 160] - 2.0) < 0.01


def test_object_model_matrix_fills_obb():
    obj = HouseObject("o", "Sofa", "a", (1.0, 0.5, 2.0), 30.0, (2.0, 1.0, 0.8), 1, "sofa", "A")
    mesh = box_mesh((4.0, 2.0, 1.0))
    m = object_model_matrix(obj, mesh.size)
    corners = box_corners(m, (4.0, 2.0, 1.0))
    assert np.allclose(corners[:, 1].min(), 0.0) and np.allclose(corners[:, 1].max(), 1.0)
    fp = np.array(obj.footprint())
    got = corners[corners[:, 1] < 0.5][:, [0, 2]]
    assert all(np.min(np.linalg.norm(fp - g, axis=1)) < 1e-9 for g in got)
    front = rot_y(90.0) @ np.array([0.0, 0.0, 1.0, 0.0])
    assert np.allclose(front[:3], (1.0, 0.0, 0.0))


def test_structure_geometry_helpers():
    from shapely.geometry import Point, Polygon

    l_shape = ((0, 0), (4, 0), (4, 2), (2, 2), (2, 4), (0, 4))
    u_shape = ((0, 0), (0, 3), (1, 3), (1, 1), (2, 1), (2, 3), (3, 3), (3, 0), (1.5, 0))  # clockwise, collinear
    for poly in (l_shape, u_shape):
        tris = triangulate(poly)
        e1, e2 = tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0]
        area = 0.5 * np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]).sum()
        assert abs(area - Polygon(poly).area) < 1e-9
        assert all(Polygon(poly).contains(Point(*t.mean(0))) for t in tris)
    rects = wall_rects(4.0, 2.7, [(1.0, 0.0, 1.9, 2.1), (2.5, 0.9, 3.5, 2.0)])
    assert abs(sum((c - a) * (d - b) for a, b, c, d in rects) - (4.0 * 2.7 - 0.9 * 2.1 - 1.0 * 1.1)) < 1e-9


def test_textures_deterministic_and_tileable():
    for make in (textures.wood_planks, textures.tiles, textures.carpet, textures.plaster):
        a, b = make(3), make(3)
        assert a.image.shape == (256, 256, 3) and a.image.dtype == np.uint8
        assert np.array_equal(a.image, b.image)
        img = a.image.astype(float)
        for axis in (0, 1):  # the wrap-around step is no harsher than any step inside the image
            steps = np.abs(np.diff(img, axis=axis)).mean(axis=(1 - axis, 2))
            seam = np.abs(np.take(img, 0, axis) - np.take(img, -1, axis)).mean()
            assert seam <= steps.max() + 1.0, (make.__name__, axis, seam, steps.max())
    assert not np.array_equal(textures.floor_texture("Kitchen", 1).image, textures.floor_texture("Bedroom", 1).image)


def test_missing_egl_names_the_apt_packages(monkeypatch):
    import ctypes.util

    from builder.render import context

    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install -y libegl1 libgl1 libegl-mesa0 libgl1-mesa-dri"):
        context.create_context()
