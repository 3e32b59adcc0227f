"""One-pass rasteriser for RGB + instance ids + z-depth (moderngl on EGL).

Static scenes: `load`/`add` bake every drawable into world space and pack the whole scene
into one vertex buffer, one index buffer and one texture array (packing.py), so a frame is
a handful of range draws and three reads. Per frame: sphere frustum culling, then (when the
scene marks occluders) walls/floors first and an occlusion query per remaining big drawable,
so furniture in other rooms is never shaded. Colour, ids and depth come from the same
rasterisation (multiple render targets), so they agree exactly; ids go through `flat`
varyings and are never blended or multisampled.

With RenderConfig (config.py): lighting baked once per scene at load (bake.py); with MSAA the
ids and depth come from a one-sample pass first and colour from a multisampled pass of the
same drawables; without MSAA an optional edge anti-aliasing pass (fxaa.py); a post pass (post.py)
then applies the camera effects to colour alone.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from builder.assets.mesh import Mesh, MeshPart
from builder.capture.camera import Intrinsics
from builder.config import RenderConfig
from builder.render import bake, fxaa, post, shaders
from builder.render.context import create_context, gl_renderer
from builder.render.packing import Batch, pack_scene

log = logging.getLogger(__name__)

MAX_INSTANCE_ID = 65535  # ids are read back as uint16
QUERY_MIN_TRIANGLES = 300  # smaller drawables are just drawn: a query costs about as much
BOX_PAD_M = 0.01  # occlusion-query boxes grow by this (+1%) so they enclose their mesh strictly
_BOX_TRIS = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                      [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]], np.uint32)


@dataclass
class Drawable:
    """A mesh placed in the world under one instance id.

    culling: "auto" (default) culls back faces only on closed, consistently wound shells
    and draws everything else double-sided (safe for any asset); "back" culls all back
    faces (front = counter-clockwise seen from outside; needed for zero-thickness
    back-to-back walls); "none" draws every triangle double-sided.
    emissive in [0, 1] adds self-lit colour (lamp shades, light fixtures).
    gloss in [0, 1) adds a view-dependent highlight of the nearest lights (baked lighting);
    material "sky" shows the outside by view direction (window glass), "mirror" an environment
    by the reflected direction.
    occluder: big opaque structure (walls, floors, ceilings). When a scene has occluders they
    are drawn first, and every other drawable is drawn only if its bounding box passes an
    occlusion query against them (furniture behind walls costs nothing).
    """

    mesh: Mesh | MeshPart
    model: np.ndarray  # (4, 4) model-to-world
    instance_id: int
    culling: str = "auto"
    emissive: float = 0.0
    occluder: bool = False
    gloss: float = 0.0
    material: str = "surface"


@dataclass
class RenderedFrame:
    rgb: np.ndarray | None  # (H, W, 3) uint8 sRGB; None from render_ids_only
    instance: np.ndarray  # (H, W) uint16, 0 where nothing
    depth: np.ndarray  # (H, W) float32 metres along the viewing axis, 0 where nothing


class Renderer:
    """One GL context and one loaded scene. Not thread safe: calls must not overlap (one thread
    at a time). Several Renderers may live in one process; each call makes its own context
    current. Create it after any fork (llvmpipe runs worker threads)."""

    def __init__(
        self,
        intrinsics: Intrinsics,
        near: float = 0.05,
        far: float = 50.0,
        device_index: int | None = None,
        texture_size: int = 512,
        background=(0.82, 0.85, 0.88),
        config: RenderConfig | None = None,
    ):
        import moderngl

        self._mgl = moderngl
        self.config = cfg = config if config is not None else RenderConfig()
        self.baked = cfg.lighting == "baked"
        self.post_on = bool(cfg.motion_blur or cfg.noise or cfg.defocus_px)  # the blur and noise pass
        self._rig: bake.LightRig | None = None
        self.bake_stats: dict = {}
        self.begin_sequence(0, 10.0)
        self.intrinsics, self.near, self.far = intrinsics, float(near), float(far)
        self.texture_size = int(texture_size)  # texture-array layer edge (textures are resampled to it)
        self.background = tuple(float(c) for c in background)  # 0..1, stored as is (sRGB)
        self._pending: list[Drawable] = []
        self._gpu: list = []  # GL objects of the loaded scene
        self._batch: Batch | None = None
        self._dirty = True
        self._nesting = 0
        self._queries: list = []  # occlusion queries, reused frame to frame
        self.query_min_triangles = QUERY_MIN_TRIANGLES
        self.last_frame_stats: dict = {}  # in_frustum, drawn (drawables) and triangles of the last frame
        self.ctx = create_context(device_index)
        with self._current():
            self._init_gl()
        log.info("Renderer %dx%d on %s", intrinsics.width, intrinsics.height, self.renderer_string)

    @contextmanager
    def _current(self):
        """Make our context current for the block. Re-entrant, unlike moderngl's `with ctx`,
        whose exit leaves no context current even when nested."""
        if self._nesting:
            self._nesting += 1
            try:
                yield
            finally:
                self._nesting -= 1
            return
        self._nesting = 1
        try:
            with self.ctx:
                yield
        finally:
            self._nesting = 0

    def _init_gl(self) -> None:
        w, h = self.intrinsics.width, self.intrinsics.height
        ctx, cfg = self.ctx, self.config
        self.renderer_string = gl_renderer(ctx)
        self._color = ctx.texture((w, h), 4)
        self._ids = ctx.texture((w, h), 1, dtype="u2")  # R16UI: reads straight into uint16
        self._depth = ctx.depth_texture((w, h))
        self._depth.compare_func = ""  # plain depth reads in the post pass
        self._fbo = ctx.framebuffer([self._color, self._ids], self._depth)
        if cfg.msaa:
            self._ms_color = ctx.renderbuffer((w, h), 4, samples=cfg.msaa)
            self._ms_depth = ctx.depth_renderbuffer((w, h), samples=cfg.msaa)
            self._fbo_ms = ctx.framebuffer([self._ms_color], self._ms_depth)
            self._fbo_resolved = ctx.framebuffer([self._color])
        taps = post.BLUR_TAPS if (cfg.motion_blur or cfg.defocus_px) else 1
        self._post = post.PostPass(ctx, w, h, taps) if self.post_on else None
        self._fxaa = fxaa.FxaaPass(ctx, w, h) if cfg.fxaa else None
        self._fbo_ids = ctx.framebuffer([self._ids], self._depth)
        self._fbo_color = ctx.framebuffer([self._color])  # to clear colour alone
        self._fbo_test = ctx.framebuffer(depth_attachment=self._depth)  # occlusion queries: test only
        self._fbo_test.depth_mask = False
        self._prog_box = ctx.program(vertex_shader=shaders.VERTEX_BOX, fragment_shader=shaders.FRAGMENT_BOX)
        # Baked light: plain surfaces, glossy ones and glass/mirrors each get a program with only
        # the code they need (llvmpipe runs every branch for every pixel: shaders.vertex_baked)
        self._prog_gloss = self._prog_env = None
        if self.baked:
            self._prog = ctx.program(vertex_shader=shaders.vertex_baked(False), fragment_shader=shaders.fragment_baked(False))
            self._prog_gloss = ctx.program(vertex_shader=shaders.vertex_baked(True),
                                           fragment_shader=shaders.fragment_baked(False))
            self._prog_env = ctx.program(vertex_shader=shaders.vertex_baked(True), fragment_shader=shaders.fragment_baked(True))
        else:
            self._prog = ctx.program(vertex_shader=shaders.VERTEX, fragment_shader=shaders.FRAGMENT)
        self._colour_progs = [p for p in (self._prog, self._prog_gloss, self._prog_env) if p is not None]
        self._prog_ids = ctx.program(vertex_shader=shaders.VERTEX_IDS, fragment_shader=shaders.FRAGMENT_IDS)
        self._set_uniform("u_tex", 0)
        ctx.front_face = "cw"  # the projection flips y (see view_proj), which flips winding

    # ---- scene -----------------------------------------------------------------------

    def add(self, mesh: Mesh | MeshPart, model: np.ndarray, instance_id: int, **kw) -> None:
        """Queue one drawable (keywords as in Drawable); uploaded at the next render."""
        self._pending.append(Drawable(mesh, np.asarray(model, dtype=np.float64), int(instance_id), **kw))
        self._dirty = True

    def load(self, drawables, lights: "bake.LightRig | None" = None) -> None:
        """Replace the scene with `drawables` (Drawable objects) and upload it now. `lights` are
        baked into it (baked lighting; default: one light above the scene)."""
        self._pending = list(drawables)
        self._rig = lights
        self._dirty = True
        with self._current():
            self._upload()

    def clear(self) -> None:
        self._pending = []
        self._rig = None
        self._dirty = True

    def begin_sequence(self, seed: int, fps: float) -> None:
        """Start a video: camera effects that depend on earlier frames (motion blur's previous
        pose, the adapting exposure) start afresh, and noise is keyed by (seed, frame index)."""
        self._seq_seed, self._seq_frame, self._prev_vp = int(seed), 0, None
        self._exposure = post.ExposureState(fps, self.config.auto_exposure and self.baked)

    @property
    def stats(self) -> dict:
        """Counts for the loaded scene."""
        self._ensure_uploaded()
        b = self._batch
        return {
            "drawables": len(b.ranges),
            "triangles": int(b.ranges[:, [1, 3]].sum()) // 3,
            "culled_triangles": int(b.ranges[:, 1].sum()) // 3,
            "vertices": b.n_vertices,
            "texture_layers": b.n_layers,
            "texture_size": b.layer_size,
        }

    def _ensure_uploaded(self) -> None:
        if self._dirty:
            with self._current():
                self._upload()

    def _release_scene(self) -> None:
        for obj in self._gpu:
            obj.release()
        self._gpu, self._batch = [], None

    def _upload(self) -> None:
        for d in self._pending:
            if not 1 <= d.instance_id <= MAX_INSTANCE_ID:
                raise ValueError(f"instance id {d.instance_id} outside 1..{MAX_INSTANCE_ID}")
        self._release_scene()
        b = pack_scene(self._pending, self.texture_size)
        ctx, mgl = self.ctx, self._mgl
        vbo = ctx.buffer(b.vertices.tobytes())
        ibo = ctx.buffer(b.indices.tobytes())
        tex = ctx.texture_array((b.layer_size, b.layer_size, b.n_layers), 4, b.texels.tobytes())
        tex.build_mipmaps()
        tex.filter = (mgl.LINEAR_MIPMAP_LINEAR, mgl.LINEAR)
        tex.repeat_x = tex.repeat_y = True
        vaos = []
        for prog in (self._prog, self._prog_ids, *self._colour_progs[1:]):
            fmt, names = shaders.vbo_layout(set(prog))
            vaos.append(ctx.vertex_array(prog, [(vbo, fmt, *names)], index_buffer=ibo, index_element_size=4))
        self._vao, self._vao_ids = vaos[:2]
        # the colour pass's vertex array per drawable (one program for all with the light rig)
        self._colour_vaos = [self._vao] * len(self._pending)
        if self.baked:
            vao_gloss, vao_env = vaos[2:]
            for k, d in enumerate(self._pending):
                if getattr(d, "material", "surface") != "surface":
                    self._colour_vaos[k] = vao_env
                elif getattr(d, "gloss", 0.0) > 0.0:
                    self._colour_vaos[k] = vao_gloss
        self._tex = tex
        self._batch = b
        self._gpu = [*vaos, vbo, ibo, tex]
        if self.baked:
            rig = self._rig if self._rig is not None else bake.default_rig(b.lo.min(0, initial=0.0), b.hi.max(0, initial=0.0))
            irr, self.bake_stats = bake.bake_irradiance(b.vertices, b.two_sided, rig, self._cube_depth)
            b.vertices["irr"][:, :3] = irr
            vbo.write(b.vertices.tobytes())
            self._set_environment(rig)
        # Occlusion-query boxes: each drawable's padded world AABB, 12 triangles.
        pad = BOX_PAD_M + 0.01 * (b.hi - b.lo)
        self._box_lo, self._box_hi = b.lo - pad, b.hi + pad
        sel = np.array([[i >> 2 & 1, i >> 1 & 1, i & 1] for i in range(8)], bool)
        corners = np.where(sel[None], self._box_hi[:, None], self._box_lo[:, None]).astype("f4")  # (D, 8, 3)
        box_idx = (_BOX_TRIS.ravel()[None] + 8 * np.arange(len(b.lo), dtype=np.uint32)[:, None]).astype("u4")
        box_vbo = ctx.buffer(corners.tobytes() if len(corners) else np.zeros(3, "f4").tobytes())
        box_ibo = ctx.buffer(box_idx.tobytes() if len(corners) else np.zeros(3, "u4").tobytes())
        self._vao_box = ctx.vertex_array(self._prog_box, [(box_vbo, "3f", "in_pos")], index_buffer=box_ibo,
                                         index_element_size=4)
        self._gpu = [*vaos, self._vao_box, vbo, ibo, box_vbo, box_ibo, tex]
        self._dirty = False
        log.debug("uploaded scene: %s", self.stats)

    # ---- frames ----------------------------------------------------------------------

    def view_proj(self, cam_to_world: np.ndarray) -> np.ndarray:
        """The clip matrix used for a pose (y flipped: see below)."""
        proj = self.intrinsics.projection(self.near, self.far).copy()
        # Render upside down so GL's bottom-up rows read back top-down with no flip copy.
        proj[1, :] *= -1.0
        return proj @ np.linalg.inv(np.asarray(cam_to_world, dtype=np.float64))

    def visible(self, vp: np.ndarray, eye: np.ndarray) -> np.ndarray:
        """Drawables whose bounding sphere meets the frustum, in draw order (near and small first)."""
        b = self._batch
        if b is None or len(b.ranges) == 0:
            return np.zeros(0, np.int64)
        planes = np.stack([vp[3] + vp[0], vp[3] - vp[0], vp[3] + vp[1], vp[3] - vp[1], vp[3] + vp[2], vp[3] - vp[2]])
        planes /= np.linalg.norm(planes[:, :3], axis=1, keepdims=True)
        inside = np.all(b.centers @ planes[:, :3].T + planes[:, 3] > -b.radii[:, None], axis=1)
        idx = np.flatnonzero(inside)
        # Small near things first, big far things (floors, walls) last: llvmpipe's early
        # depth test then skips shading most hidden fragments.
        key = np.linalg.norm(b.centers[idx] - eye, axis=1) + b.radii[idx]
        return idx[np.argsort(key, kind="stable")]

    def _draw_ranges(self, vao, idx: np.ndarray) -> None:
        """Draw drawables `idx` in order; in the colour pass each drawable takes its material's program."""
        rng = self._batch.ranges
        tri, cull = self._mgl.TRIANGLES, self._mgl.CULL_FACE
        vaos = self._colour_vaos if vao is self._vao else [vao] * len(rng)
        self.ctx.enable(cull)
        for i in idx:
            if rng[i, 1]:
                vaos[i].render(tri, vertices=int(rng[i, 1]), first=int(rng[i, 0]))
        self.ctx.disable(cull)
        for i in idx:
            if rng[i, 3]:
                vaos[i].render(tri, vertices=int(rng[i, 3]), first=int(rng[i, 2]))

    def _draw(self, vao, target, vp: np.ndarray, eye: np.ndarray) -> np.ndarray:
        """Occluders (and small drawables), then the big drawables whose boxes pass an
        occlusion query against them."""
        order = self.visible(vp, eye)
        b = self._batch
        is_occ = b.occluder[order]
        big = b.ranges[order][:, [1, 3]].sum(1) >= 3 * self.query_min_triangles
        first, cand = order[is_occ | ~big], order[~is_occ & big]
        if is_occ.any() and len(cand):
            self._draw_ranges(vao, first)
            cand = cand[self._occlusion_test(cand, vp, eye)]
            target.use()
            self._draw_ranges(vao, cand)
            drawn = np.concatenate([first, cand])
        else:
            self._draw_ranges(vao, order)
            drawn = order
        rng = self._batch.ranges[drawn]
        self.last_frame_stats = {"in_frustum": len(order), "drawn": len(drawn),
                                 "triangles": int(rng[:, 1].sum() + rng[:, 3].sum()) // 3}
        return drawn

    def _occlusion_test(self, cand: np.ndarray, vp: np.ndarray, eye: np.ndarray) -> np.ndarray:
        """Which candidates' boxes have a sample in front of the occluders' depth."""
        # A box around the camera is clipped by the near plane and may pass no sample: keep it.
        m = 2.0 * self.near
        keep = np.all((eye > self._box_lo[cand] - m) & (eye < self._box_hi[cand] + m), axis=1)
        while len(self._queries) < len(cand):
            self._queries.append(self.ctx.query(samples=True))
        self._prog_box["u_vp"].write(vp.T.astype("f4").tobytes())
        self._fbo_test.use()
        tri = self._mgl.TRIANGLES
        for k, i in enumerate(cand):
            if not keep[k]:
                with self._queries[k]:
                    self._vao_box.render(tri, vertices=36, first=36 * int(i))
        # The first result read flushes and waits for the rasteriser; the rest are then ready.
        return keep | np.array([not keep[k] and self._queries[k].samples > 0 for k in range(len(cand))], bool)

    def render(self, cam_to_world: np.ndarray) -> RenderedFrame:
        """Colour, instance ids and z-depth for one camera-to-world pose (OpenGL camera frame)."""
        with self._current():  # make our context current: several Renderers may share a thread
            self._ensure_uploaded()
            c2w = np.asarray(cam_to_world, dtype=np.float64)
            vp, eye = self.view_proj(c2w), c2w[:3, 3]
            self._write_uniform("u_vp", vp.T.astype("f4").tobytes())
            self._set_uniform("u_eye", tuple(float(v) for v in eye))
            if self.baked:
                self._set_spec_lights(eye)
                self._write_uniform("u_inv_vp", np.linalg.inv(vp).T.astype("f4").tobytes())
            self._tex.use(0)
            if self.config.msaa:
                # exact ids and depth from one sample per pixel, then colour of the same drawables
                self._prog_ids["u_vp"].write(vp.T.astype("f4").tobytes())
                self._fbo_ids.clear(0, 0, 0, 0, depth=1.0)
                self._fbo_ids.use()
                self.ctx.enable_only(self._mgl.DEPTH_TEST)
                drawn = self._draw(self._vao_ids, self._fbo_ids, vp, eye)

                def colour_pass():
                    self._fbo_ms.clear(*self.background, 1.0, depth=1.0)
                    self._fbo_ms.use()
                    self.ctx.enable_only(self._mgl.DEPTH_TEST)
                    self._draw_ranges(self._vao, drawn)
                    self.ctx.copy_framebuffer(self._fbo_resolved, self._fbo_ms)
            else:
                def colour_pass():
                    # Integer targets must be cleared to 0 on their own: a float clear colour garbles them.
                    self._fbo_color.clear(*self.background, 1.0)
                    self._fbo_ids.clear(0, 0, 0, 0, depth=1.0)
                    self._fbo.use()
                    self.ctx.enable_only(self._mgl.DEPTH_TEST)
                    self._draw(self._vao, self._fbo, vp, eye)
            state = self._exposure
            if self.baked and state.value is None:  # first frame of a video: meter before recording, as a camera does
                self._set_exposure(1.0)
                colour_pass()
                state.update(self._read_color(), 1.0)
            exposure = state.value if self.baked else 1.0
            if self.baked:
                self._set_exposure(exposure)
            colour_pass()
            color = self._fxaa.run(self._color) if self._fxaa is not None else self._color
            rgb = self._post_frame(vp, color) if self.post_on else self._read_texture(color)
            if self.baked:
                state.update(rgb, exposure)
            self._prev_vp, self._seq_frame = vp, self._seq_frame + 1
            return RenderedFrame(rgb, *self._read_ids_depth())

    def _read_color(self) -> np.ndarray:
        w, h = self.intrinsics.width, self.intrinsics.height
        rgb = np.empty((h, w, 3), np.uint8)
        self._fbo_color.read_into(rgb, components=3, alignment=1)
        return rgb

    def _read_texture(self, color) -> np.ndarray:
        """RGB of the colour texture or of the anti-aliased one."""
        if color is self._color:
            return self._read_color()
        w, h = self.intrinsics.width, self.intrinsics.height
        rgb = np.empty((h, w, 3), np.uint8)
        self._fxaa.fbo.read_into(rgb, components=3, alignment=1)
        return rgb

    def _set_exposure(self, exposure: float) -> None:
        self._set_uniform("u_exposure", float(exposure))

    def _set_uniform(self, name: str, value) -> None:
        """Set a uniform in each colour program that has it."""
        for p in self._colour_progs:
            if name in p:
                p[name].value = value

    def _write_uniform(self, name: str, data: bytes) -> None:
        for p in self._colour_progs:
            if name in p:
                p[name].write(data)

    # ---- camera effects and baked light --------------------------------------------------

    def _post_frame(self, vp: np.ndarray, color) -> np.ndarray:
        cfg = self.config
        reproj = self._prev_vp @ np.linalg.inv(vp) if (cfg.motion_blur and self._prev_vp is not None) else np.eye(4)
        seed = int(np.random.SeedSequence([self._seq_seed, self._seq_frame, 21]).generate_state(1)[0])
        return self._post.run(color, self._depth, reproj, cfg.motion_blur, cfg.defocus_px, cfg.noise, seed)

    def _set_environment(self, rig: "bake.LightRig") -> None:
        for name, value in (("u_sky_zenith", rig.sky_zenith), ("u_sky_horizon", rig.sky_horizon),
                            ("u_ground", rig.ground), ("u_sun_dir", rig.sun_dir), ("u_room_env", rig.room_env)):
            self._set_uniform(name, tuple(float(v) for v in value))
        self._set_uniform("u_wb", tuple(float(v) for v in rig.white_balance))
        self._set_uniform("u_size", (float(self.intrinsics.width), float(self.intrinsics.height)))
        spot = [lt for lt in rig.lights if lt.axis is None]
        self._spec_pos = np.array([lt.position for lt in spot], np.float64).reshape(-1, 3)
        self._spec_col = np.array([lt.color for lt in spot], np.float64).reshape(-1, 3)

    def _set_spec_lights(self, eye: np.ndarray) -> None:
        """The four lights nearest the camera make the highlights of glossy floors."""
        if not any("u_spec_pos" in p for p in self._colour_progs):
            return
        pos = np.zeros((4, 4), np.float32)
        col = np.zeros((4, 3), np.float32)
        if len(self._spec_pos):
            near = np.argsort(np.linalg.norm(self._spec_pos - eye, axis=1), kind="stable")[:4]
            pos[: len(near), :3], pos[: len(near), 3] = self._spec_pos[near], 1.0
            col[: len(near)] = self._spec_col[near]
        self._write_uniform("u_spec_pos", pos.tobytes())
        self._write_uniform("u_spec_col", col.tobytes())

    def _cube_depth(self, light: "bake.Light") -> np.ndarray:
        """(6, S, S) distances along each cube face's axis from a light to the nearest surface
        (the lamp's own geometry left out)."""
        mgl, ctx, S = self._mgl, self.ctx, bake.CUBE_SIZE
        if getattr(self, "_cube_fbo", None) is None:
            self._cube_tex = ctx.depth_texture((S, S))
            self._cube_fbo = ctx.framebuffer(depth_attachment=self._cube_tex)
        ids = np.array([d.instance_id for d in self._pending], np.int64)
        out = np.empty((6, S, S), np.float32)
        ctx.front_face = "ccw"  # no y flip in these projections
        try:
            for f in range(6):
                vp = bake.face_view_proj(np.asarray(light.position, np.float64), f)
                self._prog_ids["u_vp"].write(vp.T.astype("f4").tobytes())
                self._cube_fbo.use()
                ctx.enable_only(mgl.DEPTH_TEST)
                self._cube_fbo.clear(depth=1.0)
                idx = self.visible(vp, np.asarray(light.position))
                if light.exclude_id:
                    idx = idx[ids[idx] != light.exclude_id]
                self._draw_ranges(self._vao_ids, idx)
                self._cube_tex.read_into(out[f], alignment=4)
        finally:
            ctx.front_face = "cw"
        n, fa = bake.CUBE_NEAR, bake.CUBE_FAR
        empty = out >= 1.0
        out = np.float32(fa * n) / (np.float32(fa) - out * np.float32(fa - n))
        out[empty] = np.inf
        return out

    def render_ids_only(self, cam_to_world: np.ndarray) -> RenderedFrame:
        """Instance ids and depth without shading (faster; for annotation passes); rgb is None."""
        with self._current():
            self._ensure_uploaded()
            c2w = np.asarray(cam_to_world, dtype=np.float64)
            vp = self.view_proj(c2w)
            self._prog_ids["u_vp"].write(vp.T.astype("f4").tobytes())
            self._fbo_ids.use()
            self.ctx.enable_only(self._mgl.DEPTH_TEST)
            self._fbo_ids.clear(0, 0, 0, 0, depth=1.0)
            self._draw(self._vao_ids, self._fbo_ids, vp, c2w[:3, 3])
            return RenderedFrame(None, *self._read_ids_depth())

    def _read_ids_depth(self) -> tuple[np.ndarray, np.ndarray]:
        w, h = self.intrinsics.width, self.intrinsics.height
        ids = np.empty((h, w), np.uint16)
        self._fbo_ids.read_into(ids, components=1, attachment=0, alignment=1, dtype="u2")
        d = np.empty((h, w), np.float32)
        self._depth.read_into(d, alignment=4)
        return ids, self._linear_depth(d)

    def _linear_depth(self, d: np.ndarray) -> np.ndarray:
        """Window depth in [0, 1] -> eye-space z in metres, in place; cleared (1.0) -> 0."""
        n, f = self.near, self.far
        empty = d >= 1.0
        # z_ndc = 2d - 1 and z = 2fn / ((f + n) - z_ndc (f - n)) simplify to fn / (f - d (f - n)).
        d *= np.float32(-(f - n))
        d += np.float32(f)
        np.divide(np.float32(f * n), d, out=d)
        d[empty] = 0.0
        return d

    # ---- lifetime --------------------------------------------------------------------

    def close(self) -> None:
        """Release the scene and the GL context (also done by `with Renderer(...)`)."""
        if self.ctx is not None:
            with self._current():
                self._release_scene()
            self.ctx.release()
            self.ctx = None

    def __enter__(self) -> "Renderer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
