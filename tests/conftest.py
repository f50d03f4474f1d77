"""Test-session setup shared by every test.

The GPU tests run on a real GPU when one is present and on Numba's CUDA
simulator otherwise.  The simulator must be chosen *before* Numba is imported,
so the decision is made here, at the very top of the test session.
"""
import os


def _real_gpu_present() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


if "NUMBA_ENABLE_CUDASIM" not in os.environ and not _real_gpu_present():
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"

#: The device the GPU tests use: "cuda" on a machine with a GPU, else "cudasim".
GPU_TEST_DEVICE = "cudasim" if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" else "cuda"


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def gpu_device():
    """"cuda" where a GPU is present, else "cudasim": the GPU tests always run somewhere."""
    return GPU_TEST_DEVICE


# In CI (CI=true) hypothesis draws the same examples every run, so a submission's result never
# depends on luck; locally it keeps exploring new ones.
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
