"""Tests for builder.assets: SH3D catalogue parsing, mesh normalisation, cache, parametric meshes."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from builder.assets import cache as disk
from builder.assets import sweethome3d as sh3d
from builder.assets.catalog import AssetCatalog
from builder.assets.categories import CATEGORIES, SUPER_CATEGORY, canonical, classify
from builder.assets.objload import MAX_TRIANGLES, decimate_clusters
from builder.assets.parametric import PARAMETRIC, box_mesh, build_parametric

HAVE_SH3D = all((sh3d.furniture_dir() / f"{c.name}.sh3f").is_file() for c in sh3d.CATALOGUES)
needs_sh3d = pytest.mark.skipif(not HAVE_SH3D, reason="apt package sweethome3d-furniture not installed")

KEY_CATEGORIES = ["bed", "sofa", "chair", "armchair", "table", "dining table", "coffee table", "desk",
                  "tv", "refrigerator", "toilet", "sink", "bathtub", "stove", "oven", "microwave",
                  "washer", "nightstand", "wardrobe", "bookshelf", "table lamp", "floor lamp", "plant",
                  "trash can", "cabinet", "kitchen cabinet"]
SMALL_MODELS = [  # plain, rotated (modelRotation), slightly rotated, textured, decimated
    "sh3d/BlendSwap-CC-0/sofa2", "sh3d/Scopia/chair", "sh3d/Scopia/coffee_table",
    "sh3d/KatorLegaz/fridge", "sh3d/Scopia/armchair1", "sh3d/BlendSwap-CC-0/bed1"]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    if not HAVE_SH3D:
        pytest.skip("apt package sweethome3d-furniture not installed")
    return AssetCatalog(cache_dir=tmp_path_factory.mktemp("asset_cache"))


def _check_frame(mesh, size, tol=0.01):
    pts = np.concatenate([p.positions for p in mesh.parts]).astype(np.float64)
    lo, hi = pts.min(0), pts.max(0)
    np.testing.assert_allclose(hi - lo, size, rtol=tol)
    assert abs(lo[1]) < 1e-5
    np.testing.assert_allclose((lo[[0, 2]] + hi[[0, 2]]) / 2, 0.0, atol=1e-4)
    for p in mesh.parts:
        assert p.positions.dtype == np.float32 and p.positions.shape[1] == 3
        assert len(p.positions) % 3 == 0 and p.normals.shape == p.positions.shape
        np.testing.assert_allclose(np.linalg.norm(p.normals, axis=1), 1.0, atol=1e-3)
        assert all(0.0 <= c <= 1.0 for c in p.color)
        if p.texture is not None:
            assert p.texture.dtype == np.uint8 and p.texture.ndim == 3 and p.texture.shape[2] == 3
            assert p.uvs is not None and p.uvs.shape == (len(p.positions), 2)


@needs_sh3d
def test_catalogue_has_key_categories(catalog):
    cats = set(catalog.categories())
    for c in KEY_CATEGORIES:
        assert c in cats, c
        assert any(e.catalogue != "parametric" for e in catalog.entries_for(c)), c
    assert catalog.stats["mapped"] > 250 and catalog.stats["unmapped"] > 0
    for c in cats:
        assert c in CATEGORIES
    # parametric fallbacks fill categories without Sweet Home 3D models
    for c in catalog.parametric_only:
        assert [e.catalogue for e in catalog.entries_for(c)] == ["parametric"] * len(catalog.entries_for(c))
    assert {"dishwasher", "mirror", "pillow", "painting", "monitor"} <= set(catalog.parametric_only)


@needs_sh3d
def test_entries_ordered_folded_and_synonyms(catalog):
    sofas = catalog.entries_for("sofa")
    assert [e.asset_id for e in sofas] == sorted(e.asset_id for e in sofas)
    assert catalog.entries_for("couch") == sofas
    chairs = catalog.entries_for("chair", fold=True)
    assert {e.category for e in chairs} == {"chair", "armchair", "office chair"}
    e = catalog.entry("sh3d/BlendSwap-CC-0/bed1")
    assert e.category == "bed" and e.size_m == pytest.approx((1.407, 0.955, 2.08))
    assert e.licence == "CC0-1.0" and not e.requires_attribution
    assert catalog.entry("sh3d/Scopia/chair").model_rotation is not None
    with pytest.raises(KeyError):
        catalog.entry("sh3d/nope/nothing")
    for entry in catalog.entries_for("wall cabinet"):
        assert entry.elevation_m > 1.0  # hung above the counter


@needs_sh3d
@pytest.mark.parametrize("asset_id", SMALL_MODELS)
def test_loaded_mesh_matches_catalogue_size(catalog, asset_id):
    entry = catalog.entry(asset_id)
    mesh = catalog.load_mesh(asset_id)
    _check_frame(mesh, entry.size_m)
    assert mesh.triangle_count <= MAX_TRIANGLES
    assert catalog.load_mesh(asset_id) is mesh  # memory cache
    assert not mesh.parts[0].positions.flags.writeable


@needs_sh3d
def test_textured_model_has_texture(catalog):
    mesh = catalog.load_mesh("sh3d/Scopia/frame1")  # a framed photo
    _check_frame(mesh, catalog.entry("sh3d/Scopia/frame1").size_m)
    textured = [p for p in mesh.parts if p.texture is not None]
    assert textured and all(p.color == (1.0, 1.0, 1.0) for p in textured)  # shown unmodulated
    assert max(max(p.texture.shape[:2]) for p in textured) <= 1024


@needs_sh3d
def test_generator_queries(catalog):
    """Names and placements the house recipes use resolve to sensible models."""
    assert {e.category for e in catalog.entries_for("lamp", placement="corner")} == {"floor lamp"}
    assert {e.category for e in catalog.entries_for("lamp")} >= {"table lamp", "ceiling lamp"}
    assert {e.category for e in catalog.entries_for("lamp", placement="on_surface")} <= \
        {"table lamp", "desk lamp"}
    assert {e.category for e in catalog.entries_for("kitchen counter")} == {"kitchen cabinet"}
    assert {e.category for e in catalog.entries_for("side table")} == {"nightstand"}
    walls = catalog.entries_for("cabinet", fold=True, placement="wall")
    assert "wall cabinet" not in {e.category for e in walls} and len(walls) > 5
    clocks = catalog.entries_for("clock", placement="wall_mounted")
    assert clocks and all(e.elevation_m > 0.1 for e in clocks)
    for e in catalog.entries_for("plant", placement="on_surface"):
        assert e.size_m[1] < 0.45


@needs_sh3d
@pytest.mark.parametrize("asset_id", ["sh3d/BlendSwap-CC-0/sofa2", "sh3d/Scopia/chair",
                                      "sh3d/BlendSwap-CC-0/toiletsUnit", "sh3d/Scopia/bed1"])
def test_front_faces_plus_z(catalog, asset_id):
    """Backrests / headboards / cisterns (the tall parts) sit at the back, i.e. towards -z."""
    mesh = catalog.load_mesh(asset_id)
    pts = np.concatenate([p.positions for p in mesh.parts])
    h = pts[:, 1].max()
    assert pts[pts[:, 1] > 0.85 * h, 2].mean() < 0


@needs_sh3d
def test_cache_round_trip_is_identical(catalog, tmp_path):
    asset_id = "sh3d/Scopia/coffee_table"
    first = AssetCatalog(cache_dir=tmp_path)
    a = first.load_mesh(asset_id)
    path = disk.cache_path(tmp_path, asset_id)
    assert path.is_file() and str(disk.LOADER_VERSION) in str(path.parent)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    b = AssetCatalog(cache_dir=tmp_path).load_mesh(asset_id)  # served from disk
    assert len(a.parts) == len(b.parts)
    for p, q in zip(a.parts, b.parts):
        for name in ("positions", "normals", "uvs", "texture"):
            x, y = getattr(p, name), getattr(q, name)
            assert (x is None) == (y is None)
            if x is not None:
                assert x.dtype == y.dtype and np.array_equal(x, y)
        assert p.color == q.color
    fresh = AssetCatalog(cache_dir=tmp_path / "again").load_mesh(asset_id)  # deterministic bytes
    assert fresh.triangle_count == a.triangle_count
    assert hashlib.sha256(disk.cache_path(tmp_path / "again", asset_id).read_bytes()).hexdigest() == digest


def test_cache_rejects_stale_meta(tmp_path):
    path = tmp_path / "x.npz"
    disk.save_mesh(path, box_mesh((1, 2, 3)), {"asset_id": "x", "loader_version": 1})
    assert disk.load_mesh(path, {"asset_id": "x", "loader_version": 1}) is not None
    assert disk.load_mesh(path, {"asset_id": "x", "loader_version": 2}) is None
    path.write_bytes(b"garbage")
    assert disk.load_mesh(path, {"asset_id": "x"}) is None


@needs_sh3d
def test_attribution_lists_cc_by_creator(catalog, tmp_path):
    by = next(e for e in catalog.entries_for("sofa") if e.catalogue == "BlendSwap-CC-BY")
    ids = [by.asset_id, "sh3d/BlendSwap-CC-0/bed1", "parametric/pillow", by.asset_id]
    rows = catalog.attribution_rows(ids)
    assert len(rows) == 3
    row = next(r for r in rows if r["asset_id"] == by.asset_id)
    assert row["requires_attribution"] == "yes" and row["licence"] == "CC-BY-3.0"
    text = catalog.write_attribution(ids, tmp_path / "ATTRIBUTION.md").read_text()
    assert by.creator in text and "CC-BY-3.0" in text and by.source in text
    assert "creativecommons.org/licenses/by/3.0" in text
    kl = catalog.entries_for("refrigerator")
    assert any(e.licence == "CC-BY-3.0-US" for e in kl)


def test_missing_catalogue_dir_gives_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        AssetCatalog(furniture_dir=tmp_path / "missing", cache_dir=tmp_path)
    msg = str(err.value)
    assert ".sh3f" in msg and "sweethome3d-furniture" in msg and str(tmp_path) in msg


@pytest.mark.parametrize("category", sorted(PARAMETRIC))
def test_parametric_meshes(category):
    size = PARAMETRIC[category][0]
    mesh = build_parametric(category)
    _check_frame(mesh, size, tol=1e-4)
    _check_frame(build_parametric(category, (1.0, 0.5, 0.25)), (1.0, 0.5, 0.25), tol=1e-4)
    for p in mesh.parts:  # counter-clockwise winding agrees with the stored normals
        tri = p.positions.reshape(-1, 3, 3).astype(np.float64)
        fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        assert (np.einsum("ij,ij->i", fn, p.normals.reshape(-1, 3, 3).mean(1)) > 0).all()


def test_box_mesh():
    m = box_mesh((2.0, 1.0, 0.5), (0.2, 0.3, 0.4))
    _check_frame(m, (2.0, 1.0, 0.5), tol=1e-6)
    assert m.triangle_count == 12 and m.parts[0].color == (0.2, 0.3, 0.4)


def test_decimation_reduces_to_target():
    g = np.linspace(0, 1, 120)
    xx, zz = np.meshgrid(g, g)
    P = np.stack([xx.ravel(), np.sin(xx.ravel() * 6) * 0.1, zz.ravel()], 1)
    idx = np.arange(120 * 120).reshape(120, 120)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel(), idx[1:, 1:].ravel(), idx[1:, :-1].ravel()
    tris = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])
    newP, newT, keep = decimate_clusters(P, tris, 5000)
    assert len(newT) <= 5000 and keep.sum() == len(newT) and newT.max() < len(newP)
    np.testing.assert_allclose(newP.min(0)[[0, 2]], 0, atol=0.05)


def test_classify_and_synonyms():
    s = (1.0, 0.8, 0.9)
    assert classify("Armchair", (), "Living room", s) == "armchair"
    assert SUPER_CATEGORY["armchair"] == "chair" and SUPER_CATEGORY["office chair"] == "chair"
    assert classify("Chair", ("Seat",), "Office", s) == "office chair"
    assert classify("Bedside table", (), "Bedroom", (0.5, 0.45, 0.45)) == "nightstand"
    assert classify("Island bath", (), "Bathroom", (1.7, 1.08, 0.94)) == "bathtub"
    assert classify("Table", ("Dining",), "Living room", (1.4, 0.75, 0.9)) == "dining table"
    assert classify("Stove", (), "Kitchen", (0.33, 0.056, 0.6)) == "cooktop"
    assert classify("Lamp", (), "Lights", (0.4, 1.43, 0.6)) == "floor lamp"
    assert classify("Lamp", (), "Lights", (0.3, 0.4, 0.3)) == "table lamp"
    assert classify("Lamp", (), "Lights", (0.5, 0.6, 0.5), elevation_m=1.86) == "ceiling lamp"
    assert classify("Bench", (), "Exterior", s) is None
    assert classify("Urinal", (), "Bathroom", s) is None
    assert canonical("Couch") == "sofa" and canonical("fridge") == "refrigerator"
    assert canonical("TV") == "tv" and canonical("night stand") == "nightstand"
    for info in CATEGORIES.values():
        assert info.rooms and info.placements


def test_properties_parser():
    text = "# c\n! c\nid#1 = a\\\n    b\nname#1:Caf\\u00e9\nx y\ntags#1=A, B\\=C\n"
    p = sh3d.parse_properties(text)
    assert p == {"id#1": "ab", "name#1": "Café", "x": "y", "tags#1": "A, B=C"}
