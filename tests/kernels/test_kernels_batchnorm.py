"""The batch-norm kernels (kernels/batchnorm.py) against the CPU backend's formulas in float64, on
the simulator (or a GPU): both versions, forward statistics and all three gradients."""
import numpy as np
import pytest
from kernel_testing import assert_close, reference

from kernels import batchnorm

DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("version", batchnorm.versions.names)
@pytest.mark.parametrize("shape, block_size", [((1, 2, 1), 1), ((3, 4, 5), 8), ((2, 3, 70), 64)])
def test_forward_and_backward_match_the_cpu(rng, shape, block_size, version, dtype):
    x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
    weight, bias = rng.standard_normal(shape[1]).astype(dtype), rng.standard_normal(shape[1]).astype(dtype)
    got = batchnorm.batchnorm_forward(x, weight, bias, 1e-5, version=version, block_size=block_size)
    for g, e in zip(got, reference("batch_norm", x, weight, bias, 1e-5)):
        assert_close(g, e, dtype)
    dy = rng.standard_normal(shape).astype(dtype)
    _, mean, var = got
    got = batchnorm.batchnorm_backward(dy, x, mean, var, weight, 1e-5, version=version, block_size=block_size)
    for g, e in zip(got, reference("batch_norm_backward", dy, x, mean, var, weight, 1e-5)):
        assert_close(g, e, dtype)


def test_float32_statistics_of_a_large_mean_keep_the_variance(rng):
    # A channel at mean 1e3 with spread 1: E[x^2] - E[x]^2 in float32 would lose most digits; two passes do not.
    x = (1e3 + rng.standard_normal((4, 2, 300))).astype(np.float32)
    for version in batchnorm.versions.names:
        _, _, var = batchnorm.batchnorm_forward(x, np.ones(2, np.float32), np.zeros(2, np.float32), version=version,
                                                block_size=64)
        np.testing.assert_allclose(var, x.astype(np.float64).var(axis=(0, 2)), rtol=1e-3)


def test_a_constant_channel_normalises_to_the_bias():
    x = np.full((4, 2, 3), 7.0)
    for version in batchnorm.versions.names:
        y, mean, var = batchnorm.batchnorm_forward(x, np.ones(2), np.array([0.5, -1.0]), 1e-5, version=version,
                                                   block_size=4)
        np.testing.assert_array_equal(var, 0.0)
        np.testing.assert_allclose(y[:, 0], 0.5)
        np.testing.assert_allclose(y[:, 1], -1.0)


def test_shapes_and_versions_are_checked():
    with pytest.raises(ValueError, match="3-D"):
        batchnorm.batchnorm_forward(np.zeros((2, 3)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="weight must have shape \\(3,\\)"):
        batchnorm.batchnorm_forward(np.zeros((2, 3, 4)), np.ones(2), np.zeros(3))
    with pytest.raises(ValueError, match="unknown batchnorm version"):
        batchnorm.batchnorm_forward(np.zeros((2, 3, 4)), np.ones(3), np.zeros(3), version="welford")
