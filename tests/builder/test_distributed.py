"""`simsv generate --ray`: houses as Ray tasks on a local Ray give the same bytes as one process."""

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


@pytest.mark.slow
@pytest.mark.render
def test_ray_run_equals_single_process(tmp_path):
    generate(tmp_path / "local")
    r = generate(tmp_path / "ray", "--ray")
    assert "2 houses built" in r.stdout
    local, ray_run = tree_digest(tmp_path / "local"), tree_digest(tmp_path / "ray")
    assert len(local) > 10 and local == ray_run
