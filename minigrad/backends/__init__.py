"""Backends: where the arithmetic of every op actually happens.

The seam
--------
An op (a ``Function`` in ``minigrad/ops``) never calls NumPy or CuPy itself.  It asks the
backend that owns its tensors' device::

    b = ctx.backend            # chosen from the inputs' device by Function.apply
    y = b.sigmoid(x)           # a course formula: NumPy on "cpu", a CUDA kernel on "cuda"
    z = b.xp.exp(x)            # glue: b.xp is the array module (numpy or cupy)

There are two kinds of backend method:

* ``b.xp`` — the array module, for glue (reshapes, elementwise arithmetic, ``where``...).
  Both NumPy and CuPy speak the same API, so the glue is written once.
* the **course formulas** — matmul, the activations, softmax / log-softmax, the fused
  losses, layer norm, embedding, the reductions and the optimizer updates.  On the CPU they are
  plain NumPy (``numpy_backend.py``, the reference every other backend is checked against;
  ``cpu_backend.py`` runs the one NumPy cannot fuse, layer norm, as compiled loops).  On "cuda"
  and "cudasim" they launch the hand-written Numba kernels of the top-level ``kernels/``
  package (``cuda_backend.py``).

So adding a device means writing one backend class — never touching an op.

Devices
-------
``"cpu"``      NumPy arrays, NumPy maths (layer norm compiled with Numba).
``"cuda"``     CuPy arrays on an NVIDIA GPU, minigrad's CUDA kernels.
``"cudasim"``  NumPy arrays, the *same* CUDA kernels run by Numba's CUDA simulator
               (slow, but needs no GPU: this is how the kernels are tested everywhere).
"""
DEVICES = ("cpu", "cuda", "cudasim")

_backends = {}


class device(str):
    """A device name, as ``torch.device``: ``mg.device("cuda")``, ``mg.device("cuda", 0)``, ``mg.device("cpu")``.

    It *is* the plain string (``mg.device("cuda:0") == "cuda"``), with PyTorch's ``.type`` and
    ``.index``.  minigrad uses one GPU, so "cuda", "cuda:0" and ``device("cuda", 0)`` are the same.
    This class is minigrad's one device parser: ``Tensor.to``, ``Module.to``, the factories,
    ``mg.load(map_location=...)`` and the command line all go through it.
    """

    def __new__(cls, spec, index=None):
        if isinstance(spec, device) and index is None:
            return spec
        text = str(spec) if not hasattr(spec, "type") else str(spec.type)  # also accepts a torch.device
        name, _, number = text.partition(":")
        if index is None and number:
            if not number.isdigit():
                raise ValueError(f"invalid device {spec!r}: the part after ':' must be a GPU number, e.g. 'cuda:0'")
            index = int(number)
        if name not in DEVICES:
            hint = ""
            if name == "gpu":
                hint = " ('gpu' is not a device name in PyTorch either: say 'cuda')"
            elif name in ("float16", "float32", "float64", "float", "double", "half", "int64", "long", "int32", "bool"):
                hint = f" ({name!r} looks like a dtype: pass mg.{name}, not a string)"
            raise ValueError(f"unknown device {spec!r}{hint}; use one of "
                             + ", ".join(repr(d) for d in DEVICES))
        if index is not None and (name != "cuda" or index != 0):
            where = "minigrad uses a single GPU, 'cuda' (= 'cuda:0')" if name == "cuda" else f"'{name}' has no index"
            raise ValueError(f"invalid device {spec!r}: {where}")
        return str.__new__(cls, name)

    @property
    def type(self):
        return str(self)

    @property
    def index(self):
        return 0 if self == "cuda" else None

    def __repr__(self):
        return f"device(type='{self}')" if self != "cuda" else "device(type='cuda', index=0)"


def check_device(spec) -> device:
    """Parse a device given as a string, an ``mg.device`` (or a ``torch.device``); raise a clear
    ValueError for anything else.  None means the default device (``set_default_device``)."""
    if spec is None:
        return _default_device
    if isinstance(spec, device):
        return spec
    if not isinstance(spec, str) and not hasattr(spec, "type"):
        raise TypeError(f"expected a device such as 'cpu', 'cuda' or 'cudasim', got {type(spec).__name__} {spec!r}")
    return device(spec)


CPU = device("cpu")
_default_device = CPU


def set_default_device(spec):
    """Where factories (``mg.zeros``, ``mg.tensor`` ...) put tensors when no ``device=`` is given."""
    global _default_device
    _default_device = CPU if spec is None else check_device(spec)


def get_default_device() -> device:
    return _default_device


def get_backend(device):
    """The backend object for ``device`` (created on first use)."""
    device = check_device(device)
    backend = _backends.get(device)
    if backend is None:
        if device == "cpu":
            from minigrad.backends.cpu_backend import CpuBackend
            backend = CpuBackend()
        else:
            from minigrad.backends.cuda_backend import CudaBackend
            backend = CudaBackend(simulate=(device == "cudasim"))
        backend.device = device  # the parsed device: what tensors made by this backend report
        _backends[device] = backend
    return backend
