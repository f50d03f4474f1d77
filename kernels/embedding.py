r"""Embedding lookup (a gather) and its backward (a scatter-add with atomics).

Formulas
--------
    forward:   out[i, :] = weight[idx[i], :]                         (N, D) from (V, D)
    backward:  dweight[v, :] = sum over i with idx[i] == v of grad[i, :]

Why the backward is a sum: out[i, d] = sum_v 1[idx[i] == v] weight[v, d], so
d out[i, d] / d weight[v, d] = 1[idx[i] == v], and the chain rule adds up the
gradient of every position that looked up row v.  Rows with
idx[i] == padding_idx contribute nothing (PyTorch's padding_idx: that
embedding row is never trained).

Threads and blocks
------------------
Both kernels use one thread per element (i, d) of the (N, D) matrix, with a
grid-stride loop over the flattened index  e = i * D + d:

    grad (N, D):   row i = [ e e e e ]  --- atomic add --->  dweight[idx[i], :]

Why atomics: two positions i and i' can hold the same token (idx[i] == idx[i'])
and their threads would both do  dweight[v, d] += ...  at the same moment.
A plain `+=` is read-modify-write; two of them racing lose one update.
cuda.atomic.add makes each addition indivisible.  The price: the float sum
order changes between runs (last-bit differences), and frequent tokens make
threads queue on the same address.  Sorting indices first (as big frameworks
do) avoids both; the atomic version is the simple, correct baseline.
"""
import numpy as np
from numba import cuda

from kernels._arrays import array_module, check_float_dtype, contiguous, elementwise_launch


# ---------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------
@cuda.jit
def embedding_forward_kernel(weight, indices, out):
    d_size = weight.shape[1]
    for e in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        i, d = e // d_size, e % d_size
        out[i, d] = weight[indices[i], d]


@cuda.jit
def embedding_backward_kernel(grad, indices, padding_idx, dweight):
    d_size = grad.shape[1]
    for e in range(cuda.grid(1), grad.size, cuda.gridsize(1)):
        i, d = e // d_size, e % d_size
        v = indices[i]
        if v != padding_idx:
            cuda.atomic.add(dweight, (v, d), grad[i, d])


# ---------------------------------------------------------------------------
# Launchers
# ---------------------------------------------------------------------------
def _check_indices(indices, num_embeddings):
    if indices.ndim != 1:
        raise ValueError(f"indices must be 1-D; got shape {tuple(indices.shape)}. Flatten them first.")
    xp = array_module(indices)
    indices = contiguous(indices, dtype=np.int64)
    if indices.size and bool(xp.any((indices < 0) | (indices >= num_embeddings))):
        bad = int(indices[xp.nonzero((indices < 0) | (indices >= num_embeddings))[0][0]])
        raise IndexError(f"index {bad} is out of range for an embedding table of {num_embeddings} rows.")
    return indices


def embedding_forward(weight, indices):
    """Gather rows: weight (V, D), indices (N,) -> (N, D)."""
    if weight.ndim != 2:
        raise ValueError(f"weight must be 2-D (num_embeddings, dim); got shape {tuple(weight.shape)}.")
    check_float_dtype("weight", weight)
    weight = contiguous(weight)
    indices = _check_indices(indices, weight.shape[0])
    out = array_module(weight).empty((indices.shape[0], weight.shape[1]), dtype=weight.dtype)
    if out.size > 0:
        blocks, threads = elementwise_launch(out.size)
        embedding_forward_kernel[blocks, threads](weight, indices, out)
    return out


def embedding_backward(grad, indices, num_embeddings, padding_idx=-1):
    """Scatter-add grad (N, D) into dweight (num_embeddings, D); padding_idx rows get nothing.

    A negative padding_idx (the default -1) or None means "no padding row".  PyTorch also
    accepts negative padding_idx counting from the end (-1 = last row): the caller must turn
    such a value into num_embeddings + padding_idx before calling this.
    """
    if grad.ndim != 2:
        raise ValueError(f"grad must be 2-D (N, dim); got shape {tuple(grad.shape)}.")
    check_float_dtype("grad", grad)
    grad = contiguous(grad)
    indices = _check_indices(indices, num_embeddings)
    if indices.shape[0] != grad.shape[0]:
        raise ValueError(f"grad has {grad.shape[0]} rows but there are {indices.shape[0]} indices.")
    padding_idx = -1 if padding_idx is None else int(padding_idx)
    dweight = array_module(grad).zeros((num_embeddings, grad.shape[1]), dtype=grad.dtype)
    if grad.size > 0:
        blocks, threads = elementwise_launch(grad.size)
        embedding_backward_kernel[blocks, threads](grad, indices, padding_idx, dweight)
    return dweight


# ---------------------------------------------------------------------------
# NumPy references
# ---------------------------------------------------------------------------
def embedding_forward_reference(weight, indices):
    return weight[indices]


def embedding_backward_reference(grad, indices, num_embeddings, padding_idx=-1):
    dweight = np.zeros((num_embeddings, grad.shape[1]), dtype=grad.dtype)
    keep = indices != padding_idx
    np.add.at(dweight, indices[keep], grad[keep])  # unbuffered: repeated indices all add up
    return dweight
