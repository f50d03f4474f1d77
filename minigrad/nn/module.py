"""``Module``: the base class of every layer and every model.

A Module is a Python object that keeps three ordered registries:

* ``_parameters`` -- the :class:`Parameter` s it owns directly (learned by an optimizer),
* ``_buffers``    -- Tensors that are part of its state but are not learned
  (for example running statistics); they are saved in the state dict too,
* ``_modules``    -- its child Modules.

(and two lists of hooks, ``_forward_pre_hooks`` and ``_forward_hooks``: functions run just before
and just after ``forward`` each time the module is called -- pruning re-applies its mask in one.)

You never fill these by hand: ``__setattr__`` looks at what you assign.  Writing
``self.weight = Parameter(...)`` registers a parameter, ``self.fc = Linear(...)``
registers a child, and everything else is a plain attribute.  From those
registries the Module can walk its whole tree, which is what ``parameters()``,
``state_dict()``, ``to(device)``, ``train()``/``eval()`` and ``repr`` do.

Subclasses write ``__init__`` (call ``super().__init__()`` first!) and ``forward``.
Calling the module, ``module(x)``, runs ``forward(x)``.
"""
from collections import OrderedDict, namedtuple

import numpy as np

from minigrad import dtypes
from minigrad.nn.parameter import Parameter
from minigrad.tensor import Tensor, _HookHandle, _parse_to

#: What ``load_state_dict(..., strict=False)`` returns, as in PyTorch.
IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class for neural-network layers and models."""

    def __init__(self):
        # object.__setattr__ skips our own __setattr__, which needs these dicts to exist.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())

    # ------------------------------------------------------------------ forward
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward(...)")

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks.values()):
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, output)
                if result is not None:
                    output = result
        return output

    def register_forward_pre_hook(self, hook):
        """Run ``hook(module, args)`` before every ``forward``; a non-None result replaces the positional
        arguments (a tuple, or one value).  Returns a handle: ``handle.remove()`` takes the hook off."""
        return _HookHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook):
        """Run ``hook(module, args, output)`` after every ``forward``; a non-None result replaces the output.
        Returns a handle: ``handle.remove()`` takes the hook off."""
        return _HookHandle(self._forward_hooks, hook)

    # ------------------------------------------------------------- registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() is called; "
                                 f"call super().__init__() first in {type(self).__name__}.__init__")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            self._forget(name, keep=params)   # a replaced parameter keeps its place (state-dict order), as in PyTorch
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name, keep=modules)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to parameter {name!r}: "
                                "assign a Parameter (or None)")
            params[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} to buffer {name!r}: "
                                "assign a Tensor (or None)")
            buffers[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to child module {name!r}: "
                                "assign a Module (or None)")
            modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name, keep=None):
        """Remove ``name`` from every registry (but ``keep``, where it is about to be replaced in place)
        and from the plain attributes."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        if keep is not self._buffers:
            self._non_persistent_buffers.discard(name)

    def __getattr__(self, name):
        # Only called when normal attribute lookup failed: look in the registries.
        for registry in ("_parameters", "_buffers", "_modules"):
            found = self.__dict__.get(registry)
            if found is not None and name in found:
                return found[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        if name in self._parameters or name in self._buffers or name in self._modules:
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def register_parameter(self, name: str, param):
        """Register ``param`` (a Parameter or None) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter({name!r}, ...) needs a Parameter or None, "
                            f"got {type(param).__name__}")
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True):
        """Register a non-learned Tensor.  Persistent buffers are saved in the state dict."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer({name!r}, ...) needs a Tensor or None, "
                            f"got {type(tensor).__name__}")
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module):
        """Register ``module`` as a child called ``name`` (what ``self.name = module`` does)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}, ...) needs a Module, got {type(module).__name__}")
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    # ---------------------------------------------------------- walking the tree
    def named_modules(self, prefix: str = ""):
        """Yield ``(dotted_name, module)`` for this module and every descendant, each once."""
        seen = set()
        stack = [(prefix, self)]
        while stack:  # depth-first, children in registration order
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child_name}" if name else child_name, child)
                        for child_name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self):
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, prefix: str, recurse: bool):
        seen = set()
        walk = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in walk:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        """Yield ``(dotted_name, parameter)``; a parameter shared by two modules appears once."""
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn):
        """Call ``fn(module)`` on every child (recursively), then on this module."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ----------------------------------------------------------------- modes
    def train(self, mode: bool = True):
        """Set training mode (dropout active) on this module and all its descendants."""
        if not isinstance(mode, bool):
            raise ValueError(f"train(mode) expects True or False, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        """Set evaluation mode: same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True):
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True):
        """Forget the gradients of every parameter (set them to None, or fill them with 0)."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad = param.grad.detach()
                param.grad.zero_()

    # ------------------------------------------------------------ state dict
    def _state_items(self, prefix: str = ""):
        """Yield ``(dotted_name, tensor)`` for every parameter and persistent buffer, in order."""
        for name, param in self._parameters.items():
            if param is not None:
                yield prefix + name, param
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                yield prefix + name, buffer
        for name, child in self._modules.items():
            if child is not None:
                yield from child._state_items(prefix + name + ".")

    def state_dict(self) -> "OrderedDict[str, Tensor]":
        """An ordered ``name -> Tensor`` dict of every parameter and persistent buffer.

        The tensors are detached: they share memory with the module but carry no graph.
        """
        return OrderedDict((name, tensor.detach()) for name, tensor in self._state_items())

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy the values in ``state_dict`` into this module's parameters and buffers.

        Every problem is collected first and reported together; if there is any
        problem, *nothing* is loaded, so a failed load never leaves the model half-updated.

        * a key the module has but ``state_dict`` lacks is *missing*,
        * a key ``state_dict`` has but the module lacks is *unexpected*,
        (both are errors only when ``strict=True``), and
        * a value whose shape differs from the target's is always an error.

        Returns ``IncompatibleKeys(missing_keys, unexpected_keys)``.
        """
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"load_state_dict expects a dict of name -> Tensor, got {type(state_dict).__name__}")
        own = OrderedDict(self._state_items())
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        problems = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if not isinstance(value, (Tensor, np.ndarray)):
                problems.append(f"  {key!r}: expected a Tensor or numpy array, got {type(value).__name__}")
                continue
            if tuple(value.shape) != tuple(target.shape):
                problems.append(f"  size mismatch for {key!r}: the checkpoint has shape {tuple(value.shape)}, "
                                f"the model has shape {tuple(target.shape)}")
        if strict:
            problems += [f"  missing key {key!r} (the model has it, the state dict does not)" for key in missing]
            problems += [f"  unexpected key {key!r} (the state dict has it, the model does not)"
                         for key in unexpected]
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__} "
                               "(nothing was loaded):\n" + "\n".join(problems))

        from minigrad.autograd import no_grad  # the engine's grad switch
        with no_grad():
            for key, target in own.items():
                if key in state_dict:
                    target.copy_(_as_tensor_on(state_dict[key], target.device))
        return IncompatibleKeys(missing, unexpected)

    # ----------------------------------------------------- device and dtype
    def to(self, *args, **kwargs):
        """Move every parameter and buffer to a device (``"cpu"``, ``"cuda"``, ``"cudasim"``), and/or
        convert the floating-point ones to a dtype: ``model.to("cuda")``, ``model.to(mg.float64)``,
        ``model.to(device="cpu", dtype=mg.float64)`` — the same arguments as ``Tensor.to``.

        Works *in place* (the same Parameter objects are kept), so an optimizer built
        before ``model.to(...)`` still updates the right tensors.
        """
        device, dtype = _parse_to(args, kwargs)
        if dtype is not None and dtype.kind != "f":
            raise TypeError(f"Module.to(dtype) only converts to floating dtypes, got {dtype}")
        for tensor in self._all_tensors():
            if device is not None:
                tensor._move_(device)
            if dtype is not None and tensor.dtype.kind == "f":
                tensor._array = tensor._array.astype(dtype)
                if tensor.grad is not None:
                    tensor.grad._array = tensor.grad._array.astype(dtype)
        return self

    def _all_tensors(self):
        yield from self.parameters()
        yield from self.buffers()

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def half(self):
        return self.to(dtypes.float16)

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr; layers override it."""
        return ""

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines += extra.split("\n")
        for name, child in self._modules.items():
            child_text = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {child_text}")
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and not self._modules:
            return f"{type(self).__name__}({lines[0]})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def _as_tensor_on(value, device: str) -> Tensor:
    """``value`` (a Tensor or numpy array) as a Tensor on ``device``."""
    if isinstance(value, np.ndarray):
        import minigrad as mg
        value = mg.tensor(value)
    if value.device != device:
        value = value.to(device)
    return value
