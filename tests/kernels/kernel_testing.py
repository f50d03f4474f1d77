"""Helpers shared by the kernel tests (a uniquely named module, importable as `kernel_testing`)."""
import numpy as np

#: Tolerances per dtype: float32 kernels may sum in a different order than NumPy.
TOLERANCES = {
    np.float32: dict(rtol=2e-5, atol=2e-6),
    np.float64: dict(rtol=1e-12, atol=1e-12),
}


def assert_close(actual, expected, dtype):
    """Kernel result vs reference, with the tolerance of ``dtype``; also checks dtype and shape."""
    actual = np.asarray(actual)
    assert actual.dtype == np.dtype(dtype), f"kernel returned {actual.dtype}, expected {np.dtype(dtype)}"
    assert actual.shape == np.shape(expected), f"kernel returned shape {actual.shape}, expected {np.shape(expected)}"
    np.testing.assert_allclose(actual, expected, **TOLERANCES[np.dtype(dtype).type])
