"""builder/qa/fork_map.py: every job once, work shared by the parent and its children, and
errors (raised or a dead child) surfacing in the parent instead of hanging it."""

import os
import time

import pytest

from builder.qa.fork_map import fork_map

PARENT = os.getpid()


def square_and_pid(x):
    time.sleep(0.01)  # long enough that every process gets some jobs
    return x * x, os.getpid()


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_every_job_once_with_the_parent_working_too(workers):
    got = list(fork_map(square_and_pid, [(x,) for x in range(30)], workers))
    assert sorted(i for i, _ in got) == list(range(30))
    assert all(r[0] == i * i for i, r in got)
    pids = {r[1] for _, r in got}
    assert PARENT in pids and len(pids) == workers


def fail_in_child(x):
    if os.getpid() != PARENT and x >= 0:
        raise ValueError(f"bad job {x}")
    time.sleep(0.01)
    return x


def test_a_child_error_is_raised_in_the_parent_with_its_traceback():
    with pytest.raises(RuntimeError, match="ValueError: bad job") as e:
        list(fork_map(fail_in_child, [(x,) for x in range(20)], 2))
    assert "fail_in_child" in str(e.value)  # the child's traceback comes along


def die_in_child(x):
    if os.getpid() != PARENT:
        os._exit(3)  # no exception, no message: as if killed
    time.sleep(0.05)
    return x


def test_a_dead_child_is_an_error_not_a_hang():
    t0 = time.perf_counter()
    with pytest.raises(RuntimeError, match="exit code 3"):
        list(fork_map(die_in_child, [(x,) for x in range(6)], 2))
    assert time.perf_counter() - t0 < 30


def fail_in_parent(x):
    if os.getpid() == PARENT:
        raise KeyError("parent job")
    time.sleep(0.01)
    return x


def test_a_parent_error_stops_the_children():
    with pytest.raises(KeyError):
        list(fork_map(fail_in_parent, [(x,) for x in range(50)], 3))
