"""Bake drawables into one world-space indexed vertex buffer and one texture array.

Why: on llvmpipe the cost per frame is dominated by vertex shading and per-draw state
changes. Baking model matrices lets one program and one VAO draw everything; welding the
triangle soups into indexed meshes lets the vertex cache shade shared corners once; a
texture array (all images resampled to one square size) removes texture rebinding. Closed shells are drawn with back-face culling (see topology.py).
"""

from __future__ import annotations

import hashlib
import logging
import weakref
from dataclasses import dataclass

import numpy as np

from builder.assets.mesh import Mesh, MeshPart
from builder.render.topology import closed_shells

log = logging.getLogger(__name__)

VERTEX_DTYPE = np.dtype(
    [("pos", "<f4", 3), ("nrm", "<f4", 3), ("uv", "<f4", 2), ("col", "<f4", 4), ("layer", "<i4"), ("id", "<u4"),
     ("irr", "<f4", 4)]
)
assert VERTEX_DTYPE.itemsize == 72  # matches shaders.VBO_FORMAT
MATERIAL_CODES = {"surface": 0.0, "sky": 2.0, "mirror": 3.0}  # shaders.MATERIAL_*


@dataclass
class Batch:
    vertices: np.ndarray  # VERTEX_DTYPE
    indices: np.ndarray  # uint32
    texels: np.ndarray  # (layers, S, S, 4) uint8 sRGB
    ranges: np.ndarray  # (D, 4) per drawable: first, count (culled); first, count (double-sided)
    centers: np.ndarray  # (D, 3) bounding-sphere centres (world)
    radii: np.ndarray  # (D,)
    lo: np.ndarray  # (D, 3) world AABB corners
    hi: np.ndarray
    occluder: np.ndarray  # (D,) bool
    two_sided: np.ndarray  # (V,) bool: the vertex belongs to a triangle drawn double-sided

    @property
    def n_vertices(self) -> int:
        return len(self.vertices)

    @property
    def n_layers(self) -> int:
        return len(self.texels)

    @property
    def layer_size(self) -> int:
        return self.texels.shape[1]


def _parts(mesh: Mesh | MeshPart) -> list[MeshPart]:
    return [mesh] if isinstance(mesh, MeshPart) else list(mesh.parts)


def weld(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique rows of a (N, K) float32 soup -> (row index of each unique vertex, (N,) indices),
    unique vertices numbered in order of first use to keep the index stream cache-friendly."""
    key = np.ascontiguousarray(key, dtype=np.float32)
    rows = key.view(np.dtype((np.void, key.shape[1] * 4))).ravel()
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return first[order], rank[inverse.ravel()].astype(np.uint32)


def _texture_key(img: np.ndarray) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    h.update(str(img.shape).encode())
    h.update(np.ascontiguousarray(img).tobytes())
    return h.digest()


class _TextureTable:
    """Assigns each distinct image a layer; identical images share one."""

    def __init__(self):
        self.layers: dict[bytes, int] = {}
        self.images: list[np.ndarray] = []
        self._by_id: dict[int, int] = {}

    def layer(self, img: np.ndarray) -> int:
        got = self._by_id.get(id(img))
        if got is not None and self.images[got] is img:
            return got
        key = _texture_key(img)
        if key not in self.layers:
            self.layers[key] = len(self.images)
            self.images.append(img)
        self._by_id[id(img)] = self.layers[key]
        return self.layers[key]

    def texels(self, max_size: int) -> np.ndarray:
        from PIL import Image

        if not self.images:
            return np.full((1, 1, 1, 4), 255, np.uint8)
        biggest = max(max(im.shape[:2]) for im in self.images)
        size = min(int(max_size), 1 << int(np.ceil(np.log2(max(biggest, 1)))))
        out = np.empty((len(self.images), size, size, 4), np.uint8)
        out[..., 3] = 255
        for i, im in enumerate(self.images):
            im = np.asarray(im)
            if im.ndim == 2:
                im = np.repeat(im[..., None], 3, axis=2)
            im = im[..., :3].astype(np.uint8, copy=False)
            if im.shape[:2] != (size, size):
                # UVs are normalised, so resampling to a square keeps the mapping.
                shrink = max(im.shape[:2]) > size
                im = np.asarray(Image.fromarray(im).resize((size, size), Image.BOX if shrink else Image.BILINEAR))
            # GL's t axis runs bottom-up while images are stored top row first.
            out[i, :, :, :3] = im[::-1]
        return out


def _soup(part: MeshPart) -> np.ndarray:
    pos = np.asarray(part.positions, np.float64).reshape(-1, 3)
    return pos[: len(pos) - len(pos) % 3]


def _bake_part(part: MeshPart, model: np.ndarray, inst: int, emissive: float, layer: int,
               material: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """World-space welded vertices and (T, 3) local triangle indices of one part."""
    pos = _soup(part)
    n = len(pos)
    lin, t = model[:3, :3], model[:3, 3]
    wpos = pos @ lin.T + t
    nrm = np.asarray(part.normals, np.float64).reshape(-1, 3)[:n] @ np.linalg.inv(lin)  # inverse-transpose
    length = np.linalg.norm(nrm, axis=1, keepdims=True)
    nrm = np.where(length > 1e-12, nrm / np.maximum(length, 1e-12), [0.0, 1.0, 0.0])
    uv = np.zeros((n, 2)) if part.uvs is None or layer < 0 else np.asarray(part.uvs, np.float64).reshape(-1, 2)[:n]
    key = np.concatenate([wpos, nrm, uv], axis=1).astype(np.float32)
    src, idx = weld(key)
    v = np.empty(len(src), VERTEX_DTYPE)
    v["pos"], v["nrm"], v["uv"] = key[src, 0:3], key[src, 3:6], key[src, 6:8]
    v["col"] = (*[float(c) for c in part.color[:3]], float(emissive))
    v["layer"], v["id"] = layer, inst
    v["irr"] = (1.0, 1.0, 1.0, material)  # irradiance filled by the bake (render/bake.py)
    return v, idx.reshape(-1, 3)


# Shell analysis per mesh, kept across scenes: catalogues hand out the same MeshPart objects
# for an asset, so a second house with the same sofa skips the work. Weak references make
# sure a recycled id() never returns another mesh's answer.
_SHELL_CACHE: dict = {}
_SHELL_CACHE_MAX = 1024


def _cull_classes(parts: list[MeshPart], culling: str) -> tuple[np.ndarray, np.ndarray]:
    """Per triangle of the concatenated parts: (cull it?, reverse its winding?)."""
    soups = [_soup(p) for p in parts]
    t = sum(len(s) for s in soups) // 3
    if culling == "none":
        return np.zeros(t, bool), np.zeros(t, bool)
    if culling == "back":
        return np.ones(t, bool), np.zeros(t, bool)
    if culling != "auto":
        raise ValueError(f"culling must be 'auto', 'back' or 'none', got {culling!r}")
    key = tuple(id(p) for p in parts)
    hit = _SHELL_CACHE.get(key)
    if hit is not None and all(r() is p for r, p in zip(hit[0], parts)):
        return hit[1]
    result = closed_shells(np.concatenate(soups) if soups else np.zeros((0, 3)))
    if len(_SHELL_CACHE) >= _SHELL_CACHE_MAX:
        _SHELL_CACHE.pop(next(iter(_SHELL_CACHE)))
    _SHELL_CACHE[key] = ([weakref.ref(p) for p in parts], result)
    return result


def _material_code(d) -> float:
    material = getattr(d, "material", "surface")
    if material not in MATERIAL_CODES:
        raise ValueError(f"material must be one of {sorted(MATERIAL_CODES)}, got {material!r}")
    if material == "surface":
        return float(np.clip(getattr(d, "gloss", 0.0), 0.0, 0.99))
    return MATERIAL_CODES[material]


def pack_scene(drawables, max_texture_size: int = 512) -> Batch:
    """Bake `drawables` (renderer.Drawable) into one Batch, in the order given. Each drawable
    gets two index ranges: triangles drawn with back-face culling, then double-sided ones."""
    drawables = list(drawables)
    textures = _TextureTable()
    verts, inds = [], []
    ranges, centers, radii, los, his = [], [], [], [], []
    n_vert = n_ind = 0
    for d in drawables:
        model = np.asarray(d.model, np.float64)
        mirror = np.linalg.det(model[:3, :3]) < 0  # a mirroring matrix reverses winding
        parts = [p for p in _parts(d.mesh) if len(p.positions) >= 3]
        cull, flip = _cull_classes(parts, getattr(d, "culling", "auto"))
        closed, open_, pts = [], [], []
        t0 = 0
        for part in parts:
            layer = -1
            if part.texture is not None and part.uvs is not None:
                layer = textures.layer(part.texture)
            v, tris = _bake_part(part, model, d.instance_id, d.emissive, layer, _material_code(d))
            sl = slice(t0, t0 + len(tris))
            t0 += len(tris)
            rev = flip[sl] ^ mirror
            tris = np.where(rev[:, None], tris[:, [0, 2, 1]], tris) + n_vert
            closed.append(tris[cull[sl]].ravel())
            open_.append(tris[~cull[sl]].ravel())
            verts.append(v)
            pts.append(v["pos"])
            n_vert += len(v)
        n_closed = sum(len(c) for c in closed)
        n_open = sum(len(o) for o in open_)
        inds.extend(closed + open_)
        ranges.append((n_ind, n_closed, n_ind + n_closed, n_open))
        n_ind += n_closed + n_open
        if pts:
            p = np.concatenate(pts).astype(np.float64)
            lo, hi = p.min(0), p.max(0)
            c = (lo + hi) / 2
            r = float(np.sqrt(((p - c) ** 2).sum(1).max()))
        else:
            lo = hi = c = np.zeros(3)
            r = 0.0
        centers.append(c)
        radii.append(r)
        los.append(lo)
        his.append(hi)
    rng = np.asarray(ranges, np.int64).reshape(-1, 4)
    all_idx = np.concatenate(inds).astype(np.uint32) if inds else np.zeros(3, np.uint32)
    two_sided = np.zeros(max(n_vert, 1), bool)
    for _, _, first, count in rng:
        two_sided[all_idx[first:first + count]] = True
    batch = Batch(
        vertices=np.concatenate(verts) if verts else np.zeros(1, VERTEX_DTYPE),  # GL wants non-empty buffers
        indices=all_idx,
        texels=textures.texels(max_texture_size),
        ranges=rng,
        centers=np.asarray(centers, np.float64).reshape(-1, 3),
        radii=np.asarray(radii, np.float64),
        lo=np.asarray(los, np.float64).reshape(-1, 3),
        hi=np.asarray(his, np.float64).reshape(-1, 3),
        occluder=np.asarray([bool(getattr(d, "occluder", False)) for d in drawables], bool),
        two_sided=two_sided,
    )
    log.debug("packed %d drawables: %d vertices, %d triangles (%d culled)",
              len(rng), n_vert, n_ind // 3, int(rng[:, 1].sum()) // 3)
    return batch
