"""One writer per folder: an advisory lock (filelock) held while a stage writes into a folder.

A second `simsv` process on the same folder fails at once with a message naming the folder,
instead of both writing the same temp files: one lock for generating (per shard) and one for
the QA stages. The lock is advisory: it only stops processes
that take it (every writing stage does). The lock file stays behind, empty; that is harmless.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

LOCK_NAME = ".simsv.lock"
"""The lock of the QA stages (`simsv qa`, `simsv mix`: both write OUT/qa)."""


@contextmanager
def folder_lock(lock_path: Path, folder: Path | None = None):
    """Hold the lock at `lock_path` (for `folder`, which the message names) or raise
    RuntimeError at once if another process holds it."""
    lock_path = Path(lock_path)
    folder = Path(folder) if folder is not None else lock_path.parent
    lock = FileLock(str(lock_path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise RuntimeError(f"{folder}: another simsv process is writing here (it holds {lock_path}); "
                           f"wait for it to finish, or use another folder") from None
    try:
        yield
    finally:
        lock.release()


def locked_folder(folder: Path, name: str = LOCK_NAME):
    """A lock of a folder a stage writes into (the folder must exist)."""
    return folder_lock(Path(folder) / name, folder)


def generate_lock_name(shard: tuple[int, int]) -> str:
    """`simsv generate` locks per shard: shards of one corpus write disjoint houses and may run
    at once (docs/scale-out.md); the same shard twice may not."""
    i, n = shard
    return ".simsv-generate.lock" if n == 1 else f".simsv-generate-{i}-of-{n}.lock"
