"""Throughput benchmarks for SFT: the model's training step, and the video loader that feeds it.

    # THE GPU check (one H100, < 10 min): full-size LLaVA-Video-7B, random weights, 64 frames,
    # forward + backward + AdamW with LoRA and as a full fine-tune (reported OOM if it does not fit)
    python -m train.bench gpu --json gpu_check.json

    # full-size LLaVA-OneVision-7B (random weights, no download) on one GPU, both frame counts
    python -m train.bench model --size 7b --layout onevision --frames 32 64 --steps 5
    python -m train.bench model --size 7b --layout llava_video --frames 64 --steps 5 --lora --json /tmp/b.json

    # the same code path on CPU in seconds (what the tests run)
    python -m train.bench model --size tiny --frames 2 --steps 2

    # can the loader keep up? decode + resize + normalise + tokenise, against the trainer's need
    python -m train.bench loader --dataset /work/corpora/hub_c24 --config all --frames 32 \\
        --layout onevision --size 384 --workers 0 2 --batches 20

    # where a loader worker's CPU goes: decode, resize, normalise, per video, on one thread
    python -m train.bench frames --videos /work/corpora/hub_c24/data/videos/house_000000_t00*.mp4 \\
        --frames 32 --size 384 --repeats 5

`model` builds the architecture with random weights directly in bf16 on the device (never in fp32
on the host first), feeds batches shaped like `train.collator.VideoSFTCollator`'s output and times
forward + backward + AdamW. Weights and AdamW states are pure bf16 here (8 bytes/param): a lower
bound on the memory of the real recipe, whose DeepSpeed fp32 master weights take 16 bytes/param
(train-reference.md §5). A setting that runs out of GPU memory is reported and skipped. `--size 7b`
is meant for a GPU: on CPU it would take ~65 GB in bf16 and hours per step.

Model FLOPs per step (one sample of T tokens, F frames of p = (S/14)^2 = 729 patches each):

    full fine-tune:  6·(N_lm + N_head)·T + 6·L·d·T²  +  6·(N_vis + N_proj)·F·p + 12·L_v·d_v·p²·F
    LoRA:            4·(N_lm + N_head)·T + 6·N_lora·T + 6·L·d·T²
                     +  2·(N_vis + N_proj)·F·p + 4·L_v·d_v·p²·F

L, d: the LM's layers and attention width (heads x head_dim = 3584); L_v, d_v: SigLIP's.
N_* count matmul weights only (linear and patch-conv weights; no embedding tables, norms or
biases): N_lm the decoder layers, N_head the untied lm_head (counted at all T positions because
HF computes logits everywhere), N_vis SigLIP's 26 layers and patch embedding, N_proj the projector.
6 = forward 2 + backward 4 (input and weight gradients). The LM's attention is causal: QK^T and AV
cost 2·T²·d together forward (half of 4·T²·d), times 3 for forward + backward: 6·L·d·T², as in
train-reference.md §5. SigLIP's attention is bidirectional within a frame: 12·L_v·d_v·p² per frame.
LoRA: frozen weights still cost forward + input gradient (4·N), the adapters 6·N_lora, attention
is unchanged (its input gradients are still needed); the vision tower and projector are frozen
and nothing before them needs a gradient, so they cost a forward only. Gradient-checkpointing
recomputation is NOT counted (these are model FLOPs, so MFU, not hardware FLOPs utilisation).
MFU = model FLOPs / median step time / peak (--peak-tflops; 989 = H100/H200 bf16 dense).

`loader` measures frames/s delivered by a DataLoader over the real collator, and compares it with
what the trainer consumes: frames per sample / seconds per sample (per GPU), by default the
projected (not measured) H100 step time of the 7B model at 40% MFU from the formula above. It also
reports frames per CPU second of collation (decode + resize + normalise + tokenise, timed inside
the collating process): on a shared machine the wall rate measures the neighbours too, while CPU
time per sample says how many worker cores one GPU needs. `frames` splits that CPU time into its
stages on given video files, with torch on one thread as in a DataLoader worker.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import resource
import statistics
import tempfile
import time
from pathlib import Path

import torch

from train.layouts import LAYOUTS, VideoLayout

H100_BF16_TFLOPS = 989.0  # dense bf16 peak of an H100/H200 SXM
PROJECTED_MFU = 0.40  # upper end of what train-reference.md §5 expects for HF eager + ZeRO
TEXT_TOKENS = 100  # system prompt, question, options and answer of a typical SIMS-VSI row
LABEL_TOKENS = 5  # the answer and <|im_end|>: the only labelled tokens
HEAD_TOKENS = 20  # tokens before the video block (system turn, user header)

# Qwen2-7B as llava-hf/llava-onevision-qwen2-7b-ov-hf has it. Qwen2-7B's own vocab is 152064; the
# llava-hf conversion adds <image> and <video> and pads to a multiple of 64: 152066 -> 152128.
QWEN2_7B = dict(vocab_size=152128, hidden_size=3584, intermediate_size=18944, num_hidden_layers=28,
                num_attention_heads=28, num_key_value_heads=4, max_position_embeddings=32768,
                rope_theta=1_000_000.0, rms_norm_eps=1e-6, hidden_act="silu", tie_word_embeddings=False)
# SigLIP-so400m-patch14-384 with its last layer dropped (LLaVA uses the penultimate layer's output)
SIGLIP_SO400M = dict(hidden_size=1152, intermediate_size=4304, num_hidden_layers=26, num_attention_heads=16,
                     image_size=384, patch_size=14, vision_use_head=False)


def ov7b_config():
    """LLaVA-OneVision-7B's architecture, written out (no Hub access on our machines)."""
    from transformers import LlavaOnevisionConfig, Qwen2Config, SiglipVisionConfig

    return LlavaOnevisionConfig(text_config=Qwen2Config(**QWEN2_7B), vision_config=SiglipVisionConfig(**SIGLIP_SO400M),
                                image_token_index=151646, video_token_index=151647, vision_feature_layer=-1,
                                vision_feature_select_strategy="full")


def model_config(size: str):
    if size == "7b":
        return ov7b_config()
    from train.tiny import build_tokenizer, tiny_config

    return tiny_config(build_tokenizer())


def build_model(cfg, device, dtype: torch.dtype, attn: str | None = "sdpa"):
    """Random weights created directly on `device` in `dtype` ("meta" builds nothing)."""
    from transformers import LlavaOnevisionForConditionalGeneration

    with torch.device(device):
        return LlavaOnevisionForConditionalGeneration._from_config(cfg, dtype=dtype, attn_implementation=attn)


def matmul_params(module) -> int:
    """Weights that multiply activations: linear and conv weights (no embeddings, norms, biases)."""
    return sum(m.weight.numel() for m in module.modules() if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)))


def param_counts(model) -> dict[str, int]:
    """Parameter totals by part, and the matmul counts the FLOPs formula uses."""
    inner = model.model
    parts = {"language_model": inner.language_model, "lm_head": model.lm_head,
             "vision_tower": inner.vision_tower, "projector": inner.multi_modal_projector}
    counts = {k: sum(p.numel() for p in m.parameters()) for k, m in parts.items()}
    counts["total"] = sum(p.numel() for p in model.parameters())
    counts["embed_tokens"] = inner.language_model.embed_tokens.weight.numel()
    counts.update({f"{k}_matmul": matmul_params(m) for k, m in parts.items()})
    return counts


def model_flops(cfg, counts: dict[str, int], seq_len: int, frames: int, lora_params: int = 0) -> float:
    """Model FLOPs of one training step on one sample (formula in the module docstring);
    `lora_params` > 0 means LoRA (frozen base, adapters trained)."""
    tc, vc = cfg.text_config, cfg.vision_config
    t, patches = seq_len, (vc.image_size // vc.patch_size) ** 2
    n_lm = counts["language_model_matmul"] + counts["lm_head_matmul"]
    n_vis = counts["vision_tower_matmul"] + counts["projector_matmul"]
    head_dim = getattr(tc, "head_dim", None) or tc.hidden_size // tc.num_attention_heads
    d_attn = tc.num_attention_heads * head_dim  # width of Q, K-per-query and V: 3584 for Qwen2-7B
    lm_attn = 6 * tc.num_hidden_layers * d_attn * t * t  # causal: half the score/value matmuls
    vis_attn_fwd = 4 * vc.num_hidden_layers * vc.hidden_size * patches * patches * frames  # bidirectional
    if lora_params:
        return 4 * n_lm * t + 6 * lora_params * t + lm_attn + 2 * n_vis * frames * patches + vis_attn_fwd
    return 6 * n_lm * t + lm_attn + 6 * n_vis * frames * patches + 3 * vis_attn_fwd


def synthetic_batch(cfg, layout: VideoLayout, frames: int, device, dtype, text_tokens=TEXT_TOKENS,
                    label_tokens=LABEL_TOKENS, seed: int = 0) -> dict:
    """What VideoSFTCollator yields for one row: a few header tokens, the whole video block, the
    rest of the text; labels on the last `label_tokens` only; pixels (1, F, 3, S, S)."""
    gen = torch.Generator().manual_seed(seed)
    text = torch.randint(0, cfg.text_config.vocab_size, (text_tokens,), generator=gen)
    special = torch.tensor([cfg.image_token_id, cfg.video_token_id])
    text = torch.where(torch.isin(text, special), torch.zeros_like(text), text)  # no stray placeholders
    head = min(HEAD_TOKENS, text_tokens - label_tokens)
    video = torch.full((layout.num_tokens(frames),), cfg.video_token_id)
    ids = torch.cat([text[:head], video, text[head:]]).unsqueeze(0)
    labels = torch.full_like(ids, -100)
    labels[0, -label_tokens:] = ids[0, -label_tokens:]
    size = cfg.vision_config.image_size
    pixels = torch.randn(1, frames, 3, size, size, generator=gen)
    return {"input_ids": ids.to(device), "attention_mask": torch.ones_like(ids).to(device),
            "labels": labels.to(device), "pixel_values_videos": pixels.to(device, dtype)}


def prepare_training(model, args):
    """Gradient checkpointing, optional LoRA, AdamW; returns (model, optimizer, lora params)."""
    model.config.use_cache = False
    if args.grad_checkpointing:
        # as SFTConfig(gradient_checkpointing=True) does; non-reentrant, so frozen inputs (LoRA) need
        # no enable_input_require_grads
        model.activation_checkpointing_enable({"use_reentrant": False})
    lora_params = 0
    if args.lora:
        from peft import LoraConfig, get_peft_model

        from train.model import LORA_TARGET_REGEX

        model = get_peft_model(model, LoraConfig(r=args.lora_r, lora_alpha=2 * args.lora_r, lora_dropout=0.0,
                                                 target_modules=LORA_TARGET_REGEX, task_type="CAUSAL_LM"))
        lora_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    # fused AdamW: one kernel for all parameters on GPU (the CPU build has no fused path worth it)
    opt = torch.optim.AdamW(params, lr=1e-5, fused=args.device.startswith("cuda"))
    return model, opt, lora_params


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def time_steps(model, opt, batch, device: str, warmup: int, steps: int) -> list[float]:
    """Seconds per forward + backward + optimizer step, after `warmup` untimed steps (allocator
    and kernel autotuning settle there)."""
    times = []
    for i in range(warmup + steps):
        sync(device)
        t0 = time.perf_counter()
        model(**batch).loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        sync(device)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return times


def peak_memory_gib(device: str) -> float:
    """GPU: peak allocated by torch since the last reset. CPU: the process's peak RSS so far."""
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # Linux reports KiB


def free_memory(device: str) -> None:
    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.empty_cache()


def bench_setting(model, opt, cfg, counts, layout, frames, args, lora_params) -> dict:
    """One frame count: time the steps and derive tokens/s, FLOPs and MFU."""
    dtype = next(model.parameters()).dtype
    batch = synthetic_batch(cfg, layout, frames, args.device, dtype, args.text_tokens, args.label_tokens)
    seq_len = batch["input_ids"].shape[1]
    if args.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    times = time_steps(model, opt, batch, args.device, args.warmup, args.steps)
    step = statistics.median(times)
    flops = model_flops(cfg, counts, seq_len, frames, lora_params)
    peak = args.peak_tflops
    return {"layout": layout.name, "frames": frames, "seq_len": seq_len, "video_tokens": layout.num_tokens(frames),
            "step_s": step, "tokens_per_s": seq_len / step, "peak_mem_gib": peak_memory_gib(args.device),
            "model_flops": flops, "achieved_tflops": flops / step / 1e12,
            "mfu": flops / step / (peak * 1e12) if peak else None, "status": "ok"}


def run_model(args) -> list[dict]:
    """Build once, then benchmark each frame count; an OOM skips only that setting."""
    cfg = model_config(args.size)
    dtype = getattr(torch, args.dtype or ("bfloat16" if args.device.startswith("cuda") else "float32"))
    counts = param_counts(build_model(cfg, "meta", dtype))  # exact counts, no memory
    try:
        model = build_model(cfg, args.device, dtype, args.attn)
    except torch.cuda.OutOfMemoryError:
        print(f"out of memory building the {args.size} model ({dtype}) on {args.device}")
        return [{"frames": f, "status": "oom"} for f in args.frames]
    from train.model import set_layout, vision_grid

    set_layout(model, args.layout)
    layout = VideoLayout(args.layout, vision_grid(model))
    model, opt, lora_params = prepare_training(model, args)
    results = []
    for frames in args.frames:
        setting = f"{args.size} {args.layout} {frames} frames{' LoRA' if args.lora else ''}"
        try:
            results.append(bench_setting(model, opt, cfg, counts, layout, frames, args, lora_params))
        except torch.cuda.OutOfMemoryError:
            print(f"out of memory: {setting}")
            opt.zero_grad(set_to_none=True)
            results.append({"layout": args.layout, "frames": frames, "status": "oom"})
        free_memory(args.device)
    return [{**r, "size": args.size, "lora": args.lora, "grad_checkpointing": args.grad_checkpointing,
             "device": args.device, "params": counts, "lora_params": lora_params} for r in results]


def print_model_table(results: list[dict]) -> None:
    mem = "peak GiB (GPU alloc)" if results and results[0].get("device", "").startswith("cuda") else "peak GiB (RSS)"
    print(f"{'layout':<12}{'frames':>7}{'seq len':>9}{'step s':>9}{'tokens/s':>10}{mem:>22}"
          f"{'FLOPs/step':>12}{'TFLOP/s':>9}{'MFU':>7}")
    for r in results:
        if r["status"] != "ok":
            print(f"{r.get('layout', ''):<12}{str(r['frames']):>7}   {r['status']}")
            continue
        mfu = f"{r['mfu']:.1%}" if r["mfu"] is not None else "n/a"
        print(f"{r['layout']:<12}{r['frames']:>7}{r['seq_len']:>9}{r['step_s']:>9.3f}{r['tokens_per_s']:>10.0f}"
              f"{r['peak_mem_gib']:>22.2f}{r['model_flops']:>12.3e}{r['achieved_tflops']:>9.3g}{mfu:>7}")


# ---------------------------------------------------------------- loader


def projected_step_s(layout_name: str, frames: int, text_tokens: int = TEXT_TOKENS) -> tuple[float, float]:
    """(seconds per sample, FLOPs per sample) of the 7B full fine-tune on one H100 at 40% MFU.
    A projection from the FLOPs formula, not a measurement."""
    cfg = ov7b_config()
    counts = param_counts(build_model(cfg, "meta", torch.bfloat16))
    grid = cfg.vision_config.image_size // cfg.vision_config.patch_size
    seq_len = VideoLayout(layout_name, grid).num_tokens(frames) + text_tokens
    flops = model_flops(cfg, counts, seq_len, frames)
    return flops / (PROJECTED_MFU * H100_BF16_TFLOPS * 1e12), flops


class CpuTimedCollator:
    """The collator, with the CPU seconds its process spent on each batch added to the batch:
    what a batch costs a core, whatever else shares the machine (wall rates on a busy machine
    mostly measure the neighbours). Workers run torch on one thread (DataLoader sets it), so
    their CPU time is one core's; in process it counts every torch thread."""

    def __init__(self, collator):
        self.collator = collator
        self.spec = collator.spec

    def __call__(self, rows):
        t0 = time.process_time()
        batch = self.collator(rows)
        batch["cpu_s"] = time.process_time() - t0
        return batch


def loader_rate(ds, collator, workers: int, batches: int) -> dict:
    """Samples/s a DataLoader delivers, timed from the first batch to the last, so that worker
    start-up (paid once per epoch) is left out; and frames per CPU second of collation."""
    from torch.utils.data import DataLoader

    timed = CpuTimedCollator(collator)
    loader = DataLoader(ds, batch_size=1, num_workers=workers, collate_fn=timed, shuffle=False)
    n = min(batches, len(ds))
    if n < 2:  # the rate is timed between batches: one batch gives no interval
        raise ValueError(f"--batches {batches}: need >= 2 (dataset has {len(ds)} rows)")
    stamps, cpu = [], []
    for i, batch in enumerate(loader):
        stamps.append(time.perf_counter())
        cpu.append(batch["cpu_s"])
        if i + 1 >= n:
            break
    samples_per_s = (n - 1) / (stamps[-1] - stamps[0])
    return {"workers": workers, "batches": n, "samples_per_s": samples_per_s,
            "frames_per_s": samples_per_s * collator.spec.frames, "seq_len": int(batch["input_ids"].shape[1]),
            "cpu_s_per_sample": statistics.median(cpu),
            "frames_per_cpu_s": collator.spec.frames / statistics.median(cpu)}


def build_collator(args):
    """The trainer's collator, with the tiny tokenizer (text is a small share of the work); uint8
    pixels by default, as train/sft.py hands them to the trainer (normalised on the GPU)."""
    from train.collator import VideoSFTCollator
    from train.frames import FrameSpec
    from train.tiny import build_tokenizer

    tok = build_tokenizer()
    layout = VideoLayout(args.layout, args.size // SIGLIP_SO400M["patch_size"])
    return VideoSFTCollator(tok, tok.convert_tokens_to_ids("<video>"), layout, FrameSpec(args.frames, args.size),
                            uint8_pixels=args.pixels == "uint8")


def run_loader(args) -> dict:
    from datasets import load_dataset

    collator = build_collator(args)
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
        ds = load_dataset(args.dataset, args.config, split="train", cache_dir=cache)
        if args.shuffle is not None:  # a mix of rows; unshuffled, the first rows share one long walkthrough
            ds = ds.shuffle(seed=args.shuffle)
        print(f"loader: {args.dataset} config={args.config} train rows={len(ds)}, {args.frames} frames/sample "
              f"at {args.size} px, layout {args.layout}, {args.pixels} pixels")
        rates = [loader_rate(ds, collator, w, args.batches) for w in args.workers]
    if args.step_time is None:
        # the rows' own text length (time instruction included), with the 7B's 384 px video block
        text_tokens = rates[-1]["seq_len"] - collator.layout.num_tokens(args.frames)
        step_s, flops = projected_step_s(args.layout, args.frames, text_tokens)
        source = (f"projected, not measured: 7B full fine-tune, {flops:.3g} FLOPs/sample at "
                  f"{PROJECTED_MFU:.0%} MFU of {H100_BF16_TFLOPS:.0f} TFLOP/s")
    else:
        step_s, source = args.step_time, "given by --step-time"
    need = args.frames / step_s
    out = {"dataset": args.dataset, "config": args.config, "frames": args.frames, "size": args.size,
           "pixels": args.pixels, "layout": args.layout, "rows": len(ds), "rates": rates, "step_s_per_sample": step_s,
           "step_time_source": source, "trainer_frames_per_s": need}
    print_loader_report(out)
    return out


def print_loader_report(out: dict) -> None:
    need = out["trainer_frames_per_s"]
    print(f"{'workers':>8}{'samples/s':>11}{'frames/s':>10}{'seq len':>9}{'loader/trainer':>16}{'frames/cpu-s':>14}")
    for r in out["rates"]:
        r["ratio"] = r["frames_per_s"] / need
        ok = ">= 5x" if r["ratio"] >= 5 else "< 5x"
        print(f"{r['workers']:>8}{r['samples_per_s']:>11.2f}{r['frames_per_s']:>10.1f}{r['seq_len']:>9}"
              f"{r['ratio']:>11.2f}x {ok}{r['frames_per_cpu_s']:>9.1f}")
    print(f"trainer needs {out['frames']} frames / {out['step_s_per_sample']:.3f} s per sample per GPU = "
          f"{need:.1f} frames/s ({out['step_time_source']})")
    # per-worker rate from the most parallel run: that is the one that scales with more workers
    best = max(out["rates"], key=lambda r: r["workers"])
    per_worker = best["frames_per_s"] / max(best["workers"], 1)
    out["per_worker_frames_per_s"] = per_worker
    out["workers_for_5x"] = math.ceil(5 * need / per_worker)
    print(f"per-worker rate {per_worker:.1f} frames/s (from {best['workers']} worker(s)): "
          f"{out['workers_for_5x']} loader workers per GPU for 5x the trainer's need")
    # the same from CPU time: one worker on a core of its own, whatever the neighbours did here
    per_core = best["frames_per_cpu_s"]
    out["cores_for_5x"] = math.ceil(5 * need / per_core)
    print(f"per-core rate {per_core:.1f} frames per CPU second of collation: "
          f"{out['cores_for_5x']} worker cores per GPU for 5x")


def stage_cpu_s(path: str, spec, repeats: int) -> dict[str, float]:
    """Median CPU seconds of each stage of `to_pixels` for one video (opening included in decode)."""
    from train.frames import normalise, open_video, resize, sample_frames

    times: dict[str, list[float]] = {"decode": [], "resize": [], "normalise": []}
    for _ in range(repeats):
        t0 = time.process_time()
        frames = sample_frames(open_video(path), spec.frames).frames
        t1 = time.process_time()
        small = resize(frames, spec.size)
        t2 = time.process_time()
        normalise(small, spec)
        t3 = time.process_time()
        for k, dt in zip(times, (t1 - t0, t2 - t1, t3 - t2)):
            times[k].append(dt)
    return {k: statistics.median(v) for k, v in times.items()}


def run_frames(args) -> dict:
    from train.frames import FrameSpec

    torch.set_num_threads(1)  # as in a DataLoader worker
    spec = FrameSpec(args.frames, args.size)
    rows = []
    print(f"{'video':<40}{'decode ms':>10}{'resize ms':>10}{'norm ms':>9}{'frames/cpu-s uint8':>20}{'float':>7}")
    for path in args.videos:
        st = stage_cpu_s(path, spec, args.repeats)
        uint8 = args.frames / (st["decode"] + st["resize"])  # what the collator does for sft.py
        flt = args.frames / sum(st.values())
        rows.append({"video": path, **{f"{k}_s": v for k, v in st.items()},
                     "frames_per_cpu_s_uint8": uint8, "frames_per_cpu_s_float": flt})
        print(f"{Path(path).name[-40:]:<40}{st['decode'] * 1e3:>10.0f}{st['resize'] * 1e3:>10.0f}"
              f"{st['normalise'] * 1e3:>9.0f}{uint8:>20.1f}{flt:>7.1f}")
    return {"frames": args.frames, "size": args.size, "videos": rows}


# ---------------------------------------------------------------- command line


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m train.bench", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("model", help="time training steps of the full-size (or tiny) model")
    m.add_argument("--size", choices=["7b", "tiny"], default="7b")
    m.add_argument("--layout", choices=LAYOUTS, default="onevision")
    m.add_argument("--frames", type=int, nargs="+", default=[32])
    m.add_argument("--steps", type=int, default=5, help="timed steps (median reported)")
    m.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    m.add_argument("--lora", action="store_true", help="LoRA on the language model (train.model.LORA_TARGET_REGEX)")
    m.add_argument("--lora-r", type=int, default=16)
    m.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    m.add_argument("--dtype", choices=["bfloat16", "float32"], help="default: bfloat16 on cuda, float32 on cpu")
    m.add_argument("--attn", default="sdpa", help="attn_implementation (sdpa, flash_attention_2, eager)")
    m.add_argument("--peak-tflops", type=float,
                   help=f"peak for MFU (default {H100_BF16_TFLOPS:.0f} on cuda, none on cpu)")
    m.add_argument("--grad-checkpointing", action=argparse.BooleanOptionalAction, default=True)
    m.add_argument("--text-tokens", type=int, default=TEXT_TOKENS, help="non-video tokens per sample")
    m.add_argument("--label-tokens", type=int, default=LABEL_TOKENS)
    m.add_argument("--json", help="write the figures here")
    g = sub.add_parser("gpu", help="the one-command GPU check: full-size LLaVA-Video-7B, 64 frames, "
                                   "LoRA and full fine-tune steps, tokens/s, step time, peak memory, MFU")
    g.add_argument("--size", choices=["7b", "tiny"], default="7b", help="tiny: the same path on CPU in seconds")
    g.add_argument("--frames", type=int, default=64)
    g.add_argument("--modes", nargs="+", choices=["lora", "full"], default=["lora", "full"])
    g.add_argument("--steps", type=int, default=3, help="timed steps per mode (median reported)")
    g.add_argument("--warmup", type=int, default=1)
    g.add_argument("--lora-r", type=int, default=16)
    g.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    g.add_argument("--attn", default="sdpa")
    g.add_argument("--peak-tflops", type=float, help=f"default {H100_BF16_TFLOPS:.0f} (H100/H200 bf16) on cuda")
    g.add_argument("--budget-s", type=float, default=480, help="start no new mode after this many seconds")
    g.add_argument("--json", help="write the figures here")
    ld = sub.add_parser("loader", help="frames/s the DataLoader + collator deliver, against the trainer's need")
    ld.add_argument("--dataset", required=True, help="a folder `simsv export` wrote (or a Hub id)")
    ld.add_argument("--config", default="all")
    ld.add_argument("--frames", type=int, default=32)
    ld.add_argument("--layout", choices=LAYOUTS, default="onevision")
    ld.add_argument("--size", type=int, default=384, help="frame side in pixels")
    ld.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    ld.add_argument("--batches", type=int, default=20)
    ld.add_argument("--pixels", choices=["uint8", "float"], default="uint8",
                    help="uint8: resized, normalised later on the GPU (what sft.py does); float: normalised here")
    ld.add_argument("--shuffle", type=int, metavar="SEED", help="shuffle the rows first (a mix of videos)")
    ld.add_argument("--step-time", type=float, help="trainer seconds per sample per GPU (default: projected)")
    ld.add_argument("--json", help="write the figures here")
    fr = sub.add_parser("frames", help="CPU time of decode, resize and normalise per video file, on one thread")
    fr.add_argument("--videos", nargs="+", required=True, help="video files")
    fr.add_argument("--frames", type=int, default=32)
    fr.add_argument("--size", type=int, default=384)
    fr.add_argument("--repeats", type=int, default=5, help="median over this many runs")
    fr.add_argument("--json", help="write the figures here")
    args = p.parse_args(argv)
    for flag in ("frames", "steps"):
        v = getattr(args, flag, None)
        if isinstance(v, int) and v < 1:
            p.error(f"--{flag} {v}: must be >= 1")
    if args.cmd in ("model", "gpu") and args.peak_tflops is None and args.device.startswith("cuda"):
        args.peak_tflops = H100_BF16_TFLOPS
    return args


def run_gpu(args) -> list[dict]:
    """The GPU owner's check: each mode in turn on a freshly built model (LoRA first: it fits one
    H100; the full fine-tune needs ~8 bytes/param of bf16 weights, grads and AdamW states plus
    activations and is reported as out of memory where it does not fit), within a time budget."""
    import platform

    start = time.perf_counter()
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else platform.processor() or "cpu"
    print(f"train.bench gpu: {args.size} llava_video, {args.frames} frames, device {args.device} ({name}), "
          f"torch {torch.__version__}")
    results = []
    for mode in args.modes:
        if time.perf_counter() - start > args.budget_s:
            print(f"time budget {args.budget_s:.0f} s spent: {mode} skipped")
            results.append({"mode": mode, "frames": args.frames, "status": "skipped (time budget)"})
            continue
        margs = argparse.Namespace(**{**vars(args), "layout": "llava_video", "frames": [args.frames],
                                      "lora": mode == "lora", "dtype": None, "label_tokens": LABEL_TOKENS,
                                      "text_tokens": TEXT_TOKENS, "grad_checkpointing": True})
        for r in run_model(margs):
            results.append({**r, "mode": mode, "wall_s": time.perf_counter() - start})
        free_memory(args.device)
    print_model_table(results)
    for r in results:
        if r.get("status") == "ok":
            print(f"{r['mode']:>5}: {r['step_s']:.2f} s/step, {r['tokens_per_s']:.0f} tokens/s, "
                  f"peak {r['peak_mem_gib']:.1f} GiB, MFU {r['mfu']:.1%}" if r["mfu"] is not None else
                  f"{r['mode']:>5}: {r['step_s']:.2f} s/step, {r['tokens_per_s']:.0f} tokens/s, "
                  f"peak {r['peak_mem_gib']:.1f} GiB, MFU n/a (no peak for this device)")
    print(f"total {time.perf_counter() - start:.0f} s")
    return results


def main(argv=None):
    args = parse_args(argv)
    if args.cmd == "gpu":
        out = run_gpu(args)
    elif args.cmd == "model":
        out = run_model(args)
        print_model_table(out)
    elif args.cmd == "frames":
        out = run_frames(args)
    else:
        out = run_loader(args)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    return out


if __name__ == "__main__":
    main()
