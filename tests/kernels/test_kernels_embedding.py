import numpy as np
import pytest
from kernel_testing import CPU, assert_close

from kernels import embedding as emb

DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("num_embeddings, dim, n, padding_idx", [(1, 1, 1, -1), (7, 5, 23, -1), (7, 5, 23, 3)])
def test_forward_and_backward_match_the_cpu_formula(rng, num_embeddings, dim, n, padding_idx, dtype):
    weight = rng.standard_normal((num_embeddings, dim)).astype(dtype)
    indices = rng.integers(0, num_embeddings, n).astype(np.int64)
    indices[: min(n, 4)] = 0  # repeated indices: their gradients must all be added
    if padding_idx >= 0:
        indices[-1] = padding_idx
    grad = rng.standard_normal((n, dim)).astype(dtype)
    assert_close(emb.embedding_forward(weight, indices), CPU.embedding(weight, indices), dtype)
    dweight = emb.embedding_backward(grad, indices, num_embeddings, padding_idx)
    # Same additions in the same order as the CPU's np.add.at: equal to the last bit.
    np.testing.assert_array_equal(dweight, CPU.embedding_backward(grad, indices, num_embeddings, padding_idx))
    if padding_idx >= 0:
        assert np.all(dweight[padding_idx] == 0)


def test_backward_keeps_subnormal_gradients_and_is_deterministic():
    # A float32 atomic add on a GPU flushes a subnormal result to 0 (RED...FTZ in the machine code;
    # tests/kernels/test_kernels_sass.py checks there is none). Summing by sorted token keeps them.
    tiny = np.float32(1e-40)  # below float32's smallest normal number, 1.2e-38
    grad = np.full((5, 2), tiny, dtype=np.float32)
    grad[4] = 3.0
    indices = np.array([2, 0, 2, 2, 1])
    dweight = emb.embedding_backward(grad, indices, 4)
    np.testing.assert_array_equal(dweight[2], tiny + tiny + tiny)  # exact float32 sums, not 0
    np.testing.assert_array_equal(dweight[0], tiny)
    assert dweight[2, 0] > 0 and np.array_equal(dweight, emb.embedding_backward(grad, indices, 4))


def test_grouping_by_token_is_stable():
    order, starts, tokens = emb.group_by_token(np.array([3, 1, 3, 0, 1]))
    np.testing.assert_array_equal(order, [3, 1, 4, 0, 2])  # equal tokens keep their position order
    np.testing.assert_array_equal(starts, [0, 1, 3, 5])
    np.testing.assert_array_equal(tokens, [0, 1, 3])


def test_cpu_formula_matches_a_loop(rng):
    grad = rng.standard_normal((6, 3))
    indices = np.array([2, 0, 2, 2, 1, 0])
    want = np.zeros((4, 3))
    for i, v in enumerate(indices):
        if v != 1:  # padding row
            want[v] += grad[i]
    np.testing.assert_allclose(CPU.embedding_backward(grad, indices, 4, padding_idx=1), want)


def test_out_of_range_index_raises():
    with pytest.raises(IndexError, match="index 9 is out of range for an embedding table of 4 rows"):
        emb.embedding_forward(np.zeros((4, 2)), np.array([1, 9]))
