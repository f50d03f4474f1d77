import numpy as np
import pytest
from kernel_testing import assert_close

from kernels.reduce import sum_first, sum_first_reference, sum_last, sum_last_reference


def test_references_match_plain_numpy(rng):
    x = rng.standard_normal((4, 7))
    np.testing.assert_allclose(sum_last_reference(x), [sum(row) for row in x.tolist()])
    np.testing.assert_allclose(sum_first_reference(x), [sum(col) for col in x.T.tolist()])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, block_size", [((1, 1), 32), ((3, 70), 32), ((2, 130), 128)])
def test_sum_last(rng, dtype, shape, block_size):
    x = rng.standard_normal(shape).astype(dtype)
    assert_close(sum_last(x, block_size=block_size), sum_last_reference(x), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (5, 33), (40, 3)])
def test_sum_first(rng, dtype, shape):
    x = rng.standard_normal(shape).astype(dtype)
    assert_close(sum_first(x), sum_first_reference(x), dtype)


def test_non_contiguous_input_and_bad_block_size(rng):
    x = rng.standard_normal((6, 5))
    assert_close(sum_last(x.T, block_size=8), x.T.sum(axis=1), np.float64)
    with pytest.raises(ValueError, match="power of two"):
        sum_last(x, block_size=48)
    with pytest.raises(ValueError, match="2-D"):
        sum_first(x.reshape(-1))
