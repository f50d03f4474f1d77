"""Starting several processes: finding the ``mpiexec`` that matches the MPI library ``mpi4py`` loads.

``mpiexec -n 2 python train.py`` starts two copies of ``train.py``; MPI gives each one its rank
(0 and 1) and lets them exchange arrays.  A launcher and the library must belong to the same MPI:
the ``mpich`` wheel (``pip install 'minigrad[distributed]'``) puts its ``mpiexec`` next to this
Python's scripts, and that is the one to use.  Another MPI's ``mpiexec`` (Open MPI's, say) starts
the processes but cannot introduce them to each other: each one sees a world of 1
(``process_group.check_launcher`` says so in one line).

The tests, the lesson and ``benchmarks/distributed.py`` launch their MPI runs through
``mpiexec_command``, so the search below is the one place that decides.
"""
from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

INSTALL_HINT = "pip install 'minigrad[distributed]'  (mpi4py and the MPICH wheel: no compiler or system MPI needed)"


def _wheel_mpiexec() -> Path | None:
    """The ``bin/mpiexec`` listed among the installed files of the ``mpich`` wheel, if it is installed."""
    from importlib import metadata

    try:
        files = metadata.files("mpich") or []
        distribution = metadata.distribution("mpich")
    except metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name == "mpiexec" and file.parent.name == "bin":
            path = Path(distribution.locate_file(file)).resolve()
            if path.is_file():
                return path
    return None


def find_mpiexec() -> str | None:
    """The path of the ``mpiexec`` to launch minigrad with, or None when there is none.

    In order: the ``mpich`` wheel's own (its installed-files list), the one in this Python's scripts
    folder (a virtual environment's ``bin/``), then the first on ``PATH``.
    """
    wheel = _wheel_mpiexec()
    if wheel is not None:
        return str(wheel)
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        candidate = Path(folder) / "mpiexec"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("mpiexec")


def mpiexec_command(processes: int, arguments: list[str]) -> list[str]:
    """``[mpiexec, -n, N, *arguments]``; raises RuntimeError (with the install command) without MPI."""
    mpiexec = find_mpiexec()
    if mpiexec is None:
        raise RuntimeError(f"no mpiexec found (looked in the mpich wheel, {sysconfig.get_path('scripts')} and PATH): "
                           + INSTALL_HINT)
    return [mpiexec, "-n", str(int(processes)), *arguments]


def single_threaded_environment(base: dict | None = None) -> dict:
    """The environment for launched ranks: one BLAS/OpenMP thread each, so that N ranks use N cores
    (N ranks that each start a thread per core fight over the cores and all get slower)."""
    env = dict(os.environ if base is None else base)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"
    return env
