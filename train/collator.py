"""A batch of chat rows -> model inputs: video frames, the visual token block expanded exactly,
labels on the assistant tokens only, right padding.

Rows are TRL's conversational format (`messages`, a list of {role, content}) or SIMS-VSI QA
rows (question/options/answer, turned into messages with `simsv_vsi.prompts.to_messages`), plus
an optional `video` column. The text is laid out in ChatML, the format both model families
were trained with:

    <|im_start|>system\nYou are a helpful assistant.<|im_end|>\n
    <|im_start|>user\n<VIDEO TOKENS>\n[time instruction\n]question...<|im_end|>\n
    <|im_start|>assistant\nANSWER<|im_end|>\n

Labels (`loss_mask`): `answer` covers ANSWER<|im_end|> of every assistant turn and nothing else;
`assistant_turn` (LLaVA-NeXT's Qwen preprocessing, what the paper trained with) covers the whole
assistant turn `<|im_start|>assistant\nANSWER<|im_end|>\n` plus every `<|im_start|>`,
`<|im_end|>` and newline token of the other turns (never a video token). Nothing is ever cut: a
row longer than `max_length` raises here (the data stage drops such rows first and reports them).

Pixels: float32 normalised by default. With `uint8_pixels=True` the collator stops after the
resize and `pixel_values_videos` is uint8 (a quarter of the bytes to hand between processes and
no float work in the loader); whoever feeds the model must then apply `train.frames.normalise`,
as `train.trainer.VideoSFTTrainer` does on the GPU. The vision tower would cast uint8 0..255 to
float without complaint, so `train.model.load_model` installs a check that refuses uint8 pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from simsv_vsi.prompts import to_messages
from simsv_vsi.sampling import uniform_frame_indices
from train.frames import FrameSpec, open_video, resize, sample_frames, to_pixels
from train.layouts import VideoLayout

IGNORE_INDEX = -100  # label value the loss skips
LOSS_MASKS = ("answer", "assistant_turn")
SYSTEM_PROMPT = "You are a helpful assistant."


def row_messages(row: dict) -> list[dict]:
    """The conversation of a row: its own `messages`, or the SIMS-VSI QA turn."""
    return row["messages"] if row.get("messages") else to_messages(row)


def _parts(content) -> list[dict]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content)


def video_timing(row: dict, video, k: int, video_root: str | None = None) -> tuple[list[float], float]:
    """Timestamps of the K sampled frames and the video's length, without decoding frames: from
    a SIMS-VSI row's own fields when it has them, else from the container's header."""
    if all(row.get(f) is not None for f in ("frame_start", "frame_end", "fps")):
        n, fps = row["frame_end"] - row["frame_start"], float(row["fps"])
    else:
        meta = open_video(video, video_root).metadata
        n, fps = meta.num_frames, float(meta.average_fps)
    return [i / fps for i in uniform_frame_indices(n, k).tolist()], n / fps


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]
    pixels: torch.Tensor | None  # (K, 3, S, S) when the row has a video: float32, or uint8 (uint8_pixels)


class VideoSFTCollator:
    def __init__(self, tokenizer, video_token_id: int, layout: VideoLayout, spec: FrameSpec,
                 max_length: int | None = None, video_root: str | None = None, uint8_pixels: bool = False,
                 loss_mask: str = "answer"):
        if loss_mask not in LOSS_MASKS:
            raise ValueError(f"loss_mask {loss_mask!r}: expected one of {', '.join(LOSS_MASKS)}")
        self.loss_mask = loss_mask
        self.tok = tokenizer
        self.video_token_id = video_token_id
        self.layout = layout
        self.spec = spec
        self.max_length = max_length
        self.video_root = video_root
        self.uint8_pixels = uint8_pixels
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

    def _ids(self, text: str) -> list[int]:
        return self.tok(text, add_special_tokens=False)["input_ids"]

    def encode(self, row: dict, with_pixels: bool = True) -> Encoded:
        """One row's token ids and labels; frames are decoded only when `with_pixels`, so the data
        stage can measure lengths without touching the videos."""
        video = row.get("video")
        sampled = times = duration = None
        if video is not None and with_pixels:
            try:
                sampled = sample_frames(open_video(video, self.video_root), self.spec.frames)
            except RuntimeError as e:  # a file whose header opens but whose frames do not decode
                name = video if isinstance(video, str) else (video.get("path") if isinstance(video, dict) else "?")
                raise ValueError(f"video {name} (row {row.get('id', '?')}): frames cannot be decoded, "
                                 f"truncated? ({str(e).strip().splitlines()[-1][:200] if str(e).strip() else ''})") from None
            times, duration = sampled.times_s, sampled.duration_s
        elif video is not None and self.layout.name == "llava_video":
            times, duration = video_timing(row, video, self.spec.frames, self.video_root)
        messages = row_messages(row)
        if messages[0]["role"] != "system":
            messages = [{"role": "system", "content": SYSTEM_PROMPT}, *messages]
        ids: list[int] = []
        labels: list[int] = []
        videos_seen = 0
        for m in messages:
            head = self._ids(f"<|im_start|>{m['role']}\n")
            ids += head
            labels += [IGNORE_INDEX] * len(head)
            body: list[int] = []
            for part in _parts(m["content"]):
                if part["type"] == "video":
                    if video is None or videos_seen:
                        raise ValueError(f"row {row.get('id', '?')}: a video turn needs exactly one `video` value")
                    videos_seen += 1
                    body += [self.video_token_id] * self.layout.num_tokens(self.spec.frames)
                    body += self._ids("\n")
                    if self.layout.name == "llava_video":
                        body += self._ids(self.layout.user_text("", duration, times))
                else:
                    body += self._ids(part["text"])
            end = self._ids("<|im_end|>")
            nl = self._ids("\n")
            turn = m["role"] == "assistant"
            whole = turn and self.loss_mask == "assistant_turn"
            if whole:  # the header was appended above as ignored: label it too
                labels[-len(head):] = head
            ids += body + end + nl
            labels += (body + end if turn else [IGNORE_INDEX] * (len(body) + len(end)))
            labels += nl if whole else [IGNORE_INDEX] * len(nl)
        if video is not None and not videos_seen:
            raise ValueError(f"row {row.get('id', '?')}: has a video but no {{'type': 'video'}} content part")
        if self.loss_mask == "assistant_turn":  # LLaVA-NeXT also trains on the format tokens of every turn
            fmt = self._format_ids()
            labels = [t if (t in fmt and t != self.video_token_id) else l for t, l in zip(ids, labels)]
        return Encoded(ids, labels, self._pixels(sampled.frames) if sampled else None)

    def _format_ids(self) -> set[int]:
        """<|im_start|>, <|im_end|> and the newline token (when "\n" is one token)."""
        out = set()
        for text in ("<|im_start|>", "<|im_end|>", "\n"):
            ids = self._ids(text)
            if len(ids) == 1:
                out.add(ids[0])
        return out

    def _pixels(self, frames: torch.Tensor) -> torch.Tensor:
        return resize(frames, self.spec.size) if self.uint8_pixels else to_pixels(frames, self.spec)

    def __call__(self, rows: list[dict]) -> dict:
        enc = [self.encode(r) for r in rows]
        for r, e in zip(rows, enc):
            if self.max_length is not None and len(e.input_ids) > self.max_length:
                raise ValueError(f"row {r.get('id', '?')}: {len(e.input_ids)} tokens > max_length {self.max_length}; "
                                 "train.data drops such rows first (video blocks are never cut)")
        width = max(len(e.input_ids) for e in enc)
        batch = {
            "input_ids": torch.full((len(enc), width), self.pad_id, dtype=torch.long),
            "attention_mask": torch.zeros((len(enc), width), dtype=torch.long),
            "labels": torch.full((len(enc), width), IGNORE_INDEX, dtype=torch.long),
        }
        for i, e in enumerate(enc):
            n = len(e.input_ids)
            batch["input_ids"][i, :n] = torch.tensor(e.input_ids)
            batch["attention_mask"][i, :n] = 1
            batch["labels"][i, :n] = torch.tensor(e.labels)
        videos = [e.pixels for e in enc if e.pixels is not None]
        if videos:  # in row order: the model scatters features into video tokens in that order
            batch["pixel_values_videos"] = torch.stack(videos)
        return batch
