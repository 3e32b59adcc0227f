"""The Hub folder: what `load_dataset("simsv/sims-vsi", "3q")` reads.

Layout (a `datasets` VideoFolder; no loading script, which datasets >= 4 would not run):

    README.md                          YAML `configs:` + the dataset card
    ATTRIBUTION.md                     creators of the CC-BY furniture models in the videos
    data/videos/<video_id>.mp4         every video once (walkthroughs and room clips)
    data/qa_<mix>_<split>.parquet      one row per question; `file_name` = videos/<video_id>.mp4

Weighted mixes (`3q`, `vsi_baseline`), `dynamic` and `all` have their own files; one config per question
type (and per type and format for numeric types, e.g. `object_abs_distance_oe`) reads the
`all` files through YAML filters. The folder is written beside its final
place and renamed into it, so a failed export leaves nothing half-written.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa

from simsv_vsi.cards import dataset_card
from simsv_vsi.mixes import GROUP_MIXES, SPLITS, WEIGHTED_MIXES
from simsv_vsi.question_types import QUESTION_TYPES
from simsv_vsi.records import read_records, write_records

DEFAULT_CONFIG = "3q"
EXPORTED_MIXES = (*WEIGHTED_MIXES, *GROUP_MIXES, "all")


def _qa_file(mix: str, split: str) -> str:
    return f"qa_{mix}_{split}.parquet"


def _with_file_name(table: pa.Table) -> pa.Table:
    """The corpus path `video` becomes `file_name` (relative to data/), which the VideoFolder
    loader turns into the decodable `video` column."""
    names = [f"videos/{v}.mp4" for v in table["video_id"].to_pylist()]
    return table.drop_columns(["video"]).append_column("file_name", pa.array(names, pa.string()))


def _yaml_configs(counts: dict[str, dict[str, int]]) -> list[dict]:
    """The `configs:` entries: one per exported mix, one per question type (filtering `all`)."""
    def data_files(mix):
        return [{"split": s, "path": ["data/videos/*.mp4", f"data/{_qa_file(mix, s)}"]} for s in SPLITS if counts[mix][s]]

    configs = []
    for mix in EXPORTED_MIXES:
        if not any(counts[mix].values()):
            continue
        c = {"config_name": mix, "data_files": data_files(mix),
             "metadata_filenames": [_qa_file(mix, s) for s in SPLITS if counts[mix][s]]}
        if mix == DEFAULT_CONFIG:
            c["default"] = True
        configs.append(c)
    meta = [_qa_file("all", s) for s in SPLITS if counts["all"][s]]
    for qtype, qt in QUESTION_TYPES.items():
        if not counts["by_type"].get(qtype):
            continue
        configs.append({"config_name": qtype, "data_files": data_files("all"), "metadata_filenames": meta,
                        "filters": [["question_type", "==", qtype]]})
        if len(qt.formats) > 1:  # numeric types: open-ended and multiple-choice on their own too
            for fmt in qt.formats:
                if counts["by_type_format"].get(f"{qtype}/{fmt}"):
                    configs.append({"config_name": f"{qtype}_{fmt}", "data_files": data_files("all"),
                                    "metadata_filenames": meta,
                                    "filters": [["question_type", "==", qtype], ["format", "==", fmt]]})
    return configs


def _yaml(obj, indent: int = 0) -> str:
    """Minimal YAML for the nested lists/dicts/strings/bools of the card header (no PyYAML)."""
    pad = " " * indent
    if isinstance(obj, dict):
        out = []
        for k, v in obj.items():
            if isinstance(v, (dict, list)) and v:
                out.append(f"{pad}{k}:\n{_yaml(v, indent + 2)}")
            else:
                out.append(f"{pad}{k}: {_scalar(v)}")
        return "\n".join(out)
    lines = []
    for v in obj:
        if isinstance(v, dict):
            body = _yaml(v, indent + 2).lstrip()
            lines.append(f"{pad}- {body}")
        elif isinstance(v, list):
            lines.append(f"{pad}- {json.dumps(v)}")
        else:
            lines.append(f"{pad}- {_scalar(v)}")
    return "\n".join(lines)


def _scalar(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return json.dumps(v)
    return json.dumps(v) if isinstance(v, str) and (not v or any(c in v for c in ":#[]{},*&!|>'\"%@`")) else str(v)


def export_folder(corpus: Path, out: Path, repo_id: str = "simsv/sims-vsi") -> dict:
    """Write the Hub folder for `corpus` (after `simsv qa` and `simsv mix`) at `out`, its card
    filled with the build's statistics; returns the row counts per config and split."""
    corpus, out = Path(corpus), Path(out)
    mixes = corpus / "qa" / "mixes"
    manifest_path = mixes / "manifest.json"
    if not manifest_path.exists():
        raise FileNotFoundError(f"{manifest_path}: no mixes; run `simsv mix --corpus {corpus}` first")
    manifest = json.loads(manifest_path.read_text())
    tables, counts, videos = {}, {"by_type": {}, "by_type_format": {}}, {}
    for mix in EXPORTED_MIXES:
        counts[mix] = {}
        for split in SPLITS:
            path = mixes / mix / f"{split}.parquet"
            if not path.exists():
                raise FileNotFoundError(f"{path}: missing; run `simsv mix --corpus {corpus} --mix {' '.join(EXPORTED_MIXES)}`")
            records = read_records(path)
            for vid, rel, a, b, fps in zip(*(records[c].to_pylist() for c in
                                             ("video_id", "video", "frame_start", "frame_end", "fps"))):
                videos[vid] = (rel, b - a, fps)
            tables[mix, split] = _with_file_name(records)
            counts[mix][split] = records.num_rows
    for split in SPLITS:
        t = tables["all", split]
        for q, f in zip(t["question_type"].to_pylist(), t["format"].to_pylist()):
            counts["by_type"][q] = counts["by_type"].get(q, 0) + 1
            counts["by_type_format"][f"{q}/{f}"] = counts["by_type_format"].get(f"{q}/{f}", 0) + 1

    for vid, (rel, _, _) in videos.items():
        if not (corpus / rel).is_file():
            raise FileNotFoundError(f"{corpus / rel}: video of {vid} missing (field `video` of the QA records)")

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        (tmp / "data" / "videos").mkdir(parents=True)
        for vid, (rel, _, _) in sorted(videos.items()):
            shutil.copyfile(corpus / rel, tmp / "data" / "videos" / f"{vid}.mp4")
        for (mix, split), t in tables.items():
            if t.num_rows:
                (tmp / "data" / _qa_file(mix, split)).write_bytes(write_records(t))  # fixed writer settings
        if (corpus / "ATTRIBUTION.md").exists():
            shutil.copyfile(corpus / "ATTRIBUTION.md", tmp / "ATTRIBUTION.md")
        header = {"license": "cc-by-4.0", "task_categories": ["visual-question-answering"],
                  "tags": ["spatial-reasoning", "video", "synthetic", "vsi-bench"],
                  "configs": _yaml_configs(counts)}
        card = dataset_card(corpus, counts, {v: (n, fps) for v, (_, n, fps) in videos.items()}, repo_id)
        (tmp / "README.md").write_text(f"---\n{_yaml(header)}\n---\n\n{card}")
        (tmp / "export.json").write_text(json.dumps({"counts": counts, "houses": manifest["houses"],
                                                     "seed": manifest["seed"], "videos": len(videos)},
                                                    indent=1, sort_keys=True) + "\n")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return counts

