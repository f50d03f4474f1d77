import numpy as np
import pytest
from kernel_testing import assert_close

from kernels import embedding as emb

DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("num_embeddings, dim, n, padding_idx", [(1, 1, 1, -1), (7, 5, 23, -1), (7, 5, 23, 3)])
def test_forward_and_backward_match_reference(rng, num_embeddings, dim, n, padding_idx, dtype):
    weight = rng.standard_normal((num_embeddings, dim)).astype(dtype)
    indices = rng.integers(0, num_embeddings, n).astype(np.int64)
    indices[: min(n, 4)] = 0  # repeated indices: their gradients must all be added (the atomics' job)
    if padding_idx >= 0:
        indices[-1] = padding_idx
    grad = rng.standard_normal((n, dim)).astype(dtype)
    assert_close(emb.embedding_forward(weight, indices), emb.embedding_forward_reference(weight, indices), dtype)
    dweight = emb.embedding_backward(grad, indices, num_embeddings, padding_idx)
    assert_close(dweight, emb.embedding_backward_reference(grad, indices, num_embeddings, padding_idx), dtype)
    if padding_idx >= 0:
        assert np.all(dweight[padding_idx] == 0)


def test_reference_matches_a_loop(rng):
    grad = rng.standard_normal((6, 3))
    indices = np.array([2, 0, 2, 2, 1, 0])
    want = np.zeros((4, 3))
    for i, v in enumerate(indices):
        if v != 1:  # padding row
            want[v] += grad[i]
    np.testing.assert_allclose(emb.embedding_backward_reference(grad, indices, 4, padding_idx=1), want)


def test_out_of_range_index_raises():
    with pytest.raises(IndexError, match="index 9 is out of range for an embedding table of 4 rows"):
        emb.embedding_forward(np.zeros((4, 2)), np.array([1, 9]))
