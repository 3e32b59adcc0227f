"""Pictures for people: a top-down map of a house (floor plan, objects, trajectory) and a
contact sheet of video frames. What the tests cannot judge (does furniture read as
furniture? is the tour sensible?) is judged by looking at these."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from builder.houses.spec import House, opening_segment

ROOM_COLOURS = {
    "LivingRoom": (236, 226, 204), "Kitchen": (214, 232, 214), "Bedroom": (214, 222, 240),
    "Bathroom": (208, 236, 238), "Office": (238, 220, 226), "DiningRoom": (240, 232, 212), "Hallway": (228, 228, 228),
}
MAP_PX_PER_M = 70
MAP_MARGIN_PX = 30


def draw_topdown(house: House, path_xz: np.ndarray | None = None, labels: bool = True) -> Image.Image:
    """Floor plan with rooms, walls, doors (green), windows (blue), object boxes with their
    categories, and an optional camera path (red, start marked)."""
    pts = np.array([p for r in house.rooms for p in r.polygon])
    lo, hi = pts.min(0), pts.max(0)
    size = ((hi - lo) * MAP_PX_PER_M + 2 * MAP_MARGIN_PX).astype(int)
    img = Image.new("RGB", (int(size[0]), int(size[1])), (255, 255, 255))
    d = ImageDraw.Draw(img)

    def px(x, z):
        # z grows downward on the image: the map is the house seen from above with +x right
        return (MAP_MARGIN_PX + (x - lo[0]) * MAP_PX_PER_M, MAP_MARGIN_PX + (z - lo[1]) * MAP_PX_PER_M)

    for r in house.rooms:
        d.polygon([px(*p) for p in r.polygon], fill=ROOM_COLOURS.get(r.room_type, (230, 230, 230)))
    for w in house.walls:
        d.line([px(*w.p0), px(*w.p1)], fill=(60, 60, 60), width=4)
    walls = {w.id: w for w in house.walls}
    for o in house.doors + house.windows:
        a, b = opening_segment(o, walls[o.wall0])
        d.line([px(*a), px(*b)], fill=(40, 170, 60) if o.kind == "door" else (60, 120, 230), width=6)
    for o in sorted(house.objects, key=lambda o: o.position[1]):
        d.polygon([px(*c) for c in o.footprint()], outline=(120, 70, 30), fill=(205, 170, 130))
    if labels:
        for o in house.objects:
            x, y = px(o.position[0], o.position[2])
            d.text((x - 3 * len(o.category), y - 5), o.category, fill=(20, 20, 20))
        for r in house.rooms:
            c = np.mean(r.polygon, axis=0)
            x, y = px(*c)
            d.text((x - 20, y + 12), f"{r.room_type} {r.area_m2:.1f} m2", fill=(90, 90, 90))
    if path_xz is not None and len(path_xz) > 1:
        d.line([px(*p) for p in path_xz], fill=(220, 30, 30), width=2)
        x, y = px(*path_xz[0])
        d.ellipse([x - 6, y - 6, x + 6, y + 6], outline=(220, 30, 30), width=3)
    return img


def contact_sheet(frames: list[np.ndarray], captions: list[str] | None = None, cols: int = 4, width_px: int = 340) -> Image.Image:
    """Frames (H, W, 3 uint8) scaled to `width_px` wide, laid out in a grid with captions."""
    if not frames:
        raise ValueError("contact sheet needs at least one frame")
    h, w = frames[0].shape[:2]
    th = int(round(h * width_px / w))
    rows = (len(frames) + cols - 1) // cols
    cap_h = 14 if captions else 0
    sheet = Image.new("RGB", (cols * width_px, rows * (th + cap_h)), (255, 255, 255))
    d = ImageDraw.Draw(sheet)
    for i, f in enumerate(frames):
        x, y = (i % cols) * width_px, (i // cols) * (th + cap_h)
        sheet.paste(Image.fromarray(f).resize((width_px, th), Image.BILINEAR), (x, y + cap_h))
        if captions:
            d.text((x + 3, y + 1), captions[i], fill=(0, 0, 0))
    return sheet
