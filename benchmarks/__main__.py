"""``python -m benchmarks [suite ...] [--device cpu,cudasim,cuda] [--quick] [--out DIR]``

Runs the chosen suites (all by default) on each device, prints every table as it is measured,
and writes into the results folder (default ``benchmarks/results/<date>_<machine-slug>/``):

    results.json   every measurement, machine-readable, with the machine description
    report.md      the same tables in Markdown, with the figures
    *.png          the figures

Examples:
    python -m benchmarks --quick                       # everything, small sizes, CPU (< 1 minute)
    python -m benchmarks overhead                      # just the dispatch / small-MLP numbers
    python -m benchmarks ops kernels crossover --device cuda
    python -m benchmarks kernels --device cudasim --quick   # harness check without a GPU
"""
import argparse
import os
import sys
import time
import traceback
from pathlib import Path

SUITES = ("ops", "overhead", "models", "kernels", "crossover")
GPU_ONLY = ("kernels", "crossover")   # they compare a GPU with the CPU, so "cpu" alone has nothing to do


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suites", nargs="*", metavar="suite", help=f"any of {', '.join(SUITES)} (default: all)")
    parser.add_argument("--device", default="cpu", help="comma-separated: cpu, cuda, cudasim (default: cpu)")
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats (under a minute on 2 cores)")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default: benchmarks/results/<date>_<machine>)")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS/OpenMP threads for NumPy and PyTorch (default: the libraries' own choice)")
    args = parser.parse_args(argv)
    unknown = [s for s in args.suites if s not in SUITES]
    if unknown:
        parser.error(f"unknown suite(s) {', '.join(unknown)}; choose from {', '.join(SUITES)}")
    args.suites = args.suites or list(SUITES)
    args.devices = [d.strip() for d in args.device.split(",") if d.strip()]
    bad = [d for d in args.devices if d not in ("cpu", "cuda", "cudasim")]
    if bad:
        parser.error(f"unknown device(s) {', '.join(bad)}; use cpu, cuda, cudasim")
    if "cuda" in args.devices and "cudasim" in args.devices:
        parser.error("cuda and cudasim cannot share one process (Numba picks the simulator when it is first "
                     "imported); run them as two commands")
    return args


def prepare_environment(args):
    """Settings that must happen before NumPy / Numba are imported."""
    if args.threads:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = str(args.threads)
    if "cudasim" in args.devices:
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
    repo_root = str(Path(__file__).resolve().parents[1])
    if repo_root not in sys.path:
        sys.path.insert(0, repo_root)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    prepare_environment(args)

    import importlib

    from benchmarks.common import Context, SuiteResult, import_torch
    from benchmarks.machine import describe, machine_info, results_folder_name
    from benchmarks.report import print_table, write_json, write_markdown

    torch = import_torch()
    if torch is not None and args.threads:
        torch.set_num_threads(args.threads)
    info = machine_info()
    out_dir = args.out or Path(__file__).resolve().parent / "results" / results_folder_name(info)
    out_dir.mkdir(parents=True, exist_ok=True)
    print("\n".join(describe(info)), f"\nresults -> {out_dir}\n", sep="\n", flush=True)

    results = []
    started = time.perf_counter()
    for device in args.devices:
        for suite_name in args.suites:
            if device == "cpu" and suite_name in GPU_ONLY:
                continue
            ctx = Context(device=device, quick=args.quick, out_dir=out_dir, torch=torch)
            print(f"=== {suite_name} on {device} ===", flush=True)
            t0 = time.perf_counter()
            try:
                module = importlib.import_module(f"benchmarks.{_module_name(suite_name)}")
                result = module.run(ctx)
            except Exception:
                result = SuiteResult(suite_name, device, error=traceback.format_exc())
                print(result.error, file=sys.stderr, flush=True)
            result.seconds = time.perf_counter() - t0
            for note in result.notes:
                print(f"  note: {note}")
            for table in result.tables:
                print_table(table)
            results.append(result)

    command = " ".join((sys.argv[1:] if argv is None else argv))
    from benchmarks.machine import load_average
    run_args = {"command": command, "load_average_1min_at_end": load_average(), "suites": args.suites, "devices": args.devices, "quick": args.quick,
                "threads": args.threads, "total_seconds": time.perf_counter() - started}
    write_json(out_dir / "results.json", info, run_args, results)
    write_markdown(out_dir / "report.md", info, run_args, results)
    failed = [f"{r.suite} on {r.device}" for r in results if r.error]
    print(f"wrote {out_dir / 'report.md'}, {out_dir / 'results.json'} and "
          f"{sum(len(r.figures) for r in results)} figures in {run_args['total_seconds']:.1f} s")
    if failed:
        print("FAILED suites: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


def _module_name(suite_name):
    # "kernels" would shadow the top-level kernels/ package when this folder is on sys.path
    return {"kernels": "gpu_kernels"}.get(suite_name, suite_name)


if __name__ == "__main__":
    sys.exit(main())
