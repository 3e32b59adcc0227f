"""Atomic, reproducible file writes: a stage's outputs appear whole or not at all, so a killed run never
leaves a half-written file that a resumed run would mistake for finished work. Also a fast reader for
the .npz files written here."""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from pathlib import Path

import numpy as np


def umask() -> int:
    """The process's umask (read by setting it, so read once per call, not in threads)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temp file beside `path`, fsync it, then rename it over `path`. The file
    gets the mode a plain open() would (0666 less the umask), not mkstemp's 0600, so collaborators
    on a shared file system can read the metadata as they can the media. A failure (no space, no
    permission) removes the temp file and names `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError) and e.filename is None:  # write() and fsync() errors name no file
            raise OSError(e.errno, e.strerror, str(path)) from None
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def npz_bytes(arrays: dict) -> bytes:
    """An uncompressed .npz with fixed zip timestamps, so equal arrays give equal bytes
    (numpy.savez stamps the current time)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        for name in sorted(arrays):
            arr = io.BytesIO()
            np.lib.format.write_array(arr, np.asarray(arrays[name]), allow_pickle=False)
            z.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), arr.getvalue())
    return buf.getvalue()


_NPY_HEADER = re.compile(r"\{'descr': '([<>|][a-z]\d+)', 'fortran_order': False, 'shape': \(([\d, ]*)\), \}\s*")


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of an uncompressed .npz (as `npz_bytes` writes), equal to np.load's. np.load
    parses each array's header with `ast.literal_eval` (~0.15 ms an array, most of loading a
    small file); the headers numpy writes for plain arrays are matched by a pattern instead.
    Anything else (compressed members, object or structured dtypes) goes to np.load."""
    data = Path(path).read_bytes()
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            name = info.filename.removesuffix(".npy")
            arr = None
            if info.compress_type == zipfile.ZIP_STORED and info.file_size == info.compress_size:
                arr = _stored_npy(data, info)
            if arr is None:
                with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                    arr = npz[name]
            out[name] = arr
    return out


def _stored_npy(data: bytes, info: zipfile.ZipInfo) -> np.ndarray | None:
    # local file header: 30 bytes, then the name and the extra field, then the member's bytes
    at = info.header_offset
    name_len, extra_len = int.from_bytes(data[at + 26:at + 28], "little"), int.from_bytes(data[at + 28:at + 30], "little")
    start = at + 30 + name_len + extra_len
    member = memoryview(data)[start:start + info.file_size]
    if bytes(member[:6]) != b"\x93NUMPY" or member[6] not in (1, 2, 3):
        return None
    size_bytes = 2 if member[6] == 1 else 4
    header_len = int.from_bytes(member[8:8 + size_bytes], "little")
    body = 8 + size_bytes + header_len
    m = _NPY_HEADER.fullmatch(bytes(member[8 + size_bytes:body]).decode("latin1"))
    if m is None:
        return None
    shape = tuple(int(s) for s in m.group(2).replace(" ", "").split(",") if s)
    dtype = np.dtype(m.group(1))
    count = int(np.prod(shape, dtype=np.int64))
    if body + count * dtype.itemsize != len(member):
        return None
    return np.frombuffer(member, dtype, count, body).reshape(shape).copy()
