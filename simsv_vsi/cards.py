"""Cards filled with the real statistics of a build (templates in cards/)."""

from __future__ import annotations

import json
from pathlib import Path

from simsv_vsi.mixes import SPLITS

CARDS_DIR = Path(__file__).resolve().parent.parent / "cards"


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def dataset_card(corpus: Path, counts: dict, videos: dict[str, tuple[int, float]], repo_id: str) -> str:
    """`videos`: video id -> (frames, fps). `counts`: config -> split -> rows, plus "by_type"."""
    corpus = Path(corpus)
    build = json.loads((corpus / "build_config.json").read_text())
    qa_cfg = json.loads((corpus / "qa" / "qa_config.json").read_text())
    manifest = json.loads((corpus / "qa" / "mixes" / "manifest.json").read_text())
    cap = build["capture"]
    houses = {h for hs in manifest["houses"].values() for h in hs}
    held = len(manifest["houses"].get("validation", [])) + len(manifest["houses"].get("test", []))
    clips = sum(1 for v in videos if "_room" in v)
    seconds = sum(n / fps for n, fps in videos.values())
    configs = [c for c in counts if not c.startswith("by_type")]
    stats_path = corpus / "stats.json"  # written by `simsv stats` (builder/stats.py)
    realism = (json.loads(stats_path.read_text())["table_md"] if stats_path.exists()
               else f"Not measured: run `simsv stats --corpus {corpus.name}` before exporting.")
    return (CARDS_DIR / "dataset_card.md").read_text().format(
        houses=len(houses), held_out=held, videos=len(videos), walkthroughs=len(videos) - clips, clips=clips,
        hours=f"{seconds / 3600:.2f}", width=cap["width"], height=cap["height"], fps=cap["fps"],
        camera=_camera_text(cap), camera_profile=cap.get("camera", "fixed"), realism=realism,
        gen_houses=build["houses"], gen_seed=build["seed"], trajectories=cap["trajectories_per_house"],
        qa_seed=qa_cfg["seed"], mix_seed=manifest["seed"], repo_id=repo_id,
        counts_table=_table(["config", *SPLITS], [[c, *(counts[c][s] for s in SPLITS)] for c in configs]),
        types_table=_table(["question type", "questions"], sorted(counts["by_type"].items())))


def _camera_text(cap: dict) -> str:
    """The camera profile in words (builder/capture/camera.py; "fixed" when build_config.json names none)."""
    profile = cap.get("camera", "fixed")
    if profile == "handheld":
        return ("handheld: horizontal field of view drawn per video from 55-72 degrees, height 1.3-1.7 m with a "
                "walking bob, pitch following what is looked at, slight roll; walks round each room")
    if profile == "paper":
        return (f"SIMS-V's AI2-THOR camera: vertical field of view {cap['vfov_deg']} degrees (+-1 per video), "
                "pitch -27 degrees (+-2 per video), 1.5 m; turns on the spot in each room")
    return f"fixed: vertical field of view {cap['vfov_deg']} degrees, pitch -12 degrees, 1.5 m; turns on the spot in each room"


def model_card(name: str, base_model: str, dataset: str, config: str, frames: int, hyperparameters: dict,
               results: dict | None = None, license: str = "apache-2.0") -> str:
    """The card written beside a fine-tuned checkpoint: base model, data, hyperparameters and,
    when there are any, evaluation scores (name -> value)."""
    hp = "\n".join(f"| {k} | {v} |" for k, v in hyperparameters.items())
    res = _table(["benchmark", "score"], sorted(results.items())) if results else "Not evaluated yet."
    return (CARDS_DIR / "model_card.md").read_text().format(
        name=name, base_model=base_model, dataset=dataset, config=config, frames=frames,
        hyperparameters=hp, results=res, license=license)
