"""Suite ``kernels``: the four kernel ladders of ``kernels/``, and the summary of a GPU session.

The ladders are the kernel files' own (``python -m kernels.matmul``, ``.softmax``, ``.layernorm``,
``.losses``): each checks every version x block size against the CPU backend's formula and
times it with CUDA events.  This suite runs them at benchmark sizes and turns their records into
tables and figures:

* the **matmul ladder** -- naive -> shared-memory tiles -> register blocking -> cuBLAS (through
  CuPy) -- in GFLOP/s (2 n^3 flops for n x n) and as a fraction of cuBLAS;
* the **row ladders** -- softmax forward, layer-norm forward, fused cross-entropy forward+backward
  -- in effective GB/s (the fewest bytes the op must move / time) and as a fraction of a
  device-to-device copy measured in the same run, per version and block size.

On ``cudasim`` (no GPU) the sizes are toys and there are no timings: the run only proves the
kernels are right and the harness works.

``python -m benchmarks.gpu_kernels --summarize FOLDER`` reads what ``benchmarks/gpu_session.sh``
left in FOLDER and prints the headline figures as Markdown (see that script).
"""
import argparse
import importlib
import json
from pathlib import Path

from benchmarks.common import SIMULATOR_WARNING, SuiteResult, Table
from benchmarks.plots import line_chart
from benchmarks.timing import format_seconds

NAME = "kernels"
DESCRIPTION = "GPU kernels: the matmul, softmax, layer-norm and cross-entropy ladders (versions x block sizes)"
LADDERS = ("matmul", "softmax", "layernorm", "losses")
TITLES = {"softmax": "softmax forward", "layernorm": "layer-norm forward", "losses": "cross-entropy fwd+bwd"}


def ladder_arguments(ctx, family):
    """Command-line arguments of ``python -m kernels.<family>`` for this run's sizes."""
    if ctx.simulated:
        shape, blocks = (["8"] if family == "matmul" else ["4", "16"]), ["32"]
    elif ctx.quick:
        shape, blocks = (["128", "256"] if family == "matmul" else ["1024", "512"]), ["64", "256"]
    else:
        shape = ["256", "512", "1024", "2048", "4096"] if family == "matmul" else ["8192", "4096"]
        blocks = ["32", "64", "128", "256", "512", "1024"]
    return ["--shape", *shape] + ([] if family == "matmul" else ["--block-sizes", *blocks])


def read_records(path):
    """The records a ladder appended to ``path`` with ``--json`` (one JSON object per line)."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def _fraction(value):
    return "-" if value is None else f"{100 * value:.0f}%"


def _error(value):
    return "FAIL" if value is None else f"{value:.1e}"


def matmul_table(ctx, records, result):
    table = Table(f"matmul ladder on {ctx.device} (float32, batch 1, n x n)",
                  ["n", "version", "time", "GFLOP/s", "of cuBLAS", "max error"],
                  notes=["of cuBLAS: cuBLAS's time / the version's time (100% = as fast as the vendor library).",
                         "max error: largest |kernel - CPU backend's matmul in float64| over the result."])
    series = {}
    for r in records:
        n = r["shape"][0]
        table.rows.append([n, r["version"], format_seconds(r["seconds"]), f"{r.get('gflops', 0):.0f}",
                           _fraction(r.get("fraction_of_baseline")), _error(r["max_error"])])
        if r.get("gflops"):
            xs, ys = series.setdefault(r["version"], ([], []))
            xs.append(n)
            ys.append(r["gflops"])
    result.tables.append(table)
    if series:
        name = f"kernels_{ctx.device}_matmul_ladder.png"
        line_chart(ctx.out_dir / name, f"matmul ladder on {ctx.device}", "n", "GFLOP/s", series, logx=True)
        result.figures.append(name)


def row_table(ctx, family, records, result):
    rows, cols = records[0]["shape"] if records else ("?", "?")
    table = Table(f"{TITLES[family]} ladder on {ctx.device}, ({rows}, {cols}) float32",
                  ["version", "block", "time", "GB/s", "of copy", "max error"],
                  notes=["GB/s counts the least traffic: read the input once, write the output once.",
                         "of copy: the kernel's GB/s / a device-to-device copy's, measured in the same run."])
    series = {}
    for r in records:
        table.rows.append([r["version"], r["block_size"], format_seconds(r["seconds"]), f"{r.get('gbps', 0):.0f}",
                           _fraction(r.get("fraction_of_copy")), _error(r["max_error"])])
        if r.get("gbps"):
            xs, ys = series.setdefault(r["version"], ([], []))
            xs.append(r["block_size"])
            ys.append(r["gbps"])
    result.tables.append(table)
    if series:
        name = f"kernels_{ctx.device}_{family}_block_sweep.png"
        line_chart(ctx.out_dir / name, f"{TITLES[family]} on {ctx.device}: bandwidth vs block size",
                   "block_size (threads per row)", "GB/s", series, logx=True)
        result.figures.append(name)


def run(ctx):
    result = SuiteResult(NAME, ctx.device)
    if not ctx.on_gpu:
        result.notes.append("the kernels suite needs --device cuda or cudasim")
        return result
    if ctx.simulated:
        result.notes.append(SIMULATOR_WARNING)
    for family in LADDERS:
        path = ctx.out_dir / f"ladder_{family}.jsonl"
        path.unlink(missing_ok=True)
        importlib.import_module(f"kernels.{family}").main(ladder_arguments(ctx, family) + ["--json", str(path)])
        records = read_records(path)
        for r in records:
            r["kernel"] = r["family"]
        result.records += records
        if family == "matmul":
            matmul_table(ctx, records, result)
        else:
            row_table(ctx, family, records, result)
    return result


# ---------------------------------------------------------------------------------------------
# The summary of a GPU session (benchmarks/gpu_session.sh)
# ---------------------------------------------------------------------------------------------
def _best(records):
    timed = [r for r in records if r.get("ok") and r.get("seconds")]
    return min(timed, key=lambda r: r["seconds"]) if timed else None


def _suite_records(folder, suite):
    """[(device, record), ...] of ``suite`` in FOLDER/suite/results.json (none if it is missing)."""
    path = Path(folder) / suite / "results.json"
    if not path.exists():
        return []
    return [(res["device"], rec) for res in json.loads(path.read_text())["results"] if res["suite"] == suite
            for rec in res["records"]]


def summarize(folder):
    """Markdown lines with the session's headline figures, from the files the session wrote."""
    folder = Path(folder)
    lines = ["# GPU session summary", ""]
    log = folder / "gpu_tests.log"
    if log.exists():
        last = [line for line in log.read_text().splitlines() if " passed" in line or " failed" in line]
        lines.append(f"- GPU tests: {last[-1].strip('= ') if last else 'no pytest summary line (see gpu_tests.log)'}")
    ladders = read_records(folder / "ladders.jsonl") if (folder / "ladders.jsonl").exists() else []
    matmul = [r for r in ladders if r["family"] == "matmul"]
    if matmul:
        n = max(r["shape"][0] for r in matmul)
        at_n = {r["version"]: r for r in matmul if r["shape"][0] == n}
        register, cublas = at_n.get("register", {}), at_n.get("cublas", {})
        if register.get("gflops") and cublas.get("gflops"):
            lines.append(f"- matmul {n}x{n} float32: register-blocked {register['gflops']:.0f} GFLOP/s = "
                         f"{_fraction(register.get('fraction_of_baseline'))} of cuBLAS ({cublas['gflops']:.0f} "
                         f"GFLOP/s; goal >= 50%)")
        else:
            lines.append(f"- matmul {n}x{n}: no timings (the simulator checks correctness only)")
    for family in ("softmax", "layernorm", "cross-entropy", "conv", "maxpool", "batchnorm"):
        rungs = [r for r in ladders if r["family"] == family]
        best = _best(rungs)
        if best and family == "conv":
            direct = _best([r for r in rungs if r["version"] == "direct"])
            lines.append(f"- conv2d 3x3 {tuple(best['shape'])}: best {best['version']} at block {best['block_size']}, "
                         f"{best['gflops']:.0f} GFLOP/s" + (f"; direct at best {direct['gflops']:.0f} GFLOP/s"
                                                            if direct and direct is not best else ""))
        elif best:
            goal = " (goal >= 70%)" if family in ("softmax", "layernorm", "cross-entropy") else ""
            lines.append(f"- {family} {tuple(best['shape'])}: best {best['version']} at block {best['block_size']}, "
                         f"{best['gbps']:.0f} GB/s = {_fraction(best.get('fraction_of_copy'))} of the copy "
                         f"bandwidth{goal}")
        elif rungs:
            lines.append(f"- {family}: no timed rung ({sum(not r['ok'] for r in rungs)} of {len(rungs)} failed; "
                         "on the simulator there are no timings)")
    failed = [r for r in ladders if not r["ok"]]
    lines.append(f"- ladder rungs checked: {len(ladders)}, wrong or failed: {len(failed)}"
                 + "".join(f"\n  - {r['family']} {r['version']} block {r['block_size']}: "
                           f"{r['error'] or 'max error ' + str(r['max_error'])}" for r in failed))
    for device, r in _suite_records(folder, "crossover"):
        if "crossover_with_copies" in r:
            lines.append(f"- crossover on {device}, {r['op']}: the GPU wins with copies from size "
                         f"{r['crossover_with_copies']}, resident from {r['crossover_resident']} (None: never)")
    steps = {}
    for device, r in _suite_records(folder, "models"):
        lines.append(f"- {r['model']}, {r['kind']} on {device}: minigrad {format_seconds(r['seconds']['minigrad'])}"
                     + (f", torch {format_seconds(r['seconds']['torch'])}" if "torch" in r["seconds"] else ""))
        if r["model"].startswith("Transformer") and r["kind"] == "training step":
            steps[device] = r["seconds"]["minigrad"]
    if "cpu" in steps and "cuda" in steps:
        lines.append(f"- Transformer training step: cuda {format_seconds(steps['cuda'])} vs cpu "
                     f"{format_seconds(steps['cpu'])}, {steps['cpu'] / steps['cuda']:.1f}x faster on the GPU")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gpu_kernels")
    parser.add_argument("--summarize", metavar="FOLDER", required=True, help="a gpu_session.sh results folder")
    args = parser.parse_args(argv)
    print("\n".join(summarize(args.summarize)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
