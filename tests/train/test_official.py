"""The reader of the authors' release (`ellisbrown/SIMS-VSI`, train/official.py) on a miniature of
its local copy built here: configs, the conversation rows mapped onto chat rows, and clear errors
when the release differs from what the reader expects."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from train import official
from train.recipe import RecipeArguments
from train.tiny import build_release_fixture


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return build_release_fixture(tmp_path_factory.mktemp("release") / "SIMS-VSI")


@pytest.mark.parametrize("config, rows", [("sims_vsi_3q", 8), ("3q", 8), ("sims_vsi_200k", 12), (None, 12)])
def test_configs_pick_the_release_files(release, config, rows):
    assert official.is_official(str(release)) and official.is_official("ellisbrown/SIMS-VSI")
    assert len(official.load_rows(str(release), config)) == rows


def test_rows_become_chat_rows(release):
    chat = official.as_chat(official.load_rows(str(release), "3q"), RecipeArguments(), release)
    assert set(chat.column_names) == {"messages", "video", "question_type", "fmt"}
    row = chat[1]
    assert row["video"] == "train/000000/raw_navigation_camera__0.mp4" and row["fmt"] == "mc"
    assert row["question_type"] == "obj_rel_direction_easy"
    user, answer = row["messages"]
    assert user["content"][0]["type"] == "video"
    text = user["content"][1]["text"]
    assert "<image>" not in text and text.startswith("These are frames of a video.\nIf I am standing")
    assert text.endswith("Options:\nA. left\nB. right") and answer["content"][0]["text"] == "A. left"
    oe = chat[0]["messages"]
    assert oe[1]["content"][0]["text"] == "1.5"


def test_vsibench_profile_and_letter_answers(release):
    recipe = RecipeArguments(prompt_profile="vsibench", mc_answer_format="letter")
    chat = official.as_chat(official.load_rows(str(release), "3q"), recipe, release)
    user, answer = chat[3]["messages"]  # house 0, trajectory 1: answer "B. right"
    assert answer["content"][0]["text"] == "B"
    text = user["content"][1]["text"]
    assert text.count("These are frames of a video.") == 1
    assert text.endswith("Answer with the option's letter from the given choices directly.")


def test_a_release_with_other_columns_is_refused_listing_them(tmp_path):
    pq.write_table(pa.table({"clip": ["a.mp4"], "question": ["q"], "answer": ["1"]}),
                   tmp_path / "sims_vsi_3q_40k.parquet")
    with pytest.raises(official.ReleaseFormatError,
                       match=r"no column video, conversations; columns found: clip, question, answer"):
        official.load_rows(str(tmp_path), "3q")


def test_conversations_of_another_shape_are_refused(tmp_path):
    pq.write_table(pa.table({"video": ["a.mp4"], "conversations": [[{"role": "user", "content": "q"}]]}),
                   tmp_path / "sims_vsi_3q_40k.parquet")
    with pytest.raises(official.ReleaseFormatError, match=r"conversations holds \['content', 'role'\]"):
        official.load_rows(str(tmp_path), "3q")


def test_the_mirror_s_videos_column_is_accepted(tmp_path):
    conv = [{"from": "human", "value": "<image>\nq?"}, {"from": "gpt", "value": "2"}]
    pq.write_table(pa.table({"videos": ["a.mp4"], "conversations": [conv]}), tmp_path / "sims_vsi_200k.parquet")
    assert official.load_rows(str(tmp_path), None).column_names == ["video", "conversations"]


def test_unknown_config_and_missing_videos_are_named(release, tmp_path):
    with pytest.raises(official.ReleaseFormatError, match="--dataset_config 'vsi_baseline'"):
        official.load_rows(str(release), "vsi_baseline")
    rows = official.load_rows(str(release), "3q")
    with pytest.raises(FileNotFoundError, match=r"--video_root .*: 4 of 4 videos missing, e.g. .*raw_navigation"):
        official.as_chat(rows, RecipeArguments(), tmp_path)
