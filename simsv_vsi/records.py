"""The QA record: one question about one video, with its answer and the ground truth behind it.

Documented field by field in docs/qa-format.md. Records are stored as parquet with
`RECORD_SCHEMA`; `read_records` / `write_records` are the only readers and writers.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, fields

import pyarrow as pa
import pyarrow.parquet as pq

RECORD_SCHEMA_VERSION = "simsv-qa/1"

OBJECT_REF = pa.struct([
    ("role", pa.string()),  # e.g. "object1", "positioning", "choice_b", "start"
    ("category", pa.string()),  # the name printed in the question
    ("instance_ids", pa.list_(pa.int32())),  # every instance the name covers in the video's scope
])

RECORD_SCHEMA = pa.schema([
    ("id", pa.string()),
    ("house_id", pa.string()),
    ("house_index", pa.int32()),
    ("trajectory", pa.int16()),
    ("video_id", pa.string()),
    ("video", pa.string()),  # mp4 path relative to the corpus root
    ("room_id", pa.string()),  # set for room clips, null for whole walkthroughs
    ("frame_start", pa.int32()),  # the clip's frames in the walkthrough: [start, end)
    ("frame_end", pa.int32()),
    ("fps", pa.float32()),
    ("question_type", pa.string()),
    ("format", pa.string()),  # "oe" or "mc"
    ("question", pa.string()),
    ("options", pa.list_(pa.string())),  # "A. 2.3" ...; null for open-ended
    ("answer", pa.string()),  # the assistant's answer: a letter (mc) or a number (oe)
    ("answer_value", pa.string()),  # the answer's text: the option for mc, the number for oe
    ("gt_value", pa.float64()),  # exact measured value for numeric types, before rounding
    ("unit", pa.string()),
    ("objects", pa.list_(OBJECT_REF)),
    ("evidence", pa.string()),  # JSON: the geometry and margins behind the answer, for audits
    ("seed", pa.int64()),
], metadata={b"schema": RECORD_SCHEMA_VERSION.encode()})


@dataclass
class ObjectRef:
    role: str
    category: str
    instance_ids: list[int]

    def __reduce__(self):  # positional fields: lighter to pickle than the instance dict
        return ObjectRef, (self.role, self.category, self.instance_ids)


@dataclass
class QARecord:
    id: str
    house_id: str
    house_index: int
    trajectory: int
    video_id: str
    video: str
    room_id: str | None
    frame_start: int
    frame_end: int
    fps: float
    question_type: str
    format: str
    question: str
    options: list[str] | None
    answer: str
    answer_value: str
    gt_value: float | None
    unit: str | None
    objects: list[ObjectRef] = field(default_factory=list)
    evidence: str = "{}"
    seed: int = 0

    @property
    def num_frames(self) -> int:
        return self.frame_end - self.frame_start

    def __reduce__(self):
        # positional fields: records cross processes (`simsv qa --workers`), and pickling them
        # this way is smaller and faster than the default (class, instance dict)
        return QARecord, tuple(getattr(self, name) for name in _RECORD_FIELDS)


_RECORD_FIELDS = tuple(f.name for f in fields(QARecord))


def records_table(records: list[QARecord]) -> pa.Table:
    # column by column: `asdict` deep-copies every record (460 ms for 3,656 records, against 35)
    cols = {name: [getattr(r, name) for r in records] for name in _RECORD_FIELDS}
    cols["objects"] = [[{"role": o.role, "category": o.category, "instance_ids": o.instance_ids} for o in objs]
                       for objs in cols["objects"]]
    return pa.Table.from_pydict(cols, schema=RECORD_SCHEMA)


def write_records(records: list[QARecord] | pa.Table) -> bytes:
    """Parquet bytes with fixed writer settings (no timestamps), so equal records give equal bytes."""
    table = records if isinstance(records, pa.Table) else records_table(records)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", use_dictionary=True, write_statistics=False,
                   store_schema=False)
    return buf.getvalue()


def read_records(path) -> pa.Table:
    table = pq.read_table(path)
    missing = [f.name for f in RECORD_SCHEMA if f.name not in table.column_names]
    if missing:
        raise ValueError(f"{path}: not a SIMS-VSI QA file, missing field(s) {', '.join(missing)}")
    return table.select(RECORD_SCHEMA.names).cast(RECORD_SCHEMA)
