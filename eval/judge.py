"""OpenEQA's LLM-Match exactly as the official open-eqa code computes it, plus a judge-free proxy.

The protocol (facebookresearch/open-eqa, `evaluate-predictions.py` and
`openeqa/evaluation/llm_match.py`; read for its behaviour, no code or prompt text copied):

- The prediction is cut after its last period when text follows it ("Red. It is" -> "Red.").
- The judge prompt is open-eqa's own file, read at run time from the user's open-eqa checkout
  (`prompts/mmbench.txt`, or `prompts/mmbench-extra.txt` for a question with `extra_answers`),
  stripped and filled with Python's `str.format(question=, answer=, prediction=,
  extra_answers=)`; `extra_answers` is the list itself, as the official code passes it. The
  prompt files are never part of this repository.
- ONE user message, no system message; model `gpt-4-1106-preview` (the paper's judge; open-eqa
  later switched its default to gpt-4o, so any model is an option and is recorded with the
  score), temperature 0.2, max_tokens 32, seed 1234.
- The reply is a bare number (`"4"`: all digits, nothing else) or holds `Your mark: N`, N read
  to the end of that line; anything else is an error (the official code raises too).
- Ratings are clipped to 1..5, then a question scores `100 * (clip(r, 1, 5) - 1) / 4`; the
  benchmark score is the mean. A missing prediction is rated 0 (so it scores 0) without a call;
  lmms-eval hands an empty string where open-eqa would have None, so an empty or blank
  prediction is treated the same way.
- Transport failures (rate limits, 5xx, network) are retried, as open-eqa retries its API call;
  a reply without a rating is not (open-eqa stops there too): the run stops naming the question.

The judge is any OpenAI-compatible chat-completions endpoint, reached with the standard library
only, configured by environment (`python -m eval.run --openeqa-repo/--judge-url/--judge-model`
sets these):

    SIMSV_OPENEQA_REPO   the user's open-eqa checkout (its prompts/ folder is read)
    SIMSV_JUDGE_URL      base URL, e.g. https://api.openai.com/v1 (we POST {base}/chat/completions)
    SIMSV_JUDGE_MODEL    model name, default gpt-4-1106-preview
    SIMSV_JUDGE_API_KEY  bearer token; falls back to OPENAI_API_KEY. Never printed or logged.

`proxy_token_f1` is NOT OpenEQA's metric: it is SQuAD-style token overlap, for runs without a
judge. It under-rates correct paraphrases and over-rates wrong answers that share words.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import string
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO_ENV = "SIMSV_OPENEQA_REPO"
URL_ENV = "SIMSV_JUDGE_URL"
MODEL_ENV = "SIMSV_JUDGE_MODEL"
KEY_ENV = "SIMSV_JUDGE_API_KEY"
FALLBACK_KEY_ENV = "OPENAI_API_KEY"

DEFAULT_MODEL = "gpt-4-1106-preview"  # the OpenEQA paper's judge
# open-eqa's judge settings
TEMPERATURE = 0.2
MAX_TOKENS = 32
SEED = 1234
MIN_RATING, MAX_RATING = 1, 5
MARK_TAG = "Your mark:"
# open-eqa's prompt files, relative to its checkout: plain questions, and questions with extra answers
PROMPT_FILES = {"plain": "prompts/mmbench.txt", "extra": "prompts/mmbench-extra.txt"}


class JudgeError(RuntimeError):
    """The judge could not rate a question (bad reply, HTTP failures, no endpoint or prompts)."""


# ---------------------------------------------------------------------------- LLM-Match maths


def llm_match_score(rating: float) -> float:
    """One question's LLM-Match score, 0..100, from the judge's rating clipped to 1..5."""
    clipped = min(max(rating, MIN_RATING), MAX_RATING)
    return 100.0 * (clipped - MIN_RATING) / (MAX_RATING - MIN_RATING)


def trim_prediction(prediction: str | None) -> str | None:
    """open-eqa's pre-processing before judging: drop whatever follows the last period. A text
    ending in a period, or without one, is left alone; None stays None."""
    if not prediction:
        return prediction
    cut = prediction.rfind(".")
    return prediction[: cut + 1] if 0 <= cut < len(prediction) - 1 else prediction


def unanswered(prediction: str | None) -> bool:
    """No answer to judge: rated 0 without calling the judge."""
    return prediction is None or not prediction.strip()


# ---------------------------------------------------------------------------- prompt and reply


@dataclass(frozen=True)
class Prompts:
    """open-eqa's two judge prompts, read from the user's checkout."""

    plain: str
    extra: str
    sources: dict  # file -> sha256 of its bytes, recorded with the scores

    @classmethod
    def from_checkout(cls, repo: str | Path) -> "Prompts":
        root = Path(repo).expanduser()
        texts, sources = {}, {}
        for kind, rel in PROMPT_FILES.items():
            f = root / rel
            try:
                data = f.read_bytes()
            except OSError as e:
                raise JudgeError(f"OpenEQA judge prompt {f}: {e.strerror or e} (point {REPO_ENV} / --openeqa-repo "
                                 "at a checkout of facebookresearch/open-eqa)") from None
            texts[kind] = data.decode("utf-8").strip()
            sources[rel] = hashlib.sha256(data).hexdigest()
        return cls(texts["plain"], texts["extra"], sources)

    def message(self, question: str, answer: str, prediction: str, extra_answers=None) -> str:
        """The one user message, as open-eqa fills its prompt (`extra_answers` formatted as the list)."""
        template = self.plain if extra_answers is None else self.extra
        try:
            return template.format(question=question, answer=answer, prediction=prediction,
                                   extra_answers=extra_answers)
        except (KeyError, IndexError, ValueError) as e:
            raise JudgeError(f"OpenEQA judge prompt does not fill as open-eqa fills it ({type(e).__name__}: {e}); "
                             f"is {REPO_ENV} an open-eqa checkout?") from None


def parse_judge_reply(reply: str | None) -> int:
    """The judge's rating as open-eqa reads it: the whole reply if it is all digits, else the
    integer after `Your mark:` up to the end of that line. ValueError otherwise."""
    text = reply or ""
    if text.isdigit():
        return int(text)
    at = text.find(MARK_TAG)
    if at == -1:
        raise ValueError(f"no rating in the judge's reply {reply!r} (expected a number or {MARK_TAG!r} N)")
    line = text[at + len(MARK_TAG):].split("\n", 1)[0].strip()
    try:
        return int(line)
    except ValueError:
        raise ValueError(f"no rating in the judge's reply {reply!r} (expected a number or {MARK_TAG!r} N)") from None


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
    """An OpenAI-compatible chat-completions judge with open-eqa's prompts."""

    base_url: str
    prompts: Prompts
    model: str = DEFAULT_MODEL
    api_key: str | None = field(default=None, repr=False)  # never in reprs, logs or errors
    retries: int = 6  # attempts per call on transport failures (open-eqa's own retry count)
    backoff_s: float = 1.0  # wait before attempt k+1 is backoff_s * k
    timeout_s: float = 60.0

    @classmethod
    def from_env(cls, **overrides) -> "Judge":
        base = os.environ.get(URL_ENV, "").strip()
        if not base:
            raise JudgeError(f"no judge configured: set {URL_ENV} (e.g. https://api.openai.com/v1)")
        repo = os.environ.get(REPO_ENV, "").strip()
        if not repo:
            raise JudgeError(f"no OpenEQA prompts: set {REPO_ENV} (or --openeqa-repo) to your open-eqa checkout")
        key = os.environ.get(KEY_ENV) or os.environ.get(FALLBACK_KEY_ENV) or None
        return cls(base_url=base, prompts=Prompts.from_checkout(repo),
                   model=os.environ.get(MODEL_ENV) or DEFAULT_MODEL, api_key=key, **overrides)

    @property
    def endpoint(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"

    def request_body(self, message: str) -> dict:
        return {"model": self.model, "messages": [{"role": "user", "content": message}],
                "seed": SEED, "max_tokens": MAX_TOKENS, "temperature": TEMPERATURE}

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def complete(self, message: str) -> str:
        """One chat-completions call; the reply's text."""
        data = json.dumps(self.request_body(message)).encode()
        request = urllib.request.Request(self.endpoint, data=data, headers=self._headers(), method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
            return reply_text(json.load(response))

    def _call(self, question_id: str, message: str) -> str:
        """The reply, retrying transport failures; JudgeError naming the question otherwise."""
        problems = []
        for attempt in range(1, self.retries + 1):
            try:
                return self.complete(message)
            except urllib.error.HTTPError as e:  # before OSError: it is one
                problems.append(f"HTTP {e.code} {e.reason}: {_body_snippet(e)}")
                if not _retryable(e.code):
                    break
            except (OSError, ValueError) as e:  # unreachable, timed out, dropped, not a chat response
                problems.append(f"{type(e).__name__}: {e}")
            if attempt < self.retries:
                time.sleep(self.backoff_s * attempt)
        raise JudgeError(f"OpenEQA question {question_id}: judge {self.model} at {self.endpoint} failed after "
                         f"{len(problems)} attempt(s): {'; '.join(problems)}")

    def rate(self, question_id: str, question: str, answer: str, prediction: str | None, extra_answers=None) -> int:
        """open-eqa's raw rating of one (already trimmed) prediction: 0 without a call when there
        is no answer, else the judge's number (unclipped, as open-eqa stores it)."""
        if unanswered(prediction):
            return 0
        reply = self._call(question_id, self.prompts.message(question, answer, prediction, extra_answers))
        try:
            return parse_judge_reply(reply)
        except ValueError as e:
            raise JudgeError(f"OpenEQA question {question_id}: judge {self.model}: {e}") from None

    def llm_match(self, doc: dict, prediction: str | None) -> tuple[int, float]:
        """(raw rating, 0..100 score) of one OpenEQA document, with open-eqa's trimming."""
        rating = self.rate(doc["question_id"], doc["question"], doc["answer"], trim_prediction(prediction),
                           doc.get("extra_answers"))
        return rating, llm_match_score(rating)

    def describe(self) -> dict:
        """What produced the scores, recorded beside them (never the key)."""
        return {"url": self.base_url, "model": self.model, "temperature": TEMPERATURE, "max_tokens": MAX_TOKENS,
                "seed": SEED, "prompts": self.prompts.sources}


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
