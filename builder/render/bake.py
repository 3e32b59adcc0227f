"""Light a house once: per-vertex irradiance from its lights, with shadows and ambient occlusion.

Houses are static, so (as game engines' lightmaps and AI2-THOR's baked scenes do) lighting
is computed once when a house is loaded and every frame of every walkthrough reuses it:
  - lights (`house_lights`): a ceiling light per room (the room's ceiling lamp if it has one,
    else a fixture at the room's centre), a warm glow from every floor, table and wall lamp,
    daylight through every window; colour temperature and intensity drawn per house;
  - shadows: a depth cube map rendered from each light (the renderer's own rasteriser, all
    the house's triangles), looked up per vertex with a 2x2 percentage-closer filter;
  - ambient occlusion: the fraction of short probe points around a vertex that fall inside
    furniture boxes or outside the vertex's room (floor, walls, ceiling), which darkens corners,
    skirting and the floor under and beside furniture;
  - indirect light: a per-house ambient, scaled by the occlusion.
Structure is tessellated finely enough (scene.py, CELL_M) for the Gouraud interpolation of
these values to draw soft shadows on floors and walls.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np

log = logging.getLogger(__name__)

CUBE_SIZE = 256  # texels per cube face edge
LIGHT_RANGE_M = 8.0  # a light's reach: inverse square, windowed to zero here (as game engines do)
CUBE_NEAR = 0.03
CUBE_FAR = 30.0
SHADOW_BIAS_M = 0.02  # plus SHADOW_SLOPE per metre of distance (a texel grows with distance)
SHADOW_SLOPE = 0.008
NORMAL_OFFSET_M = 0.03  # look-ups start this far off the surface, toward the light
AO_RADII_M = (0.12, 0.3)
AO_STRENGTH = 0.9


@dataclass
class Light:
    position: np.ndarray  # (3,) world
    color: np.ndarray  # (3,) linear RGB: irradiance at 1 m, facing the light
    axis: np.ndarray | None = None  # emits into the half space this points to (windows), cosine lobe
    exclude_id: int = 0  # geometry of this instance casts no shadow for this light (the lamp itself)
    kind: str = "ceiling"


@dataclass
class LightRig:
    lights: list[Light]
    ambient: np.ndarray  # (3,) indirect light, before occlusion
    # ambient occlusion volumes: furniture boxes (centre, half size, yaw in degrees, instance id)
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 8)))
    # instance id -> the room polygon (x, z) its surfaces face into; probes outside it are occluded
    rooms_of_id: dict = field(default_factory=dict)
    room_polygons: list = field(default_factory=list)
    wall_height: float = 2.6
    # for the renderer's outside and gloss: daylight colours and the sun's direction
    sky_zenith: np.ndarray = field(default_factory=lambda: np.array([0.35, 0.55, 1.0]))
    sky_horizon: np.ndarray = field(default_factory=lambda: np.array([0.85, 0.9, 1.0]))
    ground: np.ndarray = field(default_factory=lambda: np.array([0.3, 0.32, 0.22]))
    sun_dir: np.ndarray = field(default_factory=lambda: np.array([0.4, 0.6, 0.7]))
    room_env: np.ndarray = field(default_factory=lambda: np.array([0.8, 0.75, 0.68]))
    # the camera's white balance: corrects the bulbs' colour only partly, as phones do indoors
    white_balance: np.ndarray = field(default_factory=lambda: np.ones(3))


def kelvin_rgb(kelvin: float) -> np.ndarray:
    """Linear RGB of a black body at `kelvin`, normalised to luminance 1 (Tanner Helland's fit)."""
    t = kelvin / 100.0
    r = 255.0 if t <= 66 else 329.698727446 * (t - 60) ** -0.1332047592
    g = 99.4708025861 * math.log(t) - 161.1195681661 if t <= 66 else 288.1221695283 * (t - 60) ** -0.0755148492
    b = 255.0 if t >= 66 else (0.0 if t <= 19 else 138.5177312231 * math.log(t - 10) - 305.0447927307)
    srgb = np.clip(np.array([r, g, b]) / 255.0, 0.0, 1.0)
    lin = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    return lin / (lin @ np.array([0.2126, 0.7152, 0.0722]))


def house_lights(house, seed: int) -> LightRig:
    """The lights of a house: ceiling lights, lamps and windows, with per-house colour and level."""
    from shapely.geometry import Polygon

    from builder.houses.spec import CEILING_ID_BASE, FLOOR_ID_BASE

    rng = np.random.default_rng([int(seed), 21])
    warm = kelvin_rgb(rng.uniform(2700.0, 4500.0))  # bulbs of this house
    level = rng.uniform(0.7, 1.3)  # how bright its bulbs are
    daylight = rng.uniform(0.3, 1.6)  # overcast to bright day
    sun_k = rng.uniform(5000.0, 7500.0)
    sun_az = rng.uniform(0, 2 * math.pi)
    sun_el = rng.uniform(0.25, 0.9)
    H = house.wall_height
    lights: list[Light] = []
    polys = {r.id: Polygon(r.polygon) for r in house.rooms}
    by_room: dict[str, list] = {r.id: [] for r in house.rooms}
    for obj in house.objects:
        if obj.category != "lamp" and "lamp" not in obj.object_type.lower():
            continue
        x, y, z = obj.position
        top = y + obj.size[1] / 2
        if top > H - 0.4 and y - obj.size[1] / 2 > 1.2:  # hangs from the ceiling
            pos = np.array([x, y - obj.size[1] / 2 - 0.05, z])
            lights.append(Light(pos, warm * 7.0 * level, exclude_id=obj.instance_id, kind="ceiling"))
            by_room.setdefault(obj.room_id, []).append(pos)
        else:  # a floor, table or wall lamp: light inside its shade
            pos = np.array([x, top - min(0.12, obj.size[1] * 0.25), z])
            lights.append(Light(pos, warm * 1.6 * level, exclude_id=obj.instance_id, kind="lamp"))
    for room in house.rooms:
        if by_room.get(room.id):
            continue
        p = polys[room.id]
        c = p.centroid if p.contains(p.centroid) else p.representative_point()
        # a bigger room gets a brighter fixture, so its walls are lit about as well
        gain = float(np.clip(math.sqrt(max(p.area, 1.0) / 12.0), 0.8, 1.6))
        lights.append(Light(np.array([c.x, H - 0.12, c.y]), warm * 7.0 * level * gain, kind="ceiling"))
    sky = kelvin_rgb(sun_k)
    for win in house.windows:
        from builder.render.scene import window_frame  # scene imports renderer; avoid a cycle at import

        frame = window_frame(house, win)
        if frame is None:
            continue
        u0, v0, u1, v1 = win.hole
        area = (u1 - u0) * (v1 - v0)
        n = max(1, int(round((u1 - u0) / 0.8)))
        for k in range(n):
            u = u0 + (k + 0.5) * (u1 - u0) / n
            pos = frame.world(u, 0.5 * (v0 + v1), 0.25)
            lights.append(Light(pos, sky * 3.5 * daylight * area / n, axis=frame.normal3(), kind="window"))
    rooms_of_id: dict[int, int] = {}
    room_list = [polys[r.id] for r in house.rooms]
    index = {r.id: i for i, r in enumerate(house.rooms)}
    for r in house.rooms:
        rooms_of_id[FLOOR_ID_BASE + r.index] = index[r.id]
        rooms_of_id[CEILING_ID_BASE + r.index] = index[r.id]
    for w in house.walls:
        rooms_of_id[w.instance_id] = index[w.room_id]
    for o in house.objects:
        if o.room_id in index:
            rooms_of_id[o.instance_id] = index[o.room_id]
    boxes = np.array([[*o.position, *(np.asarray(o.size) / 2), o.yaw_deg, o.instance_id] for o in house.objects
                      if min(o.size) > 0.04], np.float64).reshape(-1, 8)
    ambient = (0.55 * warm * level + 0.25 * daylight * sky) * 0.22
    sun_dir = np.array([math.cos(sun_az) * math.cos(sun_el), math.sin(sun_el), math.sin(sun_az) * math.cos(sun_el)])
    return LightRig(lights, ambient, boxes, rooms_of_id, room_list, H,
                    sky_zenith=np.array([0.25, 0.45, 1.0]) * 2.2 * daylight,
                    sky_horizon=np.array([0.8, 0.88, 1.0]) * 2.6 * daylight,
                    ground=np.array([0.30, 0.34, 0.16]) * 2.0 * daylight,
                    sun_dir=sun_dir, room_env=np.array([0.75, 0.7, 0.62]) * level,
                    white_balance=1.0 / (1.0 + 0.5 * (warm - 1.0)))


def default_rig(lo: np.ndarray, hi: np.ndarray) -> LightRig:
    """Lights for a scene that is not a house (tests, tools): one light above the scene's middle."""
    c = (np.asarray(lo) + np.asarray(hi)) / 2
    top = np.array([c[0], hi[1] + 1.0, c[2]])
    return LightRig([Light(top, kelvin_rgb(4000.0) * 6.0)], np.full(3, 0.12))


# ---- cube-map shadows ------------------------------------------------------------------

# World-to-face rotations of the six cube faces: +x, -x, +y, -y, +z, -z. Rows are the face
# camera's x, y and z axes (it looks down its -z).
def _face_rotations() -> np.ndarray:
    out = []
    for axis in range(3):
        for sign in (1.0, -1.0):
            fwd = np.zeros(3)
            fwd[axis] = sign
            up = np.array([0.0, 0.0, 1.0]) if axis == 1 else np.array([0.0, 1.0, 0.0])
            right = np.cross(fwd, up)
            up = np.cross(right, fwd)
            out.append(np.stack([right, up, -fwd]))
    return np.asarray(out)


FACES = _face_rotations()
FACE_AXES = np.argmax(np.abs(FACES), axis=2)  # (6, 3): the world axis each face axis reads
FACE_SIGNS = np.take_along_axis(FACES, FACE_AXES[..., None], axis=2)[..., 0]  # (6, 3): +-1


def face_projection(near: float = CUBE_NEAR, far: float = CUBE_FAR) -> np.ndarray:
    p = np.zeros((4, 4))
    p[0, 0] = p[1, 1] = 1.0  # 90 degrees, square
    p[2, 2] = -(far + near) / (far - near)
    p[2, 3] = -2.0 * far * near / (far - near)
    p[3, 2] = -1.0
    return p


def face_view_proj(light_pos: np.ndarray, face: int) -> np.ndarray:
    view = np.eye(4)
    view[:3, :3] = FACES[face]
    view[:3, 3] = -FACES[face] @ light_pos
    return face_projection() @ view


def cube_visibility(depth_faces: np.ndarray, light_pos: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Fraction (0..1) of a 2x2 texel neighbourhood that sees each point from the light.
    depth_faces: (6, S, S) eye-space distances along each face's axis (GL rows, bottom first)."""
    S = depth_faces.shape[1]
    r = points - light_pos
    a = np.abs(r)
    axis = np.argmax(a, axis=1)
    sign = np.where(r[np.arange(len(r)), axis] >= 0, 0, 1)
    face = 2 * axis + sign
    # each face's rotation is a signed permutation of the axes: picking and negating components
    # gives exactly the product's bits (up to the sign of a zero, which nothing below sees)
    cam = np.take_along_axis(r, FACE_AXES[face], axis=1) * FACE_SIGNS[face]
    z = -cam[:, 2]
    z = np.maximum(z, 1e-6)
    fx = (cam[:, 0] / z + 1.0) * 0.5 * S - 0.5
    fy = (cam[:, 1] / z + 1.0) * 0.5 * S - 0.5
    x0 = np.clip(np.floor(fx).astype(np.intp), 0, S - 2)
    y0 = np.clip(np.floor(fy).astype(np.intp), 0, S - 2)
    tx = np.clip(fx - x0, 0.0, 1.0)
    ty = np.clip(fy - y0, 0.0, 1.0)
    dist = np.linalg.norm(r, axis=1)
    ref = z - (SHADOW_BIAS_M + SHADOW_SLOPE * dist)
    lit = np.zeros(len(points))
    for dx, dy, w in ((0, 0, (1 - tx) * (1 - ty)), (1, 0, tx * (1 - ty)), (0, 1, (1 - tx) * ty), (1, 1, tx * ty)):
        lit += w * (depth_faces[face, y0 + dy, x0 + dx] >= ref)
    return lit


# ---- ambient occlusion -----------------------------------------------------------------

def _hemisphere_dirs(n: int = 12) -> np.ndarray:
    """Fixed, well-spread directions in the +z hemisphere (Fibonacci spiral, cosine-weighted)."""
    k = np.arange(n) + 0.5
    r = np.sqrt(k / n)
    a = k * 2.39996323
    return np.stack([r * np.cos(a), r * np.sin(a), np.sqrt(1 - r * r)], 1)


def _tangent_frames(nrm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    helper = np.where(np.abs(nrm[:, 1:2]) < 0.9, [[0.0, 1.0, 0.0]], [[1.0, 0.0, 0.0]])
    t = np.cross(helper, nrm)
    t /= np.linalg.norm(t, axis=1, keepdims=True)
    return t, np.cross(nrm, t)


def ambient_occlusion(pos: np.ndarray, nrm: np.ndarray, ids: np.ndarray, rig: LightRig, order: np.ndarray) -> np.ndarray:
    """Per vertex: 1 = open, lower = enclosed (probes inside furniture boxes or outside the room).
    `order`: the vertices sorted by x (stable), shared with the light loop."""
    import shapely

    n = len(pos)
    dirs = _hemisphere_dirs()
    t, b = _tangent_frames(nrm)
    occluded = np.zeros(n)
    total = len(dirs) * len(AO_RADII_M)
    # room walls bound the probes of structure (floors, walls, ceilings); furniture is tested
    # against the other furniture boxes and the floor and ceiling only (cheaper, and its backs
    # against walls are rarely seen)
    from builder.houses.spec import FLOOR_ID_BASE

    lut = np.full(int(ids.max()) + 1 if n else 1, -1)
    for i, r in rig.rooms_of_id.items():
        if i >= FLOOR_ID_BASE and i < len(lut):
            lut[i] = r
    room_idx = lut[ids] if n else np.zeros(0, int)
    pos_x, ids_x = pos[order], ids[order]  # sorted by x: each box's candidates are a slice, not a gather
    xs = pos_x[:, 0]
    # Probe directions per vertex, (n, k, 3), the same for every radius. Built in place in two
    # buffers, in the order (t + b) + nrm: the same bits as the plain expression, without its
    # 200 MB temporaries (allocating them was half the bake's occlusion time).
    off = dirs[None, :, 0:1] * t[:, None]
    probe = dirs[None, :, 1:2] * b[:, None]
    off += probe
    np.multiply(dirs[None, :, 2:3], nrm[:, None], out=probe)
    off += probe
    lift = 0.01 * nrm[:, None]
    # probes of each vertex, one radius at a time to bound memory
    for radius in AO_RADII_M:
        np.multiply(off, radius, out=probe)
        probe += pos[:, None]  # (radius * off) + pos == pos + (radius * off): addition commutes bit for bit
        probe += lift
        hit = (probe[..., 1] < 0.0) | (probe[..., 1] > rig.wall_height)
        for r, poly in enumerate(rig.room_polygons):
            sel = np.flatnonzero(room_idx == r)
            if len(sel):
                pp = probe[sel]
                inside = shapely.contains_xy(poly.buffer(1e-4), pp[..., 0].ravel(), pp[..., 2].ravel())
                hit[sel] |= ~inside.reshape(len(sel), -1)
        for c0, c1, c2, h0, h1, h2, yaw, inst in rig.boxes:
            reach = math.hypot(h0, h2) + radius
            lo, hi = np.searchsorted(xs, c0 - reach), np.searchsorted(xs, c0 + reach)
            cand, pc = order[lo:hi], pos_x[lo:hi]
            near = cand[(np.abs(pc[:, 2] - c2) < reach) & (np.abs(pc[:, 1] - c1) < h1 + radius) & (ids_x[lo:hi] != int(inst))]
            if not len(near):
                continue
            d = probe[near] - (c0, c1, c2)
            cy, sy = math.cos(math.radians(yaw)), math.sin(math.radians(yaw))
            lx = d[..., 0] * cy - d[..., 2] * sy  # into the box frame (yaw about +y)
            lz = d[..., 0] * sy + d[..., 2] * cy
            hit[near] |= (np.abs(lx) < h0) & (np.abs(d[..., 1]) < h1) & (np.abs(lz) < h2)
        occluded += hit.sum(1)
    return 1.0 - AO_STRENGTH * occluded / total


# ---- the bake --------------------------------------------------------------------------

def bake_irradiance(vertices: np.ndarray, two_sided: np.ndarray, rig: LightRig, cube_depth) -> tuple[np.ndarray, dict]:
    """(N, 3) linear irradiance per vertex. cube_depth(light) renders the (6, S, S) distance
    faces of the scene seen from a light (the renderer's rasteriser)."""
    t0 = time.perf_counter()
    pos = vertices["pos"].astype(np.float64)
    nrm = vertices["nrm"].astype(np.float64)
    ids = vertices["id"].astype(np.intp)
    n = len(pos)
    irr = np.zeros((n, 3))
    t_shadow = 0.0
    order = np.argsort(pos[:, 0], kind="stable")
    xs = pos[order, 0]
    for light in rig.lights:
        # vertices within the light's reach on every axis, in index order: a slightly wide x slice
        # (rounding), then the exact test on all three axes
        reach = LIGHT_RANGE_M + 1e-6
        lx = light.position[0]
        cand = np.sort(order[np.searchsorted(xs, lx - reach):np.searchsorted(xs, lx + reach, "right")])
        near = cand[np.all(np.abs(pos[cand] - light.position) < LIGHT_RANGE_M, axis=1)]
        r = light.position - pos[near]
        d2 = np.einsum("ij,ij->i", r, r)
        d = np.sqrt(d2)
        l = r / np.maximum(d, 1e-9)[:, None]
        nn = nrm[near]
        cos = np.einsum("ij,ij->i", nn, l)
        cos = np.where(two_sided[near], np.abs(cos), np.maximum(cos, 0.0))
        lobe = 1.0 if light.axis is None else np.maximum(-(l @ light.axis), 0.0)
        window = np.clip(1.0 - (d2 / LIGHT_RANGE_M ** 2) ** 2, 0.0, 1.0) ** 2
        falloff = cos * lobe * window / (d2 + 0.1)
        keep = np.flatnonzero(falloff > 1e-4)
        if not len(keep):
            continue
        ts = time.perf_counter()
        faces = cube_depth(light)
        side = np.sign(np.einsum("ij,ij->i", nn[keep], l[keep]))[:, None]
        probe = pos[near[keep]] + NORMAL_OFFSET_M * side * nn[keep]  # off the surface, on the lit side
        vis = cube_visibility(faces, light.position, probe)
        t_shadow += time.perf_counter() - ts
        irr[near[keep]] += (falloff[keep] * vis)[:, None] * light.color
    ta = time.perf_counter()
    ao = ambient_occlusion(pos, nrm, ids, rig, order) if n else np.zeros(0)
    up = 0.85 + 0.15 * np.abs(nrm[:, 1])
    irr += (ao * up)[:, None] * rig.ambient
    # direct light in corners is also partly blocked by what the probes found (soft contact shadows)
    irr *= (0.55 + 0.45 * ao)[:, None]
    stats = {"lights": len(rig.lights), "vertices": n, "seconds": time.perf_counter() - t0,
             "shadow_seconds": t_shadow, "ao_seconds": time.perf_counter() - ta}
    log.info("baked %d lights over %d vertices in %.2f s (shadows %.2f s, occlusion %.2f s)", stats["lights"], n,
             stats["seconds"], t_shadow, stats["ao_seconds"])
    return irr.astype(np.float32), stats
