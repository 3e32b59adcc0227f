"""A trajectory's stored ground truth as arrays the question generators query.

Reads scene.json, frames.parquet and geometry.npz (mesh distances, see `geometry_stage`) and
cuts the walkthrough into scopes: the whole video, and one clip per room holding that room's
360-degree scan. Nothing here renders or decodes video.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from builder.qa.config import QAConfig
from builder.qa.taxonomy import confusion_group, family, reference_name
from simsv_vsi.sampling import uniform_frame_indices

OBJECT_ID_MAX = 999  # instance ids above this are floors, walls and ceilings


@dataclass(frozen=True)
class SceneObject:
    index: int  # column in the visibility matrix
    instance_id: int
    category: str  # the name used for a unique reference (taxonomy.reference_name)
    family: str  # super category, the name used for counts and appearance order
    group: str  # confusion group
    room_id: str
    center: np.ndarray  # (3,) OBB centre
    size: np.ndarray  # (3,) OBB extents in the object's frame
    yaw_deg: float

    @property
    def longest_m(self) -> float:
        return float(self.size.max())

    def footprint(self, shrink: float) -> np.ndarray:
        """(5, 2) floor-plane points: the centre and the OBB footprint corners pulled toward
        the centre by `shrink` (0 = centre only, 1 = true corners)."""
        c, s = np.cos(np.radians(self.yaw_deg)), np.sin(np.radians(self.yaw_deg))
        hx, hz = self.size[0] / 2 * shrink, self.size[2] / 2 * shrink
        local = np.array([[0, 0], [-hx, -hz], [hx, -hz], [hx, hz], [-hx, hz]])
        # yaw about +y maps local (u, w) to world (c*u + s*w, -s*u + c*w), as in scene.json corners
        return np.stack([self.center[0] + c * local[:, 0] + s * local[:, 1],
                         self.center[2] - s * local[:, 0] + c * local[:, 1]], axis=1)


@dataclass
class Scope:
    """Frames [start, end) of a trajectory shown as one video."""

    view: "TrajectoryView"
    start: int
    end: int
    room_id: str | None  # the clip's room, None for the whole walkthrough
    video: str  # mp4 path relative to the corpus root
    video_id: str
    cache: dict = field(default_factory=dict)  # per-scope results shared by question types

    @property
    def num_frames(self) -> int:
        return self.end - self.start

    @cached_property
    def pixels(self) -> np.ndarray:
        return self.view.pixels[self.start:self.end]

    @cached_property
    def peak(self) -> np.ndarray:
        """(objects,) the most pixels each object covers in one frame of the scope."""
        return self.view.scope_visibility(self)[0]

    @cached_property
    def seen(self) -> np.ndarray:
        """(objects,) bool: covers >= seen_pixels in some frame of the scope."""
        return self.peak >= self.view.cfg.seen_pixels

    @cached_property
    def salient(self) -> np.ndarray:
        return self.peak >= self.view.cfg.salience_fraction * self.view.frame_pixels

    @cached_property
    def sample_indices(self) -> list[np.ndarray]:
        """Scope-relative frames the uniform sampler picks, one array per K in sample_counts."""
        return [uniform_frame_indices(self.num_frames, k) for k in self.view.cfg.sample_counts]

    @cached_property
    def sampled_ok(self) -> np.ndarray:
        """(objects,) bool: covers >= sampled_fraction of the frame in at least one of the K
        uniformly sampled frames, for every K."""
        return self.view.scope_visibility(self)[1]

    @cached_property
    def referable(self) -> np.ndarray:
        """(objects,) bool: salient and visible in every sampled frame set."""
        return self.salient & self.sampled_ok

    @cached_property
    def other_floor_peak(self) -> float | None:
        """The largest share of a frame of the scope covered by floors of rooms other than the
        scope's room (None when the view has no floor pixel counts)."""
        fp = self.view.floor_pixels
        if fp is None or self.num_frames == 0:
            return None
        others = [k for k, rid in enumerate(self.view.room_order) if rid != self.room_id]
        if not others:
            return 0.0
        return float(fp[self.start:self.end, others].sum(axis=1).max()) / self.view.frame_pixels

    @cached_property
    def seen_by_group(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        objects = self.view.objects
        for i in np.flatnonzero(self.seen).tolist():
            out.setdefault(objects[i].group, []).append(i)
        return out

    @cached_property
    def unique(self) -> tuple[list[int], dict[str, int]]:
        """Objects a question may name as "the <category>": the only instance of its confusion
        group seen in the scope, and referable. Also the number of groups turned down per rule."""
        out, rejected = [], {"not_unique": 0, "not_referable": 0}
        referable = self.referable.tolist()  # few objects: Python indexing beats numpy's
        for g in self.seen_by_group.values():
            if len(g) > 1:
                rejected["not_unique"] += 1
            elif not referable[g[0]]:
                rejected["not_referable"] += 1
            else:
                out.append(g[0])
        return out, rejected

    @cached_property
    def families(self) -> tuple[dict[str, list[int]], dict[str, int]]:
        """Family name -> object indices for names that may cover several instances. Every seen
        member must be referable (no half-seen instance the viewer may have missed), and no
        other family of the confusion group may be seen. Also the groups turned down per rule."""
        out, rejected = {}, {"confusable_category_seen": 0, "instance_not_referable": 0}
        objects, referable = self.view.objects, self.referable.tolist()
        for members in self.seen_by_group.values():
            fams = {objects[i].family for i in members}
            if len(fams) > 1:
                rejected["confusable_category_seen"] += 1
            elif not all(referable[i] for i in members):
                rejected["instance_not_referable"] += 1
            else:
                out[fams.pop()] = members
        return out, rejected

    @cached_property
    def family_distances(self) -> np.ndarray:
        """(unique objects, families) minimum surface distance from each object a question may
        name to the closest instance of each family name (rows: `unique[0]`, columns:
        `families[0]` in order)."""
        uniq, fams = self.unique[0], list(self.families[0].values())
        if not uniq or not fams:
            return np.zeros((len(uniq), len(fams)))
        # one gather of every family's columns side by side, then a min per family's block
        cols = [i for m in fams for i in m]
        starts = np.cumsum([0] + [len(m) for m in fams[:-1]])
        return np.minimum.reduceat(self.view.distance[np.ix_(uniq, cols)], starts, axis=1)

    @property
    def ego_last(self) -> np.ndarray:
        """(objects,) distance from the camera at the scope's last frame to each object's surface."""
        return self.view.ego_distance[self.view.ego_rows[self.end - 1]]


@dataclass
class FrameTable:
    """The per-frame columns the QA engine reads, as arrays (one row per frame)."""

    t_s: np.ndarray  # (n,)
    camera: np.ndarray  # (n, 3) camera centre
    yaw_deg: np.ndarray  # (n,)
    room: np.ndarray  # (n,) room id per frame (object array)
    pixels: np.ndarray  # (n, objects) int32 visible pixels of each object
    frame_pixels: int  # width * height


class TrajectoryView:
    """One walkthrough's ground truth, built from arrays (see `load_view` for the files)."""

    def __init__(self, cfg: QAConfig, house_id: str, trajectory: int, scene: dict, frames: FrameTable,
                 distance: np.ndarray, ego_frames: np.ndarray, ego_distance: np.ndarray, video_dir: str,
                 objects: list[SceneObject] | None = None, floor_pixels: np.ndarray | None = None):
        self.cfg = cfg
        # (frames, rooms) pixels of each room's floor per frame, rooms in scene order; None: not measured
        self.floor_pixels = floor_pixels
        self.room_order = [r["id"] for r in scene["rooms"]]
        self.house_id = house_id
        self.house_index = int(house_id.rsplit("_", 1)[1])
        self.trajectory = trajectory
        self.rooms = {r["id"]: r for r in scene["rooms"]}
        self.objects = objects if objects is not None else scene_objects(scene)  # load_view has them already
        n = self.num_frames = len(frames.t_s)
        self.fps = float(round((n - 1) / (frames.t_s[-1] - frames.t_s[0]), 6)) if n > 1 else 10.0
        self.frame_pixels = frames.frame_pixels
        self.camera, self.yaw_deg, self.frame_room = frames.camera, frames.yaw_deg, frames.room
        self.pixels = frames.pixels
        self.distance = distance  # (objects, objects) closest surface points, metres
        # camera -> object surface distances at the last frame of every room run
        self.ego_rows = {int(f): k for k, f in enumerate(ego_frames)}
        self.ego_distance = ego_distance
        self.full = Scope(self, 0, n, None, f"{video_dir}/video.mp4", f"{house_id}_t{trajectory:02d}")
        self.room_clips = [Scope(self, a, b, room, f"{video_dir}/clips/{_room_slug(room)}.mp4",
                                 f"{house_id}_t{trajectory:02d}_{_room_slug(room)}")
                           for room, a, b in room_clip_ranges(self.frame_room, self.yaw_deg,
                                                              cfg.room_clip_min_sweep_deg)]

    @cached_property
    def room_size_clips(self) -> list[Scope]:
        """The videos room-size questions are asked on: per room clip, its longest contiguous
        stretch in which no other room's floor covers more than `room_size_max_other_floor`
        of a frame (doorways kept out), if that stretch still turns through
        `room_size_min_sweep_deg` in `room_size_min_frames` frames or more. Without floor
        pixel counts (views built by hand), the room clips themselves."""
        if self.floor_pixels is None:
            return list(self.room_clips)
        cfg, out = self.cfg, []
        for clip in self.room_clips:
            others = [k for k, rid in enumerate(self.room_order) if rid != clip.room_id]
            share = self.floor_pixels[clip.start:clip.end, others].sum(axis=1) / self.frame_pixels
            a, b = longest_run(share <= cfg.room_size_max_other_floor)
            if b - a < cfg.room_size_min_frames:
                continue
            a, b = clip.start + a, clip.start + b
            if np.degrees(np.ptp(np.unwrap(np.radians(self.yaw_deg[a:b])))) < cfg.room_size_min_sweep_deg:
                continue
            slug = _room_slug(clip.room_id)
            out.append(Scope(self, a, b, clip.room_id, clip.video.replace(f"{slug}.mp4", f"{slug}_own.mp4"),
                             f"{clip.video_id}_own"))
        return out

    def close(self) -> None:
        """Drop the scopes: each refers back to the view, and without that cycle the view and
        all that is cached on it are freed by reference counting as soon as it goes, not by a
        pass of the cyclic collector (which `house_records` keeps paused)."""
        self.full, self.room_clips = None, []
        self.__dict__.pop("room_size_clips", None)

    def scope_visibility(self, scope: Scope) -> tuple[np.ndarray, np.ndarray]:
        """(`peak`, `sampled_ok`) of a scope. Worked out for every scope of the view at once
        when first asked (a few numpy calls for the trajectory instead of a few per scope);
        a scope made apart from the view is worked out alone."""
        scopes = [self.full, *self.room_clips]
        if not any(s is scope for s in scopes):
            scopes = [scope]
        if "visibility" not in scopes[0].cache:
            for s, vis in zip(scopes, _visibility(self, scopes)):
                s.cache["visibility"] = vis
        return scope.cache["visibility"]

    @cached_property
    def room_families(self) -> dict[tuple[str, str], list[int]]:
        """(room id, family) -> indices of the objects of that family standing in that room."""
        out: dict[tuple[str, str], list[int]] = {}
        for o in self.objects:
            out.setdefault((o.room_id, o.family), []).append(o.index)
        return out

    @cached_property
    def centers_xz(self) -> np.ndarray:
        """(objects, 2) OBB centres in the floor plane."""
        return np.array([o.center[[0, 2]] for o in self.objects]).reshape(-1, 2)

    @cached_property
    def footprints(self) -> np.ndarray:
        """(objects, 5, 2) footprint points at `direction_footprint` (see SceneObject.footprint)."""
        return footprints(self.objects, self.cfg.direction_footprint)


def _visibility(view: TrajectoryView, scopes: list[Scope]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(peak, sampled_ok) per scope, from two reduceats for all the scopes (maxima of ints:
    the same values as scope by scope). `scopes` is one scope, or the view's walkthrough and
    then its room clips, which are disjoint runs of frames."""
    pixels = view.pixels
    if len(scopes) == 1 or not view.num_frames:
        peaks = [pixels[s.start:s.end].max(0, initial=0) for s in scopes]
    else:  # cut the frames at every clip's edges: each clip is one piece, the walkthrough all
        edges = sorted({0, *(x for s in scopes[1:] for x in (s.start, s.end) if x < view.num_frames)})
        piece = np.maximum.reduceat(pixels, edges, axis=0)
        first = {e: k for k, e in enumerate(edges)}
        peaks = [piece.max(0)] + [piece[first[s.start]] for s in scopes[1:]]
    rows = [s.start + idx for s in scopes for idx in s.sample_indices]  # per scope, per K
    hit = np.maximum.reduceat(pixels[np.concatenate(rows)], np.cumsum([0] + [len(r) for r in rows[:-1]]), axis=0)
    hit = hit >= view.cfg.sampled_fraction * view.frame_pixels  # (scopes x Ks, objects)
    per = len(view.cfg.sample_counts)
    return [(p, hit[k * per:(k + 1) * per].all(0)) for k, p in enumerate(peaks)]


def footprints(objects: list[SceneObject], shrink: float) -> np.ndarray:
    """(objects, 5, 2): `SceneObject.footprint` of every object, computed for all at once (the
    same operations element by element, so the same floats)."""
    if not objects:
        return np.zeros((0, 5, 2))
    yaw = np.radians(np.array([o.yaw_deg for o in objects]))
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    size = np.array([o.size for o in objects])
    center = np.array([o.center for o in objects])
    hx, hz = size[:, 0] / 2 * shrink, size[:, 2] / 2 * shrink
    zero = np.zeros_like(hx)
    u = np.stack([zero, -hx, hx, hx, -hx], axis=1)  # local corners, as in `footprint`
    w = np.stack([zero, -hz, -hz, hz, hz], axis=1)
    return np.stack([center[:, [0]] + c * u + s * w, center[:, [2]] - s * u + c * w], axis=2)


def scene_objects(scene: dict) -> list[SceneObject]:
    objs = [o for o in scene["objects"] if o["instance_id"] <= OBJECT_ID_MAX]
    return [SceneObject(i, o["instance_id"], reference_name(o["category"]), family(o["category"]), confusion_group(o["category"]),
                        o["room_id"], np.asarray(o["obb"]["center"], float), np.asarray(o["obb"]["size"], float),
                        float(o["obb"]["yaw_deg"])) for i, o in enumerate(objs)]


FRAME_COLUMNS = ["t_s", "x", "y", "z", "yaw_deg", "width", "height", "room_id",
                 "visible.list.element.instance_id", "visible.list.element.pixels"]


def visible_entries(t, field: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The `visible` list column of a frames table read flat: (frame row, instance id, `field`)
    per entry."""
    vis = t["visible"].combine_chunks()
    lens = pc.list_value_length(vis).to_numpy(zero_copy_only=False)
    flat = vis.flatten()
    return np.repeat(np.arange(t.num_rows), lens), flat.field("instance_id").to_numpy(), flat.field(field).to_numpy()


def read_frame_table(path: Path, objects: list[SceneObject]) -> FrameTable:
    # ParquetFile.read skips the dataset layer of read_table (several ms per file), and the two
    # leaf columns of `visible` spare decoding its unused fields (fraction, bbox); a small local
    # file reads ~10 % faster without pre-buffering
    t = pq.ParquetFile(path, pre_buffer=False).read(columns=FRAME_COLUMNS, use_threads=False)
    n = t.num_rows
    rows, ids, px = visible_entries(t, "pixels")
    lut = np.full(max(int(ids.max(initial=0)), OBJECT_ID_MAX) + 1, -1, np.int64)
    for o in objects:
        lut[o.instance_id] = o.index
    cols = lut[ids]
    keep = cols >= 0
    pixels = np.zeros((n, len(objects)), np.int32)
    pixels[rows[keep], cols[keep]] = px[keep]
    return FrameTable(t["t_s"].to_numpy(), np.stack([t[c].to_numpy() for c in "xyz"], axis=1), t["yaw_deg"].to_numpy(),
                      np.asarray(t["room_id"].to_pylist(), dtype=object), pixels,
                      int(t["width"][0].as_py()) * int(t["height"][0].as_py()))


def load_view(corpus: Path, house_dir: Path, traj_dir: Path, cfg: QAConfig, scene: dict | None = None,
              geometry: dict | None = None) -> TrajectoryView:
    """A view from a corpus's files: scene.json, traj_*/frames.parquet and geometry.npz."""
    scene = scene if scene is not None else json.loads((house_dir / "scene.json").read_text())
    geometry = geometry if geometry is not None else dict(np.load(house_dir / "geometry.npz"))
    objects = scene_objects(scene)
    order = _reindex(geometry["instance_ids"], [o.instance_id for o in objects], house_dir)
    tname = traj_dir.name
    if f"ego_frames_{tname}" not in geometry:
        raise ValueError(f"{house_dir / 'geometry.npz'}: field ego_frames_{tname} missing (stale geometry)")
    return TrajectoryView(cfg, house_dir.name, int(tname.rsplit("_", 1)[1]), scene,
                          read_frame_table(traj_dir / "frames.parquet", objects),
                          geometry["distance"][np.ix_(order, order)], geometry[f"ego_frames_{tname}"],
                          geometry[f"ego_dist_{tname}"][:, order], traj_dir.relative_to(corpus).as_posix(), objects,
                          geometry.get(f"floor_px_{tname}"))


def _room_slug(room_id: str) -> str:
    return "room" + room_id.split("|")[-1]


def _reindex(stored_ids, wanted_ids, house_dir: Path) -> np.ndarray:
    pos = {int(i): k for k, i in enumerate(stored_ids)}
    missing = [i for i in wanted_ids if i not in pos]
    if missing:
        raise ValueError(f"{house_dir / 'geometry.npz'}: field instance_ids lacks {missing[:5]} "
                         "(stale geometry: rerun the geometry stage)")
    return np.array([pos[i] for i in wanted_ids], np.int64)


def longest_run(mask: np.ndarray) -> tuple[int, int]:
    """[a, b) of the longest run of True in a bool array (the first of equal ones); (0, 0) if none."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    if not len(edges):
        return 0, 0
    starts, ends = edges[0::2], edges[1::2]
    k = int(np.argmax(ends - starts))
    return int(starts[k]), int(ends[k])


def room_run_ends(frame_room) -> np.ndarray:
    """Last frame of every run of frames in one room (so every clip's last frame), ascending."""
    fr = np.asarray(frame_room, dtype=object)
    return np.append(np.flatnonzero(fr[1:] != fr[:-1]), len(fr) - 1)


def room_clip_ranges(frame_room, yaw_deg, min_sweep_deg: float) -> list[tuple[str, int, int]]:
    """One (room, start, end) per room: its longest contiguous run of frames, kept only if the
    headings it covers span at least `min_sweep_deg` (the run holds the room's 360-degree scan)."""
    best: dict[str, tuple[int, int]] = {}
    ends = (room_run_ends(frame_room) + 1).tolist() if len(frame_room) else []
    for a, b in zip([0] + ends[:-1], ends):  # runs of frames in one room, in order
        room = frame_room[a]
        if room is not None and (room not in best or b - a > best[room][1] - best[room][0]):
            best[room] = (a, b)
    out = []
    for room, (a, b) in best.items():
        span = np.ptp(np.unwrap(np.radians(yaw_deg[a:b])))
        if np.degrees(span) >= min_sweep_deg:
            out.append((room, a, b))
    return sorted(out, key=lambda r: r[1])
