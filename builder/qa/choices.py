"""Multiple-choice options that do not give the answer away.

Letters: options are shuffled uniformly here; once the corpus is balanced, `balance.py` deals
the correct letters so each is right equally often.

Numeric distractors are drawn from the type's answer distribution (`answer_priors.json`,
measured on a reference corpus), not as multiples of the answer. If every option is a draw from
the same distribution, a model that never sees the video cannot tell the true one from the
distractors (the options are exchangeable), so its best guess is chance and the correct
value's rank among the options is uniform. Options are kept apart by a relative margin so a
viewer can tell them apart, and are printed by the same formatter as the answer.

Keeping options apart is where a generator usually leaks the answer. The fair rule is "draw
the distractors once; if any two options are too close, ask no multiple-choice question":
then every accepted set of options is exchangeable. Retrying the draw instead favours answers
whose neighbourhood is sparse. Drawing once wastes most questions when a distribution is
narrow (object sizes of one category), so `numeric_options` gets the same distribution in
fewer attempts: it keeps an answer `a` with probability fit(a) / fit_max, where fit(a) is the
exact chance that one draw of distractors fits around `a` and fit_max its largest value (no
answer excluding anything), and then draws the distractors from their exact conditional
distribution given that they fit. The accepted options have exactly the one-draw rule's joint
distribution, at 1 / fit_max times its yield. Both are computed exactly, in integers, on the
printed values.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Sequence

from builder.qa.slot_rng import SlotRandom
from simsv_vsi.answers import format_number, letter_options

PRIORS_PATH = Path(__file__).with_name("answer_priors.json")


@dataclass(frozen=True)
class AnswerPrior:
    """An answer distribution: quantiles of a positive continuous answer (interpolated in log
    space), or samples with integer weights (how often each value was seen; all 1 when
    `weights` is empty)."""

    quantiles: tuple[float, ...] = ()
    samples: tuple[float, ...] = ()
    weights: tuple[int, ...] = ()
    _printed: dict = field(default_factory=dict, init=False, compare=False, repr=False)  # (decimals, gap, k) -> PrintedPrior

    @cached_property
    def _log_quantiles(self) -> list[float]:  # once per prior, not per draw
        # the math module, not numpy: numpy's vectorised exp/log may round differently by CPU
        return [math.log(x) for x in self.quantiles]

    def printed(self, decimals: int, min_gap_rel: float, k: int) -> "PrintedPrior":
        """This prior as the numbers it prints, for `k` distractors (built once)."""
        key = (decimals, min_gap_rel, k)
        out = self._printed.get(key)
        if out is None:
            weights = self.weights or None
            if self.samples:
                draws = self.samples
            else:  # quantiles: QUANTILE_GRID equally likely points, finer than any printed digit
                q, n = self._log_quantiles, QUANTILE_GRID
                draws = []
                for g in range(n):
                    u = (g + 0.5) * (len(q) - 1) / n
                    i = min(int(u), len(q) - 2)
                    draws.append(math.exp(q[i] + (u - i) * (q[i + 1] - q[i])))
            out = self._printed[key] = PrintedPrior([format_number(v, decimals) for v in draws], min_gap_rel, k,
                                                    weights)
        return out


QUANTILE_GRID = 4096


def apart(a: float, b: float, min_gap_rel: float) -> bool:
    """Two positive option values a viewer can tell apart: they differ by `min_gap_rel` of the
    smaller one."""
    return abs(a - b) >= min_gap_rel * min(a, b)


class PrintedPrior:
    """A distractor distribution as printed texts with integer weights, and the exact count of
    weighted ways `k` distractors fit (pairwise apart, and apart from an answer).

    Fitting sets are counted as increasing chains: with the distinct values sorted, `nxt[i]` is
    the first value apart from value i, so chains of length k are counted level by level
    (`_levels`), and a fitting set is drawn from the same prefix sums, smallest value first.
    """

    def __init__(self, texts: list[str], min_gap_rel: float, k: int, weights: Sequence[int] | None = None):
        weight: dict[str, int] = {}
        for t, w in zip(texts, weights or [1] * len(texts)):
            weight[t] = weight.get(t, 0) + w
        pos = sorted((float(t), t) for t in weight if float(t) > 0)  # a non-positive value is never an option
        self.values = [v for v, _ in pos]
        self.texts = [t for _, t in pos]
        self.weights = [weight[t] for t in self.texts]
        self.gap, self.k = min_gap_rel, k
        m, j = len(self.values), 0
        self.nxt = []
        for i, x in enumerate(self.values):  # apart is monotone in the larger value: one pass
            j = max(j, i + 1)
            while j < m and not apart(x, self.values[j], min_gap_rel):
                j += 1
            self.nxt.append(j)
        self.fit_max = self._levels(None)[-1][-1]
        if self.fit_max >= 1 << 64:  # SlotRandom.below draws from one 64-bit word
            raise ValueError(f"prior weights too large: {self.fit_max} fitting sets (store smaller integer weights)")
        self._by_answer: dict[str, tuple[int, list[list[int]]]] = {}

    def _levels(self, answer: float | None) -> list[list[int]]:
        """Prefix sums per chain length 1..k of the weighted chains whose values are all apart
        from `answer`; the last entry of the last level is the number of fitting sets."""
        vals, w, nxt, m = self.values, self.weights, self.nxt, len(self.values)
        if answer is None:
            ok = w
        else:  # apart(v, answer, gap), written out: this runs once per distinct answer, over every value
            g, a = self.gap, answer
            ok = [wi if abs(v - a) >= g * (v if v < a else a) else 0 for v, wi in zip(vals, w)]
        levels, below = [], None
        for _ in range(self.k):
            prefix, acc = [0], 0
            for i in range(m):
                acc += ok[i] if below is None else ok[i] * (below[m] - below[nxt[i]])
                prefix.append(acc)
            levels.append(prefix)
            below = prefix
        return levels

    def fit(self, answer_text: str) -> tuple[int, list[list[int]]]:
        """(number of weighted fitting distractor sets around this answer, chain levels)."""
        out = self._by_answer.get(answer_text)
        if out is None:
            levels = self._levels(float(answer_text))
            out = self._by_answer[answer_text] = (levels[-1][-1], levels)
        return out

    def draw_fitting(self, levels: list[list[int]], rng: SlotRandom) -> list[str]:
        """k texts, drawn with the probability that k independent draws give them, given that
        they fit (smallest first)."""
        out, start = [], 0
        for prefix in reversed(levels):  # the longest chains first: the smallest value
            lo = prefix[start]
            i = bisect_right(prefix, lo + rng.below(prefix[-1] - lo)) - 1
            out.append(self.texts[i])
            start = self.nxt[i]
        return out


PAIR_SHRINK = 50
"""A pair's distance prior is its own measured distances mixed with this many pseudo-samples
of the pooled prior: a pair measured 10 times is mostly pooled, one measured 500 times mostly
its own (a bed and its nightstand stand closer than most pairs, and a blind model that reads
the names would learn it if their distractors came from all pairs)."""
PAIR_WEIGHT_TOTAL = 100_000


def pair_key(a: str, b: str) -> str:
    """How answer_priors.json names a pair of object names: sorted, joined by "|"."""
    return f"{a}|{b}" if a <= b else f"{b}|{a}"


def _pair_prior(pooled: AnswerPrior, values: list, counts: list) -> AnswerPrior:
    """`pooled` and a pair's own counts mixed as PAIR_SHRINK says, as integer weights on the
    pooled prior's values (they include every pair's)."""
    n, g = sum(counts), sum(pooled.weights)
    own = dict(zip((float(v) for v in values), counts))
    share = n / (n + PAIR_SHRINK)
    weights = tuple(max(1, round(PAIR_WEIGHT_TOTAL * (share * own.get(v, 0) / n + (1 - share) * w / g)))
                    for v, w in zip(pooled.samples, pooled.weights))
    return AnswerPrior(samples=pooled.samples, weights=weights)


@lru_cache(maxsize=None)
def answer_priors(path: str = str(PRIORS_PATH)) -> dict[str, AnswerPrior]:
    raw = json.loads(Path(path).read_text())
    out = {}
    for k, v in raw["types"].items():
        if "counts" in v:  # a pmf: each value with the (integer) weight it was seen with
            out[k] = AnswerPrior(samples=tuple(float(x) for x in v["values"]), weights=tuple(int(c) for c in v["counts"]))
        else:
            out[k] = AnswerPrior(quantiles=tuple(v["quantiles"]))
    # Object sizes depend on the category named in the question, so their distractors come
    # from the sizes the house generator gives that category (`simsv qa-priors`).
    ratios = raw.get("object_size_selection", {}).get("ratios")
    for cat, sizes in raw.get("object_size_by_category", {}).items():
        out[f"object_size_estimation/{cat}"] = AnswerPrior(samples=tuple(sizes), weights=_by_rank(len(sizes), ratios))
    # Distances depend on which two objects are named: per pair of names, mixed with the pool.
    pooled = out.get("object_abs_distance")
    for pair, v in raw.get("object_abs_distance_by_pair", {}).items() if pooled and pooled.weights else ():
        out[f"object_abs_distance/{pair}"] = _pair_prior(pooled, v["values"], v["counts"])
    return out


def _by_rank(n: int, ratios: list[float] | None) -> tuple[int, ...]:
    """Integer weights for `n` sorted samples: sample i gets the ratio of the equal range of
    ranks it falls in (`priors.size_selection`), in hundredths (thousandths took a category of
    5,000 sizes to 63 bits of fitting sets, next to `SlotRandom.below`'s 64); none without
    ratios."""
    if not ratios:
        return ()
    b = len(ratios)
    return tuple(max(1, round(100 * ratios[min(b - 1, int((i + 0.5) / n * b))])) for i in range(n))


def prior_for(priors: dict[str, AnswerPrior], qtype: str, fields: dict) -> AnswerPrior | None:
    """The distractor distribution of a question with these template fields; None when there
    is no fair one."""
    if qtype == "object_size_estimation":
        return priors.get(f"{qtype}/{fields['category']}")
    if qtype == "object_abs_distance":
        return priors.get(f"{qtype}/{pair_key(fields['object1'], fields['object2'])}") or priors.get(qtype)
    return priors.get(qtype)


def shuffle_options(options: list[str], correct: int, rng: SlotRandom) -> tuple[list[str], str]:
    """Lettered options in a uniformly random order, and the correct letter."""
    perm = rng.permutation(len(options))
    return letter_options([options[i] for i in perm]), "ABCDEFGH"[perm.index(correct)]


def numeric_options(answer: float, decimals: int, prior: AnswerPrior, rng: SlotRandom,
                    n: int = 4, min_gap_rel: float = 0.15) -> list[str] | None:
    """`n` printed numbers, the answer first, pairwise `min_gap_rel` apart; None when this
    answer is not kept (see the module docstring: kept with probability fit(a) / fit_max, so
    the options are distributed exactly as one draw of distractors that happened to fit)."""
    text = format_number(answer, decimals)
    if float(text) <= 0:
        return None
    table = prior.printed(decimals, min_gap_rel, n - 1)
    fits, levels = table.fit(text)
    if fits == 0 or rng.below(table.fit_max) >= fits:
        return None
    return [text, *table.draw_fitting(levels, rng)]
