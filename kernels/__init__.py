"""Hand-written Numba CUDA kernels for minigrad's GPU backend, one file per family.

Each file reads top to bottom: the formula and its derivative, how threads and
blocks map onto the data, the ``@cuda.jit`` kernels, the launcher that picks
the grid and allocates outputs, and a plain NumPy ``*_reference`` the tests
compare with.  On a machine without a GPU the tests run them on Numba's CUDA
simulator (``NUMBA_ENABLE_CUDASIM=1``).

Suggested reading order:

    activations.py  elementwise kernels, the grid-stride loop, a stable sigmoid, GELU's derivative
    reduce.py       one block per row and the shared-memory tree reduction (block_sum / block_max)
    softmax.py      row kernels built on those reductions; backward of softmax and log-softmax
    losses.py       fused forward+backward losses: cross-entropy (label smoothing), MSE, hinge, multi-margin
    layernorm.py    two reductions per row, and a second kernel for the parameter gradients
    embedding.py    gather forward, scatter-add backward with atomics
    matmul.py       a ladder of matmuls: naive -> shared-memory tiles -> register blocking -> cuBLAS
    optim.py        SGD and Adam/AdamW updates fused into one in-place kernel per parameter
    conv.py         im2col / col2im (gather, no atomics) and a direct convolution: the conv ladder
    pool.py         max pooling; its backward as atomics (naive) or a deterministic gather
    batchnorm.py    batch norm, naive (a thread per channel) and fused (a block per channel)
    _arrays.py      small helpers: NumPy or CuPy, contiguity, launch sizes

Nothing is imported here on purpose: ``import kernels`` does not import
``numba.cuda``.  Import a submodule (``from kernels import softmax``) once the
decision between a real GPU and the simulator has been made.
"""
