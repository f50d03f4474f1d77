# %% [markdown]
# # Lesson 14 — Making it cheaper: GPU vs CPU, int8 weights, pruning
#
# **What you learn here**
#
# * how to time CPU and GPU work fairly (warm-up, medians, `synchronize`), and what the measured CPU/GPU figures say;
# * **int8 weight quantisation**: symmetric per-tensor and per-channel scales, the error bound, dequantisation, and
#   the accuracy it costs a trained sentiment classifier — down to 2 bits;
# * **magnitude pruning**: zero the smallest x % of the weights and measure the accuracy each step costs.
#
# **What you need first**: lessons 08 (kernels), 10 (the classifier and its training recipe).
# We train a classifier with lesson 12's recipe (about 15 s), then make it smaller.  CPU only by default; the
# timing cell uses a real GPU when there is one and otherwise runs the kernels on the simulator with a warning.

# %%
import os
import sys
from pathlib import Path

ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "minigrad" / "__init__.py").exists())
sys.path.insert(0, str(ROOT))

import minigrad as mg
if not mg.cuda.is_available():                       # before anything imports numba
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
GPU = "cuda" if mg.cuda.is_available() else "cudasim"

import time
import warnings
import numpy as np
import matplotlib.pyplot as plt
from minigrad.data import make_sentiment_corpus
from minigrad.sentiment import TransformerClassifier
from minigrad.sentiment.datasets import load_sentiment_data
from minigrad.sentiment.encoding import SentenceEncoder, build_vocab
from minigrad.sentiment.pretrain import pretrain
from minigrad.sentiment.train import TrainOptions, evaluate, fit
from minigrad.check import lesson14

warnings.filterwarnings("ignore", message="IProgress not found")
mg.manual_seed(0)
rng = np.random.default_rng(0)
print("GPU device for the timing cell:", GPU, "(simulator: timings say nothing about GPU speed)" if GPU == "cudasim" else "")

# %% [markdown]
# ## 1. CPU vs GPU: timing it properly
#
# Three rules (the same ones `benchmarks/timing.py` follows): **warm up** first (the first call pays for imports,
# allocation and kernel compilation); take the **median** of several repeats (robust to a busy machine); and on a GPU
# call `mg.cuda.synchronize()` before reading the clock, because kernel launches return before the work is done.
#
# A square matmul does $2n^3$ flops, so $\text{GFLOP/s} = 2n^3 / t / 10^9$.  On a machine busy with other work,
# multi-threaded BLAS can make single timings swing by 100x; `python -m benchmarks --threads 1` pins it to one thread.

# %%
def median_time(fn, repeats=5, warmup=1, device="cpu"):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        mg.cuda.synchronize() if device == "cuda" else None
        start = time.perf_counter()
        fn()
        mg.cuda.synchronize() if device == "cuda" else None
        samples.append(time.perf_counter() - start)
    return float(np.median(samples))

rows = []
for n in (64, 128, 256):
    a, b = mg.randn(n, n), mg.randn(n, n)
    t = median_time(lambda: a @ b, repeats=7, warmup=2)
    rows.append(("cpu", n, t))
gpu_sizes = (64, 256, 1024) if GPU == "cuda" else (16,)     # the simulator runs one Python thread per GPU thread
for n in gpu_sizes:
    a, b = mg.randn(n, n, device=GPU), mg.randn(n, n, device=GPU)
    np.testing.assert_allclose((a @ b).numpy(), a.numpy() @ b.numpy(), rtol=1e-4, atol=1e-4)
    rows.append((GPU, n, median_time(lambda: a @ b, repeats=3, device=GPU)))
for device, n, t in rows:
    note = "   <- Numba's CUDA *simulator*: meaningless for speed" if device == "cudasim" else ""
    print(f"{device:8s} matmul {n:5d}^2: {t * 1e3:9.3f} ms  {2 * n ** 3 / t / 1e9:8.2f} GFLOP/s{note}")

# %% [markdown]
# The figures measured with the full benchmark suite (`python -m benchmarks`) are kept in `benchmarks/README.md`;
# the GPU ones appear there once someone has run it on a machine with an NVIDIA GPU:

# %%
readme = ROOT / "benchmarks" / "README.md"
text = readme.read_text() if readme.exists() else ""
headings = [i for i, line in enumerate(text.splitlines()) if line.startswith("## ")]
def section_lines(word):
    lines = text.splitlines()
    for start, end in zip(headings, headings[1:] + [len(lines)]):
        if word in lines[start] and "result" in lines[start].lower():
            return lines[start:end]
    return []
cpu_matmul = [line for line in section_lines("CPU") if line.startswith("matmul ") and "forward " in line + " "]
print("\n".join(cpu_matmul[:6]) if cpu_matmul else "no CPU figures in benchmarks/README.md yet")
gpu_lines = section_lines("GPU")
print("\n".join(gpu_lines[:25]) if gpu_lines else
      "\nNo GPU figures measured yet. On a machine with an NVIDIA GPU: python -m benchmarks --device cuda")

# %% [markdown]
# ## 2. A classifier to compress
#
# Lesson 12's recipe: masked-token pre-training, then fine-tuning; test accuracy is the number every compression step
# below is judged by.

# %%
data = load_sentiment_data("embedded", embedded_sizes=(1200, 400), seed=0)
vocab = build_vocab(data.train.texts)
encoder = SentenceEncoder(vocab, max_len=40)
model = TransformerClassifier(len(vocab), d_model=32, n_heads=2, n_layers=1, d_ff=64, max_len=40, dropout=0.1, pooling="mean")
pretrain(model, encoder, data.train.texts + [e.text for e in make_sentiment_corpus(600, 0, seed=1)[0]],
         epochs=2, batch_size=64, lr=3e-3, seed=0, progress=False, log=lambda line: None)
fit(model, encoder, data.train, data.val, TrainOptions(epochs=7, batch_size=32, lr=1e-2, seed=0, progress=False),
    log=lambda line: None)
model.eval()
original_state = {name: t.numpy().copy() for name, t in model.state_dict().items()}
matrices = [name for name, value in original_state.items() if value.ndim == 2]

def test_accuracy(state):
    model.load_state_dict({name: mg.tensor(value) for name, value in state.items()})
    return evaluate(model, encoder, data.test)["accuracy"]

baseline = test_accuracy(original_state)
n_weights = sum(original_state[name].size for name in matrices)
print(f"test accuracy {baseline:.3f};  {len(matrices)} weight matrices, {n_weights:,} numbers: {matrices}")

# %% [markdown]
# ## 3. Symmetric int8 quantisation
#
# Store each weight as a small integer $q$ and one float **scale** $s$: $w \approx \hat w = s\,q$.  With $b$ bits and a
# symmetric range, $q \in \{-Q, \ldots, Q\}$ with $Q = 2^{b-1}-1$ (127 for int8; we leave out $-128$ so the range is
# symmetric).  To represent the largest weight we need $s\,Q \ge \max|w|$, so
#
# $$s = \frac{\max|w|}{Q}, \qquad q = \mathrm{round}(w / s) \in [-Q, Q], \qquad \hat w = s\, q, \qquad |w - \hat w| \le \frac s2 .$$
#
# The error bound holds because rounding moves $w/s$ by at most $\tfrac12$.  **Per-tensor**: one $s$ for the whole matrix.
# **Per-channel**: one $s_r$ per output row $r$ ($\max$ over that row), so a row of small weights is not forced onto the
# coarse grid set by another row's outlier.  Storage: 1 byte per weight instead of 4, plus one float per scale.

# %%
def quantize(w, bits=8, per_channel=False):
    """(q, scale) with w ~ scale * q; scale is a scalar, or (rows, 1) per output channel."""
    levels = 2 ** (bits - 1) - 1
    biggest = np.abs(w).max(axis=1, keepdims=True) if per_channel else np.abs(w).max()
    scale = np.where(biggest > 0, biggest / levels, 1.0)
    q = np.clip(np.round(w / scale), -levels, levels).astype(np.int8)
    return q, scale

def dequantize(q, scale):
    return q.astype(np.float32) * scale

w = original_state["encoder.layers.0.linear1.weight"]
for per_channel in (False, True):
    q, scale = quantize(w, 8, per_channel)
    error = np.abs(w - dequantize(q, scale))
    assert q.dtype == np.int8 and np.abs(q).max() <= 127 and np.all(error <= scale / 2 + 1e-7)
    print(f"{'per-channel' if per_channel else 'per-tensor ':11s}: max |error| {error.max():.2e}, mean |error| {error.mean():.2e}; "
          f"bound s/2 = {np.max(scale) / 2:.2e}")

fig, ax = plt.subplots(figsize=(7, 2.8))
q, scale = quantize(w, 4)
ax.hist(w.ravel(), bins=120, alpha=0.6, label="float32 weights")
for level in np.arange(-7, 8) * scale:
    ax.axvline(level, color="C3", lw=0.6)
ax.set_title("linear1.weight and the 15 levels of a 4-bit per-tensor grid (red)", fontsize=9); ax.legend(fontsize=8); plt.show()

# %% [markdown]
# The quantised model is still differentiable in its *inputs* (the weights are now constants), so lesson 13's saliency
# still works on it — gradcheck of one quantised linear layer:

# %%
q, scale = quantize(original_state["head.weight"].astype(np.float64), 8)
w_hat = mg.tensor(dequantize(q, scale).astype(np.float64))
bias = mg.tensor(original_state["head.bias"].astype(np.float64))
print("gradcheck(x -> x W_hat^T + b):", mg.autograd.gradcheck(lambda x: x @ w_hat.T + bias, (mg.randn(3, 32, dtype=mg.float64, requires_grad=True),)))

# %% [markdown]
# Now the whole model: every weight matrix (embeddings, attention projections, feed-forward layers, head) is quantised
# and dequantised back to float32 ("fake quantisation": the accuracy of an int8 model, without writing int8 kernels).
# Biases and layer-norm parameters are tiny and stay in float32.

# %%
def quantized_state(bits, per_channel):
    state = dict(original_state)
    for name in matrices:
        state[name] = dequantize(*quantize(original_state[name], bits, per_channel)).astype(np.float32)
    return state

bit_widths = [8, 6, 4, 3, 2]
quant_accuracy = {pc: [test_accuracy(quantized_state(b, pc)) for b in bit_widths] for pc in (False, True)}
for pc, accs in quant_accuracy.items():
    print(f"{'per-channel' if pc else 'per-tensor '}: " + ", ".join(f"{b} bits {a:.3f}" for b, a in zip(bit_widths, accs)))
float_bytes = 4 * n_weights
print(f"weights: float32 {float_bytes / 1024:.1f} KiB -> int8 {n_weights / 1024:.1f} KiB "
      f"(+ {4 * sum(original_state[n].shape[0] for n in matrices) / 1024:.1f} KiB of per-channel scales)")

# %% [markdown]
# ## 4. Magnitude pruning
#
# Many weights are close to 0 and contribute little.  **Magnitude pruning** sets the fraction $f$ of each matrix's weights
# with the smallest $|w|$ to exactly 0.  (Whether that saves time depends on sparse kernels or on pruning whole rows and
# heads; here we measure only what it costs in accuracy.)

# %%
def prune(w, fraction):
    k = int(round(fraction * w.size))
    pruned = w.copy()
    if k:
        smallest = np.argsort(np.abs(w), axis=None)[:k]
        pruned.flat[smallest] = 0
    return pruned

fractions = [0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95]
prune_accuracy = []
for f in fractions:
    state = dict(original_state)
    for name in matrices:
        state[name] = prune(original_state[name], f)
    zeros = sum((state[n] == 0).sum() for n in matrices) / n_weights
    assert abs(zeros - f) < 0.01, (zeros, f)
    prune_accuracy.append(test_accuracy(state))
print(", ".join(f"{int(f * 100)}% pruned: {a:.3f}" for f, a in zip(fractions, prune_accuracy)))
test_accuracy(original_state);   # put the trained weights back

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.4), sharey=True)
for pc, style in [(False, "o-"), (True, "s--")]:
    axes[0].plot(bit_widths, quant_accuracy[pc], style, label="per-channel" if pc else "per-tensor")
axes[0].axhline(baseline, color="gray", ls=":", label="float32"); axes[0].axhline(0.5, color="black", lw=0.5)
axes[0].invert_xaxis(); axes[0].set_xlabel("bits per weight"); axes[0].set_ylabel("test accuracy")
axes[0].set_title("quantisation"); axes[0].legend(fontsize=8)
axes[1].plot([100 * f for f in fractions], prune_accuracy, "o-", color="C2")
axes[1].axhline(baseline, color="gray", ls=":"); axes[1].axhline(0.5, color="black", lw=0.5)
axes[1].set_xlabel("% of each weight matrix set to 0"); axes[1].set_title("magnitude pruning")
plt.tight_layout(); plt.show()

# %% [markdown]
# Reading the plots (the numbers printed above, for this seed): 8-bit weights stay within about a point of float32 —
# a few of the 400 test sentences — because the rounding error ($\le s/2$, about 0.4 % of the largest weight) is far
# below what training cares about.  Going lower, per-channel scales tend to hold up better than one scale per matrix,
# and at 2 bits (three levels: $-s, 0, s$) the model loses much of what it learned.  Pruning is free at first and then
# degrades; for a model this small the curve bends earlier than for large models, which have more redundant weights.
# The numbers come from one small model and one test set of 400 sentences (one sentence = 0.25 %): small differences are noise.
#
# ## Exercises
#
# **Exercise 1.** `quantize_per_tensor(w, bits)` returns `(q, scale)`: integers `q` (any integer dtype) in
# $[-Q, Q]$, $Q = 2^{b-1}-1$, and a float `scale` with `w ≈ scale * q`, chosen as above.

# %%
def quantize_per_tensor(w, bits):
    levels = 2 ** (bits - 1) - 1
    scale = np.abs(w).max() / levels
    return np.clip(np.round(w / scale), -levels, levels).astype(np.int32), scale

lesson14.exercise1(quantize_per_tensor);

# %% [markdown]
# **Exercise 2.** `quantize_per_channel(w, bits)` does the same with one scale per **output row** of `w` (shape
# `(out, in)`): returns `q` of `w`'s shape and `scales` of shape `(out,)` or `(out, 1)`.

# %%
def quantize_per_channel(w, bits):
    levels = 2 ** (bits - 1) - 1
    scales = np.abs(w).max(axis=1, keepdims=True) / levels
    return np.clip(np.round(w / scales), -levels, levels).astype(np.int32), scales

lesson14.exercise2(quantize_per_channel);

# %% [markdown]
# **Exercise 3.** `magnitude_prune(w, fraction)` returns a **new** array equal to `w` except that the
# `round(fraction * w.size)` entries of smallest absolute value are 0 (leave `w` itself unchanged).

# %%
def magnitude_prune(w, fraction):
    return prune(w, fraction)

lesson14.exercise3(magnitude_prune);

# %% [markdown]
# > **Common mistakes**
# >
# > * Scale $= \max|w| / 128$ with int8: the largest weight rounds to 128, which int8 cannot hold — it wraps to $-128$.
# >   Use $Q = 127$ (or clip).
# > * `floor` or `astype(int)` instead of `round`: truncation doubles the worst-case error and biases every weight toward 0.
# > * Per-channel scales along the wrong axis: a `Linear` weight is `(out_features, in_features)`; an output channel is a **row**.
# > * Pruning the smallest *signed* values (the most negative weights) instead of the smallest magnitudes.
# > * Pruning in place and then "restoring" from a reference to the same array: keep a copy of the trained weights.
# > * Timing a GPU without warm-up or without `synchronize()`, or quoting simulator timings as GPU speed.
#
# **Where next:** `python -m minigrad.sentiment train` trains the full-size model; `python -m benchmarks` measures your
# machine; `kernels/` holds the CUDA code to speed up.
