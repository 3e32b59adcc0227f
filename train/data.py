"""Training data: SIMS-VSI as `simsv export` writes it (a Hub repo id or local folder, loaded
with `load_dataset(path, config)`), or its parquet files, optionally mixed with another
instruction dataset in TRL's conversational format; then rows too long for `max_length` are
dropped and reported (a video block is never cut)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass
class DataArguments:
    """Where the data comes from and how videos are shown to the model."""
    dataset: str = field(metadata={"help": "SIMS-VSI: ours (repo id, exported folder, .parquet file(s)) or the "
                                           "authors' release (ellisbrown/SIMS-VSI, or a local copy with extracted shards)"})
    dataset_config: str = field(default="3q", metadata={
        "help": "config (mix) name: 3q, vsi_baseline, all, a type; release: sims_vsi_3q, sims_vsi_200k"})
    dataset_revision: str | None = field(default=None, metadata={"help": "Hub revision (tag or commit) to pin"})
    train_split: str = field(default="train")
    eval_split: str | None = field(default=None, metadata={"help": "e.g. validation (held-out houses)"})
    video_root: str | None = field(default=None, metadata={
        "help": "parquet input: folder video paths are relative to (default: the parquet's folder)"})
    num_frames: int = field(default=32, metadata={"help": "frames sampled uniformly per video (paper: 32 OV, 64 LLaVA-Video)"})
    video_layout: str | None = field(default=None, metadata={
        "help": "onevision | llava_video (train/layouts.py); default: the layout the checkpoint records"})
    max_train_samples: int | None = field(default=None, metadata={"help": "cap on training rows (smoke runs)"})
    mix_dataset: str | None = field(default=None, metadata={
        "help": "extra instruction data with a `messages` column (and optional `video`), mixed in"})
    mix_config: str | None = field(default=None)
    mix_split: str = field(default="train")
    mix_fraction: float = field(default=0.0, metadata={"help": "share of the mixed training set from mix_dataset"})


class DataError(ValueError):
    """Training data that cannot be used (the message names the flag and file)."""


def _looks_like_path(path: str) -> bool:
    return path.startswith((".", "/", "~")) or path.count("/") != 1 or Path(path).exists()


def _load(path: str, config: str | None, split: str, revision: str | None, flag: str = "--dataset"):
    from datasets import load_dataset

    if path.endswith(".parquet"):
        files = sorted(str(p) for p in Path().glob(path)) if any(c in path for c in "*?[") else [path]
        if not files or not all(Path(f).is_file() for f in files):
            raise FileNotFoundError(f"{flag} {path}: no such parquet file")
        try:
            return load_dataset("parquet", data_files=files, split="train")
        except Exception as e:
            raise DataError(f"{flag} {path}: not a readable parquet file ({type(e).__name__})") from None
    if _looks_like_path(path) and not Path(path).is_dir():
        raise FileNotFoundError(f"{flag} {path}: no such folder or parquet file")
    try:
        return load_dataset(path, config, split=split, revision=revision)
    except Exception as e:  # unknown config or split, offline Hub, unreadable files: one line
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise DataError(f"{flag} {path} (config {config!r}, split {split!r}): {type(e).__name__}: {first[:300]}") from None


def default_video_root(args: DataArguments) -> str | None:
    """Exported parquet files name videos relative to their own folder (`file_name`); the
    release's local copy relative to its folder (the extracted shards)."""
    from train.official import is_official

    if args.video_root:
        return args.video_root
    if args.dataset.endswith(".parquet"):
        return str(Path(args.dataset).parent)
    if is_official(args.dataset) and Path(args.dataset).is_dir():
        return args.dataset
    return None


def _as_chat(ds, recipe=None, source: str = "--dataset"):
    """SIMS-VSI rows as `messages` + `video`, without decoding any video."""
    from train.recipe import RecipeArguments, qa_messages

    recipe = recipe or RecipeArguments()
    if "video" not in ds.column_names and "file_name" in ds.column_names:  # a parquet file of an export
        ds = ds.rename_column("file_name", "video")
    if "messages" not in ds.column_names:
        missing = [c for c in ("question", "options", "answer") if c not in ds.column_names]
        if missing:
            raise DataError(f"{source}: no column {', '.join(missing)} (nor messages); columns found: "
                            f"{', '.join(ds.column_names)}")
        ds = ds.map(lambda q, o, a: {"messages": qa_messages(q, o, a, recipe)},
                    input_columns=["question", "options", "answer"])
    return ds


def _mix(sims, args: DataArguments, seed: int):
    """Add round(f / (1 - f) * n) rows of the other dataset, then shuffle (seeded)."""
    from datasets import concatenate_datasets

    if not 0 < args.mix_fraction < 1:
        raise ValueError(f"--mix_fraction {args.mix_fraction}: must be in (0, 1) with --mix_dataset")
    other = _load(args.mix_dataset, args.mix_config, args.mix_split, None, flag="--mix_dataset")
    if "messages" not in other.column_names:
        raise ValueError(f"--mix_dataset {args.mix_dataset}: needs a `messages` column (TRL conversational format)")
    n = min(len(other), round(args.mix_fraction / (1 - args.mix_fraction) * len(sims)))
    other = other.shuffle(seed=seed).select(range(n))
    if "video" not in other.column_names:
        other = other.add_column("video", [None] * n)
    # one schema for both: content as a list of parts, as SIMS-VSI rows have it
    other = other.map(lambda m: {"messages": [{"role": t["role"], "content": _parts(t["content"])} for t in m]},
                      input_columns=["messages"])
    keep = ["messages", "video"]
    sims, other = sims.select_columns(keep), other.select_columns(keep)
    other = other.cast(sims.features)
    return concatenate_datasets([sims, other]).shuffle(seed=seed)


def _parts(content) -> list[dict]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [{"type": p["type"], "text": p.get("text")} for p in content]


def drop_too_long(ds, collator, max_length: int | None, name: str):
    """Drop rows whose tokens (text + the full video block) exceed max_length, reporting them."""
    if max_length is None:
        return ds
    from datasets import Video

    cheap = ds.cast_column("video", Video(decode=False)) if isinstance(ds.features.get("video"), Video) else ds
    keep, dropped = [], []
    for i, row in enumerate(cheap):
        n = len(collator.encode(row, with_pixels=False).input_ids)
        (keep if n <= max_length else dropped).append((i, row.get("id", i), n))
    if dropped:
        logger.warning("%s: dropped %d of %d rows longer than max_length %d (never truncated), e.g. %s",
                       name, len(dropped), len(ds), max_length, dropped[:3])
    return ds.select([i for i, _, _ in keep]) if dropped else ds


def load_training_data(args: DataArguments, seed: int = 42, recipe=None):
    """(train, eval or None) as datasets of chat rows with a `video` column."""
    from train import official

    if official.is_official(args.dataset):
        root = default_video_root(args)
        if root is None:
            raise DataError(f"--dataset {args.dataset}: the release's videos come in *_shard_*.tar.zst; extract "
                            "them and pass --video_root (or use a local copy of the whole release as --dataset)")
        if args.eval_split:
            raise DataError(f"--eval_split {args.eval_split}: {official.HUB_ID} has only a train split")
        rows = official.load_rows(args.dataset, args.dataset_config, args.dataset_revision)
        if args.max_train_samples is not None:
            rows = rows.select(range(min(args.max_train_samples, len(rows))))
        train = official.as_chat(rows, recipe or _default_recipe(), root)
        if args.mix_dataset:
            train = _mix(train, args, seed)
        return train, None
    source = f"--dataset {args.dataset}"
    train = _as_chat(_load(args.dataset, args.dataset_config, args.train_split, args.dataset_revision), recipe, source)
    if args.max_train_samples is not None:
        train = train.select(range(min(args.max_train_samples, len(train))))
    if args.mix_dataset:
        train = _mix(train, args, seed)
    evals = None
    if args.eval_split:
        evals = _as_chat(_load(args.dataset, args.dataset_config, args.eval_split, args.dataset_revision), recipe,
                         source)
    return train, evals


def _default_recipe():
    from train.recipe import RecipeArguments

    return RecipeArguments()
