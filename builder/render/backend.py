"""The rendering backend interface: what capture needs from a renderer, whichever draws the frames.

A backend is loaded with one house at a time and renders camera-to-world poses (OpenGL camera
frame, our world frame) into `RenderedFrame`s: RGB, our instance ids, metric z-depth. Capture,
annotation, masks and QA only ever see those, so every backend yields the same file formats.

- `embedded` (default): our moderngl renderer (render/renderer.py), on Mesa or an NVIDIA EGL device.
- `ai2thor`: AI2-THOR's Unity build through CloudRendering (render/thor_backend.py).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from builder.capture.camera import Intrinsics
from builder.config import BACKENDS
from builder.houses.spec import House
from builder.render.renderer import RenderedFrame


class RenderBackend(Protocol):
    renderer_string: str  # what drew the frames, for logs and provenance

    def load_house(self, house: House) -> None: ...

    # optional: `begin_sequence(seed, fps)` before each video (camera effects with memory)

    def render(self, cam_to_world: np.ndarray) -> RenderedFrame: ...

    def close(self) -> None: ...


class EmbeddedBackend:
    """Our renderer, with a house turned into drawables from the asset catalogue."""

    def __init__(self, intrinsics: Intrinsics, catalog, render_config=None):
        from builder.render.renderer import Renderer

        self.catalog = catalog
        self.renderer = Renderer(intrinsics, config=render_config)
        self.renderer_string = self.renderer.renderer_string

    def load_house(self, house: House) -> None:
        from builder.render.scene import build_scene

        self.renderer.load(*build_scene(house, self.catalog.load_mesh))

    def begin_sequence(self, seed: int, fps: float) -> None:
        self.renderer.begin_sequence(seed, fps)

    def render(self, cam_to_world: np.ndarray) -> RenderedFrame:
        return self.renderer.render(cam_to_world)

    def close(self) -> None:
        self.renderer.close()


def make_backend(name: str, intrinsics: Intrinsics, catalog, render_config=None) -> RenderBackend:
    if name == "embedded":
        return EmbeddedBackend(intrinsics, catalog, render_config)
    if name == "ai2thor":
        from builder.render.thor_backend import ThorBackend

        return ThorBackend(intrinsics)
    raise ValueError(f"unknown rendering backend '{name}' (known: {', '.join(BACKENDS)})")
