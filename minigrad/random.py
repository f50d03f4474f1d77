"""minigrad's random numbers: one global NumPy generator, seeded with ``mg.manual_seed``.

Random numbers are always drawn on the host and then moved to the tensor's device, so a
seeded program produces the same numbers on "cpu", "cudasim" and "cuda".  (They are not the same
numbers as PyTorch's: the generators differ.)

``mg.Generator`` is a separate stream, as ``torch.Generator``: functions that take a
``generator=`` argument (``randn``, ``randperm``, ``DataLoader``, ``random_split`` ...) draw from it
instead of the global one.
"""
import numpy as np

_generator = np.random.default_rng(0)
_initial_seed = 0


def manual_seed(seed: int):
    """Reset the global generator: everything random after this call is reproducible."""
    global _generator, _initial_seed
    _initial_seed = int(seed)
    _generator = np.random.default_rng(_initial_seed)
    return _generator


seed = manual_seed


def initial_seed() -> int:
    return _initial_seed


def generator() -> np.random.Generator:
    """The global generator (draws from it advance minigrad's random state)."""
    return _generator


def keep_mask(shape, p) -> np.ndarray:
    """A bool array of ``shape``, each element True with probability 1 - p (dropout's survivors),
    drawn from the global generator.

    Each element uses 32 random bits, u, and is kept when u >= p * 2^32 (rounded): the
    probability is p to within 2^-33.  The bits are the generator's raw 64-bit words read as
    pairs of 32-bit numbers, which costs half of drawing float32 uniforms and comparing them
    (those carry only 24 random bits each)."""
    count = int(np.prod(shape, dtype=np.int64))
    words = _generator.bit_generator.random_raw((count + 1) // 2)
    bits = words.view(np.uint32)[:count].reshape(shape)
    return bits >= np.uint32(min(round(p * 2.0 ** 32), 2 ** 32 - 1))


def get_rng_state():
    """The global generator's state (a dict), to restore later with ``set_rng_state``."""
    return _generator.bit_generator.state


def set_rng_state(state):
    _generator.bit_generator.state = state


class Generator:
    """An independent stream of random numbers: ``g = mg.Generator().manual_seed(42)``."""

    def __init__(self, device="cpu"):
        self.device = device
        self._seed = 0
        self.rng = np.random.default_rng(0)

    def manual_seed(self, seed):
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return self.rng.bit_generator.state

    def set_state(self, state):
        self.rng.bit_generator.state = state
        return self


def generator_of(gen) -> np.random.Generator:
    """The NumPy generator to draw from: ``gen``'s stream, or the global one when ``gen`` is None."""
    if gen is None:
        return _generator
    if isinstance(gen, Generator):
        return gen.rng
    if isinstance(gen, np.random.Generator):
        return gen
    raise TypeError(f"generator must be an mg.Generator (or None for the global one), got {type(gen).__name__}")
