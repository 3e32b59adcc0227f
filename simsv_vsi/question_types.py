"""The question-type registry: VSI-Bench names, the paper's templates word for word, answer kinds.

Templates are the SIMS-V paper's (most are VSI-Bench's wording). `{...}` fields are filled by
the generators in `builder/qa/`; a line break inside a template is part of the question.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QuestionType:
    name: str  # VSI-Bench `question_type`
    template: str
    answer: str  # "numeric" (open-ended or MC over numbers) or "choice" (MC over words)
    # "room": asked only on room clips (the question says "this room"); "video": asked on any
    # video, the whole walkthrough or a room clip, about what that video shows
    scope: str
    unit: str | None = None
    decimals: int = 0  # how numeric answers and options are printed
    formats: tuple[str, ...] = ("mc",)  # "oe" open-ended, "mc" multiple choice
    num_options: int = 4
    # the question lists the options, as "{choice_a}, {choice_b}, {choice_c}, {choice_d}" in
    # letter order (so moving an option moves its name in the question too)
    options_in_question: bool = False


_NUM = ("oe", "mc")

QUESTION_TYPES: dict[str, QuestionType] = {t.name: t for t in [
    QuestionType(
        "object_counting",
        "How many {category}(s) are in this room?",
        "numeric", "room", None, 0, _NUM),
    QuestionType(
        "object_abs_distance",
        "Measuring from the closest point of each object, what is the direct distance between the "
        "{object1} and the {object2} (in meters)?\nIf there are multiple instances of an object "
        "category, use the pair of instances with the shortest distance.",
        "numeric", "video", "m", 1, _NUM),
    QuestionType(
        "object_size_estimation",
        "What is the length of the longest dimension (length, width, or height) of the {category}, "
        "measured in centimeters?",
        "numeric", "video", "cm", 0, _NUM),
    QuestionType(
        "room_size_estimation",
        "What is the size of this room (in square meters)?\nIf multiple rooms are shown, estimate "
        "the size of the combined space.",
        "numeric", "room", "m2", 1, _NUM),
    QuestionType(
        "object_rel_distance",
        "Measuring from the closest point of each object, which of these objects ({choice_a}, "
        "{choice_b}, {choice_c}, {choice_d}) is the closest to the {category}?\nIf there are "
        "multiple instances of an object category, measure to the closest.",
        "choice", "video", options_in_question=True),
    QuestionType(
        "object_rel_direction_easy",
        "If I am standing by the {positioning_object} and facing the {orienting_object}, is the "
        "{querying_object} to the left or the right of the {orienting_object}?",
        "choice", "video", num_options=2),
    QuestionType(
        "object_rel_direction_medium",
        "If I am standing by the {positioning_object} and facing the {orienting_object}, is the "
        "{querying_object} to my left, right, or back?\nAn object is to my back if I would have to "
        "turn at least 135 degrees in order to face it.",
        "choice", "video", num_options=3),
    QuestionType(
        "object_rel_direction_hard",
        "If I am standing by the {positioning_object} and facing the {orienting_object}, is the "
        "{querying_object} to my front-left, front-right, back-left, or back-right?\nThe directions "
        "refer to the quadrants of a Cartesian plane (if I am standing at the origin and facing "
        "along the positive y-axis).",
        "choice", "video"),
    QuestionType(
        "route_planning",
        "You are a robot beginning at the {start_object} and facing the {facing_object}. You want "
        "to navigate to the {end_object}. You will perform the following actions (Note: for each "
        "[please fill in], choose either 'turn back,' 'turn left,' or 'turn right.'): {actions} "
        "You have reached the final destination.",
        "choice", "video"),
    QuestionType(
        "obj_appearance_order",
        "What will be the first-time appearance order of the following categories in the video: "
        "{choice_a}, {choice_b}, {choice_c}, {choice_d}?",
        "choice", "video"),
    QuestionType(
        # The paper's spatiotemporal type; "the these" is its wording, kept verbatim.
        "obj_spatiotemporal_distance",
        "Which of the these objects ({choice_a}, {choice_b}, {choice_c}, {choice_d}) is the closest "
        "to the ego-position at the last frame in the video?",
        "choice", "video", options_in_question=True),
    # Beyond VSI-Bench: the camera's own motion and spatial memory (SAT's dynamic skills over
    # video time; builder/qa/types/egomotion.py). Appended: a type's position seeds its slots.
    QuestionType(
        "camera_displacement",
        "How far is the camera at the last frame of the video from where it was at the first frame "
        "(straight-line distance, in meters)?",
        "numeric", "video", "m", 1, ("oe",)),
    QuestionType(
        "camera_displacement_between",
        "How far did the camera move between the moment the {object1} first appears and the moment "
        "the {object2} first appears in the video (straight-line distance, in meters)?",
        "numeric", "video", "m", 1, ("oe",)),
    QuestionType(
        "camera_turn",
        "Between the moment the {object1} first appears and the moment the {object2} first appears in "
        "the video, which way did the camera turn in total, and by about how much (to the nearest 45 "
        "degrees)?",
        "choice", "video", num_options=6),  # every class is an option: nothing to draw
    QuestionType(
        "ego_direction",
        "At the last frame of the video, is the {category} to my front, left, right, or behind me?\n"
        "An object is in front of me if I would turn less than 45 degrees to face it, and behind me "
        "if I would turn more than 135 degrees.",
        "choice", "video"),
    QuestionType(
        "goal_aiming",
        "At the last frame of the video, to face the {category}, should I turn left, right, or "
        "around, and by about how many degrees (to the nearest 45 degrees)?",
        "choice", "video", num_options=7),
    QuestionType(
        "action_consequence",
        "If I {action} from where I am at the last frame of the video, which of these objects "
        "({choice_a}, {choice_b}, {choice_c}, {choice_d}) will be the closest to me?\nMeasure along "
        "the floor to the closest point of each object.",
        "choice", "video", options_in_question=True),
]}

DIRECTION_CLASSES = {
    "object_rel_direction_easy": ("left", "right"),
    "object_rel_direction_medium": ("left", "right", "back"),
    "object_rel_direction_hard": ("front-left", "front-right", "back-left", "back-right"),
}
ROUTE_TURNS = ("turn left", "turn right", "turn back")
# camera_turn: the camera's total turn to the nearest 45 degrees (a turn near 0 or 180 is not asked)
TURN_CLASSES = tuple(f"{side}, about {deg} degrees" for side in ("left", "right") for deg in (45, 90, 135))
# ego_direction: where an object is at the last frame (front/behind: within 45 degrees)
EGO_DIRECTIONS = ("front", "left", "right", "behind")
# goal_aiming: the turn that faces an object, to the nearest 45 degrees (facing it already: not asked)
AIM_CLASSES = (*(f"turn {side} about {deg} degrees" for side in ("left", "right") for deg in (45, 90, 135)),
               "turn around")
# action_consequence: what the viewer does from the last pose, and its change of heading
# (degrees, positive = left, as yaw)
ACTION_TURNS = {"walk": 0.0, "turn left and walk": 90.0, "turn right and walk": -90.0, "turn around and walk": 180.0}
# the types above, for mixes and evaluation
DYNAMIC_TYPES = ("camera_displacement", "camera_displacement_between", "camera_turn", "ego_direction", "goal_aiming",
                 "action_consequence")


def question_type(name: str) -> QuestionType:
    try:
        return QUESTION_TYPES[name]
    except KeyError:
        raise ValueError(f"unknown question type {name!r}; known: {', '.join(QUESTION_TYPES)}") from None


def type_code(name: str) -> int:
    """A stable small integer per type for seeding (position in the registry never changes
    meaning: new types are appended)."""
    return list(QUESTION_TYPES).index(question_type(name).name) + 1
