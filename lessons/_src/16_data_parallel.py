# %% [markdown]
# # Lesson 16 — Data parallelism: one model, many processes, averaged gradients
#
# **What you will learn**
# * why the **average of the gradients of p shards** of a batch is the gradient of the whole batch (and the
#   weighted average when the shards are unequal), derived and checked;
# * **gradient accumulation**, its single-process twin: several small backward passes, one step;
# * how `minigrad.distributed` and `nn.parallel.DistributedDataParallel` (DDP) train on two real processes
#   launched by `mpiexec`, and give the numbers one process gives;
# * what an **all-reduce** costs: $2(p-1)/p \times N$ bytes sent per rank with the ring algorithm, against
#   $(p-1)N$ for the naive exchange; latency and bandwidth, **measured on this machine** by message size;
# * **when communication eats the speedup**, from a model of a step's time built on those measurements;
# * in the exercises: combining unequal shards, writing the ring all-reduce, and predicting a step's time.
#
# **What this lesson assumes:** lessons 05–07 (backpropagation, `loss.backward()` filling `p.grad`, optimizers,
# the training loop). The two-process cells need `pip install 'minigrad[distributed]'` (MPI: mpi4py and the
# MPICH wheel); without it they say so and use figures measured earlier.

# %%
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.distributed import launch

threadpool_limits(1, user_api="blas")   # one BLAS thread: the step times below are one core's
mg.manual_seed(0)
rng = np.random.default_rng(0)


def mpi_available():
    """True when mpiexec and mpi4py (with an MPI library) are installed."""
    if launch.find_mpiexec() is None:
        return False
    return subprocess.run([sys.executable, "-c", "from mpi4py import MPI"], capture_output=True).returncode == 0


MPI = mpi_available()
print("MPI:", f"yes, {launch.find_mpiexec()}" if MPI else f"not installed ({launch.INSTALL_HINT})")

# %% [markdown]
# ## 1. Why averaging the shards' gradients gives the whole batch's gradient
#
# A batch of $N$ examples has the mean loss $L = \frac1N\sum_{i=1}^N \ell_i(w)$. Cut it into $p$ **shards**
# $S_1, \ldots, S_p$, one per process (*rank*), of sizes $n_r$ with $\sum_r n_r = N$. Rank $r$ computes only its own
# shard's mean loss $L_r = \frac1{n_r}\sum_{i \in S_r} \ell_i$. Grouping the sum by shard,
#
# $$L = \frac1N \sum_{r=1}^p \sum_{i\in S_r} \ell_i = \sum_{r=1}^p \frac{n_r}{N} L_r
# \qquad\Longrightarrow\qquad \nabla_w L = \sum_{r=1}^p \frac{n_r}{N}\, \nabla_w L_r ,$$
#
# because the gradient is linear. With **equal shards** ($n_r = N/p$) the weights are all $1/p$:
#
# $$\nabla_w L = \frac1p \sum_{r=1}^p \nabla_w L_r ,$$
#
# the plain **average** of the ranks' gradients. That is data parallelism: every rank holds the whole model, computes
# the gradient of its shard, the ranks average their gradients (an **all-reduce**), and every rank takes the same
# optimizer step with the same averaged gradient, so the $p$ copies of the model stay identical. The only condition
# is that the loss is a mean (or a sum) over examples; a term that mixes examples (batch normalisation's batch
# statistics) breaks it, because each rank only sees its shard's statistics.
#
# The check: a small MLP in float64, a batch of 12, three shards.

# %%
def make_mlp():
    mg.manual_seed(1)
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3)).double()


def gradients(model, x, y):
    """The gradient of the mean cross-entropy over (x, y), one NumPy array per parameter."""
    model.zero_grad()
    F.cross_entropy(model(mg.tensor(x)), mg.tensor(y)).backward()
    return [p.grad.numpy().copy() for p in model.parameters()]


x = rng.standard_normal((12, 4))
y = rng.integers(0, 3, size=12)
model = make_mlp()
whole = gradients(model, x, y)

shards = np.split(np.arange(12), 3)                     # 4 + 4 + 4
per_rank = [gradients(model, x[s], y[s]) for s in shards]
averaged = [np.mean(g, axis=0) for g in zip(*per_rank)]
error = max(np.abs(a - b).max() for a, b in zip(averaged, whole))
print(f"equal shards: |mean of the 3 shard gradients - whole-batch gradient| = {error:.1e}")
assert error < 1e-12

unequal = np.split(np.arange(12), [5, 9])              # 5 + 4 + 3
per_rank = [gradients(model, x[s], y[s]) for s in unequal]
plain = [np.mean(g, axis=0) for g in zip(*per_rank)]
weighted = [sum(len(s) / 12 * g for s, g in zip(unequal, gs)) for gs in zip(*per_rank)]
plain_error = max(np.abs(a - b).max() for a, b in zip(plain, whole))
weighted_error = max(np.abs(a - b).max() for a, b in zip(weighted, whole))
print(f"shards of 5, 4, 3: plain mean off by {plain_error:.1e}; weighted by n_r / N off by {weighted_error:.1e}")
assert plain_error > 1e-3 and weighted_error < 1e-12

# %% [markdown]
# Unequal shards happen at the end of an epoch, when $N$ is not a multiple of $p$. PyTorch's `DistributedSampler`
# (and minigrad's, in `minigrad.utils.data`) avoids them: it pads the list of examples by repeating a few from the
# start (`drop_last=False`, so a few examples count twice that epoch) or drops the remainder (`drop_last=True`), so
# that every rank gets `len(sampler)` examples. Rank $r$ takes every $p$-th index of a shuffled order that every rank
# draws from the same seed (`seed + epoch`: call `sampler.set_epoch(epoch)`), so the ranks agree on the shards
# without exchanging a message.

# %%
from minigrad.utils.data import DistributedSampler

shares = [list(DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False)) for r in range(3)]
print("10 examples on 3 ranks, padded:", shares)
assert shares == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
epoch0 = [list(DistributedSampler(range(10), 3, r, seed=0)) for r in range(3)]
assert sorted(sum(epoch0, [])) == sorted(list(range(10)) + [epoch0[0][0], epoch0[1][0]])   # each index once, 2 padded

# %% [markdown]
# ## 2. Gradient accumulation: the single-process twin
#
# The same identity read in time instead of space: $k$ **micro-batches** one after the other, each loss divided by
# $k$, and `backward()` *adds* into `.grad` (it never overwrites it), so after the $k$ backward passes
#
# $$\texttt{p.grad} = \sum_{m=1}^k \nabla \frac{L_m}{k} = \nabla L_{\text{whole batch}} .$$
#
# One optimizer step then follows. Memory holds one micro-batch's activations at a time, so a batch too big for
# memory still trains. DDP's `no_sync()` is exactly this across ranks: inside it, `backward()` only accumulates
# locally; the first backward after it averages the accumulated sums in one all-reduce.

# %%
model.zero_grad()
k = 3
for micro in np.split(np.arange(12), k):
    (F.cross_entropy(model(mg.tensor(x[micro])), mg.tensor(y[micro])) / k).backward()   # no zero_grad in between
accumulated = [p.grad.numpy() for p in model.parameters()]
error = max(np.abs(a - b).max() for a, b in zip(accumulated, whole))
print(f"3 micro-batches of 4, accumulated: off by {error:.1e} from the batch of 12")
assert error < 1e-12

# %% [markdown]
# ## 3. Two real processes
#
# `mpiexec -n 2 python program.py` starts the program twice. `dist.init_process_group(backend="mpi")` connects
# them: `dist.get_rank()` is 0 in one and 1 in the other. `DistributedDataParallel(model)`:
#
# 1. checks that every rank built the same model and copies rank 0's weights to every rank;
# 2. puts a hook on every parameter that fires when its gradient is complete (`register_post_accumulate_grad_hook`);
#    the gradients are grouped into **buckets** (25 MiB by default) and each full bucket is flattened and averaged
#    with **one** all-reduce;
# 3. so when `loss.backward()` returns, every rank holds the averaged gradient, and `optimizer.step()` keeps the
#    copies equal.
#
# The program below trains the MLP for 10 steps on 2 ranks, each on its half of every batch, while rank 0 also trains
# a second copy on the whole batches alone, and compares. (Run here with the `mpiexec` that came with the MPICH wheel.)

# %%
PROGRAM = '''
import json, time
import numpy as np
import minigrad as mg, minigrad.distributed as dist, minigrad.nn as nn, minigrad.nn.functional as F
from minigrad.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group(backend="mpi")
rank, world = dist.get_rank(), dist.get_world_size()

def make_mlp():
    mg.manual_seed(1)
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3)).double()

ddp, alone = DDP(make_mlp()), make_mlp()
optimizer = mg.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
optimizer_alone = mg.optim.SGD(alone.parameters(), lr=0.1, momentum=0.9)
rng = np.random.default_rng(0)
for step in range(10):
    x, y = rng.standard_normal((32, 4)), rng.integers(0, 3, size=32)     # the same batch on every rank
    mine = slice(rank * 16, (rank + 1) * 16)                            # this rank's half
    optimizer.zero_grad()
    F.cross_entropy(ddp(mg.tensor(x[mine])), mg.tensor(y[mine])).backward()   # all-reduce inside
    optimizer.step()
    optimizer_alone.zero_grad()
    F.cross_entropy(alone(mg.tensor(x)), mg.tensor(y)).backward()
    optimizer_alone.step()
difference = max(float(np.abs(a.numpy() - b.numpy()).max()) for a, b in zip(ddp.parameters(), alone.parameters()))
if rank == 0:
    print(json.dumps({"world": world, "difference": difference, "all_reduces": ddp.all_reduce_calls,
                      "state_dict_keys": list(ddp.state_dict())[:2]}))
'''

if MPI:
    folder = Path(tempfile.mkdtemp())
    (folder / "program.py").write_text(PROGRAM)
    command = launch.mpiexec_command(2, [sys.executable, str(folder / "program.py")])
    done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                          env=launch.single_threaded_environment(), stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(" ".join(Path(c).name if i == 0 else c for i, c in enumerate(command)))
    print(result)
    assert result["world"] == 2 and result["difference"] < 1e-10 and result["all_reduces"] == 10
    assert result["state_dict_keys"] == ["module.0.weight", "module.0.bias"]     # PyTorch's "module." prefix
else:
    print("MPI is not installed, so the two processes cannot run here:", launch.INSTALL_HINT)

# %% [markdown]
# The two-rank training equals the one-process training to rounding (float64), after 10 steps, with one
# all-reduce per step (this small model's gradients fit in one bucket). The sentiment command line does the same with
# the one training loop: `mpiexec -n 2 python -m minigrad.sentiment train --distributed`; each rank computes half of
# every global batch, the batch size and learning rate stay the ones given, and rank 0 alone writes the run folder
# (`tests/test_distributed.py` checks it against one process).
#
# ## 4. What an all-reduce costs
#
# Each of $p$ ranks holds $N$ bytes of gradients; afterwards each must hold the sum. Three ways:
#
# * **naive**: every rank sends its whole array to every other rank: $(p-1)N$ bytes sent per rank, and it grows
#   with $p$;
# * **reduce to rank 0, then broadcast**: rank 0 receives $(p-1)N$ and sends $(p-1)N$: one rank is the bottleneck;
# * **ring**: arrange the ranks in a circle and cut each array into $p$ chunks of $N/p$.
#   *Reduce-scatter*: in each of $p-1$ steps every rank sends one chunk to its right neighbour, which adds it to its
#   own; after $p-1$ steps each rank holds the complete sum of one chunk. *All-gather*: $p-1$ more steps pass the
#   finished chunks around the circle. Every rank sends $2(p-1)$ chunks of $N/p$:
#
# $$\text{bytes sent per rank} = 2\,\frac{p-1}{p}\,N \;<\; 2N \quad\text{for any } p .$$
#
# All links are busy at once and no rank does more than the others, so the time hardly grows with $p$ — the reason
# NCCL and MPI use rings (and trees) for large messages. With $\alpha$ the fixed cost of a message (latency) and $\beta$
# the bandwidth, one ring all-reduce takes about $2(p-1)\,\alpha + 2\frac{p-1}{p}\frac{N}{\beta}$ (MPI picks other
# algorithms for small messages, where the $\alpha$ term dominates). For $p = 2$ the ring sends exactly $N$ per
# rank: the same as the naive exchange; the difference is what happens as $p$ grows.

# %%
def bytes_per_rank(p, n):
    return {"naive": (p - 1) * n, "reduce + broadcast (rank 0)": 2 * (p - 1) * n, "ring": 2 * (p - 1) / p * n}

N = 2.4e6     # the sentiment model's gradients: 0.6 M float32 numbers
for p in (2, 4, 8, 64):
    costs = bytes_per_rank(p, N)
    print(f"p = {p:2d}: " + ", ".join(f"{name} {value / N:5.2f} N" for name, value in costs.items()))
assert bytes_per_rank(2, N)["ring"] == N and bytes_per_rank(64, N)["ring"] < 2 * N < bytes_per_rank(4, N)["naive"]

ps = np.arange(2, 65)
fig, ax = plt.subplots(figsize=(6, 3))
for name in bytes_per_rank(2, N):
    ax.plot(ps, [bytes_per_rank(p, N)[name] / N for p in ps], label=name)
ax.set_xlabel("ranks p"); ax.set_ylabel("bytes sent by the busiest rank / N"); ax.set_yscale("log")
ax.set_title("all-reduce traffic per rank", fontsize=9); ax.legend(fontsize=8); plt.show()

# %% [markdown]
# ## 5. Latency and bandwidth, measured on this machine
#
# `python -m minigrad.distributed.bandwidth` (run by `mpiexec -n 2`) all-reduces arrays from 8 bytes to 16 MiB, each
# several times after a barrier, and reports the median time and the **bus bandwidth**
# $2\frac{p-1}{p} N / t$ (the bytes a rank really sends, per second). On one machine the "network" is shared
# memory, so $\beta$ is a memory copy's speed; across machines it is the network's, often 10-100x less.

# %%
MEASURED = Path("measured") / "allreduce_2_ranks.json"     # notebooks run in lessons/
if MPI:
    command = launch.mpiexec_command(2, [sys.executable, "-m", "minigrad.distributed.bandwidth",
                                         "--max-bytes", str(16 * 2 ** 20), "--repeats", "7"])
    done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                          env=launch.single_threaded_environment(), stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    sweep = json.loads(done.stdout.strip().splitlines()[-1])
    source = "measured now, load average " + " ".join(f"{v:.1f}" for v in os.getloadavg())
else:
    shipped = json.loads(MEASURED.read_text())
    sweep, source = shipped["result"], f"shipped figures ({shipped['command']}; {shipped['machine']})"
sizes, seconds, bus = (np.array(sweep[key]) for key in ("sizes", "seconds", "bus_gb_per_s"))
for n, t, b in zip(sizes, seconds, bus):
    print(f"{n:>10,} bytes: {t * 1e6:9.1f} us   {b:7.3f} GB/s")
latency = float(np.median(seconds[sizes <= 512]))          # small messages: the fixed cost alone


def bandwidth_at(nbytes):
    """The measured bus bandwidth (bytes/s) for messages of ``nbytes``, interpolated between the sweep's sizes."""
    return float(np.interp(np.log(nbytes), np.log(sizes), bus)) * 1e9


print(f"{source}\nlatency alpha ~ {latency * 1e6:.0f} us; bus bandwidth beta from {bus.min():.4f} to "
      f"{bus.max():.2f} GB/s (at {sizes[bus.argmax()]:,} bytes)")
assert seconds[-1] > seconds[0] and bus[-1] > 20 * bus[0]   # big messages: bandwidth-bound; tiny: latency-bound

fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
axes[0].loglog(sizes, seconds * 1e6, "o-"); axes[0].set_xlabel("message bytes"); axes[0].set_ylabel("us per all-reduce")
axes[0].axhline(latency * 1e6, color="gray", ls=":", label=f"latency ~ {latency * 1e6:.0f} us")
axes[0].legend(fontsize=8)
axes[1].semilogx(sizes, bus, "o-", color="C1"); axes[1].set_xlabel("message bytes"); axes[1].set_ylabel("bus GB/s")
fig.suptitle(f"all-reduce on 2 ranks, this machine ({source})", fontsize=9); plt.tight_layout(); plt.show()

# %% [markdown]
# Below a few kilobytes the time hardly depends on the size: the message's fixed cost (software, synchronisation,
# waking the other process) is all there is. Only large messages approach the machine's bandwidth. That is why DDP
# flattens many gradients into a few large buckets: a model's parameter tensors sent one by one would pay the
# latency once per tensor (section 6 counts it for the sentiment model). (On a machine busy with other work, a rank
# that is not scheduled when the message arrives adds its wait to the latency: the small-message times swing from
# run to run.) The bandwidth need not keep rising with the size, either (caches, and other work on the machine), so
# section 6 uses the bandwidth measured at the size of the gradients, not the best one. One more detail that matters
# at these sizes: receiving into *freshly allocated* memory at every step pays for the operating system's first
# touch of each page (several times slower for megabyte messages, in the runs made while writing this lesson); the
# sweep reuses one array, and DDP copies the gradients into one buffer per bucket that it keeps.
#
# ## 6. When communication eats the speedup
#
# A data-parallel step on $p$ ranks computes $1/p$ of the batch and then all-reduces all $G$ bytes of gradients
# (in $b$ buckets), however small the share of the batch was:
#
# $$T(p) = \frac{T_{\text{compute}}(1)}{p} + b\,\alpha + 2\frac{p-1}{p}\,\frac{G}{\beta(G)},\qquad
# \text{speedup}(p) = \frac{T(1)}{T(p)} ,$$
#
# with $\beta(G)$ the bus bandwidth section 5 measured for messages of $G$ bytes (not the best one of the sweep).
#
# The compute shrinks with $p$; the communication does not (it even grows towards $2G/\beta$). So the speedup
# flattens, and falls once the $\alpha$ and $G/\beta$ terms dominate — sooner for models with many parameters and
# little compute per parameter, and for small batches. (The model leaves out that PyTorch overlaps the all-reduce of
# early buckets with the rest of backward; minigrad's all-reduces are blocking.) Here $T_{\text{compute}}(1)$ is
# measured in this notebook: one training step of the sentiment Transformer (vocabulary 8,000, $d=64$, 2 layers) at
# batch 64 and at batch 8.

# %%
from minigrad.sentiment.model import TransformerClassifier

mg.manual_seed(0)
classifier = TransformerClassifier(8000, d_model=64, n_heads=4, n_layers=2, d_ff=128, max_len=64, dropout=0.0)
optimizer = mg.optim.AdamW(classifier.parameters(), lr=1e-3)
G = sum(p.numel() * p.element_size() for p in classifier.parameters())


def step_seconds(batch):
    ids = rng.integers(4, 8000, size=(batch, 24))
    mask, labels = np.ones_like(ids, dtype=bool), rng.integers(0, 2, size=batch)
    samples = []
    for _ in range(4):
        began = time.perf_counter()
        loss = F.cross_entropy(classifier(mg.tensor(ids), mg.tensor(mask)), mg.tensor(labels))
        optimizer.zero_grad(); loss.backward(); optimizer.step()
        samples.append(time.perf_counter() - began)
    return float(np.median(samples[1:]))


compute = {batch: step_seconds(batch) for batch in (64, 8)}
print(f"gradients G = {G / 1e6:.1f} MB; one step on one core: " + ", ".join(f"batch {b}: {t * 1e3:.1f} ms"
                                                                              for b, t in compute.items()))


def model_step(t1, p, buckets=1):
    return t1 if p == 1 else t1 / p + buckets * latency + 2 * (p - 1) / p * G / bandwidth_at(G)


print(f"all-reduce of the {G / 1e6:.1f} MB of gradients on 2 ranks, as measured: "
      f"{model_step(0.0, 2) * 1e3:.1f} ms ({bandwidth_at(G) / 1e9:.2f} GB/s)")


ps = np.array([1, 2, 4, 8, 16, 32, 64])
fig, ax = plt.subplots(figsize=(6.5, 3.4))
for batch, t1 in compute.items():
    speedups = np.array([t1 / model_step(t1, p) for p in ps])
    ax.plot(ps, speedups, "o-", label=f"batch {batch} ({t1 * 1e3:.0f} ms on 1 core)")
    print(f"batch {batch}: predicted speedup " + ", ".join(f"p={p}: {s:.1f}x" for p, s in zip(ps, speedups)))
    assert np.all(speedups[1:] < ps[1:])                     # never the ideal p: the all-reduce is never free
    assert speedups.argmax() < len(ps) - 1 or speedups[-1] < 0.5 * ps[-1]   # it flattens before p = 64
ax.plot(ps, ps, color="gray", ls=":", label="ideal"); ax.set_xscale("log", base=2); ax.set_yscale("log", base=2)
ax.set_xlabel("ranks p"); ax.set_ylabel("predicted speedup")
ax.set_title(f"the sentiment model, alpha {latency * 1e6:.0f} us, beta(G) {bandwidth_at(G) / 1e9:.2f} GB/s",
             fontsize=9)
ax.legend(fontsize=8); plt.show()
tensors = len(list(classifier.parameters()))
print(f"one bucket vs one all-reduce per tensor ({tensors} tensors): latency {latency * 1e3:.2f} ms vs "
      f"{tensors * latency * 1e3:.2f} ms per step")

# %% [markdown]
# Reading the curves (the numbers printed above are this machine's): at batch 8 a step computes for only a few
# milliseconds, so the all-reduce of the same 2.4 MB is a large part of it from $p = 2$ on, and more ranks soon stop
# helping — or make it slower than one process; at batch 64 the compute is 8x larger and hides the communication
# longer. The remedies follow from the formula: a larger batch per rank (or gradient
# accumulation with `no_sync()`: several micro-batches per all-reduce), fewer and bigger buckets, overlapping the
# all-reduce with backward, and a faster link (NCCL between GPUs, over NVLink). What the two cores of this machine
# actually give is measured by `python benchmarks/distributed.py` (steps per second on 1 process and on 2, the time
# split into compute and communication; `benchmarks/README.md` keeps the figures): on a machine busy with other work,
# the wait for the slower rank shows up as "communication" too, and can cost more than the transfer itself.
#
# > **Common mistakes**
# >
# > * **Summing** the ranks' gradients instead of averaging: the step is $p$ times too large (DDP averages; a
# >   hand-written `all_reduce` needs `ReduceOp.AVG`, or SUM and a division).
# > * A plain average over **unequal shards** (the last batch of an epoch): weight each by $n_r/N$, or make the shards
# >   equal (`DistributedSampler` pads or drops).
# > * Forgetting `sampler.set_epoch(epoch)`: every epoch repeats the first epoch's order.
# > * Ranks that **start from different weights** and no broadcast: the copies drift apart from step 1 (DDP copies rank
# >   0's weights at construction and refuses ranks whose models differ in shape).
# > * Keeping the per-rank batch and the learning rate when adding ranks: the global batch grows $p$ times. Decide which
# >   batch you mean (the command line keeps the global one fixed) and tune the learning rate for it.
# > * Gradient accumulation without dividing each micro-batch's loss by $k$: the gradient is $k$ times too large.
# > * A collective that only some ranks call (an `all_reduce` inside `if rank == 0:`): the others wait forever.
# > * Every rank printing, plotting and saving: $p$ copies that overwrite each other; let rank 0 do it.
# > * Calling the wait for a slower rank "communication": measure the transfer alone after a barrier.

# %% [markdown]
# ## Exercises
#
# Each exercise is a stub: its docstring gives the task, the signature and a hint, and its body raises
# `NotImplementedError`. Replace that line with your code and run the cell; the checker reports "not yet solved"
# until you do. Reference solutions: `lessons/_solutions/lesson16.py`.
#
# **Exercise 1 — unequal shards.** The last batch of an epoch has 13 examples on 4 ranks. Combine the ranks'
# gradients (each of its own shard's *mean* loss) into the whole batch's gradient.

# %%
from minigrad.check import lesson16

def combine_shard_gradients(gradients, sizes):
    """Return the whole batch's gradient (a NumPy array) from ``gradients[r]``, the gradient of the mean loss over
    rank r's shard, and ``sizes[r]``, the number of examples in that shard.

    Hint: section 1: the whole batch's mean loss is sum_r (n_r / N) L_r.
    """
    raise NotImplementedError("exercise 1: write combine_shard_gradients")

lesson16.exercise1(combine_shard_gradients)

# %% [markdown]
# **Exercise 2 — the ring all-reduce.** Simulate $p$ ranks in one process. `arrays[r]` is rank $r$'s 1-d array;
# the only way to move numbers is `received = send(src, dst, chunk)`, which returns what `dst` receives and counts the
# bytes — and in a ring, rank $r$ may only send to its right neighbour $(r+1) \bmod p$. Return the list of $p$
# arrays that every rank ends with, each the sum of all of them, with $2(p-1)/p \times N$ bytes sent per rank.

# %%
def ring_all_reduce(arrays, send):
    """Return [sum of arrays] * p (one NumPy array per rank), moving data only with send(r, (r + 1) % p, chunk).

    Hint: chunks = np.array_split(array, p) per rank. Reduce-scatter: in step s = 0..p-2 rank r sends its chunk
    (r - s) % p to rank r + 1, which adds it to its own chunk of that index. Then rank r holds the full sum of chunk
    (r + 1) % p. All-gather: in step s rank r sends chunk (r + 1 - s) % p, and the receiver overwrites its copy.
    """
    raise NotImplementedError("exercise 2: write ring_all_reduce")

lesson16.exercise2(ring_all_reduce)

# %% [markdown]
# **Exercise 3 — predict a step's time.** Write section 6's model of one data-parallel training step, so that the
# checker can ask it how many ranks pay off for a few models.

# %%
def predicted_step_seconds(compute_seconds, gradient_bytes, ranks, latency, bandwidth, buckets=1):
    """Seconds per step on ``ranks`` processes: the one-process compute time shared out, plus, when ranks > 1, one
    ring all-reduce of ``gradient_bytes`` per step in ``buckets`` messages (latency seconds each; bandwidth in
    bytes per second).

    Hint: T(p) = T(1) / p + buckets * latency + 2 (p - 1) / p * G / bandwidth; one process sends nothing.
    """
    raise NotImplementedError("exercise 3: write predicted_step_seconds")

lesson16.exercise3(predicted_step_seconds)

# %% [markdown]
# **Next:** train the sentiment classifier on two processes, `mpiexec -n 2 python -m minigrad.sentiment train
# --distributed`, and measure your own machine with `python benchmarks/distributed.py`; on a machine with GPUs the
# same code reduces `cuda` gradients through NCCL.
