"""Multiple-choice options that do not give the answer away.

Letters: options are shuffled uniformly, so the correct letter is uniform over positions.

Numeric distractors are drawn from the type's answer distribution (`answer_priors.json`,
measured on a reference corpus), not as multiples of the answer. If every option is a draw from
the same distribution, a model that never sees the video cannot tell the true one from the
distractors (the options are exchangeable), so its best guess is chance and the correct
value's rank among the options is uniform. Options are kept apart by a relative margin so a
viewer can tell them apart, and are printed by the same formatter as the answer.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from builder.qa.slot_rng import SlotRandom
from simsv_vsi.answers import format_number, letter_options

PRIORS_PATH = Path(__file__).with_name("answer_priors.json")


@dataclass(frozen=True)
class AnswerPrior:
    """Quantiles of a positive continuous answer (interpolated in log space), or a pmf over
    integers (`values`, `probs`)."""

    quantiles: tuple[float, ...] = ()
    values: tuple[int, ...] = ()
    probs: tuple[float, ...] = ()
    samples: tuple[float, ...] = ()  # an empirical distribution: draw one uniformly

    def draw(self, rng: SlotRandom) -> float:
        if self.samples:
            return float(self.samples[rng.below(len(self.samples))])
        if self.values:
            return float(self.values[rng.weighted_sample(self.probs, 1)[0]])
        q = self._log_quantiles
        u = rng.random() * (len(q) - 1)
        i = min(int(u), len(q) - 2)
        return math.exp(q[i] + (u - i) * (q[i + 1] - q[i]))

    @cached_property
    def _log_quantiles(self) -> list[float]:  # once per prior, not per draw
        # the math module, not numpy: numpy's vectorised exp/log may round differently by CPU
        return [math.log(x) for x in self.quantiles]


@lru_cache(maxsize=None)
def answer_priors(path: str = str(PRIORS_PATH)) -> dict[str, AnswerPrior]:
    raw = json.loads(Path(path).read_text())
    out = {k: AnswerPrior(tuple(v.get("quantiles", ())), tuple(v.get("values", ())), tuple(v.get("probs", ())))
           for k, v in raw["types"].items()}
    # Object sizes depend on the category named in the question, so their distractors come
    # from the sizes the house generator gives that category (`simsv qa-priors`).
    for cat, sizes in raw.get("object_size_by_category", {}).items():
        out[f"object_size_estimation/{cat}"] = AnswerPrior(samples=tuple(sizes))
    return out


def prior_for(priors: dict[str, AnswerPrior], qtype: str, category: str | None) -> AnswerPrior | None:
    """The distractor distribution of a question; None when there is no fair one."""
    if qtype == "object_size_estimation":
        return priors.get(f"{qtype}/{category}")
    return priors[qtype]


def shuffle_options(options: list[str], correct: int, rng: SlotRandom) -> tuple[list[str], str]:
    """Lettered options in a uniformly random order, and the correct letter."""
    perm = rng.permutation(len(options))
    return letter_options([options[i] for i in perm]), "ABCDEFGH"[perm.index(correct)]


def numeric_options(answer: float, decimals: int, prior: AnswerPrior, rng: SlotRandom,
                    n: int = 4, min_gap_rel: float = 0.15) -> list[str] | None:
    """`n` printed numbers, the answer first, or None when this one draw does not give options
    `min_gap_rel` apart. There is deliberately no retry: retrying until distractors fit would
    favour answers in crowded ranges (fewer draws fit near them), which a blind model learns;
    the caller moves on to another question instead."""
    if prior.values:  # counts: distinct integers drawn from the pmf without replacement
        cands = [(v, p) for v, p in zip(prior.values, prior.probs) if v != round(answer) and v > 0 and p > 0]
        if len(cands) < n - 1:
            return None
        pick = rng.weighted_sample([p for _, p in cands], n - 1)
        return [format_number(v, decimals) for v in (round(answer), *(cands[i][0] for i in pick))]
    # each number is printed once; reprinting the value a text denotes gives the same text
    texts = [format_number(answer, decimals)] + [format_number(prior.draw(rng), decimals) for _ in range(n - 1)]
    chosen = [float(t) for t in texts]  # as `rounded`
    for i, a in enumerate(chosen):  # plain loops: generator expressions cost more than these few pairs
        if a <= 0:
            return None
        for b in chosen[i + 1:]:
            if abs(a - b) < min_gap_rel * min(a, b):
                return None
    return texts
