"""Furniture assets: the Sweet Home 3D catalogue, parametric fallbacks, and the mesh type they share.

Names are resolved lazily so importing the package stays cheap:
`from builder.assets import default_catalog, AssetCatalog, AssetEntry, Mesh, MeshPart`.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "AssetCatalog": "catalog", "default_catalog": "catalog", "AssetEntry": "entry",
    "Mesh": "mesh", "MeshPart": "mesh", "box_mesh": "parametric", "build_parametric": "parametric",
    "canonical": "categories", "super_category": "categories", "CATEGORIES": "categories",
    "ROOM_TYPES": "categories",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
