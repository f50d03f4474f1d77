"""``gradcheck``: compare autograd's gradients with finite differences.

For a function f of tensors x_1..x_n, reduce its output to a scalar with fixed random weights
w (so every output element matters):  L = sum(w * f(x)).  Then for each input element x_i

    dL/dx_i  ~  (L(x_i + eps) - L(x_i - eps)) / (2 eps)          (central difference)

whose error is O(eps^2).  This is only trustworthy in float64: the inputs are converted to
float64 copies before checking.  Autograd's gradient (from one backward pass) must agree with
the numerical one to ``atol + rtol * |numerical|`` everywhere.
"""
import numpy as np


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0):
    """Check ``fn``'s gradients with respect to every floating input that requires grad.

    ``inputs`` is a tensor or a tuple of tensors (other values are passed through unchanged).
    Returns True, or raises AssertionError naming the input, the element and both values.
    """
    from minigrad.tensor import Tensor
    from minigrad.autograd.grad_mode import enable_grad

    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")

    def as_float64(x, requires_grad):
        if not isinstance(x, Tensor):
            return x
        if x.dtype.kind == "f":
            x = x.detach().double()
        else:
            x = x.detach()
        return x.requires_grad_(requires_grad) if requires_grad else x

    base = [as_float64(x, i in checked) for i, x in enumerate(inputs)]
    rng = np.random.default_rng(seed)
    with enable_grad():
        out = fn(*base)
    weights = Tensor._wrap(out._backend.asarray(rng.standard_normal(out.shape)), out.device)

    def scalar_loss(args):
        y = fn(*args)
        return float((y.detach().double() * weights).sum().item())

    with enable_grad():
        loss = (fn(*base) * weights).sum()
        loss.backward()

    for i in checked:
        x = base[i]
        analytic = np.zeros(x.shape) if x.grad is None else np.array(x.grad.numpy(), dtype=np.float64)
        flat = x.numpy().reshape(-1).copy()
        numeric = np.zeros(flat.size)
        for k in range(flat.size):
            def shifted(delta):
                values = flat.copy()
                values[k] += delta
                moved = Tensor._wrap(x._backend.asarray(values.reshape(x.shape)), x.device)
                return [moved if j == i else a for j, a in enumerate(base)]
            numeric[k] = (scalar_loss(shifted(+eps)) - scalar_loss(shifted(-eps))) / (2 * eps)
        numeric = numeric.reshape(x.shape)
        error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        if (error > 0).any():
            worst = np.unravel_index(np.argmax(error), x.shape)
            message = (f"gradcheck failed for input {i} (shape {x.shape}) at index {tuple(int(w) for w in worst)}: "
                       f"autograd gives {analytic[worst]:.10g}, finite differences give {numeric[worst]:.10g}")
            if raise_exception:
                raise AssertionError(message)
            return False
    return True
