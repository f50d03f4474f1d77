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


# GLUE SST-2 is not part of the repository.  Tests that read it take this fixture, which skips them (saying
# where it looked) when the data is absent, e.g. in a fresh clone: MINIGRAD_SST2_DIR, else ../shared/data/sst2.
from pathlib import Path  # noqa: E402

SST2_DIR = Path(os.environ.get("MINIGRAD_SST2_DIR") or Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "sst2")


@pytest.fixture(scope="session")
def sst2_dir():
    """The folder holding SST-2's train.tsv and dev.tsv; the test is skipped when they are absent."""
    if not ((SST2_DIR / "train.tsv").is_file() and (SST2_DIR / "dev.tsv").is_file()):
        pytest.skip(f"needs GLUE SST-2 (train.tsv, dev.tsv) in {SST2_DIR.resolve()}: not there; "
                    "set MINIGRAD_SST2_DIR to the folder to run this test")
    return SST2_DIR
