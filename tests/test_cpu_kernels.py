"""The "cpu" device's compiled loops (minigrad/backends/cpu_kernels.py) against the NumPy formulas
they replace (NumpyBackend, the reference): same results to float rounding, on odd shapes, large
offsets, constant rows, NaN and inf, and the fallbacks for what the loops do not cover."""
import numpy as np
import pytest

from minigrad.backends import get_backend
from minigrad.backends.cpu_backend import CpuBackend
from minigrad.backends.numpy_backend import NumpyBackend

REFERENCE, COMPILED = NumpyBackend(), CpuBackend()
TOLERANCE = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


def test_the_cpu_device_uses_the_compiled_backend():
    assert isinstance(get_backend("cpu"), CpuBackend)


def _rows(rng, shape, dtype, offset=0.0, scale=1.0):
    return (rng.standard_normal(shape) * scale + offset).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, offset, scale", [((1, 1), 0.0, 1.0), ((7, 5), 0.0, 1.0), ((3, 1031), 2.0, 3.0),
                                                  ((4, 16), 1e4, 1e-2), ((2, 9), -3.0, 0.0)])
def test_layer_norm_matches_the_numpy_formula(shape, offset, scale, dtype):
    """Compared with the NumPy formula evaluated in float64 on the same numbers (as the GPU kernels
    are): the loops add in float64, so they stay accurate even for rows of 1e4 +- 0.01."""
    rng = np.random.default_rng(sum(shape))
    x, w, b, grad = (_rows(rng, s, dtype, o, k) for s, o, k in
                     ((shape, offset, scale), (shape[1:], 0, 1), (shape[1:], 0, 1), (shape, 0, 1)))
    x64, w64, b64, grad64 = (a.astype(np.float64) for a in (x, w, b, grad))
    # rounding errors of x grow by |mean| / std in (x - mean) / std: allow for that conditioning
    conditioning = 1.0 + (abs(offset) / scale if scale else 0.0)
    tolerance = {k: v * conditioning for k, v in TOLERANCE[dtype].items()} if dtype == np.float64 else TOLERANCE[dtype]
    got = COMPILED.layer_norm(x, w, b, 1e-5)
    for g, r in zip(got, REFERENCE.layer_norm(x64, w64, b64, 1e-5)):
        assert g.dtype == dtype and g.shape == r.shape
        np.testing.assert_allclose(g, r, **tolerance)
    _, mean, rstd = got
    got_grads = COMPILED.layer_norm_backward(grad, x, mean, rstd, w)
    want_grads = REFERENCE.layer_norm_backward(grad64, x64, mean.astype(np.float64), rstd.astype(np.float64), w64)
    for g, r in zip(got_grads, want_grads):
        assert g.dtype == dtype and g.shape == r.shape
        # gw and gb add over the rows: compare to the size of what was added
        np.testing.assert_allclose(g, r, rtol=tolerance["rtol"], atol=tolerance["atol"] * max(1.0, float(np.abs(r).max())))


def test_layer_norm_keeps_nan_and_inf_where_numpy_does():
    x = np.array([[1.0, np.nan, 2.0], [1.0, 2.0, 3.0], [np.inf, 0.0, 1.0]], dtype=np.float32)
    w, b = np.ones(3, np.float32), np.zeros(3, np.float32)
    with np.errstate(invalid="ignore"):
        want = REFERENCE.layer_norm(x, w, b, 1e-5)[0]
    got = COMPILED.layer_norm(x, w, b, 1e-5)[0]
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6)


def test_layer_norm_falls_back_to_numpy_for_float16_and_non_contiguous_inputs_work():
    rng = np.random.default_rng(0)
    x = _rows(rng, (6, 4), np.float16)
    w, b = np.ones(4, np.float16), np.zeros(4, np.float16)
    for g, r in zip(COMPILED.layer_norm(x, w, b, 1e-5), REFERENCE.layer_norm(x, w, b, 1e-5)):
        np.testing.assert_array_equal(g, r)
    wide = _rows(rng, (5, 8), np.float64)
    x, w = wide[:, ::2], wide[0, 1::2]          # strided views
    for g, r in zip(COMPILED.layer_norm(x, w, w, 1e-5), REFERENCE.layer_norm(x, w, w, 1e-5)):
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("keep_shape", [(3, 1, 1, 7), (3, 2, 5, 7), (5, 1)])
def test_masked_softmax_matches_the_numpy_formula(keep_shape, dtype):
    rng = np.random.default_rng(len(keep_shape))
    x = (rng.standard_normal((3, 2, 5, 7)) * 4).astype(dtype)
    x[0, 0, 0] *= 2500                          # logits of 1e4: the max keeps exp finite
    keep = rng.random(keep_shape) < 0.7
    keep[(0,) * (len(keep_shape) - 1)] = False  # a query with nothing to attend to: all 0
    grad = rng.standard_normal(x.shape).astype(dtype)
    x64, grad64 = x.astype(np.float64), grad.astype(np.float64)
    got = COMPILED.masked_softmax(x, keep, 0.3)
    want = REFERENCE.masked_softmax(x64, keep, 0.3)
    assert got.dtype == dtype and got.shape == x.shape
    np.testing.assert_allclose(got, want, **TOLERANCE[dtype])
    assert np.all(got[np.broadcast_to(~keep, x.shape)] == 0)
    got_grad = COMPILED.masked_softmax_backward(grad, got, 0.3)
    want_grad = REFERENCE.masked_softmax_backward(grad64, got.astype(np.float64), 0.3)
    assert got_grad.dtype == dtype
    np.testing.assert_allclose(got_grad, want_grad, **TOLERANCE[dtype])


def test_masked_softmax_keeps_nan_inf_and_unmasked_cases_as_numpy():
    x = np.array([[1.0, np.nan, 2.0], [1.0, -np.inf, 3.0], [-np.inf, -np.inf, 5.0], [np.inf, 0.0, 1.0]], np.float32)
    keep = np.array([True, True, False])
    with np.errstate(invalid="ignore"):
        want = REFERENCE.masked_softmax(x, keep, 1.0)
        got = COMPILED.masked_softmax(x, keep, 1.0)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[1:3], want[1:3], rtol=1e-6)   # row 2: nothing kept but -inf: 0s
    np.testing.assert_array_equal(COMPILED.masked_softmax(x[1:2], None, 1.0), REFERENCE.masked_softmax(x[1:2], None, 1.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weight_decay, decoupled", [(0.0, False), (0.1, False), (0.05, True)])
def test_adam_update_matches_the_numpy_formula_over_several_steps(weight_decay, decoupled, dtype):
    rng = np.random.default_rng(3)
    shape = (7, 13)
    state = {name: [rng.standard_normal(shape).astype(dtype), np.zeros(shape, dtype), np.zeros(shape, dtype)]
             for name in ("compiled", "reference")}
    state["reference"][0] = state["compiled"][0].copy()
    options = dict(lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=weight_decay, decoupled_weight_decay=decoupled)
    for step in range(1, 6):
        grad = (rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 2)).astype(dtype)
        COMPILED.adam_step(*state["compiled"][:1], grad, *state["compiled"][1:], step=step, **options)
        REFERENCE.adam_step(*state["reference"][:1], grad, *state["reference"][1:], step=step, **options)
    for got, want in zip(state["compiled"], state["reference"]):
        np.testing.assert_allclose(got, want, rtol=TOLERANCE[dtype]["rtol"] * 10, atol=TOLERANCE[dtype]["atol"])


def test_adam_update_falls_back_to_numpy_for_strided_or_mixed_arrays():
    rng = np.random.default_rng(4)
    wide = rng.standard_normal((4, 10))
    runs = []
    for backend in (COMPILED, REFERENCE):
        param, m, v = wide[:, ::2].copy(order="F"), np.zeros((4, 5)), np.zeros((4, 5))   # Fortran order
        backend.adam_step(param, wide[:, 1::2], m, v, step=1, lr=0.1, beta1=0.9, beta2=0.99, eps=1e-8,
                          weight_decay=0.0, decoupled_weight_decay=False)
        runs.append(param)
    np.testing.assert_array_equal(*runs)
