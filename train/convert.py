"""LLaVA-NeXT checkpoints (LLaVA-Video-7B, LLaVA-OneVision as lmms-lab publishes them) <-> the
llava-hf layout that transformers, vLLM and lmms-eval's `llava_onevision` read.

    # LLaVA-Video-7B -> HF (a local folder; a Hub id is downloaded first where the Hub is reachable)
    python -m train.convert to-hf lmms-lab/LLaVA-Video-7B-Qwen2 ckpt/llava-video-7b-hf
    # and back, e.g. a fine-tuned run, for LLaVA-NeXT's own code or lmms-eval's `llava_vid`
    python -m train.convert to-next runs/sims-vsi-llava_video ckpt/sims-v-llava-next

Only tensor names change: every tensor is copied as stored (same dtype, same bytes), shard by
shard, so a 7B model converts in the memory of one shard. Names (LLaVA-NeXT's
`LlavaQwenForCausalLM` -> llava-hf):

    model.embed_tokens / model.layers.* / model.norm   -> language_model.model.*
    lm_head                                             -> language_model.lm_head
    model.vision_tower.vision_tower.vision_model.*      -> vision_tower.vision_model.*
    model.mm_projector.0 / .2                           -> multi_modal_projector.linear_1 / linear_2
    model.image_newline                                 -> image_newline

The video layout comes from LLaVA-NeXT's `mm_newline_position` (`grid`: LLaVA-Video, a newline
after every pooled row of every frame; `one_token`: OneVision) and is written into the
checkpoint itself: a `llava_video` checkpoint gets `model_type: llava_video` with its own code
(`train/hf_llava_video.py`, run with `trust_remote_code=True`), so a loader without that code
refuses it rather than running OneVision's layout on it. Config, tokenizer (with `<image>` and
`<video>` added, inside the existing embedding rows: nothing is resized), chat template,
processor files and `simsv_video.json` are written beside the weights. The original LLaVA-NeXT
config is kept in config.json (`llava_next_config`), so the way back restores it exactly.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import shutil
import sys
from pathlib import Path

from safetensors import safe_open
from safetensors.torch import save_file

logger = logging.getLogger("train.convert")

NEXT_ARCHITECTURES = ("LlavaQwenForCausalLM",)
HF_MODEL_TYPES = ("llava_onevision", "llava_video")
# LLaVA-NeXT name prefix -> llava-hf name prefix (first match wins)
NEXT_TO_HF = (
    ("model.vision_tower.vision_tower.vision_model.", "vision_tower.vision_model."),
    ("model.mm_projector.0.", "multi_modal_projector.linear_1."),
    ("model.mm_projector.2.", "multi_modal_projector.linear_2."),
    ("model.image_newline", "image_newline"),
    ("model.embed_tokens.", "language_model.model.embed_tokens."),
    ("model.layers.", "language_model.model.layers."),
    ("model.norm.", "language_model.model.norm."),
    ("lm_head.", "language_model.lm_head."),
)
# llava-hf names as transformers itself saves them (v5: no `vision_model.`, or the in-memory
# names) -> the canonical names above
HF_ALIASES = (
    ("model.language_model.", "language_model.model."),
    ("model.vision_tower.vision_model.", "vision_tower.vision_model."),
    ("model.vision_tower.", "vision_tower.vision_model."),
    ("model.multi_modal_projector.", "multi_modal_projector."),
    ("model.image_newline", "image_newline"),
    ("lm_head.", "language_model.lm_head."),
)
NEWLINE_TO_LAYOUT = {"grid": "llava_video", "one_token": "onevision"}
# SigLIP's head count is not in the weights' shapes: known towers, else --vision_heads
KNOWN_VISION_HEADS = {"siglip-so400m-patch14-384": 16}


class ConversionError(ValueError):
    """A checkpoint this converter cannot convert faithfully (the message names file and field)."""


def _rename(name: str, table) -> str | None:
    for old, new in table:
        if name.startswith(old):
            return new + name[len(old):]
    return None


def next_to_hf_name(name: str) -> str:
    new = _rename(name, NEXT_TO_HF)
    if new is None:
        raise ConversionError(f"tensor {name!r}: not a LLaVA-NeXT LlavaQwenForCausalLM name this converter "
                              "maps (a resampler or vision head is not supported)")
    return new


def hf_canonical(name: str) -> str:
    if name.startswith("vision_tower.") and not name.startswith("vision_tower.vision_model."):
        return "vision_tower.vision_model." + name[len("vision_tower."):]
    return _rename(name, HF_ALIASES) or name


def hf_to_next_name(name: str) -> str:
    name = hf_canonical(name)
    for old, new in NEXT_TO_HF:
        if name.startswith(new):
            return old + name[len(new):]
    raise ConversionError(f"tensor {name!r}: not a llava-hf LLaVA-OneVision name")


def read_json(path: Path, what: str) -> dict:
    if not path.is_file():
        raise ConversionError(f"{path}: missing ({what})")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ConversionError(f"{path}: not valid JSON ({e.msg}, line {e.lineno})") from None
    if not isinstance(data, dict):
        raise ConversionError(f"{path}: expected a JSON object")
    return data


def weight_files(folder: Path) -> list[Path]:
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        names = sorted(set(read_json(index, "shard index")["weight_map"].values()))
        files = [folder / n for n in names]
    else:
        files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise ConversionError(f"{folder}: no .safetensors weights (pytorch .bin checkpoints: convert them to "
                              "safetensors first)")
    for f in files:
        if not f.is_file():
            raise ConversionError(f"{f}: shard named in model.safetensors.index.json is missing")
    return files


def copy_renamed(src: Path, out: Path, rename) -> dict[str, list[int]]:
    """Each shard of `src` rewritten into `out` under new names, tensors as stored. Returns the
    shape of every tensor by new name."""
    files = weight_files(src)
    weight_map, shapes, total = {}, {}, 0
    for i, f in enumerate(files):
        tensors = {}
        with safe_open(str(f), "pt") as shard:
            for name in shard.keys():
                new = rename(name)
                if new in weight_map or new in tensors:
                    raise ConversionError(f"{f}: two tensors map to {new!r}")
                tensors[new] = shard.get_tensor(name)
        shard_name = "model.safetensors" if len(files) == 1 else f"model-{i + 1:05d}-of-{len(files):05d}.safetensors"
        save_file(tensors, str(out / shard_name), metadata={"format": "pt"})
        for name, t in tensors.items():
            weight_map[name] = shard_name
            shapes[name] = list(t.shape)
            total += t.numel() * t.element_size()
        logger.info("shard %d/%d: %d tensors", i + 1, len(files), len(tensors))
    if len(files) > 1:
        index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
        (out / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")
    return shapes


def resolve_source(source: str) -> Path:
    """A folder, or a Hub id downloaded to the local cache (needs the Hub)."""
    path = Path(source)
    if path.is_dir():
        return path
    if path.exists() or source.count("/") != 1 or source.startswith((".", "/")):
        raise ConversionError(f"{source}: no such checkpoint folder")
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(source, allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model",
                                                              "*.jinja", "*.py"]))
    except Exception as e:  # offline, unknown id, gated: one line, not a traceback
        raise ConversionError(f"{source}: not a local folder, and the Hub download failed "
                              f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})") from None


def prepare_out(out: Path, force: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not force:
            raise ConversionError(f"{out}: exists and is not empty (--force replaces it)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def layout_from_next(cfg: dict, cfg_path: Path) -> str:
    pos = cfg.get("mm_newline_position", "one_token")
    if pos not in NEWLINE_TO_LAYOUT:
        raise ConversionError(f"{cfg_path}: mm_newline_position {pos!r} has no HF equivalent "
                              f"(supported: {', '.join(NEWLINE_TO_LAYOUT)})")
    pool = cfg.get("mm_spatial_pool_mode", "bilinear")
    stride = cfg.get("mm_spatial_pool_stride", 2)
    if pool != "bilinear" or stride != 2:
        raise ConversionError(f"{cfg_path}: mm_spatial_pool_mode {pool!r} / mm_spatial_pool_stride {stride}: "
                              "transformers pools video frames bilinearly with stride 2 only")
    if cfg.get("mm_projector_type", "mlp2x_gelu") != "mlp2x_gelu":
        raise ConversionError(f"{cfg_path}: mm_projector_type {cfg['mm_projector_type']!r}: only mlp2x_gelu")
    return NEWLINE_TO_LAYOUT[pos]


def vision_config_from(shapes: dict, cfg: dict, heads: int | None):
    from transformers import SiglipVisionConfig

    pre = "vision_tower.vision_model."
    patch = shapes[pre + "embeddings.patch_embedding.weight"]  # (hidden, 3, p, p)
    positions = shapes[pre + "embeddings.position_embedding.weight"][0]
    layers = 1 + max(int(m.group(1)) for k in shapes if (m := re.match(re.escape(pre) + r"encoder\.layers\.(\d+)\.", k)))
    tower = str(cfg.get("mm_vision_tower", ""))
    heads = heads or next((h for name, h in KNOWN_VISION_HEADS.items() if tower.endswith(name)), None)
    if heads is None:
        raise ConversionError(f"mm_vision_tower {tower!r}: attention heads unknown; pass --vision_heads")
    side = round(positions ** 0.5)
    return SiglipVisionConfig(hidden_size=patch[0], intermediate_size=shapes[pre + "encoder.layers.0.mlp.fc1.weight"][0],
                              num_hidden_layers=layers, num_attention_heads=heads, num_channels=patch[1],
                              image_size=side * patch[2], patch_size=patch[2], vision_use_head=False,
                              hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-6)


TEXT_KEYS = ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
             "num_key_value_heads", "hidden_act", "max_position_embeddings", "rms_norm_eps", "tie_word_embeddings",
             "use_sliding_window", "sliding_window", "max_window_layers", "attention_dropout", "bos_token_id",
             "eos_token_id", "initializer_range")


def text_config_from(cfg: dict, shapes: dict):
    from transformers import Qwen2Config

    kw = {k: cfg[k] for k in TEXT_KEYS if k in cfg}
    kw["vocab_size"] = shapes["language_model.model.embed_tokens.weight"][0]  # the rows that exist
    kw["rope_parameters"] = {"rope_type": "default", "rope_theta": float(cfg.get("rope_theta", 1_000_000.0))}
    return Qwen2Config(**kw)


def _add_video_tokens(tokenizer, vocab_rows: int, src: Path) -> tuple[int, int]:
    new = [t for t in ("<image>", "<video>") if t not in tokenizer.get_vocab()]
    if new:
        tokenizer.add_special_tokens({"additional_special_tokens": new}, replace_extra_special_tokens=False)
    image_id, video_id = (tokenizer.convert_tokens_to_ids(t) for t in ("<image>", "<video>"))
    if max(image_id, video_id) >= vocab_rows:
        raise ConversionError(f"{src}: the tokenizer has {len(tokenizer)} tokens with <image>/<video>, the "
                              f"embedding only {vocab_rows} rows (this converter never resizes weights)")
    return image_id, video_id


def to_hf(source: str, out: str | Path, *, layout: str | None = None, num_frames: int | None = None,
          vision_heads: int | None = None, force: bool = False) -> Path:
    """A LLaVA-NeXT `LlavaQwenForCausalLM` checkpoint -> llava-hf layout in `out`."""
    from transformers import AutoTokenizer, LlavaOnevisionConfig

    from train.checkpoint import write_processor_files
    from train.frames import FrameSpec
    from train.hf_llava_video import LlavaVideoConfig

    src = resolve_source(source)
    cfg_path = src / "config.json"
    cfg = read_json(cfg_path, "LLaVA-NeXT config")
    archs = cfg.get("architectures") or []
    if not any(a in NEXT_ARCHITECTURES for a in archs):
        raise ConversionError(f"{cfg_path}: architectures {archs}: expected {NEXT_ARCHITECTURES[0]} (a llava-hf "
                              "checkpoint needs no conversion)")
    found = layout_from_next(cfg, cfg_path)
    if layout is not None and layout != found:
        raise ConversionError(f"--layout {layout}: {cfg_path} says mm_newline_position "
                              f"{cfg.get('mm_newline_position')!r}, which is the {found} layout")
    out = Path(out)
    files = weight_files(src)  # checked before anything is written
    try:
        tokenizer = AutoTokenizer.from_pretrained(src)
    except Exception as e:
        raise ConversionError(f"{src}: no loadable tokenizer ({type(e).__name__})") from None
    prepare_out(out, force)
    try:
        shapes = copy_renamed(src, out, next_to_hf_name)
        missing = [k for k in ("language_model.model.embed_tokens.weight", "image_newline",
                               "multi_modal_projector.linear_1.weight",
                               "vision_tower.vision_model.embeddings.patch_embedding.weight") if k not in shapes]
        if missing:
            raise ConversionError(f"{files[0].parent}: weights lack {missing}")
        tie = "language_model.lm_head.weight" not in shapes
        image_id, video_id = _add_video_tokens(tokenizer, shapes["language_model.model.embed_tokens.weight"][0], src)
        text = text_config_from(cfg, shapes)
        text.tie_word_embeddings = tie
        vision = vision_config_from(shapes, cfg, vision_heads)
        cls = LlavaVideoConfig if found == "llava_video" else LlavaOnevisionConfig
        hf = cls(text_config=text.to_dict(), vision_config=vision.to_dict(), image_token_index=image_id,
                 video_token_index=video_id, vision_feature_layer=-1, vision_feature_select_strategy="full",
                 vision_aspect_ratio=cfg.get("image_aspect_ratio", "anyres_max_9"),
                 image_grid_pinpoints=cfg.get("image_grid_pinpoints") or [[vision.image_size] * 2],
                 tie_word_embeddings=tie)
        hf.architectures = ["LlavaVideoForConditionalGeneration" if found == "llava_video"
                            else "LlavaOnevisionForConditionalGeneration"]
        hf.video_layout = found
        hf.llava_next_config = cfg  # the way back restores it exactly
        hf.dtype = cfg.get("torch_dtype") or cfg.get("dtype")
        hf.save_pretrained(out)  # llava_video: also copies hf_llava_video.py and writes auto_map
        frames = num_frames or int(cfg.get("frames_upbound") or (64 if found == "llava_video" else 32))
        spec = FrameSpec(frames=frames, size=vision.image_size)
        write_processor_files(out, tokenizer, found, spec, patch_size=vision.patch_size)
        gen = src / "generation_config.json"
        if gen.is_file():
            shutil.copy2(gen, out / gen.name)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)  # no half-written checkpoint
        raise
    logger.info("wrote %s (%s layout, %d tensors)", out, found, len(shapes))
    return out


def _next_config(hf: dict) -> dict:
    """LLaVA-NeXT config for an HF checkpoint: the original one where the conversion kept it (text
    sizes refreshed), else built from the HF config."""
    text, vision = hf.get("text_config", {}), hf.get("vision_config", {})
    layout = hf.get("video_layout") or ("llava_video" if hf.get("model_type") == "llava_video" else "onevision")
    cfg = dict(hf.get("llava_next_config") or {})
    if not cfg:
        cfg = {"architectures": ["LlavaQwenForCausalLM"], "model_type": "llava",
               "mm_vision_tower": "google/siglip-so400m-patch14-384", "mm_projector_type": "mlp2x_gelu",
               "mm_hidden_size": vision.get("hidden_size"), "mm_vision_select_layer": -2,
               "mm_vision_select_feature": "patch", "mm_patch_merge_type": "spatial_unpad",
               "mm_spatial_pool_mode": "bilinear", "mm_spatial_pool_stride": 2,
               "mm_newline_position": "grid" if layout == "llava_video" else "one_token",
               "image_aspect_ratio": hf.get("vision_aspect_ratio", "anyres_max_9"),
               "image_grid_pinpoints": hf.get("image_grid_pinpoints"), "use_mm_proj": True,
               "add_time_instruction": layout == "llava_video", "torch_dtype": hf.get("dtype") or text.get("dtype")}
        for k in TEXT_KEYS:
            if k in text:
                cfg[k] = text[k]
        rope = (text.get("rope_parameters") or {}).get("rope_theta")
        if rope is not None:
            cfg["rope_theta"] = rope
    return cfg


def to_next(source: str, out: str | Path, *, force: bool = False) -> Path:
    """An llava-hf LLaVA-OneVision / LLaVA-Video checkpoint (ours or converted) -> LLaVA-NeXT."""
    from transformers import AutoTokenizer

    src = resolve_source(source)
    cfg_path = src / "config.json"
    hf = read_json(cfg_path, "llava-hf config")
    if hf.get("model_type") not in HF_MODEL_TYPES:
        raise ConversionError(f"{cfg_path}: model_type {hf.get('model_type')!r}: expected one of {HF_MODEL_TYPES}")
    weight_files(src)
    out = Path(out)
    prepare_out(out, force)
    try:
        copy_renamed(src, out, hf_to_next_name)
        (out / "config.json").write_text(json.dumps(_next_config(hf), indent=2) + "\n")
        AutoTokenizer.from_pretrained(src).save_pretrained(out)
        gen = src / "generation_config.json"
        if gen.is_file():
            shutil.copy2(gen, out / gen.name)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m train.convert", description=__doc__.split("\n\n")[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", help="tracebacks and progress")
    sub = p.add_subparsers(dest="direction", required=True)
    a = sub.add_parser("to-hf", parents=[common], help="LLaVA-NeXT (LlavaQwenForCausalLM) -> llava-hf")
    a.add_argument("source", help="checkpoint folder, or a Hub id such as lmms-lab/LLaVA-Video-7B-Qwen2")
    a.add_argument("out")
    a.add_argument("--layout", choices=("llava_video", "onevision"), help="assert the layout the config implies")
    a.add_argument("--num_frames", type=int, help="frames the processor samples (default: the config's "
                   "frames_upbound, else 64 llava_video / 32 onevision)")
    a.add_argument("--vision_heads", type=int, help="SigLIP attention heads (known for siglip-so400m)")
    a.add_argument("--force", action="store_true", help="replace a non-empty OUT")
    b = sub.add_parser("to-next", parents=[common], help="llava-hf -> LLaVA-NeXT (LlavaQwenForCausalLM)")
    b.add_argument("source")
    b.add_argument("out")
    b.add_argument("--force", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s")
    for flag in ("num_frames", "vision_heads"):
        v = getattr(args, flag, None)
        if v is not None and v < 1:
            print(f"error: --{flag} {v}: must be >= 1", file=sys.stderr)
            return 2
    try:
        if args.direction == "to-hf":
            path = to_hf(args.source, args.out, layout=args.layout, num_frames=args.num_frames,
                         vision_heads=args.vision_heads, force=args.force)
        else:
            path = to_next(args.source, args.out, force=args.force)
    except (ConversionError, OSError) as e:
        if args.verbose:
            raise
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
