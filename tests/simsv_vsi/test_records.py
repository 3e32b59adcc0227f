"""The record table: built column by column, it must equal the plain per-record conversion."""

import pickle
from dataclasses import asdict

import pyarrow as pa

from simsv_vsi.records import RECORD_SCHEMA, ObjectRef, QARecord, read_records, records_table, write_records


def sample_records() -> list[QARecord]:
    common = dict(house_id="house_000001", house_index=1, trajectory=0, video_id="house_000001_t00",
                  video="houses/house_000001/traj_00/video.mp4", frame_start=0, frame_end=120, fps=10.0)
    return [
        QARecord(id="a:object_counting:oe:0", room_id=None, question_type="object_counting", format="oe",
                 question="How many chair(s) are in this room?", options=None, answer="2", answer_value="2",
                 gt_value=2.0, unit=None, objects=[ObjectRef("category", "chair", [3, 4])],
                 evidence='{"room_id":"room|1"}', seed=7, **common),
        QARecord(id="a:route_planning:mc:1", room_id="room|2", question_type="route_planning", format="mc",
                 question="...", options=["A. turn left", "B. turn right"], answer="B", answer_value="turn right",
                 gt_value=None, unit=None, objects=[ObjectRef("start", "bed", [1]), ObjectRef("end", "sofa", [2])],
                 seed=-3, **common),
        QARecord(id="a:room_size_estimation:oe:2", room_id="room|3", question_type="room_size_estimation",
                 format="oe", question="...", options=None, answer="12.5", answer_value="12.5", gt_value=12.4817,
                 unit="m^2", **common),  # no objects, default evidence
    ]


def test_records_table_equals_the_per_record_conversion(tmp_path):
    recs = sample_records()
    want = pa.Table.from_pylist([asdict(r) for r in recs], schema=RECORD_SCHEMA)
    got = records_table(recs)
    assert got.equals(want)
    assert records_table([]).equals(pa.Table.from_pylist([], schema=RECORD_SCHEMA))
    path = tmp_path / "records.parquet"
    path.write_bytes(write_records(recs))
    assert read_records(path).to_pylist() == [asdict(r) for r in recs]


def test_records_pickle_round_trip():
    recs = sample_records()
    assert pickle.loads(pickle.dumps(recs)) == recs
