"""What furnishes each room type: required pieces and groups first, optional ones after.

Categories are the canonical names of `builder.assets.categories`; object types are the
AI2-THOR / ProcTHOR objectType each category is exported as.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Item:
    category: str  # canonical category, or a group name for group placements
    placement: str  # wall | corner | middle | wall_mounted | on_surface | a GROUPS key
    required: bool = False


# Surfaces small items may stand on.
SUPPORTS = {"table", "dining table", "coffee table", "desk", "nightstand", "dresser", "cabinet", "kitchen cabinet", "kitchen island", "file cabinet", "tv stand", "bookshelf"}

OBJECT_TYPES = {
    "sofa": "Sofa", "armchair": "ArmChair", "chair": "Chair", "table": "DiningTable", "dining table": "DiningTable", "kitchen cabinet": "CounterTop", "coffee table": "CoffeeTable",
    "side table": "SideTable", "tv": "Television", "tv stand": "TVStand", "bed": "Bed", "nightstand": "SideTable",
    "dresser": "Dresser", "wardrobe": "Dresser", "desk": "Desk", "lamp": "FloorLamp", "plant": "HousePlant",
    "bookshelf": "ShelvingUnit", "cabinet": "ShelvingUnit", "refrigerator": "Fridge", "stove": "StoveBurner",
    "sink": "Sink", "kitchen counter": "CounterTop", "microwave": "Microwave", "toilet": "Toilet", "bathtub": "Bathtub",
    "washer": "WashingMachine", "trash can": "GarbageCan", "laptop": "Laptop", "monitor": "Desktop", "vase": "Vase",
    "clock": "Clock", "mirror": "Mirror", "painting": "Painting", "stool": "Stool", "kettle": "Kettle",
    "piano": "Piano", "fireplace": "Fireplace", "shower": "ShowerStall", "towel": "Towel", "pillow": "Pillow",
}


def object_type(category: str) -> str:
    return OBJECT_TYPES.get(category, "".join(w.capitalize() for w in category.split()))


ROOM_RECIPES: dict[str, list[Item]] = {
    "LivingRoom": [
        Item("sofa_set", "sofa_set", required=True),
        Item("armchair", "wall"), Item("bookshelf", "wall"), Item("plant", "corner"), Item("lamp", "corner"),
        Item("side table", "wall"), Item("painting", "wall_mounted"), Item("clock", "wall_mounted"),
        Item("vase", "on_surface"), Item("piano", "wall"), Item("fireplace", "wall"), Item("cabinet", "wall"),
        Item("trash can", "corner"),
    ],
    "Kitchen": [
        Item("refrigerator", "wall", required=True), Item("stove", "wall", required=True),
        Item("kitchen counter", "wall", required=True), Item("sink", "wall", required=True),
        Item("dining_set", "dining_set"),
        Item("microwave", "on_surface"), Item("kettle", "on_surface"), Item("trash can", "corner"),
        Item("cabinet", "wall"), Item("stool", "wall"), Item("plant", "corner"), Item("clock", "wall_mounted"),
        Item("washer", "wall"),
    ],
    "Bedroom": [
        Item("bed_set", "bed_set", required=True),
        Item("wardrobe", "wall"), Item("dresser", "wall"), Item("desk_set", "desk_set"), Item("lamp", "corner"),
        Item("plant", "corner"), Item("painting", "wall_mounted"), Item("mirror", "wall_mounted"),
        Item("trash can", "corner"), Item("chair", "wall"), Item("bookshelf", "wall"), Item("vase", "on_surface"),
    ],
    "Bathroom": [
        Item("toilet", "wall", required=True), Item("sink", "wall", required=True),
        Item("bathtub", "corner"), Item("mirror", "wall_mounted"), Item("trash can", "corner"),
        Item("washer", "wall"), Item("cabinet", "wall"), Item("towel", "wall_mounted"), Item("plant", "corner"),
    ],
    "Office": [
        Item("desk_set", "desk_set", required=True),
        Item("bookshelf", "wall"), Item("cabinet", "wall"), Item("plant", "corner"), Item("lamp", "corner"),
        Item("trash can", "corner"), Item("armchair", "wall"), Item("painting", "wall_mounted"), Item("clock", "wall_mounted"),
    ],
    "DiningRoom": [
        Item("dining_set", "dining_set", required=True),
        Item("cabinet", "wall"), Item("plant", "corner"), Item("lamp", "corner"), Item("painting", "wall_mounted"),
        Item("vase", "on_surface"), Item("side table", "wall"), Item("clock", "wall_mounted"),
    ],
}


# ---- furniture groups ------------------------------------------------------------------------


def sofa_set(f) -> list:
    """Sofa against a wall, coffee table in front, a TV on a stand facing the sofa."""
    sofa = f.against_wall("sofa")
    if sofa is None:
        return []
    out = [sofa]
    table = f.facing("coffee table", sofa, gap_m=0.45, back=False)
    out += [table] if table else []
    stand = f.facing("tv stand", sofa, gap_m=2.0 + (table.size[2] + 0.45 if table else 0.0))
    if stand is None:
        stand = f.against_wall("tv stand")
    if stand is not None:
        out.append(stand)
        tv = f.on_top("tv", stand)
        out += [tv] if tv else []
    if table is not None:
        vase = f.on_top("vase", table)
        out += [vase] if vase else []
    return out


def dining_set(f) -> list:
    """A table in the middle with chairs facing it on both long sides."""
    table = f.in_middle("dining table")
    if table is None:
        return []
    out = [table]
    n_side = 1 if table.size[0] < 1.3 else 2
    for side in (1.0, -1.0):
        for k in range(n_side):
            chair = _chair_at(f, table, side, (k - (n_side - 1) / 2) * table.size[0] / n_side)
            out += [chair] if chair else []
    return out


def _chair_at(f, table, side: float, offset_u: float):
    got = f.sized("chair")
    if got is None:
        return None
    asset_id, size, category = got
    yaw_r = math.radians(table.yaw_deg)
    fwd = np.array([math.sin(yaw_r), math.cos(yaw_r)])
    right = np.array([math.cos(yaw_r), -math.sin(yaw_r)])
    c = np.array([table.position[0], table.position[2]]) + side * fwd * (table.size[2] / 2 + size[2] / 2 + 0.05) + right * offset_u
    yaw = table.yaw_deg + (180.0 if side > 0 else 0.0)
    return f.add(category, c, yaw, size, 0.0, asset_id)


def bed_set(f) -> list:
    """Bed with its head against a wall, a nightstand on each side, a lamp on one."""
    bed = f.against_wall("bed")
    if bed is None:
        return []
    out = [bed]
    for side in (1.0, -1.0):
        ns = f.beside("nightstand", bed, side)
        if ns is not None:
            out.append(ns)
    stands = [o for o in out if o.category == "nightstand"]
    if stands:
        lamp = f.on_top("lamp", stands[0])
        out += [lamp] if lamp else []
    return out


def desk_set(f) -> list:
    """Desk against a wall, a chair facing it, a laptop or monitor on it."""
    desk = f.against_wall("desk")
    if desk is None:
        return []
    out = [desk]
    chair = f.facing("chair", desk, gap_m=0.05)
    out += [chair] if chair else []
    device = f.on_top("laptop" if f.rng.random() < 0.5 else "monitor", desk)
    out += [device] if device else []
    return out


GROUPS = {"sofa_set": sofa_set, "dining_set": dining_set, "bed_set": bed_set, "desk_set": desk_set}
