"""builder/qa/slot_rng.py must give numpy's SeedSequence + default_rng streams exactly."""

import numpy as np
import pytest

from builder.qa.slot_rng import SlotSeeds

PREFIXES = [[0, 0, 0, 0, 1], [0, 12, 0, 5, 2], [7, 39, 3, 10, 1], [2**40 + 5, 1, 2, 3, 2], [2**64 - 1, 2**33, 0, 0, 0],
            [123456789, 999999, 17, 11, 2, 4]]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_slot_streams_match_numpy(prefix):
    seeds = SlotSeeds(prefix)
    for slot in [0, 1, 2, 5, 31, 2**32 - 1, 2**32, 2**45 + 3]:
        ss = np.random.SeedSequence([*prefix, slot])
        ref = np.random.default_rng(ss)
        rng, first = seeds.slot(slot)
        assert first == int(ss.generate_state(1, np.uint64)[0])
        assert rng.bit_generator.state == ref.bit_generator.state
        assert rng.integers(1000, size=5).tolist() == ref.integers(1000, size=5).tolist()
        assert rng.random() == ref.random()
        assert rng.permutation(7).tolist() == ref.permutation(7).tolist()
