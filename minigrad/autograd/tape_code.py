"""Turn a checked ``Tape`` (capture.py) into one straight-line Python function.

Replaying a tape entry by entry still pays a loop: for every op, unpack its record, look up where
each argument lives, test what its result is.  But all of that has the same answer at every
replay, so it can be decided once and *written out as code*, the way ``torch.fx`` and tinygrad turn
a recorded graph into source.  For the MLP of benchmarks/overhead.py the code reads::

    def captured_step(input0, input1):
        ctx0 = Context(cpu); ctx0.needs_input_grad = (False, True, True)
        v2 = Linear.forward(ctx0, input0, param0._array, param1._array)
        ctx1 = Context(cpu); ctx1.needs_input_grad = (True,)
        v3 = ReLU.forward(ctx1, v2)
        del v2
        ...
        grad5 = ones((), dtype=float32)                              # dL/dL = 1
        grads = CrossEntropy.backward(ctx5, grad5); del ctx5, grad5
        grad4 = grads[0]
        grads = Linear.backward(ctx4, grad4); del ctx4, grad4
        grad3 = grads[0]
        grad_param4 = grads[1]
        ...
        return (v7,), (grad_param4, grad_param5, ...)

Every line is a call the interpreter (``Tape.interpret``) makes too, in the same order, so the
results are the same to the last bit; what is gone is the deciding.  ``print(tape.source)`` shows
the code of a captured step.  The facts the code takes for granted (which backward returns a tuple,
which gradient needs summing back to its input's shape or a cast, which op answered with a NumPy
scalar) are the ones the interpreter saw in the check run, ``Facts`` below.
"""
import keyword
import linecache
import math

import numpy as np

from minigrad.autograd import engine
from minigrad.autograd.function import Context


class Facts:
    """What the check run saw, that the generated code may then take for granted."""

    def __init__(self, plan_length):
        self.scalar_results = set()        # entries whose forward returned a NumPy scalar (made a 0-d array)
        self.loss_shape = self.loss_dtype = None
        # per plan step: None (its gradient never arrived), ("leaf", copy) or ("node", returned_tuple, targets)
        # with targets [(position in the op's inputs, the gradient's key, first contribution?, sum to shape, cast)]
        self.steps = [None] * plan_length


def compile_tape(tape, facts):
    """(the function, its source) for ``tape``.  The function takes the step's input arrays and
    returns (the output arrays, the leaves' gradients in the order of ``tape.delivery``)."""
    names = _Names()
    lines = []
    inputs = [f"input{i}" for i in range(len(tape.input_slots))]
    value = {slot: name for slot, name in zip(tape.input_slots, inputs)}

    # forward: each op's forward on the raw arrays
    for i, (fn, backend, needs, template, from_slots, from_tensors, kwargs, out) in enumerate(tape.entries):
        args = [names.constant(a) for a in template]
        for position, slot in from_slots:
            args[position] = value[slot]
        for position, tensor in from_tensors:
            args[position] = names.tensor(tensor) + "._array"
        args += [f"{key}={names.constant(v)}" for key, v in kwargs.items()]
        value[out] = f"v{out}"
        if backend is None:                       # a computation without an op (Tape.add_computation)
            lines.append(f"v{out} = {names.bind(f'computation{i}', fn)}({', '.join(args)})")
        else:                                     # ctx<n> belongs to the op that makes v<n>
            lines.append(f"ctx{out} = Context({names.bind(backend.name, backend)}); "
                         f"ctx{out}.needs_input_grad = {needs!r}")
            call = f"{names.bind(fn.__name__, fn)}.forward(ctx{out}, {', '.join(args)})"
            lines.append(f"v{out} = {'asarray(' + call + ')' if i in facts.scalar_results else call}")
        released = [f"v{slot}" for slot in tape.release_after[i]]
        if released:
            lines.append(f"del {', '.join(released)}")

    # backward: the engine's visiting order, as the interpreter walked it.  grad_v<n> is dL/dv<n>;
    # grad_param<k> the gradient of a parameter (or other leaf), returned for delivery into .grad.
    def grad_name(key):
        leaf = tape.leaf_of_key.get(key)
        return f"grad_{names.leaf(leaf)}" if leaf is not None else f"grad_v{tape.entries[key][7]}"
    xp = tape.entries[tape.loss_entry][1].xp
    lines.append(f"{grad_name(tape.loss_entry)} = {names.bind('ones', xp.ones)}({facts.loss_shape!r}, "
                 f"dtype={names.constant(facts.loss_dtype)})  # dL/dL = 1")
    returned = []
    for (key, backward, backend, _), fact in zip(tape.plan, facts.steps):
        if fact is None:                          # no gradient reached it
            continue
        if fact[0] == "leaf":
            returned.append(grad_name(key))
            continue
        _, as_tuple, targets = fact
        fn, ctx = tape.entries[key][0], f"ctx{tape.entries[key][7]}"
        call = f"{names.bind(fn.__name__, fn)}.backward({ctx}, {grad_name(key)})"
        free = f"del {ctx}, {grad_name(key)}"
        if not as_tuple and len(targets) == 1 and targets[0][2:] == (True, None, None):
            lines.append(f"{grad_name(targets[0][1])} = {call}; {free}")    # one gradient, used as it is
            continue
        lines.append(f"grads = {call}; {free}")
        for position, parent, first, sum_shape, cast in targets:
            term = f"grads[{position}]" if as_tuple else "grads"
            if sum_shape is not None:             # undo broadcasting
                term = (f"{names.bind('sum_to_shape', engine.sum_to_shape)}({names.bind(backend.name, backend)}, "
                        f"{term}, {sum_shape!r})")
            if cast is not None:
                term = f"{term}.astype({names.constant(cast)})"
            target = grad_name(parent)
            lines.append(f"{target} = {term}" if first else f"{target} = {target} + {term}")
    lines.append(f"return {_tuple(value[slot] for slot in tape.output_slots)}, {_tuple(returned)}")

    source = f"def captured_step({', '.join(inputs)}):\n" + "".join(f"    {line}\n" for line in lines)
    filename = f"<captured step {id(tape):x}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # tracebacks show the line
    namespace = dict(names.globals)
    exec(compile(source, filename, "exec"), namespace)
    return namespace["captured_step"], source


class _Names:
    """The global names the generated code refers to: ops, backends, tensors, and constants."""

    def __init__(self):
        self.globals = {"Context": Context, "asarray": np.asarray}
        self.tensors = {}     # id(tensor) -> its name (param<k> if it requires grad, else tensor<k>)

    def bind(self, name, obj):
        """A global for ``obj``, called ``name`` (or ``name_2``... if that is taken by another object)."""
        name = name if name.isidentifier() and not keyword.iskeyword(name) else "obj"
        candidate, n = name, 1
        while candidate in self.globals and self.globals[candidate] is not obj:
            n += 1
            candidate = f"{name}_{n}"
        self.globals[candidate] = obj
        return candidate

    def tensor(self, tensor):
        name = self.tensors.get(id(tensor))
        if name is None:
            name = f"{'param' if tensor.requires_grad else 'tensor'}{len(self.tensors)}"
            self.tensors[id(tensor)] = name
            self.globals[name] = tensor
        return name

    def leaf(self, leaf):
        """The name of a leaf: ``input<k>`` for a step input, else the tensor's own name."""
        if isinstance(leaf, int):
            return f"input{leaf}"
        return self.tensor(leaf)

    def constant(self, value):
        """Source text for a constant argument: the literal when it reads back exactly, else a global."""
        if _is_literal(value):
            return repr(value)
        if isinstance(value, np.dtype):
            return self.bind(value.name, value)
        return self.bind("constant", value)


def _tuple(names):
    """Source text of a tuple of these names: (), (a,), (a, b)."""
    names = list(names)
    return f"({names[0]},)" if len(names) == 1 else f"({', '.join(names)})"


def _is_literal(value):
    """Whether ``repr(value)`` reads back as the same value (None, bools, ints, strings, finite
    floats, and tuples of them)."""
    if value is None or type(value) in (bool, int, str):
        return True
    if type(value) is float:
        return math.isfinite(value)
    if type(value) is tuple:
        return all(_is_literal(v) for v in value)
    return False
