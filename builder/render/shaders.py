"""GLSL for the renderer.

Two lighting modes (config.RenderConfig.lighting):
  - "baked": each vertex carries the irradiance baked once per house (render/bake.py: ceiling
    lights, lamps, daylight, shadows, ambient occlusion); the fragment shader adds what depends
    on the viewer (floor gloss, window outside, mirror environment), then applies the camera's
    exposure and white balance and the ACES tone curve, and writes sRGB (post.py meters the
    exposure; its pass adds blur and noise). Colour stays 8-bit: on llvmpipe float targets and
    a separate tone-mapping pass cost more than the rest of the frame.
  - "rig": the fixed light rig below, written as sRGB.
Both write the pixel's luma (of the sRGB values) in alpha, which the FXAA pass (fxaa.py) gathers.

Light rig (fixed in world space, so a room looks the same from every pose):
  - hemispheric ambient: warm white from above, darker warm grey from below;
  - a key directional light from high up and a weaker cool fill from the opposite side,
    so differently oriented faces (the sides of a box, the walls of a room) differ in tone;
  - a soft headlight (fading with distance) so surfaces facing the camera never go black;
Normals are turned toward the viewer, so double-sided and badly wound assets light correctly.
"""

# Vertex layout shared by packing.py: position, normal, uv, (rgb linear, emissive), layer, id.
# irr: baked irradiance (linear RGB) and the material code (MATERIAL_* below).
VBO_FORMAT = "3f 3f 2f 4f i u 4f"
VBO_ATTRS = ("in_pos", "in_nrm", "in_uv", "in_col", "in_layer", "in_id", "in_irr")

# Material code in in_irr.a: [0, 1) = glossiness of an ordinary surface; these mark the others.
MATERIAL_SKY = 2.0  # window glass: the outside, looked up by view direction
MATERIAL_MIRROR = 3.0  # mirror: an environment looked up by the reflected direction


def vbo_layout(active) -> tuple[str, list[str]]:
    """The VBO format restricted to the attributes a program uses (others become padding),
    since GL drops unused inputs and moderngl rejects binding them."""
    sizes = {"f": 4, "i": 4, "u": 4}
    fmt, names, pad = [], [], 0
    for token, name in zip(VBO_FORMAT.split(), VBO_ATTRS):
        n = int(token[:-1]) if len(token) > 1 else 1
        if name in active:
            if pad:
                fmt.append(f"{pad}x")
                pad = 0
            fmt.append(token)
            names.append(name)
        else:
            pad += n * sizes[token[-1]]
    if pad:
        fmt.append(f"{pad}x")
    return " ".join(fmt), names

# Lighting is per vertex (Gouraud): on llvmpipe fragment work dominates, and per-pixel
# lighting costs ~20% of a frame for little visible gain on furniture-sized triangles.
# Large flat surfaces (floors, walls) are tessellated by scene.py so this stays smooth.
VERTEX = """
#version 330
uniform mat4 u_vp;
uniform vec3 u_eye;
in vec3 in_pos; in vec3 in_nrm; in vec2 in_uv; in vec4 in_col; in int in_layer; in uint in_id;
out vec3 v_light; out vec2 v_uv;
flat out vec3 v_col; flat out int v_layer; flat out uint v_id;

const vec3 SKY = vec3(1.00, 0.97, 0.92) * 0.62;
const vec3 GROUND = vec3(0.80, 0.76, 0.71) * 0.55;  // bounce light off the floor
const vec3 KEY_DIR = normalize(vec3(0.6, 0.7, 0.25));  // x and z differ: adjacent walls differ in tone
const vec3 KEY = vec3(1.00, 0.96, 0.90) * 0.50;
const vec3 FILL_DIR = normalize(vec3(-0.3, 0.45, -0.85));
const vec3 FILL = vec3(0.85, 0.90, 1.00) * 0.22;
const float HEAD = 0.22;

void main() {
    gl_Position = u_vp * vec4(in_pos, 1.0);
    vec3 to_eye = u_eye - in_pos;
    float dist = length(to_eye);
    vec3 V = to_eye / max(dist, 1e-6);
    vec3 n = in_nrm;
    if (dot(n, V) < 0.0) n = -n;  // light the side we see (double-sided and mis-wound faces)
    vec3 light = mix(GROUND, SKY, 0.5 + 0.5 * n.y);
    light += KEY * max(dot(n, KEY_DIR), 0.0) + FILL * max(dot(n, FILL_DIR), 0.0);
    light += HEAD * max(dot(n, V), 0.0) / (1.0 + 0.04 * dist * dist);
    v_light = light + in_col.a;  // alpha carries emission
    v_uv = in_uv; v_col = in_col.rgb; v_layer = in_layer; v_id = in_id;
}
"""

FRAGMENT = """
#version 330
uniform sampler2DArray u_tex;
in vec3 v_light; in vec2 v_uv;
flat in vec3 v_col; flat in int v_layer; flat in uint v_id;
layout(location = 0) out vec4 f_color;
layout(location = 1) out uint f_id;

vec3 to_srgb(vec3 c) {  // sRGB encode within ~0.2%, with square roots instead of pow()
    c = clamp(c, 0.0, 1.0);
    vec3 s1 = sqrt(c), s2 = sqrt(s1), s3 = sqrt(s2);
    return 0.662002687 * s1 + 0.684122060 * s2 - 0.323583601 * s3 - 0.0225411470 * c;
}

void main() {
    vec3 base = v_col;
    if (v_layer >= 0) {
        vec3 t = texture(u_tex, vec3(v_uv, float(v_layer))).rgb;
        base *= t * t * (0.3 * t + 0.7);  // sRGB decode within ~1/255
    }
    vec3 srgb = to_srgb(base * v_light);
    f_color = vec4(srgb, dot(srgb, vec3(0.299, 0.587, 0.114)));  // luma in alpha, for the fxaa pass
    f_id = v_id;
}
"""

# Gloss is shaded per vertex (floors and tiles are tessellated finely): a highlight of the four
# lights nearest the camera, so a floor's sheen moves with the viewer. Per pixel it cost more
# than the rest of the frame on llvmpipe.
VERTEX_BAKED = """
#version 330
uniform mat4 u_vp;
uniform vec3 u_eye;
uniform vec4 u_spec_pos[4];  // xyz: the nearest lights; w: 0 when unused
uniform vec3 u_spec_col[4];
in vec3 in_pos; in vec3 in_nrm; in vec2 in_uv; in vec4 in_col; in int in_layer; in uint in_id; in vec4 in_irr;
out vec3 v_light; out vec3 v_spec; out vec2 v_uv;
flat out vec3 v_nrm; flat out vec3 v_col; flat out int v_layer; flat out uint v_id; flat out float v_mat;
void main() {
    gl_Position = u_vp * vec4(in_pos, 1.0);
    v_light = in_irr.rgb + in_col.a * 4.0;  // emission in the units of the bake
    v_spec = vec3(0.0);
    float gloss = in_irr.a;
#if GLOSS
    if (gloss > 0.0 && gloss < 1.0) {
        vec3 V = normalize(in_pos - u_eye);
        vec3 R = reflect(V, in_nrm);
        for (int k = 0; k < 4; k++) {
            if (u_spec_pos[k].w == 0.0) continue;
            vec3 L = u_spec_pos[k].xyz - in_pos;
            float d2 = dot(L, L);
            float s = max(dot(R, L * inversesqrt(d2)), 0.0);
            v_spec += u_spec_col[k] * pow(s, 8.0 + 40.0 * gloss) / (d2 + 0.25);
        }
        float fres = 0.04 + 0.96 * pow(1.0 - max(dot(-V, in_nrm), 0.0), 5.0);
        v_spec = gloss * (v_spec * (1.0 + 4.0 * gloss) + fres * 0.4 * in_irr.rgb);
    }
#endif
    v_uv = in_uv; v_nrm = in_nrm;
    v_col = in_col.rgb; v_layer = in_layer; v_id = in_id; v_mat = in_irr.a;
}
"""

# Outside and mirror environments are procedural (no images to license): a sky gradient with a
# sun glow over a distant ground with a tree line; mirrors see a soft room (warm walls, light ceiling).
FRAGMENT_BAKED = """
#version 330
uniform sampler2DArray u_tex;
uniform vec3 u_eye;
uniform vec3 u_sky_zenith; uniform vec3 u_sky_horizon; uniform vec3 u_ground; uniform vec3 u_sun_dir;
uniform vec3 u_room_env;
uniform mat4 u_inv_vp;  // window -> world, for the view direction (no per-vertex position varying)
uniform vec2 u_size;
uniform float u_exposure;
uniform vec3 u_wb;
// Normals are flat (the provoking vertex's): only flat surfaces (floors, glass, mirrors) use them.
in vec3 v_light; in vec3 v_spec; in vec2 v_uv;
flat in vec3 v_nrm; flat in vec3 v_col; flat in int v_layer; flat in uint v_id; flat in float v_mat;
layout(location = 0) out vec4 f_color;
layout(location = 1) out uint f_id;

vec3 to_srgb(vec3 c) {
    c = clamp(c, 0.0, 1.0);
    vec3 s1 = sqrt(c), s2 = sqrt(s1), s3 = sqrt(s2);
    return 0.662002687 * s1 + 0.684122060 * s2 - 0.323583601 * s3 - 0.0225411470 * c;
}

#if ENV_MATERIALS
vec3 outside(vec3 d) {
    float h = d.y;
    float az = atan(d.z, d.x);
    vec3 haze = u_sky_horizon * 0.85;
    if (h < 0.0) {  // the ground plane far below the window: fields fading into haze at the horizon
        vec2 p = d.xz / max(-h, 0.03);
        float fields = 0.8 + 0.2 * sin(p.x * 0.35 + 1.7 * sin(p.y * 0.21)) * sin(p.y * 0.45);
        return mix(u_ground * fields, haze, exp(12.0 * h) * 0.75);
    }
    // distant tree line: a band just above the horizon whose height wobbles with the azimuth
    float trees = 0.03 + 0.02 * sin(az * 7.0) + 0.012 * sin(az * 23.0 + 1.3) + 0.008 * sin(az * 61.0);
    if (h < trees) return mix(u_ground * vec3(0.45, 0.6, 0.4), haze, 0.35);
    vec3 sky = mix(u_sky_horizon, u_sky_zenith, sqrt(clamp(h, 0.0, 1.0)));
    float sun = max(dot(d, u_sun_dir), 0.0);
    return sky + vec3(1.0, 0.9, 0.75) * (0.6 * pow(sun, 8.0) + 6.0 * pow(sun, 400.0));
}

vec3 room_env(vec3 d) {  // a generic lit room around a mirror: ceiling, walls, floor, a window
    float az = atan(d.z, d.x);
    vec3 wall = u_room_env * (0.9 + 0.12 * sin(az * 3.0 + 0.5));
    vec3 c = mix(wall, u_room_env * vec3(0.75, 0.62, 0.48), smoothstep(-0.25, -0.45, d.y));  // floor
    c = mix(c, u_room_env * 1.2, smoothstep(0.5, 0.7, d.y));  // ceiling
    float win = step(abs(sin(az * 1.5)), 0.3) * step(abs(d.y - 0.15), 0.25);
    c = mix(c, u_sky_horizon * 0.7, win);
    return c;
}

#endif

void main() {
    vec3 base = v_col;
    if (v_layer >= 0) {
        vec3 t = texture(u_tex, vec3(v_uv, float(v_layer))).rgb;
        base *= t * t * (0.3 * t + 0.7);  // sRGB decode within ~1/255
    }
    vec3 c = base * v_light + v_spec;
#if ENV_MATERIALS
    if (v_mat > 1.5) {  // window glass and mirrors
        vec4 w = u_inv_vp * vec4(gl_FragCoord.xy / u_size * 2.0 - 1.0, gl_FragCoord.z * 2.0 - 1.0, 1.0);
        vec3 V = normalize(w.xyz / w.w - u_eye);
        if (v_mat >= 2.5) {
            vec3 n = normalize(v_nrm);
            if (dot(n, V) > 0.0) n = -n;
            c = 0.1 * c + 0.9 * room_env(reflect(V, n));
        } else {
            c = outside(V);
        }
    }
#endif
    c *= u_exposure * u_wb;
    c = (c * (2.51 * c + 0.03)) / (c * (2.43 * c + 0.59) + 0.14);  // ACES film curve (Narkowicz's fit)
    vec3 srgb = to_srgb(c);
    f_color = vec4(srgb, dot(srgb, vec3(0.299, 0.587, 0.114)));  // luma in alpha, for the fxaa pass
    f_id = v_id;
}
"""



def _define(source: str, name: str, on: bool) -> str:
    head, rest = source.split("\n", 2)[1:]  # the #version line must come first
    return f"{head}\n#define {name} {int(on)}\n{rest}"


def vertex_baked(gloss: bool) -> str:
    """VERTEX_BAKED with or without the glossy highlight. llvmpipe runs a branch's code for every
    vertex or pixel, taken or not, so code that few drawables need goes in programs of its own
    (renderer.py picks one per drawable): the gloss block cost ~20% of the colour pass."""
    return _define(VERTEX_BAKED, "GLOSS", gloss)


def fragment_baked(env_materials: bool) -> str:
    """FRAGMENT_BAKED for ordinary surfaces, or with the window outside and the mirror environment
    (compiled into every surface's shader, that code cost ~40% of the colour pass on llvmpipe)."""
    return _define(FRAGMENT_BAKED, "ENV_MATERIALS", env_materials)


VERTEX_IDS = """
#version 330
uniform mat4 u_vp;
in vec3 in_pos; in uint in_id;
flat out uint v_id;
void main() { gl_Position = u_vp * vec4(in_pos, 1.0); v_id = in_id; }
"""

FRAGMENT_IDS = """
#version 330
flat in uint v_id;
layout(location = 0) out uint f_id;
void main() { f_id = v_id; }
"""

VERTEX_BOX = """
#version 330
uniform mat4 u_vp;
in vec3 in_pos;
void main() { gl_Position = u_vp * vec4(in_pos, 1.0); }
"""

FRAGMENT_BOX = """
#version 330
void main() {}
"""
