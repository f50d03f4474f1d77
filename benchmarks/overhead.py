"""Suite ``overhead``: what minigrad's Python layer costs on top of the array library.

Two measurements:

1. **per-op dispatch** on tiny tensors (4 x 4), where the arithmetic is nearly free and what is
   left is the bookkeeping: wrapping arrays in Tensors, choosing the backend, recording the
   graph node.  ``overhead = minigrad time - numpy time`` per op, in microseconds.
2. **a small-MLP training step** -- batch 64, 32 -> 128 -> 128 -> 10, ReLU, cross-entropy,
   SGD (and Adam) -- written with minigrad (``nn.Sequential``, ``F.cross_entropy``,
   ``optim.SGD``), the same step captured with ``mg.capture_step`` (recorded once, then its ops
   replayed without the Python bookkeeping: minigrad/autograd/capture.py), and the *same* step
   written by hand in NumPy (forward, backward and update all spelled out below).  All start
   from the same weights and are checked to produce the same losses before they are timed.  The
   ratio ``minigrad / numpy`` is the price of autograd for a model this small; the goal is 1.15x.

Run it alone:  ``python benchmarks/overhead.py --threads 1``  (or ``python -m benchmarks overhead``);
``--widths 2,2,2,2 --batch 2`` times the same steps with almost no arithmetic left in them.
"""
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make "benchmarks" and "minigrad" importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks.common import (SIMULATOR_WARNING, SuiteResult, Table, array_module, fmt_ratio,  # noqa: E402
                               gpu_sync, raw_peer_name, torch_device, torch_sync)
from benchmarks.timing import Peer, format_seconds, measure, slowdown  # noqa: E402

NAME = "overhead"
DESCRIPTION = "per-op dispatch cost on tiny tensors, and a small-MLP training step vs the same step by hand in NumPy"

GOAL = 1.15  # minigrad / hand-written NumPy on the small-MLP step (issue 16)


def mlp_shape(ctx):
    """(batch, [layer widths]) of the benchmark MLP; a toy one on the simulator."""
    if ctx.simulated:
        return 4, [8, 16, 16, 4]
    return 64, [32, 128, 128, 10]


# ---------------------------------------------------------------------------------------------
# the three implementations of one training step
# ---------------------------------------------------------------------------------------------
def make_minigrad_mlp(widths, device, seed=0):
    import minigrad as mg
    from minigrad import nn
    mg.manual_seed(seed)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers).to(device)


def minigrad_step(model, x, y, optimizer):
    import minigrad.nn.functional as F

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss
    return step


def captured_step(model, x, y, optimizer):
    """The same step as ``minigrad_step``, through mg.capture_step (replayed from its third call)."""
    import minigrad as mg
    import minigrad.nn.functional as F
    step = mg.capture_step(lambda inputs, targets: F.cross_entropy(model(inputs), targets), optimizer)
    return lambda: step(x, y)


class HandMLP:
    """The same MLP and training step with every line of the backward written out.

    Forward (per layer i):  h_i = a_{i-1} @ W_i^T + b_i,   a_i = relu(h_i)   (no relu on the last)
    Loss:   L = mean_n( logsumexp(z_n) - z_n[y_n] )
    Backward: dz = (softmax(z) - onehot(y)) / N
              dW_i = dh_i^T @ a_{i-1},  db_i = sum_n dh_i,  da_{i-1} = dh_i @ W_i,
              dh_{i-1} = da_{i-1} * (h_{i-1} > 0)
    Update:  SGD  p -= lr * dp;   Adam  as in ``minigrad.optim.Adam``.
    """

    def __init__(self, weights, xp, optimizer="sgd", lr=0.1, betas=(0.9, 0.999), eps=1e-8):
        self.xp = xp
        self.params = [(xp.asarray(w.copy()), xp.asarray(b.copy())) for w, b in weights]
        self.optimizer, self.lr, self.betas, self.eps = optimizer, lr, betas, eps
        self.t = 0
        if optimizer == "adam":
            self.moments = [[(xp.zeros_like(p), xp.zeros_like(p)) for p in pair] for pair in self.params]

    def step(self, x, y):
        xp = self.xp
        n = x.shape[0]
        activations, pre = [x], []
        for i, (w, b) in enumerate(self.params):
            h = activations[-1] @ w.T + b
            pre.append(h)
            activations.append(xp.maximum(h, 0) if i < len(self.params) - 1 else h)
        z = activations[-1]
        z_max = z.max(axis=1, keepdims=True)
        e = xp.exp(z - z_max)
        total = e.sum(axis=1, keepdims=True)
        rows = xp.arange(n)
        loss = (xp.log(total[:, 0]) + z_max[:, 0] - z[rows, y]).mean()
        dh = e / total
        dh[rows, y] -= 1
        dh /= n
        grads = [None] * len(self.params)
        for i in range(len(self.params) - 1, -1, -1):
            w, _ = self.params[i]
            grads[i] = (dh.T @ activations[i], dh.sum(axis=0))
            if i > 0:
                dh = (dh @ w) * (pre[i - 1] > 0)
        self.t += 1
        for i, (pair, grad_pair) in enumerate(zip(self.params, grads)):
            for j, (p, g) in enumerate(zip(pair, grad_pair)):
                if self.optimizer == "sgd":
                    p -= self.lr * g
                else:
                    beta1, beta2 = self.betas
                    m, v = self.moments[i][j]
                    m *= beta1
                    m += (1 - beta1) * g
                    v *= beta2
                    v += (1 - beta2) * g * g
                    p -= (self.lr / (1 - beta1**self.t)) * m / (xp.sqrt(v / (1 - beta2**self.t)) + self.eps)
        return loss


def make_torch_mlp(torch, weights, device):
    layers = []
    for i, (w, b) in enumerate(weights):
        linear = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w))
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if i < len(weights) - 1:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers).to(device)


def torch_step(torch, model, x, y, optimizer):
    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss
    return step


def mlp_contestants(ctx, optimizer_name, seed=0, shape=None):
    """Peers for one MLP training step (minigrad, hand-written NumPy/CuPy, PyTorch), all starting
    from the same weights and batch.  Also returns the three loss sequences of 3 check steps."""
    import minigrad as mg
    batch, widths = shape or mlp_shape(ctx)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, widths[0]), dtype=np.float32)
    Y = rng.integers(0, widths[-1], batch).astype(np.int64)
    lr = 0.1 if optimizer_name == "sgd" else 1e-3

    def fresh(make_step=minigrad_step):
        model = make_minigrad_mlp(widths, ctx.device, seed)
        params = list(model.parameters())
        opt = mg.optim.SGD(params, lr=lr) if optimizer_name == "sgd" else mg.optim.Adam(params, lr=lr)
        x, y = mg.tensor(X, device=ctx.device), mg.tensor(Y, device=ctx.device)
        return model, make_step(model, x, y, opt)

    xp = array_module(ctx.device)
    weights = [(layer.weight.numpy(), layer.bias.numpy()) for layer in fresh()[0] if hasattr(layer, "weight")]
    x_raw, y_raw = xp.asarray(X), xp.asarray(Y)

    def fresh_hand():
        hand = HandMLP(weights, xp, optimizer_name, lr=lr)
        return lambda: hand.step(x_raw, y_raw)

    fresh_torch = None
    tdev = torch_device(ctx)
    if tdev is not None:
        torch = ctx.torch

        def fresh_torch():
            model = make_torch_mlp(torch, weights, tdev)
            opt = (torch.optim.SGD(model.parameters(), lr=lr) if optimizer_name == "sgd"
                   else torch.optim.Adam(model.parameters(), lr=lr))
            return torch_step(torch, model, torch.from_numpy(X).to(tdev), torch.from_numpy(Y).to(tdev), opt)

    # correctness first: three steps from the same start must give the same losses
    check = {"minigrad": fresh()[1], "minigrad captured": fresh(captured_step)[1], raw_peer_name(ctx.device): fresh_hand()}
    if fresh_torch:
        check["torch"] = fresh_torch()
    losses = {name: [_as_float(step()) for _ in range(4)] for name, step in check.items()}  # 4: the 3rd replays

    sync = gpu_sync(ctx.device)
    peers = [Peer("minigrad", fresh()[1], sync), Peer("minigrad captured", fresh(captured_step)[1], sync),
             Peer(raw_peer_name(ctx.device), fresh_hand(), sync)]
    if fresh_torch:
        peers.append(Peer("torch", fresh_torch(), torch_sync(ctx)))
    return peers, losses


def _as_float(loss):
    """A Python float from a minigrad/PyTorch tensor (detached first) or a NumPy scalar."""
    return float(loss.detach()) if hasattr(loss, "detach") else float(loss)


def mlp_step_ratio(ctx, optimizer_name="sgd", repeats=None, shape=None):
    """Time the three MLP steps interleaved; returns (timings, losses)."""
    peers, losses = mlp_contestants(ctx, optimizer_name, shape=shape)
    repeats = repeats or (1 if ctx.simulated else (5 if ctx.quick else 21))
    timings = measure(peers, repeats=repeats, warmup=0 if ctx.simulated else (2 if ctx.quick else 5),
                      min_sample_s=1e-3 if ctx.simulated else (0.01 if ctx.quick else 0.02))
    return timings, losses


# ---------------------------------------------------------------------------------------------
# per-op dispatch on tiny tensors
# ---------------------------------------------------------------------------------------------
def dispatch_cases(ctx):
    """(op name, minigrad fn(a, b), raw fn(a, b), torch fn(a, b)) on 4x4 float32 inputs."""
    import minigrad as mg
    import minigrad.nn.functional as F
    torch = ctx.torch
    return [
        ("add", lambda a, b: a + b, lambda a, b: a + b, lambda a, b: a + b),
        ("mul", lambda a, b: a * b, lambda a, b: a * b, lambda a, b: a * b),
        ("matmul", lambda a, b: a @ b, lambda a, b: a @ b, lambda a, b: a @ b),
        ("relu", lambda a, b: F.relu(a), None, lambda a, b: torch.relu(a)),
        ("exp", lambda a, b: mg.exp(a), None, lambda a, b: torch.exp(a)),
        ("sum", lambda a, b: a.sum(), lambda a, b: a.sum(), lambda a, b: a.sum()),
        ("reshape", lambda a, b: a.reshape(16), lambda a, b: a.reshape(16), lambda a, b: a.reshape(16)),
    ]


def dispatch_table(ctx, result):
    import minigrad as mg
    xp = array_module(ctx.device)
    raw_ops = {"relu": lambda a, b: xp.maximum(a, 0), "exp": lambda a, b: xp.exp(a)}
    rng = np.random.default_rng(7)
    A, B = (rng.standard_normal((4, 4), dtype=np.float32) for _ in range(2))
    ra, rb = xp.asarray(A), xp.asarray(B)
    a, b = mg.tensor(A, device=ctx.device), mg.tensor(B, device=ctx.device)
    ag, bg = mg.tensor(A, device=ctx.device, requires_grad=True), mg.tensor(B, device=ctx.device, requires_grad=True)
    tdev = torch_device(ctx)
    if tdev:
        ta, tb = ctx.torch.tensor(A, device=tdev), ctx.torch.tensor(B, device=tdev)
    raw = raw_peer_name(ctx.device)
    table = Table(f"per-op dispatch on 4x4 float32 tensors ({ctx.device})",
                  ["op", raw, "minigrad", "minigrad (grad)", "torch", "overhead", "overhead (grad)"],
                  notes=[f"overhead = minigrad time - {raw} time: the cost of the Tensor/Function layer per op. "
                         "'(grad)': inputs require grad, so the op also records its graph node."])
    sync = gpu_sync(ctx.device)
    for name, mg_fn, raw_fn, torch_fn in dispatch_cases(ctx):
        raw_fn = raw_fn or raw_ops[name]
        peers = [Peer(raw, lambda f=raw_fn: f(ra, rb), sync), Peer("minigrad", lambda f=mg_fn: f(a, b), sync),
                 Peer("minigrad (grad)", lambda f=mg_fn: f(ag, bg), sync)]
        if tdev:
            peers.append(Peer("torch", lambda f=torch_fn: f(ta, tb), torch_sync(ctx)))
        timings = measure(peers, repeats=1 if ctx.simulated else (3 if ctx.quick else 9),
                          warmup=0 if ctx.simulated else 2, min_sample_s=1e-3 if ctx.simulated else 2e-3)
        t = {k: v.median for k, v in timings.items()}
        table.rows.append([name, format_seconds(t[raw]), format_seconds(t["minigrad"]),
                           format_seconds(t["minigrad (grad)"]), format_seconds(t.get("torch")),
                           f"{(t['minigrad'] - t[raw]) * 1e6:.1f} us",
                           f"{(t['minigrad (grad)'] - t[raw]) * 1e6:.1f} us"])
        result.records.append(dict(kind="dispatch", op=name, seconds=t,
                                   overhead_s=t["minigrad"] - t[raw], overhead_grad_s=t["minigrad (grad)"] - t[raw]))
    result.tables.append(table)


def mlp_table(ctx, result, size=None):
    """The MLP step table; ``size`` = (batch, widths) replaces the benchmark's (a tiny one, e.g.
    (2, [2, 2, 2, 2]), leaves almost no arithmetic: the time left over is the Python layer's)."""
    batch, widths = size or mlp_shape(ctx)
    raw = raw_peer_name(ctx.device)
    shape = " -> ".join(map(str, widths))
    table = Table(f"small-MLP training step ({ctx.device}): batch {batch}, {shape}, ReLU, cross-entropy",
                  ["optimizer", "minigrad", "captured", f"{raw} by hand", "torch", f"minigrad/{raw}",
                   f"captured/{raw}", "minigrad/torch", f"goal <= {GOAL}x", "captured - by hand", "same losses"],
                  notes=["one step = zero_grad, forward, loss, backward, optimizer update; median of interleaved "
                         "repeats.", "captured: the same step through mg.capture_step (its ops replayed without "
                         "rebuilding the graph); the goal is checked on it.",
                         "captured - by hand: what the captured step costs on top of the same arithmetic by hand, "
                         "per step (the Python layer that is left).",
                         "same losses: the max difference of the first 4 losses from identical weights."])
    for optimizer_name in ("sgd", "adam"):
        timings, losses = mlp_step_ratio(ctx, optimizer_name, shape=(batch, widths))
        ratio = slowdown(timings, raw)
        captured_ratio = slowdown(timings, raw, "minigrad captured")
        torch_ratio = slowdown(timings, "torch")
        reference = losses["minigrad"]
        loss_gap = max(abs(a - b) for name, seq in losses.items() for a, b in zip(seq, reference))
        table.rows.append([optimizer_name, format_seconds(timings["minigrad"].median),
                           format_seconds(timings["minigrad captured"].median), format_seconds(timings[raw].median),
                           format_seconds(timings["torch"].median) if "torch" in timings else "-",
                           fmt_ratio(ratio), fmt_ratio(captured_ratio), fmt_ratio(torch_ratio),
                           "met" if captured_ratio <= GOAL else "MISSED",
                           f"{(timings['minigrad captured'].median - timings[raw].median) * 1e6:.1f} us",
                           f"{loss_gap:.1e}"])
        result.records.append(dict(kind="mlp_step", optimizer=optimizer_name, batch=batch, widths=widths,
                                   seconds={k: v.median for k, v in timings.items()},
                                   minigrad_slowdown={raw: ratio, "torch": torch_ratio},
                                   captured_slowdown={raw: captured_ratio},
                                   losses=losses, max_loss_difference=loss_gap, goal=GOAL))
    result.tables.append(table)


def run(ctx):
    result = SuiteResult(NAME, ctx.device)
    if ctx.simulated:
        result.notes.append(SIMULATOR_WARNING)
    mlp_table(ctx, result)
    dispatch_table(ctx, result)
    return result


def main(argv=None):
    import argparse
    import tempfile

    from benchmarks.common import Context, import_torch
    from benchmarks.report import print_table
    parser = argparse.ArgumentParser(description="minigrad small-MLP step vs the same step by hand in NumPy")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "cudasim"])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS/OpenMP threads (as python -m benchmarks --threads; use 1 on a busy machine)")
    parser.add_argument("--widths", default=None,
                        help="the MLP's layer widths, e.g. 2,2,2,2 (default 32,128,128,10): tiny widths leave only "
                             "the per-step overhead")
    parser.add_argument("--batch", type=int, default=None, help="the batch size (default 64)")
    args = parser.parse_args(argv)
    if args.threads:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)
    ctx = Context(device=args.device, quick=args.quick, out_dir=Path(tempfile.mkdtemp()), torch=import_torch())
    if args.threads and ctx.torch is not None:
        ctx.torch.set_num_threads(args.threads)
    result = SuiteResult(NAME, ctx.device)
    batch, widths = mlp_shape(ctx)
    if args.widths:
        widths = [int(w) for w in args.widths.split(",")]
    mlp_table(ctx, result, (args.batch or batch, widths))
    for table in result.tables:
        print_table(table)


if __name__ == "__main__":
    main()
