"""`simsv preview --corpus C --out DIR`: a static HTML page to look at videos and their questions.

Per video: a player, a strip of 8 uniformly sampled frames, an SVG top-down map of the house
(rooms, objects, the camera path of that video with its start and end), and its questions with options and answers.
Hovering a question highlights the objects it refers to on the map (the first question of
each video starts highlighted). No server, no scripts
from elsewhere: open DIR/index.html in a browser.
"""

from __future__ import annotations

import html
import io
import os
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from PIL import Image

from builder.capture.encode import read_frames
from builder.io import write_bytes_atomic, write_text_atomic
from simsv_vsi.integrity import read_json
from simsv_vsi.records import read_records
from simsv_vsi.sampling import uniform_frame_indices

STRIP_FRAMES = 8
MAP_PX = 360

STYLE = """
body{font-family:sans-serif;margin:16px;background:#fafafa;color:#222}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px;margin-bottom:18px}
.row{display:flex;gap:14px;flex-wrap:wrap;align-items:flex-start}
.strip img{height:72px;margin-right:2px}
svg .room{fill:#f3efe6;stroke:#888;stroke-width:0.04}
svg .obj{fill:#9bb;stroke:#567;stroke-width:0.02}
svg .obj.hi{fill:#e33;stroke:#900}
svg .path{fill:none;stroke:#27c;stroke-width:0.06}
svg .start{fill:#fff;stroke:#27c;stroke-width:0.05} svg .end{fill:#27c}
li{margin:4px 0;cursor:default} li:hover{background:#fff3cc}
.ans{color:#070;font-weight:bold} .type{color:#777;font-size:85%}
"""
SCRIPT = """
document.querySelectorAll('section').forEach(sec => {  // the first question of each video starts highlighted
  const li = sec.querySelector('li[data-ids]');
  if (li) li.dataset.ids.split(',').forEach(i => sec.querySelectorAll('svg [data-iid="'+i+'"]').forEach(e => e.classList.add('hi')));
});
document.querySelectorAll('li[data-ids]').forEach(li => {
  const svg = li.closest('section').querySelector('svg');
  const ids = li.dataset.ids.split(',');
  li.addEventListener('mouseenter', () => ids.forEach(i => svg.querySelectorAll('[data-iid="'+i+'"]').forEach(e => e.classList.add('hi'))));
  li.addEventListener('mouseleave', () => svg.querySelectorAll('.hi').forEach(e => e.classList.remove('hi')));
});
"""


def _svg(scene: dict, path_xz: np.ndarray, highlight: set[int]) -> str:
    pts = np.array([p for r in scene["rooms"] for p in r["polygon"]], float)
    (x0, z0), (x1, z1) = pts.min(0) - 0.3, pts.max(0) + 0.3
    parts = [f'<svg width="{MAP_PX}" height="{int(MAP_PX * (z1 - z0) / (x1 - x0))}" '
             f'viewBox="{x0:.2f} {z0:.2f} {x1 - x0:.2f} {z1 - z0:.2f}">']
    for r in scene["rooms"]:
        parts.append(f'<polygon class="room" points="{" ".join(f"{x:.2f},{z:.2f}" for x, z in r["polygon"])}"/>')
    for o in scene["objects"]:
        foot = o["obb"]["corners"][:4]  # bottom face, x and z
        cls = "obj hi" if o["instance_id"] in highlight else "obj"
        parts.append(f'<polygon class="{cls}" data-iid="{o["instance_id"]}" '
                     f'points="{" ".join(f"{c[0]:.2f},{c[2]:.2f}" for c in foot)}">'
                     f'<title>{html.escape(o["category"])}</title></polygon>')
    parts.append(f'<polyline class="path" points="{" ".join(f"{x:.2f},{z:.2f}" for x, z in path_xz)}"/>')
    if len(path_xz):  # where the video starts and ends (the ego-motion questions' first and last poses)
        for cls, (x, z) in (("start", path_xz[0]), ("end", path_xz[-1])):
            parts.append(f'<circle class="{cls}" cx="{x:.2f}" cy="{z:.2f}" r="0.15"><title>camera {cls}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def _question(r: dict) -> str:
    ids = sorted({i for o in r["objects"] for i in o["instance_ids"]})
    opts = "<br>".join(html.escape(o) for o in r["options"]) if r["options"] else ""
    q = html.escape(r["question"]).replace("\n", "<br>")
    return (f'<li data-ids="{",".join(map(str, ids))}"><span class="type">{r["question_type"]} · {r["format"]}</span><br>'
            f'{q}{"<br>" + opts if opts else ""}<br>answer: <span class="ans">{html.escape(r["answer"])}'
            f'{"" if r["answer"] == r["answer_value"] else " (" + html.escape(r["answer_value"]) + ")"}</span></li>')


def write_preview(corpus: Path, out: Path, max_videos: int = 6, questions_per_video: int = 20) -> Path:
    corpus, out = Path(corpus), Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: exists and is not a folder")
    path = corpus / "qa" / "records.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no QA records; run `simsv qa --corpus {corpus}` first")
    rows = read_records(path).to_pylist()
    by_video: dict[str, list[dict]] = {}
    for r in rows:
        by_video.setdefault(r["video_id"], []).append(r)
    # walkthroughs first, then room clips, in id order
    chosen = sorted(by_video, key=lambda v: ("_room" in v, v))[:max_videos]
    sections = []
    for vid in chosen:
        recs = _variety(by_video[vid], questions_per_video)
        r0 = recs[0]
        hdir = corpus / "houses" / r0["house_id"]
        scene = read_json(hdir / "scene.json")
        t = pq.read_table(hdir / f"traj_{r0['trajectory']:02d}" / "frames.parquet", columns=["x", "z"])
        xz = np.stack([t["x"].to_numpy(), t["z"].to_numpy()], 1)[r0["frame_start"]:r0["frame_end"]]
        n = r0["frame_end"] - r0["frame_start"]
        imgs = []
        for k, fr in enumerate(read_frames(corpus / r0["video"], uniform_frame_indices(n, STRIP_FRAMES))):
            name = f"frames/{vid}_{k}.jpg"
            im = Image.fromarray(fr)
            im.thumbnail((240, 240))
            write_bytes_atomic(out / name, _jpeg(im))
            imgs.append(f'<img src="{name}" alt="frame {k}">')
        video_src = os.path.relpath(corpus / r0["video"], out)
        sections.append(
            f'<section><h2>{html.escape(vid)}</h2><div class="row">'
            f'<video controls width="340" src="{html.escape(video_src)}"></video>{_svg(scene, xz, set())}</div>'
            f'<div class="strip">{"".join(imgs)}</div><ol>{"".join(_question(r) for r in recs)}</ol></section>')
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>SIMS-VSI preview</title>"
            f"<style>{STYLE}</style></head><body><h1>SIMS-VSI preview: {html.escape(corpus.name)}</h1>"
            f"<p>{len(rows)} questions over {len(by_video)} videos; showing {len(chosen)}. Hover a question to "
            f"highlight its objects on the map in red (blue line: the camera's path in this video).</p>"
            f"{''.join(sections)}<script>{SCRIPT}</script></body></html>")
    write_text_atomic(out / "index.html", page)
    return out / "index.html"


def _variety(recs: list[dict], n: int) -> list[dict]:
    """Up to n questions, one per (type, format) first so every kind shows."""
    first, rest, seen = [], [], set()
    for r in recs:
        key = (r["question_type"], r["format"])
        (rest if key in seen else first).append(r)
        seen.add(key)
    return (first + rest)[:n]


def _jpeg(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=85)
    return buf.getvalue()
