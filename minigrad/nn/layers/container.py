"""Containers: ``Sequential`` (a pipeline), ``ModuleList`` / ``ModuleDict`` (registered modules),
``ParameterList`` / ``ParameterDict`` (registered parameters).

A plain Python list or dict of layers or parameters is invisible to ``parameters()``,
``state_dict()`` and ``.to(device)``; these containers register what they hold, under the
names ``"0"``, ``"1"``, ... or under their keys, so state-dict keys read ``blocks.1.weight``
or ``heads.query`` as in PyTorch.
"""
from collections import OrderedDict
from collections.abc import Mapping

from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.tensor import Tensor


class Sequential(Module):
    """Runs its children in order, feeding each one's output to the next.

    ``Sequential(Linear(4, 8), ReLU(), Linear(8, 1))`` names the children ``"0"``, ``"1"``, ``"2"``;
    ``Sequential(OrderedDict(fc=Linear(4, 8), act=ReLU()))`` names them yourself.
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return modules[index]


class ModuleList(Module):
    """A list of Modules whose parameters are registered (a plain Python list's are not!).

    Children are named ``"0"``, ``"1"``, ... so a state-dict key reads ``layers.1.weight``.
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _check_index(self, index: int) -> int:
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} is out of range for a ModuleList of length {len(self)}")
        return index % len(self)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[str(self._check_index(index))]

    def __setitem__(self, index: int, module):
        self.add_module(str(self._check_index(index)), module)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def forward(self, *args, **kwargs):
        raise NotImplementedError("a ModuleList is not callable: loop over it in your own forward()")


def _pairs(values, container):
    """(key, value) pairs from a mapping or an iterable of pairs (what ``dict.update`` accepts)."""
    if isinstance(values, (Mapping, ParameterDict)):
        return list(values.items())
    pairs = []
    for index, pair in enumerate(values):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"{container}.update: element #{index} should be a (key, value) pair, got {pair!r}")
        pairs.append(tuple(pair))
    return pairs


class ModuleDict(Module):
    """A dict of Modules whose parameters are registered; keys keep their insertion order."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str):
        if key not in self._modules:
            raise KeyError(f"ModuleDict has no module {key!r}; it has {list(self._modules)}")
        return self._modules[key]

    def __setitem__(self, key: str, module):
        self.add_module(key, module)

    def __delitem__(self, key: str):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def pop(self, key: str):
        module = self[key]
        del self[key]
        return module

    def clear(self):
        self._modules.clear()

    def update(self, modules):
        for key, module in _pairs(modules, "ModuleDict"):
            self[key] = module

    def forward(self, *args, **kwargs):
        raise NotImplementedError("a ModuleDict is not callable: pick its modules by key in your own forward()")


def _as_parameter(value):
    """A Tensor becomes a Parameter (as in PyTorch's ParameterList/Dict); a Parameter stays itself."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


class ParameterList(Module):
    """A list of Parameters, registered under the names ``"0"``, ``"1"``, ... (a Tensor is made a Parameter)."""

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def _check_index(self, index: int) -> int:
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} is out of range for a ParameterList of length {len(self)}")
        return index % len(self)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ParameterList(list(self)[index])
        return getattr(self, str(self._check_index(index)))

    def __setitem__(self, index: int, value):
        setattr(self, str(self._check_index(index)), _as_parameter(value))

    def __len__(self):
        return self._size

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __iadd__(self, values):
        return self.extend(values)

    def append(self, value):
        self._size += 1
        setattr(self, str(self._size - 1), _as_parameter(value))
        return self

    def extend(self, values):
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(_describe(str(i), value) for i, value in enumerate(self))

    def forward(self, *args, **kwargs):
        raise NotImplementedError("a ParameterList is not callable: use its parameters in your own forward()")


class ParameterDict(Module):
    """A dict of Parameters, registered under their keys (a Tensor is made a Parameter)."""

    def __init__(self, parameters=None):
        super().__init__()
        self._keys = []
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str):
        if key not in self._keys:
            raise KeyError(f"ParameterDict has no parameter {key!r}; it has {self._keys}")
        return getattr(self, key)

    def __setitem__(self, key: str, value):
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict keys must be strings, got {type(key).__name__}")
        if key not in self._keys:
            self._keys.append(key)
        setattr(self, key, _as_parameter(value))

    def __delitem__(self, key: str):
        self[key]  # noqa: B018  (the KeyError with the list of keys)
        self._keys.remove(key)
        delattr(self, key)

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(list(self._keys))

    def __contains__(self, key):
        return key in self._keys

    def keys(self):
        return list(self._keys)

    def items(self):
        return [(key, self[key]) for key in self._keys]

    def values(self):
        return [self[key] for key in self._keys]

    def get(self, key, default=None):
        return self[key] if key in self._keys else default

    def pop(self, key: str):
        value = self[key]
        del self[key]
        return value

    def clear(self):
        for key in list(self._keys):
            del self[key]

    def update(self, parameters):
        """Add or replace entries.  As in PyTorch, a plain dict is added in *sorted* key order (an
        OrderedDict, a ParameterDict or a list of pairs keeps its own order)."""
        pairs = _pairs(parameters, "ParameterDict")
        if isinstance(parameters, Mapping) and not isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = sorted(pairs)
        for key, value in pairs:
            self[key] = value

    def extra_repr(self) -> str:
        return "\n".join(_describe(key, self[key], legacy_type=True) for key in self._keys)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("a ParameterDict is not callable: use its parameters in your own forward()")


def _describe(key, value, legacy_type=False):
    """One line of a ParameterList/ParameterDict repr, in PyTorch's words, e.g.
    ``(0): Parameter containing: [torch.float32 of size 3x4]``."""
    if not isinstance(value, Tensor):
        return f"  ({key}): Object of type: {type(value).__name__}"
    kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
    size = "x".join(str(n) for n in value.shape)
    device = {"cpu": "", "cuda": " (GPU 0)"}.get(str(value.device), f" ({value.device})")
    type_name = value.type() if legacy_type else f"torch.{value.dtype}"
    return f"  ({key}): {kind} containing: [{type_name} of size {size}{device}]"
