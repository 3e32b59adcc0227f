"""Post-process edge anti-aliasing (FXAA-style): one full-screen pass over the 8-bit colour.

llvmpipe's multisampling costs more than the rest of a frame (docs/performance.md); this pass
costs a few ms. Per pixel: the luma contrast of its four neighbours decides whether it lies on an
edge (flat regions are copied unchanged); the edge's orientation comes from second differences
over the 3x3 neighbourhood; the pixel then walks along the edge (between its own row and the
neighbour row across the edge) until the luma leaves the edge's, and blends toward the
neighbour by how close it is to the edge's nearer end: a staircase step becomes a ramp. A
sub-pixel term softens isolated pixels (thin lines, speckles). Colour only: ids and depth never
pass through here. Integer-free and deterministic on one device (a plain shader).
"""

from __future__ import annotations

EDGE_MIN = 1.0 / 24.0  # below this luma contrast a pixel is flat (dark regions)
EDGE_REL = 1.0 / 8.0  # ... or below this fraction of its brightest neighbour
SUBPIX = 0.5  # strength of the sub-pixel softening (0 = none)

VERTEX = """
#version 330
void main() {
    vec2 p = vec2(float((gl_VertexID & 1) << 2) - 1.0, float((gl_VertexID & 2) << 1) - 1.0);
    gl_Position = vec4(p, 0.0, 1.0);
}
"""

FRAGMENT = """
#version 400
uniform sampler2D u_src;  // sRGB colour with its luma in alpha, sampled bilinear, clamped to the edge
uniform vec2 u_texel;     // 1 / frame size
out vec4 f_color;

const float EDGE_MIN = EDGE_MIN_VALUE;
const float EDGE_REL = EDGE_REL_VALUE;
const float SUBPIX = SUBPIX_VALUE;
const int STEPS = 3;
// search taps along the edge, in pixels: each bilinear read at k + 0.5 averages two pixels. Past
// a staircase step's end the mean stays off the edge's, so sparse taps find ends up to 7 px away
// (farther taps cost more than their share on llvmpipe: texture-cache misses across rows).
const float REACH[3] = float[3](1.5, 3.5, 7.5);

// llvmpipe runs every branch of a shader for all pixels (masked), so nothing here is skipped on
// flat pixels: the pass is a fixed number of reads (3 gathers + 9 reads), with no early exits.
void main() {
    vec2 uv = gl_FragCoord.xy * u_texel;
    vec3 c = textureLod(u_src, uv, 0.0).rgb;
    vec4 g_ne = textureGather(u_src, uv + 0.5 * u_texel, 3);                 // n, ne, e, c
    vec4 g_sw = textureGather(u_src, uv - 0.5 * u_texel, 3);                 // w, c, s, sw
    vec4 g_nw = textureGather(u_src, uv + vec2(-0.5, 0.5) * u_texel, 3);     // nw, n, c, w
    float lc = g_ne.w, ln = g_ne.x, lne = g_ne.y, le = g_ne.z;
    float lw = g_sw.x, ls = g_sw.z, lsw = g_sw.w, lnw = g_nw.x;
    float lse = textureLod(u_src, uv + vec2(u_texel.x, -u_texel.y), 0.0).a;
    float hi = max(lc, max(max(ln, ls), max(le, lw)));
    float lo = min(lc, min(min(ln, ls), min(le, lw)));
    float range = hi - lo;
    bool edge = range >= max(EDGE_MIN, EDGE_REL * hi);
    // second differences across y (an edge along x) and across x (an edge along y)
    float across_y = 2.0 * abs(ln + ls - 2.0 * lc) + abs(lne + lse - 2.0 * le) + abs(lnw + lsw - 2.0 * lw);
    float across_x = 2.0 * abs(le + lw - 2.0 * lc) + abs(lne + lnw - 2.0 * ln) + abs(lse + lsw - 2.0 * ls);
    bool along_x = across_y >= across_x;
    // the neighbour across the edge: the side with the larger luma step
    float l_pos = along_x ? ln : le, l_neg = along_x ? ls : lw;
    float g_pos = abs(l_pos - lc), g_neg = abs(l_neg - lc);
    vec2 normal = along_x ? vec2(0.0, u_texel.y) : vec2(u_texel.x, 0.0);
    bool neg = g_neg > g_pos;
    normal = neg ? -normal : normal;
    float l_side = neg ? l_neg : l_pos;
    float threshold = 0.25 * max(g_pos, g_neg);
    float l_edge = 0.5 * (lc + l_side);
    vec2 dir = along_x ? vec2(u_texel.x, 0.0) : vec2(0.0, u_texel.y);
    vec2 mid = uv + 0.5 * normal;  // half way to the neighbour: bilinear reads both rows' mean
    // both ways along the edge: the nearest tap whose mean luma has left the edge's marks its end
    float dist_a = REACH[STEPS - 1] + 1.0, dist_b = dist_a, da = 0.0, db = 0.0;
    for (int k = STEPS - 1; k >= 0; k--) {
        float ta = textureLod(u_src, mid - dir * REACH[k], 0.0).a - l_edge;
        float tb = textureLod(u_src, mid + dir * REACH[k], 0.0).a - l_edge;
        bool ea = abs(ta) >= threshold, eb = abs(tb) >= threshold;
        dist_a = ea ? REACH[k] - 0.5 : dist_a; da = ea ? ta : da;
        dist_b = eb ? REACH[k] - 0.5 : dist_b; db = eb ? tb : db;
    }
    bool a_nearer = dist_a < dist_b;
    float d_end = a_nearer ? da : db;
    // blend only where the nearer end goes the other way from this pixel (the step's inside)
    float blend = ((d_end < 0.0) != (lc < l_edge)) ? 0.5 - min(dist_a, dist_b) / (dist_a + dist_b) : 0.0;
    // sub-pixel: how far this pixel stands out of its neighbourhood's mean
    float mean = (2.0 * (ln + ls + le + lw) + lne + lnw + lse + lsw) / 12.0;
    float sub = clamp(abs(mean - lc) / max(range, 1e-6), 0.0, 1.0);
    sub = sub * sub * (3.0 - 2.0 * sub);
    blend = max(blend, sub * sub * SUBPIX);
    vec3 aa = textureLod(u_src, uv + blend * normal, 0.0).rgb;
    f_color = vec4(edge ? aa : c, 1.0);
}
"""


class FxaaPass:
    """GL objects of the anti-aliasing pass for one frame size: colour texture -> its own texture."""

    def __init__(self, ctx, width: int, height: int):
        import moderngl

        self.ctx, self.size = ctx, (width, height)
        frag = (FRAGMENT.replace("EDGE_MIN_VALUE", repr(EDGE_MIN)).replace("EDGE_REL_VALUE", repr(EDGE_REL))
                .replace("SUBPIX_VALUE", repr(SUBPIX)))
        self.prog = ctx.program(vertex_shader=VERTEX, fragment_shader=frag)
        self.vao = ctx.vertex_array(self.prog, [])
        self.out = ctx.texture((width, height), 4)
        self.fbo = ctx.framebuffer([self.out])
        # its own sampler, so the source texture's wrap mode (which later passes read) stays as it is
        self.sampler = ctx.sampler(repeat_x=False, repeat_y=False, filter=(moderngl.LINEAR, moderngl.LINEAR))
        self.prog["u_src"].value = 0
        self.prog["u_texel"].value = (1.0 / width, 1.0 / height)

    def run(self, color):
        """Anti-alias `color` into `self.out` (returned)."""
        import moderngl

        color.use(0)
        self.sampler.use(0)
        self.fbo.use()
        self.ctx.disable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        self.vao.render(moderngl.TRIANGLES, vertices=3)
        self.sampler.clear(0)
        return self.out

    def release(self) -> None:
        for obj in (self.vao, self.fbo, self.out, self.sampler, self.prog):
            obj.release()
