# %% [markdown]
# # Lesson 04 — Automatic differentiation from scratch
#
# **What you will learn**
# * reverse-mode autodiff, by writing a complete scalar engine (a `Value` class of about 55 lines), and drawing
#   the computational graph it records;
# * how minigrad does the same for tensors: the graph record `_node`, `Function.apply`, the topological order
#   (`minigrad.autograd.engine.topological_order`), and gradients through broadcasting (`sum_to_shape`);
# * how `gradcheck` tests any of this against finite differences, and why it runs in `float64`: the error of a
#   finite difference against its step size, in `float32` and `float64` (the precision thread).
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
# ## 2. A scalar engine in about 55 lines

# %%
class Value:
    "A number that remembers how it was computed, so it can send gradients back."

    def __init__(self, data, parents=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = parents
        self._op = op                      # the op that made this value ("" for an input): for drawing only
        self._backward = lambda: None      # sends self.grad to the parents; set by the op that made self

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "add")
        def backward():                    # d(a+b)/da = 1, d(a+b)/db = 1
            self.grad += out.grad
            other.grad += out.grad
        out._backward = backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "mul")
        def backward():                    # d(ab)/da = b, d(ab)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = backward
        return out

    def __pow__(self, k):                  # k is a plain number
        out = Value(self.data ** k, (self,), f"pow {k:g}")
        def backward():                    # d(a^k)/da = k a^(k-1)
            self.grad += k * self.data ** (k - 1) * out.grad
        out._backward = backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")
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
# ### The computational graph
#
# `backward` walked a graph that the forward pass recorded: one node per `Value`, an edge from each input to
# the value computed from it. Drawing it makes the two passes visible: data flows left to right, gradients right
# to left. A node's column is its depth (the longest path from an input); each box shows the op that made the
# value, the value, and the gradient `backward` left in it. $a$ and $b$ fan out to several nodes; their `grad` is the
# sum over those edges.

# %%
def graph_nodes(root):
    """Every Value reachable from root, in topological order (inputs first), and each one's depth."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node._parents)
    depth = {}
    for node in order:
        depth[id(node)] = 1 + max((depth[id(p)] for p in node._parents), default=-1)
    return order, depth


def draw_graph(root, names=None):
    """Draw the graph behind `root` with matplotlib: boxes are Values, arrows point from input to output."""
    names = names or {}
    order, depth = graph_nodes(root)
    columns = {}
    for node in order:
        columns.setdefault(depth[id(node)], []).append(node)
    where = {id(n): (d, -i + (len(col) - 1) / 2) for d, col in columns.items() for i, n in enumerate(col)}
    _, ax = plt.subplots(figsize=(1.9 * len(columns), 1.1 * max(len(c) for c in columns.values()) + 1))
    for node in order:
        for parent in node._parents:
            (x0, y0), (x1, y1) = where[id(parent)], where[id(node)]
            ax.annotate("", xy=(x1 - 0.32, y1), xytext=(x0 + 0.32, y0),
                        arrowprops=dict(arrowstyle="->", color="gray", lw=0.8))
        x, y = where[id(node)]
        label = names.get(id(node), node._op or "constant")     # an unnamed input is a constant like 3
        ax.text(x, y, f"{label}\ndata {node.data:.3g}\ngrad {node.grad:.3g}", ha="center", va="center", fontsize=7,
                bbox=dict(boxstyle="round", fc="white" if node._parents else "lightyellow", ec="gray"))
    ys = [y for _, y in where.values()]
    ax.set_xlim(-0.6, max(columns) + 0.6); ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7); ax.axis("off")
    return order

nodes = draw_graph(out, names={id(a): "a", id(b): "b", id(out): "f"})
plt.title("f(a, b) = (a^2 b + e^a) / b - 3a: forward left to right, backward right to left", fontsize=9); plt.show()
assert nodes[-1] is out and {id(a), id(b)} <= {id(n) for n in nodes}
assert sum(1 for n in nodes for p in n._parents if p is a) == 3          # a feeds three ops
assert out.grad == 1.0                                                    # the seed of the backward pass

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
# ### How big a step for a finite difference? (the precision thread)
#
# A central difference $\big(f(x+\epsilon) - f(x-\epsilon)\big)/2\epsilon$ makes two errors. Its **truncation error**
# is about $\tfrac{\epsilon^2}{6}|f^{(3)}(x)|$ (Taylor's theorem), so a smaller $\epsilon$ is better. But $f(x\pm\epsilon)$ are each
# rounded to within about $u\,|f|$, where $u$ is the dtype's machine epsilon (lesson 01), and the difference divides
# that **rounding error** by $2\epsilon$: it grows like $u|f|/\epsilon$. The total is smallest near $\epsilon \approx u^{1/3}$:
# about $5\times10^{-3}$ in `float32` ($u \approx 1.2\times10^{-7}$) and $6\times10^{-6}$ in `float64`, and the best attainable error
# is about $u^{2/3}$: roughly $10^{-5}$ against $10^{-11}$. That is why `gradcheck` converts to `float64`: in `float32` a
# correct backward and one that is off by $10^{-5}$ cannot be told apart.

# %%
def central_difference_error(dtype, eps):
    x = np.asarray(0.7, dtype=dtype)
    step = np.asarray(eps, dtype=dtype)
    estimate = (np.sin(x + step) - np.sin(x - step)) / (2 * step)
    return abs(float(estimate) - math.cos(0.7))

steps = np.logspace(-12, -0.5, 47)
errors = {name: np.array([central_difference_error(dtype, e) for e in steps]) for name, dtype in
          [("float32", np.float32), ("float64", np.float64)]}
plt.figure(figsize=(5.5, 3.5))
for name, err in errors.items():
    plt.loglog(steps, np.maximum(err, 1e-17), ".-", label=name)
plt.xlabel("step epsilon"); plt.ylabel("|central difference - cos(0.7)|"); plt.legend()
plt.title("error of a finite difference: rounding (left) vs truncation (right)", fontsize=9); plt.show()
best = {name: (steps[np.argmin(err)], err.min()) for name, err in errors.items()}
print({name: f"best step {s:.1e}, error {e:.1e}" for name, (s, e) in best.items()})
assert 1e-4 < best["float32"][0] < 1e-1 and 1e-7 < best["float64"][0] < 1e-4    # near u^(1/3)
assert best["float32"][1] > 1e-7 and best["float64"][1] < 1e-9                     # near u^(2/3)
assert errors["float64"][0] > 1e-6                                                 # too small a step: rounding wins

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
# Each exercise is a stub: its docstring gives the task, the signature and a hint, and its body raises
# `NotImplementedError`. Replace that line with your code and run the cell; the checker reports "not yet solved"
# until you do. Reference solutions: `lessons/_solutions/lesson04.py`.
#
# **Exercise 1 — `tanh` for the scalar engine.** Give `Value` a `tanh()` method. The checker builds `Value`s,
# calls `.tanh()` and `.backward()`, and compares with $\tanh$ and $1-\tanh^2$: alone, inside a larger
# expression, and with the input used a second time (where `=` instead of `+=` loses a contribution).

# %%
from minigrad.check import lesson04

def value_tanh(self):
    """Return a new Value t = tanh(self.data) whose backward adds (1 - t^2) * out.grad into self.grad.

    Hint: follow Value.exp above: out = Value(math.tanh(self.data), (self,), "tanh"); define backward();
    set out._backward = backward; return out.
    """
    raise NotImplementedError("exercise 1: write value_tanh")

Value.tanh = value_tanh
lesson04.exercise1(Value)

# %% [markdown]
# **Exercise 2 — unbroadcast.** Sum a NumPy gradient of a broadcast result back down to `shape`, as `sum_to_shape`
# does (without calling it).

# %%
def unbroadcast(grad, shape):
    """Return grad (a NumPy array of the broadcast shape) summed down to `shape` (a tuple).

    Hint: first sum over leading axes until grad.ndim == len(shape); then, for every axis where shape has 1 and
    grad does not, sum over it with keepdims=True.
    """
    raise NotImplementedError("exercise 2: write unbroadcast")

lesson04.exercise2(unbroadcast)

# %% [markdown]
# **Exercise 3 — a `Softplus` op that never overflows.** $y = \log(1 + e^x)$ with $y' = \sigma(x)$. The checker
# calls it at $x = \pm 1000$ with floating-point overflow turned into an error, in the forward **and** the
# backward, and runs `gradcheck`.

# %%
class Softplus(mg.autograd.Function):
    "y = log(1 + e^x).    gx = g * sigmoid(x)."

    @staticmethod
    def forward(ctx, x):
        """Return log(1 + e^x) for a NumPy array x without overflow; save what backward needs.

        Hint: np.logaddexp(0, x) is log(e^0 + e^x), computed stably; ctx.save_for_backward(x).
        """
        raise NotImplementedError("exercise 3: write Softplus.forward")

    @staticmethod
    def backward(ctx, g):
        """Return g * sigmoid(x) without overflow.

        Hint: lesson 02's stable sigmoid: z = np.exp(-np.abs(x)); np.where(x >= 0, 1 / (1 + z), z / (1 + z)).
        """
        raise NotImplementedError("exercise 3: write Softplus.backward")

lesson04.exercise3(Softplus)

# %% [markdown]
# **Exercise 4 — your own finite differences.** Write the central-difference gradient of a scalar function of a
# NumPy array, one element at a time. The checker compares it with known gradients, and checks that its error
# shrinks like $\epsilon^2$ (a forward difference $\big(f(x+\epsilon)-f(x)\big)/\epsilon$ only shrinks like $\epsilon$).

# %%
def numerical_gradient(f, x, eps=1e-6):
    """Return an array of x's shape whose element i is (f(x + eps e_i) - f(x - eps e_i)) / (2 eps).

    f maps a float64 NumPy array to a Python float. Hint: loop over np.ndindex(x.shape); perturb a copy of x.
    """
    raise NotImplementedError("exercise 4: write numerical_gradient")

lesson04.exercise4(numerical_gradient)

# %% [markdown]
# **Next:** lesson 05 uses the chain rule by hand on a two-layer network, and compares every delta with what
# autograd computes.
