"""Measure the answer distributions that numeric multiple-choice distractors are drawn from.

`simsv qa-priors` generates houses (layouts, furniture and exact mesh distances; nothing is
rendered) with a seed no corpus uses by default, and stores in builder/qa/answer_priors.json,
per numeric type, how often each printed answer value occurs among what a question could ask:

- room size: the area of every room (rooms repeat across houses: the floor plans split a few
  footprints on a 10 cm grid, so some areas recur and a distractor must recur as often);
- object counting: the instances of every family in every room, `min_count` to `max_count`;
- absolute distance: the surface distance from every object that is alone in its confusion
  group to the closest instance of every family of another group, at least
  `min_abs_distance_m` apart (the pairs `types/measurement.py` may ask about, as if all were
  seen);
- object size: per category, the longest side of every placed object (with 400 houses, 13 of
  200 asked sizes were values no generated object of their category had, and won whenever
  offered).

Distractors drawn from the same distribution as answers are exchangeable with them, down to
the printed value: a blind model that counts how often a value won when offered learns
nothing. Quantiles of a few hundred answers (the earlier priors) smoothed away values that
recur, and the audit's name-rate baseline found them (docs/qa-audit.md).

What is asked is not all that exists, though: a question names only objects the video shows
well, and objects seen together stand closer than pairs across the house (on 80 houses, 32 %
of asked distances were under 2 m against 26 % of all pairs; rooms with a whole family in view
hold one instance more often). With `--reference CORPUS`, a rendered corpus that is not the
one audited, its open-ended answers correct that: counts take the reference's own frequencies
(a handful of values, all well sampled); room areas and distances keep the generated
values with their fine structure but are reweighted, per tenth of the generated distribution
(SELECTION_BINS; fewer ranges when the reference has under 100 answers per range), to the share
of reference answers that fell there; object sizes likewise, by where an answer falls among
its own category's sizes (`size_selection`).
"""

from __future__ import annotations

import json
import sys
from bisect import bisect_left, bisect_right
from collections import Counter

import numpy as np

from builder.qa.choices import pair_key
from simsv_vsi.answers import format_number
from simsv_vsi.question_types import QUESTION_TYPES

PRIOR_SEED = 12345
LAYOUT_PRIOR_HOUSES = 2000  # room areas, counts and object sizes: generated in about 0.05 s each
DISTANCE_PRIOR_HOUSES = 150  # absolute distances need each house's mesh distances: seconds each


def _pmf(values: list[str]) -> dict:
    """Printed values -> {"values": sorted numbers, "counts": how often each occurred, "n"}."""
    c = Counter(values)
    keys = sorted(c, key=float)
    return {"values": [float(k) for k in keys], "counts": [c[k] for k in keys], "n": len(values)}


def _houses(catalog, seed: int, houses: int, progress: str | None = None):
    from builder.houses.generate import generate_house

    for i in range(houses):
        if progress and (i % 25 == 0 or i == houses - 1):
            print(f"{progress}: house {i + 1}/{houses}", file=sys.stderr, flush=True)
        try:
            yield generate_house(i, seed, catalog)
        except ValueError:  # a house the generator gives up on is skipped, as `simsv generate` does
            continue


def layout_priors(catalog, cfg, seed: int = PRIOR_SEED, houses: int = LAYOUT_PRIOR_HOUSES,
                  progress: str | None = None) -> tuple[dict, dict]:
    """(types: room size and counting pmfs, object size samples per category) over `houses`
    generated houses."""
    from builder.houses.metadata import scene_metadata
    from builder.qa.view import scene_objects

    areas, counts, sizes = [], [], {}
    room_dec = QUESTION_TYPES["room_size_estimation"].decimals
    for house in _houses(catalog, seed, houses, progress):
        scene = scene_metadata(house)
        areas += [format_number(r["area_m2"], room_dec) for r in scene["rooms"]]
        per_room = Counter((o.room_id, o.family) for o in scene_objects(scene))
        counts += [str(n) for n in per_room.values() if cfg.min_count <= n <= cfg.max_count]
        for o in house.objects:
            sizes.setdefault(o.category, []).append(round(max(o.size) * 100, 1))
    types = {"room_size_estimation": _pmf(areas), "object_counting": _pmf(counts)}
    return types, {c: sorted(v) for c, v in sorted(sizes.items())}


PAIR_MIN_SAMPLES = 10  # pairs of names seen fewer times are not stored: their prior is the pooled one


def distance_prior(catalog, cfg, seed: int = PRIOR_SEED, houses: int = DISTANCE_PRIOR_HOUSES,
                   progress: str | None = None) -> tuple[dict, dict]:
    """The absolute-distance pmf over `houses` generated houses (see the module docstring), and
    the same per pair of names as a question prints them (a family of one instance goes by
    its category), for pairs seen PAIR_MIN_SAMPLES times or more."""
    from builder.houses.metadata import scene_metadata
    from builder.qa.geometry import house_geometry
    from builder.qa.view import scene_objects

    dec = QUESTION_TYPES["object_abs_distance"].decimals
    out, by_pair = [], {}
    for house in _houses(catalog, seed, houses, progress):
        objs = scene_objects(scene_metadata(house))
        g = house_geometry(house, catalog.load_mesh, None)
        col = {int(i): k for k, i in enumerate(g.instance_ids)}
        at = np.array([col[o.instance_id] for o in objs])
        D = g.distances[np.ix_(at, at)]
        groups: dict[str, list[int]] = {}
        for o in objs:
            groups.setdefault(o.group, []).append(o.index)
        uniq = [m[0] for m in groups.values() if len(m) == 1]
        fams = [m for m in groups.values() if len({objs[i].family for i in m}) == 1]
        for a in uniq:
            for m in fams:
                if objs[m[0]].group != objs[a].group:
                    d = float(D[a, m].min())
                    if d >= cfg.min_abs_distance_m:
                        text = format_number(d, dec)
                        out.append(text)
                        name = objs[m[0]].category if len(m) == 1 else objs[m[0]].family
                        by_pair.setdefault(pair_key(objs[a].category, name), []).append(text)
    pairs = {k: _pmf(v) for k, v in sorted(by_pair.items()) if len(v) >= PAIR_MIN_SAMPLES}
    return _pmf(out), pairs


SELECTION_BINS = 10
MIN_ANSWERS_PER_BIN = 100  # fewer reference answers, fewer ranges: a share of 100 is known to ~10 %
WEIGHT_TOTAL = 100_000  # reweighted pmfs are stored as integer weights summing to about this


def reweighted(pmf: dict, answers: list[float], bins: int | None = None) -> dict:
    """`pmf` with each of its `bins` equal-mass ranges scaled to the share of `answers` in it
    (one pseudo-answer per range, so no range is emptied); integer weights, none below 1. By
    default as many ranges, up to SELECTION_BINS, as hold MIN_ANSWERS_PER_BIN answers each."""
    if bins is None:
        bins = max(1, min(SELECTION_BINS, len(answers) // MIN_ANSWERS_PER_BIN))
    values = np.asarray(pmf["values"], float)
    counts = np.asarray(pmf["counts"], float)
    cdf = np.cumsum(counts) / counts.sum()
    edges = values[np.minimum(np.searchsorted(cdf, np.arange(1, bins) / bins), len(values) - 1)]
    where = np.searchsorted(edges, values, side="left")  # range b: edges[b-1] < v <= edges[b]
    mass = np.bincount(where, counts, bins) / counts.sum()
    seen = np.bincount(np.searchsorted(edges, np.asarray(answers, float), side="left"), minlength=bins)
    share = (seen + 1.0) / (len(answers) + bins)
    ratio = np.divide(share, mass, out=np.zeros(bins), where=mass > 0)
    w = counts * ratio[where]
    weights = np.maximum(1, np.rint(w / w.sum() * WEIGHT_TOTAL)).astype(int)
    return {"values": pmf["values"], "counts": weights.tolist(), "n": pmf["n"], "reference_n": len(answers),
            "reweighted_bins": [round(float(x), 4) for x in ratio]}


def size_selection(sizes: dict[str, list[float]], answers: list[tuple[str, float]]) -> dict:
    """Where asked object sizes fall within their category's generated sizes: per equal range
    of that quantile (as many as `reweighted` would use), answers' share over the expected
    share. Small instances of a category are less often seen well enough to be asked about
    (on 80 houses the lowest fifth held 17 % fewer answers than expected), and a blind model
    learns "pick the larger size" if distractors come from all placed objects."""
    qs = []
    for cat, v in answers:
        s = sizes.get(cat)
        if s:  # the answer's mid-rank among the category's sizes, in [0, 1]
            qs.append((bisect_left(s, v) + bisect_right(s, v)) / 2 / len(s))
    bins = max(1, min(SELECTION_BINS, len(qs) // MIN_ANSWERS_PER_BIN))
    seen = np.bincount(np.minimum((np.asarray(qs) * bins).astype(int), bins - 1), minlength=bins)
    ratio = (seen + 1.0) / (len(qs) + bins) * bins
    return {"ratios": [round(float(x), 4) for x in ratio], "reference_n": len(qs)}


def reference_answers(corpus, cfg, workers: int = 1, progress: bool = True) -> dict[str, list]:
    """The open-ended answers of counting, room size, absolute distance and object size (as
    (category, cm)) on a rendered reference corpus (its `qa/` is rewritten by an open-ended
    QA pass)."""
    from builder.qa.run import generate_corpus_qa
    from simsv_vsi.records import read_records

    types = ["object_counting", "room_size_estimation", "object_abs_distance", "object_size_estimation"]
    generate_corpus_qa(corpus, cfg, types=types, formats=("oe",), clips=False, show_progress=progress, workers=workers)
    t = read_records(corpus / "qa" / "records.parquet")
    out: dict[str, list] = {q: [] for q in types}
    cols = (t.column(c).to_pylist() for c in ("question_type", "format", "answer_value", "objects"))
    for q, f, v, objs in zip(*cols):
        if f == "oe" and q in out:
            out[q].append((objs[0]["category"], float(v)) if q == "object_size_estimation" else float(v))
    for q, v in out.items():
        if not v:
            raise ValueError(f"{corpus}: no open-ended {q} records to correct its prior with")
    return out


def generator_priors(catalog, cfg, seed: int = PRIOR_SEED, layout_houses: int = LAYOUT_PRIOR_HOUSES,
                     distance_houses: int = DISTANCE_PRIOR_HOUSES, reference: dict | None = None,
                     reference_name: str = "", progress: bool = True) -> dict:
    """Everything answer_priors.json holds, measured on generated houses; with `reference`
    (`reference_answers` of a rendered corpus), corrected for what questions select."""
    types, sizes = layout_priors(catalog, cfg, seed, layout_houses, "layouts" if progress else None)
    pairs = {}
    if distance_houses:  # none: no absolute-distance prior, so no multiple-choice form of it
        types["object_abs_distance"], pairs = distance_prior(catalog, cfg, seed, distance_houses,
                                                             "mesh distances" if progress else None)
    source = (f"generated houses, seed {seed} (not rendered): room areas and counts of the first "
              f"{layout_houses}, object sizes of the first {layout_houses}, absolute distances of the first "
              f"{distance_houses}")
    if reference:
        dec = QUESTION_TYPES["object_counting"].decimals
        types["object_counting"] = _pmf([format_number(v, dec) for v in reference["object_counting"]])
        for q in ("room_size_estimation", "object_abs_distance"):
            if q in types:
                types[q] = reweighted(types[q], reference[q])
        selection = size_selection(sizes, reference["object_size_estimation"])
        source += (f"; counts from, and room areas, distances and sizes (by quantile within the category) "
                   f"reweighted to, the open-ended answers of {reference_name or 'a reference corpus'}")
    out = {"source": source, "types": dict(sorted(types.items())), "object_size_by_category": sizes,
           "object_abs_distance_by_pair": pairs}
    if reference:
        out["object_size_selection"] = selection
    return out


def priors_json(priors: dict) -> str:
    return json.dumps(priors, indent=1, sort_keys=True) + "\n"
