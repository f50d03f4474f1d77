"""minigrad's random numbers: one global NumPy generator, seeded with ``mg.manual_seed``.

Random numbers are always drawn on the host and then moved to the tensor's device, so a
seeded program produces the same numbers on "cpu", "cudasim" and "cuda".
"""
import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed: int):
    """Reset the global generator: everything random after this call is reproducible."""
    global _generator
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator() -> np.random.Generator:
    """The global generator (draws from it advance minigrad's random state)."""
    return _generator
