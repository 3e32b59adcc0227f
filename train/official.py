"""The authors' release, `ellisbrown/SIMS-VSI` (Apache-2.0), as training rows.

    # a local copy: the parquet files plus the extracted shards, in one folder
    hf download ellisbrown/SIMS-VSI --repo-type dataset --local-dir data/SIMS-VSI
    cd data/SIMS-VSI && for s in *_shard_*.tar.zst; do (zstd -d -T0 "$s" -c | tar -xf -) & done; wait
    python train/sft.py --dataset data/SIMS-VSI --dataset_config sims_vsi_3q ...
    # or the Hub id for the rows, with the extracted videos elsewhere
    python train/sft.py --dataset ellisbrown/SIMS-VSI --dataset_config sims_vsi_3q --video_root data/SIMS-VSI ...

Configs (the card's): `sims_vsi_200k` (default, `sims_vsi_200k.parquet`) and `sims_vsi_3q`
(`sims_vsi_3q_40k.parquet`); `3q` / `200k` / `all` are accepted for them. Rows are in the
LLaVA conversation format: `video` (a path relative to the extracted shards, e.g.
`.../raw_navigation_camera__0.mp4`), `conversations` (`from`/`value` turns, human then gpt),
`question_type` (`obj_abs_distance`, `room_size_est`, ...) and `fmt` (`oe` / `mc`). Parts of that
schema come from third-party loaders, so every column is checked at load time and a release that
differs is refused with the columns it has. Each row becomes our chat row: the video, the human
text without its `<image>`/`<video>` placeholder (under `--prompt_profile vsibench` rebuilt into
VSI-Bench's prompt), and the gpt answer in `--mc_answer_format`.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

logger = logging.getLogger(__name__)

HUB_ID = "ellisbrown/SIMS-VSI"
CONFIG_FILES = {"sims_vsi_200k": "sims_vsi_200k.parquet", "sims_vsi_3q": "sims_vsi_3q_40k.parquet"}
CONFIG_ALIASES = {"3q": "sims_vsi_3q", "200k": "sims_vsi_200k", "all": "sims_vsi_200k", "default": "sims_vsi_200k",
                  None: "sims_vsi_200k"}
REQUIRED = ("video", "conversations")
OPTIONAL = ("question_type", "fmt", "id")
PLACEHOLDER = re.compile(r"<(image|video)>\n?")


class ReleaseFormatError(ValueError):
    """The release's files differ from the format this reader knows (message lists what was found)."""


def is_official(dataset: str) -> bool:
    """The Hub id, or a folder holding the release's parquet files."""
    if dataset.rstrip("/") == HUB_ID:
        return True
    folder = Path(dataset)
    return folder.is_dir() and any((folder / f).is_file() for f in CONFIG_FILES.values())


def config_name(config: str | None) -> str:
    name = CONFIG_ALIASES.get(config, config)
    if name not in CONFIG_FILES:
        raise ReleaseFormatError(f"--dataset_config {config!r}: {HUB_ID} has configs "
                                 f"{', '.join(CONFIG_FILES)} (or 3q / 200k)")
    return name


def load_rows(dataset: str, config: str | None, revision: str | None = None):
    """The release's rows as a `datasets.Dataset`, columns checked."""
    from datasets import load_dataset

    name = config_name(config)
    folder = Path(dataset)
    if folder.is_dir():
        f = folder / CONFIG_FILES[name]
        if not f.is_file():
            raise ReleaseFormatError(f"{f}: missing (config {name}); the folder has "
                                     f"{sorted(p.name for p in folder.glob('*.parquet'))}")
        ds = load_dataset("parquet", data_files=[str(f)], split="train")
        source = str(f)
    else:
        ds = load_dataset(dataset, name, split="train", revision=revision)
        source = f"{dataset} ({name})"
    return check_columns(ds, source)


def check_columns(ds, source: str):
    cols = list(ds.column_names)
    if "video" not in cols and "videos" in cols:  # the Ai2 mirror's name for it
        ds = ds.rename_column("videos", "video")
        cols = list(ds.column_names)
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        raise ReleaseFormatError(f"{source}: no column {', '.join(missing)}; columns found: {', '.join(cols)} "
                                 f"(expected {', '.join(REQUIRED)} plus optional {', '.join(OPTIONAL)})")
    if len(ds) == 0:
        raise ReleaseFormatError(f"{source}: no rows")
    turns = ds[0]["conversations"]
    if not isinstance(turns, list) or not turns or not isinstance(turns[0], dict) or \
            not {"from", "value"} <= set(turns[0]):
        found = sorted(turns[0]) if isinstance(turns, list) and turns and isinstance(turns[0], dict) else type(turns).__name__
        raise ReleaseFormatError(f"{source}: column conversations holds {found}, expected a list of "
                                 "{from, value} turns")
    return ds


def to_chat(row: dict, recipe) -> dict:
    """One release row -> {messages, video, question_type, fmt} (messages None when unusable)."""
    from train.recipe import parse_options, qa_messages

    turns = row["conversations"] or []
    human = next((t.get("value") for t in turns if t.get("from") == "human"), None)
    gpt = next((t.get("value") for t in turns if t.get("from") == "gpt"), None)
    fmt = row.get("fmt")
    if not human or gpt is None or not row.get("video"):
        return {"messages": None, "video": row.get("video"), "question_type": row.get("question_type"), "fmt": fmt}
    text = PLACEHOLDER.sub("", human).strip()
    question, options = parse_options(text)
    is_mc = fmt == "mc" or (fmt is None and bool(options))
    if recipe.prompt_profile == "vsibench":
        question = question.removeprefix("These are frames of a video.").strip()
        messages = qa_messages(question, options if is_mc else None, str(gpt), recipe)
    else:  # the human text as released
        from train.recipe import mc_answer

        answer = mc_answer(str(gpt), options, recipe.mc_answer_format) if is_mc else str(gpt)
        messages = [{"role": "user", "content": [{"type": "video"}, {"type": "text", "text": text}]},
                    {"role": "assistant", "content": [{"type": "text", "text": answer}]}]
    return {"messages": messages, "video": row["video"], "question_type": row.get("question_type"), "fmt": fmt}


def as_chat(ds, recipe, video_root: str | Path):
    """Release rows -> chat rows with `video` as a path under `video_root` (checked to exist)."""
    keep = [c for c in ("question_type", "fmt") if c in ds.column_names]
    out = ds.map(lambda r: to_chat(r, recipe), remove_columns=[c for c in ds.column_names if c not in keep])
    bad = sum(m is None for m in out["messages"])
    if bad:
        logger.warning("skipped %d of %d release rows without a human question, gpt answer or video", bad, len(out))
        out = out.filter(lambda m: m is not None, input_columns=["messages"])
    root = Path(video_root)
    videos = sorted(set(out["video"]))
    missing = [v for v in videos if not (root / v).is_file()]
    if missing:
        raise FileNotFoundError(f"--video_root {root}: {len(missing)} of {len(videos)} videos missing, e.g. "
                                f"{root / missing[0]} (extract the release's *_shard_*.tar.zst there)")
    return out
