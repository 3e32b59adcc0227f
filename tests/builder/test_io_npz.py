"""read_npz (headers matched by a pattern) against np.load (headers parsed by numpy)."""

import io

import numpy as np
import pytest

from builder.io import npz_bytes, read_npz

ARRAYS = {
    "version": np.array(1),
    "distance": np.random.default_rng(0).random((7, 7)),
    "ids": np.arange(5, dtype=np.int64),
    "empty": np.zeros((0, 3)),
    "flags": np.array([True, False]),
    "small": np.arange(6, dtype=np.int16).reshape(2, 3),
    "big_endian": np.arange(4, dtype=">f4"),
    "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),  # a header the pattern leaves to np.load
    "text": np.array(["a", "bc"]),
}


def _same(path):
    got = read_npz(path)
    with np.load(path) as z:
        want = {k: z[k] for k in z.files}
    assert got.keys() == want.keys()
    for k in want:
        assert got[k].dtype == want[k].dtype and got[k].shape == want[k].shape, k
        np.testing.assert_array_equal(got[k], want[k])
        assert got[k].flags.writeable


def test_read_npz_matches_np_load(tmp_path):
    path = tmp_path / "a.npz"
    path.write_bytes(npz_bytes(ARRAYS))
    _same(path)


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_read_npz_matches_np_load_on_numpy_files(tmp_path, save):
    buf = io.BytesIO()
    save(buf, **{k: v for k, v in ARRAYS.items()})
    path = tmp_path / "b.npz"
    path.write_bytes(buf.getvalue())
    _same(path)
