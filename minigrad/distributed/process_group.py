"""The process group: which processes train together, who is who, and how their tensors travel.

``init_process_group(backend="mpi")`` joins the processes that one ``mpiexec -n N`` started:
MPI numbers them 0..N-1 (the *rank*) and N is the *world size*.  Every later collective
(``all_reduce``, ``broadcast``, ...) is called by every rank, in the same order: a rank that skips
one leaves the others waiting forever.

How a tensor travels depends on where it lives (``choose_transport``):

* ``cpu`` and ``cudasim`` tensors are NumPy arrays: MPI moves them directly;
* ``cuda`` tensors go through NCCL (``cupy.cuda.nccl``: GPU to GPU, no host copy) when CuPy has NCCL
  and every rank has a GPU of its own (NCCL refuses two ranks on one GPU); otherwise they are
  copied to the host, moved by MPI, and copied back.

The choice is made once, at ``init_process_group``, identically on every rank.
"""
from __future__ import annotations

import os
import socket

from .launch import INSTALL_HINT, find_mpiexec

BACKENDS = ("mpi", "nccl")

#: Environment variables that launchers other than this MPI's mpiexec set: (variable, who sets it).
FOREIGN_LAUNCHERS = (
    ("OMPI_COMM_WORLD_SIZE", "Open MPI's mpirun/mpiexec"),
    ("MV2_COMM_WORLD_SIZE", "MVAPICH's launcher"),
    ("PMI_SIZE", "an mpiexec of another MPI installation"),
    ("WORLD_SIZE", "torchrun (PyTorch's launcher, which starts processes without MPI)"),
)


def load_mpi():
    """``mpi4py.MPI``, or a RuntimeError that says how to install it (importing it starts MPI)."""
    try:
        from mpi4py import MPI
    except ImportError:
        raise RuntimeError(f"minigrad.distributed needs MPI, and mpi4py is not installed: {INSTALL_HINT}") from None
    except RuntimeError as error:   # mpi4py is there, but found no MPI library to load
        first = str(error).strip().splitlines()[0] if str(error).strip() else "no MPI library"
        raise RuntimeError(f"minigrad.distributed needs MPI: mpi4py is installed but could not load an MPI library "
                           f"({first}); {INSTALL_HINT}") from None
    return MPI


def is_mpi_available() -> bool:
    """True when mpi4py and an MPI library load (this starts MPI in this process)."""
    try:
        load_mpi()
    except RuntimeError:
        return False
    return True


def check_launcher(mpi_world_size: int, environ=None) -> None:
    """Refuse a run whose launcher started several processes that MPI cannot connect.

    A launcher that is not this MPI's mpiexec still tells each process how many were started (in
    its own environment variable); MPI then sees a world of 1 in every one of them, and each would
    train alone on the whole data, silently.
    """
    environ = os.environ if environ is None else environ
    if mpi_world_size != 1:
        return
    for variable, launcher in FOREIGN_LAUNCHERS:
        value = environ.get(variable, "")
        if value.isdigit() and int(value) > 1:
            mpiexec = find_mpiexec() or "mpiexec"
            raise RuntimeError(
                f"this process was started by {launcher} as one of {value} processes ({variable}={value}), but MPI "
                f"sees a world of 1 process: that launcher cannot connect processes of the MPI that mpi4py loaded. "
                f"Launch with that MPI's own launcher: {mpiexec} -n {value} python ...")


def choose_transport(device: str, nccl_available: bool, gpus: list | None) -> tuple[str, str]:
    """How tensors on ``device`` travel: ("nccl" or "mpi", why).

    ``gpus`` holds each rank's GPU identity (host name, PCI bus id), or None where a rank has none.
    """
    if device != "cuda":
        return "mpi", f"{device} tensors are NumPy arrays: MPI sends them as they are"
    if not nccl_available:
        return "mpi", "cuda tensors are copied to the host for MPI: CuPy has no NCCL (pip install nvidia-nccl-cu12)"
    if gpus is None or any(gpu is None for gpu in gpus):
        return "mpi", "cuda tensors are copied to the host for MPI: not every rank has a GPU"
    if len(set(gpus)) < len(gpus):
        return "mpi", ("cuda tensors are copied to the host for MPI: several ranks share one GPU, which NCCL refuses "
                       "(give each rank its own GPU, e.g. with CUDA_VISIBLE_DEVICES)")
    return "nccl", "cuda tensors go GPU to GPU through NCCL (cupy.cuda.nccl)"


def _nccl_available() -> bool:
    try:
        from cupy.cuda import nccl
    except Exception:
        return False
    return bool(getattr(nccl, "available", False))


def _this_gpu():
    """(host name, PCI bus id) of the GPU this process uses, or None without one."""
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None
        return socket.gethostname(), cupy.cuda.Device().pci_bus_id
    except Exception:
        return None


class ProcessGroup:
    """All the processes of one launch (MPI's ``COMM_WORLD``, duplicated so that minigrad's messages
    never mix with other MPI code in the same program)."""

    def __init__(self, MPI, backend: str):
        self.MPI = MPI
        self.comm = MPI.COMM_WORLD.Dup()
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self.backend = backend
        self.nccl = None  # the NCCL communicator, made by the first collective on a cuda tensor
        import minigrad as mg

        gpus = self.comm.allgather(_this_gpu() if mg.cuda.is_available() else None)
        self.transports = {device: choose_transport(device, _nccl_available(), gpus)
                           for device in ("cpu", "cudasim", "cuda")}
        if backend == "nccl" and self.transports["cuda"][0] != "nccl":
            raise RuntimeError(f"init_process_group(backend='nccl'): NCCL cannot be used here: "
                               f"{self.transports['cuda'][1]}; use backend='mpi'")

    def transport(self, device) -> str:
        return self.transports[str(device)][0]

    def nccl_communicator(self):
        if self.nccl is None:
            from .nccl import NcclCommunicator
            self.nccl = NcclCommunicator(self.comm, self.rank, self.size)
        return self.nccl

    def free(self):
        self.nccl = None
        self.comm.Free()


_group: ProcessGroup | None = None


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None) -> None:
    """Join the processes started by ``mpiexec -n N``: afterwards ``get_rank()`` is this process's
    number (0..N-1) and ``get_world_size()`` is N.

    ``backend``: "mpi" (the default: cuda tensors use NCCL where it works, else host copies) or
    "nccl" (cuda tensors must use NCCL).  Rank and world size come from the launcher; passing them
    is allowed only if they agree.  Raises RuntimeError, saying what to do, when MPI is not
    installed or the launcher is not MPI's.
    """
    global _group
    if _group is not None:
        raise RuntimeError("trying to initialize the default process group twice! (call destroy_process_group() "
                           "first)")
    if backend is None:
        backend = "mpi"
    backend = str(backend).lower()
    if backend not in BACKENDS:
        raise ValueError(f"init_process_group(backend={backend!r}): minigrad runs on MPI; use backend='mpi' "
                         "(or 'nccl' to require NCCL for cuda tensors)")
    if init_method not in (None, "env://") or store is not None:
        raise ValueError("init_process_group: with MPI the launcher (mpiexec) connects the processes; "
                         "leave init_method and store unset")
    MPI = load_mpi()
    mpi_size, mpi_rank = MPI.COMM_WORLD.Get_size(), MPI.COMM_WORLD.Get_rank()
    check_launcher(mpi_size)
    if world_size not in (-1, None) and int(world_size) != mpi_size:
        raise ValueError(f"init_process_group(world_size={world_size}): mpiexec started {mpi_size} process(es); "
                         f"launch with mpiexec -n {world_size}, or leave world_size out")
    if rank not in (-1, None) and int(rank) != mpi_rank:
        raise ValueError(f"init_process_group(rank={rank}): MPI numbered this process {mpi_rank}; leave rank out")
    _group = ProcessGroup(MPI, backend)


def destroy_process_group(group=None) -> None:
    """Leave the group (MPI itself stays up until the program ends, so a new group can be made)."""
    global _group
    if _group is not None:
        _group.free()
    _group = None


def is_available() -> bool:
    """True: the distributed package is part of minigrad (whether MPI is installed: ``is_mpi_available``)."""
    return True


def is_initialized() -> bool:
    return _group is not None


def is_nccl_available() -> bool:
    """True when CuPy can load NCCL (it still needs one GPU per rank)."""
    return _nccl_available()


def default_group(group=None) -> ProcessGroup:
    if group is not None and group is not _group:
        raise ValueError("minigrad has one process group, the default one: pass group=None")
    if _group is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group() (and launch with mpiexec -n N python ...).")
    return _group


def get_rank(group=None) -> int:
    return default_group(group).rank


def get_world_size(group=None) -> int:
    return default_group(group).size


def get_backend(group=None) -> str:
    return default_group(group).backend


def transport_report(group=None) -> dict:
    """For each device: how its tensors travel and why (what ``choose_transport`` decided)."""
    return {device: {"transport": how, "why": why} for device, (how, why) in default_group(group).transports.items()}
