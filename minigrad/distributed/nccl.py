"""NCCL for ``cuda`` tensors: GPU memory to GPU memory, without a copy through the host.

NCCL (NVIDIA's collective library, reached through ``cupy.cuda.nccl``) needs one GPU per rank and
a shared *unique id* to find its peers: rank 0 makes the id and MPI broadcasts it.  Every call is
queued on CuPy's current stream, the one minigrad's GPU work runs on, so it starts after the
kernels that produced the array and finishes before the ones that read the result.

``process_group.choose_transport`` decides when this is used.  (Not run in minigrad's CI, which has
no GPU; the selection logic is tested there.)
"""
from __future__ import annotations


def _nccl_dtype(nccl, dtype):
    import numpy as np

    codes = {np.dtype(np.float16): nccl.NCCL_FLOAT16, np.dtype(np.float32): nccl.NCCL_FLOAT32,
             np.dtype(np.float64): nccl.NCCL_FLOAT64, np.dtype(np.int8): nccl.NCCL_INT8,
             np.dtype(np.uint8): nccl.NCCL_UINT8, np.dtype(np.int32): nccl.NCCL_INT32,
             np.dtype(np.int64): nccl.NCCL_INT64}
    try:
        return codes[np.dtype(dtype)]
    except KeyError:
        raise TypeError(f"NCCL cannot reduce {np.dtype(dtype)} tensors; convert them first (e.g. .float())") from None


class NcclCommunicator:
    """One NCCL communicator over the same ranks as the MPI communicator ``comm``."""

    def __init__(self, comm, rank, size):
        from cupy.cuda import nccl

        self.nccl = nccl
        unique_id = nccl.get_unique_id() if rank == 0 else None
        unique_id = comm.bcast(unique_id, root=0)
        self.size = size
        self.comm = nccl.NcclCommunicator(size, unique_id, rank)

    def _op(self, op):
        from .collectives import ReduceOp

        nccl = self.nccl
        return {ReduceOp.SUM: nccl.NCCL_SUM, ReduceOp.AVG: nccl.NCCL_SUM, ReduceOp.MAX: nccl.NCCL_MAX,
                ReduceOp.MIN: nccl.NCCL_MIN, ReduceOp.PRODUCT: nccl.NCCL_PROD}[op]

    @staticmethod
    def _stream():
        import cupy
        return cupy.cuda.get_current_stream().ptr

    def all_reduce(self, array, op):
        """A new CuPy array: op over the ranks (AVG is returned as the SUM; the caller divides)."""
        import cupy

        source = cupy.ascontiguousarray(array)
        result = cupy.empty_like(source)
        self.comm.allReduce(source.data.ptr, result.data.ptr, source.size, _nccl_dtype(self.nccl, source.dtype),
                            self._op(op), self._stream())
        return result

    def broadcast(self, array, root):
        import cupy

        buffer = cupy.ascontiguousarray(array).copy()
        self.comm.bcast(buffer.data.ptr, buffer.size, _nccl_dtype(self.nccl, buffer.dtype), root, self._stream())
        return buffer

    def all_gather(self, array):
        import cupy

        source = cupy.ascontiguousarray(array)
        result = cupy.empty((self.size, *source.shape), dtype=source.dtype)
        self.comm.allGather(source.data.ptr, result.data.ptr, source.size, _nccl_dtype(self.nccl, source.dtype),
                            self._stream())
        return result
