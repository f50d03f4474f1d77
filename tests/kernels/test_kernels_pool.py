"""The max-pool kernels (kernels/pool.py) against the CPU backend's formulas in float64, on the
simulator (or a GPU): forward values and indices, and both backward versions."""
import numpy as np
import pytest
from kernel_testing import CPU, assert_close, reference

from kernels import pool

DTYPES = [np.float32, np.float64]
# (x shape, kernel, stride, padding, dilation, output size)
GEOMETRIES = [
    ((2, 3, 6, 7), (2, 2), (2, 2), (0, 0), (1, 1), (3, 3)),   # the usual 2x2 pooling (odd width: a column left over)
    ((1, 2, 7, 6), (3, 2), (1, 2), (1, 1), (1, 2), (7, 3)),   # overlapping windows, dilation, padding
    ((1, 1, 5, 5), (3, 3), (2, 2), (1, 1), (1, 1), (3, 3)),
    ((1, 1, 5, 5), (2, 2), (2, 2), (0, 0), (1, 1), (3, 3)),   # ceil_mode: a last window half outside x
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: f"x{g[0]}-k{g[1]}-s{g[2]}")
def test_forward_and_backward_versions_match_the_cpu(rng, geometry, dtype):
    x_shape, kernel_size, stride, padding, dilation, out_size = geometry
    x = rng.standard_normal(x_shape).astype(dtype)
    y, indices = reference("max_pool2d", x, kernel_size, stride, padding, dilation, out_size)
    got_y, got_indices = pool.max_pool2d_forward(x, kernel_size, stride, padding, dilation, out_size, block_size=32)
    assert_close(got_y, y, dtype)
    np.testing.assert_array_equal(got_indices, indices)
    grad = rng.standard_normal(y.shape).astype(dtype)
    dx = reference("max_pool2d_backward", grad, indices, x_shape, kernel_size, stride, padding, dilation)
    for version in pool.versions.names:
        got = pool.max_pool2d_backward(grad, indices, x_shape, kernel_size, stride, padding, dilation,
                                       version=version, block_size=64)
        assert_close(got, dx, dtype)


def test_an_input_that_wins_several_windows_collects_all_their_gradients():
    # 3x3 windows, stride 1, over a 1x4 row padded by 1: the 9 is the max of all four windows.
    x = np.array([[[[1.0, 9.0, 2.0, 3.0]]]])
    y, indices = pool.max_pool2d_forward(x, (1, 3), (1, 1), (0, 1), (1, 1), (1, 4))
    np.testing.assert_array_equal(indices, [[[[1, 1, 1, 3]]]])
    grad = np.array([[[[1.0, 10.0, 100.0, 1000.0]]]])
    for version in pool.versions.names:
        dx = pool.max_pool2d_backward(grad, indices, x.shape, (1, 3), (1, 1), (0, 1), (1, 1), version=version)
        np.testing.assert_array_equal(dx, [[[[0.0, 111.0, 0.0, 1000.0]]]])


def test_ties_go_to_the_first_tap_and_nan_wins():
    x = np.array([[[[3.0, 3.0], [np.nan, 3.0]], [[1.0, 2.0], [2.0, 0.0]]]])
    y, indices = pool.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), (1, 1), (1, 1))
    assert np.isnan(y[0, 0, 0, 0]) and indices[0, 0, 0, 0] == 2
    assert y[0, 1, 0, 0] == 2.0 and indices[0, 1, 0, 0] == 1
    _, cpu_indices = CPU.max_pool2d(x, (2, 2), (2, 2), (0, 0), (1, 1), (1, 1))
    np.testing.assert_array_equal(cpu_indices, indices)


def test_unknown_version_is_refused():
    with pytest.raises(ValueError, match="unknown maxpool version"):
        pool.max_pool2d_backward(np.zeros((1, 1, 1, 1)), np.zeros((1, 1, 1, 1), np.int64), (1, 1, 2, 2),
                                 (2, 2), (2, 2), (0, 0), (1, 1), version="atomic")
