"""issue 9's tensor math against PyTorch (the oracle), float64: values and gradients, the same code
run with both libraries (tests/api_math_cases.py), then the non-differentiable results (indices,
unique, comparisons), the dtype each op returns, and the edge cases PyTorch defines (ties, -inf rows,
zeros in products, norms at 0)."""
import math

import numpy as np
import pytest

import minigrad as mg
from api_math_cases import CASES, TIES, WITH_ZEROS, u

torch = pytest.importorskip("torch")

# NumPy warns where PyTorch silently returns inf or nan (log 0, 0 / 0): such inputs are deliberate here.
pytestmark = pytest.mark.filterwarnings("ignore:.*encountered in:RuntimeWarning")

RTOL, ATOL = 1e-6, 1e-10


def agree(ours, theirs, what):
    ours = ours.numpy() if isinstance(ours, mg.Tensor) else np.asarray(ours)
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, err_msg=what)


def run_both(fn, arrays):
    """(our output, torch's output, our inputs, torch's inputs), inputs float64 leaves requiring grad."""
    ours_in = [mg.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    return fn(mg, *ours_in), fn(torch, *theirs_in), ours_in, theirs_in


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name):
    fn, arrays = CASES[name]
    ours, theirs, ours_in, theirs_in = run_both(fn, arrays)
    agree(ours, theirs, f"{name}: forward")
    assert ours.dtype == np.dtype(str(theirs.dtype).replace("torch.", ""))
    w = np.random.default_rng(99).standard_normal(tuple(theirs.shape))
    (ours * mg.tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    for i, (a, b) in enumerate(zip(ours_in, theirs_in)):
        expected = np.zeros(b.shape) if b.grad is None else b.grad.numpy()
        got = np.zeros(a.shape) if a.grad is None else a.grad.numpy()
        agree(got, expected, f"{name}: gradient of input {i}")


# ------------------------------------------------------------------ gradients where PyTorch defines a special value
def grads_of(fn, array):
    ours = mg.tensor(np.array(array, dtype=np.float64), requires_grad=True)
    theirs = torch.tensor(np.array(array, dtype=np.float64), requires_grad=True)
    fn(mg, ours).sum().backward()
    fn(torch, theirs).sum().backward()
    return ours, theirs


EDGE = np.array([[-1.0, 0.0], [-2.0, 1.0], [0.5, -0.5]])
EXTREMES = {
    "logsumexp_-inf_row": (lambda m, x: m.logsumexp(x, 1), np.array([[-math.inf, -math.inf], [0.0, 1.0]])),
    "atan2_origin": (lambda m, x: m.atan2(x, x), EDGE),
    "log1p_at_-1": (lambda m, x: m.log1p(x), EDGE),
    "rsqrt_reciprocal_at_0": (lambda m, x: m.rsqrt(x + 2) + m.reciprocal(x + 2), EDGE),
    "norms_at_0": (lambda m, x: m.norm(x - x, p=2) + m.norm(x - x, p=0.5) + m.norm(x - x, p=-1), EDGE),
    "norm_p_half_with_a_zero": (lambda m, x: m.norm(x, p=0.5, dim=1), EDGE),
    "asin_acos_at_1": (lambda m, x: m.asin(m.clamp(x, -1, 1)) + m.acos(m.clamp(x, -1, 1)), EDGE),
    "clamp_outside_of_an_infinite_gradient": (lambda m, x: m.log(m.clamp(x, min=0)) * 0 + x, EDGE),
}


@pytest.mark.parametrize("name", sorted(EXTREMES))
def test_gradients_at_extreme_inputs_match_torch(name):
    fn, x = EXTREMES[name]
    ours, theirs = grads_of(fn, x)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=RTOL, atol=ATOL, equal_nan=True)


def test_logsumexp_with_infinities_matches_torch():
    x = np.array([[-math.inf, -math.inf], [math.inf, 1.0], [0.0, -math.inf]])
    ours, theirs = grads_of(lambda m, t: m.logsumexp(t, 1), x)
    agree(mg.logsumexp(mg.tensor(x), 1), torch.logsumexp(torch.tensor(x), 1), "forward")
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), equal_nan=True)


def test_cumprod_and_prod_with_zeros_match_torch_exactly():
    x = np.array([[2.0, 0.0, 3.0, 0.0, 5.0], [0.0, 0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0, 0.0]])
    for fn in (lambda m, t: m.cumprod(t, 1) * m.arange(1.0, 6.0, dtype=m.float64), lambda m, t: m.prod(t, 1),
               lambda m, t: m.prod(t[0])):
        ours, theirs = grads_of(fn, x)
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=0)


# ------------------------------------------------------------------ results that are not differentiable
def both(fn, *arrays):
    return fn(mg, *(mg.tensor(a) for a in arrays)), fn(torch, *(torch.tensor(a) for a in arrays))


INTEGER_RESULTS = {
    "argsort": (lambda m, x: m.argsort(x, 1), [u((3, 5))]),
    "argsort_descending_stable": (lambda m, x: x.argsort(dim=1, descending=True, stable=True), [TIES]),
    "sort_indices_stable_ties": (lambda m, x: m.sort(x, stable=True).indices, [TIES]),
    "sort_nan_last": (lambda m, x: m.sort(x).indices, [np.array([3.0, math.nan, 1.0, 2.0])]),
    "sort_nan_first_descending": (lambda m, x: m.sort(x, descending=True).indices, [np.array([3.0, math.nan, 1.0])]),
    "topk_indices_ties": (lambda m, x: m.topk(x, 2).indices, [np.array([1.0, 3.0, 3.0, 2.0])]),
    "max_dim_indices_ties": (lambda m, x: m.max(x, 1).indices, [TIES]),
    "min_dim_indices_ties": (lambda m, x: x.min(0).indices, [TIES]),
    "argmin": (lambda m, x: m.argmin(x, 1), [TIES]),
    "max_0d": (lambda m, x: m.stack([m.max(x, 0).values, m.max(x, 0).indices.double()]), [np.array(3.0)]),
    "unique": (lambda m, x: m.unique(x), [np.array([[3, 1], [3, 2]])]),
    "unique_inverse": (lambda m, x: m.unique(x, return_inverse=True)[1], [np.array([[3, 1], [3, 2]])]),
    "unique_counts": (lambda m, x: m.unique(x, return_counts=True)[1], [np.array([3.0, 1.0, 3.0, 3.0])]),
    "unique_dim": (lambda m, x: m.unique(x, dim=0), [np.array([[1, 2], [1, 2], [0, 5]])]),
    "unique_dim_inverse_counts": (lambda m, x: m.cat(m.unique(x, dim=0, return_inverse=True, return_counts=True)[1:]),
                                  [np.array([[1, 2], [1, 2], [0, 5]])]),
    "nonzero": (lambda m, x: m.nonzero(x), [np.array([[0, 1], [2, 0]])]),
    "nonzero_as_tuple": (lambda m, x: m.stack(m.nonzero(x, as_tuple=True)), [np.array([[0, 1], [2, 0]])]),
    "nonzero_0d": (lambda m, x: m.nonzero(x), [np.array(3)]),
    "argwhere": (lambda m, x: m.argwhere(x), [np.array([0.0, 1.5, 0.0, -2.0])]),
    "count_nonzero": (lambda m, x: m.count_nonzero(x, dim=0), [np.array([[0, 1], [2, 0], [3, 3]])]),
    "count_nonzero_all": (lambda m, x: x.count_nonzero(), [np.array([[0, 1], [2, 0], [3, 3]])]),
    "isclose": (lambda m, a, b: m.isclose(a, b), [np.array([1.0, 2.0, math.inf, math.nan]),
                                                  np.array([1.0 + 1e-9, 2.1, math.inf, math.nan])]),
    "isclose_equal_nan": (lambda m, a, b: a.isclose(b, rtol=0.1, equal_nan=True),
                          [np.array([1.0, 2.0, math.nan]), np.array([1.05, 2.5, math.nan])]),
    "isclose_int": (lambda m, a, b: m.isclose(a, b), [np.array([1, 2]), np.array([1, 3])]),
    "isnan_isinf_isfinite": (lambda m, x: m.stack([m.isnan(x), m.isinf(x), x.isfinite(), m.isposinf(x),
                                                   m.isneginf(x)]),
                             [np.array([1.0, math.nan, math.inf, -math.inf])]),
    "logical": (lambda m, a, b: m.stack([m.logical_and(a, b), m.logical_or(a, b), m.logical_xor(a, b),
                                         m.logical_not(a)]), [np.array([True, True, False]), np.array([True, False, False])]),
    "repeat_interleave_counts_only": (lambda m, x: m.repeat_interleave(x), [np.array([2, 3])]),
    "multinomial_certain": (lambda m, p: m.multinomial(p, 4, replacement=True), [np.array([[0.0, 1.0, 0.0]])]),
    "integer_floor_round": (lambda m, x: m.stack([m.floor(x), x.ceil(), m.round(x), x.trunc(), m.sign(x)]),
                            [np.array([-2, 0, 3])]),
    "integer_square_cumsum_prod": (lambda m, x: m.cat([m.square(x), m.cumsum(x, 0), m.prod(x).reshape(1)]),
                                   [np.array([-2, 1, 3], dtype=np.int32)]),
    "bool_sum_like": (lambda m, x: m.cat([m.cumsum(x, 0), x.prod().reshape(1), m.sign(x).long(), m.square(x)]),
                      [np.array([True, False, True])]),
}


@pytest.mark.parametrize("name", sorted(INTEGER_RESULTS))
def test_non_differentiable_results_match_torch(name):
    fn, arrays = INTEGER_RESULTS[name]
    ours, theirs = both(fn, *arrays)
    assert ours.dtype == np.dtype(str(theirs.dtype).replace("torch.", "")), f"{name}: dtype"
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_scalar_results_match_torch():
    a, b = np.array([1.0, 2.0]), np.array([1.0 + 1e-7, 2.0])
    for fn in (lambda m, x, y: m.allclose(x, y), lambda m, x, y: m.allclose(x, y, rtol=0, atol=0),
               lambda m, x, y: m.equal(x, y), lambda m, x, y: m.equal(x, x), lambda m, x, y: x.equal(x[:1]),
               lambda m, x, y: m.is_tensor(x), lambda m, x, y: m.is_tensor(a), lambda m, x, y: m.numel(x),
               lambda m, x, y: m.is_floating_point(x), lambda m, x, y: m.is_floating_point(x.long())):
        ours, theirs = both(fn, a, b)
        assert ours == theirs and type(ours) is type(theirs)


# ------------------------------------------------------------------ dtypes of the results (PyTorch's rules)
@pytest.mark.parametrize("values", [[1, 2, 3], [True, False, True]], ids=["int64", "bool"])
@pytest.mark.parametrize("name", ["sin", "cos", "tan", "asin", "atan", "sinh", "cosh", "exp2", "expm1", "log1p",
                                  "log2", "log10", "erf", "reciprocal", "rsqrt", "sigmoid", "square", "sign"])
def test_unary_result_dtypes_match_torch(name, values):
    ours = getattr(mg, name)(mg.tensor(values))
    theirs = getattr(torch, name)(torch.tensor(values))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


def test_other_result_dtypes_match_torch():
    i32 = np.array([[1, 2], [3, 4]], dtype=np.int32)
    for fn in (lambda m, x: m.atan2(x, x), lambda m, x: m.logsumexp(x, 1), lambda m, x: x.cumsum(0),
               lambda m, x: m.cumprod(x, 1), lambda m, x: m.prod(x), lambda m, x: m.prod(x, 0),
               lambda m, x: m.cumsum(x, 1, dtype=m.float64), lambda m, x: m.sum(x, 1, dtype=m.float16),
               lambda m, x: m.norm(x.float(), dtype=m.float64), lambda m, x: m.trace(x),
               lambda m, x: m.tril(x), lambda m, x: m.flip(x, (0,)), lambda m, x: x.float().half().sin(),
               lambda m, x: m.outer(x[0], x[1].double()), lambda m, x: m.normal(x.float(), 1.0),
               lambda m, x: m.normal(0.0, x.double()), lambda m, x: m.normal(0.0, 1.0, (2, 3)),
               lambda m, x: m.multinomial(x[0].float(), 1), lambda m, x: x.new_zeros(2),
               lambda m, x: x.new_full((2,), 3.5), lambda m, x: x.new_tensor([1.5]),
               lambda m, x: x.new_ones(1, dtype=m.float64)):
        ours, theirs = both(fn, i32)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), fn
        assert ours.shape == tuple(theirs.shape)


# ------------------------------------------------------------------ shapes of pieces, and edge shapes
SHAPES = {
    "split_int": lambda m, x: [t.shape for t in m.split(x, 2, 1)],
    "split_empty": lambda m, x: [t.shape for t in m.split(x[:0], 2)],
    "chunk_uneven": lambda m, x: [t.shape for t in m.chunk(x, 4, 1)],
    "chunk_more_than_size": lambda m, x: [t.shape for t in x.chunk(8, 0)],
    "chunk_empty": lambda m, x: [t.shape for t in m.chunk(x[:0], 3)],
    "unbind": lambda m, x: [t.shape for t in x.unbind(-1)],
    "diagonal_empty": lambda m, x: m.diagonal(x, 7).shape,
    "diag_embed_negative": lambda m, x: m.diag(x[0], -2).shape,
    "topk_zero": lambda m, x: m.topk(x, 0).values.shape,
    "sort_0d": lambda m, x: m.sort(x[0, 0]).values.shape,
    "cumsum_0d": lambda m, x: m.cumsum(x[0, 0], 0).shape,
    "prod_0d_dim": lambda m, x: m.prod(x[0, 0], 0).shape,
    "max_empty_dim_kept": lambda m, x: m.max(x[:, :0], 0).values.shape,
    "logsumexp_empty": lambda m, x: m.logsumexp(x[:0], 0).tolist(),
    "norm_empty": lambda m, x: m.norm(x[:0]).item(),
    "prod_empty": lambda m, x: m.prod(x[:0]).item(),
    "repeat_new_dims": lambda m, x: x.repeat(2, 1, 1).shape,
    "squeeze_tuple": lambda m, x: m.squeeze(x[:1, :1], (0, 1)).shape,
    "unsqueeze_negative": lambda m, x: m.unsqueeze(x, -1).shape,
    "dstack": lambda m, x: m.dstack([x, x]).shape,
    "broadcast_shapes": lambda m, x: tuple(m.broadcast_shapes((3, 1), (4,), (2, 1, 1))),
    "einsum_0d_out": lambda m, x: m.einsum("ij->", x).shape,
    "gather_0d": lambda m, x: m.gather(x[0, 0], 0, m.tensor(0)).shape,
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_edge_shapes_match_torch(name):
    x = np.arange(1.0, 13.0).reshape(3, 4)
    ours, theirs = both(SHAPES[name], x)
    def plain(value):  # torch.Size and lists of them -> tuples and lists of tuples
        if isinstance(value, list):
            return [plain(v) for v in value]
        return tuple(value) if isinstance(value, tuple) else value

    assert plain(ours) == plain(theirs)


# ------------------------------------------------------------------ in place: the same values as PyTorch
@pytest.mark.parametrize("name, args", [
    ("sin_", ()), ("exp2_", ()), ("log1p_", ()), ("erf_", ()), ("square_", ()), ("floor_", ()), ("round_", ()),
    ("frac_", ()), ("sign_", ()), ("atan_", ()), ("cumsum_", (1,)), ("cumprod_", (0,)), ("tril_", ()), ("triu_", (1,)),
    ("nan_to_num_", ()), ("scatter_", (1, "index", 2.5)), ("scatter_add_", (1, "index", "src")),
    ("index_add_", (0, "rows", "src")), ("index_fill_", (1, "rows", -3.0)), ("index_copy_", (0, "rows", "src")),
])
def test_in_place_twins_change_the_tensor_like_torch(name, args):
    def run(m):
        x = m.tensor(np.array([[0.5, -1.25, 2.0], [3.5, 0.25, -0.75]]))
        named = {"index": m.tensor([[0, 2], [1, 1]]), "rows": m.tensor([1, 0]), "src": m.ones(2, 3, dtype=m.float64)}
        alias = x
        result = getattr(x, name)(*(named.get(a, a) if isinstance(a, str) else a for a in args))
        assert result is x and alias is x
        return x

    ours, theirs = run(mg), run(torch)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
