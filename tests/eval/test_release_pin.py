"""The VSI-Bench release pin: the loader refuses data that is not the pinned release (no `pruned`
column, repeated ids, other row counts than the card documents: 5,131 rows, 2,363 kept)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from datasets import Dataset

from eval.benchmarks import VSIBENCH_DEBIASED_ROWS, VSIBENCH_ROWS

UTILS = Path(__file__).resolve().parents[2] / "eval" / "tasks" / "simsv_vsibench" / "utils.py"


@pytest.fixture(scope="module")
def hooks():
    """The task's utils.py, loaded by file path as lmms-eval does."""
    spec = importlib.util.spec_from_file_location("simsv_vsibench_utils", UTILS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def release_like(rows: int, kept: int, pruned_column: bool = True, repeat_id: bool = False) -> Dataset:
    data = {"id": list(range(rows)), "question_type": ["object_counting"] * rows}
    if repeat_id:
        data["id"][-1] = 0
    if pruned_column:
        data["pruned"] = [i >= kept for i in range(rows)]
    return Dataset.from_dict(data)


@pytest.fixture(autouse=True)
def release_counts(monkeypatch, hooks):
    monkeypatch.delenv(hooks.ROWS_ENV, raising=False)


def test_the_documented_counts():
    assert (VSIBENCH_ROWS, VSIBENCH_DEBIASED_ROWS) == (5131, 2363)
    assert VSIBENCH_ROWS - VSIBENCH_DEBIASED_ROWS == 2768  # the card's `pruned` config


def test_the_release_passes_and_debiased_keeps_2363(hooks):
    data = release_like(5131, 2363)
    assert hooks.check_release(data) is data
    assert hooks.keep_debiased(data).num_rows == 2363


@pytest.mark.parametrize("data, message", [
    (release_like(5130, 2362), "5,130 rows, 2,362 with pruned == False; nyu-visionx/VSI-Bench@d7cb1a3"),
    (release_like(5131, 2362), "5,131 rows, 2,362 with pruned == False"),
    (release_like(5131, 2363, pruned_column=False), "no `pruned` column"),
    (release_like(5131, 2363, repeat_id=True), "repeats ids (5131 rows, 5130 distinct)"),
], ids=["paper-era-5130", "one-kept-short", "no-pruned-column", "repeated-id"])
def test_other_data_fails_loudly(hooks, data, message):
    for hook in (hooks.check_release, hooks.keep_debiased):
        with pytest.raises(ValueError) as e:
            hook(data)
        assert message in str(e.value)


def test_other_data_may_skip_the_counts_but_not_the_column(hooks, monkeypatch):
    monkeypatch.setenv(hooks.ROWS_ENV, "any")
    assert hooks.keep_debiased(release_like(6, 4)).num_rows == 4
    with pytest.raises(ValueError, match="no `pruned` column"):
        hooks.check_release(release_like(6, 4, pruned_column=False))
