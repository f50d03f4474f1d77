"""Launching a kernel: the GPU's limits, CuPy's stream, and no host synchronisation.

Every launcher in this package ends with one call::

    launch(kernel, grid, block, arg1, arg2, ..., shared_bytes=...)

instead of Numba's ``kernel[grid, block, stream, shared_bytes](arg1, arg2, ...)``.  It does
three things a bare launch gets wrong:

1. **It checks the launch against the hardware** before the GPU sees it.  A block has at most
   1024 threads; a grid at most 2**31 - 1 blocks along x but only 65,535 along y and z; a
   block gets 48 KiB of shared memory unless it opts in to more.  A launch over a limit fails
   on the GPU with an opaque driver error (and the simulator would not notice at all), so
   here it raises a ValueError that names the limit.

2. **It launches on CuPy's current stream.**  CuPy queues its own work (the glue between the
   kernels: reshapes, additions, copies) on ``cupy.cuda.get_current_stream()``; the kernel
   goes on that same stream, so it runs after the CuPy work before it and before the CuPy
   work after it, with no waiting in between.

3. **It asks for no host synchronisation.**  Given a CuPy array, Numba reads it through the
   ``__cuda_array_interface__``, which names the stream the array was last used on, and by
   default Numba makes the *host* wait for that stream to finish before every launch
   (``NUMBA_CUDA_ARRAY_INTERFACE_SYNC=1``).  That wait is only needed when the kernel runs on
   another stream; ours runs on the same one.  So each CuPy argument is wrapped with
   ``cuda.as_cuda_array(x, sync=False)``: a view of the same GPU memory, without the wait.
   Small ops then queue up back to back instead of paying a round trip each.

Under the simulator the arguments are NumPy arrays and there are no streams: the kernel runs
at once, on the CPU, with stream 0.

``KernelLaunch`` records, for the machine-code check (``python -m kernels.sass``), the biggest
launch each launcher can choose; ``max_threads_for_registers`` is the register arithmetic
that decides whether such a block fits on the chip.
"""
import sys
from dataclasses import dataclass

from numba import cuda

#: Threads in one block (every NVIDIA GPU since compute capability 2.0).
MAX_THREADS_PER_BLOCK = 1024
#: Threads along each axis of a block.
MAX_BLOCK_DIM = (1024, 1024, 64)
#: Blocks along each axis of a grid.
MAX_GRID_DIM = (2**31 - 1, 65535, 65535)
#: 32-bit registers one block may use (64 K on every GPU since compute capability 5.0).
REGISTERS_PER_BLOCK = 65536
#: Registers are handed out per warp, in units of 256 (8 per thread).
REGISTERS_PER_THREAD_UNIT = 8
WARP_SIZE = 32
#: Shared memory a block may use without opting in to more (static + dynamic).
MAX_SHARED_BYTES_PER_BLOCK = 48 * 1024


def max_threads_for_registers(registers_per_thread):
    """The largest block whose threads all get their registers: a whole number of warps.

    A warp of 32 threads takes ``32 * registers`` registers, rounded up to a multiple of 256;
    the block's warps together may use at most 65,536.  Example: 72 registers per thread ->
    2,304 per warp -> 28 warps -> 896 threads, so a launch of 1024 threads fails.
    """
    per_thread = -(-registers_per_thread // REGISTERS_PER_THREAD_UNIT) * REGISTERS_PER_THREAD_UNIT
    warps = REGISTERS_PER_BLOCK // (WARP_SIZE * max(per_thread, REGISTERS_PER_THREAD_UNIT))
    return min(MAX_THREADS_PER_BLOCK, warps * WARP_SIZE)


def grid_pieces(blocks_needed, axis):
    """[(first block, blocks), ...]: ``blocks_needed`` blocks along ``axis`` (0 = x, 1 = y, 2 = z)
    cut into pieces the GPU can launch, at most MAX_GRID_DIM[axis] blocks each.

    The launcher launches once per piece and passes ``first`` to the kernel, which adds it to
    its ``blockIdx``.  (The alternative, a loop over block indices inside the kernel, costs the
    register-blocked matmul 30 more registers per thread; see kernels/SASS.md.)
    """
    limit = MAX_GRID_DIM[axis]
    return [(first, min(limit, blocks_needed - first)) for first in range(0, blocks_needed, limit)]


def _as_dim3(dims):
    dims = (dims,) if isinstance(dims, int) else tuple(int(d) for d in dims)
    return dims + (1,) * (3 - len(dims))


def check_launch(grid, block, shared_bytes=0):
    """Raise a ValueError naming the limit when a launch could not run on the GPU."""
    grid, block = _as_dim3(grid), _as_dim3(block)
    threads = block[0] * block[1] * block[2]
    if threads < 1 or threads > MAX_THREADS_PER_BLOCK or any(b > m for b, m in zip(block, MAX_BLOCK_DIM)):
        raise ValueError(f"block {block} has {threads} threads; a block holds 1 to {MAX_THREADS_PER_BLOCK} "
                         f"threads with at most {MAX_BLOCK_DIM} along (x, y, z).")
    for axis, (blocks, limit) in enumerate(zip(grid, MAX_GRID_DIM)):
        if blocks < 1 or blocks > limit:
            raise ValueError(f"grid {grid} asks for {blocks} blocks along {'xyz'[axis]}; the GPU allows 1 to "
                             f"{limit}. Launch it in pieces: see grid_pieces().")
    if shared_bytes > MAX_SHARED_BYTES_PER_BLOCK:
        raise ValueError(f"{shared_bytes} bytes of shared memory per block; the limit is "
                         f"{MAX_SHARED_BYTES_PER_BLOCK} (48 KiB). Use a smaller block.")


def launch(kernel, grid, block, *args, shared_bytes=0):
    """Check the launch, then run ``kernel`` on CuPy's current stream without a host sync."""
    check_launch(grid, block, shared_bytes)
    stream, args = stream_and_arguments(args)
    kernel[grid, block, stream, shared_bytes](*args)


def stream_and_arguments(args):
    """(stream, arguments) for a launch: CuPy's current stream and sync-free views of CuPy arrays.

    NumPy arrays (the simulator) and scalars pass through unchanged, on stream 0.
    """
    cupy = sys.modules.get("cupy")
    if cupy is None or not any(isinstance(a, cupy.ndarray) for a in args):
        return 0, args
    views = tuple(cuda.as_cuda_array(a, sync=False) if isinstance(a, cupy.ndarray) else a for a in args)
    return _numba_stream(cupy.cuda.get_current_stream().ptr), views


_external_streams = {}


def _numba_stream(pointer):
    """Numba's handle for the CUDA stream at ``pointer`` (0: the default stream)."""
    if pointer == 0:
        return 0
    stream = _external_streams.get(pointer)
    if stream is None:
        stream = _external_streams[pointer] = cuda.external_stream(pointer)
    return stream


# ---------------------------------------------------------------------------
# What each launcher can ask for, for the machine-code check in kernels/sass.py
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class KernelLaunch:
    """One kernel, its argument types for one dtype, and the biggest launch its launcher chooses.

    ``max_threads`` is the largest block the launcher can pick (threads in all axes together);
    ``dynamic_shared_bytes`` the dynamic shared memory it asks for at that block size.  The
    check compiles ``kernel`` for ``signature`` to sm_90 machine code and fails when the
    kernel's registers do not allow ``max_threads``, when shared memory would not fit, or when
    it spills registers to memory.
    """

    kernel: object
    signature: str
    max_threads: int
    dynamic_shared_bytes: int = 0

    @property
    def name(self):
        return self.kernel.py_func.__name__


def vector(dtype):
    """Numba's type string of a contiguous 1-D array of ``dtype``."""
    return f"{dtype}[::1]"


def matrix(dtype):
    """Numba's type string of a C-contiguous 2-D array of ``dtype``."""
    return f"{dtype}[:, ::1]"


def batch_of_matrices(dtype):
    """Numba's type string of a C-contiguous 3-D array of ``dtype``."""
    return f"{dtype}[:, :, ::1]"


INDICES = "int64[::1]"
