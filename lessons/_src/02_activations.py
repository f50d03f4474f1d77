# %% [markdown]
# # Lesson 02 — Activation functions and their derivatives
#
# **What you will learn**
# * ReLU, sigmoid, tanh and softmax: their formulas, their derivatives (derived here), and their graphs;
# * why every softmax implementation subtracts the maximum first, shown by a real overflow at logits of
#   $10^4$;
# * the softmax Jacobian $\partial y/\partial x = \operatorname{diag}(y) - y y^\top$, checked against finite
#   differences;
# * the precision thread: a sigmoid that never overflows, and why the max shift also protects `float32`.
#
# **What this lesson assumes:** lesson 01 (tensors, `gradcheck`), and the chain rule for functions of one
# variable.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
import minigrad.nn.functional as F

mg.manual_seed(0)
rng = np.random.default_rng(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. Three elementwise activations
#
# Without a nonlinearity between them, two linear layers collapse into one: $W_2(W_1x) = (W_2W_1)x$. An
# activation $\sigma$ applied elementwise prevents that. Each derivative follows in one or two lines:
#
# **ReLU** $\;r(x) = \max(0, x)$. Its slope is 0 left of zero and 1 right of it, so $r'(x) = [x > 0]$.
# (At exactly 0 the derivative does not exist. Libraries pick 0.)
#
# **Sigmoid** $\;s(x) = \dfrac{1}{1+e^{-x}}$. Differentiate $(1+e^{-x})^{-1}$:
#
# $$s'(x) = \frac{e^{-x}}{(1+e^{-x})^2} = \underbrace{\frac{1}{1+e^{-x}}}_{s(x)}\cdot\underbrace{\frac{e^{-x}}{1+e^{-x}}}_{1 - s(x)} = s(x)\,(1-s(x)).$$
#
# **Tanh** $\;t(x) = \dfrac{e^x - e^{-x}}{e^x + e^{-x}}$. The quotient rule gives
#
# $$t'(x) = \frac{(e^x+e^{-x})^2 - (e^x-e^{-x})^2}{(e^x+e^{-x})^2} = 1 - t(x)^2.$$
#
# The sigmoid and tanh derivatives are written in terms of the **output**. The backward pass can therefore
# reuse the saved output and skip recomputing exponentials; minigrad's `Sigmoid` and `Tanh` ops save $y$, not
# $x$.

# %%
x_np = np.linspace(-5, 5, 401)
x_np = x_np[np.abs(x_np) > 1e-3]          # leave out 0, where ReLU has no derivative
x = mg.tensor(x_np, requires_grad=True)

relu, sigmoid, tanh = F.relu(x), F.sigmoid(x), F.tanh(x)
s_np = 1 / (1 + np.exp(-x_np))
np.testing.assert_allclose(relu.numpy(), np.maximum(0, x_np))
np.testing.assert_allclose(sigmoid.numpy(), s_np, rtol=1e-12)
np.testing.assert_allclose(tanh.numpy(), np.tanh(x_np), rtol=1e-12)

derivatives = {}
for name, fn in [("relu", F.relu), ("sigmoid", F.sigmoid), ("tanh", F.tanh)]:
    x.grad = None
    fn(x).sum().backward()            # d(sum_i f(x_i))/dx_i = f'(x_i): every element's derivative at once
    derivatives[name] = x.grad.numpy()

np.testing.assert_allclose(derivatives["relu"], (x_np > 0).astype(float))
np.testing.assert_allclose(derivatives["sigmoid"], s_np * (1 - s_np), rtol=1e-10)
np.testing.assert_allclose(derivatives["tanh"], 1 - np.tanh(x_np) ** 2, rtol=1e-10)

probe = mg.tensor(rng.standard_normal(20) + np.sign(rng.standard_normal(20)) * 0.1, requires_grad=True)
for fn in (F.relu, F.sigmoid, F.tanh):
    assert mg.autograd.gradcheck(fn, (probe,))
print("values match NumPy, derivatives match the formulas, gradcheck passes")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for name, values in [("relu", relu), ("sigmoid", sigmoid), ("tanh", tanh)]:
    axes[0].plot(x_np, values.numpy(), label=name)
    axes[1].plot(x_np, derivatives[name], label=name + "'")
axes[0].set_title("activations"); axes[1].set_title("derivatives (from autograd)")
for ax in axes:
    ax.axhline(0, color="gray", lw=0.5); ax.set_xlabel("x"); ax.legend()
plt.show()

# %% [markdown]
# The right panel explains some training behaviour:
# * the sigmoid's slope never exceeds $1/4$ (at $x=0$). Ten stacked sigmoid layers can shrink a gradient by
#   $4^{10} \approx 10^6$. This is the *vanishing gradient* problem;
# * tanh's peak slope is 1, so it shrinks gradients less;
# * ReLU has slope exactly 1 wherever it is active, and exactly 0 where it is not. A unit whose input stays
#   negative never learns again (a "dead ReLU").

# %%
assert np.isclose(derivatives["sigmoid"].max(), 0.25, atol=1e-4)   # slope peaks at 1/4 (0 itself is not on the grid)
assert np.argmax(derivatives["sigmoid"]) in np.flatnonzero(np.abs(x_np) < 0.03)  # ... at x = 0
assert 0.25 ** 10 < 1e-6 < 4 * 0.25 ** 10                                    # ten layers: at most ~1e-6 of it left
assert np.isclose(derivatives["tanh"].max(), 1.0, atol=1e-3)                  # tanh's peak slope is 1
assert set(np.unique(derivatives["relu"])) == {0.0, 1.0}                      # ReLU: exactly 0 or 1

# %% [markdown]
# ### Computing the sigmoid without overflow
#
# Two textbook forms of the sigmoid are equal on paper and not in floating point. $e^x/(1+e^x)$ overflows for
# $x \gtrsim 709$ in `float64` (88 in `float32`) and returns `inf/inf = nan`. $1/(1+e^{-x})$ is fine for large
# $x$ but computes $e^{1000} = \infty$ on the way to the right answer 0 at $x = -1000$ (NumPy warns; a GPU kernel
# would silently compute on an `inf`). The stable form picks, for each sign of $x$, the version whose
# exponential is $\le 1$:
#
# $$s(x) = \frac{1}{1+e^{-x}}\ \ (x \ge 0), \qquad s(x) = \frac{e^{x}}{1+e^{x}}\ \ (x < 0).$$
#
# minigrad's `F.sigmoid` does exactly this. The cell checks that it raises no floating-point warning at all on
# $[-1000, 1000]$, and that the two naive forms do.

# %%
extreme = np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0])
with np.errstate(over="raise", invalid="raise"):
    stable_values = F.sigmoid(mg.tensor(extreme)).numpy()          # no FloatingPointError: no overflow inside
    for name, naive in [("e^x / (1 + e^x)", lambda x: np.exp(x) / (1 + np.exp(x))),
                        ("1 / (1 + e^-x)", lambda x: 1 / (1 + np.exp(-x)))]:
        try:
            naive(extreme)
            raise AssertionError(f"{name} should overflow")
        except FloatingPointError as error:
            print(f"{name:16s} -> FloatingPointError: {error}")
print("F.sigmoid:", stable_values)
np.testing.assert_allclose(stable_values[[0, -1]], [0.0, 1.0])
np.testing.assert_allclose(stable_values[1], np.exp(-50) / (1 + np.exp(-50)), rtol=1e-15)   # tiny, but not 0

# %% [markdown]
# ## 2. Softmax, and why it subtracts the max
#
# Softmax turns a vector of scores (*logits*) into probabilities:
#
# $$y_i = \frac{e^{x_i}}{\sum_j e^{x_j}}.$$
#
# Subtracting any constant $c$ from every $x_i$ changes nothing, because $e^{-c}$ cancels:
#
# $$\frac{e^{x_i - c}}{\sum_j e^{x_j - c}} = \frac{e^{-c} e^{x_i}}{e^{-c}\sum_j e^{x_j}} = y_i .$$
#
# With $c = \max_j x_j$ every exponent is $\le 0$, so no $e^{(\cdot)}$ can overflow, and the largest term is
# exactly $e^0 = 1$, so the denominator is at least 1. Without the shift, a logit of $10^4$ overflows
# (`float64` overflows above $e^{709}$):

# %%
logits = np.array([1e4, 0.0, -1e4])
with np.errstate(over="ignore", invalid="ignore"):
    naive = np.exp(logits) / np.exp(logits).sum()
print("naive NumPy softmax:", naive)            # inf / inf = nan
assert np.isnan(naive[0])

with np.errstate(over="ignore", invalid="ignore"):
    t = mg.tensor(logits)
    naive_mg = (t.exp() / t.exp().sum()).numpy()
print("naive formula written with minigrad ops:", naive_mg)
assert np.isnan(naive_mg[0])

stable = F.softmax(mg.tensor(logits), dim=-1).numpy()
shifted = np.exp(logits - logits.max())
print("F.softmax (shifts by the max):", stable)
np.testing.assert_allclose(stable, shifted / shifted.sum())
np.testing.assert_allclose(stable, [1.0, 0.0, 0.0])

# %% [markdown]
# Softmax is also sensitive to the **scale** of the logits. Multiplying them by a large number pushes it
# toward a one-hot argmax; multiplying by a small one pushes it toward uniform. This is why attention divides
# scores by $\sqrt{d}$ (lesson 10).

# %%
scores = np.array([1.0, 2.0, 0.5, 3.0])
fig, axes = plt.subplots(1, 4, figsize=(12, 2.6), sharey=True)
for ax, scale in zip(axes, [0.1, 1.0, 3.0, 20.0]):
    probs = F.softmax(mg.tensor(scores * scale), dim=-1).numpy()
    np.testing.assert_allclose(probs.sum(), 1.0)
    ax.bar(range(4), probs); ax.set_title(f"softmax({scale} * x)"); ax.set_xticks(range(4))
plt.show()

# %% [markdown]
# ## 3. The softmax Jacobian
#
# Every output $y_i$ depends on every input $x_k$, so the derivative is a matrix. Write $S = \sum_j e^{x_j}$,
# so that $y_i = e^{x_i}/S$ and $\partial S/\partial x_k = e^{x_k}$. The quotient rule gives:
#
# $$\frac{\partial y_i}{\partial x_k} = \frac{[i=k]\,e^{x_i}\,S - e^{x_i}e^{x_k}}{S^2} = y_i[i=k] - y_i y_k,
# \qquad\text{i.e.}\qquad J = \operatorname{diag}(y) - y\,y^\top .$$
#
# A backward pass never builds $J$. It needs only the vector-Jacobian product:
# $g_x = J^\top g = y \odot (g - (g\cdot y)\,\mathbf 1)$. That costs $O(n)$ instead of $O(n^2)$, and it is
# the formula in `minigrad/ops/softmax.py`. Below, the Jacobian is built three ways: from the formula, from
# finite differences one column at a time, and from autograd one row at a time (a backward pass with a one-hot
# seed $g = e_i$ returns row $i$ of $J$).

# %%
x0 = rng.standard_normal(5)
y0 = F.softmax(mg.tensor(x0), dim=-1).numpy()
J_formula = np.diag(y0) - np.outer(y0, y0)

eps = 1e-6
J_numeric = np.zeros((5, 5))
for k in range(5):
    step = np.zeros(5); step[k] = eps
    plus = F.softmax(mg.tensor(x0 + step), dim=-1).numpy()
    minus = F.softmax(mg.tensor(x0 - step), dim=-1).numpy()
    J_numeric[:, k] = (plus - minus) / (2 * eps)     # column k: how every y_i moves when x_k moves

J_autograd = np.zeros((5, 5))
for i in range(5):
    x = mg.tensor(x0, requires_grad=True)
    F.softmax(x, dim=-1).backward(np.eye(5)[i])
    J_autograd[i] = x.grad.numpy()                   # row i: dy_i/dx

np.testing.assert_allclose(J_numeric, J_formula, atol=1e-9)
np.testing.assert_allclose(J_autograd, J_formula, atol=1e-14)
assert mg.autograd.gradcheck(lambda t: F.softmax(t, dim=-1), (mg.tensor(rng.standard_normal((3, 5)), requires_grad=True),))
assert mg.autograd.gradcheck(lambda t: F.softmax(t, dim=0), (mg.tensor(rng.standard_normal((3, 5)), requires_grad=True),))
np.testing.assert_allclose(J_formula.sum(axis=0), 0, atol=1e-15)   # outputs sum to 1, so their changes sum to 0
print(J_formula)

# %%
fig, axes = plt.subplots(1, 2, figsize=(8, 3.3))
im = axes[0].imshow(J_formula, cmap="RdBu", vmin=-0.25, vmax=0.25); axes[0].set_title("diag(y) - y y^T")
axes[1].imshow(J_formula - J_numeric, cmap="RdBu", vmin=-1e-9, vmax=1e-9); axes[1].set_title("formula - finite diff. (scale 1e-9)")
for ax in axes: ax.set_xlabel("k (input)"); ax.set_ylabel("i (output)")
plt.colorbar(im, ax=axes[0]); plt.show()

# %% [markdown]
# Every column of $J$ sums to zero: the outputs always sum to 1, so nudging any input only moves probability
# mass from one output to another. The diagonal is positive, since raising $x_i$ raises $y_i$, and every
# off-diagonal entry is negative.
#
# > **Common mistakes**
# > * **Applying the derivative formula to the input**: $s'(x) = s(x)(1-s(x))$, not $x(1-x)$. Both formulas
# >   take the *output*.
# > * **Softmax without the max shift**: it works on small test logits and returns `nan` as soon as a logit
# >   passes about 88 (`float32`) or 709 (`float64`).
# > * **Normalising over the wrong axis**: for a batch of shape `(N, C)`, the sum runs over classes
# >   (`dim=-1, keepdim=True`), not over the batch or the whole matrix.
# > * **Keeping only the diagonal of the Jacobian**: $\partial y_i/\partial x_i = y_i(1-y_i)$ looks like the
# >   sigmoid's derivative, but the off-diagonal $-y_iy_k$ terms matter just as much.
# > * **Computing `log(softmax(x))` in two steps**: a probability that underflows to 0 gives
# >   $\log 0 = -\infty$. Use `log_softmax` (lesson 03).

# %% [markdown]
# ## Exercises
#
# Each exercise is a stub: its docstring gives the task, the signature and a hint, and its body raises
# `NotImplementedError`. Replace that line with your code and run the cell; the checker reports "not yet solved"
# until you do, then either "correct" or what is wrong. Reference solutions: `lessons/_solutions/lesson02.py`.
#
# **Exercise 1 — a sigmoid that never overflows.** Write the stable sigmoid of the section above for NumPy arrays.
# The checker runs it with floating-point warnings turned into errors, on inputs from $-10^4$ to $10^4$.

# %%
from minigrad.check import lesson02

def stable_sigmoid(x):
    """Return 1 / (1 + e^-x) elementwise for a NumPy float64 array x, with no overflow for any finite x.

    Hint: compute z = np.exp(-np.abs(x)) (always <= 1); then s = 1 / (1 + z) where x >= 0 and z / (1 + z)
    where x < 0 (np.where).
    """
    raise NotImplementedError("exercise 1: write stable_sigmoid")

lesson02.exercise1(stable_sigmoid)

# %% [markdown]
# **Exercise 2 — softmax from minigrad ops.** Softmax over the last axis of a 2-D minigrad tensor, built from
# `max`, `exp`, `sum` and `/`. It must work for logits of $10^4$, and the checker runs `gradcheck` on it.

# %%
def stable_softmax(x):
    """Return softmax(x) over dim=-1 for a 2-D minigrad tensor x, as a tensor autograd can differentiate.

    Hint: x.max(dim=-1, keepdim=True) returns (values, indices), as in PyTorch; subtract .values first.
    """
    raise NotImplementedError("exercise 2: write stable_softmax")

lesson02.exercise2(stable_softmax)

# %% [markdown]
# **Exercise 3 — the Jacobian of log-softmax.** Classifiers use $\log y = \log\mathrm{softmax}(x)$ (lesson 03).
# Derive $\partial \log y_i/\partial x_k$ (it is simpler than the softmax Jacobian) and return it as a matrix.

# %%
def log_softmax_jacobian(y):
    """Given y = softmax(x) (1-D NumPy array of length n), return the (n, n) matrix J[i, k] = d log(y_i) / d x_k.

    Hint: log y_i = x_i - log sum_j e^{x_j}; the derivative of the second term with respect to x_k is y_k.
    """
    raise NotImplementedError("exercise 3: write log_softmax_jacobian")

lesson02.exercise3(log_softmax_jacobian)

# %% [markdown]
# **Exercise 4 — the derivative of SiLU (swish).** $\mathrm{silu}(x) = x\,s(x)$ with $s$ the sigmoid is a smooth
# ReLU used in many modern networks. Derive its derivative and write it in terms of $x$ and $s(x)$.

# %%
def silu_derivative(x):
    """Return d/dx [x * sigmoid(x)] elementwise for a NumPy array x.

    Hint: the product rule, and s'(x) = s(x)(1 - s(x)).
    """
    raise NotImplementedError("exercise 4: write silu_derivative")

lesson02.exercise4(silu_derivative)

# %% [markdown]
# **Next:** lesson 03 turns these outputs into losses. Cross-entropy uses `log_softmax`, which is the
# log-sum-exp form of the max shift used above.
