# %% [markdown]
# # Lesson 06 — Optimizers: SGD, momentum and Adam
#
# **What you will learn**
# * the update rules of gradient descent, momentum and Adam, written out by hand, and checked step for step
#   against `minigrad.optim.SGD` and `minigrad.optim.Adam`;
# * why the learning rate has a hard ceiling ($\eta < 2/a$ on a quadratic with curvature $a$);
# * what Adam's bias correction and square root are for, shown by removing each one;
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
# times the intended size. With $\beta_2$ closer to 1, the first steps can be far larger still.
#
# **Why the square root.** $\hat m/\sqrt{\hat v}$ is dimensionless: it has the size of
# $g/|g| \approx \pm 1$, so every parameter moves about $\eta$ per step, whatever the scale of its gradient.
# Multiply the loss by 100 and Adam takes *the same* steps. Without the root, $\hat m/\hat v$ has units of
# $1/g$, so the step depends on how the loss happens to be scaled: multiply the loss by 100 and every step
# becomes 100 times shorter.

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
# * **Without bias correction** the first steps are about 3× too long, so Adam overshoots the valley early on.
#   With larger $\beta_2$, or with gradients that change sharply, this early jump can wreck a network at
#   initialisation.
# * **Without the square root** the step is $\eta\,\hat m/\hat v$, about $\eta/|g|$: short across the steep
#   direction, where $|g|$ is large, and dependent on the loss's scale. On this surface it crawls, and with
#   the loss multiplied by 100 it would crawl 100 times slower.

# %%
assert f_numpy(no_root[-1]) > 5 * f_numpy(adam[-1])        # without the root: slower on this surface
assert f_numpy(no_correction[:10]).max() > f_numpy(adam[:10]).max() or step_lengths(no_correction)[0] > 3 * step_lengths(adam)[0]

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
# Each exercise cell holds a working answer. Overwrite it with your own and run the check.
#
# **Exercise 1.** `adam_update(theta, g, m, v, t, lr, beta1, beta2, eps)` returns `(theta, m, v)` after step
# `t`. The checker runs five steps and compares each one with `minigrad.optim.Adam`.

# %%
from minigrad.check import lesson06

def adam_update(theta, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v

lesson06.exercise1(adam_update)

# %% [markdown]
# **Exercise 2.** `momentum_update(theta, g, buf, lr, momentum)` returns `(theta, buf)` for SGD with momentum,
# in PyTorch's form.

# %%
def momentum_update(theta, g, buf, lr, momentum):
    buf = momentum * buf + g
    return theta - lr * buf, buf

lesson06.exercise2(momentum_update)

# %% [markdown]
# **Exercise 3.** For $f(x) = \tfrac12 a x^2$, return the learning rate above which gradient descent diverges.

# %%
def largest_stable_lr(a):
    return 2.0 / a

lesson06.exercise3(largest_stable_lr)

# %% [markdown]
# **Next:** lesson 07 puts the pieces together in a real training loop: mini-batches, `nn.Module`, learning-rate
# schedules and evaluation.
