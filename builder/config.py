"""Settings of a corpus build. The resolved settings are saved as build_config.json in the
output folder; resuming into a folder built with other settings is refused."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


BACKENDS = ("embedded", "ai2thor")  # see render/backend.py


@dataclass(frozen=True)
class CaptureConfig:
    # frame size in pixels (the SIMS-V paper's videos are 680x384)
    width: int = 680
    height: int = 384
    # vertical field of view in degrees (AI2-THOR's navigation camera in SIMS-V: 59); the
    # "fixed" camera's FOV and the "paper" camera's mean FOV; "handheld" draws its own
    vfov_deg: float = 59.0
    # video frame rate; poses are planned at this rate, one rendered frame per pose
    fps: int = 10
    # walkthroughs per house, each from a different start room
    trajectories_per_house: int = 2
    # what draws the frames: "embedded" (our renderer) or "ai2thor" (render/backend.py)
    backend: str = "embedded"
    # camera profile (capture/camera.py, docs/realism.md): "handheld", "paper", or "fixed", the
    # camera of builds made before profiles existed (so their build_config.json, which has no
    # `camera`, resumes with the camera it was built with); the CLI and presets default to handheld
    camera: str = "fixed"


@dataclass(frozen=True)
class BuildConfig:
    # number of houses in the corpus; house i is generated from (seed, i) alone
    houses: int = 4
    # global seed; every random choice derives from (seed, house index, stage, ...)
    seed: int = 0
    capture: CaptureConfig = field(default_factory=CaptureConfig)
    # a ProcTHOR house file (.json, .jsonl[.gz]): house i is its i-th house instead of a generated one
    procthor: str | None = None

    def to_json(self) -> dict:
        d = asdict(self)
        # fields at their defaults are left out, so folders built before they existed still resume
        if d["procthor"] is None:
            del d["procthor"]
        if d["capture"]["backend"] == "embedded":
            del d["capture"]["backend"]
        if d["capture"]["camera"] == "fixed":
            del d["capture"]["camera"]
        return d

    @classmethod
    def from_json(cls, d: dict) -> "BuildConfig":
        return cls(houses=d["houses"], seed=d["seed"], capture=CaptureConfig(**d["capture"]), procthor=d.get("procthor"))
