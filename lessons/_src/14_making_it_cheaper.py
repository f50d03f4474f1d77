# %% [markdown]
# # Lesson 14 — Making it cheaper: int8 weights, pruning, low rank, distillation
#
# **What you will learn**
# * how to measure what a model costs — accuracy, bytes, time — fairly (warm-up, medians, one BLAS thread);
# * **int8 quantization** (`minigrad.quantization`): symmetric scales per row, the error bound, the int8 layers that
#   sum int8 products in int32 (NumPy on the CPU, a hand-written CUDA kernel on the GPU), `quantize_dynamic`, and
#   why fewer bits hurt one scale per matrix far more than one scale per row;
# * **pruning** (`minigrad.nn.utils.prune`, PyTorch's API): a mask re-applied before every forward, pruning in
#   rounds, and fine-tuning that wins back what pruning cost;
# * **low-rank factorization** (`minigrad.compression.low_rank`): a truncated SVD turns one layer into two thin ones;
# * **knowledge distillation**: a small student learns from a teacher's softened probabilities
#   (`train --teacher`);
# * what each method bought on the SST-2 classifier, measured with the command line (`compress`), and in the
#   exercises: asymmetric (zero-point) quantization, **quantization-aware training** with a straight-through
#   estimator, and structured (row) pruning.
#
# **What this lesson assumes:** lessons 09 (kernels) and 12 (the classifier and its training recipe). The classifier
# compressed here is the run lessons 12 and 13 use, shipped in `lessons/trained/sentiment_embedded/` (made by
# `lessons/_src/make_runs.py`); everything runs on the CPU in about a minute. The SST-2 figures at the end were
# measured with the commands printed beside them (SST-2 is not needed to run this notebook).

# %%
import copy
import json
import os
import time
import warnings
from pathlib import Path

import minigrad as mg
if not mg.cuda.is_available():                       # before anything imports numba: the int8 kernel's simulator
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
GPU = "cuda" if mg.cuda.is_available() else "cudasim"

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

from minigrad import nn
from minigrad.compression import factorize, soften, state_bytes
from minigrad.nn.utils import prune
from minigrad.quantization import quantize_dynamic, quantize_per_channel_symmetric
from minigrad.sentiment import load_run
from minigrad.sentiment.compress import weight_matrices
from minigrad.sentiment.datasets import load_sentiment_data
from minigrad.sentiment.distill import DistillationHook
from minigrad.sentiment.model import TransformerClassifier
from minigrad.sentiment.train import TrainOptions, evaluate, fit, predict_logits_ids, predict_proba

warnings.filterwarnings("ignore", message="IProgress not found")
warnings.filterwarnings("ignore", category=UserWarning, message="device 'cudasim'")
threadpool_limits(1, user_api="blas")   # as the command line does: one BLAS thread is fastest for this small
                                        # model, and robust on a busy machine
mg.manual_seed(0)
QUIET = dict(log=lambda line: None)

# %% [markdown]
# ## 1. A classifier, and what it costs
#
# Three costs: **accuracy** on the 1000 test sentences of the embedded corpus, **bytes** of the weights (what a
# state dict holds: 4 per float32 number), and **time** of a pass over test sentences. Timing follows the rules of
# `benchmarks/timing.py`: warm up first (the first call pays for imports and caches), take the **median** of several
# repeats (one slow sample on a busy machine hardly moves it), and time the things you compare *interleaved*, so
# that a machine that gets busier slows them alike.

# %%
model, encoder, config = load_run(Path("trained") / "sentiment_embedded")   # next to this notebook, in lessons/
data = load_sentiment_data("embedded", seed=0)              # the split the run was trained on
assert not model.training

def accuracy(m):
    return evaluate(m, encoder, data.test)["accuracy"]

def test_pass_seconds(models, repeats=3, sentences=300):
    """Median seconds of one pass over `sentences` test sentences, for each model, interleaved."""
    texts = data.test.texts[:sentences]
    times = [[] for _ in models]
    for repeat in range(repeats + 1):                       # repeat 0 is the warm-up
        for m, samples in zip(models, times):
            began = time.perf_counter()
            predict_proba(m, encoder, texts)
            if repeat:
                samples.append(time.perf_counter() - began)
    return [float(np.median(samples)) for samples in times]

baseline = accuracy(model)
float_bytes = state_bytes(model.state_dict())
numbers = sum(t.numel() for t in model.state_dict().values())
print(f"test accuracy {baseline:.3f}; {numbers:,} numbers in the state dict, {float_bytes / 1024:.0f} KiB")
assert baseline > 0.98 and float_bytes == 4 * numbers

# %% [markdown]
# ## 2. int8: one byte per weight
#
# Store each weight as a small integer $q$ and one float **scale** $s$: $w \approx s\,q$. With 8 bits and a symmetric
# range, $q \in \{-127, \ldots, 127\}$ (we leave out $-128$ so that $q$ and $-q$ are both there). To represent the
# largest weight, $127\,s \ge \max|w|$, so
#
# $$s = \frac{\max|w|}{127}, \qquad q = \mathrm{round}(w / s), \qquad |w - s\,q| \le \frac s2 ,$$
#
# since rounding moves $w/s$ by at most $\tfrac12$. One scale **per output row** of a weight matrix (the max over
# that row) keeps a row of small weights off the coarse grid another row's outlier would force on it.
# `quantize_per_channel_symmetric` is that formula (`minigrad/ops/quantized.py`):

# %%
w = model.encoder.layers[0].linear1.weight
q, scale = quantize_per_channel_symmetric(w)
error = np.abs(w.detach().numpy() - scale.numpy()[:, None] * q.numpy())
print(f"{tuple(q.shape)} {q.dtype}, {scale.shape[0]} scales; max |error| {error.max():.1e}, "
      f"bound max(s)/2 = {scale.numpy().max() / 2:.1e}")
assert q.dtype == mg.int8 and np.abs(q.numpy()).max() == 127
assert np.all(error <= scale.numpy()[:, None] / 2 + 1e-8)

# %% [markdown]
# How many bits does this model need, and does the scale per row matter? `mg.fake_quantize_per_tensor_affine` and
# `mg.fake_quantize_per_channel_affine` (PyTorch's functions) round to a grid of $b$ bits and give back floats, so
# every weight matrix can be rounded in place and the model scored as it is. $Q = 2^{b-1} - 1$ levels each side.

# %%
matrices = [(module, name) for module, name in weight_matrices(model)]
trained = {id(module): getattr(module, name).detach().clone() for module, name in matrices}

def with_rounded_weights(bits, per_row):
    levels = 2 ** (bits - 1) - 1
    rounded = copy.deepcopy(model)
    with mg.no_grad():
        for module, name in weight_matrices(rounded):
            w = getattr(module, name)
            if per_row:
                s = (w.abs().amax(dim=1) / levels).clamp(min=1e-12)    # (a row of zeros: any scale will do)
                fq = mg.fake_quantize_per_channel_affine(w, s, mg.zeros(w.shape[0], dtype=mg.int32), 0, -levels, levels)
            else:
                fq = mg.fake_quantize_per_tensor_affine(w, w.abs().max().item() / levels, 0, -levels, levels)
            w.copy_(fq)
    return rounded

bit_widths = [8, 4, 2]
rounded_accuracy = {per_row: [accuracy(with_rounded_weights(b, per_row)) for b in bit_widths] for per_row in (False, True)}
for per_row, accs in rounded_accuracy.items():
    print(f"{'scale per row   ' if per_row else 'scale per matrix'}: " + ", ".join(f"{b} bits {a:.3f}" for b, a in zip(bit_widths, accs)))
assert all(a > baseline - 0.015 for per_row in (False, True) for a in rounded_accuracy[per_row][:2])   # 8, 4 bits: ~free
assert rounded_accuracy[False][2] < 0.65                                            # 2 bits, per matrix: about chance
assert rounded_accuracy[True][2] > rounded_accuracy[False][2] + 0.15               # per row keeps most of it

# %% [markdown]
# At 2 bits there are three levels, $-s, 0, s$: with one scale per matrix, every row of small weights rounds to 0,
# and the model is at chance; with a scale per row, each row keeps its own three levels.
#
# **The int8 model.** `quantize_dynamic(model)` replaces every `Linear`, `Embedding` and `MultiheadAttention` by an
# int8 layer: weights stored as int8 + a float32 scale per row; the *activations* entering a linear layer are
# quantized as they come, with one scale for the batch ("dynamic"). A linear layer then computes
#
# $$y_{nj} = \Big(\sum_k q^x_{nk}\, q^W_{jk}\Big)\, s_x\, s_{W,j} + b_j ,$$
#
# the sum over int8 products taken in **int32**, exactly (a product is at most $127^2 = 16\,129$, so the sum cannot
# overflow below $K = 133\,000$).

# %%
int8_model = quantize_dynamic(model)
int8_accuracy = accuracy(int8_model)
int8_bytes = state_bytes(int8_model.state_dict())
float_seconds, int8_seconds = test_pass_seconds([model, int8_model])
print(int8_model.encoder.layers[0].linear1)
print(f"int8: test accuracy {int8_accuracy:.3f} (float32 {baseline:.3f}); {int8_bytes / 1024:.0f} KiB = "
      f"{int8_bytes / float_bytes:.1%} of float32; 300 sentences in {int8_seconds * 1e3:.0f} ms "
      f"(float32 {float_seconds * 1e3:.0f} ms)")
assert abs(int8_accuracy - baseline) <= 0.01 and int8_bytes < 0.30 * float_bytes

# %% [markdown]
# A quarter of the bytes (plus the scales, the biases and the LayerNorm parameters, which stay float32) for the same
# accuracy. But on the CPU the int8 model is *slower*: NumPy has no integer matrix product that uses BLAS, so its
# int32 sums (`numpy_backend.int8_linear`) run several times slower than the float32 product of the same shape. int8
# pays off in time where the hardware multiplies int8 natively. On a GPU that is the int8 kernel of
# `kernels/quantized.py` (lesson 09's tiles, in bytes); in its sm_90 machine code the compiler turned each K-step's 16
# multiply-adds into 4 `IDP.4A` instructions, 4-way int8 dot products summed into int32 (`python -m kernels.sass`).
# Here it runs on the simulator (no GPU) and gives the CPU's numbers:

# %%
layer = int8_model.encoder.layers[0].linear1
x = mg.randn(3, 64)
on_gpu = copy.deepcopy(layer).to(GPU)(x.to(GPU))
np.testing.assert_allclose(on_gpu.numpy(), layer(x).numpy(), rtol=1e-5, atol=1e-5)
print(f"the int8 layer on {GPU} matches the CPU:", on_gpu.shape)

# %% [markdown]
# ## 3. Pruning: set the small weights to 0
#
# `prune.l1_unstructured(module, "weight", amount=0.5)` (PyTorch's API) moves the weight to `weight_orig`, adds a
# buffer `weight_mask` of 0s and 1s, and registers a **forward pre-hook** that recomputes
# `weight = weight_orig * weight_mask` before every forward. Training can go on: the gradient reaching `weight_orig`
# is 0 wherever the mask is 0, and even a step that moved those entries would not reach the layer.

# %%
demo = nn.Linear(4, 3)
prune.l1_unstructured(demo, "weight", amount=0.5)
print([name for name, _ in demo.named_parameters()], [name for name, _ in demo.named_buffers()])
demo(mg.randn(2, 4)).sum().backward()
assert np.all(demo.weight_orig.grad.numpy()[demo.weight_mask.numpy() == 0] == 0)
assert int((demo.weight_mask.numpy() == 0).sum()) == 6                       # round(0.5 * 12)
prune.remove(demo, "weight")                                                  # make it permanent
assert isinstance(demo.weight, nn.Parameter) and not hasattr(demo, "weight_orig")

# %% [markdown]
# How much can go? Every weight matrix of the classifier (embeddings, attention projections, feed-forward layers,
# head) pruned by magnitude, without any retraining:

# %%
def pruned(amount, of=model):
    copy_ = copy.deepcopy(of)
    for module, name in weight_matrices(copy_):
        prune.l1_unstructured(module, name, amount=amount)
    return copy_

fractions = [0.0, 0.4, 0.8, 0.9]
prune_accuracy = [accuracy(pruned(f)) for f in fractions]
print(", ".join(f"{int(100 * f)}% pruned: {a:.3f}" for f, a in zip(fractions, prune_accuracy)))
assert prune_accuracy[1] > baseline - 0.01                                  # 40 %: free
assert prune_accuracy[2] < baseline - 0.05                                  # then it degrades

# %% [markdown]
# **Fine-tuning wins it back.** The remaining weights can learn to do the pruned ones' work: prune, then train a
# little more with the mask in place (the shared training loop, `fit`, unchanged: the hook keeps the zeros). Here one
# short epoch on 2000 training sentences after pruning 80 %; `compress --prune` does it in rounds (each prunes among
# what is left: 29 % then 50 % for `--prune 0.5 --prune-steps 2`), with an epoch of fine-tuning after each.

# %%
tuned = pruned(0.8)
fit(tuned, encoder, data.train.take(range(2000)), data.val, TrainOptions(epochs=1, lr=1e-3, progress=False), **QUIET)
for module, name in weight_matrices(tuned):
    prune.remove(module, name)
tuned_accuracy = accuracy(tuned)
zeros = sum(int((getattr(m, n).numpy() == 0).sum()) for m, n in weight_matrices(tuned))
share = zeros / sum(getattr(m, n).numel() for m, n in weight_matrices(tuned))
print(f"80% pruned: {prune_accuracy[2]:.3f} before fine-tuning, {tuned_accuracy:.3f} after ({share:.1%} zeros)")
assert tuned_accuracy > prune_accuracy[2] + 0.03 and abs(share - 0.8) < 0.01

# %% [markdown]
# The zeros make the file no smaller and the product no faster by themselves: a dense matrix with zeros costs what
# it did. They pay off with a sparse format (indices + values, worth it well above 50 % zeros), with kernels that skip
# zeros, or when whole rows go (exercise 3) and the layer really shrinks.
#
# ## 4. Low rank: one layer becomes two thin ones
#
# A weight $W$ ($m \times n$) has the SVD $W = U\,\mathrm{diag}(s)\,V^\top$, $s_1 \ge s_2 \ge \dots$. Keeping the $r$
# largest singular values gives the best rank-$r$ approximation (Eckart–Young): $\|W - W_r\|_F^2 = \sum_{i>r} s_i^2$.
# $W_r$ is a product of an $m \times r$ and an $r \times n$ matrix — $r(m+n)$ numbers instead of $mn$, fewer only when
# $r < mn/(m+n)$ (for a square matrix, $r < n/2$). `factorize` replaces each layer where that holds by a
# `LowRankLinear` (or `LowRankEmbedding`), the square root of $s$ going to each factor.

# %%
singular = np.linalg.svd(model.encoder.layers[0].linear1.weight.detach().numpy(), compute_uv=False)
energy = np.cumsum(singular ** 2) / np.sum(singular ** 2)
print(f"linear1 (128 x 64): half the energy in the first {int(np.searchsorted(energy, 0.5)) + 1} of "
      f"{len(singular)} singular values, 90 % in the first {int(np.searchsorted(energy, 0.9)) + 1}")

ranks_kept = [0.5, 0.25, 0.125]
low_rank_rows = []
for fraction in ranks_kept:
    factorized = copy.deepcopy(model)
    factorize(factorized, rank=fraction, exclude=("head",))
    low_rank_rows.append((fraction, accuracy(factorized), state_bytes(factorized.state_dict()) / float_bytes))
for fraction, acc, size in low_rank_rows:
    print(f"rank x{fraction}: test accuracy {acc:.3f}, {size:.0%} of the bytes")
print(factorized.encoder.layers[0].linear1)
assert low_rank_rows[1][1] > baseline - 0.005 and low_rank_rows[-1][1] > baseline - 0.01 and low_rank_rows[-1][2] < 0.5

# %% [markdown]
# This model's matrices are far from full rank: a quarter of each layer's rank keeps the accuracy without any
# fine-tuning, an eighth costs under a point at under half the bytes (`compress --low-rank` fine-tunes afterwards).
# On SST-2 the embedding table, 13,490 words x 64, holds 91 % of the numbers; factorizing it is what shrinks that
# model.
#
# ## 5. Distillation: a student taught by a teacher
#
# A teacher that says "positive, 0.9" tells more than the label "positive". A small **student** is trained on a mix
# of the labels and the teacher's probabilities, both softened by a temperature $T$:
#
# $$\mathcal L = \alpha\, T^2\, \mathrm{KL}\big(p_T(\text{teacher}) \,\|\, p_T(\text{student})\big) + (1-\alpha)\,
# \mathrm{CE}(\text{student}, \text{labels}), \qquad p_T(z) = \mathrm{softmax}(z / T).$$
#
# The $T^2$ keeps the soft term's gradient on the scale of the hard one (it shrinks like $1/T^2$ otherwise). In the
# training loop this is a *loss hook*: `fit(..., loss_hook=DistillationHook(...))` — the same loop, one more term;
# `train --teacher RUN` on the command line. Here the teacher is the trained model; the students have a quarter of
# its width and one layer (7 % of its numbers), and see 2000 labelled sentences for 3 epochs.

# %%
subset = data.train.take(range(2000))
teacher_logits = predict_logits_ids(model, encoder, encoder.encode_all(subset.texts))

def student(hook=None):
    mg.manual_seed(0)
    small = TransformerClassifier(len(encoder.vocab), d_model=16, n_heads=2, n_layers=1, d_ff=32, max_len=64,
                                  pooling="mean")
    fit(small, encoder, subset, data.val, TrainOptions(epochs=3, lr=1e-2, progress=False), loss_hook=hook, **QUIET)
    return small

T, alpha = 4.0, 0.9
alone, distilled = student(), student(DistillationHook(soften(teacher_logits, T).astype(np.float32), T, alpha))
student_numbers = sum(t.numel() for t in alone.state_dict().values())
alone_accuracy, distilled_accuracy = accuracy(alone), accuracy(distilled)
print(f"students of {student_numbers:,} numbers ({student_numbers / numbers:.0%} of the teacher's): alone "
      f"{alone_accuracy:.3f}, distilled (T = {T}, alpha = {alpha}) {distilled_accuracy:.3f}; teacher {baseline:.3f}")
assert distilled_accuracy > alone_accuracy + 0.03

# %% [markdown]
# With few labels and a teacher far better than the student, the soft targets teach what the labels alone did not.
# That is the condition for distillation to pay. On SST-2 below the gap is smaller: the full-size teachers score
# 83.1 % (mean of 3 seeds), a quarter-size student alone 80.9 %; distilled with alpha 0.5 it scores 81.0 %, with
# alpha 0.9 81.5 % (better on 2 seeds of 3) -- a gain, but one within the noise of 872 test sentences.
#
# ## 6. The trade-off
#
# On the embedded model (this notebook's figures) and on the SST-2 classifier: the default
# `python -m minigrad.sentiment train --data sst2 --out runs/sst2-s0`, compressed and distilled with the commands
# below (measured on a busy 2-core machine; the table is `lessons/trained/sst2_compression.json`, written by the
# last command):
#
# ```
# python -m minigrad.sentiment compress runs/sst2-s0 --quantize int8 --out runs/sst2-s0-int8
# python -m minigrad.sentiment compress runs/sst2-s0 --prune 0.5 --out runs/sst2-s0-pruned
# python -m minigrad.sentiment compress runs/sst2-s0 --low-rank 0.5 --out runs/sst2-s0-lowrank
# python -m minigrad.sentiment train --data sst2 --d-model 16 --heads 2 --d-ff 32 --out runs/sst2-small
# python -m minigrad.sentiment train --data sst2 --d-model 16 --heads 2 --d-ff 32 --out runs/sst2-small-kd3 \
#     --teacher runs/sst2-s0 --teacher runs/sst2-s1 --teacher runs/sst2-s2       (sst2-s1, -s2: --seed 1, 2)
# python -m minigrad.sentiment train ... the same ... --out runs/sst2-small-kd3a9 --alpha 0.9
# python benchmarks/compression.py runs/sst2-s0 runs/sst2-s0-int8 runs/sst2-s0-pruned runs/sst2-s0-lowrank \
#     runs/sst2-small runs/sst2-small-kd3 runs/sst2-small-kd3a9 --ensemble runs/sst2-s0 runs/sst2-s1 runs/sst2-s2 \
#     --repeats 12 --json lessons/trained/sst2_compression.json
# ```

# %%
points = [("float32", baseline, 1.0), ("int8", int8_accuracy, int8_bytes / float_bytes),
          ("80% pruned + fine-tuned (dense file)", tuned_accuracy, 1.0)]
points += [(f"low rank x{f}", acc, size) for f, acc, size in low_rank_rows]
points += [("student alone", alone_accuracy, student_numbers / numbers),
           ("student distilled", distilled_accuracy, student_numbers / numbers)]

measured = Path("trained") / "sst2_compression.json"
sst2 = json.loads(measured.read_text()) if measured.exists() else None
figure, axes = plt.subplots(1, 2 if sst2 else 1, figsize=(12 if sst2 else 6, 4), squeeze=False)
for label, acc, size in points:
    axes[0, 0].scatter(100 * size, 100 * acc)
    axes[0, 0].annotate(label, (100 * size, 100 * acc), fontsize=7, xytext=(3, 3), textcoords="offset points")
axes[0, 0].set_title("embedded corpus (this notebook)", fontsize=9)
if sst2:
    for row in sst2["rows"]:
        axes[0, 1].scatter(100 * row["size_ratio"], 100 * row["accuracy"])
        axes[0, 1].annotate(row["what"], (100 * row["size_ratio"], 100 * row["accuracy"]), fontsize=7,
                            xytext=(3, 3), textcoords="offset points")
    axes[0, 1].set_title("SST-2 dev (measured: benchmarks/compression.py)", fontsize=9)
for axis in axes[0]:
    axis.set_xlabel("weights, % of the float32 model's bytes")
    axis.set_ylabel("test accuracy (%)")
plt.tight_layout(); plt.show()

if sst2:
    print(f"SST-2, {sst2['sentences']} dev sentences; {sst2['command']}")
    for row in sst2["rows"]:
        print(f"  {row['what']:44s} dev {row['accuracy']:.4f} ({100 * row['accuracy_change']:+.1f} pt)  weights "
              f"{row['size_ratio']:6.1%}  nonzero {row['nonzero']:6.1%}  dev pass {row['time_ratio']:.2f}x")

# %% [markdown]
# Reading it: int8 is the one method that is free in accuracy and cuts the bytes by almost 4 — but on a CPU without
# int8 arithmetic it costs time. Pruning removes weights, not bytes, until a sparse format or structured pruning
# turns the zeros into savings. Low rank shrinks what is redundant; its price depends on how far from full rank the
# matrices are. Distillation shrinks the model itself, and pays only when the teacher knows more than the student can
# learn alone. On SST-2, int8 and low rank cost nothing measurable and 50% pruning half a point, after their
# fine-tuning (one or two more epochs at a lower learning rate: with an earlier, weaker recipe that extra training
# even *gained* a point -- compare a compressed model with the original trained as long before crediting the
# compression). The quarter-size student is 2.6 points behind its teacher; distillation wins back one of them at
# alpha 0.9. One run and one test set (one sentence of 1000 = 0.1 %, of SST-2's 872 = 0.11 %): differences of a few
# tenths of a point are noise.
#
# > **Common mistakes**
# >
# > * Scale $= \max|w| / 128$ with int8: the largest weight rounds to 128, which int8 cannot hold — it wraps to
# >   $-128$. Use $Q = 127$ (or clip).
# > * `floor` or `astype(int)` instead of `round`: the worst-case error doubles (a whole $s$ instead of $s/2$) and
# >   every weight is biased (down, or towards 0).
# > * Per-channel scales along the wrong axis: a `Linear` weight is `(out_features, in_features)`; an output channel
# >   is a **row**.
# > * Summing int8 products in int8 or int16: $127 \cdot 127 \cdot 64$ is already $10^6$. Accumulate in int32.
# > * Pruning the smallest *signed* values (the most negative weights) instead of the smallest magnitudes.
# > * Pruning, then training without the mask: the zeros grow back. Keep the hook (or the mask) while fine-tuning;
# >   `prune.remove` only at the end.
# > * Reading "50 % pruned" as "half the size": a dense file of zeros is as big as before.
# > * Factorizing a square matrix at half its rank: $r(m+n) = mn$, nothing saved.
# > * Distilling without the $T^2$: at $T = 4$ the soft term's gradient is 16 times too small to matter.
# > * Quantization-aware training with the true gradient of `round` (zero almost everywhere): nothing learns. The
# >   straight-through estimator passes the gradient through as if `round` were the identity.

# %% [markdown]
# ## Exercises
#
# Each exercise is a stub: its docstring gives the task, the signature and a hint, and its body raises
# `NotImplementedError`. Replace that line with your code and run the cell; the checker reports "not yet solved"
# until you do. Reference solutions: `lessons/_solutions/lesson14.py`.
#
# **Exercise 1 — asymmetric (zero-point) quantization.** Symmetric scales waste half the grid on a tensor that is
# never negative (ReLU outputs, say). Asymmetric quantization maps $[\min w, \max w]$ onto the unsigned integers
# $0..2^b-1$: $s = (\max w - \min w)/(2^b - 1)$, zero point $z = \mathrm{round}(-\min w / s)$,
# $q = \mathrm{clip}(\mathrm{round}(w/s) + z, 0, 2^b-1)$ and $\hat w = s\,(q - z)$ (what
# `mg.fake_quantize_per_tensor_affine(w, s, z, 0, 2**b - 1)` computes).

# %%
from minigrad.check import lesson14

def quantize_asymmetric(w, bits):
    """Return (q, scale, zero_point) for a NumPy array w: q integers in [0, 2^bits - 1], w ~ scale * (q - zero_point).

    Hint: scale = (w.max() - w.min()) / (2**bits - 1); zero_point = round(-w.min() / scale); clip after adding it.
    """
    raise NotImplementedError("exercise 1: write quantize_asymmetric")

lesson14.exercise1(quantize_asymmetric)

# %% [markdown]
# **Exercise 2 — quantization-aware training with a straight-through estimator.** Train *through* the quantizer so
# the weights learn to live on the grid (what `minigrad.quantization.prepare_qat` does to every layer). The forward
# pass uses the fake-quantized weight $\hat w = s\,\mathrm{round}(w/s)$ (symmetric, per tensor, `bits` bits); the
# backward pass pretends the rounding was the identity and returns the incoming gradient unchanged (the
# **straight-through estimator**, Bengio et al. 2013). The checker uses your `Function` to train a small linear model
# at 2 bits and compares with the same training without the estimator.

# %%
class FakeQuantSTE(mg.autograd.Function):
    "w_hat = s round(w / s), s = max|w| / (2^(bits-1) - 1).    gw = g (straight through)."

    @staticmethod
    def forward(ctx, w, bits):
        """Return the fake-quantized NumPy array (same shape and dtype as w).

        Hint: section 2's formula with 2^(bits-1) - 1 levels, then back to floats; bits arrives as a plain int.
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
# Zeroing whole output rows of a `Linear` weight removes output units, so the layer really shrinks (PyTorch's and
# minigrad's `prune.ln_structured(module, "weight", amount, n=2, dim=0)`). Zero the `round(fraction * rows)` rows of
# smallest L2 norm, in a new array.

# %%
def prune_rows(w, fraction):
    """Return a copy of w (out, in) whose round(fraction * out) rows of smallest L2 norm are all 0.

    Hint: norms = np.linalg.norm(w, axis=1); np.argsort(norms)[:k] are the rows to zero. Leave w unchanged.
    """
    raise NotImplementedError("exercise 3: write prune_rows")

lesson14.exercise3(prune_rows)

# %% [markdown]
# **Next:** `python -m minigrad.sentiment compress RUN --quantize int8` (or `--prune 0.5`, `--low-rank 0.5`) makes a
# compressed copy of any run you trained; `train --teacher RUN` distils one; `python -m kernels.quantized` times the
# int8 kernel on a GPU.
