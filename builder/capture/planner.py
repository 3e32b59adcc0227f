"""Walkthrough planner: a room tour with a 360-degree scan in every room, as camera poses at a fixed fps.

Tour: depth-first preorder over the door graph from the start room. In each room the camera
scans in place at the point of largest clearance near the centroid; between scan points it
follows an A* path on the occupancy grid (clearance-weighted), shortcut by line of sight,
with corners rounded by circular fillets where clearance allows; corners that cannot be
rounded become stop-turn-go. Each scan turns on past 360 degrees until it faces the way out.
The camera looks along the direction of motion (smoothed). Speeds and accelerations, linear
and angular, stay within the configured limits, and every phase is stretched to a whole
number of frames, so phases start and end exactly on frames.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
from shapely.geometry import Polygon

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


@dataclass(frozen=True)
class Pose:
    t_s: float  # frame time (s) = frame index / fps
    x: float  # world position (m); y is the camera height
    y: float
    z: float
    yaw_deg: float  # in [-180, 180); 0 looks toward +z, 90 toward +x
    pitch_deg: float  # positive up
    room_id: str | None  # room whose floor polygon holds the camera (door crossings: either side)
    phase: str  # "scan" (in-place room scan), "turn" (in-place turn at a sharp corner), "move"

    @property
    def position(self) -> tuple[float, float, float]:
        return (self.x, self.y, self.z)


@dataclass(frozen=True)
class ScanRecord:
    room_id: str
    x: float  # scan point (m)
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
    u = np.concatenate([[0.0], np.minimum(cap[:-1], cap[1:]), [0.0]])  # speed at each point
    for k in range(1, len(u)):  # forward then backward acceleration passes
        u[k] = min(u[k], math.sqrt(u[k - 1] ** 2 + 2 * acc * ds[k - 1]))
    for k in range(len(u) - 2, -1, -1):
        u[k] = min(u[k], math.sqrt(u[k + 1] ** 2 + 2 * acc * ds[k]))
    # constant acceleration within each interval: speed and yaw rate peak at its ends (<= caps)
    dur = 2 * ds / (u[:-1] + u[1:])
    t = np.concatenate([[0.0], np.cumsum(dur)])
    s_knot = np.concatenate([[0.0], np.cumsum(ds)])

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


# ---- the planner -----------------------------------------------------------------------------


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
