"""Flag types that check ranges while the command line is parsed, so a bad value stops the run
before anything is written, with one line naming the flag and what it allows."""

from __future__ import annotations

import argparse
import math

MAX_SEED = 2**63 - 1


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error: `simsv generate: error: argument --fps: ...` (exit 2);
    `-h` still shows the usage."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} -h)\n")


def int_in(lo: int, hi: int | None = None, even: bool = False):
    """An int in [lo, hi] (hi None: no upper bound)."""
    what = f"{'an even' if even else 'an'} integer in [{lo}, {hi if hi is not None else 'inf'}]"
    if hi == MAX_SEED:
        what = f"an integer in [{lo}, 2**63-1]"

    return _checked(int, what, lambda v: lo <= v and (hi is None or v <= hi) and not (even and v % 2))


def float_in(lo: float, hi: float, lo_open: bool = False, hi_open: bool = False):
    """A finite float in [lo, hi] (or open at either end)."""
    what = f"a number in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"

    return _checked(float, what, lambda v: math.isfinite(v) and lo <= v <= hi
                    and not (lo_open and v == lo) and not (hi_open and v == hi))


def _checked(convert, what: str, ok):
    """An argparse type: `convert` the text, then `ok(value)` or one error naming the range."""

    def parse(text: str):
        try:
            v = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
        if not ok(v):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text}")
        return v

    parse.__name__ = convert.__name__  # argparse names the type in some messages
    return parse


def int_choice(*allowed: int):
    """An int among `allowed`."""
    what = ", ".join(str(v) for v in allowed[:-1]) + f" or {allowed[-1]}"
    return _checked(int, what, lambda v: v in allowed)


def shard(text: str) -> tuple[int, int]:
    """'i/N' -> (i, N) with 0 <= i < N."""
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        i, n = -1, 0
    if not (1 <= n <= 1_000_000 and 0 <= i < n):
        raise argparse.ArgumentTypeError(f"must look like i/N with 0 <= i < N (e.g. 0/4), got {text!r}")
    return i, n


SEED = int_in(0, MAX_SEED)
HOUSES = int_in(1, 1_000_000)
WIDTH = int_in(16, 4096, even=True)  # yuv420p video: even sizes only
HEIGHT = int_in(16, 4096, even=True)
FPS = int_in(1, 120)
VFOV = float_in(1, 170)
TRAJECTORIES = int_in(1, 100)
WORKERS = int_in(1, 256)
COUNT = int_in(0, 100_000)  # questions per type / room: 0 turns a kind off
POSITIVE = int_in(1, 1_000_000_000)
INDEX = int_in(0, 1_000_000_000)
FRACTION = float_in(0, 1, hi_open=True)

def _video_kbps():
    from builder.config import KBPS_RANGE, valid_kbps

    return _checked(int, KBPS_RANGE, valid_kbps)


VIDEO_KBPS = _video_kbps()

