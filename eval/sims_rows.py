"""lmms-eval hooks shared by the tasks over a SIMS-VSI export (`simsv_heldout`, `simsv_dynamic`):
how a row becomes the model's video path and prompt. Each task's utils.py re-exports them, as
its yaml names them by `utils.<hook>`."""

from datasets import Video

from simsv_vsi.prompts import prompt_text


def process_docs(dataset):
    # the model plugin opens the file itself: keep the video as a path, not a decoder
    return dataset.cast_column("video", Video(decode=False))


def doc_to_visual(doc):
    video = doc["video"]
    if not video.get("path"):
        raise ValueError(f"SIMS-VSI row {doc['id']}: the video has no local path")
    return [video["path"]]


def doc_to_text(doc, lmms_eval_specific_kwargs=None):
    return prompt_text(doc["question"], doc["options"])
