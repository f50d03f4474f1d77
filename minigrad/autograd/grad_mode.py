"""Switching graph recording off and on: ``mg.no_grad()`` and ``mg.enable_grad()``.

While recording is off, ops still compute their values but build no graph, so nothing is
saved for a backward pass (use it for evaluation and for optimizer updates).
Both work as context managers and as decorators.
"""
import functools

_enabled = True


def is_grad_enabled() -> bool:
    return _enabled


class _GradMode:
    mode = True

    def __new__(cls, *args, **kwargs):
        if cls in (no_grad, enable_grad) and len(args) == 1 and callable(args[0]):
            return cls()(args[0])  # used bare, as @mg.no_grad (PyTorch allows it too)
        return super().__new__(cls)

    def __enter__(self):
        global _enabled
        self._previous = _enabled
        _enabled = self.mode

    def __exit__(self, *exc):
        global _enabled
        _enabled = self._previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Context manager / decorator: build no graph inside."""
    mode = False


class enable_grad(_GradMode):
    """Context manager / decorator: build the graph inside, even within ``no_grad``."""
    mode = True


class inference_mode(_GradMode):
    """``torch.inference_mode``: like ``no_grad`` here (minigrad has no separate inference tensors)."""
    mode = False

    def __init__(self, mode=True):
        self.mode = not mode


class set_grad_enabled(_GradMode):
    """``mg.set_grad_enabled(False)``: switch recording on or off — as a call, or for a ``with`` block."""

    def __init__(self, mode):
        global _enabled
        self.mode = bool(mode)
        self._previous = _enabled
        _enabled = self.mode  # takes effect at once, as in PyTorch; a with-block restores on exit

    def __enter__(self):
        return None

    def __call__(self, fn):
        global _enabled
        _enabled = self._previous  # used as a decorator: the mode applies only inside fn
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper
