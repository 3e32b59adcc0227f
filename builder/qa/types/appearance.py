"""Appearance order: which of four categories shows up first, second, third, fourth.

A category's first appearance is the first frame in which any of its instances covers
`seen_pixels`; it must become clearly visible (`sampled_fraction`) within
`appearance_onset_max_s`, so "first appearance" is not a sliver at the frame edge. Consecutive
first appearances are at least `appearance_min_gap_s` apart, and the order is the same when
only the K uniformly sampled frames are seen (first sampled frame showing each category
clearly, strictly increasing), for every K.
"""

from __future__ import annotations

import itertools

import numpy as np

from builder.qa.config import QAConfig
from builder.qa.types.common import Candidate, Pool, Rejections, families
from builder.qa.view import Scope
from simsv_vsi.records import ObjectRef

MAX_TRIES = 30


class AppearancePool(Pool):
    def __init__(self, scope: Scope, cfg: QAConfig, stats: Rejections):
        t = "obj_appearance_order"
        self.scope = scope
        view = scope.view
        fps = view.fps
        clear = cfg.sampled_fraction * view.frame_pixels
        fams = families(scope, stats, t)
        rows = []
        if fams:
            first, onset, sampled = _first_frames(scope, list(fams.values()), cfg.seen_pixels, clear)
            slow = (onset < 0) | ((onset - first) / fps > cfg.appearance_onset_max_s)
            unsampled = ~slow & (sampled < 0).any(1)
            for rule, bad in (("slow_onset", slow), ("not_in_sampled_frames", unsampled)):
                if bad.any():  # counted per family turned down: no zero entries
                    stats(t, rule, int(bad.sum()))
            names = list(fams)
            for k in np.flatnonzero(~slow & ~unsampled).tolist():
                rows.append((int(first[k]), names[k], fams[names[k]], sampled[k].tolist()))
        rows.sort()
        self.rows = rows
        n = len(rows)
        first = np.array([r[0] for r in rows], float)
        samp = np.array([r[3] for r in rows]).reshape(n, len(cfg.sample_counts))
        # ok[i, j]: i clearly before j, in the video and under every sampling
        self.ok = ((first[None, :] - first[:, None]) / fps >= cfg.appearance_min_gap_s) & \
                  (samp[None, :, :] > samp[:, None, :]).all(-1) if n else np.zeros((0, 0), bool)
        self.fps = fps
        self.chains = _chains(self.ok.tolist(), 4)
        if n >= 4 and not self.chains:
            stats(t, "no_well_separated_four")

    def draw(self, rng, used):
        if not self.chains:
            return None
        for _ in range(MAX_TRIES):
            chain = self.chains[rng.below(len(self.chains))]
            names = [self._name(i) for i in chain]
            if tuple(names) in used:
                continue
            return self._candidate(chain, names, rng)
        return None

    def _name(self, i) -> str:
        _, fam, members, _ = self.rows[i]
        return self.scope.view.objects[members[0]].category if len(members) == 1 else fam

    def _candidate(self, chain, names, rng) -> Candidate:
        view = self.scope.view
        shown = [names[i] for i in rng.permutation(4)]  # the question lists them unordered
        perms = [p for p in itertools.permutations(names) if list(p) != names]
        pick = rng.sample(len(perms), 3)
        choices = [", ".join(names)] + [", ".join(perms[i]) for i in sorted(pick)]
        objs = [ObjectRef(f"choice_{'abcd'[k]}", n,
                          [view.objects[m].instance_id for m in self.rows[chain[names.index(n)]][2]])
                for k, n in enumerate(shown)]
        evidence = {"first_appearance_s": {n: round(self.rows[i][0] / self.fps, 4) for n, i in zip(names, chain)},
                    "first_sampled_index": {n: self.rows[i][3] for n, i in zip(names, chain)}}
        fields = {f"choice_{'abcd'[k]}": n for k, n in enumerate(shown)}
        return Candidate(tuple(names), fields, objs, evidence, choices=choices)


def _chains(ok: list[list[bool]], length: int) -> list[tuple[int, ...]]:
    """Increasing index tuples with ok[a][b] for each consecutive pair, in lexicographic order
    (as filtering itertools.combinations would give, without visiting every combination)."""
    n = len(ok)
    after = [[j for j in range(i + 1, n) if ok[i][j]] for i in range(n)]
    chains = [(i,) for i in range(n)]
    for _ in range(length - 1):
        chains = [c + (j,) for c in chains for j in after[c[-1]]]
    return chains


def _first_frames(scope: Scope, families: list[list[int]], seen_pixels: int, clear: float):
    """Per family (any of its instances): the first frame covering `seen_pixels`, the first
    frame covering `clear` (-1: never), and per K in sample_counts the first sampled frame
    covering `clear` (-1: none), shape (families, len(sample_counts))."""
    cols = [i for m in families for i in m]
    starts = np.cumsum([0] + [len(m) for m in families[:-1]])
    px = np.maximum.reduceat(scope.pixels[:, cols], starts, axis=1)  # (frames, families)
    clear_hit = px >= clear
    onset = np.where(clear_hit.any(0), clear_hit.argmax(0), -1)
    sampled = []
    for idx in scope.sample_indices:
        hit = clear_hit[idx]
        sampled.append(np.where(hit.any(0), hit.argmax(0), -1))
    return (px >= seen_pixels).argmax(0), onset, np.stack(sampled, axis=1)
