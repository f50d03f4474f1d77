# %% [markdown]
# # Lesson 05 — Backpropagation through a two-layer network, by hand
#
# **What you will learn**
# * how to derive every gradient of a two-layer network with the chain rule, one *delta* at a time;
# * that the hand-derived gradients equal autograd's to $10^{-10}$ in `float64`;
# * the same recipe for a **ReLU** hidden layer and a **softmax + cross-entropy** head, whose output delta is
#   simply $\Delta = (P - Y)/N$;
# * what three ways of getting the update wrong do to training, seen in loss curves: the **sign of the
#   gradient** (signSGD), the **sign of each example's delta** (a rule some course notes state literally), and a
#   **dropped activation derivative**.
#
# **What this lesson assumes:** lessons 01–04: matrix products and their gradients, the sigmoid's derivative,
# and MSE.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The network and its forward pass
#
# For a batch $X$ of shape $(N, d_\text{in})$, one row per example:
#
# $$Z_1 = X W_1^\top + b_1,\qquad H = \sigma(Z_1),\qquad \hat Y = H W_2^\top + b_2,\qquad
# L = \frac{1}{2N}\sum_{n}\lVert \hat y_n - y_n\rVert^2 .$$
#
# The shapes are $W_1: (d_h, d_\text{in})$, $b_1: (d_h)$, $W_2: (d_\text{out}, d_h)$ and $b_2: (d_\text{out})$,
# which is the `nn.Linear` convention. The $\tfrac12$ only makes the derivative tidier.
#
# ## 2. Backward, one delta at a time
#
# Define a **delta** as the gradient of $L$ with respect to a layer's *pre-activation* output. Then:
#
# **Output layer.** $\partial L/\partial \hat Y = (\hat Y - Y)/N =: \Delta_2$, of shape $(N, d_\text{out})$.
#
# **Output weights.** $\hat Y_{nj} = \sum_k H_{nk} (W_2)_{jk} + (b_2)_j$, so
# $\partial L/\partial (W_2)_{jk} = \sum_n (\Delta_2)_{nj} H_{nk}$, i.e. $\;\partial L/\partial W_2 = \Delta_2^\top H$,
# and $\partial L/\partial b_2 = \sum_n (\Delta_2)_{n}$. The bias was broadcast over the batch, so its
# gradient is summed over the batch (lesson 04).
#
# **Back into the hidden layer.** $\partial L/\partial H = \Delta_2 W_2$, with shape
# $(N, d_\text{out})\cdot(d_\text{out}, d_h) = (N, d_h)$.
#
# **Through the activation.** $H = \sigma(Z_1)$ acts elementwise, so
# $$\Delta_1 = \frac{\partial L}{\partial Z_1} = (\Delta_2 W_2)\odot \sigma'(Z_1) = (\Delta_2 W_2)\odot H\odot(1-H).$$
#
# **First-layer weights.** As for layer 2: $\partial L/\partial W_1 = \Delta_1^\top X$ and
# $\partial L/\partial b_1 = \sum_n (\Delta_1)_n$.
#
# Every layer repeats the same two steps: *weights' gradient = delta$^\top$ × layer input*, then *the delta
# travels back through $W$, multiplied by the activation's derivative*.

# %%
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(X, P):
    H = sigmoid(X @ P["W1"].T + P["b1"])
    return H, H @ P["W2"].T + P["b2"]


def loss_value(X, Y, P):
    return 0.5 * np.sum((forward(X, P)[1] - Y) ** 2) / X.shape[0]


def backward_by_hand(X, Y, P, activation_derivative=True, sign_of_delta=False):
    N = X.shape[0]
    H, Y_hat = forward(X, P)
    delta2 = (Y_hat - Y) / N                       # dL/dY_hat
    if sign_of_delta:                              # section 5's literal rule: each example's delta -> its sign
        delta2 = np.sign(delta2) / N
    delta1 = delta2 @ P["W2"]                      # dL/dH
    if activation_derivative:
        delta1 = delta1 * H * (1 - H)              # dL/dZ1
    if sign_of_delta:
        delta1 = np.sign(delta1) / N
    return {"W2": delta2.T @ H, "b2": delta2.sum(axis=0),
            "W1": delta1.T @ X, "b1": delta1.sum(axis=0)}


def init_params(d_in, d_hidden, d_out, seed=0):
    r = np.random.default_rng(seed)
    return {"W1": r.standard_normal((d_hidden, d_in)), "b1": 0.5 * r.standard_normal(d_hidden),
            "W2": 0.5 * r.standard_normal((d_out, d_hidden)), "b2": np.zeros(d_out)}

# %% [markdown]
# ## 3. The same gradients from autograd
#
# Now build the same network from minigrad tensors in `float64`, call `backward()`, and compare all four
# gradients with the hand-derived ones, to a relative tolerance of $10^{-10}$.

# %%
X = rng.standard_normal((8, 3))
Y = rng.standard_normal((8, 2))
P = init_params(3, 5, 2, seed=1)

def loss_minigrad(X, Y, W1, b1, W2, b2):
    H = (X @ W1.T + b1).sigmoid()
    Y_hat = H @ W2.T + b2
    return ((Y_hat - Y) ** 2).sum() / (2 * X.shape[0])

T = {k: mg.tensor(v, requires_grad=True) for k, v in P.items()}
loss = loss_minigrad(mg.tensor(X), mg.tensor(Y), T["W1"], T["b1"], T["W2"], T["b2"])
loss.backward()
by_hand = backward_by_hand(X, Y, P)

assert loss.dtype == mg.float64
np.testing.assert_allclose(loss.item(), loss_value(X, Y, P), rtol=1e-12)
for name in ("W1", "b1", "W2", "b2"):
    np.testing.assert_allclose(by_hand[name], T[name].grad.numpy(), rtol=1e-10, atol=1e-12)
    print(f"d{name}: largest difference hand vs autograd = {np.abs(by_hand[name] - T[name].grad.numpy()).max():.2e}")

assert mg.autograd.gradcheck(lambda W1, b1, W2, b2: loss_minigrad(mg.tensor(X), mg.tensor(Y), W1, b1, W2, b2),
                             (T["W1"], T["b1"], T["W2"], T["b2"]))
print("all four gradients agree with autograd, and gradcheck agrees with both")

# %% [markdown]
# ## 4. A ReLU hidden layer and a softmax + cross-entropy head
#
# Change both ends of the network: $H = \mathrm{relu}(Z_1)$ and a classifier head $P = \mathrm{softmax}(\hat Y)$ with the
# cross-entropy loss $L = -\frac1N\sum_n \log P_{n, t_n}$ (lesson 03) for integer labels $t_n$, one-hot $Y$.
#
# **The head.** Lesson 03 derived $\partial L_n/\partial \hat y_{nj} = P_{nj} - [j = t_n]$ for one example; with the mean over
# the batch,
#
# $$\Delta_2 = \frac{\partial L}{\partial \hat Y} = \frac{P - Y}{N}.$$
#
# It has the same form as the MSE head's $(\hat Y - Y)/N$ — prediction minus target — which is why softmax and
# cross-entropy are always used together: the softmax Jacobian $\mathrm{diag}(p) - pp^\top$ and the $1/p$ of the log
# cancel.
#
# **The ReLU.** $\mathrm{relu}'(z) = [z > 0]$, so $\Delta_1 = (\Delta_2 W_2) \odot [Z_1 > 0]$: the delta passes through the units
# that were active and stops at the others. Everything else — $\Delta^\top \cdot$ input for the weights, the sum over
# the batch for the biases — is unchanged.

# %%
def relu_softmax_backward(X, labels, P):
    """Gradients of the mean cross-entropy of softmax(relu(X W1^T + b1) W2^T + b2) with respect to P."""
    N, C = X.shape[0], P["W2"].shape[0]
    Z1 = X @ P["W1"].T + P["b1"]
    H = np.maximum(Z1, 0)
    logits = H @ P["W2"].T + P["b2"]
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    delta2 = (probs - np.eye(C)[labels]) / N       # the (P - Y) / N of the head
    delta1 = (delta2 @ P["W2"]) * (Z1 > 0)         # relu'(z) = [z > 0]
    return {"W2": delta2.T @ H, "b2": delta2.sum(axis=0), "W1": delta1.T @ X, "b1": delta1.sum(axis=0)}

X_cls = rng.standard_normal((10, 4))
labels_cls = rng.integers(0, 3, 10)
P_cls = init_params(4, 6, 3, seed=2)
T = {k: mg.tensor(v, requires_grad=True) for k, v in P_cls.items()}
logits = (mg.tensor(X_cls) @ T["W1"].T + T["b1"]).relu() @ T["W2"].T + T["b2"]
mg.nn.functional.cross_entropy(logits, mg.tensor(labels_cls)).backward()
by_hand = relu_softmax_backward(X_cls, labels_cls, P_cls)
Z1_cls = X_cls @ P_cls["W1"].T + P_cls["b1"]
assert np.abs(Z1_cls).min() > 1e-6                  # no pre-activation sits exactly on ReLU's kink
for name in ("W1", "b1", "W2", "b2"):
    np.testing.assert_allclose(by_hand[name], T[name].grad.numpy(), rtol=1e-10, atol=1e-12)
print("ReLU + softmax/cross-entropy: all four hand gradients equal autograd's;",
      f"{(Z1_cls <= 0).mean():.0%} of the hidden units were off, and passed no gradient")

# %% [markdown]
# ## 5. Training, and three ways to get the update wrong
#
# The task is to fit $y = \sin(x)$ on $[-3, 3]$ with 16 hidden sigmoid units (the network of sections 1–3). Four
# runs start from the same initial weights:
#
# 1. **gradient descent**: $\theta \leftarrow \theta - \eta\,\nabla L$;
# 2. **signSGD**, the sign of the *parameter gradient*: $\theta \leftarrow \theta - \eta\,\operatorname{sign}(\nabla_\theta L)$. Every parameter
#    moves by exactly $\eta$ however small its gradient is, so the steps never shrink near the minimum. It is a
#    real optimizer (close to Adam with its averages switched off, lesson 06), just not gradient descent;
# 3. **the sign of each example's delta**, as some course notes state the rule literally: every per-example delta
#    $\Delta_{n}$ (both layers) is replaced by $\operatorname{sign}(\Delta_n)/N$ *before* it is multiplied into the weight
#    gradient $\Delta^\top \cdot$ input. The size of each example's error is thrown away, so an example that is almost
#    right pulls as hard as one that is far off, and the sum is not the gradient of any loss;
# 4. **activation derivative dropped**: $\Delta_1 = \Delta_2 W_2$ without $\odot H(1-H)$. The update for $W_1$ is then no
#    longer a gradient of $L$ at all.

# %%
X_train = np.linspace(-3, 3, 64)[:, None]
Y_train = np.sin(X_train)

def train(update, steps=3000, **backward_options):
    P = init_params(1, 16, 1, seed=0)
    history = []
    for _ in range(steps):
        G = backward_by_hand(X_train, Y_train, P, **backward_options)
        for name in P:
            P[name] = P[name] - update(G[name])
        history.append(loss_value(X_train, Y_train, P))
    return P, np.array(history)

runs = {
    "gradient descent: lr * grad": train(lambda g: 0.5 * g),
    "signSGD: lr * sign(grad)": train(lambda g: 0.01 * np.sign(g)),
    "sign of each example's delta": train(lambda g: 0.5 * g, sign_of_delta=True),
    "no sigma'(z) in delta1": train(lambda g: 0.5 * g, activation_derivative=False),
}
for name, (_, history) in runs.items():
    print(f"{name:30s} loss after 100 steps {history[99]:.4f}, after 3000 {history[-1]:.5f}, lowest {history.min():.5f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for name, (params, history) in runs.items():
    axes[0].semilogy(history, label=name)
    axes[1].plot(X_train, forward(X_train, params)[1], label=name)
axes[0].set_xlabel("step"); axes[0].set_ylabel("loss"); axes[0].set_title("training loss"); axes[0].legend(fontsize=8)
axes[1].plot(X_train, Y_train, "k--", label="sin(x)"); axes[1].set_title("the fitted functions"); axes[1].legend(fontsize=7)
plt.show()

final = {name: history[-1] for name, (_, history) in runs.items()}
gd, sign_sgd = final["gradient descent: lr * grad"], final["signSGD: lr * sign(grad)"]
sign_delta, no_act = final["sign of each example's delta"], final["no sigma'(z) in delta1"]
assert gd < 0.1 * sign_sgd                 # signSGD stalls at a floor set by its step size (about 20x higher here)
assert sign_sgd < 0.2 * sign_delta         # the sign of each delta is much worse again (about 13x)
assert gd < 0.01 * sign_delta and gd < 0.01 * no_act
for name in ("sign of each example's delta", "no sigma'(z) in delta1"):
    assert runs[name][1][-1] > 1.5 * runs[name][1].min()   # not descent directions: their loss rises again

# %% [markdown]
# What the curves show:
#
# * **Gradient descent** keeps improving: the steps shrink automatically as the gradient shrinks.
# * **signSGD** starts fast, then stalls at a floor about 20 times higher. Near the minimum every parameter still
#   jumps by $\pm\eta$, so the iterate oscillates around the minimum instead of settling into it. (Adam, lesson 06,
#   behaves like a *smoothed* sign update, and relies on a decaying learning rate to finish.)
# * **The sign of each example's delta** is a different rule from signSGD and much worse (a final loss over
#   ten times signSGD's): once the fit is close, the small errors of most examples count as much as the large ones,
#   and the loss *rises* after its best point. "Sign of the delta" and "sign of the gradient" are not the same
#   thing; the gradient sums the deltas first, signSGD takes the sign after.
# * **A dropped activation derivative** stops at a much worse fit, and its loss also rises again: the "gradient"
#   it follows is not the gradient of anything we minimise. No error is raised; only a gradient check like the
#   one in section 3 exposes this bug.
#
# > **Common mistakes**
# > * **Dropping $\sigma'(Z)$** when passing a delta back through an activation (see above). The code runs,
# >   the loss even drops for a while, and the result is quietly wrong.
# > * **Using the input instead of the output in $\sigma'$**: $H(1-H)$ uses the *activation* $H$, not $Z$. For ReLU
# >   the mask is $[Z > 0]$ (equivalently $[H > 0]$).
# > * **Transposes**: $\partial L/\partial W = \Delta^\top \cdot \text{input}$ has the shape of $W$. If the
# >   shapes do not match, a transpose is missing. Never "fix" a shape with a reshape.
# > * **Not summing bias gradients over the batch**: $\partial L/\partial b = \sum_n \Delta_n$, of shape $(d,)$.
# > * **Softmax's Jacobian on top of cross-entropy's gradient**: with the pair, $\Delta_2 = (P - Y)/N$ already
# >   includes the softmax. Multiplying by $\mathrm{diag}(p) - pp^\top$ again applies it twice.
# > * **Signs in the wrong place**: $\operatorname{sign}$ of each delta is not signSGD; and forgetting the minus in
# >   $\theta \leftarrow \theta - \eta\nabla L$ makes the loss grow at every step.
# > * **The $1/N$ in the wrong place**: applied to $\Delta_2$ once, it reaches every layer. Applied again per
# >   layer, the early layers learn $N$ times too slowly.

# %% [markdown]
# ## Exercises
#
# Each exercise is a stub: its docstring gives the task, the signature and a hint, and its body raises
# `NotImplementedError`. Replace that line with your code and run the cell; the checker reports "not yet solved"
# until you do, then compares your NumPy gradients with autograd's. Reference solutions:
# `lessons/_solutions/lesson05.py`.
#
# **Exercise 1 — backprop through three layers.** A 3-layer ReLU network with a softmax + cross-entropy head:
# $H_1 = \mathrm{relu}(XW_1^\top + b_1)$, $H_2 = \mathrm{relu}(H_1W_2^\top + b_2)$, logits $= H_2W_3^\top + b_3$,
# $L$ = mean cross-entropy. Return all six gradients.

# %%
from minigrad.check import lesson05

def backward_3_layers(X, labels, P):
    """Return {"W1", "b1", "W2", "b2", "W3", "b3"} -> NumPy gradients of the mean cross-entropy.

    X: (N, d_in); labels: (N,) ints; P: dict of NumPy arrays W1 (h1, d_in), b1 (h1,), W2 (h2, h1), b2 (h2,),
    W3 (C, h2), b3 (C,). Hint: delta3 = (softmax(logits) - onehot) / N; then delta2 = (delta3 W3) * [Z2 > 0],
    delta1 = (delta2 W2) * [Z1 > 0]; dW_l = delta_l^T (input of layer l), db_l = delta_l summed over rows.
    """
    raise NotImplementedError("exercise 1: write backward_3_layers")

lesson05.exercise1(backward_3_layers)

# %% [markdown]
# **Exercise 2 — the gradient with respect to the input.** Nothing in backprop is special about weights: the
# delta can travel one step further, into $X$. This is what saliency maps (lesson 13) and adversarial examples
# use. For the sigmoid network of sections 1–3 (MSE head), return $\partial L/\partial X$.

# %%
def input_gradient(X, Y, W1, b1, W2, b2):
    """Return dL/dX, shape (N, d_in), for L = (1/2N) sum ||sigmoid(X W1^T + b1) W2^T + b2 - Y||^2.

    Hint: Z1 = X W1^T + b1 depends on X through W1, so dL/dX = delta1 W1 with delta1 = (delta2 W2) * H (1 - H).
    """
    raise NotImplementedError("exercise 2: write input_gradient")

lesson05.exercise2(input_gradient)

# %% [markdown]
# **Exercise 3 — a tanh hidden layer.** Given $\Delta_2$, $W_2$ and the hidden activations $H = \tanh(Z_1)$, return
# $\Delta_1 = \partial L/\partial Z_1$.

# %%
def tanh_hidden_delta(delta2, W2, H):
    """Return delta1 = dL/dZ1, shape (N, hidden), when H = tanh(Z1).

    Hint: lesson 02: tanh'(z) = 1 - tanh(z)^2, written with the output H.
    """
    raise NotImplementedError("exercise 3: write tanh_hidden_delta")

lesson05.exercise3(tanh_hidden_delta)

# %% [markdown]
# **Next:** lesson 06 asks what to do *with* a gradient: plain gradient descent, momentum, RMSprop and Adam.
