"""GLSL for the renderer. Lighting is computed in linear RGB and written as sRGB.

Light rig (fixed in world space, so a room looks the same from every pose):
  - hemispheric ambient: warm white from above, darker warm grey from below;
  - a key directional light from high up and a weaker cool fill from the opposite side,
    so differently oriented faces (the sides of a box, the walls of a room) differ in tone;
  - a soft headlight (fading with distance) so surfaces facing the camera never go black;
  - a faint Blinn-Phong highlight of the key light.
Normals are turned toward the viewer, so double-sided and badly wound assets light correctly.
"""

# Vertex layout shared by packing.py: position, normal, uv, (rgb linear, emissive), layer, id.
VBO_FORMAT = "3f 3f 2f 4f i u"
VBO_ATTRS = ("in_pos", "in_nrm", "in_uv", "in_col", "in_layer", "in_id")
VBO_FORMAT_IDS = "3f 40x u"  # the same buffer, skipping normal..layer
VBO_ATTRS_IDS = ("in_pos", "in_id")

VERTEX = """
#version 330
uniform mat4 u_vp;
in vec3 in_pos; in vec3 in_nrm; in vec2 in_uv; in vec4 in_col; in int in_layer; in uint in_id;
out vec3 v_pos; out vec3 v_nrm; out vec2 v_uv; out vec4 v_col;
flat out int v_layer; flat out uint v_id;
void main() {
    gl_Position = u_vp * vec4(in_pos, 1.0);
    v_pos = in_pos; v_nrm = in_nrm; v_uv = in_uv; v_col = in_col;
    v_layer = in_layer; v_id = in_id;
}
"""

FRAGMENT = """
#version 330
uniform sampler2DArray u_tex;
uniform vec3 u_eye;
in vec3 v_pos; in vec3 v_nrm; in vec2 v_uv; in vec4 v_col;
flat in int v_layer; flat in uint v_id;
layout(location = 0) out vec4 f_color;
layout(location = 1) out uint f_id;

const vec3 SKY = vec3(1.00, 0.97, 0.92) * 0.62;
const vec3 GROUND = vec3(0.50, 0.46, 0.42) * 0.62;
const vec3 KEY_DIR = normalize(vec3(0.35, 0.875, 0.365));
const vec3 KEY = vec3(1.00, 0.96, 0.90) * 0.50;
const vec3 FILL_DIR = normalize(vec3(-0.7, 0.4, -0.815));
const vec3 FILL = vec3(0.85, 0.90, 1.00) * 0.22;

vec3 to_srgb(vec3 c) {
    c = clamp(c, 0.0, 1.0);
    return mix(c * 12.92, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(vec3(0.0031308), c));
}

void main() {
    vec3 to_eye = u_eye - v_pos;
    float dist = length(to_eye);
    vec3 V = to_eye / max(dist, 1e-6);
    vec3 n = normalize(v_nrm);
    if (dot(n, V) < 0.0) n = -n;
    vec3 base = v_col.rgb;
    if (v_layer >= 0) {
        vec3 t = texture(u_tex, vec3(v_uv, float(v_layer))).rgb;
        base *= t * t * (0.3 * t + 0.7);  // ~sRGB decode (gamma 2.2) without pow()
    }
    vec3 light = mix(GROUND, SKY, 0.5 + 0.5 * n.y);
    light += KEY * max(dot(n, KEY_DIR), 0.0) + FILL * max(dot(n, FILL_DIR), 0.0);
    light += vec3(0.22) * max(dot(n, V), 0.0) / (1.0 + 0.04 * dist * dist);
    vec3 h = normalize(KEY_DIR + V);
    float spec = 0.05 * pow(max(dot(n, h), 0.0), 32.0);
    vec3 c = base * (light + v_col.a) + spec;
    f_color = vec4(to_srgb(c), 1.0);
    f_id = v_id;
}
"""

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
