"""How long an all-reduce takes on this machine, by message size.

    mpiexec -n 2 python -m minigrad.distributed.bandwidth

For each size (8 bytes .. 32 MiB of float64 by default) every rank all-reduces an array of that many
bytes, ``repeats`` times after a barrier; the median time is kept.  Rank 0 prints one JSON object:

    {"ranks": p, "sizes": [bytes ...], "seconds": [median seconds ...], "bus_gb_per_s": [...]}

``bus_gb_per_s`` is ``2 (p - 1) / p * bytes / seconds``: the bytes each rank really sends in a ring
all-reduce (lesson 16), per second -- the figure that can be compared across numbers of ranks.
Small messages measure the *latency* (a fixed cost per message), large ones the *bandwidth*.

Options: ``--max-bytes N`` (default 32 MiB), ``--repeats R`` (default 5).
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np


def measure(sizes, repeats=5):
    """[(bytes, median seconds)] of an all-reduce (SUM, float64) of each size, across every rank."""
    import minigrad.distributed as dist
    from minigrad.distributed.collectives import ReduceOp, all_reduce_array

    if not dist.is_initialized():
        dist.init_process_group(backend="mpi")
    results = []
    for nbytes in sizes:
        array = np.zeros(max(1, nbytes // 8))
        all_reduce_array(array, ReduceOp.SUM, in_place=True)   # warm-up: first touch, connection set-up
        samples = []
        for _ in range(repeats):
            dist.barrier()                          # start together: measure the transfer, not a late rank
            began = time.perf_counter()
            all_reduce_array(array, ReduceOp.SUM, in_place=True)   # in place, in one buffer: as DDP does
            samples.append(time.perf_counter() - began)
        # every rank's median, the slowest counts: the all-reduce is done when it is done everywhere
        results.append((array.nbytes, max(dist.collectives.default_group().comm.allgather(float(np.median(samples))))))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m minigrad.distributed.bandwidth",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--max-bytes", type=int, default=32 * 2 ** 20)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    sizes = [8]
    while sizes[-1] * 8 <= args.max_bytes:
        sizes.append(sizes[-1] * 8)
    import minigrad.distributed as dist

    results = measure(sizes, args.repeats)
    p = dist.get_world_size()
    if dist.get_rank() == 0:
        print(json.dumps({"ranks": p, "sizes": [n for n, _ in results], "seconds": [t for _, t in results],
                          "bus_gb_per_s": [2 * (p - 1) / p * n / t / 1e9 for n, t in results]}))


if __name__ == "__main__":
    main()
