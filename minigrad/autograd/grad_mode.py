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
