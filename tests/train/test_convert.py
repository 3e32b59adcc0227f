"""`python -m train.convert` on a tiny checkpoint in LLaVA-NeXT's own format (LlavaQwenForCausalLM
names and config keys, two shards, bf16): every tensor lands where it belongs, dtypes and bytes
are kept, the way back is exact, generation runs in plain transformers, and loaders that would
run the wrong video layout refuse."""

import json
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from tests.train.conftest import REPO
from train.convert import ConversionError, to_hf, to_next
from train.tiny import build_tiny_next


def _tensors(folder):
    out = {}
    for f in sorted(folder.glob("*.safetensors")):
        out.update(load_file(f))
    return out


@pytest.fixture(scope="module")
def next_ckpt(tmp_path_factory):
    return build_tiny_next(tmp_path_factory.mktemp("next") / "llava-video-next", layout="llava_video")


@pytest.fixture(scope="module")
def hf_ckpt(next_ckpt, tmp_path_factory):
    return to_hf(str(next_ckpt[0]), tmp_path_factory.mktemp("hf") / "llava-video-hf", vision_heads=2)


def test_every_tensor_lands_where_it_belongs_in_its_dtype(next_ckpt, hf_ckpt):
    from transformers import AutoModelForImageTextToText

    _, source = next_ckpt
    model, info = AutoModelForImageTextToText.from_pretrained(hf_ckpt, trust_remote_code=True, dtype="auto",
                                                              output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    loaded = model.state_dict()
    assert set(loaded) == set(source.state_dict())
    for name, t in source.state_dict().items():  # the in-memory model the NeXT checkpoint was written from
        assert loaded[name].dtype == torch.bfloat16, name
        assert torch.equal(loaded[name], t), name
    stored = _tensors(hf_ckpt)
    assert {t.dtype for t in stored.values()} == {torch.bfloat16}
    assert "vision_tower.vision_model.encoder.layers.1.mlp.fc2.weight" in stored  # the published llava-hf names
    assert "language_model.lm_head.weight" in stored and "image_newline" in stored
    cfg = json.loads((hf_ckpt / "config.json").read_text())
    assert cfg["model_type"] == "llava_video" and cfg["video_layout"] == "llava_video" and cfg["dtype"] == "bfloat16"
    assert cfg["vision_config"]["num_hidden_layers"] == 2 and cfg["vision_config"]["image_size"] == 32


def test_round_trip_is_bit_for_bit(next_ckpt, hf_ckpt, tmp_path):
    folder, _ = next_ckpt
    back = to_next(str(hf_ckpt), tmp_path / "back")
    a, b = _tensors(folder), _tensors(back)
    assert set(a) == set(b)
    for k in a:
        assert a[k].dtype == b[k].dtype and torch.equal(a[k].view(torch.uint8), b[k].view(torch.uint8)), k
    assert json.loads((back / "config.json").read_text()) == json.loads((folder / "config.json").read_text())


def test_plain_transformers_generates_in_the_recorded_layout(hf_ckpt):
    from transformers import AutoModelForImageTextToText, AutoProcessor, LlavaOnevisionForConditionalGeneration

    processor = AutoProcessor.from_pretrained(hf_ckpt, trust_remote_code=True)
    model = AutoModelForImageTextToText.from_pretrained(hf_ckpt, trust_remote_code=True)
    video = torch.randint(0, 256, (4, 24, 40, 3), dtype=torch.uint8)
    text = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "video"}, {"type": "text", "text": "How many chairs?"}]}],
        add_generation_prompt=True)
    inputs = processor(text=text, videos=[video], frame_times=[[0.0, 1.0, 2.0, 3.0]], durations=[4.0])
    video_tokens = int((inputs["input_ids"] == model.config.video_token_id).sum())
    assert video_tokens == 4 * 2 * 3  # grid 32/8 = 4 -> pooled 2: 2 rows of (2 + newline) per frame
    assert "The video lasts for 4.00 seconds, and 4 frames" in processor.decode(inputs["input_ids"][0])
    inputs["pixel_values_videos"] = inputs["pixel_values_videos"].to(model.dtype)
    out = model.generate(**inputs, max_new_tokens=3, do_sample=False)
    assert out.shape[1] == inputs["input_ids"].shape[1] + 3
    # OneVision's code on these weights: its feature count differs, so the forward refuses
    onevision = LlavaOnevisionForConditionalGeneration.from_pretrained(hf_ckpt)
    with pytest.raises(ValueError, match="Video features and video tokens do not match"):
        onevision.generate(**inputs, max_new_tokens=1)


def test_loaders_refuse_a_mismatched_layout(hf_ckpt):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from train.model import LayoutMismatch, load_model

    with pytest.raises(ValueError, match="trust_remote_code"):  # no silent OneVision fallback
        AutoModelForImageTextToText.from_pretrained(hf_ckpt, trust_remote_code=False)
    with pytest.raises(ValueError, match="trust_remote_code"):
        AutoProcessor.from_pretrained(hf_ckpt, trust_remote_code=False)
    with pytest.raises(LayoutMismatch, match="records video layout 'llava_video'"):
        load_model(str(hf_ckpt), "onevision")
    model = load_model(str(hf_ckpt))  # no layout asked: the recorded one
    from train.model import layout_of

    assert layout_of(model) == "llava_video"


def test_onevision_checkpoint_converts_to_the_stock_model_type(tmp_path):
    folder, source = build_tiny_next(tmp_path / "ov-next", layout="onevision", dtype=torch.float16)
    out = to_hf(str(folder), tmp_path / "ov-hf", vision_heads=2)
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["model_type"] == "llava_onevision" and "auto_map" not in cfg and cfg["video_layout"] == "onevision"
    from train.model import LayoutMismatch, load_model

    with pytest.raises(LayoutMismatch, match="records video layout 'onevision', but 'llava_video' was asked"):
        load_model(str(out), "llava_video")
    assert json.loads((out / "processor_config.json").read_text())["processor_class"] == "LlavaOnevisionProcessor"
    from transformers import AutoModelForImageTextToText

    model = AutoModelForImageTextToText.from_pretrained(out, dtype="auto")
    assert model.dtype == torch.float16
    assert all(torch.equal(model.state_dict()[k], v) for k, v in source.state_dict().items())


def test_bad_sources_are_one_line_errors(next_ckpt, tmp_path):
    folder, _ = next_ckpt
    with pytest.raises(ConversionError, match="attention heads unknown; pass --vision_heads"):
        to_hf(str(folder), tmp_path / "a")
    assert not (tmp_path / "a").exists()  # nothing half-written
    with pytest.raises(ConversionError, match="--layout onevision"):
        to_hf(str(folder), tmp_path / "b", layout="onevision", vision_heads=2)
    bad = tmp_path / "grid-frame"
    bad.mkdir()
    cfg = json.loads((folder / "config.json").read_text())
    (bad / "config.json").write_text(json.dumps({**cfg, "mm_newline_position": "frame"}))
    with pytest.raises(ConversionError, match="mm_newline_position 'frame'"):
        to_hf(str(bad), tmp_path / "c", vision_heads=2)
    r = subprocess.run([sys.executable, "-m", "train.convert", "to-hf", str(tmp_path / "nowhere"), str(tmp_path / "d")],
                       capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "nowhere: no such checkpoint folder" in r.stderr
