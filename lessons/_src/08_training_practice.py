# %% [markdown]
# # Lesson 08 — Training in practice: normalise, initialise, split, measure, regularise
#
# **What you will learn**
# * why inputs are **standardised** with the *training* set's mean and standard deviation, and what happens when
#   they are not;
# * how the **initial weights** decide whether a deep network's signal survives: random, small Gaussian, **Xavier**
#   and **Kaiming** initialisation, derived from one variance formula and seen layer by layer;
# * the **train / validation split**, and the four numbers that describe a classifier: **accuracy, precision,
#   recall, F1**;
# * **overfitting**, and **dropout** and early stopping as cures.
#
# **What this lesson assumes:** lessons 01–07 (tensors, autograd, losses, optimisers, and lesson 07's training loop:
# `nn.Module`, `no_grad`, mini-batches). Everything runs on the CPU, is seeded, and takes a few seconds.

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
# ## 1. A dataset with badly scaled features
#
# Two interleaved half-moons (class 0 and class 1).  To make the point of this lesson, the second
# feature is measured in a silly unit: it is multiplied by 200 and shifted by 1000, the way a raw
# price in cents or a sensor reading might be.

# %%
def make_moons(n, noise, rng):
    """n points on two interleaved half circles, with Gaussian noise; labels 0 and 1."""
    labels = rng.integers(0, 2, n)
    angle = rng.uniform(0, math.pi, n)
    x = np.where(labels == 0, np.cos(angle), 1 - np.cos(angle))
    y = np.where(labels == 0, np.sin(angle), 0.5 - np.sin(angle))
    points = np.stack([x, y], axis=1) + noise * rng.standard_normal((n, 2))
    return points, labels

points, labels = make_moons(600, noise=0.15, rng=rng)
raw = points * np.array([1.0, 200.0]) + np.array([0.0, 1000.0])   # feature 2 in "silly units"

fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
for ax, data, title in [(axes[0], points, "as drawn"), (axes[1], raw, "as stored (feature 2 x200 + 1000)")]:
    ax.scatter(data[:, 0], data[:, 1], c=labels, cmap="coolwarm", s=6)
    ax.set_title(title); ax.set_xlabel("feature 1"); ax.set_ylabel("feature 2")
plt.tight_layout(); plt.show()

# %% [markdown]
# ## 2. Train / validation split
#
# A model is judged on data it did **not** train on.  We shuffle the indices once (seeded, so the
# split is the same every run) and keep 20 % aside as the **validation set**.  We tune choices
# (learning rate, dropout, number of steps) by looking at validation numbers; a third, untouched
# *test* set would give the final, unbiased score.
#
# Two rules: the two sets must be **disjoint**, and **everything learned from data** — including
# the normalisation statistics of the next section — is learned from the training part only.

# %%
def train_val_split(n, val_fraction, seed):
    order = np.random.default_rng(seed).permutation(n)
    n_val = int(round(n * val_fraction))
    return order[n_val:], order[:n_val]           # train indices, validation indices

train_idx, val_idx = train_val_split(len(raw), val_fraction=0.2, seed=0)
assert len(set(train_idx) & set(val_idx)) == 0 and len(train_idx) + len(val_idx) == len(raw)
print(f"{len(train_idx)} training examples, {len(val_idx)} validation examples; "
      f"class-1 share: train {labels[train_idx].mean():.2f}, val {labels[val_idx].mean():.2f}")

# %% [markdown]
# ## 3. Standardisation
#
# For every feature $j$ take the mean and the standard deviation **over the training rows**:
#
# $$\mu_j = \frac1N\sum_{n=1}^N x_{nj}, \qquad \sigma_j = \sqrt{\frac1N\sum_{n=1}^N (x_{nj}-\mu_j)^2}, \qquad z_{nj} = \frac{x_{nj}-\mu_j}{\sigma_j + \epsilon}.$$
#
# Every feature of $z$ then has mean 0 and standard deviation 1 on the training set.  The
# validation rows are transformed with the **same** $\mu, \sigma$ (never their own: at prediction
# time there is one sentence, or one row, and no statistics to take).
#
# **Why it matters.** For a linear layer $y = Wx + b$, the gradient of the loss with respect to $W_{kj}$
# is $\frac{\partial L}{\partial y_k}\, x_j$: it scales with the size of feature $j$.  With feature 2 around
# 1000 and feature 1 around 1, one learning rate cannot suit both — too small for one, explosive for
# the other.  Standardising makes the loss surface round enough for a single step size.
#
# Below we compute $\mu, \sigma$ with minigrad and check them against NumPy.

# %%
x_train_raw = mg.tensor(raw[train_idx], dtype=mg.float32)
x_val_raw = mg.tensor(raw[val_idx], dtype=mg.float32)
y_train = mg.tensor(labels[train_idx], dtype=mg.int64)
y_val = mg.tensor(labels[val_idx], dtype=mg.int64)

mu = x_train_raw.mean(dim=0)
sigma = ((x_train_raw - mu) ** 2).mean(dim=0).sqrt()
x_train = (x_train_raw - mu) / (sigma + 1e-8)
x_val = (x_val_raw - mu) / (sigma + 1e-8)          # the *training* statistics

np.testing.assert_allclose(mu.numpy(), raw[train_idx].mean(axis=0), rtol=1e-5)
np.testing.assert_allclose(sigma.numpy(), raw[train_idx].std(axis=0), rtol=1e-4)
print("train mean after:", x_train.mean(dim=0).numpy().round(4), " std after:", x_train.numpy().std(axis=0).round(4))
print("val mean after:  ", x_val.mean(dim=0).numpy().round(3), " (close to, not exactly, 0: different rows)")

# %% [markdown]
# Standardisation is itself a differentiable function of its input (the mean and the standard
# deviation depend on every row), so when it sits *inside* a network — as layer norm will in
# lesson 11 — autograd must get its derivative right.  `gradcheck` compares autograd with finite
# differences in float64:

# %%
def standardize_columns(x):
    m = x.mean(dim=0, keepdim=True)
    s = ((x - m) ** 2).mean(dim=0, keepdim=True).sqrt()
    return (x - m) / (s + 1e-8)

x_small = mg.randn(5, 3, dtype=mg.float64, requires_grad=True)
print("gradcheck(standardize_columns):", mg.autograd.gradcheck(standardize_columns, (x_small,)))

# %% [markdown]
# Now the experiment: the same small network, the same seed, the same optimiser (plain SGD with
# learning rate 0.1), trained once on the raw features and once on the standardised ones.

# %%
def make_mlp(dropout=0.0, hidden=32):
    layers = [nn.Linear(2, hidden), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers += [nn.Linear(hidden, hidden), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden, 2))
    return nn.Sequential(*layers)


def train_full_batch(model, x, y, steps, optimizer):
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses

curves, active = {}, {}
for name, features in [("raw features", x_train_raw), ("standardised", x_train)]:
    mg.manual_seed(1)
    model = make_mlp()
    curves[name] = train_full_batch(model, features, y_train, 150, mg.optim.SGD(model.parameters(), lr=0.1))
    with mg.no_grad():   # share of (example, unit) pairs where a ReLU passes something through
        active[name] = (model[:2](features).numpy() > 0).mean(), (model[:4](features).numpy() > 0).mean()

plt.figure(figsize=(5, 3.2))
for name, losses in curves.items():
    plt.plot(np.nan_to_num(losses, nan=10.0, posinf=10.0), label=name)
plt.yscale("log"); plt.ylim(top=20); plt.xlabel("SGD step"); plt.ylabel("training loss"); plt.legend()
plt.title("same model, same learning rate"); plt.show()
print({name: round(l[-1], 3) if np.isfinite(l[-1]) else "diverged (nan)" for name, l in curves.items()})
print("fraction of active ReLUs (layer 1, layer 2):", {name: tuple(round(float(a), 3) for a in v) for name, v in active.items()})
assert active["raw features"][0] == 0.0                             # every first-layer ReLU dead
assert abs(curves["raw features"][-1] - math.log(2)) < 0.01         # stuck at the 50/50 loss
assert curves["standardised"][-1] < 0.5 * math.log(2)

# %% [markdown]
# The raw run takes a few enormous steps (the gradient for feature 2's weights is ~1000x too big),
# every first-layer ReLU ends up switched off for every input ("dead": output 0, gradient 0 — the
# printed 0.0), so the rest of the network sees the same input for every example, and the loss sits
# at $\log 2 \approx 0.693$ — the loss of guessing 50/50 — for ever.  The standardised run just learns.

# %% [markdown]
# ## 4. Initialisation: keeping the signal alive through depth
#
# ### One formula
# A linear layer computes $y_k = \sum_{j=1}^{n_{in}} W_{kj} x_j$.  Suppose the weights and the inputs
# are independent, the weights have mean 0 and variance $\mathrm{Var}(W)$, the inputs have variance
# $\mathrm{Var}(x)$.  A sum of independent terms has the sum of their variances, and
# $\mathrm{Var}(W_{kj}x_j) = \mathrm{Var}(W)\,\mathbb E[x_j^2]$, so
#
# $$\mathrm{Var}(y) = n_{in}\,\mathrm{Var}(W)\,\mathbb E[x^2].$$
#
# After $L$ layers the variance has been multiplied by $L$ such factors: anything other than 1
# explodes or vanishes **exponentially** in depth.
#
# ### Four choices
# * **"random" $U(-1, 1)$**: $\mathrm{Var}(W) = 1/3$, so each layer multiplies the variance by about $n_{in}/3$: explodes.
# * **small Gaussian $\mathcal N(0, 0.01^2)$**: factor $n_{in}\cdot 10^{-4}$: vanishes.
# * **Xavier / Glorot**: for an activation that is the identity near 0 (tanh) we want $n_{in}\mathrm{Var}(W)=1$
#   going forward and $n_{out}\mathrm{Var}(W)=1$ for the gradients going backward; the compromise is
#   $\mathrm{Var}(W) = \frac{2}{n_{in}+n_{out}}$.
# * **Kaiming / He**: after a ReLU, half of a symmetric $y$ is zeroed, so $\mathbb E[\mathrm{relu}(y)^2] = \tfrac12 \mathrm{Var}(y)$.
#   Putting this into the formula, $\mathrm{Var}(y^{(l+1)}) = \tfrac12 n_{in}\mathrm{Var}(W)\mathrm{Var}(y^{(l)})$, and the factor is 1 when
#   $$\mathrm{Var}(W) = \frac{2}{n_{in}}, \qquad \text{i.e. } \sigma_W = \sqrt{2/n_{in}} \;(\text{the "gain" } \sqrt2 \text{ of ReLU}).$$
#
# `minigrad.nn.init` implements all of them (`uniform_`, `normal_`, `xavier_normal_`, `kaiming_normal_`).
# First we check that the weights they draw have the standard deviation the formulas promise:

# %%
w = mg.empty(256, 512)   # Linear(512 -> 256): fan_in = 512, fan_out = 256
for name, fill, expected in [
    ("uniform(-1, 1)", lambda t: nn.init.uniform_(t, -1, 1), math.sqrt(1 / 3)),
    ("normal(0, 0.01)", lambda t: nn.init.normal_(t, 0, 0.01), 0.01),
    ("xavier_normal", nn.init.xavier_normal_, math.sqrt(2 / (512 + 256))),
    ("kaiming_normal(relu)", lambda t: nn.init.kaiming_normal_(t, nonlinearity="relu"), math.sqrt(2 / 512)),
]:
    fill(w)
    print(f"{name:22s} std {w.numpy().std():.5f}   formula {expected:.5f}")
    assert abs(w.numpy().std() / expected - 1) < 0.02

# %% [markdown]
# ### Seeing it, layer by layer
# A 10-layer network of width 256, fed a batch of 500 standard-normal inputs.  We record the
# standard deviation of every layer's output (after the activation).  First a NumPy cross-check
# that our minigrad forward pass is the computation we think it is:

# %%
SCHEMES = {
    "random U(-1,1)": lambda t: nn.init.uniform_(t, -1, 1),
    "gaussian N(0,0.01²)": lambda t: nn.init.normal_(t, 0, 0.01),
    "xavier": nn.init.xavier_normal_,
    "kaiming": lambda t: nn.init.kaiming_normal_(t, nonlinearity="relu"),
}
ACTIVATIONS = {"tanh": F.tanh, "relu": F.relu}
WIDTH, DEPTH = 256, 10

def layer_outputs(scheme, activation, x):
    """The output of each of DEPTH layers (bias 0, weights drawn by `scheme`)."""
    mg.manual_seed(3)
    outputs, weights = [], []
    with mg.no_grad():
        for _ in range(DEPTH):
            weight = SCHEMES[scheme](mg.empty(WIDTH, x.shape[1]))
            x = ACTIVATIONS[activation](x @ weight.T)
            outputs.append(x)
            weights.append(weight)
    return outputs, weights

x0 = mg.randn(500, WIDTH)
outputs, weights = layer_outputs("kaiming", "relu", x0)
h = x0.numpy()
for weight in weights:
    h = np.maximum(h @ weight.numpy().T, 0)
np.testing.assert_allclose(outputs[-1].numpy(), h, rtol=1e-4, atol=1e-5)
print("minigrad forward == NumPy forward for the 10-layer ReLU network")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
final_std = {}
for ax, activation in zip(axes, ACTIVATIONS):
    for scheme in SCHEMES:
        outs, _ = layer_outputs(scheme, activation, x0)
        stds = [o.numpy().std() for o in outs]
        final_std[(scheme, activation)] = stds[-1]
        ax.plot(range(1, DEPTH + 1), np.maximum(stds, 1e-30), marker="o", label=scheme)
    ax.set_yscale("log"); ax.set_title(f"{activation} network"); ax.set_xlabel("layer")
axes[0].set_ylabel("std of the layer's output"); axes[1].legend(fontsize=8)
plt.tight_layout(); plt.show()

# %% [markdown]
# Read the plot: with $U(-1,1)$ a ReLU network's activations grow by about $\sqrt{256/6}\approx 6.5$
# per layer (tanh saturates at ±1 instead — every unit stuck at the flat ends, where its gradient is 0);
# with $\mathcal N(0, 0.01^2)$ they shrink by about 10× per layer; Xavier keeps tanh steady and
# Kaiming keeps ReLU steady.  The histograms of the tanh network show the saturation directly:

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 2.8))
for ax, scheme in zip(axes, ["random U(-1,1)", "gaussian N(0,0.01²)", "xavier"]):
    outs, _ = layer_outputs(scheme, "tanh", x0)
    for layer in (0, 4, 9):
        ax.hist(outs[layer].numpy().ravel(), bins=60, histtype="step", density=True, label=f"layer {layer + 1}")
    ax.set_title(f"tanh, {scheme}", fontsize=9); ax.set_yticks([])
axes[0].legend(fontsize=7); plt.tight_layout(); plt.show()

# Kaiming keeps the ReLU signal's size within a factor of 3 after 10 layers; the naive schemes do not.
growth = {s: (final_std[(s, "relu")] / 1.0) ** (1 / DEPTH) for s in SCHEMES}       # per-layer factor (input std 1)
print("per-layer growth of the ReLU network's std:", {s: round(g, 2) for s, g in growth.items()})
assert 5 < growth["random U(-1,1)"] < 8 and 0.05 < growth["gaussian N(0,0.01²)"] < 0.15   # ~6.5x up, ~10x down
assert 1 / 3 < final_std[("kaiming", "relu")] < 3
assert final_std[("gaussian N(0,0.01²)", "relu")] < 1e-6 and final_std[("random U(-1,1)", "relu")] > 1e6

# %% [markdown]
# ## 5. Measuring a classifier: accuracy, precision, recall, F1
#
# With predictions $\hat y$ and true labels $y$ for a binary task (1 = positive), count
#
# | | $y = 1$ | $y = 0$ |
# |---|---|---|
# | $\hat y = 1$ | TP (true positive) | FP (false positive) |
# | $\hat y = 0$ | FN (false negative) | TN (true negative) |
#
# $$\text{accuracy} = \frac{TP+TN}{TP+FP+FN+TN},\qquad \text{precision} = \frac{TP}{TP+FP},\qquad \text{recall} = \frac{TP}{TP+FN},\qquad F_1 = \frac{2PR}{P+R} = \frac{2\,TP}{2\,TP + FP + FN}.$$
#
# *Precision*: of what I called positive, how much was? *Recall*: of what was positive, how much did I
# find?  $F_1$ is their harmonic mean — low if either is low.  When a denominator is 0 (no positive
# predictions, say) we define the ratio as 0, as scikit-learn does by default.
#
# Why not just accuracy?  On a set with 90 % negatives, "always say negative" scores 90 % accuracy and
# 0 recall.  Here are the formulas with minigrad tensors, checked against plain NumPy counting:

# %%
def confusion_counts(pred, target):
    tp = ((pred == 1) & (target == 1)).long().sum().item()
    fp = ((pred == 1) & (target == 0)).long().sum().item()
    fn = ((pred == 0) & (target == 1)).long().sum().item()
    tn = ((pred == 0) & (target == 0)).long().sum().item()
    return tp, fp, fn, tn


def classification_metrics(pred, target):
    tp, fp, fn, tn = confusion_counts(pred, target)
    ratio = lambda a, b: a / b if b else 0.0
    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
    return {"accuracy": (tp + tn) / (tp + fp + fn + tn), "precision": precision, "recall": recall,
            "f1": ratio(2 * tp, 2 * tp + fp + fn)}

# Train the standardised model a little longer with Adam, then measure it on the validation set.
mg.manual_seed(1)
model = make_mlp()
train_full_batch(model, x_train, y_train, 150, mg.optim.Adam(model.parameters(), lr=0.01))
model.eval()
with mg.no_grad():
    val_pred = model(x_val).argmax(dim=1)
metrics = classification_metrics(val_pred, y_val)
print({k: round(v, 3) for k, v in metrics.items()})

p, t = val_pred.numpy(), y_val.numpy()
tp, fp, fn = np.sum((p == 1) & (t == 1)), np.sum((p == 1) & (t == 0)), np.sum((p == 0) & (t == 1))
assert np.isclose(metrics["accuracy"], np.mean(p == t))
assert np.isclose(metrics["precision"], tp / (tp + fp)) and np.isclose(metrics["recall"], tp / (tp + fn))
assert np.isclose(metrics["f1"], 2 * metrics["precision"] * metrics["recall"] / (metrics["precision"] + metrics["recall"]))

always_negative = mg.zeros(100, dtype=mg.int64)
skewed = mg.tensor([1] * 10 + [0] * 90)
print("'always negative' on 10 % positives:", classification_metrics(always_negative, skewed))

# %% [markdown]
# ## 6. Overfitting, and dropout
#
# Give a big network only 50 noisy training points and it will memorise them: the training loss
# keeps falling while the validation loss turns around and rises.  That gap is **overfitting**.
#
# **Dropout** (in training mode) multiplies every activation by an independent mask
# $m_i \sim \mathrm{Bernoulli}(1-p)$ and rescales: $\tilde h_i = \frac{m_i h_i}{1-p}$.  Then
# $\mathbb E[\tilde h_i] = \frac{(1-p)h_i}{1-p} = h_i$, so at evaluation time (`model.eval()`) dropout is
# simply switched off and the next layer sees inputs of the same expected size.  Its derivative is the
# same mask: $\partial \tilde h_i / \partial h_i = m_i/(1-p)$.  No unit can rely on a particular other
# unit being present, which discourages memorising co-adapted features.
#
# Checks: the mean is preserved, eval mode is the identity, and the gradient matches finite
# differences (we reseed inside the function so every call draws the same mask).

# %%
h = mg.ones(200_000)
dropped = F.dropout(h, p=0.3, training=True)
kept = dropped.numpy() != 0
print(f"kept fraction {kept.mean():.3f} (expect 0.7), kept values {np.unique(dropped.numpy()[kept])} (expect 1/0.7 = {1/0.7:.4f}), mean {dropped.numpy().mean():.3f}")
assert abs(dropped.numpy().mean() - 1) < 0.01
assert np.array_equal(F.dropout(h, p=0.3, training=False).numpy(), h.numpy())

def dropout_with_fixed_mask(x):
    mg.manual_seed(7)
    return F.dropout(x, p=0.3, training=True)

print("gradcheck(dropout):", mg.autograd.gradcheck(dropout_with_fixed_mask, (mg.randn(4, 5, dtype=mg.float64, requires_grad=True),)))

# %%
small_points, small_labels = make_moons(50, noise=0.3, rng=np.random.default_rng(5))
big_points, big_labels = make_moons(400, noise=0.3, rng=np.random.default_rng(6))
xs, ys = mg.tensor(small_points, dtype=mg.float32), mg.tensor(small_labels, dtype=mg.int64)
xv, yv = mg.tensor(big_points, dtype=mg.float32), mg.tensor(big_labels, dtype=mg.int64)

def train_with_validation(dropout, steps=300, every=10):
    mg.manual_seed(2)
    model = make_mlp(dropout=dropout, hidden=128)
    optimizer = mg.optim.Adam(model.parameters(), lr=0.003)
    history = {"step": [], "train": [], "val": []}
    for step in range(steps + 1):
        if step % every == 0:
            model.eval()
            with mg.no_grad():
                history["step"].append(step)
                history["train"].append(F.cross_entropy(model(xs), ys).item())
                history["val"].append(F.cross_entropy(model(xv), yv).item())
            model.train()
        if step < steps:
            loss = F.cross_entropy(model(xs), ys)
            optimizer.zero_grad(); loss.backward(); optimizer.step()
    return history

histories = {p: train_with_validation(p) for p in (0.0, 0.5)}
fig, ax = plt.subplots(figsize=(6, 3.4))
for p, style in [(0.0, "-"), (0.5, "--")]:
    hist = histories[p]
    ax.plot(hist["step"], hist["train"], "C0" + style, label=f"train, dropout {p}")
    ax.plot(hist["step"], hist["val"], "C3" + style, label=f"validation, dropout {p}")
ax.set_xlabel("Adam step"); ax.set_ylabel("cross-entropy"); ax.set_yscale("log"); ax.legend(fontsize=8)
ax.set_title("50 training points, 2x128 hidden units"); plt.show()
for p, hist in histories.items():
    print(f"dropout {p}: final train loss {hist['train'][-1]:.3f}, final val loss {hist['val'][-1]:.3f}, "
          f"best val loss {min(hist['val']):.3f} at step {hist['step'][int(np.argmin(hist['val']))]}")
plain, dropped = histories[0.0], histories[0.5]
assert plain["val"][-1] > 1.2 * min(plain["val"])                  # without dropout: validation loss turns back up
assert dropped["train"][-1] > plain["train"][-1]                    # dropout: higher training loss ...
assert dropped["val"][-1] - min(dropped["val"]) < plain["val"][-1] - min(plain["val"])   # ... and a smaller rise

# %% [markdown]
# Without dropout the training loss heads towards 0 while the validation loss climbs after its
# minimum: the model memorised the noise.  With dropout the training loss stays higher (the task is
# harder with half the units missing) and the validation loss rises less.  Another cure shows up in
# the same plot: **early stopping** — keep the weights from the step with the best validation loss.
#
# > **Common mistakes**
# >
# > * Standardising the validation (or test) set with **its own** mean and std — it leaks information
# >   and is impossible at prediction time.  Use the training statistics everywhere.
# > * Computing the statistics *before* the split, over all the data: the same leak, hidden.
# > * Using `fan_out` (`weight.shape[0]`) for Kaiming: a `Linear` weight is `(out_features, in_features)`,
# >   so `fan_in = weight.shape[1]`.
# > * Forgetting `model.eval()` before measuring: dropout stays on and the scores are noisy and too low.
# >   And forgetting `model.train()` afterwards: dropout stays off for the rest of training.
# > * Reporting accuracy alone on imbalanced data; precision and recall show what it hides.
# > * Choosing the number of steps by the *training* loss: it always says "more".

# %% [markdown]
# ## Exercises
#
# Each exercise is a stub: its docstring gives the task, the signature and a hint, and its body raises
# `NotImplementedError`. Replace that line with your code and run the cell; the checker reports "not yet solved"
# until you do. Reference solutions: `lessons/_solutions/lesson08.py`.
#
# **Exercise 1 — macro-averaged F1 for more than two classes.** With $C$ classes, compute each class's F1 "one
# class against the rest" (class $c$ positive, every other class negative) and average the $C$ numbers. A class
# that is never predicted and never present has no F1; like scikit-learn, count it as 0.

# %%
from minigrad.check import lesson08

def macro_f1(pred, target, num_classes):
    """Return the mean over classes c of F1_c = 2 TP_c / (2 TP_c + FP_c + FN_c) (0 when the denominator is 0).

    pred and target are int64 minigrad tensors of class ids. Hint: for class c, TP_c counts pred == c and
    target == c; FP_c pred == c and target != c; FN_c pred != c and target == c.
    """
    raise NotImplementedError("exercise 1: write macro_f1")

lesson08.exercise1(macro_f1)

# %% [markdown]
# **Exercise 2 — inverted dropout by hand.** Write the training-mode forward of dropout from section 6 with
# minigrad ops: draw a keep-mask with probability $1-p$, multiply, rescale. The checker checks the kept fraction,
# the scale, the mean, `p = 0`, and that the gradient is the same mask.

# %%
def my_dropout(x, p):
    """Return x * m / (1 - p) with m_i ~ Bernoulli(1 - p) drawn independently, as a minigrad tensor.

    Hint: keep = (mg.rand(*x.shape) >= p) is a bool tensor; .to(x.dtype) makes it 0/1. Handle p = 0 (return x).
    """
    raise NotImplementedError("exercise 2: write my_dropout")

lesson08.exercise2(my_dropout)

# %% [markdown]
# **Exercise 3 — Kaiming-normal initialisation by hand.** `kaiming_init_(linear)` fills a `nn.Linear` layer's
# weight from $\mathcal N(0, 2/n_{in})$ and its bias with zeros, in place (under `mg.no_grad()`), and returns the
# layer. Write it with `weight.normal_(...)` / `bias.zero_()` rather than `nn.init`. (A uniform distribution with the
# same standard deviation is Kaiming-*uniform*, a different initialiser: the checker tells them apart.)

# %%
def kaiming_init_(linear):
    """Fill linear.weight with N(0, 2 / fan_in) and linear.bias with 0, in place; return linear.

    Hint: a Linear weight is (out_features, in_features), so fan_in = weight.shape[1]; normal_(mean, std) takes
    the standard deviation, sqrt(2 / fan_in).
    """
    raise NotImplementedError("exercise 3: write kaiming_init_")

lesson08.exercise3(kaiming_init_)

# %% [markdown]
# **Exercise 4 — early stopping with patience.** Given the validation loss after each epoch, return the epoch
# whose weights to keep and the epoch at which training stops: stop once `patience` epochs in a row have not
# improved on the best loss so far.

# %%
def early_stopping(val_losses, patience):
    """Return (best_epoch, stop_epoch) for a list of validation losses (epoch i has loss val_losses[i]).

    An epoch improves when its loss is strictly below the best so far. stop_epoch is the epoch at which the
    patience-th epoch without improvement is seen, or the last epoch if that never happens.
    Hint: walk the list keeping best and a counter of epochs since the best.
    """
    raise NotImplementedError("exercise 4: write early_stopping")

lesson08.exercise4(early_stopping)

# %% [markdown]
# **Next:** lesson 09 leaves the CPU: how GPU kernels are organised, and minigrad's own matmul and softmax kernels.
