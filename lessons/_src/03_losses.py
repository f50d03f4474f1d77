# %% [markdown]
# # Lesson 03 — Loss functions and their gradients
#
# **What you will learn**
# * mean squared error, cross-entropy, the binary hinge loss and the multi-class hinge loss
#   (`F.multi_margin_loss`), with the gradient of each derived by hand;
# * why cross-entropy is computed from **logits** with log-sum-exp rather than as `log(softmax(x))`;
# * how the losses compare as a function of the classification margin (plotted), and which of them bound the
#   0-1 loss;
# * the precision thread: `log1p`, and a binary cross-entropy from logits that cannot overflow.
#
# **What this lesson assumes:** lesson 02, in particular softmax and its max shift.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
import minigrad.nn.functional as F

mg.manual_seed(0)
rng = np.random.default_rng(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. Mean squared error
#
# For predictions $x$ and targets $t$ with $n$ elements in total,
#
# $$L = \frac1n\sum_i (x_i - t_i)^2, \qquad \frac{\partial L}{\partial x_i} = \frac{2}{n}(x_i - t_i), \qquad \frac{\partial L}{\partial t_i} = -\frac{2}{n}(x_i - t_i).$$
#
# The gradient is proportional to the error. A prediction that is off by 10 is pulled 10 times harder than one
# that is off by 1, which makes MSE sensitive to outliers.

# %%
pred_np, target_np = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
pred = mg.tensor(pred_np, requires_grad=True)
target = mg.tensor(target_np, requires_grad=True)
loss = F.mse_loss(pred, target)
loss.backward()
np.testing.assert_allclose(loss.item(), np.mean((pred_np - target_np) ** 2), rtol=1e-12)
np.testing.assert_allclose(pred.grad.numpy(), 2 * (pred_np - target_np) / pred_np.size, rtol=1e-12)
np.testing.assert_allclose(target.grad.numpy(), -2 * (pred_np - target_np) / pred_np.size, rtol=1e-12)
assert mg.autograd.gradcheck(F.mse_loss, (pred, target))
for reduction, reference in [("sum", np.sum((pred_np - target_np) ** 2)), ("none", (pred_np - target_np) ** 2)]:
    np.testing.assert_allclose(F.mse_loss(pred, target, reduction=reduction).numpy(), reference, rtol=1e-12)
print("MSE =", loss.item())

# %% [markdown]
# ## 2. Cross-entropy from logits
#
# A classifier outputs one score per class (the logits $x \in \mathbb R^C$). Softmax turns them into
# probabilities $p_j = e^{x_j}/\sum_k e^{x_k}$. The loss is the negative log-probability of the correct class
# $t$:
#
# $$L = -\log p_t = -x_t + \log\sum_j e^{x_j}.$$
#
# The second form is the one to compute. Its gradient is short:
#
# $$\frac{\partial L}{\partial x_j} = -[j = t] + \frac{e^{x_j}}{\sum_k e^{x_k}} = p_j - [j=t],$$
#
# which is "predicted probability minus one-hot target". For a batch averaged over $N$ rows, divide by $N$.
#
# **The log-sum-exp trick.** $\log\sum_j e^{x_j}$ overflows for large logits, just like softmax. The same shift
# fixes it: with $m = \max_j x_j$,
#
# $$\log\sum_j e^{x_j} = m + \log\sum_j e^{x_j - m},$$
#
# where every exponent is $\le 0$ and the sum is at least 1, so the log is finite. The form
# `log(softmax(x))` fails differently. Even a stable softmax can **underflow** to exactly 0 for a class far
# below the max, and $\log 0 = -\infty$:

# %%
logits_np = np.array([[1000.0, 0.0, -5.0], [2.0, 1.0, 0.1]])
labels = np.array([1, 0])                      # row 0's correct class is far below the max

probs = F.softmax(mg.tensor(logits_np), dim=-1)           # stable softmax ...
with np.errstate(divide="ignore"):
    two_step = -probs.log().numpy()[np.arange(2), labels]  # ... but p = exp(-1000) underflows to 0
print("-log(softmax(x))[t]      :", two_step)
assert np.isinf(two_step[0])

one_step = F.cross_entropy(mg.tensor(logits_np), mg.tensor(labels), reduction="none").numpy()
m = logits_np.max(axis=1)
lse = m + np.log(np.exp(logits_np - m[:, None]).sum(axis=1))
print("F.cross_entropy (lse form):", one_step)
np.testing.assert_allclose(one_step, lse - logits_np[np.arange(2), labels], rtol=1e-12)
np.testing.assert_allclose(one_step[0], 1000.0, rtol=1e-12)   # = 1000 - 0 + log(1 + e^-1000 + e^-1005)

# %%
N, C = 6, 4
logits_np = rng.standard_normal((N, C)) * 2
labels = rng.integers(0, C, N)
logits = mg.tensor(logits_np, requires_grad=True)
loss = F.cross_entropy(logits, mg.tensor(labels))
loss.backward()

p = np.exp(logits_np - logits_np.max(axis=1, keepdims=True)); p /= p.sum(axis=1, keepdims=True)
onehot = np.eye(C)[labels]
np.testing.assert_allclose(loss.item(), -np.log(p[np.arange(N), labels]).mean(), rtol=1e-12)
np.testing.assert_allclose(logits.grad.numpy(), (p - onehot) / N, rtol=1e-10, atol=1e-15)
assert mg.autograd.gradcheck(lambda x: F.cross_entropy(x, mg.tensor(labels)), (logits,))
print("cross-entropy:", loss.item(), " gradient = (softmax - onehot) / N: confirmed")

# %% [markdown]
# ## 3. The hinge loss
#
# A linear SVM uses labels $y \in \{-1, +1\}$ and a score $s$. It wants the *margin* $ys$ to reach at least
# 1, and pays linearly when it falls short:
#
# $$L = \max(0,\, 1 - ys), \qquad \frac{\partial L}{\partial s} = \begin{cases} -y & \text{if } ys < 1 \\ 0 & \text{otherwise.}\end{cases}$$
#
# Once a point is classified with margin, its gradient is exactly 0; it stops contributing. Cross-entropy,
# for comparison, keeps pushing even confident points a little. The plot below shows each loss as a function
# of the margin $z = ys$ (for the binary logistic loss, $\log(1+e^{-z})$):

# %%
z = np.linspace(-3, 3, 301)
scores = mg.tensor(z)
ones = mg.tensor(np.ones_like(z))
hinge = F.hinge_loss(scores, ones, reduction="none").numpy()
logistic = F.binary_cross_entropy_with_logits(scores, ones, reduction="none").numpy()
squared = F.mse_loss(scores, ones, reduction="none").numpy()
np.testing.assert_allclose(hinge, np.maximum(0, 1 - z))
np.testing.assert_allclose(logistic, np.log1p(np.exp(-z)), rtol=1e-12)

plt.figure(figsize=(6, 3.8))
plt.plot(z, (z <= 0).astype(float), "k:", label="0-1 loss (what we care about)")
plt.plot(z, hinge, label="hinge  max(0, 1 - z)")
plt.plot(z, logistic, label="logistic  log(1 + e^-z)")
plt.plot(z, squared, label="squared  (1 - z)^2")
plt.ylim(-0.1, 4); plt.xlabel("margin z = y * score"); plt.ylabel("loss"); plt.legend(); plt.show()

# %% [markdown]
# The squared loss rises again for $z > 1$: it penalises a point for being *too* correct, which is one reason
# not to use MSE for classification. The hinge loss is a convex **upper bound** on the 0-1 loss: it is $\ge 1$
# wherever the 0-1 loss is 1. The logistic loss $\ln(1+e^{-z})$ is convex too, but it is **not** an upper bound:
# at $z = 0$ it is $\ln 2 \approx 0.69 < 1$ (look at the plot just left of 0). Measured in bits,
# $\log_2(1+e^{-z}) = \ln(1+e^{-z})/\ln 2$, it is one, because it equals 1 at $z = 0$ and decreases. The constant
# factor changes nothing about the minimiser.
#
# **Computing it in floating point** (the precision thread). For a confident correct point, $z = 40$, the loss is
# $e^{-40}\approx 4\times10^{-18}$, but `log(1 + exp(-40))` returns exactly 0, because $1 + 4\times10^{-18}$ rounds to
# 1. `np.log1p(u)` computes $\ln(1+u)$ without forming $1+u$, so it keeps the small value. For $z = -1000$,
# `exp(1000)` overflows; the stable form $\ln(1+e^{-z}) = \max(-z, 0) + \ln(1+e^{-|z|})$ only ever exponentiates
# $-|z|$. `F.binary_cross_entropy_with_logits` uses it.

# %%
zero_one = (z <= 0).astype(float)
assert np.all(hinge >= zero_one)                                   # hinge: an upper bound
assert np.isclose(logistic[np.argmin(np.abs(z))], np.log(2)) and np.log(2) < 1
assert np.any(logistic < zero_one)                                 # natural-log logistic: not an upper bound
assert np.all(logistic / np.log(2) >= zero_one - 1e-12)            # ... in bits it is
with np.errstate(over="ignore"):
    print("log(1 + exp(-40)) =", np.log(1 + np.exp(-40.0)), "   log1p(exp(-40)) =", np.log1p(np.exp(-40.0)))
    assert np.log(1 + np.exp(-40.0)) == 0.0 and np.isclose(np.log1p(np.exp(-40.0)), np.exp(-40.0), rtol=1e-15)
    assert np.isinf(np.log1p(np.exp(1000.0)))                       # the naive form overflows at z = -1000 ...
stable = F.binary_cross_entropy_with_logits(mg.tensor(np.array([-1000.0, 40.0])), mg.tensor(np.ones(2)),
                                        reduction="none").numpy()          # float64 arrays stay float64
np.testing.assert_allclose(stable, [1000.0, np.exp(-40.0)], rtol=1e-12)   # ... the stable one does not

# %%
y_np = np.where(rng.random(8) < 0.5, -1.0, 1.0)
s_np = rng.standard_normal(8)
s_np[np.abs(1 - y_np * s_np) < 0.05] += 0.2                 # keep away from the kink at margin 1
s = mg.tensor(s_np, requires_grad=True)
F.hinge_loss(s, mg.tensor(y_np)).backward()
np.testing.assert_allclose(s.grad.numpy(), np.where(y_np * s_np < 1, -y_np, 0) / 8)
assert mg.autograd.gradcheck(lambda v: F.hinge_loss(v, mg.tensor(y_np)), (s,))
print("hinge gradient -y/N inside the margin, 0 outside: confirmed")

# %% [markdown]
# ### Multi-class hinge loss
#
# With $C$ classes and scores $x$, the correct class $t$ should beat every other class by a margin.
# `F.multi_margin_loss` (PyTorch's definition, $p = 1$) charges each wrong class $j$ for how far it falls short:
#
# $$L = \frac1C\sum_{j\ne t}\max(0,\ \text{margin} - x_t + x_j).$$
#
# Let $a_j = [\text{margin} - x_t + x_j > 0]$ mark the wrong classes that are too close. Then
# $\partial L/\partial x_j = a_j/C$ for $j \neq t$, and $\partial L/\partial x_t = -\sum_{j\neq t} a_j / C$:
# each violating class is pushed down, and the correct class is pushed up once per violation.

# %%
def multi_margin_numpy(x, t, margin=1.0):
    n, c = x.shape
    m = margin - x[np.arange(n), t][:, None] + x
    m[np.arange(n), t] = 0                          # the j = t term is left out
    return (np.maximum(m, 0).sum(axis=1) / c).mean()

x_np = rng.standard_normal((5, 4))
t_np = rng.integers(0, 4, 5)
x = mg.tensor(x_np, requires_grad=True)
loss = F.multi_margin_loss(x, mg.tensor(t_np))
loss.backward()
np.testing.assert_allclose(loss.item(), multi_margin_numpy(x_np, t_np), rtol=1e-12)

active = (1.0 - x_np[np.arange(5), t_np][:, None] + x_np > 0).astype(float)
active[np.arange(5), t_np] = 0
expected = active / 4
expected[np.arange(5), t_np] = -active.sum(axis=1) / 4
np.testing.assert_allclose(x.grad.numpy(), expected / 5, rtol=1e-12)
assert mg.autograd.gradcheck(lambda v: F.multi_margin_loss(v, mg.tensor(t_np)), (x,))
print("multi-class hinge:", loss.item())

# %% [markdown]
# > **Common mistakes**
# > * **`log(softmax(x))` in two steps**: a probability that underflows gives $-\infty$. Use
# >   `F.cross_entropy(logits, t)` (or `F.log_softmax`), which uses the log-sum-exp form.
# > * **Applying softmax before `F.cross_entropy`**: the function expects *logits*. Passing probabilities
# >   applies softmax twice, and the loss barely changes as the model learns.
# > * **Sum instead of mean**: the gradient then scales with the batch size, so the learning rate that works
# >   changes with it.
# > * **Hinge labels in {0, 1}**: the binary hinge loss needs $y\in\{-1,+1\}$. With $y = 0$ the loss is
# >   constant 1 and its gradient is 0.
# > * **Counting $j = t$ in the multi-class hinge**: that term is always $\max(0, \text{margin})$, a constant
# >   that adds $\text{margin}/C$ to the loss and hides bugs.

# %% [markdown]
# ## Exercises
#
# Each exercise is a stub: its docstring gives the task, the signature and a hint, and its body raises
# `NotImplementedError`. Replace that line with your code and run the cell; the checker reports "not yet solved"
# until you do. Every answer must be built from minigrad ops, because the checker also checks the gradient.
# Reference solutions: `lessons/_solutions/lesson03.py`.
#
# **Exercise 1 — binary cross-entropy from logits, stably.** For logits $z$ and labels $y\in\{0,1\}$ the loss is
# $-y\log s(z) - (1-y)\log(1-s(z))$. Rewrite it so that no exponential can overflow, and return the mean.

# %%
from minigrad.check import lesson03

def bce_with_logits(z, y):
    """Return mean_i [-y_i log s(z_i) - (1 - y_i) log(1 - s(z_i))] for minigrad tensors z (logits), y (0/1 floats).

    Hint: the loss equals max(z, 0) - z y + log(1 + e^{-|z|}); z.relu() and z.abs() exist, and
    1 + e^{-|z|} lies in [1, 2], so its log is safe.
    """
    raise NotImplementedError("exercise 1: write bce_with_logits")

lesson03.exercise1(bce_with_logits)

# %% [markdown]
# **Exercise 2 — cross-entropy with log-sum-exp.** The batch mean of $\operatorname{lse}(x_n) - x_{n,t_n}$ with the
# max shift, for logits `(N, C)` and int64 targets `(N,)`. The checker uses logits of 1000.

# %%
def cross_entropy(logits, target):
    """Return mean_n [log sum_j exp(logits[n, j]) - logits[n, target[n]]] as a 0-d minigrad tensor.

    Hint: m = logits.max(dim=1, keepdim=True).values; lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log();
    logits[mg.arange(N), target] picks x_{n, t_n}.
    """
    raise NotImplementedError("exercise 2: write cross_entropy")

lesson03.exercise2(cross_entropy)

# %% [markdown]
# **Exercise 3 — the multi-class hinge loss** (batch mean), equal to `F.multi_margin_loss` in value and gradient.

# %%
def multi_hinge(scores, target, margin=1.0):
    """Return mean_n (1/C) sum_{j != t_n} max(0, margin - s[n, t_n] + s[n, j]) for scores (N, C), target (N,).

    Hint: compute all N x C margins with broadcasting, apply .relu(), and multiply by a 0/1 mask that removes
    j = t_n before summing.
    """
    raise NotImplementedError("exercise 3: write multi_hinge")

lesson03.exercise3(multi_hinge)

# %% [markdown]
# **Next:** lesson 04 opens the engine and shows how `loss.backward()` found all of these gradients.
