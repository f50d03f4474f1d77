"""``mg.cuda``: is there a GPU, seeding it, and waiting for it (the names of ``torch.cuda``)."""


def is_available() -> bool:
    """True when CuPy is installed and sees at least one NVIDIA GPU."""
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def device_count() -> int:
    """How many GPUs minigrad can use: 1 when one is available (minigrad uses a single GPU), else 0."""
    return 1 if is_available() else 0


def current_device() -> int:
    return 0


def manual_seed(seed: int):
    """Accepted for PyTorch programs, and changes nothing: minigrad draws every random number (for
    GPU tensors too) on the host from the one generator that ``mg.manual_seed`` seeds — as PyTorch
    ignores this call on a machine without a GPU."""
    int(seed)  # still refuse what is not a number


manual_seed_all = manual_seed


def synchronize():
    """Wait until every queued GPU kernel has finished (needed before timing GPU work).
    On "cpu" and "cudasim" work is synchronous, so there is nothing to wait for."""
    if is_available():
        import cupy
        cupy.cuda.runtime.deviceSynchronize()
