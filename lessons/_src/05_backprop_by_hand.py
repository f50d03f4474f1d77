# %% [markdown]
# # Lesson 05 — Backpropagation through a two-layer network, by hand
#
# **What you will learn**
# * how to derive every gradient of a two-layer network with the chain rule, one *delta* at a time;
# * that the hand-derived gradients equal autograd's to $10^{-10}$ in `float64`;
# * what two classic backprop mistakes do to training: updating with the **sign** of the gradient, and
#   **dropping the activation's derivative**. Loss curves make the damage visible.
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


def backward_by_hand(X, Y, P, activation_derivative=True):
    N = X.shape[0]
    H, Y_hat = forward(X, P)
    delta2 = (Y_hat - Y) / N                       # dL/dY_hat
    delta1 = delta2 @ P["W2"]                      # dL/dH
    if activation_derivative:
        delta1 = delta1 * H * (1 - H)              # dL/dZ1
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
# ## 4. Training, and two classic mistakes
#
# The task is to fit $y = \sin(x)$ on $[-3, 3]$ with 16 hidden sigmoid units and plain gradient descent. Three
# runs start from the same initial weights:
#
# 1. **correct**: $\theta \leftarrow \theta - \eta\,\nabla L$;
# 2. **sign of the delta**: $\theta \leftarrow \theta - \eta\,\operatorname{sign}(\nabla L)$. Every parameter
#    moves by exactly $\eta$ however small its gradient is, so the steps never shrink near the minimum;
# 3. **activation derivative dropped**: $\Delta_1 = \Delta_2 W_2$ without $\odot H(1-H)$. The update for
#    $W_1$ is then no longer a gradient of $L$ at all.

# %%
X_train = np.linspace(-3, 3, 64)[:, None]
Y_train = np.sin(X_train)

def train(update, steps=3000, activation_derivative=True):
    P = init_params(1, 16, 1, seed=0)
    history = []
    for _ in range(steps):
        G = backward_by_hand(X_train, Y_train, P, activation_derivative)
        for name in P:
            P[name] = P[name] - update(G[name])
        history.append(loss_value(X_train, Y_train, P))
    return P, np.array(history)

runs = {
    "correct: lr * grad": train(lambda g: 0.5 * g),
    "mistake: lr * sign(grad)": train(lambda g: 0.01 * np.sign(g)),
    "mistake: no sigma'(z) in delta1": train(lambda g: 0.5 * g, activation_derivative=False),
}
for name, (_, history) in runs.items():
    print(f"{name:34s} loss after 100 steps {history[99]:.4f}, after 3000 {history[-1]:.5f}, lowest {history.min():.5f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for name, (params, history) in runs.items():
    axes[0].semilogy(history, label=name)
    axes[1].plot(X_train, forward(X_train, params)[1], label=name)
axes[0].set_xlabel("step"); axes[0].set_ylabel("loss"); axes[0].set_title("training loss"); axes[0].legend()
axes[1].plot(X_train, Y_train, "k--", label="sin(x)"); axes[1].set_title("the fitted functions"); axes[1].legend(fontsize=8)
plt.show()

correct = runs["correct: lr * grad"][1]
signed = runs["mistake: lr * sign(grad)"][1]
no_act = runs["mistake: no sigma'(z) in delta1"][1]
assert correct[-1] < 0.1 * signed[-1]           # sign updates stall at a floor set by the step size
assert correct[-1] < 0.1 * no_act[-1]           # the wrong "gradient" cannot fit the curve
assert no_act[-1] > no_act.min()                # ... and is not even a descent direction: the loss rises again

# %% [markdown]
# What the curves show:
#
# * **Correct gradients** keep improving: the steps shrink automatically as the gradient shrinks.
# * **Sign updates** start fast, but then stall at a floor. Near the minimum every parameter still jumps by
#   $\pm\eta$, so the iterate oscillates around the minimum instead of settling into it. (Adam, lesson 06,
#   behaves like a *smoothed* sign update, and relies on a decaying learning rate to finish.)
# * **A dropped activation derivative** stops at a much worse fit, and its loss eventually **rises**: the
#   "gradient" it follows is not the gradient of anything we minimise. No error is raised; only a gradient
#   check like the one in section 3 exposes this bug.
#
# > **Common mistakes**
# > * **Dropping $\sigma'(Z)$** when passing a delta back through an activation (see above). The code runs,
# >   the loss even drops for a while, and the result is quietly wrong.
# > * **Using the input instead of the output in $\sigma'$**: $H(1-H)$ uses the *activation* $H$, not $Z$.
# > * **Transposes**: $\partial L/\partial W = \Delta^\top \cdot \text{input}$ has the shape of $W$. If the
# >   shapes do not match, a transpose is missing. Never "fix" a shape with a reshape.
# > * **Not summing bias gradients over the batch**: $\partial L/\partial b = \sum_n \Delta_n$, of shape $(d,)$.
# > * **Updating with $\operatorname{sign}(\Delta)$, or forgetting the minus sign** in
# >   $\theta \leftarrow \theta - \eta\nabla L$. The second makes the loss grow at every step.
# > * **The $1/N$ in the wrong place**: applied to $\Delta_2$ once, it reaches every layer. Applied again per
# >   layer, the early layers learn $N$ times too slowly.

# %% [markdown]
# ## Exercises
#
# Each exercise cell holds a working answer. Overwrite it with your own and run the check.
#
# **Exercise 1.** Write `backward(X, Y, W1, b1, W2, b2)` for the network above (sigmoid hidden layer, loss
# $\frac{1}{2N}\sum\lVert\hat y - y\rVert^2$), returning a dict `{"W1": ..., "b1": ..., "W2": ..., "b2": ...}` of
# NumPy gradients. The checker compares them with autograd's.

# %%
from minigrad.check import lesson05

def my_backward(X, Y, W1, b1, W2, b2):
    N = X.shape[0]
    H = 1 / (1 + np.exp(-(X @ W1.T + b1)))
    Y_hat = H @ W2.T + b2
    delta2 = (Y_hat - Y) / N
    delta1 = (delta2 @ W2) * H * (1 - H)
    return {"W1": delta1.T @ X, "b1": delta1.sum(axis=0), "W2": delta2.T @ H, "b2": delta2.sum(axis=0)}

lesson05.exercise1(my_backward)

# %% [markdown]
# **Exercise 2.** Replace the sigmoid by $\tanh$: given $\Delta_2$, $W_2$ and the hidden activations
# $H = \tanh(Z_1)$, return $\Delta_1 = \partial L/\partial Z_1$.

# %%
def tanh_hidden_delta(delta2, W2, H):
    return (delta2 @ W2) * (1 - H ** 2)

lesson05.exercise2(tanh_hidden_delta)

# %% [markdown]
# **Next:** lesson 06 asks what to do *with* a gradient: plain gradient descent, momentum, and Adam.
