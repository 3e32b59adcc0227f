import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl", reason="training extra not installed: pip install -e .[train]")

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def hf_cache(tmp_path_factory):
    """A private `datasets` cache, so no run reuses another test's Arrow files."""
    return str(tmp_path_factory.mktemp("hf_datasets_cache"))


def run_sft(*args, cache: str, launcher: list[str] | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """`python train/sft.py ...` (or under `accelerate launch`) in a subprocess, offline."""
    env = {**os.environ, "HF_DATASETS_CACHE": cache, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": str(REPO)}
    cmd = [*(launcher or [sys.executable]), str(REPO / "train" / "sft.py"), "--report_to", "none", "--bf16", "false",
           "--logging_steps", "1", "--dataloader_num_workers", "0", *map(str, args)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO)
    assert r.returncode == 0, r.stderr[-4000:]
    return r
