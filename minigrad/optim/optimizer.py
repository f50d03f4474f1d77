"""``Optimizer``: the base class that keeps parameter groups and per-parameter state.

An optimizer is handed the parameters to update, either as one list::

    SGD(model.parameters(), lr=0.1)

or as a list of *parameter groups*, dicts with their own options::

    SGD([{"params": model.body.parameters()},
         {"params": model.head.parameters(), "lr": 0.01}], lr=0.1, momentum=0.9)

Options a group does not set come from the constructor's defaults.  A training step is::

    optimizer.zero_grad()   # forget last step's gradients
    loss.backward()         # compute new ones
    optimizer.step()        # update every parameter that has a gradient

``state`` holds what an optimizer remembers between steps for each parameter
(momentum buffers, Adam's moving averages), keyed by the parameter itself
(Tensors hash by identity, so ``optimizer.state[param]`` works as in PyTorch), under PyTorch's
names (``momentum_buffer``, ``exp_avg``, ``square_avg``, ``sum``, ...), so ``state_dict()`` reads the
same.  State is created at a parameter's first update (``step`` counts updates, as an int).

PyTorch's implementation switches ``foreach=``, ``fused=`` and ``capturable=`` choose between
kernels that compute the same update; they are accepted and ignored here (minigrad has one
implementation per backend).  ``differentiable=True`` is refused.
"""
from minigrad.backends import check_device, get_backend
from minigrad.tensor import Tensor


class Optimizer:
    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Tensors or of dicts, got a single Tensor; "
                            "wrap it in a list: [tensor]")
        params = list(params)
        if not params:
            raise ValueError("the optimizer got an empty parameter list; pass model.parameters()")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict):
        """Add a group of parameters (a dict with ``"params"`` and optional per-group options)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a param group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for param in group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizers can only update Tensors, got {type(param).__name__}")
            if not param.is_leaf:
                raise ValueError("optimizers can only update leaf Tensors (made by the user, not computed); "
                                 "use parameters of a Module or tensors created with requires_grad=True")
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        already = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in already for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True):
        """Forget every parameter's gradient (set it to None, or fill it with zeros)."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                else:
                    param.grad = param.grad.detach()
                    param.grad.zero_()

    def step(self):
        raise NotImplementedError(f"{type(self).__name__} must define step()")

    # ------------------------------------------------------------ state dict
    def state_dict(self) -> dict:
        """``{"state": {index: {name: value}}, "param_groups": [{options..., "params": [index, ...]}]}``.

        Parameters are referred to by their position across all groups (0, 1, 2, ...),
        as in PyTorch, so the dict can be loaded into an optimizer over a freshly built
        model.  Tensors in the state are copies.
        """
        index_of = {}
        groups = []
        for group in self.param_groups:
            indices = []
            for param in group["params"]:
                index_of.setdefault(id(param), len(index_of))
                indices.append(index_of[id(param)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": indices})
        state = {}
        for group in self.param_groups:
            for param in group["params"]:
                if param in self.state:
                    state[index_of[id(param)]] = {
                        name: (value.detach().clone() if isinstance(value, Tensor) else value)
                        for name, value in self.state[param].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict):
        """Restore options and state saved by ``state_dict()`` (group sizes must match)."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"the state dict has {len(saved_groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        for number, (saved, own) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(f"parameter group {number} has {len(saved['params'])} parameters in the "
                                 f"state dict but {len(own['params'])} in this optimizer")
        param_of = {}
        for saved, own in zip(saved_groups, self.param_groups):
            for index, param in zip(saved["params"], own["params"]):
                param_of[int(index)] = param
        new_state = {}
        for index, values in state_dict["state"].items():
            param = param_of[int(index)]
            new_state[param] = {name: _like_param(value, param) for name, value in values.items()}
        for saved, own in zip(saved_groups, self.param_groups):
            own.update({k: v for k, v in saved.items() if k != "params"})
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            lines += [f"    {name}: {value}" for name, value in sorted(group.items()) if name != "params"]
        return "\n".join(lines + [")"])


def _like_param(value, param):
    """A saved state value, as a fresh Tensor on ``param``'s device and of its dtype (numbers stay numbers)."""
    if not isinstance(value, Tensor):
        if hasattr(value, "shape") and hasattr(value, "dtype"):  # a numpy array
            value = Tensor._wrap(value.copy(), check_device("cpu"))
        else:
            return value
    value = value.detach().clone()
    if value.device != param.device:
        value = value.to(param.device)
    if value.dtype != param.dtype and value.dtype.kind == "f":
        value = value.to(param.dtype)
    return value



def state_zeros(param, fill: float = 0.0):
    """A new state Tensor shaped like ``param`` (same dtype and device), filled with ``fill``."""
    xp = get_backend(param.device).xp
    return Tensor._wrap(xp.full_like(param._array, fill), param.device)


def gradient_of(param, maximize: bool):
    """``param``'s gradient as a raw array, negated when the optimizer maximizes (``maximize=True``)."""
    return -param.grad._array if maximize else param.grad._array


def refuse_differentiable(differentiable: bool):
    """PyTorch's ``differentiable=True`` (autograd through the update) is not supported here."""
    if differentiable:
        raise NotImplementedError("differentiable=True is not supported: minigrad's optimizers update the "
                                  "parameters in place outside the autograd graph; leave differentiable=False")
