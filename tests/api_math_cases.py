"""The tensor-math names of issue 9 as test cases shared by tests/test_api_math.py (gradcheck, the
GPU device) and tests/test_api_math_vs_torch.py (PyTorch as the oracle).

Each case is ``(fn, inputs)``: ``fn(lib, *tensors)`` is written once and run with ``lib`` = minigrad
*and* ``lib`` = torch — the same code, since minigrad speaks PyTorch's API — on float64 copies of
``inputs`` (NumPy arrays, every one of them requiring grad).  Integer index tensors are made inside
``fn`` with ``lib.tensor``.
"""
import math

import numpy as np


def u(shape, low=-2.0, high=2.0, seed=0):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def pos(shape, seed=0):
    return u(shape, 0.3, 2.0, seed)


X = u((3, 4))
WITH_ZEROS = np.array([[2.0, 0.0, 3.0, 0.0, 5.0], [1.5, -2.0, 0.0, 4.0, 1.0], [1.0, 2.0, 3.0, 0.5, -1.0]])
TIES = np.array([[1.0, 3.0, 3.0, 2.0], [0.5, 0.5, 0.5, 0.5], [4.0, -1.0, 4.0, -1.0]])

CASES = {
    # elementwise: trigonometry, exponentials, powers, rounding
    "sin": (lambda m, x: m.sin(x), [X]),
    "cos": (lambda m, x: x.cos(), [X]),
    "tan": (lambda m, x: m.tan(x), [u((3, 4), -1.2, 1.2)]),
    "asin": (lambda m, x: m.asin(x), [u((3, 4), -0.9, 0.9)]),
    "acos": (lambda m, x: x.acos(), [u((3, 4), -0.9, 0.9)]),
    "atan": (lambda m, x: m.atan(x), [X]),
    "arcsin_alias": (lambda m, x: m.arcsin(x) + x.arctan(), [u((2, 3), -0.9, 0.9)]),
    "sinh": (lambda m, x: m.sinh(x), [X]),
    "cosh": (lambda m, x: x.cosh(), [X]),
    "atan2": (lambda m, y, x: m.atan2(y, x), [u((3, 4)), u((3, 4), seed=1)]),
    "atan2_broadcast": (lambda m, y, x: y.atan2(x), [u((3, 1)), u((4,), seed=1)]),
    "exp2": (lambda m, x: m.exp2(x), [X]),
    "expm1": (lambda m, x: m.expm1(x), [X]),
    "log1p": (lambda m, x: m.log1p(x), [u((3, 4), -0.7, 2.0)]),
    "log2": (lambda m, x: m.log2(x), [pos((3, 4))]),
    "log10": (lambda m, x: x.log10(), [pos((3, 4))]),
    "erf": (lambda m, x: m.erf(x), [X]),
    "reciprocal": (lambda m, x: m.reciprocal(x), [pos((3, 4))]),
    "rsqrt": (lambda m, x: m.rsqrt(x), [pos((3, 4))]),
    "square": (lambda m, x: m.square(x), [X]),
    "sign": (lambda m, x: m.sign(x) * x, [X]),
    "floor_ceil_round_trunc": (lambda m, x: m.floor(x) + x.ceil() + m.round(x) + x.trunc() + x, [u((3, 4), -3, 3)]),
    "round_decimals": (lambda m, x: m.round(x, decimals=1) + x, [u((3, 4), -3, 3)]),
    "frac": (lambda m, x: m.frac(x), [u((3, 4), -3, 3)]),
    "sigmoid": (lambda m, x: m.sigmoid(x), [X]),
    "lerp_number": (lambda m, a, b: m.lerp(a, b, 0.3), [X, u((3, 4), seed=1)]),
    "lerp_tensor": (lambda m, a, b, w: a.lerp(b, w), [X, u((3, 4), seed=1), u((4,), 0, 1, seed=2)]),
    "addcmul": (lambda m, a, b, c: m.addcmul(a, b, c, value=0.5), [X, u((3, 4), seed=1), u((1, 4), seed=2)]),
    "addcdiv": (lambda m, a, b, c: a.addcdiv(b, c, value=2), [X, u((3, 4), seed=1), pos((3, 4), seed=2)]),
    "nan_to_num": (lambda m, x: m.nan_to_num(m.log(x), nan=0.5, posinf=9.0, neginf=-9.0),
                   [np.array([[-1.0, 0.0, 2.0], [1.0, 3.0, -4.0]])]),
    # reductions and scans
    "max_all": (lambda m, x: m.max(x), [TIES]),
    "max_dim_ties": (lambda m, x: m.max(x, 1).values, [TIES]),
    "min_dim_keepdim": (lambda m, x: m.min(x, dim=0, keepdim=True)[0], [TIES]),
    "max_method_dim_ties": (lambda m, x: x.max(-1, keepdim=True).values, [TIES]),
    "max_elementwise": (lambda m, a, b: m.max(a, b) + m.min(a, b), [X, u((3, 4), seed=1)]),
    "amax_amin": (lambda m, x: m.amax(x, (0, 1)) + m.amin(x, 1).sum(), [TIES]),
    "prod_all": (lambda m, x: m.prod(x), [u((2, 3), 0.5, 1.5)]),
    "prod_dim_zeros": (lambda m, x: m.prod(x, 1), [WITH_ZEROS]),
    "prod_keepdim": (lambda m, x: x.prod(0, keepdim=True), [WITH_ZEROS]),
    "cumsum": (lambda m, x: m.cumsum(x, 1), [X]),
    "cumsum_neg_dim": (lambda m, x: x.cumsum(-2), [X]),
    "cumprod": (lambda m, x: m.cumprod(x, 1), [u((3, 4), 0.5, 1.5)]),
    "cumprod_zeros": (lambda m, x: m.cumprod(x, 1), [WITH_ZEROS]),
    "cumprod_zeros_dim0": (lambda m, x: x.cumprod(0), [WITH_ZEROS.T.copy()]),
    "logsumexp": (lambda m, x: m.logsumexp(x, 1), [X]),
    "logsumexp_dims_keepdim": (lambda m, x: x.logsumexp((0, 1), keepdim=True), [X]),
    "logsumexp_large": (lambda m, x: m.logsumexp(x * 1000, 0), [X]),
    "std": (lambda m, x: m.std(x, 1), [X]),
    "std_unbiased_false": (lambda m, x: m.std(x, False), [X]),
    "var_correction": (lambda m, x: m.var(x, 0, correction=0, keepdim=True), [X]),
    "var_legacy_positional": (lambda m, x: m.var(x, 1, True, True), [X]),
    "var_mean_std_mean": (lambda m, x: m.var_mean(x, 1)[0] * m.var_mean(x, 1)[1] + m.std_mean(x, 0, keepdim=True,
                                                                                             correction=0)[0].sum(),
                          [X]),
    "norm_fro": (lambda m, x: m.norm(x), [X]),
    "norm_p1_dim": (lambda m, x: m.norm(x, p=1, dim=1), [X]),
    "norm_inf": (lambda m, x: x.norm(p=math.inf, dim=0, keepdim=True), [X]),
    "norm_inf_ties": (lambda m, x: m.norm(x, p=math.inf), [np.array([1.0, -3.0, 3.0, 2.0])]),
    "norm_minus_inf": (lambda m, x: m.norm(x, p=-math.inf, dim=1), [X]),
    "norm_p3": (lambda m, x: m.norm(x, p=3, dim=(0, 1)), [X]),
    "norm_p_half": (lambda m, x: m.norm(x, p=0.5, dim=1), [pos((3, 4))]),
    "norm_at_zero": (lambda m, x: m.norm(x * 0, dim=1) + m.norm(x * 0, p=1, dim=1) + m.norm(x * 0, p=3, dim=1), [X]),
    "norm_p0": (lambda m, x: m.norm(x, p=0) + x.sum(), [WITH_ZEROS]),
    # triangles, diagonals
    "tril": (lambda m, x: m.tril(x), [X]),
    "triu_offset": (lambda m, x: m.triu(x, 1) + x.tril(-1), [X]),
    "tril_batched": (lambda m, x: x.tril(), [u((2, 3, 3))]),
    "diagonal": (lambda m, x: m.diagonal(x), [X]),
    "diagonal_offset_dims": (lambda m, x: x.diagonal(1, 0, 2), [u((3, 2, 4))]),
    "diagonal_negative_offset": (lambda m, x: m.diagonal(x, -1), [X]),
    "diag_of_vector": (lambda m, x: m.diag(x, 1), [u((3,))]),
    "diag_of_matrix": (lambda m, x: m.diag(x, -1), [X]),
    "trace": (lambda m, x: m.trace(x), [X]),
    # pieces, reordering, repeating
    "split_sizes": (lambda m, x: m.split(x, [1, 3], dim=1)[1], [X]),
    "split_size": (lambda m, x: x.split(2)[1], [X]),
    "chunk": (lambda m, x: m.chunk(x, 3, 1)[1] * m.chunk(x, 3, 1)[0], [X]),
    "unbind": (lambda m, x: m.unbind(x, 1)[2] - x.unbind()[0][:3], [X]),
    "stack_of_unbind": (lambda m, x: m.stack(m.unbind(x, 1), 0), [X]),
    "hstack_vstack": (lambda m, a, b: m.hstack([a, b]).sum() + m.vstack([a, b]), [u((2, 3)), u((2, 3), seed=1)]),
    "roll": (lambda m, x: m.roll(x, 1, 1), [X]),
    "roll_flat": (lambda m, x: x.roll(5), [X]),
    "roll_dims": (lambda m, x: m.roll(x, (1, -2), (0, 1)), [X]),
    "flip": (lambda m, x: m.flip(x, [0, 1]), [X]),
    "flip_method": (lambda m, x: x.flip(-1), [X]),
    "repeat": (lambda m, x: x.repeat(2, 1, 3), [u((2, 3))]),
    "tile": (lambda m, x: m.tile(x, (2,)), [u((2, 3))]),
    "repeat_interleave": (lambda m, x: m.repeat_interleave(x, 2, dim=1), [u((2, 3))]),
    "repeat_interleave_flat": (lambda m, x: x.repeat_interleave(3), [u((2, 2))]),
    "repeat_interleave_counts": (lambda m, x: m.repeat_interleave(x, m.tensor([2, 0, 1]), dim=0), [u((3, 2))]),
    "broadcast_to": (lambda m, x: m.broadcast_to(x, (2, 3, 4)), [u((3, 1))]),
    "broadcast_tensors": (lambda m, a, b: m.broadcast_tensors(a, b)[0] * 2 + m.broadcast_tensors(a, b)[1],
                          [u((3, 1)), u((4,), seed=1)]),
    # gather, scatter, index
    "gather": (lambda m, x: m.gather(x, 1, m.tensor([[0, 0], [3, 1], [2, 2]])), [X]),
    "gather_small_index": (lambda m, x: x.gather(0, m.tensor([[2, 0, 1]])), [X]),
    "scatter_src": (lambda m, x, s: m.scatter(x, 1, m.tensor([[0, 2], [3, 1]]), s), [X, u((2, 2), seed=1)]),
    "scatter_value": (lambda m, x: x.scatter(0, m.tensor([[2, 0, 1, 1]]), 7.0), [X]),
    "scatter_add": (lambda m, x, s: m.scatter_add(x, 1, m.tensor([[0, 0], [3, 3], [1, 2]]), s), [X, u((3, 2), seed=1)]),
    "index_select": (lambda m, x: m.index_select(x, 1, m.tensor([3, 0, 3])), [X]),
    "index_select_0d_index": (lambda m, x: x.index_select(0, m.tensor(2)), [X]),
    "masked_select": (lambda m, x: m.masked_select(x, m.tensor([True, False, True, True])), [X]),
    "index_add": (lambda m, x, s: x.index_add(0, m.tensor([2, 0, 2]), s, alpha=0.5), [X, u((3, 4), seed=1)]),
    "index_fill": (lambda m, x: x.index_fill(1, m.tensor([0, 2]), -1.5), [X]),
    "index_copy": (lambda m, x, s: x.index_copy(0, m.tensor([2, 0]), s), [X, u((2, 4), seed=1)]),
    # sorting
    "sort": (lambda m, x: m.sort(x, 1).values, [X]),
    "sort_descending_stable_ties": (lambda m, x: m.sort(x, dim=1, descending=True, stable=True).values, [TIES]),
    "sort_dim0": (lambda m, x: x.sort(0).values, [X]),
    "topk": (lambda m, x: m.topk(x, 2, dim=1).values, [X]),
    "topk_smallest_dim0": (lambda m, x: x.topk(2, 0, largest=False).values, [X]),
    # products
    "outer": (lambda m, a, b: m.outer(a, b), [u((3,)), u((4,), seed=1)]),
    "mm": (lambda m, a, b: m.mm(a, b), [u((2, 3)), u((3, 4), seed=1)]),
    "bmm": (lambda m, a, b: a.bmm(b), [u((2, 2, 3)), u((2, 3, 4), seed=1)]),
    "mv": (lambda m, a, b: m.mv(a, b), [u((2, 3)), u((3,), seed=1)]),
    "addmm": (lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2), [u((2, 4)), u((2, 3), seed=1), u((3, 4), seed=2)]),
    "einsum_matmul": (lambda m, a, b: m.einsum("ij,jk->ik", a, b), [u((2, 3)), u((3, 4), seed=1)]),
    "einsum_batched_list": (lambda m, a, b: m.einsum("bij,bkj->bik", [a, b]), [u((2, 2, 3)), u((2, 4, 3), seed=1)]),
    "einsum_trace": (lambda m, a: m.einsum("ii", a), [u((3, 3))]),
    "einsum_diagonal": (lambda m, a: m.einsum("ii->i", a), [u((3, 3))]),
    "einsum_sum_one_operand": (lambda m, a, b: m.einsum("ij,j->i", a, b), [u((2, 3)), u((3,), seed=1)]),
    "einsum_summed_alone": (lambda m, a, b: m.einsum("ij,k->ik", a, b), [u((2, 3)), u((4,), seed=1)]),
    "einsum_ellipsis": (lambda m, a, b: m.einsum("...ij,...jk", a, b), [u((2, 2, 3)), u((3, 4), seed=1)]),
    "einsum_broadcast_size1": (lambda m, a, b: m.einsum("ij,ij->ij", a, b), [u((1, 3)), u((2, 3), seed=1)]),
    "einsum_three": (lambda m, a, b, c: m.einsum("i,ij,j->", a, b, c), [u((2,)), u((2, 3), seed=1), u((3,), seed=2)]),
    "einsum_outer_implicit": (lambda m, a, b: m.einsum("i,j", a, b), [u((2,)), u((3,), seed=1)]),
}
