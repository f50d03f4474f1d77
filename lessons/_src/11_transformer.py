# %% [markdown]
# # Lesson 11 — The Transformer block: layer norm, residuals, post-norm and pre-norm
#
# **What you will learn**
# * **layer normalisation** and its backward pass, derived and checked;
# * **residual connections** and what they do to gradients in a deep stack;
# * how attention (lesson 10), a feed-forward network, residuals and layer norm make one **Transformer encoder
#   block**, checked against `nn.TransformerEncoderLayer`;
# * the two ways to place the norm — **post-norm** (the original Transformer) and **pre-norm** (most modern models,
#   and minigrad's sentiment classifier) — and the gradient that reaches each layer of a deep stack of each.
#
# Every derivative is checked with `mg.autograd.gradcheck` in float64 on tiny sizes.
#
# **What this lesson assumes:** lesson 10 (attention, masks, `nn.MultiheadAttention`), and lessons 01–07.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

mg.manual_seed(0)
rng = np.random.default_rng(0)
gradcheck = mg.autograd.gradcheck

def randn64(*shape):
    """A small float64 tensor that requires grad: what gradcheck wants."""
    return mg.tensor(rng.standard_normal(shape), dtype=mg.float64, requires_grad=True)

# %% [markdown]
# ## 1. Layer normalisation
#
# Each position's vector $x\in\mathbb R^E$ is normalised over its own $E$ features (not over the batch):
#
# $$\mu = \frac1E\sum_m x_m,\quad \sigma^2 = \frac1E\sum_m (x_m-\mu)^2,\quad \hat x_m = \frac{x_m-\mu}{\sqrt{\sigma^2+\epsilon}},\quad y_m = \gamma_m \hat x_m + \beta_m .$$
#
# **Backward.**  Let $g = \partial L/\partial \hat x$ (that is $\gamma \odot \partial L/\partial y$) and $r = 1/\sqrt{\sigma^2+\epsilon}$.
# Using $\partial\mu/\partial x_n = 1/E$ and $\partial\sigma^2/\partial x_n = \frac2E(x_n-\mu)$ (the $\sum_m(x_m-\mu)$ term vanishes),
#
# $$\frac{\partial \hat x_m}{\partial x_n} = r\Big(\delta_{mn} - \frac1E\Big) - \frac{r}{E}\,\hat x_m\hat x_n
# \quad\Longrightarrow\quad \frac{\partial L}{\partial x_n} = r\Big(g_n - \overline{g} - \hat x_n\,\overline{g\hat x}\Big),$$
#
# where the bars are means over the $E$ features.  The gradient is the incoming one with its mean and its
# component along $\hat x$ removed: shifting or scaling $x$ does not change $\hat x$, so those directions get no gradient.
# Checks: forward against NumPy, this backward formula against autograd, and gradcheck (including $\gamma,\beta$).

# %%
def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(dim=-1, keepdim=True)
    var = ((x - mu) ** 2).mean(dim=-1, keepdim=True)
    return (x - mu) / (var + eps).sqrt() * gamma + beta

x, gamma, beta = randn64(3, 5), randn64(5), randn64(5)
y = layer_norm(x, gamma, beta)
xn = x.numpy()
x_hat = (xn - xn.mean(-1, keepdims=True)) / np.sqrt(xn.var(-1, keepdims=True) + 1e-5)
np.testing.assert_allclose(y.numpy(), x_hat * gamma.numpy() + beta.numpy(), rtol=1e-12)
np.testing.assert_allclose(F.layer_norm(x, (5,), gamma, beta).numpy(), y.numpy(), rtol=1e-10)

upstream = rng.standard_normal((3, 5))
(y * mg.tensor(upstream)).sum().backward()
g = upstream * gamma.numpy()
r = 1 / np.sqrt(xn.var(-1, keepdims=True) + 1e-5)
by_hand = r * (g - g.mean(-1, keepdims=True) - x_hat * (g * x_hat).mean(-1, keepdims=True))
np.testing.assert_allclose(x.grad.numpy(), by_hand, rtol=1e-9, atol=1e-12)
print("layer norm: forward == NumPy == F.layer_norm, backward == the derived formula")
assert gradcheck(layer_norm, (randn64(3, 5), randn64(5), randn64(5)))

# %% [markdown]
# ## 2. Residual connections
#
# A block computes $x + f(x)$ instead of $f(x)$.  Its Jacobian is $I + J_f$, so the gradient reaching the input of a
# stack of $D$ blocks contains the product of $D$ factors $(I + J_f)$ — which always includes the plain $I$ path —
# instead of $J_{f_D}\cdots J_{f_1}$, which shrinks (or grows) exponentially when each $J_f$ is small (or large).
# Below: 30 layers of `tanh(Linear)` with a small initialisation, with and without the skip, and the size of the
# gradient that reaches each layer's input.

# %%
def gradient_norms(residual, depth=30, width=16):
    mg.manual_seed(4)
    layers = [nn.Linear(width, width) for _ in range(depth)]
    for layer in layers:
        nn.init.normal_(layer.weight, 0.0, 0.5 / math.sqrt(width))
    block = lambda h, layer: h + F.tanh(layer(h)) if residual else F.tanh(layer(h))
    probe = mg.randn(8, width)          # loss = sum(probe * output): the same size of gradient at the top
    h, inputs = mg.randn(8, width), []
    with mg.no_grad():
        for layer in layers:
            inputs.append(h)
            h = block(h, layer)
    norms = []
    for l in range(depth):              # dL/d(input of layer l): restart the forward pass from there
        start = inputs[l].detach().requires_grad_()
        out = start
        for layer in layers[l:]:
            out = block(out, layer)
        (out * probe).sum().backward()
        norms.append(float(np.linalg.norm(start.grad.numpy())))
    return norms

norms = {residual: gradient_norms(residual) for residual in (False, True)}
plt.figure(figsize=(5.5, 3.4))
for residual in (False, True):
    plt.plot(norms[residual], marker=".", label="x + f(x)" if residual else "f(x)")
plt.yscale("log"); plt.xlabel("layer whose input receives the gradient"); plt.ylabel("|dL/dx|")
plt.title("gradient reaching each layer of a 30-layer stack"); plt.legend(); plt.show()
assert gradcheck(lambda t: t + F.tanh(t @ t.T @ t), (randn64(3, 3),))
plain, skip = norms[False], norms[True]
print(f"gradient at the first layer / at the last: without skip {plain[0] / plain[-1]:.1e}, with {skip[0] / skip[-1]:.2f}")
assert plain[0] / plain[-1] < 1e-4                   # many orders of magnitude smaller at the bottom
assert 0.3 < skip[0] / skip[-1] < 10                 # with the skip: similar size everywhere

# %% [markdown]
# Without the skip, the gradient reaching the first layers is many orders of magnitude smaller than at the top (the
# printed ratio): they barely learn.  With it, every layer gets a gradient of similar size.  Every sub-block of a Transformer is wrapped this way.

# %% [markdown]
# ## 3. One Transformer encoder block (post-norm)
#
# Put the pieces together. The original Transformer, and `nn.TransformerEncoderLayer(norm_first=False)` (the
# default), normalise **after** each residual addition — *post-norm*:
#
# $$X' = \mathrm{LN}_1\big(X + \mathrm{MHA}(X)\big),\qquad Y = \mathrm{LN}_2\big(X' + \mathrm{FFN}(X')\big),\qquad
# \mathrm{FFN}(x) = W_2\,\mathrm{ReLU}(W_1x + b_1) + b_2 .$$
#
# The **feed-forward network** works on each position separately (usually $d_{ff} = 4E$). Attention mixes information
# *between* positions; the feed-forward network transforms it *within* each position. We build the block from our
# `layer_norm`, the layer's own attention module (lesson 10 rebuilt it by hand) and its weights, and compare:

# %%
def feed_forward(x, layer):
    return F.relu(x @ layer.linear1.weight.T + layer.linear1.bias) @ layer.linear2.weight.T + layer.linear2.bias

def post_norm_block(x, layer, key_padding_mask=None):
    attended = layer.self_attn(x, x, x, key_padding_mask=key_padding_mask, need_weights=False)[0]
    x = layer_norm(x + attended, layer.norm1.weight, layer.norm1.bias)
    return layer_norm(x + feed_forward(x, layer), layer.norm2.weight, layer.norm2.bias)

L = 6
padding = mg.tensor(np.arange(L)[None, :] >= np.array([6, 4])[:, None])     # sentence 2: 2 padding positions
mg.manual_seed(2)
layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=32, dropout=0.0, batch_first=True)
x = mg.randn(2, L, 8)
np.testing.assert_allclose(post_norm_block(x, layer, padding).numpy(), layer(x, src_key_padding_mask=padding).numpy(),
                           rtol=1e-4, atol=1e-5)
print("hand-built post-norm block == nn.TransformerEncoderLayer(norm_first=False)")

small = nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0, batch_first=True).double()
assert gradcheck(lambda t: post_norm_block(t, small), (randn64(1, 3, 4),))

# %% [markdown]
# ## 4. Pre-norm, and the gradient that reaches each layer
#
# **Pre-norm** moves the norm to the *input* of each sub-block and leaves the residual path untouched:
#
# $$X' = X + \mathrm{MHA}(\mathrm{LN}_1(X)),\qquad Y = X' + \mathrm{FFN}(\mathrm{LN}_2(X')),$$
#
# plus one final $\mathrm{LN}$ after the last block (the classifier of lesson 12 has it). This is
# `nn.TransformerEncoderLayer(norm_first=True)`, and what GPT-2 onwards use. Why it matters is the backward pass:
#
# * in **post-norm**, the gradient on its way down passes *through* every block's layer norms. Each divides by the
#   standard deviation of $x + f(x)$ and removes the components along the mean and along $\hat x$ (section 1), so
#   nothing guarantees that the gradient reaching the bottom of a deep stack keeps its size: the first blocks can
#   learn slowly at the start of training, one reason post-norm Transformers need a learning-rate warm-up (lesson 07);
# * in **pre-norm**, $Y = X + \ldots$ all the way down: the Jacobian of each block is $I + J$, so the plain identity
#   path carries the gradient from the top to the bottom unchanged (section 2), and every block adds to it.
#
# We measure it: 48 freshly initialised blocks of each kind (width 16, no dropout), the same input, a fixed random
# projection of the output as the loss, and the norm of the gradient at each block's input, for six random
# initialisations (seeds) of each kind.

# %%
def gradient_through_stack(norm_first, depth=48, width=16, seed=0):
    mg.manual_seed(seed)
    blocks = [nn.TransformerEncoderLayer(d_model=width, nhead=2, dim_feedforward=4 * width, dropout=0.0,
                                         batch_first=True, norm_first=norm_first) for _ in range(depth)]
    final_norm = nn.LayerNorm(width)                  # pre-norm stacks end with one more layer norm
    x = mg.randn(4, L, width, requires_grad=True)
    inputs, h = [], x
    for block in blocks:
        if h is not x:
            h.retain_grad()                           # keep .grad of this intermediate tensor, as in PyTorch
        inputs.append(h)
        h = block(h)
    out = final_norm(h) if norm_first else h
    (out * mg.randn(*out.shape)).sum().backward()
    to_input = [float(np.linalg.norm(t.grad.numpy())) for t in inputs]
    to_weights = [float(np.linalg.norm(b.linear2.weight.grad.numpy())) for b in blocks]
    return np.array(to_input), np.array(to_weights)

flow = {name: [gradient_through_stack(norm_first, seed=s)[0] for s in range(6)]
        for name, norm_first in (("post-norm", False), ("pre-norm", True))}

plt.figure(figsize=(6, 3.6))
for colour, (name, runs) in zip(("C0", "C1"), flow.items()):
    for s, to_input in enumerate(runs):
        plt.semilogy(to_input, color=colour, lw=1, label=name if s == 0 else None)
plt.xlabel("block l (0 = bottom)"); plt.ylabel("|dL/d(input of block l)|"); plt.legend()
plt.title("gradient reaching each block of a 48-block stack, 6 seeds", fontsize=9); plt.show()
bottom_over_top = {name: np.array([r[0] / r[-1] for r in runs]) for name, runs in flow.items()}
for name, ratios in bottom_over_top.items():
    print(f"{name:9s}: gradient at the bottom / at the top, per seed: {ratios.round(2)}")
assert np.all(bottom_over_top["pre-norm"] > 1.5)         # pre-norm: the bottom always gets more than the top
assert bottom_over_top["post-norm"].min() < 0.2          # post-norm: in some draws it collapses ...
post, pre = bottom_over_top["post-norm"], bottom_over_top["pre-norm"]
assert post.max() / post.min() > 5 > pre.max() / pre.min()   # ... and it varies far more from draw to draw

# %% [markdown]
# The pre-norm stack delivers 2–3 times the top's gradient to its bottom block in every draw: the identity path
# carries it down and each block adds its own share. The post-norm stack is a lottery: in one draw the bottom gets
# a twelfth of the top's gradient, in others about as much. That unpredictability at initialisation is the measured
# reason pre-norm trains deep stacks without careful warm-up. Post-norm is not worse everywhere: its output is
# normalised after every block, while the pre-norm residual stream grows with depth and needs that final layer norm.
#
# A sentence classifier (lesson 12) is: token embedding + position embedding $\to$ a few **pre-norm** blocks $\to$
# final $\mathrm{LN}$ $\to$ pool the positions $\to$ a linear layer to 2 classes.
#
# > **Common mistakes**
# >
# > * Layer norm with the unbiased variance ($\frac1{E-1}$) or over the batch axis: it normalises each position over
# >   its features with $\frac1E$.
# > * $\epsilon$ outside the square root: $\sqrt{\sigma^2 + \epsilon}$, not $\sqrt{\sigma^2} + \epsilon$ (PyTorch's
# >   definition; the two differ visibly for small $\sigma$).
# > * Pre-norm without the final layer norm: the residual stream's scale grows with depth and the classifier head
# >   sees ever larger inputs.
# > * Normalising the residual stream in a pre-norm block (`x = LN(x); x = x + f(x)`): that is neither form; the skip
# >   connection must carry the *un*-normalised $x$.
# > * Forgetting dropout's placement when comparing with PyTorch: both forms apply it to the sub-block output before
# >   the residual addition. Compare with `dropout=0.0`, as here.

# %% [markdown]
# ## Exercises
#
# Each exercise is a stub: its docstring gives the task, the signature and a hint, and its body raises
# `NotImplementedError`. Replace that line with your code and run the cell; the checker reports "not yet solved"
# until you do. Reference solutions: `lessons/_solutions/lesson11.py`.
#
# **Exercise 1 — a pre-norm block.** Write section 4's pre-norm block from `layer_norm`, `feed_forward` and the
# layer's attention module, equal to `nn.TransformerEncoderLayer(norm_first=True)` (with a key padding mask).

# %%
from minigrad.check import lesson11

def pre_norm_block(x, layer, key_padding_mask=None):
    """Return X' + FFN(LN2(X')) with X' = X + MHA(LN1(X)), using layer.norm1, layer.norm2, layer.self_attn and
    feed_forward(., layer) from section 3.

    Hint: h = layer_norm(x, layer.norm1.weight, layer.norm1.bias); attended = layer.self_attn(h, h, h,
    key_padding_mask=key_padding_mask, need_weights=False)[0]; x = x + attended; then the same for the FFN.
    """
    raise NotImplementedError("exercise 1: write pre_norm_block")

lesson11.exercise1(pre_norm_block, layer_norm, feed_forward)

# %% [markdown]
# **Exercise 2 — RMSNorm.** LLaMA and many recent models replace layer norm by RMSNorm, which skips the mean:
# $y = \gamma \odot x/\sqrt{\overline{x^2} + \epsilon}$ over the last dimension (no $\beta$, no centring). Write it from
# minigrad ops; the checker compares with NumPy and runs gradcheck.

# %%
def rms_norm(x, weight, eps=1e-6):
    """Return weight * x / sqrt(mean(x^2 over the last dim) + eps) for a minigrad tensor x (..., E), weight (E,).

    Hint: (x * x).mean(dim=-1, keepdim=True), then .sqrt() after adding eps.
    """
    raise NotImplementedError("exercise 2: write rms_norm")

lesson11.exercise2(rms_norm)

# %% [markdown]
# **Exercise 3 — RMSNorm's backward, by hand.** Derive $\partial L/\partial x$ for RMSNorm as section 1 did for layer
# norm, and compute it with NumPy. With $r = 1/\sqrt{\overline{x^2}+\epsilon}$, $\hat x = r x$ and $g = \gamma\odot\partial L/\partial y$,
# it is the layer-norm result without the mean term.

# %%
def rms_norm_backward(x, weight, grad_out, eps=1e-6):
    """Return dL/dx (NumPy, shape of x) for y = rms_norm(x, weight, eps) and grad_out = dL/dy.

    Hint: dr/dx_n = -r^3 x_n / E, so dL/dx = r (g - x_hat * mean(g * x_hat)) with g = weight * grad_out,
    means over the last axis (keepdims=True).
    """
    raise NotImplementedError("exercise 3: write rms_norm_backward")

lesson11.exercise3(rms_norm_backward)

# %% [markdown]
# **Next:** lesson 12 trains a small pre-norm Transformer built from these blocks to classify sentiment, end to end.
