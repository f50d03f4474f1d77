# %% [markdown]
# # Lesson 09 — GPU kernels: threads, blocks, grids, and minigrad's matmul and softmax
#
# **What you will learn**
# * how a CUDA kernel is launched: a **grid** of **blocks** of **threads**, and how each thread finds "its" element;
# * how to read minigrad's three hand-written matmul kernels — **naive**, **tiled** (shared memory) and
#   **register-blocked** — and its row-wise **softmax** kernel;
# * **why tiling helps**: we *count* every read from global memory each version makes, and derive the count;
# * how to check a kernel: run it on tiny, odd shapes and compare with NumPy;
# * in the exercises: a shared-memory block reduction and a tiled transpose, written and counted.
#
# **What this lesson assumes:** lessons 01–06 (matmul and softmax as tensor ops, their gradients).
# No GPU needed: when there is none, everything runs on **Numba's CUDA simulator** (`cudasim`), which
# executes the *same* kernel code thread by thread in Python — exact, but very slow, so **its timings
# say nothing about GPU speed**.  Shapes here are tiny on purpose.

# %%
import os
from pathlib import Path

import minigrad as mg

# Numba decides "real GPU or simulator" when numba.cuda is first imported, so this comes first.
if not mg.cuda.is_available():
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
SIMULATED = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
DEVICE = "cudasim" if SIMULATED else "cuda"
print(f"kernels run on: {DEVICE}" + ("  (Numba's CUDA simulator: correct results, meaningless timings)" if SIMULATED else ""))

import inspect
import math
import numpy as np
import matplotlib.pyplot as plt
from numba import cuda, float64
from kernels import matmul as km, softmax as ks, reduce as kr
import minigrad.nn.functional as F

rng = np.random.default_rng(0)
mg.manual_seed(0)


def show_source(obj):
    """Print the Python source of a function or of a @cuda.jit kernel (its original function)."""
    obj = getattr(obj, "py_func", obj)
    print(inspect.getsource(inspect.unwrap(obj)))

# %% [markdown]
# ## 1. Threads, blocks and grids
#
# A kernel is one function that many threads run at once.  They are organised in two levels:
#
# * a **block** of up to 1024 threads (`cuda.blockDim` of them) that run on one streaming multiprocessor,
#   can share a small fast memory (**shared memory**) and can wait for each other (`cuda.syncthreads()`);
# * a **grid** of blocks (`cuda.gridDim` of them), which cannot talk to each other during the launch.
#
# Each thread knows its block number `cuda.blockIdx.x` and its number inside the block `cuda.threadIdx.x`,
# and computes a global index
#
# $$ i = \texttt{blockIdx.x}\cdot\texttt{blockDim.x} + \texttt{threadIdx.x} \qquad(\texttt{cuda.grid(1)}\text{ is this}).$$
#
# To cover $n$ elements with blocks of $T$ threads we launch $\lceil n/T\rceil$ blocks.  The last block usually
# has more threads than elements left, so every kernel starts with a **guard** `if i < n:`.
#
# The kernel below only records, for every element, which block and which thread wrote it.

# %%
@cuda.jit
def who_wrote_me(block_of, thread_of):
    i = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    if i < block_of.size:                 # the guard: the last block has spare threads
        block_of[i] = cuda.blockIdx.x
        thread_of[i] = cuda.threadIdx.x

n, threads = 37, 8
blocks = (n + threads - 1) // threads    # ceil(37 / 8) = 5 blocks = 40 threads, 3 of them idle
block_of, thread_of = np.full(n, -1), np.full(n, -1)
who_wrote_me[blocks, threads](block_of, thread_of)
print("block :", block_of)
print("thread:", thread_of)
assert np.array_equal(block_of * threads + thread_of, np.arange(n))

# %% [markdown]
# Matrices use 2-D blocks and grids.  By convention (and in minigrad's kernels) **x runs along columns
# and y along rows**: `col = blockIdx.x * blockDim.x + threadIdx.x`, `row = blockIdx.y * blockDim.y + threadIdx.y`,
# and the grid is `(ceil(N / bx), ceil(M / by))`.  Here a 10 x 13 matrix is covered by 4 x 4 blocks:

# %%
@cuda.jit
def block_map(block_id):
    row = cuda.blockIdx.y * cuda.blockDim.y + cuda.threadIdx.y
    col = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    if row < block_id.shape[0] and col < block_id.shape[1]:
        block_id[row, col] = cuda.blockIdx.y * cuda.gridDim.x + cuda.blockIdx.x

M, N, B = 10, 13, 4
grid = ((N + B - 1) // B, (M + B - 1) // B)
block_id = np.full((M, N), -1)
block_map[grid, (B, B)](block_id)
plt.figure(figsize=(5, 3.6))
plt.imshow(block_id, cmap="tab20")
for r in range(M):
    for c in range(N):
        plt.text(c, r, block_id[r, c], ha="center", va="center", fontsize=7)
plt.title(f"which block computes each element: grid {grid}, blocks (4, 4)", fontsize=9)
plt.xlabel("column (x)"); plt.ylabel("row (y)"); plt.show()
assert (block_id >= 0).all()

# %% [markdown]
# When there are more elements than threads you want to launch, each thread can loop with a stride of the whole grid
# (`for i in range(cuda.grid(1), n, cuda.gridsize(1))`): the **grid-stride loop** that minigrad's elementwise
# kernels (`kernels/activations.py`) use.
#
# ## 2. Matrix multiply: the formula, its gradient, and three kernels
#
# $$C_{ij} = \sum_{k=1}^{K} A_{ik} B_{kj}, \qquad A \in \mathbb R^{M\times K},\ B\in\mathbb R^{K\times N}.$$
#
# With $G = \partial L/\partial C$, $C_{ij}$ depends on $A_{ik}$ with coefficient $B_{kj}$, so
# $\frac{\partial L}{\partial A_{ik}} = \sum_j G_{ij} B_{kj}$, i.e. $\partial L/\partial A = G B^\top$, and likewise
# $\partial L/\partial B = A^\top G$.  The backward pass is two more matmuls with a transposed operand — which is
# why `kernels.matmul.matmul` takes `transpose_a` / `transpose_b` flags instead of copying.  Autograd agrees with
# finite differences:

# %%
a64 = mg.randn(3, 4, dtype=mg.float64, requires_grad=True)
b64 = mg.randn(4, 2, dtype=mg.float64, requires_grad=True)
print("gradcheck(matmul):", mg.autograd.gradcheck(lambda a, b: a @ b, (a64, b64)))
(a64 @ b64).sum().backward()
np.testing.assert_allclose(a64.grad.numpy(), np.ones((3, 2)) @ b64.numpy().T)   # G B^T with G = ones

# %% [markdown]
# ### Version 1: naive — one thread per output
# Thread $(i, j)$ walks along $k$ reading a row of $A$ and a column of $B$ straight from global memory.
# (Every kernel takes its accumulator's type from its input, `c.dtype.type(0)`, so a float32 product adds in
# float32; `first_row_block` and `first_batch` let the launcher split a grid too tall for the GPU.)

# %%
show_source(km.matmul_naive_kernel)

# %% [markdown]
# ### Version 2: tiled — share what neighbours read
# Threads in the same block row all need the same row of $A$; threads in the same block column the same column
# of $B$.  So a 16 x 16 block walks along $k$ in steps of 16: at each step each thread loads **one** number of
# $A$'s tile and **one** of $B$'s into shared memory, the block synchronises, and then every thread does 16
# multiply-adds reading only shared memory.  Two `syncthreads()` per step: one so nobody reads a half-loaded
# tile, one so nobody overwrites a tile someone is still reading.

# %%
show_source(km.matmul_tiled_kernel)

# %% [markdown]
# ### Version 3: register-blocked — each thread computes a 4 x 4 patch
# The block now covers 64 x 64 outputs with the same 256 threads.  Each thread keeps its 16 partial sums in
# registers (`cuda.local.array`), and per $k$ it reads 4 numbers of $A$ and 4 of $B$ from shared memory and does
# 16 multiply-adds: an outer product.  Bigger blocks reuse every global load 64 times instead of 16.

# %%
show_source(km.matmul_register_kernel)

# %% [markdown]
# ### Checking them on tiny, odd shapes
# Odd sizes (not multiples of 16 or 64) exercise every edge guard; the transposed flags exercise the backward
# pass's reads.  Each result is compared with NumPy's matmul.

# %%
cases = [((2, 5, 7), (2, 7, 3), False, False), ((1, 17, 9), (1, 9, 20), False, False),
         ((1, 7, 5), (1, 7, 3), True, False), ((1, 5, 7), (1, 3, 7), False, True)]
for version in ("naive", "tiled", "register"):
    for a_shape, b_shape, ta, tb in cases:
        a = rng.standard_normal(a_shape).astype(np.float32)
        b = rng.standard_normal(b_shape).astype(np.float32)
        expected = (a.transpose(0, 2, 1) if ta else a) @ (b.transpose(0, 2, 1) if tb else b)
        got = km.matmul(a, b, transpose_a=ta, transpose_b=tb, version=version)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    print(f"{version:8s} matches NumPy on {len(cases)} odd shapes (incl. transposed operands)")

# %% [markdown]
# ## 3. Why tiling helps: counting global memory reads
#
# A GPU does far more arithmetic per second than it can fetch numbers from its main (global) memory: an H100
# does ~50 TFLOP/s in float32 but moves ~3 TB/s, i.e. ~17 flops per **byte** read, and a float32 is 4 bytes: ~67
# flops for every number fetched (the cell below does the division).  A kernel that does fewer flops per number it
# reads waits for memory.  A matmul does $2MNK$ flops, so what matters is **how many numbers each version reads
# from global memory**.

# %%
flops_per_second, bytes_per_second = 50e12, 3e12          # H100 SXM, float32 without tensor cores; HBM3
flops_per_byte = flops_per_second / bytes_per_second
flops_per_float32 = flops_per_byte * 4
print(f"{flops_per_byte:.1f} flops per byte = {flops_per_float32:.0f} flops per float32 read")
assert round(flops_per_byte) == 17 and round(flops_per_float32) == 67

# %% [markdown]
#
# * **naive**: each of the $MN$ threads reads $K$ numbers of $A$ and $K$ of $B$: $\;2MNK$ reads.
# * **tiled** with tile $T$: consider $A$.  Block row $b_r$ (up to $T$ rows of $C$) needs its $T$ rows of $A$ in full,
#   once for **every block column**; there are $\lceil N/T\rceil$ block columns.  So $A$ is read
#   $M K \lceil N/T\rceil$ times and, by symmetry, $B$ is read $K N\lceil M/T\rceil$ times:
#   $$\text{reads}_\text{tiled} = MK\lceil N/T\rceil + KN\lceil M/T\rceil \;\approx\; 2MNK/T .$$
# * **register-blocked**: the same argument with blocks of 64 x 64 outputs: $MK\lceil N/64\rceil + KN\lceil M/64\rceil$.
#
# We don't have to trust the algebra.  The simulator stores a kernel's arguments in `FakeCUDAArray` objects and
# every `a[b, i, k]` inside a kernel goes through its `__getitem__`; we wrap that method with a counter and run
# each kernel for real.  (Shared-memory and register arrays are ordinary arrays in the simulator, so they are not
# counted — exactly the distinction we want.)  This cell needs the simulator; on a real GPU it is skipped.

# %%
def formula_reads(version, m, n, k):
    if version == "naive":
        return 2 * m * n * k
    size = km.TILE if version == "tiled" else km.BLOCK_MN
    return m * k * math.ceil(n / size) + k * n * math.ceil(m / size)


def counted_reads(version, m, n, k):
    """Run the kernel on the simulator and count reads of its global-memory arguments."""
    from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray
    original = FakeCUDAArray.__getitem__
    count = [0]

    def counting_getitem(self, index):
        count[0] += 1
        return original(self, index)

    a = rng.standard_normal((1, m, k)).astype(np.float32)
    b = rng.standard_normal((1, k, n)).astype(np.float32)
    FakeCUDAArray.__getitem__ = counting_getitem
    try:
        km.matmul(a, b, version=version)
    finally:
        FakeCUDAArray.__getitem__ = original
    return count[0]

if SIMULATED:
    for m, n, k in [(5, 3, 7), (17, 33, 19), (32, 32, 16)]:
        row = []
        for version in ("naive", "tiled", "register"):
            counted, predicted = counted_reads(version, m, n, k), formula_reads(version, m, n, k)
            assert counted == predicted, (version, m, n, k, counted, predicted)
            row.append(f"{version} {counted:6d}")
        print(f"M={m:2d} N={n:2d} K={k:2d}:  " + "   ".join(row) + "   (all equal to the formulas)")
else:
    print("skipped: counting reads needs the simulator (this process uses the real GPU)")

# %%
sizes = np.array([16, 32, 64, 128, 256, 512, 1024, 2048, 4096])
plt.figure(figsize=(5.5, 3.6))
for version in ("naive", "tiled", "register"):
    plt.plot(sizes, [formula_reads(version, s, s, s) * 4 / 1e9 for s in sizes], marker="o", label=version)
plt.xscale("log", base=2); plt.yscale("log")
plt.xlabel("M = N = K"); plt.ylabel("GB read from global memory (float32)")
plt.title("global memory traffic of a square matmul"); plt.legend(); plt.show()
print(f"at 1024^3: naive {formula_reads('naive', 1024, 1024, 1024) * 4 / 1e9:.1f} GB, "
      f"tiled {formula_reads('tiled', 1024, 1024, 1024) * 4 / 1e9:.2f} GB, "
      f"register {formula_reads('register', 1024, 1024, 1024) * 4 / 1e9:.3f} GB")

# %% [markdown]
# Fewer global reads is not the whole story — caches catch many of the naive kernel's repeated reads, and the
# register version also cuts *shared*-memory reads (8 per 16 multiply-adds instead of 2 per 1) — but it is the
# first-order reason the ladder gets faster.
#
# ## 4. Softmax: one block per row
#
# For a row $x$: $m = \max_j x_j$, $S = \sum_j e^{x_j - m}$, $y_j = e^{x_j - m}/S$.  Subtracting $m$ changes nothing
# mathematically ($e^{-m}$ cancels) but keeps every exponent $\le 0$, so nothing overflows.
#
# Backward: $\partial y_j/\partial x_k = y_j(\delta_{jk} - y_k)$, so with $g = \partial L/\partial y$,
# $$\frac{\partial L}{\partial x_k} = \sum_j g_j\, y_j(\delta_{jk}-y_k) = y_k\Big(g_k - \sum_j g_j y_j\Big).$$
# One dot product per row, then an elementwise formula.
#
# The kernel gives each row to one block.  Threads stride along the row, and the block combines its
# threads' partial maxima and sums with a **shared-memory tree reduction** (`block_max`, `block_sum` in
# `kernels/reduce.py`): $\log_2 T$ halving steps with a `syncthreads()` between them.  This is the "fused"
# rung of the softmax ladder in `kernels/softmax.py`; the "online" rung above it finds max and sum in one
# pass with warp shuffles (`python -m kernels.softmax` checks and times every rung).

# %%
show_source(ks.row_max_and_sum_tree)
show_source(ks.softmax_fused_kernel)
show_source(kr.block_sum)

# %%
x = rng.standard_normal((4, 37))            # 4 rows, 37 columns: longer than some blocks, not a power of two
x[0] *= 1e4                                  # a row with huge logits: the max-subtraction must hold
g = rng.standard_normal((4, 37))
e = np.exp(x - x.max(axis=1, keepdims=True))
for block_size in (1, 8, 64):                # rows longer AND shorter than the block
    y = ks.softmax_forward(x, version="fused", block_size=block_size)
    np.testing.assert_allclose(y, e / e.sum(axis=1, keepdims=True), rtol=1e-10, atol=1e-12)
    dx = ks.softmax_backward(g, y, block_size=block_size)
    np.testing.assert_allclose(dx, y * (g - (g * y).sum(axis=1, keepdims=True)), rtol=1e-9, atol=1e-12)
print("softmax forward and backward kernels match NumPy for block sizes 1, 8, 64; row sums:", y.sum(axis=1).round(12))

# The backward formula is the derivative of softmax: compare with minigrad's autograd (CPU) and gradcheck.
x_t = mg.tensor(x[1:], dtype=mg.float64, requires_grad=True)
(F.softmax(x_t, dim=1) * mg.tensor(g[1:])).sum().backward()
np.testing.assert_allclose(ks.softmax_backward(g[1:], ks.softmax_forward(x[1:])), x_t.grad.numpy(), rtol=1e-9, atol=1e-12)
print("gradcheck(softmax):", mg.autograd.gradcheck(lambda t: F.softmax(t, dim=-1), (mg.randn(3, 6, dtype=mg.float64, requires_grad=True),)))

# %% [markdown]
# ## 5. The same kernels behind the engine
#
# minigrad's tensors on `device="cudasim"` (or `"cuda"`) run every op through these kernels
# (`minigrad/backends/cuda_backend.py`); the ops and the autograd code do not change.  A tiny attention-like
# computation, forward and backward, on the kernel device and on the CPU:

# %%
try:
    q_cpu = mg.randn(3, 5, dtype=mg.float64, requires_grad=True)
    q_dev = q_cpu.detach().to(DEVICE).requires_grad_()
    for q in (q_cpu, q_dev):
        (F.softmax(q @ q.T, dim=-1).sum(dim=0) ** 2).sum().backward()
    np.testing.assert_allclose(q_dev.grad.numpy(), q_cpu.grad.numpy(), rtol=1e-8, atol=1e-10)
    print(f"gradients on {DEVICE!r} match the CPU's")
except Exception as error:   # the GPU backend is optional: say so instead of failing the lesson
    print(f"skipped: device {DEVICE!r} is not usable in this build of minigrad ({type(error).__name__}: {error})")

# %% [markdown]
# ## 6. How fast is it on a real GPU?
#
# Speed can only be measured on real hardware.  `python -m benchmarks --quick` times every kernel version on the
# CPU and (when there is one) the GPU and writes its results; `benchmarks/README.md` keeps the figures measured so far.

# %%
readme = Path("..") / "benchmarks" / "README.md"      # notebooks run in lessons/
text = readme.read_text() if readme.exists() else ""
lines = text.splitlines()
headings = [i for i, line in enumerate(lines) if line.startswith("## ")] + [len(lines)]
def results_section(word):
    """The lines of the README section whose heading names `word` (CPU or GPU) and results."""
    for start, end in zip(headings, headings[1:]):
        if word in lines[start] and "result" in lines[start].lower():
            return lines[start:end]
    return []
cpu_matmul = [line for line in results_section("CPU") if line.startswith("matmul ") and " forward " in line]
print("CPU, minigrad vs NumPy vs PyTorch:\n" + "\n".join(cpu_matmul[:6]) if cpu_matmul else "no CPU figures measured yet")
gpu = results_section("GPU")
print("\n".join(gpu[:30]) if gpu else "\nNo GPU benchmark figures measured yet (benchmarks/README.md has none). "
      "On a machine with an NVIDIA GPU run:  python -m benchmarks kernels crossover --device cuda")

# %% [markdown]
# > **Common mistakes**
# >
# > * `n // threads` blocks instead of `ceil(n / threads)`: the last partial block is never launched and the tail of
# >   the array is silently left unwritten.
# > * No guard (`if row < M and col < N`): the spare threads of the last block write past the end (on a GPU: memory
# >   corruption or a crash; the simulator raises `IndexError`).
# > * Swapping x and y: `threadIdx.x` should move along a row's **columns**, so neighbouring threads touch
# >   neighbouring addresses (coalesced reads).  Swapped, the code is still right but much slower.
# > * A `syncthreads()` inside an `if` that only some threads reach: **undefined behaviour**. The block may hang, may
# >   seem to work, or may compute garbage, and the outcome can change between GPUs and driver versions — so a
# >   test that passes proves nothing. Every thread of a block must reach every `syncthreads()`.
# > * A tree reduction without a `syncthreads()` between its halving steps: a thread reads a partial sum before its
# >   neighbour has written it. The simulator often hides this race; a GPU does not.
# > * Timing the simulator and concluding anything about GPU speed; or timing a real GPU without
# >   `mg.cuda.synchronize()` (launches are asynchronous).

# %% [markdown]
# ## Exercises
#
# Each exercise is a stub: its docstring gives the task, the signature and a hint, and its body raises
# `NotImplementedError`. Replace that line with your code and run the cell; the checker reports "not yet solved"
# until you do. The kernels run on the simulator when there is no GPU, where the checker also counts every read
# of global memory. Reference solutions: `lessons/_solutions/lesson09.py`.
#
# **Exercise 1 — a block reduction.** Write a kernel in which each block of `THREADS = 64` threads sums its 64
# elements of `x` with a shared-memory tree reduction (section 4's picture, with a fixed block size) and writes one
# partial sum per block. The checker launches it on sizes that are and are not multiples of 64, and checks that it
# reads every element of `x` exactly once.

# %%
from minigrad.check import lesson09

THREADS = 64

@cuda.jit
def block_sum_kernel(x, partial):
    """partial[b] = sum of x[b*64 : (b+1)*64] (missing elements count as 0), for a launch [ceil(n/64), 64].

    Hint: shared = cuda.shared.array(THREADS, float64); each thread loads its element (or 0 beyond the end) into
    shared[t]; then for stride 32, 16, ..., 1: syncthreads, and threads t < stride add shared[t + stride];
    thread 0 writes partial[blockIdx.x]. Every thread must reach every syncthreads (no early return).
    """
    raise NotImplementedError("exercise 1: write block_sum_kernel")

lesson09.exercise1(block_sum_kernel)

# %% [markdown]
# **Exercise 2 — counting the reads of a full sum.** Summing $n$ numbers with `block_sum_kernel` takes several
# launches: the first leaves $\lceil n/64\rceil$ partial sums, the next sums those, and so on until one number is left.
# How many global-memory reads does that make in total? The checker runs the launches on the simulator and counts.

# %%
def full_sum_reads(n, threads=64):
    """Total reads of global memory to reduce n numbers to 1 by repeated block sums of `threads` each (n >= 1).

    Hint: each launch reads every number it is given exactly once and leaves ceil(count / threads) of them;
    stop when one number is left (n = 1 needs no launch).
    """
    raise NotImplementedError("exercise 2: write full_sum_reads")

lesson09.exercise2(full_sum_reads)

# %% [markdown]
# **Exercise 3 — a tiled transpose.** `out = a.T` for a 2-D `a`, with $16\times16$ blocks. A naive transpose either
# reads or writes with a stride of a whole row (uncoalesced). The tiled version reads a tile row by row into shared
# memory, synchronises, and writes it out row by row *of the output*, so both global accesses are coalesced.
# The checker compares with NumPy on odd shapes and checks that `a` is read exactly once per element.

# %%
TILE = 16

@cuda.jit
def transpose_kernel(a, out):
    """out[j, i] = a[i, j] for a of shape (M, N) and out of shape (N, M); launch grid (ceil(N/16), ceil(M/16)),
    blocks (16, 16).

    Hint: tile = cuda.shared.array((TILE, TILE + 1), float64) (the +1 avoids bank conflicts); load
    tile[ty, tx] = a[by*16 + ty, bx*16 + tx] if inside a; syncthreads; then write out[bx*16 + ty, by*16 + tx] =
    tile[tx, ty] if inside out (block indices swapped, thread indices swapped inside the tile).
    """
    raise NotImplementedError("exercise 3: write transpose_kernel")

lesson09.exercise3(transpose_kernel)

# %% [markdown]
# **Next:** lesson 10 builds attention — the layer these kernels end up running most.
