"""minigrad against PyTorch (the oracle): forward values and gradients in float64, to 1e-6 relative.

PyTorch is only a test dependency here (``pip install torch``); the module is skipped without it.
Each case gives the same computation twice — once with minigrad, once with torch — on the same
float64 inputs.  The outputs must agree, and so must the gradients of sum(w * output) for a
fixed random w.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RTOL, ATOL = 1e-6, 1e-10


def _rng(seed=0):
    return np.random.default_rng(seed)


def as_numpy(value):
    if isinstance(value, mg.Tensor):
        return value.numpy()
    return value.detach().numpy()


def assert_agree(ours, theirs, what):
    ours, theirs = as_numpy(ours), as_numpy(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, err_msg=what)


def compare(mg_fn, torch_fn, arrays, seed=0):
    """Run both functions on float64 copies of ``arrays``; compare outputs and gradients."""
    ours_in = [mg.tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours, theirs = mg_fn(*ours_in), torch_fn(*theirs_in)
    assert_agree(ours, theirs, "forward")
    w = _rng(seed + 99).standard_normal(tuple(theirs.shape))
    (ours * mg.tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    for i, (a, b) in enumerate(zip(ours_in, theirs_in)):
        expected = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
        got = np.zeros(a.shape) if a.grad is None else a.grad.numpy()
        assert_agree(mg.tensor(got), torch.tensor(expected), f"gradient of input {i}")


def u(shape, low=-2.0, high=2.0, seed=0):
    return _rng(seed).uniform(low, high, size=shape)


def pos(shape, seed=0):
    return u(shape, 0.3, 2.0, seed)


def T(a):
    """A constant torch tensor from a NumPy array."""
    return torch.as_tensor(a)


# ---------------------------------------------------------------------- the cases
MASK = _rng(7).random((3, 4)) > 0.5
ROW_MASK = _rng(8).random((1, 4)) > 0.5
INT_INDEX = np.array([2, 0, 2, 2])
BOOL_INDEX = np.array([True, False, True])
TARGET = np.array([1, 0, 3])
TARGET_ND = np.array([[0, 2], [1, 1], [2, 0]])
TARGET_IGNORE = np.array([1, -100, 3])
EMB_INDEX = np.array([[0, 2, 2], [3, 0, 1]])
LABELS = np.where(_rng(9).random((3, 4)) > 0.5, 1.0, -1.0)
HINGE_SCORES = np.where(np.abs(1 - LABELS * u((3, 4), seed=3)) < 0.05, 0.3, u((3, 4), seed=3))

CASES = {
    # arithmetic, broadcasting both ways
    "add": (lambda a, b: a + b, lambda a, b: a + b, [u((3, 1, 4)), u((2, 4), seed=1)]),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, [u((2, 4)), u((3, 1, 1), seed=1)]),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, [u((3, 1)), u((1, 4), seed=1)]),
    "div": (lambda a, b: a / b, lambda a, b: a / b, [u((3, 4)), pos((4,), seed=1)]),
    "pow": (lambda a, b: a ** b, lambda a, b: a ** b, [pos((3, 4)), u((3, 1), seed=1)]),
    "scalar_left": (lambda a: 2.0 - 3 * a / 1.5 + 2 ** a + 1 / a, lambda a: 2.0 - 3 * a / 1.5 + 2 ** a + 1 / a,
                    [pos((3, 2))]),
    "scalar_right": (lambda a: (a + 1) * 2 - 0.5 + a ** 2 + a ** -0.5 + a / 4,
                     lambda a: (a + 1) * 2 - 0.5 + a ** 2 + a ** -0.5 + a / 4, [pos((3, 2))]),
    "neg": (lambda a: -a, lambda a: -a, [u((2, 3))]),
    "exp": (lambda a: a.exp(), torch.exp, [u((2, 3))]),
    "log": (lambda a: a.log(), torch.log, [pos((2, 3))]),
    "sqrt": (lambda a: a.sqrt(), torch.sqrt, [pos((2, 3))]),
    "abs": (lambda a: a.abs(), torch.abs, [u((2, 3)) + 0.01]),
    "clamp": (lambda a: a.clamp(-0.5, 0.7), lambda a: a.clamp(-0.5, 0.7), [u((4, 5))]),
    "clamp_min": (lambda a: a.clamp(min=0.1), lambda a: a.clamp(min=0.1), [u((4, 5))]),
    "maximum": (mg.maximum, torch.maximum, [u((3, 4)), u((4,), seed=1)]),
    "minimum": (mg.minimum, torch.minimum, [u((3, 1)), u((3, 4), seed=1)]),
    "where": (lambda a, b: mg.where(mg.tensor(MASK), a, b), lambda a, b: torch.where(T(MASK), a, b),
              [u((3, 4)), u((1, 4), seed=1)]),
    "masked_fill": (lambda a: a.masked_fill(mg.tensor(ROW_MASK), -2.0),
                    lambda a: a.masked_fill(T(ROW_MASK), -2.0), [u((3, 4))]),
    # reductions
    "sum_all": (lambda a: a.sum(), torch.sum, [u((3, 4))]),
    "sum_dim": (lambda a: a.sum(1), lambda a: a.sum(1), [u((3, 4, 2))]),
    "sum_tuple_keepdim": (lambda a: a.sum((0, 2), keepdim=True), lambda a: a.sum((0, 2), keepdim=True),
                          [u((3, 4, 2))]),
    "mean_neg_dim": (lambda a: a.mean(-1), lambda a: a.mean(-1), [u((3, 4))]),
    "mean_tuple": (lambda a: a.mean((0, 1)), lambda a: a.mean((0, 1)), [u((3, 4, 2))]),
    "max_all": (lambda a: a.max(), torch.max, [u((3, 4))]),
    "min_all": (lambda a: a.min(), torch.min, [u((3, 4))]),
    "max_dim_values": (lambda a: a.max(1).values, lambda a: a.max(1).values, [u((3, 4))]),
    "max_dim_keepdim": (lambda a: a.max(0, keepdim=True)[0], lambda a: a.max(0, keepdim=True)[0], [u((3, 4))]),
    "min_dim_values": (lambda a: a.min(-1).values, lambda a: a.min(-1).values, [u((3, 4))]),
    "amax_tuple": (lambda a: a.amax((0, 2)), lambda a: a.amax((0, 2)), [u((3, 4, 2))]),
    "max_tuple": (lambda a: a.max((0, 2)), lambda a: a.amax((0, 2)), [u((3, 4, 2))]),
    "var_default_unbiased": (lambda a: a.var(), torch.var, [u((3, 4))]),
    "var_dim": (lambda a: a.var(1), lambda a: a.var(1), [u((3, 4))]),
    "var_tuple_keepdim_biased": (lambda a: a.var((0, 1), unbiased=False, keepdim=True),
                                 lambda a: a.var((0, 1), unbiased=False, keepdim=True), [u((3, 4, 2))]),
    "std": (lambda a: a.std(0), lambda a: a.std(0), [u((3, 4))]),
    # matrix products
    "matmul_2d": (lambda a, b: a @ b, lambda a, b: a @ b, [u((3, 4)), u((4, 2), seed=1)]),
    "matmul_1d_1d": (lambda a, b: a @ b, lambda a, b: a @ b, [u((4,)), u((4,), seed=1)]),
    "matmul_1d_2d": (lambda a, b: a @ b, lambda a, b: a @ b, [u((4,)), u((4, 3), seed=1)]),
    "matmul_2d_1d": (lambda a, b: a @ b, lambda a, b: a @ b, [u((3, 4)), u((4,), seed=1)]),
    "matmul_batched": (mg.matmul, torch.matmul, [u((2, 3, 4)), u((2, 4, 5), seed=1)]),
    "matmul_broadcast": (mg.matmul, torch.matmul, [u((2, 1, 3, 4)), u((3, 4, 2), seed=1)]),
    "matmul_batched_1d": (mg.matmul, torch.matmul, [u((2, 3, 4)), u((4,), seed=1)]),
    "matmul_1d_batched": (mg.matmul, torch.matmul, [u((3,)), u((2, 3, 4), seed=1)]),
    "dot": (mg.dot, torch.dot, [u((5,)), u((5,), seed=1)]),
    "cross": (mg.cross, lambda a, b: torch.linalg.cross(a, b), [u((2, 3)), u((2, 3), seed=1)]),
    "cross_broadcast_dim0": (lambda a, b: mg.cross(a, b, dim=0), lambda a, b: torch.linalg.cross(a, b, dim=0),
                             [u((3, 2)), u((3, 1), seed=1)]),
    "inv": (mg.linalg.inv, torch.linalg.inv, [u((3, 3)) + 3 * np.eye(3)]),
    "inv_batched": (mg.linalg.inv, torch.linalg.inv, [u((2, 3, 3)) + 3 * np.eye(3)]),
    # shape ops
    "reshape": (lambda a: a.reshape(4, -1), lambda a: a.reshape(4, -1), [u((2, 3, 2))]),
    "view": (lambda a: a.view(3, 4), lambda a: a.view(3, 4), [u((2, 6))]),
    "transpose": (lambda a: a.transpose(0, 2), lambda a: a.transpose(0, 2), [u((2, 3, 4))]),
    "permute": (lambda a: a.permute(2, 0, 1), lambda a: a.permute(2, 0, 1), [u((2, 3, 4))]),
    "T": (lambda a: a.T, lambda a: a.T, [u((2, 3))]),
    "mT": (lambda a: a.mT, lambda a: a.mT, [u((2, 3, 4))]),
    "squeeze": (lambda a: a.squeeze(), lambda a: a.squeeze(), [u((1, 3, 1, 2))]),
    "squeeze_dim": (lambda a: a.squeeze(2), lambda a: a.squeeze(2), [u((1, 3, 1, 2))]),
    "unsqueeze": (lambda a: a.unsqueeze(-1), lambda a: a.unsqueeze(-1), [u((3, 2))]),
    "expand": (lambda a: a.expand(2, 3, 4), lambda a: a.expand(2, 3, 4), [u((3, 1))]),
    "expand_minus_one": (lambda a: a.expand(5, -1, -1), lambda a: a.expand(5, -1, -1), [u((3, 1))]),
    "flatten": (lambda a: a.flatten(), lambda a: a.flatten(), [u((2, 3, 4))]),
    "flatten_range": (lambda a: a.flatten(1, 2), lambda a: a.flatten(1, 2), [u((2, 3, 4, 2))]),
    # indexing
    "index_int": (lambda a: a[1], lambda a: a[1], [u((3, 4))]),
    "index_slices": (lambda a: a[1:, ::2], lambda a: a[1:, ::2], [u((3, 4))]),
    "index_none_ellipsis": (lambda a: a[None, ..., 1], lambda a: a[None, ..., 1], [u((3, 4, 2))]),
    "index_int_array_repeats": (lambda a: a[INT_INDEX], lambda a: a[T(INT_INDEX)], [u((3, 4))]),
    "index_two_arrays": (lambda a: a[INT_INDEX, np.array([0, 1, 1, 3])],
                         lambda a: a[T(INT_INDEX), T(np.array([0, 1, 1, 3]))], [u((3, 4))]),
    "index_slice_then_array": (lambda a: a[:, INT_INDEX], lambda a: a[:, T(INT_INDEX)], [u((3, 4))]),
    "index_bool": (lambda a: a[BOOL_INDEX], lambda a: a[T(BOOL_INDEX)], [u((3, 4))]),
    "index_bool_2d": (lambda a: a[mg.tensor(MASK)], lambda a: a[T(MASK)], [u((3, 4))]),
    # joining
    "cat": (lambda a, b: mg.cat([a, b, a], 1), lambda a, b: torch.cat([a, b, a], 1), [u((2, 3)), u((2, 1), seed=1)]),
    "cat_neg_dim": (lambda a, b: mg.cat([a, b], -1), lambda a, b: torch.cat([a, b], -1),
                    [u((2, 2, 3)), u((2, 2, 2), seed=1)]),
    "stack": (lambda a, b: mg.stack([a, b], 1), lambda a, b: torch.stack([a, b], 1), [u((2, 3)), u((2, 3), seed=1)]),
    "stack_last": (lambda a, b: mg.stack([a, b], -1), lambda a, b: torch.stack([a, b], -1),
                   [u((2, 3)), u((2, 3), seed=1)]),
    # activations
    "relu": (F.relu, TF.relu, [u((3, 4)) + 0.01]),
    "sigmoid": (F.sigmoid, torch.sigmoid, [u((3, 4), -8, 8)]),
    "tanh": (F.tanh, torch.tanh, [u((3, 4))]),
    "gelu": (F.gelu, TF.gelu, [u((3, 4), -4, 4)]),
    "gelu_tanh": (lambda a: F.gelu(a, approximate="tanh"), lambda a: TF.gelu(a, approximate="tanh"),
                  [u((3, 4), -4, 4)]),
    "softmax_last": (lambda a: F.softmax(a, -1), lambda a: TF.softmax(a, -1), [u((3, 4), -4, 4)]),
    "softmax_dim0": (lambda a: F.softmax(a, 0), lambda a: TF.softmax(a, 0), [u((3, 4), -4, 4)]),
    "softmax_middle": (lambda a: F.softmax(a, 1), lambda a: TF.softmax(a, 1), [u((2, 3, 4), -4, 4)]),
    "log_softmax_last": (lambda a: F.log_softmax(a, -1), lambda a: TF.log_softmax(a, -1), [u((3, 4), -4, 4)]),
    "log_softmax_dim0": (lambda a: F.log_softmax(a, 0), lambda a: TF.log_softmax(a, 0), [u((3, 4), -4, 4)]),
    "log_softmax_middle": (lambda a: a.log_softmax(1), lambda a: a.log_softmax(1), [u((2, 3, 4), -4, 4)]),
    # layers
    "layer_norm": (lambda x: F.layer_norm(x, (4,)), lambda x: TF.layer_norm(x, (4,)), [u((3, 4))]),
    "layer_norm_affine": (lambda x, w, b: F.layer_norm(x, (4,), w, b), lambda x, w, b: TF.layer_norm(x, (4,), w, b),
                          [u((2, 3, 4)), u((4,), seed=1), u((4,), seed=2)]),
    "layer_norm_2d_shape": (lambda x, w, b: F.layer_norm(x, (3, 4), w, b, eps=1e-3),
                            lambda x, w, b: TF.layer_norm(x, (3, 4), w, b, eps=1e-3),
                            [u((2, 3, 4)), u((3, 4), seed=1), u((3, 4), seed=2)]),
    "embedding": (lambda w: F.embedding(mg.tensor(EMB_INDEX), w), lambda w: TF.embedding(T(EMB_INDEX), w),
                  [u((4, 3))]),
    "embedding_padding": (lambda w: F.embedding(mg.tensor(EMB_INDEX), w, padding_idx=0),
                          lambda w: TF.embedding(T(EMB_INDEX), w, padding_idx=0), [u((4, 3))]),
    "linear": (F.linear, TF.linear, [u((2, 3, 4)), u((5, 4), seed=1), u((5,), seed=2)]),
    "linear_no_bias": (F.linear, TF.linear, [u((3, 4)), u((5, 4), seed=1)]),
    # losses
    "mse_mean": (F.mse_loss, TF.mse_loss, [u((3, 4)), u((3, 4), seed=1)]),
    "mse_sum": (lambda a, b: F.mse_loss(a, b, reduction="sum"), lambda a, b: TF.mse_loss(a, b, reduction="sum"),
                [u((3, 4)), u((3, 4), seed=1)]),
    "mse_none": (lambda a, b: F.mse_loss(a, b, reduction="none"), lambda a, b: TF.mse_loss(a, b, reduction="none"),
                 [u((3, 4)), u((3, 4), seed=1)]),
    "bce_logits_mean": (F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits,
                        [u((3, 4), -5, 5), u((3, 4), 0, 1, seed=1)]),
    "bce_logits_sum": (lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="sum"),
                       lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction="sum"),
                       [u((3, 4), -5, 5), u((3, 4), 0, 1, seed=1)]),
    "bce_logits_none": (lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="none"),
                        lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction="none"),
                        [u((3, 4), -5, 5), u((3, 4), 0, 1, seed=1)]),
    # PyTorch has no plain binary hinge loss; its definition is mean(max(0, 1 - y s))
    "hinge_mean": (lambda s: F.hinge_loss(s, mg.tensor(LABELS)),
                   lambda s: torch.clamp(1 - T(LABELS) * s, min=0).mean(), [HINGE_SCORES]),
    "hinge_none": (lambda s: F.hinge_loss(s, mg.tensor(LABELS), reduction="none"),
                   lambda s: torch.clamp(1 - T(LABELS) * s, min=0), [HINGE_SCORES]),
}

for _reduction in ("mean", "sum", "none"):
    for _smoothing in (0.0, 0.15):
        CASES[f"cross_entropy_{_reduction}_smooth{_smoothing}"] = (
            lambda x, r=_reduction, s=_smoothing: F.cross_entropy(x, mg.tensor(TARGET_IGNORE), label_smoothing=s,
                                                                   reduction=r),
            lambda x, r=_reduction, s=_smoothing: TF.cross_entropy(x, T(TARGET_IGNORE), label_smoothing=s,
                                                                   reduction=r),
            [u((3, 5), -3, 3)])
        CASES[f"cross_entropy_nd_{_reduction}_smooth{_smoothing}"] = (
            lambda x, r=_reduction, s=_smoothing: F.cross_entropy(x, mg.tensor(TARGET_ND), label_smoothing=s,
                                                                   reduction=r),
            lambda x, r=_reduction, s=_smoothing: TF.cross_entropy(x, T(TARGET_ND), label_smoothing=s,
                                                                   reduction=r),
            [u((3, 4, 2), -3, 3)])
    for _p in (1, 2):
        CASES[f"multi_margin_p{_p}_{_reduction}"] = (
            lambda x, r=_reduction, p=_p: F.multi_margin_loss(x, mg.tensor(TARGET), p=p, reduction=r),
            lambda x, r=_reduction, p=_p: TF.multi_margin_loss(x, T(TARGET), p=p, reduction=r),
            [u((3, 4), -1, 1, seed=5)])
CASES["cross_entropy_custom_ignore"] = (lambda x: F.cross_entropy(x, mg.tensor(TARGET), ignore_index=0),
                                        lambda x: TF.cross_entropy(x, T(TARGET), ignore_index=0), [u((3, 4))])
CASES["cross_entropy_single"] = (lambda x: F.cross_entropy(x, mg.tensor(2)), lambda x: TF.cross_entropy(x, T(2)),
                                 [u((4,))])
CASES["multi_margin_margin"] = (lambda x: F.multi_margin_loss(x, mg.tensor(TARGET), margin=0.5),
                                lambda x: TF.multi_margin_loss(x, T(TARGET), margin=0.5), [u((3, 4), -1, 1, seed=6)])


@pytest.mark.parametrize("name", sorted(CASES))
def test_agrees_with_torch(name):
    mg_fn, torch_fn, arrays = CASES[name]
    compare(mg_fn, torch_fn, arrays)


# ---------------------------------------------------------------------- hypothesis: broadcasting
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum"])
@settings(max_examples=10, deadline=None)
@given(pair=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3),
       seed=st.integers(0, 2 ** 31 - 1))
def test_broadcasting_binary_agrees_with_torch(op, pair, seed):
    fns = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
           "div": lambda a, b: a / b}
    mg_fn = fns.get(op, mg.maximum)
    torch_fn = fns.get(op, torch.maximum)
    shape_a, shape_b = pair.input_shapes
    compare(mg_fn, torch_fn, [u(shape_a, seed=seed), pos(shape_b, seed=seed + 1)], seed=seed)


# ---------------------------------------------------------------------- semantics
def test_max_with_dim_returns_values_and_indices_like_torch():
    x = u((3, 4, 2))
    ours, theirs = mg.tensor(x).max(1), torch.tensor(x).max(1)
    assert_agree(ours.values, theirs.values, "values")
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    ours_min, theirs_min = mg.tensor(x).min(dim=-1, keepdim=True), torch.tensor(x).min(dim=-1, keepdim=True)
    assert_agree(ours_min[0], theirs_min[0], "values")
    np.testing.assert_array_equal(ours_min[1].numpy(), theirs_min[1].numpy())
    np.testing.assert_array_equal(mg.tensor(x).argmax(2).numpy(), torch.tensor(x).argmax(2).numpy())


def test_var_is_unbiased_by_default_like_torch():
    x = u((5,))
    assert abs(mg.tensor(x).var().item() - torch.tensor(x).var().item()) < 1e-12
    assert abs(mg.tensor(x).var(unbiased=False).item() - torch.tensor(x).var(unbiased=False).item()) < 1e-12


def test_dtype_inference_matches_torch():
    for data in (1.5, [1.0, 2.0], 3, [1, 2], [True], np.zeros(2), np.zeros(2, dtype=np.float32), np.arange(3)):
        assert str(mg.tensor(data).dtype) == str(torch.tensor(data).dtype).replace("torch.", "")


def test_max_tie_gradient_matches_torch():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    compare(lambda a: a.max(), lambda a: a.max(), [x])
    compare(mg.maximum, torch.maximum, [x, x[:, ::-1].copy()])


def test_dropout_scaling_like_torch():
    """Random streams differ, so compare the semantics: survivors scaled by 1/(1-p), others 0,
    and the gradient is the same scaled mask."""
    x = u((40, 50)) + 3.0  # no zeros in x
    ours_in = mg.tensor(x, requires_grad=True)
    theirs_in = torch.tensor(x, requires_grad=True)
    mg.manual_seed(0)
    ours = F.dropout(ours_in, p=0.25)
    torch.manual_seed(0)
    theirs = TF.dropout(theirs_in, p=0.25)
    for out, inp in ((ours.numpy(), x), (theirs.detach().numpy(), x)):
        kept = out != 0
        np.testing.assert_allclose(out[kept], inp[kept] / 0.75)
        assert abs(kept.mean() - 0.75) < 0.03
    keep_mask = ours.numpy() != 0
    compare(lambda a: (mg.manual_seed(0), F.dropout(a, p=0.25))[1],
            lambda a: a * T(keep_mask.astype(np.float64)) / 0.75, [x])
