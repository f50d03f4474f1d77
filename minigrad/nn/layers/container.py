"""Containers: ``Sequential`` (a pipeline) and ``ModuleList`` (a registered list)."""
from collections import OrderedDict

from minigrad.nn.module import Module


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
