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

import itertools

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


def _constants(start: int, mult: int, count: int) -> np.ndarray:
    """(count + 1, 1) uint32: a running hash constant and its next `count` values."""
    out = [start]
    for _ in range(count):
        out.append((out[-1] * mult) & M32)
    return np.array(out, np.uint32)[:, None]


class _Hasher:
    """SeedSequence's `hashmix` with its running hash constant, `m` successive calls at once:
    call k xors with the constant, advances it, and multiplies by the new one. The calls of
    one step of the mixing are independent of each other, so they are done as one (m, rows)
    array operation instead of m (a third of the numpy calls: their overhead, not the
    arithmetic, was the cost)."""

    def __init__(self, const: int = INIT_A, mult: int = MULT_A):
        self.const, self.mult = const, mult

    def __call__(self, value: np.ndarray, m: int) -> np.ndarray:
        """hashmix of `value` ((rows,) or (m, rows)) by the next m constants: (m, rows)."""
        c = _constants(self.const, self.mult, m)
        self.const = int(c[m, 0])
        value = (value ^ c[:m]) * c[1:]  # uint32 arrays wrap, as the C code does
        return value ^ (value >> np.uint32(XSHIFT))


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r = np.uint32(MIX_MULT_L) * x - np.uint32(MIX_MULT_R) * y
    return r ^ (r >> np.uint32(XSHIFT))


def mix_entropy(words: np.ndarray) -> np.ndarray:
    """SeedSequence.mix_entropy for every row of `words` (rows, n_words) uint32: the pool,
    (POOL_SIZE, rows)."""
    h = _Hasher()
    rows, n = words.shape
    first = np.zeros((POOL_SIZE, rows), np.uint32)
    first[:min(n, POOL_SIZE)] = words[:, :POOL_SIZE].T
    pool = h(first, POOL_SIZE)  # word i (or 0) hashed into pool entry i, in order
    for src in range(POOL_SIZE):
        # pool[src] mixed into every other entry in turn; pool[src] itself is unchanged meanwhile
        dst = [d for d in range(POOL_SIZE) if d != src]
        pool[dst] = _mix(pool[dst], h(pool[src], POOL_SIZE - 1))
    for src in range(POOL_SIZE, n):
        pool = _mix(pool, h(words[:, src], POOL_SIZE))
    return pool


def generate_state64(pool: np.ndarray, n_words: int) -> np.ndarray:
    """SeedSequence.generate_state(n_words, np.uint64) for every row: (rows, n_words) uint64."""
    w = _Hasher(INIT_B, MULT_B)(pool[[k % POOL_SIZE for k in range(2 * n_words)]], 2 * n_words)
    w = w.T.astype(np.uint64)
    return w[:, 0::2] | (w[:, 1::2] << np.uint64(32))  # little-endian word pairs


def _one_word_table(entropies: list[tuple[int, ...]]) -> np.ndarray | None:
    """The entropy lists as one (rows, ints) uint32 table when they are equally long and every
    int fits one 32-bit word (so is one word of SeedSequence's input); else None."""
    if not entropies or len({len(e) for e in entropies}) != 1 or not entropies[0]:
        return None
    try:
        flat = np.fromiter(itertools.chain.from_iterable(entropies), np.int64, len(entropies) * len(entropies[0]))
    except OverflowError:  # an int of 64 bits or more
        return None
    if flat.min() < 0 or flat.max() > M32:
        return None
    return flat.astype(np.uint32).reshape(len(entropies), -1)


def seed_states(entropies: list[tuple[int, ...]]) -> np.ndarray:
    """generate_state(4, np.uint64) of SeedSequence(e) for each entropy list: (rows, 4) uint64.
    Rows are hashed together when their ints give the same number of words."""
    table = _one_word_table(entropies)
    if table is not None:  # the usual case: one table, no splitting into words
        return generate_state64(mix_entropy(table), 4)
    words = [[w for n in e for w in int_words(n)] for e in entropies]
    out = np.zeros((len(entropies), 4), np.uint64)
    by_len: dict[int, list[int]] = {}
    for i, w in enumerate(words):
        by_len.setdefault(len(w), []).append(i)
    for rows in by_len.values():
        out[rows] = generate_state64(mix_entropy(np.array([words[i] for i in rows], np.uint32)), 4)
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
        self.states = dict(zip(entropies, seed_states(entropies).tolist()))

    def rng(self, entropy: tuple[int, ...]) -> tuple[np.random.Generator, int]:
        """default_rng(SeedSequence(entropy)) (valid until the next call) and the entropy's first
        64-bit state word (SeedSequence.generate_state(1, np.uint64)[0])."""
        val = self.states[entropy]
        _SHARED_RNG.bit_generator.state = pcg64_state(val)
        return _SHARED_RNG, val[0]
