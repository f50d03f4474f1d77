"""Checkers for lesson 04, automatic differentiation."""
import math

import numpy as np

import minigrad as mg
from minigrad.autograd.engine import sum_to_shape
from minigrad.backends import get_backend
from minigrad.check import ExerciseFailed, passed


def exercise1(Value):
    """``Value`` is the notebook's scalar autograd class after you added ``tanh()``.

    It must support ``Value(number)``, ``.data``, ``.grad``, ``+``, ``*``, ``.tanh()`` and ``.backward()``.
    """
    for x0 in (-1.3, 0.0, 0.7):
        x = Value(x0)
        y = x.tanh()
        if not math.isclose(y.data, math.tanh(x0), rel_tol=1e-12, abs_tol=1e-15):
            raise ExerciseFailed(f"Value({x0}).tanh().data = {y.data}, expected tanh({x0}) = {math.tanh(x0)}")
        y.backward()
        expected = 1 - math.tanh(x0) ** 2
        if not math.isclose(x.grad, expected, rel_tol=1e-9, abs_tol=1e-12):
            hint = "Hint: d tanh(x)/dx = 1 - tanh(x)^2 (use the output t = tanh(x), not x)."
            if math.isclose(x.grad, 1 - x0 ** 2, rel_tol=1e-9):
                hint = "You used 1 - x^2; the derivative is 1 - t^2 with t = tanh(x), the OUTPUT."
            raise ExerciseFailed(f"after y = Value({x0}).tanh(); y.backward(), x.grad = {x.grad} but should be "
                                 f"{expected:.12g}. {hint}")
    # tanh inside a bigger expression: the chain rule must multiply by the incoming gradient.
    x = Value(0.4)
    y = (x * Value(3.0)).tanh() * Value(2.0)
    y.backward()
    expected = 2.0 * (1 - math.tanh(1.2) ** 2) * 3.0
    if not math.isclose(x.grad, expected, rel_tol=1e-9):
        raise ExerciseFailed(f"for y = 2 tanh(3x) at x = 0.4, x.grad = {x.grad} but dy/dx = {expected:.12g}. "
                             "Your tanh's backward must *multiply* by out.grad (the gradient arriving from above) "
                             "and *add* into self.grad (+=).")
    return passed("lesson04.exercise1", "tanh's value and gradient are right, alone and inside 2 tanh(3x).")


def exercise2(unbroadcast):
    """``unbroadcast(grad, shape)`` sums a NumPy gradient of a broadcast result back to ``shape``."""
    rng = np.random.default_rng(4)
    cases = [((2, 3), (2, 3)), ((4, 3), (3,)), ((4, 3), (1, 3)), ((4, 3), (4, 1)), ((2, 4, 3), (4, 1)),
             ((5, 2, 3), ()), ((2, 1, 3), (1, 1, 3))]
    backend = get_backend("cpu")
    for grad_shape, shape in cases:
        grad = rng.standard_normal(grad_shape)
        expected = sum_to_shape(backend, grad, shape)
        got = np.asarray(unbroadcast(grad.copy(), shape))
        if got.shape != tuple(shape):
            hint = ("Sum over the extra leading axes first, then over every axis where `shape` has a 1 "
                    "(keepdims=True).")
            raise ExerciseFailed(f"unbroadcast(grad of shape {grad_shape}, {shape}) has shape {got.shape}, "
                                 f"it must have shape {shape}. {hint}")
        if not np.allclose(got, expected, rtol=1e-12, atol=1e-12):
            raise ExerciseFailed(f"unbroadcast(grad of shape {grad_shape}, {shape}) has the right shape but wrong "
                                 "values: each copy made by broadcasting gets its own gradient, and the copies' "
                                 "gradients must be SUMMED (not averaged, not just one taken).")
    return passed("lesson04.exercise2", f"unbroadcast agrees with minigrad's sum_to_shape on {len(cases)} shapes.")


def exercise3(Softplus):
    """``Softplus`` is a ``minigrad.autograd.Function`` subclass: y = log(1 + e^x), with its backward."""
    if not (isinstance(Softplus, type) and issubclass(Softplus, mg.autograd.Function)):
        raise ExerciseFailed("Softplus must be a class that subclasses mg.autograd.Function")
    x_np = np.array([-30.0, -2.0, -0.5, 0.0, 0.3, 4.0, 30.0])
    y = Softplus.apply(mg.tensor(x_np))
    expected = np.logaddexp(0.0, x_np)
    if not np.allclose(y.numpy(), expected, rtol=1e-9, atol=1e-12):
        raise ExerciseFailed(f"Softplus.apply(x) for x = {x_np.tolist()} gives {y.numpy().tolist()}, expected "
                             f"log(1 + e^x) = {expected.tolist()}. (np.logaddexp(0, x) computes it without overflow.)")
    x = mg.tensor(np.random.default_rng(5).standard_normal((3, 4)), requires_grad=True)
    try:
        mg.autograd.gradcheck(Softplus.apply, (x,))
    except AssertionError as error:
        raise ExerciseFailed(f"the backward is wrong: {error}. d softplus/dx = sigmoid(x) = 1 / (1 + e^-x), and "
                             "backward must return g * sigmoid(x), where g is the gradient it receives.") from None
    return passed("lesson04.exercise3", "Softplus's forward matches log(1 + e^x) and gradcheck accepts its backward.")
