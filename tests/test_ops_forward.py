"""Every op's forward pass against NumPy, on hypothesis-drawn shapes (broadcasting, size-1 axes).

Values come from a NumPy generator seeded by hypothesis, so failures shrink and replay.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
import minigrad.nn.functional as F

FAST = settings(max_examples=25, deadline=None)

shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4)
nonscalar_shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4)
seeds = st.integers(0, 2 ** 31 - 1)


def values(seed, shape, low=-3.0, high=3.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def close(tensor, expected, rtol=1e-10, atol=1e-12):
    assert tensor.shape == np.shape(expected), f"shape {tensor.shape} != {np.shape(expected)}"
    np.testing.assert_allclose(tensor.numpy(), expected, rtol=rtol, atol=atol)


@st.composite
def broadcast_pair(draw):
    """Two shapes that broadcast together (drawn by hypothesis), and a seed for their values."""
    pair = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=1, max_side=4))
    return pair.input_shapes, draw(seeds)


@st.composite
def shape_and_dim(draw, dims_kind="any"):
    """A shape, a valid dim argument (None, int (maybe negative) or tuple), keepdim, and a seed."""
    shape = draw(nonscalar_shapes)
    ndim = len(shape)
    if dims_kind == "int":
        dim = draw(st.integers(-ndim, ndim - 1))
    else:
        dim = draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                             st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)))
    return shape, dim, draw(st.booleans()), draw(seeds)


# ---------------------------------------------------------------------- elementwise binary
BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "maximum": (mg.maximum, np.maximum),
    "minimum": (mg.minimum, np.minimum),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@FAST
@given(case=broadcast_pair())
def test_binary_ops_broadcast_like_numpy(name, case):
    (shape_a, shape_b), seed = case
    a, b = values(seed, shape_a), values(seed + 1, shape_b, 0.5, 3.0)  # b > 0: safe divisor
    ours, theirs = BINARY[name]
    close(ours(mg.tensor(a), mg.tensor(b)), theirs(a, b))


@FAST
@given(case=broadcast_pair())
def test_pow_tensor_tensor(case):
    (shape_a, shape_b), seed = case
    a, b = values(seed, shape_a, 0.2, 3.0), values(seed + 1, shape_b, -2.0, 2.0)
    close(mg.tensor(a) ** mg.tensor(b), a ** b)


@pytest.mark.parametrize("scalar", [2, -1.5, 0.5])
def test_python_scalars_on_either_side(scalar):
    a = values(0, (2, 3), 0.5, 2.0)
    t = mg.tensor(a)
    close(t + scalar, a + scalar)
    close(scalar + t, scalar + a)
    close(t - scalar, a - scalar)
    close(scalar - t, scalar - a)
    close(t * scalar, a * scalar)
    close(scalar * t, scalar * a)
    close(t / scalar, a / scalar)
    close(scalar / t, scalar / a)
    close(t ** scalar, a ** scalar)
    close(abs(scalar) ** t, abs(scalar) ** a)
    close(-t, -a)


def test_scalar_ops_keep_float32():
    t = mg.tensor([1.0, 2.0])
    for result in (t + 1, 2 * t, t / 3, 1 - t, t ** 2, 2.0 ** t):
        assert result.dtype == mg.float32


def test_numpy_array_operand_is_converted():
    t = mg.tensor(np.ones((2, 2)))
    close(t + np.array([1.0, 2.0]), np.ones((2, 2)) + [1.0, 2.0])
    close(np.array([1.0, 2.0]) * t, np.ones((2, 2)) * [1.0, 2.0])


# ---------------------------------------------------------------------- elementwise unary
def _gelu_exact(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


UNARY = {
    "exp": (lambda t: t.exp(), np.exp, (-3, 3)),
    "log": (lambda t: t.log(), np.log, (0.1, 5)),
    "sqrt": (lambda t: t.sqrt(), np.sqrt, (0.0, 5)),
    "abs": (lambda t: t.abs(), np.abs, (-3, 3)),
    "neg": (lambda t: -t, np.negative, (-3, 3)),
    "relu": (F.relu, lambda x: np.maximum(x, 0), (-3, 3)),
    "sigmoid": (F.sigmoid, lambda x: 1 / (1 + np.exp(-x)), (-10, 10)),
    "tanh": (F.tanh, np.tanh, (-3, 3)),
    "gelu": (F.gelu, _gelu_exact, (-4, 4)),
    "gelu_tanh": (lambda t: F.gelu(t, approximate="tanh"), _gelu_tanh, (-4, 4)),
    "clamp": (lambda t: t.clamp(-1.0, 0.5), lambda x: np.clip(x, -1.0, 0.5), (-3, 3)),
    "clamp_min": (lambda t: t.clamp(min=0.2), lambda x: np.maximum(x, 0.2), (-3, 3)),
    "clamp_max": (lambda t: t.clamp(max=0.2), lambda x: np.minimum(x, 0.2), (-3, 3)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@FAST
@given(shape=shapes, seed=seeds)
def test_unary_ops(name, shape, seed):
    ours, theirs, (low, high) = UNARY[name]
    x = values(seed, shape, low, high)
    close(ours(mg.tensor(x)), theirs(x), rtol=1e-9)


def test_top_level_function_aliases():
    x = values(1, (3, 2), 0.1, 2.0)
    t = mg.tensor(x)
    close(mg.exp(t), np.exp(x))
    close(mg.log(t), np.log(x))
    close(mg.sqrt(t), np.sqrt(x))
    close(mg.abs(-t), x)
    close(mg.clamp(t, 0.5, 1.0), np.clip(x, 0.5, 1.0))
    close(mg.relu(t - 1), np.maximum(x - 1, 0))
    close(mg.sigmoid(t), 1 / (1 + np.exp(-x)))
    close(mg.tanh(t), np.tanh(x))


def test_float32_unary_stays_float32():
    t = mg.tensor([[0.5, -1.0]])
    for result in (t.exp(), t.abs(), F.relu(t), F.sigmoid(t), F.tanh(t), F.gelu(t), F.gelu(t, approximate="tanh"),
                   F.softmax(t, -1), F.log_softmax(t, -1)):
        assert result.dtype == mg.float32


@FAST
@given(case=broadcast_pair(), other=st.integers(0, 2 ** 31 - 1))
def test_where_broadcasts(case, other):
    (shape_c, shape_x), seed = case
    cond = np.random.default_rng(other).random(shape_c) > 0.5
    x, y = values(seed, shape_x), values(seed + 1, ())
    close(mg.where(mg.tensor(cond), mg.tensor(x), mg.tensor(y)), np.where(cond, x, y))
    close(mg.where(mg.tensor(cond), mg.tensor(x), 0.0), np.where(cond, x, 0.0))


@FAST
@given(case=broadcast_pair())
def test_masked_fill(case):
    (shape_x, shape_m), seed = case
    x = values(seed, np.broadcast_shapes(shape_x, shape_m))
    mask = np.random.default_rng(seed).random(shape_m) > 0.5
    close(mg.tensor(x).masked_fill(mg.tensor(mask), -7.0), np.where(mask, -7.0, x))


@FAST
@given(case=broadcast_pair())
def test_comparisons(case):
    (shape_a, shape_b), seed = case
    a = np.round(values(seed, shape_a))  # rounding makes ties likely
    b = np.round(values(seed + 1, shape_b))
    ta, tb = mg.tensor(a), mg.tensor(b)
    for ours, theirs in [(ta < tb, a < b), (ta <= tb, a <= b), (ta > tb, a > b), (ta >= tb, a >= b),
                         (ta == tb, a == b), (ta != tb, a != b)]:
        assert ours.dtype == mg.bool
        np.testing.assert_array_equal(ours.numpy(), theirs)


# ---------------------------------------------------------------------- reductions
@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin"])
@FAST
@given(case=shape_and_dim())
def test_reductions(name, case):
    shape, dim, keepdim, seed = case
    x = values(seed, shape)
    numpy_fn = {"sum": np.sum, "mean": np.mean, "amax": np.max, "amin": np.min}[name]
    close(getattr(mg.tensor(x), name)(dim, keepdim), numpy_fn(x, axis=dim, keepdims=keepdim))


@FAST
@given(case=shape_and_dim())
def test_var_unbiased_by_default(case):
    shape, dim, keepdim, seed = case
    x = values(seed, shape)
    axes = tuple(range(len(shape))) if dim is None else dim
    n = int(np.prod(np.array(shape)[list(np.atleast_1d(axes))]))
    if n > 1:
        close(mg.tensor(x).var(dim, keepdim=keepdim), np.var(x, axis=dim, keepdims=keepdim, ddof=1), rtol=1e-9)
    close(mg.tensor(x).var(dim, unbiased=False, keepdim=keepdim), np.var(x, axis=dim, keepdims=keepdim), rtol=1e-9)


@FAST
@given(case=shape_and_dim("int"))
def test_max_min_with_dim_return_values_and_indices(case):
    shape, dim, keepdim, seed = case
    x = values(seed, shape)
    values_, indices = mg.tensor(x).max(dim, keepdim)
    close(values_, np.max(x, axis=dim, keepdims=keepdim))
    assert indices.dtype == mg.int64
    np.testing.assert_array_equal(indices.numpy(), np.expand_dims(np.argmax(x, dim), dim) if keepdim else np.argmax(x, dim))
    result = mg.tensor(x).min(dim, keepdim)
    close(result.values, np.min(x, axis=dim, keepdims=keepdim))
    np.testing.assert_array_equal(result.indices.numpy(), np.argmin(x, dim, keepdims=keepdim))


def test_max_without_dim_and_argmax():
    x = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    t = mg.tensor(x)
    assert t.max().item() == 7.0 and t.min().item() == 0.0
    assert t.argmax().item() == 3
    assert t.argmax(1).tolist() == [1, 0]
    assert mg.argmax(t, dim=0).tolist() == [1, 0, 1]
    assert t.argmin(0, keepdim=True).shape == (1, 3)
    close(t.max((0, 1)), 7.0)
    assert mg.sum(t).item() == 18.0 and mg.mean(t).item() == 3.0


def test_std_and_mean_of_int_tensor():
    x = np.array([[1.0, 2.0, 4.0], [3.0, 3.0, 9.0]])
    close(mg.tensor(x).std(1), np.std(x, axis=1, ddof=1))
    with pytest.raises(RuntimeError, match="mean.*floating point.*Got: int64.*float\\(\\).mean\\(\\)"):
        mg.tensor([1, 2, 4]).mean()  # as in PyTorch
    m = mg.tensor([1, 2, 4]).float().mean()
    assert m.dtype == mg.float32 and abs(m.item() - 7 / 3) < 1e-6


# ---------------------------------------------------------------------- matrix products
@st.composite
def matmul_shapes(draw):
    """Shapes for torch.matmul: 1-D, 2-D, batched and broadcast batch axes."""
    m, k, n = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, min_side=1, max_side=3))
    ba, bb = batch.input_shapes
    a = draw(st.sampled_from([(k,), ba + (m, k)]))
    b = draw(st.sampled_from([(k,), bb + (k, n)]))
    return a, b, draw(seeds)


@FAST
@given(case=matmul_shapes())
def test_matmul(case):
    shape_a, shape_b, seed = case
    a, b = values(seed, shape_a), values(seed + 1, shape_b)
    close(mg.tensor(a) @ mg.tensor(b), np.matmul(a, b), rtol=1e-9)
    close(mg.matmul(mg.tensor(a), mg.tensor(b)), np.matmul(a, b), rtol=1e-9)


def test_matmul_with_numpy_operand():
    a = values(0, (2, 3))
    close(mg.tensor(a) @ np.eye(3), a)
    close(np.eye(2) @ mg.tensor(a), a)


@FAST
@given(n=st.integers(1, 6), seed=seeds)
def test_dot(n, seed):
    a, b = values(seed, (n,)), values(seed + 1, (n,))
    close(mg.dot(mg.tensor(a), mg.tensor(b)), np.dot(a, b), rtol=1e-9)
    close(mg.tensor(a).dot(mg.tensor(b)), np.dot(a, b), rtol=1e-9)


@FAST
@given(case=broadcast_pair())
def test_cross_batched_and_broadcast(case):
    (batch_a, batch_b), seed = case
    a, b = values(seed, batch_a + (3,)), values(seed + 1, batch_b + (3,))
    close(mg.cross(mg.tensor(a), mg.tensor(b)), np.cross(a, b), rtol=1e-9)


def test_cross_along_other_dim():
    a, b = values(0, (3, 2)), values(1, (3, 2))
    close(mg.cross(mg.tensor(a), mg.tensor(b), dim=0), np.cross(a, b, axis=0))


@FAST
@given(n=st.integers(1, 4), batch=st.sampled_from([(), (2,), (2, 1)]), seed=seeds)
def test_inverse(n, batch, seed):
    a = values(seed, batch + (n, n)) + 4 * np.eye(n)  # a heavier diagonal: usually well conditioned
    inv = mg.linalg.inv(mg.tensor(a))
    close(inv, np.linalg.inv(a), rtol=1e-9)
    # A @ inv(A) - I is rounding amplified by the condition number (up to ~1e5 for these draws)
    residual_bound = 64 * n * np.finfo(np.float64).eps * max(1.0, float(np.max(np.linalg.cond(a))))
    close(mg.tensor(a) @ inv, np.broadcast_to(np.eye(n), a.shape), atol=residual_bound)


def test_norm():
    x = values(0, (3, 4))
    close(mg.linalg.norm(mg.tensor(x)), np.linalg.norm(x))
    close(mg.linalg.norm(mg.tensor(x), dim=1), np.linalg.norm(x, axis=1))


# ---------------------------------------------------------------------- shape ops
@FAST
@given(shape=shapes, seed=seeds, data=st.data())
def test_reshape_view_flatten(shape, seed, data):
    x = values(seed, shape)
    size = x.size
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    d = data.draw(st.sampled_from(divisors))
    close(mg.tensor(x).reshape(d, -1), x.reshape(d, -1))
    close(mg.tensor(x).view((size // d, d)), x.reshape(size // d, d))
    close(mg.tensor(x).flatten(), x.reshape(-1))
    close(mg.reshape(mg.tensor(x), (size,)), x.reshape(size))
    if x.ndim >= 2:
        close(mg.tensor(x).flatten(1), x.reshape(x.shape[0], -1))
        close(mg.flatten(mg.tensor(x), 0, 1), x.reshape((-1,) + x.shape[2:]))


@FAST
@given(shape=nonscalar_shapes, seed=seeds, data=st.data())
def test_transpose_permute_T(shape, seed, data):
    x = values(seed, shape)
    ndim = x.ndim
    d0, d1 = data.draw(st.integers(-ndim, ndim - 1)), data.draw(st.integers(-ndim, ndim - 1))
    close(mg.tensor(x).transpose(d0, d1), np.swapaxes(x, d0, d1))
    close(mg.transpose(mg.tensor(x), d0, d1), np.swapaxes(x, d0, d1))
    perm = data.draw(st.permutations(range(ndim)))
    close(mg.tensor(x).permute(*perm), np.transpose(x, perm))
    close(mg.tensor(x).permute(perm), np.transpose(x, perm))
    close(mg.tensor(x).T, x.T)


@FAST
@given(shape=shapes, seed=seeds, data=st.data())
def test_squeeze_unsqueeze(shape, seed, data):
    x = values(seed, shape)
    close(mg.tensor(x).squeeze(), np.squeeze(x))
    dim = data.draw(st.integers(-x.ndim - 1, x.ndim))
    close(mg.tensor(x).unsqueeze(dim), np.expand_dims(x, dim))
    if x.ndim:
        d = data.draw(st.integers(-x.ndim, x.ndim - 1))
        expected = np.squeeze(x, d) if x.shape[d] == 1 else x  # squeezing a non-1 axis is a no-op
        close(mg.tensor(x).squeeze(d), expected)


@FAST
@given(case=broadcast_pair())
def test_expand(case):
    (shape_a, shape_b), seed = case
    target = np.broadcast_shapes(shape_a, shape_b)
    x = values(seed, shape_a)
    close(mg.tensor(x).expand(*target), np.broadcast_to(x, target))
    keep_existing = target[:len(target) - x.ndim] + (-1,) * x.ndim  # -1 keeps an axis as it is
    close(mg.tensor(x).expand(keep_existing), np.broadcast_to(x, target[:len(target) - x.ndim] + x.shape))
    close(mg.tensor(x).expand_as(mg.zeros(target)), np.broadcast_to(x, target))


@FAST
@given(shape=nonscalar_shapes, seed=seeds, data=st.data())
def test_cat_and_stack(shape, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    count = data.draw(st.integers(1, 3))
    parts = []
    for i in range(count):
        s = list(shape)
        s[dim] = data.draw(st.integers(1, 3))
        parts.append(values(seed + i, tuple(s)))
    close(mg.cat([mg.tensor(p) for p in parts], dim), np.concatenate(parts, axis=dim))
    same = [values(seed + i, shape) for i in range(count)]
    sdim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    close(mg.stack([mg.tensor(p) for p in same], sdim), np.stack(same, axis=sdim))


# ---------------------------------------------------------------------- indexing
INDEXES = [
    1, -1, slice(None), slice(1, None), slice(None, None, 2), (0, 1), (slice(None), 0), None, (None, 0),
    Ellipsis, (Ellipsis, 1), (0, Ellipsis, None), (slice(0, 2), slice(1, 3)),
    np.array([0, 0, 2]), (np.array([1, 0, 1]), np.array([2, 2, 0])), (slice(None), np.array([3, 3])),
    np.array([[0, 1], [1, 1]]), np.array([True, False, True]),
]


@pytest.mark.parametrize("index", INDEXES, ids=repr)
def test_indexing_like_numpy(index):
    x = values(3, (3, 4, 2))
    close(mg.tensor(x)[index], x[index])


def test_indexing_with_tensors_lists_and_bool_masks():
    x = values(4, (3, 4))
    t = mg.tensor(x)
    close(t[mg.tensor([2, 0])], x[[2, 0]])
    close(t[[1, 1]], x[[1, 1]])
    mask = x > 0
    close(t[mg.tensor(mask)], x[mask])
    close(t[t > 0], x[mask])


# ---------------------------------------------------------------------- nn.functional
@pytest.mark.parametrize("fn, reference", [(F.softmax, "softmax"), (F.log_softmax, "log_softmax")])
@FAST
@given(shape=nonscalar_shapes, seed=seeds, data=st.data())
def test_softmax_family(fn, reference, shape, seed, data):
    x = values(seed, shape, -5, 5)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    soft = e / e.sum(axis=dim, keepdims=True)
    expected = soft if reference == "softmax" else np.log(soft)
    close(fn(mg.tensor(x), dim), expected, rtol=1e-9, atol=1e-12)
    close(getattr(mg.tensor(x), reference)(dim), expected, rtol=1e-9, atol=1e-12)


def test_mg_softmax_alias():
    x = values(0, (2, 3))
    close(mg.softmax(mg.tensor(x), 0), np.exp(x) / np.exp(x).sum(0))


@FAST
@given(batch=hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3), n_in=st.integers(1, 4),
       n_out=st.integers(1, 4), bias=st.booleans(), seed=seeds)
def test_linear(batch, n_in, n_out, bias, seed):
    x, w, b = values(seed, batch + (n_in,)), values(seed + 1, (n_out, n_in)), values(seed + 2, (n_out,))
    out = F.linear(mg.tensor(x), mg.tensor(w), mg.tensor(b) if bias else None)
    close(out, x @ w.T + (b if bias else 0), rtol=1e-9)


@FAST
@given(batch=hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=3),
       norm=hnp.array_shapes(min_dims=1, max_dims=2, min_side=2, max_side=4), affine=st.booleans(), seed=seeds)
def test_layer_norm(batch, norm, affine, seed):
    x = values(seed, batch + norm)
    w, b = values(seed + 1, norm), values(seed + 2, norm)
    axes = tuple(range(len(batch), x.ndim))
    xhat = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + 1e-5)
    expected = xhat * w + b if affine else xhat
    out = F.layer_norm(mg.tensor(x), norm, mg.tensor(w) if affine else None, mg.tensor(b) if affine else None)
    close(out, expected, rtol=1e-9, atol=1e-12)


@FAST
@given(index_shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=seeds)
def test_embedding(index_shape, seed):
    rng = np.random.default_rng(seed)
    weight = values(seed, (5, 3))
    idx = rng.integers(0, 5, size=index_shape)
    close(F.embedding(mg.tensor(idx), mg.tensor(weight)), weight[idx])
    close(F.embedding(mg.tensor(idx), mg.tensor(weight), padding_idx=0), weight[idx])


def test_dropout_mask_and_scaling():
    x = mg.ones(200, 50, dtype=mg.float64)
    mg.manual_seed(0)
    y = F.dropout(x, p=0.3).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.7)
    assert abs(kept.mean() - 0.7) < 0.02
    mg.manual_seed(0)
    np.testing.assert_array_equal(F.dropout(x, p=0.3).numpy(), y)  # same seed, same mask
    assert F.dropout(x, p=0.3, training=False) is x
    assert F.dropout(x, p=0.0) is x
    assert np.all(F.dropout(x, p=1.0).numpy() == 0)


# ---------------------------------------------------------------------- losses
def _log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _reduce(per_item, reduction, count=None):
    if reduction == "none":
        return per_item
    if reduction == "sum":
        return per_item.sum()
    return per_item.sum() / (per_item.size if count is None else count)


reductions = st.sampled_from(["mean", "sum", "none"])


@FAST
@given(shape=shapes, reduction=reductions, seed=seeds)
def test_mse_loss(shape, reduction, seed):
    x, t = values(seed, shape), values(seed + 1, shape)
    close(F.mse_loss(mg.tensor(x), mg.tensor(t), reduction=reduction), _reduce((x - t) ** 2, reduction), rtol=1e-9)


@FAST
@given(n=st.integers(1, 5), c=st.integers(2, 5), extra=hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3),
       smoothing=st.sampled_from([0.0, 0.1, 0.5]), use_ignore=st.booleans(), reduction=reductions, seed=seeds)
def test_cross_entropy(n, c, extra, smoothing, use_ignore, reduction, seed):
    rng = np.random.default_rng(seed)
    x = values(seed, (n, c) + extra, -4, 4)
    target = rng.integers(0, c, size=(n,) + extra)
    if use_ignore:
        target[rng.random(target.shape) < 0.3] = -100
    logp = _log_softmax(x, axis=1)
    picked = np.take_along_axis(logp, np.expand_dims(np.where(target < 0, 0, target), 1), axis=1)[:, 0]
    per_item = -(1 - smoothing) * picked - smoothing / c * logp.sum(axis=1)
    keep = target != -100
    per_item = np.where(keep, per_item, 0.0)
    expected = _reduce(per_item, reduction, max(keep.sum(), 1))
    out = F.cross_entropy(mg.tensor(x), mg.tensor(target), label_smoothing=smoothing, reduction=reduction)
    close(out, expected, rtol=1e-9, atol=1e-12)


def test_cross_entropy_single_sample_and_custom_ignore_index():
    x = values(0, (4,))
    close(F.cross_entropy(mg.tensor(x), mg.tensor(2)), -_log_softmax(x)[2])
    logits = values(1, (3, 4))
    out = F.cross_entropy(mg.tensor(logits), mg.tensor([1, 3, 0]), ignore_index=3)
    close(out, -(_log_softmax(logits)[0, 1] + _log_softmax(logits)[2, 0]) / 2)


@FAST
@given(shape=shapes, reduction=reductions, seed=seeds)
def test_binary_cross_entropy_with_logits(shape, reduction, seed):
    x, y = values(seed, shape, -6, 6), np.random.default_rng(seed).random(shape)
    s = 1 / (1 + np.exp(-x))
    per_item = -(y * np.log(s) + (1 - y) * np.log(1 - s))
    out = F.binary_cross_entropy_with_logits(mg.tensor(x), mg.tensor(y), reduction=reduction)
    close(out, _reduce(per_item, reduction), rtol=1e-8)


@FAST
@given(shape=nonscalar_shapes, reduction=reductions, seed=seeds)
def test_hinge_loss(shape, reduction, seed):
    scores = values(seed, shape)
    y = np.where(np.random.default_rng(seed).random(shape) > 0.5, 1.0, -1.0)
    out = F.hinge_loss(mg.tensor(scores), mg.tensor(y), reduction=reduction)
    close(out, _reduce(np.maximum(0, 1 - y * scores), reduction))


@FAST
@given(n=st.integers(1, 5), c=st.integers(2, 5), p=st.sampled_from([1, 2]), margin=st.sampled_from([0.5, 1.0]),
       reduction=reductions, seed=seeds)
def test_multi_margin_loss(n, c, p, margin, reduction, seed):
    x = values(seed, (n, c), -1, 1)
    t = np.random.default_rng(seed).integers(0, c, size=n)
    m = np.maximum(0, margin - x[np.arange(n), t][:, None] + x) ** p
    m[np.arange(n), t] = 0
    out = F.multi_margin_loss(mg.tensor(x), mg.tensor(t), p=p, margin=margin, reduction=reduction)
    close(out, _reduce(m.sum(axis=1) / c, reduction), rtol=1e-9)
