"""The harness behind ``python -m kernels.<family>``: check every rung of a ladder, then time it.

As in llm.c's ``dev/cuda``, a kernel file runs on its own::

    python -m kernels.softmax                        # every version x block size
    python -m kernels.softmax --shape 4096 1024 --block-sizes 128 256
    python -m kernels.matmul --shape 1024 4096 --json matmul.json

For every rung (one version at one block size) it

1. **validates** the output against the single reference, the CPU backend's NumPy formula
   (``minigrad.backends.numpy_backend.NumpyBackend``) computed in float64, and prints the
   largest error -- a fast wrong kernel cannot hide;
2. **times** it on a GPU with CUDA events (the median of ``--repeats`` samples of back-to-back calls),
   and prints the effective bandwidth (the fewest bytes the op must move / time) as a
   fraction of a device-to-device copy of the same bytes measured in the same run, or the
   GFLOP/s as a fraction of cuBLAS for matmul;
3. names the fastest rung and the version the engine uses (``versions.current``).

Without a GPU (``python -m kernels...`` then picks Numba's CUDA simulator, see
``kernels/__init__.py``) the shapes shrink to toys and only step 1 runs: the simulator's
speed says nothing about a GPU's.  The exit status is 1 when any rung is wrong.
"""
import argparse
import json
import math
import statistics
from dataclasses import dataclass, field

import numpy as np
from numba.core import config

from minigrad.backends.numpy_backend import NumpyBackend

#: The one reference every kernel is checked against: the CPU backend's formulas.
CPU = NumpyBackend()

GPU_BLOCK_SIZES = (32, 64, 128, 256, 512, 1024)
SIMULATOR_BLOCK_SIZES = (1, 16, 32, 64)
#: Largest error allowed, relative to the largest magnitude of the reference.
TOLERANCE = {"float32": 1e-4, "float64": 1e-10}


@dataclass
class Options:
    shape: tuple
    block_sizes: tuple
    dtype: str = "float32"
    repeats: int = 20
    json: str = None
    simulated: bool = field(default_factory=lambda: bool(config.ENABLE_CUDASIM))


@dataclass
class Rung:
    """One version at one block size (None for kernels with a fixed block), and the call that runs it."""

    version: str
    block_size: int
    run: object
    pick: object = None  # which part of the output to check (e.g. the gradient of a (loss, grad) pair)


def parse_options(argv, description, *, gpu_shape, simulator_shape, shape_help="rows cols"):
    parser = argparse.ArgumentParser(prog="python -m kernels...", description=description)
    parser.add_argument("--shape", type=int, nargs="+", help=f"{shape_help} (default: {gpu_shape} on a GPU, "
                        f"{simulator_shape} on the simulator)")
    parser.add_argument("--block-sizes", type=int, nargs="+", help=f"threads per block to try (default: "
                        f"{GPU_BLOCK_SIZES} on a GPU, {SIMULATOR_BLOCK_SIZES} on the simulator)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per rung (GPU only)")
    parser.add_argument("--json", help="also write every result to this JSON file")
    args = parser.parse_args(argv)
    simulated = bool(config.ENABLE_CUDASIM)
    shape = tuple(args.shape or (simulator_shape if simulated else gpu_shape))
    blocks = tuple(args.block_sizes or (SIMULATOR_BLOCK_SIZES if simulated else GPU_BLOCK_SIZES))
    return Options(shape, blocks, args.dtype, args.repeats, args.json, simulated)


def device_module(options):
    """The array library of the device: CuPy on a GPU, NumPy under the simulator."""
    if options.simulated:
        return np
    import cupy

    return cupy


def to_device(options, host_array):
    return device_module(options).asarray(host_array)


def to_host(array):
    return array.get() if hasattr(array, "get") else np.asarray(array)


def max_error(output, reference):
    """Largest |output - reference|, with NaN equal to NaN and inf to inf of the same sign.

    ``output`` and ``reference`` may be tuples of arrays (e.g. a loss and its gradient).
    """
    if isinstance(reference, tuple):
        return max(max_error(o, r) for o, r in zip(output, reference))
    output = to_host(output).astype(np.float64)
    if output.shape != reference.shape:
        return math.inf
    same = (output == reference) | (np.isnan(output) & np.isnan(reference))
    with np.errstate(invalid="ignore"):
        difference = np.abs(output - reference)
    difference = np.where(np.isnan(difference), np.inf, difference)  # NaN where a number belongs: wrong
    return float(np.max(np.where(same, 0.0, difference), initial=0.0))


def gpu_seconds(fn, repeats):
    """Median seconds of one call of ``fn`` on the GPU, timed with CUDA events.

    A sample is ``number`` calls back to back between two events, divided by ``number``: the
    host queues the next launch while the GPU runs this one, so the Python cost of a launch is
    hidden as it is in a training step.  ``number`` makes a sample last about 2 ms; a slow call
    (the naive matmul at n = 4096 takes about a second) is sampled only as often as fits in about
    half a second, and at least 3 times.
    """
    import cupy

    def sample(number):
        start, stop = cupy.cuda.Event(), cupy.cuda.Event()
        start.record()
        for _ in range(number):
            fn()
        stop.record()
        stop.synchronize()
        return cupy.cuda.get_elapsed_time(start, stop) / 1e3 / number

    number = max(1, min(100, int(2e-3 / max(sample(1), 1e-7))))  # the first sample is also a warm-up
    times = []
    while len(times) < max(1, repeats) and (len(times) < 3 or sum(times) * number < 0.5):
        times.append(sample(number))
    return statistics.median(times)


def copy_bandwidth(options, nbytes):
    """Bytes per second of a device-to-device copy of ``nbytes`` (read once, written once)."""
    import cupy

    source = cupy.ones(nbytes // 4, dtype=cupy.float32)
    target = cupy.empty_like(source)
    return 2 * source.nbytes / gpu_seconds(lambda: cupy.copyto(target, source), options.repeats)


def run(title, switch, rungs, reference, *, options, bytes_moved=None, flops=None, baseline=None):
    """Validate, then (on a GPU) time every rung; print the table; return one record per rung.

    ``bytes_moved``: the fewest bytes the op reads and writes (for GB/s and the copy fraction);
    ``flops``: the arithmetic (for GFLOP/s); ``baseline``: the version the others are compared to.
    """
    finite = [np.where(np.isfinite(r), np.abs(r), 0.0) for r in (reference if isinstance(reference, tuple)
                                                                  else (reference,))]
    tolerance = TOLERANCE[options.dtype] * max(1.0, *(float(np.max(f, initial=0.0)) for f in finite))
    copy_rate = None if options.simulated or bytes_moved is None else copy_bandwidth(options, bytes_moved // 2)
    records = []
    for rung in rungs:
        record = dict(title=title, family=switch.family, version=rung.version, block_size=rung.block_size,
                      dtype=options.dtype, shape=list(options.shape), device="cudasim" if options.simulated
                      else "cuda", seconds=None, error=None)
        try:
            output = rung.run()
            record["max_error"] = max_error(output if rung.pick is None else rung.pick(output), reference)
            record["ok"] = record["max_error"] <= tolerance
            if not options.simulated:
                record["seconds"] = gpu_seconds(rung.run, options.repeats)
        except Exception as error:  # a launch the GPU refuses is a result too: report it, go on
            record.update(ok=False, max_error=None, error=f"{type(error).__name__}: {error}")
        if record["seconds"]:
            if bytes_moved:
                record["gbps"] = bytes_moved / record["seconds"] / 1e9
                record["fraction_of_copy"] = bytes_moved / record["seconds"] / copy_rate
            if flops:
                record["gflops"] = flops / record["seconds"] / 1e9
        records.append(record)
    if baseline is not None:
        base = [r["seconds"] for r in records if r["version"] == baseline and r["seconds"]]
        for r in records:
            if base and r["seconds"]:
                r["fraction_of_baseline"] = min(base) / r["seconds"]
    _print(title, switch, records, copy_rate, tolerance, baseline)
    if options.json:
        with open(options.json, "a") as file:  # one JSON object per line, so ladders can share a file
            for r in records:
                file.write(json.dumps(r) + "\n")
    return records


def exit_code(records):
    return 0 if all(r["ok"] for r in records) else 1


def _print(title, switch, records, copy_rate, tolerance, baseline):
    print(f"\n{title} on {records[0]['device'] if records else '?'}")
    if copy_rate:
        print(f"  device-to-device copy: {copy_rate / 1e9:.0f} GB/s (the bandwidth the row kernels are compared with)")
    header = f"  {'version':<10} {'block':>6} {'max error':>10} {'check':>6} {'time':>10} {'rate':>14} {'fraction':>9}"
    print(header)
    for r in records:
        block = "-" if r["block_size"] is None else str(r["block_size"])
        error = "-" if r["max_error"] is None else f"{r['max_error']:.1e}"
        time = "-" if not r["seconds"] else f"{r['seconds'] * 1e6:.1f} us"
        rate = f"{r['gflops']:.0f} GFLOP/s" if "gflops" in r else f"{r['gbps']:.0f} GB/s" if "gbps" in r else "-"
        fraction = r.get("fraction_of_baseline", r.get("fraction_of_copy"))
        fraction = "-" if fraction is None else f"{100 * fraction:.0f}%"
        print(f"  {r['version']:<10} {block:>6} {error:>10} {'ok' if r['ok'] else 'FAIL':>6} {time:>10} "
              f"{rate:>14} {fraction:>9}" + (f"   {r['error']}" if r["error"] else ""))
    print(f"  check: max error <= {tolerance:.1e} against the CPU backend's formula in float64"
          + (f"; fraction: of {baseline}'s speed" if baseline else "; fraction: of the copy bandwidth"))
    timed = [r for r in records if r["ok"] and r["seconds"]]
    if timed:
        best = min(timed, key=lambda r: r["seconds"])
        print(f"  fastest: {best['version']} (block {best['block_size']}); the engine uses "
              f"{switch.family} version {switch.current!r}")
    else:
        print("  (simulator: correctness only, no timings)" if records and records[0]["device"] == "cudasim"
              else "  no rung ran correctly")
