"""`simsv build`: from nothing to a folder `load_dataset` reads, and a rerun changes nothing."""

import hashlib

import pytest

from tests.conftest import simsv

pytestmark = pytest.mark.render


@pytest.mark.slow  # ~100 s on 2 cores: the whole `simsv build`; its steps have their own tests in the default suite
def test_build_from_nothing_and_rerun(tmp_path):
    args = ["build", "--preset", "demo", "--out", str(tmp_path), "--houses", "1", "--width", "160",
            "--height", "90", "--quiet"]
    out = simsv(*args)
    assert 'load_dataset("' in out and "3q" in out and "QA records" in out
    readme = tmp_path / "sims-vsi" / "README.md"
    card = readme.read_text()  # the preset's camera and the corpus's `simsv stats` figures are in the card
    assert "| camera | handheld:" in card and "--camera handheld" in card
    assert "| objects (doors, windows included) covering >= 0.5 % of the image per frame, median |" in card
    before = hashlib.sha256(readme.read_bytes()).hexdigest()
    again = simsv(*args)  # every stage resumes: nothing to redo, same folder
    assert again.splitlines()[0] == out.splitlines()[0]
    assert hashlib.sha256(readme.read_bytes()).hexdigest() == before
