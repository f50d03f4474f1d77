"""Suite ``kernels``: minigrad's hand-written CUDA kernels, called directly, against CuPy's own.

* the **matmul ladder** -- naive -> shared-memory tiles -> register blocking -> cuBLAS (through
  CuPy) -- in GFLOP/s (2 n^3 flops for n x n) and as a fraction of cuBLAS;
* the **row kernels** -- softmax, fused cross-entropy forward+backward, layer-norm forward -- in
  effective GB/s (least bytes moved / time), swept over the launcher's ``block_size`` (threads
  per row), against the same formula written with CuPy array operations.

Every kernel's output is compared with the NumPy reference once (``max error`` column), so a
fast wrong kernel cannot hide.  On ``cudasim`` (no GPU) the sizes are toys and the timings
measure the Python simulator: that run only proves the harness works.
"""
import numpy as np

from benchmarks.common import SIMULATOR_WARNING, SuiteResult, Table, array_module, fmt_ratio, gpu_sync
from benchmarks.plots import line_chart
from benchmarks.timing import Peer, format_seconds, measure

NAME = "kernels"
DESCRIPTION = "GPU kernels: the matmul ladder and the row kernels (block-size sweeps) vs CuPy"
FLOAT_BYTES = 4


def sizes(ctx):
    if ctx.simulated:
        return dict(matmul=[8], rows=(4, 16), blocks=[32], repeats=1, warmup=0)
    if ctx.quick:
        return dict(matmul=[128, 256], rows=(1024, 512), blocks=[64, 256], repeats=3, warmup=1)
    return dict(matmul=[256, 512, 1024, 2048, 4096], rows=(8192, 4096), blocks=[32, 64, 128, 256, 512, 1024],
                repeats=7, warmup=2)


def _to_host(x):
    return x.get() if hasattr(x, "get") else np.asarray(x)


def _max_error(result, reference):
    return float(np.max(np.abs(_to_host(result).astype(np.float64) - reference))) if reference.size else 0.0


def matmul_ladder(ctx, result):
    from kernels import matmul as mm
    xp = array_module(ctx.device)
    sync = gpu_sync(ctx.device)
    s = sizes(ctx)
    table = Table(f"matmul ladder on {ctx.device} (float32, batch 1, n x n)",
                  ["n", "version", "time", "GFLOP/s", "vs cublas", "max error"],
                  notes=["vs cublas: the version's time / cuBLAS's time (1.00x = as fast as the vendor library).",
                         "max error: largest |kernel - float64 reference| over the result."])
    rng = np.random.default_rng(0)
    series = {v: ([], []) for v in mm.MATMUL_VERSIONS}
    for n in s["matmul"]:
        A = rng.standard_normal((1, n, n), dtype=np.float32)
        B = rng.standard_normal((1, n, n), dtype=np.float32)
        reference = mm.matmul_reference(A.astype(np.float64), B.astype(np.float64))
        a, b = xp.asarray(A), xp.asarray(B)
        peers = [Peer(v, (lambda v=v: mm.matmul(a, b, version=v)), sync) for v in mm.MATMUL_VERSIONS]
        errors = {p.name: _max_error(p.fn(), reference) for p in peers}
        timings = measure(peers, repeats=s["repeats"], warmup=s["warmup"])
        for v in mm.MATMUL_VERSIONS:
            t = timings[v].median
            gflops = 2.0 * n**3 / t / 1e9
            table.rows.append([n, v, format_seconds(t), f"{gflops:.1f}", fmt_ratio(t / timings["cublas"].median),
                               f"{errors[v]:.1e}"])
            result.records.append(dict(kernel="matmul", n=n, version=v, seconds=t, gflops=gflops,
                                       vs_cublas=t / timings["cublas"].median, max_error=errors[v]))
            series[v][0].append(n)
            series[v][1].append(gflops)
    result.tables.append(table)
    name = f"kernels_{ctx.device}_matmul_ladder.png"
    line_chart(ctx.out_dir / name, f"matmul ladder on {ctx.device}", "n", "GFLOP/s", series, logx=True,
               subtitle=SIMULATOR_WARNING if ctx.simulated else None)
    result.figures.append(name)


def row_kernel_cases(ctx, xp, rows, cols):
    """(name, bytes moved, kernel(block_size), cupy_version(), reference output, pick kernel output)."""
    from kernels import layernorm, losses, softmax
    rng = np.random.default_rng(1)
    X = rng.standard_normal((rows, cols), dtype=np.float32)
    T = rng.integers(0, cols, rows).astype(np.int64)
    W = rng.standard_normal(cols, dtype=np.float32)
    Bias = rng.standard_normal(cols, dtype=np.float32)
    x, t, w, bias = xp.asarray(X), xp.asarray(T), xp.asarray(W), xp.asarray(Bias)
    index = xp.arange(rows)
    n_bytes = rows * cols * FLOAT_BYTES

    def xp_softmax():
        e = xp.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def xp_cross_entropy():
        m = x.max(axis=1, keepdims=True)
        e = xp.exp(x - m)
        s = e.sum(axis=1, keepdims=True)
        loss = xp.log(s[:, 0]) + m[:, 0] - x[index, t]
        d = e / s
        d[index, t] -= 1
        return loss, d

    def xp_layernorm():
        mean = x.mean(axis=1, keepdims=True)
        c = x - mean
        rstd = 1 / xp.sqrt((c * c).mean(axis=1, keepdims=True) + 1e-5)
        return c * rstd * w + bias

    X64 = X.astype(np.float64)
    return [
        ("softmax forward", 2 * n_bytes, lambda bs: softmax.softmax_forward(x, block_size=bs), xp_softmax,
         softmax.softmax_forward_reference(X64), lambda out: out),
        ("cross-entropy fwd+bwd", 2 * n_bytes,
         lambda bs: losses.cross_entropy_forward_backward(x, t, block_size=bs), xp_cross_entropy,
         losses.cross_entropy_forward_backward_reference(X64, T)[1], lambda out: out[1]),
        ("layer-norm forward", 2 * n_bytes, lambda bs: layernorm.layernorm_forward(x, w, bias, 1e-5, block_size=bs),
         xp_layernorm, layernorm.layernorm_forward_reference(X64, W.astype(np.float64), Bias.astype(np.float64),
                                                              1e-5)[0], lambda out: out[0]),
    ]


def row_kernels(ctx, result):
    xp = array_module(ctx.device)
    sync = gpu_sync(ctx.device)
    s = sizes(ctx)
    rows, cols = s["rows"]
    own = "cupy" if ctx.device == "cuda" else "numpy (host)"
    table = Table(f"row kernels on {ctx.device}, ({rows}, {cols}) float32, block_size sweep",
                  ["kernel", "block_size", "time", "GB/s", f"vs {own}", "max error"],
                  notes=[f"vs {own}: the kernel's time / the same formula as {own} array operations.",
                         "GB/s counts the least traffic: read the input once, write the output once."])
    series = {}
    for name, n_bytes, kernel, xp_version, reference, pick in row_kernel_cases(ctx, xp, rows, cols):
        peers = [Peer(own, xp_version, sync)]
        peers += [Peer(f"block {bs}", (lambda bs=bs: kernel(bs)), sync) for bs in s["blocks"]]
        errors = {bs: _max_error(pick(kernel(bs)), reference) for bs in s["blocks"]}
        timings = measure(peers, repeats=s["repeats"], warmup=s["warmup"])
        base = timings[own].median
        table.rows.append([name, own, format_seconds(base), f"{n_bytes / base / 1e9:.1f}", "1.00x", "-"])
        xs, ys = [], []
        for bs in s["blocks"]:
            t = timings[f"block {bs}"].median
            table.rows.append([name, bs, format_seconds(t), f"{n_bytes / t / 1e9:.1f}", fmt_ratio(t / base),
                               f"{errors[bs]:.1e}"])
            result.records.append(dict(kernel=name, block_size=bs, rows=rows, cols=cols, seconds=t,
                                       gbps=n_bytes / t / 1e9, vs_array_library=t / base, max_error=errors[bs]))
            xs.append(bs)
            ys.append(n_bytes / t / 1e9)
        result.records.append(dict(kernel=name, block_size=None, library=own, seconds=base, gbps=n_bytes / base / 1e9))
        series[name] = (xs, ys)
    result.tables.append(table)
    figure = f"kernels_{ctx.device}_block_sweep.png"
    line_chart(ctx.out_dir / figure, f"row kernels on {ctx.device}: effective bandwidth vs block size",
               "block_size (threads per row)", "GB/s", series, logx=True,
               subtitle=SIMULATOR_WARNING if ctx.simulated else None)
    result.figures.append(figure)


def run(ctx):
    result = SuiteResult(NAME, ctx.device)
    if not ctx.on_gpu:
        result.notes.append("the kernels suite needs --device cuda or cudasim")
        return result
    if ctx.simulated:
        result.notes.append(SIMULATOR_WARNING)
    matmul_ladder(ctx, result)
    row_kernels(ctx, result)
    return result
