"""`simsv export` writes only what it owns, on copies of a real tiny corpus: it refuses an --out
that is, holds or lies inside the corpus, or holds anything that is not a previous export; it
replaces a previous export whole; it removes the temp folders of killed exports; and it refuses
a damaged video by name, leaving the previous export as it was."""

from __future__ import annotations

import json
import shutil

import pytest

from simsv_vsi.export import EXPORTED_MIXES, export_folder
from tests.builder.test_bad_inputs import run_main, tree, truncate, zero_stretch, one_line


@pytest.fixture(scope="module")
def mixed(qa_corpus, tmp_path_factory):
    """qa_corpus with its mixes, copied once per module."""
    from builder.qa.run import write_mixes

    out = tmp_path_factory.mktemp("export_safety") / "corpus"
    shutil.copytree(qa_corpus, out)
    write_mixes(out, list(EXPORTED_MIXES), None, 0, 0.0, 0.5)
    return out


@pytest.fixture
def work(mixed, tmp_path):
    """A folder holding a corpus copy at work/demo/corpus (as `simsv build --out demo` makes)."""
    corpus = tmp_path / "demo" / "corpus"
    shutil.copytree(mixed, corpus)
    return corpus


def export(corpus, out, capsys):
    return run_main(["export", "--corpus", corpus, "--out", out], capsys)


@pytest.mark.parametrize("where,says", [
    (lambda c: c, "is the corpus itself"),
    (lambda c: c.parent, "holds the corpus"),
    (lambda c: c.parent.parent, "holds the corpus"),
    (lambda c: c / "qa" / "hub", "inside the corpus"),
    (lambda c: c / "houses", "inside the corpus"),
])
def test_out_that_is_holds_or_lies_in_the_corpus(work, capsys, where, says):
    out = where(work)
    before = tree(work.parent.parent)
    code, err = export(work, out, capsys)
    line = one_line(err)
    assert code == 2 and says in line and "--out" in line, line
    assert tree(work.parent.parent) == before


def test_out_with_someone_elses_files(work, tmp_path, capsys):
    out = tmp_path / "mine"
    (out / "notes").mkdir(parents=True)
    (out / "thesis.txt").write_text("four years")
    (out / "notes" / "a.md").write_text("ideas")
    before = tree(out)
    code, err = export(work, out, capsys)
    line = one_line(err)
    assert code == 2 and "not a previous `simsv export`" in line and "thesis.txt" in line, line
    assert tree(out) == before and (out / "thesis.txt").read_text() == "four years"


def test_previous_export_is_replaced_whole_and_temps_removed(work, tmp_path, capsys):
    out = tmp_path / "sims-vsi"
    assert export(work, out, capsys)[0] == 0
    marker = json.loads((out / "export.json").read_text())
    assert marker["format"] == "simsv-export/1"
    (out / "data" / "videos" / "stale_video.mp4").write_bytes(b"from an older build")
    # what killed exports leave beside --out: ours (tagged), and the untagged kind older versions made
    for stale in (tmp_path / ".sims-vsi.simsv-export.k1ll3d", tmp_path / ".sims-vsi.abcd1234"):
        (stale / "data").mkdir(parents=True)
        (stale / "README.md").write_text("half")
    unrelated = tmp_path / ".sims-vsi.notes"  # not a temp folder of ours: kept
    unrelated.mkdir()
    (unrelated / "x").write_text("keep")
    code, err = export(work, out, capsys)
    assert code == 0, err
    assert not (out / "data" / "videos" / "stale_video.mp4").exists()  # replaced whole, not merged
    left = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".sims-vsi."))
    assert left == [".sims-vsi.notes", ".sims-vsi.simsv-lock"], left
    assert (unrelated / "x").read_text() == "keep"


def test_previous_export_with_a_foreign_file_is_refused(work, tmp_path, capsys):
    out = tmp_path / "sims-vsi"
    assert export(work, out, capsys)[0] == 0
    (out / "data" / "my_notes.txt").write_text("mine")
    before = tree(out)
    code, err = export(work, out, capsys)
    line = one_line(err)
    assert code == 2 and "data/my_notes.txt" in line, line
    assert tree(out) == before


@pytest.mark.parametrize("damage", [truncate, zero_stretch], ids=["truncated", "zeroed"])
@pytest.mark.parametrize("video", ["houses/house_000000/traj_00/video.mp4", "clip"])
def test_damaged_video_is_refused_by_name(work, tmp_path, capsys, damage, video):
    out = tmp_path / "sims-vsi"
    assert export(work, out, capsys)[0] == 0
    before = tree(out)
    if video == "clip":
        video = str(sorted(work.glob("houses/house_000000/traj_00/clips/*.mp4"))[0].relative_to(work))
    damage(work / video)
    code, err = export(work, out, capsys)
    line = one_line(err)
    assert code == 2 and video in line, line
    assert tree(out) == before  # the previous export stands
    assert not [p for p in tmp_path.iterdir() if "simsv-export" in p.name]


def test_corpus_without_digests_is_checked_by_decoding(work, tmp_path):
    """A corpus made before DONE held digests: a truncated video fails the decode check."""
    from simsv_vsi.integrity import CorruptFile

    tdone = work / "houses" / "house_000000" / "traj_00" / "DONE"
    record = json.loads(tdone.read_text())
    del record["files"]
    tdone.write_text(json.dumps(record))
    truncate(work / "houses" / "house_000000" / "traj_00" / "video.mp4", 0.3)
    with pytest.raises(CorruptFile, match="traj_00/video.mp4"):
        export_folder(work, tmp_path / "out")
    assert not (tmp_path / "out").exists()
