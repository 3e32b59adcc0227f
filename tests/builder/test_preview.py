"""`simsv preview`: one section per video with its player, frame strip, map and questions; every
object a question refers to is on that video's map so it can be highlighted."""

import re

import pytest

from tests.conftest import simsv

pytestmark = pytest.mark.render


def test_preview_page(qa_corpus, tmp_path):
    simsv("preview", "--corpus", str(qa_corpus), "--out", str(tmp_path), "--videos", "3")
    page = (tmp_path / "index.html").read_text()
    sections = page.split("<section>")[1:]
    assert len(sections) == 3
    for sec in sections:
        assert "<video controls" in sec and sec.count("<img ") == 8
        for src in re.findall(r'<img src="([^"]+)"', sec):
            assert (tmp_path / src).stat().st_size > 0
        on_map = set(re.findall(r'data-iid="(\d+)"', sec))
        asked = [ids.split(",") for ids in re.findall(r'<li data-ids="([\d,]*)"', sec)]
        assert asked and all(set(filter(None, ids)) <= on_map for ids in asked)
        assert "answer:" in sec
