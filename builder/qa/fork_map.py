"""Run one function over many jobs in `workers` processes, the calling process being one of
them.

Why not multiprocessing.Pool: on the 2-core machines this is measured on, a Pool's parent only
waits, yet its task, result and worker threads took 120-200 ms of CPU per corpus pass from the
two workers (docs/performance.md). Here the parent forks `workers - 1` children and then works
through jobs itself; everyone takes the next job from one shared counter, so the load evens
out. Children send results through a multiprocessing.Queue, whose feeder thread keeps a child
working while the parent is busy; the parent collects them between its own jobs.
"""

from __future__ import annotations

import multiprocessing
import queue
import traceback
from collections.abc import Callable, Iterator, Sequence

_DONE = "done"  # a child's last message
POLL_S = 0.05  # how often a parent with nothing to do checks that its children are alive


def fork_map(fn: Callable, jobs: Sequence[tuple], workers: int) -> Iterator[tuple[int, object]]:
    """(index, fn(*jobs[index])) for every job, in the order they finish. An error in any
    process is raised here (a child's with its traceback) and the children are stopped."""
    if workers <= 1 or len(jobs) <= 1:
        for i, job in enumerate(jobs):
            yield i, fn(*job)
        return
    ctx = multiprocessing.get_context("fork")
    counter = ctx.Value("q", 0)  # the next job to take
    results = ctx.Queue()
    children = [ctx.Process(target=_child, args=(fn, jobs, counter, results), daemon=True)
                for _ in range(min(workers, len(jobs)) - 1)]
    for p in children:
        p.start()
    try:
        running = len(children)
        while (i := _take(counter, len(jobs))) is not None:
            yield i, fn(*jobs[i])
            while running and (msg := _poll(results, block=False)) is not None:
                running -= _handle(msg)
                if msg[0] == "result":
                    yield msg[1], msg[2]
        while running:  # the parent is done: wait for what the children still hold
            msg = _poll(results, block=True)
            if msg is None:
                _check_alive(children)
                continue
            running -= _handle(msg)
            if msg[0] == "result":
                yield msg[1], msg[2]
    except BaseException:
        with counter.get_lock():
            counter.value = len(jobs)  # nobody takes another job
        for p in children:
            p.terminate()
        raise
    finally:
        for p in children:
            p.join()
        results.close()


def _take(counter, n: int) -> int | None:
    with counter.get_lock():
        i = counter.value
        if i >= n:
            return None
        counter.value = i + 1
    return i


def _child(fn: Callable, jobs: Sequence[tuple], counter, results) -> None:
    try:
        while (i := _take(counter, len(jobs))) is not None:
            results.put(("result", i, fn(*jobs[i])))
    except BaseException as e:
        results.put(("error", f"{type(e).__name__}: {e}", traceback.format_exc()))
    results.put((_DONE,))


def _poll(results, block: bool):
    try:
        return results.get(timeout=POLL_S) if block else results.get_nowait()
    except queue.Empty:
        return None


def _handle(msg: tuple) -> int:
    """1 when `msg` says a child is done; raises a child's error."""
    if msg[0] == "error":
        raise RuntimeError(f"{msg[1]} (in a worker process)\n{msg[2]}")
    return msg[0] == _DONE


def _check_alive(children) -> None:
    dead = [p.exitcode for p in children if p.exitcode not in (None, 0)]
    if dead:
        raise RuntimeError(f"a worker process died (exit code {dead[0]}) before finishing its jobs")
