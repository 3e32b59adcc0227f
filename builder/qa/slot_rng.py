"""Per-slot random streams, defined here down to the bit: SplitMix64 used as a counter-based
generator, so a record is the same bytes on any machine and with any numpy (numpy's Generator
methods are not promised to give the same streams across releases).

A slot's key is a 64-bit hash of its entropy (global seed, house, trajectory, type, format,
slot): starting from 0, each int x folds in as h = mix64((h ^ x) + GAMMA). Word k of its stream
(k = 0, 1, ...) is mix64(key + (k + 1) * GAMMA), all mod 2**64, which is SplitMix64 seeded with
the key. Draws (`below`, `random`, `permutation`, `sample`) are built on
those words by the rules written out below.

Speed: the keys and the first WORDS words of every slot of a trajectory are computed at once
on uint64 arrays (which wrap mod 2**64 like the masks here); later words one by one in Python.
tests/builder/test_qa_slot_rng.py checks both paths against each other and the draws' laws.
"""

from __future__ import annotations

import numpy as np

M64 = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15  # SplitMix64's increment (2**64 / golden ratio, odd)
MIX_A, MIX_B = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB  # its finaliser's multipliers
WORDS = 16  # words precomputed per slot: most slots use fewer (a draw takes one or two)
INV_2_53 = 1.0 / (1 << 53)


def mix64(z: int) -> int:
    """SplitMix64's finaliser, a bijection on 64-bit ints."""
    z = ((z ^ (z >> 30)) * MIX_A) & M64
    z = ((z ^ (z >> 27)) * MIX_B) & M64
    return z ^ (z >> 31)


def _mix64_array(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX_A)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX_B)
    return z ^ (z >> np.uint64(31))


def slot_key(entropy: tuple[int, ...]) -> int:
    """The 64-bit key of one entropy tuple (ints in [0, 2**64))."""
    h = 0
    for x in _checked(entropy):
        h = mix64(((h ^ x) + GAMMA) & M64)
    return h


def _checked(entropy: tuple[int, ...]) -> tuple[int, ...]:
    for x in entropy:
        if not 0 <= x <= M64:
            raise ValueError(f"slot entropy {entropy}: every int must be in [0, 2**64), got {x}")
    return entropy


class SlotRandom:
    """One slot's stream and the draws the QA engine makes from it."""

    __slots__ = ("key", "words", "used")

    def __init__(self, key: int, words: list[int] | None = None):
        self.key = key
        self.words = words if words is not None else []  # words[k] == word k, precomputed
        self.used = 0  # words consumed so far

    @classmethod
    def from_entropy(cls, *entropy: int) -> "SlotRandom":
        return cls(slot_key(entropy))

    def word(self) -> int:
        """The next 64-bit word."""
        k = self.used
        self.used = k + 1
        if k < len(self.words):
            return self.words[k]
        return mix64((self.key + (k + 1) * GAMMA) & M64)

    def below(self, n: int) -> int:
        """Uniform int in [0, n): the top bit_length(n - 1) bits of a word, redrawn while >= n
        (exactly uniform; under two words on average)."""
        if n <= 0:
            raise ValueError(f"below({n}): n must be positive")
        shift = 64 - (n - 1).bit_length()
        while True:
            x = self.word() >> shift
            if x < n:
                return x

    def random(self) -> float:
        """Uniform float in [0, 1): the top 53 bits of a word."""
        return (self.word() >> 11) * INV_2_53

    def permutation(self, n: int) -> list[int]:
        """range(n) shuffled uniformly (Fisher-Yates from the last position down)."""
        a = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.below(i + 1)
            a[i], a[j] = a[j], a[i]
        return a

    def sample(self, n: int, k: int) -> list[int]:
        """k distinct ints of range(n), uniformly, in draw order (Fisher-Yates over the first k
        positions)."""
        if not 0 <= k <= n:
            raise ValueError(f"sample({n}, {k}): need 0 <= k <= n")
        a = list(range(n))
        for i in range(k):
            j = i + self.below(n - i)
            a[i], a[j] = a[j], a[i]
        return a[:k]


class SlotStreams:
    """The streams of a known set of equally long entropy tuples (a trajectory's slots),
    keyed and started at once."""

    def __init__(self, entropies: list[tuple[int, ...]]):
        if len({len(e) for e in entropies}) > 1:
            raise ValueError("SlotStreams: entropy tuples must be equally long")
        for e in entropies:
            _checked(e)
        table = np.array(entropies, np.uint64).reshape(len(entropies), -1)
        keys = np.zeros(len(entropies), np.uint64)
        for col in table.T:
            keys = _mix64_array((keys ^ col) + np.uint64(GAMMA))
        steps = (np.arange(1, WORDS + 1, dtype=np.uint64) * np.uint64(GAMMA))[None, :]
        words = _mix64_array(keys[:, None] + steps).tolist()
        self.streams = {e: (k, w) for e, k, w in zip(entropies, keys.tolist(), words)}

    def rng(self, entropy: tuple[int, ...]) -> SlotRandom:
        """A fresh stream for `entropy`, the same as SlotRandom.from_entropy(*entropy)."""
        key, words = self.streams[entropy]
        return SlotRandom(key, words)
