"""Helpers shared by the kernel tests (a uniquely named module, importable as `kernel_testing`).

Every kernel is checked against ONE reference: the CPU backend's NumPy formula
(``minigrad.backends.numpy_backend.NumpyBackend``), evaluated in float64.
"""
import numpy as np

from minigrad.backends.numpy_backend import NumpyBackend

#: The CPU backend: the one NumPy formula of each course op, and so every kernel's oracle.
CPU = NumpyBackend()

#: Tolerances per dtype: a float32 kernel against the float64 formula, a float64 kernel summing
#: in another order than NumPy.
TOLERANCES = {
    np.float32: dict(rtol=2e-5, atol=2e-6),
    np.float64: dict(rtol=1e-12, atol=1e-12),
}


def reference(name, *args, **kwargs):
    """The CPU backend's ``name`` on float64 copies of the float arrays among ``args``."""
    promoted = [a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in args]
    return getattr(CPU, name)(*promoted, **kwargs)


def assert_close(actual, expected, dtype):
    """Kernel result vs reference, with the tolerance of ``dtype``; also checks dtype and shape."""
    actual = np.asarray(actual)
    assert actual.dtype == np.dtype(dtype), f"kernel returned {actual.dtype}, expected {np.dtype(dtype)}"
    assert actual.shape == np.shape(expected), f"kernel returned shape {actual.shape}, expected {np.shape(expected)}"
    np.testing.assert_allclose(actual, expected, **TOLERANCES[np.dtype(dtype).type])
