"""Parametric fallback meshes built from boxes and cylinders, in the model frame of mesh.py.

Used for categories no Sweet Home 3D model covers (and available for any category listed in
PARAMETRIC). Every builder works for any size: the result is fitted exactly to the requested
(width, height, depth), bottom at y=0, centred in x/z, front towards +z.
"""

from __future__ import annotations

import math

import numpy as np

from .mesh import Mesh, MeshPart
from .objload import srgb_to_linear

_FACES = [  # (axis, sign) of each box face
    (0, 1), (0, -1), (1, 1), (1, -1), (2, 1), (2, -1)]


def _lin(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    return tuple(float(v) for v in srgb_to_linear(np.array(rgb) / 255.0))


def _box_soup(lo, hi) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    pos, nrm = [], []
    for axis, sign in _FACES:
        u, v = (axis + 1) % 3, (axis + 2) % 3
        if sign < 0:
            u, v = v, u  # keep counter-clockwise winding seen from outside
        q = []
        for cu, cv in ((0, 0), (1, 0), (1, 1), (0, 1)):
            p = np.where(sign > 0, hi, lo).astype(float)
            p[u] = (lo, hi)[cu][u]
            p[v] = (lo, hi)[cv][v]
            q.append(p)
        pos += [q[0], q[1], q[2], q[0], q[2], q[3]]
        n = np.zeros(3)
        n[axis] = sign
        nrm += [n] * 6
    return np.array(pos), np.array(nrm)


def _cylinder_soup(center, radius, length, axis=1, segments=24) -> tuple[np.ndarray, np.ndarray]:
    c = np.asarray(center, float)
    a = np.linspace(0, 2 * math.pi, segments + 1)
    u, v = (axis + 1) % 3, (axis + 2) % 3  # (u, v, axis) right-handed: outward winding
    ring = np.zeros((segments + 1, 3))
    ring[:, u], ring[:, v] = np.cos(a) * radius, np.sin(a) * radius
    top, bot = ring.copy(), ring.copy()
    top[:, axis], bot[:, axis] = length / 2, -length / 2
    pos, nrm = [], []
    axis_n = np.zeros(3)
    axis_n[axis] = 1
    for i in range(segments):
        n0, n1 = ring[i] / radius, ring[i + 1] / radius
        pos += [bot[i], bot[i + 1], top[i + 1], bot[i], top[i + 1], top[i]]
        nrm += [n0, n1, n1, n0, n1, n0]
        pos += [top[i], top[i + 1], np.where(axis_n > 0, length / 2, 0.0)]
        nrm += [axis_n] * 3
        pos += [bot[i + 1], bot[i], np.where(axis_n > 0, -length / 2, 0.0)]
        nrm += [-axis_n] * 3
    return np.array(pos) + c, np.array(nrm)


class _Builder:
    """Collects primitives grouped by colour (linear RGB), keeps first-use order."""

    def __init__(self):
        self.groups: dict[tuple, list] = {}

    def box(self, lo, hi, rgb):
        self.groups.setdefault(_lin(rgb), []).append(_box_soup(lo, hi))

    def cyl(self, center, radius, length, rgb, axis=1):
        self.groups.setdefault(_lin(rgb), []).append(_cylinder_soup(center, radius, length, axis))

    def mesh(self, size) -> Mesh:
        parts = [MeshPart(positions=np.concatenate([p for p, _ in g]).astype(np.float32),
                          normals=np.concatenate([n for _, n in g]).astype(np.float32), color=c)
                 for c, g in self.groups.items()]
        return fit_to_size(Mesh(parts=parts), size)


def fit_to_size(mesh: Mesh, size) -> Mesh:
    """Scale/translate so the bounding box is exactly `size`, bottom y=0, centred in x/z."""
    pts = np.concatenate([p.positions for p in mesh.parts]).astype(np.float64)
    lo, hi = pts.min(0), pts.max(0)
    ext = np.maximum(hi - lo, 1e-12)
    s = np.asarray(size, float) / ext
    off = np.array([(lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2])
    for p in mesh.parts:
        p.positions = ((p.positions - off) * s).astype(np.float32)
        n = p.normals / s  # inverse-transpose of a diagonal scale
        p.normals = (n / np.linalg.norm(n, axis=1, keepdims=True)).astype(np.float32)
    return mesh


def box_mesh(size, color=(0.5, 0.5, 0.5)) -> Mesh:
    """A single box of `size` (w, h, d) metres in the model frame; `color` is linear RGB."""
    w, h, d = size
    pos, nrm = _box_soup((-w / 2, 0, -d / 2), (w / 2, h, d / 2))
    return Mesh(parts=[MeshPart(positions=pos.astype(np.float32), normals=nrm.astype(np.float32),
                                color=tuple(float(c) for c in color))])


WHITE, STEEL, BLACK, DARK = (235, 235, 230), (185, 188, 190), (20, 20, 22), (60, 60, 64)
WOOD, GLASS = (120, 85, 55), (70, 90, 100)


def _screen(b, w, h, d, stand):
    sh = 0.12 * h if stand else 0.0
    b.box((-w / 2, sh, -d * 0.12), (w / 2, h, d * 0.12), DARK)
    b.box((-w * 0.47, sh + 0.04 * h, d * 0.12), (w * 0.47, h * 0.97, d * 0.14), BLACK)
    if stand:
        b.box((-0.03 * w, 0.02 * h, -0.05 * d), (0.03 * w, sh, 0.05 * d), DARK)
        b.box((-0.25 * w, 0, -d / 2), (0.25 * w, 0.02 * h, d / 2), DARK)


def _tv(b, w, h, d):
    _screen(b, w, h, d, True)


def _appliance_box(b, w, h, d, rgb=WHITE):
    b.box((-w / 2, 0, -d / 2), (w / 2, h, d * 0.45), rgb)


def _refrigerator(b, w, h, d):
    _appliance_box(b, w, h, d)
    b.box((-w / 2, 0.62 * h, d * 0.45), (w / 2, h, d * 0.47), WHITE)
    b.box((-w / 2, 0, d * 0.45), (w / 2, 0.615 * h, d * 0.47), WHITE)
    for y0, y1 in ((0.66 * h, 0.8 * h), (0.35 * h, 0.55 * h)):
        b.box((w * 0.36, y0, d * 0.47), (w * 0.4, y1, d / 2), STEEL)


def _washer(b, w, h, d):
    _appliance_box(b, w, h, d)
    b.box((-w / 2, 0.85 * h, d * 0.45), (w / 2, h, d * 0.47), STEEL)
    b.cyl((0, 0.45 * h, d * 0.47), 0.3 * min(w, h), d * 0.06, GLASS, axis=2)


def _dishwasher(b, w, h, d):
    _appliance_box(b, w, h, d, STEEL)
    b.box((-w / 2, 0.86 * h, d * 0.45), (w / 2, h, d * 0.47), DARK)
    b.box((-w * 0.35, 0.78 * h, d * 0.45), (w * 0.35, 0.8 * h, d / 2), DARK)


def _stove(b, w, h, d):
    _appliance_box(b, w, h * 0.95, d, STEEL)
    b.box((-w / 2, h * 0.93, -d / 2), (w / 2, h, -d * 0.4), STEEL)  # back panel
    b.box((-w * 0.4, 0.15 * h, d * 0.45), (w * 0.4, 0.6 * h, d * 0.47), BLACK)
    b.box((-w * 0.35, 0.66 * h, d * 0.45), (w * 0.35, 0.68 * h, d / 2), DARK)
    for x in (-0.22 * w, 0.22 * w):
        for z in (-0.15 * d, 0.2 * d):
            b.cyl((x, 0.955 * h, z), 0.1 * min(w, d), 0.01 * h, BLACK)


def _oven(b, w, h, d):
    _appliance_box(b, w, h, d, STEEL)
    b.box((-w * 0.42, 0.1 * h, d * 0.45), (w * 0.42, 0.75 * h, d * 0.47), BLACK)
    b.box((-w * 0.38, 0.8 * h, d * 0.45), (w * 0.38, 0.83 * h, d / 2), DARK)


def _microwave(b, w, h, d):
    _appliance_box(b, w, h, d, STEEL)
    b.box((-w * 0.45, 0.12 * h, d * 0.45), (w * 0.2, 0.88 * h, d / 2), BLACK)
    b.box((w * 0.25, 0.12 * h, d * 0.45), (w * 0.45, 0.88 * h, d * 0.47), DARK)


def _toilet(b, w, h, d):
    b.box((-w / 2, 0.5 * h, -d / 2), (w / 2, h, -d * 0.22), WHITE)  # tank
    b.cyl((0, 0.2 * h, d * 0.05), 0.3 * w, 0.4 * h, WHITE)  # pedestal
    b.cyl((0, 0.45 * h, d * 0.12), 0.5 * w * 0.98, 0.1 * h, WHITE)  # bowl rim
    b.cyl((0, 0.515 * h, d * 0.12), 0.5 * w * 0.95, 0.03 * h, (245, 245, 242))  # seat
    b.box((-w * 0.3, 0.45 * h, -d * 0.25), (w * 0.3, 0.5 * h, d * 0.1), WHITE)  # bowl to tank


def _bathtub(b, w, h, d):
    t = 0.06 * min(w, d)
    b.box((-w / 2, 0, -d / 2), (w / 2, 0.25 * h, d / 2), WHITE)
    walls = (((-w / 2, 0, -d / 2), (w / 2, h, -d / 2 + t)), ((-w / 2, 0, d / 2 - t), (w / 2, h, d / 2)),
             ((-w / 2, 0, -d / 2), (-w / 2 + t, h, d / 2)), ((w / 2 - t, 0, -d / 2), (w / 2, h, d / 2)))
    for lo, hi in walls:  # a hollow tub: bottom slab plus four walls
        b.box(lo, hi, WHITE)
    b.cyl((w / 2 - 2.5 * t, h * 0.97, -d / 2 + t), 0.015, 0.1 * h, STEEL)


def _sink(b, w, h, d):
    b.box((-w / 2, 0, -d / 2), (w / 2, 0.85 * h, d / 2), WOOD)  # cabinet
    b.box((-w / 2, 0.85 * h, -d / 2), (w / 2, 0.9 * h, d / 2), WHITE)  # counter
    b.box((-w * 0.35, 0.9 * h, -d * 0.25), (w * 0.35, 0.905 * h, d * 0.35), STEEL)  # basin
    b.box((-0.015, 0.9 * h, -d * 0.45), (0.015, h, -d * 0.38), STEEL)  # faucet


def _pillow(b, w, h, d):
    b.box((-w / 2, 0.15 * h, -d / 2), (w / 2, 0.85 * h, d / 2), (225, 220, 205))
    b.box((-w * 0.45, 0, -d * 0.45), (w * 0.45, h, d * 0.45), (225, 220, 205))


def _mirror(b, w, h, d):
    b.box((-w / 2, 0, -d / 2), (w / 2, h, d * 0.2), (90, 70, 50))
    b.box((-w * 0.45, 0.05 * h, d * 0.2), (w * 0.45, 0.95 * h, d / 2), (190, 205, 210))


def _rug(b, w, h, d):
    b.box((-w / 2, 0, -d / 2), (w / 2, h, d / 2), (150, 60, 50))
    b.box((-w * 0.4, 0, -d * 0.4), (w * 0.4, h * 1.01, d * 0.4), (200, 170, 120))


def _keyboard(b, w, h, d):
    b.box((-w / 2, 0, -d / 2), (w / 2, 0.6 * h, d / 2), DARK)
    for row in range(4):  # key rows as raised strips
        z0 = -d / 2 + d * (0.08 + 0.22 * row)
        b.box((-w * 0.46, 0.6 * h, z0), (w * 0.46, h, z0 + d * 0.17), (40, 40, 44))


def _mouse(b, w, h, d):
    b.box((-w / 2, 0, -d / 2), (w / 2, 0.55 * h, d / 2), (45, 45, 50))
    b.box((-w * 0.42, 0.55 * h, -d * 0.42), (w * 0.42, h, d * 0.4), (60, 60, 66))


def _tower(b, w, h, d):
    b.box((-w / 2, 0, -d / 2), (w / 2, h, d / 2), (35, 35, 38))
    b.box((-w * 0.4, 0.8 * h, d / 2 - 0.002), (w * 0.4, 0.9 * h, d / 2), (90, 90, 95))
    b.cyl((0, 0.7 * h, d / 2), 0.1 * w, 0.004, (120, 170, 220), axis=2)


def _power_strip(b, w, h, d):
    b.box((-w / 2, 0, -d / 2), (w / 2, 0.7 * h, d / 2), WHITE)
    for k in range(4):
        x = -w / 2 + w * (0.15 + 0.2 * k)
        b.box((x, 0.7 * h, -d * 0.25), (x + w * 0.1, h, d * 0.25), (200, 200, 195))
    b.box((w * 0.42, 0.7 * h, -d * 0.2), (w * 0.48, h, d * 0.2), (200, 40, 40))  # switch


def _heater(b, w, h, d):  # oil-filled radiator heater on feet
    fins = 7
    for k in range(fins):
        x0 = -w / 2 + k * w / fins
        b.box((x0 + 0.1 * w / fins, 0.08 * h, -d * 0.35), (x0 + 0.9 * w / fins, h, d * 0.35), (230, 230, 225))
    b.box((-w / 2, 0.08 * h, -d * 0.1), (w / 2, 0.9 * h, d * 0.1), (230, 230, 225))
    for x in (-0.35 * w, 0.35 * w):
        b.box((x - 0.02, 0, -d / 2), (x + 0.02, 0.08 * h, d / 2), DARK)


def _exhaust_fan(b, w, h, d):
    b.box((-w / 2, 0, -d / 2), (w / 2, h, d * 0.2), WHITE)
    for k in range(5):  # louvres
        y0 = h * (0.15 + 0.15 * k)
        b.box((-w * 0.4, y0, d * 0.2), (w * 0.4, y0 + 0.06 * h, d / 2), (210, 210, 205))


def _blanket(b, w, h, d):  # folded blanket: stacked slabs
    for k, c in enumerate(((150, 60, 60), (140, 55, 55), (160, 70, 65))):
        b.box((-w / 2, k * h / 3, -d / 2), (w / 2, (k + 1) * h / 3 * 0.98, d / 2), c)


def _cushion(b, w, h, d):
    b.box((-w / 2, 0.1 * h, -d / 2), (w / 2, 0.9 * h, d / 2), (70, 110, 150))
    b.box((-w * 0.44, 0, -d * 0.44), (w * 0.44, h, d * 0.44), (70, 110, 150))


def _bucket(b, w, h, d):
    b.cyl((0, h * 0.5, 0), 0.5 * min(w, d), h, (60, 120, 190))
    b.cyl((0, h * 0.99, 0), 0.5 * min(w, d) * 0.9, 0.02 * h, (30, 60, 95))


def _paper_bag(b, w, h, d):
    b.box((-w / 2, 0, -d / 2), (w / 2, h * 0.97, d / 2), (190, 150, 100))
    b.box((-w * 0.3, h * 0.97, -0.005), (w * 0.3, h, 0.005), (170, 130, 85))


def _shoe_rack(b, w, h, d):
    for y in (0.0, 0.45 * h, 0.9 * h):
        b.box((-w / 2, y, -d / 2), (w / 2, y + 0.1 * h, d / 2), WOOD)
    for x in (-w / 2, w / 2 - 0.03):
        b.box((x, 0, -d / 2), (x + 0.03, h, d / 2), WOOD)


def _mattress(b, w, h, d):
    b.box((-w / 2, 0, -d / 2), (w / 2, h, d / 2), (225, 225, 235))
    b.box((-w * 0.48, h * 0.45, d / 2 - 0.002), (w * 0.48, h * 0.55, d / 2), (180, 180, 200))


def _painting(size, variant: int) -> Mesh:
    """Framed canvas; the canvas carries a small procedural texture that differs per variant."""
    w, h, d = size
    # no fit_to_size here: the frame stops short of the front so the canvas is not coplanar
    fpos, fnrm = _box_soup((-w / 2, 0, -d / 2), (w / 2, h, d * 0.3))
    mesh = Mesh(parts=[MeshPart(positions=fpos.astype(np.float32), normals=fnrm.astype(np.float32),
                                color=_lin((40, 32, 25)))])
    rng = np.random.default_rng(variant)
    img = np.empty((48, 64, 3), np.uint8)
    img[:] = rng.integers(60, 230, 3)
    for _ in range(int(rng.integers(3, 7))):
        y0, x0 = rng.integers(0, 40), rng.integers(0, 56)
        img[y0:y0 + rng.integers(6, 30), x0:x0 + rng.integers(6, 40)] = rng.integers(0, 256, 3)
    pos, nrm = _box_soup((-w * 0.44, h * 0.07, d * 0.3), (w * 0.44, h * 0.93, d / 2))
    front = slice(24, 30)  # the +z face of _box_soup
    # OBJ/OpenGL uv convention (v=0 is the image's bottom row); white colour: texture shown as is
    uv = np.stack([(pos[front, 0] + w * 0.44) / (w * 0.88), (pos[front, 1] - h * 0.07) / (h * 0.86)], 1)
    mesh.parts.append(MeshPart(positions=pos[front].astype(np.float32), normals=nrm[front].astype(np.float32),
                               color=(1.0, 1.0, 1.0), uvs=uv.astype(np.float32), texture=img))
    return mesh


# category -> (default size (w, h, d) m, builder, name). Default sizes follow ProcTHOR's median
# AI2-THOR object sizes where one exists, else common real-world dimensions.
PARAMETRIC: dict[str, tuple[tuple[float, float, float], object, str]] = {
    "tv": ((1.12, 0.70, 0.25), _tv, "Flat TV"),
    "monitor": ((0.55, 0.45, 0.20), _tv, "Computer monitor"),
    "refrigerator": ((0.75, 1.80, 0.72), _refrigerator, "Refrigerator"),
    "washer": ((0.60, 0.85, 0.60), _washer, "Washing machine"),
    "clothes dryer": ((0.60, 0.85, 0.60), _washer, "Clothes dryer"),
    "dishwasher": ((0.60, 0.85, 0.60), _dishwasher, "Dishwasher"),
    "stove": ((0.76, 0.92, 0.66), _stove, "Stove"),
    "oven": ((0.60, 0.60, 0.56), _oven, "Built-in oven"),
    "microwave": ((0.50, 0.30, 0.38), _microwave, "Microwave"),
    "toilet": ((0.40, 0.78, 0.70), _toilet, "Toilet"),
    "bathtub": ((1.70, 0.55, 0.75), _bathtub, "Bathtub"),
    "sink": ((0.60, 0.90, 0.48), _sink, "Sink cabinet"),
    "pillow": ((0.50, 0.14, 0.35), _pillow, "Pillow"),
    "mirror": ((0.60, 0.80, 0.03), _mirror, "Wall mirror"),
    "rug": ((2.00, 0.01, 1.40), _rug, "Rug"),
    "painting": ((0.80, 0.60, 0.03), None, "Painting"),
    # clutter the catalogue has no model for (sizes: common retail dimensions)
    "keyboard": ((0.44, 0.03, 0.14), _keyboard, "Computer keyboard"),
    "computer mouse": ((0.065, 0.04, 0.11), _mouse, "Computer mouse"),
    "computer tower": ((0.20, 0.45, 0.45), _tower, "Computer tower"),
    "power strip": ((0.28, 0.04, 0.06), _power_strip, "Power strip"),
    "heater": ((0.60, 0.62, 0.26), _heater, "Oil heater"),
    "exhaust fan": ((0.25, 0.25, 0.06), _exhaust_fan, "Exhaust fan"),
    "blanket": ((0.50, 0.09, 0.40), _blanket, "Folded blanket"),
    "cushion": ((0.42, 0.14, 0.42), _cushion, "Cushion"),
    "bucket": ((0.28, 0.30, 0.28), _bucket, "Bucket"),
    "paper bag": ((0.28, 0.36, 0.17), _paper_bag, "Paper bag"),
    "shoe rack": ((0.80, 0.50, 0.30), _shoe_rack, "Shoe rack"),
    "mattress": ((0.90, 0.20, 1.90), _mattress, "Mattress"),
}
PAINTING_VARIANTS = 6


def build_parametric(category: str, size=None, variant: int = 0) -> Mesh:
    """Build the fallback mesh for `category` at `size` (default: PARAMETRIC's size)."""
    if category not in PARAMETRIC:
        raise KeyError(f"no parametric mesh for category {category!r}")
    default, builder, _ = PARAMETRIC[category]
    size = tuple(float(s) for s in (size or default))
    if category == "painting":
        return _painting(size, variant)
    b = _Builder()
    builder(b, *size)
    return b.mesh(size)
