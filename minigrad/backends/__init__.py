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
  plain NumPy (``numpy_backend.py``).  On "cuda" and "cudasim" they launch the hand-written
  Numba kernels of the top-level ``kernels/`` package (``cuda_backend.py``).

So adding a device means writing one backend class — never touching an op.

Devices
-------
``"cpu"``      NumPy arrays, NumPy maths.
``"cuda"``     CuPy arrays on an NVIDIA GPU, minigrad's CUDA kernels.
``"cudasim"``  NumPy arrays, the *same* CUDA kernels run by Numba's CUDA simulator
               (slow, but needs no GPU: this is how the kernels are tested everywhere).
"""
DEVICES = ("cpu", "cuda", "cudasim")

_backends = {}


def check_device(device) -> str:
    """Validate a device name and return it as a plain string."""
    name = str(device)
    if name == "gpu":
        name = "cuda"
    if name.startswith("cuda:"):
        name = "cuda"  # one GPU is all minigrad uses
    if name not in DEVICES:
        raise ValueError(f"unknown device {device!r}; use one of {', '.join(repr(d) for d in DEVICES)}")
    return name


def get_backend(device):
    """The backend object for ``device`` (created on first use)."""
    device = check_device(device)
    backend = _backends.get(device)
    if backend is None:
        if device == "cpu":
            from minigrad.backends.numpy_backend import NumpyBackend
            backend = NumpyBackend()
        else:
            from minigrad.backends.cuda_backend import CudaBackend
            backend = CudaBackend(simulate=(device == "cudasim"))
        _backends[device] = backend
    return backend
