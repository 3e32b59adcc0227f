"""Procedural, tileable surface textures (deterministic for a seed; (S, S, 3) uint8 sRGB).

Every pattern is built on a periodic lattice (plank/tile grids that divide the image,
FFT-filtered noise, which is periodic by construction), so the images tile seamlessly.
`repeat_m` says how many metres one copy of the image spans on a surface. The renderer
builds mipmaps when it uploads them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIZE = 256


@dataclass(frozen=True)
class SurfaceTexture:
    image: np.ndarray  # (S, S, 3) uint8 sRGB
    repeat_m: float  # metres covered by one tile of the image


def periodic_noise(rng: np.random.Generator, size: int, scale_px: float, stretch_y: float = 1.0) -> np.ndarray:
    """Smooth noise that wraps around both axes, normalised to zero mean and unit std.
    scale_px is the feature size in pixels; stretch_y > 1 elongates features along y."""
    white = rng.standard_normal((size, size))
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.fftfreq(size)[None, :]
    r2 = (fx * scale_px) ** 2 + (fy * scale_px * stretch_y) ** 2
    out = np.real(np.fft.ifft2(np.fft.fft2(white) * np.exp(-r2 * 4.0)))
    out -= out.mean()
    return out / (out.std() + 1e-12)


def _to_u8(rgb01: np.ndarray) -> np.ndarray:
    return np.clip(np.round(rgb01 * 255.0), 0, 255).astype(np.uint8)


def wood_planks(seed: int, size: int = SIZE, tone=(0.62, 0.45, 0.30)) -> SurfaceTexture:
    """Floor boards: 4 planks across, staggered butt joints, grain along the plank."""
    rng = np.random.default_rng(seed)
    n_planks, plank_w = 4, size // 4
    y, x = np.mgrid[0:size, 0:size]
    col = x // plank_w
    # Each plank column has 2 joints at random heights (wrapping), so boards have varied lengths.
    first = rng.integers(0, size, n_planks)
    joints = np.stack([first, (first + rng.integers(int(0.35 * size), int(0.65 * size), n_planks)) % size], 1)
    seg = np.zeros((size, size), int)
    for c in range(n_planks):
        m = col == c
        yy = y[m]
        a, b = np.sort(joints[c])
        seg[m] = ((yy >= a) & (yy < b)).astype(int) + 2 * c
    board_shade = rng.uniform(-0.10, 0.10, 2 * n_planks)[seg]
    grain = periodic_noise(rng, size, 2.0, stretch_y=12.0)  # long streaks along y (the board)
    fine = periodic_noise(rng, size, 1.0)
    phase = rng.uniform(0, 1, 2 * n_planks)[seg]  # each board its own figure
    rings = np.sin(2 * np.pi * (x / plank_w * 2.5 + phase + 0.6 * grain)) * 0.5 + 0.5
    v = 1.0 + board_shade + 0.06 * grain + 0.05 * rings + 0.02 * fine
    gap = (x % plank_w < 1) | np.isin(y, joints.ravel()) & (np.abs((y - joints[col, 0]) * (y - joints[col, 1])) == 0)
    v = np.where(gap, 0.45, v)
    rgb = np.asarray(tone)[None, None, :] * v[..., None]
    return SurfaceTexture(_to_u8(rgb), repeat_m=1.0)


def tiles(seed: int, size: int = SIZE, tone=(0.86, 0.85, 0.82), grout=(0.55, 0.54, 0.52), n: int = 4) -> SurfaceTexture:
    """Square ceramic tiles (n x n per image) with grout lines and slight per-tile shade."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size]
    step = size // n
    tile_id = (y // step) * n + (x // step)
    shade = rng.uniform(-0.04, 0.04, n * n)[tile_id]
    speck = periodic_noise(rng, size, 2.0) * 0.015
    edge = np.minimum(np.minimum(x % step, step - 1 - x % step), np.minimum(y % step, step - 1 - y % step))
    is_grout = edge < 2
    bevel = np.clip(edge / 4.0, 0, 1) * 0.05 - 0.05  # tile edges a bit darker
    face = np.asarray(tone)[None, None, :] * (1.0 + shade + speck + bevel)[..., None]
    rgb = np.where(is_grout[..., None], np.asarray(grout)[None, None, :], face)
    return SurfaceTexture(_to_u8(rgb), repeat_m=0.3 * n)


def carpet(seed: int, size: int = SIZE, tone=(0.45, 0.42, 0.48)) -> SurfaceTexture:
    """Short-pile carpet: fine fibre noise over soft mottling."""
    rng = np.random.default_rng(seed)
    fibre = rng.standard_normal((size, size))
    mottle = periodic_noise(rng, size, 12.0)
    v = 1.0 + 0.07 * fibre + 0.05 * mottle
    rgb = np.asarray(tone)[None, None, :] * v[..., None]
    return SurfaceTexture(_to_u8(rgb), repeat_m=0.8)


def plaster(seed: int, size: int = SIZE, tone=(0.93, 0.92, 0.90)) -> SurfaceTexture:
    """Painted plaster: low-contrast multi-octave noise, near white so a tint can colour it."""
    rng = np.random.default_rng(seed)
    v = 1.0 + 0.012 * periodic_noise(rng, size, 24.0) + 0.008 * periodic_noise(rng, size, 4.0)
    v += 0.006 * periodic_noise(rng, size, 1.0)
    rgb = np.asarray(tone)[None, None, :] * v[..., None]
    return SurfaceTexture(_to_u8(rgb), repeat_m=2.0)


# Floor material per room type (ProcTHOR room types).
_FLOOR_KIND = {
    "Kitchen": "tiles",
    "Bathroom": "tiles",
    "Bedroom": "carpet",
    "LivingRoom": "wood",
    "DiningRoom": "wood",
    "Office": "wood",
    "Hallway": "wood",
}

_WOOD_TONES = ((0.62, 0.45, 0.30), (0.72, 0.56, 0.38), (0.50, 0.34, 0.22), (0.78, 0.66, 0.50))
_TILE_TONES = {"Kitchen": ((0.84, 0.82, 0.76), (0.70, 0.70, 0.70), (0.80, 0.74, 0.66)),
               "Bathroom": ((0.92, 0.93, 0.94), (0.78, 0.86, 0.90), (0.86, 0.88, 0.86))}
_CARPET_TONES = ((0.45, 0.42, 0.48), (0.55, 0.50, 0.42), (0.40, 0.46, 0.50), (0.60, 0.56, 0.52))


def floor_kind(room_type: str) -> str:
    """"wood", "tiles" or "carpet"."""
    return _FLOOR_KIND.get(room_type, "wood")


def floor_texture(room_type: str, seed: int) -> SurfaceTexture:
    """The floor texture for a room type; the seed picks tone and layout."""
    rng = np.random.default_rng([seed, 7])
    kind = _FLOOR_KIND.get(room_type, "wood")
    if kind == "tiles":
        tones = _TILE_TONES.get(room_type, _TILE_TONES["Kitchen"])
        return tiles(seed, tone=tones[rng.integers(len(tones))], n=int(rng.choice([4, 8])))
    if kind == "carpet":
        return carpet(seed, tone=_CARPET_TONES[rng.integers(len(_CARPET_TONES))])
    return wood_planks(seed, tone=_WOOD_TONES[rng.integers(len(_WOOD_TONES))])


def wallpaper(seed: int, tone, size: int = SIZE) -> SurfaceTexture:
    """Wallpaper: stripes or a small diamond motif in a second shade of the tone, on paper fibre."""
    rng = np.random.default_rng([seed, 11])
    y, x = np.mgrid[0:size, 0:size] / size
    base = np.asarray(tone, np.float64)
    accent = np.clip(base * rng.uniform(0.72, 0.9) + rng.uniform(-0.06, 0.06, 3), 0, 1)
    kind = rng.integers(3)
    if kind == 0:  # stripes of two widths
        n = int(rng.choice([4, 6, 8]))
        m = ((x * n) % 1.0 < rng.uniform(0.3, 0.6)).astype(float)
    elif kind == 1:  # diamonds
        n = int(rng.choice([4, 8]))
        u, v = (x * n) % 1.0 - 0.5, (y * n) % 1.0 - 0.5
        m = (np.abs(u) + np.abs(v) < rng.uniform(0.18, 0.32)).astype(float)
    else:  # soft floral-like blotches on a grid of dots
        n = int(rng.choice([6, 8]))
        u, v = (x * n) % 1.0 - 0.5, (y * n + 0.5 * (np.floor(x * n) % 2)) % 1.0 - 0.5
        m = np.clip(1.5 - 6.0 * np.sqrt(u * u + v * v) + 0.3 * periodic_noise(rng, size, 3.0), 0, 1)
    fibre = 1.0 + 0.015 * periodic_noise(rng, size, 1.5)
    rgb = (base[None, None] * (1 - m[..., None]) + accent[None, None] * m[..., None]) * fibre[..., None]
    return SurfaceTexture(_to_u8(rgb), repeat_m=0.6)


def painting(seed: int, size: int = 256) -> np.ndarray:
    """An image-like picture for frames and posters: a landscape (sky, sun, layered hills) or
    an abstract of colour fields; (S, S, 3) uint8 sRGB."""
    rng = np.random.default_rng([seed, 13])
    y, x = np.mgrid[0:size, 0:size] / size
    if rng.random() < 0.6:
        top, horizon = rng.uniform(0.2, 0.7, 3), rng.uniform(0.6, 1.0, 3)
        img = top[None, None] * (1 - y[..., None]) ** 0.5 + horizon[None, None] * (y[..., None] ** 0.5) * 0.6
        sx, sy, sr = rng.uniform(0.2, 0.8), rng.uniform(0.15, 0.4), rng.uniform(0.04, 0.09)
        sun = np.clip(1.0 - np.hypot(x - sx, y - sy) / sr, 0, 1) ** 0.3
        img = img * (1 - sun[..., None]) + rng.uniform(0.85, 1.0, 3)[None, None] * sun[..., None]
        for layer in range(int(rng.integers(2, 5))):
            h = 0.45 + 0.12 * layer + 0.06 * np.sin(x * rng.uniform(4, 12) + rng.uniform(0, 6))
            h += 0.02 * periodic_noise(rng, size, 6.0)[0][None, :]
            col = rng.uniform(0.1, 0.6, 3) * (0.9 - 0.15 * layer)
            img = np.where((y > h)[..., None], col[None, None] * (1 + 0.08 * periodic_noise(rng, size, 2.0))[..., None], img)
    else:
        img = np.broadcast_to(rng.uniform(0.6, 0.95, 3), (size, size, 3)).copy()
        for _ in range(int(rng.integers(3, 7))):
            x0, y0 = rng.uniform(0, 0.8, 2)
            w, h = rng.uniform(0.1, 0.5, 2)
            m = (x > x0) & (x < x0 + w) & (y > y0) & (y < y0 + h)
            img[m] = rng.uniform(0.05, 0.95, 3)
        img *= (1 + 0.04 * periodic_noise(rng, size, 2.0))[..., None]
    return _to_u8(img)


def paint_colour(rng: np.random.Generator) -> tuple[float, float, float]:
    """A wall paint (linear RGB): mostly light neutrals and pastels, sometimes a stronger colour."""
    import colorsys

    hue = rng.uniform(0, 1)
    strong = rng.random() < 0.2
    sat = rng.uniform(0.25, 0.55) if strong else rng.uniform(0.03, 0.22)
    val = rng.uniform(0.55, 0.8) if strong else rng.uniform(0.78, 0.96)
    srgb = np.array(colorsys.hsv_to_rgb(hue, sat, val))
    lin = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    return tuple(float(c) for c in lin / 0.85)  # the plaster texture is ~0.85 in linear terms
