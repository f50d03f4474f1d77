"""Benchmark: training steps per second on 1 process vs 2 data-parallel processes (MPI), with the time of a
step split into compute and communication.

    python benchmarks/distributed.py [--steps 20] [--quick] [--json FILE]

Two models, the same global batch in every configuration:

* an MLP, 784 -> 1024 -> 1024 -> 10 (1.9 M parameters, 7.5 MB of float32 gradients), batch 256, SGD;
* the sentiment Transformer (``TransformerClassifier``: vocabulary 8,000, d_model 64, 2 layers; 0.6 M
  parameters, 2.4 MB of gradients), batch 64 sentences of 24 tokens, AdamW.

Configurations: 1 process with 1 BLAS thread (one core), 1 process with 2 BLAS threads (both cores), and
``mpiexec -n 2`` with 1 thread each (both cores, each computing half of every batch, gradients averaged by
``DistributedDataParallel``).  Per step: the wall time (median over ``--steps`` after 3 warm-up steps),
*communication* = the time inside DDP's all-reduces (``ddp.communication_seconds``: the transfer, plus
waiting for the slower rank), *compute* = the rest, and *transfer* = the same number of bytes all-reduced
right after a barrier (no waiting): what the wire alone costs.

Each configuration runs in its own processes, one after the other (``mpiexec -n 1`` / ``-n 2`` of this file
with ``--worker``).  On a machine shared with other work the numbers move from run to run: report them
with the load average the script prints.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: make "minigrad" (this checkout's) importable
    sys.path.insert(0, str(REPO))

MODELS = ("mlp", "sentiment")


def build(model_name, seed=0):
    """(model, optimizer, batch maker) for ``model_name``; the batch maker returns this rank's part of
    the global batch of step ``step``, as (inputs..., targets)."""
    import numpy as np

    import minigrad as mg
    from minigrad import nn

    mg.manual_seed(seed)
    if model_name == "mlp":
        model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
        optimizer = mg.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((256, 784)).astype(np.float32)
        y = rng.integers(0, 10, size=256)

        def batch(part):
            return (mg.tensor(x[part]),), mg.tensor(y[part])
        return model, optimizer, batch
    from minigrad.sentiment.loop import make_optimizer
    from minigrad.sentiment.model import TransformerClassifier

    model = TransformerClassifier(8000, d_model=64, n_heads=4, n_layers=2, d_ff=128, max_len=64, dropout=0.0)
    optimizer = make_optimizer(list(model.parameters()), 2e-3, 0.01)
    rng = np.random.default_rng(seed)
    ids = rng.integers(4, 8000, size=(64, 24))
    ids[:, 0] = 2                                   # <cls>
    mask = np.ones_like(ids, dtype=bool)
    labels = rng.integers(0, 2, size=64)

    def batch(part):
        return (mg.tensor(ids[part]), mg.tensor(mask[part])), mg.tensor(labels[part])
    return model, optimizer, batch


def worker(model_name, steps, threads, warmup=3):
    """One configuration, in this process (and its peers under mpiexec); prints one JSON line on rank 0."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    import minigrad as mg
    import minigrad.distributed as dist
    import minigrad.nn.functional as F
    from minigrad.distributed.bandwidth import measure
    from minigrad.nn.parallel import DistributedDataParallel

    threadpool_limits(threads, user_api="blas")
    dist.init_process_group(backend="mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    model, optimizer, batch = build(model_name)
    params = [p for p in model.parameters() if p.requires_grad]
    if world > 1:
        DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(
            model, ["mlm_bias"] if model_name == "sentiment" else [])
        params = [p for name, p in model.named_parameters() if name != "mlm_bias"]
        training = DistributedDataParallel(model)
    else:
        training = model
    inputs, targets = batch(slice(None))
    part = slice(rank * len(targets) // world, (rank + 1) * len(targets) // world)
    inputs, targets = batch(part)
    times, communication = [], []
    for step in range(warmup + steps):
        dist.barrier()
        began = time.perf_counter()
        before = getattr(training, "communication_seconds", 0.0)
        loss = F.cross_entropy(training(*inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step >= warmup:
            times.append(time.perf_counter() - began)
            communication.append(getattr(training, "communication_seconds", 0.0) - before)
    gradient_bytes = sum(p.numel() * p.element_size() for p in params)
    transfer = measure([gradient_bytes], repeats=5)[0][1] if world > 1 else 0.0
    everyone = [None] * world
    dist.all_gather_object(everyone, (float(np.median(times)), float(np.median(communication))))
    if rank == 0:
        step_seconds = max(t for t, _ in everyone)           # a step is done when the slowest rank is
        comm_seconds = float(np.mean([c for _, c in everyone]))
        print(json.dumps({"model": model_name, "ranks": world, "threads": threads, "step_seconds": step_seconds,
                          "communication_seconds": comm_seconds, "compute_seconds": step_seconds - comm_seconds,
                          "transfer_seconds": transfer, "gradient_bytes": gradient_bytes,
                          "parameters": sum(p.numel() for p in model.parameters()),
                          "buckets": len(training._buckets) if world > 1 else 0}), flush=True)


def run_configuration(model_name, ranks, threads, steps, warmup):
    from minigrad.distributed.launch import mpiexec_command, single_threaded_environment

    env = single_threaded_environment()
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    command = mpiexec_command(ranks, [sys.executable, str(Path(__file__).resolve()), "--worker", model_name,
                                      "--steps", str(steps), "--threads", str(threads), "--warmup", str(warmup)])
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per configuration (default 20)")
    parser.add_argument("--quick", action="store_true", help="1 warm-up, 3 timed steps: checks the script")
    parser.add_argument("--json", type=Path, default=None, help="also write the measurements to this file")
    parser.add_argument("--worker", choices=MODELS, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--warmup", type=int, default=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.steps, args.threads, args.warmup)
    steps, warmup = (3, 1) if args.quick else (args.steps, 3)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    rows = []
    for model_name in MODELS:
        for ranks, threads in ((1, 1), (1, 2), (2, 1)):
            rows.append(run_configuration(model_name, ranks, threads, steps, warmup))
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print("| model | processes x BLAS threads | ms / step | steps / s | speed-up vs 1 x 1 | compute ms | "
          "communication ms | transfer alone ms | gradient MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        base = next(r for r in rows if r["model"] == row["model"] and r["ranks"] == 1 and r["threads"] == 1)
        comm = f"{row['communication_seconds'] * 1e3:.1f}" if row["ranks"] > 1 else "-"
        transfer = f"{row['transfer_seconds'] * 1e3:.1f}" if row["ranks"] > 1 else "-"
        print(f"| {row['model']} | {row['ranks']} x {row['threads']} | {row['step_seconds'] * 1e3:.1f} | "
              f"{1 / row['step_seconds']:.2f} | {base['step_seconds'] / row['step_seconds']:.2f}x | "
              f"{row['compute_seconds'] * 1e3:.1f} | {comm} | {transfer} | {row['gradient_bytes'] / 1e6:.1f} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return rows


if __name__ == "__main__":
    main()
