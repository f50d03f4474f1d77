"""The lesson 04 checkers accept right answers and reject typical wrong ones with a useful message."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.check import ExerciseFailed, lesson04


def make_value_class(tanh_derivative, accumulate=True):
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


def test_exercise3_accepts_g_times_sigmoid():
    assert lesson04.exercise3(make_softplus(lambda g, x: g / (1 + np.exp(-x)))) is True


def test_exercise3_rejects_missing_incoming_gradient():
    with pytest.raises(ExerciseFailed, match="backward is wrong"):
        lesson04.exercise3(make_softplus(lambda g, x: 1 / (1 + np.exp(-x))))


def test_exercise3_rejects_non_function():
    with pytest.raises(ExerciseFailed, match="subclasses mg.autograd.Function"):
        lesson04.exercise3(lambda x: x)
