"""Checkers for lesson 07, the training loop: a Module with registered layers, an in-place SGD step,
clipping by the global norm, the warm-up + cosine schedule."""
import math

import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.check import ExerciseFailed, exercise, passed
from minigrad.optim.lr_scheduler import warmup_cosine


@exercise("lesson07.exercise1")
def exercise1(MLP):
    """``MLP(n_in, n_hidden, n_out, depth)``: depth x (Linear, ReLU) in ``self.hidden`` (an nn.ModuleList),
    then ``self.head``; forward returns logits."""
    mg.manual_seed(0)
    model = MLP(3, 8, 2, 2)
    if not isinstance(model, nn.Module):
        raise ExerciseFailed("MLP must subclass nn.Module (class MLP(nn.Module)) and call super().__init__()")
    keys = list(model.state_dict())
    expected = ["hidden.0.weight", "hidden.0.bias", "hidden.1.weight", "hidden.1.bias", "head.weight", "head.bias"]
    n_params = sum(p.numel() for p in model.parameters())
    if n_params == 2 * 8 + 2 and not any(k.startswith("hidden") for k in keys):
        raise ExerciseFailed("only the head's parameters are registered: the hidden layers are in a plain Python list. "
                             "Use self.hidden = nn.ModuleList([...]) so parameters() and state_dict() see them.")
    if sorted(keys) != sorted(expected):
        raise ExerciseFailed(f"state_dict keys are {keys}, expected {expected}: keep the hidden Linear layers in "
                             "self.hidden = nn.ModuleList([...]) and the output layer in self.head (the ReLU is "
                             "applied in forward, so it has no key).")
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    want = {"hidden.0.weight": (8, 3), "hidden.1.weight": (8, 8), "head.weight": (2, 8)}
    for k, shape in want.items():
        if shapes[k] != shape:
            raise ExerciseFailed(f"{k} has shape {shapes[k]}, expected {shape} (nn.Linear(in, out) stores (out, in))")
    x = mg.randn(5, 3)
    logits = model(x)
    if tuple(logits.shape) != (5, 2):
        raise ExerciseFailed(f"model(x) for x of shape (5, 3) has shape {tuple(logits.shape)}, expected (5, 2)")
    layers = list(model.hidden)
    h = x
    for layer in layers:
        h = F.relu(layer(h))
    if not np.allclose(logits.numpy(), model.head(h).numpy(), rtol=1e-5, atol=1e-6):
        hint = "Hint: x = F.relu(layer(x)) for every hidden layer, then return self.head(x) (no ReLU on the logits)."
        if np.allclose(logits.numpy(), F.relu(model.head(h)).numpy(), rtol=1e-5, atol=1e-6):
            hint = "You applied a ReLU to the logits: the head's output must be able to go negative."
        raise ExerciseFailed(f"forward differs from hidden layers + ReLU, then head. {hint}")
    labels = mg.tensor(np.array([0, 1, 1, 0, 1]))
    optimizer = mg.optim.Adam(model.parameters(), lr=0.05)
    first = None
    for _ in range(30):
        loss = F.cross_entropy(model(x), labels)
        first = loss.item() if first is None else first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if not loss.item() < 0.5 * first:
        raise ExerciseFailed(f"30 Adam steps on 5 examples only took the loss from {first:.3f} to {loss.item():.3f}; "
                             "are all layers' parameters registered and used in forward?")
    return passed("lesson07.exercise1", f"{n_params} parameters registered under PyTorch's names, forward right, "
                  f"and it trains (loss {first:.2f} -> {loss.item():.3f}).")


@exercise("lesson07.exercise2")
def exercise2(sgd_step):
    """``sgd_step(parameters, lr, weight_decay)`` updates in place: p <- p - lr (p.grad + weight_decay p)."""
    rng = np.random.default_rng(2)
    values = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    grads = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    ours = [mg.tensor(v.copy(), requires_grad=True) for v in values]
    theirs = [mg.tensor(v.copy(), requires_grad=True) for v in values]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = mg.tensor(g), mg.tensor(g)
    mg.optim.SGD(theirs, lr=0.1, weight_decay=0.05).step()
    kept = list(ours)
    try:
        sgd_step(ours, 0.1, 0.05)
    except RuntimeError as error:
        if "in-place" in str(error) or "no_grad" in str(error):
            raise ExerciseFailed(f"the update was refused: {error}. Wrap it in `with mg.no_grad():`.") from None
        raise
    for i, (p, q, value) in enumerate(zip(kept, theirs, values)):
        if p is not ours[i]:
            raise ExerciseFailed("sgd_step replaced an element of the list; update each tensor in place instead")
        if np.allclose(p.numpy(), value):
            raise ExerciseFailed(f"parameter {i} did not change. `p = p - lr * g` only rebinds the name p; update the "
                                 "tensor itself: p.sub_(lr * g) inside mg.no_grad().")
        if not np.allclose(p.numpy(), q.numpy(), rtol=1e-6, atol=1e-7):
            hint = "Hint: p <- p - lr * (p.grad + weight_decay * p)."
            if np.allclose(p.numpy(), value - 0.1 * grads[i], rtol=1e-6):
                hint = "You left out the weight decay: the gradient gets + weight_decay * p."
            elif np.allclose(p.numpy(), value - 0.1 * grads[i] - 0.05 * value, rtol=1e-6):
                hint = "Your decay is not multiplied by lr: p - lr * (g + weight_decay * p)."
            raise ExerciseFailed(f"parameter {i} is {np.round(p.numpy(), 6).tolist()} after your step, but SGD("
                                 f"weight_decay=0.05) gives {np.round(q.numpy(), 6).tolist()}. {hint}")
        if not (p.requires_grad and p.is_leaf):
            raise ExerciseFailed(f"after your step parameter {i} is no longer a leaf that requires grad: the update was "
                                 "recorded in the graph. Do it inside `with mg.no_grad():`.")
    return passed("lesson07.exercise2", "in place, not recorded, and equal to mg.optim.SGD(lr, weight_decay).")


@exercise("lesson07.exercise3")
def exercise3(clip_by_global_norm):
    """``clip_by_global_norm(parameters, max_norm)`` returns the global norm and scales all gradients by one factor
    when it exceeds max_norm, like nn.utils.clip_grad_norm_."""
    rng = np.random.default_rng(3)
    for scale, max_norm in ((5.0, 1.0), (0.01, 1.0)):
        grads = [rng.standard_normal((4, 3)) * scale, rng.standard_normal(3) * scale * 10]
        ours = [mg.tensor(np.zeros_like(g), requires_grad=True) for g in grads]
        theirs = [mg.tensor(np.zeros_like(g), requires_grad=True) for g in grads]
        for p, q, g in zip(ours, theirs, grads):
            p.grad, q.grad = mg.tensor(g.copy()), mg.tensor(g.copy())
        expected_norm = nn.utils.clip_grad_norm_(theirs, max_norm)
        norm = clip_by_global_norm((p for p in ours), max_norm)   # a generator, as model.parameters() is
        if norm is None or not np.isclose(float(norm), float(expected_norm), rtol=1e-6):
            raise ExerciseFailed(f"you returned {norm}, but the global norm of the gradients is {float(expected_norm):.6g}: "
                                 "sqrt of the sum of the squares of EVERY gradient entry, over all parameters. (Did you "
                                 "make the generator a list before looping over it twice?)")
        got = [p.grad.numpy() for p in ours]
        want = [q.grad.numpy() for q in theirs]
        if all(np.allclose(a, b, rtol=1e-6, atol=1e-9) for a, b in zip(got, want)):
            continue
        if expected_norm <= max_norm:
            raise ExerciseFailed(f"the global norm {float(expected_norm):.3g} is below max_norm = {max_norm}, so the "
                                 "gradients must stay as they are; you changed them.")
        per_parameter = [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]
        if all(np.allclose(a, b, rtol=1e-6) for a, b in zip(got, per_parameter)):
            raise ExerciseFailed("you clipped each parameter's gradient to max_norm separately: that changes the "
                                 "direction of the update. Scale ALL gradients by one factor, max_norm / global norm.")
        raise ExerciseFailed(f"after clipping, the gradients differ from clip_grad_norm_'s (global norm "
                             f"{float(expected_norm):.4g}, factor {max_norm / float(expected_norm):.4g}).")
    return passed("lesson07.exercise3", "global norm returned, one factor for all gradients, nothing scaled below "
                  "max_norm: equal to nn.utils.clip_grad_norm_.")


@exercise("lesson07.exercise4")
def exercise4(warmup_cosine_lr):
    """``warmup_cosine_lr(s, base_lr, warmup_steps, total_steps, start_factor=0.01, eta_min=0.0)``."""
    for base_lr, W, T, f, eta_min in ((0.1, 10, 50, 0.01, 0.0), (3e-3, 4, 30, 0.2, 1e-4)):
        optimizer = mg.optim.SGD([mg.tensor([0.0], requires_grad=True)], lr=base_lr)
        scheduler = warmup_cosine(optimizer, warmup_steps=W, total_steps=T, start_factor=f, eta_min=eta_min)
        for s in range(T + 1):
            expected = optimizer.param_groups[0]["lr"]
            got = float(warmup_cosine_lr(s, base_lr, W, T, start_factor=f, eta_min=eta_min))
            if not math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-15):
                phase = "warm-up" if s < W else "cosine decay"
                hint = ("Hint: s < W: base_lr (f + (1 - f) s / W); s >= W: eta_min + (base_lr - eta_min) "
                        "(1 + cos(pi (s - W) / (T - W))) / 2.")
                if s >= W and math.isclose(got, eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * s / T)) / 2):
                    hint = "Your cosine counts from step 0; it starts after the warm-up: use s - W over T - W."
                raise ExerciseFailed(f"at step {s} ({phase}; base_lr {base_lr}, W {W}, T {T}, start_factor {f}, "
                                     f"eta_min {eta_min}) you return {got:.6g}, warmup_cosine sets {expected:.6g}. {hint}")
            optimizer.step()
            scheduler.step()
    return passed("lesson07.exercise4", "equal to warmup_cosine at every step of two schedules.")
