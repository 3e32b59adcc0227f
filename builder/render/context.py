"""Headless OpenGL through EGL: Mesa llvmpipe on CPU hosts, the NVIDIA EGL device on GPU hosts.

No X server or display is needed. `SIMSV_EGL_DEVICE` (or `device_index`) picks an EGL device
by its eglQueryDevicesEXT index; without it glcontext takes device 0.
"""

from __future__ import annotations

import ctypes.util
import logging
import os

log = logging.getLogger(__name__)

APT_LINE = "apt-get install -y libegl1 libgl1 libegl-mesa0 libgl1-mesa-dri"
ENV_DEVICE = "SIMSV_EGL_DEVICE"
GL_REQUIRE = 330  # GL 3.3 core: MRT, integer targets, texture arrays


def _missing_libs() -> list[str]:
    return [name for name in ("EGL", "GL") if ctypes.util.find_library(name) is None]


def _device_from_env(device_index: int | None) -> int | None:
    if device_index is not None:
        return int(device_index)
    raw = os.environ.get(ENV_DEVICE, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise RuntimeError(f"{ENV_DEVICE}={raw!r} is not an integer EGL device index") from None


def create_context(device_index: int | None = None):
    """A standalone moderngl context on EGL; RuntimeError with the apt line if EGL is missing."""
    import moderngl  # imported here so that importing this module never touches GL

    missing = _missing_libs()
    if missing:
        raise RuntimeError(
            f"headless rendering needs lib{'/lib'.join(missing)} (EGL + Mesa), not found on this system. "
            f"Install with:  sudo {APT_LINE}"
        )
    kwargs = {"backend": "egl", "require": GL_REQUIRE}
    idx = _device_from_env(device_index)
    if idx is not None:
        kwargs["device_index"] = idx
    try:
        ctx = moderngl.create_standalone_context(**kwargs)
    except Exception as e:  # glcontext raises bare Exception for a missing lib or device
        hint = f"Install EGL + Mesa with:  sudo {APT_LINE}"
        if idx is not None:
            hint += f"  (or check {ENV_DEVICE}={idx}: is that EGL device present?)"
        raise RuntimeError(f"could not create a headless EGL OpenGL context: {e}. {hint}") from e
    log.info("EGL context: %s (device %s)", gl_renderer(ctx), "default" if idx is None else idx)
    return ctx


def gl_renderer(ctx) -> str:
    """'renderer | version | vendor', e.g. 'llvmpipe (LLVM 15.0.6, 256 bits) | 4.5 (Core Profile) Mesa ...'."""
    info = ctx.info
    return f"{info.get('GL_RENDERER', '?')} | {info.get('GL_VERSION', '?')} | {info.get('GL_VENDOR', '?')}"


def is_software(renderer: str) -> bool:
    """True for Mesa's CPU rasterisers (llvmpipe, softpipe, swrast)."""
    r = renderer.lower()
    return any(k in r for k in ("llvmpipe", "softpipe", "swrast"))


if __name__ == "__main__":  # python -m builder.render.context : print what GL we get
    c = create_context()
    print(gl_renderer(c))
    c.release()
