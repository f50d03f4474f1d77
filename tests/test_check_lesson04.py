"""The lesson 04 checkers accept right answers and reject typical wrong ones with a useful message."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.check import ExerciseFailed, lesson04, reference_solutions

SOLUTIONS = reference_solutions(4)


def make_value_class(tanh_derivative, accumulate=True, assign=False):
    class Value:
        def __init__(self, data, parents=(), backward=lambda: None):
            self.data, self.grad, self._parents, self._backward = data, 0.0, parents, backward

        def __add__(self, other):
            out = Value(self.data + other.data, (self, other))
            def backward():
                self.grad += out.grad
                other.grad += out.grad
            out._backward = backward
            return out

        def __mul__(self, other):
            out = Value(self.data * other.data, (self, other))
            def backward():
                self.grad += other.data * out.grad
                other.grad += self.data * out.grad
            out._backward = backward
            return out

        def tanh(self):
            out = Value(math.tanh(self.data), (self,))
            def backward():
                local = tanh_derivative(self.data, out.data)
                if assign:                        # the lesson's mistake #1: = instead of +=
                    self.grad = local * out.grad
                else:
                    self.grad += local * out.grad if accumulate else local
            out._backward = backward
            return out

        def backward(self):
            order, seen = [], set()
            def visit(v):
                if id(v) not in seen:
                    seen.add(id(v))
                    for p in v._parents:
                        visit(p)
                    order.append(v)
            visit(self)
            self.grad = 1.0
            for v in reversed(order):
                v._backward()
    return Value


def test_exercise1_accepts_one_minus_t_squared():
    assert lesson04.exercise1(make_value_class(lambda x, t: 1 - t * t)) is True


def test_exercise1_rejects_one_minus_x_squared():
    with pytest.raises(ExerciseFailed, match="1 - x\\^2"):
        lesson04.exercise1(make_value_class(lambda x, t: 1 - x * x))


def test_exercise1_rejects_assignment_instead_of_accumulation():
    """The issue's accepted-wrong answer: self.grad = ... passed the old checker."""
    with pytest.raises(ExerciseFailed, match=r"assigns self.grad = \.\.\. instead of adding"):
        lesson04.exercise1(make_value_class(lambda x, t: 1 - t * t, assign=True))


def test_exercise1_rejects_missing_chain_rule():
    with pytest.raises(ExerciseFailed, match=r"\*multiply\* by out.grad"):
        lesson04.exercise1(make_value_class(lambda x, t: 1 - t * t, accumulate=False))


def unbroadcast(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def test_exercise2_accepts_unbroadcast():
    assert lesson04.exercise2(unbroadcast) is True


def test_exercise2_rejects_leading_axes_only():
    def leading_only(grad, shape):
        while grad.ndim > len(shape):
            grad = grad.sum(axis=0)
        return grad
    with pytest.raises(ExerciseFailed, match="must have shape"):
        lesson04.exercise2(leading_only)


def test_exercise2_rejects_mean():
    def averaged(grad, shape):
        out = unbroadcast(grad, shape)
        return out * out.size / grad.size
    with pytest.raises(ExerciseFailed, match="SUMMED"):
        lesson04.exercise2(averaged)


def make_softplus(backward_rule):
    class Softplus(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.logaddexp(0.0, x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return backward_rule(g, x)
    return Softplus


def stable_sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def test_exercise3_accepts_the_reference_softplus():
    assert lesson04.exercise3(SOLUTIONS.Softplus) is True
    assert lesson04.exercise3(make_softplus(lambda g, x: g * stable_sigmoid(x))) is True


def test_exercise3_rejects_missing_incoming_gradient():
    with pytest.raises(ExerciseFailed, match="backward is wrong"):
        lesson04.exercise3(make_softplus(lambda g, x: stable_sigmoid(x)))


def test_exercise3_rejects_an_overflowing_forward():
    class Naive(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.log(1 + np.exp(x))

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * stable_sigmoid(x)
    with pytest.raises(ExerciseFailed, match="forward overflows at x = 1000"):
        lesson04.exercise3(Naive)


def test_exercise3_rejects_an_overflowing_backward():
    with pytest.raises(ExerciseFailed, match="backward overflows"):
        lesson04.exercise3(make_softplus(lambda g, x: g / (1 + np.exp(-x))))


def test_exercise3_rejects_non_function():
    with pytest.raises(ExerciseFailed, match="subclasses mg.autograd.Function"):
        lesson04.exercise3(lambda x: x)


def test_exercise4_accepts_central_differences():
    assert lesson04.exercise4(SOLUTIONS.numerical_gradient) is True


def test_exercise4_rejects_forward_differences():
    def forward_difference(f, x, eps=1e-6):
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            step = x.copy()
            step[i] += eps
            grad[i] = (f(step) - f(x)) / eps
        return grad
    with pytest.raises(ExerciseFailed, match="like a forward difference"):
        lesson04.exercise4(forward_difference)
