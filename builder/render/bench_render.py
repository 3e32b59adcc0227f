"""Micro benchmark: frames per second of Renderer.render (and render_ids_only) at 680x384.

Three scenes:
  - "synthetic": a 3 x 2 grid of 4 x 4 m rooms with doors, 40 procedural furniture pieces
    (~400k triangles, 160 parts, ~50 textures) built by scene.build_drawables; needs nothing
    but numpy.
  - "simple": the same rooms with 40 flat-coloured boxes (~1.5k triangles in all).
  - "house": a generated house with Sweet Home 3D meshes (builder.houses + builder.assets),
    walked along the capture planner's trajectory.
Run: python -m builder.render.bench_render [synthetic|simple|house] [frames]
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from builder.assets.mesh import Mesh, MeshPart
from builder.capture.camera import Intrinsics, cam_to_world
from builder.houses.spec import WALL_ID_BASE, House, HouseObject, Opening, Room, Wall
from builder.render import textures


def _sphere_part(rng, nu: int, nv: int, radius, centre, color, texture=None) -> MeshPart:
    """A UV sphere (2 * nu * nv triangles) with lat-long UVs."""
    u, v = np.meshgrid(np.linspace(0, 1, nu + 1), np.linspace(0, 1, nv + 1), indexing="ij")
    th, ph = 2 * np.pi * u, np.pi * v
    p = np.stack([np.sin(ph) * np.cos(th), -np.cos(ph), np.sin(ph) * np.sin(th)], -1)
    quads = [(i, j) for i in range(nu) for j in range(nv)]
    tri_ij = [[(i, j), (i + 1, j + 1), (i + 1, j)] for i, j in quads] + [[(i, j), (i, j + 1), (i + 1, j + 1)] for i, j in quads]
    idx = np.array(tri_ij)  # (T, 3, 2)
    nrm = p[idx[..., 0], idx[..., 1]].reshape(-1, 3)
    pos = nrm * np.asarray(radius) + np.asarray(centre)
    uvs = np.stack([u[idx[..., 0], idx[..., 1]], v[idx[..., 0], idx[..., 1]]], -1).reshape(-1, 2) * 2.0
    return MeshPart(pos.astype(np.float32), nrm.astype(np.float32), color,
                    uvs.astype(np.float32) if texture is not None else None, texture)


def synthetic_mesh(seed: int, texture_pool: list[np.ndarray]) -> Mesh:
    """~10k triangles in 4 parts (two textured): a seat-like body, a back, and two knobs."""
    rng = np.random.default_rng(seed)
    tex = [texture_pool[int(k)] for k in rng.integers(0, len(texture_pool), 2)]
    col = tuple(float(c) for c in rng.uniform(0.15, 0.8, 3))
    return Mesh([
        _sphere_part(rng, 56, 44, (0.5, 0.25, 0.45), (0, 0.3, 0.05), (1.0, 1.0, 1.0), tex[0]),
        _sphere_part(rng, 48, 36, (0.45, 0.35, 0.08), (0, 0.6, -0.35), (1.0, 1.0, 1.0), tex[1]),
        _sphere_part(rng, 24, 16, (0.08, 0.08, 0.08), (-0.4, 0.08, 0.3), col),
        _sphere_part(rng, 24, 16, (0.08, 0.08, 0.08), (0.4, 0.08, 0.3), col),
    ])


def box_mesh(color) -> Mesh:
    """A unit box in the model frame (footprint centred, bottom at y = 0), flat normals."""
    c = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (0.0, 1.0) for z in (-0.5, 0.5)])
    faces = [((0, 1, 3, 2), (-1, 0, 0)), ((4, 6, 7, 5), (1, 0, 0)), ((0, 4, 5, 1), (0, -1, 0)),
             ((2, 3, 7, 6), (0, 1, 0)), ((0, 2, 6, 4), (0, 0, -1)), ((1, 5, 7, 3), (0, 0, 1))]
    pos = np.array([c[q[k]] for q, _ in faces for k in (0, 1, 2, 0, 2, 3)], np.float32)
    nrm = np.array([n for _, n in faces for _ in range(6)], np.float32)
    return Mesh([MeshPart(pos, nrm, color)])


def synthetic_house(n_objects: int = 40, simple: bool = False) -> tuple[House, dict]:
    """A 3 x 2 grid of rooms joined by doors, furniture along the walls; returns (house, meshes).
    simple=True uses flat-coloured boxes instead of ~10k-triangle textured meshes."""
    rooms, walls, doors, objs = [], [], [], []
    types = ["LivingRoom", "Kitchen", "Bedroom", "Bathroom", "Office", "DiningRoom"]
    for k in range(6):
        x0, z0 = 4.0 * (k % 3), 4.0 * (k // 3)
        poly = ((x0, z0), (x0 + 4, z0), (x0 + 4, z0 + 4), (x0, z0 + 4))
        rooms.append(Room(f"room{k}", types[k], poly, index=k))
        for i in range(4):
            walls.append(Wall(f"wall{k}_{i}", f"room{k}", poly[i], poly[(i + 1) % 4], 2.7, WALL_ID_BASE + 4 * k + i))
    iid = 1
    # wall i of room k: 0 south, 1 east, 2 north, 3 west (each runs counter-clockwise around its room).
    for k in range(6):
        for nb, mine, theirs in ((k + 1, 1, 3), (k + 3, 2, 0)):
            if (mine == 1 and k % 3 == 2) or nb >= 6:
                continue
            # u runs from the wall's p0; the neighbour's wall is reversed, build_drawables maps it.
            doors.append(Opening(f"door{k}_{nb}", "door", f"wall{k}_{mine}", f"wall{nb}_{theirs}", f"room{k}",
                                 f"room{nb}", (1.5, 0.0, 2.4, 2.1), "door", iid, "door"))
            iid += 1
    meshes: dict[str, Mesh] = {}
    pool = [textures.floor_texture(t, s).image for s in range(10) for t in ("Kitchen", "Bedroom", "LivingRoom")]
    pool += [textures.plaster(s).image for s in range(20)]
    for j in range(n_objects):
        k = j % 6
        x0, z0 = 4.0 * (k % 3), 4.0 * (k // 3)
        slot = j // 6
        side, along = slot % 4, 0.6 + 0.95 * (slot // 4)  # along each wall, clear of the doors
        pos = [(x0 + along, z0 + 0.5, 0.0), (x0 + 3.5, z0 + along, -90.0), (x0 + 4 - along, z0 + 3.5, 180.0),
               (x0 + 0.5, z0 + 4 - along, 90.0)][side]
        aid = f"synthetic/{j}"
        meshes[aid] = box_mesh(tuple(np.random.default_rng(j).uniform(0.2, 0.8, 3))) if simple else synthetic_mesh(j, pool)
        objs.append(HouseObject(f"obj{j}", "Chair", aid, (pos[0], 0.45, pos[1]), pos[2], (0.8, 0.9, 0.7), iid,
                                "chair", f"room{k}"))
        iid += 1
    return House("synthetic", 0, 2.7, rooms, walls, doors, [], objs), meshes


def synthetic_poses(n: int) -> list[np.ndarray]:
    """Walk room centre to room centre through the doors, sweeping the head."""
    path = np.array([(2, 2), (6, 2), (10, 2), (10, 6), (6, 6), (2, 6)], float)
    t = np.linspace(0, len(path) - 1, n)
    out = []
    for ti in t:
        i = min(int(ti), len(path) - 2)
        p = path[i] + (ti - i) * (path[i + 1] - path[i])
        d = path[i + 1] - path[i]
        yaw = math.degrees(math.atan2(d[0], d[1])) + 60 * math.sin(ti * 2.0)
        out.append(cam_to_world((p[0], 1.5, p[1]), yaw, -12.0))
    return out


def _house_scene(frames: int, house_index: int, seed: int):
    from builder.assets.catalog import default_catalog
    from builder.capture.planner import plan_walkthrough
    from builder.houses.generate import generate_house
    from builder.render.scene import build_drawables

    cat = default_catalog()
    house = generate_house(house_index, seed, cat)
    poses = plan_walkthrough(house, house.rooms[0].id, np.random.default_rng(seed))
    sel = [poses[i] for i in np.linspace(0, len(poses) - 1, frames).astype(int)]
    return build_drawables(house, cat.load_mesh), [cam_to_world(p.position, p.yaw_deg, p.pitch_deg) for p in sel]


def bench(scene: str = "synthetic", frames: int = 200, width: int = 680, height: int = 384, vfov_deg: float = 59.0,
          house_index: int = 0, seed: int = 7, repeats: int = 2) -> dict:
    """Render `frames` poses `repeats` times; print and return the best fps for render and ids-only."""
    from builder.render.renderer import Renderer
    from builder.render.scene import build_drawables

    if scene in ("synthetic", "simple"):
        house, meshes = synthetic_house(simple=scene == "simple")
        drawables, poses = build_drawables(house, meshes.__getitem__), synthetic_poses(frames)
    elif scene == "house":
        drawables, poses = _house_scene(frames, house_index, seed)
    else:
        raise ValueError(f"scene must be 'synthetic', 'simple' or 'house', got {scene!r}")
    with Renderer(Intrinsics(width, height, vfov_deg)) as r:
        t0 = time.perf_counter()
        r.load(drawables)
        load_s = time.perf_counter() - t0
        r.render(poses[0])
        tris, fps, fps_ids = [], 0.0, 0.0
        for _ in range(repeats):
            t0 = time.perf_counter()
            for p in poses:
                r.render(p)
                tris.append(r.last_frame_stats["triangles"])
            fps = max(fps, len(poses) / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            for p in poses:
                r.render_ids_only(p)
            fps_ids = max(fps_ids, len(poses) / (time.perf_counter() - t0))
        out = {"scene": scene, "frames": len(poses), "size": f"{width}x{height}", **r.stats,
               "load_s": round(load_s, 2), "drawn_triangles_per_frame": int(np.mean(tris)),
               "render_fps": round(fps, 1), "ids_only_fps": round(fps_ids, 1), "gl": r.renderer_string}
    print(f"bench render [{scene}] {out['size']}: {out['triangles']} tris, {out['drawables']} drawables, "
          f"{out['texture_layers']} texture layers, load {out['load_s']} s; drawn {out['drawn_triangles_per_frame']} "
          f"tris/frame; render {out['render_fps']} fps, ids-only {out['ids_only_fps']} fps ({out['gl']})")
    return out


if __name__ == "__main__":
    bench(sys.argv[1] if len(sys.argv) > 1 else "synthetic", int(sys.argv[2]) if len(sys.argv) > 2 else 200)
