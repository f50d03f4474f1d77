"""Checkers for lesson 04, automatic differentiation."""
import math

import numpy as np

import minigrad as mg
from minigrad.autograd.engine import sum_to_shape
from minigrad.backends import get_backend
from minigrad.check import ExerciseFailed, exercise, passed


@exercise("lesson04.exercise1")
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
    # the input used twice: tanh's backward must ADD into x.grad, not overwrite what the other use sent.
    x = Value(0.3)
    y = x.tanh() + x
    y.backward()
    expected = (1 - math.tanh(0.3) ** 2) + 1.0
    if not math.isclose(x.grad, expected, rel_tol=1e-9):
        hint = "Hint: self.grad += (1 - t^2) * out.grad."
        if math.isclose(x.grad, expected - 1.0, rel_tol=1e-9):
            hint = ("Your backward assigns self.grad = ... instead of adding (+=): the 1 that the `+ x` path had "
                    "already sent to x was overwritten.")
        raise ExerciseFailed(f"for y = tanh(x) + x at x = 0.3, x.grad = {x.grad} but dy/dx = {expected:.12g}. {hint}")
    # tanh inside a bigger expression: the chain rule must multiply by the incoming gradient.
    x = Value(0.4)
    y = (x * Value(3.0)).tanh() * Value(2.0)
    y.backward()
    expected = 2.0 * (1 - math.tanh(1.2) ** 2) * 3.0
    if not math.isclose(x.grad, expected, rel_tol=1e-9):
        raise ExerciseFailed(f"for y = 2 tanh(3x) at x = 0.4, x.grad = {x.grad} but dy/dx = {expected:.12g}. "
                             "Your tanh's backward must *multiply* by out.grad (the gradient arriving from above) "
                             "and *add* into self.grad (+=).")
    return passed("lesson04.exercise1", "tanh's value and gradient are right, alone, in tanh(x) + x and in 2 tanh(3x).")


@exercise("lesson04.exercise2")
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


@exercise("lesson04.exercise3")
def exercise3(Softplus):
    """``Softplus`` is a ``minigrad.autograd.Function`` subclass: y = log(1 + e^x), with its backward,
    neither of which may overflow."""
    if not (isinstance(Softplus, type) and issubclass(Softplus, mg.autograd.Function)):
        raise ExerciseFailed("Softplus must be a class that subclasses mg.autograd.Function")
    x_np = np.array([-1000.0, -30.0, -2.0, -0.5, 0.0, 0.3, 4.0, 30.0, 1000.0])
    expected = np.logaddexp(0.0, x_np)
    x = mg.tensor(x_np, requires_grad=True)
    try:
        with np.errstate(over="raise", invalid="raise"):
            y = Softplus.apply(x)
    except FloatingPointError as error:
        raise ExerciseFailed(f"your forward overflows at x = 1000 ({error}): log(1 + np.exp(x)) computes e^1000 = inf "
                             "first. Use np.logaddexp(0, x), or max(x, 0) + log1p(e^{-|x|}).") from None
    if not np.allclose(y.numpy(), expected, rtol=1e-9, atol=1e-12):
        raise ExerciseFailed(f"Softplus.apply(x) for x = {x_np.tolist()} gives {y.numpy().tolist()}, expected "
                             f"log(1 + e^x) = {expected.tolist()}. (np.logaddexp(0, x) computes it without overflow.)")
    try:
        with np.errstate(over="raise", invalid="raise"):
            y.sum().backward()
    except FloatingPointError as error:
        raise ExerciseFailed(f"your backward overflows at x = -1000 ({error}): 1 / (1 + e^-x) computes e^1000. Use the "
                             "stable sigmoid of lesson 02 (only ever exponentiate -|x|).") from None
    sigmoid = np.where(x_np >= 0, 1 / (1 + np.exp(-np.abs(x_np))), np.exp(-np.abs(x_np)) / (1 + np.exp(-np.abs(x_np))))
    if x.grad is None or not np.allclose(x.grad.numpy(), sigmoid, rtol=1e-9, atol=1e-300):
        raise ExerciseFailed(f"with g = 1 your backward returns {None if x.grad is None else x.grad.numpy().tolist()}; "
                             f"d softplus/dx = sigmoid(x) = {sigmoid.tolist()}.")
    x = mg.tensor(np.random.default_rng(5).standard_normal((3, 4)), requires_grad=True)
    try:
        mg.autograd.gradcheck(Softplus.apply, (x,))
    except AssertionError as error:
        raise ExerciseFailed(f"the backward is wrong: {error}. d softplus/dx = sigmoid(x) = 1 / (1 + e^-x), and "
                             "backward must return g * sigmoid(x), where g is the gradient it receives.") from None
    return passed("lesson04.exercise3", "Softplus matches log(1 + e^x) from -1000 to 1000 without overflow, forward "
                  "and backward, and gradcheck accepts it.")


@exercise("lesson04.exercise4")
def exercise4(numerical_gradient):
    """``numerical_gradient(f, x, eps=1e-6)``: the central-difference gradient of a scalar function f of an array."""
    rng = np.random.default_rng(6)
    cases = [(lambda v: float(np.sum(np.sin(v))), lambda v: np.cos(v), rng.standard_normal(5)),
             (lambda v: float(np.sum(v ** 3) + v[0, 1] * v[1, 0]),
              lambda v: 3 * v ** 2 + np.array([[0, v[1, 0]], [v[0, 1], 0]]), rng.standard_normal((2, 2)))]
    for f, exact, x in cases:
        got = np.asarray(numerical_gradient(f, x.copy(), 1e-6), dtype=np.float64)
        if got.shape != x.shape:
            raise ExerciseFailed(f"for x of shape {x.shape} you returned shape {got.shape}: one partial derivative "
                                 "per element of x")
        if not np.allclose(got, exact(x), rtol=1e-5, atol=1e-5):
            raise ExerciseFailed(f"for x of shape {x.shape} your gradient {np.round(got, 6).tolist()} differs from the "
                                 f"exact {np.round(exact(x), 6).tolist()}. Hint: change ONE element at a time, by +eps "
                                 "and by -eps, and divide the difference by 2 eps.")
    x = np.array([0.7])
    f = lambda v: float(np.exp(v[0]))
    errors = [abs(float(np.asarray(numerical_gradient(f, x.copy(), eps)).ravel()[0]) - math.exp(0.7))
              for eps in (1e-2, 1e-3)]
    if errors[1] > errors[0] / 30:
        raise ExerciseFailed(f"your error shrinks from {errors[0]:.2e} to {errors[1]:.2e} when eps goes from 1e-2 to "
                             "1e-3: only 10x, like a forward difference (error ~ eps). A central difference "
                             "(f(x+eps) - f(x-eps)) / (2 eps) has error ~ eps^2: 100x smaller.")
    return passed("lesson04.exercise4", f"right on two functions, and the error falls {errors[0] / errors[1]:.0f}x when "
                  "eps falls 10x: second order, as a central difference should.")
