"""`AssetEntry`: the catalogue's description of one loadable model."""

from __future__ import annotations

from dataclasses import dataclass

from .categories import SUPER_CATEGORY


@dataclass(frozen=True)
class AssetEntry:
    """One model. Sizes are metres in the model frame: (width x, height y, depth z)."""

    asset_id: str  # "sh3d/<catalogue>/<model dir>" or "parametric/<category>[/<variant>]"
    category: str  # fine canonical category (see categories.CATEGORIES)
    name: str  # human name from the catalogue
    size_m: tuple[float, float, float]
    licence: str  # SPDX-style: CC0-1.0, CC-BY-3.0, CC-BY-3.0-US
    creator: str
    source: str  # URL of the model's origin
    catalogue: str = ""  # .sh3f stem, or "parametric"
    elevation_m: float = 0.0  # Sweet Home 3D's default height of the bottom above the floor
    top_m: float | None = None  # height at which things can be put on it; None: nothing goes on top
    model_path: str = ""  # OBJ path inside the .sh3f zip ("" for parametric)
    model_rotation: tuple[float, ...] | None = None  # row-major 3x3 applied before normalising
    sh3d_category: str = ""
    tags: tuple[str, ...] = ()
    placements: tuple[str, ...] = ()  # see categories.PLACEMENTS, most suitable first

    @property
    def super_category(self) -> str:
        return SUPER_CATEGORY.get(self.category, self.category)

    @property
    def requires_attribution(self) -> bool:
        return self.licence.startswith("CC-BY")
