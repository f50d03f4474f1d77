"""``mg.capture_step``: record one training step's array work once, then replay it on new data.

Why frameworks compile
----------------------
An eager step does two kinds of work: the *arithmetic* (NumPy's matmuls, exps, sums) and the
*bookkeeping* around it, in Python: calling modules, checking arguments, making a Tensor and a
graph Node for every result, sorting the graph for the backward pass, looking up the backend,
wrapping every gradient.  For a big model the arithmetic is everything.  For a small one (the
MLP of benchmarks/overhead.py: 32-128-128-10 on a batch of 64) each NumPy call takes a few
microseconds, and so does the bookkeeping around it: about 40% of the step.

But the bookkeeping gives the same answer at every step: the same ops, in the same order, on
arrays of the same shapes.  Only the numbers change.  So a framework can work it out once and
keep only the arithmetic.  That is what tinygrad's ``TinyJit``, CUDA graphs and (with much more
machinery) ``torch.compile`` do.  ``capture_step`` is the smallest version of the idea:

1. **capture** (first call): run the step normally, while ``Function.apply`` writes every op on a
   *tape*: which op, where each input comes from (a step input, the output of an earlier entry,
   or a tensor from outside the step such as a parameter) and the op's constant arguments.  The
   backward pass is written down as the order in which the engine visits the graph and where each
   gradient goes.
2. **check** (second call): *interpret* the tape on the new inputs (for each entry, call the op's
   own ``forward`` on the raw arrays; then the ops' ``backward`` in the recorded order), writing
   down what it decides on the way; then *compile* it: write the same calls out as one Python
   function with nothing left to decide (tape_code.py; ``print(tape.source)`` shows it).  Run that
   code, and the step normally too, on the same inputs and random numbers, and compare: the loss
   and every gradient must be equal to the last bit.  If they are not, the step computed
   something the tape cannot see (below), a warning says so, and the step runs eagerly from then
   on.
3. **replay** (later calls): run the compiled code, put the gradients in ``.grad``, then
   ``optimizer.step()``.  No modules, Tensors, Nodes or graph sort: the arithmetic is the same
   NumPy calls, so the results are identical.

The rules of a captured step (the same as for CUDA graphs and TinyJit): it must do the same work
at every call.  Inputs are Tensors; a new shape, dtype or device makes a new capture (each kept).
Everything that depends on the inputs must be computed with minigrad's tensor operations: a value
read on the host (``.item()``, ``.numpy()``) and turned back into a tensor, or a Python ``if`` on
a value, is frozen at capture; so is a flag such as ``model.train()`` / ``model.eval()``: capture
the step in the mode you train in.  Random numbers drawn by ops (dropout) are drawn afresh at every
replay.  Not supported (refused with an error): in-place ops, hooks and ``retain_grad`` inside
the step, and your own ``autograd.Function`` subclasses.
"""
import threading
import warnings

import numpy as np

from minigrad import random
from minigrad.autograd import engine
from minigrad.autograd.function import Context, Node
from minigrad.autograd.tape_code import Facts, compile_tape
from minigrad.tensor import Tensor

recording = None  # the Tape being written while a step is captured (Function.apply writes to it)


def capture_step(loss_fn, optimizer):
    """A training step that is recorded once and replayed (see the module docstring)::

        step = mg.capture_step(lambda x, y: F.cross_entropy(model(x), y), optimizer)
        for x, y in batches:
            loss = step(x, y)   # = optimizer.zero_grad(); loss = loss_fn(x, y); loss.backward(); optimizer.step()

    ``loss_fn(*inputs)`` returns the loss (a one-element tensor), or a tuple ``(loss, *more)`` of
    tensors computed in the step (e.g. the logits, to count correct answers); ``step`` returns the
    same, detached from the graph."""
    return CapturedStep(loss_fn, optimizer)


class CapturedStep:
    """The object ``capture_step`` returns; call it like the step."""

    def __init__(self, loss_fn, optimizer):
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.tapes = {}       # input signature -> Tape (captured, then checked)
        self.eager = False    # set when a check failed: the step is not capturable
        self.replays = 0      # calls answered by a replay (for tests and curious learners)

    def __call__(self, *inputs):
        for x in inputs:
            if not isinstance(x, Tensor):
                raise TypeError(f"capture_step: inputs must be Tensors (their values change from call to call; other "
                                f"values would be frozen at capture), got {type(x).__name__}")
        if self.eager:
            return self._eager_step(inputs)
        signature = _signature(inputs)
        tape = self.tapes.get(signature)
        if tape is None:
            return self._capture(signature, inputs)
        if not tape.checked:
            return self._check(tape, inputs)
        self.optimizer.zero_grad()
        outputs, leaf_grads = tape.run(inputs)
        tape.deliver(inputs, leaf_grads)
        self.optimizer.step()
        self.replays += 1
        return outputs if len(outputs) > 1 else outputs[0]

    def tape(self, *inputs):
        """The Tape recorded for inputs of these shapes (``print`` it to read it), or None."""
        return self.tapes.get(_signature(inputs))

    def _eager_step(self, inputs):
        self.optimizer.zero_grad()
        outputs = self._run(inputs)
        outputs[0].backward()
        self.optimizer.step()
        return _detached(outputs)

    def _run(self, inputs):
        """loss_fn(*inputs) as a tuple (loss, *more), checked."""
        outputs = self.loss_fn(*inputs)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        if not all(isinstance(t, Tensor) for t in outputs):
            raise TypeError("capture_step: loss_fn must return the loss tensor, or a tuple of tensors whose first "
                            "is the loss")
        if outputs[0].numel() != 1 or not outputs[0].requires_grad:
            raise RuntimeError(f"capture_step: loss_fn's loss must be a one-element tensor that requires grad, got "
                               f"shape {outputs[0].shape} (requires_grad={outputs[0].requires_grad})")
        return outputs

    def _capture(self, signature, inputs):
        global recording
        self.optimizer.zero_grad()
        tape = recording = Tape(inputs)
        try:
            outputs = self._run(inputs)
        finally:
            recording = None
        tape.finish(outputs)
        self.tapes[signature] = tape      # only a complete tape is kept (a refused step raised above)
        outputs[0].backward()
        self.optimizer.step()
        return _detached(outputs)

    def _check(self, tape, inputs):
        """Interpret the tape (writing down what it decides), compile it to code, and run both the
        code and the eager step on the same inputs and random numbers: they must agree to the last
        bit, else the step computes values the tape cannot see."""
        state = random.get_rng_state()
        self.optimizer.zero_grad()
        facts = Facts(len(tape.plan))
        tape.interpret(inputs, facts)
        tape.compile(facts)
        random.set_rng_state(state)
        replayed, leaf_grads = tape.run(inputs)
        random.set_rng_state(state)
        self.optimizer.zero_grad()
        outputs = self._run(inputs)
        outputs[0].backward()
        same = all(np.array_equal(r.numpy(), o.detach().numpy()) for r, o in zip(replayed, outputs))
        leaves = tape.leaves(inputs)
        for leaf, grad in zip(leaves, leaf_grads):
            same = same and leaf.grad is not None and np.array_equal(leaf._backend.to_numpy(grad), leaf.grad.numpy())
        given = {id(leaf) for leaf in leaves}
        same = same and all(p.grad is None or id(p) in given
                            for group in self.optimizer.param_groups for p in group["params"])
        if same:
            tape.checked = True
        else:
            self.eager = True
            warnings.warn("capture_step: replaying the recorded step did not give the same loss and gradients as "
                          "running it, so it runs eagerly from now on. The step computes something outside "
                          "minigrad's tensor operations (a value read with .item()/.numpy() and made a tensor "
                          "again, a Python branch on a value, random numbers drawn outside ops...): see "
                          "minigrad/autograd/capture.py for the rules.", RuntimeWarning, stacklevel=3)
        self.optimizer.step()
        return _detached(outputs)


def _signature(inputs):
    """What must match for a tape to be replayed: each input's shape, dtype, device and requires_grad."""
    return tuple([(x._array.shape, x._array.dtype, x.device, x.requires_grad) for x in inputs])


def _detached(outputs):
    values = tuple(t.detach() for t in outputs)
    return values if len(values) > 1 else values[0]


class Tape:
    """One captured step: the forward entries, and the backward plan."""

    def __init__(self, inputs):
        self.thread = threading.get_ident()   # only this thread's ops belong to the step
        self.checked = False
        self.slot_of = {}        # while capturing: id(array) -> slot number, for the arrays the step computes
        self.alive = []          # ... and those arrays, kept alive so that their ids stay theirs
        self.entries = []        # (forward or compute, backend, needs, template, from_slots, from_tensors, kwargs, out)
        self.entry_of_node = {}  # id(Node) -> index of the entry that made it
        self.input_slots = [self._new_slot(x._array) for x in inputs]
        self.input_ids = [id(x) for x in inputs]   # a leaf that is an input gets the new input's gradient at replay
        self.code = self.source = None           # the compiled replay, written by the check (Tape.compile)

    # ------------------------------------------------------------------ recording (the first call)
    def _new_slot(self, array):
        self.slot_of[id(array)] = len(self.alive)
        self.alive.append(array)
        return len(self.alive) - 1

    def _sources(self, args):
        """Where each argument comes from: a slot, a tensor from outside the step, or a constant."""
        template, from_slots, from_tensors = list(args), [], []
        for i, a in enumerate(args):
            array = a._array if isinstance(a, Tensor) else a
            if isinstance(array, np.ndarray) or hasattr(array, "__cuda_array_interface__"):
                slot = self.slot_of.get(id(array))
                if slot is not None:
                    from_slots.append((i, slot))
                    template[i] = None
                elif isinstance(a, Tensor):
                    from_tensors.append((i, a))  # a parameter or constant: read its array at each replay
                    template[i] = None
        return template, tuple(from_slots), tuple(from_tensors)

    def add_op(self, fn, args, kwargs, result):
        """Called by Function.apply for every op of the captured step."""
        if threading.get_ident() != self.thread:
            return
        if not fn.on_arrays:
            raise RuntimeError(f"capture_step: {fn.__name__} is your own autograd.Function; a captured step can "
                               "replay minigrad's built-in ops only. Run this step without capture_step.")
        if any(isinstance(v, Tensor) for v in kwargs.values()):
            raise RuntimeError(f"capture_step: {fn.__name__} was given a tensor as a keyword argument; pass it "
                               "positionally")
        template, from_slots, from_tensors = self._sources(args)
        needs = result._node.ctx.needs_input_grad if result._node is not None else ()
        if result._node is not None:
            self.entry_of_node[id(result._node)] = len(self.entries)
        backend = result._backend
        self.entries.append((fn, backend, needs, tuple(template), from_slots, from_tensors, kwargs,
                             self._new_slot(result._array)))

    def add_computation(self, compute, args, result):
        """Called for a result made without an op (comparisons, ~, casts: Tensor._derived)."""
        if threading.get_ident() != self.thread:
            return
        template, from_slots, from_tensors = self._sources(args)
        self.entries.append((compute, None, (), tuple(template), from_slots, from_tensors, {},
                             self._new_slot(result._array)))

    def finish(self, outputs):
        """Write down the backward plan (before the first backward frees the graph's saved values)."""
        self.output_slots = []
        for t in outputs:
            slot = self.slot_of.get(id(t._array))
            if slot is None:
                raise RuntimeError("capture_step: loss_fn returned a tensor that the step did not compute (an input, "
                                   "a parameter, or a tensor computed before the step); return only results of the step")
            self.output_slots.append(slot)
        self.output_devices = [t.device for t in outputs]
        loss = outputs[0]
        self.loss_entry = self.entry_of_node[id(loss._node)]
        # The backward plan: the engine's visiting order (topological_order, reversed). A node's step is
        # (its entry, the op's backward, the backend, where each input's gradient goes); a leaf's step
        # is (its key, None, the leaf, None). Gradients are kept by key: a node's entry index, or
        # len(entries) + n for the n-th leaf.
        order = list(reversed(engine.topological_order(loss)))
        leaf_key = {}
        for item in order:
            if item.__class__ is not Node:
                leaf_key[id(item)] = len(self.entries) + len(leaf_key)
        self.plan = []
        self.leaf_of_key = {}   # key -> the leaf: a tensor from outside the step, or the number of a step input
        for item in order:
            if item.__class__ is not Node:
                if item._hooks:
                    raise RuntimeError("capture_step: a tensor used in the step has hooks (register_hook); hooks are not "
                                       "replayed. Remove them, or run the step without capture_step.")
                leaf = self.input_ids.index(id(item)) if id(item) in self.input_ids else item
                self.leaf_of_key[leaf_key[id(item)]] = leaf
                self.plan.append((leaf_key[id(item)], None, leaf, None))
                continue
            index = self.entry_of_node.get(id(item))
            if index is None:
                raise RuntimeError("capture_step: the loss depends on a tensor computed before the step (it has a graph "
                                   "that the step did not record); .detach() it, or compute it inside loss_fn")
            if item.hooks or item.retained is not None:
                raise RuntimeError("capture_step: a tensor inside the step has hooks or retain_grad(); they are not "
                                   "replayed. Remove them, or run the step without capture_step.")
            targets = []   # (which of the op's input gradients, its key, the shape and dtype it must have)
            for position, parent in enumerate(item.parents):
                if parent.__class__ is Node:
                    targets.append((position, self.entry_of_node[id(parent)], parent.shape, parent.dtype))
                elif parent is not None:
                    targets.append((position, leaf_key[id(parent)], parent._array.shape, parent._array.dtype))
            fn, backend = self.entries[index][0], self.entries[index][1]
            self.plan.append((index, fn.backward, backend, tuple(targets)))
        self.key_count = len(self.entries) + len(leaf_key)
        self.slot_count = len(self.alive)
        self.slot_of, self.alive = None, None  # the arrays of the capture run are not kept
        # After which entry each array is read for the last time: the replay lets go of it there, as
        # the eager step does (else every intermediate array of the step would stay in memory).
        last_reader = {}
        for i, entry in enumerate(self.entries):
            for _, slot in entry[4]:
                last_reader[slot] = i
        for slot in self.input_slots + self.output_slots:
            last_reader.pop(slot, None)
        self.release_after = [[] for _ in self.entries]
        for slot, i in last_reader.items():
            self.release_after[i].append(slot)

    def __str__(self):
        """The tape as text: one line per entry, ``v<slot> = Op(its inputs)``, then the backward plan's size."""
        names = {slot: f"input{i}" for i, slot in enumerate(self.input_slots)}
        lines = []
        for fn, backend, needs, template, from_slots, from_tensors, kwargs, out in self.entries:
            shown = [repr(a) if not hasattr(a, "shape") else f"array{tuple(a.shape)}" for a in template]
            for position, slot in from_slots:
                shown[position] = names.get(slot, f"v{slot}")
            for position, tensor in from_tensors:
                shown[position] = f"{'param' if tensor.requires_grad else 'tensor'}{tensor.shape}"
            shown += [f"{k}={v!r}" for k, v in kwargs.items()]
            name = fn.__name__ if backend is not None else f"({getattr(fn, '__qualname__', fn.__name__)})"
            lines.append(f"v{out} = {name}({', '.join(shown)})")
        nodes = sum(1 for step in self.plan if step[1] is not None)
        lines.append(f"backward: {nodes} op backwards, then gradients into {len(self.plan) - nodes} leaves")
        return "\n".join(lines)

    # ------------------------------------------------------------------ the check (second call), then replays
    def interpret(self, inputs, facts):
        """Run the entries on the inputs' arrays, then the backward plan, deciding at each step what
        to do, and write down in ``facts`` what it decided: tape_code.py turns that into code (whose
        results the check then compares with the eager step's)."""
        values = [None] * self.slot_count
        for slot, x in zip(self.input_slots, inputs):
            values[slot] = x._array
        contexts = [None] * len(self.entries)
        for i, (fn, backend, needs, template, from_slots, from_tensors, kwargs, out) in enumerate(self.entries):
            raw = list(template)
            for position, slot in from_slots:
                raw[position] = values[slot]
            for position, tensor in from_tensors:
                raw[position] = tensor._array
            if backend is None:                 # a computation without an op (Tape.add_computation)
                values[out] = fn(*raw)
            else:
                ctx = contexts[i] = Context(backend)
                ctx.needs_input_grad = needs
                result = fn.forward(ctx, *raw, **kwargs)
                if isinstance(result, np.generic):  # NumPy answers 0-d arithmetic with a scalar: keep an array
                    facts.scalar_results.add(i)
                    result = np.asarray(result)
                values[out] = result
            for slot in self.release_after[i]:
                values[slot] = None
        self._interpret_backward(values, contexts, facts)

    def _interpret_backward(self, values, contexts, facts):
        """engine.run_backward, walked once more: the same backward calls, sums and accumulations, in
        the same order, with each decision written down in ``facts``."""
        loss = values[self.output_slots[0]]
        facts.loss_shape, facts.loss_dtype = loss.shape, loss.dtype
        grads = [None] * self.key_count
        grads[self.loss_entry] = self.entries[self.loss_entry][1].xp.ones(loss.shape, dtype=loss.dtype)
        given = set()
        for step, (key, backward, backend, targets) in enumerate(self.plan):
            grad = grads[key]
            if grad is None:
                continue
            grads[key] = None
            if backward is None:                     # a leaf (here backend is the leaf): its gradient is complete
                # a fresh array becomes .grad as it is (backward() copies it); a view, an array given to
                # two leaves, or a NumPy scalar is copied (see Tape.deliver)
                facts.steps[step] = ("leaf", isinstance(grad, np.generic) or grad.base is not None or id(grad) in given)
                given.add(id(grad))
                continue
            input_grads = backward(contexts[key], grad)
            contexts[key] = None                     # its saved values can go (backward() frees them too)
            as_tuple = isinstance(input_grads, tuple)
            if not as_tuple:
                input_grads = (input_grads,)
            used = []
            for position, parent, shape, dtype in targets:
                parent_grad = input_grads[position]
                if parent_grad is None:
                    continue
                sum_shape = cast = None
                if parent_grad.shape != shape:
                    parent_grad = engine.sum_to_shape(backend, parent_grad, shape)
                    sum_shape = shape
                if parent_grad.dtype != dtype:
                    parent_grad = parent_grad.astype(dtype)
                    cast = dtype
                previous = grads[parent]
                grads[parent] = parent_grad if previous is None else previous + parent_grad
                used.append((position, parent, previous is None, sum_shape, cast))
            facts.steps[step] = ("node", as_tuple, used)

    def compile(self, facts):
        """Write the replay out as one Python function (tape_code.py); ``self.source`` is its code."""
        self.code, self.source = compile_tape(self, facts)
        # for each gradient the code returns: its leaf, and whether to copy it on the way into .grad
        self.delivery = [(self.plan[step][2], fact[1]) for step, fact in enumerate(facts.steps)
                         if fact is not None and fact[0] == "leaf"]

    def run(self, inputs):
        """The compiled replay: (the outputs as tensors without a graph, the leaves' gradients)."""
        output_arrays, leaf_grads = self.code(*[x._array for x in inputs])
        return tuple([Tensor._wrap(a, device) for a, device in zip(output_arrays, self.output_devices)]), leaf_grads

    def leaves(self, inputs):
        """The leaves ``run`` returns gradients for, in its order (a step input's is the new input)."""
        return [inputs[leaf] if leaf.__class__ is int else leaf for leaf, _ in self.delivery]

    def deliver(self, inputs, leaf_grads):
        """Add each gradient to its leaf's ``.grad``, as backward() does: a fresh array becomes .grad as
        it is, a view (or an array given to two leaves) is copied."""
        for (leaf, copy), grad in zip(self.delivery, leaf_grads):
            if leaf.__class__ is int:
                leaf = inputs[leaf]
            if leaf.grad is None and not copy:
                leaf.grad = Tensor._wrap(grad, leaf.device, False)
            else:
                engine._accumulate(leaf, grad, copy=copy)
