"""How answers are written: one number formatter for questions, options and answers alike,
and the multiple-choice letter layout VSI-Bench uses ("A. 2.3")."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

LETTERS = "ABCDEFGH"


def format_number(value: float, decimals: int) -> str:
    """Round half-to-even at `decimals` through Decimal of the shortest repr, so 2.25 -> "2.2"
    the same on every machine and there is never float noise ("35.300000000000004")."""
    q = Decimal(1).scaleb(-decimals)
    d = Decimal(repr(float(value))).quantize(q, rounding=ROUND_HALF_EVEN)
    if d == 0:
        d = abs(d)  # no "-0.0"
    return f"{d:.{decimals}f}"


def rounded(value: float, decimals: int) -> float:
    """The number a formatted answer denotes (what MRA is scored against)."""
    return float(format_number(value, decimals))


def letter_options(options: list[str]) -> list[str]:
    return [f"{LETTERS[i]}. {o}" for i, o in enumerate(options)]


def option_text(lettered: str) -> str:
    """"B. 2.3" -> "2.3"."""
    return lettered.split(". ", 1)[1]
