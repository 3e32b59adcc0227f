"""`simsv generate --ray`: houses as Ray tasks on a local Ray against one process.

Known open bug (issue 7): in about 1 of 3 Ray runs one walkthrough's video.mp4 differs slightly
from the single-process bytes (decoded frames within a few grey levels; frames.parquet and masks
identical), never seen in single-process runs. Until it is found, the videos' bytes are checked
by a non-strict xfail and everything else must match exactly."""

import hashlib
import os
import subprocess
import sys

import pytest

pytest.importorskip("ray", reason="ray not installed: pip install -e .[scale]")


def tree_digest(root):
    """Relative path -> sha256 of every file under `root`."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def generate(out, *extra):
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    r = subprocess.run([sys.executable, "-m", "builder", "generate", "--houses", "2", "--seed", "3", "--out", str(out),
                        "--width", "160", "--height", "90", "--trajectories", "1", "--quiet", *extra],
                       capture_output=True, text=True, timeout=900, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    return r


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("ray_vs_local")
    generate(root / "local")
    r = generate(root / "ray", "--ray")
    assert "2 houses built" in r.stdout
    return tree_digest(root / "local"), tree_digest(root / "ray")


@pytest.mark.slow
@pytest.mark.render
def test_ray_run_writes_the_same_files_and_metadata(runs):
    local, ray_run = runs
    assert sorted(local) == sorted(ray_run) and len(local) > 10
    differing = [f for f in local if local[f] != ray_run[f]]
    assert all(f.endswith("video.mp4") for f in differing), differing


@pytest.mark.slow
@pytest.mark.render
@pytest.mark.xfail(strict=False, reason="issue 7: a Ray worker's video.mp4 bytes sometimes differ (open bug)")
def test_ray_run_videos_are_the_same_bytes(runs):
    local, ray_run = runs
    assert {f: h for f, h in local.items() if f.endswith("video.mp4")} == \
        {f: h for f, h in ray_run.items() if f.endswith("video.mp4")}
