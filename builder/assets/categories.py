"""Canonical object categories: names close to ScanNet / VSI-Bench, room types, placement hints.

Fine categories (e.g. "armchair", "coffee table") are kept; `SUPER_CATEGORY` folds them to the
coarse name a question would use ("chair", "table"). `classify` maps a Sweet Home 3D model
(name, tags, SH3D category, size) to a fine category, or None to leave the model out.
Room lists were curated from the SH3D category field and ProcTHOR's placement-annotations.json
(rooms where ProcTHOR marks the type as common); `procthor_type` names the matching AI2-THOR type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROOM_TYPES = ("Kitchen", "LivingRoom", "Bedroom", "Bathroom", "Office")
K, L, B, BA, O = ROOM_TYPES
ALL_ROOMS = ROOM_TYPES

# Placement hints. Floor pieces: "wall" (back against a wall), "corner", "middle" (free-standing).
# "on_surface": stands on a support's top (see CategoryInfo.support, AssetEntry.top_m).
# "wall_mounted": hung on a wall at AssetEntry.elevation_m (or a chosen height).
# "ceiling": hangs from the ceiling; its top touches the ceiling.
PLACEMENTS = ("wall", "corner", "middle", "on_surface", "wall_mounted", "ceiling")

EXCLUDED_SH3D_CATEGORIES = frozenset(
    {"Exterior", "Vehicles", "Characters", "Doors and windows", "Staircases"})


@dataclass(frozen=True)
class CategoryInfo:
    name: str
    super_category: str
    rooms: tuple[str, ...]
    placements: tuple[str, ...]  # in order of preference
    procthor_type: str | None = None
    support: bool = False  # small objects may be placed on its top


def _c(name, sup, rooms, placements, procthor=None, support=False):
    return CategoryInfo(name, sup or name, tuple(rooms), tuple(placements.split()), procthor, support)


_TABLE = [
    # furniture: sleeping and storage
    _c("bed", None, [B], "wall corner", "Bed", True),
    _c("crib", "bed", [B], "wall corner"),
    _c("nightstand", None, [B], "wall", "SideTable", True),
    _c("wardrobe", None, [B], "wall"),
    _c("dresser", None, [B, L], "wall", "Dresser", True),
    _c("bookshelf", None, [L, B, O], "wall", "ShelvingUnit", True),
    _c("cabinet", None, [L, B, O, BA, K], "wall", "Dresser", True),
    _c("kitchen cabinet", "cabinet", [K], "wall", "CounterTop", True),
    _c("wall cabinet", "cabinet", [K], "wall_mounted"),
    _c("kitchen island", "cabinet", [K], "middle", "CounterTop", True),
    _c("file cabinet", "cabinet", [O], "wall corner", None, True),
    _c("tv stand", None, [L, B], "wall", "TVStand", True),
    # seating
    _c("chair", None, [K, L, B, O], "middle wall", "Chair"),
    _c("armchair", "chair", [L, B], "corner wall middle", "ArmChair"),
    _c("office chair", "chair", [O, B], "middle", "Chair"),
    _c("stool", None, [K, L], "middle", "Stool"),
    _c("sofa", None, [L], "wall middle", "Sofa"),
    _c("bench", None, [L, B], "wall"),
    _c("ottoman", None, [L, B], "middle", "Ottoman"),
    # tables
    _c("table", None, [L, K, B], "middle wall", "SideTable", True),
    _c("dining table", "table", [K, L], "middle", "DiningTable", True),
    _c("coffee table", "table", [L], "middle", "CoffeeTable", True),
    _c("desk", None, [O, B], "wall", "Desk", True),
    # kitchen and laundry appliances
    _c("refrigerator", None, [K], "wall corner", "Fridge"),
    _c("stove", None, [K], "wall"),
    _c("cooktop", "stove", [K], "on_surface"),
    _c("oven", None, [K], "wall"),
    _c("microwave", None, [K], "on_surface", "Microwave"),
    _c("range hood", None, [K], "wall_mounted"),
    _c("dishwasher", None, [K], "wall"),
    _c("washer", None, [BA, K], "wall", "WashingMachine", True),
    _c("clothes dryer", None, [BA, K], "wall", "ClothesDryer", True),
    _c("kettle", None, [K], "on_surface", "Kettle"),
    _c("coffee maker", None, [K], "on_surface", "CoffeeMachine"),
    _c("toaster", None, [K], "on_surface", "Toaster"),
    # bathroom
    _c("toilet", None, [BA], "wall", "Toilet"),
    _c("sink", None, [BA], "wall", "Sink"),
    _c("kitchen sink", "sink", [K], "wall", "Sink"),
    _c("bathroom vanity", "sink", [BA], "wall", "Sink"),
    _c("bathtub", None, [BA], "wall corner"),
    _c("shower", None, [BA], "corner wall"),
    _c("shower curtain", None, [BA], "wall", "ShowerCurtain"),
    _c("shower head", None, [BA], "wall_mounted", "ShowerHead"),
    _c("towel", None, [BA, K], "wall_mounted on_surface", "Towel"),
    _c("towel rack", None, [BA], "wall_mounted", "TowelHolder"),
    _c("laundry basket", None, [BA, B], "corner", "LaundryHamper"),
    # electronics
    _c("tv", None, [L, B], "on_surface wall_mounted", "Television"),
    _c("monitor", None, [O, B], "on_surface"),
    _c("computer", None, [O], "on_surface", "Desktop"),
    _c("laptop", None, [O, B, L], "on_surface", "Laptop"),
    _c("printer", None, [O], "on_surface"),
    _c("speaker", None, [L], "on_surface corner"),
    # lights and fans
    _c("table lamp", "lamp", [L, B, O], "on_surface", "DeskLamp"),
    _c("floor lamp", "lamp", [L, B, O], "corner", "FloorLamp"),
    _c("desk lamp", "lamp", [O, B], "on_surface", "DeskLamp"),
    _c("ceiling lamp", "lamp", ALL_ROOMS, "ceiling"),
    _c("wall lamp", "lamp", [L, B, BA], "wall_mounted"),
    _c("ceiling fan", "fan", [L, B], "ceiling"),
    _c("fan", None, [B, O, L], "on_surface corner"),
    # decoration and small objects
    _c("plant", None, [L, B, O, K], "corner on_surface", "HousePlant"),
    _c("vase", None, [L, K, B], "on_surface", "Vase"),
    _c("picture frame", "picture", [L, B, O], "on_surface"),
    _c("painting", "picture", [L, B, O], "wall_mounted", "Painting"),
    _c("mirror", None, [BA, B], "wall_mounted"),
    _c("clock", None, [L, K, B, O], "wall_mounted on_surface", "AlarmClock"),
    _c("rug", None, [L, B, BA], "middle"),
    _c("curtain", None, [L, B], "wall_mounted"),
    _c("pillow", None, [B, L], "on_surface", "Pillow"),
    _c("book", None, [L, B, O], "on_surface", "Book"),
    _c("box", None, [B, O, L], "corner on_surface", "Box"),
    _c("backpack", None, [B, O], "corner"),
    _c("suitcase", None, [B], "corner wall"),
    _c("trash can", None, [K, BA, O, B, L], "corner", "GarbageCan"),
    _c("radiator", None, ALL_ROOMS, "wall"),
    _c("fireplace", None, [L], "wall"),
    _c("piano", None, [L], "wall corner"),
    _c("guitar", None, [L, B], "corner wall"),
    _c("whiteboard", None, [O], "wall"),
    _c("air conditioner", None, [L, B, O], "wall_mounted"),
    # clutter: small things people leave on surfaces and floors (VSI-Bench's vocabulary)
    _c("trash bin", None, [O, BA, B, L], "corner", "GarbageCan"),
    _c("coat hanger", None, [B, L, O], "wall_mounted"),
    _c("headphones", None, [O, B], "on_surface"),
    _c("telephone", None, [O, L, B], "on_surface"),
    _c("crate", None, [K, O], "corner wall"),
    _c("pan", None, [K], "on_surface", "Pan"),
    _c("cutting board", None, [K], "on_surface"),
    _c("shoes", None, [B, L], "wall"),
    _c("handbag", "bag", [B, L], "on_surface wall"),
    _c("basket", None, [K, L, B], "corner"),
    _c("keyboard", None, [O, B], "on_surface"),
    _c("computer mouse", None, [O, B], "on_surface"),
    _c("computer tower", None, [O, B], "wall"),
    _c("power strip", None, [O, B, L], "wall"),
    _c("heater", None, [O, B, L, BA], "wall"),
    _c("exhaust fan", None, [BA, K], "wall_mounted"),
    _c("blanket", None, [B, L], "on_surface"),
    _c("cushion", None, [L], "on_surface"),
    _c("bucket", None, [BA, K], "corner"),
    _c("paper bag", None, [K, L, O], "wall"),
    _c("shoe rack", None, [L, B], "wall"),
    _c("mattress", None, [B, O], "wall"),
    _c("cup", None, [K], "on_surface", "Cup"),
    _c("bowl", None, [K, L], "on_surface", "Bowl"),
    _c("bottle", None, [K], "on_surface", "WineBottle"),
    _c("plate", None, [K], "on_surface", "Plate"),
]
CATEGORIES: dict[str, CategoryInfo] = {c.name: c for c in _TABLE}
SUPER_CATEGORY: dict[str, str] = {c.name: c.super_category for c in _TABLE}

# Other names people (and VSI-Bench / ScanNet labels) use for a category.
SYNONYMS: dict[str, str] = {
    "couch": "sofa", "settee": "sofa", "television": "tv", "tv monitor": "tv", "fridge": "refrigerator",
    "bookcase": "bookshelf", "shelf": "bookshelf", "shelves": "bookshelf", "shelving unit": "bookshelf",
    "night stand": "nightstand", "bedside table": "nightstand", "side table": "nightstand",
    "end table": "nightstand", "closet": "wardrobe", "chest of drawers": "dresser", "cupboard": "cabinet",
    "trashcan": "trash can", "garbage can": "trash can", "dustbin": "trash bin", "bin": "trash bin",
    "washing machine": "washer", "dryer": "clothes dryer", "cooker": "stove", "range": "stove",
    "hob": "cooktop", "microwave oven": "microwave", "bath": "bathtub", "tub": "bathtub",
    "washbasin": "sink", "basin": "sink", "vanity": "bathroom vanity", "wc": "toilet",
    "houseplant": "plant", "potted plant": "plant", "flowers": "plant", "picture": "painting",
    "poster": "painting", "carpet": "rug", "mat": "rug", "bar stool": "stool",
    "footstool": "ottoman", "pouf": "ottoman", "bedside lamp": "table lamp", "standing lamp": "floor lamp",
    "kitchen counter": "kitchen cabinet", "counter": "kitchen cabinet", "countertop": "kitchen cabinet",
    "sideboard": "cabinet", "storage cabinet": "cabinet", "filing cabinet": "file cabinet",
    "hamper": "laundry basket", "laundry hamper": "laundry basket", "coat rack": "coat hanger",
    "phone": "telephone", "mouse": "computer mouse", "chopping board": "cutting board", "space heater": "heater", "computer monitor": "monitor",
    "screen": "monitor", "mug": "cup", "glass": "cup", "coffee machine": "coffee maker",
    "refrigerator freezer": "refrigerator", "wall clock": "clock", "alarm clock": "clock",
}


def canonical(name: str) -> str:
    """Fine category for a category name or synonym (lower-cased); unknown names pass through."""
    key = " ".join(name.lower().replace("_", " ").split())
    return key if key in CATEGORIES else SYNONYMS.get(key, key)


def super_category(name: str) -> str:
    fine = canonical(name)
    return SUPER_CATEGORY.get(fine, fine)


def categories_for_room(room: str) -> list[str]:
    return [c.name for c in _TABLE if room in c.rooms]


def entry_placements(category: str, size_m, elevation_m: float = 0.0) -> tuple[str, ...]:
    """A model's placements: its category's, narrowed where the model itself tells (a clock
    hung at 1 m is wall mounted, an alarm clock stands on a surface; small plants go on tables)."""
    base = CATEGORIES[category].placements
    if "wall_mounted" in base and "on_surface" in base:
        return ("wall_mounted",) if elevation_m > 0.1 else ("on_surface",)
    if category == "plant":
        return ("on_surface",) if size_m[1] < 0.45 else ("corner",)
    return base


# --- mapping Sweet Home 3D models ------------------------------------------------------------

# Ordered (regex on the lower-case name, category); first match wins; None rejects the model.
# Specific names come before generic ones ("bedside table" before "table").
_NAME_RULES: list[tuple[str, str | None]] = [
    (r"high chair|changing table|technical table|table tennis|football table|pool table"
     r"|abdominal bench|hospital bed|air mattress|opened convertible|chest freezer|small oven"
     r"|paper towel|shower door|toilet (brush|paper)|cup cake|plate, glass|remote control"
     r"|wheelchair|teapot|coffee press|contemporary living|propane stove|corner cabinet", None),
    (r"bedside table", "nightstand"),
    (r"dressing table|dresser", "dresser"),
    (r"coffee table", "coffee table"),
    (r"tv stand|television cabinet", "tv stand"),
    (r"^(tv|tv 16:9|wall flat tv)$", "tv"),
    (r"\bimac\b", "computer"),
    (r"laptop|\bibook\b", "laptop"),
    (r"printer", "printer"),
    (r"^speaker$", "speaker"),
    (r"ceiling fan", "ceiling fan"),
    (r"table fan", "fan"),
    (r"^(desk|desk table|wooden desk)$", "desk"),
    (r"bar chair|bar stool|^stool$", "stool"),
    (r"piano bench|^bench$", "bench"),
    (r"armchair", "armchair"),
    (r"^puff$", "ottoman"),
    (r"\bchair\b", "chair"),
    (r"sofa|couch", "sofa"),
    (r"baby bed|^crib$", "crib"),
    (r"\bbed$|^futon$", "bed"),
    (r"wardrobe|^cupboard$", "wardrobe"),
    (r"^chest$", "dresser"),
    (r"bookcase|shelves$", "bookshelf"),
    (r"upper .*cabinet|glass door cabinet", "wall cabinet"),
    (r"sink", "sink"),  # "kitchen sink" by the model's SH3D room, see classify
    (r"filing cabinet", "file cabinet"),
    (r"(drawers|lower|lower corner|small lower|high) cabinet", "kitchen cabinet"),
    (r"island bath|^bath$|bathtub", "bathtub"),
    (r"^island", "kitchen island"),
    (r"fridge|refrigerator", "refrigerator"),
    (r"cooktop|induction cooker", "cooktop"),
    (r"stove", "stove"),
    (r"\boven\b", "oven"),
    (r"microwave", "microwave"),
    (r"\bhood\b", "range hood"),
    (r"washing machine", "washer"),
    (r"dryer machine", "clothes dryer"),
    (r"kettle", "kettle"),
    (r"coffee (brewer|machine|maker)", "coffee maker"),
    (r"toaster", "toaster"),
    (r"^toilets? unit", "toilet"),
    (r"washbasin|lavatory", "sink"),
    (r"vanity", "bathroom vanity"),
    (r"shower curtain", "shower curtain"),
    (r"shower head", "shower head"),
    (r"shower stall", "shower"),
    (r"towel rack", "towel rack"),
    (r"^towel$", "towel"),
    (r"clothes basket", "laundry basket"),
    (r"^(plant|decorative plant|indoor plant|little plant|ficus|bonsai tree|cactus|bamboo|yucca"
     r"|spathiphyllum|spider plant|succulent plant|orchids|flowers|tulips|white lily)$", "plant"),
    (r"^vase$", "vase"),
    (r"^frame\b", "picture frame"),
    (r"clock", "clock"),
    (r"bathmat|\brug\b|carpet|doormat", "rug"),
    (r"^curtain$", "curtain"),
    (r"^book$", "book"),
    (r"^(box|cardboard box|open cardboard box)$", "box"),
    (r"^backpack$", "backpack"),
    (r"^suitcase$", "suitcase"),
    (r"dustbin|recycling bin", "trash bin"),
    (r"trash can", "trash can"),
    (r"^headphones$", "headphones"),
    (r"^(phone|wireless phone)$", "telephone"),
    (r"^crate$", "crate"),
    (r"^large pan$", "pan"),
    (r"^chopping board$", "cutting board"),
    (r"^(sneakers|woman shoes|mocassin|slippers|bootie)$", "shoes"),
    (r"^(handbag|briefcase)$", "handbag"),
    (r"^shopping basket$", "basket"),
    (r"^wall hanger$", "coat hanger"),
    (r"radiator", "radiator"),
    (r"fireplace", "fireplace"),
    (r"piano", "piano"),
    (r"guitar", "guitar"),
    (r"white ?board", "whiteboard"),
    (r"air conditioning", "air conditioner"),
    (r"^(coffee cup|coffee mug|cup|plastic cup|glass|beer glass|cocktail glass)$", "cup"),
    (r"^bowl\b", "bowl"),
    (r"^(wine|beer) bottle$", "bottle"),
    (r"^(plate|oval plate)$", "plate"),
    (r"\btable\b", "table"),
]
_COMPILED = [(re.compile(p), c) for p, c in _NAME_RULES]
_LIGHT_REJECT = re.compile(r"candle|lantern|flashlight|camping|track|strip|spotlight|lamppost"
                           r"|park|porch|street|outdoor")


def _classify_light(name: str, tags: tuple[str, ...], size_m, elevation_m: float) -> str | None:
    if _LIGHT_REJECT.search(name) or "Outdoor" in tags:
        return None
    if re.search(r"\bwall\b", name):
        return "wall lamp"
    if re.search(r"ceiling|chandelier|hanging|pendant|fluorescent", name) or elevation_m >= 1.5:
        return "ceiling lamp"
    if "desk" in name:
        return "desk lamp"
    return "floor lamp" if size_m[1] >= 1.0 else "table lamp"


def classify(name: str, tags: tuple[str, ...], sh3d_category: str,
             size_m: tuple[float, float, float], elevation_m: float = 0.0) -> str | None:
    """Fine category of a Sweet Home 3D model, or None when it should not be used."""
    if sh3d_category in EXCLUDED_SH3D_CATEGORIES:
        return None
    n = " ".join(name.lower().split())
    if sh3d_category == "Lights":
        return _classify_light(n, tags, size_m, elevation_m)
    if sh3d_category == "Office" and n == "chair":
        return "office chair"
    if "Kettle" in tags:
        return "kettle"
    for pattern, category in _COMPILED:
        if pattern.search(n):
            break
    else:
        return None
    w, h, d = size_m
    if category == "box" and max(size_m) > 1.0:  # big "Box" entries are storage furniture units
        return "file cabinet" if sh3d_category == "Office" else "cabinet"
    if category == "table":
        if sh3d_category == "Office":
            return "desk"
        if "Dining" in tags or n in ("oak table", "glass table", "table with tablecloth") \
                or (0.65 <= h <= 0.85 and max(w, d) >= 1.0):
            return "dining table"
    if category == "sink" and sh3d_category == "Kitchen":
        return "kitchen sink"
    if category == "oven" and h < 0.9:
        return None  # a built-in oven box needs a housing we do not model; oven columns stand alone
    if category == "stove" and h < 0.2:
        return "cooktop"  # hob-only models are a few cm tall and sit on a counter
    return category
