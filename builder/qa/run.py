"""The QA stage over a corpus (`simsv qa`): geometry, room clips, then records.

Per house, `geometry.npz` (exact mesh distances) and per trajectory `clips/` (room clip
videos) are computed once and kept, like any finished stage. The records of the whole corpus
go to OUT/qa/records.parquet with the config that made them and the rejection counts.
"""

from __future__ import annotations

import gc
import json
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

from builder.houses.spec import House
from builder.io import npz_bytes, read_npz, write_bytes_atomic, write_text_atomic
from builder.qa.balance import balance_answers
from builder.qa.clips import cut_clips
from builder.qa.config import QAConfig
from builder.qa.engine import trajectory_records
from builder.qa.fork_map import fork_map
from builder.qa.gc_pause import gc_paused
from builder.qa.types.common import Rejections
from builder.qa.view import load_view, room_run_ends
from simsv_vsi.question_types import question_type
from simsv_vsi.mixes import SPLITS, sample_mix, split_houses
from simsv_vsi.records import QARecord, read_records, records_table, write_records
from simsv_vsi.folder_lock import locked_folder
from simsv_vsi.integrity import CorruptFile, read_json

GEOMETRY_VERSION = 2
"""2: per trajectory, the pixels of every room's floor per frame (floor_px_<traj>)."""


def finished_houses(corpus: Path, check: bool = True) -> list[Path]:
    """The corpus's finished houses; with `check`, each passes the cheap checks of its DONE record
    (pipeline.check_house), or this raises naming the damaged file."""
    from builder.pipeline import check_house

    corpus = Path(corpus)
    if not (corpus / "build_config.json").exists():
        raise FileNotFoundError(f"{corpus}: not a corpus (no build_config.json); run `simsv generate` first")
    read_json(corpus / "build_config.json")
    houses = sorted(p.parent for p in (corpus / "houses").glob("house_*/DONE"))
    if check:
        for h in houses:
            check_house(h)
    return houses


def corpus_video_kbps(corpus: Path) -> int:
    """The bitrate the corpus's videos were encoded at (`--video-kbps`; 0: crf 23), for its clips."""
    from builder.config import BuildConfig

    return BuildConfig.from_json(read_json(Path(corpus) / "build_config.json")).capture.video_kbps


def trajectories(house_dir: Path) -> list[Path]:
    return sorted(p.parent for p in house_dir.glob("traj_*/DONE"))


def ensure_geometry(house_dir: Path, load_mesh) -> dict:
    """geometry.npz: instance ids, the (N, N) surface distance matrix, and per trajectory the
    distances from the camera to every object at the last frame of each room run (every
    clip's last frame, and the walkthrough's)."""
    path = house_dir / "geometry.npz"
    if path.exists():
        try:
            arrays = read_npz(path)
            if arrays["version"].item() == GEOMETRY_VERSION:
                return arrays
        except (zipfile.BadZipFile, ValueError, KeyError, EOFError):
            pass  # damaged: a cache of the house's geometry, so computed again
    from builder.qa.geometry import house_geometry  # heavy: only when something is missing

    house = House.load(house_dir / "house.json")
    points, spans = [], {}
    for t in trajectories(house_dir):
        f = pq.read_table(t / "frames.parquet", columns=["x", "y", "z", "room_id"])
        ends = room_run_ends(f["room_id"].to_pylist())
        xyz = np.stack([f[c].to_numpy() for c in "xyz"], axis=1)[ends]
        spans[t.name] = (ends, len(points), len(points) + len(ends))
        points.extend(xyz)
    g = house_geometry(house, load_mesh, np.array(points).reshape(-1, 3) if points else None)
    arrays = {"version": np.array(GEOMETRY_VERSION), "instance_ids": g.instance_ids, "distance": g.distances}
    for name, (ends, a, b) in spans.items():
        arrays[f"ego_frames_{name}"] = ends.astype(np.int64)
        arrays[f"ego_dist_{name}"] = g.camera_distances[a:b]
    for t in trajectories(house_dir):
        arrays[f"floor_px_{t.name}"] = floor_pixels(t / "masks.npz", len(house.rooms))
    write_bytes_atomic(path, npz_bytes(arrays))
    return arrays


def floor_pixels(masks_path: Path, n_rooms: int) -> np.ndarray:
    """(frames, rooms) int32: pixels of each room's floor (instance FLOOR_ID_BASE + room index)
    in each frame's instance mask."""
    from builder.houses.spec import FLOOR_ID_BASE
    with np.load(masks_path) as z:
        names = sorted(z.files)
        out = np.zeros((len(names), n_rooms), np.int32)
        for k, name in enumerate(names):
            counts = np.bincount(z[name].ravel(), minlength=FLOOR_ID_BASE + n_rooms)
            out[k] = counts[FLOOR_ID_BASE:FLOOR_ID_BASE + n_rooms]
    return out


@dataclass
class QASummary:
    houses: int
    trajectories: int
    records: int
    seconds: float
    by_type: dict

    def line(self, out: Path) -> str:
        return (f"{self.records} QA records from {self.trajectories} walkthroughs of {self.houses} houses "
                f"in {self.seconds:.1f} s -> {out}")


def house_records(corpus: Path, hdir: Path, cfg: QAConfig, load_mesh=None, types=None,
                  formats: tuple[str, ...] = ("oe", "mc"), clips: bool = True) -> tuple[list[QARecord], Rejections, int]:
    """Geometry (once), room clips (once) and the records of every trajectory of one house."""
    # The cyclic collector is paused for the house: records and views are thousands of small
    # objects with no cycles, and a collection would walk them all. What cycles the one-off
    # stages make (meshes, video) are freed when it resumes, one house's worth at most.
    with gc_paused():
        return _house_records(corpus, hdir, cfg, load_mesh, types, formats, clips)  # its locals go first


def _house_records(corpus, hdir, cfg, load_mesh, types, formats, clips):
    if load_mesh is None:
        from builder.assets.catalog import default_catalog
        load_mesh = default_catalog().load_mesh
    stats = Rejections()
    one_off = not (hdir / "geometry.npz").exists()
    geometry = ensure_geometry(hdir, load_mesh)
    scene = read_json(hdir / "scene.json")
    records: list[QARecord] = []
    trajs = trajectories(hdir)
    for tdir in trajs:
        view = load_view(corpus, hdir, tdir, cfg, scene, geometry)
        if clips:
            one_off |= cut_clips(corpus, tdir / "video.mp4", [(s.video, s.start, s.end)
                                                              for s in (*view.room_clips, *view.room_size_clips)],
                                 view.fps, corpus_video_kbps(corpus))
        records.extend(trajectory_records(view, cfg, stats, types, formats))
        view.close()  # no cycle left behind
    if one_off:  # meshes and codecs do leave cycles, and callers may keep the collector paused
        gc.collect()
    return records, stats, len(trajs)


def generate_corpus_qa(corpus: Path, cfg: QAConfig, load_mesh=None, types: list[str] | None = None,
                       formats: tuple[str, ...] = ("oe", "mc"), clips: bool = True,
                       show_progress: bool = True, workers: int = 1) -> QASummary:
    """Every house's records, in house order whatever the worker count (same bytes)."""
    corpus = Path(corpus)
    types = [question_type(t).name for t in types] if types else None
    houses = finished_houses(corpus)
    if not houses:
        raise FileNotFoundError(f"{corpus / 'houses'}: no finished house (no house_*/DONE)")
    if not any(trajectories(h) for h in houses):
        raise ValueError(f"{corpus}: its houses have no finished walkthrough (no houses/*/traj_*/DONE); nothing to ask about")
    with locked_folder(corpus):  # one writer per corpus (clips, geometry, records)
        return _generate_corpus_qa(corpus, cfg, load_mesh, types, formats, clips, show_progress, workers, houses)


def _generate_corpus_qa(corpus, cfg, load_mesh, types, formats, clips, show_progress, workers, houses) -> QASummary:
    t0 = time.perf_counter()
    stats = Rejections()
    records: list[QARecord] = []
    n_traj = 0
    jobs = [(corpus, h, cfg, load_mesh, types, formats, clips) for h in houses]
    by_house: list = [None] * len(jobs)
    # Records hold no reference cycles, so the cyclic collector, which would walk every record
    # made or unpickled so far, stays paused while they are made, gathered and balanced.
    with gc_paused():
        for i, result in tqdm(fork_map(house_records, jobs, workers), total=len(jobs), desc="qa", unit="house",
                              disable=not show_progress):
            by_house[i] = result
        for recs, house_stats, nt in by_house:  # house order, whoever made them: the same bytes
            records.extend(recs)
            stats.counts.update(house_stats.counts)
            n_traj += nt
        records, dropped = balance_answers(records, cfg.seed)
        del by_house
    for qtype, n in dropped.items():
        stats(qtype, "answer_class_balanced", n)
    if not records:
        raise ValueError(f"{corpus}: 0 QA records from {n_traj} walkthroughs (see the rejection counts with -v, "
                         f"or raise --questions-per-type / --questions-per-room); nothing written")
    out = corpus / "qa"
    write_bytes_atomic(out / "records.parquet", write_records(records_table(records)))
    write_text_atomic(out / "qa_config.json", json.dumps(cfg.to_dict(), indent=1, sort_keys=True) + "\n")
    write_text_atomic(out / "rejections.json", json.dumps(dict(sorted(stats.counts.items())), indent=1) + "\n")
    by_type: dict[str, int] = {}
    for r in records:
        k = f"{r.question_type}:{r.format}"
        by_type[k] = by_type.get(k, 0) + 1
    return QASummary(len(houses), n_traj, len(records), time.perf_counter() - t0, dict(sorted(by_type.items())))


def load_qa_config(path: Path | None, **overrides) -> QAConfig:
    """QAConfig from an optional JSON file (errors name the file and field), then CLI overrides."""
    d = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"--config {path}: no such file")
        d = read_json(path)
        try:
            cfg = QAConfig.from_dict(d)
        except (ValueError, TypeError) as e:
            raise ValueError(f"{path}: {e}") from None
        d = cfg.to_dict()
    d.update({k: v for k, v in overrides.items() if v is not None})
    return QAConfig.from_dict(d)


def write_mixes(corpus: Path, names: list[str], size: int | None, seed: int,
                validation: float = 0.05, test: float = 0.05) -> dict:
    """OUT/qa/mixes/<mix>/<split>.parquet for each mix and split, and manifest.json with the
    counts and the held-out houses. The train split gets `size` records (None: as many as the
    proportions allow); held-out splits take as many as their houses allow."""
    corpus = Path(corpus)
    path = corpus / "qa" / "records.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no QA records; run `simsv qa --corpus {corpus}` first")
    if validation + test >= 1:
        raise ValueError(f"--validation {validation:g} + --test {test:g}: the held-out fractions must sum to less than 1")
    with locked_folder(corpus):
        return _write_mixes(corpus, path, names, size, seed, validation, test)


def _write_mixes(corpus, path, names, size, seed, validation, test) -> dict:
    try:
        records = read_records(path)
    except Exception as e:  # noqa: BLE001 - pyarrow's errors name no file
        raise CorruptFile(f"{path}: not a readable QA records parquet ({e})") from None
    split_of = split_houses(records["house_id"].to_pylist(), seed, validation, test)
    house_split = [split_of[h] for h in records["house_id"].to_pylist()]
    manifest = {"seed": seed, "houses": {s: sorted(h for h, v in split_of.items() if v == s) for s in SPLITS},
                "mixes": {}}
    tables = {}  # everything is sampled before anything is written: no partial output
    for name in names:
        for split in SPLITS:
            rows = records.filter(pc.equal(pa.array(house_split), split))
            tables[name, split] = sample_mix(name, rows, size if split == "train" else None, seed)
        manifest["mixes"][name] = {split: tables[name, split].num_rows for split in SPLITS}
    for (name, split), table in tables.items():
        write_bytes_atomic(corpus / "qa" / "mixes" / name / f"{split}.parquet", write_records(table))
    write_text_atomic(corpus / "qa" / "mixes" / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest

