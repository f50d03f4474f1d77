"""Suite ``crossover``: from which size on does the GPU beat the CPU?

A GPU is fast once it has enough work, but every call pays fixed costs: a kernel launch
(~5-10 us), and -- if the data lives on the host -- the copy over PCIe (~10-25 GB/s, far slower
than the GPU's own memory).  For each op and size we time, with minigrad:

    cpu                  the op on device "cpu"
    gpu (with copies)    host array -> GPU tensor, the op, result -> host array
    gpu (resident)       the op on tensors already on the GPU

and report the **crossover**: the smallest size from which "gpu (with copies)" is faster than the
CPU at that size and every larger one.  On ``cudasim`` the "GPU" is Numba's Python simulator, so
the sizes are toys and the crossover (usually "never") says nothing about real GPUs.
"""
import numpy as np

from benchmarks.common import SIMULATOR_WARNING, SuiteResult, Table, gpu_sync
from benchmarks.plots import line_chart
from benchmarks.timing import Peer, format_seconds, measure

NAME = "crossover"
DESCRIPTION = "CPU vs GPU time (with and without host<->device copies) per op and size; where the GPU starts to win"


def sizes(ctx):
    if ctx.simulated:
        return dict(matmul=[4, 8], elementwise=[64, 256], softmax_rows=[2, 4], softmax_cols=16, repeats=1)
    if ctx.quick:
        return dict(matmul=[32, 128, 512], elementwise=[2**10, 2**14, 2**18], softmax_rows=[16, 256, 4096],
                    softmax_cols=256, repeats=3)
    return dict(matmul=[16, 32, 64, 128, 256, 512, 1024, 2048, 4096],
                elementwise=[2**k for k in range(8, 26, 2)], softmax_rows=[2**k for k in range(2, 16, 2)],
                softmax_cols=512, repeats=7)


def op_cases(ctx):
    """(op name, size label, [sizes], make_input(size) -> list of host arrays, op(*tensors))."""
    import minigrad.nn.functional as F
    s = sizes(ctx)
    rng = np.random.default_rng(0)
    normal = lambda *shape: rng.standard_normal(shape, dtype=np.float32)  # noqa: E731
    return [
        ("matmul", "n (n x n @ n x n)", s["matmul"], lambda n: [normal(n, n), normal(n, n)], lambda a, b: a @ b),
        ("relu", "elements", s["elementwise"], lambda n: [normal(n)], F.relu),
        ("gelu", "elements", s["elementwise"], lambda n: [normal(n)], F.gelu),
        (f"softmax (rows x {s['softmax_cols']})", "rows", s["softmax_rows"],
         lambda r: [normal(r, s["softmax_cols"])], lambda x: F.softmax(x, dim=-1)),
    ]


def crossover_point(sizes_list, cpu_times, gpu_times):
    """Smallest size from which the GPU is faster at it and every larger size; None if never."""
    point = None
    for size, cpu, gpu in zip(reversed(sizes_list), reversed(cpu_times), reversed(gpu_times)):
        if gpu < cpu:
            point = size
        else:
            break
    return point


def run(ctx):
    import minigrad as mg
    result = SuiteResult(NAME, ctx.device)
    if not ctx.on_gpu:
        result.notes.append("the crossover suite needs --device cuda or cudasim")
        return result
    if ctx.simulated:
        result.notes.append(SIMULATOR_WARNING)
    gpu = ctx.device
    sync = gpu_sync(gpu)
    repeats = sizes(ctx)["repeats"]
    table = Table(f"CPU vs {gpu} (minigrad on both)", ["op", "size", "cpu", f"{gpu} with copies",
                                                       f"{gpu} resident", "winner (with copies)"],
                  notes=["with copies: host array -> device tensor, the op, result back to a host array."])
    summary = Table("crossover sizes", ["op", "GPU wins (with copies) from", "GPU wins (resident) from"])
    if ctx.simulated:
        table.notes.insert(0, SIMULATOR_WARNING)
    for op, size_label, size_list, make_input, fn in op_cases(ctx):
        cpu_t, copy_t, resident_t = [], [], []
        for size in size_list:
            host = make_input(size)
            cpu_in = [mg.tensor(a) for a in host]
            gpu_in = [mg.tensor(a, device=gpu) for a in host]

            def with_copies(host=host):
                return fn(*[mg.tensor(a, device=gpu) for a in host]).numpy()

            peers = [Peer("cpu", lambda c=cpu_in: fn(*c)), Peer("copies", with_copies, sync),
                     Peer("resident", lambda g=gpu_in: fn(*g), sync)]
            timings = measure(peers, repeats=repeats, warmup=0 if ctx.simulated else 1)
            t = {k: v.median for k, v in timings.items()}
            cpu_t.append(t["cpu"])
            copy_t.append(t["copies"])
            resident_t.append(t["resident"])
            table.rows.append([op, size, format_seconds(t["cpu"]), format_seconds(t["copies"]),
                               format_seconds(t["resident"]), "gpu" if t["copies"] < t["cpu"] else "cpu"])
            result.records.append(dict(op=op, size=size, seconds=t))
        with_copies_from = crossover_point(size_list, cpu_t, copy_t)
        resident_from = crossover_point(size_list, cpu_t, resident_t)
        summary.rows.append([op, "never (in range)" if with_copies_from is None else f"{size_label} = {with_copies_from}",
                             "never (in range)" if resident_from is None else f"{size_label} = {resident_from}"])
        result.records.append(dict(op=op, crossover_with_copies=with_copies_from, crossover_resident=resident_from))
        name = f"crossover_{gpu}_{op.split()[0]}.png"
        vlines = {} if with_copies_from is None else {f"GPU wins from {with_copies_from}": with_copies_from}
        line_chart(ctx.out_dir / name, f"{op}: CPU vs {gpu}" + (" (SIMULATOR)" if ctx.simulated else ""),
                   size_label, "seconds per call",
                   {"cpu": (size_list, cpu_t), f"{gpu} with copies": (size_list, copy_t),
                    f"{gpu} resident": (size_list, resident_t)},
                   logx=True, logy=True, vlines=vlines, subtitle=SIMULATOR_WARNING if ctx.simulated else None)
        result.figures.append(name)
    result.tables += [table, summary]
    return result
