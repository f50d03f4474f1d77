"""``mg.cuda``: is there a GPU, and waiting for it."""


def is_available() -> bool:
    """True when CuPy is installed and sees at least one NVIDIA GPU."""
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def synchronize():
    """Wait until every queued GPU kernel has finished (needed before timing GPU work).
    On "cpu" and "cudasim" work is synchronous, so there is nothing to wait for."""
    if is_available():
        import cupy
        cupy.cuda.runtime.deviceSynchronize()
