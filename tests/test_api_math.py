"""issue 9's tensor math without PyTorch: finite-difference gradchecks (float64) of every
differentiable case, hypothesis-drawn shapes for the op families, the same cases on the GPU device
("cuda" or the simulator), and the behaviour PyTorch documents: views, in-place twins, sampling,
and the errors (each message naming the problem and the fix)."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from api_math_cases import CASES, TIES
from minigrad.autograd import gradcheck

# NumPy warns where PyTorch silently returns inf or nan (log 0, 0 / 0): such inputs are deliberate here.
pytestmark = pytest.mark.filterwarnings("ignore:.*encountered in:RuntimeWarning")

CHECK = settings(max_examples=8, deadline=None)
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)
seeds = st.integers(0, 2 ** 31 - 1)


def leaf(array, device="cpu"):
    return mg.tensor(np.asarray(array, dtype=np.float64), device=device, requires_grad=True)


def values(seed, shape, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


# ------------------------------------------------------------------ gradcheck of every case
# Not differentiable at their inputs on purpose (ties, NaN, a count): checked against PyTorch instead.
NOT_SMOOTH = {name for name, (_, arrays) in CASES.items() if any(a is TIES for a in arrays)} | {
    "nan_to_num", "norm_p0", "norm_inf_ties"}


@pytest.mark.parametrize("name", sorted(set(CASES) - NOT_SMOOTH))
def test_gradcheck(name):
    fn, arrays = CASES[name]
    assert gradcheck(lambda *xs: fn(mg, *xs), tuple(leaf(a) for a in arrays))


class OnDevice:
    """``mg`` itself, except that ``tensor(...)`` (the index tensors the cases make) lands on ``device``."""

    def __init__(self, device):
        self.device = device

    def __getattr__(self, name):
        return getattr(mg, name)

    def tensor(self, data, **kwargs):
        return mg.tensor(data, device=self.device, **kwargs)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gpu_device_matches_cpu(name, gpu_device):
    fn, arrays = CASES[name]
    results = {}
    for device in ("cpu", gpu_device):
        inputs = [leaf(a, device) for a in arrays]
        out = fn(OnDevice(device), *inputs)
        assert out.device == device
        weights = mg.tensor(np.random.default_rng(3).standard_normal(out.shape), device=device)
        (out * weights).sum().backward()
        results[device] = [out.numpy()] + [np.zeros(t.shape) if t.grad is None else t.grad.numpy() for t in inputs]
    for cpu, gpu in zip(results["cpu"], results[gpu_device]):
        np.testing.assert_allclose(gpu, cpu, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ hypothesis: drawn shapes per family
UNARY = {
    "sin": (-2, 2), "cos": (-2, 2), "tan": (-1.2, 1.2), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9), "atan": (-2, 2),
    "sinh": (-2, 2), "cosh": (-2, 2), "exp2": (-2, 2), "expm1": (-2, 2), "log1p": (-0.8, 2), "log2": (0.2, 2),
    "log10": (0.2, 2), "erf": (-2, 2), "reciprocal": (0.2, 2), "rsqrt": (0.2, 2), "square": (-2, 2), "frac": (0.1, 0.9),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=5, deadline=None)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3), seed=seeds)
def test_gradcheck_unary_on_drawn_shapes(name, shape, seed):
    low, high = UNARY[name]
    assert gradcheck(getattr(mg, name), (leaf(values(seed, shape, low, high)),))


@st.composite
def shape_dim(draw):
    shape = draw(shapes)
    return shape, draw(st.integers(-len(shape), len(shape) - 1)), draw(st.booleans()), draw(seeds)


@CHECK
@given(case=shape_dim(), which=st.sampled_from(["prod", "cumsum", "cumprod", "logsumexp", "sort", "topk", "std",
                                                 "max", "roll", "flip", "split", "cumprod_with_zero"]))
def test_gradcheck_along_a_drawn_dim(case, which):
    shape, dim, keepdim, seed = case
    x = values(seed, shape, 0.5, 1.5) * np.random.default_rng(seed).choice([-1, 1], size=shape)
    if which == "cumprod_with_zero":
        x.reshape(-1)[np.random.default_rng(seed).integers(x.size)] = 0.0
    n = shape[dim]
    fn = {
        "prod": lambda t: t.prod(dim, keepdim),
        "cumsum": lambda t: t.cumsum(dim),
        "cumprod": lambda t: t.cumprod(dim),
        "cumprod_with_zero": lambda t: t.cumprod(dim),
        "logsumexp": lambda t: t.logsumexp(dim, keepdim),
        "sort": lambda t: t.sort(dim, descending=keepdim).values,
        "topk": lambda t: t.topk(max(1, n - 1), dim, largest=keepdim).values,
        "std": lambda t: t.std(dim, keepdim=keepdim, correction=0),
        "max": lambda t: t.max(dim, keepdim).values,
        "roll": lambda t: t.roll(seed % 5 - 2, dim),
        "flip": lambda t: t.flip(dim),
        "split": lambda t: mg.cat(t.split(2, dim)[::-1], dim),
    }[which]
    assert gradcheck(fn, (leaf(x),))


@CHECK
@given(shape=shapes, seed=seeds, p=st.sampled_from([2, 1, 3, 1.5, math.inf, -math.inf, "fro"]),
       all_dims=st.booleans())
def test_gradcheck_norms(shape, seed, p, all_dims):
    x = values(seed, shape, 0.3, 2.0) * np.random.default_rng(seed).choice([-1, 1], size=shape)
    dim = None if all_dims else -1
    assert gradcheck(lambda t: t.norm(p, dim), (leaf(x),))


@CHECK
@given(shape=shapes, seed=seeds, data=st.data())
def test_gradcheck_gather_and_scatter_add_with_drawn_indices(shape, seed, data):
    dim = data.draw(st.integers(0, len(shape) - 1))
    rng = np.random.default_rng(seed)
    index_shape = tuple(rng.integers(1, n + 1) for n in shape)
    index = mg.tensor(rng.integers(0, shape[dim], size=index_shape))
    x, src = leaf(values(seed, shape)), leaf(values(seed + 1, index_shape))
    assert gradcheck(lambda t: t.gather(dim, index), (x,))
    assert gradcheck(lambda t, s: t.scatter_add(dim, index, s), (x, src))


@CHECK
@given(shape=hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=3), seed=seeds,
       sizes=st.lists(st.integers(1, 2), min_size=2, max_size=3))
def test_gradcheck_repeat_tile_interleave(shape, seed, sizes):
    x = leaf(values(seed, shape))
    assert gradcheck(lambda t: t.repeat(*([1] * (len(shape) - len(sizes)) + sizes)), (x,))
    assert gradcheck(lambda t: t.tile(tuple(sizes)), (x,))
    assert gradcheck(lambda t: t.repeat_interleave(sizes[0], dim=-1), (x,))


@CHECK
@given(shape=hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=3), seed=seeds, offset=st.integers(-3, 3))
def test_gradcheck_triangles_and_diagonals(shape, seed, offset):
    x = leaf(values(seed, shape))
    assert gradcheck(lambda t: t.tril(offset) * 2 + t.triu(offset), (x,))
    assert gradcheck(lambda t: t.diagonal(offset, -1, 0) * 3, (x,))


@CHECK
@given(batch=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2), seed=seeds,
       sizes=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)))
def test_gradcheck_einsum_batched_products(batch, seed, sizes):
    (batch_a, batch_b), (n, k, m) = batch.input_shapes, sizes
    a, b = leaf(values(seed, batch_a + (n, k))), leaf(values(seed + 1, batch_b + (k, m)))
    assert gradcheck(lambda x, y: mg.einsum("...nk,...km->...mn", x, y), (a, b))
    np.testing.assert_allclose(mg.einsum("...nk,...km->...nm", a, b).detach().numpy(),
                               (a @ b).detach().numpy(), rtol=1e-12)


# ------------------------------------------------------------------ semantics PyTorch documents
def test_max_along_a_dim_gives_the_gradient_to_the_first_tied_element_only():
    x = leaf([[1.0, 3.0, 3.0]])
    values_, indices = x.max(1)
    assert indices.tolist() == [1]
    values_.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0]]
    y = leaf([[1.0, 3.0, 3.0]])
    y.amax(1).sum().backward()  # amax shares ties
    assert y.grad.tolist() == [[0.0, 0.5, 0.5]]


def test_max_and_min_overloads():
    a, b = mg.tensor([1.0, 5.0, 3.0]), mg.tensor([4.0, 2.0, 3.0])
    assert mg.max(a).item() == 5.0 and mg.min(a).item() == 1.0
    assert mg.max(a, b).tolist() == [4.0, 5.0, 3.0] and mg.min(a, b).tolist() == [1.0, 2.0, 3.0]
    values_, indices = mg.max(a, 0)
    assert (values_.item(), indices.item()) == (5.0, 1) and mg.min(a, dim=0).indices.item() == 0
    assert mg.max(a, dim=0, keepdim=True).values.shape == (1,)
    with pytest.raises(IndexError, match="Expected reduction dim 1 to have non-zero size"):
        mg.max(mg.zeros(2, 0), 1)


def test_sort_is_stable_and_puts_nan_last():
    x = mg.tensor([2, 1, 2, 1, 2])
    assert x.sort().indices.tolist() == [1, 3, 0, 2, 4]
    assert x.sort(descending=True).indices.tolist() == [0, 2, 4, 1, 3]
    assert mg.tensor([1.0, math.nan, 0.0]).argsort().tolist() == [2, 0, 1]


def test_split_pieces_and_diagonal_are_views_that_write_through():
    x = mg.zeros(3, 3)
    x.diagonal().fill_(1.0)
    assert x.tolist() == np.eye(3).tolist()
    top, bottom = x.split([1, 2])
    top.zero_()
    bottom[0, 0] = 7.0
    assert x.tolist() == [[0, 0, 0], [7, 1, 0], [0, 0, 1]]
    assert x.diag().tolist() == [0, 1, 1]  # diag of a matrix is a copy, as in PyTorch
    d = x.diag()
    d.fill_(5.0)
    assert x[2, 2].item() == 1.0


def test_in_place_twins_record_the_graph_and_keep_dtype_rules():
    x = leaf([0.3, -1.2, 2.0])
    y = x * 1
    y.sin_()
    y.square_()
    y.sum().backward()
    expected = 2 * np.sin(x.detach().numpy()) * np.cos(x.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        x.sin_()
    with pytest.raises(RuntimeError, match="can't be cast to this tensor's dtype int64"):
        mg.tensor([1, 2]).sin_()
    counts = mg.tensor([1, 2, 3])
    assert counts.cumsum_(0) is counts and counts.tolist() == [1, 3, 6]


def test_scatter_takes_the_leading_block_of_a_larger_src():
    x = mg.zeros(2, 3)
    out = x.scatter(1, mg.tensor([[0, 2]]), mg.arange(6.0).reshape(2, 3))
    assert out.tolist() == [[0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]
    assert mg.zeros(3).index_add(0, mg.tensor([0, 0]), mg.tensor([1.0, 2.0]), alpha=2).tolist() == [6.0, 0.0, 0.0]
    assert mg.zeros(3, dtype=mg.int64).index_fill(0, mg.tensor([0, 2]), 4.5).tolist() == [4, 0, 4]


def test_nan_to_num_defaults_are_the_dtype_limits():
    x = mg.tensor([math.nan, math.inf, -math.inf, 1.0])
    assert x.nan_to_num().tolist() == [0.0, float(np.finfo(np.float32).max), float(np.finfo(np.float32).min), 1.0]
    assert mg.nan_to_num(x.double(), posinf=1.0).tolist()[1] == 1.0


def test_new_tensor_methods_take_dtype_and_device_from_self(gpu_device):
    x = mg.ones(2, dtype=mg.float64, device=gpu_device)
    for made in (x.new_zeros(3), x.new_ones((2, 2)), x.new_empty(1), x.new_full((2,), 7), x.new_tensor([1, 2])):
        assert made.dtype == mg.float64 and made.device == gpu_device and not made.requires_grad
    assert x.new_zeros(2, dtype=mg.int64).dtype == mg.int64
    assert x.new_ones(2, requires_grad=True).requires_grad


def test_einsum_forms():
    a, b = mg.arange(6.0).reshape(2, 3), mg.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(mg.einsum("ij,jk", a, b).numpy(), a.numpy() @ b.numpy())
    np.testing.assert_allclose(mg.einsum("ij -> ji", a).numpy(), a.numpy().T)
    assert mg.einsum("...,...", mg.tensor(2.0), mg.tensor(3.0)).item() == 6.0
    with pytest.raises(RuntimeError, match="subscript j has size 2 for operand 1 which does not broadcast"):
        mg.einsum("ij,jk", a, mg.ones(2, 4))
    with pytest.raises(RuntimeError, match="2 operand\\(s\\) but 1 tensor"):
        mg.einsum("ij,jk", a)
    with pytest.raises(RuntimeError, match="do not fit operand 0"):
        mg.einsum("ijk", a)
    with pytest.raises(RuntimeError, match="output subscript i appears more than once"):
        mg.einsum("ij->ii", a)
    with pytest.raises(RuntimeError, match="same dtype"):
        mg.einsum("ij,jk", a, b.long())


# ------------------------------------------------------------------ sampling
def test_multinomial_draws_follow_the_weights_and_the_seed():
    weights = mg.tensor([[1.0, 0.0, 3.0], [0.0, 2.0, 2.0]])
    draws = mg.multinomial(weights, 4000, replacement=True, generator=mg.Generator().manual_seed(1)).numpy()
    assert draws.shape == (2, 4000) and draws.dtype == np.int64
    np.testing.assert_allclose(np.mean(draws[0] == 2), 0.75, atol=0.03)
    np.testing.assert_allclose(np.mean(draws[1] == 1), 0.5, atol=0.03)
    assert not (draws[0] == 1).any() and not (draws[1] == 0).any()
    mg.manual_seed(5)
    first = mg.multinomial(weights[0], 2)
    mg.manual_seed(5)
    assert mg.multinomial(weights[0], 2).tolist() == first.tolist()
    assert sorted(first.tolist()) == [0, 2]  # without replacement: distinct, the zero weight last
    assert mg.multinomial(weights[0], 3).tolist()[2] == 1


def test_multinomial_without_replacement_follows_the_weights():
    picks = mg.multinomial(mg.tensor([[1.0, 2.0, 7.0]]).expand(3000, 3), 1, generator=mg.Generator().manual_seed(2))
    np.testing.assert_allclose(np.bincount(picks.numpy().ravel(), minlength=3) / 3000, [0.1, 0.2, 0.7], atol=0.03)


@pytest.mark.parametrize("call, message", [
    (lambda: mg.multinomial(mg.tensor([0.0, 1.0]), 3), "cannot sample n_sample > prob_dist.size\\(-1\\)"),
    (lambda: mg.multinomial(mg.tensor([0.0, -1.0]), 1), "contains either `inf`, `nan` or element < 0"),
    (lambda: mg.multinomial(mg.tensor([0.0, 0.0]), 1), "sum of probabilities <= 0"),
    (lambda: mg.multinomial(mg.tensor([1, 2]), 1), "only supports floating-point dtypes"),
    (lambda: mg.multinomial(mg.ones(2, 2, 2), 1), "prob_dist must be 1 or 2 dim"),
    (lambda: mg.normal(mg.zeros(2), -1.0), "normal expects all elements of std >= 0.0"),
    (lambda: mg.normal(0.0, -1.0, (2,)), "normal expects std >= 0.0"),
])
def test_sampling_errors(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


def test_normal_overloads():
    g = mg.Generator().manual_seed(0)
    x = mg.normal(mg.full((20000,), 3.0, dtype=mg.float64), 2.0, generator=g)
    assert x.dtype == mg.float64 and abs(x.mean().item() - 3) < 0.05 and abs(x.std().item() - 2) < 0.05
    assert mg.normal(mg.zeros(3), mg.ones(2, 1)).shape == (2, 3)
    assert mg.normal(1.0, mg.ones(4)).shape == (4,)
    assert mg.normal(0.0, 1.0, size=(2, 3), dtype=mg.float64).dtype == mg.float64
    with pytest.raises(TypeError, match="needs a size"):
        mg.normal(0.0, 1.0)
    a = mg.normal(0.0, 1.0, (3,), generator=mg.Generator().manual_seed(4))
    assert a.tolist() == mg.normal(0.0, 1.0, (3,), generator=mg.Generator().manual_seed(4)).tolist()


# ------------------------------------------------------------------ errors: the problem and the fix
ERRORS = [
    (lambda: mg.ones(2, 3).gather(1, mg.tensor([[0, 3]])), RuntimeError, "index 3 is out of bounds for dimension 1"),
    (lambda: mg.ones(2, 3).gather(1, mg.tensor([[0, -1]])), RuntimeError, "index -1 is out of bounds"),
    (lambda: mg.ones(2, 3).gather(1, mg.tensor([[0, 1]], dtype=mg.int32)), RuntimeError, "Expected dtype int64"),
    (lambda: mg.ones(2, 3).gather(1, mg.tensor([0, 1])), RuntimeError, "same number of dimensions"),
    (lambda: mg.ones(2, 3).gather(1, mg.zeros(3, 3, dtype=mg.int64)), RuntimeError, "no larger than self"),
    (lambda: mg.ones(2, 3).scatter(1, mg.tensor([[0]]), mg.ones(1, 1, dtype=mg.float64)), RuntimeError,
     "Expected self.dtype to be equal to src.dtype"),
    (lambda: mg.ones(2, 3).scatter(1, mg.tensor([[0]]), 1.0, reduce="add"), NotImplementedError, "scatter_add"),
    (lambda: mg.arange(5).index_select(0, mg.tensor([2.0])), RuntimeError, "Expected dtype int32 or int64"),
    (lambda: mg.arange(5).index_select(0, mg.tensor([[2]])), IndexError, "Index is supposed to be a vector"),
    (lambda: mg.arange(5).index_select(0, mg.tensor([5])), IndexError, "index out of range"),
    (lambda: mg.arange(4.0).masked_select(mg.tensor([1, 0, 1, 0])), RuntimeError, "expected BoolTensor"),
    (lambda: mg.zeros(3).index_add(0, mg.tensor([0]), mg.ones(2)), RuntimeError, "source has shape"),
    (lambda: mg.topk(mg.ones(4), 5), RuntimeError, "selected index k out of range"),
    (lambda: mg.split(mg.arange(5), [2, 2]), RuntimeError, "split_sizes to sum exactly to 5"),
    (lambda: mg.chunk(mg.arange(5), 0), RuntimeError, "chunk expects `chunks` to be greater than 0"),
    (lambda: mg.norm(mg.ones(2, 2), p="nuc"), NotImplementedError, "nuclear norm"),
    (lambda: mg.norm(mg.tensor([1, 2])), RuntimeError, "Expected a floating point tensor"),
    (lambda: mg.norm(mg.tensor([1, 2]), dtype=mg.float64), RuntimeError, "Expected a floating point tensor"),
    (lambda: mg.std(mg.tensor([1, 2, 3])), RuntimeError, "only supports floating point"),
    (lambda: mg.frac(mg.tensor([1, 2])), RuntimeError, "frac is not implemented for int64"),
    (lambda: mg.floor(mg.tensor([True])), RuntimeError, "floor is not implemented for bool"),
    (lambda: mg.tril(mg.ones(3)), RuntimeError, "at least 2 dimensions"),
    (lambda: mg.trace(mg.ones(3)), RuntimeError, "expected a matrix"),
    (lambda: mg.diag(mg.ones(2, 2, 2)), RuntimeError, "Supports 1D or 2D tensors"),
    (lambda: mg.diagonal(mg.ones(2, 2), 0, 1, -1), RuntimeError, "cannot be the same dimension"),
    (lambda: mg.mm(mg.ones(2, 3), mg.ones(2, 2)), RuntimeError, "shapes cannot be multiplied \\(2x3 and 2x2\\)"),
    (lambda: mg.mm(mg.ones(2, 3), mg.ones(3)), RuntimeError, "mat2 must be a matrix"),
    (lambda: mg.bmm(mg.ones(2, 3), mg.ones(3, 2)), RuntimeError, "batch1 must be a 3D tensor"),
    (lambda: mg.bmm(mg.ones(2, 2, 3), mg.ones(3, 3, 2)), RuntimeError, "Expected size for first two dimensions"),
    (lambda: mg.outer(mg.ones(2, 2), mg.ones(2)), RuntimeError, "expected two 1-D tensors"),
    (lambda: mg.ones(2).unsqueeze(2), IndexError, "Dimension out of range"),
    (lambda: mg.ones(2).cumsum(1), IndexError, "Dimension out of range"),
    (lambda: mg.stack([mg.ones(2), mg.ones(3)]), RuntimeError, "stack expects each tensor to be equal size"),
    (lambda: mg.isclose(mg.ones(2), mg.ones(2, dtype=mg.float64)), RuntimeError, "float32 did not match float64"),
    (lambda: mg.ones(2, 3).repeat(2), RuntimeError, "can not be smaller than number of dimensions"),
    (lambda: mg.repeat_interleave(mg.ones(3), mg.tensor([1, 2])), RuntimeError, "same size as input along dim"),
    (lambda: mg.roll(mg.ones(2, 2), (1, 1), 0), RuntimeError, "shifts and dimensions must align"),
    (lambda: mg.flip(mg.ones(2, 2), (0, -2)), RuntimeError, "more than once"),
]


@pytest.mark.parametrize("call, error, message", ERRORS, ids=[m[:40] for _, _, m in ERRORS])
def test_errors_name_the_problem(call, error, message):
    with pytest.raises(error, match=message):
        call()
