"""The Hub folder: every config loads with `datasets` with exact row counts, streaming works,
a bad corpus leaves no folder behind, and sampled frames decode as rendered."""

import json

import numpy as np

import pytest
from datasets import Video, load_dataset

from simsv_vsi.export import EXPORTED_MIXES, export_folder
from simsv_vsi.mixes import SPLITS
from simsv_vsi.records import read_records

pytestmark = pytest.mark.render


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("hf_cache"))


def load(folder, config=None, cache_dir=None, **kw):
    """load_dataset with a private cache: `datasets` may otherwise reuse an Arrow cache built
    from an identical folder at another path, whose video paths no longer exist."""
    return load_dataset(str(folder), config, cache_dir=cache_dir, **kw)


@pytest.fixture(scope="module")
def hub(qa_corpus, hub_folder):
    return qa_corpus, hub_folder


def test_every_config_loads_with_exact_counts(hub, cache):
    corpus, out = hub
    mixes = corpus / "qa" / "mixes"
    want = {m: {s: read_records(mixes / m / f"{s}.parquet").num_rows for s in SPLITS} for m in EXPORTED_MIXES}
    for mix in EXPORTED_MIXES:
        if not any(want[mix].values()):
            continue
        ds = load(out, mix, cache)
        assert {k: v.num_rows for k, v in ds.items()} == {s: n for s, n in want[mix].items() if n}, mix
    all_train = read_records(mixes / "all" / "train.parquet")["question_type"].to_pylist()
    for qtype in sorted(set(all_train)):
        ds = load(out, qtype, cache, split="train")
        assert ds.num_rows == all_train.count(qtype) and set(ds["question_type"]) == {qtype}
    formats = read_records(mixes / "all" / "train.parquet")["format"].to_pylist()
    n_oe = sum(1 for q, f in zip(all_train, formats) if q == "object_abs_distance" and f == "oe")
    ds = load(out, "object_abs_distance_oe", cache, split="train")
    assert ds.num_rows == n_oe > 0 and set(ds["format"]) == {"oe"}
    # the default config is 3q, and rows carry a video pointing at a file of the folder
    ds = load(out, None, cache, split="train").cast_column("video", Video(decode=False))
    assert set(ds["question_type"]) <= {"object_abs_distance", "obj_appearance_order", "object_rel_direction_easy",
                                        "object_rel_direction_medium", "object_rel_direction_hard"}
    assert all((out / "data" / "videos").joinpath(p["path"].rsplit("/", 1)[1]).is_file() for p in ds["video"])


def test_streaming_and_videos_stored_once(hub, cache):
    corpus, out = hub
    stream = load(out, "all", cache, split="train", streaming=True).cast_column("video", Video(decode=False))
    rows = list(stream)
    assert len(rows) == read_records(corpus / "qa" / "mixes" / "all" / "train.parquet").num_rows
    videos = sorted(p.name for p in (out / "data" / "videos").iterdir())
    exported = json.loads((out / "export.json").read_text())
    assert len(videos) == exported["videos"] == len(set(videos))


def test_bad_corpus_leaves_no_folder(tmp_path):
    (tmp_path / "c" / "qa" / "mixes").mkdir(parents=True)
    (tmp_path / "c" / "qa" / "mixes" / "manifest.json").write_text('{"houses": {}, "seed": 0}')
    with pytest.raises(FileNotFoundError, match="3q/train.parquet"):
        export_folder(tmp_path / "c", tmp_path / "out")
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.*"))


def test_sampled_frames_decode_as_rendered(hub, cache):
    from builder.capture.encode import read_frames
    from simsv_vsi.sampling import sample_video, uniform_frame_indices

    corpus, out = hub
    ds = load(out, "all", cache, split="train")
    row = ds[0]
    frames = sample_video(row["video"], 8).numpy()  # (8, 3, H, W)
    n = row["frame_end"] - row["frame_start"]
    assert row["video"].metadata.num_frames == n
    records = {r["id"]: r for r in read_records(corpus / "qa" / "mixes" / "all" / "train.parquet").to_pylist()}
    source = read_frames(corpus / records[row["id"]]["video"], uniform_frame_indices(n, 8))
    ref = np.stack(source).transpose(0, 3, 1, 2).astype(int)
    assert frames.shape == ref.shape and np.abs(frames.astype(int) - ref).mean() < 2.0


def test_card_states_the_build(hub):
    corpus, out = hub
    readme = (out / "README.md").read_text()
    exported = json.loads((out / "export.json").read_text())
    assert f"| videos | {exported['videos']} (" in readme
    all_counts = exported["counts"]["all"]
    assert "| all | " + " | ".join(str(all_counts[s]) for s in SPLITS) + " |" in readme
    assert 'load_dataset("simsv/sims-vsi", "3q"' in readme and "{" not in readme.split("## Citation")[0].split("---", 2)[2]


def test_missing_video_is_a_clear_error_and_no_folder(hub, tmp_path):
    import shutil

    corpus, _ = hub
    broken = tmp_path / "corpus"
    shutil.copytree(corpus, broken)
    video = read_records(broken / "qa" / "mixes" / "all" / "train.parquet")["video"][0].as_py()
    (broken / video).unlink()
    with pytest.raises(FileNotFoundError, match=video.split("/")[-1]):
        export_folder(broken, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.*"))


def test_model_card_fills_every_field():
    from simsv_vsi.cards import model_card

    card = model_card("llava-ov-7b-simsv", "lmms-lab/llava-onevision-qwen2-7b-ov", "simsv/sims-vsi", "3q", 32,
                      {"learning rate": "1e-6", "global batch": 32}, {"VSI-Bench": 44.4})
    assert "{" not in card.split("---", 2)[2] and "| learning rate | 1e-6 |" in card and "| VSI-Bench | 44.4 |" in card
    assert "Not evaluated yet." in model_card("m", "b", "d", "3q", 32, {})


def test_build_summary_ignores_another_folder_of_the_same_name(hub_folder, tmp_path, monkeypatch):
    """`datasets` keys a local folder's cache by its name and config: after another
    "sims-vsi" folder was loaded, `simsv build`'s closing load reused its cache (or, forced to
    redownload, failed the split-size check against it). The summary must report this folder."""
    import shutil

    import datasets
    import pyarrow.parquet as pq

    from builder.build import summary

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf"))  # the default cache
    load_dataset(str(hub_folder), "3q")  # the other folder, cached under "sims-vsi"
    other = tmp_path / "b" / "sims-vsi"
    shutil.copytree(hub_folder, other)
    path = other / "data" / "qa_3q_train.parquet"
    table = pq.read_table(path)
    pq.write_table(table.slice(0, table.num_rows - 1), path)  # one record fewer
    assert f"train {table.num_rows - 1}" in summary(other, 0)
