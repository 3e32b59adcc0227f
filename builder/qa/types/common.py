"""What every question generator shares: candidates, pools that hand them out to slots, and
the naming rules that keep references unambiguous."""

from __future__ import annotations

import bisect
import itertools
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

import numpy as np

from builder.qa.slot_rng import SlotRandom
from builder.qa.view import Scope
from simsv_vsi.records import ObjectRef


@dataclass
class Candidate:
    """One question before formatting: template fields, the answer, and why it is right."""

    key: tuple  # two candidates with the same key are the same question
    fields: dict[str, str]
    objects: list[ObjectRef]
    evidence: dict
    value: float | None = None  # numeric types: the exact value
    choices: list[str] | None = None  # choice types: option texts, the correct one first
    cls: str = ""  # answer class, balanced across slots (e.g. "left")


class Pool:
    """Hands out candidates to slots; a slot's own RNG makes each draw reproducible alone."""

    def draw(self, rng: SlotRandom, used: set) -> Candidate | None:
        raise NotImplementedError

    def session(self) -> "Session":
        """Draws for one video in one format."""
        return Session(self)


class Session:
    """Draws from a pool for one video in one format: each key is asked (or tried) once."""

    def __init__(self, pool: Pool):
        self.pool, self.used = pool, set()

    def draw(self, rng: SlotRandom) -> Candidate | None:
        cand = self.pool.draw(rng, self.used)
        if cand is not None:
            self.used.add(cand.key)
        return cand


@dataclass
class Deferred:
    """A candidate whose text and evidence are only built if a slot draws it (most are not)."""

    key: tuple
    make: Callable[[], Candidate]
    cls: str = ""


class KeyedPool(Pool):
    """Candidates known up front only by key and answer class; `make(i)` builds the i-th one
    when a slot draws it (most never are). Draws a class uniformly among classes with unused
    candidates, then a candidate uniformly within it, so answer classes come out balanced."""

    def __init__(self, keys: list[tuple], classes: list | None, make: Callable[[int], Candidate] | None = None):
        """`classes`: each candidate's answer class, or None when all are of one class."""
        self.keys = keys
        if make is not None:  # subclasses override the method instead: a bound method kept on
            self.make = make  # its own instance is a reference cycle, left for the collector
        self.members = _positions_by_class(classes, len(keys))  # class -> candidate indices, in order
        self.classes = sorted(self.members)

    def __len__(self) -> int:
        return len(self.keys)

    def make(self, i: int) -> Candidate:
        raise NotImplementedError

    @cached_property
    def key_counts(self) -> Counter:
        """Candidates per key (counted in C: most keys are held by one candidate, whose place a
        session then knows without `places`)."""
        return Counter(self.keys)

    @cached_property
    def places(self) -> dict[tuple, list[tuple[str, int]]]:
        """key -> (class, position in members[class]) of the candidates with that key (several
        may share one); built when first needed."""
        out: dict[tuple, list[tuple[str, int]]] = {}
        for c, members in self.members.items():
            for pos, i in enumerate(members):
                out.setdefault(self.keys[i], []).append((c, pos))
        return out

    def draw(self, rng, used):
        return self.session_with(used).draw(rng)

    def session(self) -> "KeyedSession":
        return KeyedSession(self)

    def session_with(self, used: set) -> "KeyedSession":
        session = KeyedSession(self)
        for k in used:
            session.take(k)
        return session


def _positions_by_class(classes, n: int) -> dict:
    if classes is None:
        return {"": list(range(n))} if n else {}
    out: dict = {}
    for i, c in enumerate(classes):
        out.setdefault(c, []).append(i)
    return out


class KeyedSession(Session):
    """A KeyedPool session that keeps, per class, the sorted positions of used candidates, so
    a draw costs what was used, not what the pool holds (slots retry often, and the largest
    pools hold hundreds of candidates)."""

    def __init__(self, pool: KeyedPool):
        super().__init__(pool)
        self.taken: dict[str, list[int]] = {c: [] for c in pool.classes}

    def take(self, key: tuple) -> None:
        if key not in self.used:
            self.used.add(key)
            for c, pos in self.pool.places.get(key, ()):
                bisect.insort(self.taken[c], pos)

    def draw(self, rng):
        pool, taken = self.pool, self.taken
        open_classes = [c for c in pool.classes if len(taken[c]) < len(pool.members[c])]
        if not open_classes:
            return None
        c = open_classes[rng.below(len(open_classes))]
        r = rng.below(len(pool.members[c]) - len(taken[c]))  # the r-th unused member, in order
        for pos in taken[c]:
            if pos > r:
                break
            r += 1
        i = pool.members[c][r]
        cand = pool.make(i)
        if cand.key == pool.keys[i] and pool.key_counts[cand.key] == 1:  # its own place only: no scan
            self.used.add(cand.key)
            bisect.insort(taken[c], r)
        else:
            self.take(cand.key)
        return cand


class ListPool(KeyedPool):
    """A fixed list of candidates (or Deferred ones)."""

    def __init__(self, candidates: list[Candidate | Deferred]):
        self.candidates = candidates
        super().__init__([c.key for c in candidates], [c.cls for c in candidates])

    @property
    def by_class(self) -> dict[str, list[Candidate]]:
        """Every candidate, built, per class (for inspection)."""
        return {c: [self.make(i) for i in m] for c, m in self.members.items()}

    def make(self, i: int) -> Candidate:
        c = self.candidates[i]
        return c.make() if isinstance(c, Deferred) else c


@dataclass
class Rejections:
    """Why candidates were turned down, per question type and rule (reported by `simsv qa`)."""

    counts: Counter = field(default_factory=Counter)

    def __call__(self, qtype: str, rule: str, n: int = 1) -> None:
        key = f"{qtype}:{rule}"  # called ~10k times a corpus pass: get() spares Counter's __missing__
        self.counts[key] = self.counts.get(key, 0) + n


def families(scope: Scope, stats: Rejections, qtype: str) -> dict[str, list[int]]:
    """Names that may be used for a category of possibly several instances (family name ->
    object indices), with the groups turned down counted against `qtype`. See
    `Scope.families`."""
    fams, rejected = scope.families
    for rule, n in rejected.items():
        stats(qtype, rule, n)
    return fams


def unique_objects(scope: Scope, stats: Rejections, qtype: str) -> list[int]:
    """Objects that may be named "the <category>", with the groups turned down counted."""
    uniq, rejected = scope.unique
    for rule, n in rejected.items():
        stats(qtype, rule, n)
    return uniq


def signed_angle_deg(forward: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Signed floor-plane angle from `forward` to `target`, both (..., 2) as (x, z); positive
    = to the right. World is right-handed with y up, so facing +z the right hand points -x."""
    return signed_angle_xz(forward[..., 0], forward[..., 1], target[..., 0], target[..., 1])


def signed_angle_xz(fx: np.ndarray, fz: np.ndarray, tx: np.ndarray, tz: np.ndarray) -> np.ndarray:
    """`signed_angle_deg` from the x and z components given apart (broadcasting (..., 2) pairs
    costs more than the arithmetic)."""
    cross = fx * tz - fz * tx
    # +0.0 as the pair sum this replaced, `(forward * target).sum(-1)`, gave: a dot of -0.0
    # would turn arctan2(0, dot) from 0 to 180 degrees
    dot = fx * tx + (0.0 + fz * tz)
    return np.degrees(np.arctan2(cross, dot))


def permutations_within(groups, k: int) -> np.ndarray:
    """(N, k) int64: every ordered k-tuple of distinct members of one group, group by group in
    itertools.permutations order (fromiter: no tuple-by-tuple array conversion)."""
    flat = itertools.chain.from_iterable(itertools.chain.from_iterable(itertools.permutations(m, k) for m in groups))
    return np.fromiter(flat, np.int64).reshape(-1, k)
