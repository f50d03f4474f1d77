# %% [markdown]
# # Lesson 10 — Attention
#
# **What you will learn**
# * **scaled dot-product attention** $\mathrm{softmax}(QK^\top/\sqrt d)\,V$, and why the $\sqrt d$;
# * **masks**: padding masks (ignore the filler at the end of short sentences) and causal masks (no peeking ahead);
# * **multi-head attention**, rebuilt by hand and compared with `nn.MultiheadAttention`;
# * why attention needs **positions**, and the sinusoidal encoding (a rotation per offset).
#
# Every derivative is checked with `mg.autograd.gradcheck` in float64 on tiny sizes. Lesson 11 builds the
# Transformer block around this layer.
#
# **What this lesson assumes:** lessons 01–07 (matmul, softmax and its Jacobian, autograd, `nn.Module`,
# `nn.Linear`).

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
    assert abs(raw.std() / math.sqrt(d) - 1) < 0.1 and abs((raw / math.sqrt(d)).std() - 1) < 0.1

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

# minigrad's own function, PyTorch's F.scaled_dot_product_attention, gives the same output;
# F.attention is the same function returning (output, weights), as ours does:
np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, v).numpy(), ref_out, rtol=1e-12)
np.testing.assert_allclose(F.attention(q, k, v)[1].numpy(), ref_w, rtol=1e-12)

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
y = x.detach().clone()
with mg.no_grad():
    y[:, -1] += 10.0                       # change only the last token
np.testing.assert_allclose(attention(x, x, x, causal)[0].numpy()[:, :-1], attention(y, y, y, causal)[0].numpy()[:, :-1], rtol=1e-12)
print("gradcheck(masked attention):", gradcheck(lambda a: attention(a, a, a, causal)[0] + attention(a, a, a, padding.unsqueeze(1))[0], (randn64(2, L, 4),)))

# PyTorch's F.scaled_dot_product_attention takes the opposite bool convention, True = may attend
# (and builds the causal mask itself with is_causal=True):
np.testing.assert_allclose(F.scaled_dot_product_attention(x, x, x, attn_mask=~causal).numpy(), attention(x, x, x, causal)[0].numpy(), rtol=1e-12)
np.testing.assert_allclose(F.scaled_dot_product_attention(x, x, x, is_causal=True).numpy(), attention(x, x, x, causal)[0].numpy(), rtol=1e-12)

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
# ## 4. Positional encodings
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
# A sentence classifier (lesson 12) is: token embedding + position embedding $\to$ a few Transformer blocks (lesson
# 11) $\to$ pool the positions (the first token, or the mean over real tokens) $\to$ a linear layer to 2 classes.
#
# > **Common mistakes**
# >
# > * Softmax over the wrong axis: the weights of one **query** (a row, `dim=-1`, over the keys) sum to 1.
# > * Forgetting $1/\sqrt d$: training still runs, but the softmax saturates and learning slows or stalls at larger $d$.
# > * Masking *after* the softmax (multiplying weights by 0): the remaining weights no longer sum to 1.  Mask the scores.
# > * Using `-inf` for masked scores: a row with every key masked becomes NaN.  A large negative number is safe.
# > * Mask polarity: here (and in PyTorch's bool masks) **True means "not allowed"**.
# > * `reshape(N, H, L, d_h)` straight from `(N, L, E)`: it scrambles tokens and heads.  Reshape to `(N, L, H, d_h)`,
# >   then transpose.

# %% [markdown]
# ## Exercises
#
# Each exercise is a stub: its docstring gives the task, the signature and a hint, and its body raises
# `NotImplementedError`. Replace that line with your code and run the cell; the checker reports "not yet solved"
# until you do. Reference solutions: `lessons/_solutions/lesson10.py`.
#
# **Exercise 1 — splitting and merging heads.** Write the two reshapes of section 3 as functions: `(N, L, E)` to
# `(N, H, L, E/H)` and back. The checker compares with `nn.MultiheadAttention`'s layout and names the scrambling
# reshape.

# %%
from minigrad.check import lesson10

def split_heads(x, n_heads):
    """Return x of shape (N, L, E) as (N, H, L, E // H): head h gets features h*E/H .. (h+1)*E/H - 1.

    Hint: reshape to (N, L, H, E // H) first, then transpose(1, 2).
    """
    raise NotImplementedError("exercise 1: write split_heads")

def merge_heads(x):
    """Inverse of split_heads: (N, H, L, D) -> (N, L, H * D). Hint: transpose(1, 2), then reshape."""
    raise NotImplementedError("exercise 1: write merge_heads")

lesson10.exercise1(split_heads, merge_heads)

# %% [markdown]
# **Exercise 2 — one step with a KV cache.** A language model generates one token at a time. With a causal mask,
# the output at the newest position $t$ depends only on its query $q_t$ and the keys and values of positions
# $0..t$, which earlier steps already computed (the "KV cache"). Write that single step; the checker compares it
# with row $t$ of full causal attention, and runs gradcheck.

# %%
def attend_last(q_last, k_cache, v_cache):
    """q_last (N, 1, d), k_cache (N, t+1, d), v_cache (N, t+1, d_v) -> output (N, 1, d_v) for the newest position.

    Hint: no mask is needed: every cached key is at or before position t. softmax(q k^T / sqrt(d)) v.
    """
    raise NotImplementedError("exercise 2: write attend_last")

lesson10.exercise2(attend_last)

# %% [markdown]
# **Exercise 3 — attention with linear biases (ALiBi).** Instead of adding position vectors to the inputs, ALiBi
# (Press et al., 2022) subtracts a penalty growing with distance from every causal score:
# $s_{ij} = q_i\cdot k_j/\sqrt d - m\,(i - j)$ for $j \le i$, masked for $j > i$. Write it for one head with slope $m$.

# %%
def alibi_attention(q, k, v, slope):
    """Causal attention with scores q k^T / sqrt(d) - slope * (i - j); q, k (N, L, d), v (N, L, d_v).
    Return (output (N, L, d_v), weights (N, L, L)).

    Hint: distance = i - j as an (L, L) tensor (from np.arange); mask j > i with masked_fill(-1e9) before the softmax.
    """
    raise NotImplementedError("exercise 3: write alibi_attention")

lesson10.exercise3(alibi_attention)

# %% [markdown]
# **Next:** lesson 11 wraps attention into a Transformer block: layer normalisation, residual connections, the
# feed-forward network, and the choice between post-norm and pre-norm.
