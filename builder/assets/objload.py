"""Wavefront OBJ + MTL loading from a zip, normalised into the model frame (see mesh.py).

Own small parser rather than trimesh: it keeps per-corner UVs/normals and material order exactly,
and it is deterministic. Steps: parse -> apply modelRotation -> (decimate) -> fit the rotated
bounding box to the catalogue size (bottom at y=0, centred in x/z) -> normals -> split by material.
"""

from __future__ import annotations

import io
import logging
import math
import posixpath
import zipfile

import numpy as np
from PIL import Image

from .mesh import Mesh, MeshPart

log = logging.getLogger(__name__)

# Above this many triangles a model is decimated by vertex clustering (not skipped): only ~30 of
# the ~330 used models exceed it (mostly plants, a few beds/sofas/stoves) and they stay usable.
MAX_TRIANGLES = 40_000
MAX_TEXTURE_SIZE = 1024  # longer side; bigger textures are downscaled (Lanczos)
CREASE_COS = math.cos(math.radians(50.0))  # computed normals are not smoothed across sharper edges
DEFAULT_KD = (0.8, 0.8, 0.8)


def srgb_to_linear(c: np.ndarray) -> np.ndarray:
    c = np.asarray(c, dtype=np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def parse_mtl(text: str) -> dict[str, dict]:
    """Material name -> {"Kd": (r, g, b) sRGB, "map_Kd": path or None, "d": opacity}."""
    mats: dict[str, dict] = {}
    cur: dict | None = None
    for line in text.splitlines():
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        key = parts[0]
        if key == "newmtl":
            cur = mats.setdefault(line.split(None, 1)[1].strip() if len(parts) > 1 else "",
                                  {"Kd": DEFAULT_KD, "map_Kd": None, "d": 1.0})
        elif cur is None:
            continue
        elif key == "Kd" and len(parts) >= 4:
            cur["Kd"] = tuple(min(max(float(v), 0.0), 1.0) for v in parts[1:4])
        elif key == "d" and len(parts) >= 2:
            cur["d"] = float(parts[1])
        elif key == "Tr" and len(parts) >= 2:
            cur["d"] = 1.0 - float(parts[1])
        elif key == "map_Kd" and len(parts) >= 2:
            args = parts[1:]
            while len(args) > 1 and args[0].startswith("-"):  # skip options such as "-s 1 1 1"
                args = args[1:]
                while len(args) > 1 and _is_number(args[0]):
                    args = args[1:]
            cur["map_Kd"] = " ".join(args)
    return mats


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def parse_obj(text: str) -> dict:
    """Parse OBJ text into vertex arrays and per-triangle corner indices (0-based, -1 = missing)."""
    vs, vts, vns, mtllibs = [], [], [], []
    tv, tt, tn, smooth, mat = [], [], [], [], []
    mat_names: list[str] = []
    mat_index: dict[str, int] = {}
    cur_mat, cur_s = -1, 1
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        key = parts[0]
        if key == "v":
            vs.append(parts[1:4])
        elif key == "vt":
            vts.append((parts[1:3] + ["0"])[:2])
        elif key == "vn":
            vns.append(parts[1:4])
        elif key == "f":
            nv, nt, nn = len(vs), len(vts), len(vns)
            cv, ct, cn = [], [], []
            for tok in parts[1:]:
                s = tok.split("/")
                i = int(s[0])
                cv.append(i - 1 if i > 0 else nv + i)
                j = int(s[1]) if len(s) > 1 and s[1] else 0
                ct.append(j - 1 if j > 0 else (nt + j if j < 0 else -1))
                k = int(s[2]) if len(s) > 2 and s[2] else 0
                cn.append(k - 1 if k > 0 else (nn + k if k < 0 else -1))
            for a in range(1, len(cv) - 1):  # fan triangulation
                tv.extend((cv[0], cv[a], cv[a + 1]))
                tt.extend((ct[0], ct[a], ct[a + 1]))
                tn.extend((cn[0], cn[a], cn[a + 1]))
                smooth.append(cur_s)
                mat.append(cur_mat)
        elif key == "usemtl":
            name = line.split(None, 1)[1].strip() if len(parts) > 1 else ""
            if name not in mat_index:
                mat_index[name] = len(mat_names)
                mat_names.append(name)
            cur_mat = mat_index[name]
        elif key == "s":
            arg = parts[1].lower() if len(parts) > 1 else "off"
            cur_s = 0 if arg in ("off", "0") else (int(arg) if arg.isdigit() else 1)
        elif key == "mtllib":
            mtllibs.append(line.split(None, 1)[1].strip() if len(parts) > 1 else "")

    def arr(rows, width):
        return np.array(rows, dtype=np.float64).reshape(-1, width) if rows else np.zeros((0, width))

    return {
        "v": arr(vs, 3), "vt": arr(vts, 2), "vn": arr(vns, 3), "mtllibs": mtllibs,
        "tri_v": np.array(tv, dtype=np.int64).reshape(-1, 3),
        "tri_t": np.array(tt, dtype=np.int64).reshape(-1, 3),
        "tri_n": np.array(tn, dtype=np.int64).reshape(-1, 3),
        "smooth": np.array(smooth, dtype=np.int64), "mat": np.array(mat, dtype=np.int64),
        "mat_names": mat_names,
    }


def decimate_clusters(P: np.ndarray, tri_v: np.ndarray, target: int):
    """Vertex clustering on a grid grown until at most `target` triangles survive.

    Returns (new positions, new tri_v, kept-triangle mask). Deterministic.
    """
    lo, hi = P.min(0), P.max(0)
    cell = max(float(np.linalg.norm(hi - lo)), 1e-9) * 1e-3
    while True:
        q = np.floor((P - lo) / cell).astype(np.int64)
        dims = q.max(0) + 1
        keys = (q[:, 0] * dims[1] + q[:, 1]) * dims[2] + q[:, 2]
        _, inv = np.unique(keys, return_inverse=True)
        c = inv[tri_v]
        keep = (c[:, 0] != c[:, 1]) & (c[:, 1] != c[:, 2]) & (c[:, 0] != c[:, 2])
        if keep.sum() <= target:
            break
        cell *= 1.25
    n = int(inv.max()) + 1
    sums = np.zeros((n, 3))
    np.add.at(sums, inv, P)
    counts = np.bincount(inv, minlength=n)[:, None]
    return sums / np.maximum(counts, 1), c[keep], keep


def compute_normals(pos: np.ndarray, smooth: np.ndarray) -> np.ndarray:
    """Per-corner normals for triangle soup `pos` (M, 3, 3): smoothed within a smoothing group
    (vertices matched by position), flat for group 0 and across creases sharper than CREASE_COS."""
    fn = np.cross(pos[:, 1] - pos[:, 0], pos[:, 2] - pos[:, 0])  # area weighted
    length = np.linalg.norm(fn, axis=1, keepdims=True)
    fu = np.where(length > 1e-20, fn / np.maximum(length, 1e-30), [0.0, 1.0, 0.0])
    corners = pos.reshape(-1, 3)
    _, vid = np.unique(np.round(corners, 7), axis=0, return_inverse=True)
    vid = vid.reshape(-1)
    group = np.repeat(smooth, 3)
    _, key = np.unique(np.stack([vid, group], 1), axis=0, return_inverse=True)
    key = key.reshape(-1)
    acc = np.zeros((int(key.max()) + 1 if len(key) else 0, 3))
    np.add.at(acc, key, np.repeat(fn, 3, axis=0))
    vn = acc[key]
    vlen = np.linalg.norm(vn, axis=1, keepdims=True)
    vn = vn / np.maximum(vlen, 1e-30)
    face = np.repeat(fu, 3, axis=0)
    flat = (group == 0) | (vlen[:, 0] < 1e-20) | (np.einsum("ij,ij->i", vn, face) < CREASE_COS)
    vn[flat] = face[flat]
    return vn.reshape(-1, 3, 3)


def _resolve(zf: zipfile.ZipFile, base_dir: str, rel: str) -> str | None:
    path = posixpath.normpath(posixpath.join(base_dir, rel.replace("\\", "/")))
    names = zf.NameToInfo
    if path in names:
        return path
    low = path.lower()
    base = posixpath.basename(low)
    for name in sorted(names):  # case or folder mismatch: match within the model folder
        if name.lower() == low or (name.lower().startswith(base_dir.lower() + "/")
                                   and posixpath.basename(name.lower()) == base):
            return name
    return None


def load_texture(data: bytes) -> np.ndarray:
    """Decode to (H, W, 3) uint8 sRGB; transparent pixels get the mean opaque colour."""
    im = Image.open(io.BytesIO(data))
    im.load()
    if im.mode not in ("RGB", "RGBA"):
        im = im.convert("RGBA" if ("transparency" in im.info or "A" in im.mode) else "RGB")
    if max(im.size) > MAX_TEXTURE_SIZE:
        s = MAX_TEXTURE_SIZE / max(im.size)
        im = im.resize((max(1, round(im.width * s)), max(1, round(im.height * s))), Image.LANCZOS)
    a = np.asarray(im, dtype=np.uint8)
    if a.shape[2] == 4:
        rgb, alpha = a[..., :3].copy(), a[..., 3]
        clear = alpha < 128
        if clear.any() and not clear.all():
            rgb[clear] = np.round(rgb[~clear].reshape(-1, 3).mean(0)).astype(np.uint8)
        a = rgb
    return np.ascontiguousarray(a)


def load_obj_from_zip(zf: zipfile.ZipFile, model_path: str, size_m, rotation=None,
                      max_triangles: int = MAX_TRIANGLES) -> tuple[Mesh, dict]:
    """Load one OBJ from an open zip and normalise it. Returns (mesh, info)."""
    obj = parse_obj(zf.read(model_path).decode("latin-1"))
    base = posixpath.dirname(model_path)
    materials: dict[str, dict] = {}
    for lib in obj["mtllibs"]:
        path = _resolve(zf, base, lib)
        if path is None:
            log.info("%s: material library %r not found", model_path, lib)
            continue
        for name, m in parse_mtl(zf.read(path).decode("latin-1")).items():
            materials.setdefault(name, m)
    tri_v, tri_t, tri_n = obj["tri_v"], obj["tri_t"], obj["tri_n"]
    smooth, mat = obj["smooth"], obj["mat"]
    if len(tri_v) == 0:
        raise ValueError(f"{model_path}: no faces")
    info = {"triangles_source": len(tri_v), "decimated": False}

    R = np.array(rotation, dtype=np.float64).reshape(3, 3) if rotation else np.eye(3)
    used = np.unique(tri_v)
    P = np.zeros_like(obj["v"])
    P[used] = obj["v"][used] @ R.T
    if len(tri_v) > max_triangles:
        sub, remap = P[used], np.full(len(P), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        P, tri_v, keep = decimate_clusters(sub, remap[tri_v], max_triangles)
        tri_t, smooth, mat = tri_t[keep], smooth[keep], mat[keep]
        tri_n = np.full_like(tri_t, -1)  # file normals no longer match the merged surface
        used = np.unique(tri_v)
        info["decimated"] = True
    lo, hi = P[used].min(0), P[used].max(0)
    target = np.array(size_m, dtype=np.float64)
    ext = hi - lo
    scale = np.where(ext > 1e-9, target / np.maximum(ext, 1e-12), 1.0)
    offset = np.array([(lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2])
    pos = ((P - offset) * scale)[tri_v]  # (M, 3, 3)
    if np.linalg.det(np.diag(scale) @ R) < 0:  # mirroring flips the winding back
        pos, tri_t, tri_n = pos[:, ::-1], tri_t[:, ::-1], tri_n[:, ::-1]

    normals = compute_normals(pos, smooth)
    has_n = (tri_n >= 0).all(1) & (len(obj["vn"]) > 0)
    if has_n.any():
        normal_matrix = np.linalg.inv(np.diag(scale) @ R).T  # normals transform by (L^-1)^T
        fnrm = obj["vn"][tri_n[has_n]] @ normal_matrix.T
        ln = np.linalg.norm(fnrm, axis=2, keepdims=True)
        ok = ln[..., 0] > 1e-12
        fnrm = np.where(ok[..., None], fnrm / np.maximum(ln, 1e-30), normals[has_n])
        normals[has_n] = fnrm

    parts = _build_parts(zf, base, model_path, obj, materials, pos, normals, tri_t, mat)
    info["triangles"] = sum(len(p.positions) // 3 for p in parts)
    return Mesh(parts=parts), info


def _build_parts(zf, base, model_path, obj, materials, pos, normals, tri_t, mat) -> list[MeshPart]:
    """Group triangles by appearance (colour, texture) in order of first use."""
    textures: dict[str, np.ndarray | None] = {}
    groups: dict[tuple, list[int]] = {}
    looks: dict[int, tuple] = {}
    order = np.unique(mat, return_index=True)
    for m in [int(m) for m in order[0][np.argsort(order[1])]]:
        name = obj["mat_names"][m] if m >= 0 else None
        mdef = materials.get(name, {"Kd": DEFAULT_KD, "map_Kd": None})
        tex_path = None
        if mdef["map_Kd"] and (tri_t[mat == m] >= 0).any():
            tex_path = _resolve(zf, base, mdef["map_Kd"])
            if tex_path is None:
                log.info("%s: texture %r not found", model_path, mdef["map_Kd"])  # as in SH3D
            elif tex_path not in textures:
                try:
                    textures[tex_path] = load_texture(zf.read(tex_path))
                except (OSError, ValueError) as e:
                    log.warning("%s: cannot decode %s: %s", model_path, tex_path, e)
                    textures[tex_path] = None
            if tex_path is not None and textures[tex_path] is None:
                tex_path = None
        looks[m] = (tuple(float(v) for v in mdef["Kd"]), tex_path)
        groups.setdefault(looks[m], []).append(m)
    vt = obj["vt"]
    parts = []
    for (kd, tex_path), mats in groups.items():
        sel = np.isin(mat, mats)
        p = MeshPart(
            positions=pos[sel].reshape(-1, 3).astype(np.float32),
            normals=normals[sel].reshape(-1, 3).astype(np.float32),
            color=tuple(float(c) for c in srgb_to_linear(kd)))
        if tex_path is not None:
            t = tri_t[sel].reshape(-1)
            # OBJ / OpenGL convention kept: v=0 is the bottom row of the image (texture[-1]).
            uv = np.where((t >= 0)[:, None], vt[np.maximum(t, 0)] if len(vt) else 0.0, 0.0)
            p.uvs = uv.astype(np.float32)
            p.texture = textures[tex_path]
            # Renderers multiply texture by colour; Sweet Home 3D shows textures unmodulated
            # (Kd next to map_Kd is mostly an exporter's 0.64/0.8 grey), so use white.
            p.color = (1.0, 1.0, 1.0)
        parts.append(p)
    return parts
