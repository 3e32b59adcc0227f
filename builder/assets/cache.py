"""On-disk cache of normalised meshes: one compressed .npz per asset, written atomically.

The .npz is written by hand (fixed zip timestamps, sorted members) so the same mesh always
gives the same bytes. A file is keyed by asset id and LOADER_VERSION; the stored `meta`
(source checksum etc.) must also match or the entry is treated as missing.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .mesh import Mesh, MeshPart

log = logging.getLogger(__name__)

CACHE_ENV = "SIMSV_ASSET_CACHE"
# Bump whenever loading/normalisation changes what a cached mesh contains.
LOADER_VERSION = 2
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def cache_dir(path: str | os.PathLike | None = None) -> Path:
    """`path`, else $SIMSV_ASSET_CACHE, else ~/.cache/simsv/assets."""
    return Path(path or os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "simsv" / "assets")


def cache_path(root: Path, asset_id: str) -> Path:
    safe = [re.sub(r"[^A-Za-z0-9._-]", "_", p) for p in asset_id.split("/") if p not in ("", ".", "..")]
    return Path(root) / f"v{LOADER_VERSION}" / Path(*safe[:-1]) / f"{safe[-1]}.npz"


def mesh_to_arrays(mesh: Mesh, meta: dict) -> dict[str, np.ndarray]:
    arrays = {"meta": np.array(json.dumps(meta, sort_keys=True))}
    for i, p in enumerate(mesh.parts):
        arrays[f"p{i:03d}_positions"] = np.asarray(p.positions, dtype=np.float32)
        arrays[f"p{i:03d}_normals"] = np.asarray(p.normals, dtype=np.float32)
        arrays[f"p{i:03d}_color"] = np.asarray(p.color, dtype=np.float64)
        if p.uvs is not None:
            arrays[f"p{i:03d}_uvs"] = np.asarray(p.uvs, dtype=np.float32)
        if p.texture is not None:
            arrays[f"p{i:03d}_texture"] = np.asarray(p.texture, dtype=np.uint8)
    return arrays


def arrays_to_mesh(arrays) -> Mesh:
    n = len({k[:4] for k in arrays if k.startswith("p") and k.endswith("_positions")})
    parts = []
    for i in range(n):
        pre = f"p{i:03d}_"
        parts.append(MeshPart(
            positions=arrays[pre + "positions"], normals=arrays[pre + "normals"],
            color=tuple(float(c) for c in arrays[pre + "color"]),
            uvs=arrays[pre + "uvs"] if pre + "uvs" in arrays else None,
            texture=arrays[pre + "texture"] if pre + "texture" in arrays else None))
    return Mesh(parts=parts)


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Deterministic compressed .npz written to a temp file then os.replace'd into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in sorted(arrays):
                info = zipfile.ZipInfo(name + ".npy", date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                a = np.asarray(arrays[name])
                a = a if a.flags.c_contiguous else a.copy()  # (ascontiguousarray makes 0-d 1-d)
                with zf.open(info, "w", force_zip64=True) as f:
                    np.lib.format.write_array(f, a, allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def save_mesh(path: Path, mesh: Mesh, meta: dict) -> None:
    write_npz(path, mesh_to_arrays(mesh, meta))


def load_mesh(path: Path, expect_meta: dict) -> Mesh | None:
    """The cached mesh, or None if absent, unreadable, or stored with different meta."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays.pop("meta").reshape(-1)[0]))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
        log.warning("ignoring unreadable cache file %s: %s", path, e)
        return None
    if any(meta.get(k) != v for k, v in expect_meta.items()):
        log.info("stale cache file %s", path)
        return None
    return arrays_to_mesh(arrays)
