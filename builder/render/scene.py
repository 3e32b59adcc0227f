"""Assemble a House into renderer Drawables: floors, ceilings, walls with holes, door and
window frames, window glass, and the furniture meshes fitted to their boxes.

Structure is generated in world coordinates (identity model matrices), single-sided and
facing into its room: rooms share zero-thickness walls back to back, so each room's wall
must be invisible from the other side. Large faces are cut into <= CELL_M cells because the
renderer lights per vertex (baked shadows and occlusion are interpolated between vertices).

Surfaces: a paint colour (or a wallpaper) per room, tiled lower walls in bathrooms, a
skirting board along every wall, white ceilings with a light fixture, floors by room type
with some gloss, windows that show the outside, pictures with image-like content, mirrors.
Everything decorative is drawn under the instance id of what it belongs to (wall, ceiling,
object), so it never changes which instances a pixel shows beyond that surface's own extent
(skirting: 1.2 cm off its wall; pictures and mirror faces: 3 mm off their object's front).
"""

from __future__ import annotations

import logging
import math
import zlib
from typing import Callable

import numpy as np
from shapely.geometry import Point, Polygon, box

from builder.assets.mesh import Mesh, MeshPart
from builder.houses.doors import LeafPose, leaf_pose
from builder.houses.spec import CEILING_ID_BASE, FLOOR_ID_BASE, House, HouseObject, Opening, Wall
from builder.render import textures
from builder.render.renderer import Drawable

log = logging.getLogger(__name__)

CELL_M = 0.25  # max edge of a structure cell (baked shadows are interpolated between vertices)
CASING_W = 0.07  # door/window frame: width of the trim around the hole
CASING_T = 0.14  # ... and its depth through the (zero-thickness) wall
FRAME_COLOR = (0.80, 0.78, 0.74)  # off-white painted wood, linear RGB
GLASS_COLOR = (0.55, 0.72, 0.85)
GLASS_EMISSIVE = 0.35
LEAF_PAINTS = ((0.90, 0.89, 0.86), (0.90, 0.89, 0.86), (0.78, 0.77, 0.74), (0.86, 0.82, 0.72))
"""Painted door leaves (white twice as likely); a house's doors share one finish."""
LEAF_WOOD_SHARE = 0.3
"""Share of houses whose doors are plain wood instead of paint."""
LEAF_PANELLED_SHARE = 0.5
"""Share of houses whose doors have two panels outlined by mouldings; the rest are flush slabs."""
PANEL_STILE_M, PANEL_BEAD_M, PANEL_PROUD_M = 0.11, 0.03, 0.004
"""A panel's inset from the leaf's edges, and its moulding's width and projection."""
HANDLE_COLOR = (0.55, 0.55, 0.57)
WALL_TINTS = ((0.92, 0.90, 0.86), (0.86, 0.88, 0.90), (0.90, 0.86, 0.80), (0.84, 0.88, 0.82), (0.93, 0.88, 0.86))
IDENTITY = np.eye(4)
SKIRTING_H, SKIRTING_T = 0.09, 0.012
TILED_WAINSCOT_M = 1.2  # bathroom walls are tiled up to this height
FLOOR_GLOSS = {"tiles": 0.5, "wood": 0.3, "carpet": 0.0}
FIXTURE_R = 0.18  # ceiling light fixture: half width (m)


# ---- transforms ----------------------------------------------------------------------


def rot_y(yaw_deg: float) -> np.ndarray:
    """4x4 rotation about +y; maps +z to (sin yaw, 0, cos yaw) as the house spec's yaw does."""
    c, s = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    m = np.eye(4)
    m[0, 0], m[0, 2], m[2, 0], m[2, 2] = c, s, -s, c
    return m


def object_model_matrix(obj: HouseObject, mesh_size) -> np.ndarray:
    """Model matrix that makes a mesh of extent `mesh_size` (model frame: footprint centred,
    bottom at y=0, front +z) fill the object's oriented box exactly."""
    size = np.asarray(obj.size, np.float64)
    ms = np.asarray(mesh_size, np.float64)
    scale = np.where(ms > 1e-9, size / np.where(ms > 1e-9, ms, 1.0), 1.0)
    t = np.eye(4)
    t[:3, 3] = np.asarray(obj.position, np.float64) - (0.0, size[1] / 2, 0.0)
    return t @ rot_y(obj.yaw_deg) @ np.diag([*scale, 1.0])


# ---- triangle helpers ----------------------------------------------------------------


def _part(tris: np.ndarray, normal, color, uvs=None, texture=None) -> MeshPart:
    """A MeshPart from (T, 3, 3) triangles, each rewound so its front faces `normal`."""
    tris = np.asarray(tris, np.float64).reshape(-1, 3, 3)
    n = np.asarray(normal, np.float64)
    geo = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    flip = geo @ n < 0
    tris[flip] = tris[flip][:, [0, 2, 1]]
    if uvs is not None:
        uvs = np.asarray(uvs, np.float64).reshape(-1, 3, 2)
        uvs[flip] = uvs[flip][:, [0, 2, 1]]
        uvs = uvs.reshape(-1, 2).astype(np.float32)
    pos = tris.reshape(-1, 3).astype(np.float32)
    nrm = np.broadcast_to(n / np.linalg.norm(n), pos.shape).astype(np.float32)
    return MeshPart(pos, nrm, tuple(float(c) for c in color), uvs, texture)


def _merge(parts: list[MeshPart]) -> MeshPart:
    """Concatenate parts that share colour and texture."""
    p0 = parts[0]
    uvs = None if p0.uvs is None else np.concatenate([p.uvs for p in parts])
    return MeshPart(np.concatenate([p.positions for p in parts]), np.concatenate([p.normals for p in parts]),
                    p0.color, uvs, p0.texture)


def ear_clip(ring) -> list[np.ndarray]:
    """Triangles (3, 2) of a simple polygon (either winding; no holes) by ear clipping."""
    pts = [np.asarray(p, np.float64) for p in ring]
    if len(pts) > 1 and np.allclose(pts[0], pts[-1]):
        pts = pts[:-1]
    area = 0.5 * sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(pts, pts[1:] + pts[:1]))
    if area < 0:
        pts = pts[::-1]
    cross = lambda o, a, b: (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])  # noqa: E731
    idx, out = list(range(len(pts))), []
    while len(idx) > 3:
        for m in range(len(idx)):
            a, b, c = pts[idx[m - 1]], pts[idx[m]], pts[idx[(m + 1) % len(idx)]]
            if cross(a, b, c) <= 1e-12:  # reflex or collinear corner: not an ear
                continue
            others = (pts[j] for j in idx if j not in (idx[m - 1], idx[m], idx[(m + 1) % len(idx)]))
            if any(cross(a, b, p) >= 0 and cross(b, c, p) >= 0 and cross(c, a, p) >= 0 for p in others):
                continue
            out.append(np.array([a, b, c]))
            idx.pop(m)
            break
        else:  # only degenerate corners left (collinear runs): they add no area
            break
    if len(idx) == 3:
        out.append(np.array([pts[i] for i in idx]))
    return [t for t in out if abs(cross(*t)) > 1e-12]


def triangulate(poly) -> np.ndarray:
    """(T, 3, 2) triangles covering a simple polygon (convex or not), cut into <= CELL_M cells."""
    shape = Polygon(poly).buffer(0)
    x0, z0, x1, z1 = shape.bounds
    out = []
    for i in range(max(1, math.ceil((x1 - x0) / CELL_M - 1e-9))):
        for j in range(max(1, math.ceil((z1 - z0) / CELL_M - 1e-9))):
            cell = shape.intersection(box(x0 + i * CELL_M, z0 + j * CELL_M, x0 + (i + 1) * CELL_M, z0 + (j + 1) * CELL_M))
            if cell.is_empty or cell.area < 1e-10:
                continue
            for piece in getattr(cell, "geoms", [cell]):
                if isinstance(piece, Polygon) and piece.area > 1e-10:
                    out.extend(ear_clip(list(piece.exterior.coords)))
    return np.asarray(out, np.float64).reshape(-1, 3, 2)


def wall_rects(length: float, height: float, holes) -> list[tuple[float, float, float, float]]:
    """Rectangles (u0, v0, u1, v1) covering [0, length] x [0, height] minus the holes."""
    holes = [(max(0.0, a), max(0.0, b), min(length, c), min(height, d)) for a, b, c, d in holes]
    holes = [h for h in holes if h[2] > h[0] + 1e-9 and h[3] > h[1] + 1e-9]
    us = sorted({0.0, length, *[h[0] for h in holes], *[h[2] for h in holes]})
    rects = []
    for ua, ub in zip(us[:-1], us[1:]):
        if ub - ua < 1e-9:
            continue
        cut = sorted((h[1], h[3]) for h in holes if h[0] <= ua + 1e-9 and h[2] >= ub - 1e-9)
        v = 0.0
        for va, vb in cut + [(height, height)]:
            if va > v + 1e-9:
                rects.append((ua, v, ub, va))
            v = max(v, vb)
    return rects


def _grid_rect(u0, v0, u1, v1) -> list[tuple[float, float, float, float]]:
    nu, nv = max(1, math.ceil((u1 - u0) / CELL_M - 1e-9)), max(1, math.ceil((v1 - v0) / CELL_M - 1e-9))
    us, vs = np.linspace(u0, u1, nu + 1), np.linspace(v0, v1, nv + 1)
    return [(us[i], vs[j], us[i + 1], vs[j + 1]) for i in range(nu) for j in range(nv)]


# ---- walls ---------------------------------------------------------------------------


class _WallFrame:
    """A wall's plane: world point = p0 + u * along + v * up (+ w * inward)."""

    def __init__(self, wall: Wall, room_poly: Polygon):
        p0, p1 = np.asarray(wall.p0, np.float64), np.asarray(wall.p1, np.float64)
        self.length = float(np.linalg.norm(p1 - p0))
        d = (p1 - p0) / max(self.length, 1e-12)
        self.p0, self.d = p0, d
        self.inward = self._inward(room_poly, p0, d)

    @classmethod
    def plane(cls, p0, d, inward, length: float) -> "_WallFrame":
        """A frame on any vertical plane: origin `p0`, unit `d` along it, unit `inward` across it (x, z)."""
        f = cls.__new__(cls)
        f.p0, f.d, f.inward, f.length = (np.asarray(v, np.float64) for v in (p0, d, inward, length))
        f.length = float(length)
        return f

    def _inward(self, poly: Polygon, p0, d) -> np.ndarray:
        """Which side of the wall the room lies on, tested against the room polygon."""
        mid = p0 + d * self.length / 2
        cands = (np.array([-d[1], d[0]]), np.array([d[1], -d[0]]))
        for eps in (0.02, 0.1, 0.3):
            inside = [poly.contains(Point(*(mid + eps * n))) for n in cands]
            if inside[0] != inside[1]:
                return cands[0] if inside[0] else cands[1]
        c = np.asarray(poly.representative_point().coords[0])  # odd geometry: face the room's interior
        return cands[0] if (c - mid) @ cands[0] >= 0 else cands[1]

    def world(self, u, v, w=0.0) -> np.ndarray:
        u, v, w = np.broadcast_arrays(np.asarray(u, float), np.asarray(v, float), np.asarray(w, float))
        xz = self.p0 + u[..., None] * self.d + w[..., None] * self.inward
        return np.stack([xz[..., 0], v, xz[..., 1]], axis=-1)

    def normal3(self) -> np.ndarray:
        return np.array([self.inward[0], 0.0, self.inward[1]])

    def u_of(self, xz) -> float:
        return float((np.asarray(xz, np.float64) - self.p0) @ self.d)


def _quad_tris(frame: _WallFrame, rects, w: float = 0.0):
    tris, uvs = [], []
    for u0, v0, u1, v1 in rects:
        corners = [(u0, v0), (u1, v0), (u1, v1), (u0, v1)]
        for a, b, c in ((0, 1, 2), (0, 2, 3)):
            tris.append([frame.world(*corners[k], w) for k in (a, b, c)])
            uvs.append([corners[k] for k in (a, b, c)])
    return np.asarray(tris).reshape(-1, 3, 3), np.asarray(uvs).reshape(-1, 3, 2)


def _box_tris(frame: _WallFrame, u0, v0, u1, v1, w0, w1) -> list[MeshPart]:
    """A closed box in the wall frame, outward wound, as one part per face normal."""
    c = np.array([[u, v, w] for u in (u0, u1) for v in (v0, v1) for w in (w0, w1)])  # index = 4i + 2j + k
    faces = {  # corner indices of each face, and its outward normal in (u, v, w)
        (-1, 0, 0): (0, 1, 3, 2), (1, 0, 0): (4, 6, 7, 5), (0, -1, 0): (0, 4, 5, 1),
        (0, 1, 0): (2, 3, 7, 6), (0, 0, -1): (0, 2, 6, 4), (0, 0, 1): (1, 5, 7, 3),
    }
    up = np.array([0.0, 1.0, 0.0])
    parts = []
    for (nu, nv, nw), idx in faces.items():
        q = [frame.world(*c[i]) for i in idx]
        tris = np.array([[q[0], q[1], q[2]], [q[0], q[2], q[3]]])
        normal = nu * np.array([frame.d[0], 0, frame.d[1]]) + nv * up + nw * frame.normal3()
        parts.append(_part(tris, normal, FRAME_COLOR))
    return parts


def _frame_parts(frame: _WallFrame, hole, sill: bool) -> MeshPart:
    """Trim around a hole: two jambs, a head, and (windows) a sill, straddling the wall."""
    u0, v0, u1, v1 = hole
    w, t = CASING_W, CASING_T / 2
    boxes = [(u0 - w, v0, u0, v1 + w), (u1, v0, u1 + w, v1 + w), (u0, v1, u1, v1 + w)]
    if sill:
        boxes.append((u0 - w, v0 - w, u1 + w, v0))
    parts = [p for b in boxes for p in _box_tris(frame, *b, -t, t)]
    return _merge(parts)


# ---- the house -----------------------------------------------------------------------


def _hole_on(frame: _WallFrame, src: _WallFrame, hole) -> tuple[float, float, float, float]:
    """The hole (given in `src`'s u) in `frame`'s u, via world coordinates: the two walls may run
    in opposite directions."""
    u0, v0, u1, v1 = hole
    a, b = frame.u_of(src.p0 + u0 * src.d), frame.u_of(src.p0 + u1 * src.d)
    return min(a, b), v0, max(a, b), v1


def window_frame(house: House, win: Opening) -> _WallFrame | None:
    """The frame of the wall a window sits in (its inward normal points into the room)."""
    wall = next((w for w in house.walls if w.id == win.wall0), None)
    room = next((r for r in house.rooms if r.id == (wall.room_id if wall else None)), None)
    return None if wall is None or room is None else _WallFrame(wall, Polygon(room.polygon))


SEED_STAGE_LOOK = 6
"""Stage tag of a house's look (paints, textures, door finish, light colour and level)."""


def look_seed(house: House) -> int:
    """The seed of a house's look: the corpus seed and the house's id, as every other stream of a
    house is keyed. (Keyed by the corpus seed alone, every house of a corpus had the same lights,
    door finish and skirting, and room k the same paint in every house.)"""
    key = [int(house.seed) % 2**64, zlib.crc32(house.id.encode("utf-8")), SEED_STAGE_LOOK]
    return int(np.random.SeedSequence(key).generate_state(1)[0])


def build_scene(house: House, load_mesh: Callable[[str], Mesh], seed: int | None = None):
    """(drawables, lights) of a house: what `Renderer.load` takes. `seed` overrides the look's
    seed (default `look_seed(house)`)."""
    from builder.render.bake import house_lights

    seed = look_seed(house) if seed is None else seed
    return build_drawables(house, load_mesh, seed), house_lights(house, seed)


def _room_finish(house: House, room, seed: int) -> dict:
    """Wall paint (or wallpaper) of one room, drawn from (seed, room index)."""
    rng = np.random.default_rng([int(seed), room.index, 31])
    tint = textures.paint_colour(rng)
    paper = room.room_type not in ("Bathroom", "Kitchen") and rng.random() < 0.3
    tex = textures.wallpaper(seed * 1000 + room.index, (0.85, 0.85, 0.85)) if paper else None
    return {"tint": tint, "texture": tex}


def build_drawables(house: House, load_mesh: Callable[[str], Mesh], seed: int | None = None) -> list[Drawable]:
    """Every drawable of a house. load_mesh(asset_id) is called once per distinct asset; `seed`
    overrides the look's seed (default `look_seed(house)`)."""
    seed = look_seed(house) if seed is None else seed
    polys = {r.id: Polygon(r.polygon) for r in house.rooms}
    wall_tex = textures.plaster(seed)
    ceiling_tex = textures.plaster(seed + 1, tone=(0.97, 0.97, 0.96))
    house_rng = np.random.default_rng([int(seed), 32])
    skirting_color = (0.85, 0.84, 0.8) if house_rng.random() < 0.6 else (0.42, 0.3, 0.2)
    door_rng = np.random.default_rng([int(seed), 33])
    leaf_finish = (textures.wood_planks(seed * 1000 + 998, tone=(0.55, 0.40, 0.27)) if door_rng.random() < LEAF_WOOD_SHARE
                   else LEAF_PAINTS[int(door_rng.integers(len(LEAF_PAINTS)))])
    leaf_panels = bool(door_rng.random() < LEAF_PANELLED_SHARE)  # drawn after the finish: finishes stay as they were
    lit_by_lamp = {o.room_id for o in house.objects if o.category == "lamp" and o.position[1] > 1.8}
    out: list[Drawable] = []

    for room in house.rooms:
        tri2 = triangulate(room.polygon)
        floor_tex = textures.floor_texture(room.room_type, seed * 1000 + room.index)
        flo = np.stack([tri2[..., 0], np.zeros(tri2.shape[:2]), tri2[..., 1]], axis=-1)
        gloss = FLOOR_GLOSS.get(textures.floor_kind(room.room_type), 0.0)
        out.append(Drawable(_part(flo, (0, 1, 0), (1, 1, 1), tri2 / floor_tex.repeat_m, floor_tex.image),
                            IDENTITY, FLOOR_ID_BASE + room.index, culling="back", occluder=True, gloss=gloss))
        ceil = flo.copy()
        ceil[..., 1] = house.wall_height
        out.append(Drawable(_part(ceil, (0, -1, 0), (0.95, 0.95, 0.94), tri2 / ceiling_tex.repeat_m, ceiling_tex.image),
                            IDENTITY, CEILING_ID_BASE + room.index, culling="back", occluder=True))
        if room.id not in lit_by_lamp:  # the fixture of the room's ceiling light (bake.house_lights)
            p = polys[room.id]
            c = p.centroid if p.contains(p.centroid) else p.representative_point()
            fixture = _fixture_part(c.x, c.y, house.wall_height)
            out.append(Drawable(fixture, IDENTITY, CEILING_ID_BASE + room.index, culling="back", emissive=1.0))

    frames = {w.id: _WallFrame(w, polys[w.room_id]) for w in house.walls}
    holes: dict[str, list] = {w.id: [] for w in house.walls}
    for op in house.doors + house.windows:
        if op.wall0 not in frames:
            log.warning("%s %s: unknown wall0 %s, skipped", op.kind, op.id, op.wall0)
            continue
        f0 = frames[op.wall0]
        holes[op.wall0].append(op.hole)
        if op.wall1 is not None and op.wall1 in frames:
            holes[op.wall1].append(_hole_on(frames[op.wall1], f0, op.hole))
        out.extend(_opening_drawables(op, f0))
        pose = leaf_pose(house, op) if op.kind == "door" else None
        if pose is not None:
            out.extend(_leaf_drawables(pose, op.instance_id, leaf_finish, leaf_panels))

    rooms = {r.id: r for r in house.rooms}
    finishes = {r.id: _room_finish(house, r, seed) for r in house.rooms}
    wall_tiles = textures.tiles(seed * 1000 + 999, tone=(0.9, 0.92, 0.93), grout=(0.75, 0.75, 0.74), n=8)
    bath_tiles = textures.SurfaceTexture(wall_tiles.image, repeat_m=1.2)  # 15 cm tiles
    for wall in house.walls:
        fr = frames[wall.id]
        room = rooms.get(wall.room_id)
        finish = finishes.get(wall.room_id) or {"tint": WALL_TINTS[0], "texture": None}
        tex = finish["texture"] or wall_tex
        all_rects = wall_rects(fr.length, wall.height, holes[wall.id])
        tiled = room is not None and room.room_type == "Bathroom"
        split = TILED_WAINSCOT_M if tiled else 0.0
        upper = [c for r in all_rects for c in _grid_rect(*_clip_v(r, split, wall.height)) if c[3] > c[1] + 1e-9]
        if upper:
            tris, uv = _quad_tris(fr, upper)
            out.append(Drawable(_part(tris, fr.normal3(), finish["tint"], uv / tex.repeat_m, tex.image),
                                IDENTITY, wall.instance_id, culling="back", occluder=True))
        if tiled:
            lower = [c for r in all_rects for c in _grid_rect(*_clip_v(r, 0.0, split)) if c[3] > c[1] + 1e-9]
            if lower:
                tris, uv = _quad_tris(fr, lower)
                out.append(Drawable(_part(tris, fr.normal3(), (1, 1, 1), uv / bath_tiles.repeat_m, bath_tiles.image),
                                    IDENTITY, wall.instance_id, culling="back", occluder=True, gloss=0.5))
        skirting = _skirting_part(fr, holes[wall.id], skirting_color)
        if skirting is not None:
            out.append(Drawable(skirting, IDENTITY, wall.instance_id, culling="back"))

    meshes: dict[str, Mesh] = {}
    for obj in house.objects:
        if obj.asset_id not in meshes:
            meshes[obj.asset_id] = load_mesh(obj.asset_id)
        mesh = meshes[obj.asset_id]
        is_lamp = obj.category == "lamp"
        out.append(Drawable(mesh, object_model_matrix(obj, mesh.size), obj.instance_id, culling="auto",
                            emissive=0.12 if is_lamp else 0.0))
        if obj.category in ("painting", "mirror") or obj.object_type in ("Painting", "Mirror"):
            face = _front_face(obj, seed, mirror=obj.category == "mirror" or obj.object_type == "Mirror")
            if face is not None:
                out.append(face)
    log.debug("house %s: %d drawables", house.id, len(out))
    return out


def _clip_v(rect, v_lo: float, v_hi: float):
    u0, v0, u1, v1 = rect
    return u0, max(v0, v_lo), u1, max(min(v1, v_hi), max(v0, v_lo))


def _skirting_part(frame: _WallFrame, holes, color) -> MeshPart | None:
    """A skirting board along the bottom of a wall, broken at door holes that reach the floor."""
    gaps = sorted((h[0], h[2]) for h in holes if h[1] < SKIRTING_H)
    spans, u = [], 0.0
    for a, b in gaps + [(frame.length, frame.length)]:
        if a > u + 0.02:
            spans.append((u, a))
        u = max(u, b)
    parts = [p for a, b in spans for p in _box_tris(frame, a, 0.0, b, SKIRTING_H, 0.0, SKIRTING_T)]
    return _merge([MeshPart(p.positions, p.normals, tuple(color), None, None) for p in parts]) if parts else None


def _fixture_part(x: float, z: float, height: float) -> MeshPart:
    """A flat square ceiling light fixture, facing down."""
    r, t = FIXTURE_R, 0.03
    tris = []
    corners = [(x - r, z - r), (x + r, z - r), (x + r, z + r), (x - r, z + r)]
    q = [np.array([cx, height - t, cz]) for cx, cz in corners]
    tris = np.array([[q[0], q[1], q[2]], [q[0], q[2], q[3]]])
    parts = [_part(tris, (0, -1, 0), (1.0, 0.97, 0.9))]
    for k in range(4):  # the rim
        a, b = corners[k], corners[(k + 1) % 4]
        pa, pb = np.array([a[0], height - t, a[1]]), np.array([b[0], height - t, b[1]])
        ua, ub = pa + (0, t, 0), pb + (0, t, 0)
        out_n = np.array([(a[1] - b[1]), 0.0, (b[0] - a[0])])
        if out_n @ (np.array([(a[0] + b[0]) / 2 - x, 0, (a[1] + b[1]) / 2 - z])) < 0:
            out_n = -out_n
        parts.append(_part(np.array([[pa, pb, ub], [pa, ub, ua]]), out_n, (1.0, 0.97, 0.9)))
    return _merge(parts)


def _front_face(obj: HouseObject, seed: int, mirror: bool) -> Drawable | None:
    """A picture (procedural image) or a mirror surface just in front of a wall object's front."""
    sx, sy, sz = obj.size
    if sx < 0.1 or sy < 0.1:
        return None
    inset = 0.08 * min(sx, sy)
    hx, hy = sx / 2 - inset, sy / 2 - inset
    zf = sz / 2 + 0.003
    local = np.array([[-hx, -hy, zf], [hx, -hy, zf], [hx, hy, zf], [-hx, hy, zf]])
    m = np.eye(4)
    m[:3, 3] = obj.position
    m = m @ rot_y(obj.yaw_deg)
    world = local @ m[:3, :3].T + m[:3, 3]
    normal = m[:3, :3] @ np.array([0.0, 0.0, 1.0])
    tris = np.array([[world[0], world[1], world[2]], [world[0], world[2], world[3]]])
    if mirror:
        return Drawable(_part(tris, normal, (0.9, 0.92, 0.93)), IDENTITY, obj.instance_id, culling="back",
                        material="mirror")
    uv = np.array([[[0, 0], [1, 0], [1, 1]], [[0, 0], [1, 1], [0, 1]]], np.float64)
    image = textures.painting(seed * 1000 + obj.instance_id)
    return Drawable(_part(tris, normal, (1, 1, 1), uv, image), IDENTITY, obj.instance_id, culling="back", gloss=0.1)


def _panel_mouldings(f: _WallFrame, w: float, b: float, top: float, t: float, colour) -> MeshPart | None:
    """Mouldings outlining a lower and an upper panel (split at the lock rail) on both faces of
    a leaf of width w, from height b to top and t thick; None on a leaf too small for panels."""
    stile, bead, proud = PANEL_STILE_M, PANEL_BEAD_M, PANEL_PROUD_M
    if w < 0.5 or top - b < 1.7:
        return None
    lock = b + 0.95  # the lock rail, where the handle sits
    bands = [s for u0, v0, u1, v1 in ((stile, b + 0.2, w - stile, lock), (stile, lock + 0.12, w - stile, top - 0.12))
             for s in ((u0, v0, u1, v0 + bead), (u0, v1 - bead, u1, v1),
                       (u0, v0 + bead, u0 + bead, v1 - bead), (u1 - bead, v0 + bead, u1, v1 - bead))]
    # each band's face only, just proud of the slab: its sides would be sub-pixel slivers,
    # rasterised as dashes
    front, back = _quad_tris(f, bands, t + proud)[0], _quad_tris(f, bands, -proud)[0]
    return _merge([_part(front, f.normal3(), colour), _part(back, -f.normal3(), colour)])


def _leaf_drawables(pose: LeafPose, instance_id: int, finish, panels: bool = False) -> list[Drawable]:
    """An open door leaf (a slab hinged at u = 0 of its own frame), its lever handles and, with
    `panels`, panel mouldings on both faces, under the door's instance id. `finish` is a paint
    colour or a wood texture."""
    f = _WallFrame.plane(pose.hinge, pose.along, pose.across, pose.width)
    w, t, b, top = pose.width, pose.thickness, pose.bottom, pose.top
    wood = isinstance(finish, textures.SurfaceTexture)
    colour = (1.0, 1.0, 1.0) if wood else finish
    faces = []
    for depth, normal in ((t, f.normal3()), (0.0, -f.normal3())):  # the two faces, in cells for the bake
        tris, uv = _quad_tris(f, _grid_rect(0.0, b, w, top), depth)
        faces.append(_part(tris, normal, colour, uv[..., ::-1] / finish.repeat_m if wood else None,
                           finish.image if wood else None))
    edges = [MeshPart(p.positions, p.normals, tuple(colour) if not wood else (0.5, 0.37, 0.25), None, None)
             for p in _box_tris(f, 0.0, b, w, top, 0.0, t)[:4]]  # the four edge faces (_box_tris' order)
    handle = [MeshPart(p.positions, p.normals, HANDLE_COLOR, None, None)
              for p in _box_tris(f, w - 0.15, 0.98, w - 0.05, 1.02, -0.05, t + 0.05)]
    out = [Drawable(_merge(faces), IDENTITY, instance_id, culling="back"),
           Drawable(_merge(edges), IDENTITY, instance_id, culling="back"),
           Drawable(_merge(handle), IDENTITY, instance_id, culling="back", gloss=0.4)]
    # a shade off the leaf's own colour, so the outline reads under even light as a panel's does
    shade = (0.45, 0.33, 0.22) if wood else tuple(0.88 * c for c in colour)
    mouldings = _panel_mouldings(f, w, b, top, t, shade) if panels else None
    if mouldings is not None:
        out.append(Drawable(mouldings, IDENTITY, instance_id, culling="back"))
    return out


def _opening_drawables(op: Opening, frame: _WallFrame) -> list[Drawable]:
    """Frame (+ glass for windows) of one opening, all under the opening's instance id."""
    out = [Drawable(_frame_parts(frame, op.hole, sill=op.kind == "window"), IDENTITY, op.instance_id, culling="back")]
    if op.kind == "window":
        u0, v0, u1, v1 = op.hole
        tris, _ = _quad_tris(frame, _grid_rect(u0, v0, u1, v1))
        glass = _part(tris, frame.normal3(), GLASS_COLOR)
        # "sky": the outside by view direction under baked lighting; the light rig shows it as before
        out.append(Drawable(glass, IDENTITY, op.instance_id, culling="none", emissive=GLASS_EMISSIVE, material="sky"))
    return out
