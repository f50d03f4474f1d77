"""``Parameter``: a Tensor that a Module learns.

A Parameter is an ordinary leaf Tensor with one extra meaning: when you assign
it to an attribute of a :class:`~minigrad.nn.Module` (``self.weight = Parameter(...)``),
the module registers it, so it shows up in ``module.parameters()`` (what an
optimizer updates) and in ``module.state_dict()`` (what gets saved).

It shares the raw array of the tensor it wraps: no copy is made.
"""
from minigrad.tensor import Tensor


class Parameter(Tensor):
    """A learnable tensor.  ``Parameter(tensor, requires_grad=True)``.

    >>> w = Parameter(mg.zeros(2, 3))
    >>> w.requires_grad, w.is_leaf
    (True, True)
    """

    def __init__(self, data: Tensor = None, requires_grad: bool = True):
        if data is None:
            from minigrad.creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter wraps a minigrad Tensor, got {type(data).__name__}; "
                            "write Parameter(mg.tensor(values))")
        self._init(data._array, data.device, requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)
