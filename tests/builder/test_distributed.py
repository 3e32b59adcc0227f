"""`simsv generate --ray`: houses as Ray tasks on a local Ray against one process.

Every file must be byte-identical, video.mp4 included, and each walkthrough's DONE, which holds
the SHA-256 of the rendered RGB frames and of every file. The videos once differed in about 1 of
10 Ray runs with a killed worker: x264 read uninitialised heap memory, now zeroed in its own
process (docs/capture-format.md, "Reproducible video bytes")."""

import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("ray", reason="ray not installed: pip install -e .[scale]")


def tree_digest(root):
    """Relative path -> sha256 of every file under `root`."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


ENV = {**os.environ, "RAY_AUTH_MODE": "disabled"}


def command(out, *extra):
    return [sys.executable, "-m", "builder", "generate", "--houses", "2", "--seed", "3", "--out", str(out),
            "--width", "160", "--height", "90", "--trajectories", "1", "--quiet", *extra]


def generate(out, *extra):
    r = subprocess.run(command(out, *extra), capture_output=True, text=True, timeout=900, env=ENV)
    assert r.returncode == 0, r.stderr[-3000:]
    return r


def ray_workers():
    """Pids of Ray worker processes currently running a build_house task."""
    r = subprocess.run(["pgrep", "-f", "ray::build_house"], capture_output=True, text=True)
    return [int(p) for p in r.stdout.split()]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("ray_vs_local")
    generate(root / "local")
    r = generate(root / "ray", "--ray")
    assert "2 houses built" in r.stdout
    return tree_digest(root / "local"), tree_digest(root / "ray"), root


@pytest.mark.slow
@pytest.mark.render
def test_ray_run_writes_the_same_files_and_metadata(runs):
    local, ray_run, _ = runs
    assert sorted(local) == sorted(ray_run) and len(local) > 10
    differing = [f for f in local if local[f] != ray_run[f]]
    assert differing == []


@pytest.mark.slow
@pytest.mark.render
def test_ray_run_videos_are_the_same_bytes(runs):
    local, ray_run, _ = runs
    assert {f: h for f, h in local.items() if f.endswith("video.mp4")} == \
        {f: h for f, h in ray_run.items() if f.endswith("video.mp4")}


@pytest.mark.slow
@pytest.mark.render
def test_a_worker_killed_mid_house_is_rerun_and_the_outputs_are_the_same(runs):
    local, _, root = runs
    out = root / "killed"
    proc = subprocess.Popen(command(out, "--ray"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    # wait until a walkthrough is part-written (its temporary video exists), then SIGKILL one worker
    deadline, victim = time.time() + 300, None
    while victim is None and time.time() < deadline and proc.poll() is None:
        if any(out.glob("houses/*/traj_*/.video.mp4.tmp")) and ray_workers():
            victim = ray_workers()[0]
            os.kill(victim, signal.SIGKILL)
        time.sleep(0.05)
    stdout, stderr = proc.communicate(timeout=900)
    assert victim is not None, "no worker was caught mid-house"
    assert proc.returncode == 0, stderr[-3000:]
    assert "2 houses built" in stdout and "0 failed" in stdout
    # (Ray's "task will be retried" line arrives asynchronously and may miss the driver's stderr;
    # the victim's process title said it was running build_house, so its house was re-run.)
    killed = tree_digest(out)
    assert sorted(killed) == sorted(local)
    assert [f for f in local if local[f] != killed[f]] == []


@pytest.mark.slow
@pytest.mark.render
def test_bench_generate_times_one_process_and_ray_on_the_same_houses():
    r = subprocess.run([sys.executable, "-m", "builder", "bench", "generate", "--houses", "1", "--width", "64",
                        "--height", "36", "--trajectories", "1"], capture_output=True, text=True, timeout=900, env=ENV)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = [line for line in r.stdout.splitlines() if "houses/h" in line]
    assert len(rows) == 2 and rows[0].lstrip().startswith("1 process") and "Ray" in rows[1], r.stdout
    frames = [line.split("(")[1].split(" frames")[0] for line in rows]
    assert frames[0] == frames[1] and int(frames[0]) > 100  # the same walkthrough timed both ways
    for line in rows:
        assert float(line.split(":")[1].split("houses/h")[0]) > 0
        assert "paper scale (1500 houses x 2 walkthroughs" in line
