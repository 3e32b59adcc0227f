"""Bad inputs and faults a hostile but ordinary user meets: each gives one line naming the flag
(and its allowed range) or the file, a non-zero exit, and leaves the folder as it was.

Flag ranges are checked while parsing (in this process, fast); damaged files, locks and a full
disk on copies of a real tiny corpus (tests/conftest.py's qa_corpus), the lock and the CLI in
real processes."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder.cli import main


def tree(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under `folder` with its size and mtime: what 'unchanged' compares."""
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        st = p.lstat()
        out[str(p.relative_to(folder))] = (st.st_size if p.is_file() else -1, st.st_mtime_ns)
    return out


def run_main(argv, capsys) -> tuple[int, str]:
    """`simsv ARGV` in this process: exit code and stderr."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:
        code = e.code
    return code, capsys.readouterr().err


def simsv(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "builder", *map(str, args)], capture_output=True, text=True,
                          timeout=600, env=env)


def one_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# ---- every flag's range, at parse time -------------------------------------------------------------

OUT = "{out}"
PARSE_CASES = [
    (["generate", "--houses", "0", "--out", OUT], "--houses", "[1, 1000000]"),
    (["generate", "--houses", "-1", "--out", OUT], "--houses", "[1, 1000000]"),
    (["generate", "--houses", str(10**12), "--out", OUT], "--houses", "[1, 1000000]"),
    (["generate", "--houses", "two", "--out", OUT], "--houses", "integer"),
    (["generate", "--houses", "2", "--width", "0", "--out", OUT], "--width", "[16, 4096]"),
    (["generate", "--houses", "2", "--width", "161", "--out", OUT], "--width", "even"),
    (["generate", "--houses", "2", "--height", "100000", "--out", OUT], "--height", "[16, 4096]"),
    (["generate", "--houses", "2", "--fps", "0", "--out", OUT], "--fps", "[1, 120]"),
    (["generate", "--houses", "2", "--vfov", "0", "--out", OUT], "--vfov", "[1, 170]"),
    (["generate", "--houses", "2", "--vfov", "200", "--out", OUT], "--vfov", "[1, 170]"),
    (["generate", "--houses", "2", "--vfov", "nan", "--out", OUT], "--vfov", "[1, 170]"),
    (["generate", "--houses", "2", "--trajectories", "0", "--out", OUT], "--trajectories", "[1, 100]"),
    (["generate", "--houses", "2", "--seed", "-5", "--out", OUT], "--seed", "[0, 2**63-1]"),
    (["generate", "--houses", "2", "--shard", "2/2", "--out", OUT], "--shard", "0 <= i < N"),
    (["generate", "--houses", "2", "--shard", "half", "--out", OUT], "--shard", "i/N"),
    (["build", "--houses", "0", "--out", OUT], "--houses", "[1, 1000000]"),
    (["build", "--width", "0", "--out", OUT], "--width", "[16, 4096]"),
    (["build", "--height", "-2", "--out", OUT], "--height", "[16, 4096]"),
    (["build", "--trajectories", "-1", "--out", OUT], "--trajectories", "[1, 100]"),
    (["build", "--size", "0", "--out", OUT], "--size", "[1, 1000000000]"),
    (["build", "--workers", "0", "--out", OUT], "--workers", "[1, 256]"),
    (["build", "--seed", "-1", "--out", OUT], "--seed", "[0, 2**63-1]"),
    (["build", "--preset", "huge", "--out", OUT], "--preset", "demo"),
    (["qa", "--corpus", OUT, "--workers", "0"], "--workers", "[1, 256]"),
    (["qa", "--corpus", OUT, "--workers", "-3"], "--workers", "[1, 256]"),
    (["qa", "--corpus", OUT, "--questions-per-type", "-1"], "--questions-per-type", "[0, 100000]"),
    (["qa", "--corpus", OUT, "--questions-per-room", "-2"], "--questions-per-room", "[0, 100000]"),
    (["qa", "--corpus", OUT, "--seed", "-1"], "--seed", "[0, 2**63-1]"),
    (["mix", "--corpus", OUT, "--size", "0"], "--size", "[1, 1000000000]"),
    (["mix", "--corpus", OUT, "--size", "-5"], "--size", "[1, 1000000000]"),
    (["mix", "--corpus", OUT, "--validation", "1.5"], "--validation", "[0, 1)"),
    (["mix", "--corpus", OUT, "--test", "-0.1"], "--test", "[0, 1)"),
    (["mix", "--corpus", OUT, "--test", "1"], "--test", "[0, 1)"),
    (["mix", "--corpus", OUT, "--seed", "-3"], "--seed", "[0, 2**63-1]"),
    (["look", "--corpus", OUT, "--house", "-1"], "--house", "[0, 1000000000]"),
    (["look", "--corpus", OUT, "--trajectory", "-1"], "--trajectory", "[0, 1000000000]"),
    (["look", "--corpus", OUT, "--frames", "0"], "--frames", "[1, 400]"),
    (["preview", "--corpus", OUT, "--out", OUT, "--videos", "0"], "--videos", "[1, 1000]"),
    (["audit", "--corpus", OUT, "--folds", "1"], "--folds", "[2, 1000]"),
    (["audit", "--corpus", OUT, "--tolerance", "-1"], "--tolerance", "[0, 100]"),
    (["qa-priors", "--layout-houses", "0", "--out", OUT], "--layout-houses", "[1, 1000000]"),
    (["qa-priors", "--distance-houses", "-1", "--out", OUT], "--distance-houses", "[0, 1000000]"),
    (["bench", "capture", "--frames", "0"], "--frames", "[1, 1000000000]"),
    (["bench", "capture", "--fps", "0"], "--fps", "[1, 120]"),
    (["bench", "qa", "--corpus", OUT, "--workers", "0"], "--workers", "[1, 256]"),
    (["bench", "load", "--folder", OUT, "--rows", "0"], "--rows", "[1, 1000000000]"),
]


@pytest.mark.parametrize("argv,flag,allowed", PARSE_CASES, ids=[" ".join(c[0][:1] + c[0][-2:]) for c in PARSE_CASES])
def test_flag_out_of_range_is_one_line_and_writes_nothing(tmp_path, capsys, argv, flag, allowed):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    before = tree(tmp_path)
    code, err = run_main([a.replace(OUT, str(out)) for a in argv], capsys)
    line = one_line(err)
    assert code == 2 and flag in line and allowed in line, line
    assert tree(tmp_path) == before  # not even build_config.json


def test_held_out_fractions_must_leave_a_train_split(tmp_path, capsys, qa_corpus):
    corpus = tmp_path / "c"
    shutil.copytree(qa_corpus, corpus)
    before = tree(corpus)
    code, err = run_main(["mix", "--corpus", corpus, "--validation", "0.6", "--test", "0.5"], capsys)
    line = one_line(err)
    assert code == 2 and "--validation" in line and "--test" in line and "less than 1" in line
    assert tree(corpus) == before


# ---- bad files, on copies of a real corpus ----------------------------------------------------------

@pytest.fixture
def corpus(tmp_path, qa_corpus):
    out = tmp_path / "corpus"
    shutil.copytree(qa_corpus, out)
    return out


QA_CONFIGS = [
    ('{"salience_fraction": "lots"}', "salience_fraction"),
    ('{"sample_counts": 5}', "sample_counts"),
    ('{"max_count": 0}', "max_count"),
    ('{"rank_margin_m": -1}', "rank_margin_m"),
    ('{"questions_per_type": 2.5}', "questions_per_type"),
    ('{"no_such_field": 1}', "no_such_field"),
    ('[1, 2]', "JSON list"),
    ('{"seed": 1, "max_co', "not valid JSON"),
]


@pytest.mark.parametrize("text,named", QA_CONFIGS, ids=[c[1] for c in QA_CONFIGS])
def test_bad_qa_config_names_file_and_field(corpus, tmp_path, capsys, text, named):
    config = tmp_path / "qa.json"
    config.write_text(text)
    before = tree(corpus)
    code, err = run_main(["qa", "--corpus", corpus, "--config", config, "--quiet"], capsys)
    line = one_line(err)
    assert code == 2 and str(config) in line and named in line, line
    assert tree(corpus) == before


def house0(corpus: Path) -> Path:
    return corpus / "houses" / "house_000000"


def truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


def zero_stretch(path: Path) -> None:
    """Zero 4 KiB in the middle of a file: same size, different bytes (a bad disk block)."""
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 4096] = bytes(min(4096, len(data) - mid))
    path.write_bytes(bytes(data))


def build_args(corpus: Path) -> list[str]:
    cfg = json.loads((corpus / "build_config.json").read_text())
    c = cfg["capture"]
    return ["generate", "--houses", cfg["houses"], "--seed", cfg["seed"], "--out", corpus, "--width", c["width"],
            "--height", c["height"], "--trajectories", c["trajectories_per_house"], "--quiet"]


@pytest.mark.parametrize("damage,named", [
    (lambda c: truncate(c / "build_config.json"), "build_config.json"),
    (lambda c: (c / "build_config.json").write_text("[1, 2]"), "build_config.json"),
])
def test_damaged_build_config_is_named(corpus, capsys, damage, named):
    args = build_args(corpus)
    damage(corpus)
    before = tree(corpus)
    code, err = run_main(args, capsys)
    line = one_line(err)
    assert code == 2 and named in line, line
    assert tree(corpus) == before


@pytest.mark.parametrize("name,damage", [
    ("house.json", truncate),
    ("scene.json", truncate),
    ("traj_00/video.mp4", truncate),
    ("traj_00/masks.npz", truncate),
    ("DONE", truncate),
])
def test_damaged_finished_house_is_not_already_done(corpus, capsys, name, damage):
    """Resume names the damaged file and counts the house failed; it does not rebuild over it."""
    args = build_args(corpus)
    damage(house0(corpus) / name)
    code, err = run_main(args, capsys)
    assert code == 1 and f"house_000000/{name}" in err, err
    assert "Traceback" not in err
    failure = json.loads((corpus / "failures" / "house_000000.json").read_text())
    assert name in failure["error"] and "delete" in failure["error"]


@pytest.mark.parametrize("name", ["house.json", "scene.json", "traj_00/frames.parquet"])
def test_qa_names_a_damaged_file(corpus, capsys, name):
    truncate(house0(corpus) / name)
    before = tree(corpus)
    code, err = run_main(["qa", "--corpus", corpus, "--quiet"], capsys)
    line = one_line(err)
    assert code == 2 and f"house_000000/{name}" in line, line
    assert tree(corpus) == before


def test_qa_names_a_zeroed_video(corpus, capsys):
    """Same size, zeroed bytes: the size check passes, the digest does not (clips are recut from it)."""
    shutil.rmtree(house0(corpus) / "traj_00" / "clips")
    zero_stretch(house0(corpus) / "traj_00" / "video.mp4")
    code, err = run_main(["qa", "--corpus", corpus, "--quiet"], capsys)
    line = one_line(err)
    assert code == 2 and "house_000000/traj_00/video.mp4" in line and "sha256" in line, line
    assert not list(corpus.rglob("*.part.mp4"))


@pytest.mark.parametrize("name,damage", [("masks.npz", zero_stretch), ("masks.npz", truncate),
                                         ("video.mp4", truncate)])
def test_look_names_a_damaged_file(corpus, tmp_path, capsys, name, damage):
    damage(house0(corpus) / "traj_00" / name)
    code, err = run_main(["look", "--corpus", corpus, "--house", "0", "--out", tmp_path / "look"], capsys)
    line = one_line(err)
    assert code == 2 and f"traj_00/{name}" in line, line
    assert not (tmp_path / "look").exists()


def test_truncated_procthor_gz_is_named(tmp_path, capsys):
    from tests.fixtures.procthor_house import procthor_house

    path = tmp_path / "houses.jsonl.gz"
    path.write_bytes(gzip.compress((json.dumps(procthor_house()) + "\n").encode())[:200])
    code, err = run_main(["generate", "--procthor", path, "--out", tmp_path / "out"], capsys)
    line = one_line(err)
    assert code == 2 and str(path) in line and "truncated" in line, line
    assert not (tmp_path / "out").exists()


def test_qa_on_corpus_without_walkthroughs(corpus, capsys):
    for t in corpus.glob("houses/*/traj_*"):
        shutil.rmtree(t)
    for done in corpus.glob("houses/*/DONE"):
        record = json.loads(done.read_text())
        record["trajectories"] = []
        done.write_text(json.dumps(record))
    shutil.rmtree(corpus / "qa")
    code, err = run_main(["qa", "--corpus", corpus, "--quiet"], capsys)
    assert code == 2 and "no finished walkthrough" in one_line(err)
    assert not (corpus / "qa").exists()


# ---- the file system ----------------------------------------------------------------------------------

def test_out_that_is_a_file(tmp_path, capsys, corpus):
    target = tmp_path / "a_file"
    target.write_text("mine")
    for argv in (["generate", "--houses", "1", "--out", target],
                 ["preview", "--corpus", corpus, "--out", target],
                 ["export", "--corpus", corpus, "--out", target]):
        code, err = run_main(argv, capsys)
        line = one_line(err)
        assert code == 2 and str(target) in line and "not a folder" in line, line
        assert target.read_text() == "mine"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_folder_nonroot(tmp_path, capsys):  # pragma: no cover - CI runs as root here
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    code, err = run_main(["generate", "--houses", "1", "--out", ro / "c", "--quiet"], capsys)
    assert code == 2 and str(ro / "c") in one_line(err)


@pytest.fixture
def tiny_disk(tmp_path):
    """A 300 KiB tmpfs (we are root here), or skip."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {r.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", str(mnt)], check=True)


def test_export_disk_full_is_one_line_and_leaves_nothing(corpus, tiny_disk):
    from builder.qa.run import write_mixes
    from simsv_vsi.export import EXPORTED_MIXES

    write_mixes(corpus, list(EXPORTED_MIXES), None, 0, 0.0, 0.5)
    r = simsv("export", "--corpus", corpus, "--out", tiny_disk / "sims-vsi")
    line = one_line(r.stderr)
    assert r.returncode == 2 and "No space left on device" in line and str(tiny_disk) in line, line
    assert [p.name for p in tiny_disk.iterdir()] in ([], [".sims-vsi.simsv-lock"])  # no temp folder, no half export


@pytest.mark.slow  # three generate runs; the export disk-full test above is the fast one
def test_generate_disk_full_is_one_line_and_resumes(tmp_path, tiny_disk):
    """Disk full mid-walkthrough: one line naming the path, no temp file; with space, the resumed
    run gives the same bytes as a clean run."""
    out = tiny_disk / "c"
    args = ["--houses", "1", "--seed", "3", "--width", "160", "--height", "90", "--trajectories", "1", "--quiet"]
    r = simsv("generate", *args, "--out", out)
    line = one_line(r.stderr)
    assert r.returncode == 2 and "No space left on device" in line and str(out) in line, line
    assert not list(out.rglob("*.tmp")) and not (out / "failures").exists()
    # more space: copy what is there to a real disk and resume
    resumed = tmp_path / "resumed"
    shutil.copytree(out, resumed)
    assert simsv("generate", *args, "--out", resumed).returncode == 0
    clean = tmp_path / "clean"
    assert simsv("generate", *args, "--out", clean).returncode == 0
    files = lambda d: {str(p.relative_to(d)): p.read_bytes() for p in d.rglob("*") if p.is_file()}  # noqa: E731
    assert files(resumed) == files(clean)


# ---- one writer per folder ----------------------------------------------------------------------------

def test_second_writer_is_refused(corpus):
    """A real process holds the corpus's locks (as a running `simsv generate` and `simsv qa`
    would); `simsv qa`, `simsv mix` and `simsv generate` in another process refuse at once,
    writing nothing."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from simsv_vsi.folder_lock import generate_lock_name, locked_folder\n"
        f"with locked_folder({str(corpus)!r}), locked_folder({str(corpus)!r}, generate_lock_name((0, 1))):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(120)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        before = tree(corpus)
        for argv in (["qa", "--corpus", corpus, "--quiet"], ["mix", "--corpus", corpus], build_args(corpus)):
            t0 = time.monotonic()
            r = simsv(*argv)
            line = one_line(r.stderr)
            assert r.returncode == 2 and str(corpus) in line and "another simsv process" in line, line
            assert time.monotonic() - t0 < 60
        assert tree(corpus) == before
    finally:
        holder.kill()
        holder.wait()
    assert simsv("mix", "--corpus", corpus).returncode == 0  # released with its process


@pytest.mark.slow  # renders a house; test_second_writer_is_refused is the fast one
def test_two_generates_at_once(tmp_path):
    """Two real `simsv generate` processes on one folder: the second is refused while the first
    runs, and the first finishes as if alone. Shards of one corpus may run at once."""
    out = tmp_path / "c"
    args = ["--houses", "1", "--seed", "3", "--width", "160", "--height", "90", "--trajectories", "1", "--quiet"]
    first = subprocess.Popen([sys.executable, "-m", "builder", "generate", *args, "--out", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while time.time() < deadline and not (out / "build_config.json").exists():
        time.sleep(0.1)
    second = simsv("generate", *args, "--out", out)
    line = one_line(second.stderr)
    assert second.returncode == 2 and "another simsv process" in line and str(out) in line, line
    shard = simsv("generate", *args, "--out", out, "--shard", "1/2")  # house 1 is not in a 1-house corpus: nothing to do
    assert shard.returncode == 0, shard.stderr
    stdout, stderr = first.communicate(timeout=600)
    assert first.returncode == 0 and "1 houses built" in stdout, stderr
    assert not (out / "failures").exists() and not list(out.rglob("*.tmp"))


# ---- file modes ---------------------------------------------------------------------------------------

def test_metadata_follows_the_umask_like_media(qa_corpus):
    """The corpus was written with this process's umask: JSON metadata, DONE and media alike."""
    mask = os.umask(0)
    os.umask(mask)
    want = 0o666 & ~mask
    h = house0(qa_corpus)
    for p in (qa_corpus / "build_config.json", h / "DONE", h / "house.json", h / "scene.json",
              h / "traj_00" / "DONE", h / "traj_00" / "video.mp4", qa_corpus / "qa" / "records.parquet"):
        assert p.stat().st_mode & 0o777 == want, p


# ---- push ---------------------------------------------------------------------------------------------

def test_push_offline_is_one_line_without_the_token(tmp_path):
    """No network (a closed port as the Hub): one line naming the repo and endpoint; the token
    appears nowhere."""
    folder = tmp_path / "sims-vsi"
    (folder / "data").mkdir(parents=True)
    (folder / "README.md").write_text("---\nconfigs:\n- config_name: 3q\n---\n")
    token = "hf_" + "x" * 30
    env = {**os.environ, "HF_ENDPOINT": "http://127.0.0.1:9", "HF_TOKEN": token, "HF_HUB_OFFLINE": "0"}
    r = simsv("push", "--folder", folder, "--repo", "me/sims-vsi", env=env)
    line = one_line(r.stderr)
    assert r.returncode == 2 and "me/sims-vsi" in line and "127.0.0.1:9" in line, line
    assert token not in r.stderr + r.stdout


@pytest.mark.parametrize("make", [lambda d: None, lambda d: (d / "README.md").write_text("no header")],
                         ids=["missing", "no-configs"])
def test_push_of_a_non_export_folder(tmp_path, capsys, make):
    folder = tmp_path / "f"
    folder.mkdir()
    make(folder)
    code, err = run_main(["push", "--folder", folder, "--repo", "me/x"], capsys)
    line = one_line(err)
    assert code == 2 and str(folder) in line and "simsv export" in line, line


def test_verbose_shows_the_traceback(tmp_path, capsys):
    path = tmp_path / "houses.jsonl.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00")
    code, err = run_main(["-v", "generate", "--procthor", path, "--out", tmp_path / "out"], capsys)
    assert code == 2 and "Traceback" in err and str(path) in err.strip().splitlines()[-1]


@pytest.fixture
def read_only_disk(tmp_path):
    """A read-only tmpfs (we are root here, so chmod would not stop us), or skip."""
    mnt = tmp_path / "ro"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {r.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", str(mnt)], check=True)


def test_read_only_disk_is_one_line(read_only_disk, qa_corpus, capsys):
    for argv in (["generate", "--houses", "1", "--out", read_only_disk / "c", "--quiet"],
                 ["preview", "--corpus", qa_corpus, "--out", read_only_disk / "p"],
                 ["look", "--corpus", qa_corpus, "--out", read_only_disk / "l"]):
        code, err = run_main(argv, capsys)
        line = one_line(err)
        assert code == 2 and "Read-only file system" in line and str(read_only_disk) in line, line
