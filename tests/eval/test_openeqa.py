"""OpenEQA: the LLM-Match maths, the judge client against a fake judge served over real HTTP, the
token-F1 proxy, and the simsv_openeqa task end to end through the lmms-eval CLI on generated data."""

from __future__ import annotations

import ast
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from eval import judge
from eval.judge import Judge, JudgeError, llm_match_score, parse_judge_reply, proxy_token_f1, trim_prediction

REPO = Path(__file__).resolve().parents[2]
TASK_YAML = REPO / "eval" / "tasks" / "simsv_openeqa" / "simsv_openeqa.yaml"
API_KEY = "test-key-123"

# ------------------------------------------------------------------------------ fixture prompts

# Made-up stand-ins for open-eqa's prompts/mmbench.txt and mmbench-extra.txt (the real ones are
# read from the user's checkout at run time and never stored here). Same placeholders, own words;
# the surrounding blank lines check that the text is stripped as open-eqa strips it.
FIXTURE_PLAIN = "\n  Fixture grader, plain.\nQUESTION: {question}\nREFERENCE: {answer}\nCANDIDATE: {prediction}\nGrade 1-5.\n\n"
FIXTURE_EXTRA = ("Fixture grader, extra.\nQUESTION: {question}\nREFERENCE: {answer}\nALSO: {extra_answers}\n"
                 "CANDIDATE: {prediction}\nGrade 1-5.\n")


def write_checkout(root: Path) -> Path:
    (root / "prompts").mkdir(parents=True, exist_ok=True)
    (root / "prompts" / "mmbench.txt").write_text(FIXTURE_PLAIN)
    (root / "prompts" / "mmbench-extra.txt").write_text(FIXTURE_EXTRA)
    return root


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    return write_checkout(tmp_path_factory.mktemp("open-eqa"))


@pytest.fixture(scope="module")
def prompts(checkout) -> judge.Prompts:
    return judge.Prompts.from_checkout(checkout)


# ------------------------------------------------------------------------------ the fake judge


def _field(label: str, message: str) -> str:
    return re.findall(rf"^{label}: (.*)$", message, flags=re.MULTILINE)[-1]


def fake_rating(message: str) -> int:
    """5 when the graded candidate is exactly the reference or an extra answer, else 1."""
    accepted = {_field("REFERENCE", message)}
    if "ALSO: " in message:
        accepted |= set(ast.literal_eval(_field("ALSO", message)))
    return 5 if _field("CANDIDATE", message) in accepted else 1


class FakeJudgeHandler(BaseHTTPRequestHandler):
    """POST <mode>/chat/completions in OpenAI's response shape. Modes (the path's first part):
    /v1 replies a bare number from `fake_rating`, /mark replies "...Your mark: N\n...",
    /zero and /six reply "0" and "6", /garbage never gives a number, /denied answers HTTP 401,
    /busy answers HTTP 503."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        mode = self.path.split("/")[1]
        if mode in ("denied", "busy"):
            self.send_error(401 if mode == "denied" else 503, "no")
            return
        rating = fake_rating(body["messages"][-1]["content"])
        reply = {"v1": str(rating), "mark": f"Both say the same.\nYour mark: {rating}\nDone.", "zero": "0",
                 "six": "6", "garbage": "I cannot tell."}[mode]
        payload = json.dumps({"id": "fake", "object": "chat.completion", "model": body["model"],
                              "choices": [{"index": 0, "finish_reason": "stop",
                                           "message": {"role": "assistant", "content": reply}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def fake_judge():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeJudgeHandler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def base_url(server, mode: str = "v1") -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/{mode}"


# ------------------------------------------------------------------------------ LLM-Match maths


@pytest.mark.parametrize("rating, score", [(1, 0.0), (2, 25.0), (3, 50.0), (4, 75.0), (5, 100.0),
                                           (0, 0.0), (-3, 0.0), (6, 100.0), (10, 100.0)])
def test_llm_match_score_maps_and_clips(rating, score):
    assert llm_match_score(rating) == score


@pytest.mark.parametrize("reply, rating", [
    ("5", 5), ("0", 0), ("6", 6), ("10", 10),  # a bare number, any size: clipping comes later
    ("Your mark: 4", 4), ("Your mark: 4\nbecause it matches", 4), ("They agree. Your mark:  3 \nok", 3),
])
def test_parse_judge_reply_reads_the_rating_as_open_eqa_does(reply, rating):
    assert parse_judge_reply(reply) == rating


@pytest.mark.parametrize("reply", ["", None, " 3\n", "4.", "Score: 2", "4/5", "five", "Your mark: 4/5",
                                   "Your mark:", "your mark: 4", "(5)"])
def test_parse_judge_reply_rejects_what_open_eqa_rejects(reply):
    with pytest.raises(ValueError):
        parse_judge_reply(reply)


@pytest.mark.parametrize("prediction, trimmed", [
    ("A red mug.", "A red mug."), ("A red mug. It sits on", "A red mug."), ("no period", "no period"),
    ("1.5 m", "1."), ("", ""), (None, None),
])
def test_trim_prediction_drops_text_after_the_last_period(prediction, trimmed):
    assert trim_prediction(prediction) == trimmed


def test_prompt_files_are_read_stripped_and_filled_as_open_eqa_does(prompts, checkout):
    assert prompts.message("Where is the mug?", "on the desk", "desk") == (
        "Fixture grader, plain.\nQUESTION: Where is the mug?\nREFERENCE: on the desk\nCANDIDATE: desk\nGrade 1-5.")
    assert prompts.message("Where is the mug?", "on the desk", "desk", ["by the lamp", "in the office"]) == (
        "Fixture grader, extra.\nQUESTION: Where is the mug?\nREFERENCE: on the desk\n"
        "ALSO: ['by the lamp', 'in the office']\nCANDIDATE: desk\nGrade 1-5.")
    assert set(prompts.sources) == {"prompts/mmbench.txt", "prompts/mmbench-extra.txt"}
    assert all(len(h) == 64 for h in prompts.sources.values())


def test_missing_prompt_file_names_it(tmp_path):
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "mmbench.txt").write_text("x {question}")
    with pytest.raises(JudgeError, match=r"mmbench-extra\.txt"):
        judge.Prompts.from_checkout(tmp_path)


# ------------------------------------------------------------------------------ proxy token F1


@pytest.mark.parametrize("prediction, answers, f1", [
    ("The blue sofa!", ["blue sofa"], 100.0),  # case, punctuation and articles do not count
    ("in the kitchen", ["around the kitchen table"], 40.0),  # P 1/2, R 1/3 -> 2/5
    ("kitchen counter", ["on the kitchen counter"], 80.0),  # P 1, R 2/3 -> 4/5
    ("kitchen counter", ["blue", "on the kitchen counter", "in the kitchen"], 80.0),  # best answer wins
    ("red", ["blue"], 0.0),
    ("", ["blue"], 0.0),
    ("the", ["a"], 100.0),  # both empty after normalisation
])
def test_proxy_token_f1_hand_checked(prediction, answers, f1):
    assert proxy_token_f1(prediction, answers) == pytest.approx(f1)


# ------------------------------------------------------------------------------ judge client


def test_judge_configuration_from_environment(monkeypatch, checkout):
    for var in (judge.URL_ENV, judge.MODEL_ENV, judge.KEY_ENV, judge.FALLBACK_KEY_ENV, judge.REPO_ENV):
        monkeypatch.delenv(var, raising=False)
    assert not judge.judge_configured()
    with pytest.raises(JudgeError, match=judge.URL_ENV):
        Judge.from_env()
    monkeypatch.setenv(judge.URL_ENV, "http://judge.invalid/v1/")
    with pytest.raises(JudgeError, match=judge.REPO_ENV):
        Judge.from_env()
    monkeypatch.setenv(judge.REPO_ENV, str(checkout))
    monkeypatch.setenv(judge.FALLBACK_KEY_ENV, "fallback-key")
    j = Judge.from_env()
    assert judge.judge_configured() and j.endpoint == "http://judge.invalid/v1/chat/completions"
    assert (j.model, j.api_key) == ("gpt-4-1106-preview", "fallback-key")
    assert "fallback-key" not in repr(j) and "fallback-key" not in json.dumps(j.describe())
    monkeypatch.setenv(judge.KEY_ENV, "own-key")
    monkeypatch.setenv(judge.MODEL_ENV, "judge-model")
    assert (Judge.from_env().model, Judge.from_env().api_key) == ("judge-model", "own-key")


def test_judge_sends_exactly_open_eqas_request(fake_judge, prompts):
    j = Judge(base_url(fake_judge), prompts, api_key=API_KEY)
    start = len(fake_judge.requests)
    assert j.rate("q-a", "What color is the sofa?", "Blue", "Blue") == 5
    assert j.rate("q-b", "Where is the kettle?", "On the counter", "in the kitchen", ["in the kitchen"]) == 5
    assert j.llm_match({"question_id": "q-c", "question": "Is it open?", "answer": "Yes", "extra_answers": None},
                       "No. Definitely") == (1, 0.0)
    sent = fake_judge.requests[start:]
    assert [r["path"] for r in sent] == ["/v1/chat/completions"] * 3
    assert {r["headers"]["Authorization"] for r in sent} == {f"Bearer {API_KEY}"}
    assert sent[0]["body"] == {
        "model": "gpt-4-1106-preview", "seed": 1234, "max_tokens": 32, "temperature": 0.2,
        "messages": [{"role": "user", "content": "Fixture grader, plain.\nQUESTION: What color is the sofa?\n"
                                                 "REFERENCE: Blue\nCANDIDATE: Blue\nGrade 1-5."}]}
    assert sent[1]["body"]["messages"] == [{"role": "user", "content": (
        "Fixture grader, extra.\nQUESTION: Where is the kettle?\nREFERENCE: On the counter\n"
        "ALSO: ['in the kitchen']\nCANDIDATE: in the kitchen\nGrade 1-5.")}]
    assert "CANDIDATE: No.\n" in sent[2]["body"]["messages"][0]["content"]  # trimmed as open-eqa does


def test_your_mark_replies_are_read(fake_judge, prompts):
    j = Judge(base_url(fake_judge, "mark"), prompts)
    assert j.rate("q", "Q?", "Blue", "Blue") == 5 and j.rate("q", "Q?", "Blue", "Red") == 1


@pytest.mark.parametrize("mode, rating, score", [("zero", 0, 0.0), ("six", 6, 100.0)])
def test_out_of_range_ratings_are_clipped_not_rejected(fake_judge, prompts, mode, rating, score):
    doc = {"question_id": "q", "question": "Q?", "answer": "Blue"}
    assert Judge(base_url(fake_judge, mode), prompts).llm_match(doc, "Blue") == (rating, score)


@pytest.mark.parametrize("prediction", [None, "", "   \n"])
def test_empty_prediction_scores_0_without_a_call(fake_judge, prompts, prediction):
    start = len(fake_judge.requests)
    doc = {"question_id": "q", "question": "Q?", "answer": "Blue"}
    assert Judge(base_url(fake_judge), prompts).llm_match(doc, prediction) == (0, 0.0)
    assert len(fake_judge.requests) == start


def test_a_reply_without_a_rating_stops_naming_the_question(fake_judge, prompts):
    j = Judge(base_url(fake_judge, "garbage"), prompts, api_key=API_KEY, backoff_s=0)
    start = len(fake_judge.requests)
    with pytest.raises(JudgeError, match="question q-garbled-7") as e:
        j.rate("q-garbled-7", "What is it?", "A lamp", "A lamp")
    assert len(fake_judge.requests) - start == 1  # open-eqa does not re-ask either: never a silent 0
    assert API_KEY not in str(e.value)


def test_rejected_key_fails_at_once_and_busy_servers_are_retried(fake_judge, prompts):
    start = len(fake_judge.requests)
    with pytest.raises(JudgeError, match=r"question q-1\b.*HTTP 401"):
        Judge(base_url(fake_judge, "denied"), prompts, api_key=API_KEY, backoff_s=0).rate("q-1", "Q?", "A", "A")
    assert len(fake_judge.requests) - start == 1  # a 401 will not improve with retries
    with pytest.raises(JudgeError, match=r"question q-2\b.*HTTP 503"):
        Judge(base_url(fake_judge, "busy"), prompts, retries=3, backoff_s=0).rate("q-2", "Q?", "A", "A")
    assert len(fake_judge.requests) - start == 4


# ------------------------------------------------------------------------------ task hooks


@pytest.fixture(scope="module")
def hooks():
    """The task's utils.py, loaded by file path as lmms-eval does."""
    spec = importlib.util.spec_from_file_location("simsv_openeqa_utils", TASK_YAML.parent / "utils.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_doc_to_visual_finds_the_episode_video_or_names_the_variable(hooks, tmp_path, monkeypatch):
    doc = {"episode_history": "hm3d-v0/000-hm3d-X"}
    monkeypatch.setenv(hooks.VIDEOS_ENV, str(tmp_path))
    with pytest.raises(FileNotFoundError, match=rf"{tmp_path}/hm3d-v0/000-hm3d-X.mp4.*{hooks.VIDEOS_ENV}"):
        hooks.doc_to_visual(doc)
    (tmp_path / "hm3d-v0").mkdir()
    (tmp_path / "hm3d-v0" / "000-hm3d-X.mp4").write_bytes(b"")
    assert hooks.doc_to_visual(doc) == [str(tmp_path / "hm3d-v0" / "000-hm3d-X.mp4")]


def test_doc_to_text_is_the_question_and_the_short_answer_instruction(hooks):
    assert hooks.doc_to_text({"question": "What is above the sink?"}) == f"What is above the sink?\n{hooks.POST_PROMPT}"


def test_process_results_without_a_judge(hooks, monkeypatch):
    monkeypatch.delenv(judge.URL_ENV, raising=False)
    out = hooks.process_results(QUESTIONS[1], ["kitchen counter"])
    assert set(out) == {"llm_match", "proxy_token_f1", *hooks.CATEGORY_METRICS}
    assert math.isnan(out["llm_match"]["score"]) and out["llm_match"]["judge_rating"] is None
    assert out["proxy_token_f1"]["score"] == pytest.approx(80.0)
    assert out["llm_match_object_localization"] is out["llm_match"]
    assert "score" not in out["llm_match_world_knowledge"]  # another category: no score in its stderr
    assert math.isnan(hooks.agg_llm_match([out["llm_match"]]))
    assert hooks.agg_proxy_token_f1([out["proxy_token_f1"]]) == pytest.approx(80.0)


def test_aggregations(hooks):
    items = [{"group": "object localization", "score": 100.0}, {"group": "world knowledge", "score": 25.0}]
    assert hooks.agg_llm_match(items) == 62.5
    assert hooks.agg_llm_match_world_knowledge(items + [{"group": "object localization"}]) == 25.0
    assert math.isnan(hooks.agg_llm_match_functional_reasoning(items))  # no such question: NaN, not 0


def test_process_docs_rejects_data_that_is_not_open_eqa(hooks):
    from datasets import Dataset

    assert hooks.process_docs(Dataset.from_list(QUESTIONS[:1])).num_rows == 1
    with pytest.raises(ValueError, match="open-eqa-v0.json"):
        hooks.process_docs(Dataset.from_list([{"video": "a.mp4", "label": 0}]))


# ------------------------------------------------------------------------------ end to end

QUESTIONS = [
    {"question": "What color is the sofa?", "answer": "Blue", "category": "attribute recognition",
     "question_id": "q-sofa", "episode_history": "hm3d-v0/000-hm3d-fakeA"},
    {"question": "Where is the kettle?", "answer": "On the kitchen counter", "category": "object localization",
     "question_id": "q-kettle", "episode_history": "hm3d-v0/000-hm3d-fakeA",
     "extra_answers": ["in the kitchen", "next to the stove"]},
    {"question": "Where are the chairs?", "answer": "Around the kitchen table", "category": "spatial understanding",
     "question_id": "q-chairs", "episode_history": "scannet-v0/002-scannet-scene0000_00"},
    {"question": "Is the front door open?", "answer": "Yes.", "category": "object state recognition",
     "question_id": "q-door", "episode_history": "scannet-v0/002-scannet-scene0000_00"},
]
DUMMY_RESPONSE = "in the kitchen"
# The fake judge rates only q-kettle 5 (the response is one of its extra answers): (100+0+0+0)/4.
DUMMY_LLM_MATCH = 25.0
# Token F1 against the best answer: sofa 0, kettle 100, chairs 40 (see the proxy test), door 0.
DUMMY_PROXY = (0 + 100 + 40 + 0) / 4


def write_video(path: Path, frames: int = 4) -> None:
    import av
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=4)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i in range(frames):
            image = np.full((32, 32, 3), 40 * i, dtype=np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())


@pytest.fixture(scope="module")
def openeqa_folder(tmp_path_factory) -> Path:
    """The runner's layout: DIR/open-eqa-v0.json and DIR/videos/<episode_history>.mp4. The mp4s
    beside the json also prove the task reads only open-eqa-v0.json from the folder."""
    root = tmp_path_factory.mktemp("openeqa")
    (root / "open-eqa-v0.json").write_text(json.dumps(QUESTIONS, indent=1))
    for episode in {q["episode_history"] for q in QUESTIONS}:
        write_video(root / "videos" / f"{episode}.mp4")
    return root


@pytest.fixture(scope="module")
def override_folder(openeqa_folder, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tasks")
    (folder / "simsv_openeqa.yaml").write_text(f"include: {TASK_YAML}\ndataset_path: {openeqa_folder}\n")
    return folder


def lmms_eval(name: str, model: str, model_args: str, judge_url: str | None, folder: Path, tasks: Path,
              checkout: Path) -> dict:
    """One `lmms-eval` CLI run, offline with a private HF_HOME; its results for simsv_openeqa.
    The CLI exits 0 even when the task fails, so the results file is what counts."""
    out = folder / name
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SIMSV_JUDGE", "SIMSV_OPENEQA")) and k != "OPENAI_API_KEY"}
    env.update(HF_HUB_OFFLINE="1", HF_HOME=str(out / "hf_home"), TOKENIZERS_PARALLELISM="false",
               SIMSV_OPENEQA_VIDEOS=str(folder / "videos"))
    if judge_url:
        env.update(SIMSV_JUDGE_URL=judge_url, SIMSV_JUDGE_API_KEY=API_KEY, SIMSV_OPENEQA_REPO=str(checkout))
    cmd = [sys.executable, "-m", "lmms_eval", "--model", model, "--tasks", "simsv_openeqa", "--include_path", str(tasks),
           "--batch_size", "1", "--output_path", str(out / "lmms"), "--log_samples"]
    if model_args:
        cmd += ["--model_args", model_args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=out.parent)
    found = sorted((out / "lmms").glob("**/*_results.json"))
    assert found, f"{name}: no results file (exit {r.returncode})\n{r.stdout[-3000:]}\n{r.stderr[-6000:]}"
    written = [f.read_text() for f in (out / "lmms").rglob("*") if f.is_file()]
    assert not any(API_KEY in text for text in [r.stdout, r.stderr, *written]), f"{name}: the API key leaked"
    return json.loads(found[-1].read_text())["results"]["simsv_openeqa"]


@pytest.fixture(scope="module")
def runs(fake_judge, openeqa_folder, override_folder, checkout) -> dict:
    """The three CLI runs side by side (each is mostly ~13 s of imports)."""
    url = base_url(fake_judge)
    plans = {
        "oracle": ("simsv_oracle", "", url),
        "dummy": ("dummy", f"response={DUMMY_RESPONSE},decode_num_frames=2", url),  # decodes the mp4s
        "no_judge": ("simsv_oracle", "", None),
    }
    start = len(fake_judge.requests)
    with ThreadPoolExecutor(len(plans)) as pool:
        futures = {name: pool.submit(lmms_eval, name, *plan, openeqa_folder, override_folder, checkout)
                   for name, plan in plans.items()}
        results = {name: f.result() for name, f in futures.items()}
    results["judge_requests"] = fake_judge.requests[start:]
    return results


def metric(result: dict, name: str) -> float:
    return result[f"{name},none"]


def test_oracle_scores_100_with_the_judge(runs):
    oracle = runs["oracle"]
    assert metric(oracle, "llm_match") == 100.0
    assert metric(oracle, "proxy_token_f1") == 100.0
    assert metric(oracle, "llm_match_object_localization") == 100.0
    assert math.isnan(metric(oracle, "llm_match_world_knowledge"))  # no such question here


def test_dummy_scores_the_hand_computed_values(runs):
    dummy = runs["dummy"]
    assert metric(dummy, "llm_match") == pytest.approx(DUMMY_LLM_MATCH)
    assert metric(dummy, "proxy_token_f1") == pytest.approx(DUMMY_PROXY)
    assert metric(dummy, "llm_match_object_localization") == 100.0
    assert metric(dummy, "llm_match_attribute_recognition") == 0.0


def test_every_judged_question_reached_the_judge_with_the_key(runs):
    sent = runs["judge_requests"]
    assert len(sent) == 2 * len(QUESTIONS)  # oracle + dummy; the judge-less run sends nothing
    assert {r["headers"]["Authorization"] for r in sent} == {f"Bearer {API_KEY}"}
    for r in sent:  # one user message from the checkout's prompt files, open-eqa's settings
        assert [m["role"] for m in r["body"]["messages"]] == ["user"]
        assert r["body"]["messages"][0]["content"].startswith("Fixture grader, ")
        assert (r["body"]["model"], r["body"]["seed"], r["body"]["temperature"]) == ("gpt-4-1106-preview", 1234, 0.2)


def test_without_a_judge_llm_match_is_nan_and_the_proxy_is_reported(runs):
    no_judge = runs["no_judge"]
    assert math.isnan(metric(no_judge, "llm_match"))
    assert metric(no_judge, "proxy_token_f1") == 100.0
