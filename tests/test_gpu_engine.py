"""The whole engine on the GPU backend: "cuda" where a GPU exists, else "cudasim".

Every op runs on the GPU device and must agree with the CPU (float32 tolerance), its gradients
must pass gradcheck (float64, the kernels are compiled for float64 too), and short training
runs must follow the CPU run step by step.  The simulator is slow, so shapes are tiny and
deliberately odd (not multiples of any block or tile size).
"""
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, optim
from minigrad.autograd import gradcheck

# The simulator says once per process that it is slow (tested below); the other tests know.
pytestmark = pytest.mark.filterwarnings("ignore::minigrad.backends.cuda_backend.SimulatorWarning")


def on(device, array, requires_grad=False):
    return mg.tensor(array, device=device, requires_grad=requires_grad)


RNG = np.random.default_rng(7)
A = RNG.standard_normal((3, 5))
B = RNG.standard_normal((5,))
M = RNG.standard_normal((2, 5, 3))
TARGET = np.array([1, 4, 0])
LABELS = np.array([[1.0, -1, 1, -1, 1], [-1, -1, 1, 1, 1], [1, 1, -1, -1, 1]])
KEEP = RNG.random((5, 5)) < 0.6   # an attention mask (True = this key may be seen); query 1 sees none
KEEP[:, 0] = True
KEEP[1] = False

# name -> function of (a (3, 5), b (5,), m (2, 5, 3)) with every differentiable op on the GPU path
CASES = {
    "arithmetic": lambda a, b, m: (a * b - a / (b * b + 1) + (a * a + 1) ** 0.5 - 2.0 * a).exp().log(),
    "reductions": lambda a, b, m: a.sum(1) + a.mean(0).sum() + a.amax(1) - a.var(1) + a.amin(),
    "matmul_vector": lambda a, b, m: a @ b,
    "matmul_batched": lambda a, b, m: (a @ m).sum(0),
    "matmul_transposed": lambda a, b, m: m.transpose(1, 2) @ a.T,
    "linear": lambda a, b, m: F.linear(a, m[0].T, b[:3]),
    "activations": lambda a, b, m: F.relu(a) + F.sigmoid(a) * F.tanh(a) + F.gelu(a) + F.gelu(a, approximate="tanh"),
    "softmax": lambda a, b, m: F.softmax(a, -1) + F.log_softmax(a, 0),
    "layer_norm": lambda a, b, m: F.layer_norm(a, (5,), b, b * 2),
    "embedding": lambda a, b, m: F.embedding(on(a.device, [[0, 2], [2, 1]]), a),
    "cross_entropy": lambda a, b, m: F.cross_entropy(a * b, on(a.device, TARGET), label_smoothing=0.1),
    "mse": lambda a, b, m: F.mse_loss(a, b.expand(3, 5)),
    "hinge": lambda a, b, m: F.hinge_loss(a, on(a.device, LABELS)),
    "multi_margin": lambda a, b, m: F.multi_margin_loss(a, on(a.device, TARGET), p=2),
    "shape_and_index": lambda a, b, m: mg.cat([a[[0, 0, 2], 1:4], m[1, :3, :]], 1).reshape(9, 2).T,
    "bce": lambda a, b, m: F.binary_cross_entropy_with_logits(a, F.sigmoid(b).detach().expand(3, 5)),
    "attention": lambda a, b, m: (
        F.scaled_dot_product_attention(m, m * 0.5, m, attn_mask=on(a.device, KEEP[:m.shape[1], :m.shape[1]]))
        + F.scaled_dot_product_attention(m, m, m * b[:m.shape[2]], scale=0.3)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_matches_cpu(name, gpu_device):
    fn = CASES[name]
    cpu = fn(*(on("cpu", x.astype(np.float32)) for x in (A, B, M)))
    gpu = fn(*(on(gpu_device, x.astype(np.float32)) for x in (A, B, M)))
    assert gpu.device == gpu_device
    np.testing.assert_allclose(gpu.numpy(), cpu.numpy(), rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_match_cpu_and_gradcheck(name, gpu_device):
    fn = CASES[name]
    grads = {}
    for device in ("cpu", gpu_device):
        inputs = [on(device, x.astype(np.float32), requires_grad=True) for x in (A, B, M)]
        fn(*inputs).sum().backward()
        grads[device] = [None if t.grad is None else t.grad.numpy() for t in inputs]
    for cpu_grad, gpu_grad in zip(grads["cpu"], grads[gpu_device]):
        assert (cpu_grad is None) == (gpu_grad is None)
        if cpu_grad is not None:
            np.testing.assert_allclose(gpu_grad, cpu_grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["arithmetic", "matmul_batched", "softmax", "layer_norm", "cross_entropy",
                                  "activations", "attention"])
def test_gradcheck_float64_on_gpu(name, gpu_device):
    small = (A[:2, :3], B[:3], M[:1, :3, :2])
    fn = {"matmul_batched": lambda a, b, m: a @ m[0],
          "cross_entropy": lambda a, b, m: F.cross_entropy(a * b, on(a.device, [2, 0]), label_smoothing=0.1),
          "layer_norm": lambda a, b, m: F.layer_norm(a, (3,), b, b * 2)}.get(name, CASES[name])
    inputs = tuple(on(gpu_device, x, requires_grad=True) for x in small)
    assert gradcheck(fn, inputs)


def _train(device, model_fn, data, steps, make_optimizer):
    mg.manual_seed(0)
    model = model_fn().to(device)
    opt = make_optimizer(model.parameters())
    x, y = (on(device, d) for d in data)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_mlp_training_follows_cpu(gpu_device):
    rng = np.random.default_rng(0)
    data = (rng.standard_normal((13, 5)).astype(np.float32), rng.integers(0, 3, 13))

    def model_fn():
        return nn.Sequential(nn.Linear(5, 9), nn.ReLU(), nn.Linear(9, 3))

    for make_optimizer in (lambda p: optim.Adam(p, lr=0.05), lambda p: optim.SGD(p, lr=0.2, momentum=0.9)):
        cpu = _train("cpu", model_fn, data, 3, make_optimizer)
        gpu = _train(gpu_device, model_fn, data, 3, make_optimizer)
        np.testing.assert_allclose(gpu, cpu, rtol=1e-4, atol=1e-5)
        assert gpu[-1] < gpu[0]


class TinyTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(11, 4, padding_idx=0)
        self.block = nn.TransformerEncoderLayer(4, 2, dim_feedforward=5, dropout=0.0, batch_first=True,
                                                norm_first=True, activation="gelu")
        self.head = nn.Linear(4, 2)

    def forward(self, ids):
        mask = ids == 0
        h = self.block(self.embed(ids), src_key_padding_mask=mask)
        return self.head(h.mean(1))


def test_transformer_block_training_follows_cpu(gpu_device):
    rng = np.random.default_rng(1)
    ids = rng.integers(1, 11, (2, 3))
    ids[0, 2:] = 0
    data = (ids, np.array([0, 1]))
    cpu = _train("cpu", TinyTransformer, data, 2, lambda p: optim.AdamW(p, lr=0.01))
    gpu = _train(gpu_device, TinyTransformer, data, 2, lambda p: optim.AdamW(p, lr=0.01))
    np.testing.assert_allclose(gpu, cpu, rtol=1e-4, atol=1e-5)


def test_mixing_devices_names_both(gpu_device):
    with pytest.raises(RuntimeError, match=f"'cpu' and '{gpu_device}'"):
        on("cpu", A) + on(gpu_device, A)


def test_to_device_round_trip(gpu_device):
    x = on("cpu", A)
    y = x.to(gpu_device)
    assert y.device == gpu_device
    np.testing.assert_array_equal(y.to("cpu").numpy(), A)
    model = nn.Linear(3, 2).to(gpu_device)
    assert all(p.device == gpu_device for p in model.parameters())


@pytest.mark.parametrize("version", ["naive", "tiled", "register", "cublas"])
def test_engine_matmul_with_every_kernel_version(version, gpu_device):
    from kernels.matmul import use_matmul_version

    a, m = A.astype(np.float32), M.astype(np.float32)
    expected = (a @ m).sum(0)
    x, w = on(gpu_device, a, requires_grad=True), on(gpu_device, m, requires_grad=True)
    with use_matmul_version(version):
        y = (x @ w).sum(0)
        y.sum().backward()
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), m.sum(axis=(0, 2))[None, :].repeat(3, 0), rtol=1e-5, atol=1e-5)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # -inf - (-inf) on the simulator's NumPy
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_at_huge_and_minus_inf_logits_matches_cpu(label_smoothing, gpu_device):
    # Logits of 1e30 once gave loss 0 and gradient [0, 1, 1] on the GPU (log p = x - (max + log sum)
    # rounds away log 3), and a -inf logit without smoothing gave NaN (0 * -inf). CPU: 1.0986,
    # [-2/3, 1/3, 1/3]; a -inf class is simply impossible (with smoothing: loss +inf).
    logits = np.array([[1e30, 1e30, 1e30], [0.0, -np.inf, 2.0], [-np.inf, 1.0, 3.0]], dtype=np.float32)
    target = np.array([0, 2, 1])
    results = {}
    for device in ("cpu", gpu_device):
        x = on(device, logits, requires_grad=True)
        losses = F.cross_entropy(x, on(device, target), reduction="none", label_smoothing=label_smoothing)
        losses[0].backward()
        results[device] = (losses.detach().numpy(), x.grad.numpy())
    (cpu_loss, cpu_grad), (gpu_loss, gpu_grad) = results["cpu"], results[gpu_device]
    np.testing.assert_allclose(gpu_loss, cpu_loss, rtol=1e-6)
    np.testing.assert_allclose(gpu_grad, cpu_grad, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(gpu_loss[0], np.log(3.0), rtol=1e-6)  # -log(1/3), smoothed or not
    q = np.array([1 - label_smoothing, 0, 0]) + label_smoothing / 3
    np.testing.assert_allclose(gpu_grad[0], 1 / 3 - q, rtol=1e-6)  # softmax - target: [-2/3, 1/3, 1/3] unsmoothed
    assert not np.isnan(gpu_loss).any() and np.isinf(gpu_loss[1:]).all() == (label_smoothing > 0)


@pytest.mark.parametrize("a_shape, b_shape", [((0, 3), (3, 4)), ((3, 0), (0, 4)), ((2, 0, 3), (3, 4)),
                                              ((0,), (0,)), ((3,), (3, 0)), ((2, 3, 0), (0, 5))])
def test_matmul_of_empty_shapes_matches_cpu(a_shape, b_shape, gpu_device):
    # (0, 3) @ (3, 4) once raised on the GPU devices (a reshape to (-1, 0, 3) of an empty array).
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(a_shape).astype(np.float32), rng.standard_normal(b_shape).astype(np.float32)
    results = {}
    for device in ("cpu", gpu_device):
        x, w = on(device, a, requires_grad=True), on(device, b, requires_grad=True)
        y = x @ w
        y.sum().backward()
        results[device] = (y.numpy(), x.grad.numpy(), w.grad.numpy())
    for cpu_array, gpu_array in zip(results["cpu"], results[gpu_device]):
        assert gpu_array.shape == cpu_array.shape
        np.testing.assert_array_equal(gpu_array, cpu_array)  # all zeros, or empty


def test_the_simulator_says_once_that_it_is_not_for_training(gpu_device):
    if gpu_device == "cuda":
        pytest.skip("this process runs the real GPU, so it cannot start the simulator")
    from minigrad.backends.cuda_backend import CudaBackend, SimulatorWarning

    with pytest.warns(SimulatorWarning, match=r"not to train.*use device 'cpu'"):
        CudaBackend(simulate=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mg.zeros(2, device="cudasim") + 1  # the cached backend does not repeat it
