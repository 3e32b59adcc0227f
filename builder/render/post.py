"""Camera effects: the exposure that adapts along a video as a phone's does (metered here,
applied with white balance and the tone curve in the colour pass, shaders.FRAGMENT_BAKED), and
one full-screen GL pass for motion blur, defocus and sensor noise.

The pass reads the (resolved) colour and the exact depth of the ids pass, so blur follows the
true geometry; instance ids and depth are never touched. Noise comes from an integer hash of
(pixel, frame seed): the same seed gives the same bytes. It works in linear light, decoding
and re-encoding sRGB around the blur and noise.
"""

from __future__ import annotations

import math

import numpy as np

# Tone curve (Narkowicz's fit of the ACES film curve) and its inverse, for metering.
_A, _B, _C, _D, _E = 2.51, 0.03, 2.43, 0.59, 0.14
EXPOSURE_KEY = 0.16  # the log-average scene luminance is exposed to this (before the tone curve)
EXPOSURE_RANGE = (0.05, 40.0)
ADAPT_TIME_S = 0.45  # time constant of the exposure's adaptation
BLUR_TAPS = 8

VERTEX = """
#version 330
void main() {
    vec2 p = vec2(float((gl_VertexID & 1) << 2) - 1.0, float((gl_VertexID & 2) << 1) - 1.0);
    gl_Position = vec4(p, 0.0, 1.0);
}
"""

FRAGMENT = """
#version 330
#define TAPS TAPS_VALUE
uniform sampler2D u_hdr;
uniform sampler2D u_depth;
uniform mat4 u_reproj;  // this frame's clip space -> the previous frame's
uniform vec2 u_size;
uniform float u_shutter;
uniform float u_defocus;
uniform float u_noise;
uniform uint u_seed;
uniform vec2 u_disc[TAPS * TAPS];  // defocus tap k of n at [(n - 1) * TAPS + k]: golden-angle disc of radius 1
out vec4 f_color;

vec3 decode(vec3 t) { return t * t * (0.3 * t + 0.7); }  // sRGB decode within ~1/255

uint hash(uint x) {  // lowbias32 (Chris Wellons): integer only, identical on every device
    x ^= x >> 16; x *= 0x7feb352du; x ^= x >> 15; x *= 0x846ca68bu; x ^= x >> 16;
    return x;
}

vec3 to_srgb(vec3 c) {  // sRGB encode within ~0.2%, with square roots instead of pow() (as shaders.py)
    c = clamp(c, 0.0, 1.0);
    vec3 s1 = sqrt(c), s2 = sqrt(s1), s3 = sqrt(s2);
    return 0.662002687 * s1 + 0.684122060 * s2 - 0.323583601 * s3 - 0.0225411470 * c;
}

void main() {
    ivec2 px = ivec2(gl_FragCoord.xy);
    vec2 uv = gl_FragCoord.xy / u_size;
    vec3 c;
#if TAPS > 1
    float d = texelFetch(u_depth, px, 0).r;
    d = min(d, 0.99999);
    vec4 cur = vec4(uv * 2.0 - 1.0, d * 2.0 - 1.0, 1.0);
    vec4 prev = u_reproj * cur;
    vec2 motion = (cur.xy - prev.xy / prev.w) * 0.5 * u_size * u_shutter;  // pixels the shutter sweeps
    // as many taps as the sweep needs (one per 1.5 px, at most TAPS); four for the defocus disc
    int n = int(clamp(ceil(length(motion) / 1.5), 1.0, float(TAPS)));
    if (u_defocus > 0.0) n = max(n, 4);
    c = vec3(0.0);
    for (int k = 0; k < n; k++) {
        float t = (float(k) + 0.5) / float(n) - 0.5;
        vec2 disc = u_disc[(n - 1) * TAPS + k] * u_defocus;
        c += decode(texture(u_hdr, uv + (motion * t + disc) / u_size).rgb);
    }
    c /= float(n);
#else
    c = decode(texelFetch(u_hdr, px, 0).rgb);
#endif
    if (u_noise > 0.0) {
        // three near-Gaussian draws: each the sum of a hash's four bytes (Irwin-Hall, unit variance)
        uint h = hash(uint(px.x) * 0x9E3779B1u ^ hash(uint(px.y) + u_seed * 0x85EBCA77u));
        uvec3 hs = uvec3(h, hash(h), hash(h ^ 0x68E31DA4u));
        vec3 g = (vec3((hs & 255u) + ((hs >> 8) & 255u) + ((hs >> 16) & 255u) + (hs >> 24)) - 510.0) * (1.7320508 / 255.0);
        float luma = dot(c, vec3(0.2126, 0.7152, 0.0722));
        float sigma = u_noise * sqrt(0.25 + luma / 0.18) * 0.5;  // shot noise grows with the signal
        c = max(c + sigma * (0.6 * g + 0.4 * g.y), 0.0);  // partly correlated channels, as after demosaicing
    }
    f_color = vec4(to_srgb(c), 1.0);
}
"""


def defocus_disc(taps: int) -> np.ndarray:
    """(taps, taps, 2) float32: for n taps, tap k's offset on a golden-angle disc of radius 1
    (sqrt((k + 0.5) / n) out, 2.39996323 k + 0.785398 round). A table, not sin/cos/sqrt in the
    shader: llvmpipe evaluated those per tap per pixel (~3 of a 18 CPU ms pass), and float32
    inputs here give the shader's values (frames byte-identical to the in-shader form)."""
    d = np.zeros((taps, taps, 2), np.float32)
    for n in range(1, taps + 1):
        for k in range(n):
            a = np.float32(2.39996323) * np.float32(k) + np.float32(0.785398)
            r = np.sqrt(np.float32((k + 0.5) / n))
            d[n - 1, k] = r * np.cos(a), r * np.sin(a)
    return d


def tone_curve(x: np.ndarray) -> np.ndarray:
    return np.clip((x * (_A * x + _B)) / (x * (_C * x + _D) + _E), 0.0, 1.0)


_CURVE_X = np.concatenate([[0.0], np.geomspace(1e-4, 64.0, 512)])
_CURVE_Y = tone_curve(_CURVE_X)
_SRGB_DECODE = np.array([(v / 12.92) if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
                         for v in np.arange(256) / 255.0], np.float64)


def scene_log_luminance(rgb: np.ndarray, exposure: float) -> float:
    """Log-average scene luminance behind an output frame, undoing sRGB, tone curve and exposure."""
    sub = rgb[::6, ::6].astype(np.intp)
    disp = _SRGB_DECODE[sub] @ np.array([0.2126, 0.7152, 0.0722])
    x = np.interp(np.minimum(disp, _CURVE_Y[-1] - 1e-6), _CURVE_Y, _CURVE_X)
    return float(np.mean(np.log(x / exposure + 1e-3)))


def target_exposure(log_luminance: float) -> float:
    return float(np.clip(EXPOSURE_KEY / math.exp(log_luminance), *EXPOSURE_RANGE))


class ExposureState:
    """An auto exposure that meters each frame and moves toward its target with a lag."""

    def __init__(self, fps: float, auto: bool, fixed: float = 1.0):
        self.auto, self.fixed = auto, fixed
        self.rate = 1.0 - math.exp(-1.0 / (max(fps, 1e-3) * ADAPT_TIME_S))
        self.value: float | None = None if auto else fixed

    def update(self, rgb: np.ndarray, used: float) -> None:
        if not self.auto:
            return
        target = target_exposure(scene_log_luminance(rgb, used))
        if self.value is None:
            self.value = target
        else:  # in log space, as a camera's exposure steps
            self.value = float(math.exp(math.log(self.value) + self.rate * (math.log(target) - math.log(self.value))))


class PostPass:
    """GL objects of the post pass for one frame size."""

    def __init__(self, ctx, width: int, height: int, taps: int):
        self.ctx, self.size = ctx, (width, height)
        self.taps = taps
        self.prog = ctx.program(vertex_shader=VERTEX, fragment_shader=FRAGMENT.replace("TAPS_VALUE", str(int(taps))))
        self.vao = ctx.vertex_array(self.prog, [])
        self.out = ctx.texture((width, height), 4)
        self.fbo = ctx.framebuffer([self.out])
        for name, value in (("u_hdr", 0), ("u_depth", 1)):
            if name in self.prog:
                self.prog[name].value = value
        if "u_size" in self.prog:
            self.prog["u_size"].value = (float(width), float(height))
        if "u_disc" in self.prog:
            self.prog["u_disc"].write(defocus_disc(self.taps).tobytes())

    def run(self, color, depth, reproj: np.ndarray, shutter: float, defocus: float, noise: float, seed: int) -> np.ndarray:
        import moderngl

        p = self.prog
        color.use(0)
        depth.use(1)
        for name, value in (("u_shutter", shutter), ("u_defocus", defocus)):
            if name in p:
                p[name].value = float(value)
        if "u_reproj" in p:
            p["u_reproj"].write(np.asarray(reproj, np.float32).T.tobytes())
        p["u_noise"].value = float(noise)
        p["u_seed"].value = int(seed) & 0xFFFFFFFF
        self.fbo.use()
        self.ctx.disable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        self.vao.render(moderngl.TRIANGLES, vertices=3)
        w, h = self.size
        rgb = np.empty((h, w, 3), np.uint8)
        self.fbo.read_into(rgb, components=3, attachment=0, alignment=1)
        return rgb

    def release(self) -> None:
        for obj in (self.vao, self.fbo, self.out, self.prog):
            obj.release()
