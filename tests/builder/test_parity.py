"""`simsv bench parity`: a machine compared with its own reference is identical; frames changed
past the tolerance fail; the command refuses bad arguments with one line."""

import numpy as np
import pytest

from builder.config import RenderConfig
from builder.render.parity import TOLERANCE, compare, render_set, write

pytestmark = pytest.mark.render


@pytest.fixture(scope="module")
def frames(fake_catalog):
    return render_set(fake_catalog, 96, 64, 59.0, RenderConfig(), frames=3, houses=(0,))


def test_same_machine_is_identical(frames, fake_catalog, tmp_path):
    path = tmp_path / "ref.npz"
    write(path, frames)
    again = render_set(fake_catalog, 96, 64, 59.0, RenderConfig(), frames=3, houses=(0,))
    with np.load(path) as ref:
        lines, ok = compare({k: ref[k] for k in ref.files}, again)
    assert ok and lines[-1] == "  bytes identical"
    assert frames["ids"].shape == (3, 64, 96) and frames["depth"].dtype == np.float32


def test_differences_past_the_tolerance_fail(frames):
    shaken = dict(frames)
    rgb = frames["rgb"].astype(np.int16)
    shaken["rgb"] = np.clip(rgb + 1, 0, 255).astype(np.uint8)  # one level everywhere: within
    lines, ok = compare(frames, shaken)
    assert ok and "within tolerance" in lines[-1]
    shaken["ids"] = frames["ids"].copy()
    n = int(frames["ids"].size * TOLERANCE["ids_mismatch"] * 3)
    shaken["ids"].reshape(-1)[:n] += 1  # 3x the share of edge pixels allowed to differ
    lines, ok = compare(frames, shaken)
    assert not ok and any(line.startswith("  ids_mismatch") and "OUTSIDE" in line for line in lines)
    with pytest.raises(ValueError, match="same --width/--height"):
        compare(frames, {k: v[:2] if k != "renderer" else v for k, v in frames.items()})


def test_command_refuses_bad_arguments(capsys, tmp_path):
    from builder.cli import main

    assert main(["bench", "parity"]) == 2
    assert "--write FILE" in capsys.readouterr().err
    assert main(["bench", "parity", "--against", str(tmp_path / "none.npz")]) == 2
    assert "none.npz: no such file" in capsys.readouterr().err
