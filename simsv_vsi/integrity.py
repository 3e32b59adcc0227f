"""What a finished file looked like when its stage vouched for it, and the checks that say it still does.

A stage's `DONE` record lists `{"size", "sha256"}` per file it finished (`file_record`); a later
stage checks the cheap part (`check_size`: one stat) everywhere and the digest where it reads the
bytes anyway (`check_digest`, e.g. export copying a video). Errors name the broken file.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

CHUNK = 1 << 20


class CorruptFile(ValueError):
    """A file differs from what its DONE record vouched for, or does not parse."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def file_record(path: Path) -> dict:
    """{"size", "sha256"} of a file as it is now (what a DONE record stores)."""
    return {"size": os.path.getsize(path), "sha256": sha256_file(path)}


def check_size(path: Path, record: dict, done: Path) -> None:
    path = Path(path)
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        raise CorruptFile(f"{path}: missing, but {done} says it was finished") from None
    if size != record["size"]:
        raise CorruptFile(f"{path}: {size} bytes, but {done} says {record['size']} (damaged after it was written)")


def check_digest(path: Path, record: dict, done: Path, digest: str | None = None) -> None:
    """The size, then the sha256 (`digest` when the caller already hashed the bytes)."""
    check_size(path, record, done)
    if (digest or sha256_file(path)) != record["sha256"]:
        raise CorruptFile(f"{path}: sha256 differs from the one {done} recorded (damaged after it was written)")


def read_json(path: Path, kind: type = dict):
    """A JSON file that must hold a `kind` (dict or list); errors name the file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except UnicodeDecodeError:
        raise CorruptFile(f"{path}: not UTF-8 text (damaged?)") from None
    except json.JSONDecodeError as e:
        raise CorruptFile(f"{path}: not valid JSON ({e.msg} at line {e.lineno} column {e.colno}; truncated?)") from None
    if not isinstance(data, kind):
        raise CorruptFile(f"{path}: holds a JSON {type(data).__name__}, expected a JSON "
                          f"{'object' if kind is dict else kind.__name__}")
    return data
