"""``minigrad.distributed``: several processes training one model, as ``torch.distributed``, on MPI.

    mpiexec -n 2 python train.py            # two copies of train.py, rank 0 and rank 1

    import minigrad.distributed as dist
    dist.init_process_group(backend="mpi")  # rank and world size come from mpiexec
    dist.get_rank(), dist.get_world_size()  # (0, 2) in one process, (1, 2) in the other
    dist.all_reduce(t, op=dist.ReduceOp.AVG)   # t becomes the mean of every rank's t, in place

*Data parallelism*: each rank holds the whole model and computes the gradient on its own share of
every batch; averaging those gradients across ranks gives the gradient of the whole batch (the mean
of the shards' means, for equal shards), so every rank takes the same optimizer step and the copies
stay identical.  ``nn.parallel.DistributedDataParallel`` does the averaging after ``backward()``;
``utils.data.DistributedSampler`` gives each rank its share of a dataset.  Lesson 16 derives it.

The pieces, one per file:

* ``launch.py``         finding the ``mpiexec`` that belongs to the MPI library mpi4py loads;
* ``process_group.py``  ``init_process_group`` and friends; which transport each device's tensors use;
* ``collectives.py``    ``all_reduce``, ``broadcast``, ``all_gather``, ``barrier`` (+ raw-array versions);
* ``nccl.py``           the NCCL transport for ``cuda`` tensors (``cupy.cuda.nccl``).

MPI comes from ``pip install 'minigrad[distributed]'`` (mpi4py and the ``mpich`` wheel): nothing
to compile, no system MPI.  Without it, ``init_process_group`` raises one error saying so.
"""
from .collectives import (ReduceOp, Work, all_gather, all_gather_object, all_reduce, barrier, broadcast,
                          broadcast_object_list)
from .launch import find_mpiexec, mpiexec_command
from .process_group import (destroy_process_group, get_backend, get_rank, get_world_size, init_process_group,
                            is_available, is_initialized, is_mpi_available, is_nccl_available, transport_report)

__all__ = [
    "init_process_group", "destroy_process_group", "is_initialized", "is_available", "is_mpi_available",
    "is_nccl_available", "get_rank", "get_world_size", "get_backend", "transport_report",
    "ReduceOp", "Work", "all_reduce", "broadcast", "all_gather", "all_gather_object", "broadcast_object_list",
    "barrier", "find_mpiexec", "mpiexec_command",
]
