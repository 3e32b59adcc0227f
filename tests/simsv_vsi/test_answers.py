"""Number formatting and multiple-choice balance."""

import itertools
import json
from collections import Counter

import numpy as np
import pytest

from builder.qa.slot_rng import SlotRandom
from builder.qa.choices import AnswerPrior, answer_priors, apart, numeric_options, shuffle_options
from simsv_vsi.answers import _format_decimal, format_number, option_text
from simsv_vsi.sampling import uniform_frame_indices


@pytest.mark.parametrize("value,decimals,text", [
    (35.300000000000004, 1, "35.3"), (19.400000000000002, 1, "19.4"), (2.25, 1, "2.2"), (2.35, 1, "2.4"),
    (45.0, 0, "45"), (139.32, 0, "139"), (-0.01, 1, "0.0"), (0.05, 1, "0.0"), (7, 1, "7.0")])
def test_format_number_has_no_float_noise(value, decimals, text):
    assert format_number(value, decimals) == text


def test_format_number_fast_path_matches_decimal():
    """The digit-rounding path gives Decimal's half-to-even text for every kind of float."""
    rng = np.random.default_rng(0)
    values = [0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.05, 0.15, -0.05, 0.25, 9.95, 99.95, -9.95, 1e15 + 0.5, 123456789.125,
              5e-5, 1e-7, 1e22, -1e300, float("inf"), float("-inf")]
    values += (rng.integers(-20000, 20000, 3000) / 200).tolist()  # exact and near halves
    values += (rng.standard_normal(3000) * 10.0 ** rng.integers(-6, 8, 3000)).tolist()
    for v in values:
        for decimals in (0, 1, 2, 3):
            try:
                want = _format_decimal(repr(float(v)), decimals)
            except ArithmeticError:  # inf, or too many digits for Decimal: still an error
                with pytest.raises(ArithmeticError):
                    format_number(v, decimals)
                continue
            assert format_number(v, decimals) == want, (v, decimals)


def test_letters_are_uniform_and_answer_kept():
    rng = SlotRandom.from_entropy(0)
    letters = Counter()
    for _ in range(4000):
        opts, letter = shuffle_options(["right", "x", "y", "z"], 0, rng)
        assert option_text(opts["ABCD".index(letter)]) == "right"
        letters[letter] += 1
    assert all(abs(letters[c] / 4000 - 0.25) < 0.03 for c in "ABCD")


def test_numeric_options_rank_is_uniform_and_options_distinct():
    prior = AnswerPrior(quantiles=tuple(np.geomspace(0.3, 9.0, 21)))
    answers = _pool(prior.printed(1, 0.15, 3))
    rng = SlotRandom.from_entropy(1)
    ranks, empty = Counter(), 0
    while sum(ranks.values()) < 3000:
        answer = answers[rng.below(len(answers))]  # a draw from the prior itself
        opts = numeric_options(answer, 1, prior, rng, 4, 0.15)
        if opts is None:  # answer not kept: the caller asks another question
            empty += 1
            continue
        vals = [float(o) for o in opts]
        assert opts[0] == format_number(answer, 1) and len(set(opts)) == 4
        assert all(abs(a - b) >= 0.15 * min(a, b) - 1e-9 for i, a in enumerate(vals) for b in vals[i + 1:])
        ranks[sorted(vals).index(vals[0])] += 1
    # exchangeable options: the answer is the largest as often as the smallest
    assert all(abs(ranks[r] / 3000 - 0.25) < 0.04 for r in range(4)), ranks
    assert empty < 3 * 3000  # most draws give fair options for a wide prior


def _narrow_prior() -> AnswerPrior:
    """A category-like empirical prior: a dense middle, where few distractor sets fit."""
    rng = np.random.default_rng(5)
    return AnswerPrior(samples=tuple(np.round(np.exp(rng.normal(np.log(80), 0.25, 300)), 1).tolist()))


def _brute_fits(table, answer: float) -> dict[tuple[int, ...], int]:
    """Every fitting set of distractor indices with its weight, by enumeration."""
    out = {}
    for idx in itertools.combinations(range(len(table.values)), table.k):
        vals = [table.values[i] for i in idx] + [answer]
        if all(apart(a, b, table.gap) for a, b in itertools.combinations(vals, 2)):
            out[idx] = int(np.prod([table.weights[i] for i in idx]))
    return out


def test_fitting_sets_are_counted_exactly():
    table = _narrow_prior().printed(0, 0.15, 3)
    assert table.fit_max == sum(_brute_fits(table, 1e9).values())  # an answer far away excludes nothing
    for a in ("40", "62", "80", "81", "95", "140"):
        assert table.fit(a)[0] == sum(_brute_fits(table, float(a)).values()), a


def test_fitting_distractors_follow_their_conditional_distribution():
    table = AnswerPrior(samples=(10, 10, 10, 12, 13, 15, 15, 18, 20, 24, 24, 24, 30, 36)).printed(0, 0.15, 3)
    want = _brute_fits(table, 14.0)
    fits, levels = table.fit("14")
    assert fits == sum(want.values()) and len(want) > 10
    rng, n = SlotRandom.from_entropy(3), 20000
    got = Counter(tuple(table.texts.index(t) for t in table.draw_fitting(levels, rng)) for _ in range(n))
    assert set(got) <= set(want)  # only fitting sets, smallest value first
    chi2 = sum((got[s] - n * w / fits) ** 2 / (n * w / fits) for s, w in want.items())
    assert chi2 < 2 * len(want) + 30, chi2  # ~ dof for the right distribution; thousands if it were wrong


def test_kept_options_are_exchangeable_for_a_narrow_prior():
    """Answers drawn from the prior itself: the answer is no more often the middle value than
    any other rank, although fitting sets around a middle answer are rarer (keeping every
    answer and drawing a fitting set would make the answer the middle option too often)."""
    prior = _narrow_prior()
    rng = SlotRandom.from_entropy(4)
    ranks, tried = Counter(), 0
    while sum(ranks.values()) < 4000:
        tried += 1
        opts = numeric_options(prior.samples[rng.below(len(prior.samples))], 0, prior, rng, 4, 0.15)
        if opts is not None:
            vals = [float(o) for o in opts]
            assert all(apart(a, b, 0.15) for a, b in itertools.combinations(vals, 2))
            ranks[sorted(vals).index(vals[0])] += 1
    assert all(abs(ranks[r] / 4000 - 0.25) < 0.03 for r in range(4)), ranks
    # the one-draw rule: answer and 3 distractors drawn at once, kept when all fit
    rows = np.random.default_rng(6).choice(np.asarray(prior.samples), (20000, 4)).tolist()
    draw = [[float(format_number(x, 0)) for x in row] for row in rows]
    one_draw = np.mean([all(apart(a, b, 0.15) for a, b in itertools.combinations(row, 2)) for row in draw])
    assert 4000 / tried > 2.5 * one_draw, (4000 / tried, one_draw)  # same options, over 2.5x the yield


def _pool(table) -> list[float]:
    """A printed prior's values, each repeated by its weight (one uniform pick is one draw)."""
    return [v for v, w in zip(table.values, table.weights) for _ in range(w)]


def test_count_options_are_fair_for_a_skewed_count_distribution():
    """Most counts are 1, yet a blind model that answers "1" whenever it is offered is right
    only 1 time in 4: the answer is kept in proportion to the sets that fit around it."""
    prior = AnswerPrior(samples=(1.0,) * 60 + (2.0,) * 25 + (3.0,) * 10 + (4.0,) * 5 + (5.0,) * 3)
    rng = SlotRandom.from_entropy(2)
    offered = right = 0
    while offered < 3000:
        answer = prior.samples[rng.below(len(prior.samples))]
        opts = numeric_options(answer, 0, prior, rng)
        if opts is None:
            continue
        assert opts[0] == format_number(answer, 0) and len(set(opts)) == 4 and all(o.isdigit() for o in opts)
        if "1" in opts:
            offered += 1
            right += opts[0] == "1"
    assert abs(right / offered - 0.25) < 0.03, right / offered
    assert numeric_options(1, 0, AnswerPrior(samples=(1.0, 2.0)), rng) is None  # no four values: no options


def test_weighted_samples_are_the_repeated_samples():
    """A prior stored as values with weights draws exactly as the same values repeated."""
    values, weights = (1.0, 2.0, 3.0, 4.0, 5.0), (60, 25, 10, 5, 3)
    weighted = AnswerPrior(samples=values, weights=weights)
    repeated = AnswerPrior(samples=tuple(v for v, w in zip(values, weights) for _ in range(w)))
    for answer in values:
        draws = [numeric_options(answer, 0, p, SlotRandom(7)) for p in (weighted, repeated)]
        assert draws[0] == draws[1]
    a, b = weighted.printed(0, 0.15, 3), repeated.printed(0, 0.15, 3)
    assert (a.texts, a.weights, a.fit_max) == (b.texts, b.weights, b.fit_max)


def test_pair_priors_mix_own_distances_with_the_pool(tmp_path):
    """A pair measured often draws mostly from its own distances; one measured rarely mostly
    from the pool; an unmeasured pair from the pool itself."""
    from builder.qa.choices import PAIR_SHRINK, prior_for

    path = tmp_path / "priors.json"
    pool = {"values": [0.5, 1.0, 2.0, 4.0], "counts": [25, 25, 25, 25], "n": 100}
    path.write_text(json.dumps({"types": {"object_abs_distance": pool}, "object_abs_distance_by_pair": {
        "bed|nightstand": {"values": [0.5], "counts": [450]}, "lamp|sofa": {"values": [4.0], "counts": [10]}}}))
    priors = answer_priors(str(path))

    def share(a, b, value):
        p = prior_for(priors, "object_abs_distance", {"object1": a, "object2": b})
        return p.weights[p.samples.index(value)] / sum(p.weights)

    assert share("nightstand", "bed", 0.5) == pytest.approx((450 + 0.25 * PAIR_SHRINK) / (450 + PAIR_SHRINK), abs=1e-4)
    assert share("lamp", "sofa", 4.0) == pytest.approx((10 + 0.25 * PAIR_SHRINK) / (10 + PAIR_SHRINK), abs=1e-4)
    assert prior_for(priors, "object_abs_distance", {"object1": "tv", "object2": "bed"}) is priors["object_abs_distance"]


def test_priors_file_counts_load_as_weighted_samples(tmp_path):
    path = tmp_path / "priors.json"
    path.write_text(json.dumps({"types": {"object_counting": {"values": [1, 2, 4], "counts": [3, 2, 1]},
                                          "room_size_estimation": {"quantiles": [5.0, 10.0, 30.0]}}}))
    priors = answer_priors(str(path))
    assert (priors["object_counting"].samples, priors["object_counting"].weights) == ((1.0, 2.0, 4.0), (3, 2, 1))
    assert priors["room_size_estimation"].quantiles == (5.0, 10.0, 30.0)


def test_uniform_frame_indices_are_linspace_truncated():
    for n in range(1, 3001):
        for k in (1, 2, 3, 7, 8, 16, 32, 64, 100, 128):
            assert np.array_equal(uniform_frame_indices(n, k), np.linspace(0, n - 1, k).astype(np.int64)), (n, k)


def test_uniform_frame_indices_match_lmms_eval():
    short = uniform_frame_indices(10, 32)  # always K indices; a short video repeats frames
    assert len(short) == 32 and set(short.tolist()) == set(range(10)) and (np.diff(short) >= 0).all()
    idx = uniform_frame_indices(1605, 32)
    assert len(idx) == 32 and idx[0] == 0 and idx[-1] == 1604
    assert idx.tolist() == np.linspace(0, 1604, 32, dtype=int).tolist()


def test_prompt_text_is_vsibench_layout():
    from simsv_vsi.prompts import MC_POST_PROMPT, NUMERIC_POST_PROMPT, PRE_PROMPT, prompt_text

    assert prompt_text("How far?", None) == f"{PRE_PROMPT}\nHow far?\n{NUMERIC_POST_PROMPT}"
    assert prompt_text("Which?", ["A. left", "B. right"]).split("\n") == [
        PRE_PROMPT, "Which?", "Options:", "A. left", "B. right", MC_POST_PROMPT]


def test_training_messages_end_with_the_answer():
    from simsv_vsi.prompts import MC_POST_PROMPT, to_messages

    row = {"question": "Which?", "options": ["A. left", "B. right"], "answer": "B"}
    user, assistant = to_messages(row)
    assert user["role"] == "user" and user["content"][0] == {"type": "video"}
    assert user["content"][1]["text"].endswith(MC_POST_PROMPT) and "B. right" in user["content"][1]["text"]
    assert assistant == {"role": "assistant", "content": [{"type": "text", "text": "B"}]}
