import subprocess
import sys

import pytest

from tests.fixtures.fake_catalog import FakeCatalog


@pytest.fixture(scope="session")
def fake_catalog():
    return FakeCatalog()


@pytest.fixture(scope="session")
def real_catalog():
    """Our furniture catalogue (the Debian models the install script provides)."""
    from builder.assets.catalog import default_catalog

    return default_catalog()


@pytest.fixture(scope="module")
def thor_house(real_catalog):
    """The hand-written ProcTHOR house (tests/fixtures/procthor_house.py), imported; one per test
    module, so a module may change it without touching another's."""
    pytest.importorskip("procthor", reason="ProcTHOR's asset database: pip install --no-deps procthor==0.0.1.dev2")
    from builder.houses.procthor_import import import_house
    from tests.fixtures.procthor_house import procthor_house

    return import_house(procthor_house(), 0, 0, real_catalog, "fixture.json")


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


@pytest.fixture(scope="session")
def hub_folder(qa_corpus, tmp_path_factory):
    """`simsv export` of qa_corpus, one house held out so validation/test splits exist."""
    from simsv_vsi.export import EXPORTED_MIXES

    simsv("mix", "--corpus", str(qa_corpus), "--mix", *EXPORTED_MIXES, "--test", "0.5", "--validation", "0")
    out = tmp_path_factory.mktemp("hub") / "sims-vsi"
    simsv("export", "--corpus", str(qa_corpus), "--out", str(out))
    return out


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A tiny random LLaVA-OneVision + tokenizer, built here (no download); train/ and eval/ tests."""
    from train.tiny import build_tiny

    return build_tiny(tmp_path_factory.mktemp("tiny") / "tiny-llava-ov")
