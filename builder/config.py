"""Settings of a corpus build. The resolved settings are saved as build_config.json in the
output folder; resuming into a folder built with other settings is refused."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


BACKENDS = ("embedded", "ai2thor")  # see render/backend.py
LIGHTING = ("baked", "rig")  # rig: the fixed light rig of earlier builds (no shadows, no effects)
MIN_KBPS, MAX_KBPS = 20, 100_000  # video bitrates (capture/encode.py); 0 = constant quality
KBPS_RANGE = f"0 (constant quality, x264 crf 23) or an integer in [{MIN_KBPS}, {MAX_KBPS}] kbit/s"


def valid_kbps(kbps) -> bool:
    return not isinstance(kbps, bool) and isinstance(kbps, int) and (kbps == 0 or MIN_KBPS <= kbps <= MAX_KBPS)


@dataclass(frozen=True)
class RenderConfig:
    """Lighting and camera effects of the embedded renderer (render/bake.py, render/post.py).
    Bad values raise ValueError naming the field and its allowed range."""

    # "baked": ceiling lights, lamps and daylight with shadows and ambient occlusion, baked once
    # per house; "rig": the fixed sky/key/fill/headlight rig of earlier builds
    lighting: str = "baked"
    # multisample anti-aliasing samples per pixel of the colour pass (0 = off; ids and depth never
    # are). On llvmpipe it costs more than the rest of the frame, so the default is fxaa instead;
    # on a GPU it is nearly free (docs/performance.md)
    msaa: int = 0
    # post-process edge anti-aliasing of the colour (render/fxaa.py); excludes msaa
    fxaa: bool = True
    # motion blur: shutter open for this fraction of the frame interval (0 = off, 1 = whole interval)
    motion_blur: float = 0.35
    # sensor noise: standard deviation at mid grey, in linear units (0 = off)
    noise: float = 0.02
    # defocus blur radius in pixels (0 = off)
    defocus_px: float = 0.7
    # exposure that follows the scene's brightness along the video, as a phone camera's does
    auto_exposure: bool = True

    def __post_init__(self):
        def bad(field_name, allowed, got):
            raise ValueError(f"render.{field_name}: must be {allowed}, got {got!r}")

        if self.lighting not in LIGHTING:
            bad("lighting", " or ".join(repr(x) for x in LIGHTING), self.lighting)
        if self.msaa not in (0, 2, 4, 8) or isinstance(self.msaa, bool):
            bad("msaa", "0, 2, 4 or 8", self.msaa)
        if not isinstance(self.fxaa, bool):
            bad("fxaa", "true or false", self.fxaa)
        if self.fxaa and self.msaa:
            bad("fxaa", f"false when render.msaa is set (one anti-aliasing at a time; msaa is {self.msaa})", self.fxaa)
        for name, lo, hi in (("motion_blur", 0.0, 1.0), ("noise", 0.0, 0.2), ("defocus_px", 0.0, 4.0)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
                bad(name, f"a number in [{lo:g}, {hi:g}]", v)
        if not isinstance(self.auto_exposure, bool):
            bad("auto_exposure", "true or false", self.auto_exposure)

    @classmethod
    def off(cls) -> "RenderConfig":
        """The look of earlier builds: light rig, no anti-aliasing, no camera effects."""
        return cls(lighting="rig", msaa=0, fxaa=False, motion_blur=0.0, noise=0.0, defocus_px=0.0, auto_exposure=False)


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
    # lighting and camera effects (embedded backend); the default is the look of builds made
    # before effects existed (their build_config.json has no `render`, so they resume as built);
    # the CLI and presets default to RenderConfig() (baked light, FXAA, effects on)
    render: RenderConfig = field(default_factory=RenderConfig.off)
    # video bitrate in kbit/s: 0 = x264 constant quality (crf 23), what builds made before this
    # setting used (their build_config.json has no `video_kbps`); > 0 = a target average bitrate,
    # e.g. 700 for phone footage's bits per pixel at 680x384, 10 fps (docs/capture-format.md)
    video_kbps: int = 0

    def __post_init__(self):
        if not valid_kbps(self.video_kbps):
            raise ValueError(f"capture.video_kbps: must be {KBPS_RANGE}, got {self.video_kbps!r}")


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
        if d["capture"]["video_kbps"] == 0:
            del d["capture"]["video_kbps"]
        # render: the fields that differ from the old look (none: the key is left out, as before)
        old_look = asdict(RenderConfig.off())
        render = {k: v for k, v in d["capture"].pop("render").items() if v != old_look[k]}
        if render:
            d["capture"]["render"] = render
        return d

    @classmethod
    def from_json(cls, d: dict) -> "BuildConfig":
        capture = dict(d["capture"])
        capture["render"] = RenderConfig(**{**asdict(RenderConfig.off()), **capture.get("render", {})})
        return cls(houses=d["houses"], seed=d["seed"], capture=CaptureConfig(**capture), procthor=d.get("procthor"))
