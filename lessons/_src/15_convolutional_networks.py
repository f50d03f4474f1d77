# %% [markdown]
# # Lesson 15 — Convolutional networks: from a sliding window to a matmul, and a CNN that reads digits
#
# **What you will learn**
# * what a **convolution** computes — a small filter slid over an image — written first as loops, then as
#   **im2col + one matrix product** (how minigrad, and most libraries, really run it);
# * its **backward pass derived by hand**: the weight gradient is a *correlation* of the input with the
#   output gradient, the input gradient a *transposed convolution*; both checked against autograd and `gradcheck`;
# * **receptive fields**: how far into the image one unit of a deep layer can see;
# * why **pooling** and **batch normalisation** help, with their formulas and gradients;
# * a small CNN trained on **real handwritten digits** (scikit-learn's 1,797 images of 8x8 pixels) to
#   **≥ 98 % test accuracy**, against an MLP with the *same number of parameters* on digits shifted by one pixel;
# * what the network learned: its **filters** and **feature maps**.
#
# **What this lesson assumes:** lessons 01 (matmul and its gradient), 04 (autograd, `gradcheck`), 07 (the training
# loop), 08 (training practice) and 11 (layer norm, whose backward batch norm shares). Everything runs on the CPU in
# well under a minute; the data ships inside scikit-learn (no download: it is in the `lessons` and `dev` extras).

# %%
import numpy as np
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from threadpoolctl import threadpool_limits
import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.check import lesson15

mg.manual_seed(0)
rng = np.random.default_rng(0)
# This lesson's matrices are small: one BLAS thread is fastest for them (and steady on a busy machine).
threadpool_limits(1, user_api="blas")

# %% [markdown]
# ## 1. The data: handwritten digits, 8 x 8 pixels
#
# `load_digits()` returns 1,797 grey-scale images of the digits 0–9, each 8 x 8 pixels with values
# 0–16. We scale them to [0, 1], add a channel axis (a CNN's input is `(N, C, H, W)`: batch, channels,
# height, width; here one channel), and keep a seeded 20 % aside as the **test set**, touched only to
# report the final numbers.

# %%
digits = load_digits()
images = (digits.images / 16.0).astype(np.float32)[:, None]      # (1797, 1, 8, 8)
labels = digits.target.astype(np.int64)
order = np.random.default_rng(0).permutation(len(labels))
test_idx, train_idx = order[:360], order[360:]
x_train, y_train = images[train_idx], labels[train_idx]
x_test, y_test = images[test_idx], labels[test_idx]
print(f"{len(train_idx)} training and {len(test_idx)} test images of shape {images.shape[1:]}")

fig, axes = plt.subplots(1, 10, figsize=(10, 1.3))
for ax, i in zip(axes, range(10)):
    ax.imshow(x_train[i, 0], cmap="gray_r"); ax.set_title(str(y_train[i])); ax.axis("off")
plt.show()

# %% [markdown]
# ## 2. Convolution is a sliding window
#
# A **filter** (kernel) $w$ of size $k_h \times k_w$ over $C$ input channels is slid over the image; at every
# position it computes one dot product with the window under it. With $O$ filters, stride $s$ (the step
# between positions), padding $p$ (zeros added around the image) and dilation $d$ (the gap between taps):
#
# $$y_{n,o,y,x} = b_o + \sum_{c=1}^{C}\sum_{i=0}^{k_h-1}\sum_{j=0}^{k_w-1} w_{o,c,i,j}\; x^{\text{pad}}_{n,\,c,\;y s + i d,\;x s + j d}.$$
#
# The output has $\lfloor (H + 2p - d(k-1) - 1)/s \rfloor + 1$ rows: the positions where the whole window fits.
# (Strictly this is a *cross-correlation*; a mathematician's convolution flips $w$ first. Deep-learning
# libraries all use this form and call it convolution; a learned filter does not care.)
#
# The same filter is used at **every** position. That *weight sharing* is the whole idea: a filter that
# detects a stroke detects it anywhere, and a layer with 16 filters of 3 x 3 has 16·9 + 16 = 160
# parameters however large the image is. Here is the formula as plain loops, checked against `F.conv2d`:

# %%
def conv2d_loops(x, w, b, stride=1, padding=0):
    """The formula above with explicit loops (NumPy arrays, dilation 1)."""
    n, c, h, width = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh, ow = (h + 2 * padding - kh) // stride + 1, (width + 2 * padding - kw) // stride + 1
    y = np.zeros((n, o, oh, ow))
    for img in range(n):
        for f in range(o):
            for r in range(oh):
                for q in range(ow):
                    window = xp[img, :, r * stride:r * stride + kh, q * stride:q * stride + kw]
                    y[img, f, r, q] = (window * w[f]).sum() + b[f]
    return y

x = rng.standard_normal((2, 3, 7, 6))
w = rng.standard_normal((4, 3, 3, 3))
b = rng.standard_normal(4)
for stride, padding in [(1, 0), (2, 1)]:
    ours = F.conv2d(mg.tensor(x), mg.tensor(w), mg.tensor(b), stride=stride, padding=padding).numpy()
    np.testing.assert_allclose(ours, conv2d_loops(x, w, b, stride, padding), rtol=1e-10)
    print(f"stride {stride}, padding {padding}: output {ours.shape}, equal to the loops")

# %% [markdown]
# ## 3. im2col: the windows become a matrix, the convolution one matmul
#
# Four nested loops of tiny dot products are slow in Python and not much better on a GPU. The trick every
# library uses: copy every window into one **column** of a matrix (**im2col**, "image to columns"):
#
# $$\text{cols}_{(c,i,j),\,(y,x)} = x^{\text{pad}}_{c,\; y s + i d,\; x s + j d}, \qquad \text{cols} \in \mathbb R^{C k_h k_w \times OH\cdot OW}.$$
#
# Then every output pixel is (row of filters) · (column of its window), so the whole layer is **one matmul**
# $Y = W\,\text{cols}$ with $W$ reshaped to $(O, C k_h k_w)$ — and matmuls are what BLAS and GPUs do best.
# `F.unfold` is PyTorch's name for im2col:

# %%
xt, wt = mg.tensor(x), mg.tensor(w)
cols = F.unfold(xt, kernel_size=3, padding=1)                     # (N, C*3*3, L) with L = 7*6 windows
print("cols:", cols.shape, "  weight as a matrix:", wt.reshape(4, -1).shape)
y_matmul = (wt.reshape(4, -1) @ cols).reshape(2, 4, 7, 6)         # (O, CKK) @ (N, CKK, L) -> (N, O, L)
np.testing.assert_allclose(y_matmul.numpy(), F.conv2d(xt, wt, padding=1).numpy(), rtol=1e-10)
print("W @ im2col(x) == conv2d(x, W)")
print(f"the price: cols holds {cols.numel()} numbers, x only {xt.numel()} ({cols.numel() / xt.numel():.0f}x: "
      "each pixel is copied into up to 3*3 windows)")

# %% [markdown]
# minigrad's `F.conv2d` is exactly this (`minigrad/ops/convolution.py`), with the windows laid out so that the
# copies are fast, and with **groups**: the channels split into $G$ groups, each filter sees only its group —
# one matmul per group. On the GPU, `kernels/conv.py` has the im2col kernel (and, as the first rung of its
# ladder, a *direct* convolution with one thread per output number; run `python -m kernels.conv`).
#
# ## 4. The backward pass, derived
#
# Write the output gradient $G = \partial L / \partial Y$ in the same layout as $Y = W\,\text{cols}$. A matmul's
# gradients are matmuls (lesson 01):
#
# $$\frac{\partial L}{\partial W} = G\,\text{cols}^\top, \qquad \frac{\partial L}{\partial \text{cols}} = W^\top G.$$
#
# * **The weight gradient** $\big(G\,\text{cols}^\top\big)_{o,(c,i,j)} = \sum_{n,y,x} g_{n,o,y,x}\, x^{\text{pad}}_{n,c,ys+i,xs+j}$
#   is a **correlation of the input with the output gradient**: slide $g$ over $x$ instead of $w$.
#   It sums over every image and position — every use of the shared weight contributes.
# * **The input gradient**: each entry of cols was *copied* from one pixel, so the pixel receives the sum of
#   the gradients of all its copies — the adjoint of im2col, **col2im** (PyTorch: `F.fold`). Together,
#   $\partial L/\partial x = \text{col2im}(W^\top G)$ spreads each output gradient back over its window,
#   weighted by $w$: a **transposed convolution**. For stride 1 it is an ordinary convolution of $g$
#   (padded by $k-1-p$) with the filters flipped in space and their in/out channels swapped.
#
# Checked three ways: the formulas against autograd, autograd against finite differences, and the
# flipped-filter identity.

# %%
x_leaf = mg.tensor(x, requires_grad=True)
w_leaf = mg.tensor(w, requires_grad=True)
y = F.conv2d(x_leaf, w_leaf, padding=1)
g = mg.tensor(rng.standard_normal(y.shape))
y.backward(g)

cols = F.unfold(mg.tensor(x), 3, padding=1)                       # (N, CKK, L)
g_mat = g.reshape(2, 4, -1)                                       # (N, O, L)
dw = (g_mat @ cols.transpose(1, 2)).sum(0).reshape(w.shape)       # G cols^T, summed over the images
dx = F.fold(mg.tensor(w).reshape(4, -1).T @ g_mat, (7, 6), 3, padding=1)   # col2im(W^T G)
np.testing.assert_allclose(dw.numpy(), w_leaf.grad.numpy(), rtol=1e-10)
np.testing.assert_allclose(dx.numpy(), x_leaf.grad.numpy(), rtol=1e-10)
print("dL/dW = G cols^T and dL/dx = col2im(W^T G): both equal autograd")

flipped = mg.tensor(np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)))   # (C, O, 3, 3)
dx_conv = F.conv2d(g, flipped, padding=3 - 1 - 1)
np.testing.assert_allclose(dx_conv.numpy(), x_leaf.grad.numpy(), rtol=1e-10)
print("stride 1: dL/dx = conv2d(g, flipped and transposed W, padding k-1-p)")

small = (mg.randn(1, 2, 5, 4, dtype=mg.float64, requires_grad=True), mg.randn(3, 2, 2, 3, dtype=mg.float64, requires_grad=True),
         mg.randn(3, dtype=mg.float64, requires_grad=True))
print("gradcheck(conv2d with stride 2, padding 1, dilation 2):",
      mg.autograd.gradcheck(lambda a, b_, c: F.conv2d(a, b_, c, stride=2, padding=1, dilation=2), small))

# %% [markdown]
# ## 5. Receptive fields: how much of the image one unit sees
#
# A unit of the first 3 x 3 convolution sees 3 x 3 pixels. After a 2 x 2 pooling with stride 2, neighbouring
# units are 2 pixels apart in the input, so the next 3 x 3 convolution spans $3 + (3-1)\cdot 2 = 7$ ... Layer by
# layer, with $r$ the receptive field and $j$ the distance (in input pixels) between neighbouring units:
#
# $$r_l = r_{l-1} + (k_l - 1)\, j_{l-1}, \qquad j_l = j_{l-1}\, s_l, \qquad r_0 = j_0 = 1.$$
#
# For our CNN (conv 3, pool 2, conv 3, pool 2): $r = 3, 4, 8, 10$. With 8 x 8 images, a unit at the end
# sees (almost) the whole digit. Autograd can *measure* it: the gradient of one deep unit with respect to the
# input is non-zero exactly on the pixels that unit depends on. (We use all-ones filters and average pooling,
# so no ReLU or max can hide a dependency by a zero.)

# %%
def receptive_fields(layers):
    r, j, out = 1, 1, []
    for kernel, stride in layers:
        r, j = r + (kernel - 1) * j, j * stride
        out.append(r)
    return out

print("formula:", receptive_fields([(3, 1), (2, 2), (3, 1), (2, 2)]))
probe = mg.zeros(1, 1, 16, 16, requires_grad=True)
ones = mg.ones(1, 1, 3, 3)
deep = F.avg_pool2d(F.conv2d(F.avg_pool2d(F.conv2d(probe, ones, padding=1), 2), ones, padding=1), 2)
deep[0, 0, 2, 2].backward()
seen = probe.grad.numpy()[0, 0] != 0
rows, columns = np.nonzero(seen)
print(f"measured: the unit depends on a {rows.max() - rows.min() + 1} x {columns.max() - columns.min() + 1} block of pixels")
assert rows.max() - rows.min() + 1 == 10 and columns.max() - columns.min() + 1 == 10
plt.figure(figsize=(2.6, 2.6)); plt.imshow(probe.grad.numpy()[0, 0], cmap="viridis"); plt.title("d unit / d input"); plt.axis("off"); plt.show()

# %% [markdown]
# ## 6. Pooling
#
# **Max pooling** keeps the largest value of each window: $y = \max_{p \in \text{window}} x_p$. Locally the max is
# just one of its inputs, the winner, so its derivative is 1 for the winner and 0 for the others: the gradient
# is **routed** to the winners (minigrad remembers them, as PyTorch's `return_indices` does).
# **Average pooling** divides the window's sum by its size, so each input receives $g / (k_h k_w)$ from every
# window it sits in. Both shrink the image (by 2 x 2 here): the next layer is cheaper and sees further (§5).
# And a feature that moves by one pixel *inside* a pooling window gives the same max: a little
# **translation invariance**.

# %%
patch = mg.tensor([[[[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 8.0, 1.0], [0.0, 2.0, 1.0, 1.0], [6.0, 1.0, 0.0, 3.0]]]],
                  requires_grad=True)
pooled, winners = F.max_pool2d(patch, 2, return_indices=True)
pooled.sum().backward()
print("max pool:\n", pooled.numpy()[0, 0], "\nwinners (flat index y*4 + x):", winners.numpy()[0, 0].tolist())
print("gradient: 1 at each winner, 0 elsewhere\n", patch.grad.numpy()[0, 0])
np.testing.assert_array_equal(pooled.numpy()[0, 0], patch.numpy()[0, 0].reshape(2, 2, 2, 2).max(axis=(1, 3)))

moved = mg.tensor(np.roll(patch.numpy(), 1, axis=3) * (np.arange(4) != 0))     # shifted one column right
print("the same patch shifted one pixel right, pooled:\n", F.max_pool2d(moved, 2).numpy()[0, 0])
print("gradcheck(avg_pool2d 3x3, stride 2, padding 1):",
      mg.autograd.gradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1), (mg.randn(1, 1, 5, 5, dtype=mg.float64, requires_grad=True),)))

# %% [markdown]
# ## 7. Batch normalisation
#
# In training mode, **batch norm** normalises each channel with the statistics of the current batch, over the
# batch and all positions ($M = N\cdot H \cdot W$ values per channel), then scales and shifts it by learned
# $\gamma_c, \beta_c$:
#
# $$\mu_c = \tfrac1M \sum x,\quad \sigma^2_c = \tfrac1M \sum (x-\mu_c)^2,\quad \hat x = \frac{x-\mu_c}{\sqrt{\sigma_c^2+\epsilon}},\quad y = \gamma_c \hat x + \beta_c.$$
#
# Its backward is layer norm's (lesson 11) with the axes swapped — every value of the channel moved $\mu_c$ and $\sigma_c$:
#
# $$\frac{\partial L}{\partial \beta_c} = \sum g,\qquad \frac{\partial L}{\partial \gamma_c} = \sum g\,\hat x,\qquad
# \frac{\partial L}{\partial x} = \frac{\gamma_c}{\sqrt{\sigma_c^2+\epsilon}}\Big(g - \tfrac1M \textstyle\sum g - \hat x\, \tfrac1M \sum g \hat x\Big).$$
#
# **Why it helps**: whatever the earlier layers learn, each channel reaching the next layer keeps mean ≈ 0 and
# variance ≈ 1, so the next layer's job does not shift under it, larger learning rates stay stable, and the
# batch's noise acts as a mild regulariser. At evaluation time a prediction must not depend on the other
# images of its batch, so `model.eval()` switches to **running estimates** kept during training
# ($\text{running} \leftarrow 0.9\,\text{running} + 0.1\,\text{batch statistic}$, as *buffers* in the state dict).

# %%
bn = nn.BatchNorm2d(2)
feature = mg.tensor(rng.standard_normal((16, 2, 4, 4)) * np.array([3.0, 0.2])[None, :, None, None] + 5)
normed = bn(feature).numpy()
print("channel means before", feature.numpy().mean(axis=(0, 2, 3)).round(3), "after", normed.mean(axis=(0, 2, 3)).round(6))
print("channel stds  before", feature.numpy().std(axis=(0, 2, 3)).round(3), "after", normed.std(axis=(0, 2, 3)).round(4))
print("running_mean after one batch:", bn.running_mean.numpy().round(3), " state dict:", list(bn.state_dict()))
triple = (mg.randn(4, 2, 2, 3, dtype=mg.float64, requires_grad=True), mg.randn(2, dtype=mg.float64, requires_grad=True),
          mg.randn(2, dtype=mg.float64, requires_grad=True))
print("gradcheck(batch_norm, training):",
      mg.autograd.gradcheck(lambda a, g_, b_: F.batch_norm(a, None, None, g_, b_, training=True), triple))

# %% [markdown]
# ## 8. The CNN, trained
#
# Two blocks of *convolution → batch norm → ReLU → 2 x 2 max pooling* (1 → 16 → 32 channels, 8 x 8 → 4 x 4 → 2 x 2),
# then one linear layer from the 32·2·2 = 128 features to the 10 classes. Adam, batches of 64, 15 epochs; the
# same loop trains the model without batch norm, to compare the first epochs.

# %%
class DigitsCNN(nn.Module):
    def __init__(self, batch_norm=True):
        super().__init__()
        norm = nn.BatchNorm2d if batch_norm else (lambda channels: nn.Identity())
        self.block1 = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), norm(16), nn.ReLU())                  # 8 x 8
        self.block2 = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1), norm(32), nn.ReLU())  # 4 x 4
        self.head = nn.Sequential(nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 2 * 2, 10))              # 2 x 2 -> 10

    def forward(self, x):
        return self.head(self.block2(self.block1(x)))


def train(model, epochs=15, lr=3e-3, seed=0):
    """Adam on shuffled batches of 64; returns the loss of every step."""
    mg.manual_seed(seed)
    order_rng = np.random.default_rng(seed)
    optimizer = mg.optim.Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    for _ in range(epochs):
        perm = order_rng.permutation(len(y_train))
        for start in range(0, len(perm), 64):
            batch = perm[start:start + 64]
            loss = F.cross_entropy(model(mg.tensor(x_train[batch])), mg.tensor(y_train[batch]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def accuracy(model, x, y):
    model.eval()
    with mg.no_grad():
        return float((model(mg.tensor(x)).argmax(dim=1).numpy() == y).mean())

mg.manual_seed(0)
cnn = DigitsCNN()
cnn_losses = train(cnn)
mg.manual_seed(0)
plain_losses = train(DigitsCNN(batch_norm=False), epochs=3)
cnn_accuracy = accuracy(cnn, x_test, y_test)
print(f"CNN: {sum(p.numel() for p in cnn.parameters())} parameters, test accuracy {cnn_accuracy:.3f}")
assert cnn_accuracy >= 0.98

steps = len(plain_losses)
plt.figure(figsize=(6, 3.2))
plt.plot(cnn_losses[:steps], label="with batch norm"); plt.plot(plain_losses, label="without batch norm")
plt.yscale("log"); plt.xlabel("Adam step (first 3 epochs)"); plt.ylabel("training loss"); plt.legend(); plt.show()

# %% [markdown]
# ## 9. Same parameters, no convolution: an MLP on shifted digits
#
# Is the convolution's structure worth anything, or is it just a way to spend parameters? An MLP
# 64 → 82 → 10 has 6,160 parameters, almost exactly the CNN's 6,186. Both are trained the same way on the
# same (unshifted) images, then tested on the test images as they are, and **shifted by one pixel** in a
# random direction — a change a person does not even notice.

# %%
def digits_mlp(hidden=82):
    """64 pixels -> ``hidden`` ReLU units -> 10 classes; nn.Flatten turns each (1, 8, 8) image into 64 numbers."""
    return nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def shift_by_one_pixel(batch, seed):
    """Each image moved by -1, 0 or +1 pixel along each axis (the digits' borders are blank)."""
    moves = np.random.default_rng(seed).integers(-1, 2, size=(len(batch), 2))
    return np.stack([np.roll(img, tuple(move), axis=(1, 2)) for img, move in zip(batch, moves)])

mg.manual_seed(0)
mlp = digits_mlp()
train(mlp)
n_cnn, n_mlp = (sum(p.numel() for p in m.parameters()) for m in (cnn, mlp))
assert abs(n_cnn / n_mlp - 1) < 0.01
x_shifted = shift_by_one_pixel(x_test, seed=5)
table = {name: (accuracy(model, x_test, y_test), accuracy(model, x_shifted, y_test))
         for name, model in (("CNN", cnn), ("MLP", mlp))}
for name, (clean, moved) in table.items():
    print(f"{name} ({n_cnn if name == 'CNN' else n_mlp} parameters): test {clean:.3f}, shifted by one pixel {moved:.3f}")
assert table["CNN"][1] > table["MLP"][1] + 0.1

fig, ax = plt.subplots(figsize=(5, 3))
positions = np.arange(2)
ax.bar(positions - 0.2, [table["CNN"][0], table["MLP"][0]], 0.4, label="test images")
ax.bar(positions + 0.2, [table["CNN"][1], table["MLP"][1]], 0.4, label="shifted by one pixel")
ax.set_xticks(positions, ["CNN", "MLP"]); ax.set_ylabel("accuracy"); ax.set_ylim(0, 1); ax.legend(loc="lower left")
plt.show()

# %% [markdown]
# The MLP gives every (pixel, unit) pair its own weight, so a stroke one pixel to the left reaches different
# weights — for the MLP a new pattern. The CNN's filters are the same everywhere and its max pooling absorbs
# part of the move. (Training both on shifted copies narrows the gap: a convolution *builds in* what
# augmentation has to teach an MLP.)
#
# ## 10. Looking inside: filters and feature maps
#
# The 16 learned 3 x 3 filters of the first layer (blue negative, red positive) are small edge and stroke
# detectors; their **feature maps** (the outputs after batch norm and ReLU) light up where a digit has that
# stroke. The second block's 4 x 4 maps are already more abstract.

# %%
filters = cnn.block1[0].weight.detach().numpy()[:, 0]
fig, axes = plt.subplots(2, 8, figsize=(8, 2.2))
for ax, f in zip(axes.ravel(), filters):
    limit = np.abs(f).max()
    ax.imshow(f, cmap="bwr", vmin=-limit, vmax=limit); ax.axis("off")
fig.suptitle("conv1: the 16 learned 3x3 filters"); plt.show()

cnn.eval()
with mg.no_grad():
    first = cnn.block1(mg.tensor(x_test[:1]))           # the feature maps of each block, after batch norm and ReLU
    second = cnn.block2(first)
fig, axes = plt.subplots(3, 8, figsize=(8, 3.3))
axes[0, 0].imshow(x_test[0, 0], cmap="gray_r"); axes[0, 0].set_title(f"digit {y_test[0]}", fontsize=8)
for ax, fmap in zip(axes[0, 1:], first.numpy()[0, :7]):
    ax.imshow(fmap, cmap="magma")
for ax, fmap in zip(axes[1], first.numpy()[0, 7:15]):
    ax.imshow(fmap, cmap="magma")
for ax, fmap in zip(axes[2], second.numpy()[0, :8]):
    ax.imshow(fmap, cmap="magma")
for ax in axes.ravel():
    ax.axis("off")
fig.suptitle("feature maps: conv1 (8x8, rows 1-2) and conv2 (4x4, row 3)"); plt.show()

# %% [markdown]
# ## 11. The same model on the GPU kernels
#
# The model above ran on NumPy. Moved to `"cuda"` (or, without a GPU, to `"cudasim"`, which runs the very same
# CUDA kernels in Numba's simulator, slowly), it runs `kernels/conv.py`'s im2col, the matmul kernels,
# `kernels/batchnorm.py` and `kernels/pool.py` — and must give the same logits:

# %%
on_gpu = DigitsCNN()
on_gpu.load_state_dict(cnn.state_dict())
on_gpu = on_gpu.to("cudasim").eval()
with mg.no_grad():
    gpu_logits = on_gpu(mg.tensor(x_test[:1], device="cudasim")).numpy()
    cpu_logits = cnn(mg.tensor(x_test[:1])).numpy()
np.testing.assert_allclose(gpu_logits, cpu_logits, rtol=1e-4, atol=1e-4)
print("cudasim logits == cpu logits; predicted", gpu_logits.argmax(1).tolist(), "true", y_test[:1].tolist())

# %% [markdown]
# > **Common mistakes**
# >
# > * Feeding `(N, H, W)` or `(N, H, W, C)` images to a convolution: minigrad and PyTorch want `(N, C, H, W)`;
# >   add the channel axis (`x[:, None]`) or permute.
# > * Forgetting that the output shrinks: a 3 x 3 convolution without padding takes a pixel off each side;
# >   `padding=1` (or `padding="same"`) keeps the size.
# > * Flipping the kernel when writing a convolution by hand: deep-learning convolutions are cross-correlations.
# > * Summing the weight gradient over one image only: the filter is shared by every image *and* position.
# > * Forgetting `model.eval()` before testing a network with batch norm: it then normalises with the test
# >   batch's own statistics (and updates the running estimates with test data).
# > * Batch norm on a batch of one in training mode: there is no batch statistic to speak of (PyTorch and
# >   minigrad refuse one value per channel).

# %% [markdown]
# ## Exercises
#
# Each exercise is a stub: its docstring gives the task, the signature and a hint, and its body raises
# `NotImplementedError`. Replace that line with your code and run the cell; the checker reports "not yet solved"
# until you do, `correct` when your answer is right, and otherwise raises `ExerciseFailed` with the input, the
# expected value and a hint. Reference solutions: `lessons/_solutions/lesson15.py`.
#
# **Exercise 1 — the output size.** How many output pixels does a convolution (or a pooling) with kernel size `k`,
# stride `s`, padding `p` on both sides and dilation `d` give along a side of `n` pixels?

# %%
def conv_output_size(n, k, s=1, p=0, d=1):
    """Return the number of window positions (an int) along a side of n pixels.

    Hint: a dilated window spans d * (k - 1) + 1 pixels; count the positions where all of it fits inside the
    n + 2p padded pixels, stepping by s (floor), and do not forget the first one.
    """
    raise NotImplementedError("exercise 1: write conv_output_size")

lesson15.exercise1(conv_output_size);

# %% [markdown]
# **Exercise 2 — im2col by hand.** For one image `x` of shape `(C, H, W)` (a NumPy array), stride 1, no padding,
# build the `(C*k*k, (H-k+1)*(W-k+1))` matrix whose row `(c, i, j)` and column `(y, x)` (both in row-major order)
# holds `x[c, y + i, x + j]` — what `F.unfold` returns for a batch of one.

# %%
def im2col(x, k):
    """Return the windows of x (C, H, W) as the columns of a (C*k*k, OH*OW) NumPy array.

    Hint: one loop over the k*k taps (i, j) is enough: tap (i, j) of every window is the slice
    x[:, i:i + OH, j:j + OW]. Fill an array of shape (C, k, k, OH, OW), then reshape it.
    """
    raise NotImplementedError("exercise 2: write im2col")

lesson15.exercise2(im2col);

# %% [markdown]
# **Exercise 3 — the weight gradient as a matmul.** For `y = F.conv2d(x, W)` (stride 1, no padding, no bias) with
# `x` of shape `(N, C, H, W)` and `grad_output` $= \partial L/\partial y$ of shape `(N, O, OH, OW)` (minigrad
# tensors), compute $\partial L/\partial W$ of shape `(O, C, k, k)` with §4's formula $G\,\text{cols}^\top$,
# not with autograd.

# %%
def conv2d_weight_grad(x, grad_output, kernel_size):
    """Return dL/dW, shape (O, C, k, k), for y = F.conv2d(x, W) and grad_output = dL/dy.

    Hint: cols = F.unfold(x, kernel_size) is (N, C*k*k, L); grad_output.reshape(N, O, L) @ cols.transpose(1, 2)
    gives one (O, C*k*k) matrix per image -- the filter is shared by all of them, so sum over the batch.
    """
    raise NotImplementedError("exercise 3: write conv2d_weight_grad")

lesson15.exercise3(conv2d_weight_grad);

# %% [markdown]
# **Next:** the same machinery — shared filters, pooling, normalisation — scales to colour photographs with deeper
# stacks (and residual connections, lesson 11's trick), and runs on a GPU with the kernels of §11; `python -m
# kernels.conv` (or `pool`, `batchnorm`) checks and times their ladders, and `python benchmarks/cnn.py` times this
# lesson's CNN against PyTorch's.
