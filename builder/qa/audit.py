"""Bias audit: answer distributions and blind baselines per question type and format.

A question set is only a test of spatial understanding if a model that never sees the video
cannot answer it. For each (question_type, format) this module measures what blind models
achieve on houses they never saw. By default that is grouped k-fold cross-validation over houses
(`folds=5`): houses are dealt to folds by a hash of (seed, house id), and each fold's questions
are predicted by models fitted on the other folds' houses, so every question is scored exactly
once. With `folds=None` (or 0/1) the models are trained on the train houses of
`simsv_vsi.mixes.split_houses` and scored on its validation and test houses only. The models:

- majority: the most frequent correct answer text in train when it is among the options, else
  the most frequent correct letter (mc); the train median of the answers, scored by MRA (oe);
- a text-only model: a conditional logit (softmax over one question's options) fitted with
  L-BFGS on features that never see the video: the question's word 1- to 3-grams (the
  n-grams keep an object's role: "is the sofa" vs "by the sofa") crossed with the option's
  letter and with its words; the option's text, its comma-separated items with their
  positions, its letter; and for numeric options the log value, its rank among the options
  (one-hot), its offset from the options' mean log value and that offset squared, the first
  two also crossed with the question n-grams. For oe, a ridge regression of the log answer
  on the question n-grams (shifted so its train residuals have median 0), scored by MRA
  against the median's;
- a name-rates model (mc): per option, how often it won when offered on the train houses,
  counted per object the question names (its role and category: "start: bed", "reference:
  sofa") and once with no name; options are scored by the sum of log (wins + 1) / (chance
  wins + 1) and the best is picked. It sees what the question says, as the text model does,
  but cannot be regularised away from a sparse association: routes that start at a bed
  turning left 60 % of the time.

Question n-grams present in every train question of a type are left out (constants, already
covered by the un-crossed features), features equal on all options of a question are dropped
(they cancel in the softmax), and so are features of fewer than two train questions. The L2
strength is chosen by log-loss (mc) or squared error (oe) on an inner split of the training
houses (within each fold), then the model is refitted on all of them. Everything is hashed with crc32 and
a fixed mixer, so results are the same in every process.

`audit` returns a JSON-serialisable dict (accuracies and MRAs in points, 0-100) that depends
only on the records' content, not their order; `audit_markdown` renders it. A multiple-choice
type fails when its best blind baseline beats chance by more than `tolerance_points`.
"""

from __future__ import annotations

import hashlib
import math
import re
import zlib
from collections import Counter

import numpy as np
import pyarrow as pa

from simsv_vsi.metrics import mean_relative_accuracy
from simsv_vsi.mixes import split_houses
from simsv_vsi.question_types import QUESTION_TYPES

AUDIT_SCHEMA = "simsv-audit/1"
DEFAULT_TOLERANCE_POINTS = 5.0
DEFAULT_FOLDS = 5
LETTERS = "ABCDEFGH"
TOP_ANSWERS = 10
QUANTILES = (("min", 0.0), ("p10", 0.1), ("p50", 0.5), ("p90", 0.9), ("max", 1.0))
FORMAT_ORDER = ("oe", "mc")

HASH_BITS = 24
LOGIT_LAMBDAS = (1.0, 1e-1, 1e-2, 1e-3, 1e-4)  # L2 strengths tried, strongest first
RIDGE_ALPHAS = (100.0, 10.0, 1.0, 0.1)
RIDGE_MAX_FEATURES = 2000
DEFAULT_LAMBDA = 1e-2
DEFAULT_ALPHA = 1.0
INNER_FRACTION = 0.2  # share of train houses held out to choose the L2 strength
MIN_INNER_HOUSES = 5
MIN_INNER_QUESTIONS = 20
MAX_ITER = 150
MIN_FEATURE_QUESTIONS = 2  # a feature of one train question cannot generalise; left out
ROUND = 4  # decimals of reported floats

_TOKEN = re.compile(r"[a-z0-9]+(?:[.\-'][a-z0-9]+)*")
_LETTERED = re.compile(r"^([A-H])\.\s?(.*)$", re.S)

# feature namespaces (hashed together with their arguments)
(NS_LETTER, NS_TEXT, NS_WORD, NS_ITEM, NS_Q_LETTER, NS_Q_WORD, NS_DENSE, NS_RANK, NS_Q_LOG,
 NS_Q_CLOG) = range(1, 11)


# ---------------------------------------------------------------------------------------------
# public API


def audit(records: pa.Table, seed: int = 0, tolerance_points: float = DEFAULT_TOLERANCE_POINTS,
          folds: int | None = DEFAULT_FOLDS, validation: float = 0.05, test: float = 0.05) -> dict:
    """The bias audit of a table of QA records (`simsv_vsi.records.RECORD_SCHEMA` columns).

    With `folds` >= 2, houses are dealt to `folds` groups (`house_folds`) and each group's
    records are scored by blind models fitted on the other groups' houses: every record is
    scored once. With `folds` None, 0 or 1, houses are split with
    `split_houses(house_ids, seed, validation, test)`; blind models are trained on train houses
    and scored on validation + test houses. Returns a dict with
    `types` keyed "question_type/format" (registry order, oe before mc), each holding counts,
    the answer distribution, chance, the majority and text-only baselines and a `verdict`:
    "pass" / "fail" for multiple choice, "n/a" for open-ended or when nothing is held out.
    """
    cols = {c: records.column(c).to_pylist() for c in
            ("id", "house_id", "question_type", "format", "question", "options", "answer", "answer_value")}
    # the objects the question names (options excluded: a closest-type's choice roles are in
    # answer order); a table without the column gets name rates with no names
    objects = records.column("objects").to_pylist() if "objects" in records.column_names else [None] * records.num_rows
    cols["named"] = [tuple(sorted((o["role"], o["category"]) for o in objs or () if not o["role"].startswith("choice_")))
                     for objs in objects]
    n = records.num_rows
    order = sorted(range(n), key=lambda i: tuple(_sort_key(cols[c][i]) for c in cols))
    rows = [{c: cols[c][i] for c in cols} for i in order]
    cv = folds is not None and int(folds) >= 2
    if cv:
        # house -> fold; every record is scored, by the models that never saw its fold
        house_fold = house_folds([r["house_id"] for r in rows], seed, int(folds))
    else:
        # house -> 0 (held out, scored) or -1 (train only)
        splits = split_houses([r["house_id"] for r in rows], seed, validation, test) if rows else {}
        house_fold = {h: -1 if s == "train" else 0 for h, s in splits.items()}
    held_houses = sorted(h for h, f in house_fold.items() if f >= 0)

    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["question_type"] or "", r["format"] or ""), []).append(r)
    known = list(QUESTION_TYPES)
    keys = sorted(groups, key=lambda k: (known.index(k[0]) if k[0] in known else len(known), k[0],
                                         FORMAT_ORDER.index(k[1]) if k[1] in FORMAT_ORDER else 9, k[1]))
    types = {}
    for qtype, fmt in keys:
        recs = groups[(qtype, fmt)]
        fold = [house_fold[r["house_id"]] for r in recs]
        if fmt == "mc":
            types[f"{qtype}/{fmt}"] = _audit_mc(qtype, recs, fold, seed, tolerance_points)
        else:
            types[f"{qtype}/{fmt}"] = _audit_oe(qtype, fmt, recs, fold, seed)

    failed = [k for k, v in types.items() if v["verdict"] == "fail"]
    checked = [k for k, v in types.items() if v["verdict"] in ("pass", "fail")]
    return {
        "schema": AUDIT_SCHEMA,
        "seed": int(seed),
        "tolerance_points": float(tolerance_points),
        "n_records": n,
        "folds": int(folds) if cv else None,
        "houses": {"train": len(house_fold) - len(held_houses) if not cv else len(house_fold),
                   "held_out": len(held_houses)},
        "held_out_houses": held_houses,
        "types": types,
        "summary": {"mc_checked": len(checked), "failed": failed},
    }


def house_folds(house_ids: list[str], seed: int, folds: int) -> dict[str, int]:
    """house id -> fold in 0..folds-1: distinct houses sorted by a hash of (seed, house id),
    dealt round-robin (fold sizes differ by at most one house)."""
    hs = sorted(set(house_ids), key=lambda h: (hashlib.sha256(f"{seed}\x1faudit-fold\x1f{h}".encode()).digest(), h))
    return dict(sorted((h, i % folds) for i, h in enumerate(hs)))


def audit_markdown(report: dict) -> str:
    """A readable Markdown report: one summary table, then per-type distribution details."""
    tol = report["tolerance_points"]
    s = report["summary"]
    k = report.get("folds")
    if k:
        setup = (f"{report['n_records']} records from {report['houses']['held_out']} houses, scored by "
                 f"{k}-fold cross-validation over houses: each question by a model that never saw its "
                 f"house (fold seed {report['seed']}). n train: records a fold's models were fitted on "
                 f"(mean over folds); n held-out: records scored.")
    else:
        setup = (f"{report['n_records']} records; houses: {report['houses']['train']} train, "
                 f"{report['houses']['held_out']} held out (validation + test, split seed {report['seed']}). "
                 f"Blind models are trained on train houses and scored on held-out houses.")
    out = [
        "# SIMS-VSI bias audit",
        "",
        setup + f" Accuracies and MRAs in points; a multiple-choice type fails when its best blind "
        f"baseline beats chance by more than {_num(tol, 1)} points.",
        "",
        f"**{len(s['failed'])} of {s['mc_checked']} multiple-choice types fail**"
        + (": " + ", ".join(f"`{k}`" for k in s["failed"]) if s["failed"] else "."),
        "",
        "| type | fmt | n train | n held-out | chance | majority | text model | name rates | blind − chance | verdict |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for t in report["types"].values():
        maj, tm, v = t["majority"], t["text_model"], t["verdict_detail"]
        if t["format"] == "mc":
            chance = _num(t["chance"], 1)
            m, c = _num(maj.get("accuracy"), 1), _num(tm.get("accuracy"), 1)
            nr = _num(t.get("name_rates", {}).get("accuracy"), 1)
            if v.get("blind_minus_chance") is None:
                gap = "—"
            else:
                gap = f"{v['blind_minus_chance']:+.1f} ± {1.96 * v['null_se']:.1f}"
            verdict = t["verdict"]
            if verdict == "fail":
                verdict = "FAIL" if v["significant"] else "FAIL (within noise)"
        else:
            chance = "—"
            m = "MRA " + _num(maj.get("mra"), 1) if maj.get("mra") is not None else "—"
            c = "MRA " + _num(tm.get("mra"), 1) if tm.get("mra") is not None else "—"
            gap = nr = "—"
            g = tm.get("minus_majority")
            verdict = f"n/a (ridge {g:+.1f} MRA vs median)" if g is not None else "n/a"
        out.append(f"| {t['question_type']} | {t['format']} | {t['n_train']} | {t['n_held_out']} | "
                   f"{chance} | {m} | {c} | {nr} | {gap} | {verdict} |")
    out += ["", "blind − chance: the better blind baseline's held-out accuracy minus chance; ± is "
            "1.96 standard errors of a guesser's accuracy on that many held-out questions, the gap "
            "that luck alone reaches 1 time in 40. \"within noise\": over the tolerance but not "
            "beyond that."]
    noisy = [k for k, t in report["types"].items()
             if t["verdict"] in ("pass", "fail") and 1.96 * t["verdict_detail"]["null_se"] > tol]
    if noisy:
        out += ["", f"**Warning**: for {len(noisy)} type(s) the held-out set is too small to judge a "
                f"{_num(tol, 1)}-point tolerance (luck alone spans more than that): "
                + ", ".join(f"`{k}`" for k in noisy) + ". Audit more houses for a firm verdict."]
    out += ["", "## Details", ""]
    for key, t in report["types"].items():
        out.append(f"### {key}")
        out.append("")
        d = t["distribution"]
        if t["n_skipped"]:
            out.append(f"- skipped {t['n_skipped']} malformed record(s)")
        if t["verdict_detail"].get("reason") and t["format"] == "mc":
            out.append(f"- no verdict: {t['verdict_detail']['reason']}")
        if t["format"] == "mc":
            out.append("- correct letter: " + _hist(d["letters"]) + _uniform(d["letters_uniformity"]))
            if "rank" in d:
                out.append("- correct option's rank by value (1 = smallest): " + _hist(d["rank"])
                           + _uniform(d["rank_uniformity"]))
            top = ", ".join(f"{_quote(a)} {100 * c / max(1, t['n']):.1f}%" for a, c in d["top_answers"][:5])
            out.append(f"- top answers ({d['n_distinct_answers']} distinct): {top}")
            if d.get("n_answer_value_mismatch"):
                out.append(f"- **{d['n_answer_value_mismatch']} record(s) whose answer_value is not the "
                           "correct option's text**")
            maj, tm = t["majority"], t["text_model"]
            if maj.get("text") is not None:
                out.append(f"- majority: {_quote(maj['text'])} when offered (in {_num(maj['text_offered'], 1)}% "
                           f"of held-out questions), else letter {maj['letter']}: {_num(maj['accuracy'], 1)}")
            if tm.get("accuracy") is not None:
                out.append(f"- text model: held-out {_num(tm['accuracy'], 1)} (train {_num(tm['train_accuracy'], 1)}), "
                           f"L2 {tm['l2']:g}, {tm['n_features']} features, {tm['iterations']} iterations"
                           + (" (per fold: most common L2, mean features, most iterations)" if k else ""))
            if t.get("name_rates"):
                out.append(f"- name rates: held-out {_num(t['name_rates']['accuracy'], 1)}")
        else:
            q = d.get("quantiles")
            if q:
                out.append("- answers: " + ", ".join(f"{k} {v:g}" for k, v in q.items()))
            maj, tm = t["majority"], t["text_model"]
            if maj.get("mra") is not None:
                out.append(f"- majority: median {maj['prediction']:g}" + (" (median over folds)" if k else "")
                           + f" → MRA {_num(maj['mra'], 1)}")
            if tm.get("mra") is not None:
                out.append(f"- ridge on question words: MRA {_num(tm['mra'], 1)} "
                           f"({tm['minus_majority']:+.1f} vs median), "
                           + (f"alpha {tm['alpha']:g}, {tm['n_features']} features" if tm["n_features"]
                              else "no varying question words (predicts the train mean log answer)"))
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------
# per-group audits


def _audit_mc(qtype: str, recs: list[dict], fold: list[int], seed: int, tolerance: float) -> dict:
    """`fold`: per record, the fold it is scored in (by models fitted on every other record's
    house), or -1 for a record only ever trained on."""
    questions, texts, correct, folds, houses, named = [], [], [], [], [], []
    skipped = mismatch = 0
    for r, f in zip(recs, fold):
        opts = r["options"]
        ans = (r["answer"] or "").strip()
        if not opts or len(opts) < 2 or len(ans) != 1 or ans not in LETTERS[:len(opts)]:
            skipped += 1
            continue
        ts = [_option_text(o) for o in opts]
        c = LETTERS.index(ans)
        questions.append(r["question"] or "")
        texts.append(ts)
        correct.append(c)
        folds.append(f)
        houses.append(r["house_id"])
        named.append((("", ""), *r.get("named", ())))
        mismatch += r["answer_value"] is not None and r["answer_value"] != ts[c]
    correct_a = np.asarray(correct, np.int64)
    fold_a = np.asarray(folds, np.int64)
    k = np.asarray([len(t) for t in texts], np.int64)
    values = _numeric_options(qtype, texts)
    answers = [ts[c] for ts, c in zip(texts, correct)]

    dist: dict = {}
    counts = Counter(answers)
    dist["n_distinct_answers"] = len(counts)
    dist["top_answers"] = [[a, c] for a, c in sorted(counts.items(), key=lambda x: (-x[1], x[0]))[:TOP_ANSWERS]]
    dist["letters"], dist["letters_uniformity"] = _position_hist(correct_a, k)
    if values is not None:
        starts = np.concatenate([[0], np.cumsum(k)[:-1]]).astype(np.int64)
        ranks = _ranks(np.asarray([x for vs in values for x in vs], float), k)[starts + correct_a]
        dist["rank"], dist["rank_uniformity"] = _position_hist(ranks, k, labels="1234567890")
    dist["n_answer_value_mismatch"] = int(mismatch)

    fold_ids = _scored_folds(fold_a)
    held_a = np.isin(fold_a, fold_ids)
    n_held = int(held_a.sum())
    n_train = int(round(float(np.mean([np.sum(fold_a != f) for f in fold_ids])))) if fold_ids else 0
    out = {"question_type": qtype, "format": "mc", "answer_kind": "numeric" if values is not None else "choice",
           "n": len(texts), "n_train": n_train, "n_held_out": n_held, "n_skipped": skipped,
           "distribution": dist}
    if n_held == 0:
        any_held = bool(np.any(fold_a >= 0))
        out.update(chance=_r(100 * float(np.mean(1.0 / k[fold_a >= 0]))) if any_held else None,
                   majority={}, text_model={}, verdict="n/a",
                   verdict_detail={"reason": "no train records" if any_held else "no held-out records"})
        return out

    chance = 100 * float(np.mean(1.0 / k[held_a]))
    maj_pred = np.zeros(len(texts), np.int64)
    pred = np.zeros(len(texts), np.int64)
    name_pred = np.zeros(len(texts), np.int64)
    offered = np.zeros(len(texts), bool)
    tops, lams, tried, n_feats, iters = [], [], [], [], []
    train_hits = train_n = 0
    for f in fold_ids:
        train, test = fold_a != f, fold_a == f
        # majority
        top_text = sorted(Counter(a for a, t in zip(answers, train) if t).items(), key=lambda x: (-x[1], x[0]))[0][0]
        top_letter = sorted(Counter(correct_a[train].tolist()).items(), key=lambda x: (-x[1], x[0]))[0][0]
        tops.append((top_text, top_letter))
        for i in np.flatnonzero(test):
            ts = texts[i]
            offered[i] = top_text in ts
            maj_pred[i] = ts.index(top_text) if top_text in ts else min(top_letter, len(ts) - 1)
        name_pred[test] = _name_rates(named, texts, correct_a, train, test)
        # text-only conditional logit
        design = _mc_design(questions, texts, values, train)
        design["correct"] = correct_a
        lam, tried_f = _choose_lambda(design, houses, train, seed)
        w, it = _fit_logit(design, train, lam, None)
        p = _logit_predict(design, w)
        pred[test] = p[test]
        train_hits += int(np.sum(p[train] == correct_a[train]))
        train_n += int(train.sum())
        lams.append(lam)
        tried.append(tried_f)
        n_feats.append(int(design["n_features"]))
        iters.append(int(it))

    maj_acc = 100 * float(np.mean(maj_pred[held_a] == correct_a[held_a]))
    top_text = _mode([t for t, _ in tops])
    top_letter = _mode([l for _, l in tops])
    majority = {"text": top_text, "letter": LETTERS[top_letter], "text_offered": _r(100 * float(np.mean(offered[held_a]))),
                "accuracy": _r(maj_acc), "minus_chance": _r(maj_acc - chance), "se": _r(_se(maj_acc, n_held))}
    acc = 100 * float(np.mean(pred[held_a] == correct_a[held_a]))
    train_acc = 100 * train_hits / train_n
    text_model = {"accuracy": _r(acc), "minus_chance": _r(acc - chance), "se": _r(_se(acc, n_held)),
                  "train_accuracy": _r(train_acc), "l2": _mode(lams), "l2_folds": lams,
                  "l2_inner_nll": tried if len(fold_ids) > 1 else tried[0],
                  "n_features": int(round(float(np.mean(n_feats)))), "iterations": max(iters)}

    name_acc = 100 * float(np.mean(name_pred[held_a] == correct_a[held_a]))
    name_rates = {"accuracy": _r(name_acc), "minus_chance": _r(name_acc - chance), "se": _r(_se(name_acc, n_held))}
    best_name, best_acc = max([("majority", maj_acc), ("text_model", acc), ("name_rates", name_acc)],
                              key=lambda x: x[1])
    gap = best_acc - chance
    # the spread of a blind guesser's held-out accuracy around chance: what the gap can be by luck
    p0 = 1.0 / k[held_a]
    null_se = 100 * math.sqrt(float(np.sum(p0 * (1 - p0)))) / n_held
    out.update(chance=_r(chance), majority=majority, text_model=text_model, name_rates=name_rates,
               verdict="pass" if gap <= tolerance else "fail",
               verdict_detail={"blind_best": best_name, "blind_accuracy": _r(best_acc),
                               "blind_minus_chance": _r(gap), "se": _r(_se(best_acc, n_held)),
                               "null_se": _r(null_se), "significant": bool(gap > 1.96 * null_se),
                               "tolerance_points": float(tolerance)})
    return out


def _name_rates(named: list[tuple], texts: list[list[str]], correct: np.ndarray, train: np.ndarray,
                test: np.ndarray) -> np.ndarray:
    """The name-rates model's pick (an option index) for each `test` record (module docstring):
    wins and chance wins of (name, option text) counted on `train` records."""
    wins: dict = {}
    chance: dict = {}
    for i in np.flatnonzero(train):
        p = 1.0 / len(texts[i])
        for j, t in enumerate(texts[i]):
            for name in named[i]:
                chance[name, t] = chance.get((name, t), 0.0) + p
                if j == correct[i]:
                    wins[name, t] = wins.get((name, t), 0) + 1
    idx = np.flatnonzero(test)
    out = np.zeros(len(idx), np.int64)
    for k, i in enumerate(idx):
        scores = [sum(math.log((wins.get((name, t), 0) + 1) / (chance.get((name, t), 0.0) + 1)) for name in named[i])
                  for t in texts[i]]
        out[k] = int(np.argmax(scores))  # ties: the first letter (letters are dealt evenly)
    return out


def _choose_lambda(design: dict, houses: list[str], train: np.ndarray, seed: int) -> tuple[float, dict]:
    """The L2 strength with the least log-loss on an inner split of the training houses."""
    inner = _inner_split(houses, train, seed)
    if inner is None:
        return DEFAULT_LAMBDA, {}
    fit_q, val_q = inner
    w, best, tried = None, None, {}
    for lam_i in LOGIT_LAMBDAS:
        w, _ = _fit_logit(design, fit_q, lam_i, w)
        nll = _logit_nll(design, val_q, w)
        tried[f"{lam_i:g}"] = _r(nll)
        if best is None or nll < best[0] - 1e-12:
            best = (nll, lam_i)
    return best[1], tried


def _audit_oe(qtype: str, fmt: str, recs: list[dict], fold: list[int], seed: int) -> dict:
    questions, y, folds, houses = [], [], [], []
    skipped = 0
    for r, f in zip(recs, fold):
        v = _float(r["answer_value"])
        if v is None:
            v = _float(r["answer"])
        if v is None or v <= 0:  # MRA needs a positive ground truth; log needs a positive value
            skipped += 1
            continue
        questions.append(r["question"] or "")
        y.append(v)
        folds.append(f)
        houses.append(r["house_id"])
    y_a = np.asarray(y, float)
    fold_a = np.asarray(folds, np.int64)
    fold_ids = _scored_folds(fold_a)
    held_a = np.isin(fold_a, fold_ids)
    n_held = int(held_a.sum())
    n_train = int(round(float(np.mean([np.sum(fold_a != f) for f in fold_ids])))) if fold_ids else 0
    dist = {}
    if len(y_a):
        dist["quantiles"] = {name: _r(float(np.quantile(y_a, q))) for name, q in QUANTILES}
        dist["mean"] = _r(float(y_a.mean()))
    out = {"question_type": qtype, "format": fmt, "answer_kind": "numeric", "n": len(y_a),
           "n_train": n_train, "n_held_out": n_held, "n_skipped": skipped, "distribution": dist,
           "chance": None, "verdict": "n/a"}
    if n_held == 0:
        out.update(majority={}, text_model={},
                   verdict_detail={"reason": "no train records" if np.any(fold_a >= 0) else "no held-out records"})
        return out
    logy = np.log(y_a)
    maj_p = np.zeros(len(y_a))
    pred = np.zeros(len(y_a))
    medians, alphas, tried, n_feats = [], [], [], []
    for f in fold_ids:
        train, test = fold_a != f, fold_a == f
        median = float(np.median(y_a[train]))
        maj_p[test] = median
        X = _oe_design(questions, train)
        n_feat = X["n_features"]
        inner = _inner_split(houses, train, seed)
        alpha, tried_f = (DEFAULT_ALPHA if n_feat else None), {}
        if inner is not None and n_feat:
            fit_q, val_q = inner
            best = None
            for a in RIDGE_ALPHAS:
                mse = float(np.mean((_ridge(X, logy, fit_q, a)[val_q] - logy[val_q]) ** 2))
                tried_f[f"{a:g}"] = _r(mse)
                if best is None or mse < best[0] - 1e-12:
                    best = (mse, a)
            alpha = best[1]
        fitted = _ridge(X, logy, train, alpha)
        # centre on the median in log space, not the mean: MRA is a relative error, and with no
        # informative words this predicts the train median, the majority baseline
        pred[test] = np.exp(fitted[test] + float(np.median(logy[train] - fitted[train])))
        medians.append(median)
        alphas.append(alpha)
        tried.append(tried_f)
        n_feats.append(int(n_feat))
    maj_mra = 100 * float(np.mean(mean_relative_accuracy(maj_p[held_a], y_a[held_a])))
    ridge_mra = 100 * float(np.mean(mean_relative_accuracy(pred[held_a], y_a[held_a])))
    out.update(majority={"prediction": _r(float(np.median(medians))), "mra": _r(maj_mra)},
               text_model={"mra": _r(ridge_mra), "minus_majority": _r(ridge_mra - maj_mra),
                           # folds whose train records have no varying words fit no ridge (alpha None)
                           "alpha": _mode([a for a in alphas if a is not None] or [None]), "alpha_folds": alphas,
                           "alpha_inner_mse": tried if len(fold_ids) > 1 else tried[0],
                           "n_features": int(round(float(np.mean(n_feats))))},
               verdict_detail={"reason": "open-ended: no chance level; see ridge vs median"})
    return out


def _scored_folds(fold_a: np.ndarray) -> list[int]:
    """The folds whose records can be scored: those with records outside them to train on."""
    return [int(f) for f in np.unique(fold_a[fold_a >= 0]) if np.any(fold_a != f)]


def _mode(xs: list):
    """The most frequent value, ties to the one seen first."""
    c = Counter(xs)
    return max(c, key=lambda x: (c[x], -xs.index(x)))


# ---------------------------------------------------------------------------------------------
# multiple choice: the conditional logit


def _mc_design(questions: list[str], texts: list[list[str]], values: list[list[float]] | None,
               train: np.ndarray) -> dict:
    """Sparse option-row features (rows grouped by question) with columns compacted to the
    features seen in train."""
    Q = len(questions)
    k = np.asarray([len(t) for t in texts], np.int64)
    starts = np.concatenate([[0], np.cumsum(k)[:-1]]).astype(np.int64)
    R = int(k.sum())
    row_q = np.repeat(np.arange(Q), k)
    row_j = np.arange(R) - starts[row_q]
    row_k = k[row_q]

    q_ids = _question_tokens(questions, train)
    q_len = np.asarray([len(t) for t in q_ids], np.int64)
    q_ptr = np.concatenate([[0], np.cumsum(q_len)[:-1]]).astype(np.int64)
    q_flat = np.concatenate(q_ids) if Q else np.zeros(0, np.uint64)

    cache: dict[str, tuple] = {}
    numeric = values is not None

    def option_parts(t: str):
        if t not in cache:
            if numeric:
                cache[t] = (_tid(t), np.zeros(0, np.uint64), np.zeros(0, np.uint64))
            else:
                words = np.asarray(sorted({_tid(w) for w in _TOKEN.findall(t.lower())}), np.uint64)
                items = [s.strip() for s in t.split(",")]
                pos = (np.asarray([_tid(f"{p}\x1f{s.lower()}") for p, s in enumerate(items)], np.uint64)
                       if len(items) > 1 else np.zeros(0, np.uint64))
                cache[t] = (_tid(t), words, pos)
        return cache[t]

    parts = [option_parts(t) for ts in texts for t in ts]
    text_id = np.asarray([p[0] for p in parts], np.uint64)
    w_len = np.asarray([len(p[1]) for p in parts], np.int64)
    w_flat = np.concatenate([p[1] for p in parts]) if R else np.zeros(0, np.uint64)
    i_len = np.asarray([len(p[2]) for p in parts], np.int64)
    i_flat = np.concatenate([p[2] for p in parts]) if R else np.zeros(0, np.uint64)

    fam_rows, fam_cols, fam_vals = [], [], []

    def add(rows, cols, vals=None):
        fam_rows.append(np.asarray(rows, np.int64))
        fam_cols.append(np.asarray(cols, np.uint64))
        fam_vals.append(np.ones(len(rows)) if vals is None else np.asarray(vals, float))

    all_rows = np.arange(R)
    add(all_rows, _mix(NS_LETTER, row_j, row_k))
    add(all_rows, _mix(NS_TEXT, text_id))
    er, off = _expand(w_len)
    add(er, _mix(NS_WORD, w_flat))
    er, off = _expand(i_len)
    add(er, _mix(NS_ITEM, i_flat))
    # question word x letter
    qr, qoff = _expand(q_len[row_q])
    qw = q_flat[q_ptr[row_q[qr]] + qoff]
    add(qr, _mix(NS_Q_LETTER, qw, row_j[qr], row_k[qr]))
    # question word x option word
    pr, poff = _expand(q_len[row_q] * w_len)
    nw = np.maximum(w_len[pr], 1)
    w_ptr = np.concatenate([[0], np.cumsum(w_len)[:-1]]).astype(np.int64)
    add(pr, _mix(NS_Q_WORD, q_flat[q_ptr[row_q[pr]] + poff // nw], w_flat[w_ptr[pr] + poff % nw]))
    if numeric:
        v = np.asarray([x for vs in values for x in vs], float)
        lv = np.log(np.maximum(v, 1e-6))
        mean_lv = np.add.reduceat(lv, starts) / k if R else lv
        c = lv - mean_lv[row_q]
        rank = _ranks(v, k)
        for j, col in enumerate((lv, c, c * c)):
            add(all_rows, _mix(NS_DENSE, np.full(R, j)), col)
        add(all_rows, _mix(NS_RANK, rank, row_k))
        add(qr, _mix(NS_Q_LOG, qw), lv[qr])
        add(qr, _mix(NS_Q_CLOG, qw), c[qr])

    rows = np.concatenate(fam_rows)
    cols = (np.concatenate(fam_cols) & np.uint64((1 << HASH_BITS) - 1)).astype(np.int64)
    vals = np.concatenate(fam_vals)
    # sum duplicates (a hash collision or a repeated word in one row)
    key = rows * (1 << HASH_BITS) + cols
    key, inv = np.unique(key, return_inverse=True)
    vals = np.bincount(inv.ravel(), weights=vals, minlength=len(key))
    rows, cols = key >> HASH_BITS, key & ((1 << HASH_BITS) - 1)
    # drop entries equal on every option of their question: they cancel in the softmax
    qkey = row_q[rows] * (1 << HASH_BITS) + cols
    o = np.lexsort((vals, qkey))
    qk, vv = qkey[o], vals[o]
    brk = np.concatenate([[True], (qk[1:] != qk[:-1]) | (vv[1:] != vv[:-1])]) if len(o) else np.zeros(0, bool)
    run_id = np.cumsum(brk) - 1
    run_len = np.bincount(run_id) if len(o) else np.zeros(0, np.int64)
    const = np.zeros(len(o), bool)
    const[o] = run_len[run_id] == k[row_q[rows[o]]]
    keep = ~const & (vals != 0)
    rows, cols, vals = rows[keep], cols[keep], vals[keep]
    # compact the columns to the features of at least MIN_FEATURE_QUESTIONS train questions
    in_train = train[row_q[rows]]
    qc = np.unique(row_q[rows[in_train]] * (1 << HASH_BITS) + cols[in_train])
    used, support = np.unique(qc & ((1 << HASH_BITS) - 1), return_counts=True)
    vocab = used[support >= MIN_FEATURE_QUESTIONS]
    idx = np.searchsorted(vocab, cols)
    known = idx < len(vocab)
    known[known] = vocab[idx[known]] == cols[known]
    return {"k": k, "starts": starts, "row_q": row_q, "rows": rows[known], "cols": idx[known],
            "vals": vals[known], "n_features": len(vocab), "n_rows": R}


def _question_tokens(questions: list[str], train: np.ndarray) -> list[np.ndarray]:
    """Distinct hashed word 1-, 2- and 3-grams per question (sorted ids), without those every
    train question has. The n-grams carry an object's role: "is the sofa" is the querying
    object, "by the sofa" the one I stand by, where the bag of words only says a sofa is named."""
    distinct: dict[str, int] = {}
    qidx = np.asarray([distinct.setdefault(q, len(distinct)) for q in questions], np.int64)
    grams = []
    for q in distinct:
        w = _TOKEN.findall(q.lower())
        g = {*w, *(" ".join(w[i:i + 2]) for i in range(len(w) - 1)),
             *(" ".join(w[i:i + 3]) for i in range(len(w) - 2))}
        grams.append(np.unique(np.asarray([_tid(t) for t in g], np.uint64)))
    if not grams:
        return []
    lens = np.asarray([len(g) for g in grams], np.int64)
    flat = np.concatenate(grams)
    mult = np.bincount(qidx[train], minlength=len(grams))  # train questions per distinct text
    ids, inv = np.unique(flat, return_inverse=True)
    df = np.bincount(inv.ravel(), weights=mult[np.repeat(np.arange(len(grams)), lens)], minlength=len(ids))
    keep = (df != int(train.sum()))[inv.ravel()]
    ends = np.cumsum(lens)
    kept = [flat[a:b][keep[a:b]] for a, b in zip(ends - lens, ends)]
    return [kept[i] for i in qidx]


def _subset(design: dict, qmask: np.ndarray) -> dict:
    """The design restricted to the questions in `qmask`, rows renumbered."""
    row_keep = qmask[design["row_q"]]
    new_row = np.cumsum(row_keep) - 1
    e = row_keep[design["rows"]]
    k = design["k"][qmask]
    q_new = np.cumsum(qmask) - 1
    return {"rows": new_row[design["rows"][e]], "cols": design["cols"][e], "vals": design["vals"][e],
            "k": k, "starts": np.concatenate([[0], np.cumsum(k)[:-1]]).astype(np.int64),
            "row_q": q_new[design["row_q"][row_keep]], "n_rows": int(row_keep.sum()),
            "n_features": design["n_features"]}


def _scores(d: dict, w: np.ndarray) -> np.ndarray:
    return np.bincount(d["rows"], weights=w[d["cols"]] * d["vals"], minlength=d["n_rows"])


def _fit_logit(design: dict, qmask: np.ndarray, lam: float, w0: np.ndarray | None) -> tuple[np.ndarray, int]:
    d = _subset(design, qmask)
    correct_rows = d["starts"] + design["correct"][qmask]
    n_q = len(d["k"])
    F = d["n_features"]
    starts, row_q, rows, cols, vals = d["starts"], d["row_q"], d["rows"], d["cols"], d["vals"]

    def fg(w):
        s = np.bincount(rows, weights=w[cols] * vals, minlength=d["n_rows"])
        mx = np.maximum.reduceat(s, starts)
        e = np.exp(s - mx[row_q])
        z = np.add.reduceat(e, starts)
        loss = float(np.sum(mx + np.log(z) - s[correct_rows])) / n_q + 0.5 * lam * _dot(w, w)
        p = e / z[row_q]
        p[correct_rows] -= 1.0
        g = np.bincount(cols, weights=p[rows] * vals, minlength=F) / n_q + lam * w
        return loss, g

    if n_q == 0 or F == 0:
        return np.zeros(F), 0
    return _lbfgs(fg, np.zeros(F) if w0 is None else w0.copy())


def _logit_nll(design: dict, qmask: np.ndarray, w: np.ndarray) -> float:
    d = _subset(design, qmask)
    if len(d["k"]) == 0:
        return 0.0
    s = _scores(d, w)
    mx = np.maximum.reduceat(s, d["starts"])
    z = np.add.reduceat(np.exp(s - mx[d["row_q"]]), d["starts"])
    return float(np.mean(mx + np.log(z) - s[d["starts"] + design["correct"][qmask]]))


def _logit_predict(design: dict, w: np.ndarray) -> np.ndarray:
    """The argmax option per question (ties to the earlier letter)."""
    s = _scores(design, w)
    mx = np.maximum.reduceat(s, design["starts"])
    pos = np.where(s >= mx[design["row_q"]], np.arange(len(s)), len(s))
    return np.minimum.reduceat(pos, design["starts"]) - design["starts"]


def _lbfgs(fg, x: np.ndarray, max_iter: int = MAX_ITER, memory: int = 10, gtol: float = 1e-6,
           ftol: float = 1e-9) -> tuple[np.ndarray, int]:
    """Minimise a smooth convex function: L-BFGS with a backtracking (Armijo) line search."""
    f, g = fg(x)
    S: list[np.ndarray] = []
    Y: list[np.ndarray] = []
    it = 0
    for it in range(1, max_iter + 1):
        if float(np.max(np.abs(g))) <= gtol:
            break
        q = g.copy()
        alphas = []
        for s, y in zip(reversed(S), reversed(Y)):
            rho = 1.0 / _dot(y, s)
            a = rho * _dot(s, q)
            q -= a * y
            alphas.append((rho, a))
        if S:
            q *= _dot(S[-1], Y[-1]) / _dot(Y[-1], Y[-1])
        else:
            q /= max(1.0, math.sqrt(_dot(g, g)))
        for (s, y), (rho, a) in zip(zip(S, Y), reversed(alphas)):
            q += s * (a - rho * _dot(y, q))
        d = -q
        gd = _dot(g, d)
        if gd >= 0:  # not a descent direction: restart from the gradient
            S.clear()
            Y.clear()
            d = -g / max(1.0, math.sqrt(_dot(g, g)))
            gd = _dot(g, d)
        t = 1.0
        for _ in range(40):
            xn = x + t * d
            fn, gn = fg(xn)
            if fn <= f + 1e-4 * t * gd:
                break
            t *= 0.5
        else:
            break
        s, y = xn - x, gn - g
        if _dot(s, y) > 1e-12:
            S.append(s)
            Y.append(y)
            if len(S) > memory:
                S.pop(0)
                Y.pop(0)
        done = f - fn <= ftol * max(1.0, abs(f))
        x, f, g = xn, fn, gn
        if done:
            break
    return x, it


# ---------------------------------------------------------------------------------------------
# open-ended: ridge on question words


def _oe_design(questions: list[str], train: np.ndarray) -> dict:
    """Sparse 0/1 rows of hashed question n-grams seen in at least two train questions (at
    most RIDGE_MAX_FEATURES, the most frequent), universal ones left out."""
    ids = [np.unique((t & np.uint64((1 << HASH_BITS) - 1)).astype(np.int64)) for t in _question_tokens(questions, train)]
    train_ids = [c for c, tr in zip(ids, train) if tr]
    cols, df = np.unique(np.concatenate(train_ids), return_counts=True) if train_ids else (np.zeros(0, np.int64),) * 2
    keep = np.flatnonzero(df >= 2)
    keep = keep[np.lexsort((cols[keep], -df[keep]))][:RIDGE_MAX_FEATURES]
    vocab = np.sort(cols[keep])
    lens = np.asarray([len(c) for c in ids], np.int64)
    rows = np.repeat(np.arange(len(ids)), lens)
    flat = np.concatenate(ids) if ids else np.zeros(0, np.int64)
    j = np.searchsorted(vocab, flat)
    ok = j < len(vocab)
    ok[ok] = vocab[j[ok]] == flat[ok]
    return {"rows": rows[ok], "cols": j[ok], "n_rows": len(ids), "n_features": len(vocab)}


def _ridge(X: dict, y: np.ndarray, fit: np.ndarray, alpha: float) -> np.ndarray:
    """Predictions for every row of a ridge regression (unpenalised intercept) fitted on the
    rows in `fit`, from the sparse 0/1 design `X` (normal equations built from the entries)."""
    V, n = X["n_features"], int(fit.sum())
    mu_y = float(y[fit].mean())
    if V == 0:
        return np.full(X["n_rows"], mu_y)
    e = fit[X["rows"]]
    rows, cols = X["rows"][e], X["cols"][e]
    # pairs of features within a row: sum of outer products
    order = np.argsort(rows, kind="stable")
    rows, cols = rows[order], cols[order]
    counts = np.bincount(rows, minlength=X["n_rows"])
    owner, off = _expand(counts[rows])
    first = np.cumsum(counts) - counts
    partner = cols[first[rows[owner]] + off]
    xtx = np.bincount(cols[owner] * V + partner, minlength=V * V).reshape(V, V).astype(float)
    mu_x = np.bincount(cols, minlength=V) / n
    xty = np.bincount(cols, weights=y[rows], minlength=V)
    A = xtx - n * np.outer(mu_x, mu_x) + alpha * np.eye(V)
    w = np.linalg.solve(A, xty - n * mu_x * mu_y)
    return mu_y - _dot(mu_x, w) + np.bincount(X["rows"], weights=w[X["cols"]], minlength=X["n_rows"])


# ---------------------------------------------------------------------------------------------
# helpers


def _inner_split(houses: list[str], train: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Train questions split by house to choose an L2 strength, or None when too few houses."""
    train_houses = sorted({h for h, t in zip(houses, train) if t},
                          key=lambda h: (hashlib.sha256(f"{seed}\x1faudit-inner\x1f{h}".encode()).digest(), h))
    n_val = int(round(len(train_houses) * INNER_FRACTION))
    if len(train_houses) < MIN_INNER_HOUSES or n_val < 1:
        return None
    val_houses = set(train_houses[:n_val])
    val = np.asarray([t and h in val_houses for h, t in zip(houses, train)], bool)
    fit = train & ~val
    if val.sum() < MIN_INNER_QUESTIONS or fit.sum() < MIN_INNER_QUESTIONS:
        return None
    return fit, val


def _numeric_options(qtype: str, texts: list[list[str]]) -> list[list[float]] | None:
    """Option values when the type is numeric (or unknown with all-numeric options)."""
    t = QUESTION_TYPES.get(qtype)
    if t is not None and t.answer != "numeric":
        return None
    values = []
    for ts in texts:
        vs = [_float(x) for x in ts]
        if any(v is None for v in vs):
            return None
        values.append(vs)
    return values


def _ranks(flat_values: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Each option's 0-based rank among its question's options (options smaller than it)."""
    starts = np.concatenate([[0], np.cumsum(k)[:-1]]).astype(np.int64)
    out = np.zeros(len(flat_values), np.int64)
    for kk in np.unique(k):
        qs = np.flatnonzero(k == kk)
        idx = starts[qs][:, None] + np.arange(kk)
        v = flat_values[idx]
        out[idx] = (v[:, None, :] < v[:, :, None]).sum(-1)
    return out


def _position_hist(pos: np.ndarray, k: np.ndarray, labels: str = LETTERS) -> tuple[dict, dict]:
    """Counts per position and a chi-square test against uniform over each record's k slots."""
    if len(pos) == 0:
        return {}, {"chi2": None, "dof": 0, "p_value": None}
    kmax = int(k.max())
    obs = np.bincount(pos, minlength=kmax)[:kmax].astype(float)
    exp = np.asarray([float(np.sum(1.0 / k[k > j])) for j in range(kmax)])
    chi2 = float(np.sum((obs - exp) ** 2 / exp))
    dof = kmax - 1
    return ({labels[j]: int(obs[j]) for j in range(kmax)},
            {"chi2": _r(chi2), "dof": dof, "p_value": _r(_chi2_sf(chi2, dof)) if dof > 0 else None})


def _chi2_sf(x: float, dof: int) -> float:
    """P(chi-square with integer `dof` >= x), closed form (upper regularised gamma)."""
    y = x / 2.0
    if dof % 2 == 0:
        term, total = 1.0, 1.0
        for i in range(1, dof // 2):
            term *= y / i
            total += term
        return min(1.0, math.exp(-y) * total)
    total = math.erfc(math.sqrt(y))
    for i in range(1, (dof - 1) // 2 + 1):
        a = i - 0.5
        total += math.exp(a * math.log(y) - y - math.lgamma(a + 1)) if y > 0 else 0.0
    return min(1.0, total)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Inner product without BLAS: OpenBLAS threads on short vectors cost more than they save
    (and stall on a busy machine)."""
    return float(np.einsum("i,i->", a, b))


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For owners with `counts` elements each: the owner and the offset of every element."""
    counts = np.asarray(counts, np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    first = np.cumsum(counts) - counts
    return owner, np.arange(len(owner)) - first[owner]


_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)


def _mix(*parts) -> np.ndarray:
    """A 64-bit hash of integer arrays (broadcast), splitmix-style."""
    arrays = np.broadcast_arrays(*[np.asarray(p).astype(np.uint64) for p in parts])
    h = np.full(arrays[0].shape, np.uint64(0x243F6A8885A308D3))
    with np.errstate(over="ignore"):
        for a in arrays:
            h = (h ^ a) * _M1
            h = (h ^ (h >> np.uint64(31))) * _M2
        h ^= h >> np.uint64(29)
    return h


_TID: dict[str, int] = {}


def _tid(token: str) -> int:
    """A stable 32-bit id of a string (crc32, the same in every process)."""
    v = _TID.get(token)
    if v is None:
        v = _TID[token] = zlib.crc32(token.encode("utf-8"))
    return v


def _option_text(lettered: str) -> str:
    m = _LETTERED.match(lettered or "")
    return m.group(2) if m else (lettered or "")


def _float(s) -> float | None:
    try:
        v = float(s)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _se(acc_points: float, n: int) -> float:
    p = acc_points / 100.0
    return 100.0 * math.sqrt(max(p * (1 - p), 0.0) / n) if n else 0.0


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), ROUND) + 0.0


def _sort_key(v):
    if v is None:
        return (0, "")
    if isinstance(v, list):
        return (1, "\x1f".join("" if x is None else str(x) for x in v))
    return (1, str(v))


def _num(x, nd: int) -> str:
    return "—" if x is None else f"{x:.{nd}f}"


def _hist(h: dict) -> str:
    n = sum(h.values()) or 1
    return " · ".join(f"{k} {100 * v / n:.1f}%" for k, v in h.items())


def _uniform(u: dict) -> str:
    return f" (χ² p = {u['p_value']:.3f} vs uniform)" if u.get("p_value") is not None else ""


def _quote(s: str) -> str:
    s = s.replace("\n", " ").replace("|", "/")
    return f"“{s[:40]}…”" if len(s) > 40 else f"“{s}”"
