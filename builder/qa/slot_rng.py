"""Per-slot random generators, fast: the same streams as
`np.random.default_rng(np.random.SeedSequence([seed, house, trajectory, type, format, slot]))`.

Building a SeedSequence and a Generator costs ~30 us, as much as the rest of a record. Slots of
one (seed, house, trajectory, type, format) share the first five entropy words, so here numpy's
SeedSequence hashing (numpy/random/bit_generator.pyx, pool size 4, no spawn key) is redone in
Python ints: the pool is mixed once for the shared words, and per slot only the slot's word is
mixed in. The PCG64 seeding (pcg64_set_seed) is redone too, and one Generator is reused by
setting its state. tests/builder/test_qa_slot_rng.py checks both against numpy.
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


def _mix(x: int, y: int) -> int:
    r = (MIX_MULT_L * x - MIX_MULT_R * y) & M32
    return r ^ (r >> XSHIFT)


class _Hasher:
    """SeedSequence's `hashmix` with its running hash constant."""

    def __init__(self, const: int = INIT_A):
        self.const = const

    def __call__(self, value: int) -> int:
        value ^= self.const
        self.const = (self.const * MULT_A) & M32
        value = (value * self.const) & M32
        return value ^ (value >> XSHIFT)


def _mix_in(pool: list[int], words: list[int], h: _Hasher) -> None:
    """The last stage of SeedSequence.mix_entropy: entropy words past the pool size."""
    for w in words:
        for i in range(POOL_SIZE):
            pool[i] = _mix(pool[i], h(w))


def prefix_pool(words: list[int]) -> tuple[list[int], int]:
    """The pool and hash constant after mixing `words` (at least POOL_SIZE of them)."""
    assert len(words) >= POOL_SIZE, "the shared words must fill the pool"
    h = _Hasher()
    pool = [h(w) for w in words[:POOL_SIZE]]
    for src in range(POOL_SIZE):
        for dst in range(POOL_SIZE):
            if src != dst:
                pool[dst] = _mix(pool[dst], h(pool[src]))
    _mix_in(pool, words[POOL_SIZE:], h)
    return pool, h.const


def _constants(init: int, mult: int, n: int) -> list[tuple[int, int]]:
    """The (xor, multiply) constants of n successive hash steps from `init` (they do not depend
    on the data, so slots can share them)."""
    out = []
    for _ in range(n):
        nxt = (init * mult) & M32
        out.append((init, nxt))
        init = nxt
    return out


_STATE_CONSTANTS = _constants(INIT_B, MULT_B, 8)  # generate_state(4, np.uint64): 8 words


def generate_state64(pool: list[int], n_words: int) -> list[int]:
    """SeedSequence.generate_state(n_words, np.uint64) as Python ints."""
    consts = _STATE_CONSTANTS if n_words == 4 else _constants(INIT_B, MULT_B, 2 * n_words)
    out32 = []
    for k, (x, m) in enumerate(consts):
        v = ((pool[k % POOL_SIZE] ^ x) * m) & M32
        out32.append(v ^ (v >> XSHIFT))
    return [out32[2 * k] | out32[2 * k + 1] << 32 for k in range(n_words)]  # little-endian pairs


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
    """Generators for the slots that share the entropy words `prefix`."""

    def __init__(self, prefix: list[int]):
        words = [w for n in prefix for w in int_words(n)]
        self.pool, self.const = prefix_pool(words)
        self.word_constants = _constants(self.const, MULT_A, POOL_SIZE)
        self.rng = _SHARED_RNG

    def slot(self, slot: int) -> tuple[np.random.Generator, int]:
        """The generator of `slot` (valid until the next call) and the slot's first 64-bit state
        word (SeedSequence.generate_state(1, np.uint64)[0])."""
        if slot <= M32:  # one word: its 4 hash steps use constants fixed per SlotSeeds
            pool = []
            for p, (x, m) in zip(self.pool, self.word_constants):
                v = ((slot ^ x) * m) & M32
                pool.append(_mix(p, v ^ (v >> XSHIFT)))
        else:
            pool = list(self.pool)
            _mix_in(pool, int_words(slot), _Hasher(self.const))
        val = generate_state64(pool, 4)
        self.rng.bit_generator.state = pcg64_state(val)
        return self.rng, val[0]
