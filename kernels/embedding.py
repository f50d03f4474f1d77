r"""Embedding lookup (a gather) and its backward (a sum over the positions of each token).

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
forward: one thread per element (i, d) of the (N, D) output, a grid-stride loop
over the flattened index e = i * D + d (neighbouring threads, neighbouring d:
coalesced).

backward: two positions i and i' can hold the same token, and a thread per
(i, d) doing ``dweight[idx[i], d] += grad[i, d]`` would race with the other.
The textbook fix is an atomic add; this file does not use one, for two reasons:

* float atomics add in whatever order the threads arrive, so the last bits of
  dweight change from run to run (a training run could not be repeated exactly);
* on the GPU a float32 atomic add to global memory flushes subnormal results
  (|x| < 1.2e-38) to zero -- ``RED.E.ADD.F32.FTZ.RN`` in the machine code
  (``python -m kernels.sass`` counts these) -- while NumPy keeps them.

Instead the positions are grouped by token first (a stable sort of the indices,
``argsort``: NumPy on the simulator, CuPy's CUB radix sort on a GPU), and one
thread per (token, d) adds that token's gradient rows *in position order*:

    idx      = [3, 1, 3, 0, 1]                sorted positions: order = [3, 1, 4, 0, 2]
    tokens   = [0, 1, 3]                       segment starts    = [0, 1, 3, 5]
    thread (token 3, d):  dweight[3, d] = grad[0, d] + grad[2, d]     (positions 0 and 2, in order)

Every sum has a fixed order (the same bits every run, the same order as the CPU's
``np.add.at``), and plain adds keep subnormals.  The price: a frequent token's
thread walks a long segment alone; for the vocabularies and batches of this course
that is a few hundred additions.
"""
import numpy as np
from numba import cuda

from kernels._arrays import array_module, check_float_dtype, contiguous, elementwise_launch
from kernels._launch import INDICES, KernelLaunch, launch, matrix


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
def embedding_backward_kernel(grad, order, segment_starts, tokens, padding_idx, dweight):
    """Thread (s, d): dweight[tokens[s], d] = sum of grad[order[k], d] over segment s, in order."""
    d_size = grad.shape[1]
    for e in range(cuda.grid(1), tokens.size * d_size, cuda.gridsize(1)):
        s, d = e // d_size, e % d_size
        token = tokens[s]
        if token != padding_idx:
            total = grad.dtype.type(0)
            for k in range(segment_starts[s], segment_starts[s + 1]):
                total += grad[order[k], d]
            dweight[token, d] = total


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
        launch(embedding_forward_kernel, *elementwise_launch(out.size), weight, indices, out)
    return out


def group_by_token(indices):
    """(order, segment_starts, tokens): the positions sorted by token, and where each token's run starts.

    ``indices[order]`` is sorted (stably: equal tokens keep their position order); token
    ``tokens[s]`` occupies ``order[segment_starts[s]:segment_starts[s + 1]]``.
    """
    xp = array_module(indices)
    order = xp.argsort(indices, kind="stable")
    ordered = indices[order]
    starts = xp.flatnonzero(xp.concatenate([xp.ones(1, dtype=bool), ordered[1:] != ordered[:-1]]))
    segment_starts = xp.concatenate([starts, xp.asarray([indices.size])]).astype(np.int64)
    return order.astype(np.int64), segment_starts, xp.ascontiguousarray(ordered[starts])


def embedding_backward(grad, indices, num_embeddings, padding_idx=-1):
    """Sum grad (N, D) into dweight (num_embeddings, D) by token; padding_idx rows get nothing.

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
        order, segment_starts, tokens = group_by_token(indices)
        launch(embedding_backward_kernel, *elementwise_launch(tokens.size * grad.shape[1]), grad, order,
               segment_starts, tokens, padding_idx, dweight)
    return dweight


def kernel_launches(dtype):
    """Every kernel of this file and the biggest launch its launcher can choose (see kernels/sass.py)."""
    m = matrix(dtype)
    threads = elementwise_launch(1 << 30)[1]
    return [
        KernelLaunch(embedding_forward_kernel, f"({m}, {INDICES}, {m})", threads),
        KernelLaunch(embedding_backward_kernel, f"({m}, {INDICES}, {INDICES}, {INDICES}, int64, {m})", threads),
    ]
