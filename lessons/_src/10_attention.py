# %% [markdown]
# # Lesson 10 — Attention and the Transformer block
#
# **What you learn here**
#
# * **scaled dot-product attention** $\mathrm{softmax}(QK^\top/\sqrt d)\,V$, and why the $\sqrt d$;
# * **masks**: padding masks (ignore the filler at the end of short sentences) and causal masks (no peeking ahead);
# * **multi-head attention**, rebuilt by hand and compared with `nn.MultiheadAttention`;
# * **layer normalisation** and its backward pass, derived; **residual connections** and what they do to gradients;
# * **sinusoidal positional encodings**, and why attention needs *some* positional signal;
# * how these parts make one **Transformer encoder block**, checked against `nn.TransformerEncoderLayer`.
#
# Every derivative is checked with `mg.autograd.gradcheck` in float64 on tiny sizes.
#
# **What you need first**: lessons 01-07 (matmul, softmax and its Jacobian, autograd, `nn.Linear`, dropout).

# %%
import sys
from pathlib import Path

ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "minigrad" / "__init__.py").exists())
sys.path.insert(0, str(ROOT))

import math
import numpy as np
import matplotlib.pyplot as plt
import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.check import lesson10

mg.manual_seed(0)
rng = np.random.default_rng(0)
gradcheck = mg.autograd.gradcheck

def randn64(*shape):
    """A small float64 tensor that requires grad: what gradcheck wants."""
    return mg.tensor(rng.standard_normal(shape), dtype=mg.float64, requires_grad=True)

# %% [markdown]
# ## 1. Scaled dot-product attention
#
# A sentence of $L$ tokens arrives as $L$ vectors.  Each position $i$ asks a **query** $q_i\in\mathbb R^d$; each
# position $j$ offers a **key** $k_j$ (what it contains) and a **value** $v_j$ (what it passes on).  Position $i$
# scores every key, turns the scores into weights that sum to 1, and takes the weighted mix of the values:
#
# $$s_{ij} = \frac{q_i\cdot k_j}{\sqrt d},\qquad w_{ij} = \frac{e^{s_{ij}}}{\sum_{j'} e^{s_{ij'}}},\qquad o_i = \sum_j w_{ij} v_j
# \qquad\Longleftrightarrow\qquad O = \mathrm{softmax}\!\Big(\frac{QK^\top}{\sqrt d}\Big)V .$$
#
# **Why divide by $\sqrt d$?**  If the entries of $q$ and $k$ are independent with mean 0 and variance 1, then
# $q\cdot k=\sum_{m=1}^d q_m k_m$ is a sum of $d$ terms of variance 1: its variance is $d$.  For $d = 256$ the
# scores have standard deviation 16, the softmax puts almost all weight on one key, and its gradient
# $w_{ij}(\delta_{jj'}-w_{ij'})$ is nearly 0 everywhere.  Dividing by $\sqrt d$ brings the variance back to 1.

# %%
for d in (4, 64, 256):
    q, k = rng.standard_normal((2000, d)), rng.standard_normal((2000, d))
    raw = (q * k).sum(axis=1)
    print(f"d = {d:3d}: std of q.k = {raw.std():6.2f} (sqrt(d) = {math.sqrt(d):5.2f});  after / sqrt(d): {(raw / math.sqrt(d)).std():.2f}")

# %% [markdown]
# The formula in minigrad (the batch dimensions in front are carried along by `@`), checked against NumPy and
# with `gradcheck` for all three inputs.  The derivatives need nothing new: the chain rule through a matmul,
# a scale, the softmax (lesson 02's Jacobian $\mathrm{diag}(w) - ww^\top$ per row) and another matmul.

# %%
def attention(q, k, v, not_allowed=None):
    """softmax(q k^T / sqrt(d)) v; not_allowed (bool, True = may not attend) is broadcast onto the scores."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if not_allowed is not None:
        scores = scores.masked_fill(not_allowed, -1e9)   # e^(-1e9 - max) is exactly 0
    weights = F.softmax(scores, dim=-1)
    return weights @ v, weights


def attention_numpy(q, k, v, not_allowed=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if not_allowed is not None:
        scores = np.where(not_allowed, -1e9, scores)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = e / e.sum(axis=-1, keepdims=True)
    return weights @ v, weights

q, k, v = randn64(2, 4, 3), randn64(2, 5, 3), randn64(2, 5, 2)    # batch 2, L = 4 queries, S = 5 keys, d = 3
out, w = attention(q, k, v)
ref_out, ref_w = attention_numpy(q.numpy(), k.numpy(), v.numpy())
np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-12)
np.testing.assert_allclose(w.numpy().sum(axis=-1), 1.0)
print("output", tuple(out.shape), "weights", tuple(w.shape), "- equal to NumPy; every row of weights sums to 1")
print("gradcheck(attention) w.r.t. q, k, v:", gradcheck(lambda q, k, v: attention(q, k, v)[0], (q, k, v)))

# minigrad's own function gives the same (it returns (output, weights) too):
from minigrad.nn.layers.attention import scaled_dot_product_attention
np.testing.assert_allclose(scaled_dot_product_attention(q, k, v)[0].numpy(), ref_out, rtol=1e-12)

# %% [markdown]
# ## 2. Masks
#
# **Padding.** Sentences in a batch have different lengths, so short ones are padded with a `<pad>` token to the
# longest.  No query should attend to padding: for every padded key $j$ we set $s_{ij} = -\infty$ (in practice
# $-10^9$, which avoids the NaN that $-\infty - (-\infty)$ would make) so that $w_{ij}=e^{-\infty}/\ldots = 0$.
# A **key padding mask** is a bool `(batch, S)` tensor, True at the padding, broadcast over the queries.
#
# **Causal.** A language model predicting the next word must not see the future: query $i$ may only attend to
# keys $j \le i$.  The mask is True strictly above the diagonal.
#
# The gradient of a masked score is 0 (it was replaced by a constant), and the weights of the allowed keys are the
# softmax over those keys only — so masking is the same as deleting the masked keys.  We check that, plus gradcheck:

# %%
L = 6
causal = mg.tensor(np.triu(np.ones((L, L), dtype=bool), k=1))      # True above the diagonal = forbidden
lengths = [6, 4]                                                     # sentence 2 has 2 padding positions
padding = mg.tensor(np.arange(L)[None, :] >= np.array(lengths)[:, None])   # (batch, S): True at padding
print("causal mask (1 = forbidden):\n", causal.numpy().astype(int))
print("key padding mask:\n", padding.numpy().astype(int))

x = randn64(2, L, 4)
_, w_causal = attention(x, x, x, causal)
_, w_pad = attention(x, x, x, padding.unsqueeze(1))                  # (batch, 1, S) broadcasts over queries
assert np.all(w_causal.numpy()[:, np.triu_indices(L, 1)[0], np.triu_indices(L, 1)[1]] == 0)
assert np.all(w_pad.numpy()[1, :, 4:] == 0)

# masking == deleting the keys: sentence 2 with its padding cut off gives the same outputs for its real tokens
x2 = x[1:2, :4]
np.testing.assert_allclose(attention(x, x, x, padding.unsqueeze(1))[0].numpy()[1, :4], attention(x2, x2, x2)[0].numpy()[0], rtol=1e-12)

# causal: changing a later token leaves earlier outputs unchanged
y = x.detach().clone(); y.data[:, -1] += 10.0
np.testing.assert_allclose(attention(x, x, x, causal)[0].numpy()[:, :-1], attention(y, y, y, causal)[0].numpy()[:, :-1], rtol=1e-12)
print("gradcheck(masked attention):", gradcheck(lambda a: attention(a, a, a, causal)[0] + attention(a, a, a, padding.unsqueeze(1))[0], (randn64(2, L, 4),)))

fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
for ax, weights, title in [(axes[0], attention(x, x, x)[1].numpy()[1], "no mask"),
                           (axes[1], w_pad.numpy()[1], "padding mask (last 2 keys are <pad>)"),
                           (axes[2], w_causal.numpy()[1], "causal mask")]:
    im = ax.imshow(weights, cmap="viridis", vmin=0, vmax=1)
    ax.set_title(title, fontsize=9); ax.set_xlabel("key j"); ax.set_ylabel("query i")
fig.colorbar(im, ax=axes, shrink=0.8); plt.show()

# %% [markdown]
# ## 3. Multi-head attention
#
# One attention mixes values with one set of weights.  **Multi-head** attention runs $H$ attentions side by side,
# each on its own learned projections into a $d_h = E/H$-dimensional space, so different heads can look for
# different things (the previous word, the negation, the subject):
#
# $$\mathrm{head}_h = \mathrm{Attention}(XW_Q^{h\top}, XW_K^{h\top}, XW_V^{h\top}),\qquad \mathrm{MHA}(X) = [\mathrm{head}_1,\ldots,\mathrm{head}_H]\,W_O^\top + b_O .$$
#
# In code the $H$ projections are one $E\to E$ linear map whose output is reshaped to `(N, L, H, d_h)` and transposed to
# `(N, H, L, d_h)`: the heads become a batch dimension.  `nn.MultiheadAttention` (like PyTorch's) stores $W_Q, W_K, W_V$
# stacked in `in_proj_weight` of shape $(3E, E)$.  We rebuild it from its own parameters:

# %%
def multi_head_attention(x, mha, key_padding_mask=None):
    """Self-attention with the weights of `mha` (batch_first), written out step by step."""
    n, length, e = x.shape
    h = mha.num_heads
    w_q, w_k, w_v = mha.in_proj_weight[:e], mha.in_proj_weight[e:2 * e], mha.in_proj_weight[2 * e:]
    b_q, b_k, b_v = mha.in_proj_bias[:e], mha.in_proj_bias[e:2 * e], mha.in_proj_bias[2 * e:]
    def split(t):                                                    # (N, L, E) -> (N, H, L, E/H)
        return t.reshape(n, length, h, e // h).transpose(1, 2)
    q, k, v = split(x @ w_q.T + b_q), split(x @ w_k.T + b_k), split(x @ w_v.T + b_v)
    mask = None if key_padding_mask is None else key_padding_mask.reshape(n, 1, 1, length)
    heads, weights = attention(q, k, v, mask)                        # (N, H, L, E/H), (N, H, L, L)
    merged = heads.transpose(1, 2).reshape(n, length, e)             # concatenate the heads
    return merged @ mha.out_proj.weight.T + mha.out_proj.bias, weights

mg.manual_seed(1)
mha = nn.MultiheadAttention(embed_dim=8, num_heads=2, batch_first=True)
x = mg.randn(2, L, 8)
ours, our_weights = multi_head_attention(x, mha, padding)
theirs, their_weights = mha(x, x, x, key_padding_mask=padding)      # weights averaged over heads by default
np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(our_weights.mean(dim=1).numpy(), their_weights.numpy(), rtol=1e-5, atol=1e-7)
print("hand-written multi-head attention == nn.MultiheadAttention (outputs and head-averaged weights)")

mha64 = nn.MultiheadAttention(embed_dim=4, num_heads=2, batch_first=True).double()
print("gradcheck(multi-head attention) w.r.t. x:", gradcheck(lambda t: multi_head_attention(t, mha64)[0], (randn64(1, 3, 4),)))

# %% [markdown]
# ## 4. Layer normalisation
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
print("gradcheck(layer_norm) w.r.t. x, gamma, beta:", gradcheck(layer_norm, (randn64(3, 5), randn64(5), randn64(5))))

# %% [markdown]
# ## 5. Residual connections
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

plt.figure(figsize=(5.5, 3.4))
for residual in (False, True):
    plt.plot(gradient_norms(residual), marker=".", label="x + f(x)" if residual else "f(x)")
plt.yscale("log"); plt.xlabel("layer whose input receives the gradient"); plt.ylabel("|dL/dx|")
plt.title("gradient reaching each layer of a 30-layer stack"); plt.legend(); plt.show()
print("gradcheck(residual block):", gradcheck(lambda t: t + F.tanh(t @ t.T @ t), (randn64(3, 3),)))

# %% [markdown]
# Without the skip, the gradient reaching the first layers is many orders of magnitude smaller than at the top: they
# barely learn.  With it, every layer gets a gradient of similar size.  Every sub-block of a Transformer is wrapped this way.
#
# ## 6. Positional encodings
#
# Attention treats its input as a **set**: permute the tokens and the outputs are permuted the same way, nothing else
# changes.  So "the film is not good" and "not the film is good" would look alike.  We check that, then add position
# information.

# %%
perm = np.array([3, 0, 4, 1, 5, 2])
x = mg.randn(1, L, 8)
out, _ = multi_head_attention(x, mha)
out_perm, _ = multi_head_attention(x[:, perm], mha)
np.testing.assert_allclose(out_perm.numpy(), out.numpy()[:, perm], rtol=1e-5, atol=1e-6)
print("attention is permutation-equivariant: shuffling the tokens just shuffles the outputs")

# %% [markdown]
# The original Transformer adds to token $p$'s embedding a vector of sines and cosines of geometrically spaced
# frequencies: for $i = 0,\ldots,E/2-1$,
#
# $$PE_{p,2i} = \sin\!\big(p\,\omega_i\big),\qquad PE_{p,2i+1} = \cos\!\big(p\,\omega_i\big),\qquad \omega_i = 10000^{-2i/E}.$$
#
# Each pair of dimensions is a point on a circle turning at its own speed.  Moving $k$ positions rotates every pair by
# the angle $k\omega_i$, a **linear** map that does not depend on $p$:
# $\begin{pmatrix}\sin((p+k)\omega)\\ \cos((p+k)\omega)\end{pmatrix} = \begin{pmatrix}\cos k\omega & \sin k\omega\\ -\sin k\omega & \cos k\omega\end{pmatrix}\begin{pmatrix}\sin p\omega\\ \cos p\omega\end{pmatrix}$,
# so relative offsets are easy for a linear layer to read.  (minigrad's sentiment model, like BERT, *learns* its
# position embeddings instead: an `nn.Embedding(max_len, E)` — simpler, and as good at these lengths.)

# %%
def sinusoidal_encoding(max_len, dim):
    position = np.arange(max_len)[:, None]
    omega = 10000.0 ** (-np.arange(0, dim, 2) / dim)
    pe = np.zeros((max_len, dim))
    pe[:, 0::2] = np.sin(position * omega)
    pe[:, 1::2] = np.cos(position * omega)
    return pe

pe = sinusoidal_encoding(64, 32)
k_shift, i = 5, 3
omega = 10000.0 ** (-2 * i / 32)
rotation = np.array([[math.cos(k_shift * omega), math.sin(k_shift * omega)], [-math.sin(k_shift * omega), math.cos(k_shift * omega)]])
np.testing.assert_allclose(pe[k_shift:, 2 * i:2 * i + 2], pe[:-k_shift, 2 * i:2 * i + 2] @ rotation.T, atol=1e-12)
print("PE(p + 5) is a fixed rotation of PE(p), for every p")

fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
im = axes[0].imshow(pe.T, aspect="auto", cmap="RdBu")
axes[0].set_xlabel("position p"); axes[0].set_ylabel("dimension"); axes[0].set_title("sinusoidal positional encoding")
fig.colorbar(im, ax=axes[0])
axes[1].plot(pe @ pe[20], marker=".")
axes[1].axvline(20, color="gray", ls=":")
axes[1].set_xlabel("position p"); axes[1].set_title("PE(p) . PE(20): largest at p = 20, falls off with distance")
plt.tight_layout(); plt.show()

# %% [markdown]
# ## 7. One Transformer encoder block
#
# Put the pieces together (post-norm, as in the original paper and in `nn.TransformerEncoderLayer(norm_first=False)`):
#
# $$X' = \mathrm{LN}_1\big(X + \mathrm{MHA}(X)\big),\qquad Y = \mathrm{LN}_2\big(X' + W_2\,\mathrm{ReLU}(W_1X' + b_1) + b_2\big).$$
#
# The second sub-block, the **feed-forward network**, works on each position separately (usually $d_{ff} = 4E$).
# Attention mixes information *between* positions; the feed-forward network transforms it *within* each position.
# We build it from our own functions and the parameters of an `nn.TransformerEncoderLayer`, and compare:

# %%
def encoder_block(x, layer, key_padding_mask=None):
    attended, _ = multi_head_attention(x, layer.self_attn, key_padding_mask)
    x = layer_norm(x + attended, layer.norm1.weight, layer.norm1.bias)
    hidden = F.relu(x @ layer.linear1.weight.T + layer.linear1.bias)
    return layer_norm(x + hidden @ layer.linear2.weight.T + layer.linear2.bias, layer.norm2.weight, layer.norm2.bias)

mg.manual_seed(2)
layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=32, dropout=0.0, batch_first=True)
x = mg.randn(2, L, 8)
np.testing.assert_allclose(encoder_block(x, layer, padding).numpy(), layer(x, src_key_padding_mask=padding).numpy(), rtol=1e-4, atol=1e-5)
print("hand-built block == nn.TransformerEncoderLayer")

small = nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0, batch_first=True).double()
print("gradcheck(encoder block) w.r.t. x:", gradcheck(lambda t: encoder_block(t, small), (randn64(1, 3, 4),)))

# %% [markdown]
# A sentence classifier (lesson 12) is: token embedding + position embedding $\to$ a few such blocks $\to$ pool the
# positions (the first token, or the mean over real tokens) $\to$ a linear layer to 2 classes.
#
# ## Exercises
#
# **Exercise 1.** `my_attention(q, k, v, not_allowed=None)` returns `(output, weights)` for inputs `(..., L, d)`,
# `(..., S, d)`, `(..., S, d_v)`; `not_allowed` is a bool tensor broadcastable to `(..., L, S)`, True where attention is
# forbidden.  The checker compares with NumPy (with and without masks) and runs gradcheck.

# %%
def my_attention(q, k, v, not_allowed=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if not_allowed is not None:
        scores = scores.masked_fill(not_allowed, -1e9)
    weights = F.softmax(scores, dim=-1)
    return weights @ v, weights

lesson10.exercise1(my_attention);

# %% [markdown]
# **Exercise 2.** `causal_mask(length)` returns a bool tensor of shape `(length, length)`, True where query $i$ may
# **not** attend to key $j$.

# %%
def causal_mask(length):
    return mg.tensor(np.triu(np.ones((length, length), dtype=bool), k=1))

lesson10.exercise2(causal_mask);

# %% [markdown]
# **Exercise 3.** `sinusoidal_positions(max_len, dim)` returns the `(max_len, dim)` sinusoidal encoding of section 6
# (sine in even dimensions, cosine in odd ones) as a NumPy array or a tensor.

# %%
def sinusoidal_positions(max_len, dim):
    return sinusoidal_encoding(max_len, dim)

lesson10.exercise3(sinusoidal_positions);

# %% [markdown]
# **Exercise 4.** `my_layer_norm(x, weight, bias, eps=1e-5)` normalises over the last dimension and must be
# differentiable (the checker runs gradcheck on it).

# %%
def my_layer_norm(x, weight, bias, eps=1e-5):
    mu = x.mean(dim=-1, keepdim=True)
    var = ((x - mu) ** 2).mean(dim=-1, keepdim=True)
    return (x - mu) / (var + eps).sqrt() * weight + bias

lesson10.exercise4(my_layer_norm);

# %% [markdown]
# > **Common mistakes**
# >
# > * Softmax over the wrong axis: the weights of one **query** (a row, `dim=-1`, over the keys) sum to 1.
# > * Forgetting $1/\sqrt d$: training still runs, but the softmax saturates and learning slows or stalls at larger $d$.
# > * Masking *after* the softmax (multiplying weights by 0): the remaining weights no longer sum to 1.  Mask the scores.
# > * Using `-inf` for masked scores: a row with every key masked becomes NaN.  A large negative number is safe.
# > * Mask polarity: here (and in PyTorch's bool masks) **True means "not allowed"**.
# > * Layer norm with the unbiased variance ($\frac1{E-1}$) or over the batch axis: it normalises each position over its
# >   features with $\frac1E$.
# > * `reshape(N, H, L, d_h)` straight from `(N, L, E)`: it scrambles tokens and heads.  Reshape to `(N, L, H, d_h)`, then transpose.
#
# **Next:** lesson 12 trains a small Transformer built from exactly these blocks to classify sentiment.
