"""The paper's Table 1 layout for any set of runs: VSI-Bench's macro average and its 8 task scores,
then the other benchmarks, one row per run, as Markdown and as a plot.

    python -m eval.table results/base results/ov-3q --out results/table.md --plot results/table.png

Each argument is a folder holding `simsv_results.json` (what `python -m eval.run` writes) or the
file itself. Scores are 0..100; a benchmark a run did not score shows as "-". A proxy score
(OpenEQA without its LLM judge) is marked with "*" and never shown as the real metric.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from eval import results
from eval.benchmarks import BENCHMARKS

# VSI-Bench's columns in the paper's order: (header, metric of simsv_vsibench)
VSIBENCH_COLUMNS = [
    ("Avg.", "overall"), ("Obj. Count", "object_counting"), ("Abs. Dist.", "object_abs_distance"),
    ("Obj. Size", "object_size_estimation"), ("Room Size", "room_size_estimation"),
    ("Rel. Dist.", "object_rel_distance"), ("Rel. Dir.", "object_rel_direction"),
    ("Route Plan", "route_planning"), ("Appr. Order", "obj_appearance_order"),
]
OTHER_COLUMNS = ["VSI-Bench-Debiased", "SIMS-VSI held-out", "OpenEQA", "VideoMME", "EgoSchema", "MME-RealWorld-lite"]
PROXIES = {"OpenEQA": "proxy_token_f1"}  # shown, marked, when the real metric is absent


def _value(record: dict, task: str, metric: str, scale: float = 1.0) -> float | None:
    v = record["tasks"].get(task, {}).get("metrics", {}).get(metric)
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v * scale


def row(record: dict) -> dict[str, tuple[float | None, bool]]:
    """Column -> (score, is_proxy) for one run."""
    cells = {h: (_value(record, "simsv_vsibench", m), False) for h, m in VSIBENCH_COLUMNS}
    for name in OTHER_COLUMNS:
        b = BENCHMARKS[name]
        v = _value(record, b.task, b.metric, b.scale)
        if v is None and name in PROXIES:
            proxy = _value(record, b.task, PROXIES[name])
            cells[name] = (proxy, proxy is not None)
        else:
            cells[name] = (v, False)
    return cells


def protocol_cell(record: dict) -> str:
    """How the model saw the videos: the simsv_llava profile and its frames, or "-" for other models."""
    proto = record.get("protocol")
    if not proto:
        return "-"
    return f"{proto['profile']} ({proto['frames']}f, {proto['pooling']}{', time' if proto['time_instruction'] else ''})"


def markdown(records: list[dict]) -> str:
    headers = ["Model", "Protocol"] + [h for h, _ in VSIBENCH_COLUMNS] + OTHER_COLUMNS
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(["---", "---"] + ["---:"] * (len(headers) - 2)) + "|"]
    any_proxy = False
    for rec in records:
        cells = row(rec)
        text = []
        for h in headers[2:]:
            v, proxy = cells[h]
            any_proxy |= proxy
            text.append("-" if v is None else f"{v:.1f}" + ("*" if proxy else ""))
        lines.append("| " + " | ".join([rec["label"], protocol_cell(rec)] + text) + " |")
    notes = ["", "VSI-Bench columns: simsv_vsibench (Avg. = unweighted mean of the 8 tasks; Rel. Dir. = mean of "
             "its 3 levels). Scores x100. Protocol: simsv_llava's profile (paper = lmms-eval's llava_vid / "
             "llava_onevision defaults, as the published numbers; train = the checkpoint's own layout), frames, "
             "pooling, time instruction."]
    if any_proxy:
        notes.append("* proxy (token F1), not OpenEQA's LLM-Match: no judge was configured for that run.")
    for rec in records:
        if rec.get("limit") is not None:
            notes.append(f"{rec['label']}: --limit {rec['limit']} smoke run, not a real score.")
        for task, res in rec["tasks"].items():
            missing = (res.get("missing") or {}).get("types")
            if missing:
                notes.append(f"{rec['label']}: {task} had no questions of {', '.join(missing)}.")
    return "\n".join(lines + notes) + "\n"


def plot(records: list[dict], path: Path) -> None:
    """Grouped bars: VSI-Bench's tasks, then the other benchmarks, one colour per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = [h for h, _ in VSIBENCH_COLUMNS] + OTHER_COLUMNS
    fig, ax = plt.subplots(figsize=(max(8, 0.9 * len(columns)), 4))
    width = 0.8 / max(1, len(records))
    for i, rec in enumerate(records):
        cells = row(rec)
        xs = [c + (i - (len(records) - 1) / 2) * width for c in range(len(columns))]
        ys = [cells[h][0] if cells[h][0] is not None else 0.0 for h in columns]
        bars = ax.bar(xs, ys, width, label=rec["label"])
        for bar, h in zip(bars, columns):
            if cells[h][1]:
                bar.set_hatch("//")  # proxy score
            if cells[h][0] is None:  # not scored: say so rather than draw a zero
                ax.text(bar.get_x() + bar.get_width() / 2, 1, "n/a", ha="center", va="bottom", fontsize=6, rotation=90)
    ax.set_xticks(range(len(columns)), columns, rotation=35, ha="right")
    ax.set_ylabel("score (0-100)")
    ax.set_ylim(0, 100)
    ax.axvline(len(VSIBENCH_COLUMNS) - 0.5, color="grey", lw=0.8)
    ax.legend(fontsize=8)
    ax.set_title("VSI-Bench tasks | other benchmarks (hatched: proxy score)")
    fig.tight_layout()
    fig.savefig(path, dpi=120, metadata={"Software": None})  # no version stamp: same runs, same bytes
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.table", description="Results table from simsv_results.json files")
    p.add_argument("runs", nargs="+", type=Path, help="run folders or simsv_results.json files, one row each")
    p.add_argument("--out", type=Path, help="write the Markdown table here (default: print it)")
    p.add_argument("--plot", type=Path, help="also draw the table as a bar chart (.png)")
    args = p.parse_args(argv)
    try:
        records = [results.read(r) for r in args.runs]
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    text = markdown(records)
    if args.out:
        args.out.write_text(text)
    else:
        print(text, end="")
    if args.plot:
        plot(records, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
