"""VSI-Bench's prompts, and the text a model sees for one record."""

from __future__ import annotations

PRE_PROMPT = "These are frames of a video."
MC_POST_PROMPT = "Answer with the option's letter from the given choices directly."
NUMERIC_POST_PROMPT = "Please answer the question using a single word or phrase."


def prompt_text(question: str, options: list[str] | None) -> str:
    """The user turn as lmms-eval's VSI-Bench task builds it (options already carry letters)."""
    if options:
        return "\n".join([PRE_PROMPT, question, "Options:", *options, MC_POST_PROMPT])
    return "\n".join([PRE_PROMPT, question, NUMERIC_POST_PROMPT])


def to_messages(row: dict) -> list[dict]:
    """The chat a trainer consumes for one QA row: the video, VSI-Bench's prompt, and the answer
    as the assistant turn. One line for a whole dataset:
    `ds = ds.map(lambda r: {"messages": to_messages(r)})`."""
    return [
        {"role": "user", "content": [{"type": "video"},
                                     {"type": "text", "text": prompt_text(row["question"], row["options"])}]},
        {"role": "assistant", "content": [{"type": "text", "text": row["answer"]}]},
    ]
