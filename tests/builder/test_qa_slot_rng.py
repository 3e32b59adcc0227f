"""builder/qa/slot_rng.py must give numpy's SeedSequence + default_rng streams exactly."""

import numpy as np

from builder.qa.slot_rng import SlotSeeds

ENTROPIES = [(0, 0, 0, 0, 1, 0), (0, 12, 0, 5, 2, 3), (7, 39, 3, 10, 1, 31), (2**40 + 5, 1, 2, 3, 2, 0),
             (2**64 - 1, 2**33, 0, 0, 0, 2**32), (123456789, 999999, 17, 11, 2, 4), (5,), (1, 2), (0, 0, 0),
             (3, 2**32 - 1, 0, 1, 2, 5, 6, 7, 8)]
ENTROPIES += [tuple(int(x) for x in np.random.default_rng(k).integers(0, 1000, 6)) for k in range(50)]


def test_slot_streams_match_numpy():
    seeds = SlotSeeds(ENTROPIES)
    for e in ENTROPIES:
        ss = np.random.SeedSequence(list(e))
        ref = np.random.default_rng(ss)
        rng, first = seeds.rng(e)
        assert first == int(ss.generate_state(1, np.uint64)[0])
        assert rng.bit_generator.state == ref.bit_generator.state
        assert rng.integers(1000, size=5).tolist() == ref.integers(1000, size=5).tolist()
        assert rng.random() == ref.random()
        assert rng.permutation(7).tolist() == ref.permutation(7).tolist()
