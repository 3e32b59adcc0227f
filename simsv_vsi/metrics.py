"""Scoring metrics for SIMS-VSI answers (the benchmark's definitions, shared by audits and evaluation)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

# VSI-Bench's confidence thresholds theta for Mean Relative Accuracy, 0.50, 0.55, ..., 0.95,
# built exactly as the official code builds them (thinking-in-space and lmms-eval:
# `np.linspace(.5, .95, 10)`), and the relative-error tolerances `1 - theta` computed from them
# in binary floating point. Written out as decimals they would differ in the last bit (1 - 0.95
# is 0.050000000000000044 here), and an error exactly on a tolerance would score differently.
MRA_THRESHOLDS = np.linspace(0.5, 0.95, 10)
MRA_TOLERANCES = 1 - MRA_THRESHOLDS


def mean_relative_accuracy(pred, gt):
    """VSI-Bench's Mean Relative Accuracy of a numeric answer, the official arithmetic bit for
    bit: the share of the ten tolerances `1 - theta` with `|pred - gt| / gt <= 1 - theta`, every
    operation in float64 as the reference code does it (no slack).

    So a relative error exactly on a tolerance in decimal may miss it in binary: gt 5, pred 4 is
    0.2 but `abs(4 - 5) / 5 = 0.2` exceeds `1 - theta(0.80) = 0.19999999999999996`, and scores
    0.6, not 0.7, as in lmms-eval. Scalars give a float; arrays (broadcast together) give an
    array of per-item scores (average it for a data set's MRA). A non-finite prediction scores
    0 (NaN compares False). Like the reference, the error is divided by the signed ground truth.
    Raises ValueError when a ground truth is 0 (the reference code divides by zero) or is not
    finite.
    """
    p = np.asarray(pred, dtype=np.float64)
    g = np.asarray(gt, dtype=np.float64)
    if np.any(g == 0):
        raise ValueError("mean_relative_accuracy: ground truth 0 has no relative error")
    if not np.all(np.isfinite(g)):
        raise ValueError("mean_relative_accuracy: ground truth must be finite")
    with np.errstate(invalid="ignore", over="ignore"):
        rel = np.abs(p - g) / g
        hits = np.zeros(np.broadcast(p, g).shape, dtype=np.float64)
        for tol in MRA_TOLERANCES:
            hits += rel <= tol  # NaN (non-finite pred) compares False: no hit
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
