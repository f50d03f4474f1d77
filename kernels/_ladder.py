"""What the ``python -m kernels.<family>`` runners of conv.py, pool.py and batchnorm.py share.

Each runner does what llm.c's ``dev/cuda`` mains do: check every version at every block size
against the reference on odd shapes, then time each one.  Under Numba's CUDA simulator only the
check means anything (the simulator runs every GPU thread as a Python thread), so timings are
printed only on a real GPU.
"""
import statistics
import time

import numpy as np
from numba import cuda
from numba.core import config

SIMULATED = bool(config.ENABLE_CUDASIM)


def where():
    """"cudasim" or "cuda": what the runner is running on."""
    return "cudasim" if SIMULATED else "cuda"


def on_device(array):
    """A NumPy array as the launchers want it: unchanged under the simulator, a CuPy array on a GPU."""
    if SIMULATED:
        return np.ascontiguousarray(array)
    import cupy
    return cupy.asarray(array)


def to_host(array):
    return array if isinstance(array, np.ndarray) else array.get()


def check(name, got, expected, dtype):
    """Print one validation line; raise if the kernel's result is off by more than the dtype allows."""
    got, expected = np.asarray(to_host(got), dtype=np.float64), np.asarray(expected, dtype=np.float64)
    tolerance = 1e-4 if np.dtype(dtype) == np.float32 else 1e-10
    error = float(np.max(np.abs(got - expected) / (np.abs(expected) + 1.0))) if got.size else 0.0
    print(f"  ok   {name:48s} max rel. error {error:.1e}")
    if got.shape != expected.shape or not error <= tolerance:
        raise AssertionError(f"{name}: shape {got.shape} vs {expected.shape}, error {error:.3g} > {tolerance}")


def median_seconds(launch, repeats=20):
    """Median wall time of ``launch()`` after two warm-up calls, synchronising the GPU around each."""
    for _ in range(2):
        launch()
    samples = []
    for _ in range(repeats):
        cuda.synchronize()
        start = time.perf_counter()
        launch()
        cuda.synchronize()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def report_time(name, seconds, bytes_moved):
    print(f"  {name:48s} {seconds * 1e6:9.1f} us   {bytes_moved / seconds / 1e9:7.1f} GB/s")
