"""`simsv qa-priors`: answer distributions measured on generated houses, checked against
counts made another way (shoelace areas, a plain loop over object pairs)."""

import json
from collections import Counter

import numpy as np
import pytest

from builder.houses.generate import generate_house
from builder.houses.spec import polygon_area
from builder.qa.choices import answer_priors, numeric_options, prior_for
from builder.qa.config import QAConfig
from builder.qa.geometry import house_geometry
from builder.qa.priors import distance_prior, layout_priors
from builder.qa.slot_rng import SlotRandom
from builder.qa.taxonomy import confusion_group, family, reference_name
from simsv_vsi.answers import format_number
from tests.conftest import simsv


def test_room_areas_and_counts_cover_every_room(fake_catalog):
    cfg = QAConfig()
    types, sizes = layout_priors(fake_catalog, cfg, seed=5, houses=6)
    houses = [generate_house(i, 5, fake_catalog) for i in range(6)]
    areas = Counter(format_number(abs(polygon_area([tuple(p) for p in r.polygon])), 1) for h in houses for r in h.rooms)
    room = types["room_size_estimation"]
    assert dict(zip((format_number(v, 1) for v in room["values"]), room["counts"])) == dict(areas)
    assert room["n"] == sum(areas.values())
    per_room = Counter((h.id, o.room_id, family(o.category)) for h in houses for o in h.objects)
    want = Counter(n for n in per_room.values() if cfg.min_count <= n <= cfg.max_count)
    count = types["object_counting"]
    assert dict(zip(count["values"], count["counts"])) == {float(k): v for k, v in want.items()}
    assert sum(len(v) for v in sizes.values()) == sum(len(h.objects) for h in houses)


@pytest.mark.slow  # ~75 s on 2 cores since houses got denser (two mesh-distance passes over ~170 objects)
def test_distance_prior_counts_the_askable_pairs(real_catalog, monkeypatch):
    import builder.qa.priors as priors_module

    monkeypatch.setattr(priors_module, "PAIR_MIN_SAMPLES", 1)  # one house: every pair once
    cfg = QAConfig()
    house = generate_house(0, 5, real_catalog)
    g = house_geometry(house, real_catalog.load_mesh, None)
    col = {int(i): k for k, i in enumerate(g.instance_ids)}
    objs = house.objects
    groups = Counter(confusion_group(o.category) for o in objs)
    want, names = [], []
    for a in objs:  # every object alone in its group, to the closest member of each other family
        if groups[confusion_group(a.category)] != 1:
            continue
        for fam in sorted({family(o.category) for o in objs}):
            members = [o for o in objs if family(o.category) == fam]
            grp = {confusion_group(o.category) for o in members}
            if len(grp) != 1 or confusion_group(a.category) in grp:
                continue
            if len({family(o.category) for o in objs if confusion_group(o.category) in grp}) != 1:
                continue  # a group shared by two families is never named by family
            d = min(g.distances[col[a.instance_id], col[o.instance_id]] for o in members)
            if d >= cfg.min_abs_distance_m:
                want.append(format_number(d, 1))
                # as the question names them: a unique instance by its reference name
                name = reference_name(members[0].category) if len(members) == 1 else fam
                names.append(tuple(sorted((reference_name(a.category), name))))
    got, pairs = distance_prior(real_catalog, cfg, seed=5, houses=1)
    assert got["n"] == len(want) > 20
    assert dict(zip((format_number(v, 1) for v in got["values"]), got["counts"])) == dict(Counter(want))
    assert min(got["values"]) >= cfg.min_abs_distance_m
    assert {tuple(k.split("|")): v["n"] for k, v in pairs.items()} == dict(Counter(names))


def test_cli_writes_priors_that_draw_options(tmp_path):
    out = tmp_path / "priors.json"
    simsv("qa-priors", "--layout-houses", "3", "--distance-houses", "0", "--seed", "5", "--out", str(out), "--quiet")
    raw = json.loads(out.read_text())
    assert "seed 5" in raw["source"]
    priors = answer_priors(str(out))
    assert prior_for(priors, "object_abs_distance", {"object1": "bed", "object2": "lamp"}) is None  # not measured
    room = priors["room_size_estimation"]
    assert room.samples and sum(room.weights) == raw["types"]["room_size_estimation"]["n"]
    answer = float(np.repeat(room.samples, room.weights)[sum(room.weights) // 2])  # the median room
    drawn = [numeric_options(answer, 1, room, SlotRandom(k)) for k in range(200)]
    kept = [d for d in drawn if d is not None]
    assert kept, "no option set fits the median room"
    assert all(float(x) in set(room.samples) for d in kept for x in d[1:])  # distractors are measured areas


def test_reweighting_moves_mass_where_answers_fall_and_keeps_every_value():
    from builder.qa.priors import reweighted

    pmf = {"values": [float(v) for v in range(1, 101)], "counts": [10] * 100, "n": 1000}
    answers = [float(v) for v in range(1, 51)] * 3 + [float(v) for v in range(51, 101)]  # 3:1 low:high
    out = reweighted(pmf, answers, bins=10)
    w = np.asarray(out["counts"], float)
    assert out["values"] == pmf["values"] and (w >= 1).all()
    low, high = w[:50].sum(), w[50:].sum()
    assert 2.6 < low / high < 3.4  # was 1:1
    assert np.ptp(w[:10]) <= 1  # within a tenth the generated shape is kept (flat here)


def test_cli_reference_corrects_counts_and_ranges(qa_corpus, tmp_path):
    import shutil

    ref = tmp_path / "ref"
    shutil.copytree(qa_corpus, ref)  # the reference pass rewrites its qa/
    out = tmp_path / "priors.json"
    simsv("qa-priors", "--layout-houses", "3", "--distance-houses", "0", "--seed", "5", "--reference", str(ref),
          "--out", str(out), "--quiet")
    raw = json.loads(out.read_text())
    from simsv_vsi.records import read_records

    t = read_records(ref / "qa" / "records.parquet").to_pylist()
    counts = Counter(int(float(r["answer_value"])) for r in t if r["question_type"] == "object_counting")
    got = raw["types"]["object_counting"]
    assert dict(zip(got["values"], got["counts"])) == {float(k): v for k, v in counts.items()}
    rooms = [r for r in t if r["question_type"] == "room_size_estimation"]
    assert raw["types"]["room_size_estimation"]["reference_n"] == len(rooms) > 0
    assert "ref" in raw["source"]
    sizes = [r for r in t if r["question_type"] == "object_size_estimation"]
    assert 0 < raw["object_size_selection"]["reference_n"] <= len(sizes)


def test_size_selection_follows_where_answers_rank_and_weights_the_samples(tmp_path):
    from builder.qa.priors import size_selection

    sizes = {"chair": [float(v) for v in range(1, 201)], "bed": [float(v) for v in range(100, 300)]}
    # answers only from the upper half of each category's sizes: small ones never asked
    answers = [("chair", float(v)) for v in range(101, 201)] * 6 + [("bed", float(v)) for v in range(200, 300)] * 6
    sel = size_selection(sizes, answers + [("sofa", 5.0)])  # a category without sizes is skipped
    assert sel["reference_n"] == len(answers) and len(sel["ratios"]) == 10
    assert max(sel["ratios"][:5]) < 0.05 and min(sel["ratios"][5:]) > 1.9
    path = tmp_path / "priors.json"
    path.write_text(json.dumps({"types": {}, "object_size_by_category": sizes, "object_size_selection": sel}))
    chair = answer_priors(str(path))["object_size_estimation/chair"]
    assert chair.samples == tuple(sizes["chair"])
    assert chair.weights[-1] > 40 * chair.weights[0]  # the largest chairs ~2 against the smallest ~0.01 (at least 1)
