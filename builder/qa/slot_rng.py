"""Per-slot random generators, fast: the same streams as
`np.random.default_rng(np.random.SeedSequence(entropy))` with `entropy` = [seed, house,
trajectory, type, format, slot].

Building a SeedSequence and a Generator costs ~30 us, as much as the rest of a record. Here
numpy's SeedSequence hashing (numpy/random/bit_generator.pyx: pool size 4, no spawn key) is
redone on uint32 arrays for all the slots of a trajectory at once (the hash constants do not
depend on the data, so every row takes the same steps), and PCG64's seeding (pcg64_set_seed)
is redone in Python ints. One Generator is reused by setting its state.
tests/builder/test_qa_slot_rng.py checks both against numpy.
"""

from __future__ import annotations

import numpy as np

M32 = 0xFFFFFFFF
M128 = (1 << 128) - 1
INIT_A, MULT_A = 0x43B0D7E5, 0x931E8875  # SeedSequence's hashing constants
INIT_B, MULT_B = 0x8B51F9DD, 0x58F38DED
MIX_MULT_L, MIX_MULT_R = 0xCA01F9DD, 0x4973F715
XSHIFT = 16
POOL_SIZE = 4
PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645  # PCG64's 128-bit LCG multiplier


def int_words(n: int) -> list[int]:
    """An entropy int as SeedSequence reads it: 32-bit words, least significant first; 0 -> [0]."""
    if n < 0:
        raise ValueError("seed entropy must be non-negative")
    words = [0] if n == 0 else []
    while n:
        words.append(n & M32)
        n >>= 32
    return words


class _Hasher:
    """SeedSequence's `hashmix` on a column of uint32 words, with its running hash constant."""

    def __init__(self, const: int = INIT_A):
        self.const = const

    def __call__(self, value: np.ndarray) -> np.ndarray:
        value = value ^ np.uint32(self.const)
        self.const = (self.const * MULT_A) & M32
        value = value * np.uint32(self.const)  # uint32 arrays wrap, as the C code does
        return value ^ (value >> np.uint32(XSHIFT))


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r = np.uint32(MIX_MULT_L) * x - np.uint32(MIX_MULT_R) * y
    return r ^ (r >> np.uint32(XSHIFT))


def mix_entropy(words: np.ndarray) -> list[np.ndarray]:
    """SeedSequence.mix_entropy for every row of `words` (rows, n_words) uint32: the pool, as
    POOL_SIZE columns."""
    h = _Hasher()
    n = words.shape[1]
    pool = [h(words[:, i] if i < n else np.zeros(len(words), np.uint32)) for i in range(POOL_SIZE)]
    for src in range(POOL_SIZE):
        for dst in range(POOL_SIZE):
            if src != dst:
                pool[dst] = _mix(pool[dst], h(pool[src]))
    for src in range(POOL_SIZE, n):
        for dst in range(POOL_SIZE):
            pool[dst] = _mix(pool[dst], h(words[:, src]))
    return pool


def generate_state64(pool: list[np.ndarray], n_words: int) -> np.ndarray:
    """SeedSequence.generate_state(n_words, np.uint64) for every row: (rows, n_words) uint64."""
    const, out = INIT_B, []
    for k in range(2 * n_words):
        v = pool[k % POOL_SIZE] ^ np.uint32(const)
        const = (const * MULT_B) & M32
        v = v * np.uint32(const)
        out.append(v ^ (v >> np.uint32(XSHIFT)))
    w = np.stack(out, axis=1).astype(np.uint64)
    return w[:, 0::2] | (w[:, 1::2] << np.uint64(32))  # little-endian word pairs


def _one_word_each(entropies: list[list[int]]) -> bool:
    """Equally long lists of ints that each fit one 32-bit word."""
    if not entropies or len({len(e) for e in entropies}) != 1:
        return False
    flat = [n for e in entropies for n in e]
    return bool(flat) and min(flat) >= 0 and max(flat) <= M32


def seed_states(entropies: list[list[int]]) -> list[list[int]]:
    """generate_state(4, np.uint64) of SeedSequence(e) for each entropy list, as Python ints.
    Rows are hashed together when their ints give the same number of words."""
    if _one_word_each(entropies):  # the usual case: one table, no splitting into words
        return generate_state64(mix_entropy(np.array(entropies, np.uint32)), 4).tolist()
    words = [[w for n in e for w in int_words(n)] for e in entropies]
    out: list[list[int]] = [[] for _ in entropies]
    by_len: dict[int, list[int]] = {}
    for i, w in enumerate(words):
        by_len.setdefault(len(w), []).append(i)
    for rows in by_len.values():
        state = generate_state64(mix_entropy(np.array([words[i] for i in rows], np.uint32)), 4).tolist()
        for i, s in zip(rows, state):
            out[i] = s
    return out


def pcg64_state(val: list[int]) -> dict:
    """PCG64's state after seeding from generate_state(4, np.uint64) (pcg64_set_seed)."""
    initstate, initseq = val[0] << 64 | val[1], val[2] << 64 | val[3]
    inc = ((initseq << 1) | 1) & M128
    state = inc  # state 0, one LCG step
    state = (((state + initstate) & M128) * PCG_MULT + inc) & M128
    return {"bit_generator": "PCG64", "state": {"state": state, "inc": inc}, "has_uint32": 0, "uinteger": 0}


# One Generator for all slots (making one costs ~40 us); each slot sets its whole state first.
_SHARED_RNG = np.random.default_rng(0)


class SlotSeeds:
    """The generators of a known set of entropy lists (a trajectory's slots), hashed at once."""

    def __init__(self, entropies: list[tuple[int, ...]]):
        self.states = dict(zip(entropies, seed_states(entropies)))

    def rng(self, entropy: tuple[int, ...]) -> tuple[np.random.Generator, int]:
        """default_rng(SeedSequence(entropy)) (valid until the next call) and the entropy's first
        64-bit state word (SeedSequence.generate_state(1, np.uint64)[0])."""
        val = self.states[entropy]
        _SHARED_RNG.bit_generator.state = pcg64_state(val)
        return _SHARED_RNG, val[0]
