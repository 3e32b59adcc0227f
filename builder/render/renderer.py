"""One-pass rasteriser for RGB + instance ids + z-depth (moderngl on EGL).

Static scenes only: `load`/`add` bake every drawable into world space and pack the whole
scene into one vertex buffer, one index buffer and one texture array, so a frame is a few
range draws (after sphere frustum culling, front to back) and three reads. Colour, ids and
depth come from the same rasterisation (multiple render targets), so they agree exactly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from builder.assets.mesh import Mesh, MeshPart
from builder.capture.camera import Intrinsics
from builder.render import shaders
from builder.render.context import create_context, gl_renderer
from builder.render.packing import Batch, pack_scene

log = logging.getLogger(__name__)

MAX_INSTANCE_ID = 65535  # ids are read back as uint16


@dataclass
class Drawable:
    """A mesh placed in the world with one instance id. `double_sided=False` culls back faces
    (needed for zero-thickness back-to-back walls); furniture is drawn double-sided because
    real assets often have open or inconsistently wound faces. `emissive` in [0, 1] adds
    self-lit colour (window glass)."""

    mesh: Mesh | MeshPart
    model: np.ndarray  # (4, 4) model-to-world
    instance_id: int
    double_sided: bool = True
    emissive: float = 0.0


@dataclass
class RenderedFrame:
    rgb: np.ndarray | None  # (H, W, 3) uint8 sRGB; None from render_ids_only
    instance: np.ndarray  # (H, W) uint16, 0 where nothing
    depth: np.ndarray  # (H, W) float32 metres along the viewing axis, 0 where nothing


class Renderer:
    """Holds one GL context and one loaded scene. Not thread safe: use it from one thread."""

    def __init__(
        self,
        intrinsics: Intrinsics,
        near: float = 0.05,
        far: float = 50.0,
        device_index: int | None = None,
        texture_size: int = 512,
        background=(0.82, 0.85, 0.88),
    ):
        import moderngl

        self.intrinsics, self.near, self.far = intrinsics, float(near), float(far)
        self.texture_size = int(texture_size)
        self.background = tuple(float(c) for c in background)
        self.ctx = create_context(device_index)
        self.renderer_string = gl_renderer(self.ctx)
        w, h = intrinsics.width, intrinsics.height
        ctx = self.ctx
        self._color = ctx.texture((w, h), 4)
        self._ids = ctx.texture((w, h), 1, dtype="u2")  # R16UI: read straight into uint16
        self._depth = ctx.depth_texture((w, h))
        self._fbo = ctx.framebuffer([self._color, self._ids], self._depth)
        self._fbo_ids = ctx.framebuffer([self._ids], self._depth)
        self._fbo_color = ctx.framebuffer([self._color])  # for clearing colour alone
        self._prog = ctx.program(vertex_shader=shaders.VERTEX, fragment_shader=shaders.FRAGMENT)
        self._prog_ids = ctx.program(vertex_shader=shaders.VERTEX_IDS, fragment_shader=shaders.FRAGMENT_IDS)
        self._prog["u_tex"].value = 0
        ctx.front_face = "cw"  # the projection flips y (see _view_proj), which flips winding
        self._mgl = moderngl
        self._pending: list[Drawable] = []
        self._gpu: list = []  # GL objects of the loaded scene
        self._batch: Batch | None = None
        self._dirty = True
        log.info("Renderer %dx%d on %s", w, h, self.renderer_string)

    # ---- scene -----------------------------------------------------------------------

    def add(self, mesh: Mesh | MeshPart, model: np.ndarray, instance_id: int, **kw) -> None:
        """Queue one drawable (see Drawable for keyword options); uploaded at the next render."""
        self._pending.append(Drawable(mesh, np.asarray(model, dtype=np.float64), int(instance_id), **kw))
        self._dirty = True

    def load(self, drawables) -> None:
        """Replace the scene with `drawables` (an iterable of Drawable) and upload it now."""
        self.clear()
        for d in drawables:
            self._pending.append(d)
        self._upload()

    def clear(self) -> None:
        self._pending = []
        self._release_scene()
        self._dirty = True

    @property
    def stats(self) -> dict:
        """Counts for the loaded scene: drawables, triangles, vertices, texture layers."""
        if self._dirty:
            self._upload()
        b = self._batch
        return {"drawables": len(b.first), "triangles": int(b.count.sum()) // 3,
                "vertices": b.n_vertices, "texture_layers": b.n_layers, "texture_size": b.layer_size}

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
        vao = ctx.vertex_array(
            self._prog, [(vbo, shaders.VBO_FORMAT, *shaders.VBO_ATTRS)], index_buffer=ibo, index_element_size=4
        )
        vao_ids = ctx.vertex_array(
            self._prog_ids, [(vbo, shaders.VBO_FORMAT_IDS, *shaders.VBO_ATTRS_IDS)], index_buffer=ibo, index_element_size=4
        )
        self._gpu = [vao, vao_ids, vbo, ibo, tex]
        self._vao, self._vao_ids, self._tex = vao, vao_ids, tex
        self._batch, self._dirty = b, False
        log.debug("uploaded scene: %d drawables, %d tris, %d texture layers",
                  len(b.first), int(b.count.sum()) // 3, b.n_layers)

    # ---- frames ----------------------------------------------------------------------

    def _view_proj(self, cam_to_world: np.ndarray) -> np.ndarray:
        proj = self.intrinsics.projection(self.near, self.far).copy()
        # Render upside down so GL's bottom-up rows read back top-down with no flip copy.
        proj[1, :] *= -1.0
        return proj @ np.linalg.inv(np.asarray(cam_to_world, dtype=np.float64))

    def _visible_order(self, vp: np.ndarray, eye: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Indices of drawables inside the frustum, double-sided ones first, each group front to back."""
        b = self._batch
        if b is None or len(b.first) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        r = vp
        planes = np.stack([r[3] + r[0], r[3] - r[0], r[3] + r[1], r[3] - r[1], r[3] + r[2], r[3] - r[2]])
        planes /= np.linalg.norm(planes[:, :3], axis=1, keepdims=True)
        dist = b.centers @ planes[:, :3].T + planes[:, 3]
        inside = np.all(dist > -b.radii[:, None], axis=1)
        # Front to back lets llvmpipe's early depth test skip shading hidden fragments.
        d_eye = np.linalg.norm(b.centers - eye, axis=1) - b.radii
        idx = np.flatnonzero(inside)
        idx = idx[np.lexsort((d_eye[idx], ~b.double_sided[idx]))]
        return idx[b.double_sided[idx]], idx[~b.double_sided[idx]]

    def _draw(self, vao, vp: np.ndarray, eye: np.ndarray) -> None:
        two_sided, culled = self._visible_order(vp, eye)
        b = self._batch
        tri = self._mgl.TRIANGLES
        for group, cull in ((two_sided, False), (culled, True)):
            if cull:
                self.ctx.enable(self._mgl.CULL_FACE)
            else:
                self.ctx.disable(self._mgl.CULL_FACE)
            for i in group:
                if b.count[i] == 0:
                    continue
                vao.render(tri, vertices=int(b.count[i]), first=int(b.first[i]))

    def render(self, cam_to_world: np.ndarray) -> RenderedFrame:
        """Colour, instance ids and z-depth for one camera pose (OpenGL camera frame)."""
        if self._dirty:
            self._upload()
        vp = self._view_proj(cam_to_world)
        eye = np.asarray(cam_to_world, dtype=np.float64)[:3, 3]
        self._prog["u_vp"].write(vp.T.astype("f4").tobytes())
        self._prog["u_eye"].value = tuple(float(v) for v in eye)
        # Integer targets must be cleared to 0 on their own: a float clear colour garbles them.
        self._fbo_color.clear(*self.background, 1.0)
        self._fbo_ids.clear(0, 0, 0, 0, depth=1.0)
        self._fbo.use()
        self.ctx.enable_only(self._mgl.DEPTH_TEST)
        self._tex.use(0)
        self._draw(self._vao, vp, eye)
        return RenderedFrame(self._read_rgb(), *self._read_ids_depth())

    def render_ids_only(self, cam_to_world: np.ndarray) -> RenderedFrame:
        """Instance ids and depth without shading (faster; for annotation passes)."""
        if self._dirty:
            self._upload()
        vp = self._view_proj(cam_to_world)
        eye = np.asarray(cam_to_world, dtype=np.float64)[:3, 3]
        self._prog_ids["u_vp"].write(vp.T.astype("f4").tobytes())
        self._fbo_ids.use()
        self.ctx.enable_only(self._mgl.DEPTH_TEST)
        self._fbo_ids.clear(0, 0, 0, 0, depth=1.0)
        self._draw(self._vao_ids, vp, eye)
        return RenderedFrame(None, *self._read_ids_depth())

    def _read_rgb(self) -> np.ndarray:
        w, h = self.intrinsics.width, self.intrinsics.height
        rgb = np.empty((h, w, 3), np.uint8)
        self._fbo.read_into(rgb, components=3, attachment=0, alignment=1)
        return rgb

    def _read_ids_depth(self) -> tuple[np.ndarray, np.ndarray]:
        w, h = self.intrinsics.width, self.intrinsics.height
        ids = np.empty((h, w), np.uint16)
        self._fbo_ids.read_into(ids, components=1, attachment=0, alignment=1, dtype="u2")
        d = np.empty((h, w), np.float32)
        self._depth.read_into(d, alignment=4)
        return ids, self._linear_depth(d)

    def _linear_depth(self, d: np.ndarray) -> np.ndarray:
        """Window depth in [0, 1] -> eye-space z in metres (in place); 1.0 (cleared) -> 0."""
        n, f = self.near, self.far
        empty = d >= 1.0
        # z_ndc = 2d - 1;  z = 2fn / ((f + n) - z_ndc (f - n))  =  fn / (f - d (f - n))
        d *= np.float32(-(f - n))
        d += np.float32(f)
        np.divide(np.float32(f * n), d, out=d)
        d[empty] = 0.0
        return d

    # ---- lifetime --------------------------------------------------------------------

    def close(self) -> None:
        if self.ctx is not None:
            self._release_scene()
            self.ctx.release()
            self.ctx = None

    def __enter__(self) -> "Renderer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
