"""The house generator: floor plan, then furnishing, from one per-house random stream; the door
leaves (houses/doors.py) are hung between the two, from a stream of their own."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np

from builder.houses.doors import hang_leaves, leaf_rng
from builder.houses.floorplan import generate_floorplan
from builder.houses.furnish import Pick, RoomFurnisher, furnish_room
from builder.houses.rules import MAX_MODEL_REPEATS, SET_CATEGORIES
from builder.houses.spec import House

log = logging.getLogger(__name__)

MIN_ROOMS, MAX_ROOMS = 3, 8
MIN_OBJECTS, MAX_OBJECTS = 40, 64
"""Furniture pieces per house (doors, windows and the clutter stage's objects not counted)."""
MIN_PER_ROOM = 5
HOUSE_TRIES = 20
"""Whole-house resamples before giving up (a layout too cramped for 30 pieces is redrawn)."""
SEED_STAGE_HOUSE = 1
"""Stage tag in the seed sequence, so other stages (trajectories, QA) draw independent streams."""


def house_rng(seed: int, house_index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, house_index, SEED_STAGE_HOUSE]))


def asset_picker(catalog):
    """pick(category, rng, max_height=None, placement=None, uses=None) -> Pick or None. A
    category with one model or none widens to its sub-categories ("cabinet" takes kitchen and
    file cabinets), so houses do not repeat one model; the returned category is the model's
    own. `uses` (asset id -> count in the house) drops models already used
    rules.MAX_MODEL_REPEATS times unless their category comes in sets."""

    def pick(category: str, rng: np.random.Generator, max_height: float | None = None, placement: str | None = None,
             uses: dict | None = None):
        entries = catalog.entries_for(category, placement=placement) or catalog.entries_for(category)
        if len(entries) < 2:
            entries = catalog.entries_for(category, fold=True, placement=placement) or entries
        entries = [e for e in entries if max_height is None or e.size_m[1] <= max_height]
        if uses:
            entries = [e for e in entries if e.category in SET_CATEGORIES
                       or uses.get(e.asset_id, 0) < MAX_MODEL_REPEATS]
        if not entries:
            return None
        e = entries[int(rng.integers(len(entries)))]
        size = tuple(float(v) for v in e.size_m)
        top = getattr(e, "top_m", size[1])
        return Pick(e.asset_id, size, e.category, float(getattr(e, "elevation_m", 0.0)),
                    None if top is None else float(top))

    return pick


def generate_house(house_index: int, seed: int, catalog, clutter: bool = True) -> House:
    """Generate house `house_index` of a corpus seeded by `seed` (deterministic); `clutter`
    adds the small objects of houses/clutter.py after each room's furniture."""
    rng = house_rng(seed, house_index)
    pick = asset_picker(catalog)
    # the room count is drawn once, so redraws for cramped layouts do not bias it downward
    n_rooms = int(rng.integers(MIN_ROOMS, MAX_ROOMS + 1))
    leaves = leaf_rng(seed, house_index)
    for attempt in range(HOUSE_TRIES):
        plan = generate_floorplan(n_rooms, rng, first_instance=1)
        plan = replace(plan, doors=hang_leaves(plan.doors, plan.walls, plan.rooms, leaves))
        target = int(rng.integers(MIN_OBJECTS, MAX_OBJECTS + 1))
        total_area = sum(r.area_m2 for r in plan.rooms)
        next_id = 1 + len(plan.doors) + len(plan.windows)
        walls_by_id = {w.id: w for w in plan.walls}
        furnishers, ok = [], True
        model_uses: dict[str, int] = {}
        for room in plan.rooms:
            f = RoomFurnisher(
                room=room,
                walls=[w for w in plan.walls if w.room_id == room.id],
                openings=[o for o in plan.doors + plan.windows if room.id in (o.room0, o.room1)],
                rng=rng,
                pick_asset=pick,
                next_instance=next_id,
                all_walls=walls_by_id,
                model_uses=model_uses,
            )
            quota = max(MIN_PER_ROOM, round(target * room.area_m2 / total_area))
            ok = furnish_room(f, min(quota, MAX_OBJECTS - sum(x.furniture_count for x in furnishers)), clutter=clutter)
            if not ok:
                break
            next_id = f.next_instance
            furnishers.append(f)
        objects = [p.obj for f in furnishers for p in f.placed]
        furniture = sum(f.furniture_count for f in furnishers)
        if ok and MIN_OBJECTS <= furniture <= MAX_OBJECTS:
            house = House(
                id=f"house_{house_index:06d}",
                seed=seed,
                wall_height=plan.walls[0].height,
                rooms=plan.rooms,
                walls=plan.walls,
                doors=plan.doors,
                windows=plan.windows,
                objects=objects,
                metadata={"generator": "simsv-procedural/3", "houseIndex": house_index, "attempts": attempt + 1,
                          "furniture": furniture, "clutter": len(objects) - furniture},
            )
            return house
        log.debug("house %d attempt %d: %d furniture pieces, resampling", house_index, attempt, furniture)
    raise ValueError(f"house {house_index}: no layout with {MIN_OBJECTS}-{MAX_OBJECTS} objects in {HOUSE_TRIES} tries")
