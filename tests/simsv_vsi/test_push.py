"""`simsv push` against a loopback fake Hub (tests/fixtures/fake_hub.py): the exported folder
arrives byte for byte, loads by repo id (non-streaming and streaming) with the local row counts,
and the token never shows in the CLI's output. No rendering: the folder is exported from a tiny
hand-made corpus."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simsv_vsi.export import EXPORTED_MIXES, export_folder
from simsv_vsi.mixes import SPLITS
from simsv_vsi.records import QARecord, write_records
from tests.fixtures.fake_hub import FakeHub

SECRET = "hf_SeCrEt-token-do-not-print-0123456789"
ROWS = {"train": 4, "validation": 2, "test": 2}  # per mix; one video per split


def _tiny_mp4(path: Path, frames: int = 6, seed: int = 0) -> None:
    import av

    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = 32, 32, "yuv420p"
        for _ in range(frames):
            img = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
            for packet in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in s.encode():
            out.mux(packet)


def _record(i: int, split: str, mix: str) -> QARecord:
    vid = f"house_{split}_traj0"
    qtype = "object_abs_distance" if i % 2 == 0 else "obj_appearance_order"
    return QARecord(id=f"{mix}-{split}-{i}", house_id=f"house_{split}", house_index=SPLITS.index(split), trajectory=0,
                    video_id=vid, video=f"videos/{vid}.mp4", room_id=None, frame_start=0, frame_end=6, fps=10.0,
                    question_type=qtype, format="oe" if i % 2 == 0 else "mc", question=f"question {i}?",
                    options=None if i % 2 == 0 else ["A. a", "B. b"], answer="1.5" if i % 2 == 0 else "A",
                    answer_value="1.5" if i % 2 == 0 else "A. a", gt_value=1.5 if i % 2 == 0 else None,
                    unit="m" if i % 2 == 0 else None)


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("corpus")
    mixes = corpus / "qa" / "mixes"
    for j, split in enumerate(SPLITS):
        _tiny_mp4(corpus / "videos" / f"house_{split}_traj0.mp4", seed=j)
    for mix in EXPORTED_MIXES:
        (mixes / mix).mkdir(parents=True)
        for split in SPLITS:
            (mixes / mix / f"{split}.parquet").write_bytes(write_records([_record(i, split, mix)
                                                                          for i in range(ROWS[split])]))
    # what the dataset card reads (simsv_vsi/cards.py), written by `simsv generate` and `simsv qa`
    (corpus / "build_config.json").write_text(json.dumps({"houses": 3, "seed": 0, "capture": {
        "width": 32, "height": 32, "fps": 10, "vfov_deg": 60, "trajectories_per_house": 1}}))
    (corpus / "qa" / "qa_config.json").write_text(json.dumps({"seed": 0}))
    (mixes / "manifest.json").write_text(json.dumps({"houses": {s: [f"house_{s}"] for s in SPLITS}, "seed": 0}))
    out = tmp_path_factory.mktemp("hub") / "sims-vsi"
    export_folder(corpus, out)
    return out


@pytest.fixture(scope="module")
def hub():
    with FakeHub(token=SECRET) as h:
        yield h


@pytest.fixture
def hub_env(hub, tmp_path, monkeypatch):
    """Point huggingface_hub and datasets at the fake hub, with caches under tmp_path. The
    module-level constants both libraries read their env vars into at import are patched too,
    since another test may have imported them already."""
    import datasets.config
    import huggingface_hub.constants as hc

    env = {"HF_ENDPOINT": hub.endpoint, "HF_HUB_DISABLE_XET": "1", "HF_TOKEN": SECRET,
           "HF_HOME": str(tmp_path / "hf"), "HF_DATASETS_CACHE": str(tmp_path / "ds"),
           "HF_HUB_CACHE": str(tmp_path / "hf" / "hub"), "HF_HUB_OFFLINE": "0", "HF_DATASETS_OFFLINE": "0",
           "HF_HUB_DISABLE_TELEMETRY": "1"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    for name, value in {"ENDPOINT": hub.endpoint,
                        "HUGGINGFACE_CO_URL_TEMPLATE": hub.endpoint + "/{repo_id}/resolve/{revision}/{filename}",
                        "HF_HUB_DISABLE_XET": True, "HF_HOME": env["HF_HOME"], "HF_HUB_CACHE": env["HF_HUB_CACHE"],
                        "HF_HUB_OFFLINE": False}.items():
        monkeypatch.setattr(hc, name, value)
    ds_dir = Path(env["HF_DATASETS_CACHE"])
    for name, value in {"HF_ENDPOINT": hub.endpoint,
                        "HUB_DATASETS_URL": hub.endpoint + "/datasets/{repo_id}/resolve/{revision}/{path}",
                        "HF_DATASETS_CACHE": ds_dir, "DOWNLOADED_DATASETS_PATH": ds_dir / "downloads",
                        "EXTRACTED_DATASETS_PATH": ds_dir / "downloads" / "extracted",
                        "HF_HUB_OFFLINE": False, "USE_PARQUET_EXPORT": False}.items():
        monkeypatch.setattr(datasets.config, name, value)
    return env


def _local_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_push_download_and_load_by_repo_id(export, hub, hub_env, tmp_path):
    from datasets import load_dataset
    from huggingface_hub import HfApi, snapshot_download

    from simsv_vsi.push import push_folder

    url = push_folder(export, "simsv/sims-vsi")
    assert "simsv/sims-vsi" in url
    push_folder(export, "simsv/sims-vsi")  # a re-push to an existing repo is fine (exist_ok)

    local = _local_files(export)
    assert sorted(HfApi().list_repo_files("simsv/sims-vsi", repo_type="dataset")) == sorted(local)
    snap = Path(snapshot_download("simsv/sims-vsi", repo_type="dataset", local_dir=tmp_path / "snap"))
    assert {k: v for k, v in _local_files(snap).items() if not k.startswith(".cache/")} == local
    assert any(e[1].startswith("/datasets/simsv/sims-vsi.git/info/lfs") for e in hub.requests)  # mp4s via LFS

    want = {s: n for s, n in ROWS.items()}
    remote = load_dataset("simsv/sims-vsi", "3q")
    assert {k: v.num_rows for k, v in remote.items()} == want
    local_ds = load_dataset(str(export), "3q")
    assert {k: v.num_rows for k, v in local_ds.items()} == want
    assert sorted(remote["train"]["id"]) == sorted(local_ds["train"]["id"])

    rows = list(load_dataset("simsv/sims-vsi", "3q", split="train", streaming=True))
    assert len(rows) == ROWS["train"]
    assert sorted(r["id"] for r in rows) == sorted(local_ds["train"]["id"])
    # the streamed video decodes from the fake hub over HTTP (Range reads)
    assert rows[0]["video"].metadata.num_frames == 6 and rows[0]["video"][0].shape == (3, 32, 32)


def test_cli_push_never_shows_the_token(export, hub, hub_env):
    env = {**os.environ, **hub_env}
    r = subprocess.run([sys.executable, "-m", "builder", "push", "--folder", str(export), "--repo", "simsv/cli-push",
                        "--private"], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert "simsv/cli-push" in r.stdout and len(r.stdout.strip().splitlines()) == 1
    assert SECRET not in r.stdout + r.stderr
    assert hub.files("simsv/cli-push") == _local_files(export)
    assert hub.repos["dataset", "simsv/cli-push"].private

    # a failing push (wrong token) exits 2 with a message, still without the token
    bad = {**env, "HF_TOKEN": SECRET + "-wrong"}
    r = subprocess.run([sys.executable, "-m", "builder", "push", "--folder", str(export), "--repo", "simsv/cli-push"],
                       capture_output=True, text=True, timeout=120, env=bad)
    assert r.returncode == 2 and "simsv: error:" in r.stderr
    assert SECRET not in r.stdout + r.stderr


def test_not_an_export_folder(tmp_path, hub_env):
    from simsv_vsi.push import push_folder

    (tmp_path / "f").mkdir()
    with pytest.raises(ValueError, match="no README.md"):
        push_folder(tmp_path / "f", "simsv/x")
    (tmp_path / "f" / "README.md").write_text("---\nlicense: mit\n---\n")
    with pytest.raises(ValueError, match=r"f: not a `simsv export` folder .*configs"):
        push_folder(tmp_path / "f", "simsv/x")
    (tmp_path / "f" / "README.md").write_text("---\nconfigs:\n- config_name: a\n---\n")
    with pytest.raises(ValueError, match="no data/"):
        push_folder(tmp_path / "f", "simsv/x")
    r = subprocess.run([sys.executable, "-m", "builder", "push", "--folder", str(tmp_path / "f"), "--repo", "simsv/x"],
                       capture_output=True, text=True, timeout=60, env={**os.environ, **hub_env})
    assert r.returncode == 2 and "no data/" in r.stderr
