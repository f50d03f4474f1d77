"""Limit the number of threads NumPy's BLAS (OpenBLAS) uses for matrix products.

Why: this model's matrices are small (e.g. 1536 x 64 times 64 x 192).  Splitting such a product
over threads saves little, and when the machine is busy a BLAS thread that has to wait for a free
core stalls every matmul: on a loaded 2-core machine we measured 16 ms per product with OpenBLAS'
default threads against 0.7 ms with one thread.  The usual fix is the environment variable
``OPENBLAS_NUM_THREADS=1``, but it only works if set *before* NumPy is imported; this function
changes the setting afterwards by calling OpenBLAS' own ``set_num_threads`` through ctypes.

Best effort: if NumPy's BLAS is not an OpenBLAS we can find, nothing happens and ``False`` is returned.
"""
from __future__ import annotations

import ctypes
import glob
import os

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads_64_",
            "openblas_set_num_threads64_", "openblas_set_num_threads")


def _openblas_libraries():
    import numpy

    folder = os.path.dirname(numpy.__file__)
    patterns = [os.path.join(folder, os.pardir, "numpy.libs", "*openblas*"), os.path.join(folder, ".dylibs", "*openblas*")]
    found = [path for pattern in patterns for path in glob.glob(pattern)]
    try:  # Linux: any OpenBLAS already mapped into this process
        with open("/proc/self/maps") as maps:
            found += sorted({line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line})
    except OSError:
        pass
    return found


def set_blas_threads(count: int) -> bool:
    """Ask OpenBLAS to use ``count`` threads; ``True`` if an OpenBLAS was found and told."""
    for path in _openblas_libraries():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _SETTERS:
            setter = getattr(library, name, None)
            if setter is not None:
                setter(ctypes.c_int(int(count)))
                return True
    return False
