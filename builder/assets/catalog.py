"""`AssetCatalog`: the single entry point the house generator uses to pick and load furniture.

    cat = default_catalog()
    entry = cat.entries_for("sofa")[0]
    mesh = cat.load_mesh(entry.asset_id)          # Mesh in the model frame of mesh.py
    cat.write_attribution(used_ids, out / "ATTRIBUTION.md")
"""

from __future__ import annotations

import functools
import logging
import os
import time
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Iterable

import numpy as np

from . import cache as disk
from . import sweethome3d as sh3d
from .categories import CATEGORIES, SUPER_CATEGORY, canonical, entry_placements
from .entry import AssetEntry
from .mesh import Mesh
from .objload import MAX_TRIANGLES, load_obj_from_zip
from .parametric import PAINTING_VARIANTS, PARAMETRIC, build_parametric

log = logging.getLogger(__name__)

PARAMETRIC_PREFIX = "parametric/"
PARAMETRIC_LICENCE = "CC0-1.0"
_CHANGES_NOTE = ("Changes: converted from OBJ, rotated/rescaled to the catalogue size, large models "
                 "simplified by vertex clustering, textures downscaled to at most 1024 px.")

__all__ = ["AssetCatalog", "AssetEntry", "default_catalog"]


def _parametric_entries() -> list[AssetEntry]:
    out = []
    for category, (size, _, name) in PARAMETRIC.items():
        n = PAINTING_VARIANTS if category == "painting" else 1
        for k in range(n):
            out.append(AssetEntry(
                asset_id=PARAMETRIC_PREFIX + category + (f"/{k}" if k else ""), category=category,
                name=name, size_m=tuple(size), licence=PARAMETRIC_LICENCE,
                creator="SIMS-VSI (procedural)", source="builder/assets/parametric.py",
                catalogue="parametric", top_m=size[1], placements=entry_placements(category, size)))
    return out


SMALL_MODEL_M = 0.5
"""Models whose longest side is under this (cups, books, shoes: the clutter) ..."""
SMALL_MAX_TRIANGLES = 3_000
"""... are simplified to at most this many triangles: a house holds dozens of them, each a few
dozen pixels on screen, and some catalogue cups carry 10k+ triangles."""


CATEGORY_MAX_TRIANGLES = {"ceiling lamp": 4_000, "radiator": 4_000, "clock": 3_000, "plant": 8_000,
                          "wall lamp": 3_000, "towel rack": 3_000, "table lamp": 4_000, "desk lamp": 4_000}
"""Budgets of categories a house holds many of at clutter scale (a ceiling light per room, a
radiator in most): chandeliers, radiator fins and leaves carry tens of thousands of triangles
that cost render time and are a few pixels wide on screen."""


def triangle_budget(entry: AssetEntry) -> int:
    """The most triangles a model is loaded with (larger ones are simplified by clustering)."""
    if max(entry.size_m) < SMALL_MODEL_M:
        return SMALL_MAX_TRIANGLES
    return CATEGORY_MAX_TRIANGLES.get(entry.category, MAX_TRIANGLES)


def _freeze(mesh: Mesh) -> Mesh:
    """Mark arrays read-only: loaded meshes are shared between callers."""
    for p in mesh.parts:
        for a in (p.positions, p.normals, p.uvs, p.texture):
            if a is not None:
                a.flags.writeable = False
    return mesh


class AssetCatalog:
    """Sweet Home 3D models mapped to canonical categories, plus parametric fallbacks.

    Raises FileNotFoundError (naming the file and the apt package) when a .sh3f is missing.
    """

    def __init__(self, furniture_dir: str | os.PathLike | None = None,
                 cache_dir: str | os.PathLike | None = None, disk_cache: bool = True,
                 memory_cache_size: int = 64):
        self.furniture_dir = sh3d.furniture_dir(furniture_dir)
        self.cache_dir = disk.cache_dir(cache_dir) if disk_cache else None
        self.stats: dict[str, int] = {}
        t0 = time.perf_counter()
        sh3d_entries = list(sh3d.iter_entries(self.furniture_dir, self.stats))
        self._entries: dict[str, AssetEntry] = {e.asset_id: e for e in sh3d_entries}
        covered = {e.category for e in sh3d_entries}
        by_cat: dict[str, list[AssetEntry]] = {}
        for e in sh3d_entries:
            by_cat.setdefault(e.category, []).append(e)
        for e in _parametric_entries():
            self._entries[e.asset_id] = e
            if e.category not in covered:  # fallback only where no SH3D model exists
                by_cat.setdefault(e.category, []).append(e)
        self._by_cat = {c: sorted(v, key=lambda e: e.asset_id) for c, v in sorted(by_cat.items())}
        self.parametric_only = sorted(c for c in self._by_cat if c not in covered)
        self._zips: dict[str, zipfile.ZipFile] = {}
        self._memory: OrderedDict[str, Mesh] = OrderedDict()
        self._memory_size = memory_cache_size
        log.info("asset catalogue: %d SH3D models read, %d mapped, %d left unmapped, %d excluded by "
                 "SH3D category; %d categories (%d parametric only) in %.2fs",
                 self.stats.get("total", 0), self.stats.get("mapped", 0),
                 self.stats.get("unmapped", 0), self.stats.get("excluded_sh3d_category", 0),
                 len(self._by_cat), len(self.parametric_only), time.perf_counter() - t0)

    # --- lookup -------------------------------------------------------------------------------
    def categories(self) -> list[str]:
        """Fine categories that have at least one entry (SH3D or parametric), sorted."""
        return list(self._by_cat)

    def entries_for(self, category: str, fold: bool = False, placement: str | None = None
                    ) -> list[AssetEntry]:
        """Entries of a category, ordered by asset id. Synonyms are accepted ("couch").
        A super category that is not itself a fine category ("lamp", "picture") always folds;
        fold=True also folds one that is ("chair" -> chair, armchair, office chair).
        `placement` keeps entries that suit it ("corner" lamps are floor lamps)."""
        fine = canonical(category)
        cats = [fine]
        if fold or fine not in CATEGORIES:
            cats = [c for c in self._by_cat if c == fine or SUPER_CATEGORY.get(c) == fine]
        out = (e for c in cats for e in self._by_cat.get(c, ()))
        if placement is not None:
            want = "on_surface" if placement == "surface" else placement
            out = (e for e in out if want in e.placements)
        return sorted(out, key=lambda e: e.asset_id)

    def entry(self, asset_id: str) -> AssetEntry:
        try:
            return self._entries[asset_id]
        except KeyError:
            raise KeyError(f"unknown asset id {asset_id!r}") from None

    def categories_for_room(self, room: str) -> list[str]:
        """Categories with entries whose room list includes `room` (see categories.ROOM_TYPES)."""
        return [c for c in self._by_cat if c in CATEGORIES and room in CATEGORIES[c].rooms]

    def __len__(self) -> int:
        return len(self._entries)

    # --- meshes -------------------------------------------------------------------------------
    def load_mesh(self, asset_id: str) -> Mesh:
        """The normalised mesh (shared, read-only arrays: copy before modifying)."""
        if asset_id in self._memory:
            self._memory.move_to_end(asset_id)
            return self._memory[asset_id]
        entry = self.entry(asset_id)
        if entry.catalogue == "parametric":
            parts = asset_id[len(PARAMETRIC_PREFIX):].split("/")
            mesh = build_parametric(entry.category, entry.size_m, int(parts[1]) if len(parts) > 1 else 0)
        else:
            mesh = self._load_sh3d(entry)
        _freeze(mesh)
        self._memory[asset_id] = mesh
        while len(self._memory) > self._memory_size:
            self._memory.popitem(last=False)
        return mesh

    def _zip(self, catalogue: str) -> zipfile.ZipFile:
        if catalogue not in self._zips:
            self._zips[catalogue] = zipfile.ZipFile(sh3d.sh3f_path(self.furniture_dir, catalogue))
        return self._zips[catalogue]

    def _load_sh3d(self, entry: AssetEntry) -> Mesh:
        zf = self._zip(entry.catalogue)
        budget = triangle_budget(entry)
        meta = {"asset_id": entry.asset_id, "loader_version": disk.LOADER_VERSION,
                "obj_crc": zf.getinfo(entry.model_path).CRC, "size_m": repr(entry.size_m),
                "rotation": repr(entry.model_rotation), "max_triangles": budget}
        path = disk.cache_path(self.cache_dir, entry.asset_id) if self.cache_dir else None
        if path is not None:
            mesh = disk.load_mesh(path, meta)
            if mesh is not None:
                return mesh
        t0 = time.perf_counter()
        mesh, info = load_obj_from_zip(zf, entry.model_path, entry.size_m, entry.model_rotation, budget)
        log.debug("loaded %s in %.2fs: %s", entry.asset_id, time.perf_counter() - t0, info)
        if path is not None:
            try:
                disk.save_mesh(path, mesh, meta)
            except OSError as e:  # a read-only cache must not break rendering
                log.warning("cannot write asset cache %s: %s", path, e)
        return mesh

    def close(self) -> None:
        for zf in self._zips.values():
            zf.close()
        self._zips.clear()

    # --- attribution --------------------------------------------------------------------------
    def attribution_rows(self, asset_ids: Iterable[str]) -> list[dict[str, str]]:
        """One row per distinct asset, sorted by id; `requires_attribution` marks CC-BY rows."""
        rows = []
        for aid in sorted(set(asset_ids)):
            e = self.entry(aid)
            cat = sh3d.CATALOGUE_BY_NAME.get(e.catalogue)
            rows.append({
                "asset_id": e.asset_id, "name": e.name, "category": e.category,
                "creator": e.creator, "catalogue": e.catalogue, "licence": e.licence,
                "licence_url": cat.licence_url if cat else "",
                "copyright": cat.holder if cat else "", "source": e.source,
                "requires_attribution": "yes" if e.requires_attribution else "no"})
        return rows

    def write_attribution(self, asset_ids: Iterable[str], path: str | os.PathLike) -> Path:
        """Write a Markdown ATTRIBUTION file for the given assets; returns its path."""
        rows = self.attribution_rows(asset_ids)
        by = [r for r in rows if r["requires_attribution"] == "yes"]
        cc0 = [r for r in rows if r["requires_attribution"] == "no" and r["catalogue"] != "parametric"]
        lines = ["# Attribution", "",
                 "3D furniture models from the Sweet Home 3D additional furniture libraries "
                 f"(Debian package `{sh3d.APT_PACKAGE}`, {sh3d.SH3D_SOURCE}), used under the "
                 "licences below. " + _CHANGES_NOTE + " No endorsement by the authors is implied.", "",
                 "## Creative Commons Attribution models", "",
                 "| Model | Creator | Catalogue (copyright) | Licence | Source |",
                 "|---|---|---|---|---|"]
        for r in by:
            lines.append(f"| {r['name']} (`{r['asset_id']}`) | {r['creator']} | {r['catalogue']} "
                         f"({r['copyright']}) | [{r['licence']}]({r['licence_url']}) | {r['source']} |")
        if not by:
            lines.append("| (none) | | | | |")
        if cc0:
            lines += ["", "## Public-domain (CC0) models, credited as a courtesy", ""]
            lines += [f"- {r['name']} (`{r['asset_id']}`) by {r['creator']}, {r['source']}" for r in cc0]
        n_param = sum(r["catalogue"] == "parametric" for r in rows)
        if n_param:
            lines += ["", f"{n_param} procedurally generated model(s) from SIMS-VSI "
                          "(builder/assets/parametric.py), no attribution required."]
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        os.replace(tmp, out)
        return out


@functools.lru_cache(maxsize=1)
def default_catalog() -> AssetCatalog:
    """Process-wide catalogue built from the default folders (created on first call)."""
    return AssetCatalog()


def mesh_bounds(mesh: Mesh) -> tuple[np.ndarray, np.ndarray]:
    """(min, max) corners of a mesh in its model frame."""
    pts = np.concatenate([p.positions for p in mesh.parts])
    return pts.min(0), pts.max(0)
