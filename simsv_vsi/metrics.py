"""Scoring metrics for SIMS-VSI answers (the benchmark's definitions, shared by audits and evaluation)."""

from __future__ import annotations

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
