import subprocess
import sys

import pytest

from tests.fixtures.fake_catalog import FakeCatalog


@pytest.fixture(scope="session")
def fake_catalog():
    return FakeCatalog()


def simsv(*args):
    """Run the `simsv` CLI in a subprocess; fail the test with its stderr if it fails."""
    r = subprocess.run([sys.executable, "-m", "builder", *args], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="session")
def qa_corpus(tmp_path_factory):
    """Two small real houses (160x90, one walkthrough each) with their QA records."""
    out = tmp_path_factory.mktemp("qa_corpus")
    simsv("generate", "--houses", "2", "--seed", "3", "--out", str(out), "--width", "160", "--height", "90",
          "--trajectories", "1", "--quiet")
    simsv("qa", "--corpus", str(out), "--quiet")
    return out
