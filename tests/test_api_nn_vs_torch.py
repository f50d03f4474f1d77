"""The nn / nn.functional names of issue 9 against PyTorch (the oracle), in float64.

Each function case runs the same computation in minigrad and torch on the same inputs and compares
the outputs and the gradients of sum(w * output) for a fixed random w (every input that takes part
requires grad).  Each module is built in both, with the same weights, and compared the same way;
reprs and state-dict keys must read as PyTorch's.  PyTorch is only a test dependency here.
"""
import math
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional
F64 = torch.float64
RTOL, ATOL = 1e-6, 1e-10


def rng(seed=0):
    return np.random.default_rng(seed)


def u(shape, low=-2.0, high=2.0, seed=0):
    return rng(seed).uniform(low, high, size=shape)


def probs(shape, seed=0, dim=-1):
    e = np.exp(u(shape, seed=seed))
    return e / e.sum(axis=dim, keepdims=True)


def M(a):
    return mg.tensor(a)


def T(a):
    return torch.as_tensor(a)


def as_numpy(value):
    return value.numpy() if isinstance(value, mg.Tensor) else value.detach().numpy()


def compare(mg_fn, torch_fn, arrays, seed=0):
    """Same inputs (leaves that require grad) through both functions: outputs and gradients agree."""
    ours_in = [mg.tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = mg_fn(*ours_in), torch_fn(*theirs_in)
    assert ours.shape == tuple(theirs.shape), f"shape {ours.shape} vs torch {tuple(theirs.shape)}"
    assert ours.dtype == mg.float64
    np.testing.assert_allclose(as_numpy(ours), as_numpy(theirs), rtol=RTOL, atol=ATOL, err_msg="forward")
    w = rng(seed + 99).standard_normal(tuple(theirs.shape))
    (ours * mg.tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    for i, (a, b) in enumerate(zip(ours_in, theirs_in)):
        expected = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
        got = np.zeros(a.shape) if a.grad is None else a.grad.numpy()
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL, err_msg=f"gradient of input {i}")


def away_from_kinks(a, kinks, gap=0.05):
    for k in kinks:
        a = np.where(np.abs(a - k) < gap, k + 2 * gap, a)
    return a


X = u((3, 4))
TARGET = np.array([1, 0, 3])
TARGET_IGNORED = np.array([1, -100, 3])
TARGET_3D = np.array([[0, 2, 1], [3, 3, -100]])   # for logits (2, 4, 3)
CLASS_WEIGHT = u((4,), 0.2, 2.0, seed=5)
REDUCTIONS = ["mean", "sum", "none"]

FUNCTION_CASES = {
    # activations (inputs kept away from their kinks, where a gradient is a choice)
    "leaky_relu": (lambda a: F.leaky_relu(a, 0.2), lambda a: TF.leaky_relu(a, 0.2), [away_from_kinks(X, [0])]),
    "leaky_relu_default": (F.leaky_relu, TF.leaky_relu, [away_from_kinks(X, [0])]),
    "elu": (lambda a: F.elu(a, 0.7), lambda a: TF.elu(a, 0.7), [away_from_kinks(X, [0])]),
    "silu": (F.silu, TF.silu, [u((3, 4), -6, 6)]),
    "mish": (F.mish, TF.mish, [u((3, 4), -6, 6)]),
    "softplus": (F.softplus, TF.softplus, [u((3, 4), -6, 6)]),
    "softplus_beta_threshold": (lambda a: F.softplus(a, beta=2.0, threshold=3.0),
                                lambda a: TF.softplus(a, beta=2.0, threshold=3.0),
                                [away_from_kinks(u((3, 4), -4, 4), [1.5])]),
    "hardtanh": (lambda a: F.hardtanh(a, -0.5, 1.2), lambda a: TF.hardtanh(a, -0.5, 1.2),
                 [away_from_kinks(X, [-0.5, 1.2])]),
    "relu6": (F.relu6, TF.relu6, [away_from_kinks(u((3, 4), -3, 9), [0, 6])]),
    # in place on a non-leaf: recorded in the graph, as in PyTorch
    "relu_inplace": (lambda a: F.relu(a * 2, inplace=True), lambda a: TF.relu(a * 2, inplace=True),
                     [away_from_kinks(X, [0])]),
    "leaky_relu_inplace": (lambda a: F.leaky_relu(a + 1, 0.1, inplace=True),
                           lambda a: TF.leaky_relu(a + 1, 0.1, inplace=True), [away_from_kinks(X, [-1])]),
    "elu_inplace": (lambda a: F.elu(a * 1, inplace=True), lambda a: TF.elu(a * 1, inplace=True),
                    [away_from_kinks(X, [0])]),
    "silu_inplace": (lambda a: F.silu(a * 1, inplace=True), lambda a: TF.silu(a * 1, inplace=True), [X]),
    "hardtanh_inplace": (lambda a: F.hardtanh(a * 1, inplace=True), lambda a: TF.hardtanh(a * 1, inplace=True),
                         [away_from_kinks(X, [-1, 1])]),
    # shapes and vectors
    "pad_constant": (lambda a: F.pad(a, (1, 2, 0, 1), value=0.5), lambda a: TF.pad(a, (1, 2, 0, 1), value=0.5),
                     [u((2, 3, 4))]),
    "pad_constant_crop": (lambda a: F.pad(a, (-1, 2, 1, -2)), lambda a: TF.pad(a, (-1, 2, 1, -2)), [u((2, 3, 4))]),
    "pad_reflect_1d": (lambda a: F.pad(a, (2, 3), mode="reflect"), lambda a: TF.pad(a, (2, 3), mode="reflect"),
                       [u((2, 3, 4))]),
    "pad_reflect_2d": (lambda a: F.pad(a, (1, 2, 2, 1), mode="reflect"),
                       lambda a: TF.pad(a, (1, 2, 2, 1), mode="reflect"), [u((1, 2, 3, 4))]),
    "pad_replicate_2d": (lambda a: F.pad(a, (2, 1, 0, 3), mode="replicate"),
                         lambda a: TF.pad(a, (2, 1, 0, 3), mode="replicate"), [u((2, 3, 4))]),
    "pad_replicate_3d": (lambda a: F.pad(a, (1, 0, 0, 1, 1, 1), mode="replicate"),
                         lambda a: TF.pad(a, (1, 0, 0, 1, 1, 1), mode="replicate"), [u((1, 2, 2, 3, 2))]),
    "pad_circular": (lambda a: F.pad(a, (3, 2, 1, 1), mode="circular"),
                     lambda a: TF.pad(a, (3, 2, 1, 1), mode="circular"), [u((2, 3, 4))]),
    "normalize": (F.normalize, TF.normalize, [X]),
    "normalize_p1_dim0": (lambda a: F.normalize(a, p=1, dim=0), lambda a: TF.normalize(a, p=1, dim=0),
                          [away_from_kinks(X, [0])]),
    "normalize_p3_last": (lambda a: F.normalize(a, p=3, dim=-1), lambda a: TF.normalize(a, p=3, dim=-1),
                          [u((2, 3, 4))]),
    "normalize_inf": (lambda a: F.normalize(a, p=math.inf), lambda a: TF.normalize(a, p=math.inf), [X]),
    "normalize_tiny_vector_clamped": (lambda a: F.normalize(a * 1e-14, dim=1), lambda a: TF.normalize(a * 1e-14, dim=1),
                                      [X]),
    "cosine_similarity": (F.cosine_similarity, TF.cosine_similarity, [X, u((3, 4), seed=1)]),
    "cosine_similarity_broadcast": (lambda a, b: F.cosine_similarity(a, b, dim=-1),
                                    lambda a, b: TF.cosine_similarity(a, b, dim=-1), [u((2, 3, 4)), u((3, 4), seed=1)]),
    "cosine_similarity_tiny": (lambda a, b: F.cosine_similarity(a * 1e-9, b, dim=0),
                               lambda a, b: TF.cosine_similarity(a * 1e-9, b, dim=0), [X, u((3, 4), seed=1)]),
    # attention
    "sdpa": (F.scaled_dot_product_attention, TF.scaled_dot_product_attention,
             [u((2, 3, 4)), u((2, 5, 4), seed=1), u((2, 5, 6), seed=2)]),
    "sdpa_scale_unbatched": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, scale=0.3),
                             lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, scale=0.3),
                             [u((3, 4)), u((5, 4), seed=1), u((5, 2), seed=2)]),
    "sdpa_causal": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                    lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, is_causal=True),
                    [u((2, 2, 4, 3)), u((2, 2, 5, 3), seed=1), u((2, 2, 5, 3), seed=2)]),
    "sdpa_bool_mask_with_empty_row": (
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=M(np.array([[1, 0, 1, 1, 0], [0] * 5,
                                                                                       [1] * 5], dtype=bool))),
        lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, attn_mask=T(np.array([[1, 0, 1, 1, 0], [0] * 5,
                                                                                       [1] * 5], dtype=bool))),
        [u((2, 3, 4)), u((2, 5, 4), seed=1), u((2, 5, 6), seed=2)]),
    "sdpa_float_mask_learned": (lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
                                lambda q, k, v, m: TF.scaled_dot_product_attention(q, k, v, attn_mask=m),
                                [u((2, 3, 4)), u((2, 5, 4), seed=1), u((2, 5, 6), seed=2), u((3, 5), seed=3)]),
    "sdpa_float_mask_with_minus_inf": (
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=M(np.where(u((3, 5), seed=4) > 0, -np.inf,
                                                                                     u((3, 5), seed=5)))),
        lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, attn_mask=T(np.where(u((3, 5), seed=4) > 0, -np.inf,
                                                                                      u((3, 5), seed=5)))),
        [u((2, 3, 4)), u((2, 5, 4), seed=1), u((2, 5, 6), seed=2)]),
    "sdpa_gqa": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True),
                 lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, enable_gqa=True),
                 [u((1, 4, 3, 2)), u((1, 2, 5, 2), seed=1), u((1, 2, 5, 3), seed=2)]),
    # losses with options (the reductions are swept below)
    "mse_weight": (lambda a, b, w: F.mse_loss(a, b, weight=w), lambda a, b, w: TF.mse_loss(a, b, weight=w),
                   [X, u((3, 4), seed=1), u((3, 4), 0, 1, seed=2)]),
    "mse_broadcast_target": (lambda a, b: F.mse_loss(a, b), lambda a, b: TF.mse_loss(a, b), [u((3, 1)), u((3,), seed=1)]),
    "l1_weight_sum": (lambda a, b, w: F.l1_loss(a, b, weight=w, reduction="sum"),
                      lambda a, b, w: TF.l1_loss(a, b, weight=w, reduction="sum"), [X, u((3, 4), seed=1), u((3, 4), seed=2)]),
    "huber_weight_mean": (lambda a, b, w: F.huber_loss(a, b, delta=0.6, weight=w),
                          lambda a, b, w: TF.huber_loss(a, b, delta=0.6, weight=w), [X, u((3, 4), seed=1), u((3, 4), seed=2)]),
    "smooth_l1_beta0": (lambda a, b: F.smooth_l1_loss(a, b, beta=0.0), lambda a, b: TF.smooth_l1_loss(a, b, beta=0.0),
                        [X, u((3, 4), seed=1)]),
    "kl_div_batchmean_3d": (lambda a, b: F.kl_div(F.log_softmax(a, -1), b, reduction="batchmean"),
                            lambda a, b: TF.kl_div(TF.log_softmax(a, -1), b, reduction="batchmean"),
                            [u((2, 3, 4)), probs((2, 3, 4), seed=1)]),
    "kl_div_log_target": (lambda a, b: F.kl_div(a, b, reduction="sum", log_target=True),
                          lambda a, b: TF.kl_div(a, b, reduction="sum", log_target=True),
                          [np.log(probs((3, 4))), np.log(probs((3, 4), seed=1))]),
    "kl_div_zero_target_input_grad": (lambda a: F.kl_div(a, M(np.array([[0.0, 0.3, 0.7], [0.5, 0.5, 0.0]])), reduction="sum"),
                                      lambda a: TF.kl_div(a, T(np.array([[0.0, 0.3, 0.7], [0.5, 0.5, 0.0]])), reduction="sum"),
                                      [np.log(probs((2, 3)))]),
    "bce_weight": (lambda p, y: F.binary_cross_entropy(p, y, weight=M(u((4,), 0, 2, seed=3))),
                   lambda p, y: TF.binary_cross_entropy(p, y, weight=T(u((4,), 0, 2, seed=3))),
                   [u((3, 4), 0.05, 0.95), u((3, 4), 0, 1, seed=1)]),
    "bce_logits_weight_pos_weight": (
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, weight=M(u((3, 1), 0, 2, seed=3)),
                                                        pos_weight=M(u((4,), 0.2, 3, seed=4))),
        lambda x, y: TF.binary_cross_entropy_with_logits(x, y, weight=T(u((3, 1), 0, 2, seed=3)),
                                                         pos_weight=T(u((4,), 0.2, 3, seed=4))),
        [u((3, 4), -6, 6), u((3, 4), 0, 1, seed=1)]),
    "bce_logits_pos_weight_sum": (
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="sum", pos_weight=M(u((4,), 0.2, 3, seed=4))),
        lambda x, y: TF.binary_cross_entropy_with_logits(x, y, reduction="sum", pos_weight=T(u((4,), 0.2, 3, seed=4))),
        [u((3, 4), -6, 6), u((3, 4), 0, 1, seed=1)]),
    "cross_entropy_weight": (lambda x: F.cross_entropy(x, M(TARGET_IGNORED), weight=M(CLASS_WEIGHT)),
                             lambda x: TF.cross_entropy(x, T(TARGET_IGNORED), weight=T(CLASS_WEIGHT)), [X]),
    "cross_entropy_weight_smoothing": (
        lambda x: F.cross_entropy(x, M(TARGET_IGNORED), weight=M(CLASS_WEIGHT), label_smoothing=0.2),
        lambda x: TF.cross_entropy(x, T(TARGET_IGNORED), weight=T(CLASS_WEIGHT), label_smoothing=0.2), [X]),
    "cross_entropy_weight_smoothing_3d_none": (
        lambda x: F.cross_entropy(x, M(TARGET_3D), weight=M(CLASS_WEIGHT), label_smoothing=0.1, reduction="none"),
        lambda x: TF.cross_entropy(x, T(TARGET_3D), weight=T(CLASS_WEIGHT), label_smoothing=0.1, reduction="none"),
        [u((2, 4, 3))]),
    "cross_entropy_weight_smoothing_sum": (
        lambda x: F.cross_entropy(x, M(TARGET), weight=M(CLASS_WEIGHT), label_smoothing=0.3, reduction="sum"),
        lambda x: TF.cross_entropy(x, T(TARGET), weight=T(CLASS_WEIGHT), label_smoothing=0.3, reduction="sum"), [X]),
    "cross_entropy_probabilities": (F.cross_entropy, TF.cross_entropy, [X, probs((3, 4), seed=1)]),
    "cross_entropy_probabilities_weight_smoothing": (
        lambda x, t: F.cross_entropy(x, t, weight=M(CLASS_WEIGHT), label_smoothing=0.2),
        lambda x, t: TF.cross_entropy(x, t, weight=T(CLASS_WEIGHT), label_smoothing=0.2), [X, probs((3, 4), seed=1)]),
    "cross_entropy_probabilities_3d_none": (
        lambda x, t: F.cross_entropy(x, t, weight=M(CLASS_WEIGHT), reduction="none"),
        lambda x, t: TF.cross_entropy(x, t, weight=T(CLASS_WEIGHT), reduction="none"),
        [u((2, 4, 3)), probs((2, 4, 3), seed=1, dim=1)]),
    "cross_entropy_probabilities_one_sample": (F.cross_entropy, TF.cross_entropy, [u((4,)), probs((4,), seed=1)]),
    "nll_weight_ignore": (lambda x: F.nll_loss(F.log_softmax(x, 1), M(TARGET_IGNORED), weight=M(CLASS_WEIGHT)),
                          lambda x: TF.nll_loss(TF.log_softmax(x, 1), T(TARGET_IGNORED), weight=T(CLASS_WEIGHT)), [X]),
    "nll_3d_custom_ignore_none": (lambda x: F.nll_loss(x, M(TARGET_3D % 4), ignore_index=3, reduction="none"),
                                  lambda x: TF.nll_loss(x, T(TARGET_3D % 4), ignore_index=3, reduction="none"),
                                  [u((2, 4, 3))]),
    "nll_one_sample": (lambda x: F.nll_loss(x, M(np.array(2))), lambda x: TF.nll_loss(x, T(np.array(2))), [u((4,))]),
}


@pytest.mark.parametrize("name", sorted(FUNCTION_CASES))
def test_function_matches_torch(name):
    compare(*FUNCTION_CASES[name])


LOSS_PAIRS = {   # name -> (minigrad fn, torch fn, inputs); each is run with every reduction
    "mse": (F.mse_loss, TF.mse_loss, [X, u((3, 4), seed=1)]),
    "l1": (F.l1_loss, TF.l1_loss, [away_from_kinks(X - u((3, 4), seed=1), [0]) + u((3, 4), seed=1),
                                   u((3, 4), seed=1)]),
    "smooth_l1": (lambda a, b, **k: F.smooth_l1_loss(a, b, beta=0.7, **k),
                  lambda a, b, **k: TF.smooth_l1_loss(a, b, beta=0.7, **k), [X, u((3, 4), seed=1)]),
    "huber": (lambda a, b, **k: F.huber_loss(a, b, delta=0.7, **k),
              lambda a, b, **k: TF.huber_loss(a, b, delta=0.7, **k), [X, u((3, 4), seed=1)]),
    "kl_div": (lambda a, b, **k: F.kl_div(F.log_softmax(a, 1), b, **k),
               lambda a, b, **k: TF.kl_div(TF.log_softmax(a, 1), b, **k), [X, probs((3, 4), seed=1)]),
    "bce": (F.binary_cross_entropy, TF.binary_cross_entropy, [u((3, 4), 0.05, 0.95), u((3, 4), 0, 1, seed=1)]),
    "bce_logits": (F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits,
                   [u((3, 4), -6, 6), u((3, 4), 0, 1, seed=1)]),
    "cross_entropy_weight": (lambda x, **k: F.cross_entropy(x, M(TARGET_IGNORED), M(CLASS_WEIGHT), **k),
                             lambda x, **k: TF.cross_entropy(x, T(TARGET_IGNORED), T(CLASS_WEIGHT), **k), [X]),
    "cross_entropy_probabilities": (F.cross_entropy, TF.cross_entropy, [X, probs((3, 4), seed=1)]),
    "nll": (lambda x, **k: F.nll_loss(x, M(TARGET), M(CLASS_WEIGHT), **k),
            lambda x, **k: TF.nll_loss(x, T(TARGET), T(CLASS_WEIGHT), **k), [X]),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(LOSS_PAIRS))
def test_loss_reductions_match_torch(name, reduction):
    ours, theirs, arrays = LOSS_PAIRS[name]
    compare(lambda *a: ours(*a, reduction=reduction), lambda *a: theirs(*a, reduction=reduction), arrays)


def test_legacy_size_average_and_reduce_match_torch():
    a, b = u((3, 4)), u((3, 4), seed=1)
    for kwargs in (dict(size_average=False), dict(reduce=False), dict(size_average=True, reduce=True)):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            ours = F.mse_loss(M(a), M(b), **kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = TF.mse_loss(T(a), T(b), **kwargs)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_one_hot_matches_torch():
    index = np.array([[0, 3], [2, 2]])
    for classes in (-1, 6):
        ours, theirs = F.one_hot(M(index), classes), TF.one_hot(T(index), classes)
        assert ours.dtype == mg.int64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert F.one_hot(mg.tensor(np.zeros(0, dtype=np.int64)), 3).shape == (0, 3)


def test_extreme_inputs_agree_with_torch_and_stay_finite():
    """softplus/silu/mish/elu at +-1e4, BCE at probabilities exactly 0 and 1 (PyTorch's log clamp at -100)."""
    big = np.array([-1e4, -50.0, -1e-9, 0.0, 1e-9, 30.0, 1e4])
    for ours, theirs in ((F.softplus, TF.softplus), (F.silu, TF.silu), (F.mish, TF.mish), (F.elu, TF.elu)):
        compare(ours, theirs, [big])
    # with a huge threshold PyTorch's log1p(exp(b x)) overflows to inf at x = 1e4; minigrad's stays exact
    no_threshold = mg.tensor(big, requires_grad=True)
    y = F.softplus(no_threshold, beta=3, threshold=1e5)
    y.sum().backward()
    assert y.numpy()[-1] == 1e4 and y.numpy()[0] == 0 and np.isfinite(no_threshold.grad.numpy()).all()
    assert np.isinf(TF.softplus(T(big), beta=3, threshold=1e5).numpy()[-1])
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 0.5])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.3])
    loss = F.binary_cross_entropy(M(p), M(y), reduction="none")
    np.testing.assert_allclose(loss.numpy(), TF.binary_cross_entropy(T(p), T(y), reduction="none").numpy(), rtol=1e-12)
    assert loss.numpy()[0] == 100 and loss.numpy()[1] == 100 and np.isfinite(loss.numpy()).all()
    ours_p, theirs_p = mg.tensor(p, requires_grad=True), torch.tensor(p, requires_grad=True)
    ours_y, theirs_y = mg.tensor(y, requires_grad=True), torch.tensor(y, requires_grad=True)
    F.binary_cross_entropy(ours_p, ours_y, reduction="sum").backward()
    TF.binary_cross_entropy(theirs_p, theirs_y, reduction="sum").backward()
    np.testing.assert_allclose(ours_p.grad.numpy(), theirs_p.grad.numpy(), rtol=1e-12)   # +-1e12 at the ends
    np.testing.assert_array_equal(ours_y.grad.numpy(), theirs_y.grad.numpy())             # +-inf, unclamped
    logits = np.array([-1e4, -30.0, 0.0, 30.0, 1e4])
    compare(lambda x: F.binary_cross_entropy_with_logits(x, M(np.full(5, 0.3)), pos_weight=M(np.array([2.0]))),
            lambda x: TF.binary_cross_entropy_with_logits(x, T(np.full(5, 0.3)), pos_weight=T(np.array([2.0]))),
            [logits])


def test_kl_div_target_gradient_at_zero_is_nan_as_in_torch():
    target = np.array([0.0, 0.3, 0.7])
    ours_t, theirs_t = mg.tensor(target, requires_grad=True), torch.tensor(target, requires_grad=True)
    log_q = np.log(np.array([0.2, 0.3, 0.5]))
    F.kl_div(M(log_q), ours_t, reduction="sum").backward()
    TF.kl_div(T(log_q), theirs_t, reduction="sum").backward()
    np.testing.assert_allclose(ours_t.grad.numpy(), theirs_t.grad.numpy(), rtol=1e-12)   # NaN at 0 in both
    assert np.isnan(ours_t.grad.numpy()[0])


# ---------------------------------------------------------------------- modules
def copy_weights(torch_module, mg_module):
    mg_module.load_state_dict({name: value.detach().numpy().copy() for name, value in torch_module.state_dict().items()})


def compare_modules(ours, theirs, *arrays, require_grad=(0,)):
    """Run both modules on the same inputs; compare outputs, input gradients and parameter gradients."""
    ours_in = [mg.tensor(a, requires_grad=i in require_grad and a.dtype.kind == "f") for i, a in enumerate(arrays)]
    theirs_in = [torch.tensor(a, requires_grad=i in require_grad and a.dtype.kind == "f") for i, a in enumerate(arrays)]
    out_ours, out_theirs = ours(*ours_in), theirs(*theirs_in)
    np.testing.assert_allclose(as_numpy(out_ours), as_numpy(out_theirs), rtol=RTOL, atol=ATOL)
    w = rng(3).standard_normal(tuple(out_theirs.shape))
    (out_ours * mg.tensor(w)).sum().backward()
    (out_theirs * torch.tensor(w)).sum().backward()
    for a, b in zip(ours_in, theirs_in):
        if b.requires_grad:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=RTOL, atol=ATOL)
    params = dict(ours.named_parameters())
    for name, param in theirs.named_parameters():
        np.testing.assert_allclose(params[name].grad.numpy(), param.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=name)


MODULE_CASES = {   # name -> (minigrad module, torch module, inputs)
    "MSELoss": (lambda: nn.MSELoss(), lambda: torch.nn.MSELoss(), [X, u((3, 4), seed=1)]),
    "L1Loss_sum": (lambda: nn.L1Loss(reduction="sum"), lambda: torch.nn.L1Loss(reduction="sum"),
                   [away_from_kinks(X, [0]), np.zeros((3, 4))]),
    "SmoothL1Loss": (lambda: nn.SmoothL1Loss(beta=0.5), lambda: torch.nn.SmoothL1Loss(beta=0.5), [X, u((3, 4), seed=1)]),
    "HuberLoss": (lambda: nn.HuberLoss(delta=0.5), lambda: torch.nn.HuberLoss(delta=0.5), [X, u((3, 4), seed=1)]),
    "KLDivLoss": (lambda: nn.KLDivLoss(reduction="batchmean", log_target=True),
                  lambda: torch.nn.KLDivLoss(reduction="batchmean", log_target=True),
                  [np.log(probs((3, 4))), np.log(probs((3, 4), seed=1))]),
    "BCELoss": (lambda: nn.BCELoss(weight=M(u((4,), 0, 1, seed=2))), lambda: torch.nn.BCELoss(weight=T(u((4,), 0, 1, seed=2))),
                [u((3, 4), 0.05, 0.95), u((3, 4), 0, 1, seed=1)]),
    "BCEWithLogitsLoss": (lambda: nn.BCEWithLogitsLoss(pos_weight=M(u((4,), 0.5, 2, seed=2))),
                          lambda: torch.nn.BCEWithLogitsLoss(pos_weight=T(u((4,), 0.5, 2, seed=2))),
                          [X, u((3, 4), 0, 1, seed=1)]),
    "NLLLoss": (lambda: nn.NLLLoss(weight=M(CLASS_WEIGHT), ignore_index=0), lambda: torch.nn.NLLLoss(weight=T(CLASS_WEIGHT), ignore_index=0),
                [X, TARGET]),
    "CrossEntropyLoss": (lambda: nn.CrossEntropyLoss(weight=M(CLASS_WEIGHT), label_smoothing=0.1),
                         lambda: torch.nn.CrossEntropyLoss(weight=T(CLASS_WEIGHT), label_smoothing=0.1), [X, TARGET]),
    "CrossEntropyLoss_plain": (lambda: nn.CrossEntropyLoss(), lambda: torch.nn.CrossEntropyLoss(), [u((2, 4, 3)), TARGET_3D]),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.3), lambda: torch.nn.LeakyReLU(0.3), [away_from_kinks(X, [0])]),
    "ELU": (lambda: nn.ELU(0.5), lambda: torch.nn.ELU(0.5), [away_from_kinks(X, [0])]),
    "SiLU": (lambda: nn.SiLU(), lambda: torch.nn.SiLU(), [X]),
    "Mish": (lambda: nn.Mish(), lambda: torch.nn.Mish(), [X]),
    "Softplus": (lambda: nn.Softplus(2.0, 1.0), lambda: torch.nn.Softplus(2.0, 1.0), [away_from_kinks(X, [0.5])]),
    "Hardtanh": (lambda: nn.Hardtanh(-0.3, 0.4), lambda: torch.nn.Hardtanh(-0.3, 0.4), [away_from_kinks(X, [-0.3, 0.4])]),
    "ReLU6": (lambda: nn.ReLU6(), lambda: torch.nn.ReLU6(), [away_from_kinks(u((3, 4), -2, 8), [0, 6])]),
    "Flatten": (lambda: nn.Flatten(), lambda: torch.nn.Flatten(), [u((2, 3, 2, 2))]),
    "Flatten_range": (lambda: nn.Flatten(0, 1), lambda: torch.nn.Flatten(0, 1), [u((2, 3, 2))]),
    "Unflatten": (lambda: nn.Unflatten(1, (2, -1)), lambda: torch.nn.Unflatten(1, (2, -1)), [u((3, 6))]),
    "Softmax_implicit_dim": (lambda: nn.Softmax(), lambda: torch.nn.Softmax(), [u((2, 3, 4))]),
    "LogSoftmax_implicit_dim": (lambda: nn.LogSoftmax(), lambda: torch.nn.LogSoftmax(), [X]),
}


@pytest.mark.parametrize("name", sorted(MODULE_CASES))
def test_module_matches_torch(name):
    make_ours, make_theirs, arrays = MODULE_CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = make_ours(), make_theirs()
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        compare_modules(ours, theirs, *arrays)


def test_loss_module_buffers_follow_the_state_dict_and_to():
    ours = nn.CrossEntropyLoss(weight=mg.ones(3))
    ours.load_state_dict({"weight": np.array([1.0, 2.0, 3.0], dtype=np.float32)})
    np.testing.assert_array_equal(ours.weight.numpy(), [1, 2, 3])
    ours.double()
    assert ours.weight.dtype == mg.float64
    both = nn.BCEWithLogitsLoss(weight=mg.ones(2), pos_weight=mg.ones(2))
    assert list(both.state_dict()) == list(torch.nn.BCEWithLogitsLoss(weight=torch.ones(2),
                                                                      pos_weight=torch.ones(2)).state_dict())


@pytest.mark.parametrize("make", [
    lambda m: m.ReLU(inplace=True), lambda m: m.ReLU(), lambda m: m.LeakyReLU(), lambda m: m.LeakyReLU(0.2, True),
    lambda m: m.ELU(inplace=True), lambda m: m.SiLU(inplace=True), lambda m: m.Mish(inplace=True),
    lambda m: m.Softplus(), lambda m: m.Hardtanh(-2, 2, True), lambda m: m.ReLU6(inplace=True),
    lambda m: m.Dropout(), lambda m: m.Dropout(0.1, True), lambda m: m.Softmax(), lambda m: m.LogSoftmax(1),
    lambda m: m.Flatten(), lambda m: m.Unflatten(1, (2, 5)), lambda m: m.Unflatten(-1, [2, 5]),
    lambda m: m.KLDivLoss(reduction="batchmean"), lambda m: m.HuberLoss(delta=2.0), lambda m: m.NLLLoss(),
    lambda m: m.Sequential(m.Flatten(), m.Linear(4, 3), m.SiLU(), m.Dropout(0.2)),
])
def test_reprs_read_as_pytorch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


def test_containers_reprs_and_state_dict_keys_match_torch():
    def build(m, lib):
        model = m.Module()
        model.blocks = m.ModuleDict({"inp": m.Linear(3, 4), "act": m.ReLU()})
        model.scales = m.ParameterList([m.Parameter(lib.ones(2, 3)), m.Parameter(lib.zeros(4, dtype=lib.float64))])
        model.heads = m.ParameterDict({"query": m.Parameter(lib.ones(3)), "key": m.Parameter(lib.zeros(2, 2))})
        return model

    ours, theirs = build(nn, mg), build(torch.nn, torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours.blocks) == repr(theirs.blocks)
    assert repr(ours.scales) == repr(theirs.scales)
    assert repr(ours.heads) == repr(theirs.heads)
    assert repr(nn.Sequential(nn.ParameterList([nn.Parameter(mg.zeros(2))]))) == \
        repr(torch.nn.Sequential(torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(2))])))
    copy_weights(theirs, ours)   # a torch checkpoint loads into the same structure
    np.testing.assert_array_equal(ours.heads["key"].numpy(), theirs.heads["key"].detach().numpy())


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask and attn_mask is deprecated")
def test_multihead_attention_float_mask_with_key_padding_matches_torch():
    torch.manual_seed(3)
    theirs = torch.nn.MultiheadAttention(8, 2, batch_first=True, dtype=F64)
    ours = nn.MultiheadAttention(8, 2, batch_first=True).double()
    copy_weights(theirs, ours)
    x = u((2, 5, 8))
    bias = np.where(u((5, 5), seed=4) > 1.5, -np.inf, u((5, 5), seed=5))
    padding = np.array([[False, False, False, True, True], [False] * 5])
    ours_x, theirs_x = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_ours, w_ours = ours(ours_x, ours_x, ours_x, attn_mask=M(bias), key_padding_mask=M(padding))
    out_theirs, w_theirs = theirs(theirs_x, theirs_x, theirs_x, attn_mask=T(bias), key_padding_mask=T(padding))
    np.testing.assert_allclose(out_ours.numpy(), out_theirs.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(w_ours.numpy(), w_theirs.detach().numpy(), rtol=1e-9, atol=1e-12)
    (out_ours ** 2).sum().backward()
    (out_theirs ** 2).sum().backward()
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------- init and utils
def test_calculate_gain_and_init_scales_match_torch():
    for nonlinearity in ["linear", "conv2d", "sigmoid", "tanh", "relu", "selu", "leaky_relu"]:
        assert nn.init.calculate_gain(nonlinearity) == torch.nn.init.calculate_gain(nonlinearity)
    assert nn.init.calculate_gain("leaky_relu", 0.3) == torch.nn.init.calculate_gain("leaky_relu", 0.3)
    torch.manual_seed(0)
    mg.manual_seed(0)
    for ours, theirs in [
        (lambda t: nn.init.trunc_normal_(t, 0.5, 1.0, -0.5, 1.5), lambda t: torch.nn.init.trunc_normal_(t, 0.5, 1.0, -0.5, 1.5)),
        (lambda t: nn.init.trunc_normal_(t, std=0.02), lambda t: torch.nn.init.trunc_normal_(t, std=0.02)),
        (lambda t: nn.init.kaiming_normal_(t, a=0.1, mode="fan_out"), lambda t: torch.nn.init.kaiming_normal_(t, a=0.1, mode="fan_out")),
        (lambda t: nn.init.xavier_uniform_(t, gain=2.0), lambda t: torch.nn.init.xavier_uniform_(t, gain=2.0)),
        (nn.init.orthogonal_, torch.nn.init.orthogonal_),
    ]:
        a, b = ours(mg.empty(100, 200, dtype=mg.float64)).numpy(), theirs(torch.empty(100, 200, dtype=F64)).numpy()
        assert a.mean() == pytest.approx(b.mean(), abs=0.04 * b.std())
        assert a.std() == pytest.approx(b.std(), rel=0.03)
    truncated = nn.init.trunc_normal_(mg.empty(100, 200), 0.5, 1.0, -0.5, 1.5).numpy()
    assert truncated.min() >= -0.5 and truncated.max() <= 1.5 and truncated.min() < -0.49 and truncated.max() > 1.49
    np.testing.assert_array_equal(nn.init.eye_(mg.empty(3, 5)).numpy(), torch.nn.init.eye_(torch.empty(3, 5)).numpy())


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    grads = [u((3, 4)), u((5,), seed=1), u((2, 2, 2), seed=2)]
    ours = [nn.Parameter(mg.zeros(*g.shape, dtype=mg.float64)) for g in grads]
    theirs = [torch.nn.Parameter(torch.zeros(g.shape, dtype=F64)) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = mg.tensor(g), torch.tensor(g)
    total_ours = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    total_theirs = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total_ours, mg.Tensor) and total_ours.shape == () and total_ours.dtype == mg.float64
    np.testing.assert_allclose(total_ours.numpy(), total_theirs.numpy(), rtol=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12)


def test_clip_grad_value_and_vector_round_trip_match_torch():
    grads = [u((3, 4)), u((5,), seed=1)]
    ours = [nn.Parameter(mg.tensor(u(g.shape, seed=7))) for g in grads]
    theirs = [torch.nn.Parameter(torch.tensor(u(g.shape, seed=7))) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = mg.tensor(g), torch.tensor(g)
    assert nn.utils.clip_grad_value_(ours, 0.8) is None
    torch.nn.utils.clip_grad_value_(theirs, 0.8)
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
    v_ours, v_theirs = nn.utils.parameters_to_vector(ours), torch.nn.utils.parameters_to_vector(theirs)
    np.testing.assert_array_equal(v_ours.detach().numpy(), v_theirs.detach().numpy())
    new = u((17,), seed=9)
    nn.utils.vector_to_parameters(M(new), ours)
    torch.nn.utils.vector_to_parameters(T(new), theirs)
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
