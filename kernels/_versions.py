"""Which rung of a kernel ladder the engine uses.

A family with several versions of one kernel (matmul, softmax, layer norm, cross-entropy) keeps
one ``VersionSwitch``: the names of its versions, naive first, and the one its launcher runs
when no ``version=`` is given.  ``python -m kernels.<family>`` times every version; switch
with ``softmax.versions.set("fused")`` or, for a block of code,
``with softmax.versions.use("fused"): ...``.
"""
import contextlib


class VersionSwitch:
    def __init__(self, family, names, default):
        self.family = family
        self.names = tuple(names)
        self.default = self.check(default)
        self.current = self.default

    def check(self, name):
        if name not in self.names:
            raise ValueError(f"unknown {self.family} version {name!r}; choose one of {self.names}.")
        return name

    def pick(self, name=None):
        """``name`` checked, or the current version when it is None."""
        return self.current if name is None else self.check(name)

    def set(self, name):
        self.current = self.check(name)

    @contextlib.contextmanager
    def use(self, name):
        previous = self.current
        self.set(name)
        try:
            yield
        finally:
            self.current = previous
