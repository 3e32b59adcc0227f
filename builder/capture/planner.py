"""Walkthrough planner: a room tour that scans every room, as camera poses at a fixed fps.

Tour: depth-first preorder over the door graph from the start room. Between rooms the camera
follows an A* path on the occupancy grid (clearance-weighted), shortcut by line of sight,
with corners rounded by circular fillets where clearance allows. Two styles of room scan:

- "spin" (the paper and fixed camera profiles): the camera scans in place at the point of
  largest clearance near the centroid, turning on past 360 degrees until it faces the way
  out; corners that cannot be rounded become stop-turn-go, and the camera looks along the
  direction of motion (smoothed).
- "scan" (the handheld profile, like a person filming a room for a 3D scan): the camera walks
  a loop along the room's free perimeter (a ring inset from the walls, its points pulled onto
  reachable free cells, legs between them routed around furniture), a little more than once
  round, so its view sweeps every wall. The gaze is chosen per frame among headings around
  the room's centre by how much not-yet-seen furniture each shows (objects' apparent size in
  the field of view, discounted by how long they have been in view), pitch follows the
  height of what is looked at, the height bobs with the steps and the roll jitters slightly.
  Rooms too small for a loop get an in-place spin.

Speeds and accelerations, linear and angular, stay within the configured limits, and every
phase is stretched to a whole number of frames, so phases start and end exactly on frames.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.ops import polylabel

from builder.houses.doors import leaf_footprints
from builder.capture import occupancy as occ
from builder.houses.spec import House

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlannerConfig:
    fps: float = 10.0  # frames per second of the rendered video
    camera_height_m: float = 1.5  # camera height above the floor (m), the poses' y
    pitch_deg: float = -12.0  # constant camera pitch (deg, positive up): slightly downward
    clearance_m: float = 0.30  # preferred robot radius (m): distance kept from walls and furniture
    min_clearance_m: float = 0.20  # smallest radius (m) tried, in clearance_step_m steps, when a room is unreachable
    clearance_step_m: float = 0.05  # step (m) of that fallback
    max_linear_speed_mps: float = 0.8  # translation speed limit (m/s): a brisk walk; 0.6 cut most 8-room tours at 1800 frames
    max_linear_accel_mps2: float = 0.5  # translation acceleration limit (m/s^2)
    max_angular_speed_dps: float = 45.0  # yaw rate limit (deg/s): 4.5 deg per frame at 10 fps
    max_angular_accel_dps2: float = 60.0  # yaw acceleration limit (deg/s^2)
    scan_turn_deg: float = 360.0  # yaw swept by each room scan (deg), plus up to 180 to face the way out
    min_frames: int = 60  # shorter trajectories get a longer final scan
    max_frames: int = 1800  # longer trajectories are cut here (the report says which rooms were scanned)
    cell_m: float = occ.DEFAULT_CELL_M  # occupancy grid cell (m)
    centroid_weight: float = 0.5  # scan point maximises clearance - weight * distance to the room centroid (m/m)
    prefer_clearance_m: float = 0.6  # A* charges extra for cells with less clearance than this (m)
    clearance_cost_weight: float = 2.0  # extra A* cost per metre at zero clearance (dimensionless)
    shortcut_margin_m: float = 0.15  # shortcuts keep this much (m) above clearance_m where the search path did
    max_fillet_radius_m: float = 1.0  # largest corner-rounding radius (m) tried
    path_step_m: float = 0.02  # spacing (m) of the dense path used for timing
    require_all_rooms: bool = False  # True: raise ValueError instead of skipping an unreachable room
    # ---- "scan" style (handheld camera); the fields below do nothing for "spin" ----
    style: str = "spin"  # "spin": in-place 360-degree room scans; "scan": perimeter loops with content-driven gaze
    hfov_deg: float = 90.0  # the camera's horizontal field of view (deg), for judging what a gaze shows
    ring_inset_frac: float = 0.3  # loop inset from the walls, as a fraction of the room's shorter side ...
    ring_inset_min_m: float = 0.7  # ... at least this (m) ...
    ring_inset_max_m: float = 1.3  # ... and at most this (m)
    ring_corner_m: float = 0.12  # radius (m) of the loop's rounded corners (a narrow room still gets a thin loop, not a spin)
    ring_overlap: float = 0.0  # the loop goes on past one lap by at least this fraction of a lap
    ring_speed_mps: float = 0.55  # speed limit (m/s) on a loop: filming walks slower than passing through
    gaze_taper: float = 0.15  # over this fraction of a loop at each end the gaze is pulled to the centre (sweep kept whole)
    min_ring_length_m: float = 1.5  # smaller loops: spin in place instead
    min_ring_area_m2: float = 0.4  # a loop goes round a free piece of floor at least this big
    gaze_offsets_deg: float = 45.0  # gaze searched within this many deg of the loop's centre (between rooms: of the way ahead)
    gaze_memory_s: float = 3.0  # an object in view this long counts half as much as an unseen one
    gaze_inward_weight: float = 0.1  # preference for the loop's centre, against one unseen object in view
    pitch_rest_deg: float = -12.0  # pitch when nothing in particular is looked at
    pitch_range_deg: tuple[float, float] = (-38.0, 8.0)  # pitch stays within this range
    max_pitch_speed_dps: float = 20.0  # pitch rate limit (deg/s)
    bob_m: float = 0.0  # vertical walking bob (m, amplitude at full speed)
    step_length_m: float = 0.65  # one bob per step
    roll_std_deg: float = 0.0  # slow roll jitter (deg, standard deviation)


@dataclass(frozen=True)
class Pose:
    t_s: float  # frame time (s) = frame index / fps
    x: float  # world position (m); y is the camera height
    y: float
    z: float
    yaw_deg: float  # in [-180, 180); 0 looks toward +z, 90 toward +x
    pitch_deg: float  # positive up
    room_id: str | None  # room whose floor polygon holds the camera (door crossings: either side)
    phase: str  # "scan" (the room's scan: in-place spin or perimeter loop), "turn" (in-place turn at a sharp corner), "move"
    roll_deg: float = 0.0  # rotation about the viewing axis (positive: right side down)

    @property
    def position(self) -> tuple[float, float, float]:
        return (self.x, self.y, self.z)


@dataclass(frozen=True)
class ScanRecord:
    room_id: str
    x: float  # scan point (m): where a spin stands, where a loop starts
    z: float
    start_frame: int  # first and last frame of the scan, inclusive
    end_frame: int
    turn_deg: float  # signed yaw swept (positive = increasing yaw)
    clearance_m: float  # radius the room was reached with


@dataclass
class WalkthroughPlan:
    poses: list[Pose]
    tour: list[str]  # rooms in planned visiting order (door-graph DFS preorder)
    scans: list[ScanRecord]  # scans that made it into the frames (the last may be cut short)
    rooms_scanned: list[str]  # rooms whose scan is complete within the frames
    rooms_skipped: dict[str, str] = field(default_factory=dict)  # room id -> why it was not visited
    truncated: bool = False  # cut at max_frames


# ---- tour ------------------------------------------------------------------------------------


def door_graph(house: House) -> dict[str, list[str]]:
    """Room id -> neighbour ids through doors, neighbours in house room order (deterministic)."""
    order = {r.id: i for i, r in enumerate(house.rooms)}
    adj: dict[str, set[str]] = {r.id: set() for r in house.rooms}
    for d in house.doors:
        if d.room0 in order and d.room1 in order and d.room0 != d.room1:
            adj[d.room0].add(d.room1)
            adj[d.room1].add(d.room0)
    return {k: sorted(v, key=order.__getitem__) for k, v in adj.items()}


def room_tour(house: House, start_room_id: str) -> list[str]:
    """DFS preorder of the door graph from the start room."""
    adj = door_graph(house)
    if start_room_id not in adj:
        raise ValueError(f"unknown start room '{start_room_id}' (rooms: {', '.join(adj)})")
    seen, out, stack = set(), [], [start_room_id]
    while stack:
        r = stack.pop()
        if r in seen:
            continue
        seen.add(r)
        out.append(r)
        stack.extend(reversed([n for n in adj[r] if n not in seen]))
    return out


def pick_start_rooms(house: House, n: int, rng: np.random.Generator) -> list[str]:
    """n distinct start rooms (repeats only when n exceeds the room count); rooms of the largest
    door-connected part come first, so a start can reach as many rooms as possible."""
    ids = [r.id for r in house.rooms]
    main = max((room_tour(house, r) for r in ids), key=len)
    pool = [ids[i] for i in rng.permutation(len(ids))]
    pool = [r for r in pool if r in main] + [r for r in pool if r not in main]
    out = []
    while len(out) < n:
        out += pool[: n - len(out)]
        pool = [ids[i] for i in rng.permutation(len(ids))]
    return out


def _levels(cfg: PlannerConfig) -> list[float]:
    """Clearances tried, largest first."""
    out, c = [], cfg.clearance_m
    while c > cfg.min_clearance_m + 1e-9:
        out.append(round(c, 6))
        c -= cfg.clearance_step_m
    return out + [min(cfg.min_clearance_m, cfg.clearance_m)]


def _scan_points(grid: occ.OccupancyGrid, house: House, tour: list[str], cfg: PlannerConfig):
    """Scan cell and clearance level per reachable room; reasons for the others."""
    levels = _levels(cfg)
    labs = [occ.components(grid, c) for c in levels]
    idx = {rid: i for i, rid in enumerate(grid.room_ids)}
    lab_min = labs[-1]

    def best(mask: np.ndarray, room: str) -> tuple[int, int]:
        cx, cz = Polygon(house.room(room).polygon).centroid.coords[0]
        rows, cols = np.nonzero(mask)
        x, z = grid.cell_to_world(rows, cols)
        score = grid.clearance[rows, cols] - cfg.centroid_weight * np.hypot(x - cx, z - cz)
        k = int(np.argmax(score))  # first maximum in raster order: deterministic
        return int(rows[k]), int(cols[k])

    # scan points lie in a room proper: a doorway alone does not make a room reachable
    in_room = np.where(grid.interior, grid.room_label, -1)
    start_cells = (in_room == idx[tour[0]]) & (lab_min > 0)
    if not start_cells.any():
        raise ValueError(f"start room '{tour[0]}' has no free space with clearance >= {levels[-1]} m: no room is reachable")
    # the start room may hold several free pieces: start in the one reaching the most tour rooms
    tour_idx = [idx[r] for r in tour]
    comp = max(
        (int(k) for k in np.unique(lab_min[start_cells])),
        key=lambda k: len(set(np.unique(in_room[lab_min == k]).tolist()) & set(tour_idx)),
    )
    points, skipped = {}, {}
    for li, c in enumerate(levels):
        cells = start_cells & (lab_min == comp) & (labs[li] > 0)
        if cells.any():
            points[tour[0]] = (best(cells, tour[0]), c)
            break
    p0 = points[tour[0]][0]
    for room in tour[1:]:
        for li, c in enumerate(levels):
            cells = (in_room == idx[room]) & (labs[li] == labs[li][p0])
            if cells.any():
                points[room] = (best(cells, room), c)
                if c < cfg.clearance_m:
                    log.warning("room %s reachable only with clearance %.2f m", room, c)
                break
        else:
            skipped[room] = f"unreachable from '{tour[0]}' with clearance >= {levels[-1]} m (doorway blocked?)"
    return points, skipped


def _leg_pieces(grid, a_cell, b_cell, level: float, cfg: PlannerConfig) -> list[np.ndarray]:
    """Dense point runs from a to b; consecutive runs meet at sharp corners (stop-turn-go)."""
    cells = occ.astar(grid, a_cell, b_cell, level, max(cfg.prefer_clearance_m, level), cfg.clearance_cost_weight)
    if cells is None:  # _scan_points only pairs cells of one component at this level
        raise RuntimeError(f"no path between cells {a_cell} and {b_cell} at clearance {level} m")
    pts = np.stack(grid.cell_to_world(*np.array(cells).T), axis=1)
    pts = occ.shortcut(grid, pts, level, cfg.shortcut_margin_m)
    return [r for r in occ.round_corners(grid, pts, level, cfg.max_fillet_radius_m, cfg.path_step_m) if len(r) >= 2]


# ---- timing ----------------------------------------------------------------------------------

Knots = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # t (s), x, z, yaw (deg, unwrapped)


def _heading_deg(d: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2(d[..., 0], d[..., 1]))  # yaw 0 -> +z, 90 -> +x


def _wrap(a):
    return (np.asarray(a) + 180.0) % 360.0 - 180.0


def _rotation(x: float, z: float, yaw0: float, delta: float, cfg: PlannerConfig, min_duration: float = 0.0) -> Knots:
    """In-place turn by delta degrees: trapezoidal yaw-rate profile from rest to rest."""
    w, acc, th = cfg.max_angular_speed_dps, cfg.max_angular_accel_dps2, abs(delta)
    if th >= w * w / acc:
        ta, tc = w / acc, (th - w * w / acc) / w
    else:
        ta, tc = math.sqrt(th / acc), 0.0
    wp, T = acc * ta, 2 * ta + tc
    t = np.linspace(0.0, T, max(8, int(math.ceil(T / 0.01))) + 1)
    ang = np.where(
        t < ta,
        0.5 * acc * t**2,
        np.where(t < ta + tc, 0.5 * wp * ta + wp * (t - ta), th - 0.5 * acc * np.clip(T - t, 0, None) ** 2),
    )
    ang[-1] = th
    if min_duration > T:  # stretching only slows the turn
        t = t * (min_duration / T)
    return t, np.full_like(t, x), np.full_like(t, z), yaw0 + math.copysign(1.0, delta) * ang


def _speed_profile(cap: np.ndarray, ds: np.ndarray, acc: float):
    """Speeds at the points of a run (segment lengths `ds`, speed caps per segment `cap`),
    starting and ending at rest, within acceleration `acc`; then each segment's duration at
    constant acceleration (speed and yaw rate peak at its ends, so within the caps), the times
    and the arc lengths at the points."""
    u = np.concatenate([[0.0], np.minimum(cap[:-1], cap[1:]), [0.0]])
    for k in range(1, len(u)):  # forward then backward acceleration passes
        u[k] = min(u[k], math.sqrt(u[k - 1] ** 2 + 2 * acc * ds[k - 1]))
    for k in range(len(u) - 2, -1, -1):
        u[k] = min(u[k], math.sqrt(u[k + 1] ** 2 + 2 * acc * ds[k]))
    dur = 2 * ds / (u[:-1] + u[1:])
    return u, dur, np.concatenate([[0.0], np.cumsum(dur)]), np.concatenate([[0.0], np.cumsum(ds)])


def _travel(pts: np.ndarray, yaw0: float, cfg: PlannerConfig) -> Knots:
    """Rest-to-rest motion along dense points, speed capped by the yaw-rate limit on curves."""
    if len(pts) == 2:  # two intervals at least, so the profile has a vertex to speed up to
        pts = np.stack([pts[0], 0.5 * (pts[0] + pts[1]), pts[1]])
    d = np.diff(pts, axis=0)
    ds = np.linalg.norm(d, axis=1)
    head = np.unwrap(_heading_deg(d), period=360.0)
    head += yaw0 - head[0]
    knot_head = np.concatenate([[head[0]], 0.5 * (head[:-1] + head[1:]), [head[-1]]])
    vmax, acc = cfg.max_linear_speed_mps, cfg.max_linear_accel_mps2
    cap = np.minimum(vmax, cfg.max_angular_speed_dps * ds / np.maximum(np.abs(np.diff(knot_head)), 1e-12))
    u, dur, t, s_knot = _speed_profile(cap, ds, acc)

    # Camera yaw: centred moving average of the path heading over 2 * max_speed / max_accel
    # seconds. Averaging keeps the yaw-rate bound and turns rate steps (up to twice the limit at
    # S-bends) into ramps within the yaw-acceleration bound. The run is padded at rest on both
    # ends so the camera may start turning before it moves and finish after it stops; padding
    # in which nothing changes is trimmed again.
    dt = 0.01
    h = max(1, int(round(cfg.max_angular_speed_dps / cfg.max_angular_accel_dps2 / dt)))
    pad = dt * np.arange(1, 2 * h + 1)
    tf = np.concatenate([-pad[::-1], np.linspace(0.0, t[-1], max(2, int(math.ceil(t[-1] / dt))) + 1), t[-1] + pad])
    i = np.clip(np.searchsorted(t, tf, side="right") - 1, 0, len(ds) - 1)
    tau = np.clip(tf - t[i], 0.0, dur[i])
    s_f = s_knot[i] + u[i] * tau + 0.5 * (u[i + 1] - u[i]) / dur[i] * tau**2
    s_f = np.where(tf <= 0, 0.0, np.where(tf >= t[-1], s_knot[-1], s_f))
    cs = np.concatenate([[0.0], np.cumsum(np.interp(s_f, s_knot, knot_head) - yaw0)])  # offset: exact yaw0 in the padding
    k = np.arange(h, len(tf) - h)
    yaw = yaw0 + (cs[k + h + 1] - cs[k - h]) / (2 * h + 1)
    tf, s_f = tf[h : len(tf) - h], s_f[h : len(tf) - h]
    busy = (tf > 0) & (tf < t[-1])
    busy |= (tf <= 0) & (np.abs(yaw - yaw[0]) > 1e-9) | (tf >= t[-1]) & (np.abs(yaw - yaw[-1]) > 1e-9)
    i0, i1 = max(int(np.argmax(busy)) - 1, 0), min(len(tf) - int(np.argmax(busy[::-1])), len(tf) - 1)
    tf, s_f = tf[i0 : i1 + 1], s_f[i0 : i1 + 1]
    return tf - tf[0], np.interp(s_f, s_knot, pts[:, 0]), np.interp(s_f, s_knot, pts[:, 1]), yaw[i0 : i1 + 1]


def _frames(knots: Knots, fps: float) -> tuple[np.ndarray, ...]:
    """Sample a phase on frames; the phase is slowed to a whole number of frame intervals."""
    t, x, z, yaw = knots
    n = max(1, int(math.ceil(t[-1] * fps - 1e-9)))
    tq = np.minimum(np.arange(n + 1) * (t[-1] / n), t[-1])
    tq[-1] = t[-1]  # end exactly on the last knot: phases join without float drift
    return np.interp(tq, t, x), np.interp(tq, t, z), np.interp(tq, t, yaw)


def _scan_angle_for(duration: float, cfg: PlannerConfig) -> float:
    """Turn (deg) whose rest-to-rest profile lasts `duration` seconds."""
    w, acc = cfg.max_angular_speed_dps, cfg.max_angular_accel_dps2
    return w * (duration - w / acc) if duration >= 2 * w / acc else acc * (duration / 2) ** 2


# ---- "scan" style: perimeter loops --------------------------------------------------------------


def _ring_region(house: House, room: str, cfg: PlannerConfig, max_length_m: float, level: float):
    """The part of the room the loop goes round: the floor inset from the walls, less the
    furniture and door leaves with a margin, corners rounded (radius ring_corner_m, which also drops strips
    too thin to walk round), largest piece (at least 1 m^2). The configured inset first, then
    smaller ones (down to level + 0.15 m, the grid's discretisation margin) until a piece is
    found; if its outline is longer than max_length_m (the frame budget), larger insets until
    one fits. None if no inset leaves a piece."""
    poly = Polygon(house.room(room).polygon)
    x0, z0, x1, z1 = poly.bounds
    inset = float(np.clip(cfg.ring_inset_frac * min(x1 - x0, z1 - z0), cfg.ring_inset_min_m, cfg.ring_inset_max_m))
    low = [Polygon(o.footprint()) for o in house.objects if o.position[1] - o.size[1] / 2 < occ.OVERHEAD_CLEAR_M]
    furniture = shapely.union_all(low) if low else Polygon()
    # open door leaves: passed as closely as the grid allows (a wider margin round a leaf standing
    # out from the wall left small rooms no loop)
    leaves = shapely.union_all(leaf_footprints(house)).buffer(level + 0.15, join_style="mitre")

    def piece(d: float):
        margin = max(min(d, 0.6), level + 0.15)
        region = poly.buffer(-d, join_style="mitre").difference(furniture.buffer(margin, join_style="mitre")).difference(leaves)
        region = region.buffer(-cfg.ring_corner_m).buffer(cfg.ring_corner_m)  # rounded, no strips thinner than 2 radii
        parts = [g for g in getattr(region, "geoms", [region]) if g.geom_type == "Polygon" and g.area >= cfg.min_ring_area_m2]
        return max(parts, key=lambda g: g.area) if parts else None

    floor = level + 0.15
    tried = [max(inset, floor)]
    while tried[-1] * 0.8 > floor:
        tried.append(tried[-1] * 0.8)
    if tried[-1] > floor:
        tried.append(floor)
    best = None
    for inset in tried:
        best = piece(inset)
        if best is not None:
            break
    while best is not None and best.exterior.length > max_length_m:
        inset *= 1.15
        smaller = piece(inset)
        if smaller is None:
            break
        best = smaller
    return best


def _ring_loop(grid: occ.OccupancyGrid, house: House, room: str, reach: np.ndarray, level: float, cfg: PlannerConfig,
               rng: np.random.Generator, max_length_m: float):
    """A closed loop along the room's free perimeter: (points every path_step_m in walking
    order, direction drawn; the point it goes round), or None where no loop fits. The outline of
    `_ring_region`, kept only if every
    point has clearance >= level on a usable cell (`reach`) of the room."""
    region = _ring_region(house, room, cfg, max_length_m, level)
    if region is None or region.exterior.length < cfg.min_ring_length_m:
        return None
    shape = region
    line = shape.exterior
    n = max(8, int(math.ceil(line.length / cfg.path_step_m)))
    pts = np.array([line.interpolate(i / n, normalized=True).coords[0] for i in range(n)])
    rows, cols = grid.world_to_cell(pts[:, 0], pts[:, 1])
    inside = (rows >= 0) & (rows < grid.shape[0]) & (cols >= 0) & (cols < grid.shape[1])
    if not inside.all() or not reach[rows, cols].all() or np.min(grid.clearance_at(pts[:, 0], pts[:, 1])) < level:
        return None
    if rng.random() < 0.5:
        pts = pts[::-1]
    # the most inward point of the outline filled in (furniture the loop goes round included): the loop winds once round it
    return pts, polylabel(Polygon(shape.exterior), tolerance=0.05).coords[0]


def _cell_path(grid, a_cell, b_cell, level: float, cfg: PlannerConfig) -> np.ndarray:
    """World points of a shortcut A* path from a to b."""
    if a_cell == b_cell:
        return np.stack(grid.cell_to_world(*np.array([a_cell]).T), axis=1)
    cells = occ.astar(grid, a_cell, b_cell, level, max(cfg.prefer_clearance_m, level), cfg.clearance_cost_weight)
    if cells is None:
        raise RuntimeError(f"no path between cells {a_cell} and {b_cell} at clearance {level} m")
    pts = np.stack(grid.cell_to_world(*np.array(cells).T), axis=1)
    return occ.shortcut(grid, pts, level, cfg.shortcut_margin_m)


def _smooth_path(grid: occ.OccupancyGrid, pts: np.ndarray, level: float, cfg: PlannerConfig) -> np.ndarray:
    """Kinks (the outline's concave corners, the step from a cell centre onto the loop) rounded
    by a moving average over ~0.3 m, ends kept; unchanged where that would cut a corner closer
    than `level` to an obstacle."""
    h = max(1, int(round(0.15 / cfg.path_step_m)))
    if len(pts) < 2 * h + 3:
        return pts
    pad = np.concatenate([np.repeat(pts[:1], h, 0), pts, np.repeat(pts[-1:], h, 0)])
    cs = np.concatenate([np.zeros((1, 2)), np.cumsum(pad, axis=0)])
    out = (cs[2 * h + 1:] - cs[: -2 * h - 1]) / (2 * h + 1)
    out[0], out[-1] = pts[0], pts[-1]
    if np.min(grid.clearance_at(out[:, 0], out[:, 1])) < level:
        return pts
    return out[np.r_[True, np.linalg.norm(np.diff(out, axis=0), axis=1) > 1e-9]]


def _timed_run(pts: np.ndarray, centre, cfg: PlannerConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rest-to-rest motion along dense points sampled on frames: (x, z, speed fraction). Speed is
    capped where the path curves (heading rate <= twice the yaw-rate limit) and, on a loop,
    where the bearing to the loop's centre turns fast (<= 0.95 of the yaw-rate limit), so the
    gaze can follow."""
    if len(pts) == 2:
        pts = np.stack([pts[0], 0.5 * (pts[0] + pts[1]), pts[1]])
    d = np.diff(pts, axis=0)
    ds = np.linalg.norm(d, axis=1)
    # heading over a 0.2 m baseline: a polygonal outline's small kinks are not curves to slow for
    k = max(1, int(round(0.1 / max(float(np.median(ds)), 1e-6))))
    ahead, behind = np.clip(np.arange(len(pts)) + k, 0, len(pts) - 1), np.clip(np.arange(len(pts)) - k, 0, len(pts) - 1)
    knot_head = np.unwrap(_heading_deg(pts[ahead] - pts[behind]), period=360.0)
    # 5 % under the acceleration limit: on curves, frame-to-frame chords shrink a little against the arc
    vmax, acc, w = cfg.max_linear_speed_mps, 0.95 * cfg.max_linear_accel_mps2, cfg.max_angular_speed_dps
    cap = np.minimum(vmax, 2 * w * ds / np.maximum(np.abs(np.diff(knot_head)), 1e-12))
    if centre is not None:
        bear = np.unwrap(np.arctan2(pts[:, 0] - centre[0], pts[:, 1] - centre[1]))
        cap = np.minimum(cap, cfg.ring_speed_mps)
        cap = np.minimum(cap, 0.95 * w * ds / np.maximum(np.degrees(np.abs(np.diff(bear))), 1e-12))
    u, dur, t, s_knot = _speed_profile(cap, ds, acc)
    n = max(1, int(math.ceil(t[-1] * cfg.fps - 1e-9)))
    tq = np.arange(n + 1) * (t[-1] / n)  # stretched to whole frames: only slows the motion
    i = np.clip(np.searchsorted(t, tq, side="right") - 1, 0, len(ds) - 1)
    tau = np.clip(tq - t[i], 0.0, dur[i])
    s = s_knot[i] + u[i] * tau + 0.5 * (u[i + 1] - u[i]) / dur[i] * tau**2
    s[0], s[-1] = 0.0, s_knot[-1]
    speed = np.interp(s, s_knot, u) * (t[-1] * cfg.fps / n) / vmax
    return np.interp(s, s_knot, pts[:, 0]), np.interp(s, s_knot, pts[:, 1]), speed


def _plan_scan(house: House, grid: occ.OccupancyGrid, tour: list[str], visits: list[str], points: dict,
               skipped: dict, rng: np.random.Generator, cfg: PlannerConfig, more: dict | None = None) -> WalkthroughPlan:
    """The "scan" style (module docstring): loops round each room, gaze and pitch by content."""
    from builder.capture import gaze

    idx = {rid: i for i, rid in enumerate(grid.room_ids)}
    in_room = np.where(grid.interior, grid.room_label, -1)
    start_cell = points[visits[0]][0]
    # segments: (kind, room scanned or None, loop centre or None, dense points or a spin)
    # frame budget: a loop walks 1-1.125 laps at up to ring_speed_mps; ~6 s go to the way between
    # rooms, ~30 % of the frames are kept spare (DFS backtracking, spins)
    per_room_s = 0.7 * cfg.max_frames / cfg.fps / len(visits) - 6.0
    max_length = max(3.0, 0.9 * cfg.ring_speed_mps * per_room_s / (1.0 + cfg.ring_overlap + 0.06))
    loops = {}
    for room in visits:
        cell, level = points[room]
        lab = occ.components(grid, level)
        reach = (in_room == idx[room]) & (lab == lab[start_cell]) & (lab > 0)
        loops[room] = _ring_loop(grid, house, room, reach, level, cfg, rng, max_length)  # None: spin instead

    def cell_of(p) -> tuple[int, int]:
        r, c = grid.world_to_cell(p[0], p[1])
        return int(r), int(c)

    def entry(room, here):
        """Where the camera starts a room: (loop point index nearest to cell `here`, its cell), or the scan point."""
        if loops[room] is None:
            return None, points[room][0]
        pts = loops[room][0]
        hx, hz = grid.cell_to_world(*here)
        i = int(np.argmin(np.hypot(pts[:, 0] - hx, pts[:, 1] - hz)))
        return i, cell_of(pts[i])

    # segments: (kind, room scanned or None, loop centre or None, (dense points or spin point, clearance))
    segs: list[tuple] = []
    first, here = entry(visits[0], start_cell)
    arrival = None  # heading (deg) of the way into the room
    for k, room in enumerate(visits):
        cell, level = points[room]
        if loops[room] is None:
            if here != cell:
                segs.append(("move", None, None, (_cell_path(grid, here, cell, level, cfg), level)))
            segs.append(("spin", room, None, (grid.cell_to_world(*cell), level)))
            here = cell
        else:
            pts, centre = loops[room]
            n = len(pts)
            if arrival is not None:
                # walk round the way that puts the arrival heading behind the gaze's sweep: the
                # gaze then turns one way all along the loop; the other way round, it would first
                # turn back to meet the sweep and lose that much of it
                bear = np.unwrap(np.arctan2(centre[0] - pts[:, 0], centre[1] - pts[:, 1]))
                winding = math.copysign(1.0, bear[-1] - bear[0])
                if float(_wrap(arrival - math.degrees(bear[first]))) * winding > 0:
                    pts, first = pts[::-1], n - 1 - first
                    loops[room] = (pts, centre)
            lap = n + int(math.ceil((cfg.ring_overlap + (more or {}).get(room, 0.0)) * n))
            if k + 1 == len(visits):  # the last room: a little more, as smoothing holds the final gaze back
                lap += int(math.ceil(0.1 * n))
            else:  # go on round until nearest the next room (at most an eighth of a lap more)
                nx, nz = grid.cell_to_world(*points[visits[k + 1]][0])
                ahead = pts[(first + lap + np.arange(n // 8 + 1)) % n]
                lap += int(np.argmin(np.hypot(ahead[:, 0] - nx, ahead[:, 1] - nz)))
            path = pts[(first + np.arange(lap + 1)) % n]
            end = cell_of(path[-1])
            # start and end on the cells' centres, where the ways in and out start and end
            path = np.concatenate([np.stack(grid.cell_to_world(*here))[None], path, np.stack(grid.cell_to_world(*end))[None]])
            path = _smooth_path(grid, path[np.r_[True, np.linalg.norm(np.diff(path, axis=0), axis=1) > 1e-9]], level, cfg)
            segs.append(("scan", room, centre, (path, level)))
            here = end
        if k + 1 < len(visits):
            nxt_room = visits[k + 1]
            first, target = entry(nxt_room, here)
            lvl = min(level, points[nxt_room][1])
            arrival = None
            if target != here:
                way = _cell_path(grid, here, target, lvl, cfg)
                # once in the next room, look at the centre of its loop: the loop then starts with the gaze on it
                look = (nxt_room, loops[nxt_room][1]) if loops[nxt_room] is not None else None
                segs.append(("move", None, look, (way, lvl)))
                if len(way) >= 2:
                    arrival = float(_heading_deg(way[-1] - way[-2]))
            here = target

    xs, zs, spd, kinds, centres, spins, scans = [], [], [], [], [], [], []
    n_frames = 1

    def add(x, z, sp, kind, centre, room=None, level=None):
        """Append a phase's frames; `centre`: a loop's centre, or for a move (room, centre) to look at there."""
        start = max(len(xs) - 1, 0)
        if xs:
            x, z, sp = x[1:], z[1:], sp[1:]
            if kind == "scan":
                kinds[-1], centres[-1] = "scan", centre
        xs.extend(x.tolist())
        zs.extend(z.tolist())
        spd.extend(sp.tolist())
        kinds.extend([kind] * len(x))
        centres.extend([centre] * len(x))
        if room is not None:
            scans.append(ScanRecord(room, xs[start], zs[start], start, len(xs) - 1, 0.0, level))

    for kind, room, centre, data in segs:
        if len(xs) > cfg.max_frames:
            break
        if kind == "spin":
            (x, z), level = data
            # a little past the full circle: smoothing the gaze at its ends (gaze.smooth_angles) keeps the whole sweep
            knots = _rotation(float(x), float(z), 0.0, cfg.scan_turn_deg + 30.0, cfg)
            fx, fz, fy = _frames(knots, cfg.fps)
            spins.append((max(len(xs) - 1, 0), fy))
            add(fx, fz, np.zeros_like(fx), "scan", None, room, level)
            continue
        pts, level = data
        if kind == "scan":  # a loop is dense and rounded already
            runs = [pts] if len(pts) >= 2 else []
        else:
            runs = [r for r in occ.round_corners(grid, pts, level, cfg.max_fillet_radius_m, cfg.path_step_m)
                    if len(r) >= 2] if len(pts) >= 2 else []
        for j, run in enumerate(runs):
            x, z, sp = _timed_run(run, centre if kind == "scan" else None, cfg)
            add(x, z, sp, kind, centre, room if j == 0 else None, level)
        if room is not None and runs:
            last = scans[-1]
            scans[-1] = ScanRecord(last.room_id, last.x, last.z, last.start_frame, len(xs) - 1, 0.0, last.clearance_m)
    if not xs:  # nowhere to walk at all: a spin where we stand
        (x, z) = grid.cell_to_world(*start_cell)
        fx, fz, fy = _frames(_rotation(float(x), float(z), 0.0, cfg.scan_turn_deg, cfg), cfg.fps)
        spins.append((0, fy))
        add(fx, fz, np.zeros_like(fx), "scan", None, visits[0], points[visits[0]][1])
    while len(xs) < cfg.min_frames:  # too short: one more spin where it ended
        fx, fz, fy = _frames(_rotation(xs[-1], zs[-1], 0.0, cfg.scan_turn_deg, cfg), cfg.fps)
        spins.append((len(xs) - 1, fy))
        add(fx, fz, np.zeros_like(fx), "scan", None)

    truncated = len(xs) > cfg.max_frames
    n = min(len(xs), cfg.max_frames)
    x, z, sp = np.array(xs[:n]), np.array(zs[:n]), np.array(spd[:n])
    rooms_at = grid.room_index_at(x, z)
    room_of = [grid.room_ids[r] if r >= 0 else None for r in rooms_at]
    # gaze base: the loop's centre on a loop, the way ahead between rooms
    ahead = np.zeros(n)
    if n > 1:
        d = np.diff(np.stack([x, z], 1), axis=0)
        moving = np.linalg.norm(d, axis=1) > 1e-6
        h = np.where(moving, _heading_deg(d), np.nan)
        h = np.concatenate([h, h[-1:]])
        last = 0.0
        for i in range(n):  # hold the last heading where the camera stands
            last = h[i] if not np.isnan(h[i]) else last
            ahead[i] = last
    on_loop = np.array([kinds[i] == "scan" and centres[i] is not None for i in range(n)])
    base = ahead.copy()
    for i in range(n):
        c = centres[i]
        if c is not None and not on_loop[i] and c[0] == room_of[i]:
            c = c[1]  # a move inside the room it goes to: look at the loop's centre
        elif not on_loop[i]:
            continue
        base[i] = float(_heading_deg(np.array([c[0] - x[i], c[1] - z[i]])))
    reach = np.full(n, cfg.gaze_offsets_deg)
    # between rooms, furniture of the room ahead counts too (seen through the door)
    rooms_seen = [(room_of[i], centres[i][0]) if centres[i] is not None and not on_loop[i] else (room_of[i],)
                  for i in range(n)]
    for sc in scans:  # loops look at their centre at both ends, so the loop's sweep is kept whole
        a, b = sc.start_frame, min(sc.end_frame, n - 1)
        if b > a and on_loop[a + 1]:
            u = (np.arange(a, b + 1) - a) / (b - a)
            reach[a: b + 1] *= np.clip(np.minimum(u, 1 - u) / cfg.gaze_taper, 0.0, 1.0)
    cam_y = np.full(n, cfg.camera_height_m)
    field = gaze.ObjectField(house)
    want_yaw, want_pitch = gaze.choose_gaze(field, x, z, cam_y, base, reach, rooms_seen, cfg.hfov_deg, cfg.fps,
                                            cfg.gaze_memory_s, cfg.gaze_inward_weight, cfg.pitch_rest_deg)
    for s0, fy in spins:  # a spin turns the full circle whatever it sees
        m = min(len(fy), n - s0)
        if m > 0:
            want_yaw[s0: s0 + m] = want_yaw[s0] + fy[:m]
            want_yaw[s0 + m:] += fy[m - 1] if m == len(fy) else 0.0
    yaw = gaze.smooth_angles(want_yaw, cfg.max_angular_speed_dps, cfg.max_angular_accel_dps2, cfg.fps)
    lo, hi = cfg.pitch_range_deg
    pitch = gaze.smooth_angles(np.clip(want_pitch, lo, hi), cfg.max_pitch_speed_dps, 2 * cfg.max_pitch_speed_dps, cfg.fps)
    step = np.r_[0.0, np.hypot(np.diff(x), np.diff(z))]
    height = cfg.camera_height_m + gaze.walking_bob(step[1:], cfg.bob_m, cfg.step_length_m, sp)
    roll = gaze.roll_jitter(n, cfg.fps, cfg.roll_std_deg, rng)
    wrapped = _wrap(yaw)
    poses = [Pose(i / cfg.fps, float(x[i]), float(height[i]), float(z[i]), float(wrapped[i]), float(pitch[i]),
                  room_of[i], kinds[i], float(roll[i])) for i in range(n)]
    scans = [s for s in scans if s.start_frame < n]
    scans = [ScanRecord(s.room_id, s.x, s.z, s.start_frame, s.end_frame, float(yaw[min(s.end_frame, n - 1)] - yaw[s.start_frame]),
                        s.clearance_m) for s in scans]
    done = [s.room_id for s in scans if s.end_frame < n]
    if truncated:
        log.warning("house %s: trajectory cut at %d frames; rooms scanned %s of tour %s", house.id, n, done, tour)
    return WalkthroughPlan(poses, tour, scans, done, skipped, truncated)


# ---- the planner -----------------------------------------------------------------------------


HANDHELD_SPEED_MPS = 1.0  # between rooms, an ordinary walk; loops keep to PlannerConfig.ring_speed_mps
HANDHELD_ACCEL_MPS2 = 0.6
HANDHELD_TURN_DPS = 38.0  # yaw-rate limit: real scan videos turn at up to ~40 deg/s
HANDHELD_BOB_M = 0.01  # a held-up phone bobs about a centimetre per step
HANDHELD_ROLL_STD_DEG = 0.8


def planner_config_for(camera, fps: float, **overrides) -> PlannerConfig:
    """Planner settings for a trajectory's camera (capture/camera.py TrajectoryCamera)."""
    if camera.style == "spin":
        return PlannerConfig(fps=fps, camera_height_m=camera.height_m, pitch_deg=camera.pitch_deg, **overrides)
    return PlannerConfig(fps=fps, style="scan", camera_height_m=camera.height_m, hfov_deg=camera.intrinsics.hfov_deg,
                         max_linear_speed_mps=HANDHELD_SPEED_MPS, max_linear_accel_mps2=HANDHELD_ACCEL_MPS2,
                         max_angular_speed_dps=HANDHELD_TURN_DPS,
                         bob_m=HANDHELD_BOB_M, roll_std_deg=HANDHELD_ROLL_STD_DEG, pitch_rest_deg=camera.pitch_deg,
                         **overrides)



def plan_walkthrough_detailed(
    house: House, start_room_id: str, rng: np.random.Generator, config: PlannerConfig | None = None
) -> WalkthroughPlan:
    """Plan the walkthrough and report what it covered (see module docstring)."""
    cfg = config or PlannerConfig()
    limits = (cfg.max_linear_speed_mps, cfg.max_angular_speed_dps, cfg.max_linear_accel_mps2, cfg.max_angular_accel_dps2)
    if min(cfg.scan_turn_deg, *limits) <= 0:
        raise ValueError("scan turn, speed and acceleration limits must be positive")
    tour = room_tour(house, start_room_id)  # ValueError on an unknown start room
    skipped = {r.id: "not connected to the start room by doors" for r in house.rooms if r.id not in tour}
    grid = occ.build_occupancy(house, cfg.cell_m)
    points, unreachable = _scan_points(grid, house, tour, cfg)
    skipped.update(unreachable)
    if skipped and cfg.require_all_rooms:
        raise ValueError(f"house {house.id}: rooms not reachable from '{start_room_id}': {skipped}")
    for room, why in skipped.items():
        log.warning("house %s: skipping room %s: %s", house.id, room, why)
    visits = [r for r in tour if r in points]
    if cfg.style == "scan":
        # A loop whose gaze sweeps less than a full turn (content pulled it back) is walked a tenth
        # of a lap further and the walkthrough planned again from the same random state: every
        # room keeps a 355-degree sweep (QA's room clips need 350), at most three times over.
        state, more = rng.bit_generator.state, {}
        for _ in range(4):
            rng.bit_generator.state = state
            plan = _plan_scan(house, grid, tour, visits, points, skipped, rng, cfg, more)
            yaw = np.unwrap(np.radians([p.yaw_deg for p in plan.poses]))
            short = [s.room_id for s in plan.scans if s.end_frame < len(plan.poses)
                     and math.degrees(np.ptp(yaw[s.start_frame: s.end_frame + 1])) < 355.0]
            if not short:
                break
            for room in short:
                more[room] = more.get(room, 0.0) + 0.1
        return plan
    if cfg.style != "spin":
        raise ValueError(f"unknown planner style '{cfg.style}' (known: spin, scan)")

    phases: list[tuple[str, str | None, Knots]] = []  # (kind, scanned room, knots)
    n_frames = 1
    yaw = float(rng.uniform(-180.0, 180.0))
    direction = 1.0 if rng.random() < 0.5 else -1.0
    runs: list[np.ndarray] = []  # the leg into the current room
    for k, room in enumerate(visits):
        for run in runs:
            first = float(_heading_deg(run[1] - run[0]))
            turn = float(_wrap(first - yaw))
            if abs(turn) > 1e-6:  # sharp corner (a scan already faces the way out)
                phases.append(("turn", None, _rotation(*run[0], yaw, turn, cfg)))
            phases.append(("move", None, _travel(run, yaw + turn, cfg)))
            yaw = float(phases[-1][2][3][-1])
        cell, level = points[room]
        runs = []
        if k + 1 < len(visits):
            ncell, nlevel = points[visits[k + 1]]
            runs = [r for r in _leg_pieces(grid, cell, ncell, min(level, nlevel), cfg) if len(r) >= 2]
        sweep = direction * cfg.scan_turn_deg
        if runs:  # turn on past the full scan to face the way out, in the cheaper direction
            out = float(_heading_deg(runs[0][1] - runs[0][0]))
            extra = {d: (d * (out - yaw - d * cfg.scan_turn_deg)) % 360.0 for d in (direction, -direction)}
            d = min(extra, key=extra.get)  # tie -> the alternating direction
            sweep = d * (cfg.scan_turn_deg + extra[d])
        x, z = (float(v) for v in grid.cell_to_world(*cell))
        phases.append(("scan", room, _rotation(x, z, yaw, sweep, cfg)))
        yaw += sweep
        direction = -math.copysign(1.0, sweep)
        n_frames = 1 + sum(int(math.ceil(p[2][0][-1] * cfg.fps - 1e-9)) for p in phases)
        if n_frames > cfg.max_frames:
            break  # the rest would be cut anyway
    if n_frames < cfg.min_frames:  # extend the final scan
        kind, room, (t, x, z, y) = phases[-1]
        need = (int(math.ceil(t[-1] * cfg.fps - 1e-9)) + cfg.min_frames - n_frames) / cfg.fps
        turn = math.copysign(_scan_angle_for(need, cfg), y[-1] - y[0])
        phases[-1] = (kind, room, _rotation(x[0], z[0], y[0], turn, cfg, min_duration=need))

    xs, zs, yaws, kinds, scans = [], [], [], [], []
    for i, (kind, room, knots) in enumerate(phases):
        fx, fz, fy = _frames(knots, cfg.fps)
        if i:  # a phase starts on the previous phase's last frame
            fx, fz, fy = fx[1:], fz[1:], fy[1:]
            if kind == "scan":
                kinds[-1] = "scan"
        start = max(len(xs) - 1, 0)
        xs += fx.tolist()
        zs += fz.tolist()
        yaws += fy.tolist()
        kinds += [kind] * len(fx)
        if kind == "scan":
            lvl = points[room][1]
            scans.append(ScanRecord(room, xs[-1], zs[-1], start, len(xs) - 1, float(knots[3][-1] - knots[3][0]), lvl))
    truncated = len(xs) > cfg.max_frames
    n = min(len(xs), cfg.max_frames)
    rooms_at = grid.room_index_at(np.array(xs[:n]), np.array(zs[:n]))
    wrapped = _wrap(np.array(yaws[:n]))
    poses = [
        Pose(i / cfg.fps, xs[i], cfg.camera_height_m, zs[i], float(wrapped[i]), cfg.pitch_deg,
             grid.room_ids[rooms_at[i]] if rooms_at[i] >= 0 else None, kinds[i])
        for i in range(n)
    ]
    scans = [s for s in scans if s.start_frame < n]
    done = [s.room_id for s in scans if s.end_frame < n]
    if truncated:
        log.warning("house %s: trajectory cut at %d frames; rooms scanned %s of tour %s", house.id, n, done, tour)
    return WalkthroughPlan(poses, tour, scans, done, skipped, truncated)


def plan_walkthrough(house: House, start_room_id: str, rng: np.random.Generator, config: PlannerConfig | None = None) -> list[Pose]:
    """Camera poses at config.fps: start in `start_room_id`, scan every reachable room once.

    Raises ValueError for an unknown start room, a start room without free space, or (with
    config.require_all_rooms) any room that cannot be reached; otherwise unreachable rooms are
    skipped with a warning (plan_walkthrough_detailed reports them).
    """
    plan = plan_walkthrough_detailed(house, start_room_id, rng, config)
    log.info("house %s: %d frames, rooms scanned %s", house.id, len(plan.poses), plan.rooms_scanned)
    return plan.poses
