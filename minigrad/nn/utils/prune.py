"""``minigrad.nn.utils.prune``: pruning with PyTorch's semantics (``torch.nn.utils.prune``).

Pruning sets chosen weights to 0 and keeps them there while the rest trains on.  How it is kept,
for ``prune.l1_unstructured(linear, "weight", amount=0.5)``::

    linear.weight_orig   a Parameter: the weights, still all of them (what the optimizer updates)
    linear.weight_mask   a buffer of 0s and 1s (saved in the state dict)
    linear.weight        a plain attribute: weight_orig * weight_mask, recomputed by a forward
                         pre-hook before every forward, so a step that moves a pruned entry of
                         weight_orig changes nothing the layer computes

The gradient reaching ``weight_orig`` is ``dL/dweight * mask``: 0 for the pruned entries.
``prune.remove(linear, "weight")`` makes it permanent: ``weight`` is a Parameter again holding
``weight_orig * mask``, and ``weight_orig``, ``weight_mask`` and the hook are gone.

How the entries are chosen (``amount``: a fraction in [0, 1] of the entries or channels, rounded
half-to-even as Python's ``round``, or a whole number of them):

* ``l1_unstructured``: the entries of smallest |w|;
* ``random_unstructured``: entries drawn at random (minigrad's random stream);
* ``ln_structured(..., n, dim)``: whole slices along ``dim`` (rows of a Linear weight for dim=0)
  of smallest L_n norm;  ``random_structured``: random slices;
* ``global_unstructured(pairs, pruning_method=L1Unstructured, amount=...)``: one ranking over all
  the listed tensors together, so a layer of small weights loses more than one of large weights;
* ``custom_from_mask``: a mask you give; ``identity``: the bookkeeping without pruning anything.

Pruning again prunes among what is left (PyTorch's ``PruningContainer``): ``amount=0.5`` twice
leaves a quarter of the weights, and structured pruning skips slices already fully pruned.
Masks have the tensor's own dtype, as in PyTorch.
"""
import numbers

import minigrad as mg
from minigrad.autograd import no_grad


# ------------------------------------------------------------------ the base: how a mask is kept
class BasePruningMethod:
    """One way of choosing a mask (``compute_mask``), and the reparametrisation that keeps it applied."""

    PRUNING_TYPE = None  # "unstructured", "structured" or "global"
    _tensor_name = None

    def __call__(self, module, inputs):
        """The forward pre-hook: recompute ``module.<name>`` from the current weights and mask."""
        setattr(module, self._tensor_name, self.apply_mask(module))

    def compute_mask(self, t, default_mask):
        """The new mask for ``t``, given the mask it already has (``default_mask``)."""
        raise NotImplementedError(f"{type(self).__name__} must define compute_mask(t, default_mask)")

    def apply_mask(self, module):
        """``module.<name>_orig * module.<name>_mask``."""
        name = self._tensor_name
        if name is None:
            raise ValueError(f"{type(self).__name__} has not been applied to a module yet")
        return getattr(module, name + "_orig") * getattr(module, name + "_mask")

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` (its entries ranked by ``importance_scores``, by default the tensor itself)."""
        method = cls._composite(module, name, *args, **kwargs)
        orig = getattr(module, name)
        if importance_scores is None:
            importance_scores = orig
        elif tuple(importance_scores.shape) != tuple(orig.shape):
            raise ValueError(f"importance_scores should have the same shape as parameter {name} of {module}: "
                             f"{tuple(importance_scores.shape)} vs {tuple(orig.shape)}")
        first_time = not isinstance(method, PruningContainer)
        if first_time:   # move module.<name> to module.<name>_orig
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = mg.ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        try:
            with no_grad():
                mask = method.compute_mask(importance_scores.detach(), default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if first_time:  # put the parameter back as it was
                orig = getattr(module, name + "_orig")
                del module._parameters[name + "_orig"]
                module.register_parameter(name, orig)
            raise
        return method

    @classmethod
    def _composite(cls, module, name, *args, **kwargs):
        """A new method for ``name``, combined with the one already pruning it (if any) in a container."""
        old_keys = [key for key, hook in module._forward_pre_hooks.items()
                    if isinstance(hook, BasePruningMethod) and hook._tensor_name == name]
        if len(old_keys) > 1:
            raise RuntimeError(f"{module} has {len(old_keys)} pruning hooks for {name!r}; there should be one")
        method = cls(*args, **kwargs)
        method._tensor_name = name
        if not old_keys:
            return method
        old = module._forward_pre_hooks.pop(old_keys[0])
        if isinstance(old, PruningContainer):
            old.add_pruning_method(method)
            return old
        return PruningContainer(old, method)

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t`` with this method's mask applied (without touching any module)."""
        scores = t if importance_scores is None else importance_scores
        with no_grad():
            mask = self.compute_mask(scores, default_mask=mg.ones_like(t) if default_mask is None else default_mask)
        return t * mask

    def remove(self, module):
        """Make the pruning permanent: ``module.<name>`` becomes a Parameter holding the masked weights."""
        name = self._tensor_name
        if name is None:
            raise ValueError(f"{type(self).__name__} has not been applied to a module yet")
        weight = self.apply_mask(module)
        if name in module.__dict__:
            delattr(module, name)
        orig = module._parameters[name + "_orig"]
        orig.data = weight.data
        del module._parameters[name + "_orig"]
        del module._buffers[name + "_mask"]
        setattr(module, name, orig)


class PruningContainer(BasePruningMethod):
    """The pruning methods applied to one tensor, in order; the last one prunes among what the others left."""

    def __init__(self, *methods):
        self._pruning_methods = ()
        if len(methods) >= 1:
            self._tensor_name = methods[0]._tensor_name
        for method in methods:
            self.add_pruning_method(method)

    def add_pruning_method(self, method):
        if not isinstance(method, BasePruningMethod):
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if self._tensor_name != method._tensor_name:
            raise ValueError(f"can only add pruning methods acting on the parameter named '{self._tensor_name}' "
                             f"to PruningContainer. Found '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, index):
        return self._pruning_methods[index]

    def compute_mask(self, t, default_mask):
        """The last method's mask, computed on the part of ``t`` the earlier masks left:
        unstructured -> the entries whose mask is 1; structured -> the slices along ``dim`` not yet all 0;
        global -> all of ``t``."""
        method = self._pruning_methods[-1]
        new_mask = default_mask.to(dtype=t.dtype)
        if method.PRUNING_TYPE == "unstructured":
            part = default_mask == 1
        elif method.PRUNING_TYPE == "structured":
            dim = method.dim + t.ndim if method.dim < 0 else method.dim
            if dim < 0 or dim >= t.ndim:
                raise IndexError(f"Pruning dimension {method.dim} is out of range for a tensor of {t.ndim} dims")
            others = [d for d in range(t.ndim) if d != dim]
            keep = default_mask.sum(dim=others) != 0 if others else default_mask != 0
            part = tuple(keep if d == dim else slice(None) for d in range(t.ndim))
        elif method.PRUNING_TYPE == "global":
            part = tuple(slice(None) for _ in range(t.ndim))
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")
        new_mask[part] = method.compute_mask(t[part], default_mask=default_mask[part]).to(dtype=new_mask.dtype)
        return new_mask


# ------------------------------------------------------------------ the methods: which entries go
class Identity(BasePruningMethod):
    """Prunes nothing (the reparametrisation alone)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """``amount`` of the entries, drawn at random (uniformly, without replacement)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        count = _entries_to_prune(self.amount, t.numel())
        mask = default_mask.clone()
        if count:
            draws = mg.rand_like(t.float() if not t.is_floating_point() else t)
            mask.view(-1)[mg.topk(draws.view(-1), k=count).indices] = 0
        return mask

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """``amount`` of the entries, those of smallest absolute value."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        count = _entries_to_prune(self.amount, t.numel())
        mask = default_mask.clone()
        if count:
            mask.view(-1)[mg.topk(mg.abs(t).view(-1), k=count, largest=False).indices] = 0
        return mask

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """``amount`` of the slices along ``dim``, drawn at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        _validate_amount_init(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t, default_mask):
        _validate_structured(t, self.dim)
        channels = t.shape[self.dim]
        count = _entries_to_prune(self.amount, channels)
        if count == 0:
            return default_mask
        draws = mg.rand(channels)
        threshold = mg.sort(draws).values[count - 1]
        return _mask_of_slices(t, self.dim, draws > threshold) * default_mask.to(dtype=t.dtype)

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """``amount`` of the slices along ``dim``, those of smallest L_n norm (``n``: as ``torch.norm``'s ``p``)."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        _validate_amount_init(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t, default_mask):
        _validate_structured(t, self.dim)
        channels = t.shape[self.dim]
        count = _entries_to_prune(self.amount, channels)
        if count == 0:
            return default_mask
        dim = self.dim % t.ndim
        norms = mg.norm(t, p=self.n, dim=[d for d in range(t.ndim) if d != dim])
        kept = mg.topk(norms, k=channels - count, largest=True).indices
        return _mask_of_slices(t, self.dim, kept) * default_mask.to(dtype=t.dtype)

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """The mask you give (multiplied with the mask already there)."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if tuple(default_mask.shape) != tuple(self.mask.shape):
            raise ValueError(f"the mask has shape {tuple(self.mask.shape)}, the tensor {tuple(default_mask.shape)}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


# ------------------------------------------------------------------ the functions (PyTorch's names)
def identity(module, name):
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module, name, mask):
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Rank the entries of every ``(module, name)`` in ``parameters`` together and prune with one method
    (an unstructured one, e.g. ``L1Unstructured`` with ``amount=``); each tensor gets its share of the mask."""
    from minigrad.nn.utils import parameters_to_vector

    parameters = list(parameters)
    importance_scores = {} if importance_scores is None else importance_scores
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    with no_grad():
        scores = parameters_to_vector([importance_scores.get((m, n), getattr(m, n)).detach() for m, n in parameters])
        masks = parameters_to_vector([getattr(m, n + "_mask") if hasattr(m, n + "_mask") else mg.ones_like(getattr(m, n))
                                      for m, n in parameters])
        method = pruning_method(**kwargs)
        if method.PRUNING_TYPE != "unstructured":
            raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
                            f"{pruning_method} of type {method.PRUNING_TYPE}")
        method._tensor_name = "temp"
        final = PruningContainer(method).compute_mask(scores, masks)
    start = 0
    for module, name in parameters:
        size = getattr(module, name).numel()
        custom_from_mask(module, name, mask=final[start:start + size].view_as(getattr(module, name)))
        start += size


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent (see the module docstring)."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")


def is_pruned(module):
    """True when any module inside ``module`` (itself included) has a pruning hook."""
    return any(isinstance(hook, BasePruningMethod)
               for sub in module.modules() for hook in sub._forward_pre_hooks.values())


# ------------------------------------------------------------------ checks and helpers
def _validate_amount_init(amount):
    if not isinstance(amount, numbers.Real) or isinstance(amount, bool):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and not 0.0 <= float(amount) <= 1.0):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _entries_to_prune(amount, size):
    """A whole number as it is; a fraction of ``size``, rounded (half to even, as PyTorch)."""
    if isinstance(amount, numbers.Integral):
        if amount > size:
            raise ValueError(f"amount={amount} should be smaller than the number of parameters to prune={size}")
        return int(amount)
    return round(amount * size)


def _validate_structured(t, dim):
    if t.ndim <= 1:
        raise ValueError(f"Structured pruning can only be applied to multidimensional tensors. Found tensor of "
                         f"shape {tuple(t.shape)} with {t.ndim} dims")
    if dim >= t.ndim or dim < -t.ndim:
        raise IndexError(f"Invalid index {dim} for tensor of size {tuple(t.shape)}")


def _mask_of_slices(t, dim, kept):
    """1 on the slices ``kept`` (indices or a bool vector) along ``dim``, 0 elsewhere."""
    mask = mg.zeros_like(t)
    mask[tuple(kept if d == dim % t.ndim else slice(None) for d in range(t.ndim))] = 1
    return mask
