"""`simsv build --preset demo --out DIR`: from nothing to a loadable Hub folder in one command.

    DIR/corpus     houses, walkthroughs, QA records, mixes     (simsv generate, qa, mix)
    DIR/sims-vsi   the Hub folder                              (simsv export)

and a closing `load_dataset(DIR/sims-vsi, "3q")` with a summary. Every stage resumes: a rerun
after an interruption picks up where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class Preset:
    houses: int
    trajectories: int
    width: int = 680
    height: int = 384
    mix_size: int | None = None  # train records of each weighted mix (None: as many as fit)
    camera: str = "handheld"  # camera profile (docs/realism.md: handheld films like the benchmark's real scans)
    note: str = ""


PRESETS = {
    # two houses, one walkthrough each: ~5 minutes on a 2-core CPU machine
    "demo": Preset(houses=2, trajectories=1, note="a look at everything, in minutes"),
    # the SIMS-V paper's generation: 1,500 houses x 2 walkthroughs at 680x384, then a 25k 3Q mix
    "paper": Preset(houses=1500, trajectories=2, mix_size=25_000,
                    note="the paper's scale: days of CPU rendering; use --shard or a GPU machine"),
}


def build(preset: str, out: Path, seed: int = 0, workers: int = 1, show_progress: bool = True,
          ray_address: str | None = None, **overrides) -> str:
    from builder.config import BuildConfig, CaptureConfig, RenderConfig
    from builder.pipeline import generate
    from builder.qa.config import QAConfig
    from builder.qa.run import generate_corpus_qa, write_mixes
    from builder.stats import write_stats
    from simsv_vsi.export import EXPORTED_MIXES, export_folder

    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
    p = replace(PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None})
    out = Path(out)
    corpus, folder = out / "corpus", out / "sims-vsi"
    cfg = BuildConfig(houses=p.houses, seed=seed,
                      capture=CaptureConfig(width=p.width, height=p.height, trajectories_per_house=p.trajectories,
                                            camera=p.camera, render=RenderConfig()))
    gen = generate(cfg, corpus, show_progress=show_progress, ray_address=ray_address)
    if gen.failed and not (gen.built or gen.skipped):
        raise RuntimeError(f"{corpus}: no house could be built (see {corpus / 'failures'})")
    qa = generate_corpus_qa(corpus, QAConfig(seed=seed), show_progress=show_progress, workers=workers)
    write_mixes(corpus, list(EXPORTED_MIXES), p.mix_size, seed)
    write_stats(corpus)  # for the dataset card
    export_folder(corpus, folder)
    return summary(folder, qa.records)


def summary(folder: Path, n_records: int) -> str:
    """Load the folder back the way users will, and say what is in it."""
    import tempfile

    from datasets import Video, load_dataset

    # a cache of its own: `datasets` keys a local folder's cache by folder name and config, so
    # another sims-vsi folder loaded before (other videos, other split sizes) would be reused
    # or, with force_redownload, fail the split-size check against its sizes
    with tempfile.TemporaryDirectory() as cache:
        ds = load_dataset(str(folder), "3q", cache_dir=cache)
        splits = ", ".join(f"{k} {v.num_rows}" for k, v in ds.items())
        first = next(iter(ds.values())).cast_column("video", Video(decode=False))
        example = first[0] if first.num_rows else None
        del ds, first  # their Arrow files live in the cache about to go
    lines = [f"built {folder}: {n_records} QA records; load_dataset(\"{folder}\", \"3q\") -> {splits}"]
    if example:
        lines.append(f"  e.g. [{example['question_type']}] {example['question'].splitlines()[0]}"
                     f" -> {example['answer']} ({example['answer_value']})")
    return "\n".join(lines)
