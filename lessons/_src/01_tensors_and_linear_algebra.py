# %% [markdown]
# # Lesson 01 — Tensors and linear algebra
#
# **What you will learn**
# * what a minigrad `Tensor` is, and how it relates to a NumPy array;
# * matrix multiplication $C_{ij} = \sum_k A_{ik} B_{kj}$, written as three loops and then as `@`;
# * the matrix inverse ($A A^{-1} = I$), the dot product and the cross product;
# * NumPy's broadcasting rules, which minigrad follows exactly;
# * the gradient of each of these operations, derived by hand and confirmed with `mg.autograd.gradcheck`.
# * how many digits `float16`, `bfloat16`, `float32` and `float64` keep, and how far they reach.
#
# **What this lesson assumes:** Python, a little NumPy (arrays, `shape`, indexing), and what a matrix and a
# derivative are. Gradients appear here as a *check* only. Lesson 04 explains how autograd computes them.
#
# Run the cells from top to bottom. Each claim is checked by an `assert` against NumPy, so if a cell runs
# without an error, the claim holds.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg

mg.manual_seed(0)
rng = np.random.default_rng(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. A tensor is an array that remembers where it came from
#
# `mg.tensor(data)` makes a tensor; `t.numpy()` gives its numbers back as a NumPy array (on the CPU, in this
# lesson). The dtype follows PyTorch's rules: Python floats become `float32`, and a NumPy array keeps its own
# dtype. What a tensor adds to an array is the `requires_grad` flag and a record of the operation that produced
# it. Lesson 04 covers that record.

# %%
a = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
b = mg.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))      # a float64 NumPy array stays float64
print(a, a.dtype, a.shape)
print(b.dtype, type(b.numpy()))
np.testing.assert_array_equal(a.numpy(), b.numpy())
assert a.dtype == mg.float32 and b.dtype == mg.float64

# %% [markdown]
# ## 2. Matrix multiplication
#
# For $A$ of shape $(m, k)$ and $B$ of shape $(k, n)$ the product $C = AB$ has shape $(m, n)$ and
#
# $$C_{ij} = \sum_{k} A_{ik}\, B_{kj}.$$
#
# Entry $(i, j)$ is the dot product of **row $i$ of $A$** with **column $j$ of $B$**. The inner sizes must
# agree, and the outer sizes give the shape of the result. Written as loops:

# %%
def matmul_loops(A, B):
    m, k = A.shape
    k2, n = B.shape
    assert k == k2, f"inner sizes differ: {A.shape} @ {B.shape}"
    C = np.zeros((m, n))
    for i in range(m):
        for j in range(n):
            for p in range(k):
                C[i, j] += A[i, p] * B[p, j]
    return C

A_np, B_np = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
C_loops = matmul_loops(A_np, B_np)
C_mg = mg.tensor(A_np) @ mg.tensor(B_np)
np.testing.assert_allclose(C_loops, A_np @ B_np, rtol=1e-12)
np.testing.assert_allclose(C_mg.numpy(), A_np @ B_np, rtol=1e-12)
print(C_mg)

# %% [markdown]
# The loops and `@` compute the same numbers, but at very different speeds. `@` calls an optimised BLAS
# routine, while the loops run $m\,n\,k$ Python operations one at a time. The plot shows the gap on a log
# scale:

# %%
def seconds(fn, *args, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best

sizes = [4, 8, 16, 24, 32]
loop_times, blas_times = [], []
for n in sizes:
    X, Y = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    loop_times.append(seconds(matmul_loops, X, Y, repeat=1))
    Xt, Yt = mg.tensor(X), mg.tensor(Y)
    blas_times.append(seconds(lambda: Xt @ Yt))

plt.figure(figsize=(5, 3.5))
plt.semilogy(sizes, loop_times, "o-", label="three Python loops")
plt.semilogy(sizes, blas_times, "s-", label="mg @ (NumPy/BLAS)")
plt.xlabel("n  (n x n matrices)"); plt.ylabel("seconds"); plt.legend(); plt.title("Same formula, different speed")
plt.show()

# %% [markdown]
# ### The gradient of a matrix product
#
# Suppose a scalar loss $L$ depends on $C$, and we already know $G = \partial L/\partial C$ (same shape as $C$).
# $A_{ik}$ appears in $C_{ij}$ for every $j$, with coefficient $B_{kj}$, so by the chain rule
#
# $$\frac{\partial L}{\partial A_{ik}} = \sum_j G_{ij} B_{kj} = (G B^\top)_{ik},
# \qquad
# \frac{\partial L}{\partial B_{kj}} = \sum_i A_{ik} G_{ij} = (A^\top G)_{kj}.$$
#
# The shapes confirm it: $G$ is $(m,n)$ and $B^\top$ is $(n,k)$, so $GB^\top$ is $(m,k)$, the shape of $A$.
# `gradcheck` compares the gradients autograd computes with finite differences
# $\big(L(x+\epsilon) - L(x-\epsilon)\big)/2\epsilon$:

# %%
A = mg.tensor(A_np, requires_grad=True)
B = mg.tensor(B_np, requires_grad=True)
C = A @ B
G = rng.standard_normal(C.shape)
C.backward(G)                         # pretend dL/dC = G
np.testing.assert_allclose(A.grad.numpy(), G @ B_np.T, rtol=1e-12)
np.testing.assert_allclose(B.grad.numpy(), A_np.T @ G, rtol=1e-12)
assert mg.autograd.gradcheck(lambda a, b: a @ b, (A, B))
print("dL/dA = G B^T and dL/dB = A^T G: confirmed by hand and by gradcheck")

# %% [markdown]
# ## 3. The inverse
#
# $A^{-1}$ is the matrix with $A A^{-1} = A^{-1} A = I$. Only square matrices with non-zero determinant have
# one. To find its gradient, write $B = A^{-1}$ and differentiate $AB = I$:
#
# $$dA\,B + A\,dB = 0 \quad\Longrightarrow\quad dB = -A^{-1}\,dA\,A^{-1} = -B\,dA\,B .$$
#
# For a loss with $G = \partial L/\partial B$:
# $dL = \langle G, dB\rangle = \langle G, -B\,dA\,B\rangle = \langle -B^\top G B^\top, dA\rangle$, so
# $\partial L/\partial A = -B^\top G B^\top$.

# %%
M_np = rng.standard_normal((4, 4)) + 4 * np.eye(4)      # + 4I keeps it far from singular
M = mg.tensor(M_np, requires_grad=True)
M_inv = mg.linalg.inv(M)
np.testing.assert_allclose((M @ M_inv).numpy(), np.eye(4), atol=1e-12)
np.testing.assert_allclose(M_inv.numpy(), np.linalg.inv(M_np), rtol=1e-10)

G = rng.standard_normal((4, 4))
M_inv.backward(G)
Bi = np.linalg.inv(M_np)
np.testing.assert_allclose(M.grad.numpy(), -Bi.T @ G @ Bi.T, rtol=1e-10)
assert mg.autograd.gradcheck(mg.linalg.inv, (M,))
print("A A^-1 = I, and dL/dA = -A^-T G A^-T")

# %% [markdown]
# An almost-singular matrix has an inverse with huge entries, and its gradient is larger still (it contains
# $B$ twice). The plot follows $\|A^{-1}\|$ as $A = \begin{pmatrix}1 & 1\\ 1 & 1+\delta\end{pmatrix}$ approaches
# the singular matrix ($\delta \to 0$):

# %%
deltas = np.logspace(-6, 0, 25)
norms = [np.abs(mg.linalg.inv(mg.tensor(np.array([[1.0, 1.0], [1.0, 1.0 + d]]))).numpy()).max() for d in deltas]
plt.figure(figsize=(5, 3.5))
plt.loglog(deltas, norms, ".-")
plt.xlabel("delta"); plt.ylabel("largest |entry| of A^-1"); plt.title("Near-singular: the inverse explodes like 1/delta")
plt.show()
np.testing.assert_allclose(norms, (1 + deltas) / deltas, rtol=1e-6)   # the exact inverse has (1+d)/d in a corner

# %% [markdown]
# ## 4. Dot product and cross product
#
# **Dot product** of two vectors: $a\cdot b = \sum_i a_i b_i$, so $\partial (a\cdot b)/\partial a = b$ and
# $\partial (a\cdot b)/\partial b = a$.
#
# **Cross product** of two 3-vectors:
#
# $$a\times b = \begin{pmatrix} a_1 b_2 - a_2 b_1 \\ a_2 b_0 - a_0 b_2 \\ a_0 b_1 - a_1 b_0\end{pmatrix}\quad(\text{0-based}),$$
#
# It is perpendicular to both $a$ and $b$, and its length is $|a||b|\sin\theta$. For its gradient, use the
# cyclic symmetry of the scalar triple product, $g\cdot(a\times b) = a\cdot(b\times g) = b\cdot(g\times a)$. It
# gives $\partial L/\partial a = b\times g$ and $\partial L/\partial b = g\times a$.

# %%
a_np, b_np = rng.standard_normal(3), rng.standard_normal(3)
a = mg.tensor(a_np, requires_grad=True)
b = mg.tensor(b_np, requires_grad=True)

np.testing.assert_allclose(mg.dot(a, b).item(), np.dot(a_np, b_np), rtol=1e-12)
c = mg.cross(a, b)
np.testing.assert_allclose(c.numpy(), np.cross(a_np, b_np), rtol=1e-12)
np.testing.assert_allclose([np.dot(c.numpy(), a_np), np.dot(c.numpy(), b_np)], [0, 0], atol=1e-12)  # perpendicular

g = rng.standard_normal(3)
c.backward(g)
np.testing.assert_allclose(a.grad.numpy(), np.cross(b_np, g), rtol=1e-12)
np.testing.assert_allclose(b.grad.numpy(), np.cross(g, a_np), rtol=1e-12)
assert mg.autograd.gradcheck(mg.dot, (a, b))
assert mg.autograd.gradcheck(mg.cross, (a, b))
print("a . b =", mg.dot(a, b).item(), "  a x b =", c.numpy())

# %% [markdown]
# ## 5. Broadcasting
#
# An elementwise operation on two tensors of different shapes follows NumPy's rule:
#
# 1. Line the shapes up **from the right**. Where one shape is shorter, pad it on the left with 1s.
# 2. In each position the two sizes must be **equal, or one of them must be 1**. A size-1 axis is stretched
#    (copied) to match the other.
# 3. The result takes the larger size in each position.
#
# For example, `(4, 1) + (3,)` pads to `(4, 1)` and `(1, 3)`, and gives `(4, 3)`. No copy is made in memory;
# the values are read as if they had been copied.

# %%
col = mg.tensor(np.arange(4.0).reshape(4, 1))
row = mg.tensor(np.arange(3.0) * 10)
table = col + row
print(table)
np.testing.assert_array_equal(table.numpy(), np.arange(4.0).reshape(4, 1) + np.arange(3.0) * 10)
for shape_a, shape_b in [((4, 1), (3,)), ((2, 1, 5), (3, 1)), ((), (2, 2))]:
    x, y = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    np.testing.assert_allclose((mg.tensor(x) * mg.tensor(y)).numpy(), x * y)
    assert (mg.tensor(x) * mg.tensor(y)).shape == np.broadcast_shapes(shape_a, shape_b)
try:
    mg.tensor(np.ones((2, 3))) + mg.tensor(np.ones((2,)))
except RuntimeError as error:  # as in PyTorch, a shape problem is a RuntimeError
    print(error)

# %%
plt.figure(figsize=(4, 3))
plt.imshow(table.numpy(), cmap="viridis")
plt.colorbar(); plt.title("(4,1) + (3,)  ->  (4,3)"); plt.xlabel("from the row vector"); plt.ylabel("from the column")
plt.show()

# %% [markdown]
# **Broadcasting and gradients.** A size-1 axis that was stretched was used several times, so its gradient is
# the **sum** of the gradients of all its copies. A bias $b$ of shape $(3,)$ added to a batch $X$ of shape
# $(4, 3)$ therefore gets $\partial L/\partial b = \sum_{\text{rows}} G$. Lesson 04 shows where minigrad does
# this (`sum_to_shape`).

# %%
X = mg.tensor(rng.standard_normal((4, 3)), requires_grad=True)
bias = mg.tensor(rng.standard_normal(3), requires_grad=True)
G = rng.standard_normal((4, 3))
(X + bias).backward(G)
np.testing.assert_allclose(bias.grad.numpy(), G.sum(axis=0), rtol=1e-12)
assert mg.autograd.gradcheck(lambda x, b: x * b, (X, bias))
print("the bias gradient is G summed over the batch:", bias.grad.numpy())

# %% [markdown]
# ## 6. Numbers have limited precision (a thread through the course)
#
# A `float32` keeps 24 significant bits, a `float64` 53. The gap between 1 and the next number is the **machine
# epsilon**, $2^{-23}\approx 1.2\times10^{-7}$ and $2^{-52}\approx 2.2\times10^{-16}$: adding less than about half of it to 1 changes
# nothing. The 16-bit formats used to train large models trade precision or range: `float16` has 11 significant
# bits and overflows above 65504; `bfloat16` keeps `float32`'s 8 exponent bits (range up to $\approx3.4\times10^{38}$)
# but only 8 significant bits (epsilon $2^{-7}\approx 0.0078$). NumPy has no `bfloat16`; a `float32` with its low 16 bits
# cleared is one, so we can still look at it. Lessons 02–04 come back to what this costs: overflow in `exp`, the
# step size of a finite difference, and why `gradcheck` runs in `float64`; lesson 07 shows the fix for tiny
# `float16` gradients (loss scaling).

# %%
def to_bfloat16(x):
    """Round-toward-zero to bfloat16: keep the top 16 bits (sign, 8 exponent bits, 7 fraction bits) of a float32."""
    bits = np.asarray(x, dtype=np.float32).view(np.uint32) & np.uint32(0xFFFF0000)
    return bits.view(np.float32)

for dtype, bits in [(np.float16, 11), (np.float32, 24), (np.float64, 53)]:
    eps = np.finfo(dtype).eps
    assert eps == 2.0 ** (1 - bits)
    assert dtype(1) + dtype(eps) != dtype(1) and dtype(1) + dtype(eps / 4) == dtype(1)
    print(f"{np.dtype(dtype).name:8s} eps {eps:.3g}   largest {np.finfo(dtype).max:.4g}")
assert np.finfo(np.float16).max == 65504 and np.isinf(np.float16(70000.0))
bf16_eps = to_bfloat16(1 + 2.0 ** -7) - 1
assert bf16_eps == 2.0 ** -7 and to_bfloat16(1 + 2.0 ** -8) == 1.0    # 8 significant bits
assert np.isfinite(to_bfloat16(3e38)) and to_bfloat16(3e38) > 1e38      # float32's range
print(f"bfloat16 eps {bf16_eps:.3g}   largest {to_bfloat16(np.finfo(np.float32).max):.4g}")
sum32 = np.float32(0)
for _ in range(10000):
    sum32 += np.float32(0.1)                     # 10 000 roundings of a number float32 cannot hold exactly
print(f"0.1 added 10000 times: float32 {sum32:.6f}, float64 {sum(0.1 for _ in range(10000)):.12f}")
assert abs(sum32 - 1000) > 1e-3 and abs(sum(0.1 for _ in range(10000)) - 1000) < 1e-9

# %% [markdown]
# > **Common mistakes**
# > * **Mixing up the indices**: $C_{ij} = \sum_k A_{ik}B_{kj}$, not $A_{ik}B_{jk}$. The second form computes
# >   $AB^\top$ and only happens to work when $B$ is square.
# > * **`*` is not `@`**: `A * B` multiplies elementwise (with broadcasting); `A @ B` is the matrix product.
# > * **Broadcasting lines shapes up from the right**: `(2, 3) + (2,)` fails; write `(2, 3) + (2, 1)` (or
# >   `x + v.unsqueeze(1)`) if you meant "one value per row".
# > * **A silent broadcast**: `(n,) - (n, 1)` is a valid `(n, n)` matrix, not an error. Check shapes when a loss
# >   looks too large.
# > * **Inverting to solve**: to solve $Ax=b$ you rarely need $A^{-1}$ itself, and near-singular matrices
# >   amplify errors (see the plot above).

# %% [markdown]
# ## Exercises
#
# Each exercise is a stub: a function with its task, signature and a hint in the docstring, whose body raises
# `NotImplementedError`. Replace that line with your code and run the cell; the checker below it tests your
# function on inputs of its own and says what is wrong (until then it reports "not yet solved"). Reference
# solutions are in the repository, in `lessons/_solutions/lesson01.py` — try first.
#
# **Exercise 1 — the matrix product as a sum of outer products.** Section 2 computed $C_{ij}$ one entry at a time.
# The same product is also $C = \sum_p a_{:p}\, b_{p:}$: column $p$ of $A$ times row $p$ of $B$, an $(m, n)$
# matrix for every $p$, added up. Write it without `@`, `np.dot`, `np.matmul`, `np.einsum` or `np.tensordot`
# (the checker hands you arrays that refuse them).

# %%
from minigrad.check import lesson01

def matmul_outer(A, B):
    """Return A @ B for NumPy arrays A (m, k) and B (k, n) as the sum over p of np.outer(A[:, p], B[p, :]).

    Hint: start from C = np.zeros((m, n)) and add one outer product per p; np.outer is allowed.
    """
    raise NotImplementedError("exercise 1: write matmul_outer")

lesson01.exercise1(matmul_outer)

# %% [markdown]
# **Exercise 2 — the broadcasting rule.** Write `broadcast_shape(shape_a, shape_b)`: the broadcast shape as a
# tuple, or `ValueError` when the two shapes do not broadcast. Do not call `np.broadcast_shapes`.

# %%
def broadcast_shape(shape_a, shape_b):
    """Return the shape NumPy broadcasting gives for shape_a and shape_b (tuples of ints), or raise ValueError.

    Hint: pad the shorter shape with 1s on the LEFT, then compare position by position.
    """
    raise NotImplementedError("exercise 2: write broadcast_shape")

lesson01.exercise2(broadcast_shape)

# %% [markdown]
# **Exercise 3 — a cross product autograd can see through.** Write the cross product of two `(3,)` minigrad tensors
# from the component formula, using only minigrad operations: indexing `a[0]`, `*`, `-`, and `mg.stack`. The
# checker also runs `gradcheck` on your function, so staying inside minigrad is part of the answer.

# %%
def my_cross(a, b):
    """Return a x b for minigrad tensors a, b of shape (3,), as a (3,) tensor built from minigrad ops.

    Hint: component i uses the two other coordinates, e.g. c0 = a1 b2 - a2 b1; mg.stack([c0, c1, c2]).
    """
    raise NotImplementedError("exercise 3: write my_cross")

lesson01.exercise3(my_cross)

# %% [markdown]
# **Exercise 4 — the gradient of solving a linear system.** For $x = A^{-1}b$ and a loss with $G = \partial L/\partial x$,
# derive $\partial L/\partial b$ and $\partial L/\partial A$ (use section 3's $d(A^{-1}) = -A^{-1}\,dA\,A^{-1}$), and
# return both as NumPy arrays. The checker compares them with autograd through `mg.linalg.inv(A) @ b`.

# %%
def solve_gradients(A, b, G):
    """Given NumPy A (n, n), b (n,) and G = dL/dx (n,) for x = A^{-1} b, return (dL/dA, dL/db).

    Hint: dx = A^{-1} db - A^{-1} dA x, so dL = <A^{-T} G, db> - <A^{-T} G x^T, dA>.
    """
    raise NotImplementedError("exercise 4: write solve_gradients")

lesson01.exercise4(solve_gradients)

# %% [markdown]
# **Next:** lesson 02 applies functions elementwise, namely the activations of a neural network, and computes their
# derivatives.
