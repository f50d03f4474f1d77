# %% [markdown]
# # Lesson 06 — Optimizers: SGD, momentum, RMSprop and Adam
#
# **What you will learn**
# * the update rules of gradient descent, momentum and Adam, written out by hand, and checked step for step
#   against `minigrad.optim.SGD` and `minigrad.optim.Adam`;
# * why the learning rate has a hard ceiling ($\eta < 2/a$ on a quadratic with curvature $a$);
# * what Adam's bias correction and square root are for, shown by removing each one, and how long the early
#   steps stay too large without the correction;
# * RMSprop and AdamW as formulas, which you implement in the exercises;
# * all of this on a 2-D loss surface, where the optimizers' trajectories can be drawn.
#
# **What this lesson assumes:** lessons 01–05, and knowing that `loss.backward()` fills `p.grad`.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg

np.set_printoptions(precision=5, suppress=True)

# %% [markdown]
# ## 1. A loss surface you can see
#
# The surface is a stretched bowl, $f(x, y) = \tfrac12(a_x x^2 + a_y y^2)$ with $a_x = 1$ and $a_y = 20$. Its
# gradient is $(a_x x,\ a_y y)$, and it is 20 times steeper across the valley than along it. This is the
# typical shape near the minimum of a real network: some directions are steep and others flat.

# %%
A_X, A_Y = 1.0, 20.0
START = np.array([-4.0, 1.0])

def f_numpy(p):
    return 0.5 * (A_X * p[..., 0] ** 2 + A_Y * p[..., 1] ** 2)

def grad_numpy(p):
    return np.array([A_X * p[0], A_Y * p[1]])

def f_minigrad(p):
    return 0.5 * (A_X * p[0] ** 2 + A_Y * p[1] ** 2)

p = mg.tensor(START.copy(), requires_grad=True)
f_minigrad(p).backward()
np.testing.assert_allclose(p.grad.numpy(), grad_numpy(START))
assert mg.autograd.gradcheck(f_minigrad, (p,))

def run_optimizer(make_optimizer, steps):
    "Minimise f with a minigrad optimizer; return the (steps + 1, 2) trajectory."
    p = mg.tensor(START.copy(), requires_grad=True)
    optimizer = make_optimizer([p])
    path = [p.numpy().copy()]
    for _ in range(steps):
        optimizer.zero_grad()
        f_minigrad(p).backward()
        optimizer.step()
        path.append(p.numpy().copy())
    return np.array(path)

def contour(ax, title):
    xs, ys = np.meshgrid(np.linspace(-4.5, 4.5, 200), np.linspace(-1.6, 1.6, 200))
    ax.contour(xs, ys, f_numpy(np.stack([xs, ys], axis=-1)), levels=np.logspace(-2, 2.3, 14), cmap="Greys", linewidths=0.7)
    ax.plot(0, 0, "k*", ms=10); ax.set_title(title); ax.set_xlabel("x"); ax.set_ylabel("y")

# %% [markdown]
# ## 2. Gradient descent and its learning-rate ceiling
#
# $$\theta_{t+1} = \theta_t - \eta\, \nabla f(\theta_t).$$
#
# Along one axis with curvature $a$, one step multiplies the coordinate by $(1 - \eta a)$. The iteration
# converges when $|1-\eta a| < 1$, i.e. $0 < \eta < 2/a$. For $1/a < \eta < 2/a$ it overshoots and flips sign
# at every step, but the oscillation shrinks. The steepest direction sets the ceiling, here
# $\eta < 2/20 = 0.1$, and with $\eta$ that small the flat direction ($a_x = 1$) shrinks by only a factor of
# $(1-\eta)$ per step.

# %%
def sgd_by_hand(lr, steps, momentum=0.0):
    theta, buf, path = START.copy(), np.zeros(2), [START.copy()]
    for _ in range(steps):
        g = grad_numpy(theta)
        buf = momentum * buf + g          # PyTorch's form; with momentum = 0 this is just g
        theta = theta - lr * buf
        path.append(theta.copy())
    return np.array(path)

paths = {}
for lr in (0.02, 0.09, 0.101):
    path = run_optimizer(lambda ps: mg.optim.SGD(ps, lr=lr), 40)
    np.testing.assert_allclose(path, sgd_by_hand(lr, 40), rtol=1e-12, atol=1e-14)   # minigrad == the formula
    paths[lr] = path

fig, axes = plt.subplots(1, 3, figsize=(14, 3.4))
for ax, (lr, path) in zip(axes, paths.items()):
    contour(ax, f"SGD, lr = {lr}  (2/a_y = 0.1)")
    ax.plot(path[:, 0], np.clip(path[:, 1], -1.6, 1.6), ".-", color="C0", ms=3)
plt.show()
assert abs(paths[0.101][-1, 1]) > abs(START[1])       # above 2/a_y the steep direction grows: divergence
assert abs(paths[0.09][-1, 1]) < 0.05                 # just below it, zig-zags that die out

# %% [markdown]
# ## 3. Momentum
#
# Momentum keeps a running *velocity* $b$, so steps that agree add up and steps that zig-zag cancel. In
# PyTorch's form, which `mg.optim.SGD(momentum=...)` follows,
#
# $$b_t = \mu\, b_{t-1} + g_t,\qquad \theta_t = \theta_{t-1} - \eta\, b_t \qquad (b_0 = 0).$$
#
# Along a direction where the gradient stays constant, $b$ grows to $g/(1-\mu)$. With $\mu = 0.9$ the
# effective step is 10 times $\eta g$, which is just what the flat direction of the valley needs.

# %%
plain = run_optimizer(lambda ps: mg.optim.SGD(ps, lr=0.02), 60)
heavy = run_optimizer(lambda ps: mg.optim.SGD(ps, lr=0.02, momentum=0.9), 60)
np.testing.assert_allclose(heavy, sgd_by_hand(0.02, 60, momentum=0.9), rtol=1e-12, atol=1e-14)
print("f after 60 steps: SGD", f_numpy(plain[-1]), "  momentum", f_numpy(heavy[-1]))
assert f_numpy(heavy[-1]) < 0.01 * f_numpy(plain[-1])

# %% [markdown]
# ## 4. Adam
#
# Adam keeps two running averages per parameter: $m$ of the gradient and $v$ of its square. It divides one by
# the square root of the other:
#
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,$$
# $$\hat m_t = \frac{m_t}{1-\beta_1^t},\qquad \hat v_t = \frac{v_t}{1-\beta_2^t},\qquad
# \theta_t = \theta_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t}+\epsilon}.$$
#
# **Why the bias correction.** $m_0 = v_0 = 0$. Unrolling gives $m_t = (1-\beta_1)\sum_{s\le t}\beta_1^{t-s}g_s$.
# If $g$ were constant, $m_t = (1-\beta_1^t)\,g$, so dividing by $1-\beta_1^t$ recovers $g$ exactly. The same
# holds for $v$. Without the correction, the first step is
# $\eta\,(1-\beta_1)g/\sqrt{(1-\beta_2)g^2} = \eta \cdot 0.1/\sqrt{0.001} \approx 3.2\,\eta$: more than three
# times the intended size. It gets worse before it gets better: for a constant gradient the uncorrected step is
# $(1-\beta_1^t)/\sqrt{1-\beta_2^t}$ times the corrected one, which is 3.2, 4.2, 5.8 and 6.5 at $t = 1, 2, 5, 10$, peaks at
# 6.6 at $t = 12$, and is still above 1.5 at $t = 500$: $v$ forgets its zero start a hundred times more slowly
# than $m$.
#
# **Why the square root.** $\hat m/\sqrt{\hat v}$ is dimensionless: it has the size of
# $g/|g| \approx \pm 1$, so every parameter moves about $\eta$ per step, whatever the scale of its gradient.
# Multiply the loss by 100 and Adam takes *the same* steps. Without the root, $\hat m/\hat v$ has units of
# $1/g$, so the step depends on how the loss happens to be scaled: multiply the loss by 100 and every step
# becomes 100 times shorter.
#
# **Adam's two parents and one child.** Adam's denominator on its own is **RMSprop** (Hinton, 2012): keep
# $v_t = \alpha v_{t-1} + (1-\alpha) g_t^2$ and step $\theta_t = \theta_{t-1} - \eta\, g_t/(\sqrt{v_t} + \epsilon)$ (PyTorch's form: no bias
# correction, $\alpha = 0.99$). Its numerator on its own is momentum. **AdamW** (Loshchilov & Hutter, 2019) adds
# *decoupled* weight decay: before the Adam step, $\theta \leftarrow \theta\,(1 - \eta\lambda)$, instead of adding $\lambda\theta$ to
# the gradient, where Adam's division by $\sqrt{\hat v}$ would weaken it. Lesson 07 measures that difference; the
# exercises implement both.

# %%
def adam_by_hand(lr, steps, betas=(0.9, 0.999), eps=1e-8, bias_correction=True, square_root=True, loss_scale=1.0):
    beta1, beta2 = betas
    theta, m, v, path = START.copy(), np.zeros(2), np.zeros(2), [START.copy()]
    for t in range(1, steps + 1):
        g = loss_scale * grad_numpy(theta)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = (m / (1 - beta1 ** t), v / (1 - beta2 ** t)) if bias_correction else (m, v)
        theta = theta - lr * m_hat / ((np.sqrt(v_hat) if square_root else v_hat) + eps)
        path.append(theta.copy())
    return np.array(path)

adam = run_optimizer(lambda ps: mg.optim.Adam(ps, lr=0.3), 80)
np.testing.assert_allclose(adam, adam_by_hand(0.3, 80), rtol=1e-10, atol=1e-12)   # minigrad.optim.Adam == the formula
no_correction = adam_by_hand(0.3, 80, bias_correction=False)
no_root = adam_by_hand(0.3, 80, square_root=False)

first_steps = {name: np.abs(np.diff(path, axis=0))[:5, 0] for name, path in
               [("Adam", adam), ("no bias correction", no_correction)]}
print("size of the first 5 steps along x, Adam:              ", first_steps["Adam"])
print("size of the first 5 steps along x, no bias correction:", first_steps["no bias correction"])
np.testing.assert_allclose(first_steps["Adam"][0], 0.3, rtol=1e-6)                       # step 1 is exactly lr
np.testing.assert_allclose(first_steps["no bias correction"][0], 0.3 * 0.1 / np.sqrt(0.001), rtol=1e-6)

# for a constant gradient, the uncorrected step over the corrected one is (1 - beta1^t) / sqrt(1 - beta2^t)
t_steps = np.arange(1, 2001)
too_long = (1 - 0.9 ** t_steps) / np.sqrt(1 - 0.999 ** t_steps)
print("uncorrected / corrected step at t = 1, 2, 5, 10:", too_long[[0, 1, 4, 9]].round(2),
      f"  largest {too_long.max():.2f} at t = {too_long.argmax() + 1}")
np.testing.assert_allclose(too_long[[0, 1, 4, 9]], [3.16, 4.25, 5.80, 6.53], atol=0.01)
assert too_long.argmax() + 1 == 12 and too_long[499] > 1.5

def step_lengths(path):
    return np.linalg.norm(np.diff(path, axis=0), axis=1)

# scale the loss by 100: Adam's steps stay the same, the steps without the root shrink 100 times
np.testing.assert_allclose(adam_by_hand(0.3, 80, loss_scale=100.0), adam, atol=1e-6)   # equal up to eps
no_root_scaled = adam_by_hand(0.3, 80, square_root=False, loss_scale=100.0)
np.testing.assert_allclose(step_lengths(no_root_scaled)[0], step_lengths(no_root)[0] / 100, rtol=1e-6)
print("first step without the root: loss x1", step_lengths(no_root)[0], "  loss x100", step_lengths(no_root_scaled)[0])

# %%
fig, axes = plt.subplots(1, 3, figsize=(14, 3.4))
for ax, (title, path) in zip(axes, [("Adam (lr 0.3)", adam), ("Adam without bias correction", no_correction),
                                   ("Adam without the square root", no_root)]):
    contour(ax, title)
    ax.plot(np.clip(path[:, 0], -4.5, 4.5), np.clip(path[:, 1], -1.6, 1.6), ".-", color="C3", ms=3)
plt.show()

plt.figure(figsize=(6, 3.5))
for name, path in [("SGD lr 0.09", paths[0.09]), ("momentum 0.9", heavy), ("Adam", adam),
                   ("Adam, no bias corr.", no_correction), ("Adam, no sqrt", no_root)]:
    plt.semilogy(f_numpy(path) + 1e-16, label=name)
plt.xlabel("step"); plt.ylabel("f"); plt.legend(fontsize=8); plt.title("loss along each trajectory"); plt.show()

# %% [markdown]
# In the pictures:
# * **Adam** heads almost diagonally at first, because both coordinates move by about $\eta$ per step whatever
#   their curvature. Near the minimum it circles at a scale set by $\eta$; a decaying learning rate (lesson 07)
#   finishes the job.
# * **Without bias correction** each of the first five steps is more than 3 times as long as Adam's (the
#   constant-gradient factor above even reaches 6.6 at step 12), so the iterate overshoots across the steep
#   direction: its loss jumps back up at step 2 (from 4.7 to 8.8), while Adam's falls at each of its first 4.
#   With larger $\beta_2$, or with gradients that change sharply, this early jump can wreck a network at
#   initialisation.
# * **Without the square root** the step is $\eta\,\hat m/\hat v$, about $\eta/|g|$: short across the steep
#   direction, where $|g|$ is large, and dependent on the loss's scale. On this surface it crawls, and with
#   the loss multiplied by 100 it would crawl 100 times slower.

# %%
assert f_numpy(no_root[-1]) > 5 * f_numpy(adam[-1])        # without the root: slower on this surface
assert np.all(step_lengths(no_correction)[:5] > 3 * step_lengths(adam)[:5])   # the first 5 steps: over 3x longer
assert np.all(np.diff(f_numpy(adam[:5])) < 0)                    # Adam's loss falls at each of its first 4 steps
assert np.diff(f_numpy(no_correction[:3]))[1] > 0               # without the correction it jumps back up at step 2

# %% [markdown]
# > **Common mistakes**
# > * **A learning rate above $2/a_\text{max}$**: the steepest direction diverges. If the loss grows from the
# >   first steps, halve $\eta$ first.
# > * **Averaged momentum**: writing $b = \mu b + (1-\mu) g$ (an average) instead of PyTorch's $b = \mu b + g$
# >   makes every step 10 times smaller at $\mu = 0.9$. Both forms are legitimate, but the learning rates do not
# >   transfer between them.
# > * **Forgetting the bias correction, or using the wrong $t$** (it counts from 1, not 0, and advances once
# >   per step, not once per parameter).
# > * **Dividing by $\hat v$ instead of $\sqrt{\hat v}$**: the step size then depends on the scale of the
# >   loss, and a learning rate tuned for one model fails on another.
# > * **Not calling `optimizer.zero_grad()`**: gradients accumulate, and the optimizer sees the sum of all
# >   past gradients.

# %% [markdown]
# ## Exercises
#
# Each exercise is a stub: its docstring gives the task, the signature and a hint, and its body raises
# `NotImplementedError`. Replace that line with your code and run the cell; the checker runs several steps and
# compares each with a reference. Reference solutions: `lessons/_solutions/lesson06.py`.
#
# **Exercise 1 — RMSprop.** One step of RMSprop in PyTorch's form (formula in section 4). Then try it on the
# surface: `rmsprop_update` plugged into a loop like `adam_by_hand` heads straight across the valley.

# %%
from minigrad.check import lesson06

def rmsprop_update(theta, g, v, lr, alpha, eps):
    """Return (theta, v) after one RMSprop step; theta, g, v are NumPy arrays, v starts at 0.

    Hint: v = alpha v + (1 - alpha) g^2; theta = theta - lr g / (sqrt(v) + eps). eps goes OUTSIDE the root.
    """
    raise NotImplementedError("exercise 1: write rmsprop_update")

lesson06.exercise1(rmsprop_update)

# %% [markdown]
# **Exercise 2 — AdamW.** One step of AdamW, equal to `mg.optim.AdamW`: decoupled weight decay, then the Adam step
# with bias correction. The checker names the usual slips (decay added to the gradient, eps inside the root, a
# sign-of-$m$ step, a missing correction).

# %%
def adamw_update(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
    """Return (theta, m, v) after AdamW step number t (t = 1, 2, ...); all arrays NumPy, m and v start at 0.

    Hint: theta = theta * (1 - lr * weight_decay) first; then m, v, m_hat = m / (1 - beta1^t),
    v_hat = v / (1 - beta2^t), and theta = theta - lr * m_hat / (sqrt(v_hat) + eps).
    """
    raise NotImplementedError("exercise 2: write adamw_update")

lesson06.exercise2(adamw_update)

# %% [markdown]
# **Exercise 3 — Nesterov momentum.** PyTorch's `SGD(momentum=mu, nesterov=True)` steps along
# $g_t + \mu b_t$ (with $b_t = \mu b_{t-1} + g_t$, as in section 3) instead of $b_t$: it "looks ahead" by one momentum step.
# Write one step.

# %%
def nesterov_update(theta, g, buf, lr, momentum):
    """Return (theta, buf) after one Nesterov-momentum step in PyTorch's form; buf starts at 0.

    Hint: buf = momentum * buf + g; theta = theta - lr * (g + momentum * buf).
    """
    raise NotImplementedError("exercise 3: write nesterov_update")

lesson06.exercise3(nesterov_update)

# %% [markdown]
# **Next:** lesson 07 builds the training loop these optimizers live in: `nn.Module` and its parameters, `no_grad`,
# mini-batches, learning-rate schedules, weight decay, gradient clipping and gradient statistics.
