"""OpenEQA's LLM-Match behind a pluggable judge, plus a judge-free proxy.

LLM-Match (the OpenEQA paper's metric): a judge LLM reads the question, the reference answer
(and the extra acceptable answers some questions have) and the model's response, and rates
their agreement with one integer 1..5. A question scores 100*(clip(s, 1, 5) - 1)/4; the
benchmark score is the mean over questions. OpenEQA's judge is gpt-4o at temperature 0.2,
max 32 tokens, seed 1234; we send the same settings. The rubric prompt below is our own
wording, not OpenEQA's, so numbers from a real judge can drift slightly from published ones.

The judge is any OpenAI-compatible chat-completions endpoint, reached with the standard
library only (no SDK to install on the eval machines), and configured by environment:

    SIMSV_JUDGE_URL      base URL, e.g. https://api.openai.com/v1 (we POST {base}/chat/completions)
    SIMSV_JUDGE_MODEL    model name, default gpt-4o
    SIMSV_JUDGE_API_KEY  bearer token; falls back to OPENAI_API_KEY. Never printed or logged.

A judge that keeps replying without a usable 1..5 integer is an error naming the question:
a question is never scored 0 because the judge misbehaved.

`proxy_token_f1` is NOT OpenEQA's metric: it is SQuAD-style token overlap, for runs without a
judge. It under-rates correct paraphrases and over-rates wrong answers that share words.
"""

from __future__ import annotations

import json
import os
import re
import string
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field

URL_ENV = "SIMSV_JUDGE_URL"
MODEL_ENV = "SIMSV_JUDGE_MODEL"
KEY_ENV = "SIMSV_JUDGE_API_KEY"
FALLBACK_KEY_ENV = "OPENAI_API_KEY"

DEFAULT_MODEL = "gpt-4o"
# OpenEQA's judge settings
TEMPERATURE = 0.2
MAX_TOKENS = 32
SEED = 1234

MIN_RATING, MAX_RATING = 1, 5

SYSTEM_PROMPT = "You grade short answers to questions about indoor scenes. You reply with one digit."

RUBRIC = """\
Below is a question about a home, a reference answer from a person who walked through it{extra_note}, \
and a response to grade. Rate how well the response agrees with the reference, from 1 to 5:
5 - it means the same as the reference (different wording is fine);
4 - essentially right, with a small omission or imprecision;
3 - partly right: one key detail matches, another is wrong or missing;
2 - mostly wrong, sharing only a minor detail with the reference;
1 - wrong, unrelated, or no real answer.
Grade meaning, not wording or length.{extra_rule}
Examples: reference "on the kitchen counter", response "it sits on the counter in the kitchen" gives 5; \
reference "blue and white stripes", response "blue" gives 3; reference "yes", response "no" gives 1.

Question: {question}
Reference answer: {answer}
{extra_block}Response: {prediction}

Reply with a single integer from 1 to 5 and nothing else."""


class JudgeError(RuntimeError):
    """The judge could not rate a question (bad replies, HTTP failures, no endpoint)."""


# ---------------------------------------------------------------------------- LLM-Match maths


def llm_match_score(rating: float) -> float:
    """One question's LLM-Match score, 0..100, from the judge's 1..5 rating."""
    clipped = min(max(rating, MIN_RATING), MAX_RATING)
    return 100.0 * (clipped - MIN_RATING) / (MAX_RATING - MIN_RATING)


def trim_prediction(prediction: str | None) -> str:
    """OpenEQA's pre-processing before judging: drop whatever follows the last period (a
    trailing half-sentence from a length cut). A text ending in a period is left alone."""
    text = prediction or ""
    cut = text.rfind(".")
    return text[: cut + 1] if 0 <= cut < len(text) - 1 else text


# ---------------------------------------------------------------------------- prompt and reply


def rubric_prompt(question: str, answer: str, prediction: str, extra_answers=None) -> str:
    """The user message for one question; extra answers are listed as also acceptable."""
    extras = [a for a in (extra_answers or []) if a]
    return RUBRIC.format(
        question=question,
        answer=answer,
        prediction=prediction,
        extra_note=" (and other answers that are also correct)" if extras else "",
        extra_rule=" Grade against whichever listed answer the response matches best." if extras else "",
        extra_block="".join(f"Also acceptable: {a}\n" for a in extras),
    )


# "4/5", "4 out of 5" and "1-5" / "1 to 5" would otherwise read as two different integers
_SCALE_NOISE = re.compile(r"\s*(?:/|out of)\s*5\b|\b1\s*(?:-|–|to)\s*5\b", re.IGNORECASE)
_LABELLED = re.compile(r"\b(?:score|mark|rating|grade)\b\s*(?:is|of)?\s*[:=]?\s*(\d+)(?![\w]|\.\d)", re.IGNORECASE)
_INTEGER = re.compile(r"(?<![\w.])(\d+)(?![\w]|\.\d)")


def parse_judge_reply(reply: str) -> int:
    """The judge's 1..5 rating. A labelled number ("Score: 4") wins; otherwise the reply must
    hold exactly one distinct integer. Anything ambiguous or out of range is a ValueError,
    so a confused judge is retried, never guessed."""
    text = _SCALE_NOISE.sub(" ", reply or "")
    found = _LABELLED.findall(text) or _INTEGER.findall(text)
    values = {int(v) for v in found}
    if len(values) != 1:
        raise ValueError(f"expected one integer {MIN_RATING}-{MAX_RATING} in the judge's reply, got {reply!r}")
    value = values.pop()
    if not MIN_RATING <= value <= MAX_RATING:
        raise ValueError(f"judge rating {value} is outside {MIN_RATING}-{MAX_RATING} (reply {reply!r})")
    return value


def reply_text(response: dict) -> str:
    """The assistant text of an OpenAI chat-completions response."""
    try:
        return response["choices"][0]["message"]["content"] or ""
    except (KeyError, IndexError, TypeError) as e:
        raise ValueError(f"not a chat-completions response: {json.dumps(response)[:300]}") from e


# ---------------------------------------------------------------------------- the HTTP judge


def judge_configured() -> bool:
    """Whether a judge endpoint is set; without one LLM-Match is not computed (NaN)."""
    return bool(os.environ.get(URL_ENV, "").strip())


@dataclass(frozen=True)
class Judge:
    """An OpenAI-compatible chat-completions judge."""

    base_url: str
    model: str = DEFAULT_MODEL
    api_key: str | None = field(default=None, repr=False)  # never in reprs, logs or errors
    retries: int = 3  # attempts per question
    backoff_s: float = 1.0  # wait before attempt k+1 is backoff_s * k
    timeout_s: float = 60.0

    @classmethod
    def from_env(cls, **overrides) -> "Judge":
        base = os.environ.get(URL_ENV, "").strip()
        if not base:
            raise JudgeError(f"no judge configured: set {URL_ENV} (e.g. https://api.openai.com/v1)")
        key = os.environ.get(KEY_ENV) or os.environ.get(FALLBACK_KEY_ENV) or None
        return cls(base_url=base, model=os.environ.get(MODEL_ENV) or DEFAULT_MODEL, api_key=key, **overrides)

    @property
    def endpoint(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"

    def request_body(self, prompt: str) -> dict:
        return {
            "model": self.model,
            "messages": [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": prompt}],
            "temperature": TEMPERATURE,
            "max_tokens": MAX_TOKENS,
            "seed": SEED,
        }

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def complete(self, prompt: str) -> str:
        """One chat-completions call; the reply's text."""
        data = json.dumps(self.request_body(prompt)).encode()
        request = urllib.request.Request(self.endpoint, data=data, headers=self._headers(), method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
            return reply_text(json.load(response))

    def rate(self, question_id: str, question: str, answer: str, prediction: str, extra_answers=None) -> int:
        """The judge's 1..5 rating of one response, retried on unusable replies and transient
        HTTP failures; JudgeError naming the question when every attempt fails."""
        prompt = rubric_prompt(question, answer, prediction, extra_answers)
        problems = []
        for attempt in range(1, self.retries + 1):
            try:
                return parse_judge_reply(self.complete(prompt))
            except urllib.error.HTTPError as e:  # before OSError: it is one
                problems.append(f"HTTP {e.code} {e.reason}: {_body_snippet(e)}")
                if not _retryable(e.code):
                    break
            except (OSError, ValueError) as e:  # unreachable, timed out, dropped, or an unusable reply
                problems.append(f"{type(e).__name__}: {e}")
            if attempt < self.retries:
                time.sleep(self.backoff_s * attempt)
        raise JudgeError(f"OpenEQA question {question_id}: judge {self.model} at {self.endpoint} gave no usable "
                         f"rating after {len(problems)} attempt(s): {'; '.join(problems)}")

    def llm_match(self, doc: dict, prediction: str | None) -> tuple[int, float]:
        """(rating, 0..100 score) of one OpenEQA document, with OpenEQA's prediction trimming."""
        rating = self.rate(doc["question_id"], doc["question"], doc["answer"], trim_prediction(prediction),
                           doc.get("extra_answers"))
        return rating, llm_match_score(rating)


def _body_snippet(error: urllib.error.HTTPError) -> str:
    # the server's own explanation (e.g. an unknown model); servers do not echo the key back
    try:
        return error.read(300).decode(errors="replace").strip()
    except OSError:
        return ""


def _retryable(status: int) -> bool:
    # rate limits and server errors pass; a bad key or a bad request will not get better
    return status == 429 or status >= 500


# ---------------------------------------------------------------------------- proxy (not OpenEQA)

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> list[str]:
    """SQuAD-style tokens: lowercase, punctuation and articles removed."""
    return _ARTICLES.sub(" ", (text or "").lower().translate(_PUNCTUATION)).split()


def token_f1(prediction: str, answer: str) -> float:
    """Token-overlap F1 in 0..1; two empty texts agree, one empty text scores 0."""
    pred, ref = normalize_answer(prediction), normalize_answer(answer)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def proxy_token_f1(prediction: str | None, answers) -> float:
    """A PROXY, not OpenEQA's metric: best token F1 against the reference and extra answers, x100."""
    return 100.0 * max((token_f1(prediction or "", a) for a in answers if a is not None), default=0.0)
