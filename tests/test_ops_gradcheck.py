"""Every differentiable op's backward against finite differences (``mg.autograd.gradcheck``, float64).

Shapes are drawn by hypothesis (small: every input element costs two extra forward passes);
values come from a generator seeded by hypothesis.  Inputs of ops with kinks (abs, relu, clamp,
hinge) are kept away from the kink, where finite differences are meaningless.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.autograd import gradcheck

CHECK = settings(max_examples=10, deadline=None)

small_shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
nonscalar_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)
seeds = st.integers(0, 2 ** 31 - 1)
reductions = st.sampled_from(["mean", "sum", "none"])


def leaf(array):
    return mg.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def uniform(seed, shape, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def away_from(seed, shape, kinks, gap=0.05):
    """Uniform values, none within ``gap`` of any kink."""
    x = uniform(seed, shape)
    for k in kinks:
        near = np.abs(x - k) < gap
        x = np.where(near, k + np.copysign(gap, x - k + 1e-12) * 2, x)
    return x


def check(fn, *inputs):
    assert gradcheck(fn, inputs) is True


@st.composite
def broadcast_pair(draw):
    pair = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3))
    return pair.input_shapes, draw(seeds)


@st.composite
def shape_and_dim(draw):
    shape = draw(nonscalar_shapes)
    ndim = len(shape)
    dim = draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                         st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)))
    return shape, dim, draw(st.booleans()), draw(seeds)


def test_gradcheck_catches_a_wrong_gradient():
    """The checker itself must be able to fail."""
    class WrongSquare(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x  # should be 2 g x

    with pytest.raises(AssertionError, match="gradcheck failed for input 0"):
        gradcheck(WrongSquare.apply, (leaf([1.0, 2.0]),))


# ---------------------------------------------------------------------- arithmetic
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b,
    "maximum": mg.maximum,
    "minimum": mg.minimum,
}


@pytest.mark.parametrize("name", sorted(BINARY))
@CHECK
@given(case=broadcast_pair())
def test_binary_with_broadcasting(name, case):
    (shape_a, shape_b), seed = case
    a = uniform(seed, shape_a, 0.5, 2.0) if name == "pow" else uniform(seed, shape_a)
    b = uniform(seed + 1, shape_b, 0.5, 2.0)  # positive: a safe divisor
    check(BINARY[name], leaf(a), leaf(b))


SCALAR_OPS = [
    lambda x: x + 2, lambda x: 2 + x, lambda x: x - 1.5, lambda x: 1.5 - x, lambda x: x * 3, lambda x: -2 * x,
    lambda x: x / 4, lambda x: 3 / x, lambda x: x ** 2, lambda x: x ** 3, lambda x: x ** 0.5, lambda x: x ** -1.5,
    lambda x: 2 ** x, lambda x: 0.5 ** x, lambda x: -x, lambda x: x.neg(),
]


@pytest.mark.parametrize("op", SCALAR_OPS, ids=[f"scalar_op_{i}" for i in range(len(SCALAR_OPS))])
@settings(max_examples=5, deadline=None)
@given(shape=small_shapes, seed=seeds)
def test_python_scalar_on_either_side(op, shape, seed):
    check(op, leaf(uniform(seed, shape, 0.5, 2.0)))


UNARY = {
    "exp": (lambda x: x.exp(), None),
    "log": (lambda x: x.log(), (0.2, 3.0)),
    "sqrt": (lambda x: x.sqrt(), (0.2, 3.0)),
    "abs": (lambda x: x.abs(), [0.0]),
    "clamp": (lambda x: x.clamp(-1.0, 0.5), [-1.0, 0.5]),
    "clamp_min": (lambda x: x.clamp(min=0.3), [0.3]),
    "clamp_max": (lambda x: x.clamp(max=-0.3), [-0.3]),
    "relu": (F.relu, [0.0]),
    "sigmoid": (F.sigmoid, None),
    "tanh": (F.tanh, None),
    "gelu": (F.gelu, None),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), None),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@CHECK
@given(shape=small_shapes, seed=seeds)
def test_unary(name, shape, seed):
    fn, domain = UNARY[name]
    if domain is None:
        x = uniform(seed, shape)
    elif isinstance(domain, tuple):
        x = uniform(seed, shape, *domain)
    else:
        x = away_from(seed, shape, domain)
    check(fn, leaf(x))


@CHECK
@given(case=broadcast_pair(), mask_seed=seeds)
def test_where(case, mask_seed):
    (shape_x, shape_y), seed = case
    mask = mg.tensor(np.random.default_rng(mask_seed).random(np.broadcast_shapes(shape_x, shape_y)) > 0.5)
    check(lambda x, y: mg.where(mask, x, y), leaf(uniform(seed, shape_x)), leaf(uniform(seed + 1, shape_y)))


@CHECK
@given(case=broadcast_pair())
def test_masked_fill(case):
    (shape_x, shape_m), seed = case
    mask = mg.tensor(np.random.default_rng(seed).random(shape_m) > 0.5)
    x = uniform(seed, np.broadcast_shapes(shape_x, shape_m))
    check(lambda t: t.masked_fill(mask, 3.0), leaf(x))


# ---------------------------------------------------------------------- reductions
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "var"])
@CHECK
@given(case=shape_and_dim())
def test_reductions(name, case):
    shape, dim, keepdim, seed = case
    x = uniform(seed, shape)
    if name in ("max", "min"):
        fn = (lambda t: getattr(t, name)(dim, keepdim).values) if isinstance(dim, int) else \
             (lambda t: getattr(t, name)(dim, keepdim))
    elif name == "var":
        fn = lambda t: t.var(dim, unbiased=False, keepdim=keepdim)  # noqa: E731  (n - 1 may be 0)
    else:
        fn = lambda t: getattr(t, name)(dim, keepdim)  # noqa: E731
    check(fn, leaf(x))


def test_var_unbiased():
    check(lambda t: t.var(1), leaf(uniform(0, (2, 4))))
    check(lambda t: t.std(), leaf(uniform(1, (3, 2))))


def test_max_tie_shares_gradient():
    x = leaf([1.0, 3.0, 3.0])
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.5, 0.5])


# ---------------------------------------------------------------------- matrix products
@st.composite
def matmul_shapes(draw):
    m, k, n = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, min_side=1, max_side=2))
    ba, bb = batch.input_shapes
    return draw(st.sampled_from([(k,), ba + (m, k)])), draw(st.sampled_from([(k,), bb + (k, n)])), draw(seeds)


@CHECK
@given(case=matmul_shapes())
def test_matmul(case):
    shape_a, shape_b, seed = case
    check(lambda a, b: a @ b, leaf(uniform(seed, shape_a)), leaf(uniform(seed + 1, shape_b)))


@CHECK
@given(n=st.integers(1, 5), seed=seeds)
def test_dot(n, seed):
    check(mg.dot, leaf(uniform(seed, (n,))), leaf(uniform(seed + 1, (n,))))


@CHECK
@given(case=broadcast_pair())
def test_cross(case):
    (batch_a, batch_b), seed = case
    check(mg.cross, leaf(uniform(seed, batch_a + (3,))), leaf(uniform(seed + 1, batch_b + (3,))))


def test_cross_other_dim():
    check(lambda a, b: mg.cross(a, b, dim=0), leaf(uniform(0, (3, 2))), leaf(uniform(1, (3, 2))))


@CHECK
@given(n=st.integers(1, 3), batch=st.sampled_from([(), (2,)]), seed=seeds)
def test_inverse(n, batch, seed):
    a = uniform(seed, batch + (n, n)) + 4 * np.eye(n)
    check(mg.linalg.inv, leaf(a))


# ---------------------------------------------------------------------- shape ops
@CHECK
@given(shape=small_shapes, seed=seeds, data=st.data())
def test_reshape_view_flatten(shape, seed, data):
    x = leaf(uniform(seed, shape))
    size = x.numel()
    d = data.draw(st.sampled_from([k for k in range(1, size + 1) if size % k == 0]))
    check(lambda t: t.reshape(d, -1), x)
    check(lambda t: t.view(size // d, d), x)
    check(lambda t: t.flatten(), x)


@CHECK
@given(shape=nonscalar_shapes, seed=seeds, data=st.data())
def test_transpose_permute(shape, seed, data):
    x = leaf(uniform(seed, shape))
    n = len(shape)
    d0, d1 = data.draw(st.integers(-n, n - 1)), data.draw(st.integers(-n, n - 1))
    perm = data.draw(st.permutations(range(n)))
    check(lambda t: t.transpose(d0, d1) * mg.tensor(uniform(seed + 1, np.swapaxes(x.numpy(), d0, d1).shape)), x)
    check(lambda t: t.permute(*perm), x)
    check(lambda t: t.T, x)


@CHECK
@given(shape=small_shapes, seed=seeds, data=st.data())
def test_squeeze_unsqueeze(shape, seed, data):
    x = leaf(uniform(seed, shape))
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check(lambda t: t.unsqueeze(dim), x)
    check(lambda t: t.squeeze(), x)
    if shape:
        axis = data.draw(st.integers(-len(shape), len(shape) - 1))
        check(lambda t: t.squeeze(axis), x)


@CHECK
@given(case=broadcast_pair())
def test_expand(case):
    (shape_a, shape_b), seed = case
    target = np.broadcast_shapes(shape_a, shape_b)
    check(lambda t: t.expand(*target), leaf(uniform(seed, shape_a)))


@CHECK
@given(shape=nonscalar_shapes, seed=seeds, data=st.data())
def test_cat_and_stack(shape, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    s2 = list(shape)
    s2[dim] = data.draw(st.integers(1, 2))
    a, b = leaf(uniform(seed, shape)), leaf(uniform(seed + 1, tuple(s2)))
    check(lambda p, q: mg.cat([p, q, p], dim), a, b)
    c = leaf(uniform(seed + 2, shape))
    sdim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check(lambda p, q: mg.stack([p, q], sdim), a, c)


INDEXES = [
    1, -1, slice(1, None), slice(None, None, 2), (0, 1), (slice(None), 0), None, (None, 0), Ellipsis,
    (Ellipsis, 1), (0, Ellipsis, None), np.array([0, 0, 2]), (np.array([1, 0, 1]), np.array([2, 2, 0])),
    (slice(None), np.array([3, 3, 0])), np.array([[0, 1], [1, 1]]), np.array([True, False, True]),
]


@pytest.mark.parametrize("index", INDEXES, ids=repr)
def test_indexing(index):
    check(lambda t: t[index], leaf(uniform(5, (3, 4, 2))))


def test_indexing_with_repeats_adds_gradients():
    x = leaf([1.0, 2.0, 3.0])
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_indexing_with_bool_mask_tensor():
    values = uniform(6, (3, 4))
    mask = mg.tensor(values > 0)
    check(lambda t: t[mask], leaf(values))


# ---------------------------------------------------------------------- nn.functional
@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax], ids=["softmax", "log_softmax"])
@CHECK
@given(shape=nonscalar_shapes, seed=seeds, data=st.data())
def test_softmax_family(fn, shape, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    check(lambda t: fn(t, dim), leaf(uniform(seed, shape, -3, 3)))


def test_dropout_gradient_uses_the_same_mask():
    def fn(t):
        mg.manual_seed(3)  # the same mask on every evaluation
        return F.dropout(t, p=0.4)

    check(fn, leaf(uniform(0, (4, 5))))
    x = leaf(np.ones((50, 40)))
    mg.manual_seed(3)
    y = F.dropout(x, p=0.4)
    y.sum().backward()
    kept = y.numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, 1 / 0.6, 0.0))
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.6)


@CHECK
@given(batch=hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=2),
       norm=hnp.array_shapes(min_dims=1, max_dims=2, min_side=2, max_side=3), affine=st.booleans(), seed=seeds)
def test_layer_norm(batch, norm, affine, seed):
    x = leaf(uniform(seed, batch + norm))
    if affine:
        check(lambda t, w, b: F.layer_norm(t, norm, w, b), x, leaf(uniform(seed + 1, norm)),
              leaf(uniform(seed + 2, norm)))
    else:
        check(lambda t: F.layer_norm(t, norm), x)


def test_layer_norm_bias_without_weight():
    check(lambda t, b: F.layer_norm(t, 3, None, b), leaf(uniform(0, (2, 3))), leaf(uniform(1, (3,))))


@CHECK
@given(index_shape=hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4), seed=seeds)
def test_embedding(index_shape, seed):
    idx = mg.tensor(np.random.default_rng(seed).integers(0, 4, size=index_shape))
    check(lambda w: F.embedding(idx, w), leaf(uniform(seed, (4, 3))))


@CHECK
@given(index_shape=hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4), seed=seeds)
def test_embedding_with_padding_idx(index_shape, seed):
    idx_values = np.random.default_rng(seed).integers(0, 4, size=index_shape)
    idx_values.flat[0] = 0  # the padding row is always used
    idx = mg.tensor(idx_values)
    padding_row = mg.tensor(uniform(seed + 1, (1, 3)))

    def fn(other_rows):  # gradcheck only the rows that are not the padding row
        return F.embedding(idx, mg.cat([padding_row, other_rows]), padding_idx=0)

    check(fn, leaf(uniform(seed, (3, 3))))
    weight = leaf(uniform(seed, (4, 3)))
    F.embedding(idx, weight, padding_idx=0).sum().backward()
    assert np.all(weight.grad.numpy()[0] == 0)
    counts = np.bincount(idx_values.ravel(), minlength=4)
    np.testing.assert_allclose(weight.grad.numpy()[1:], np.repeat(counts[1:, None], 3, axis=1))


@CHECK
@given(batch=hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=2), n_in=st.integers(1, 3),
       n_out=st.integers(1, 3), bias=st.booleans(), seed=seeds)
def test_linear(batch, n_in, n_out, bias, seed):
    x, w = leaf(uniform(seed, batch + (n_in,))), leaf(uniform(seed + 1, (n_out, n_in)))
    if bias:
        check(F.linear, x, w, leaf(uniform(seed + 2, (n_out,))))
    else:
        check(F.linear, x, w)


# ---------------------------------------------------------------------- losses
@CHECK
@given(shape=small_shapes, reduction=reductions, seed=seeds)
def test_mse_loss(shape, reduction, seed):
    check(lambda x, t: F.mse_loss(x, t, reduction=reduction), leaf(uniform(seed, shape)),
          leaf(uniform(seed + 1, shape)))


@CHECK
@given(n=st.integers(1, 3), c=st.integers(2, 4), extra=st.sampled_from([(), (2,), (2, 1)]),
       smoothing=st.sampled_from([0.0, 0.2]), use_ignore=st.booleans(), reduction=reductions, seed=seeds)
def test_cross_entropy(n, c, extra, smoothing, use_ignore, reduction, seed):
    rng = np.random.default_rng(seed)
    target = rng.integers(0, c, size=(n,) + extra)
    if use_ignore:
        target.flat[-1] = -100
    t = mg.tensor(target)
    check(lambda x: F.cross_entropy(x, t, label_smoothing=smoothing, reduction=reduction),
          leaf(uniform(seed, (n, c) + extra, -3, 3)))


def test_cross_entropy_single_sample():
    check(lambda x: F.cross_entropy(x, mg.tensor(1)), leaf(uniform(0, (4,))))


@CHECK
@given(shape=small_shapes, reduction=reductions, seed=seeds)
def test_binary_cross_entropy_with_logits(shape, reduction, seed):
    y = np.random.default_rng(seed).random(shape)
    check(lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=reduction),
          leaf(uniform(seed, shape, -4, 4)), leaf(y))


@CHECK
@given(shape=nonscalar_shapes, reduction=reductions, seed=seeds)
def test_hinge_loss(shape, reduction, seed):
    labels = mg.tensor(np.where(np.random.default_rng(seed).random(shape) > 0.5, 1.0, -1.0))  # fixed labels
    scores = away_from(seed, shape, [-1.0, 1.0])  # the kink is at y * s = 1
    check(lambda s: F.hinge_loss(s, labels, reduction=reduction), leaf(scores))


@CHECK
@given(n=st.integers(1, 3), c=st.integers(2, 4), p=st.sampled_from([1, 2]), reduction=reductions, seed=seeds)
def test_multi_margin_loss(n, c, p, reduction, seed):
    target = np.random.default_rng(seed).integers(0, c, size=n)
    x = uniform(seed, (n, c), -1, 1)
    rows = np.arange(n)
    m = 1.0 - x[rows, target][:, None] + x  # margin of each wrong class j; the kink is at m = 0
    near_kink = np.abs(m) < 0.05
    near_kink[rows, target] = False
    x = np.where(near_kink, x + 0.1, x)  # moves m to [0.05, 0.15]
    check(lambda t: F.multi_margin_loss(t, mg.tensor(target), p=p, reduction=reduction), leaf(x))
