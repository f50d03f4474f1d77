# %% [markdown]
# # Lesson 07 — The training loop: modules, mini-batches, schedules, weight decay, clipping
#
# **What you will learn**
# * `nn.Module` and `nn.Parameter`: how a model finds its own parameters, and what `state_dict` saves;
# * `no_grad` and `detach`: when autograd records, and how an optimizer changes weights in place;
# * **mini-batch SGD**: why a mini-batch gradient is a noisy but unbiased estimate, with variance $\propto 1/B$;
# * **learning-rate schedules**: linear warm-up, then cosine decay, in closed form;
# * **weight decay**, and why AdamW *decouples* it from Adam's normalisation;
# * **gradient clipping** by the global norm, and what one outlier batch does without it;
# * **gradient statistics**: per-layer histograms and the update-to-data ratio, the first things to plot when
#   training misbehaves;
# * the precision thread: **loss scaling**, which keeps small `float16` gradients from underflowing to 0;
# * **why frameworks compile**: `mg.capture_step` records a step once and replays its arithmetic without the Python
#   bookkeeping — and the rules such a replay must obey.
#
# **What this lesson assumes:** lessons 01–06: tensors, autograd (`loss.backward()` fills `p.grad`), cross-entropy,
# and the SGD, momentum and Adam update rules. Lessons 08 and 12 use everything here.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

mg.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. A model is a `Module`; its weights are `Parameter`s
#
# Lesson 05 kept its weights in a dict and updated each by hand. `nn.Module` automates the bookkeeping: every
# `Parameter` or sub-`Module` assigned as an attribute in `__init__` is registered, so `model.parameters()` finds
# all of them, recursively, and `model.state_dict()` names them by their attribute path (`"hidden.weight"`). A
# `Parameter` is a tensor with `requires_grad=True` that a module owns. `forward` says what the model computes;
# calling `model(x)` runs it.

# %%
class TwoLayerNet(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.hidden = nn.Linear(n_in, n_hidden)        # registered: a sub-module with .weight and .bias
        self.out = nn.Linear(n_hidden, n_out)
        self.temperature = nn.Parameter(mg.ones(1))    # registered: a bare Parameter

    def forward(self, x):
        return self.out(F.relu(self.hidden(x))) / self.temperature

model = TwoLayerNet(2, 16, 3)
names = [name for name, _ in model.named_parameters()]
print(names)
assert names == ["temperature", "hidden.weight", "hidden.bias", "out.weight", "out.bias"]
n_params = sum(p.numel() for p in model.parameters())
assert n_params == 1 + (2 * 16 + 16) + (16 * 3 + 3)
print(f"{n_params} parameters; every one requires grad:", all(p.requires_grad for p in model.parameters()))

# state_dict: name -> tensor. A fresh model loaded from it computes exactly the same function.
x = mg.randn(5, 2)
twin = TwoLayerNet(2, 16, 3)
assert not np.allclose(twin(x).numpy(), model(x).numpy())
twin.load_state_dict(model.state_dict())
np.testing.assert_array_equal(twin(x).numpy(), model(x).numpy())
print("state_dict keys:", list(model.state_dict()))

# %% [markdown]
# A plain Python list of layers is **not** registered: a module only looks at its attributes. This is the most
# common way to lose parameters (the optimizer then never updates them); `nn.ModuleList` is the registered list.

# %%
class Forgetful(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(2, 2), nn.Linear(2, 2)]                  # invisible to parameters()
        self.kept = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])     # registered
print("parameters found:", len(list(Forgetful().parameters())), "(only the ModuleList's 2 x 2)")
assert len(list(Forgetful().parameters())) == 4

# %% [markdown]
# ## 2. When autograd records: `no_grad` and `detach`
#
# Every op on a tensor that requires grad records a graph node, so that `backward` can run later. An optimizer
# step must **not** be recorded (it is not part of the function being differentiated), and it must change the
# weights **in place**, so the model keeps using the same tensors. Both are written as in PyTorch:
# `with mg.no_grad(): w.sub_(lr * w.grad)`. `t.detach()` returns a tensor that shares `t`'s numbers but has no
# history: a constant, as far as autograd is concerned.

# %%
w = mg.tensor([1.0, -2.0, 3.0], requires_grad=True)
(w * w).sum().backward()                                   # dL/dw = 2 w
with mg.no_grad():
    y = w * 2
    w.sub_(0.1 * w.grad)                                   # in place: w is the same tensor, now 0.8 w
assert not y.requires_grad                                 # nothing was recorded inside no_grad
np.testing.assert_allclose(w.numpy(), [0.8, -1.6, 2.4], rtol=1e-6)
assert w.requires_grad and w.is_leaf

try:
    w.sub_(0.1 * w.grad)                                   # the same update while recording: refused
except RuntimeError as error:
    print("outside no_grad:", str(error)[:95], "...")

d = w.detach()
assert not d.requires_grad and d.is_leaf
with mg.no_grad():
    d.mul_(10)                                             # detach shares storage with w
np.testing.assert_allclose(w.numpy(), [8.0, -16.0, 24.0], rtol=1e-6)
print("detach() shares the numbers and drops the history")

# %% [markdown]
# `optimizer.step()` is exactly such a `no_grad` in-place update. One hand-written SGD step equals
# `mg.optim.SGD`'s:

# %%
def hand_sgd_step(parameters, lr):
    with mg.no_grad():
        for p in parameters:
            p.sub_(lr * p.grad)

mg.manual_seed(1)
a, b = TwoLayerNet(2, 8, 3), TwoLayerNet(2, 8, 3)
b.load_state_dict(a.state_dict())
x, labels = mg.randn(16, 2), mg.tensor(rng.integers(0, 3, 16))
for net in (a, b):
    F.cross_entropy(net(x), labels).backward()
hand_sgd_step(a.parameters(), lr=0.1)
mg.optim.SGD(b.parameters(), lr=0.1).step()
for p, q in zip(a.parameters(), b.parameters()):
    np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-6)
print("hand-written no_grad update == optim.SGD.step()")

# %% [markdown]
# ## 3. Mini-batches: a noisy but unbiased gradient
#
# The loss of a dataset of $N$ examples is a mean, $L = \frac1N\sum_n \ell_n$, so its gradient is the mean of $N$
# per-example gradients. A **mini-batch** of $B$ examples drawn without replacement gives
# $\hat g = \frac1B\sum_{n\in\text{batch}} \nabla\ell_n$: its expectation is the full gradient (it is *unbiased*), and
# its variance is
#
# $$\mathrm{Var}(\hat g) = \frac{\sigma^2}{B}\cdot\frac{N-B}{N-1},$$
#
# where $\sigma^2$ is the variance of the per-example gradients (the second factor is the correction for drawing
# without replacement; it is 0 at $B = N$). One step on a batch of 32 costs $1/32$ of a step on 1024 examples and
# points, on average, the same way. We measure both facts on a spiral dataset of three classes:

# %%
def make_spirals(n_per_class, noise, rng):
    """Three interleaved 2-D spirals; labels 0, 1, 2."""
    points, labels = [], []
    for c in range(3):
        r = np.linspace(0.1, 1.0, n_per_class)
        angle = np.linspace(c * 2 * np.pi / 3, c * 2 * np.pi / 3 + 3.0, n_per_class) + noise * rng.standard_normal(n_per_class)
        points.append(np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1))
        labels.append(np.full(n_per_class, c))
    return np.concatenate(points).astype(np.float32), np.concatenate(labels)

X_np, y_np = make_spirals(341, noise=0.2, rng=rng)
X_all, y_all = mg.tensor(X_np), mg.tensor(y_np)
N = len(y_np)

mg.manual_seed(2)
probe = TwoLayerNet(2, 32, 3)

def gradient_of(indices):
    """The gradient of the mean loss over these examples, for the first layer's weight (a flat NumPy array)."""
    probe.zero_grad()
    F.cross_entropy(probe(X_all[mg.tensor(indices)]), y_all[mg.tensor(indices)]).backward()
    return probe.hidden.weight.grad.numpy().ravel().copy()

full = gradient_of(np.arange(N))
per_example = np.stack([gradient_of(np.array([n])) for n in range(0, N, 4)])
sigma2 = per_example.var(axis=0).sum()

variances = {}
for B in (8, 32, 128):
    draws = np.stack([gradient_of(rng.choice(N, B, replace=False)) for _ in range(150)])
    bias = np.linalg.norm(draws.mean(axis=0) - full) / np.linalg.norm(full)
    variances[B] = draws.var(axis=0).sum()
    predicted = sigma2 / B * (N - B) / (N - 1)
    print(f"B = {B:3d}: total variance {variances[B]:.3g} (formula {predicted:.3g}); the mean of 150 batch "
          f"gradients is {bias:.1%} off the full gradient")
    assert 0.6 < variances[B] / predicted < 1.6                      # variance ~ 1/B, as derived
    # unbiased: the mean of 150 draws is off only by the noise of a 150-sample mean, about variance / 150
    assert np.sum((draws.mean(axis=0) - full) ** 2) < 3 * variances[B] / 150
assert 2.5 < variances[8] / variances[32] < 6 and 2.5 < variances[32] / variances[128] < 6

# %% [markdown]
# ## 4. A learning-rate schedule: linear warm-up, then cosine decay
#
# Early in training the gradients are large and their directions change fast, and Adam's $v$ has seen few of
# them; late in training the noise of mini-batch gradients keeps the weights bouncing around the minimum at a
# scale set by $\eta$. So Transformers are usually trained with a **warm-up** (the learning rate rises linearly from
# $f\eta$ to $\eta$ over $W$ steps) followed by a **cosine decay** to $\eta_{\min}$ at step $T$:
#
# $$\eta_s = \eta\Big(f + (1-f)\frac{s}{W}\Big)\ \ (s < W),\qquad
# \eta_s = \eta_{\min} + \frac{\eta-\eta_{\min}}{2}\Big(1 + \cos\frac{\pi(s-W)}{T-W}\Big)\ \ (W \le s \le T).$$
#
# `mg.optim.lr_scheduler.warmup_cosine` builds it from PyTorch's `LinearLR`, `CosineAnnealingLR` and
# `SequentialLR`; `scheduler.step()` is called once per optimizer step. The cell checks it against the formula.

# %%
from minigrad.optim.lr_scheduler import warmup_cosine

optimizer = mg.optim.SGD([mg.tensor([0.0], requires_grad=True)], lr=0.1)
W, T, f = 20, 200, 0.01
scheduler = warmup_cosine(optimizer, warmup_steps=W, total_steps=T, start_factor=f)
lrs = []
for s in range(T + 1):
    lrs.append(optimizer.param_groups[0]["lr"])
    optimizer.step()
    scheduler.step()
s = np.arange(T + 1)
formula = np.where(s < W, 0.1 * (f + (1 - f) * s / W), 0.5 * 0.1 * (1 + np.cos(np.pi * (s - W) / (T - W))))
np.testing.assert_allclose(lrs, formula, rtol=1e-9, atol=1e-12)
assert max(lrs) == lrs[W] == 0.1 and lrs[-1] < 1e-12

plt.figure(figsize=(5, 2.8))
plt.plot(lrs); plt.axvline(W, color="gray", ls=":"); plt.xlabel("optimizer step"); plt.ylabel("learning rate")
plt.title("warm-up (20 steps), then cosine decay"); plt.show()

# %% [markdown]
# ## 5. Weight decay, and why AdamW decouples it
#
# **Weight decay** pulls every weight towards 0 a little at each step, which keeps the model from relying on a
# few huge weights. For plain SGD, adding $\tfrac\lambda2\lVert\theta\rVert^2$ to the loss (L2 regularisation) and shrinking
# the weights are the same thing: the gradient gets $+\lambda\theta$, and $\theta - \eta(g + \lambda\theta) = \theta(1-\eta\lambda) - \eta g$.
#
# For **Adam** they differ. `Adam(weight_decay=λ)` adds $\lambda\theta$ to the gradient, and then divides the sum by
# $\sqrt{\hat v}$: a weight whose gradients are large (large $\hat v$) is barely decayed at all. **AdamW** shrinks the weight directly,
# $\theta \leftarrow \theta(1-\eta\lambda)$, then takes the Adam step: every weight loses the same *fraction* per step. Below,
# two weights of the same size, one with gradients of size 1 and one with gradients of size 100 (random signs,
# so there is nothing to learn), decayed with $\lambda = 0.1$ for 200 steps:

# %%
def decay_experiment(optimizer_class, steps=200, lr=1e-2, weight_decay=0.1):
    weights = mg.tensor(np.array([1.0, 1.0]), requires_grad=True)
    optimizer = optimizer_class([weights], lr=lr, weight_decay=weight_decay)
    noise = np.random.default_rng(3).choice([-1.0, 1.0], size=(steps, 2)) * np.array([1.0, 100.0])
    for g in noise:
        weights.grad = mg.tensor(g)
        optimizer.step()
    return weights.numpy()

# the same random gradients without any decay, to subtract the random walk they cause
no_decay = decay_experiment(mg.optim.Adam, weight_decay=0.0)
adam_l2 = decay_experiment(mg.optim.Adam) - no_decay
adamw = decay_experiment(mg.optim.AdamW) - decay_experiment(mg.optim.AdamW, weight_decay=0.0)
print("shrinkage caused by the decay, weights with |g| = 1 and |g| = 100:")
print(f"  Adam + L2: {-adam_l2.round(4)}   AdamW: {-adamw.round(4)}   (1 - (1 - lr wd)^200 = {1 - (1 - 1e-3) ** 200:.4f})")
assert abs(adam_l2[1]) < 0.05 * abs(adam_l2[0])            # L2 through Adam: the large-gradient weight is not decayed
np.testing.assert_allclose(adamw[0], adamw[1], rtol=0.05)  # AdamW: the same shrinkage for both
np.testing.assert_allclose(-adamw, 1 - (1 - 1e-3) ** 200, rtol=0.05)

# %% [markdown]
# ## 6. Gradient clipping by the global norm
#
# One unusual batch can produce a gradient hundreds of times larger than usual, and one step with it can throw the
# weights far from where training had brought them. `nn.utils.clip_grad_norm_(parameters, max_norm)` computes the
# **global** norm $\lVert g\rVert = \sqrt{\sum_p \lVert g_p\rVert^2}$ over all parameters, and if it exceeds `max_norm` multiplies
# every gradient by $\text{max\_norm}/\lVert g\rVert$. The direction is kept; only the length is capped. It returns the norm
# before clipping, which is worth logging.

# %%
params = [mg.tensor(np.array([3.0, 4.0]), requires_grad=True), mg.tensor(np.array([12.0]), requires_grad=True)]
for p, g in zip(params, ([3.0, 4.0], [12.0])):
    p.grad = mg.tensor(np.array(g))
total = nn.utils.clip_grad_norm_(params, max_norm=1.0)
assert np.isclose(total, 13.0)                                   # sqrt(9 + 16 + 144)
np.testing.assert_allclose(np.concatenate([p.grad.numpy() for p in params]), np.array([3, 4, 12]) / 13)
print("global norm 13 -> every gradient scaled by 1/13; direction unchanged")

def train_with_outlier(clip, steps=120, outlier_step=60):
    mg.manual_seed(4)
    net = TwoLayerNet(2, 32, 3)
    opt = mg.optim.SGD(net.parameters(), lr=0.5)
    losses, order = [], np.random.default_rng(5).permutation(N)
    for step in range(steps):
        idx = mg.tensor(order[(step * 32) % (N - 32):][:32])
        loss = F.cross_entropy(net(X_all[idx]), y_all[idx])
        opt.zero_grad()
        (loss * (300.0 if step == outlier_step else 1.0)).backward()   # one batch with a 300x gradient
        if clip:
            nn.utils.clip_grad_norm_(net.parameters(), max_norm=1.0)
        opt.step()
        with mg.no_grad():
            losses.append(F.cross_entropy(net(X_all), y_all).item())
    return np.array(losses)

plain, clipped = train_with_outlier(False), train_with_outlier(True)
plt.figure(figsize=(5, 3))
plt.semilogy(plain, label="no clipping"); plt.semilogy(clipped, label="clip_grad_norm_(max_norm=1)")
plt.axvline(60, color="gray", ls=":"); plt.xlabel("step"); plt.ylabel("full-data loss"); plt.legend()
plt.title("one batch with a 300x gradient at step 60", fontsize=9); plt.show()
print(f"loss just after the outlier: {plain[60]:.2f} unclipped vs {clipped[60]:.2f} clipped")
assert plain[60] > 3 * plain[59] and clipped[60] < 1.2 * clipped[59]

# %% [markdown]
# ## 7. The whole loop, and the statistics to watch
#
# Everything together, as `minigrad.sentiment.train.fit` does it (lesson 12): shuffle once per epoch; for every
# mini-batch, forward, loss, `zero_grad`, `backward`, clip, `step`, `scheduler.step()`; evaluate with `model.eval()`
# and `no_grad`. While it runs we record two diagnostics per layer (Karpathy's favourites):
#
# * the **histogram of the gradients**: a layer whose gradients are all near 0 has stopped learning (dead ReLUs,
#   saturated units), a long tail means occasional huge steps;
# * the **update-to-data ratio** $\lVert\Delta W\rVert/\lVert W\rVert$ per step: how large a fraction of its size a weight matrix
#   moves at each step. A common rule of thumb for large networks is around $10^{-3}$; $10^{-1}$ means the learning
#   rate is far too high for that layer, and a layer far below the others barely learns.

# %%
def fit(model, X, y, epochs, batch_size, lr, weight_decay, clip, seed=0):
    optimizer = mg.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps_per_epoch = len(y) // batch_size
    scheduler = warmup_cosine(optimizer, warmup_steps=steps_per_epoch, total_steps=epochs * steps_per_epoch)
    order_rng = np.random.default_rng(seed)
    stats = {"loss": [], "ratio": {name: [] for name, _ in model.named_parameters() if name.endswith("weight")},
             "grads": {}}
    for epoch in range(epochs):
        model.train()
        for batch in np.array_split(order_rng.permutation(len(y)), steps_per_epoch):
            index = mg.tensor(batch)
            loss = F.cross_entropy(model(X[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=clip)
            before = {name: p.numpy().copy() for name, p in model.named_parameters() if name in stats["ratio"]}
            optimizer.step()
            scheduler.step()
            stats["loss"].append(loss.item())
            for name, p in model.named_parameters():
                if name in before:
                    stats["ratio"][name].append(np.linalg.norm(p.numpy() - before[name]) / np.linalg.norm(before[name]))
                    if epoch == 0 and len(stats["loss"]) == 5:
                        stats["grads"][name] = p.grad.numpy().ravel().copy()
    return stats

class DeepNet(nn.Module):
    def __init__(self, width=64):
        super().__init__()
        self.layer1, self.layer2, self.layer3 = nn.Linear(2, width), nn.Linear(width, width), nn.Linear(width, 3)

    def forward(self, x):
        return self.layer3(F.relu(self.layer2(F.relu(self.layer1(x)))))

mg.manual_seed(6)
net = DeepNet()
stats = fit(net, X_all, y_all, epochs=30, batch_size=32, lr=1e-2, weight_decay=0.01, clip=1.0)
net.eval()
with mg.no_grad():
    accuracy = (net(X_all).argmax(dim=1).numpy() == y_np).mean()
print(f"training accuracy after 30 epochs: {accuracy:.3f}")
assert accuracy > 0.9

fig, axes = plt.subplots(1, 3, figsize=(14, 3.2))
axes[0].plot(stats["loss"]); axes[0].set_yscale("log"); axes[0].set_xlabel("step"); axes[0].set_title("mini-batch loss")
for name, values in stats["ratio"].items():
    axes[1].semilogy(values, label=name)
axes[1].axhline(1e-3, color="gray", ls=":"); axes[1].set_title("update / data ratio per step"); axes[1].legend(fontsize=7)
for name, g in stats["grads"].items():
    axes[2].hist(g, bins=50, histtype="step", density=True, label=name)
axes[2].set_yscale("log"); axes[2].set_title("gradients at step 5"); axes[2].legend(fontsize=7)
plt.tight_layout(); plt.show()
median_ratio = {name: float(np.median(v)) for name, v in stats["ratio"].items()}
peak_ratio = {name: float(np.max(v)) for name, v in stats["ratio"].items()}
print("median update/data ratio:", {name: f"{r:.1e}" for name, r in median_ratio.items()},
      "\nlargest:", {name: f"{r:.1e}" for name, r in peak_ratio.items()})
assert all(5e-5 < r < 2e-3 for r in median_ratio.values())     # no layer far above or far below the others
assert max(median_ratio.values()) < 5 * min(median_ratio.values())
assert all(peak_ratio[name] > 10 * median_ratio[name] for name in peak_ratio)   # big early steps
assert all(v[-1] < 0.05 * max(v) for v in stats["ratio"].values())   # the cosine schedule brings updates to ~0

# %% [markdown]
# The loss is noisy from step to step (each batch is a different sample) but falls. The update ratios rise
# during warm-up, peak early (the printed largest values, $10^{-2}$ to $5\times10^{-2}$, while the loss is still high), sit at a few times $10^{-4}$ for
# most of training — this small problem is solved early, after which the weights barely need to move — and fall to
# almost 0 as the cosine schedule ends. All three layers move at similar rates: none is stuck.
#
# ## 8. Loss scaling for `float16` gradients (the precision thread)
#
# Lesson 01 showed that `float16` stops at 65504 and that its smallest positive (subnormal) number is
# $2^{-24}\approx 6\times10^{-8}$. Gradients are often smaller than that: they **underflow to 0**, and those weights stop
# learning. Mixed-precision training therefore multiplies the loss by a large factor $S$ (say $2^{10}$) before
# `backward`, so every gradient is $S$ times larger and representable, and divides the gradients by $S$ again, in
# `float32`, before the optimizer step. We simulate it with NumPy's `float16`, using the gradients of the model
# above scaled down as a deep network's are:

# %%
g32 = np.concatenate(list(stats["grads"].values())) * 1e-4           # small gradients, as in a deep network
S = 2.0 ** 10
lost_plain = np.mean((g32.astype(np.float16) == 0) & (g32 != 0))
scaled = (g32 * S).astype(np.float16)                                # backward of (S * loss), stored in float16
lost_scaled = np.mean((scaled == 0) & (g32 != 0))
recovered = scaled.astype(np.float32) / S                            # unscale in float32
print(f"gradients that underflow to 0 in float16: {lost_plain:.1%} unscaled, {lost_scaled:.1%} with S = 2^10")
assert np.float16(2.0 ** -25) == 0 and np.float16(2.0 ** -24) > 0
assert lost_plain > 0.05 and lost_scaled < 0.2 * lost_plain
assert np.isfinite(scaled).all()                                     # and S is small enough not to overflow
big = np.abs(g32) > 1e-6
np.testing.assert_allclose(recovered[big], g32[big], rtol=2e-3)      # float16 keeps ~3 significant digits

# %% [markdown]
# ## 9. Why frameworks compile: record the step once, replay its arithmetic
#
# A training step of a small network does two kinds of work. The **arithmetic**: NumPy's matmuls, exponentials and
# sums. And the **bookkeeping** around every one of those calls, in Python: calling the modules, checking arguments,
# making a `Tensor` and a graph `Node` for every result, sorting the graph for `backward`, wrapping each gradient.
# Each costs a few microseconds, and for the `DeepNet` above on a batch of 64 so does each NumPy call: the
# bookkeeping is a large part of the step. Yet it gives the same answer at every step — the same ops, in the same
# order, on arrays of the same shapes; only the numbers change.
#
# So a framework can do it once. `mg.capture_step(loss_fn, optimizer)` runs its first call normally while
# `Function.apply` writes every op on a **tape**: which op, where each input comes from (a step input, the result of
# an earlier entry, or a tensor from outside such as a parameter) and its constant arguments, plus the order in which
# `backward` visits the graph. The second call walks that tape once more, deciding as it goes what each step needs
# (which gradient must be summed back to its input's shape, which op's backward returns several gradients), and then
# **writes the tape out as Python code**: one function, one line per call, nothing left to decide. Later calls run
# only that function and `optimizer.step()`. This is the idea behind tinygrad's `TinyJit`, CUDA graphs, `torch.fx`'s
# generated code and, with much more machinery (fusing ops, generating kernels), `torch.compile`. Because the replay
# makes *the same NumPy calls*, its results are not just close — they are identical:

# %%
import time

mg.manual_seed(6)
eager_net, captured_net = DeepNet(), DeepNet()
captured_net.load_state_dict(eager_net.state_dict())
eager_optimizer = mg.optim.SGD(eager_net.parameters(), lr=0.1)
step = mg.capture_step(lambda x, y: F.cross_entropy(captured_net(x), y), mg.optim.SGD(captured_net.parameters(), lr=0.1))

def eager_step(x, y):
    eager_optimizer.zero_grad()
    loss = F.cross_entropy(eager_net(x), y)
    loss.backward()
    eager_optimizer.step()
    return loss

batches = [(X_all[mg.tensor(b)], y_all[mg.tensor(b)]) for b in np.array_split(rng.permutation(N)[:960], 15)]
seconds = {"eager": 0.0, "captured": 0.0}
for epoch in range(4):
    for x, y in batches:
        start = time.perf_counter(); eager_loss = eager_step(x, y); eager_time = time.perf_counter() - start
        start = time.perf_counter(); captured_loss = step(x, y); captured_time = time.perf_counter() - start
        assert eager_loss.item() == captured_loss.item()             # the same loss, to the last bit
        if epoch > 0:                                                # time the replays, not the recording
            seconds["eager"] += eager_time; seconds["captured"] += captured_time
for p, q in zip(eager_net.parameters(), captured_net.parameters()):
    np.testing.assert_array_equal(p.numpy(), q.numpy())              # the same weights after 60 steps
print(step.tape(*batches[0]).source)
print(f"per step over the last 45: eager {seconds['eager'] / 45 * 1e6:.0f} us, "
      f"captured {seconds['captured'] / 45 * 1e6:.0f} us")
assert step.replays == 58                                            # call 1 records, call 2 checks, then replays

# %% [markdown]
# That function is what is left of a step once the bookkeeping is gone: each op's `forward` on raw arrays (`v2` is the
# array of the first `Linear`'s output, `param0._array` the first weight), then each `backward` in the engine's order
# (`grad_v2` is $\partial L/\partial v_2$), and the parameters' gradients handed back to be put in `.grad`. The replay is
# typically a third faster here; the printed times depend on your machine and how busy it is (`python benchmarks/overhead.py
# --threads 1` measures the same trade on the benchmark MLP, against the same step written by hand in NumPy). For a
# large model the arithmetic dominates and the replay saves little: recording pays where the ops are small.
#
# The price is a set of **rules**, the same for every framework that records: the step must do the same work at every
# call. A new input shape records a new tape (each is kept). Everything that depends on the inputs must be computed
# with tensor operations: a value read on the host with `.item()` or `.numpy()` and turned back into a tensor, or a
# Python `if` on a value, is *frozen* at the recording. `capture_step` guards against that: its second call replays the
# tape **and** runs the step normally on the same inputs and random numbers, and unless the two agree to the last bit it
# warns and runs eagerly from then on. Here a scale read with `.item()` gets caught:

# %%
import warnings

def frozen_loss(x, y):
    scale = x.abs().mean().item()                  # a Python float: the tape cannot see where it came from
    return F.cross_entropy(captured_net(x) * scale, y)

careless = mg.capture_step(frozen_loss, mg.optim.SGD(captured_net.parameters(), lr=0.0))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for x, y in batches[:3]:
        careless(x, y)
print(caught[0].message)
assert careless.eager and careless.replays == 0

# %% [markdown]
# > **Common mistakes**
# > * **Layers in a plain list** (`self.layers = [...]`): `parameters()` does not see them, so the optimizer never
# >   updates them and `state_dict` does not save them. Use `nn.ModuleList` (or `nn.Sequential`).
# > * **Forgetting `optimizer.zero_grad()`**: `backward` *adds* into `.grad`, so each step uses the sum of all past
# >   gradients.
# > * **Updating weights outside `no_grad`**, or rebinding (`w = w - lr * w.grad`) instead of updating in place: the
# >   first is refused (or, worse, recorded), the second leaves the model holding the old tensor.
# > * **Calling `scheduler.step()` per epoch when the schedule was sized in steps** (or the reverse): warm-up then
# >   lasts 32 times too long, and the decay never happens.
# > * **Plain `Adam(weight_decay=...)` when you meant AdamW**: the decay is divided by $\sqrt{\hat v}$ and almost vanishes
# >   for the weights with the largest gradients.
# > * **Clipping each parameter separately**: that changes the direction of the update. `clip_grad_norm_` scales all
# >   gradients by one factor, computed from the global norm.
# > * **Evaluating in training mode**: dropout stays on. `model.eval()` and `with mg.no_grad():` for evaluation,
# >   `model.train()` before the next epoch.
# > * **Switching a captured step's mode**: `model.eval()` does not reach a tape recorded in training mode (its
# >   dropout ops are on the tape). Capture the training step; evaluate with the model itself.

# %% [markdown]
# ## Exercises
#
# Each exercise is a stub: its docstring gives the task, the signature and a hint, and its body raises
# `NotImplementedError`. Replace that line with your code and run the cell; the checker reports "not yet solved"
# until you do. Reference solutions: `lessons/_solutions/lesson07.py`.
#
# **Exercise 1 — a module with registered layers.** Write `MLP(n_in, n_hidden, n_out, depth)`: `depth` hidden
# `Linear` + ReLU layers kept in an `nn.ModuleList` called `hidden`, then a `Linear` called `head`. The checker counts
# the parameters, compares the `state_dict` keys with PyTorch's naming, and trains it for a few steps.

# %%
from minigrad.check import lesson07

class MLP(nn.Module):
    """depth x (Linear -> ReLU) in self.hidden (an nn.ModuleList), then self.head = Linear(n_hidden, n_out)."""

    def __init__(self, n_in, n_hidden, n_out, depth):
        """Hint: super().__init__() first; the first hidden Linear maps n_in -> n_hidden, the others
        n_hidden -> n_hidden; state_dict keys will then be hidden.0.weight, ..., head.bias."""
        super().__init__()
        raise NotImplementedError("exercise 1: build the layers of MLP")

    def forward(self, x):
        """Return the logits (batch, n_out). Hint: for layer in self.hidden: x = F.relu(layer(x))."""
        raise NotImplementedError("exercise 1: write MLP.forward")

lesson07.exercise1(MLP)

# %% [markdown]
# **Exercise 2 — SGD with weight decay, by hand.** Write one step of `mg.optim.SGD(params, lr, momentum=0,
# weight_decay=wd)`: the gradient gets `+ wd * p`, then `p -= lr * g`, in place and without recording a graph.

# %%
def sgd_step(parameters, lr, weight_decay):
    """Update every tensor in `parameters` (each has .grad) in place: p <- p - lr * (p.grad + weight_decay * p).

    Hint: inside `with mg.no_grad():` use p.sub_(...); do not rebind p (p = p - ... changes nothing outside).
    """
    raise NotImplementedError("exercise 2: write sgd_step")

lesson07.exercise2(sgd_step)

# %% [markdown]
# **Exercise 3 — clipping by the global norm.** Write `clip_by_global_norm(parameters, max_norm)`, equal to
# `nn.utils.clip_grad_norm_`: it returns the global norm before clipping and scales the gradients in place only
# when that norm exceeds `max_norm`.

# %%
def clip_by_global_norm(parameters, max_norm):
    """Return the global gradient norm sqrt(sum_p ||p.grad||^2) (a float) and, if it exceeds max_norm, multiply
    every p.grad by max_norm / norm in place.

    Hint: parameters may be a generator: make it a list first; compute the norm from p.grad.numpy(); scale with
    p.grad.mul_(factor) inside mg.no_grad().
    """
    raise NotImplementedError("exercise 3: write clip_by_global_norm")

lesson07.exercise3(clip_by_global_norm)

# %% [markdown]
# **Exercise 4 — the schedule in closed form.** Return the learning rate of section 4's schedule at step `s`, equal to
# what `warmup_cosine` sets.

# %%
def warmup_cosine_lr(s, base_lr, warmup_steps, total_steps, start_factor=0.01, eta_min=0.0):
    """Return the learning rate after s optimizer steps (s = 0 is the first step's lr).

    Hint: linear from start_factor * base_lr at s = 0 to base_lr at s = warmup_steps; then
    eta_min + (base_lr - eta_min) (1 + cos(pi (s - W) / (T - W))) / 2.
    """
    raise NotImplementedError("exercise 4: write warmup_cosine_lr")

lesson07.exercise4(warmup_cosine_lr)

# %% [markdown]
# **Next:** lesson 08 uses this loop on real-world problems: standardising inputs, initialising deep networks,
# measuring a classifier, and fighting overfitting with dropout.
