"""Every quality-control threshold of the QA engine, named and documented in one place.

docs/qa-format.md explains each rule; tests/builder/test_qa_rules.py feeds a case violating
each one and checks it is rejected. Changing a value changes the questions, so the whole
config is stored next to the records it produced (qa/qa_config.json).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from simsv_vsi.sampling import DEFAULT_SAMPLE_COUNTS


@dataclass(frozen=True)
class QAConfig:
    seed: int = 0
    questions_per_type: int = 5  # per walkthrough, per type and format
    questions_per_room: int = 1  # per room clip, per room-scoped type and format

    # Visibility. An instance is "seen" in a scope if it covers >= seen_pixels in any frame;
    # "salient" if it covers >= salience_fraction of the frame in some frame. A referenced
    # instance must be salient; every seen instance of the same name counts for ambiguity.
    seen_pixels: int = 1
    salience_fraction: float = 0.01
    # Answerable under frame sampling: every referenced instance covers >= sampled_fraction of
    # the frame in at least one of the K frames the uniform sampler picks, for every K here.
    sample_counts: tuple[int, ...] = DEFAULT_SAMPLE_COUNTS
    sampled_fraction: float = 0.005

    # Distances (metres, between closest points of the meshes).
    min_abs_distance_m: float = 0.2  # touching or stacked pairs are not asked about
    # Closest-object rankings: the answer's distance d and every other option's distance d'
    # satisfy d' - d >= rank_margin_m and d' >= (1 + rank_margin_rel) * d.
    rank_margin_m: float = 0.3
    rank_margin_rel: float = 0.15

    # Directions. Angles are measured in the floor plane from the positioning object's centre.
    direction_margin_deg: float = 15.0  # from every class boundary
    direction_min_separation_m: float = 1.0  # positioning <-> orienting centres
    direction_min_query_m: float = 0.8  # positioning <-> querying centres
    # The class must hold when standing anywhere on the positioning object's footprint shrunk
    # to this fraction (and looking at the same points of the other two), not just its centre.
    direction_footprint: float = 0.5

    # Route planning: straight legs between object centres inside one room.
    route_min_leg_m: float = 1.0
    route_turn_margin_deg: float = 15.0  # from the 45/135-degree turn boundaries
    route_max_turns: int = 2

    # Appearance order: first appearance = first frame with >= seen_pixels of any instance.
    appearance_min_gap_s: float = 2.0  # between consecutive first appearances
    appearance_onset_max_s: float = 1.0  # first pixel -> salient within this time

    # Room clips: the stretch in one room must include its full scan.
    room_clip_min_sweep_deg: float = 350.0
    # Room size is asked on a video that shows no other room's floor (more than this fraction
    # of a frame, through a doorway): the answer is the clip room's area, and the template's
    # "combined space" would otherwise be a second, different answer. The video is the room
    # clip's longest stretch without such frames, if it still turns through
    # room_size_min_sweep_deg over room_size_min_frames frames or more (view.room_size_clips).
    room_size_max_other_floor: float = 0.001
    room_size_min_sweep_deg: float = 120.0  # plus the field of view: at least half the walls
    room_size_min_frames: int = 32

    # Counting: as VSI-Bench asks it, of categories that occur several times (its answers
    # start at 2); a count of 1 is never asked.
    min_count: int = 2
    max_count: int = 9

    # Multiple choice: two numeric options a and b are both offered only if
    # |a - b| >= mc_min_option_gap_rel * min(a, b), on the printed values.
    mc_min_option_gap_rel: float = 0.15

    # Ego-motion and spatial memory (qa/types/egomotion.py). Heading is the camera's yaw in the
    # floor plane; a "moment" is when a named category first appears, which a viewer may place
    # at its first pixel, at its first clear frame, or at either in the K sampled frames: an
    # answer must hold for every one of those frames.
    ego_min_displacement_m: float = 0.5  # shorter camera displacements are not asked
    ego_displacement_spread_rel: float = 0.1  # displacement between moments: all readings within 10 %
    ego_turn_margin_deg: float = 10.0  # a turn (camera_turn, goal_aiming) this far from 22.5 + 45k
    ego_direction_margin_deg: float = 15.0  # ego_direction: this far from 45 and 135 degrees
    ego_min_object_distance_m: float = 1.0  # camera -> object centre, for a direction to be defined
    # Action consequence: walks of 1..action_max_walk_m whole metres from the last pose; the
    # ranking must hold for walks this much shorter or longer and headings this much off.
    action_max_walk_m: int = 2
    action_walk_tolerance_m: float = 0.25
    action_heading_tolerance_deg: float = 10.0
    action_clearance_m: float = 0.2  # the walk keeps this far from walls and furniture

    def __post_init__(self):
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or not 0 <= self.seed < 2**64:
            raise ValueError(f"qa config: seed must be an int in [0, 2**64), got {self.seed!r}")  # it keys the slots' streams
        for f in fields(self):
            if f.name != "seed":
                _check_field(f.name, f.type, getattr(self, f.name))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["sample_counts"] = list(self.sample_counts)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "QAConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"qa config: unknown field(s) {', '.join(unknown)}")
        d = dict(d)
        if isinstance(d.get("sample_counts"), list):
            d["sample_counts"] = tuple(d["sample_counts"])
        return cls(**d)


FRACTIONS = {"salience_fraction", "sampled_fraction", "rank_margin_rel", "direction_footprint", "mc_min_option_gap_rel"}
AT_LEAST_ONE = {"max_count", "seen_pixels"}


def _check_field(name: str, kind: str, v) -> None:
    """Each field's type and range, so a bad config file fails here, naming the field."""
    import math

    def bad(what):
        raise ValueError(f"qa config: {name} must be {what}, got {v!r}")

    if kind == "int":
        lo = 1 if name in AT_LEAST_ONE else 0
        if not isinstance(v, int) or isinstance(v, bool) or v < lo:
            bad(f"an integer >= {lo}")
    elif kind == "float":
        hi = 1 if name in FRACTIONS else math.inf
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not (0 <= v <= hi):
            bad(f"a number in [0, {hi:g}]")
    elif name == "sample_counts":
        if not isinstance(v, tuple) or not v or not all(isinstance(k, int) and not isinstance(k, bool) and k >= 1 for k in v):
            bad("a non-empty list of integers >= 1")

