import numpy as np
import pytest
from kernel_testing import CPU, assert_close, reference
from numba import cuda

from kernels.reduce import block_max, block_max_warps, block_sum_warps, sum_first, sum_last


def test_cpu_sum_matches_plain_python(rng):
    x = rng.standard_normal((4, 7))
    np.testing.assert_allclose(CPU.sum(x, axis=1), [sum(row) for row in x.tolist()])
    np.testing.assert_allclose(CPU.sum(x, axis=0), [sum(col) for col in x.T.tolist()])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, block_size", [((1, 1), 32), ((3, 70), 32), ((2, 130), 128), ((2, 9), 4)])
def test_sum_last(rng, dtype, shape, block_size):
    x = rng.standard_normal(shape).astype(dtype)
    assert_close(sum_last(x, block_size=block_size), reference("sum", x, axis=1), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (5, 33), (40, 3)])
def test_sum_first(rng, dtype, shape):
    x = rng.standard_normal(shape).astype(dtype)
    assert_close(sum_first(x), reference("sum", x, axis=0), dtype)


def test_non_contiguous_input_and_bad_block_size(rng):
    x = rng.standard_normal((6, 5))
    assert_close(sum_last(x.T, block_size=8), x.T.sum(axis=1), np.float64)
    with pytest.raises(ValueError, match="power of two"):
        sum_last(x, block_size=48)
    with pytest.raises(ValueError, match="power of two between 1 and 1024"):
        sum_last(x, block_size=2048)
    with pytest.raises(ValueError, match="2-D"):
        sum_first(x.reshape(-1))


@cuda.jit
def _block_reductions_kernel(x, tree_max, warp_max, warp_sum):
    """Block i reduces row i of x (one number per thread) three ways."""
    shared = cuda.shared.array(0, dtype=x.dtype)
    row, t = cuda.blockIdx.x, cuda.threadIdx.x
    largest = block_max(shared, x[row, t])
    largest_by_warps = block_max_warps(shared, x[row, t])
    total = block_sum_warps(shared, x[row, t])
    if t == 0:
        tree_max[row] = largest
        warp_max[row] = largest_by_warps
        warp_sum[row] = total


@pytest.mark.parametrize("threads", [4, 64])
def test_row_max_is_nan_wherever_the_nan_is(threads):
    # CUDA's float max (fmaxf) drops a NaN and Python's max keeps it only in first place; NumPy's
    # max is NaN whenever a NaN is present, and so must the kernels' be (one row per NaN position).
    positions = sorted({0, 1, threads // 2 - 1, threads // 2, threads - 1})  # first, second, around a warp edge, last
    x = np.tile(np.arange(threads, dtype=np.float32), (len(positions) + 1, 1))
    x[np.arange(len(positions)), positions] = np.nan  # row r has one NaN at positions[r]; the last row none
    outputs = [np.zeros(len(x), np.float32) for _ in range(3)]
    _block_reductions_kernel[len(x), threads, 0, threads * 4](x, *outputs)
    tree_max, warp_max, warp_sum = outputs
    want = x.max(axis=1)
    np.testing.assert_array_equal(tree_max, want)
    np.testing.assert_array_equal(warp_max, want)
    np.testing.assert_array_equal(np.isnan(warp_sum), np.isnan(x.sum(axis=1)))
    assert tree_max[-1] == threads - 1 and warp_sum[-1] == x[-1].sum()
