"""Collectives: operations that every rank calls together, as in ``torch.distributed``.

    all_reduce(t, op)      every rank's t becomes op(t on rank 0, t on rank 1, ...)      (in place)
    broadcast(t, src)      every rank's t becomes rank src's t                            (in place)
    all_gather(list, t)    list[i] becomes rank i's t, on every rank
    barrier()              wait until every rank has arrived

``ReduceOp.AVG`` is SUM followed by a division by the world size, the same on every transport.
Tensors change *in place* (their version counter goes up, as for any in-place op).  The raw-array
versions (``all_reduce_array`` ...) are what ``DistributedDataParallel`` uses on its flat buckets.

The operations here are blocking: when the call returns, the result is there.  ``async_op=True``
is accepted and returns a ``Work`` that is already complete.
"""
from __future__ import annotations

from enum import Enum

import numpy as np

from minigrad import dtypes
from minigrad.autograd import no_grad
from minigrad.tensor import Tensor

from .process_group import default_group


class ReduceOp(Enum):
    SUM = "sum"
    AVG = "avg"
    MAX = "max"
    MIN = "min"
    PRODUCT = "product"


class Work:
    """What an ``async_op=True`` collective returns; minigrad's collectives finish before returning."""

    def wait(self, timeout=None):
        return True

    def is_completed(self):
        return True


def _mpi_op(MPI, op):
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.MAX: MPI.MAX, ReduceOp.MIN: MPI.MIN,
            ReduceOp.PRODUCT: MPI.PROD}[op]


def _check_op(op, dtype):
    if not isinstance(op, ReduceOp):
        raise TypeError(f"op must be a ReduceOp (ReduceOp.SUM, AVG, MAX, MIN, PRODUCT), got {op!r}")
    if op is ReduceOp.AVG and np.dtype(dtype).kind != "f":
        raise TypeError(f"ReduceOp.AVG needs a floating-point tensor (got {np.dtype(dtype)}): reduce with SUM "
                        "and divide, or convert it with .float() first")


def _host_buffer(array):
    """A contiguous NumPy buffer MPI can send (``array`` itself when it already is one): float16 travels as
    float32 and bool as uint8 (MPI has no half floats or bools)."""
    if not isinstance(array, np.ndarray):       # a CuPy array without NCCL: copy it to the host
        array = array.get()
    if array.dtype == np.float16:
        return array.astype(np.float32)
    if array.dtype == np.bool_:
        return array.astype(np.uint8)
    return np.ascontiguousarray(array)


def _like(host, array):
    """``host`` (a NumPy result) back in ``array``'s dtype and on its device."""
    host = host.astype(array.dtype, copy=False)
    if isinstance(array, np.ndarray):
        return host
    import cupy
    return cupy.asarray(host)


# ------------------------------------------------------------------ on raw arrays
def all_reduce_array(array, op=ReduceOp.SUM, device="cpu", group=None, in_place=False):
    """op over the ranks of a raw NumPy/CuPy array; returns the result as a new array, or, with
    ``in_place=True`` and a contiguous NumPy array MPI can send as it is, in ``array`` itself (no new
    memory: what DDP does with its bucket buffers, and what ``bandwidth.py`` measures)."""
    group = default_group(group)
    _check_op(op, array.dtype)
    if group.transport(device) == "nccl":
        result = group.nccl_communicator().all_reduce(array, op)     # AVG arrives as the SUM
        if op is ReduceOp.AVG:
            result /= group.size
        return result
    buffer = _host_buffer(array)
    if in_place and buffer is array:
        group.comm.Allreduce(group.MPI.IN_PLACE, array, op=_mpi_op(group.MPI, op))
        if op is ReduceOp.AVG:
            array /= group.size
        return array
    result = np.empty_like(buffer)
    group.comm.Allreduce(buffer, result, op=_mpi_op(group.MPI, op))
    if op is ReduceOp.AVG:
        result /= group.size
    return _like(result, array)


def broadcast_array(array, src=0, device="cpu", group=None):
    group = default_group(group)
    if group.transport(device) == "nccl":
        return group.nccl_communicator().broadcast(array, src)
    buffer = _host_buffer(array).copy()   # Bcast writes into its buffer: never into the caller's array
    group.comm.Bcast(buffer, root=src)
    return _like(buffer, array)


def all_gather_array(array, device="cpu", group=None):
    """Every rank's ``array`` stacked along a new first axis: shape (world size, *array.shape)."""
    group = default_group(group)
    if group.transport(device) == "nccl":
        return group.nccl_communicator().all_gather(array)
    buffer = _host_buffer(array)
    gathered = np.empty((group.size, *buffer.shape), dtype=buffer.dtype)
    group.comm.Allgather(buffer, gathered)
    return _like(gathered, array)


# ------------------------------------------------------------------ on tensors (torch.distributed)
def _check_tensor(tensor, what):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what} expects a Tensor, got {type(tensor).__name__}")


def _write(tensor, array):
    with no_grad():
        tensor.copy_(Tensor._wrap(array, tensor.device, False))


def _check_root(src, group, what):
    if not isinstance(src, (int, np.integer)) or not 0 <= src < group.size:
        raise ValueError(f"{what}: src={src!r} is not a rank (ranks are 0..{group.size - 1})")


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Replace ``tensor`` on every rank by ``op`` over all ranks' values, in place."""
    _check_tensor(tensor, "all_reduce")
    _write(tensor, all_reduce_array(tensor._array, op, tensor.device, group))
    return Work() if async_op else None


def broadcast(tensor, src=0, group=None, async_op=False):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank, in place."""
    _check_tensor(tensor, "broadcast")
    _check_root(src, default_group(group), "broadcast")
    _write(tensor, broadcast_array(tensor._array, src, tensor.device, group))
    return Work() if async_op else None


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[i]`` (world-size tensors of ``tensor``'s shape and dtype) with rank i's ``tensor``."""
    _check_tensor(tensor, "all_gather")
    size = default_group(group).size
    if len(tensor_list) != size or any(not isinstance(t, Tensor) or t.shape != tensor.shape
                                       or t.dtype != tensor.dtype for t in tensor_list):
        raise ValueError(f"all_gather: tensor_list must hold {size} tensors (one per rank) of the tensor's shape "
                         f"{tensor.shape} and dtype {dtypes.as_dtype(tensor.dtype)}, e.g. "
                         "[mg.zeros_like(t) for _ in range(dist.get_world_size())]")
    gathered = all_gather_array(tensor._array, tensor.device, group)
    for target, value in zip(tensor_list, gathered):
        _write(target, value)
    return Work() if async_op else None


def all_gather_object(object_list, obj, group=None):
    """``object_list[i]`` becomes rank i's ``obj`` (any picklable Python object)."""
    group = default_group(group)
    if len(object_list) != group.size:
        raise ValueError(f"all_gather_object: object_list must have {group.size} places (one per rank), "
                         f"e.g. [None] * dist.get_world_size()")
    object_list[:] = group.comm.allgather(obj)


def broadcast_object_list(object_list, src=0, group=None, device=None):
    """Every rank's ``object_list`` becomes rank ``src``'s (picklable objects)."""
    group = default_group(group)
    _check_root(src, group, "broadcast_object_list")
    object_list[:] = group.comm.bcast(list(object_list), root=src)


def barrier(group=None, async_op=False, device_ids=None):
    """Return only when every rank has called ``barrier()``."""
    default_group(group).comm.Barrier()
    return Work() if async_op else None
