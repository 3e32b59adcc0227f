"""Scoring metrics for SIMS-VSI answers (the benchmark's definitions, shared by audits and evaluation)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

# VSI-Bench's confidence thresholds theta for Mean Relative Accuracy, written out.
MRA_THRESHOLDS = (0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95)
# The relative-error tolerances 1 - theta, also written out (not computed as 1 - theta, which
# gives 0.050000000000000044 for 0.95) so each is the double nearest its decimal.
MRA_TOLERANCES = (0.50, 0.45, 0.40, 0.35, 0.30, 0.25, 0.20, 0.15, 0.10, 0.05)
# Relative errors are computed in binary floating point: 2.1 vs 2.0 gives 0.05000000000000004,
# not 0.05. Answers are printed decimals, so a relative error that is exactly on a tolerance
# in decimal must count as within it; this slack (far below any printed precision) does that.
MRA_SLACK = 1e-9


def mean_relative_accuracy(pred, gt):
    """VSI-Bench's Mean Relative Accuracy of a numeric answer: the share of the ten thresholds
    theta in 0.50, 0.55, ..., 0.95 with |pred - gt| / |gt| <= 1 - theta.

    Exact on boundaries: a relative error of exactly 0.05 scores 1.0, exactly 0.5 scores 0.1,
    anything above 0.5 scores 0. Scalars give a float; arrays (broadcast together) give an
    array of per-item scores (average it for a data set's MRA). A non-finite prediction scores
    0. Raises ValueError when a ground truth is 0 or not finite (relative error undefined).
    """
    p = np.asarray(pred, dtype=float)
    g = np.asarray(gt, dtype=float)
    if np.any(g == 0):
        raise ValueError("mean_relative_accuracy: ground truth 0 has no relative error")
    if not np.all(np.isfinite(g)):
        raise ValueError("mean_relative_accuracy: ground truth must be finite")
    with np.errstate(invalid="ignore", over="ignore"):
        rel = np.abs(p - g) / np.abs(g)
        hits = np.zeros(np.broadcast(p, g).shape, dtype=float)
        for tol in MRA_TOLERANCES:
            hits += rel <= tol + MRA_SLACK  # NaN (non-finite pred) compares False: no hit
    score = hits / len(MRA_TOLERANCES)
    return float(score) if score.ndim == 0 else score


# --- answers as text -------------------------------------------------------------------------

def _first_token(text: str) -> str:
    """VSI-Bench's "fuzzy matching": the text before the first space, one trailing "." removed,
    surrounding whitespace dropped. "A." -> "A", "2.5 m" -> "2.5", "(A)" stays "(A)"."""
    return str(text).split(" ")[0].rstrip(".").strip()


def mc_exact_match(prediction: str | None, answer_letter: str) -> float:
    """Multiple choice: 1.0 when the prediction's first token is the answer letter (case-
    insensitive), else 0.0. "A", "a", "A." and "A. left" score; "(A)", "A)" and "The answer is
    A" do not, as in VSI-Bench's scorer."""
    if prediction is None:
        return 0.0
    return 1.0 if _first_token(prediction).lower() == answer_letter.strip().lower() else 0.0


def parse_number_first_token(text: str | None) -> float | None:
    """The original VSI-Bench parser (thinking-in-space, lmms-eval before 0.7): the first token as
    a float, None when it is not one. "2.5 meters" -> 2.5; "about 2.5" -> None; "two" -> None."""
    if text is None:
        return None
    try:
        value = float(_first_token(text))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


_DIGITS = re.compile(r"-?\d+(?:\.\d+)?")
_WORD = re.compile(r"[a-z]+")
_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)}
_SCALES = {"hundred": 100, "thousand": 1000}
_NUMBER_WORDS = {**_UNITS, **_TENS, **_SCALES}


def _number_words(words: list[str]) -> float:
    """Value of a run of English number words: "three hundred twenty one" -> 321."""
    total = current = 0
    for w in words:
        v = _NUMBER_WORDS[w]
        if v == 100:
            current = max(current, 1) * 100
        elif v == 1000:
            total, current = total + max(current, 1) * 1000, 0
        else:
            current += v
    return float(total + current)


def parse_number_extract(text: str | None) -> float | None:
    """lmms-eval 0.7's parser (`extract_number`): whichever comes first in the lower-cased text,
    a decimal number (-?digits[.digits]) or a run of English number words ("and" and
    punctuation may sit inside the run, any other word ends it). "about 2.5 m" -> 2.5;
    "twenty-one" -> 21; "3,000" -> 3.0 (the comma ends the number); "no idea" -> None."""
    if text is None:
        return None
    s = str(text).strip().lower()
    digits = _DIGITS.search(s)
    run: list[str] = []
    run_start = None
    for m in _WORD.finditer(s):
        w = m.group(0)
        if run_start is None:
            if w in _NUMBER_WORDS:
                run_start, run = m.start(), [w]
        elif w in _NUMBER_WORDS:
            run.append(w)
        elif w != "and":
            break
    if digits is not None and (run_start is None or digits.start() < run_start):
        return float(digits.group(0))
    return _number_words(run) if run else None


# Named so every reported number can say which parser produced it.
NUMERIC_PARSERS = {
    "first_token": parse_number_first_token,
    "extract_number": parse_number_extract,
}
DEFAULT_PARSER = "extract_number"  # what lmms-eval 0.7's built-in vsibench task uses


def numeric_score(prediction: str | None, answer: str | float, parser: str = DEFAULT_PARSER) -> float:
    """MRA of a free-text numeric prediction; an unparseable prediction scores 0 (the worst case)."""
    try:
        parse = NUMERIC_PARSERS[parser]
    except KeyError:
        raise ValueError(f"unknown numeric parser {parser!r}; known: {', '.join(NUMERIC_PARSERS)}") from None
    value = parse(prediction)
    return 0.0 if value is None else mean_relative_accuracy(value, float(answer))


# --- VSI-Bench's macro aggregation -----------------------------------------------------------

# The 8 reported tasks in the paper's table order, each with the raw question types it averages
# (unweighted: relative direction is the mean of its three levels, not of its questions).
VSIBENCH_TASKS = {
    "object_counting": ("object_counting",),
    "object_abs_distance": ("object_abs_distance",),
    "object_size_estimation": ("object_size_estimation",),
    "room_size_estimation": ("room_size_estimation",),
    "object_rel_distance": ("object_rel_distance",),
    "object_rel_direction": ("object_rel_direction_easy", "object_rel_direction_medium",
                             "object_rel_direction_hard"),
    "route_planning": ("route_planning",),
    "obj_appearance_order": ("obj_appearance_order",),
}
NUMERIC_TYPES = ("object_counting", "object_abs_distance", "object_size_estimation", "room_size_estimation")


@dataclass
class MacroScore:
    tasks: dict[str, float]  # reported task -> mean score, only for tasks with questions
    overall: float | None  # unweighted mean of `tasks`; None when no task has questions
    missing_tasks: list[str]  # reported tasks with no question at all
    missing_types: list[str]  # raw types with no question (e.g. one direction level)
    extra_types: dict[str, float]  # raw types outside VSI-Bench's 8 tasks, scored alone


def vsibench_macro(scores_by_type: dict[str, list[float]]) -> MacroScore:
    """VSI-Bench's macro score from per-question scores grouped by raw `question_type`:
    mean per type, direction levels averaged, then the unweighted mean over the reported tasks.

    Missing types never raise: a task is averaged over the types it has, a task with none is
    left out of `overall`, and both are listed, so a partial subset says what it lacks (lmms-eval
    0.7's own aggregator raises KeyError when a direction level is missing)."""
    means = {t: float(np.mean(v)) for t, v in scores_by_type.items() if len(v)}
    known = {raw for raws in VSIBENCH_TASKS.values() for raw in raws}
    tasks, missing_tasks, missing_types = {}, [], []
    for task, raws in VSIBENCH_TASKS.items():
        present = [means[r] for r in raws if r in means]
        missing_types += [r for r in raws if r not in means]
        if present:
            tasks[task] = float(np.mean(present))
        else:
            missing_tasks.append(task)
    overall = float(np.mean(list(tasks.values()))) if tasks else None
    extra = {t: m for t, m in means.items() if t not in known}
    return MacroScore(tasks, overall, missing_tasks, missing_types, extra)
