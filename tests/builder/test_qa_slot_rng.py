"""builder/qa/slot_rng.py must give numpy's SeedSequence + default_rng streams exactly."""

import numpy as np
import pytest

from builder.qa.slot_rng import SlotSeeds

ENTROPIES = [(0, 0, 0, 0, 1, 0), (0, 12, 0, 5, 2, 3), (7, 39, 3, 10, 1, 31), (2**40 + 5, 1, 2, 3, 2, 0),
             (2**64 - 1, 2**33, 0, 0, 0, 2**32), (123456789, 999999, 17, 11, 2, 4), (5,), (1, 2), (0, 0, 0),
             (3, 2**32 - 1, 0, 1, 2, 5, 6, 7, 8)]
SLOTS = [tuple(int(x) for x in np.random.default_rng(k).integers(0, 1000, 6)) for k in range(50)]


@pytest.mark.parametrize("entropies", [ENTROPIES + SLOTS, SLOTS, [(2**32 - 1,) * 6, (0,) * 6]],
                         ids=["mixed_lengths_and_sizes", "one_word_ints", "word_edges"])
def test_slot_streams_match_numpy(entropies):
    seeds = SlotSeeds(entropies)
    for e in entropies:
        ss = np.random.SeedSequence(list(e))
        ref = np.random.default_rng(ss)
        rng, first = seeds.rng(e)
        assert first == int(ss.generate_state(1, np.uint64)[0])
        assert rng.bit_generator.state == ref.bit_generator.state
        assert rng.integers(1000, size=5).tolist() == ref.integers(1000, size=5).tolist()
        assert rng.random() == ref.random()
        assert rng.permutation(7).tolist() == ref.permutation(7).tolist()
