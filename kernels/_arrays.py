"""Small helpers every launcher shares: which array module, contiguity, launch sizes.

The launchers in this package take arrays that already live "on the device":

* on a real GPU they are CuPy arrays (Numba reads them through the
  ``__cuda_array_interface__`` without copying);
* under Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) they are plain
  NumPy arrays, and the simulator runs each GPU thread as a Python thread.

A launcher allocates its outputs with the same array module as its input,
so a CuPy input gives CuPy outputs and a NumPy input gives NumPy outputs.
"""
import sys

import numpy as np


def array_module(x):
    """Return ``cupy`` if ``x`` is a CuPy array, else ``numpy``.

    CuPy is never imported here: if nobody has imported it yet, ``x`` cannot
    be a CuPy array, so looking in ``sys.modules`` is enough.
    """
    cupy = sys.modules.get("cupy")
    if cupy is not None and isinstance(x, cupy.ndarray):
        return cupy
    return np


def contiguous(x, dtype=None):
    """``x`` as a C-contiguous array of the same array module (a copy only if needed).

    Kernels index ``x[row, col]`` assuming row-major memory; the simulator and
    Numba's host-to-device transfer also refuse non-contiguous buffers.
    """
    xp = array_module(x)
    out = xp.ascontiguousarray(x, dtype=dtype)
    if xp is np and not out.flags.writeable:
        # The simulator copies every argument back to the host after a launch, so it needs
        # writeable arrays even for inputs: a read-only view (e.g. np.broadcast_to) is copied.
        out = out.copy()
    return out


def check_float_dtype(name, x):
    """Raise a clear error unless ``x`` holds float32 or float64 numbers."""
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"{name} has dtype {x.dtype}; the kernels support float32 and float64 only. "
            f"Convert it first, e.g. {name}.astype(numpy.float32)."
        )


#: Row kernels accept a block of 1 to MAX_BLOCK_SIZE threads (the largest block a GPU runs).
MAX_BLOCK_SIZE = 1024

#: Threads per block of the elementwise (grid-stride) kernels.
ELEMENTWISE_THREADS = 256


def check_block_size(block_size, max_block_size=MAX_BLOCK_SIZE):
    """Row kernels reduce with a tree that halves the block: it must be a power of two."""
    if block_size < 1 or block_size > max_block_size or block_size & (block_size - 1):
        raise ValueError(
            f"block_size={block_size}: use a power of two between 1 and {max_block_size} "
            "(the reductions halve the block at every step)."
        )


def scalar(dtype, value):
    """``value`` as a NumPy scalar of ``dtype``, for a kernel argument.

    Numba types a Python float argument as float64, and a float32 kernel would then do that
    part of its arithmetic in double precision; ``scalar(x.dtype, lr)`` passes a float32.
    """
    return np.dtype(dtype).type(value)


def elementwise_launch(n, threads_per_block=ELEMENTWISE_THREADS, max_blocks=4096):
    """Grid size for a grid-stride loop over ``n`` elements: (blocks, threads).

    Tiny arrays get a smaller block (rounded up to a warp of 32) so no block
    is mostly idle; big arrays are capped at ``max_blocks`` blocks and every
    thread then walks over several elements with the grid-stride loop.
    """
    threads = min(threads_per_block, max(32, (n + 31) // 32 * 32))
    blocks = min(max_blocks, max(1, (n + threads - 1) // threads))
    return blocks, threads
