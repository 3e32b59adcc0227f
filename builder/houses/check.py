"""`simsv check-rules`: every plausibility-rule violation (houses/rules.py) of a corpus's
houses, or of freshly generated ones (`--generate N`: the house generator alone, no
rendering), followed by the content figures of houses/figures.py."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from builder.houses.figures import format_figures, house_figures
from builder.houses.rules import check_house
from builder.houses.spec import House


def corpus_houses(corpus: Path) -> list[House]:
    """The houses of a corpus written by `simsv generate` (houses/house_*/house.json), in order."""
    paths = sorted(corpus.glob("houses/house_*/house.json"))
    if not paths:
        raise FileNotFoundError(f"{corpus}: no houses/house_*/house.json (not a corpus written by `simsv generate`)")
    return [House.load(p) for p in paths]


def generated_houses(n: int, seed: int, catalog, progress=None) -> list[House]:
    from builder.houses.generate import generate_house
    out = []
    for i in range(n):
        out.append(generate_house(i, seed, catalog))
        if progress is not None and (i + 1) % 20 == 0:
            print(f"generated {i + 1}/{n} houses", file=progress, flush=True)
    return out


def run(houses: list[House], out=sys.stdout) -> int:
    """Print violations, a count per rule and the figures; the number of violations."""
    violations = [v for h in houses for v in check_house(h)]
    for v in violations:
        print(v, file=out)
    per_rule = Counter(v.rule for v in violations)
    print(f"{len(violations)} rule violation(s) in {len(houses)} house(s)"
          + (": " + ", ".join(f"{r} {n}" for r, n in sorted(per_rule.items())) if per_rule else ""), file=out)
    print(format_figures(house_figures(houses)), file=out)
    return len(violations)
