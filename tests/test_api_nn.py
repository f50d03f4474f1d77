"""The nn / nn.functional names of issue 9 on their own: finite-difference gradchecks (float64,
hypothesis-drawn shapes), in-place semantics, containers, init, utils, the GPU path (``gpu_device``:
"cuda", or the CUDA simulator) and every error message a bad argument gets.
(The comparison with PyTorch is in test_api_nn_vs_torch.py.)
"""
import math
import warnings
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, optim
from minigrad.autograd import gradcheck

CHECK = settings(max_examples=8, deadline=None)
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)
seeds = st.integers(0, 2 ** 31 - 1)
reductions = st.sampled_from(["mean", "sum", "none"])


def uniform(seed, shape, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def leaf(array):
    return mg.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def away_from(array, kinks, gap=0.05):
    for k in kinks:
        array = np.where(np.abs(array - k) < gap, k + 2 * gap, array)
    return array


def probabilities(seed, shape, dim=-1):
    e = np.exp(uniform(seed, shape))
    return e / e.sum(axis=dim, keepdims=True)


def check(fn, *inputs):
    assert gradcheck(fn, inputs) is True


# ---------------------------------------------------------------------- gradchecks
ACTIVATIONS = {
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.3), [0]),
    "elu": (lambda x: F.elu(x, 0.8), [0]),
    "silu": (F.silu, []),
    "mish": (F.mish, []),
    "softplus": (lambda x: F.softplus(x, beta=1.5, threshold=2.0), [2.0 / 1.5]),
    "hardtanh": (lambda x: F.hardtanh(x, -0.7, 0.9), [-0.7, 0.9]),
    "relu_inplace_on_non_leaf": (lambda x: F.relu(x * 1.5, inplace=True), [0]),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@CHECK
@given(shape=shapes, seed=seeds)
def test_activation_gradcheck(name, shape, seed):
    fn, kinks = ACTIVATIONS[name]
    check(fn, leaf(away_from(uniform(seed, shape, -3, 3), kinks)))


@CHECK
@given(shape=shapes, seed=seeds, reduction=reductions, beta=st.sampled_from([0.0, 0.5, 1.0]))
def test_regression_losses_gradcheck(shape, seed, reduction, beta):
    x, t = uniform(seed, shape), uniform(seed + 1, shape)
    x = t + away_from(x - t, [0, beta, -beta])   # no kink of |d| or of the beta switch
    check(lambda a, b: F.l1_loss(a, b, reduction=reduction), leaf(x), leaf(t))
    check(lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=beta), leaf(x), leaf(t))
    check(lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=beta or 0.3), leaf(x), leaf(t))
    weight = mg.tensor(uniform(seed + 2, shape, 0, 1))
    check(lambda a, b: F.mse_loss(a, b, reduction=reduction, weight=weight), leaf(x), leaf(t))


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")
@CHECK
@given(shape=shapes, seed=seeds, reduction=st.sampled_from(["mean", "batchmean", "sum", "none"]))
def test_kl_div_gradcheck(shape, seed, reduction):
    log_q = np.log(probabilities(seed, shape))
    p = probabilities(seed + 1, shape)
    check(lambda a, b: F.kl_div(a, b, reduction=reduction), leaf(log_q), leaf(p))
    check(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=True), leaf(log_q), leaf(np.log(p)))


@CHECK
@given(shape=shapes, seed=seeds, reduction=reductions)
def test_binary_cross_entropies_gradcheck(shape, seed, reduction):
    p, y = uniform(seed, shape, 0.05, 0.95), uniform(seed + 1, shape, 0, 1)
    weight = mg.tensor(uniform(seed + 2, shape[-1:], 0.1, 2))
    check(lambda a, b: F.binary_cross_entropy(a, b, weight=weight, reduction=reduction), leaf(p), leaf(y))
    pos_weight = mg.tensor(uniform(seed + 3, shape[-1:], 0.1, 3))
    check(lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight, reduction=reduction, pos_weight=pos_weight),
          leaf(uniform(seed, shape, -4, 4)), leaf(y))


@CHECK
@given(n=st.integers(1, 3), c=st.integers(2, 4), extra=st.sampled_from([(), (2,)]), seed=seeds,
       reduction=reductions, smoothing=st.sampled_from([0.0, 0.2]))
def test_cross_entropy_and_nll_gradcheck(n, c, extra, seed, reduction, smoothing):
    rng = np.random.default_rng(seed)
    logits = leaf(uniform(seed, (n, c) + extra))
    target = rng.integers(0, c, (n,) + extra)
    target.reshape(-1)[0] = -100   # one ignored position
    target, weight = mg.tensor(target), mg.tensor(uniform(seed + 1, (c,), 0.2, 2))
    check(lambda x: F.cross_entropy(x, target, weight=weight, reduction=reduction, label_smoothing=smoothing), logits)
    check(lambda x: F.nll_loss(x, target, weight=weight, reduction=reduction), logits)
    soft = leaf(probabilities(seed + 2, (n, c) + extra, dim=1))
    check(lambda x, t: F.cross_entropy(x, t, weight=weight, reduction=reduction, label_smoothing=smoothing),
          logits, soft)


@CHECK
@given(seed=seeds, mode=st.sampled_from(["constant", "reflect", "replicate", "circular"]),
       pads=st.lists(st.integers(0, 2), min_size=4, max_size=4))
def test_pad_gradcheck(seed, mode, pads):
    x = leaf(uniform(seed, (2, 3, 3)))
    check(lambda a: F.pad(a, tuple(pads), mode=mode), x)
    if mode == "constant":
        check(lambda a: F.pad(a, (-1, pads[1], pads[2], -2), value=0.3), x)


@CHECK
@given(shape=hnp.array_shapes(min_dims=2, max_dims=3, min_side=2, max_side=3), seed=seeds,
       p=st.sampled_from([1.0, 2.0, 3.0, math.inf]))
def test_normalize_and_cosine_similarity_gradcheck(shape, seed, p):
    x = away_from(uniform(seed, shape), [0])
    check(lambda a: F.normalize(a, p=p, dim=1), leaf(x))
    check(lambda a, b: F.cosine_similarity(a, b, dim=-1), leaf(x), leaf(uniform(seed + 1, shape)))


@CHECK
@given(seed=seeds, length=st.integers(1, 3), source=st.integers(1, 3), mask_kind=st.sampled_from(["none", "bool",
                                                                                                 "float", "causal"]))
def test_scaled_dot_product_attention_gradcheck(seed, length, source, mask_kind):
    q, k, v = (leaf(uniform(seed + i, (2, n, 3))) for i, n in enumerate((length, source, source)))
    rng = np.random.default_rng(seed)
    options = {"bool": dict(attn_mask=mg.tensor(rng.random((length, source)) > 0.3)),
               "float": dict(attn_mask=mg.tensor(uniform(seed + 5, (length, source)))),
               "causal": dict(is_causal=True), "none": dict(scale=0.7)}[mask_kind]
    check(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, **options), q, k, v)


def test_attention_of_a_query_with_no_allowed_key_is_zero_with_zero_gradient():
    q = mg.randn(1, 2, 3, dtype=mg.float64, requires_grad=True)
    kv = mg.randn(1, 4, 3, dtype=mg.float64, requires_grad=True)
    mask = mg.tensor([[True, False, True, False], [False] * 4])
    out, weights = F.attention(q, kv, kv, attn_mask=mask)
    assert np.all(out.numpy()[0, 1] == 0) and np.all(weights.numpy()[0, 1] == 0)
    np.testing.assert_allclose(weights.numpy()[0, 0].sum(), 1.0)
    out.sum().backward()
    assert np.all(q.grad.numpy()[0, 1] == 0) and np.isfinite(kv.grad.numpy()).all()


def test_multihead_attention_dropout_uses_the_same_random_draws_as_before():
    """MHA now calls F.attention: in training, the dropout of the weights still draws from mg's generator."""
    mha = nn.MultiheadAttention(4, 2, dropout=0.5, batch_first=True)
    x = mg.randn(2, 3, 4)
    mg.manual_seed(5)
    first = mha(x, x, x)[1].numpy()
    mg.manual_seed(5)
    np.testing.assert_array_equal(mha(x, x, x)[1].numpy(), first)
    assert (first == 0).any()
    mha.eval()
    np.testing.assert_allclose(mha(x, x, x)[1].numpy().sum(-1), 1.0, rtol=1e-6)


# ---------------------------------------------------------------------- in place
def test_inplace_activations_change_the_same_tensor_and_bump_its_version():
    for fn in (lambda t: F.relu(t, inplace=True), F.relu_, lambda t: F.leaky_relu(t, 0.1, True),
               lambda t: F.elu(t, inplace=True), lambda t: F.silu(t, inplace=True), lambda t: F.mish(t, inplace=True),
               lambda t: F.hardtanh(t, inplace=True), lambda t: F.relu6(t, inplace=True),
               lambda t: F.dropout(t, 0.5, inplace=True)):
        x = mg.tensor([-2.0, -0.5, 0.5, 8.0])
        mg.manual_seed(0)
        expected = fn(x.clone()).numpy()
        alias, version = x, x._version
        mg.manual_seed(0)
        assert fn(x) is x and alias._version == version + 1
        np.testing.assert_array_equal(alias.numpy(), expected)


def test_inplace_relu_module_gives_the_same_gradients_as_out_of_place():
    mg.manual_seed(1)
    plain = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.LeakyReLU(0.1)).double()
    inplace = nn.Sequential(nn.Linear(3, 4), nn.ReLU(inplace=True), nn.Linear(4, 2),
                            nn.LeakyReLU(0.1, inplace=True)).double()
    inplace.load_state_dict(plain.state_dict())
    x = mg.randn(5, 3, dtype=mg.float64)
    (plain(x) ** 2).sum().backward()
    (inplace(x) ** 2).sum().backward()
    for (name, a), (_, b) in zip(plain.named_parameters(), inplace.named_parameters()):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-12, err_msg=name)


def test_inplace_rules_are_enforced():
    w = mg.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"relu_: a leaf tensor that requires grad .* cannot be changed in place"):
        F.relu(w, inplace=True)
    y = w * 1
    z = y * y   # saves y for its backward
    F.leaky_relu(y, inplace=True)
    with pytest.raises(RuntimeError, match="was changed in place afterwards"):
        z.sum().backward()


def test_inplace_dropout_matches_out_of_place_with_the_same_seed():
    x = mg.randn(50)
    mg.manual_seed(3)
    expected = F.dropout(x, 0.3).numpy()
    mg.manual_seed(3)
    same = x.clone()
    assert F.dropout(same, 0.3, inplace=True) is same
    np.testing.assert_array_equal(same.numpy(), expected)
    layer = nn.Dropout(0.3, inplace=True).eval()
    assert layer(x) is x


# ---------------------------------------------------------------------- containers and shapes
def test_module_dict_registers_and_behaves_like_a_dict():
    blocks = nn.ModuleDict({"b": nn.Linear(2, 2), "a": nn.Linear(2, 3)})
    assert list(blocks) == ["b", "a"] and len(blocks) == 2 and "a" in blocks
    blocks["c"] = nn.ReLU()
    blocks.update([("d", nn.Tanh())])
    assert list(blocks.keys()) == ["b", "a", "c", "d"]
    assert isinstance(blocks.pop("c"), nn.ReLU) and "c" not in blocks
    del blocks["d"]
    assert [k for k, _ in blocks.items()] == ["b", "a"] and len(list(blocks.values())) == 2
    assert [name for name, _ in blocks.named_parameters()] == ["b.weight", "b.bias", "a.weight", "a.bias"]
    blocks.clear()
    assert len(blocks) == 0 and list(blocks.parameters()) == []


def test_parameter_list_and_dict_register_parameters_for_the_optimizer():
    scales = nn.ParameterList([mg.ones(2), nn.Parameter(mg.zeros(3))])
    assert isinstance(scales[0], nn.Parameter) and scales[0].requires_grad   # a Tensor became a Parameter
    scales.append(mg.ones(1))
    scales += [mg.ones(4)]
    assert len(scales) == 4 and scales[-1].shape == (4,) and len(scales[1:3]) == 2
    scales[1] = mg.full((3,), 2.0)
    assert [p.shape for p in scales] == [(2,), (3,), (1,), (4,)] and scales[1].numpy().tolist() == [2, 2, 2]
    heads = nn.ParameterDict({"z": mg.ones(2), "a": mg.zeros(1)})
    assert list(heads) == ["a", "z"]   # a plain dict is added sorted, as PyTorch does
    heads.update(OrderedDict([("y", mg.ones(1)), ("b", mg.ones(1))]))
    assert heads.keys() == ["a", "z", "y", "b"] and "y" in heads and heads.get("nope") is None
    assert heads.pop("y").shape == (1,) and len(heads) == 3
    model = nn.Module()
    model.scales, model.heads = scales, heads
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    assert len(optimizer.param_groups[0]["params"]) == 7
    (model.scales[0].sum() + model.heads["z"].sum()).backward()
    optimizer.step()
    np.testing.assert_array_equal(model.scales[0].numpy(), [0, 0])
    assert list(model.state_dict())[:4] == ["scales.0", "scales.1", "scales.2", "scales.3"]   # [1] replaced in place
    heads.clear()
    assert len(heads) == 0


def test_replacing_a_parameter_or_child_keeps_its_place_in_the_state_dict():
    layer = nn.Linear(2, 3)
    layer.weight = nn.Parameter(mg.zeros(3, 2))
    assert list(layer.state_dict()) == ["weight", "bias"]   # as in PyTorch (it used to move to the end)
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    model.add_module("0", nn.Linear(2, 2))
    assert list(model.state_dict()) == ["0.weight", "0.bias"] and isinstance(list(model)[0], nn.Linear)
    blocks = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.Linear(2, 2)})
    blocks["a"] = nn.Linear(2, 2)
    assert list(blocks) == ["a", "b"]


def test_flatten_and_unflatten_round_trip():
    x = mg.randn(2, 3, 4, requires_grad=True)
    flat = nn.Flatten()(x)
    assert flat.shape == (2, 12)
    back = nn.Unflatten(1, (3, -1))(flat)
    np.testing.assert_array_equal(back.numpy(), x.numpy())
    back.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3, 4)))
    assert nn.Unflatten(-1, [2, 2])(x).shape == (2, 3, 2, 2)


def test_loss_modules_take_the_legacy_arguments_with_a_warning():
    with pytest.warns(UserWarning, match="please use reduction='sum' instead"):
        criterion = nn.MSELoss(size_average=False)
    assert criterion.reduction == "sum"
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert nn.CrossEntropyLoss(reduce=False).reduction == "none"
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        nn.Softmax()(mg.randn(2, 3))


# ---------------------------------------------------------------------- init and utils
def test_trunc_normal_is_reproducible_and_inside_its_window():
    mg.manual_seed(4)
    a = nn.init.trunc_normal_(mg.empty(40, 50), mean=1.0, std=2.0, a=0.0, b=1.5).numpy()
    mg.manual_seed(4)
    b = nn.init.trunc_normal_(mg.empty(40, 50), mean=1.0, std=2.0, a=0.0, b=1.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert a.min() >= 0.0 and a.max() <= 1.5
    generator = mg.Generator().manual_seed(1)
    c = nn.init.trunc_normal_(mg.empty(10), generator=generator).numpy()
    d = nn.init.trunc_normal_(mg.empty(10), generator=mg.Generator().manual_seed(1)).numpy()
    np.testing.assert_array_equal(c, d)
    w = nn.init.orthogonal_(mg.empty(3, 2, 2), gain=2.0).numpy().reshape(3, 4)
    np.testing.assert_allclose(w @ w.T, 4 * np.eye(3), atol=1e-5)


def test_clip_grad_norm_returns_a_tensor_and_accepts_a_single_tensor():
    p = nn.Parameter(mg.zeros(2))
    p.grad = mg.tensor([3.0, 4.0])
    total = nn.utils.clip_grad_norm_(p, max_norm=1.0)
    assert isinstance(total, mg.Tensor) and total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    assert nn.utils.clip_grad_norm_([nn.Parameter(mg.zeros(1))], 1.0).item() == 0.0   # no gradients at all


# ---------------------------------------------------------------------- on the GPU device
def on(device, array, requires_grad=False):
    return mg.tensor(array, device=device, requires_grad=requires_grad)


RNG = np.random.default_rng(11)
A = RNG.standard_normal((3, 5))
B = RNG.uniform(0.05, 0.95, (3, 5))
Q = RNG.standard_normal((2, 3, 4))
GPU_CASES = {   # functions of a (3, 5), b (3, 5) in (0, 1), q (2, 3, 4)
    "activations": lambda a, b, q: F.leaky_relu(a, 0.2) + F.elu(a) + F.silu(a) + F.mish(a) + F.softplus(a, 2.0, 3.0)
    + F.hardtanh(a, -0.5, 0.5) + F.relu6(a * 4),
    "regression_losses": lambda a, b, q: F.l1_loss(a, b) + F.smooth_l1_loss(a, b, beta=0.5) + F.huber_loss(a, b) * 2
    + F.mse_loss(a, b, weight=b.detach()),
    "probability_losses": lambda a, b, q: F.kl_div(F.log_softmax(a, 1), F.softmax(b, 1), reduction="batchmean")
    + F.binary_cross_entropy(b, F.sigmoid(a), weight=on(a.device, [1.0, 2, 1, 2, 1]))
    + F.binary_cross_entropy_with_logits(a, b, pos_weight=on(a.device, [1.0, 2, 3, 1, 0.5])),
    "cross_entropy_weight": lambda a, b, q: F.cross_entropy(a, on(a.device, [4, -100, 1]),
                                                            weight=on(a.device, [1.0, 2, 3, 4, 5]), label_smoothing=0.1)
    + F.nll_loss(F.log_softmax(a, 1), on(a.device, [0, 2, 1])),
    "cross_entropy_probabilities": lambda a, b, q: F.cross_entropy(a, F.softmax(b, 1), label_smoothing=0.2),
    "shapes": lambda a, b, q: F.pad(a, (1, 2), mode="reflect").sum() + F.pad(q, (1, 0, 2, 1), mode="replicate").sum()
    + F.pad(a, (-1, 1, 1, 0), value=2.0).mean() + F.normalize(a).sum(0) + F.cosine_similarity(a, b).sum(),
    "attention": lambda a, b, q: F.scaled_dot_product_attention(q, q, q, is_causal=True)
    + F.scaled_dot_product_attention(q, q * 2, q, attn_mask=on(q.device, np.triu(np.ones((3, 3), bool)))),
}


@pytest.mark.parametrize("name", sorted(GPU_CASES))
def test_new_ops_on_the_gpu_device_follow_the_cpu(name, gpu_device):
    fn = GPU_CASES[name]
    results = {}
    for device in ("cpu", gpu_device):
        inputs = [on(device, x.astype(np.float32), requires_grad=True) for x in (A, B, Q)]
        out = fn(*inputs)
        assert out.device == device
        out.sum().backward()
        results[device] = (out.numpy(), [None if t.grad is None else t.grad.numpy() for t in inputs])
    np.testing.assert_allclose(results[gpu_device][0], results["cpu"][0], rtol=2e-5, atol=2e-5)
    for cpu_grad, gpu_grad in zip(results["cpu"][1], results[gpu_device][1]):
        assert (cpu_grad is None) == (gpu_grad is None)
        if cpu_grad is not None:
            np.testing.assert_allclose(gpu_grad, cpu_grad, rtol=1e-4, atol=1e-5)


def test_gradcheck_float64_on_the_gpu_device(gpu_device):
    """Tiny inputs: every element costs two forward passes through the (simulated) kernels."""
    x, y = on(gpu_device, A[:1, :3], requires_grad=True), on(gpu_device, B[:1, :3])
    assert gradcheck(lambda a: F.silu(a) + F.binary_cross_entropy(y, F.sigmoid(a), reduction="none")
                     + F.cross_entropy(a, y) + F.kl_div(F.log_softmax(a, 1), y, reduction="sum"), (x,))
    q = on(gpu_device, Q[:1, :2, :2], requires_grad=True)
    assert gradcheck(lambda t: F.scaled_dot_product_attention(t, t, t, is_causal=True), (q,))


def test_gpu_modules_and_utils(gpu_device):
    model = nn.Sequential(nn.Linear(5, 4), nn.SiLU(), nn.Linear(4, 3)).to(gpu_device)
    criterion = nn.CrossEntropyLoss(weight=mg.tensor([1.0, 2.0, 0.5])).to(gpu_device)
    assert criterion.weight.device == gpu_device
    loss = criterion(model(on(gpu_device, A.astype(np.float32))), on(gpu_device, [0, 2, 1]))
    loss.backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), 1e-3)
    assert total.device == gpu_device and total.item() > 1e-3
    clipped = math.sqrt(sum(float((p.grad.numpy().astype(np.float64) ** 2).sum()) for p in model.parameters()))
    assert clipped == pytest.approx(1e-3, rel=1e-3)
    nn.utils.clip_grad_value_(model.parameters(), 1e-5)
    assert max(float(np.abs(p.grad.numpy()).max()) for p in model.parameters()) <= 1e-5
    assert F.one_hot(on(gpu_device, [1, 0]), 3).device == gpu_device
    with pytest.raises(TypeError, match="found tensors on different devices"):
        nn.utils.parameters_to_vector([nn.Parameter(mg.zeros(1)), nn.Parameter(mg.zeros(1, device=gpu_device))])


# ---------------------------------------------------------------------- errors
X = mg.zeros(2, 3)
BAD_ARGUMENTS = [
    (lambda: F.leaky_relu(mg.tensor([1, 2])), TypeError, r"leaky_relu: expected a floating-point tensor, got dtype int64; "
     r"convert it with \.float\(\)"),
    (lambda: F.hardtanh(X, 1.0, -1.0), ValueError, r"hardtanh: min_val \(1.0\) must not be greater than max_val"),
    (lambda: nn.Hardtanh(1.0, 1.0), ValueError, r"Hardtanh: max_val \(1.0\) must be greater than min_val \(1.0\)"),
    (lambda: F.one_hot(mg.tensor([0.0, 1.0])), RuntimeError, "one_hot is only applicable to index tensor of type LongTensor"),
    (lambda: F.one_hot(mg.tensor([0, -1])), RuntimeError, "one_hot: class values must be non-negative"),
    (lambda: F.one_hot(mg.tensor([0, 3]), 3), RuntimeError, r"smaller than num_classes \(3\), got 3"),
    (lambda: F.one_hot(mg.tensor(np.zeros(0, dtype=np.int64))), RuntimeError, "from an empty tensor; pass num_classes"),
    (lambda: F.pad(X, (1,)), RuntimeError, r"padding length must be divisible by 2 .* got 1: \(1,\)"),
    (lambda: F.pad(X, (1, 1, 1, 1, 1, 1)), RuntimeError, r"6 padding values pad 3 dims, but the input has only 2"),
    (lambda: F.pad(X, (1, 1), mode="mirror"), NotImplementedError, "unrecognised padding mode 'mirror'"),
    (lambda: F.pad(X, (1, 1), mode="replicate", value=1.0), RuntimeError, "doesn't take a value argument"),
    (lambda: F.pad(mg.zeros(3), (1, 1), mode="reflect"), NotImplementedError, "reflect padding of 1 dims is not supported "
     "for a 1-D input"),
    (lambda: F.pad(X, (-1, 1), mode="circular"), NotImplementedError, "negative padding .* 'constant' mode only"),
    (lambda: F.pad(X, (3, 0), mode="reflect"), RuntimeError, r"reflect padding must be smaller than the padded dim, "
     r"but got padding \(3, 0\) for a dim of size 3"),
    (lambda: F.pad(X, (0, 4), mode="circular"), RuntimeError, "wraps around more than once a dim of size 3"),
    (lambda: F.pad(mg.zeros(2, 0), (1, 1), mode="replicate"), RuntimeError, "needs a non-empty dim to copy"),
    (lambda: F.pad(X, (-2, -2)), RuntimeError, r"padding \(-2, -2\) crops more than the input's shape \(2, 3\) holds"),
    (lambda: F.normalize(X, out=X), TypeError, r"normalize\(out=...\) is not supported"),
    (lambda: F.normalize(X, p=0), ValueError, "normalize: p must be positive"),
    (lambda: F.normalize(X, dim=2), IndexError, "normalize: dim 2 is out of range for a tensor with 2 dims"),
    (lambda: F.cosine_similarity(X, mg.zeros(4)), RuntimeError, r"cosine_similarity: shapes \(2, 3\) and \(4,\) cannot "
     "be broadcast"),
    (lambda: F.scaled_dot_product_attention(mg.zeros(3), X, X), RuntimeError, "query must have at least 2 dims"),
    (lambda: F.scaled_dot_product_attention(X, mg.zeros(2, 4), X), RuntimeError, r"same feature size E, got query "
     r"\(2, 3\) and key \(2, 4\)"),
    (lambda: F.scaled_dot_product_attention(X, X, mg.zeros(4, 3)), RuntimeError, r"same length S, got key \(2, 3\) and "
     r"value \(4, 3\)"),
    (lambda: F.scaled_dot_product_attention(X, X, X, attn_mask=mg.ones(2, 2).bool(), is_causal=True), RuntimeError,
     "explicit attn_mask should not be set when is_causal=True"),
    (lambda: F.scaled_dot_product_attention(X, X, X, dropout_p=1.5), ValueError, r"dropout_p must be in \[0, 1\], got 1.5"),
    (lambda: F.scaled_dot_product_attention(X, X, X, attn_mask=mg.ones(2, 2).long()), TypeError,
     "attn_mask must be bool .* or float .*, got int64"),
    (lambda: F.scaled_dot_product_attention(X, X, X, enable_gqa=True), RuntimeError,
     r"enable_gqa=True\) needs inputs \(..., heads, length, features\)"),
    (lambda: F.scaled_dot_product_attention(mg.zeros(1, 3, 2, 2), mg.zeros(1, 2, 2, 2), mg.zeros(1, 2, 2, 2),
                                            enable_gqa=True), RuntimeError, r"number of heads \(3\) must be a multiple "
     r"of the key/value's \(2\)"),
    (lambda: F.mse_loss(X, [0.0, 1.0]), TypeError, "mse_loss: target must be a Tensor, got list"),
    (lambda: F.l1_loss(X, mg.zeros(4)), RuntimeError, r"l1_loss: input shape \(2, 3\) and target shape \(4,\) differ and "
     "do not broadcast together"),
    (lambda: F.mse_loss(X, X, weight=mg.ones(3)), ValueError, r"mse_loss: weight must have the input's shape \(2, 3\), "
     r"got \(3,\)"),
    (lambda: F.l1_loss(X, X, reduction="avg"), ValueError, "reduction must be 'mean', 'sum' or 'none', got 'avg'"),
    (lambda: F.smooth_l1_loss(X, X, beta=-1), RuntimeError, "smooth_l1_loss does not support negative values for beta"),
    (lambda: F.huber_loss(X, X, delta=0), RuntimeError, "huber_loss does not support non-positive values for delta"),
    (lambda: F.kl_div(X, X, reduction="average"), ValueError, "kl_div: reduction must be 'batchmean', 'mean', 'sum' or "
     "'none', got 'average'"),
    (lambda: F.binary_cross_entropy(X + 1.5, X), RuntimeError, "all elements of input should be between 0 and 1 .* use "
     "binary_cross_entropy_with_logits"),
    (lambda: F.binary_cross_entropy(X, mg.zeros(2, 3, 1)), RuntimeError, r"input shape \(2, 3\) and target shape "
     r"\(2, 3, 1\) differ"),
    (lambda: F.binary_cross_entropy(X, mg.zeros(2, 3).long()), TypeError, r"target must be floating point .*, got int64; "
     r"convert it with \.float\(\)"),
    (lambda: F.binary_cross_entropy(X, X, weight=mg.ones(3, requires_grad=True)), RuntimeError,
     r"binary_cross_entropy is not differentiable with respect to weight .* pass weight\.detach\(\)"),
    (lambda: F.binary_cross_entropy_with_logits(X, X, pos_weight=mg.ones(2)), RuntimeError,
     r"pos_weight of shape \(2,\) does not broadcast to the input's shape \(2, 3\)"),
    (lambda: F.cross_entropy(mg.zeros(()), mg.tensor(0)), RuntimeError, "cross_entropy: input must have a class dim"),
    (lambda: F.cross_entropy(X, mg.tensor([0, 1]), weight=mg.ones(2)), RuntimeError,
     r"cross_entropy: weight must hold one value per class, shape \(3,\), got \(2,\)"),
    (lambda: F.cross_entropy(X, mg.tensor([0, 1]), weight=mg.ones(3, requires_grad=True)), RuntimeError,
     "cross_entropy is not differentiable with respect to weight"),
    (lambda: F.cross_entropy(X, mg.zeros(2, 4)), TypeError, r"int64 class indices \(got float32\) or, for class "
     r"probabilities, be floating point with the input's shape \(2, 3\)"),
    (lambda: F.cross_entropy(mg.zeros(3), mg.tensor([0, 1])), RuntimeError, r"logits of shape \(3,\) \(one sample\) need "
     r"a single target, got shape \(2,\)"),
    (lambda: F.cross_entropy(mg.zeros(2, 3, 4), mg.tensor([[0, 1, 2, 0]])), RuntimeError,
     r"logits of shape \(2, 3, 4\) need targets of shape \(2, 4\), got \(1, 4\)"),
    (lambda: F.nll_loss(mg.zeros(()), mg.tensor(0)), RuntimeError, "nll_loss: input must have a class dim"),
    (lambda: F.nll_loss(X, mg.tensor([0.0, 1.0])), TypeError, r"nll_loss: target must hold int64 class indices "
     r"\(got float32\); use \.long\(\)"),
    (lambda: F.nll_loss(X, mg.tensor([0, 1, 2])), RuntimeError, r"log-probabilities of shape \(2, 3\) need targets of "
     r"shape \(2,\), got \(3,\)"),
    (lambda: F.nll_loss(X, mg.tensor([0, 3])), IndexError, r"nll_loss: target 3 is not a class index in \[0, 3\)"),
    (lambda: nn.MSELoss(reduction="avg"), ValueError, "reduction must be 'mean', 'sum' or 'none', got 'avg'"),
    (lambda: nn.Unflatten(1, 6), TypeError, "unflattened_size must be a tuple or list of ints, got 6"),
    (lambda: nn.Unflatten(1, (4, 2))(mg.zeros(2, 6)), RuntimeError, r"dim 1 of size 6 cannot be split into \(4, 2\)"),
    (lambda: nn.Unflatten(1, (-1, -1))(mg.zeros(2, 6)), RuntimeError, r"cannot be split into \(-1, -1\)"),
    (lambda: nn.ModuleDict({"a": nn.ReLU()})["b"], KeyError, r"ModuleDict has no module 'b'; it has \['a'\]"),
    (lambda: nn.ModuleDict([("a", nn.ReLU(), 3)]), ValueError, r"ModuleDict.update: element #0 should be a \(key, value\) "
     "pair"),
    (lambda: nn.ModuleDict()(X), NotImplementedError, "a ModuleDict is not callable"),
    (lambda: nn.ParameterList([mg.zeros(1)])[1], IndexError, "index 1 is out of range for a ParameterList of length 1"),
    (lambda: nn.ParameterList()(X), NotImplementedError, "a ParameterList is not callable"),
    (lambda: nn.ParameterDict({"a": mg.zeros(1)})["b"], KeyError, r"ParameterDict has no parameter 'b'; it has \['a'\]"),
    (lambda: nn.ParameterDict().__setitem__(1, mg.zeros(1)), TypeError, "ParameterDict keys must be strings, got int"),
    (lambda: nn.ParameterDict()(X), NotImplementedError, "a ParameterDict is not callable"),
    (lambda: nn.init.trunc_normal_(mg.empty(2), a=1.0, b=1.0), ValueError, "trunc_normal_: need a < b, got a=1.0, b=1.0"),
    (lambda: nn.init.trunc_normal_(mg.empty(2), std=0.0), ValueError, "trunc_normal_: std must be positive, got 0.0"),
    (lambda: nn.init.trunc_normal_(mg.empty(2), a=6.0, b=7.0), ValueError, r"\[a, b\] = \[6.0, 7.0\] holds only .* "
     "choose a window closer to the mean"),
    (lambda: nn.init.eye_(mg.empty(2, 2, 2)), ValueError, r"eye_: only 2-D tensors are supported, got shape \(2, 2, 2\)"),
    (lambda: nn.init.orthogonal_(mg.empty(3)), ValueError, "orthogonal_: only tensors with 2 or more dims are supported"),
    (lambda: nn.utils.vector_to_parameters([1.0], [nn.Parameter(mg.zeros(1))]), TypeError,
     "vector_to_parameters: expected a Tensor, but got list"),
    (lambda: nn.utils.vector_to_parameters(mg.zeros(3), [nn.Parameter(mg.zeros(2))]), RuntimeError,
     r"vec must be 1-D with 2 elements \(the parameters' total\), got shape \(3,\)"),
]


@pytest.mark.parametrize("call, error, message", BAD_ARGUMENTS)
def test_bad_arguments_get_a_clear_error(call, error, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error, match=message):
            call()


@pytest.mark.filterwarnings("ignore:invalid value encountered in multiply")   # inf * 0, as in PyTorch
def test_clip_grad_norm_refuses_a_nonfinite_norm_when_asked():
    p = nn.Parameter(mg.zeros(2))
    p.grad = mg.tensor([1.0, float("inf")])
    with pytest.raises(RuntimeError, match=r"The total norm of order 2.0 for gradients from `parameters` is non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    total = nn.utils.clip_grad_norm_([p], 1.0)   # as PyTorch: scaled by the non-finite norm
    assert math.isinf(total.item())


def test_mse_loss_warns_about_a_broadcast_target_as_pytorch():
    with pytest.warns(UserWarning, match=r"Using a target size \(\(3,\)\) that is different to the input size "
                                         r"\(\(3, 1\)\)"):
        loss = F.mse_loss(mg.zeros(3, 1), mg.tensor([1.0, 2.0, 3.0]))
    assert loss.item() == pytest.approx(14 / 3)


def test_kl_div_mean_warns_that_batchmean_is_the_true_kl():
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(mg.zeros(2, 3), mg.full((2, 3), 1 / 3))
