"""The batch-norm kernels (kernels/batchnorm.py) against the CPU backend's formulas, on the
simulator (or a GPU): both versions, forward statistics and all three gradients."""
import numpy as np
import pytest
from kernel_testing import assert_close

from kernels import batchnorm

CPU = batchnorm.reference_backend()
DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("version", batchnorm.BATCHNORM_VERSIONS)
@pytest.mark.parametrize("shape, block_size", [((1, 2, 1), 1), ((3, 4, 5), 8), ((2, 3, 70), 64)])
def test_forward_and_backward_match_the_cpu(rng, shape, block_size, version, dtype):
    x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
    weight, bias = rng.standard_normal(shape[1]).astype(dtype), rng.standard_normal(shape[1]).astype(dtype)
    expected = CPU.batch_norm(x, weight, bias, 1e-5)
    got = batchnorm.batchnorm_forward(x, weight, bias, 1e-5, version=version, block_size=block_size)
    for g, e in zip(got, expected):
        assert_close(g, e, dtype)
    dy = rng.standard_normal(shape).astype(dtype)
    _, mean, var = expected
    expected = CPU.batch_norm_backward(dy, x, mean, var, weight, 1e-5)
    got = batchnorm.batchnorm_backward(dy, x, mean, var, weight, 1e-5, version=version, block_size=block_size)
    for g, e in zip(got, expected):
        assert_close(g, e, dtype)


def test_a_constant_channel_normalises_to_the_bias():
    x = np.full((4, 2, 3), 7.0)
    y, mean, var = batchnorm.batchnorm_forward(x, np.ones(2), np.array([0.5, -1.0]), 1e-5, block_size=4)
    np.testing.assert_array_equal(var, 0.0)
    np.testing.assert_allclose(y[:, 0], 0.5) and np.testing.assert_allclose(y[:, 1], -1.0)


def test_shapes_are_checked():
    with pytest.raises(ValueError, match="3-D"):
        batchnorm.batchnorm_forward(np.zeros((2, 3)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="weight must have shape \\(3,\\)"):
        batchnorm.batchnorm_forward(np.zeros((2, 3, 4)), np.ones(2), np.zeros(3))
