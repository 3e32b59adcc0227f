"""Mixes: exact counts, no replacement, spread over houses, held-out houses, determinism."""

from collections import Counter

import pyarrow as pa
import pytest

from simsv_vsi.mixes import MIX_3Q, allocate, max_size, sample_mix, split_houses
from simsv_vsi.records import QARecord, records_table


def fake_records(n_houses=10, per=30):
    recs = []
    for h in range(n_houses):
        for c in MIX_3Q:
            for k in range(per):
                recs.append(QARecord(f"h{h}:{c.question_type}:{c.format}:{k}", f"house_{h:06d}", h, 0, "v", "v.mp4",
                                     None, 0, 10, 10.0, c.question_type, c.format, "q?", None, "1", "1", 1.0, None))
    return records_table(recs)


def test_allocate_is_exact_and_proportional():
    counts = allocate(25000, [c.weight for c in MIX_3Q])
    assert counts == [8616, 6384, 3905, 3853, 2242] and sum(counts) == 25000
    assert sum(allocate(7, [1, 1, 1])) == 7


def test_sample_mix_exact_counts_without_replacement_spread_over_houses():
    t = fake_records()
    m = sample_mix("3q", t, 100, seed=0)
    assert m.num_rows == 100 and len(set(m["id"].to_pylist())) == 100
    by_type = Counter(m["question_type"].to_pylist())
    assert [by_type[c.question_type] for c in MIX_3Q] == allocate(100, [c.weight for c in MIX_3Q])
    # 34 abs-distance records over 10 houses: every house gives 3 or 4
    per_house = Counter(h for h, q in zip(m["house_id"].to_pylist(), m["question_type"].to_pylist())
                        if q == "object_abs_distance")
    assert set(per_house.values()) <= {3, 4} and len(per_house) == 10
    # order of input rows does not matter
    shuffled = t.take(pa.array(list(range(t.num_rows))[::-1]))
    assert sample_mix("3q", shuffled, 100, seed=0).equals(m)
    assert not sample_mix("3q", t, 100, seed=1).equals(m)


def test_too_large_a_mix_is_a_clear_error():
    t = fake_records(n_houses=2, per=3)
    assert max_size("3q", t) > 0
    with pytest.raises(ValueError, match="needs .* object_abs_distance/oe records"):
        sample_mix("3q", t, 10_000, seed=0)


def test_split_houses_holds_out_whole_houses_stably():
    houses = [f"house_{i:06d}" for i in range(40)]
    big = split_houses([f"house_{i:06d}" for i in range(2000)], seed=0)
    counts = Counter(big.values())
    assert abs(counts["test"] - 100) < 30 and abs(counts["validation"] - 100) < 30
    s = split_houses(houses, seed=0)
    assert {"train", "validation", "test"} <= set(s.values())
    assert all(big[h] == s[h] for h in houses if s[h] == "train" or big[h] != "train")  # only lends from train
    tiny = split_houses(houses[:3], seed=0)
    assert sorted(tiny.values()) == ["test", "train", "validation"]


def test_dynamic_mix_is_every_ego_motion_record():
    from simsv_vsi.mixes import mix_names
    from simsv_vsi.question_types import DYNAMIC_TYPES

    recs = [QARecord(f"h{h}:{t}:mc:{k}", f"house_{h:06d}", h, 0, "v", "v.mp4", None, 0, 10, 10.0, t, "mc", "q?",
                     None, "1", "1", 1.0, None)
            for h in range(3) for t in ("camera_turn", "ego_direction", "obj_appearance_order") for k in range(4)]
    t = records_table(recs)
    m = sample_mix("dynamic", t, 5, seed=0)  # no target size: every matching record
    assert m.num_rows == 24 and set(m["question_type"].to_pylist()) == {"camera_turn", "ego_direction"}
    assert max_size("dynamic", t) == 24 and "dynamic" in mix_names()
    assert set(DYNAMIC_TYPES) >= set(m["question_type"].to_pylist())
