"""Hand-written Numba CUDA kernels for minigrad's GPU backend, one file per family.

Each file reads top to bottom: the formula and its derivative, how threads and
blocks map onto the data, the ``@cuda.jit`` kernels, and the launcher that picks
the grid and allocates outputs.  Seven families are ladders in the manner of
llm.c's ``dev/cuda`` -- several versions of one kernel, naive first -- and run on
their own: ``python -m kernels.matmul`` (or softmax, layernorm, losses, conv,
pool, batchnorm) checks every version x block size against the CPU backend's
formula, the one NumPy reference of each course formula, and times them on a GPU.

On a machine without a GPU the tests run every kernel on Numba's CUDA simulator
(``NUMBA_ENABLE_CUDASIM=1``), and ``python -m kernels.sass`` compiles every kernel
to real sm_90 machine code and writes its resources to ``kernels/SASS.md``.

Suggested reading order:

    activations.py  elementwise kernels, the grid-stride loop, a stable sigmoid, GELU's derivative
    reduce.py       one block per row: the shared-memory tree and warp shuffles (block_sum / block_max)
    softmax.py      a ladder: naive -> fused one block per row -> online softmax with warp shuffles
    losses.py       fused forward+backward losses: a cross-entropy ladder (label smoothing), MSE, hinge, multi-margin
    layernorm.py    a ladder: naive -> fused two-pass -> one pass with Welford; then the parameter gradients
    embedding.py    gather forward; backward as a deterministic sum over sorted indices (no atomics)
    matmul.py       a ladder: naive -> shared-memory tiles -> register blocking -> cuBLAS
    quantized.py    the int8 linear layer: int8 products summed in int32 (naive -> int8 tiles, which the
                    compiler turns into dp4a), scaled back to floats in the store
    optim.py        SGD and Adam/AdamW updates fused into one in-place kernel per parameter
    conv.py         im2col / col2im (a gather, no atomics); a ladder: direct -> im2col + the matmul kernels
    pool.py         max pooling; a backward ladder: a thread per plane -> a gather per pixel (no atomics)
    batchnorm.py    a ladder, forward and backward: a thread per channel -> a block per channel
    _launch.py      every launch: the GPU's limits, CuPy's stream, no host synchronisation
    _arrays.py      small helpers: NumPy or CuPy, contiguity, launch sizes
    _versions.py    which version of a ladder the engine uses
    _ladder.py      the validate-then-time harness behind ``python -m kernels.<family>``
    _simulator.py   warp shuffles for the simulator, which lacks them
    sass.py         sm_90 machine code for every kernel: registers, spills, shared memory, fp64

Nothing is imported here on purpose: ``import kernels`` does not import
``numba.cuda``.  Import a submodule (``from kernels import softmax``) once the
decision between a real GPU and the simulator has been made -- minigrad's CUDA
backend makes it.  The one exception is ``python -m kernels.<family>`` run as a
script: then nobody has decided, so the lines below pick the simulator when no GPU
is there (while Python locates the module, ``sys.argv[0]`` is ``"-m"``).
"""
import os
import sys


def _use_the_simulator_without_a_gpu():
    if "numba.cuda" in sys.modules or "NUMBA_ENABLE_CUDASIM" in os.environ:
        return  # already decided
    try:
        import cupy

        has_gpu = cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no CuPy, or no driver / GPU
        has_gpu = False
    if not has_gpu:
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"


if sys.argv[:1] == ["-m"]:
    _use_the_simulator_without_a_gpu()
