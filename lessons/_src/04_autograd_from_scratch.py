# %% [markdown]
# # Lesson 04 — Automatic differentiation from scratch
#
# **What you will learn**
# * reverse-mode autodiff, by writing a complete scalar engine (a `Value` class of about 40 lines);
# * how minigrad does the same for tensors: the graph record `_node`, `Function.apply`, the topological order
#   (`minigrad.autograd.engine.topological_order`), and gradients through broadcasting (`sum_to_shape`);
# * how `gradcheck` tests any of this against finite differences.
#
# **What this lesson assumes:** lessons 01–03, and the multivariable chain rule: if $L$ depends on $x$ through
# several intermediate values $u_k$, then $\partial L/\partial x = \sum_k (\partial L/\partial u_k)(\partial u_k/\partial x)$.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
from minigrad.autograd.engine import sum_to_shape, topological_order
from minigrad.autograd.function import Node
from minigrad.backends import get_backend

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The idea
#
# A program that computes $L$ is a chain of small steps, each with a derivative that is easy to write down.
# Record every step as a node pointing to its inputs. After the forward pass, walk the graph **backwards**:
#
# * the output's gradient is $\partial L/\partial L = 1$;
# * a node $u = f(a, b)$ that knows $\bar u = \partial L/\partial u$ sends $\bar u\,\partial f/\partial a$ to
#   $a$ and $\bar u\,\partial f/\partial b$ to $b$;
# * a value used in several places **adds up** what it receives (the sum in the chain rule);
# * a node may only send once its own gradient is complete, that is, after every node that uses it has been
#   processed. A *topological order* of the graph, visited in reverse, guarantees this.
#
# One backward pass gives the derivative of $L$ with respect to **every** input. Its cost is a small constant
# times the cost of the forward pass, however many inputs there are.
#
# ## 2. A scalar engine in 40 lines

# %%
class Value:
    "A number that remembers how it was computed, so it can send gradients back."

    def __init__(self, data, parents=()):
        self.data = float(data)
        self.grad = 0.0
        self._parents = parents
        self._backward = lambda: None      # sends self.grad to the parents; set by the op that made self

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))
        def backward():                    # d(a+b)/da = 1, d(a+b)/db = 1
            self.grad += out.grad
            other.grad += out.grad
        out._backward = backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))
        def backward():                    # d(ab)/da = b, d(ab)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = backward
        return out

    def __pow__(self, k):                  # k is a plain number
        out = Value(self.data ** k, (self,))
        def backward():                    # d(a^k)/da = k a^(k-1)
            self.grad += k * self.data ** (k - 1) * out.grad
        out._backward = backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,))
        def backward():                    # d(e^a)/da = e^a = out
            self.grad += out.data * out.grad
        out._backward = backward
        return out

    __radd__ = __add__
    __rmul__ = __mul__
    def __neg__(self): return self * -1
    def __sub__(self, other): return self + (-other)
    def __truediv__(self, other): return self * other ** -1

    def backward(self):
        order, visited, stack = [], set(), [(self, False)]
        while stack:                       # iterative depth-first search: deep graphs do not hit the recursion limit
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)         # appended only after all of its parents
            elif id(node) not in visited:
                visited.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._parents)
        self.grad = 1.0
        for node in reversed(order):       # every consumer of a node comes before it
            node._backward()

    def __repr__(self):
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

# %% [markdown]
# Test it on $f(a, b) = \dfrac{a^2 b + e^{a}}{b} - 3a$. By hand, $\partial f/\partial a = 2a + e^a/b - 3$ and
# $\partial f/\partial b = -e^a/b^2$. Note that $a$ is used three times and $b$ twice; the `+=` in each
# backward adds those contributions up.

# %%
def f(a, b):
    return (a ** 2 * b + a.exp()) / b - 3 * a

a, b = Value(0.7), Value(-1.3)
out = f(a, b)
out.backward()
print(out, a, b)
np.testing.assert_allclose(a.grad, 2 * 0.7 + math.exp(0.7) / -1.3 - 3, rtol=1e-12)
np.testing.assert_allclose(b.grad, -math.exp(0.7) / 1.3 ** 2, rtol=1e-12)

at, bt = mg.tensor(0.7, dtype=mg.float64, requires_grad=True), mg.tensor(-1.3, dtype=mg.float64, requires_grad=True)
ft = f(at, bt)                    # the same Python function works on minigrad tensors
ft.backward()
np.testing.assert_allclose([ft.item(), at.grad.item(), bt.grad.item()], [out.data, a.grad, b.grad], rtol=1e-12)
assert mg.autograd.gradcheck(f, (at, bt))
print("Value and minigrad agree with each other and with the hand derivation")

# %% [markdown]
# Derivatives over a whole curve: for $g(x) = x^3 e^{-x^2}$, the engine's derivative agrees with central
# finite differences everywhere on the curve.

# %%
xs = np.linspace(-3, 3, 121)
values, slopes = [], []
for x0 in xs:
    x = Value(x0)
    y = x ** 3 * (-(x ** 2)).exp()
    y.backward()
    values.append(y.data); slopes.append(x.grad)
g = lambda t: t ** 3 * np.exp(-t ** 2)
finite = (g(xs + 1e-6) - g(xs - 1e-6)) / 2e-6
np.testing.assert_allclose(slopes, finite, atol=1e-8)

plt.figure(figsize=(6, 3.5))
plt.plot(xs, values, label="g(x) = x^3 exp(-x^2)")
plt.plot(xs, slopes, label="g'(x) from Value.backward()")
plt.plot(xs[::6], finite[::6], "k.", label="finite differences")
plt.axhline(0, color="gray", lw=0.5); plt.legend(); plt.xlabel("x"); plt.show()

# %%
x = Value(0.5)
y = x
for _ in range(5000):             # a chain 5000 ops deep: a recursive sort would exceed Python's recursion limit
    y = y * 1.0001
y.backward()
np.testing.assert_allclose(x.grad, 1.0001 ** 5000, rtol=1e-9)
print("gradient through 5000 ops:", x.grad)

# %% [markdown]
# ## 3. The same machinery in minigrad, for tensors
#
# minigrad keeps the same three ideas and scales them up to arrays:
#
# | scalar engine | minigrad |
# |---|---|
# | `out._parents`, `out._backward` | `t._node`, a `Node(fn, ctx, parents)` set by `Function.apply` (`minigrad/autograd/function.py`) |
# | a backward closure per op | `fn.backward(ctx, g)`, a static method beside `forward` in `minigrad/ops/*.py` |
# | the iterative sort in `backward` | `topological_order(root)` in `minigrad/autograd/engine.py` |
# | `self.grad += ...` | the engine adds the gradients of a tensor used several times, then **sums them down to its shape** |
#
# `Function.apply` unwraps tensors into raw arrays, calls `forward`, wraps the result, and, if any input
# requires grad, stores `Node(fn, ctx, parents)` on the output. `ctx` holds whatever `forward` saved for
# `backward`; `parents` says where each input's gradient goes: to the input's own `Node`, or to the input
# tensor itself when it is a leaf.

# %%
x = mg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
w = mg.tensor(rng.standard_normal((3,)), requires_grad=True)
h = (x * w).sigmoid()
loss = h.sum()

def describe(item):
    return item.fn.__name__ if isinstance(item, Node) else f"leaf{item.shape}"

print("loss was made by   ", loss._node.fn.__name__, "from", [describe(p) for p in loss._node.parents if p is not None])
print("h was made by      ", h._node.fn.__name__)
print("x is a leaf:       ", x.is_leaf, x._node)
order = topological_order(loss)
print("topological order: ", [describe(item) for item in order])
position = {id(item): i for i, item in enumerate(order)}
for item in order:                 # every node comes after the nodes and leaves it was computed from
    if isinstance(item, Node):
        assert all(position[id(p)] < position[id(item)] for p in item.parents if p is not None)

# %% [markdown]
# ### Broadcasting meets backward: `sum_to_shape`
#
# In `x * w` above, `w` has shape `(3,)` and was broadcast across the 2 rows of `x`. An op's backward returns
# gradients in the **output's** shape `(2, 3)`. Each row used the same `w`, so by the chain rule the gradient of
# `w` is the sum over the copies. `sum_to_shape` sums over the leading axes that broadcasting added, then over
# the axes where the input had size 1 (with `keepdims`). The engine calls it for every input of every op, so no
# op has to deal with broadcasting itself.

# %%
loss.backward()
s = 1 / (1 + np.exp(-(x.numpy() * w.numpy())))
g_out = s * (1 - s)                                   # d loss / d (x*w), shape (2, 3)
np.testing.assert_allclose(x.grad.numpy(), g_out * w.numpy(), rtol=1e-12)
np.testing.assert_allclose(w.grad.numpy(), (g_out * x.numpy()).sum(axis=0), rtol=1e-12)  # summed over the 2 copies

backend = get_backend("cpu")
G = rng.standard_normal((5, 4, 3))
assert sum_to_shape(backend, G, (4, 1)).shape == (4, 1)
np.testing.assert_allclose(sum_to_shape(backend, G, (4, 1)), G.sum(axis=0).sum(axis=1, keepdims=True))
np.testing.assert_allclose(sum_to_shape(backend, G, (1, 3)), G.sum(axis=(0, 1))[None, :])
assert mg.autograd.gradcheck(lambda a, b: (a * b).sigmoid(), (x, w))
print("w.grad is the per-row gradient summed over the broadcast rows:", w.grad.numpy())

# %% [markdown]
# ### Writing a new op
#
# A new operation is a `Function` subclass with a `forward` and a `backward`, both working on raw NumPy arrays.
# Here is $y = x^3$ with $\partial y/\partial x = 3x^2$, so the backward returns $g \cdot 3x^2$. The incoming
# gradient $g$ must always be multiplied in; that multiplication *is* the chain rule.

# %%
class Cube(mg.autograd.Function):
    "y = x^3.    gx = g * 3 x^2."

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2

x = mg.tensor(rng.standard_normal(5), requires_grad=True)
y = Cube.apply(x)
print(y.grad_fn, y._node.fn is Cube)
assert mg.autograd.gradcheck(Cube.apply, (x,))
assert mg.autograd.gradcheck(lambda t: Cube.apply(t * 2) * t, (x,))     # inside a bigger expression

# %% [markdown]
# ### What `gradcheck` does
#
# `mg.autograd.gradcheck(fn, inputs)` converts the inputs to `float64`. It reduces the output to a scalar
# $L = \sum w \odot \text{fn}(x)$ with fixed random weights $w$, so that every output element counts, and a
# backward that forgets to multiply by $g$ fails. It then compares autograd's $\partial L/\partial x_i$ with
# $(L(x_i+\epsilon) - L(x_i-\epsilon))/2\epsilon$ for every element, and raises an error naming the worst
# element:

# %%
class BrokenCube(Cube):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2                 # forgot g

try:
    mg.autograd.gradcheck(BrokenCube.apply, (x,))
    raise RuntimeError("gradcheck should have failed")
except AssertionError as error:
    print("gradcheck caught it:", error)

# %% [markdown]
# > **Common mistakes**
# > * **`=` instead of `+=`** when storing a gradient: a value used twice keeps only the last contribution.
# > * **Forgetting the incoming gradient**: a backward returns $g\cdot f'(x)$, not $f'(x)$. The scalar test
# >   $L = f(x)$ does not notice, since $g = 1$ there; `gradcheck`'s random weights do.
# > * **The wrong order**: visiting a node before all of its consumers have been processed sends an incomplete
# >   gradient. Always visit nodes in reverse topological order.
# > * **Forgetting broadcasting**: a bias gradient with the batch axis still in it has the wrong shape. Sum
# >   over the broadcast axes (`sum_to_shape`).
# > * **Calling `backward()` twice**: gradients accumulate into `.grad`. Set them to `None` between steps
# >   (`optimizer.zero_grad()`).

# %% [markdown]
# ## Exercises
#
# Each exercise cell holds a working answer. Overwrite it with your own and run the check.
#
# **Exercise 1.** Give `Value` a `tanh()` method. The checker builds `Value`s, calls `.tanh()` and
# `.backward()`, and compares the results with $\tanh$ and $1-\tanh^2$, including inside a larger expression.

# %%
from minigrad.check import lesson04

def value_tanh(self):
    out = Value(math.tanh(self.data), (self,))
    def backward():
        self.grad += (1 - out.data ** 2) * out.grad
    out._backward = backward
    return out

Value.tanh = value_tanh
lesson04.exercise1(Value)

# %% [markdown]
# **Exercise 2.** `unbroadcast(grad, shape)`: sum a NumPy gradient of a broadcast result back down to `shape`,
# as `sum_to_shape` does (without calling it).

# %%
def unbroadcast(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad

lesson04.exercise2(unbroadcast)

# %% [markdown]
# **Exercise 3.** A `Softplus` op: $y = \log(1 + e^x)$ with $y' = \sigma(x) = 1/(1+e^{-x})$. Compute the
# forward without overflow (`np.logaddexp(0, x)` does it), and in the backward multiply by `g`.

# %%
class Softplus(mg.autograd.Function):
    "y = log(1 + e^x).    gx = g * sigmoid(x)."

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.logaddexp(0.0, x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + np.exp(-x))

lesson04.exercise3(Softplus)

# %% [markdown]
# **Next:** lesson 05 uses the chain rule by hand on a two-layer network, and compares every delta with what
# autograd computes.
