"""The Hub folder: what `load_dataset("simsv/sims-vsi", "3q")` reads.

Layout (a `datasets` VideoFolder; no loading script, which datasets >= 4 would not run):

    README.md                          YAML `configs:` + the dataset card
    ATTRIBUTION.md                     creators of the CC-BY furniture models in the videos
    data/videos/<video_id>.mp4         every video once (walkthroughs and room clips)
    data/qa_<mix>_<split>.parquet      one row per question; `file_name` = videos/<video_id>.mp4

Weighted mixes (`3q`, `vsi_baseline`), `dynamic` and `all` have their own files; one config per question
type (and per type and format for numeric types, e.g. `object_abs_distance_oe`) reads the
`all` files through YAML filters.

What export may touch (it never deletes what it did not write): `--out` must not be, hold or lie
inside the corpus, and must be missing, empty, or a previous export (its `export.json` says so and
it holds nothing else but what an export writes). The new folder is written beside its final
place (`.<out>.simsv-export.XXXX`), every video checked against the digest its `DONE` record
holds (or decoded, for corpora made before digests), and swapped in with one atomic rename
(renameat2 RENAME_EXCHANGE; two renames where the file system lacks it). Temp folders a killed
export left are removed by the next export to the same place, under the same lock.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa

from simsv_vsi.cards import dataset_card
from simsv_vsi.folder_lock import folder_lock
from simsv_vsi.integrity import CHUNK, CorruptFile, check_digest, read_json
from simsv_vsi.mixes import GROUP_MIXES, SPLITS, WEIGHTED_MIXES
from simsv_vsi.question_types import QUESTION_TYPES
from simsv_vsi.records import read_records, write_records

DEFAULT_CONFIG = "3q"
EXPORTED_MIXES = (*WEIGHTED_MIXES, *GROUP_MIXES, "all")
EXPORT_FORMAT = "simsv-export/1"
"""`export.json`'s `format`: the marker that a folder is an export, which a later export may replace."""
EXPORT_ENTRIES = {"README.md", "ATTRIBUTION.md", "export.json", "data", ".cache"}
"""What an export folder may hold at its top level (`.cache`: huggingface_hub's upload state)."""
TEMP_TAG = "simsv-export"


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


def check_out(corpus: Path, out: Path) -> None:
    """Refuse an `out` that export could not replace without destroying something it did not write."""
    c, o = Path(corpus).resolve(), Path(out).resolve()
    if o == c:
        raise ValueError(f"--out {out}: is the corpus itself; choose a folder outside {corpus}")
    if o in c.parents:
        raise ValueError(f"--out {out}: holds the corpus {corpus}, which replacing it would delete; choose another folder")
    if c in o.parents:
        raise ValueError(f"--out {out}: lies inside the corpus {corpus}; choose a folder outside it")
    if not o.exists() and not o.is_symlink():
        return
    if o.is_symlink() or not o.is_dir():
        raise ValueError(f"--out {out}: exists and is not a folder; export writes a folder there")
    entries = sorted(p.name for p in o.iterdir())
    if not entries:
        return
    marker = o / "export.json"
    is_export = False
    if marker.is_file():
        try:
            is_export = "counts" in read_json(marker)
        except CorruptFile:
            pass
    if not is_export:
        raise ValueError(f"--out {out}: not empty and not a previous `simsv export` (no export.json); "
                         f"choose an empty or new folder (it holds {', '.join(entries[:3])}{', ...' if len(entries) > 3 else ''})")
    foreign = [e for e in entries if e not in EXPORT_ENTRIES]
    data = o / "data"
    if data.is_dir():
        foreign += [f"data/{p.name}" for p in sorted(data.iterdir())
                    if not (p.name == "videos" and p.is_dir()) and not re.fullmatch(r"qa_.+\.parquet", p.name)]
    if foreign:
        raise ValueError(f"--out {out}: a previous export, but it also holds {', '.join(foreign[:3])}"
                         f"{', ...' if len(foreign) > 3 else ''}, which export did not write; move them out first")


def _remove_stale_temps(out: Path) -> None:
    """Temp folders of killed exports to `out` (called under its lock: none is in use)."""
    for p in out.parent.glob(f".{glob_escape(out.name)}.*"):
        ours = re.fullmatch(rf"\.{re.escape(out.name)}\.{TEMP_TAG}\.[a-z0-9_]+(\.old)?", p.name)
        # exports before the tag used mkdtemp's `.<out>.XXXXXXXX`; remove those only if they hold an export's files
        legacy = re.fullmatch(rf"\.{re.escape(out.name)}\.[a-z0-9_]{{8}}", p.name) and p.is_dir() and \
            {e.name for e in p.iterdir()} <= EXPORT_ENTRIES
        if p.is_dir() and not p.is_symlink() and (ours or legacy):
            shutil.rmtree(p, ignore_errors=True)


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def _vouched(corpus: Path, rel: str) -> tuple[dict | None, Path]:
    """The {size, sha256} the DONE record beside a corpus video holds for it (None: an older corpus)."""
    path = corpus / rel
    done = path.parent / "DONE"
    try:
        record = read_json(done)
    except (CorruptFile, FileNotFoundError):
        return None, done
    if path.name in record.get("files", {}):  # a walkthrough's DONE
        return record["files"][path.name], done
    for clip in record.get("clips", []):  # a clips folder's DONE
        if clip.get("video") == rel:
            return clip, done
    return None, done


def _copy_video(corpus: Path, rel: str, dest: Path, frames: int) -> None:
    """Copy a corpus video, checking the bytes copied against its DONE digest (or decoding it)."""
    import hashlib

    src = corpus / rel
    h = hashlib.sha256()
    with open(src, "rb") as f, open(dest, "wb") as g:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            g.write(chunk)
    record, done = _vouched(corpus, rel)
    if record is not None:
        check_digest(src, record, done, h.hexdigest())
    else:
        _check_decodes(src, frames)


def _check_decodes(path: Path, frames: int) -> None:
    """Decode every frame (for videos no DONE digest vouches for); needs PyAV, skipped without it."""
    try:
        import av
    except ImportError:
        return
    n = 0
    try:
        with av.open(str(path)) as c:
            for n, _ in enumerate(c.decode(video=0), start=1):
                pass
    except (av.error.FFmpegError, ValueError) as e:
        raise CorruptFile(f"{path}: does not decode ({e}); damaged video") from None
    if n < frames:
        raise CorruptFile(f"{path}: decodes to {n} frames, the QA records use {frames} (truncated video)")


def _swap_in(tmp: Path, out: Path) -> None:
    """Put the finished folder `tmp` at `out`; an existing `out` ends up at `tmp` (to be deleted)."""
    if not out.exists():
        os.rename(tmp, out)
        return
    if _rename_exchange(tmp, out):
        return
    old = tmp.with_name(tmp.name + ".old")  # no atomic swap here: two renames, the old kept until the new is in
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)
        raise
    os.rename(old, tmp)


def _rename_exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def export_folder(corpus: Path, out: Path, repo_id: str = "simsv/sims-vsi") -> dict:
    """Write the Hub folder for `corpus` (after `simsv qa` and `simsv mix`) at `out`, its card
    filled with the build's statistics; returns the row counts per config and split."""
    corpus, out = Path(corpus), Path(out)
    check_out(corpus, out)
    mixes = corpus / "qa" / "mixes"
    manifest_path = mixes / "manifest.json"
    if not manifest_path.exists():
        raise FileNotFoundError(f"{manifest_path}: no mixes; run `simsv mix --corpus {corpus}` first")
    manifest = read_json(manifest_path)
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
    with folder_lock(out.parent / f".{out.name}.simsv-lock", out):
        check_out(corpus, out)  # again, under the lock
        _remove_stale_temps(out)
        try:
            _write_export(corpus, out, repo_id, manifest, tables, counts, videos)
        except OSError as e:
            if e.filename is None:  # write() errors (no space) name no file: name the folder
                raise OSError(e.errno, e.strerror, str(out)) from None
            raise
    return counts


def _write_export(corpus, out, repo_id, manifest, tables, counts, videos) -> None:
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.{TEMP_TAG}."))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it 0700; the folder should follow the umask like its files
    try:
        (tmp / "data" / "videos").mkdir(parents=True)
        for vid, (rel, frames, _) in sorted(videos.items()):
            _copy_video(corpus, rel, tmp / "data" / "videos" / f"{vid}.mp4", frames)
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
        (tmp / "export.json").write_text(json.dumps({"format": EXPORT_FORMAT, "counts": counts,
                                                     "houses": manifest["houses"], "seed": manifest["seed"],
                                                     "videos": len(videos)}, indent=1, sort_keys=True) + "\n")
        _swap_in(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # the unfinished folder, or the replaced export


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

