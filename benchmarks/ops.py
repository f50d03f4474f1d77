"""Suite ``ops``: single operations, minigrad against hand-written NumPy/CuPy and PyTorch.

For every op and size we time the forward pass alone and forward+backward, and print the
rate minigrad achieved next to the machine's peak *measured in the same run*:

* compute-bound ops (matmul) in GFLOP/s.  Napkin math: C = A @ B with A (m, k), B (k, n)
  is m*n dot products of length k, each k multiplies and k adds: 2*m*k*n flops.  The backward
  is two more matmuls of the same size (dA = G @ B^T, dB = A^T @ G), so forward+backward
  is 3 * 2*m*k*n.  Peak: a large NumPy (BLAS) / CuPy (cuBLAS) matmul.
* memory-bound ops (activations, softmax, cross-entropy, layer norm, Adam) in GB/s.  They do
  a handful of flops per number loaded, so the time is the bytes moved divided by the memory
  bandwidth.  We count the *least* traffic the op needs (each input read once, each output
  written once; 4 bytes per float32), so the rate is "effective bandwidth" and an unfused
  implementation that makes extra passes shows up as a low percentage.  Peak: a large array copy
  (read n + write n bytes).
"""
import time

import numpy as np

from benchmarks.common import (SIMULATOR_WARNING, SuiteResult, Table, array_module, fmt_rate, fmt_ratio,
                               gpu_sync, raw_peer_name, torch_device, torch_sync)
from benchmarks.plots import bar_chart, line_chart
from benchmarks.timing import Peer, format_seconds, measure, repeats_for, slowdown

NAME = "ops"
DESCRIPTION = "single ops (matmul, activations, softmax, cross-entropy, layer norm, Adam): time, GFLOP/s, GB/s"

FLOAT_BYTES = 4


def sizes(ctx):
    """The problem sizes for this device and mode (the simulator only gets toy sizes)."""
    if ctx.simulated:
        return dict(square=[8, 16], square_backward_max=16, transformer=[(16, 8, 32)], elementwise=256,
                    softmax=(4, 16), cross_entropy=(4, 10), layer_norm=(4, 16), adam=256,
                    peak_matmul=256, peak_copy=2**20)
    if ctx.quick:
        return dict(square=[64, 128, 256], square_backward_max=256, transformer=[(512, 64, 256)],
                    elementwise=2**16, softmax=(256, 128), cross_entropy=(256, 100), layer_norm=(512, 64),
                    adam=2**16, peak_matmul=512, peak_copy=2**22)
    big = ctx.device == "cuda"
    return dict(square=[64, 128, 256, 512, 1024, 2048, 4096], square_backward_max=4096 if big else 2048,
                transformer=[(2048, 128, 512), (2048, 256, 1024), (8192, 512, 2048)],
                elementwise=2**24 if big else 2**22, softmax=(8192, 2048) if big else (4096, 1024),
                cross_entropy=(8192, 1000) if big else (4096, 1000),
                layer_norm=(32768, 768) if big else (8192, 512), adam=2**24 if big else 2**22,
                peak_matmul=8192 if big else 2048, peak_copy=2**28 if big else 2**25)


# ---------------------------------------------------------------------------------------------
# machine peaks, measured in this run
# ---------------------------------------------------------------------------------------------
def measure_peaks(ctx):
    """GFLOP/s of one big float32 matmul and GB/s of one big array copy, with the raw library."""
    xp = array_module("cuda" if ctx.device == "cuda" else "cpu")
    s = sizes(ctx)
    rng = np.random.default_rng(0)
    n = s["peak_matmul"]
    a = xp.asarray(rng.standard_normal((n, n), dtype=np.float32))
    sync = gpu_sync(ctx.device)
    t_mm = measure([Peer("matmul", lambda: a @ a, sync)], repeats=3, warmup=1)["matmul"].median
    src = xp.ones(s["peak_copy"], dtype=np.float32)
    dst = xp.empty_like(src)
    t_copy = measure([Peer("copy", lambda: xp.copyto(dst, src), sync)], repeats=5, warmup=1)["copy"].median
    ctx.peaks = {"gflops": 2 * n**3 / t_mm / 1e9, "gbps": 2 * src.nbytes / t_copy / 1e9,
                 "matmul_n": n, "copy_mb": src.nbytes / 2**20,
                 "where": "host CPU (NumPy)" if ctx.device != "cuda" else "GPU (CuPy)"}
    return ctx.peaks


# ---------------------------------------------------------------------------------------------
# the cases: each returns {pass name: [Peer, ...]} plus the work done per pass
# ---------------------------------------------------------------------------------------------
class Case:
    def __init__(self, op, shape, unit, work, peers):
        self.op, self.shape, self.unit, self.work, self.peers = op, shape, unit, work, peers


def _mg(ctx):
    import minigrad as mg
    return mg


def _mg_tensor(ctx, array, requires_grad=False):
    return _mg(ctx).tensor(array, device=ctx.device, requires_grad=requires_grad)


def _torch_tensor(ctx, array, requires_grad=False):
    t = ctx.torch.tensor(array, device=torch_device(ctx))
    return t.requires_grad_(requires_grad)


def _clear(*tensors):
    for t in tensors:
        t.grad = None


def _peers(ctx, mg_fn, raw_fn, torch_fn):
    """Wrap the three contestants of one pass; PyTorch only where it runs on this device."""
    peers = [Peer("minigrad", mg_fn, gpu_sync(ctx.device)), Peer(raw_peer_name(ctx.device), raw_fn, gpu_sync(ctx.device))]
    if torch_fn is not None and torch_device(ctx) is not None:
        peers.append(Peer("torch", torch_fn, torch_sync(ctx)))
    return peers


def matmul_case(ctx, m, k, n, label, with_backward=True):
    rng = np.random.default_rng(1)
    A = rng.standard_normal((m, k), dtype=np.float32)
    B = rng.standard_normal((k, n), dtype=np.float32)
    G = rng.standard_normal((m, n), dtype=np.float32)
    xp = array_module(ctx.device)
    xa, xb, xg = xp.asarray(A), xp.asarray(B), xp.asarray(G)
    a, b = _mg_tensor(ctx, A), _mg_tensor(ctx, B)
    ag, bg, g = _mg_tensor(ctx, A, True), _mg_tensor(ctx, B, True), _mg_tensor(ctx, G)
    torch_on = torch_device(ctx) is not None
    if torch_on:
        ta, tb = _torch_tensor(ctx, A), _torch_tensor(ctx, B)
        tag, tbg, tg = _torch_tensor(ctx, A, True), _torch_tensor(ctx, B, True), _torch_tensor(ctx, G)

    def mg_backward():
        _clear(ag, bg)
        (ag @ bg).backward(g)

    def raw_backward():
        c = xa @ xb
        return c, xg @ xb.T, xa.T @ xg

    def torch_backward():
        _clear(tag, tbg)
        (tag @ tbg).backward(tg)

    passes = {"forward": _peers(ctx, lambda: a @ b, lambda: xa @ xb, (lambda: ta @ tb) if torch_on else None)}
    work = {"forward": 2.0 * m * k * n}
    if with_backward:
        passes["forward+backward"] = _peers(ctx, mg_backward, raw_backward, torch_backward if torch_on else None)
        work["forward+backward"] = 3 * 2.0 * m * k * n
    return Case(label, f"({m},{k})x({k},{n})", "GFLOP/s", work, passes)


# --- elementwise activations: formula, derivative, for NumPy/CuPy arrays --------------------
def _gelu_tanh(xp, x):
    c = np.float32(np.sqrt(2 / np.pi))
    return 0.5 * x * (1 + xp.tanh(c * (x + 0.044715 * x * x * x)))


def _gelu_tanh_backward(xp, g, x):
    c = np.float32(np.sqrt(2 / np.pi))
    t = xp.tanh(c * (x + 0.044715 * x * x * x))
    return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x))


RAW_ACTIVATIONS = {
    # name: (forward(xp, x), backward(xp, g, x, y))
    "relu": (lambda xp, x: xp.maximum(x, 0), lambda xp, g, x, y: g * (x > 0)),
    "sigmoid": (lambda xp, x: 1 / (1 + xp.exp(-x)), lambda xp, g, x, y: g * y * (1 - y)),
    "tanh": (lambda xp, x: xp.tanh(x), lambda xp, g, x, y: g * (1 - y * y)),
    "gelu(tanh)": (_gelu_tanh, lambda xp, g, x, y: _gelu_tanh_backward(xp, g, x)),
}


def activation_case(ctx, name, n):
    import minigrad.nn.functional as F
    mg_fn = {"relu": F.relu, "sigmoid": F.sigmoid, "tanh": F.tanh,
             "gelu(tanh)": lambda x: F.gelu(x, approximate="tanh")}[name]
    rng = np.random.default_rng(2)
    X = rng.standard_normal(n, dtype=np.float32)
    G = rng.standard_normal(n, dtype=np.float32)
    xp = array_module(ctx.device)
    rx, rg = xp.asarray(X), xp.asarray(G)
    raw_forward, raw_backward_fn = RAW_ACTIVATIONS[name]
    x, xg, g = _mg_tensor(ctx, X), _mg_tensor(ctx, X, True), _mg_tensor(ctx, G)

    def mg_backward():
        _clear(xg)
        mg_fn(xg).backward(g)

    def raw_backward():
        y = raw_forward(xp, rx)
        return raw_backward_fn(xp, rg, rx, y)

    torch_fwd = torch_bwd = None
    if torch_device(ctx) is not None:
        torch = ctx.torch
        t_fn = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
                "gelu(tanh)": lambda t: torch.nn.functional.gelu(t, approximate="tanh")}[name]
        tx, txg, tg = _torch_tensor(ctx, X), _torch_tensor(ctx, X, True), _torch_tensor(ctx, G)

        def torch_fwd():
            return t_fn(tx)

        def torch_bwd():
            _clear(txg)
            t_fn(txg).backward(tg)

    passes = {"forward": _peers(ctx, lambda: mg_fn(x), lambda: raw_forward(xp, rx), torch_fwd),
              "forward+backward": _peers(ctx, mg_backward, raw_backward, torch_bwd)}
    # forward: read x, write y.  backward: read g and x (or y), write dx.
    work = {"forward": 2.0 * n * FLOAT_BYTES, "forward+backward": 5.0 * n * FLOAT_BYTES}
    return Case(name, f"({n},)", "GB/s", work, passes)


def softmax_case(ctx, rows, cols):
    import minigrad.nn.functional as F
    rng = np.random.default_rng(3)
    X = rng.standard_normal((rows, cols), dtype=np.float32)
    G = rng.standard_normal((rows, cols), dtype=np.float32)
    xp = array_module(ctx.device)
    rx, rg = xp.asarray(X), xp.asarray(G)
    x, xg, g = _mg_tensor(ctx, X), _mg_tensor(ctx, X, True), _mg_tensor(ctx, G)

    def raw_forward():
        e = xp.exp(rx - rx.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def raw_backward():
        y = raw_forward()
        return y * (rg - (rg * y).sum(axis=-1, keepdims=True))

    def mg_backward():
        _clear(xg)
        F.softmax(xg, dim=-1).backward(g)

    torch_fwd = torch_bwd = None
    if torch_device(ctx) is not None:
        torch = ctx.torch
        tx, txg, tg = _torch_tensor(ctx, X), _torch_tensor(ctx, X, True), _torch_tensor(ctx, G)

        def torch_fwd():
            return torch.softmax(tx, dim=-1)

        def torch_bwd():
            _clear(txg)
            torch.softmax(txg, dim=-1).backward(tg)

    passes = {"forward": _peers(ctx, lambda: F.softmax(x, dim=-1), raw_forward, torch_fwd),
              "forward+backward": _peers(ctx, mg_backward, raw_backward, torch_bwd)}
    n = rows * cols
    return Case("softmax", f"({rows},{cols})", "GB/s",
                {"forward": 2.0 * n * FLOAT_BYTES, "forward+backward": 5.0 * n * FLOAT_BYTES}, passes)


def cross_entropy_case(ctx, rows, classes):
    import minigrad.nn.functional as F
    rng = np.random.default_rng(4)
    X = rng.standard_normal((rows, classes), dtype=np.float32)
    T = rng.integers(0, classes, rows).astype(np.int64)
    xp = array_module(ctx.device)
    rx, rt = xp.asarray(X), xp.asarray(T)
    index = xp.arange(rows)
    x, xg, t = _mg_tensor(ctx, X), _mg_tensor(ctx, X, True), _mg_tensor(ctx, T)

    def raw_forward():
        m = rx.max(axis=1, keepdims=True)
        lse = xp.log(xp.exp(rx - m).sum(axis=1)) + m[:, 0]
        return (lse - rx[index, rt]).mean()

    def raw_backward():
        m = rx.max(axis=1, keepdims=True)
        e = xp.exp(rx - m)
        s = e.sum(axis=1, keepdims=True)
        loss = (xp.log(s[:, 0]) + m[:, 0] - rx[index, rt]).mean()
        p = e / s
        p[index, rt] -= 1
        return loss, p / rows

    def mg_backward():
        _clear(xg)
        F.cross_entropy(xg, t).backward()

    torch_fwd = torch_bwd = None
    if torch_device(ctx) is not None:
        torch = ctx.torch
        tx, txg, tt = _torch_tensor(ctx, X), _torch_tensor(ctx, X, True), _torch_tensor(ctx, T)

        def torch_fwd():
            return torch.nn.functional.cross_entropy(tx, tt)

        def torch_bwd():
            _clear(txg)
            torch.nn.functional.cross_entropy(txg, tt).backward()

    passes = {"forward": _peers(ctx, lambda: F.cross_entropy(x, t), raw_forward, torch_fwd),
              "forward+backward": _peers(ctx, mg_backward, raw_backward, torch_bwd)}
    n = rows * classes
    # forward reads the logits; the fused forward+backward reads them and writes dlogits.
    return Case("cross_entropy", f"({rows},{classes})", "GB/s",
                {"forward": 1.0 * n * FLOAT_BYTES, "forward+backward": 2.0 * n * FLOAT_BYTES}, passes)


def layer_norm_case(ctx, rows, d, eps=1e-5):
    import minigrad.nn.functional as F
    rng = np.random.default_rng(5)
    X = rng.standard_normal((rows, d), dtype=np.float32)
    G = rng.standard_normal((rows, d), dtype=np.float32)
    W = rng.standard_normal(d, dtype=np.float32)
    B = rng.standard_normal(d, dtype=np.float32)
    xp = array_module(ctx.device)
    rx, rg, rw, rb = (xp.asarray(v) for v in (X, G, W, B))
    x, w, b, g = _mg_tensor(ctx, X), _mg_tensor(ctx, W), _mg_tensor(ctx, B), _mg_tensor(ctx, G)
    xg, wg, bg = _mg_tensor(ctx, X, True), _mg_tensor(ctx, W, True), _mg_tensor(ctx, B, True)

    def raw_forward(keep=False):
        mean = rx.mean(axis=1, keepdims=True)
        centered = rx - mean
        rstd = 1 / xp.sqrt((centered * centered).mean(axis=1, keepdims=True) + eps)
        xhat = centered * rstd
        y = xhat * rw + rb
        return (y, xhat, rstd) if keep else y

    def raw_backward():
        y, xhat, rstd = raw_forward(keep=True)
        dxhat = rg * rw
        dx = rstd * (dxhat - dxhat.mean(axis=1, keepdims=True)
                     - xhat * (dxhat * xhat).mean(axis=1, keepdims=True))
        return dx, (rg * xhat).sum(axis=0), rg.sum(axis=0)

    def mg_backward():
        _clear(xg, wg, bg)
        F.layer_norm(xg, (d,), wg, bg, eps).backward(g)

    torch_fwd = torch_bwd = None
    if torch_device(ctx) is not None:
        tf = ctx.torch.nn.functional
        tx, tw, tb, tg = (_torch_tensor(ctx, v) for v in (X, W, B, G))
        txg, twg, tbg = (_torch_tensor(ctx, v, True) for v in (X, W, B))

        def torch_fwd():
            return tf.layer_norm(tx, (d,), tw, tb, eps)

        def torch_bwd():
            _clear(txg, twg, tbg)
            tf.layer_norm(txg, (d,), twg, tbg, eps).backward(tg)

    passes = {"forward": _peers(ctx, lambda: F.layer_norm(x, (d,), w, b, eps), raw_forward, torch_fwd),
              "forward+backward": _peers(ctx, mg_backward, raw_backward, torch_bwd)}
    n = rows * d
    return Case("layer_norm", f"({rows},{d})", "GB/s",
                {"forward": 2.0 * n * FLOAT_BYTES, "forward+backward": 5.0 * n * FLOAT_BYTES}, passes)


def adam_case(ctx, n, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    import minigrad as mg
    rng = np.random.default_rng(6)
    P = rng.standard_normal(n, dtype=np.float32)
    G = rng.standard_normal(n, dtype=np.float32) * np.float32(1e-3)
    p = _mg_tensor(ctx, P.copy(), True)
    p.grad = _mg_tensor(ctx, G)
    optimizer = mg.optim.Adam([p], lr=lr)
    xp = array_module(ctx.device)
    rp, rg = xp.asarray(P.copy()), xp.asarray(G)
    rm, rv = xp.zeros_like(rp), xp.zeros_like(rp)
    state = {"t": 0}

    def raw_step():
        state["t"] += 1
        t = state["t"]
        rm[...] = beta1 * rm + (1 - beta1) * rg
        rv[...] = beta2 * rv + (1 - beta2) * rg * rg
        rp[...] -= (lr / (1 - beta1**t)) * rm / (xp.sqrt(rv / (1 - beta2**t)) + eps)

    torch_step = None
    if torch_device(ctx) is not None:
        tp = _torch_tensor(ctx, P.copy(), True)
        tp.grad = _torch_tensor(ctx, G)
        torch_step = ctx.torch.optim.Adam([tp], lr=lr).step

    passes = {"step": _peers(ctx, optimizer.step, raw_step, torch_step)}
    # read param, grad, exp_avg, exp_avg_sq; write param, exp_avg, exp_avg_sq.
    return Case("adam_step", f"({n},)", "GB/s", {"step": 7.0 * n * FLOAT_BYTES}, passes)


def cases(ctx):
    """Every case of this run, built lazily (one at a time keeps memory low)."""
    s = sizes(ctx)
    for n in s["square"]:
        yield lambda n=n: matmul_case(ctx, n, n, n, "matmul", with_backward=n <= s["square_backward_max"])
    for (rows, d, hidden) in s["transformer"]:
        yield lambda r=rows, d=d, h=hidden: matmul_case(ctx, r, d, h, "matmul (B*T,d)x(d,4d)")
    for name in RAW_ACTIVATIONS:
        yield lambda name=name: activation_case(ctx, name, s["elementwise"])
    yield lambda: softmax_case(ctx, *s["softmax"])
    yield lambda: cross_entropy_case(ctx, *s["cross_entropy"])
    yield lambda: layer_norm_case(ctx, *s["layer_norm"])
    yield lambda: adam_case(ctx, s["adam"])


def run(ctx):
    result = SuiteResult(NAME, ctx.device)
    peaks = measure_peaks(ctx)
    raw = raw_peer_name(ctx.device)
    peak_line = (f"peaks measured in this run on the {peaks['where']}: {peaks['gflops']:.1f} GFLOP/s "
                 f"(float32 matmul n={peaks['matmul_n']}), {peaks['gbps']:.1f} GB/s "
                 f"(copy of {peaks['copy_mb']:.0f} MiB)")
    table = Table(f"ops on {ctx.device}", ["op", "shape", "pass", "minigrad", raw, "torch", f"mg/{raw}",
                                            "mg/torch", "minigrad rate", "% of peak"],
                  notes=[peak_line, f"mg/{raw} and mg/torch: minigrad's time divided by the peer's "
                                    "(2.00x = minigrad takes twice as long)."])
    if ctx.simulated:
        table.notes.insert(0, SIMULATOR_WARNING)
    for make in cases(ctx):
        case = make()
        for pass_name, peers in case.peers.items():
            # one trial call sizes the repeats: slow calls get fewer
            trial = time.perf_counter()
            peers[0].fn()
            repeats = 1 if ctx.simulated else repeats_for(time.perf_counter() - trial, ctx.quick)
            timings = measure(peers, repeats=repeats, warmup=1)
            rate = case.work[pass_name] / timings["minigrad"].median / 1e9
            peak = peaks["gflops"] if case.unit == "GFLOP/s" else peaks["gbps"]
            ratios = {p.name: slowdown(timings, p.name) for p in peers if p.name != "minigrad"}
            table.rows.append([case.op, case.shape, pass_name, format_seconds(timings["minigrad"].median),
                               format_seconds(timings[raw].median),
                               format_seconds(timings["torch"].median) if "torch" in timings else "-",
                               fmt_ratio(ratios.get(raw)), fmt_ratio(ratios.get("torch")),
                               fmt_rate(rate, case.unit), f"{100 * rate / peak:.0f}%"])
            result.records.append(dict(op=case.op, shape=case.shape, pass_=pass_name, unit=case.unit,
                                       work=case.work[pass_name],
                                       seconds={k: v.median for k, v in timings.items()},
                                       minigrad_slowdown=ratios, minigrad_rate=rate, peak=peak,
                                       fraction_of_peak=rate / peak))
    result.tables.append(table)
    result.records.insert(0, dict(peaks=peaks))
    result.figures += _plots(ctx, result.records[1:], peaks, raw)
    return result


def _plots(ctx, records, peaks, raw):
    figures = []
    square = [r for r in records if r["op"] == "matmul" and r["pass_"] == "forward"]
    if square:
        xs = [int(r["shape"].split(",")[0].strip("(")) for r in square]
        series = {}
        for peer in square[0]["seconds"]:
            series[peer] = (xs, [r["work"] / r["seconds"][peer] / 1e9 for r in square])
        name = f"ops_{ctx.device}_matmul_gflops.png"
        line_chart(ctx.out_dir / name, f"square float32 matmul on {ctx.device}", "n (C = A @ B, all n x n)",
                   "GFLOP/s (2 n^3 / time)", series, logx=True,
                   hlines={f"peak {peaks['gflops']:.0f} GFLOP/s": peaks["gflops"]},
                   subtitle=SIMULATOR_WARNING if ctx.simulated else None)
        figures.append(name)
    others = [r for r in records if not r["op"].startswith("matmul") and r["pass_"] != "forward"]
    if others:
        labels = [f"{r['op']} {r['pass_']}" for r in others]
        bars = {}
        for peer in others[0]["minigrad_slowdown"]:
            bars[f"minigrad / {peer}"] = [r["minigrad_slowdown"].get(peer) for r in others]
        name = f"ops_{ctx.device}_slowdown.png"
        bar_chart(ctx.out_dir / name, f"minigrad time / peer time on {ctx.device} (1.0 = as fast)", labels, bars,
                  ylabel="times slower than the peer", reference=1.0,
                  subtitle=SIMULATOR_WARNING if ctx.simulated else None)
        figures.append(name)
    return figures
