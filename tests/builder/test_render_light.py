"""Baked lighting and camera effects: determinism with every effect on, ground truth untouched by
the effects, a shadow where geometry puts it, clear errors for bad settings."""

import json
import subprocess
import sys

import numpy as np
import pytest

from builder.capture.camera import Intrinsics, cam_to_world
from builder.config import BuildConfig, CaptureConfig, RenderConfig
from builder.render import bake
from builder.render.renderer import Drawable, Renderer
from builder.render.scene import _part
from tests.builder.test_render import box_mesh, translate

pytestmark = pytest.mark.render
K = Intrinsics(160, 120, 60.0)
ALL_ON = RenderConfig(lighting="baked", msaa=4, fxaa=False, motion_blur=0.8, noise=0.05, defocus_px=1.0, auto_exposure=True)
ALL_ON_FXAA = RenderConfig(lighting="baked", msaa=0, fxaa=True, motion_blur=0.8, noise=0.05, defocus_px=1.0,
                           auto_exposure=True)
LIGHT = np.array([0.0, 2.5, 0.0])
SLAB = (np.array([-0.5, 0.95, -0.5]), np.array([0.5, 1.05, 0.5]))  # a 1 m square table top at ~1 m


def floor_grid(half: float = 2.0, step: float = 0.1):
    """A finely tessellated floor (y = 0), facing up."""
    xs = np.arange(-half, half, step)
    tris = []
    for x in xs:
        for z in xs:
            a, b, c, d = (x, 0, z), (x + step, 0, z), (x + step, 0, z + step), (x, 0, z + step)
            tris += [[a, b, c], [a, c, d]]
    return _part(np.array(tris, float), (0, 1, 0), (0.8, 0.8, 0.8))


def scene():
    lo, hi = SLAB
    slab = box_mesh(tuple(hi - lo), (0.6, 0.4, 0.3))
    return [Drawable(floor_grid(), np.eye(4), 1001, culling="back", occluder=True),
            Drawable(slab, translate((lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2), 7)]


def rig():
    return bake.LightRig([bake.Light(LIGHT, np.full(3, 6.0))], np.full(3, 0.05), wall_height=3.0)


POSES = [cam_to_world((0.0, 1.6, 3.0 - 0.15 * k), 180.0 + 4.0 * k, -30.0) for k in range(4)]


def render_sequence(cfg, seed=3):
    with Renderer(K, config=cfg) as r:
        r.load(scene(), rig())
        r.begin_sequence(seed, 10.0)
        return [r.render(p) for p in POSES]


@pytest.mark.parametrize("cfg", [ALL_ON, ALL_ON_FXAA], ids=["msaa", "fxaa"])
def test_every_effect_on_is_deterministic_and_seeded(cfg):
    a, b = render_sequence(cfg), render_sequence(cfg)
    for fa, fb in zip(a, b):
        assert fa.rgb.tobytes() == fb.rgb.tobytes()
    other = render_sequence(cfg, seed=4)  # another video's noise
    assert other[-1].rgb.tobytes() != a[-1].rgb.tobytes()
    assert (other[-1].instance == a[-1].instance).all()


@pytest.mark.parametrize("cfg", [ALL_ON, ALL_ON_FXAA], ids=["msaa", "fxaa"])
def test_ids_and_depth_unchanged_by_effects(cfg):
    plain = render_sequence(RenderConfig.off())
    for fx, fp in zip(render_sequence(cfg), plain):
        assert (fx.instance == fp.instance).all()
        assert fx.depth.tobytes() == fp.depth.tobytes()
        assert not np.array_equal(fx.rgb, fp.rgb)
    assert {7, 1001} <= set(np.unique(plain[0].instance).tolist())


def _segment_hits_box(p, q, lo, hi) -> bool:
    """Does the segment p -> q cross the box (slab test)?"""
    d = q - p
    t0, t1 = 0.0, 1.0
    for k in range(3):
        if abs(d[k]) < 1e-12:
            if not lo[k] <= p[k] <= hi[k]:
                return False
            continue
        a, b = sorted(((lo[k] - p[k]) / d[k], (hi[k] - p[k]) / d[k]))
        t0, t1 = max(t0, a), min(t1, b)
    return t0 <= t1


def test_known_occluder_casts_its_shadow_where_geometry_says():
    from builder.render.packing import pack_scene

    b = pack_scene(scene())
    with Renderer(K, config=RenderConfig(msaa=0)) as r:
        r.load(scene(), rig())
        irr = r._batch.vertices["irr"][:, 0]
    floor = np.flatnonzero(b.vertices["id"] == 1001)
    pos = b.vertices["pos"][floor].astype(float)
    lo, hi = SLAB
    # the slab's shadow shrunk and grown by a margin: inside must be dark, outside lit
    shadowed, lit = [], []
    for i, p in zip(floor, pos):
        hits = [_segment_hits_box(p + off, LIGHT, lo, hi) for off in ((0.08, 0, 0), (-0.08, 0, 0), (0, 0, 0.08), (0, 0, -0.08))]
        if all(hits):
            shadowed.append(irr[i])
        elif not any(hits) and np.linalg.norm(p[[0, 2]]) < 1.9:
            lit.append(irr[i])
    assert len(shadowed) > 20 and len(lit) > 100
    # direct light alone at the lit points is >= 6 * 0.3 / 7 ~ 0.25; shadowed keeps only the ambient
    assert max(shadowed) < 0.06 < 0.2 < min(lit)
    # and on screen: floor pixels whose world point lies well inside the shadow are darker
    c2w = cam_to_world((0.0, 2.0, 3.2), 180.0, -35.0)
    with Renderer(K, config=RenderConfig(msaa=0, motion_blur=0, noise=0, defocus_px=0, auto_exposure=False)) as r:
        r.load(scene(), rig())
        f = r.render(c2w)
    v, u = np.mgrid[0:K.height, 0:K.width] + 0.5
    d = f.depth
    cam = np.stack([(u - K.cx) / K.fx * d, -(v - K.cy) / K.fy * d, -d, np.ones_like(d)], -1)
    world = cam @ c2w.T
    floor_px = f.instance == 1001
    assert np.abs(world[floor_px][:, 1]).max() < 0.02  # depth and ids agree with the geometry
    r_xz = np.hypot(world[..., 0], world[..., 2])
    under = floor_px & (np.abs(world[..., 0]) < 0.3) & (np.abs(world[..., 2]) < 0.3)
    open_ = floor_px & (r_xz > 1.2) & (r_xz < 1.6)
    y = f.rgb.astype(float).mean(2)
    assert under.sum() > 50 and open_.sum() > 50
    assert np.median(y[under]) < 0.5 * np.median(y[open_])


def test_each_material_gets_its_shading_from_its_own_program():
    """Plain, glossy and window-glass drawables are drawn by different programs (llvmpipe runs
    every branch for every pixel): the glossy floor still shows the light's highlight and the
    glass still shows the outside, and the plain slab looks the same with any neighbours."""
    plain = RenderConfig(fxaa=False, motion_blur=0.0, noise=0.0, defocus_px=0.0, auto_exposure=False)
    pose = cam_to_world((0.0, 1.6, 2.4), 180.0, -38.0)

    def render(gloss=0.0, glass=False):
        lo, hi = SLAB
        floor = Drawable(floor_grid(), np.eye(4), 1001, culling="back", occluder=True, gloss=gloss)
        slab = Drawable(box_mesh(tuple(hi - lo), (0.6, 0.4, 0.3)), translate(0.0, lo[1], 0.0), 7)
        extra = [Drawable(box_mesh((0.6, 0.6, 0.02), (1, 1, 1)), translate(0.9, 0.2, 0.5), 8, material="sky")] if glass else []
        with Renderer(K, config=plain) as r:
            r.load([floor, slab, *extra], rig())
            return r.render(pose)

    matte, glossy, with_glass = render(), render(gloss=0.6), render(glass=True)
    floor = matte.instance == 1001
    assert np.abs(glossy.rgb.astype(int) - matte.rgb.astype(int))[floor].max() > 20  # a highlight on the floor
    slab = matte.instance == 7
    assert slab.sum() > 100 and (glossy.rgb[slab] == matte.rgb[slab]).all()
    glass = with_glass.instance == 8
    assert glass.sum() > 50
    outside = with_glass.rgb[glass].astype(float)
    assert outside.std(0).max() > 0 and abs(outside.mean() - matte.rgb[glass].astype(float).mean()) > 10
    assert (with_glass.rgb[slab & (with_glass.instance == 7)] == matte.rgb[slab & (with_glass.instance == 7)]).all()


def test_fxaa_smooths_edges_and_leaves_flat_regions_alone():
    """Baked light, no other effect: FXAA changes pixels on the slab's slanted silhouette (there
    the staircase becomes intermediate shades) and nothing where the frame is locally flat."""
    plain = dict(motion_blur=0.0, noise=0.0, defocus_px=0.0, auto_exposure=False)
    pose = cam_to_world((0.3, 1.7, 2.6), 187.0, -32.0)
    frames = {}
    for aa in (False, True):
        with Renderer(K, config=RenderConfig(fxaa=aa, **plain)) as r:
            r.load(scene(), rig())
            frames[aa] = r.render(pose)
    off, on = frames[False], frames[True]
    assert (off.instance == on.instance).all() and off.depth.tobytes() == on.depth.tobytes()
    y = off.rgb.astype(float) @ [0.299, 0.587, 0.114]
    pad = np.pad(y, 1, mode="edge")
    win = np.stack([pad[1 + dy:1 + dy + y.shape[0], 1 + dx:1 + dx + y.shape[1]]
                    for dy in (-1, 0, 1) for dx in (-1, 0, 1)])
    flat = win.max(0) - win.min(0) < 6  # 3x3 luma range under 6 levels: no edge to smooth
    changed = np.abs(on.rgb.astype(int) - off.rgb.astype(int)).max(2) > 0
    assert flat.mean() > 0.5 and not changed[flat].any()
    ids = off.instance
    boundary = np.zeros_like(changed)
    boundary[:, 1:] |= ids[:, 1:] != ids[:, :-1]
    boundary[1:, :] |= ids[1:, :] != ids[:-1, :]
    assert boundary.sum() > 100
    assert changed[boundary].mean() > 0.3  # most silhouette pixels are blended
    # the step edge gains in-between shades: more distinct values on the silhouette
    assert len(np.unique(on.rgb[boundary], axis=0)) > 1.5 * len(np.unique(off.rgb[boundary], axis=0))


@pytest.mark.parametrize("field,value,msg", [
    ("msaa", 3, "render.msaa: must be 0, 2, 4 or 8"),
    ("fxaa", "yes", "render.fxaa: must be true or false"),
    ("noise", -0.1, "render.noise: must be a number in [0, 0.2]"),
    ("motion_blur", 1.5, "render.motion_blur"),
    ("lighting", "sun", "render.lighting"),
    ("defocus_px", "1", "render.defocus_px"),
])
def test_bad_effect_parameter_is_a_clear_error(field, value, msg):
    with pytest.raises(ValueError, match=msg.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        RenderConfig(**{"fxaa": False, field: value})


def test_msaa_and_fxaa_together_is_a_clear_error():
    with pytest.raises(ValueError, match=r"render\.fxaa: must be false when render\.msaa is set"):
        RenderConfig(msaa=4, fxaa=True)


@pytest.mark.parametrize("flags,names", [
    (["--msaa", "3"], "argument --msaa: must be 0, 2, 4 or 8"),
    (["--aa", "msaa3"], "argument --aa: invalid choice"),
    (["--aa", "fxaa", "--msaa", "4"], "argument --msaa: not allowed with argument --aa"),
    (["--video-kbps", "5"], "argument --video-kbps: must be 0 (constant quality"),
])
def test_bad_effect_flag_exits_with_one_line(tmp_path, flags, names):
    out = tmp_path / "c"
    r = subprocess.run([sys.executable, "-m", "builder", "generate", "--houses", "1", "--out", str(out), *flags,
                        "--quiet"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and names in r.stderr and not out.exists()
    assert len(r.stderr.strip().splitlines()) == 1


def test_aa_flags_map_to_the_render_config():
    from builder.cli import _render_config, make_parser

    def cfg(*flags):
        return _render_config(make_parser().parse_args(["generate", "--houses", "1", "--out", "x", *flags]))

    assert (cfg().fxaa, cfg().msaa) == (True, 0)  # the CPU default
    assert (cfg("--aa", "msaa4").fxaa, cfg("--aa", "msaa4").msaa) == (False, 4)
    assert (cfg("--msaa", "2").fxaa, cfg("--msaa", "2").msaa) == (False, 2)  # the older flag keeps its meaning
    assert (cfg("--msaa", "0").fxaa, cfg("--aa", "off").fxaa, cfg("--aa", "off").msaa) == (False, False, 0)


def test_render_settings_saved_only_where_they_differ_from_older_builds():
    old = BuildConfig()  # CaptureConfig's default render is the look of builds made before these settings
    assert old.capture.render == RenderConfig.off()
    assert "render" not in old.to_json()["capture"]  # so folders built before them resume as built
    assert BuildConfig.from_json(json.loads(json.dumps(old.to_json()))) == old
    new = BuildConfig(capture=CaptureConfig(render=RenderConfig(msaa=0, noise=0.0)))
    d = json.loads(json.dumps(new.to_json()))
    assert d["capture"]["render"] == {"lighting": "baked", "fxaa": True, "motion_blur": 0.35, "defocus_px": 0.7,
                                      "auto_exposure": True}
    assert BuildConfig.from_json(d) == new
    # a build made with MSAA before fxaa existed records no `fxaa`: it resumes with MSAA alone
    before = {"houses": 1, "seed": 0, "capture": {"width": 680, "height": 384, "vfov_deg": 59.0, "fps": 10,
              "trajectories_per_house": 2, "render": {"lighting": "baked", "msaa": 4, "motion_blur": 0.35}}}
    r = BuildConfig.from_json(before).capture.render
    assert (r.msaa, r.fxaa) == (4, False) and BuildConfig.from_json(before).to_json() == before
    # the video bitrate: left out at constant quality (older builds), kept otherwise
    assert BuildConfig.from_json(before).capture.video_kbps == 0
    kb = BuildConfig(capture=CaptureConfig(video_kbps=700))
    assert kb.to_json()["capture"]["video_kbps"] == 700 and BuildConfig.from_json(kb.to_json()) == kb
    with pytest.raises(ValueError, match=r"capture\.video_kbps: must be 0"):
        BuildConfig.from_json({**before, "capture": {**before["capture"], "video_kbps": 7}})


def test_each_house_of_a_corpus_gets_its_own_look(fake_catalog):
    """Paints, door finish and light rig are keyed by (corpus seed, house id): two houses of one
    corpus differ, the same house twice is the same, and another corpus seed changes the look."""
    from builder.houses.generate import generate_house
    from builder.render.scene import build_scene, look_seed

    houses = [generate_house(i, 4, fake_catalog) for i in range(6)]
    assert len({look_seed(h) for h in houses}) == 6
    rigs = [build_scene(h, fake_catalog.load_mesh)[1] for h in houses]
    assert len({tuple(np.round(r.white_balance, 6)) for r in rigs}) == 6  # bulb colour drawn per house
    assert len({tuple(np.round(r.sun_dir, 6)) for r in rigs}) == 6
    again = build_scene(generate_house(2, 4, fake_catalog), fake_catalog.load_mesh)[1]
    assert np.array_equal(again.white_balance, rigs[2].white_balance)
    other = generate_house(2, 5, fake_catalog)
    assert look_seed(other) != look_seed(houses[2])


def test_panelled_leaves_carry_mouldings_on_both_faces_within_the_leaf():
    from builder.houses.doors import LeafPose
    from builder.render.scene import _leaf_drawables

    pose = LeafPose(hinge=np.array([1.0, 2.0]), along=np.array([0.0, 1.0]), across=np.array([1.0, 0.0]),
                    width=0.8, thickness=0.04, bottom=0.0, top=2.05)
    flush = _leaf_drawables(pose, 7, (0.9, 0.9, 0.9))
    panelled = _leaf_drawables(pose, 7, (0.9, 0.9, 0.9), panels=True)
    assert len(panelled) == len(flush) + 1 and {d.instance_id for d in panelled} == {7}
    pos = panelled[-1].mesh.positions.reshape(-1, 3)
    x = pos[:, 0]  # across the leaf: the slab spans x = 1.0 .. 1.04; bands stand just proud of both faces
    assert np.isclose(x.min(), 1.0 - 0.004) and np.isclose(x.max(), 1.04 + 0.004)
    assert np.all(np.minimum(np.abs(x - (1.0 - 0.004)), np.abs(x - (1.04 + 0.004))) < 1e-6)  # bands' faces only
    assert pos[:, 2].min() > 2.0 + 0.1 and pos[:, 2].max() < 2.8 - 0.1  # inside the stiles
    assert pos[:, 1].min() >= 0.2 - 1e-9 and pos[:, 1].max() <= 2.05 - 0.12 + 1e-9
    small = LeafPose(pose.hinge, pose.along, pose.across, 0.4, 0.04, 0.0, 2.05)
    assert len(_leaf_drawables(small, 7, (0.9, 0.9, 0.9), panels=True)) == 3  # too narrow for panels


def test_wall_variety_counts_colours_per_house_and_over_houses():
    """bench look's variety figure: houses repeating each other's paints show in the pooled count."""
    from types import SimpleNamespace as NS

    from builder.render.bench_look import wall_variety

    house = NS(walls=[NS(instance_id=1, room_id="a"), NS(instance_id=2, room_id="b")])
    ids = np.zeros((2, 20, 40), np.uint16)
    ids[:, :, :20], ids[:, :, 20:] = 1, 2
    frames = [(house, [None]), (house, [None])]  # one frame per house

    def paint(*colours):
        rgb = np.zeros((2, 20, 40, 3), np.uint8)
        for k, (left, right) in enumerate(colours):
            rgb[k, :, :20], rgb[k, :, 20:] = left, right
        return rgb

    red, blue, green, grey = (200, 40, 40), (40, 40, 200), (40, 200, 40), (128, 128, 128)
    assert wall_variety(frames, ids, paint((red, blue), (red, blue))) == ([2, 2], 2)  # the same paints twice
    assert wall_variety(frames, ids, paint((red, blue), (green, grey))) == ([2, 2], 4)
    assert wall_variety(frames, ids, paint((red, red), (green, grey))) == ([1, 2], 3)
