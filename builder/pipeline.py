"""The `generate` stage: houses -> walkthrough captures, resumable and shardable.

Corpus layout (docs/capture-format.md):
  OUT/build_config.json
  OUT/houses/house_000007/house.json     the house spec
  OUT/houses/house_000007/scene.json     scene metadata for QA
  OUT/houses/house_000007/traj_00/...    one walkthrough (see capture/walkthrough.py)
  OUT/houses/house_000007/DONE           written last, with the house's summary and the size and
                                         sha256 of house.json and scene.json (each walkthrough's
                                         DONE has those of its files); a resumed run checks them
  OUT/failures/house_000003.json         why a house failed (removed when it later succeeds)
  OUT/ATTRIBUTION.md                     creators of the CC-BY models the corpus uses
"""

from __future__ import annotations

import errno
import json
import logging
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from builder.config import BuildConfig
from builder.io import write_text_atomic
from simsv_vsi.folder_lock import generate_lock_name, locked_folder
from simsv_vsi.integrity import CorruptFile, check_digest, check_size, file_record, read_json

log = logging.getLogger(__name__)

SEED_STAGE_TRAJECTORY = 2
"""Stage tag for trajectory streams (the house stage uses 1), see builder.houses.generate."""
SEED_STAGE_STARTS = 3
"""Stage tag for choosing the start rooms of a house's trajectories."""


def parse_shard(text: str) -> tuple[int, int]:
    """'i/N' -> (i, N) with 0 <= i < N."""
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard must look like i/N (e.g. 0/4), got '{text}'") from None
    if not (n >= 1 and 0 <= i < n):
        raise ValueError(f"--shard {text}: need 0 <= i < N")
    return i, n


def house_dir(out: Path, index: int) -> Path:
    return Path(out) / "houses" / f"house_{index:06d}"


def trajectory_rng(seed: int, house_index: int, k: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, house_index, SEED_STAGE_TRAJECTORY, k]))


def start_rooms_rng(seed: int, house_index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, house_index, SEED_STAGE_STARTS]))


def check_config(out: Path, cfg: BuildConfig) -> None:
    """Write build_config.json, or refuse to resume into a folder built with other settings.
    More houses with the same settings grow the corpus: each house has its own seeded streams,
    so a grown corpus is the one a first run with the larger count would have built."""
    path = Path(out) / "build_config.json"
    new = cfg.to_json()
    if path.exists():
        old = read_json(path)
        if old == new:
            return
        grows = {**old, "houses": new.get("houses")} == new and new["houses"] > _int(old.get("houses"))
        if not grows:
            raise ValueError(
                f"{path}: this folder was built with other settings ({old}); use a new --out, the same settings, "
                f"or only a larger --houses"
            )
    write_text_atomic(path, json.dumps(new, indent=1, sort_keys=True))


def _int(v) -> int:
    return v if isinstance(v, int) else 0


HOUSE_FILES = ("house.json", "scene.json")
ENVIRONMENT_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}
"""Errors of the machine, not of a house: they stop the run (recording them per house would fail
the same way, and every further house too)."""


def check_house(hdir: Path) -> None:
    """The cheap checks that a finished house is still what its DONE records say: DONE and the
    JSON files parse, the small files' digests, every walkthrough file's size. Raises
    CorruptFile naming the broken file."""
    done = hdir / "DONE"
    record = read_json(done)
    files = record.get("files", {})
    for name in HOUSE_FILES:
        if name in files:
            check_digest(hdir / name, files[name], done)
        else:  # a house finished before DONE held digests: at least the JSON must parse
            read_json(hdir / name)
    for t in record.get("trajectories", []):
        tdone = hdir / str(t.get("trajectory")) / "DONE"
        if not tdone.is_file():
            raise CorruptFile(f"{tdone}: missing, but {done} lists this walkthrough")
        for name, rec in read_json(tdone).get("files", {}).items():
            check_size(tdone.parent / name, rec, tdone)


@dataclass
class RunSummary:
    built: int = 0
    skipped: int = 0
    failed: int = 0
    frames: int = 0
    seconds: float = 0.0

    def line(self, out: Path) -> str:
        fps = self.frames / self.seconds if self.seconds > 0 else 0.0
        return (
            f"generate: {self.built} houses built, {self.skipped} already done, {self.failed} failed; "
            f"{self.frames} frames in {self.seconds:.1f} s ({fps:.1f} fps) -> {out}"
        )


class HouseBuilder:
    """Builds houses one after another in this process, reusing one renderer and catalogue."""

    def __init__(self, cfg: BuildConfig, out: Path, catalog=None):
        from builder.assets.catalog import default_catalog
        from builder.capture.camera import Intrinsics
        from builder.render.backend import make_backend

        self.cfg, self.out = cfg, Path(out)
        self.catalog = catalog or default_catalog()
        c = cfg.capture
        self.intrinsics = Intrinsics(c.width, c.height, c.vfov_deg)
        self.backend = make_backend(c.backend, self.intrinsics, self.catalog, c.render)

    def build(self, index: int, progress=None) -> dict:
        """Generate, capture and mark house `index` done; returns its summary."""
        from builder.capture.occupancy import build_occupancy
        from builder.capture.camera import camera_rng, draw_camera
        from builder.capture.planner import pick_start_rooms, plan_walkthrough, planner_config_for
        from builder.capture.walkthrough import capture_walkthrough
        from builder.houses.generate import generate_house
        from builder.houses.metadata import scene_metadata
        from builder.houses.spec import House

        hdir = house_dir(self.out, index)
        spec_path = hdir / "house.json"
        if not spec_path.exists():
            if self.cfg.procthor:
                from builder.houses.procthor_import import import_house, read_procthor_houses

                data = read_procthor_houses(self.cfg.procthor)[index]
                import_house(data, index, self.cfg.seed, self.catalog, self.cfg.procthor).save(spec_path)
            else:
                generate_house(index, self.cfg.seed, self.catalog).save(spec_path)
        # always render the house as stored, so a resumed run sees exactly what a fresh one did
        house = House.load(spec_path)
        write_text_atomic(hdir / "scene.json", json.dumps(scene_metadata(house), indent=1, sort_keys=True))
        self.backend.load_house(house)
        grid = build_occupancy(house)
        c = self.cfg.capture
        starts = pick_start_rooms(house, c.trajectories_per_house, start_rooms_rng(self.cfg.seed, index))
        trajectories = []
        for k, start in enumerate(starts):
            tdir = hdir / f"traj_{k:02d}"
            done = tdir / "DONE"
            if not done.exists():
                cam = draw_camera(c.camera, c.width, c.height, c.vfov_deg, camera_rng(self.cfg.seed, index, k))
                # AI2-THOR's third-party camera takes no roll (render/thor_backend.thor_camera): none planned for it
                no_roll = {"roll_std_deg": 0.0} if c.backend == "ai2thor" else {}
                poses = plan_walkthrough(house, start, trajectory_rng(self.cfg.seed, index, k),
                                         planner_config_for(cam, c.fps, **no_roll))
                capture_walkthrough(self.backend, poses, cam.intrinsics, c.fps, tdir, grid.room_at, progress,
                                    sequence_seed=effects_seed(self.cfg.seed, index, k), video_kbps=c.video_kbps)
            trajectories.append({"trajectory": tdir.name, "start_room": start, **read_json(done)})
        summary = {
            "house_id": house.id, "rooms": len(house.rooms), "objects": len(house.objects), "trajectories": trajectories,
            "assets": sorted({o.asset_id for o in house.objects}),
            "files": {name: file_record(hdir / name) for name in HOUSE_FILES},
        }
        write_text_atomic(hdir / "DONE", json.dumps(summary, indent=1, sort_keys=True))
        return summary


def effects_seed(seed: int, house_index: int, trajectory: int) -> int:
    """The seed of a walkthrough's camera effects (sensor noise)."""
    return int(np.random.SeedSequence([seed, house_index, 3, trajectory]).generate_state(1)[0])


def generate(cfg: BuildConfig, out: Path, shard: tuple[int, int] = (0, 1), catalog=None, show_progress: bool = True,
             ray_address: str | None = None) -> RunSummary:
    """Build every house of shard i/N that is not done yet, in this process or as Ray tasks
    (`ray_address`, see builder/distributed.py); the outputs are the same bytes either way. A
    failing house is logged to OUT/failures/ and skipped; the run goes on. A finished house
    whose files no longer match its DONE record counts as failed, named, and is left alone."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    with locked_folder(out, generate_lock_name(shard)):  # one writer per corpus and shard
        return _generate(cfg, out, shard, catalog, show_progress, ray_address)


def _generate(cfg, out, shard, catalog, show_progress, ray_address) -> RunSummary:
    import time

    from tqdm import tqdm

    check_config(out, cfg)
    i, n = shard
    indices = [h for h in range(cfg.houses) if h % n == i]
    todo, broken = [], {}
    for h in indices:
        if not (house_dir(out, h) / "DONE").exists():
            todo.append(h)
            continue
        try:
            check_house(house_dir(out, h))
        except CorruptFile as e:
            broken[h] = f"{e}; delete {house_dir(out, h)} and rerun to rebuild the house"
    summary = RunSummary(skipped=len(indices) - len(todo) - len(broken))
    for index, message in broken.items():
        log.error("house %d is damaged: %s", index, message)
        print(f"simsv: house {index}: {message}", file=sys.stderr)
        write_text_atomic(out / "failures" / f"house_{index:06d}.json",
                          json.dumps({"house_index": index, "error": message, "traceback": ""}, indent=1))
        summary.failed += 1
    t0 = time.perf_counter()
    frames_bar = tqdm(desc="frames", unit="frame", disable=not show_progress, position=1, leave=False)
    if ray_address is not None and todo:
        from builder.distributed import run_on_ray

        results = run_on_ray(cfg, out, todo, ray_address)
    else:
        results = _run_here(cfg, out, todo, catalog, frames_bar.update)
    for result in tqdm(results, total=len(todo), desc="houses", unit="house", disable=not show_progress, position=0):
        index = result["index"]
        failure = out / "failures" / f"house_{index:06d}.json"
        if "error" in result:
            log.error("house %d failed: %s", index, result["error"])
            write_text_atomic(failure, json.dumps({"house_index": index, "error": result["error"],
                                                   "traceback": result["traceback"]}, indent=1))
            summary.failed += 1
            continue
        failure.unlink(missing_ok=True)
        summary.built += 1
        frames = sum(t["frames"] for t in result["summary"]["trajectories"])
        summary.frames += frames
        if ray_address is not None:
            frames_bar.update(frames)  # Ray workers report whole houses
    frames_bar.close()
    write_attribution(out)
    summary.seconds = time.perf_counter() - t0
    return summary


def _run_here(cfg: BuildConfig, out: Path, todo: list[int], catalog, progress):
    """Yield each house's result, built one after another in this process."""
    builder = HouseBuilder(cfg, out, catalog) if todo else None
    for index in todo:
        try:
            yield {"index": index, "summary": builder.build(index, progress=progress)}
        except Exception as e:  # noqa: BLE001 - one bad house must not abort the corpus
            if isinstance(e, OSError) and e.errno in ENVIRONMENT_ERRORS:
                raise  # the disk or the permissions, not the house: stop with one message
            yield {"index": index, "error": repr(e), "traceback": traceback.format_exc()}


def write_attribution(out: Path, catalog=None) -> None:
    """ATTRIBUTION.md for every model used by any finished house of the corpus."""
    from builder.assets.catalog import default_catalog

    assets = set()
    for done in sorted((Path(out) / "houses").glob("house_*/DONE")):
        try:
            assets.update(read_json(done).get("assets", []))
        except CorruptFile:
            continue  # reported as a damaged house
    (catalog or default_catalog()).write_attribution(sorted(assets), Path(out) / "ATTRIBUTION.md")
