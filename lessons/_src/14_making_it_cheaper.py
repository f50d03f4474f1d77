# %% [markdown]
# # Lesson 14 — Making it cheaper: GPU vs CPU, int8 weights, pruning
#
# **What you will learn**
# * how to time CPU and GPU work fairly (warm-up, medians, `synchronize`), and what the measured CPU/GPU figures say;
# * **int8 weight quantisation**: symmetric per-tensor and per-channel scales, the error bound, dequantisation, and
#   the accuracy it costs a trained sentiment classifier — down to 2 bits;
# * **magnitude pruning**: zero the smallest x % of the weights and measure the accuracy each step costs;
# * in the exercises: asymmetric (zero-point) quantisation, **quantisation-aware training** with a straight-through
#   estimator, and structured (row) pruning.
#
# **What this lesson assumes:** lessons 09 (kernels) and 12 (the classifier and its training recipe). The classifier
# compressed here is the run lessons 12 and 13 use, shipped in `lessons/trained/sentiment_embedded/` (made by
# `lessons/_src/make_runs.py`). CPU only by default; the timing cell uses a real GPU when there is one and
# otherwise runs the kernels on the simulator with a warning.

# %%
import os
from pathlib import Path

import minigrad as mg
if not mg.cuda.is_available():                       # before anything imports numba
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
GPU = "cuda" if mg.cuda.is_available() else "cudasim"

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

from minigrad.sentiment import load_run
from minigrad.sentiment.datasets import load_sentiment_data
from minigrad.sentiment.train import evaluate


warnings.filterwarnings("ignore", message="IProgress not found")
threadpool_limits(1, user_api="blas")   # as the command line does: one BLAS thread is fastest for this small
                                       # model, and robust on a busy machine
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
readme = Path("..") / "benchmarks" / "README.md"      # notebooks run in lessons/
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
# The shipped run of lesson 12's recipe; test accuracy on the embedded corpus's 1000 test sentences is the number
# every compression step below is judged by.

# %%
model, encoder, config = load_run(Path("trained") / "sentiment_embedded")   # next to this notebook, in lessons/
data = load_sentiment_data("embedded", seed=0)              # the split the run was trained on
assert not model.training
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
assert w.shape == (128, 64)
for per_channel in (False, True):
    q, scale = quantize(w, 8, per_channel)
    error = np.abs(w - dequantize(q, scale))
    assert q.dtype == np.int8 and np.abs(q).max() <= 127 and np.all(error <= scale / 2 + 1e-7)
    print(f"{'per-channel' if per_channel else 'per-tensor ':11s}: max |error| {error.max():.2e}, mean |error| {error.mean():.2e}; "
          f"bound s/2 = {np.max(scale) / 2:.2e}")

# round, floor and truncation (astype(int)) at 4 bits: worst error and mean signed error, in units of the scale s
levels, s = 7, np.abs(w).max() / 7
for name, to_int in [("round", np.round), ("floor", np.floor), ("astype(int)", lambda v: v.astype(int))]:
    error = np.clip(to_int(w / s), -levels, levels) * s - w
    shrink = np.mean(np.abs(np.clip(to_int(w / s), -levels, levels) * s)) - np.mean(np.abs(w))
    print(f"{name:11s}: max |error| {np.abs(error).max() / s:.2f} s, mean error {error.mean() / s:+.2f} s, "
          f"mean |w_hat| - mean |w| {shrink / s:+.2f} s")
    if name == "round":
        assert np.abs(error).max() <= 0.5 * s + 1e-7 and abs(error.mean()) < 0.05 * s
    if name == "floor":
        assert np.abs(error).max() > 0.9 * s and error.mean() < -0.4 * s        # biased DOWN, toward -inf
    if name == "astype(int)":
        assert np.abs(error).max() > 0.9 * s and shrink < -0.4 * s              # magnitudes shrink: toward 0

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
assert mg.autograd.gradcheck(lambda x: x @ w_hat.T + bias, (mg.randn(3, w_hat.shape[1], dtype=mg.float64, requires_grad=True),))

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

bit_widths = [8, 4, 3, 2]
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
# Reading the plots (the numbers printed above, for this run): down to 3 bits, both kinds of scale stay within about
# a point of float32 — a handful of the 1000 test sentences — because the rounding error ($\le s/2$) is far below what
# training cares about. At 2 bits (three levels: $-s, 0, s$) the difference shows: one scale per matrix falls to about
# chance, while one scale per output row keeps most of the accuracy, because a row of small weights is no longer
# rounded to 0 by another row's outlier. Pruning is free up to about 40 % and then degrades, steeply beyond 80 %; for
# a model this small the curve bends earlier than for large models, which have more redundant weights. One run and
# one test set of 1000 sentences (one sentence = 0.1 %): differences of a few tenths of a point are noise.

# %%
two_bits = bit_widths.index(2)
assert all(a > baseline - 0.015 for pc in (False, True) for a in quant_accuracy[pc][:two_bits])   # >= 3 bits: ~free
assert quant_accuracy[False][two_bits] < 0.65                                  # 2 bits, per tensor: about chance
assert quant_accuracy[True][two_bits] > quant_accuracy[False][two_bits] + 0.15  # per channel keeps most of it
assert prune_accuracy[fractions.index(0.4)] > baseline - 0.01                  # 40 % pruned: free
assert prune_accuracy[fractions.index(0.8)] < baseline - 0.05 and prune_accuracy[-1] < 0.65   # then it degrades

# %% [markdown]
# > **Common mistakes**
# >
# > * Scale $= \max|w| / 128$ with int8: the largest weight rounds to 128, which int8 cannot hold — it wraps to $-128$.
# >   Use $Q = 127$ (or clip).
# > * `floor` or `astype(int)` instead of `round`: both double the worst-case error (up to a whole $s$ instead of
# >   $s/2$). `floor` biases every weight **down**, toward $-\infty$ (mean error about $-s/2$); `astype(int)` truncates
# >   toward 0, so every weight's **magnitude** shrinks. The cell in section 3 measures both.
# > * Per-channel scales along the wrong axis: a `Linear` weight is `(out_features, in_features)`; an output channel is a **row**.
# > * Pruning the smallest *signed* values (the most negative weights) instead of the smallest magnitudes.
# > * Pruning in place and then "restoring" from a reference to the same array: keep a copy of the trained weights.
# > * Quantisation-aware training with the true gradient of `round` (zero almost everywhere): nothing learns. The
# >   straight-through estimator passes the gradient through as if `round` were the identity.
# > * Timing a GPU without warm-up or without `synchronize()`, or quoting simulator timings as GPU speed.

# %% [markdown]
# ## Exercises
#
# Each exercise is a stub: its docstring gives the task, the signature and a hint, and its body raises
# `NotImplementedError`. Replace that line with your code and run the cell; the checker reports "not yet solved"
# until you do. Reference solutions: `lessons/_solutions/lesson14.py`.
#
# **Exercise 1 — asymmetric (zero-point) quantisation.** Symmetric scales waste half the grid on a tensor that is
# never negative (ReLU outputs, say). Asymmetric quantisation maps $[\min w, \max w]$ onto the unsigned integers
# $0..2^b-1$: $s = (\max w - \min w)/(2^b - 1)$, zero point $z = \mathrm{round}(-\min w / s)$,
# $q = \mathrm{clip}(\mathrm{round}(w/s) + z, 0, 2^b-1)$ and $\hat w = s\,(q - z)$.

# %%
from minigrad.check import lesson14

def quantize_asymmetric(w, bits):
    """Return (q, scale, zero_point) for a NumPy array w: q integers in [0, 2^bits - 1], w ~ scale * (q - zero_point).

    Hint: scale = (w.max() - w.min()) / (2**bits - 1); zero_point = round(-w.min() / scale); clip after adding it.
    """
    raise NotImplementedError("exercise 1: write quantize_asymmetric")

lesson14.exercise1(quantize_asymmetric)

# %% [markdown]
# **Exercise 2 — quantisation-aware training with a straight-through estimator.** Train *through* the quantiser so
# the weights learn to live on the grid. The forward pass uses the fake-quantised weight $\hat w = s\,\mathrm{round}(w/s)$
# (symmetric, per tensor, `bits` bits); the backward pass pretends the rounding was the identity and returns the
# incoming gradient unchanged (the **straight-through estimator**, Bengio et al. 2013). The checker uses your
# `Function` to train a small linear model at 2 bits and compares with the same training without the estimator.

# %%
class FakeQuantSTE(mg.autograd.Function):
    "w_hat = s round(w / s), s = max|w| / (2^(bits-1) - 1).    gw = g (straight through)."

    @staticmethod
    def forward(ctx, w, bits):
        """Return the fake-quantised NumPy array (same shape and dtype as w).

        Hint: lesson section 3's quantize/dequantize in one line; bits arrives as a plain int.
        """
        raise NotImplementedError("exercise 2: write FakeQuantSTE.forward")

    @staticmethod
    def backward(ctx, g):
        """Return the gradient for w (and None for bits).

        Hint: the straight-through estimator: return g, None.
        """
        raise NotImplementedError("exercise 2: write FakeQuantSTE.backward")

lesson14.exercise2(FakeQuantSTE)

# %% [markdown]
# **Exercise 3 — structured pruning: whole rows.** Zeroing scattered weights saves nothing without sparse kernels.
# Zeroing whole output rows of a `Linear` weight removes output units, so the layer really shrinks. Zero the
# `round(fraction * rows)` rows of smallest L2 norm, in a new array.

# %%
def prune_rows(w, fraction):
    """Return a copy of w (out, in) whose round(fraction * out) rows of smallest L2 norm are all 0.

    Hint: norms = np.linalg.norm(w, axis=1); np.argsort(norms)[:k] are the rows to zero. Leave w unchanged.
    """
    raise NotImplementedError("exercise 3: write prune_rows")

lesson14.exercise3(prune_rows)

# %% [markdown]
# **Next:** `python -m minigrad.sentiment train` trains the full-size model; `python -m benchmarks` measures your
# machine; `kernels/` holds the CUDA code to speed up.
