"""How answers are written: one number formatter for questions, options and answers alike,
and the multiple-choice letter layout VSI-Bench uses ("A. 2.3")."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

LETTERS = "ABCDEFGH"


def format_number(value: float, decimals: int) -> str:
    """Round half-to-even at `decimals` through Decimal of the shortest repr, so 2.25 -> "2.2"
    the same on every machine and there is never float noise ("35.300000000000004")."""
    return _format_float(float(value), decimals)


@lru_cache(maxsize=1 << 14)  # numbers drawn from priors repeat (sizes of one category, counts)
def _format_float(value: float, decimals: int) -> str:
    text = repr(value)
    if decimals >= 0 and "e" not in text and "n" not in text:  # plain "-12.345": round the digits
        return _round_digits(text, decimals)
    return _format_decimal(text, decimals)  # exponent form, inf, nan


def _round_digits(text: str, decimals: int) -> str:
    """`_format_decimal` for a plain decimal string, on its digits (Decimal costs ~5 us a call
    and the QA engine formats every number it writes; tests/simsv_vsi/test_answers.py checks
    the two agree)."""
    neg = text.startswith("-")
    whole, frac = text.lstrip("-").split(".")
    n = int(whole + frac[:decimals].ljust(decimals, "0"))  # the kept digits, as one integer
    rest = frac[decimals:]
    if rest and (rest[0] > "5" or (rest[0] == "5" and (rest.strip("0") != "5" or n % 2))):
        n += 1  # above half, or exactly half and the kept last digit odd (half-to-even)
    digits = str(n).rjust(decimals + 1, "0")
    out = f"{digits[:-decimals]}.{digits[-decimals:]}" if decimals else digits
    return "-" + out if neg and n else out  # no "-0.0"


def _format_decimal(text: str, decimals: int) -> str:
    q = Decimal(1).scaleb(-decimals)
    d = Decimal(text).quantize(q, rounding=ROUND_HALF_EVEN)
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
