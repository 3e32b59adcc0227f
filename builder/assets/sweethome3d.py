"""Read the Sweet Home 3D furniture catalogues (.sh3f zips) shipped by `sweethome3d-furniture`.

Only `PluginFurnitureCatalog.properties` and the per-model licence files are read here; OBJ
geometry is loaded on demand by `objload`. Nothing is extracted to disk.
"""

from __future__ import annotations

import logging
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .categories import EXCLUDED_SH3D_CATEGORIES, classify, entry_placements
from .entry import AssetEntry

log = logging.getLogger(__name__)

FURNITURE_DIR_ENV = "SIMSV_SH3D_DIR"
DEFAULT_FURNITURE_DIR = Path("/usr/share/sweethome3d/furniture")
APT_PACKAGE = "sweethome3d-furniture"
SH3D_SOURCE = "http://www.sweethome3d.com/importModels.jsp"


@dataclass(frozen=True)
class CatalogueInfo:
    name: str  # file stem, also the middle part of asset ids
    licence: str  # SPDX-style id
    licence_url: str
    holder: str  # copyright holder per /usr/share/doc/sweethome3d-furniture/copyright
    source: str  # where the models come from


# Licences as recorded in /usr/share/doc/sweethome3d-furniture/copyright (Reallusion is skipped:
# it only holds characters).
CATALOGUES: tuple[CatalogueInfo, ...] = (
    CatalogueInfo("BlendSwap-CC-0", "CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/",
                  "Blend Swap contributors; 2014 Emmanuel Puybaret / eTeks", "https://www.blendswap.com"),
    CatalogueInfo("BlendSwap-CC-BY", "CC-BY-3.0", "https://creativecommons.org/licenses/by/3.0/",
                  "The Blend Swap contributors", "https://www.blendswap.com"),
    CatalogueInfo("KatorLegaz", "CC-BY-3.0-US", "https://creativecommons.org/licenses/by/3.0/us/",
                  "2003-2008 Andrew Kator & Jennifer Legaz", "http://www.katorlegaz.com/3d_models/"),
    CatalogueInfo("Scopia", "CC-BY-3.0", "https://creativecommons.org/licenses/by/3.0/",
                  "2010-2012 Scopia Visual Interfaces Systems, s.l.", "http://www.scopia.es"),
)
CATALOGUE_BY_NAME = {c.name: c for c in CATALOGUES}

_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_BLENDSWAP_URL = re.compile(rb"https?://(?:www\.)?blendswap\.com/blends/view/(\d+)")


def furniture_dir(path: str | os.PathLike | None = None) -> Path:
    """The catalogue folder: `path`, else $SIMSV_SH3D_DIR, else the Debian install location."""
    return Path(path or os.environ.get(FURNITURE_DIR_ENV) or DEFAULT_FURNITURE_DIR)


def sh3f_path(folder: Path, catalogue: str) -> Path:
    """Path of one catalogue file; raises FileNotFoundError with an install hint if absent."""
    path = Path(folder) / f"{catalogue}.sh3f"
    if not path.is_file():
        raise FileNotFoundError(
            f"Sweet Home 3D furniture catalogue not found: {path}. Install the Debian package "
            f"`{APT_PACKAGE}` (apt-get install {APT_PACKAGE}) or point ${FURNITURE_DIR_ENV} at a "
            f"folder holding {', '.join(c.name + '.sh3f' for c in CATALOGUES)}.")
    return path


def _unescape(s: str) -> str:
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c != "\\" or i + 1 == len(s):
            out.append(c)
            i += 1
            continue
        n = s[i + 1]
        if n == "u" and i + 6 <= len(s):
            try:
                out.append(chr(int(s[i + 2:i + 6], 16)))
                i += 6
                continue
            except ValueError:
                pass
        out.append(_ESCAPES.get(n, n))
        i += 2
    return "".join(out)


def parse_properties(text: str) -> dict[str, str]:
    """Parse Java .properties text (comments, continuations, escapes, `=`/`:`/space separators)."""
    props: dict[str, str] = {}
    pending = ""
    for raw in text.splitlines():
        line = raw.lstrip(" \t\f")
        if not pending and (not line or line[0] in "#!"):
            continue
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2 == 1:  # odd backslashes: the logical line continues
            pending += line[:-1]
            continue
        line, pending = pending + line, ""
        i = 0
        while i < len(line) and line[i] not in "=: \t\f":
            i += 2 if line[i] == "\\" else 1
        key = line[:i]
        rest = line[i:].lstrip(" \t\f")
        if rest[:1] in ("=", ":"):
            rest = rest[1:].lstrip(" \t\f")
        props[_unescape(key)] = _unescape(rest)
    return props


def _float(props: dict[str, str], key: str, default: float | None = None) -> float | None:
    try:
        return float(props[key])
    except (KeyError, ValueError):
        return default


def _source_url(zf: zipfile.ZipFile, names_by_dir: dict[str, list[str]], model_dir: str,
                cat: CatalogueInfo) -> str:
    """The Blend Swap page named in the model's own licence file, else the catalogue source."""
    for name in names_by_dir.get(model_dir, ()):
        if "license" in name.rsplit("/", 1)[-1].lower():
            m = _BLENDSWAP_URL.search(zf.read(name))
            if m:
                return f"https://www.blendswap.com/blends/view/{m.group(1).decode()}"
    return cat.source if cat.name.startswith("BlendSwap") else SH3D_SOURCE


def _rotation(text: str | None) -> tuple[float, ...] | None:
    if not text:
        return None
    vals = tuple(float(v) for v in text.split())
    if len(vals) != 9:
        raise ValueError(f"modelRotation needs 9 numbers, got {text!r}")
    return None if vals == (1, 0, 0, 0, 1, 0, 0, 0, 1) else vals


def iter_catalogue(folder: Path, cat: CatalogueInfo, stats: dict[str, int] | None = None
                   ) -> Iterator[AssetEntry]:
    """Yield the mapped entries of one catalogue, in catalogue order."""
    stats = stats if stats is not None else {}
    with zipfile.ZipFile(sh3f_path(folder, cat.name)) as zf:
        props = parse_properties(zf.read("PluginFurnitureCatalog.properties").decode("latin-1"))
        names_by_dir: dict[str, list[str]] = {}
        for name in zf.namelist():
            names_by_dir.setdefault(name.rsplit("/", 1)[0], []).append(name)
        indices = sorted(int(k[3:]) for k in props if k.startswith("id#") and k[3:].isdigit())
        for i in indices:
            p = {k: props.get(f"{k}#{i}", "") for k in (
                "name", "category", "tags", "model", "creator", "doorOrWindow", "modelRotation")}
            stats["total"] = stats.get("total", 0) + 1
            if p["category"] in EXCLUDED_SH3D_CATEGORIES or p["doorOrWindow"] == "true" \
                    or f"staircaseCutOutShape#{i}" in props:
                stats["excluded_sh3d_category"] = stats.get("excluded_sh3d_category", 0) + 1
                continue
            w, d, h = (_float(props, f"{k}#{i}") for k in ("width", "depth", "height"))
            if not p["model"].lower().endswith(".obj") or None in (w, d, h):
                stats["unusable"] = stats.get("unusable", 0) + 1
                continue
            tags = tuple(t.strip() for t in p["tags"].split(",") if t.strip())
            size = (round(w / 100.0, 6), round(h / 100.0, 6), round(d / 100.0, 6))  # cm -> m
            elevation = round((_float(props, f"elevation#{i}", 0.0) or 0.0) / 100.0, 6)
            category = classify(p["name"], tags, p["category"], size, elevation)
            if category is None:
                stats["unmapped"] = stats.get("unmapped", 0) + 1
                continue
            model = p["model"].lstrip("/")
            model_dir = model.rsplit("/", 1)[0]
            drop = _float(props, f"dropOnTopElevation#{i}")
            top = size[1] if drop is None else (None if drop < 0 else round(drop / 100.0, 6))
            stats["mapped"] = stats.get("mapped", 0) + 1
            yield AssetEntry(
                asset_id=f"sh3d/{cat.name}/{model_dir.rsplit('/', 1)[-1]}",
                category=category, name=p["name"], size_m=size, licence=cat.licence,
                creator=p["creator"] or cat.holder,
                source=_source_url(zf, names_by_dir, model_dir, cat),
                catalogue=cat.name, elevation_m=elevation, top_m=top, model_path=model,
                model_rotation=_rotation(p["modelRotation"]), sh3d_category=p["category"], tags=tags,
                placements=entry_placements(category, size, elevation))


def iter_entries(folder: str | os.PathLike | None = None, stats: dict[str, int] | None = None
                 ) -> Iterator[AssetEntry]:
    """Yield mapped entries of all four catalogues (all files are checked first)."""
    root = furniture_dir(folder)
    for cat in CATALOGUES:
        sh3f_path(root, cat.name)
    for cat in CATALOGUES:
        yield from iter_catalogue(root, cat, stats)
